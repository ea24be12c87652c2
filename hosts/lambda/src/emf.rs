//! CloudWatch Embedded Metric Format: one JSON line on stdout per
//! invocation becomes metrics in CloudWatch with no API call and no agent,
//! so publishing metrics adds nothing to the handler's time.

use serde_json::{Map, Value, json};

pub const NAMESPACE: &str = "docproc";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// One EMF record: dimensions, metrics, and extra properties (searchable in
/// Logs Insights, not metrics).
#[derive(Debug, Default)]
pub struct Record {
    dimensions: Vec<(&'static str, String)>,
    metrics: Vec<(&'static str, Unit, f64)>,
    properties: Map<String, Value>,
}

impl Record {
    pub fn new(dimensions: &[(&'static str, &str)]) -> Record {
        Record {
            dimensions: dimensions
                .iter()
                .map(|(k, v)| (*k, v.to_string()))
                .collect(),
            ..Record::default()
        }
    }

    pub fn metric(&mut self, name: &'static str, unit: Unit, value: f64) -> &mut Self {
        self.metrics.push((name, unit, value));
        self
    }

    pub fn property(&mut self, name: &str, value: impl Into<Value>) -> &mut Self {
        self.properties.insert(name.to_string(), value.into());
        self
    }

    pub fn to_json(&self, timestamp_ms: u128) -> Value {
        let mut root = self.properties.clone();
        for (k, v) in &self.dimensions {
            root.insert((*k).to_string(), Value::String(v.clone()));
        }
        for (name, _, value) in &self.metrics {
            root.insert((*name).to_string(), json!(value));
        }
        let dims: Vec<&str> = self.dimensions.iter().map(|(k, _)| *k).collect();
        let defs: Vec<Value> = self
            .metrics
            .iter()
            .map(|(name, unit, _)| json!({"Name": name, "Unit": unit.as_str()}))
            .collect();
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms as u64,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [dims],
                    "Metrics": defs,
                }],
            }),
        );
        Value::Object(root)
    }

    /// Prints the record as one line; CloudWatch only parses EMF from a
    /// line that is a whole JSON object.
    pub fn emit(&self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        use std::io::Write as _;
        let line = self.to_json(now).to_string();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_has_the_emf_shape() {
        let mut r = Record::new(&[("approach", "s3-api"), ("mode", "process")]);
        r.metric("FilesProcessed", Unit::Count, 20.0)
            .metric("TotalMs", Unit::Milliseconds, 12.5)
            .property("request_id", "abc");
        let v = r.to_json(1_700_000_000_000);
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], "docproc");
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["approach", "mode"]])
        );
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Metrics"],
            json!([{"Name": "FilesProcessed", "Unit": "Count"}, {"Name": "TotalMs", "Unit": "Milliseconds"}])
        );
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000u64);
        assert_eq!(
            (v["FilesProcessed"].as_f64(), v["approach"].as_str()),
            (Some(20.0), Some("s3-api"))
        );
        assert_eq!(v["request_id"], "abc");
    }
}

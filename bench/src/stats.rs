//! Samples over runs: min, mean and max, as the reference's tables show them.

use serde::{Serialize, Serializer};

#[derive(Clone, Debug, Default)]
pub struct Samples(pub Vec<f64>);

impl Samples {
    pub fn push(&mut self, v: f64) {
        self.0.push(v);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn min(&self) -> f64 {
        self.0.iter().copied().fold(f64::INFINITY, f64::min)
    }

    pub fn max(&self) -> f64 {
        self.0.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }

    /// The middle value (the lower of the two middle ones for an even count): one slow
    /// run of a few does not move it.
    pub fn median(&self) -> f64 {
        let mut v = self.0.clone();
        if v.is_empty() {
            return f64::NAN;
        }
        v.sort_by(f64::total_cmp);
        v[(v.len() - 1) / 2]
    }

    pub fn mean(&self) -> f64 {
        if self.0.is_empty() {
            return f64::NAN;
        }
        self.0.iter().sum::<f64>() / self.0.len() as f64
    }
}

impl Serialize for Samples {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Samples", 4)?;
        let round = |v: f64| {
            if v.is_finite() {
                (v * 1000.0).round() / 1000.0
            } else {
                f64::NAN
            }
        };
        st.serialize_field("mean", &round(self.mean()))?;
        st.serialize_field("min", &round(self.min()))?;
        st.serialize_field("max", &round(self.max()))?;
        st.serialize_field(
            "runs",
            &self.0.iter().map(|v| round(*v)).collect::<Vec<_>>(),
        )?;
        st.end()
    }
}

/// `1,234 ms` for large values, `12.3 ms` for small ones.
pub fn fmt_ms(ms: f64) -> String {
    if !ms.is_finite() {
        "-".into()
    } else if ms >= 100.0 {
        group_thousands(ms.round() as u64) + " ms"
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

/// A mean with its range, e.g. `905 ms (891-924)`; just the mean for one run.
pub fn fmt_range(s: &Samples) -> String {
    if s.is_empty() {
        return "-".into();
    }
    if s.0.len() == 1 {
        return fmt_ms(s.mean());
    }
    format!("{} ({}-{})", fmt_ms(s.mean()), bare(s.min()), bare(s.max()))
}

fn bare(ms: f64) -> String {
    fmt_ms(ms).trim_end_matches(" ms").to_string()
}

pub fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How many times faster `value` is than `baseline` (both times), e.g. `5.1x`.
pub fn fmt_ratio(baseline: f64, value: f64) -> String {
    if !(baseline.is_finite() && value.is_finite()) || value <= 0.0 {
        return "-".into();
    }
    let r = baseline / value;
    match r {
        r if r >= 10.0 => format!("{r:.0}x"),
        r if r >= 1.0 => format!("{r:.1}x"),
        r if r >= 0.1 => format!("{r:.2}x"),
        r => format!("{r:.3}x"),
    }
}

pub fn mib_per_s(bytes: u64, ms: f64) -> f64 {
    if ms <= 0.0 {
        return f64::NAN;
    }
    bytes as f64 / (1u64 << 20) as f64 / (ms / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let s = Samples(vec![891.0, 905.0, 924.0]);
        assert_eq!(fmt_range(&s), "907 ms (891-924)");
        assert_eq!(fmt_ms(175_847.0), "175,847 ms");
        assert_eq!(fmt_ms(5.0), "5.00 ms");
        assert_eq!(fmt_ratio(3394.0, 664.0), "5.1x");
        assert_eq!(fmt_ratio(1666.0, 175_847.0), "0.009x");
        assert_eq!(group_thousands(1_000_000), "1,000,000");
    }
}

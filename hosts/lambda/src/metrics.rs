//! The numbers each invocation publishes, named as in the reference's
//! benchmark table, taken from the core's own report.

use docproc_host::{Report, RunReport};
use serde::Serialize;

use crate::emf::{Record, Unit};

/// Phases a workload does not have are absent, not zero, so a dashboard
/// never averages in a phase that did not run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// Documents processed (and resumed) by `process`; files listed by
    /// `walk`, hashed by `hash`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_processed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_failed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_meta_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub move_ms: Option<f64>,
    pub total_ms: f64,
}

impl Metrics {
    pub fn of_run(run: &RunReport) -> Metrics {
        match &run.report {
            Report::ProcessInbox(r) => {
                let t = &r.timings;
                Metrics {
                    files_processed: Some(u64::from(r.processed + r.resumed)),
                    files_failed: Some(u64::from(r.failed)),
                    list_ms: Some(t.list_ms),
                    read_ms: Some(t.read_ms),
                    process_ms: Some(t.process_ms),
                    write_meta_ms: Some(t.write_meta_ms),
                    move_ms: Some(t.move_ms),
                    total_ms: t.total_ms,
                }
            }
            Report::Walk(r) => Metrics {
                files_processed: Some(r.files),
                list_ms: Some(r.elapsed_ms),
                total_ms: run.wall_ms,
                ..Metrics::default()
            },
            Report::Hash(r) => Metrics {
                files_processed: Some(u64::from(r.files)),
                read_ms: Some(r.read_ms),
                total_ms: run.wall_ms,
                ..Metrics::default()
            },
        }
    }

    pub fn of_status(elapsed_ms: f64) -> Metrics {
        Metrics {
            list_ms: Some(elapsed_ms),
            total_ms: elapsed_ms,
            ..Metrics::default()
        }
    }

    pub fn add_to(&self, record: &mut Record) {
        let counts = [
            ("FilesProcessed", self.files_processed),
            ("FilesFailed", self.files_failed),
        ];
        for (name, value) in counts {
            if let Some(v) = value {
                record.metric(name, Unit::Count, v as f64);
            }
        }
        let times = [
            ("ListMs", self.list_ms),
            ("ReadMs", self.read_ms),
            ("ProcessMs", self.process_ms),
            ("WriteMetaMs", self.write_meta_ms),
            ("MoveMs", self.move_ms),
            ("TotalMs", Some(self.total_ms)),
        ];
        for (name, value) in times {
            if let Some(v) = value {
                record.metric(name, Unit::Milliseconds, v);
            }
        }
    }
}

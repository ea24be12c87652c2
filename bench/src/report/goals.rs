//! The goals for our S3 host, reported (never asserted): walk within 1.5x of the raw
//! listing, large reads at 80% or more of raw parallel GET throughput, process-inbox with
//! the CLI's defaults (claims on) at least 5x faster than the naive sequence at AWS-like
//! latency and 2x on loopback.

use crate::backends::BackendKind;
use crate::report::model::{BackendRow, Goal, PassResult, Results};

pub fn evaluate(r: &Results) -> Vec<Goal> {
    let mut goals = Vec::new();
    for pass in &r.passes {
        let tag = if pass.latency_ms > 0 {
            format!(" ({} ms per request)", pass.latency_ms)
        } else {
            " (loopback)".to_string()
        };
        let ours = row(pass, BackendKind::Docproc);
        let naive = row(pass, BackendKind::Naive);

        if let Some(raw) = &pass.raw
            && ours.and_then(|o| o.walk.as_ref()).is_some()
        {
            let walk = ours
                .and_then(|o| o.walk.as_ref())
                .and_then(|c| c.ok())
                .map(|w| w.ms.mean());
            let raw_ms = raw.list_sweep_ms.mean();
            goals.push(ratio_goal(
                format!("walk within 1.5x of the raw listing{tag}"),
                walk.map(|w| w / raw_ms),
                |x| x <= 1.5,
                |x| format!("{x:.2}x the raw sweep"),
            ));
        }
        if let Some(raw) = pass.raw.as_ref().and_then(|raw| raw.parallel_get_mib_s) {
            let share = |what: &str, ours: Option<f64>| {
                ratio_goal(
                    format!("large reads at 80% or more of raw parallel GET, {what}{tag}"),
                    ours.map(|o| o / raw),
                    |x| x >= 0.8,
                    |x| format!("{:.0}% ({:.0} of {raw:.0} MiB/s)", x * 100.0, x * raw),
                )
            };
            if let Some(read) = pass.raw.as_ref().and_then(|raw| raw.s3fs_read_mib_s) {
                goals.push(share("docproc's S3 read path", Some(read)));
            }
            if let Some(cell) = ours.and_then(|o| o.hash.as_ref()) {
                let hashed = cell.ok().map(|h| h.read_mib_s.mean());
                goals.push(share("SHA-256 in the component end to end", hashed));
            }
        }
        if let (Some(o), Some(n)) = (
            ours.and_then(|o| o.inbox.as_ref()),
            naive.and_then(|n| n.inbox.as_ref()),
        ) {
            let speedup = match (o.ok(), n.ok()) {
                (Some(o), Some(n)) => Some(n.wall_ms.mean() / o.wall_ms.mean()),
                _ => None,
            };
            let want = if pass.latency_ms > 0 { 5.0 } else { 2.0 };
            goals.push(ratio_goal(
                format!(
                    "process-inbox with the defaults at least {want:.0}x faster than the naive sequence{tag}"
                ),
                speedup,
                |x| x >= want,
                |x| format!("{x:.1}x (wall)"),
            ));
        }
    }
    goals
}

fn row(pass: &PassResult, kind: BackendKind) -> Option<&BackendRow> {
    pass.rows.iter().find(|r| r.backend == kind)
}

fn ratio_goal(
    goal: String,
    value: Option<f64>,
    met: impl Fn(f64) -> bool,
    text: impl Fn(f64) -> String,
) -> Goal {
    match value.filter(|v| v.is_finite()) {
        Some(v) => Goal {
            goal,
            measured: text(v),
            met: Some(met(v)),
        },
        None => Goal {
            goal,
            measured: "not measured (a run failed or was skipped)".into(),
            met: None,
        },
    }
}

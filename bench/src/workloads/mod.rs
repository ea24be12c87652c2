//! The benchmark's steps: set up (server, data), the passes over every backend, the extras
//! (raw limits, WASM cost, cold start, peak RSS), then the report.

pub mod cold_start;
pub mod hash;
pub mod inbox;
pub mod raw;
pub mod rss;
pub mod walk;
pub mod wasm_cost;

mod setup;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Result;
use docproc_host::Claims;

use crate::backends::BackendKind;
use crate::context::{Ctx, Pass};
use crate::mounts::proxy::LatencyProxy;
use crate::report::model::{BackendInfo, BackendRow, Outcome, PassResult, Requests, Results};
use crate::settings::Workload;
use crate::ui;

pub use setup::{repo_root, run_aws, run_local};

/// Requests seen by the proxy across runs, averaged per run at the end.
#[derive(Default)]
pub struct RequestTally {
    runs: u32,
    total: u64,
    by_method: BTreeMap<String, u64>,
}

impl RequestTally {
    pub fn add(&mut self, before: &docproc_s3proxy::Stats, after: &docproc_s3proxy::Stats) {
        let d = after - before;
        self.runs += 1;
        self.total += d.requests;
        for (m, n) in d.by_method {
            *self.by_method.entry(m).or_default() += n;
        }
    }

    pub fn average(&self, pass: &Pass<'_>) -> Option<Requests> {
        if pass.proxy.is_none() || self.runs == 0 {
            return None;
        }
        let n = f64::from(self.runs);
        Some(Requests {
            total: self.total as f64 / n,
            by_method: self
                .by_method
                .iter()
                .map(|(m, v)| (m.clone(), *v as f64 / n))
                .collect(),
        })
    }
}

/// On AWS, S3-side writes reach the S3 Files (NFS) view asynchronously: wait as the
/// reference did before using the mount.
pub async fn settle(ctx: &Ctx) {
    if ctx.on_aws && !ctx.settle.is_zero() {
        ui::log(format!(
            "waiting {:?} for S3 Files to see the new objects",
            ctx.settle
        ));
        tokio::time::sleep(ctx.settle).await;
    }
}

/// Both passes and the extras; the report's data.
pub async fn measure(
    ctx: &Ctx,
    upstream: Option<std::net::SocketAddr>,
    started: Instant,
) -> Result<Results> {
    let s = &ctx.settings;
    let mut passes = Vec::new();
    let mut notes = ctx.notes.clone();

    let direct = Pass {
        id: "direct",
        proxy: None,
        runs: s.runs,
    };
    passes.push(run_pass(ctx, &direct, &ctx.backends).await);

    if s.latency_ms > 0 {
        match upstream {
            Some(upstream) => {
                let proxy = LatencyProxy::start(upstream, Duration::from_millis(s.latency_ms))?;
                ui::log(format!(
                    "latency pass: {} ms on every S3 request through docproc-s3proxy at {}",
                    s.latency_ms,
                    proxy.endpoint()
                ));
                let pass = Pass {
                    id: "latency",
                    proxy: Some(&proxy),
                    runs: s.latency_runs,
                };
                let backends: Vec<BackendKind> = ctx
                    .backends
                    .iter()
                    .copied()
                    .filter(|b| b.uses_s3_api())
                    .collect();
                passes.push(run_pass(ctx, &pass, &backends).await);
                notes.push(format!(
                    "The latency pass puts {} ms on every S3 request (docproc-s3proxy) and runs process-inbox \
                     and walk {} time(s); hash is left out there (bandwidth-bound, not request-bound). The local \
                     directory and the SeaweedFS mount (filer gRPC, not the S3 API) are not in it.",
                    s.latency_ms, s.latency_runs
                ));
            }
            None => notes.push(
                "No latency pass: there is no local server to put a proxy in front of.".into(),
            ),
        }
    }

    let wasm_cost = if s.wants(Workload::WasmCost) && ctx.backends.contains(&BackendKind::Local) {
        let steps = (s.runs * 2 + s.hash_runs) as u64;
        let bar = ui::bar(steps, "wasm cost: native vs component");
        let rows = wasm_cost::run(ctx, &bar).await;
        bar.finish_and_clear();
        rows.unwrap_or_else(|e| {
            notes.push(format!("wasm-cost failed: {e:#}"));
            Vec::new()
        })
    } else {
        Vec::new()
    };

    let cold_start = if s.wants(Workload::ColdStart) {
        let bar = ui::bar(s.cold_start_runs as u64, "cold start: load + instantiate");
        let r = cold_start::run(ctx, &bar).await;
        bar.finish_and_clear();
        r.map_err(|e| notes.push(format!("cold-start failed: {e:#}")))
            .ok()
    } else {
        None
    };

    let rss = if s.wants(Workload::Rss) {
        let bar = ui::bar(2, "peak RSS of hashing a large file");
        let rows = rss::run(ctx, &bar).await;
        bar.finish_and_clear();
        rows
    } else {
        Vec::new()
    };

    let backends = BackendKind::ALL
        .iter()
        .filter(|b| s.backends.contains(b))
        .map(|b| BackendInfo {
            backend: *b,
            label: ctx.label(*b).to_string(),
            skipped: ctx.skipped.get(b).cloned(),
        })
        .collect();
    let mut results = Results {
        tool: format!("docproc-bench {}", env!("CARGO_PKG_VERSION")),
        profile: s.profile.name().into(),
        started_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .saturating_sub(started.elapsed().as_secs()),
        duration_s: 0.0,
        machine: ctx.machine.clone(),
        settings: s.clone(),
        component_sha256: ctx.rt.component_sha256.clone(),
        backends,
        passes,
        wasm_cost,
        cold_start,
        rss,
        goals: Vec::new(),
        notes,
    };
    results.goals = crate::report::goals::evaluate(&results);
    results.duration_s = started.elapsed().as_secs_f64();
    Ok(results)
}

/// Every wanted workload over every backend of the pass.
async fn run_pass(ctx: &Ctx, pass: &Pass<'_>, backends: &[BackendKind]) -> PassResult {
    let s = &ctx.settings;
    let mut rows: Vec<BackendRow> = backends
        .iter()
        .map(|b| BackendRow {
            backend: *b,
            label: ctx.label(*b).to_string(),
            inbox: None,
            inbox_no_claims: None,
            inbox_cli: None,
            walk: None,
            hash: None,
        })
        .collect();
    let raw = if s.wants(Workload::Raw) {
        let sp = ui::spinner(format!(
            "{}: raw limits (ListObjectsV2 sweep, parallel GETs)",
            pass.id
        ));
        let raw = raw::run(ctx, pass, pass.proxy.is_none() && s.wants(Workload::Hash)).await;
        sp.finish_and_clear();
        match raw {
            Ok(raw) => Some(raw),
            Err(e) => {
                ui::log(format!("{}: raw limits failed: {e:#}", pass.id));
                None
            }
        }
    } else {
        None
    };
    let workloads = [Workload::ProcessInbox, Workload::Walk, Workload::Hash];
    for w in workloads {
        if !s.wants(w) || (w == Workload::Hash && pass.proxy.is_some()) {
            continue;
        }
        let runs = if w == Workload::Hash {
            s.hash_runs
        } else {
            pass.runs
        };
        let mut ran = backends
            .iter()
            .filter(|b| !ctx.skipped.contains_key(b))
            .count();
        if w == Workload::ProcessInbox && backends.contains(&BackendKind::Docproc) {
            ran += 2;
        }
        let bar = ui::bar(
            (ran * runs) as u64,
            format!("{}: {}", pass.id, describe(ctx, w)),
        );
        for row in rows.iter_mut() {
            let kind = row.backend;
            bar.set_message(format!("{}: {} · {}", pass.id, describe(ctx, w), kind.id()));
            let started = Instant::now();
            match w {
                Workload::ProcessInbox => {
                    let defaults = inbox::run(ctx, pass, kind, Some(Claims::default()), &bar);
                    row.inbox = Some(cell(ctx, kind, defaults).await);
                    if kind == BackendKind::Docproc {
                        let cli = inbox::run_cli(ctx, pass, &bar);
                        row.inbox_cli = Some(cell(ctx, kind, cli).await);
                        let alone = inbox::run(ctx, pass, kind, None, &bar);
                        row.inbox_no_claims = Some(cell(ctx, kind, alone).await);
                    }
                }
                Workload::Walk => {
                    row.walk = Some(cell(ctx, kind, walk::run(ctx, pass, kind, &bar)).await)
                }
                _ => row.hash = Some(cell(ctx, kind, hash::run(ctx, pass, kind, &bar)).await),
            }
            if !ctx.skipped.contains_key(&kind) {
                ui::log(format!(
                    "{}: {} over {} done in {:.1} s",
                    pass.id,
                    describe(ctx, w),
                    kind.id(),
                    started.elapsed().as_secs_f64()
                ));
            }
        }
        bar.finish_and_clear();
    }
    PassResult {
        name: pass.id.into(),
        latency_ms: pass.latency_ms(),
        raw,
        rows,
    }
}

async fn cell<T>(
    ctx: &Ctx,
    kind: BackendKind,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Outcome<T> {
    if let Some(reason) = ctx.skipped.get(&kind) {
        return Outcome::Skipped {
            reason: reason.clone(),
        };
    }
    match fut.await {
        Ok(v) => Outcome::Ok(v),
        Err(e) => {
            let error = format!("{e:#}");
            ui::log(format!("{} failed: {error}", kind.id()));
            Outcome::Failed { error }
        }
    }
}

fn describe(ctx: &Ctx, w: Workload) -> String {
    let s = &ctx.settings;
    match w {
        Workload::ProcessInbox => format!("process-inbox ({} docs)", s.docs),
        Workload::Walk => format!("walk ({} files)", s.walk_files),
        Workload::Hash => format!(
            "hash ({} x {})",
            s.hash_files,
            docproc_host::report::human_bytes(s.hash_file_bytes)
        ),
        other => format!("{other:?}"),
    }
}

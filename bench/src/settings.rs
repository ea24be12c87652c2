//! What one benchmark run does: sizes, runs, backends and workloads.

use anyhow::{Result, bail};
use serde::Serialize;

use crate::backends::BackendKind;
use crate::cli::RunArgs;

pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    All,
    Quick,
    Aws,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::All => "all",
            Profile::Quick => "quick",
            Profile::Aws => "aws",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    ProcessInbox,
    Walk,
    Hash,
    Raw,
    WasmCost,
    ColdStart,
    Rss,
}

#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub profile: Profile,
    pub scale: f64,
    pub docs: usize,
    pub runs: usize,
    pub walk_files: usize,
    pub hash_files: usize,
    pub hash_file_bytes: u64,
    pub hash_runs: usize,
    /// 0: no latency pass.
    pub latency_ms: u64,
    pub latency_runs: usize,
    pub cold_start_runs: usize,
    /// Size of the (sparse) local file the RSS probe hashes.
    pub rss_file_bytes: u64,
    pub rss_memory_limit_mib: usize,
    pub backends: Vec<BackendKind>,
    pub workloads: Vec<Workload>,
}

impl Settings {
    pub fn from_args(profile: Profile, args: &RunArgs) -> Result<Settings> {
        let quick = profile == Profile::Quick;
        let scale = args.scale.unwrap_or(if quick { 0.02 } else { 1.0 });
        if !(scale > 0.0 && scale <= 10.0) {
            bail!("--scale must be above 0 and at most 10");
        }
        let mut backends = args
            .backends
            .clone()
            .unwrap_or_else(|| BackendKind::ALL.to_vec());
        if quick {
            backends.retain(|b| *b != BackendKind::Mountpoint);
        }
        backends.sort();
        backends.dedup();
        let mut workloads = args.workloads.clone().unwrap_or_else(|| {
            vec![
                Workload::ProcessInbox,
                Workload::Walk,
                Workload::Hash,
                Workload::Raw,
                Workload::WasmCost,
                Workload::ColdStart,
                Workload::Rss,
            ]
        });
        workloads.sort();
        workloads.dedup();
        let runs = args.runs.unwrap_or(if quick { 2 } else { 3 }).max(1);
        Ok(Settings {
            profile,
            scale,
            docs: args.docs.unwrap_or(20).max(1),
            runs,
            walk_files: ((10_000.0 * scale).round() as usize).max(10),
            hash_files: 5,
            hash_file_bytes: (((GIB as f64) * scale) as u64 / MIB).max(1) * MIB,
            hash_runs: args.hash_runs.unwrap_or(1).max(1),
            latency_ms: if profile == Profile::Aws {
                0
            } else {
                args.latency_ms
            },
            latency_runs: args.latency_runs.max(1),
            cold_start_runs: if quick { 3 } else { 10 },
            rss_file_bytes: if quick { 256 * MIB } else { 2 * GIB },
            rss_memory_limit_mib: 64,
            backends,
            workloads,
        })
    }

    pub fn wants(&self, w: Workload) -> bool {
        self.workloads.contains(&w)
    }

    pub fn hash_total_bytes(&self) -> u64 {
        self.hash_file_bytes * self.hash_files as u64
    }
}

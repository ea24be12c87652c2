//! The results of one benchmark run, as written to JSON and rendered into tables.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::backends::BackendKind;
use crate::machine::Machine;
use crate::settings::Settings;
use crate::stats::Samples;

#[derive(Serialize)]
pub struct Results {
    pub tool: String,
    pub profile: String,
    /// Seconds since the Unix epoch.
    pub started_at: u64,
    pub duration_s: f64,
    pub machine: Machine,
    pub settings: Settings,
    pub component_sha256: String,
    pub backends: Vec<BackendInfo>,
    pub passes: Vec<PassResult>,
    pub wasm_cost: Vec<WasmCostRow>,
    pub cold_start: Option<ColdStart>,
    pub rss: Vec<RssRow>,
    pub goals: Vec<Goal>,
    pub notes: Vec<String>,
}

#[derive(Serialize)]
pub struct BackendInfo {
    pub backend: BackendKind,
    pub label: String,
    /// None when it ran; the reason when it was skipped.
    pub skipped: Option<String>,
}

/// A cell of a table: a result, or why there is none.
#[derive(Serialize, Clone)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome<T> {
    Ok(T),
    Skipped { reason: String },
    Failed { error: String },
}

impl<T> Outcome<T> {
    pub fn ok(&self) -> Option<&T> {
        match self {
            Outcome::Ok(v) => Some(v),
            _ => None,
        }
    }
}

#[derive(Serialize)]
pub struct PassResult {
    /// "direct" or "latency".
    pub name: String,
    pub latency_ms: u64,
    pub raw: Option<Raw>,
    pub rows: Vec<BackendRow>,
}

#[derive(Serialize)]
pub struct BackendRow {
    pub backend: BackendKind,
    pub label: String,
    /// With the CLI's defaults (claims on).
    pub inbox: Option<Outcome<InboxResult>>,
    /// docproc's own S3 host again with `--no-claims`, beside the defaults.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inbox_no_claims: Option<Outcome<InboxResult>>,
    /// docproc's CLI binary with its defaults, process start-up included: what a user gets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inbox_cli: Option<Outcome<InboxResult>>,
    pub walk: Option<Outcome<WalkResult>>,
    pub hash: Option<Outcome<HashResult>>,
}

/// S3 requests one run sent (through the latency proxy), averaged over runs.
#[derive(Serialize, Clone, Default)]
pub struct Requests {
    pub total: f64,
    pub by_method: BTreeMap<String, f64>,
}

impl InboxResult {
    /// One run's phase times, and its wall time around them.
    pub fn push(&mut self, t: &docproc_host::report::PhaseTimings, wall_ms: f64) {
        self.list_ms.push(t.list_ms);
        self.read_ms.push(t.read_ms);
        self.process_ms.push(t.process_ms);
        self.write_meta_ms.push(t.write_meta_ms);
        self.move_ms.push(t.move_ms);
        self.total_ms.push(t.total_ms);
        self.wall_ms.push(wall_ms);
    }
}

#[derive(Serialize, Clone, Default)]
pub struct InboxResult {
    pub documents: u32,
    pub list_ms: Samples,
    pub read_ms: Samples,
    pub process_ms: Samples,
    pub write_meta_ms: Samples,
    pub move_ms: Samples,
    /// Inside the workload (the reference's "Lambda total").
    pub total_ms: Samples,
    /// Around it: instantiation and, on S3, waiting for uploads to land.
    pub wall_ms: Samples,
    pub requests: Option<Requests>,
}

#[derive(Serialize, Clone, Default)]
pub struct WalkResult {
    pub entries: u64,
    pub ms: Samples,
    pub requests: Option<Requests>,
}

#[derive(Serialize, Clone, Default)]
pub struct HashResult {
    pub files: u32,
    pub bytes: u64,
    pub read_ms: Samples,
    pub read_mib_s: Samples,
    pub write_ms: Samples,
    /// Every digest matched the one computed when the data was made.
    pub digests_ok: bool,
    pub requests: Option<Requests>,
}

#[derive(Serialize, Clone, Default)]
pub struct Raw {
    /// ListObjectsV2 pages over the walk tree.
    pub list_sweep_ms: Samples,
    pub list_keys: u64,
    /// Ranged GETs (8 MiB) over the hash files, bytes discarded: the best of 4, 8 and 16 in
    /// flight.
    pub parallel_get_mib_s: Option<f64>,
    pub parallel_get_in_flight: usize,
    /// One GetObject stream per file, bytes discarded.
    pub single_get_mib_s: Option<f64>,
    /// docproc's S3 file system reading every file sequentially, all at once, no hashing.
    pub s3fs_read_mib_s: Option<f64>,
    /// coreutils `sha256sum` over the local copy of the hash files, one process per file,
    /// `sha256sum_procs` (every core) at once.
    pub sha256sum_mib_s: Option<f64>,
    pub sha256sum_procs: usize,
    pub get_bytes: u64,
}

#[derive(Serialize)]
pub struct WasmCostRow {
    pub workload: String,
    pub native_ms: Samples,
    pub component_ms: Samples,
    /// What the number is: "total", "walk", "read + hash".
    pub measure: String,
}

#[derive(Serialize)]
pub struct ColdStart {
    /// Compiling the component with no cache (once per machine and component).
    pub compile_ms: f64,
    /// Loading the precompiled component from the on-disk cache, per invocation.
    pub load_ms: Samples,
    /// Instantiating it (linker, WASI context, memory), per invocation.
    pub instantiate_ms: Samples,
    pub component_bytes: u64,
}

#[derive(Serialize, Clone)]
pub struct RssRow {
    pub backend: String,
    pub file_bytes: u64,
    pub memory_limit_mib: usize,
    /// VmHWM of the child after loading the runtime, before the run.
    pub baseline_kib: u64,
    /// VmHWM of the child after the run.
    pub peak_kib: u64,
    pub read_mib_s: f64,
    pub error: Option<String>,
}

#[derive(Serialize)]
pub struct Goal {
    pub goal: String,
    pub measured: String,
    /// None when it could not be measured.
    pub met: Option<bool>,
}

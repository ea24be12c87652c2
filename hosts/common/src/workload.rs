//! Runs one job over one backend, as one instance or as many shards.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use wasmtime::Store;

use crate::backend::Backend;
use crate::bindings::{Docproc, wit};
use crate::error::HostError;
use crate::local;
use crate::report::{Report, RunReport, S3Usage};
use crate::runtime::Runtime;
use crate::s3::MetricsSnapshot;

pub use docproc_core::shard::Shard;

/// `shard` if it names one of its count's shards, else the error a user gets for it.
pub fn check_shard(shard: Shard) -> Result<Shard, HostError> {
    shard.validate().map_err(|_| HostError::BadShard {
        index: shard.index,
        count: shard.count,
    })?;
    Ok(shard)
}

/// A workload with its options. Paths are relative to the backend's root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "workload", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Job {
    ProcessInbox {
        #[serde(default)]
        root: String,
        /// Read size per call; 0 means the core's default (1 MiB).
        #[serde(default)]
        chunk_size: u32,
        /// Claim each document before processing it, so several hosts can
        /// share the inbox; `None` when this host is the only one.
        #[serde(default)]
        claims: Option<Claims>,
        /// Process only these paths below `root` (`inbox/<name>`), as events name them,
        /// instead of listing `inbox/`; `None` processes the whole inbox.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        only: Option<Vec<String>>,
    },
    Walk {
        #[serde(default)]
        root: String,
    },
    Hash {
        #[serde(default)]
        root: String,
        #[serde(default = "default_digest_dir")]
        out_dir: String,
        /// Read size per call; 0 means the core's default (8 MiB).
        #[serde(default)]
        chunk_size: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    /// Who holds a claim: shown to people, never compared by the core.
    #[serde(default = "default_owner")]
    pub owner: String,
    /// After this long a claim is taken to belong to a dead host.
    #[serde(default = "default_lease_ms")]
    pub lease_ms: u64,
}

impl Default for Claims {
    fn default() -> Self {
        Claims {
            owner: default_owner(),
            lease_ms: default_lease_ms(),
        }
    }
}

/// `host:pid:nanos`, unique enough to tell two runs apart in a claim.
pub fn default_owner() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{host}:{}:{nanos:08x}", std::process::id())
}

fn default_lease_ms() -> u64 {
    300_000
}

fn default_digest_dir() -> String {
    "digests".into()
}

/// Shards of a hash, and instances at once, unless told otherwise: one per core. Each
/// instance hashes up to four files at once in SIMD lanes (`docproc_core::hash`), which
/// pays only where it has several files: more instances than cores would spread the files
/// thinner without hashing any faster.
pub fn hash_parallel() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Instances of a walk split into shards by hand: every shard lists the same directories.
const WALK_PARALLEL: usize = 8;

/// Shards and instances of a process-inbox over S3 unless told otherwise. A document is
/// about six requests one after another, nearly all of it waiting, and an instance is a few
/// MiB: one each for up to 64 documents at once keeps the busiest shard from setting the
/// pace, where 8 shards left one with five documents of an inbox of twenty. Over a
/// directory every instance lists `inbox/` itself, so there it stays at 8.
const INBOX_PARALLEL_S3: u32 = 64;
const INBOX_PARALLEL_DIR: u32 = 8;

impl Job {
    /// Where a claiming run keeps its claims (`<root>/.claims`), relative to the backend.
    fn claims_dir(&self) -> Option<String> {
        match self {
            Job::ProcessInbox {
                root,
                claims: Some(_),
                ..
            } => Some(if root.is_empty() {
                ".claims".to_owned()
            } else {
                format!("{}/.claims", root.trim_end_matches('/'))
            }),
            _ => None,
        }
    }

    /// Shards a run splits into unless told otherwise. process-inbox and hash
    /// are a few requests per file, which overlap across instances; every
    /// shard of a walk would list the same directories, so it runs as one.
    pub fn default_shards(&self, backend: &Backend) -> u32 {
        match (self, backend) {
            (Job::Walk { .. }, _) => 1,
            (Job::ProcessInbox { .. }, Backend::S3(_)) => INBOX_PARALLEL_S3,
            (Job::ProcessInbox { .. }, Backend::Local(_)) => INBOX_PARALLEL_DIR,
            (Job::Hash { .. }, _) => hash_parallel() as u32,
        }
    }

    /// Instances a sharded run keeps going at once unless told otherwise.
    pub fn default_parallel(&self, backend: &Backend) -> usize {
        match self {
            Job::ProcessInbox { .. } => self.default_shards(backend) as usize,
            Job::Hash { .. } => hash_parallel(),
            Job::Walk { .. } => WALK_PARALLEL,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Job::ProcessInbox { .. } => "process-inbox",
            Job::Walk { .. } => "walk",
            Job::Hash { .. } => "hash",
        }
    }
}

/// Runs `job` for one shard in a fresh instance, within the runtime's time limit: the
/// epoch deadline stops guest code, this timer stops waits in host calls (S3 requests,
/// uploads settling). Stopping is a crash as far as the documents go: each is in `inbox/`
/// or fully in `processed/`, and a rerun finishes the job.
pub async fn run(rt: &Runtime, backend: &Backend, job: &Job, shard: Shard) -> Result<RunReport> {
    let shard = check_shard(shard)?;
    within_limit(rt, backend, run_instance(rt, backend, job, shard)).await
}

async fn within_limit<T>(
    rt: &Runtime,
    backend: &Backend,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    // Over a directory the host's own calls are the kernel's, and the epoch deadline
    // stops the guest; dropping wasmtime-wasi's blocking file tasks mid-call would only
    // race them. Over S3 the host waits on the network, so it needs its own timer.
    if matches!(backend, Backend::Local(_)) {
        return work.await;
    }
    // Pinned here, not moved into the timer: the requests in flight must still be in flight
    // when the error names them, so the work is dropped only after that.
    let mut work = std::pin::pin!(work);
    match tokio::time::timeout(rt.options.timeout, work.as_mut()).await {
        Ok(result) => result,
        Err(_) => Err(HostError::Timeout {
            seconds: rt.options.timeout.as_secs_f64(),
            pending: pending_requests(backend),
        }
        .into()),
    }
}

fn pending_requests(backend: &Backend) -> Vec<String> {
    match backend {
        Backend::S3(s3) => {
            let bucket = &s3.fs.config().bucket;
            s3.fs
                .in_flight()
                .into_iter()
                .map(|r| match r.split_once(' ') {
                    Some((op, key)) => format!("{op} s3://{bucket}/{key}"),
                    None => r,
                })
                .collect()
        }
        Backend::Local(_) => Vec::new(),
    }
}

async fn run_instance(
    rt: &Runtime,
    backend: &Backend,
    job: &Job,
    shard: Shard,
) -> Result<RunReport> {
    let started = Instant::now();
    let s3_before = s3_metrics(backend);
    let (outcome, instantiate_ms) = match backend {
        Backend::Local(dir) => {
            use tokio::runtime::{Handle, RuntimeFlavor};
            let own_thread = Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread;
            let work = async {
                let claims = job.claims_dir();
                let (mut store, instance) =
                    local::instantiate(rt, dir, claims.as_deref(), own_thread).await?;
                let instantiate_ms = ms(started);
                let result = call(&mut store, &instance, job, shard, StoreKind::Directory).await;
                let hit = store.data().cap.hit;
                anyhow::Ok((classify(rt, backend, result, hit), instantiate_ms))
            };
            // Every file call over a directory is a system call of a few microseconds.
            // wasmtime-wasi hands each to tokio's blocking pool and back, which costs more
            // than the call: a walk's stats took 11x their native time. On a thread of its
            // own the instance makes them in place, and instances on a slow mount (S3 Files,
            // Mountpoint) still overlap, each on its own thread.
            if own_thread {
                tokio::task::block_in_place(|| Handle::current().block_on(work))?
            } else {
                work.await?
            }
        }
        Backend::S3(s3) => {
            let (mut store, instance) = crate::s3::instantiate(rt, s3).await?;
            let instantiate_ms = ms(started);
            let result = call(&mut store, &instance, job, shard, StoreKind::S3).await;
            let mut outcome = classify(rt, backend, result, store.data().cap.hit);
            if let Ok(report) = &mut outcome {
                store.data().noted.refusals.explain(report);
            }
            // Uploads of files closed without sync must land before success.
            if let (Ok(_), Err(e)) = (&outcome, store.data_mut().settle().await) {
                outcome = Err(Failure::Host(e));
            }
            if let (Err(Failure::Guest(e)), Some(cause)) =
                (&mut outcome, store.data_mut().noted.last_error.take())
            {
                e.message = format!("{} ({cause})", e.message);
            }
            (outcome, instantiate_ms)
        }
    };
    let report = outcome.map_err(|e| match e {
        Failure::Host(e) => e,
        Failure::Guest(e) => HostError::Workload {
            kind: format!("{:?}", e.kind),
            location: backend.locate(&e.path),
            message: e.message,
        }
        .into(),
    })?;
    Ok(RunReport {
        backend: backend.describe(),
        component_sha256: rt.component_sha256.clone(),
        cache: rt.cache,
        load_ms: rt.load_time.as_secs_f64() * 1000.0,
        instantiate_ms,
        wall_ms: ms(started),
        shards: shard.count,
        shard_index: (shard.count > 1).then_some(shard.index),
        report,
        s3: s3_usage(backend, s3_before),
    })
}

/// Requests since `before`, and every key the file system has left out so far.
fn s3_usage(backend: &Backend, before: Option<MetricsSnapshot>) -> Option<S3Usage> {
    match (backend, before) {
        (Backend::S3(s3), Some(before)) => Some(S3Usage {
            requests: s3.fs.metrics() - before,
            skipped_keys: s3.fs.skipped_keys(),
        }),
        _ => None,
    }
}

fn s3_metrics(backend: &Backend) -> Option<MetricsSnapshot> {
    match backend {
        Backend::S3(s3) => Some(s3.fs.metrics()),
        Backend::Local(_) => None,
    }
}

/// Which of a job's shards one run takes, and how many instances run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shards {
    /// One shard in one instance: a worker of a fan-out.
    One(Shard),
    /// Every shard of `count`, at most `parallel` instances at a time.
    All { count: u32, parallel: usize },
}

impl Shards {
    /// What `--shards`, `--shard-index` and `--parallel` (or an event's fields) ask for,
    /// with the job's defaults for what they leave out.
    pub fn choose(
        job: &Job,
        backend: &Backend,
        count: Option<u32>,
        index: Option<u32>,
        parallel: Option<usize>,
    ) -> Shards {
        let count = count.unwrap_or_else(|| job.default_shards(backend));
        match index {
            Some(index) => Shards::One(Shard { index, count }),
            None => Shards::All {
                count,
                parallel: parallel.unwrap_or_else(|| job.default_parallel(backend)),
            },
        }
    }

    /// How many instances the run starts.
    pub fn instances(&self) -> u32 {
        match self {
            Shards::One(_) => 1,
            Shards::All { count, .. } => *count,
        }
    }
}

/// Runs `shards` of `job` and merges their reports. `on_shard` sees each shard's report
/// as it lands (for progress bars). The first failing shard fails the whole run; the
/// others still finish, so no document is left half done.
pub async fn run_job(
    rt: Arc<Runtime>,
    backend: Arc<Backend>,
    job: Job,
    shards: Shards,
    on_shard: impl Fn(&RunReport),
) -> Result<RunReport> {
    match shards {
        Shards::One(shard) => {
            let report = run(&rt, &backend, &job, shard).await?;
            on_shard(&report);
            Ok(report)
        }
        Shards::All { count, parallel } => {
            run_sharded(rt, backend, job, count, parallel, on_shard).await
        }
    }
}

async fn run_sharded(
    rt: Arc<Runtime>,
    backend: Arc<Backend>,
    job: Job,
    count: u32,
    parallel: usize,
    on_shard: impl Fn(&RunReport),
) -> Result<RunReport> {
    if count <= 1 {
        let report = run(&rt, &backend, &job, Shard::ALL).await?;
        on_shard(&report);
        return Ok(report);
    }
    check_shard(Shard { index: 0, count })?;
    // One limit for the whole run: shards waiting for a permit spend it too.
    let (limit_rt, limit_backend) = (rt.clone(), backend.clone());
    let shards = async move {
        let started = Instant::now();
        let s3_before = s3_metrics(&backend);
        let permits = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for index in 0..count {
            let (rt, backend, job, permits) =
                (rt.clone(), backend.clone(), job.clone(), permits.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await?;
                run(&rt, &backend, &job, Shard { index, count }).await
            });
        }
        let mut merged: Option<RunReport> = None;
        let mut first_error = None;
        while let Some(joined) = tasks.join_next().await {
            match joined? {
                Ok(report) => {
                    on_shard(&report);
                    merged = Some(match merged {
                        None => report,
                        Some(acc) => acc.merge(report),
                    });
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        let mut merged = merged.expect("count > 1 shards ran");
        merged.wall_ms = ms(started);
        merged.shard_index = None;
        // The shards share one file system: each shard's own count overlaps the others'.
        merged.s3 = s3_usage(&backend, s3_before);
        Ok(merged)
    };
    within_limit(&limit_rt, &limit_backend, shards).await
}

enum Failure {
    Host(anyhow::Error),
    Guest(wit::WorkloadError),
}

/// What the core needs to know of the store behind its file system.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StoreKind {
    /// A real file system: renames are atomic, directories exist until removed.
    Directory,
    /// S3: PutObject shows an object only once it is whole; directories are prefixes that
    /// vanish with their last key.
    S3,
}

async fn call<T: Send>(
    store: &mut Store<T>,
    instance: &Docproc,
    job: &Job,
    shard: Shard,
    kind: StoreKind,
) -> wasmtime::Result<Result<Report, wit::WorkloadError>> {
    let api = instance.docproc_core_workloads();
    let shard = wit::Shard {
        index: shard.index,
        count: shard.count,
    };
    Ok(match job {
        Job::ProcessInbox {
            root,
            chunk_size,
            claims,
            only,
        } => {
            let options = wit::InboxOptions {
                root: root.clone(),
                shard,
                chunk_size: *chunk_size,
                claims: claims.as_ref().map(|c| wit::ClaimOptions {
                    owner: c.owner.clone(),
                    lease_ms: c.lease_ms,
                }),
                whole_file_writes: kind == StoreKind::S3,
                prefix_directories: kind == StoreKind::S3,
                only: only.clone(),
            };
            api.call_process_inbox(&mut *store, &options)
                .await?
                .map(Report::ProcessInbox)
        }
        Job::Walk { root } => {
            let options = wit::WalkOptions {
                root: root.clone(),
                shard,
            };
            api.call_walk(&mut *store, &options)
                .await?
                .map(Report::Walk)
        }
        Job::Hash {
            root,
            out_dir,
            chunk_size,
        } => {
            let options = wit::HashOptions {
                root: root.clone(),
                out_dir: out_dir.clone(),
                shard,
                chunk_size: *chunk_size,
            };
            api.call_hash(&mut *store, &options)
                .await?
                .map(Report::Hash)
        }
    })
}

/// Turns traps caused by our own limits into errors that say so.
fn classify(
    rt: &Runtime,
    backend: &Backend,
    result: wasmtime::Result<Result<Report, wit::WorkloadError>>,
    memory_cap_hit: bool,
) -> Result<Report, Failure> {
    match result {
        Ok(Ok(report)) => Ok(report),
        Ok(Err(e)) => Err(Failure::Guest(e)),
        Err(_) if memory_cap_hit => Err(Failure::Host(
            HostError::OutOfMemory {
                mib: (rt.options.memory_limit >> 20) as u64,
            }
            .into(),
        )),
        Err(e) if e.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt) => {
            Err(Failure::Host(
                HostError::Timeout {
                    seconds: rt.options.timeout.as_secs_f64(),
                    pending: pending_requests(backend),
                }
                .into(),
            ))
        }
        Err(e) => Err(Failure::Host(anyhow::anyhow!("the core trapped: {e:?}"))),
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

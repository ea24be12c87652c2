//! The docproc component over a directory (local or a mount) or over S3 (Backend::S3).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use aws_sdk_s3::Client;
use docproc_host::report::{HashReport, InboxReport, WalkReport};
use docproc_host::s3::S3Backend;
use docproc_host::{Backend, Claims, Job, Report, RunReport, Runtime, Shard, Shards};

use crate::s3::Place;

/// A fresh S3 backend at `place`: a new file system, so a new (cold) metadata cache.
pub fn s3_backend(client: Client, place: &Place) -> Backend {
    let config = docproc_s3fs_config(place);
    Backend::S3(Arc::new(S3Backend {
        url: place.url().trim_end_matches('/').to_string(),
        fs: docproc_s3fs::S3Fs::new(client, config),
    }))
}

fn docproc_s3fs_config(place: &Place) -> docproc_s3fs::Config {
    docproc_s3fs::Config {
        bucket: place.bucket.clone(),
        prefix: place.prefix.clone(),
        ..docproc_s3fs::Config::default()
    }
}

pub fn local_backend(dir: PathBuf) -> Backend {
    Backend::Local(dir)
}

/// How many component instances a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instances {
    /// One instance does all the work: like for like with the native build.
    One,
    /// The shards and parallelism the CLI uses unless told otherwise: what a user gets.
    AsDeployed,
}

/// Phase times in a sharded run's report are summed over its instances; its wall time is
/// the elapsed time of the whole run.
pub async fn run(
    rt: &Arc<Runtime>,
    backend: &Backend,
    job: &Job,
    instances: Instances,
) -> Result<RunReport> {
    match instances {
        Instances::One => docproc_host::run(rt, backend, job, Shard::ALL).await,
        Instances::AsDeployed => {
            let shards = Shards::choose(job, backend, None, None, None);
            docproc_host::run_job(
                Arc::clone(rt),
                Arc::new(backend.clone()),
                job.clone(),
                shards,
                |_| {},
            )
            .await
        }
    }
}

/// `claims` as the CLI's: `Some(Claims::default())` unless told `--no-claims`.
pub async fn process_inbox(
    rt: &Arc<Runtime>,
    backend: &Backend,
    root: &str,
    instances: Instances,
    claims: Option<Claims>,
) -> Result<(InboxReport, RunReport)> {
    let job = Job::ProcessInbox {
        root: root.to_owned(),
        chunk_size: 0,
        claims,
        only: None,
    };
    let report = run(rt, backend, &job, instances).await?;
    match &report.report {
        Report::ProcessInbox(r) => Ok((r.clone(), report)),
        _ => unreachable!("process-inbox returns its own report"),
    }
}

pub async fn walk(
    rt: &Arc<Runtime>,
    backend: &Backend,
    root: &str,
    instances: Instances,
) -> Result<(WalkReport, RunReport)> {
    let job = Job::Walk {
        root: root.to_owned(),
    };
    let report = run(rt, backend, &job, instances).await?;
    match &report.report {
        Report::Walk(r) => Ok((*r, report)),
        _ => unreachable!("walk returns its own report"),
    }
}

pub async fn hash(
    rt: &Arc<Runtime>,
    backend: &Backend,
    root: &str,
    out_dir: &str,
    instances: Instances,
) -> Result<(HashReport, RunReport)> {
    let job = Job::Hash {
        root: root.to_owned(),
        out_dir: out_dir.to_owned(),
        chunk_size: 0,
    };
    let report = run(rt, backend, &job, instances).await?;
    match &report.report {
        Report::Hash(r) => Ok((r.clone(), report)),
        _ => unreachable!("hash returns its own report"),
    }
}

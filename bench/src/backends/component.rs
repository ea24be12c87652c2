//! The docproc component over a directory (local or a mount) or over S3 (Backend::S3).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use aws_sdk_s3::Client;
use docproc_host::report::{HashReport, InboxReport, WalkReport};
use docproc_host::s3::S3Backend;
use docproc_host::{Backend, Job, Report, RunReport, Runtime, Shard};

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

pub async fn run(rt: &Runtime, backend: &Backend, job: &Job) -> Result<RunReport> {
    docproc_host::run(rt, backend, job, Shard::ALL).await
}

pub async fn process_inbox(
    rt: &Runtime,
    backend: &Backend,
    root: &str,
) -> Result<(InboxReport, RunReport)> {
    let job = Job::ProcessInbox {
        root: root.to_owned(),
        chunk_size: 0,
        claims: None,
    };
    let report = run(rt, backend, &job).await?;
    match &report.report {
        Report::ProcessInbox(r) => Ok((r.clone(), report)),
        _ => unreachable!("process-inbox returns its own report"),
    }
}

pub async fn walk(rt: &Runtime, backend: &Backend, root: &str) -> Result<(WalkReport, RunReport)> {
    let job = Job::Walk {
        root: root.to_owned(),
    };
    let report = run(rt, backend, &job).await?;
    match &report.report {
        Report::Walk(r) => Ok((*r, report)),
        _ => unreachable!("walk returns its own report"),
    }
}

pub async fn hash(
    rt: &Runtime,
    backend: &Backend,
    root: &str,
    out_dir: &str,
) -> Result<(HashReport, RunReport)> {
    let job = Job::Hash {
        root: root.to_owned(),
        out_dir: out_dir.to_owned(),
        chunk_size: 0,
    };
    let report = run(rt, backend, &job).await?;
    match &report.report {
        Report::Hash(r) => Ok((r.clone(), report)),
        _ => unreachable!("hash returns its own report"),
    }
}

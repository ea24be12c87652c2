//! S3 as the core's file system, through the S3 API: no mount, no FUSE, no
//! VPC. `docproc-s3fs` does the file system; this module only maps
//! `wasi:filesystem` onto it.

mod bindings;
mod descriptor;
mod errors;
mod host;
mod open_rules;
mod path;
mod streams;

use std::sync::Arc;

use anyhow::{Context, Result};
use aws_sdk_s3::error::ProvideErrorMetadata;
use docproc_s3fs::{Config, S3Fs};
use tokio::task::JoinHandle;
use wasmtime::Store;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksCtx, WasiClocksCtxView, WasiClocksView};

use crate::bindings::Docproc;
use crate::limits::MemoryCap;
use crate::runtime::Runtime;

pub use docproc_s3fs::MetricsSnapshot;

/// Where to find the bucket: `s3://bucket/prefix` plus client settings.
#[derive(Debug, Clone, Default)]
pub struct S3Target {
    pub url: String,
    /// A local or S3-compatible server; the AWS chain decides otherwise.
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    /// Path-style addressing, which most S3-compatible servers need.
    pub force_path_style: bool,
    /// Create the bucket when it does not exist (demos and benchmarks).
    pub create_bucket: bool,
}

pub struct S3Backend {
    pub url: String,
    pub fs: S3Fs,
}

impl S3Backend {
    /// Parses the URL, builds a client from the standard AWS chain and checks
    /// that the bucket answers, so a typo fails here with the bucket's name.
    pub async fn connect(target: &S3Target, tune: impl FnOnce(&mut Config)) -> Result<S3Backend> {
        let (bucket, prefix) = parse_url(&target.url)?;
        let client = docproc_s3fs::client_from_env(
            target.endpoint_url.as_deref(),
            target.region.as_deref(),
            target.force_path_style,
        )
        .await;
        // A one-key listing under the prefix, not HeadBucket: AWS authorises HeadBucket as
        // s3:ListBucket with no s3:prefix, which a role scoped to the prefix is refused.
        let check = client
            .list_objects_v2()
            .bucket(&bucket)
            .prefix(&prefix)
            .max_keys(1)
            .send()
            .await;
        match check {
            Ok(_) => {}
            Err(e) if target.create_bucket && status_of(&e) == Some(404) => {
                client
                    .create_bucket()
                    .bucket(&bucket)
                    .send()
                    .await
                    .map_err(|e| {
                        // S3's own code and message say it best ("InvalidBucketName: ...");
                        // the SDK's full context is for failures without one.
                        let why = match e.as_service_error() {
                            Some(s) => format!(
                                "{}: {}",
                                s.code().unwrap_or("error"),
                                s.message().unwrap_or("")
                            ),
                            None => no_answer(&e),
                        };
                        anyhow::anyhow!("s3://{bucket}: cannot create the bucket: {why}")
                    })?;
            }
            Err(e) => {
                let why = match status_of(&e) {
                    Some(404) => "no such bucket".to_string(),
                    Some(403) => format!(
                        "access denied to s3:ListBucket under '{prefix}' (check credentials and policy)"
                    ),
                    Some(code) => format!("HTTP {code}"),
                    None => no_answer(&e),
                };
                anyhow::bail!("s3://{bucket}: {why}");
            }
        }
        let mut config = Config {
            bucket,
            prefix,
            ..Config::default()
        };
        tune(&mut config);
        Ok(S3Backend {
            url: target.url.trim_end_matches('/').to_string(),
            fs: S3Fs::new(client, config),
        })
    }

    pub fn locate(&self, rel: &str) -> String {
        if rel.is_empty() {
            self.url.clone()
        } else {
            format!("{}/{rel}", self.url)
        }
    }
}

fn status_of<E>(e: &aws_sdk_s3::error::SdkError<E>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}

/// Why a request got no answer, in words a user can act on.
fn no_answer(e: &(dyn std::error::Error + 'static)) -> String {
    let detail = aws_sdk_s3::error::DisplayErrorContext(e).to_string();
    if detail.contains("loading credentials") || detail.contains("no credentials") {
        "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, \
         or run with an IAM role"
            .to_string()
    } else {
        format!("cannot reach S3: {detail}")
    }
}

/// `s3://bucket` or `s3://bucket/some/prefix` -> (bucket, "some/prefix/").
pub fn parse_url(url: &str) -> Result<(String, String)> {
    let rest = url
        .strip_prefix("s3://")
        .with_context(|| format!("{url}: an S3 location looks like s3://bucket/prefix"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        anyhow::bail!("{url}: the bucket name is missing");
    }
    let prefix = prefix.trim_matches('/');
    let prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    Ok((bucket.to_string(), prefix))
}

pub struct S3State {
    table: ResourceTable,
    clocks: WasiClocksCtx,
    fs: S3Fs,
    pub(crate) cap: MemoryCap,
    /// Uploads of files the guest closed without syncing; awaited before
    /// the run reports success.
    closing: Vec<JoinHandle<Result<(), docproc_s3fs::Error>>>,
    /// S3 failures the guest saw only as error codes.
    pub(crate) noted: errors::Noted,
}

impl S3State {
    /// Waits for uploads still in flight; the first failure is the run's.
    pub(crate) async fn settle(&mut self) -> Result<()> {
        let mut first = None;
        for task in self.closing.drain(..) {
            if let Err(e) = task.await.context("an upload task panicked")? {
                first.get_or_insert(e);
            }
        }
        match first {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }
}

impl wasmtime_wasi_io::IoView for S3State {
    fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }
}

impl WasiClocksView for S3State {
    fn clocks(&mut self) -> WasiClocksCtxView<'_> {
        WasiClocksCtxView {
            ctx: &mut self.clocks,
            table: &mut self.table,
        }
    }
}

fn linker(rt: &Runtime) -> Result<Linker<S3State>> {
    let mut l: Linker<S3State> = Linker::new(&rt.engine);
    wasmtime_wasi_io::add_to_linker_async(&mut l)?;
    wasmtime_wasi::p2::bindings::clocks::wall_clock::add_to_linker::<_, WasiClocks>(&mut l, |t| {
        t.clocks()
    })?;
    bindings::wasi::filesystem::types::add_to_linker::<_, HasSelf<S3State>>(&mut l, |t| t)?;
    bindings::wasi::filesystem::preopens::add_to_linker::<_, HasSelf<S3State>>(&mut l, |t| t)?;
    Ok(l)
}

pub async fn instantiate(
    rt: &Runtime,
    backend: &Arc<S3Backend>,
) -> Result<(Store<S3State>, Docproc)> {
    let state = S3State {
        table: ResourceTable::new(),
        clocks: crate::clock::guest_clocks(backend.fs.clock()),
        fs: backend.fs.clone(),
        cap: MemoryCap::new(rt.options.memory_limit),
        closing: Vec::new(),
        noted: errors::Noted::default(),
    };
    rt.instantiate(state, |s| &mut s.cap, linker(rt)?).await
}

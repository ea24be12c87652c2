//! Peak memory of hashing a file far larger than the memory limit (issue 7): a child
//! process of ours hashes it and reports its VmHWM from /proc/self/status.

use std::process::Command;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use docproc_host::{ComponentSource, Runtime, RuntimeOptions};
use serde::{Deserialize, Serialize};

use crate::backends::component::{self, Instances};
use crate::cli::RssProbeArgs;
use crate::context::Ctx;
use crate::report::model::RssRow;
use crate::s3::{Creds, Place, Retries, S3Conn};
use crate::stats::mib_per_s;

#[derive(Serialize, Deserialize)]
struct ProbeOutput {
    baseline_kib: u64,
    peak_kib: u64,
    bytes: u64,
    read_ms: f64,
}

fn vm_hwm_kib() -> u64 {
    hwm_kib("/proc/self/status")
}

/// VmHWM from a `/proc/<pid>/status`; 0 once the process is gone.
pub(crate) fn hwm_kib(status: &str) -> u64 {
    std::fs::read_to_string(status)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The child: load the runtime, note VmHWM, hash, note VmHWM again, print JSON.
pub fn probe_main(args: &RssProbeArgs) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let rt = Runtime::new(
            &ComponentSource::Embedded,
            RuntimeOptions {
                memory_limit: args.memory_limit_mib << 20,
                ..RuntimeOptions::default()
            },
        )?;
        let backend = match (&args.dir, &args.s3) {
            (Some(dir), _) => component::local_backend(dir.clone()),
            (None, Some(url)) => {
                let (bucket, prefix) = docproc_host::s3::parse_url(url)?;
                let env = |k: &str| std::env::var(k).with_context(|| format!("{k} is not set"));
                let conn = S3Conn {
                    endpoint: args.endpoint_url.clone(),
                    region: env("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()),
                    creds: match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
                        (Ok(access_key), Ok(secret_key)) => Some(Creds {
                            access_key,
                            secret_key,
                        }),
                        _ => None,
                    },
                };
                component::s3_backend(
                    conn.client(None, Retries::Docproc).await,
                    &Place::new(&bucket, &prefix),
                )
            }
            (None, None) => bail!("give --dir or --s3"),
        };
        let baseline_kib = vm_hwm_kib();
        let (report, _) = component::hash(
            &Arc::new(rt),
            &backend,
            &args.root,
            &args.out_dir,
            Instances::AsDeployed,
        )
        .await?;
        let out = ProbeOutput {
            baseline_kib,
            peak_kib: vm_hwm_kib(),
            bytes: report.bytes,
            read_ms: report.read_ms,
        };
        println!("{}", serde_json::to_string(&out)?);
        Ok(())
    })
}

/// The parent: one child over a sparse local file, one over the hash files in S3.
pub async fn run(ctx: &Ctx, bar: &indicatif::ProgressBar) -> Vec<RssRow> {
    let limit = ctx.settings.rss_memory_limit_mib;
    let mut rows = Vec::new();
    let local = ctx.work.join("rss");
    let bytes = ctx.settings.rss_file_bytes;
    let local_row = match crate::seed::sparse_file(&local.join("data/big.bin"), bytes) {
        Ok(()) => probe(
            &[
                "--dir",
                &local.display().to_string(),
                "--root",
                "data",
                "--out-dir",
                "digests-rss",
            ],
            limit,
            None,
        ),
        Err(e) => Err(e),
    };
    rows.push(row(
        "local directory (sparse file)",
        bytes,
        limit,
        local_row,
    ));
    bar.inc(1);
    if ctx
        .settings
        .backends
        .contains(&crate::backends::BackendKind::Docproc)
    {
        let large = &ctx.large;
        let mut args = vec![
            "--s3".to_string(),
            large.url(),
            "--root".into(),
            super::hash::ROOT.into(),
            "--out-dir".into(),
            "digests-rss".into(),
        ];
        if let Some(e) = &ctx.conn.endpoint {
            args.extend(["--endpoint-url".to_string(), e.clone()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let result = probe(&args, limit, Some(ctx));
        rows.push(row(
            &format!("docproc S3 host ({} files)", ctx.settings.hash_files),
            ctx.settings.hash_file_bytes,
            limit,
            result,
        ));
    }
    bar.inc(1);
    rows
}

fn row(backend: &str, file_bytes: u64, limit: usize, result: Result<ProbeOutput>) -> RssRow {
    match result {
        Ok(o) => RssRow {
            backend: backend.into(),
            file_bytes,
            memory_limit_mib: limit,
            baseline_kib: o.baseline_kib,
            peak_kib: o.peak_kib,
            read_mib_s: mib_per_s(o.bytes, o.read_ms),
            error: None,
        },
        Err(e) => RssRow {
            backend: backend.into(),
            file_bytes,
            memory_limit_mib: limit,
            baseline_kib: 0,
            peak_kib: 0,
            read_mib_s: f64::NAN,
            error: Some(format!("{e:#}")),
        },
    }
}

fn probe(args: &[&str], limit_mib: usize, s3: Option<&Ctx>) -> Result<ProbeOutput> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(&exe);
    cmd.arg("rss-probe")
        .args(args)
        .arg("--memory-limit-mib")
        .arg(limit_mib.to_string());
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    if let Some(ctx) = s3 {
        cmd.env("AWS_REGION", &ctx.conn.region);
        if let Some(c) = &ctx.conn.creds {
            cmd.env("AWS_ACCESS_KEY_ID", &c.access_key)
                .env("AWS_SECRET_ACCESS_KEY", &c.secret_key);
        }
    }
    let out = tokio::task::block_in_place(|| cmd.output())
        .with_context(|| format!("running {}", exe.display()))?;
    if !out.status.success() {
        bail!(
            "the probe failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    serde_json::from_str(line).with_context(|| format!("the probe printed {line:?}"))
}

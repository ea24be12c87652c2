//! The server's own limits, with aws-sdk-s3 and nothing else: how fast it lists the walk
//! tree, and how fast it serves the hash files to parallel ranged GETs. Beside them, the
//! read path of docproc's S3 file system alone (no component, no hashing), so its share of
//! the server's limit is seen apart from the cost of SHA-256. And coreutils `sha256sum` on
//! every core over the local copy: the hash a shell user would run.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result};
use aws_sdk_s3::Client;
use futures::{StreamExt, TryStreamExt};

use crate::backends::BackendKind;
use crate::context::{Ctx, Data, Pass};
use crate::report::model::Raw;
use crate::s3::{Place, Retries, list_all, sdk_err};
use crate::stats::{Samples, mib_per_s};

const RANGE: u64 = 8 << 20;
const IN_FLIGHT: [usize; 3] = [4, 8, 16];

pub async fn run(ctx: &Ctx, pass: &Pass<'_>, with_gets: bool) -> Result<Raw> {
    let client = ctx.client_for(pass, Retries::Docproc).await;
    let place = ctx.place(BackendKind::Docproc, Data::Small);
    let mut raw = Raw {
        list_sweep_ms: Samples::default(),
        ..Raw::default()
    };
    // One untimed request first: the sweeps measure listing, not connecting.
    list_all(&client, &place.bucket, &place.key("no-such-prefix/")).await?;
    for _ in 0..pass.runs.max(1) {
        let started = Instant::now();
        let keys = list_all(
            &client,
            &place.bucket,
            &place.key(&format!("{}/", super::walk::ROOT)),
        )
        .await?;
        raw.list_sweep_ms
            .push(started.elapsed().as_secs_f64() * 1000.0);
        raw.list_keys = keys.len() as u64;
    }
    if with_gets {
        let large = ctx.place(BackendKind::Docproc, Data::Large);
        let objects = list_all(
            &client,
            &large.bucket,
            &large.key(&format!("{}/", super::hash::ROOT)),
        )
        .await?;
        let total: u64 = objects.iter().map(|(_, n)| n).sum();
        raw.get_bytes = total;
        // The best of a few concurrency levels: the server's limit, not one client setting's.
        for in_flight in IN_FLIGHT {
            let started = Instant::now();
            parallel_gets(&client, &large, &objects, in_flight).await?;
            let mib_s = mib_per_s(total, started.elapsed().as_secs_f64() * 1000.0);
            if raw.parallel_get_mib_s.is_none_or(|best| mib_s > best) {
                raw.parallel_get_mib_s = Some(mib_s);
                raw.parallel_get_in_flight = in_flight;
            }
        }
        let started = Instant::now();
        for (key, _) in &objects {
            single_get(&client, &large.bucket, key).await?;
        }
        raw.single_get_mib_s = Some(mib_per_s(total, started.elapsed().as_secs_f64() * 1000.0));
        let fs = docproc_s3fs::S3Fs::new(
            client.clone(),
            docproc_s3fs::Config {
                bucket: large.bucket.clone(),
                prefix: large.prefix.clone(),
                ..docproc_s3fs::Config::default()
            },
        );
        let started = Instant::now();
        let read = s3fs_reads(&fs, super::hash::ROOT).await?;
        anyhow::ensure!(
            read == total,
            "read {read} bytes through S3Fs, expected {total}"
        );
        raw.s3fs_read_mib_s = Some(mib_per_s(total, started.elapsed().as_secs_f64() * 1000.0));
        let local = ctx.local_root.join(super::hash::ROOT);
        if local.is_dir() {
            let procs = std::thread::available_parallelism().map_or(1, |n| n.get());
            let mib_s = tokio::task::block_in_place(|| sha256sum(&local, procs))?;
            raw.sha256sum_mib_s = Some(mib_s);
            raw.sha256sum_procs = procs;
        }
    }
    Ok(raw)
}

/// What a shell user runs instead of docproc: coreutils `sha256sum`, one process per file,
/// `procs` at once (`xargs -P`). Returns MiB/s over the files' total size.
fn sha256sum(dir: &Path, procs: usize) -> Result<f64> {
    use std::io::Write;
    let mut files = Vec::new();
    let mut bytes = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        bytes += entry.metadata()?.len();
        files.push(entry.path());
    }
    let started = Instant::now();
    let mut child = Command::new("xargs")
        .args(["-0", "-n", "1", "-P", &procs.to_string(), "sha256sum"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("running xargs sha256sum")?;
    let mut stdin = child.stdin.take().context("xargs has no stdin")?;
    for f in &files {
        stdin.write_all(f.as_os_str().as_encoded_bytes())?;
        stdin.write_all(b"\0")?;
    }
    drop(stdin);
    let status = child.wait()?;
    anyhow::ensure!(
        status.success(),
        "sha256sum over {} failed: {status}",
        dir.display()
    );
    Ok(mib_per_s(bytes, started.elapsed().as_secs_f64() * 1000.0))
}

/// Every object in 8 MiB ranges, `in_flight` at a time across all of them, bytes counted and
/// dropped.
async fn parallel_gets(
    client: &Client,
    place: &Place,
    objects: &[(String, u64)],
    in_flight: usize,
) -> Result<u64> {
    let ranges = objects.iter().flat_map(|(key, size)| {
        (0..size.div_ceil(RANGE))
            .map(move |i| (key.clone(), i * RANGE, ((i + 1) * RANGE).min(*size) - 1))
    });
    let sizes: Vec<u64> = futures::stream::iter(ranges)
        .map(|(key, first, last)| async move {
            let out = client
                .get_object()
                .bucket(&place.bucket)
                .key(&key)
                .range(format!("bytes={first}-{last}"))
                .send()
                .await
                .map_err(sdk_err)
                .with_context(|| format!("GetObject {key} range {first}-{last}"))?;
            drain(out.body).await
        })
        .buffer_unordered(in_flight)
        .try_collect()
        .await?;
    Ok(sizes.iter().sum())
}

/// Every file below `dir` read front to back in the core's hash chunks, all files at once as
/// the sharded hash run reads them, bytes counted and dropped.
async fn s3fs_reads(fs: &docproc_s3fs::S3Fs, dir: &str) -> Result<u64> {
    let files = fs.read_dir(dir).await?;
    let sizes: Vec<u64> = futures::stream::iter(files)
        .map(|entry| async move {
            let path = format!("{dir}/{}", entry.name);
            let mut reader = fs.open_read(&path).await?;
            let mut offset = 0u64;
            loop {
                let chunk = reader
                    .read(offset, docproc_core::hash::DEFAULT_CHUNK)
                    .await
                    .with_context(|| format!("reading {path} at {offset}"))?;
                if chunk.is_empty() {
                    return anyhow::Ok(offset);
                }
                offset += chunk.len() as u64;
            }
        })
        .buffer_unordered(docproc_host::hash_parallel() * docproc_core::hash::LANES)
        .try_collect()
        .await?;
    Ok(sizes.iter().sum())
}

async fn single_get(client: &Client, bucket: &str, key: &str) -> Result<u64> {
    drain(crate::s3::get_body(client, bucket, key).await?).await
}

async fn drain(mut body: aws_sdk_s3::primitives::ByteStream) -> Result<u64> {
    let mut n = 0;
    while let Some(chunk) = body.try_next().await.map_err(sdk_err)? {
        n += chunk.len() as u64;
    }
    Ok(n)
}

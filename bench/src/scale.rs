//! `docproc-bench scale`: what a run costs beside a bucket's history (issue 14).
//!
//! One local SeaweedFS, one bucket, two roots: `empty/` and `history/`, whose `processed/`
//! holds `--keys` objects (a document and its metadata, as years of runs leave them). Each
//! run of process-inbox gets the same fresh `inbox/` of `--docs` documents in both roots,
//! and runs the real `docproc` binary with its defaults, start-up included, through
//! docproc-s3proxy, which counts its requests. The walk of `history/processed/` is set
//! beside the raw sweeps a client could do instead: one flat ListObjectsV2, and a
//! delimited listing per directory, both through the same proxy.
//!
//! Last, one inbox of `--inbox-docs` documents and one a tenth its size are each processed
//! in one run on loopback: the time per document must stay flat as the inbox grows.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use aws_sdk_s3::Client;
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use crate::cli::ScaleArgs;
use crate::mounts::proxy::LatencyProxy;
use crate::mounts::server::LocalServer;
use crate::mounts::workdir::WorkDir;
use crate::s3::{Place, Retries, S3Conn, ensure_bucket, list_all, sdk_err};
use crate::stats::Samples;
use crate::{seed, ui};

const BUCKET: &str = "bench-scale";

/// One measured run of the docproc binary.
#[derive(Clone, Copy, Debug, Serialize)]
struct Cost {
    wall_ms: f64,
    requests: u64,
    peak_rss_mib: f64,
}

#[derive(Debug, Default, Serialize)]
struct Costs {
    wall_ms: Samples,
    requests: Samples,
    peak_rss_mib: Samples,
}

impl Costs {
    fn push(&mut self, c: Cost) {
        self.wall_ms.push(c.wall_ms);
        self.requests.push(c.requests as f64);
        self.peak_rss_mib.push(c.peak_rss_mib);
    }
}

#[derive(Debug, Serialize)]
struct InboxRow {
    latency_ms: u64,
    empty: Costs,
    history: Costs,
}

#[derive(Debug, Serialize)]
struct WalkRow {
    latency_ms: u64,
    docproc: Costs,
    flat_sweep_ms: Samples,
    delimited_sweep_ms: Samples,
}

/// One inbox of `docs` documents processed in one run, on loopback.
#[derive(Debug, Serialize)]
struct BigInboxRow {
    docs: usize,
    cost: Cost,
}

impl BigInboxRow {
    fn ms_per_doc(&self) -> f64 {
        self.cost.wall_ms / self.docs as f64
    }
}

#[derive(Debug, Serialize)]
struct ScaleResults {
    keys: u64,
    docs: usize,
    seed_keys_per_s: f64,
    inbox: Vec<InboxRow>,
    walk: Vec<WalkRow>,
    big_inbox: Vec<BigInboxRow>,
}

pub async fn run(args: ScaleArgs) -> Result<()> {
    let repo = crate::workloads::repo_root();
    let script = repo.join("scripts/s3-server");
    let docproc = docproc_bin(args.docproc_bin.as_deref())?;
    let work = WorkDir::create(args.work_dir.as_deref(), false)?;
    work.start_watchdog(&script, None)?;
    let server = tokio::task::block_in_place(|| LocalServer::start(&script, &work.join("server")))?;
    ui::log(format!("S3 server at {}", server.endpoint));
    let conn = S3Conn {
        endpoint: Some(server.endpoint.clone()),
        region: server.region.clone(),
        creds: Some(server.creds.clone()),
    };
    let client = conn.client(None, Retries::Docproc).await;
    ensure_bucket(&client, BUCKET).await?;
    let empty = Place::new(BUCKET, "empty");
    let history = Place::new(BUCKET, "history");

    let seed_rate = seed_history(&client, &history, args.keys).await?;
    let mut results = ScaleResults {
        keys: args.keys,
        docs: args.docs,
        seed_keys_per_s: seed_rate,
        inbox: Vec::new(),
        walk: Vec::new(),
        big_inbox: Vec::new(),
    };
    let runner = Runner {
        docproc,
        server: &server,
    };
    let mut latencies = vec![0];
    if args.latency_ms > 0 {
        latencies.push(args.latency_ms);
    }
    for latency_ms in latencies {
        let proxy = LatencyProxy::start(server.s3_addr()?, Duration::from_millis(latency_ms))?;
        let mut row = InboxRow {
            latency_ms,
            empty: Costs::default(),
            history: Costs::default(),
        };
        let bar = ui::bar(
            u64::from(args.runs) * 2,
            format!("process-inbox, +{latency_ms} ms"),
        );
        for _ in 0..args.runs {
            // Alternated, so drift on the machine falls on both alike.
            for (place, costs) in [(&empty, &mut row.empty), (&history, &mut row.history)] {
                seed::inbox_s3(&client, place, "", args.docs).await?;
                costs.push(runner.run(&proxy, &["process", "--s3", &place.url()])?);
                bar.inc(1);
            }
        }
        bar.finish_and_clear();
        results.inbox.push(row);

        let mut walk = WalkRow {
            latency_ms,
            docproc: Costs::default(),
            flat_sweep_ms: Samples::default(),
            delimited_sweep_ms: Samples::default(),
        };
        let swept = conn.client(Some(&proxy.endpoint()), Retries::Docproc).await;
        let processed = history.key("processed/");
        let bar = ui::bar(u64::from(args.runs), format!("walk, +{latency_ms} ms"));
        for _ in 0..args.runs {
            let url = history.url();
            let walked = ["walk", "--s3", &url, "--root", "processed"];
            walk.docproc.push(runner.run(&proxy, &walked)?);
            let started = Instant::now();
            let flat = list_all(&swept, BUCKET, &processed).await?;
            walk.flat_sweep_ms.push(ms(started));
            let started = Instant::now();
            let delimited = list_delimited(&swept, BUCKET, &processed).await?;
            walk.delimited_sweep_ms.push(ms(started));
            if flat.len() != delimited {
                bail!(
                    "the two sweeps disagree: {} and {delimited} keys",
                    flat.len()
                );
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
        results.walk.push(walk);
    }

    if args.inbox_docs > 0 {
        let proxy = LatencyProxy::start(server.s3_addr()?, Duration::ZERO)?;
        // A tenth first: the time per document must not grow with the inbox.
        for docs in [args.inbox_docs / 10, args.inbox_docs] {
            let place = Place::new(BUCKET, &format!("inbox-{docs}"));
            let bar = ui::bar(1, format!("process-inbox of {docs} documents"));
            seed::inbox_s3(&client, &place, "", docs).await?;
            let cost = runner.run(&proxy, &["process", "--s3", &place.url()])?;
            bar.finish_and_clear();
            results.big_inbox.push(BigInboxRow { docs, cost });
        }
    }

    let table = render(&results);
    println!("{table}");
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("scale.md"), &table)?;
    std::fs::write(
        args.out.join("scale.json"),
        serde_json::to_string_pretty(&results)?,
    )?;
    ui::log(format!("wrote {}/scale.{{md,json}}", args.out.display()));
    Ok(())
}

/// The `docproc` binary built beside this one, unless told otherwise.
pub(crate) fn docproc_bin(given: Option<&Path>) -> Result<PathBuf> {
    let path = match given {
        Some(p) => p.to_path_buf(),
        None => std::env::current_exe()?
            .parent()
            .context("the benchmark's own path has no directory")?
            .join("docproc"),
    };
    if !path.is_file() {
        bail!(
            "{}: no docproc binary there (make build, or pass --docproc-bin)",
            path.display()
        );
    }
    Ok(path)
}

/// `keys` objects under `processed/`: half documents, half their metadata, small bodies
/// (a run that looks only at its own documents never reads them). Returns keys per second.
async fn seed_history(client: &Client, place: &Place, keys: u64) -> Result<f64> {
    let bar = ui::bar(keys, format!("seeding {keys} keys of history"));
    let started = Instant::now();
    futures::stream::iter(0..keys)
        .map(|i| {
            let name = format!("old-{:08}.txt", i / 2);
            let rel = if i % 2 == 0 {
                format!("processed/{name}")
            } else {
                format!("processed/{}", docproc_host::layout::meta_name(&name))
            };
            let key = place.key(&rel);
            let bar = &bar;
            async move {
                seed::put(client, BUCKET, &key, rel.into_bytes()).await?;
                bar.inc(1);
                Ok::<_, anyhow::Error>(())
            }
        })
        .buffer_unordered(seed::PUT_CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await?;
    bar.finish_and_clear();
    let rate = keys as f64 / started.elapsed().as_secs_f64().max(1e-9);
    ui::log(format!("seeded {keys} keys at {rate:.0} keys/s"));
    Ok(rate)
}

/// Keys below `prefix`, found as a file system's walk finds them: each directory listed
/// with a delimiter, its subdirectories after it.
async fn list_delimited(client: &Client, bucket: &str, prefix: &str) -> Result<usize> {
    let mut dirs = vec![prefix.to_owned()];
    let mut keys = 0;
    while let Some(dir) = dirs.pop() {
        let mut pages = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(&dir)
            .delimiter("/")
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page
                .map_err(sdk_err)
                .with_context(|| format!("listing {dir}"))?;
            keys += page.contents().len();
            dirs.extend(
                page.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_owned)),
            );
        }
    }
    Ok(keys)
}

struct Runner<'a> {
    docproc: PathBuf,
    server: &'a LocalServer,
}

impl Runner<'_> {
    /// One run of `docproc <args>` against the server through `proxy`: wall time from spawn
    /// to exit, the requests the proxy saw, and the child's peak RSS.
    fn run(&self, proxy: &LatencyProxy, args: &[&str]) -> Result<Cost> {
        let before = proxy.stats();
        let mut cmd = Command::new(&self.docproc);
        cmd.args(args)
            .env("AWS_ENDPOINT_URL", proxy.endpoint())
            .env("AWS_ACCESS_KEY_ID", &self.server.creds.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &self.server.creds.secret_key)
            .env("AWS_REGION", &self.server.region)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let (status, wall_ms, peak_rss_mib, stderr) =
            tokio::task::block_in_place(|| wait_measured(cmd))?;
        if !status.success() {
            bail!("docproc {} failed ({status}):\n{stderr}", args.join(" "));
        }
        Ok(Cost {
            wall_ms,
            requests: (&proxy.stats() - &before).requests,
            peak_rss_mib,
        })
    }
}

/// Spawns `cmd` and returns its exit, wall time, peak RSS and stderr.
///
/// The peak is the child's own VmHWM, read while it runs. Its rusage cannot say: Linux hands
/// an exec'd child the peak RSS of the process that spawned it, and this one holds a million
/// listed keys by the walk's sweeps.
fn wait_measured(mut cmd: Command) -> Result<(std::process::ExitStatus, f64, f64, String)> {
    use std::io::Read;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let started = Instant::now();
    let mut child = cmd.spawn().context("starting docproc")?;
    let exited = Arc::new(AtomicBool::new(false));
    let poller = {
        let (status, exited) = (format!("/proc/{}/status", child.id()), Arc::clone(&exited));
        std::thread::spawn(move || {
            let mut peak = 0;
            while !exited.load(Ordering::Relaxed) {
                peak = peak.max(crate::workloads::rss::hwm_kib(&status));
                std::thread::sleep(Duration::from_millis(5));
            }
            peak
        })
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        pipe.read_to_string(&mut stderr)?;
    }
    let status = child.wait().context("waiting for docproc")?;
    let wall_ms = ms(started);
    exited.store(true, Ordering::Relaxed);
    let peak_kib = poller
        .join()
        .map_err(|_| anyhow::anyhow!("the RSS poller panicked"))?;
    Ok((status, wall_ms, peak_kib as f64 / 1024.0, stderr))
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn render(r: &ScaleResults) -> String {
    let mut out = format!(
        "## scale: {} keys of history, {} new documents (median of runs)\n\n\
         Seeded at {:.0} keys/s.\n\n\
         | latency | processed/ | wall | requests | peak RSS | wall vs empty |\n\
         | --- | --- | ---: | ---: | ---: | ---: |\n",
        r.keys, r.docs, r.seed_keys_per_s
    );
    for row in &r.inbox {
        let base = row.empty.wall_ms.median();
        for (label, c) in [("empty", &row.empty), ("history", &row.history)] {
            out.push_str(&format!(
                "| +{} ms | {label} | {:.0} ms | {:.0} | {:.0} MiB | {:.2}x |\n",
                row.latency_ms,
                c.wall_ms.median(),
                c.requests.median(),
                c.peak_rss_mib.median(),
                c.wall_ms.median() / base
            ));
        }
    }
    out.push_str(&format!(
        "\n| latency | walk of {} keys | flat sweep | delimited sweep | vs faster sweep | peak RSS |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |\n",
        r.keys
    ));
    for row in &r.walk {
        let raw = row
            .flat_sweep_ms
            .median()
            .min(row.delimited_sweep_ms.median());
        out.push_str(&format!(
            "| +{} ms | {:.0} ms | {:.0} ms | {:.0} ms | {:.2}x | {:.0} MiB |\n",
            row.latency_ms,
            row.docproc.wall_ms.median(),
            row.flat_sweep_ms.median(),
            row.delimited_sweep_ms.median(),
            row.docproc.wall_ms.median() / raw,
            row.docproc.peak_rss_mib.median()
        ));
    }
    if let Some(small) = r.big_inbox.first() {
        out.push_str(
            "\n| inbox, +0 ms, one run | wall | per document | requests | peak RSS | per document vs a tenth |\n\
             | --- | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for row in &r.big_inbox {
            out.push_str(&format!(
                "| {} documents | {:.1} s | {:.2} ms | {} | {:.0} MiB | {:.2}x |\n",
                row.docs,
                row.cost.wall_ms / 1000.0,
                row.ms_per_doc(),
                row.cost.requests,
                row.cost.peak_rss_mib,
                row.ms_per_doc() / small.ms_per_doc()
            ));
        }
    }
    out
}

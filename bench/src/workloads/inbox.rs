//! process-inbox: the reference's 20 medium documents, per-phase times, several runs.
//! The component runs with the CLI's defaults, claims on; `--no-claims` is a second run of
//! its own where the caller asks for it.

use anyhow::{Result, bail};
use docproc_host::Claims;

use super::RequestTally;
use crate::backends::component::Instances;
use crate::backends::{BackendKind, component, naive};
use crate::context::{Ctx, Data, Opened, Pass};
use crate::report::model::InboxResult;
use crate::seed;

pub async fn run(
    ctx: &Ctx,
    pass: &Pass<'_>,
    kind: BackendKind,
    claims: Option<Claims>,
    bar: &indicatif::ProgressBar,
) -> Result<InboxResult> {
    let mut r = InboxResult::default();
    let mut tally = RequestTally::default();
    let variant = if claims.is_some() { "" } else { "-no-claims" };
    for run in 1..=pass.runs {
        let root = format!("inbox-{}{variant}-{}-r{run}", kind.id(), pass.id);
        // Seeding goes straight to the server (never through the proxy) and is not timed.
        match kind {
            BackendKind::Local => seed::inbox_local(&ctx.local_root, &root, ctx.settings.docs)?,
            _ => {
                seed::inbox_s3(
                    &ctx.client,
                    &ctx.place(kind, Data::Small),
                    &root,
                    ctx.settings.docs,
                )
                .await?
            }
        }
        if ctx.on_aws && kind == BackendKind::Weed {
            super::settle(ctx).await;
        }
        let opened = ctx
            .open(
                pass,
                kind,
                Data::Small,
                &format!("inbox{variant}-{}-r{run}", pass.id),
            )
            .await?;
        let before = pass.stats();
        match &opened {
            Opened::Component { backend, .. } => {
                let (report, run_report) = component::process_inbox(
                    &ctx.rt,
                    backend,
                    &root,
                    Instances::AsDeployed,
                    claims.clone(),
                )
                .await?;
                let done = report.processed + report.resumed;
                if done as usize != ctx.settings.docs || report.failed > 0 {
                    bail!(
                        "{done} of {} documents processed, {} failed{}",
                        ctx.settings.docs,
                        report.failed,
                        first_failure(&report)
                    );
                }
                r.documents = done;
                r.push(&report.timings, run_report.wall_ms);
            }
            Opened::Naive { client, place } => {
                let tmp = ctx.work.join("naive-tmp");
                std::fs::create_dir_all(&tmp)?;
                let (t, documents) = naive::process_inbox(client, place, &root, &tmp).await?;
                if documents as usize != ctx.settings.docs {
                    bail!("{documents} of {} documents processed", ctx.settings.docs);
                }
                r.documents = documents;
                r.push(&t, t.total_ms);
            }
        }
        tally.add(&before, &pass.stats());
        drop(opened);
        bar.inc(1);
    }
    r.requests = tally.average(pass);
    Ok(r)
}

/// docproc's own CLI over S3, run as a user runs it: `docproc process --s3` as a child
/// process with every default, its start-up (the S3 client, the component's load from the
/// on-disk cache) inside the wall time. Its phases come from the run's own report.
pub async fn run_cli(
    ctx: &Ctx,
    pass: &Pass<'_>,
    bar: &indicatif::ProgressBar,
) -> Result<InboxResult> {
    let docproc = crate::scale::docproc_bin(None)?;
    let place = ctx.place(BackendKind::Docproc, Data::Small);
    let mut r = InboxResult::default();
    let mut tally = RequestTally::default();
    for run in 1..=pass.runs {
        let root = format!("inbox-docproc-cli-{}-r{run}", pass.id);
        seed::inbox_s3(&ctx.client, &place, &root, ctx.settings.docs).await?;
        let mut cmd = tokio::process::Command::new(&docproc);
        cmd.args([
            "process",
            "--json",
            "--s3",
            &format!("{}{root}", place.url()),
        ])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .kill_on_drop(true);
        if let Some(endpoint) = pass.endpoint().or_else(|| ctx.conn.endpoint.clone()) {
            cmd.env("AWS_ENDPOINT_URL", endpoint);
        }
        if let Some(creds) = &ctx.conn.creds {
            cmd.env("AWS_ACCESS_KEY_ID", &creds.access_key)
                .env("AWS_SECRET_ACCESS_KEY", &creds.secret_key)
                .env("AWS_REGION", &ctx.conn.region);
        }
        let before = pass.stats();
        let started = std::time::Instant::now();
        let out = cmd.output().await?;
        let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
        tally.add(&before, &pass.stats());
        if !out.status.success() {
            bail!(
                "docproc process exited with {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        let report = &json["report"];
        let count = |k: &str| report[k].as_u64().unwrap_or(0);
        let done = count("processed") + count("resumed");
        if done as usize != ctx.settings.docs || count("failed") > 0 {
            bail!(
                "{done} of {} documents processed, {} failed",
                ctx.settings.docs,
                count("failed")
            );
        }
        let t = &report["timings"];
        let ms = |k: &str| t[k].as_f64().unwrap_or(0.0);
        let timings = docproc_host::report::PhaseTimings {
            list_ms: ms("list_ms"),
            read_ms: ms("read_ms"),
            process_ms: ms("process_ms"),
            write_meta_ms: ms("write_meta_ms"),
            move_ms: ms("move_ms"),
            total_ms: ms("total_ms"),
        };
        r.documents = done as u32;
        r.push(&timings, wall_ms);
        bar.inc(1);
    }
    r.requests = tally.average(pass);
    Ok(r)
}

fn first_failure(report: &docproc_host::report::InboxReport) -> String {
    report
        .documents
        .iter()
        .find_map(|d| match &d.outcome {
            docproc_host::report::Outcome::Failed(why) => {
                Some(format!(" (first: {}: {why})", d.name))
            }
            _ => None,
        })
        .unwrap_or_default()
}

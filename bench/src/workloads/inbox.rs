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

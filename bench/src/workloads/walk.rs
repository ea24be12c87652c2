//! walk: list and stat every one of 10,000 small files under one prefix.

use anyhow::{Result, bail};

use super::RequestTally;
use crate::backends::component::Instances;
use crate::backends::{BackendKind, component, naive};
use crate::context::{Ctx, Data, Opened, Pass};
use crate::report::model::WalkResult;

pub const ROOT: &str = "walk";

pub async fn run(
    ctx: &Ctx,
    pass: &Pass<'_>,
    kind: BackendKind,
    bar: &indicatif::ProgressBar,
) -> Result<WalkResult> {
    let mut r = WalkResult::default();
    let mut tally = RequestTally::default();
    let want = ctx.settings.walk_files as u64;
    for run in 1..=pass.runs {
        let opened = ctx
            .open(pass, kind, Data::Small, &format!("walk-{}-r{run}", pass.id))
            .await?;
        let before = pass.stats();
        let (files, ms) = match &opened {
            Opened::Component { backend, .. } => {
                let (report, _) =
                    component::walk(&ctx.rt, backend, ROOT, Instances::AsDeployed).await?;
                (report.files, report.elapsed_ms)
            }
            Opened::Naive { client, place } => {
                let (entries, _, ms) = naive::walk(client, place, ROOT).await?;
                (entries, ms)
            }
        };
        tally.add(&before, &pass.stats());
        drop(opened);
        if files != want {
            bail!("saw {files} files, expected {want}");
        }
        r.entries = files;
        r.ms.push(ms);
        bar.inc(1);
    }
    r.requests = tally.average(pass);
    Ok(r)
}

//! hash: stream 5 x 1 GiB files into SHA-256, write one digest file each.

use anyhow::{Result, bail};

use super::RequestTally;
use crate::backends::component::Instances;
use crate::backends::{BackendKind, component, naive};
use crate::context::{Ctx, Data, Opened, Pass};
use crate::report::model::HashResult;
use crate::stats::mib_per_s;

pub const ROOT: &str = "hash";

pub async fn run(
    ctx: &Ctx,
    pass: &Pass<'_>,
    kind: BackendKind,
    bar: &indicatif::ProgressBar,
) -> Result<HashResult> {
    let mut r = HashResult {
        digests_ok: true,
        ..HashResult::default()
    };
    let mut tally = RequestTally::default();
    for run in 1..=ctx.settings.hash_runs {
        let out_dir = format!("digests-{}-{}-r{run}", kind.id(), pass.id);
        let opened = ctx
            .open(pass, kind, Data::Large, &format!("hash-{}-r{run}", pass.id))
            .await?;
        let before = pass.stats();
        let (files, bytes, read_ms, write_ms, digests) = match &opened {
            Opened::Component { backend, .. } => {
                let (h, run) =
                    component::hash(&ctx.rt, backend, ROOT, &out_dir, Instances::AsDeployed)
                        .await?;
                let digests = h
                    .digests
                    .iter()
                    .map(|d| (d.path.clone(), d.sha256.clone()))
                    .collect();
                // Instances read at once and their read times add up; the run's elapsed
                // time less the (small) digest writes is what a user waits for.
                let read_ms = (run.wall_ms - h.write_ms).max(h.read_ms / f64::from(run.shards));
                (h.files, h.bytes, read_ms, h.write_ms, digests)
            }
            Opened::Naive { client, place } => {
                let h = naive::hash(client, place, ROOT, &out_dir).await?;
                (h.files, h.bytes, h.read_ms, h.write_ms, h.digests)
            }
        };
        tally.add(&before, &pass.stats());
        drop(opened);
        if files as usize != ctx.settings.hash_files {
            bail!("hashed {files} files, expected {}", ctx.settings.hash_files);
        }
        r.digests_ok &= digests_match(ctx, &digests);
        r.files = files;
        r.bytes = bytes;
        r.read_ms.push(read_ms);
        r.read_mib_s.push(mib_per_s(bytes, read_ms));
        r.write_ms.push(write_ms);
        bar.inc(1);
    }
    if !r.digests_ok {
        bail!("digests differ from the data's");
    }
    r.requests = tally.average(pass);
    Ok(r)
}

fn digests_match(ctx: &Ctx, got: &[(String, String)]) -> bool {
    ctx.expected.len() == got.len()
        && ctx.expected.iter().all(|e| {
            got.iter()
                .any(|(path, sha)| path.ends_with(&e.name) && *sha == e.sha256)
        })
}

//! Component cold start: what each invocation of a host pays before the workload runs.
//! Loading the precompiled component from the on-disk cache, then instantiating it.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use docproc_host::runtime::EMBEDDED_COMPONENT;
use docproc_host::{ComponentSource, Runtime, RuntimeOptions};

use crate::backends::component::{self, Instances};
use crate::context::Ctx;
use crate::report::model::ColdStart;
use crate::stats::Samples;

pub async fn run(ctx: &Ctx, bar: &indicatif::ProgressBar) -> Result<ColdStart> {
    let cache = ctx.work.join("cold-start-cache");
    let empty = ctx.work.join("cold-start-empty");
    std::fs::create_dir_all(&empty)?;

    // Once per machine and component: compile with no cache at all.
    let started = Instant::now();
    let uncached = Runtime::new(
        &ComponentSource::Embedded,
        RuntimeOptions {
            cache_dir: None,
            ..RuntimeOptions::default()
        },
    )?;
    let compile_ms = started.elapsed().as_secs_f64() * 1000.0;
    drop(uncached);
    // Fill the cache (not measured), as the first invocation on a machine would.
    drop(Runtime::new(&ComponentSource::Embedded, options(&cache))?);

    let (mut load, mut instantiate) = (Samples::default(), Samples::default());
    for _ in 0..ctx.settings.cold_start_runs {
        // A new engine and a load from the cache, like a new process; then one instance.
        let rt = Arc::new(Runtime::new(&ComponentSource::Embedded, options(&cache))?);
        load.push(rt.load_time.as_secs_f64() * 1000.0);
        let backend = component::local_backend(empty.clone());
        let (_, report) = component::walk(&rt, &backend, "", Instances::One).await?;
        instantiate.push(report.instantiate_ms);
        bar.inc(1);
    }
    Ok(ColdStart {
        compile_ms,
        load_ms: load,
        instantiate_ms: instantiate,
        component_bytes: EMBEDDED_COMPONENT.len() as u64,
    })
}

fn options(cache: &std::path::Path) -> RuntimeOptions {
    RuntimeOptions {
        cache_dir: Some(cache.to_path_buf()),
        ..RuntimeOptions::default()
    }
}

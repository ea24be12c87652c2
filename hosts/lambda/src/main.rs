//! `bootstrap`: the Lambda entry point. Init (component load) happens once
//! per execution environment, before the first event is fetched, so warm
//! invocations pay nothing for it.

// lambda_runtime's service stack nests deeply enough that computing the
// layout of `main`'s future needs more than the default 128.
#![recursion_limit = "256"]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use docproc_host::RuntimeOptions;
use docproc_host::runtime::CacheOutcome;
use docproc_lambda::{BackendConfig, Invocation, State, handle, logging};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use tracing::{error, info};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let started = Instant::now();
    logging::init();
    let config = BackendConfig::from_env();
    let state = match State::init(config, runtime_options(), started) {
        Ok(state) => Arc::new(state),
        Err(e) => {
            error!(error = %format!("{e:#}"), "init failed: cannot load the docproc component");
            return Err(e.into());
        }
    };
    let rt = state.runtime();
    info!(
        init_ms = state.init_ms(),
        load_ms = rt.load_time.as_secs_f64() * 1000.0,
        cache = match rt.cache {
            CacheOutcome::Precompiled => "precompiled",
            CacheOutcome::Hit => "hit",
            CacheOutcome::Compiled => "compiled",
            CacheOutcome::Uncached => "uncached",
        },
        component_sha256 = %rt.component_sha256,
        approach = state.approach().map_or("unconfigured", |a| a.as_str()),
        "init done"
    );
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let state = state.clone();
        async move {
            let (payload, context) = event.into_parts();
            let ctx = Invocation {
                request_id: context.request_id,
                deadline: Some(
                    std::time::UNIX_EPOCH + std::time::Duration::from_millis(context.deadline),
                ),
            };
            handle(&state, &ctx, payload).await
        }
    }))
    .await
}

/// Lambda's only writable place is /tmp; the compiled component cached
/// there survives as long as the execution environment does.
fn runtime_options() -> RuntimeOptions {
    let mut options = RuntimeOptions {
        cache_dir: Some(
            std::env::var_os("DOCPROC_CACHE_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| std::env::temp_dir().join("docproc")),
        ),
        // `make lambda` ships the component compiled for the function's architecture
        // beside `bootstrap` in /var/task, so a cold start (always an empty /tmp) loads it.
        precompiled_dir: std::env::var_os("DOCPROC_PRECOMPILED_DIR")
            .map(PathBuf::from)
            .or_else(|| Some(std::env::current_exe().ok()?.parent()?.to_path_buf())),
        ..RuntimeOptions::default()
    };
    // Cap the guest at half the function's memory, so a runaway document
    // ends in a clear "memory limit" error instead of Lambda killing the
    // whole environment.
    if let Some(mib) = std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        options.memory_limit = options.memory_limit.min((mib << 20) / 2);
    }
    options
}

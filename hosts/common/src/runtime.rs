//! One engine, one compiled component, shared by every instance a host runs.
//!
//! Compiling the component takes 50-150 ms; loading a serialized copy takes
//! under a millisecond. So the compiled form is cached on disk, keyed by the
//! component's SHA-256 and the engine's compatibility hash: a different
//! component or a different wasmtime build never loads a stale artifact.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store};

use crate::bindings::{Docproc, DocprocPre, WORKLOADS_EXPORT};
use crate::error::HostError;
use crate::limits::MemoryCap;

/// The core, as built by `make component`.
pub static EMBEDDED_COMPONENT: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../build/docproc-core.wasm"
));

/// Epoch ticks drive the time limit; 10 per second is precise enough.
const EPOCH_TICK: Duration = Duration::from_millis(100);

#[derive(Debug, Clone)]
pub enum ComponentSource {
    Embedded,
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Where compiled components are kept; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Where a copy compiled ahead of time may be shipped (the Lambda zip's directory),
    /// named by [`precompiled_name`]. Looked at first; the cache is the fallback.
    pub precompiled_dir: Option<PathBuf>,
    /// Wall-clock limit for one workload call.
    pub timeout: Duration,
    /// Linear-memory limit for one instance.
    pub memory_limit: usize,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            cache_dir: default_cache_dir(),
            precompiled_dir: None,
            timeout: Duration::from_secs(3600),
            memory_limit: 1 << 30,
        }
    }
}

pub use crate::cache::default_cache_dir;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheOutcome {
    /// Loaded the copy compiled ahead of time and shipped beside the host.
    Precompiled,
    /// Loaded a compiled copy from the cache.
    Hit,
    /// Compiled now and stored for next time.
    Compiled,
    /// Compiled now; the cache is off or could not be written.
    Uncached,
}

pub struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) component: Component,
    pub component_sha256: String,
    pub cache: CacheOutcome,
    /// Time to get a ready-to-instantiate component: hash, load or compile.
    pub load_time: Duration,
    pub options: RuntimeOptions,
    _ticker: Arc<EpochTicker>,
}

impl Runtime {
    /// A store for `state`, held to this runtime's memory cap (which `cap` finds in the
    /// state) and time limit, with the component instantiated in it through `linker`.
    pub(crate) async fn instantiate<T: Send + 'static>(
        &self,
        state: T,
        cap: fn(&mut T) -> &mut MemoryCap,
        linker: Linker<T>,
    ) -> Result<(Store<T>, Docproc)> {
        let mut store = Store::new(&self.engine, state);
        store.limiter(move |s| cap(s));
        store.set_epoch_deadline(self.epoch_deadline());
        let pre = DocprocPre::new(linker.instantiate_pre(&self.component)?)?;
        let instance = pre.instantiate_async(&mut store).await?;
        Ok((store, instance))
    }

    pub fn new(source: &ComponentSource, options: RuntimeOptions) -> Result<Runtime> {
        let started = Instant::now();
        let (origin, bytes) = match source {
            ComponentSource::Embedded => (
                "embedded component".to_string(),
                EMBEDDED_COMPONENT.to_vec(),
            ),
            ComponentSource::File(path) => (
                path.display().to_string(),
                std::fs::read(path).map_err(|source| HostError::ComponentUnreadable {
                    path: path.clone(),
                    source,
                })?,
            ),
        };
        let component_sha256 = hex::encode(Sha256::digest(&bytes));
        let engine = Engine::new(&engine_config())?;
        let shipped = options
            .precompiled_dir
            .as_deref()
            .and_then(|dir| load_shipped(&engine, &dir.join(precompiled_name(&component_sha256))));
        let loaded = match shipped {
            Some(component) => Ok((component, CacheOutcome::Precompiled)),
            None => load(
                &engine,
                &bytes,
                &component_sha256,
                options.cache_dir.as_deref(),
            ),
        };
        let (component, cache) = loaded.map_err(|e| HostError::BadComponent {
            origin: origin.clone(),
            reason: format!("{e:#}"),
        })?;
        if component.get_export_index(None, WORKLOADS_EXPORT).is_none() {
            return Err(HostError::BadComponent {
                origin,
                reason: format!("it does not export {WORKLOADS_EXPORT}"),
            }
            .into());
        }
        let ticker = EpochTicker::start(engine.clone());
        Ok(Runtime {
            engine,
            component,
            component_sha256,
            cache,
            load_time: started.elapsed(),
            options,
            _ticker: ticker,
        })
    }

    /// The component's imports, e.g. `wasi:filesystem/types@0.2.12`.
    pub fn imports(&self) -> Vec<String> {
        let ty = self.component.component_type();
        let mut names: Vec<String> = ty
            .imports(&self.engine)
            .map(|(n, _)| n.to_string())
            .collect();
        names.sort();
        names
    }

    pub fn exports(&self) -> Vec<String> {
        let ty = self.component.component_type();
        let mut names: Vec<String> = ty
            .exports(&self.engine)
            .map(|(n, _)| n.to_string())
            .collect();
        names.sort();
        names
    }

    pub(crate) fn epoch_deadline(&self) -> u64 {
        (self.options.timeout.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
    }
}

/// The name of a copy of the component with this SHA-256 compiled ahead of time: a copy of
/// another component is never picked up.
pub fn precompiled_name(sha256: &str) -> String {
    format!("docproc-core-{sha256}.cwasm")
}

/// The embedded component compiled for `target` (a target triple such as
/// `aarch64-unknown-linux-gnu`; `None` for this machine), with the engine settings every
/// host uses, so a host there loads it instead of compiling. Returns the file name too.
pub fn precompile(target: Option<&str>) -> Result<(String, Vec<u8>)> {
    let mut config = engine_config();
    if let Some(target) = target {
        config.target(target)?;
    }
    let bytes = Engine::new(&config)?.precompile_component(EMBEDDED_COMPONENT)?;
    let name = precompiled_name(&hex::encode(Sha256::digest(EMBEDDED_COMPONENT)));
    Ok((name, bytes))
}

/// A shipped copy, if there is one this host may trust and its engine accepts.
fn load_shipped(engine: &Engine, path: &Path) -> Option<Component> {
    if !crate::cache::shipped(path) {
        return None;
    }
    // SAFETY: the file carries the embedded component's SHA-256 in its name and sits where
    // only root or this user could have put it (checked above); wasmtime checks its header
    // against this engine and refuses a mismatch, and then the cache or a compile serves.
    match unsafe { Component::deserialize_file(engine, path) } {
        Ok(component) => Some(component),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %format!("{e:#}"), "the precompiled component does not fit this engine; compiling");
            None
        }
    }
}

fn engine_config() -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config
}

fn load(
    engine: &Engine,
    bytes: &[u8],
    sha256: &str,
    cache_dir: Option<&Path>,
) -> Result<(Component, CacheOutcome)> {
    let Some(dir) = cache_dir else {
        return Ok((Component::new(engine, bytes)?, CacheOutcome::Uncached));
    };
    if let Err(why) = crate::cache::open_dir(dir) {
        tracing::warn!(%why, "compiling the component without a cache");
        return Ok((Component::new(engine, bytes)?, CacheOutcome::Uncached));
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    let path = dir.join(format!("{sha256}-{:016x}.cwasm", h.finish()));
    if crate::cache::loadable(&path) {
        // SAFETY: the file is one we wrote from this very component, for an
        // engine with this compatibility hash; wasmtime still checks its
        // header and refuses a mismatch, in which case we recompile.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
            return Ok((component, CacheOutcome::Hit));
        }
    }
    let serialized = engine.precompile_component(bytes)?;
    // SAFETY: these bytes were produced by `precompile_component` just now.
    let component = unsafe { Component::deserialize(engine, &serialized)? };
    let stored = crate::cache::store(&path, &serialized).is_ok();
    Ok((
        component,
        if stored {
            CacheOutcome::Compiled
        } else {
            CacheOutcome::Uncached
        },
    ))
}

/// Advances the engine's epoch so long-running guests hit their deadline.
struct EpochTicker {
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl EpochTicker {
    fn start(engine: Engine) -> Arc<Self> {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("docproc-epoch".into())
            .spawn(move || {
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawn epoch thread");
        Arc::new(EpochTicker { stop })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

//! A directory on this machine (or any mount: S3 Files, Mountpoint, s3fs),
//! served by wasmtime-wasi's own `wasi:filesystem`, confined to that
//! directory by capability-based path resolution.

use std::path::{Path, PathBuf};

use anyhow::Result;
use wasmtime::Store;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView};
use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView};
use wasmtime_wasi::p2::bindings::{clocks, filesystem};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};

use crate::bindings::Docproc;
use crate::error::HostError;
use crate::limits::MemoryCap;
use crate::runtime::Runtime;

pub struct LocalState {
    ctx: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) cap: MemoryCap,
    /// The instance runs on a thread of its own, so its file calls may block it.
    pub(crate) own_thread: bool,
}

impl WasiView for LocalState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

impl wasmtime_wasi_io::IoView for LocalState {
    fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }
}

/// Only what the world allows: a guest that imports anything else fails to
/// instantiate instead of quietly getting it.
fn linker(rt: &Runtime) -> Result<Linker<LocalState>> {
    let mut l: Linker<LocalState> = Linker::new(&rt.engine);
    wasmtime_wasi_io::add_to_linker_async(&mut l)?;
    clocks::wall_clock::add_to_linker::<_, WasiClocks>(&mut l, |t| t.clocks())?;
    filesystem::types::add_to_linker::<_, WasiFilesystem>(&mut l, |t| t.filesystem())?;
    filesystem::preopens::add_to_linker::<_, WasiFilesystem>(&mut l, |t| t.filesystem())?;
    crate::dirents::add_to_linker(&mut l)?;
    Ok(l)
}

/// Refuses a relative path (from an event or a flag) that names something outside the
/// directory it is relative to, before anything is touched: the guest's sandbox refuses
/// such paths by construction, and host code that follows them itself must too.
pub fn check_relative(rel: &str) -> Result<(), HostError> {
    use std::path::Component;
    let inside = Path::new(rel)
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if inside {
        Ok(())
    } else {
        Err(HostError::OutsideRoot { path: rel.into() })
    }
}

/// `base/rel`, refused when `rel` fails [`check_relative`] or a symlink on the way leads
/// out of `base`. A path that does not exist yet is judged by its deepest existing ancestor.
pub fn confine(base: &Path, rel: &str) -> Result<PathBuf, HostError> {
    check_relative(rel)?;
    let path = base.join(rel);
    let Ok(real_base) = base.canonicalize() else {
        return Ok(path);
    };
    let real = path.ancestors().find_map(|a| a.canonicalize().ok());
    match real {
        Some(real) if !real.starts_with(&real_base) => {
            Err(HostError::OutsideRoot { path: rel.into() })
        }
        _ => Ok(path),
    }
}

pub fn check_dir(dir: &Path) -> Result<PathBuf, HostError> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(dir.to_path_buf()),
        Ok(_) => Err(HostError::NotADir { path: dir.into() }),
        Err(_) => Err(HostError::NoSuchDir { path: dir.into() }),
    }
}

/// `claims_dir`: where a run's claims go, when it claims; the guest's clock is then read
/// from there (see [`crate::clock::probe`]). `own_thread`: the instance runs on a thread
/// of its own, so its file calls may block it (see [`crate::workload`]).
pub async fn instantiate(
    rt: &Runtime,
    dir: &Path,
    claims_dir: Option<&str>,
    own_thread: bool,
) -> Result<(Store<LocalState>, Docproc)> {
    let dir = check_dir(dir)?;
    let mut builder = WasiCtx::builder();
    builder
        .allow_blocking_current_thread(own_thread)
        .preopened_dir(&dir, ".", FsPerms::ReadWrite)
        .map_err(|e| anyhow::anyhow!("{}: cannot open: {e}", dir.display()))?;
    let mut ctx = builder.build();
    if let Some(claims) = claims_dir {
        *ctx.clocks() = crate::clock::guest_clocks(crate::clock::probe(&confine(&dir, claims)?));
    }
    let state = LocalState {
        ctx,
        table: ResourceTable::new(),
        cap: MemoryCap::new(rt.options.memory_limit),
        own_thread,
    };
    rt.instantiate(state, |s| &mut s.cap, linker(rt)?).await
}

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

use crate::bindings::{Docproc, DocprocPre};
use crate::error::HostError;
use crate::limits::MemoryCap;
use crate::runtime::Runtime;

pub struct LocalState {
    ctx: WasiCtx,
    table: ResourceTable,
    pub(crate) cap: MemoryCap,
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
    Ok(l)
}

pub fn check_dir(dir: &Path) -> Result<PathBuf, HostError> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(dir.to_path_buf()),
        Ok(_) => Err(HostError::NotADir { path: dir.into() }),
        Err(_) => Err(HostError::NoSuchDir { path: dir.into() }),
    }
}

pub async fn instantiate(rt: &Runtime, dir: &Path) -> Result<(Store<LocalState>, Docproc)> {
    let dir = check_dir(dir)?;
    let mut builder = WasiCtx::builder();
    builder
        .preopened_dir(&dir, ".", FsPerms::ReadWrite)
        .map_err(|e| anyhow::anyhow!("{}: cannot open: {e}", dir.display()))?;
    let state = LocalState {
        ctx: builder.build(),
        table: ResourceTable::new(),
        cap: MemoryCap::new(rt.options.memory_limit),
    };
    let mut store = Store::new(&rt.engine, state);
    store.limiter(|s| &mut s.cap);
    store.set_epoch_deadline(rt.epoch_deadline());
    let pre = DocprocPre::new(linker(rt)?.instantiate_pre(&rt.component)?)?;
    let instance = pre.instantiate_async(&mut store).await?;
    Ok((store, instance))
}

//! The guest's wall clock is the store's: the core compares "now" with mtimes the store
//! set (a claim's age), so a host whose own clock is off must not make a live claim look
//! dead, or a dead one live.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use docproc_s3fs::StoreClock;
use wasmtime_wasi::clocks::{HostWallClock, WasiClocksCtx};

struct StoreWallClock(Arc<StoreClock>);

impl HostWallClock for StoreWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }

    fn now(&self) -> Duration {
        self.0.now().duration_since(UNIX_EPOCH).unwrap_or_default()
    }
}

/// Clocks for a guest whose wall clock reads `clock`.
pub(crate) fn guest_clocks(clock: Arc<StoreClock>) -> WasiClocksCtx {
    let mut ctx = wasmtime_wasi::WasiCtx::builder()
        .wall_clock(StoreWallClock(clock))
        .build();
    std::mem::take(ctx.clocks())
}

/// A directory's clock, as the mtime of a file made in `claims_dir` shows it (on an NFS
/// mount such as S3 Files, the server sets mtimes). The file goes at once; one left by a
/// crash is swept with stale claims. Where nothing can be made, this host's clock it is.
pub(crate) fn probe(claims_dir: &Path) -> Arc<StoreClock> {
    static PROBES: AtomicU64 = AtomicU64::new(0);
    let clock = Arc::new(StoreClock::default());
    let n = PROBES.fetch_add(1, Ordering::Relaxed);
    let path = claims_dir.join(format!(".clock-{}-{n}", std::process::id()));
    let _ = std::fs::create_dir_all(claims_dir);
    let made = std::fs::File::create_new(&path)
        .and_then(|f| f.metadata())
        .and_then(|m| m.modified());
    let host = SystemTime::now();
    let _ = std::fs::remove_file(&path);
    if let Ok(mtime) = made {
        clock.observe(mtime, host);
    }
    clock
}

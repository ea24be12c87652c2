//! docproc-s3proxy on its own runtime, so a busy benchmark never delays its timers.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use docproc_s3proxy::{Plan, Proxy, Stats};

pub struct LatencyProxy {
    // Declared first: dropped (stopping the listener) before its runtime.
    proxy: Option<Proxy>,
    runtime: Option<tokio::runtime::Runtime>,
    pub latency: Duration,
}

impl LatencyProxy {
    pub fn start(upstream: SocketAddr, latency: Duration) -> Result<LatencyProxy> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("s3proxy")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        // block_on cannot run on a thread that is already inside a runtime.
        let proxy = std::thread::spawn(move || {
            handle.block_on(Proxy::start(
                upstream,
                Plan {
                    latency,
                    rules: Vec::new(),
                },
            ))
        })
        .join()
        .map_err(|_| anyhow::anyhow!("the proxy start thread panicked"))?
        .context("starting docproc-s3proxy")?;
        Ok(LatencyProxy {
            proxy: Some(proxy),
            runtime: Some(runtime),
            latency,
        })
    }

    pub fn endpoint(&self) -> String {
        self.proxy.as_ref().map(Proxy::endpoint).unwrap_or_default()
    }

    pub fn stats(&self) -> Stats {
        self.proxy.as_ref().map(Proxy::stats).unwrap_or_default()
    }
}

impl Drop for LatencyProxy {
    fn drop(&mut self) {
        drop(self.proxy.take());
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

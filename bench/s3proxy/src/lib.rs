//! An HTTP/1.1 proxy on 127.0.0.1 between an S3 client and an S3 server (plain HTTP).
//!
//! One tool, two uses:
//! - **latency**: hold every request [`Plan::latency`] before forwarding it (and, with
//!   [`Proxy::set_response_latency`], every response before returning it), which brings
//!   AWS's per-request cost to a server on loopback, where requests are otherwise nearly free;
//! - **faults**: answer some requests, picked by [`Rule`]s, the way a failing S3 does (see
//!   [`Fault`]), so a client's retries and error paths can be tested against a real server;
//! - **a clock that is off**: [`Proxy::set_clock_offset`] moves every time the store reports.
//!
//! Requests are forwarded unchanged, `Host` header included, so SigV4 signatures made for the
//! proxy's address still verify at the server.
//!
//! ```no_run
//! # async fn demo(upstream: std::net::SocketAddr) -> std::io::Result<()> {
//! use docproc_s3proxy::{Fault, Plan, Proxy, Rule};
//! let proxy = Proxy::start(upstream, Plan::with_latency_ms(10)).await?;
//! // point the S3 client at proxy.endpoint(); later, fail the next two GETs:
//! proxy.set_plan(Plan {
//!     rules: vec![Rule::new(Fault::SlowDown).method("GET").times(2)],
//!     ..Plan::default()
//! });
//! # Ok(()) }
//! ```

mod clock;
mod fault;
mod forward;
mod io;
mod plan;
mod stats;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

pub use plan::{Fault, Plan, Rule};
pub use stats::Stats;

use forward::Shared;
use io::{ConnControl, ControlledStream};

/// A running proxy. It stops, and drops every open connection, when dropped.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy to `upstream` on a free port of 127.0.0.1.
    pub async fn start(upstream: SocketAddr, plan: Plan) -> std::io::Result<Proxy> {
        Proxy::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), upstream, plan).await
    }

    /// Starts a proxy on `listen`, which must be a loopback address: the proxy forwards
    /// signed requests and is never meant to be reachable from another machine.
    pub async fn start_on(
        listen: SocketAddr,
        upstream: SocketAddr,
        plan: Plan,
    ) -> std::io::Result<Proxy> {
        if !listen.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{listen}: the proxy listens on loopback addresses only"),
            ));
        }
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(upstream, plan));
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(Proxy {
            addr,
            shared,
            accept,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, for an S3 client's endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server requests are forwarded to.
    pub fn upstream(&self) -> SocketAddr {
        self.shared.upstream
    }

    /// Replaces the plan; the new rules start with fresh counters. Requests already past
    /// their checks are not affected.
    pub fn set_plan(&self, plan: Plan) {
        *lock(&self.shared.plan) = plan::Active::new(plan);
    }

    /// Holds every response this long before returning its headers (default zero).
    pub fn set_response_latency(&self, latency: Duration) {
        *lock(&self.shared.response_latency) = latency;
    }

    /// Makes the store's clock read `secs` seconds off (negative: behind): every `Date`,
    /// `Last-Modified` and listed `<LastModified>` moves by it, as from a server whose clock
    /// is wrong, or to a client whose own clock is (default zero).
    pub fn set_clock_offset(&self, secs: i64) {
        *lock(&self.shared.clock_offset) = secs;
    }

    /// Counters since the start: requests seen, forwarded, and faults injected per kind.
    pub fn stats(&self) -> Stats {
        self.shared.stats.snapshot()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // The accept task owns every connection task (a JoinSet): aborting it ends them all.
        self.accept.abort();
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (stream, _) = match accepted {
            Ok(conn) => conn,
            Err(_) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let control = Arc::new(ConnControl::default());
        let io = TokioIo::new(ControlledStream::new(stream, control.clone()));
        let shared = shared.clone();
        connections.spawn(async move {
            let service = service_fn(move |req| {
                let (shared, control) = (shared.clone(), control.clone());
                async move { forward::handle(shared, control, req).await }
            });
            // Errors here are clients going away or the faults we injected ourselves.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(io, service)
                .await;
        });
    }
}

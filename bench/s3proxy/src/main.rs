//! `docproc-s3proxy`: put a latency, or faults, between an S3 client and an S3 server.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use clap::Parser;
use docproc_s3proxy::{Fault, Plan, Proxy, Rule};

const AFTER_HELP: &str = "\
Examples:
  # AWS's per-request cost on a local server: 10 ms per request
  docproc-s3proxy --upstream 127.0.0.1:8333 --latency-ms 10
  # then: AWS_ENDPOINT_URL=<printed endpoint> docproc walk --s3 s3://bucket/tree

  # every third GET answered 503 SlowDown
  docproc-s3proxy --upstream 127.0.0.1:8333 --fault slow-down --method GET --skip 2 --times 1

The proxy prints its endpoint (http://127.0.0.1:PORT) on the first line of stdout,
then runs until interrupted, printing its counters on exit. Requests are forwarded
unchanged (Host header included), so SigV4 signatures stay valid.";

#[derive(Parser)]
#[command(
    name = "docproc-s3proxy",
    version,
    about = "An HTTP/1.1 proxy on 127.0.0.1 in front of an S3 server: per-request latency and faults",
    after_help = AFTER_HELP
)]
struct Cli {
    /// The S3 server, HOST:PORT (plain HTTP).
    #[arg(long, value_name = "HOST:PORT")]
    upstream: String,
    /// Where to listen; loopback only. Port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "127.0.0.1:PORT")]
    listen: SocketAddr,
    /// Hold each request this many milliseconds before forwarding it.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    latency_ms: u64,
    /// Hold each response this many milliseconds before returning it.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    response_latency_ms: u64,
    /// Inject this fault: slow-down, internal-error, reset-mid-body, truncated-body,
    /// stall=MS, access-denied or no-such-key. The flags below choose the requests.
    #[arg(long, value_name = "KIND")]
    fault: Option<Fault>,
    /// Only requests with this HTTP method (GET, PUT, HEAD, ...).
    #[arg(long, requires = "fault")]
    method: Option<String>,
    /// Only requests whose path (/bucket/key) contains this.
    #[arg(long, requires = "fault", value_name = "TEXT")]
    path_contains: Option<String>,
    /// Only requests whose query string contains this (e.g. list-type=2).
    #[arg(long, requires = "fault", value_name = "TEXT")]
    query_contains: Option<String>,
    /// Let this many matching requests through first.
    #[arg(long, default_value_t = 0, requires = "fault")]
    skip: u32,
    /// Inject the fault this many times (default: always).
    #[arg(long, requires = "fault")]
    times: Option<u32>,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let upstream = match cli.upstream.to_socket_addrs().map(|mut a| a.next()) {
        Ok(Some(addr)) => addr,
        Ok(None) | Err(_) => {
            eprintln!(
                "docproc-s3proxy: --upstream {}: not a HOST:PORT that resolves",
                cli.upstream
            );
            return std::process::ExitCode::from(2);
        }
    };
    let mut plan = Plan::with_latency_ms(cli.latency_ms);
    if let Some(fault) = cli.fault {
        plan.rules.push(Rule {
            fault,
            method: cli.method,
            path_contains: cli.path_contains,
            query_contains: cli.query_contains,
            skip: cli.skip,
            times: cli.times.unwrap_or(u32::MAX),
        });
    }
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async move {
        let proxy = match Proxy::start_on(cli.listen, upstream, plan).await {
            Ok(proxy) => proxy,
            Err(e) => {
                eprintln!("docproc-s3proxy: cannot listen on {}: {e}", cli.listen);
                return std::process::ExitCode::from(1);
            }
        };
        proxy.set_response_latency(Duration::from_millis(cli.response_latency_ms));
        println!("{}", proxy.endpoint());
        eprintln!(
            "docproc-s3proxy: {} -> {upstream}, {} ms per request; Ctrl-C to stop",
            proxy.endpoint(),
            cli.latency_ms
        );
        wait_for_stop().await;
        let s = proxy.stats();
        eprintln!(
            "docproc-s3proxy: {} requests, {} forwarded, {} faults {:?}; by method: {:?}",
            s.requests,
            s.forwarded,
            s.faults(),
            s.by_fault,
            s.by_method
        );
        std::process::ExitCode::SUCCESS
    })
}

async fn wait_for_stop() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

//! `docproc-bench`: the reference benchmark (process-inbox, walk, hash) over every backend,
//! against one S3 server, with tables, JSON, markdown and a chart at the end.

mod aws;
mod backends;
mod cli;
mod context;
mod machine;
mod mounts;
mod report;
mod s3;
mod scale;
mod seed;
mod settings;
mod stats;
mod ui;
mod workloads;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    if let cli::Command::RssProbe(args) = &cli.command {
        // A child of a benchmark run: its own process, so its peak RSS is its own.
        return match workloads::rss::probe_main(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("docproc-bench rss-probe: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("docproc-bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        tokio::select! {
            result = cli::dispatch(cli) => result,
            signal = interrupted() => Err(anyhow::anyhow!("interrupted by {signal}; cleaning up")),
        }
    });
    // Whatever was mounted or started has been stopped by its guard by now; blocking tasks
    // stuck on a dead mount must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_secs(5));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            ui::clear();
            eprintln!("docproc-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        let _ = tokio::signal::ctrl_c().await;
        return "SIGINT";
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
        _ = hup.recv() => "SIGHUP",
    }
}

//! The command line: `all`, `quick`, `aws`, `scale`, and the hidden child `rss-probe`.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use crate::backends::BackendKind;
use crate::settings::{Profile, Settings, Workload};

const ABOUT: &str =
    "The reference benchmark (process-inbox, walk, hash) over every way docproc can reach S3";

const LONG_ABOUT: &str = "\
docproc-bench runs the reference blog post's three workloads over every backend, all
against the same S3 server and the same data, and prints tables like the reference's
(min, mean and max over runs, and the ratio to the baseline). It writes JSON, markdown
and an SVG chart under bench/results/.

Backends:
  local       a local directory (the floor), docproc component
  docproc     docproc's S3 file-system host (Backend::S3): ours, no mount
  naive       the reference's \"before\" code in Rust with aws-sdk-s3: list, single-stream
              GetObject to a temp file, CopyObject + DeleteObject, PutObject (the baseline)
  s3fs        s3fs-fuse mount, docproc component over the mount path
  mountpoint  Mountpoint for Amazon S3 (our launcher around the mountpoint-s3-fs library),
              docproc component over the mount path
  weed        SeaweedFS's own FUSE mount of the bucket: the closest local stand-in for an
              S3 Files (NFS) mount, docproc component over the mount path

Workloads (defaults are the reference's; --scale shrinks walk and hash):
  process-inbox  20 medium documents (500-2,000 words), 3 runs, per-phase rows
  walk           list + stat 10,000 small files under one prefix, 3 runs
  hash           SHA-256 of 5 x 1 GiB files: read MiB/s, and time to write the digests
  raw            the server's own limits: ListObjectsV2 sweep, parallel ranged GETs
  wasm-cost      the same workloads compiled natively vs in the component (local dir)
  cold-start     loading the precompiled component and instantiating it, per invocation
  rss            peak RSS (VmHWM) of hashing a file far larger than the memory limit

Request latency: on loopback every S3 request is nearly free, which hides how many a
client sends. Unless --latency-ms 0, a second pass runs the S3 backends through
docproc-s3proxy with that latency on every request (default 10 ms, about AWS's) and
reports both, with request counts per workload.";

const AFTER_HELP: &str = "\
Examples:
  make bench-all                          # everything at the reference's sizes (~20-30 min)
  make bench-quick                        # tiny scale, no Mountpoint (~2 min; CI runs it)
  docproc-bench all --scale 0.1           # a tenth of the files and bytes
  docproc-bench all --backends docproc,naive --workloads process-inbox,walk
  docproc-bench all --latency-ms 0        # no latency pass
  docproc-bench scale --keys 1000000      # 20 documents beside a million processed ones
  docproc-bench aws                       # against the stack `make tf-apply` deployed

Everything it starts binds 127.0.0.1 only, lives in one work directory, and is stopped
(mounts unmounted, server stopped, directory removed) when the run ends, fails or is
interrupted; a watchdog process does the same if the benchmark itself is killed.
A backend that cannot run here (no /dev/fuse, s3fs not installed, Mountpoint not built)
is reported as skipped with the reason; it never fails the run.";

#[derive(Parser)]
#[command(name = "docproc-bench", version, about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Start a local S3 server (SeaweedFS), seed the data, mount every peer and run every
    /// workload over every backend, with and without request latency.
    All(RunArgs),
    /// The same harness at a tiny scale, without Mountpoint: checks that the harness works
    /// (numbers are not meaningful). Finishes in a couple of minutes.
    Quick(RunArgs),
    /// The same harness against the deployed stack (`terraform output -json`): the S3 API
    /// backends against the real bucket, and the S3 Files and Mountpoint mounts when run on
    /// the EC2 runner where they are mounted.
    Aws(AwsArgs),
    /// What a run costs beside a large history: process-inbox beside an empty processed/
    /// and beside --keys objects there, and a walk of those keys beside the raw sweeps.
    /// Runs the docproc binary with its defaults, through a request-counting proxy.
    Scale(ScaleArgs),
    /// (internal) Hash one directory in this process and print its peak RSS as JSON.
    #[command(hide = true)]
    RssProbe(RssProbeArgs),
}

#[derive(Args, Clone)]
pub struct RunArgs {
    /// Multiplies the walk's file count and the hash's bytes (1 = the reference's 10,000
    /// files and 5 x 1 GiB). Default: 1 for `all` and `aws`, 0.02 for `quick`.
    #[arg(long)]
    pub scale: Option<f64>,
    /// Documents in the inbox of each process-inbox run.
    #[arg(long)]
    pub docs: Option<usize>,
    /// Runs of process-inbox and walk per backend (default 3; 2 for `quick`).
    #[arg(long)]
    pub runs: Option<usize>,
    /// Runs of hash per backend (default 1: it reads the most bytes).
    #[arg(long)]
    pub hash_runs: Option<usize>,
    /// Latency added to every S3 request in the second pass, in ms; 0: no second pass.
    #[arg(long, default_value_t = 10)]
    pub latency_ms: u64,
    /// Runs of process-inbox and walk per backend in the latency pass (hash is left out
    /// there: it is bound by bandwidth, not requests).
    #[arg(long, default_value_t = 1)]
    pub latency_runs: usize,
    /// Only these backends (comma-separated): local, docproc, naive, s3fs, mountpoint, weed.
    #[arg(long, value_delimiter = ',')]
    pub backends: Option<Vec<BackendKind>>,
    /// Only these workloads (comma-separated): process-inbox, walk, hash, raw, wasm-cost,
    /// cold-start, rss.
    #[arg(long, value_delimiter = ',')]
    pub workloads: Option<Vec<Workload>>,
    /// The Mountpoint launcher (built by `make bench-all`); without it Mountpoint is skipped.
    #[arg(long, env = "DOCPROC_MOUNT_S3", value_name = "PATH")]
    pub mountpoint_bin: Option<PathBuf>,
    /// Where results go (JSON, markdown, SVG).
    #[arg(long, default_value = "bench/results", value_name = "DIR")]
    pub out: PathBuf,
    /// Where the work directory (server data, local data, mounts) is created.
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
    /// Keep the work directory afterwards (mounts are still unmounted, the server stopped).
    #[arg(long)]
    pub keep: bool,
}

#[derive(Args, Clone)]
pub struct AwsArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// The Terraform root whose outputs describe the stack.
    #[arg(long, default_value = "terraform", value_name = "DIR")]
    pub terraform_dir: PathBuf,
    /// Seconds to wait after seeding through the S3 API before using the S3 Files mount
    /// (S3-side changes reach the NFS view asynchronously).
    #[arg(long, default_value_t = 60)]
    pub settle_secs: u64,
}

#[derive(Args, Clone)]
pub struct ScaleArgs {
    /// Objects of history under processed/ (half documents, half metadata).
    #[arg(long, default_value_t = 100_000)]
    pub keys: u64,
    /// New documents in inbox/ for each process-inbox run.
    #[arg(long, default_value_t = 20)]
    pub docs: usize,
    /// Runs of each case; the tables show the median.
    #[arg(long, default_value_t = 3)]
    pub runs: u32,
    /// Latency added to every request in a second pass, in ms; 0: no second pass.
    #[arg(long, default_value_t = 10)]
    pub latency_ms: u64,
    /// Documents in one big inbox, processed in one run on loopback beside an inbox a tenth
    /// its size, for the time per document; 0: skip it.
    #[arg(long, default_value_t = 100_000)]
    pub inbox_docs: usize,
    /// The docproc binary to run (default: the one built beside docproc-bench).
    #[arg(long, value_name = "FILE")]
    pub docproc_bin: Option<PathBuf>,
    /// Where results go (scale.md, scale.json).
    #[arg(long, default_value = "bench/results", value_name = "DIR")]
    pub out: PathBuf,
    /// Where the work directory (server data) is created.
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
}

#[derive(Args, Clone)]
pub struct RssProbeArgs {
    /// Directory to hash (Backend::Local), or with --s3, the S3 location s3://bucket/prefix.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    #[arg(long)]
    pub s3: Option<String>,
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// The job's root below --dir or --s3.
    #[arg(long, default_value = "")]
    pub root: String,
    /// Where digests go, relative to --dir or --s3.
    #[arg(long, default_value = "digests-rss")]
    pub out_dir: String,
    /// The component's linear-memory limit, in MiB.
    #[arg(long, default_value_t = 64)]
    pub memory_limit_mib: usize,
}

pub async fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::All(args) => {
            crate::workloads::run_local(Settings::from_args(Profile::All, &args)?, args).await
        }
        Command::Quick(args) => {
            crate::workloads::run_local(Settings::from_args(Profile::Quick, &args)?, args).await
        }
        Command::Aws(args) => {
            let settings = Settings::from_args(Profile::Aws, &args.run)?;
            crate::workloads::run_aws(settings, args).await
        }
        Command::Scale(args) => crate::scale::run(args).await,
        Command::RssProbe(_) => unreachable!("handled before the runtime starts"),
    }
}

//! `docproc`: run the core component over a directory, a mount, or S3 through the S3 API.

use std::path::{Path, PathBuf};
use std::process::ExitCode as ProcessExit;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use docproc_host::error::exit_code_of;
use docproc_host::layout::{INBOX, PROCESSED};
use docproc_host::s3::{S3Backend, S3Target};
use docproc_host::{
    Backend, Claims, ComponentSource, ExitCode, Job, RunReport, Runtime, RuntimeOptions, Shards,
};
use indicatif::{ProgressBar, ProgressStyle};

const AFTER_HELP: &str = "\
Layout: a root directory holds inbox/ (documents to process); process moves
each document to processed/ beside <name>.meta.json, or to failed/ beside
<name>.error.json. A crash at any point leaves every document in inbox/ or
fully processed; rerun the same command to finish.

On EC2, point --dir at an S3 Files (NFS) or Mountpoint (FUSE) mount:
  docproc process --dir /mnt/s3files/docproc
  docproc walk --dir /mnt/mountpoint/tree --json

Logs go to stderr: warnings by default; RUST_LOG=docproc_s3fs=debug adds every S3
request with its key and duration, to see what a run sent and when.

Exit codes:
  0  success
  1  the run failed (missing directory, store error, time or memory limit)
  2  bad command line
  3  the run finished but some documents were moved to failed/
  4  the component file is missing, corrupt or not a docproc component";

#[derive(Parser)]
#[command(
    name = "docproc",
    version,
    about = "Process documents in S3 (through a mount or a directory) with one WebAssembly core",
    long_about = "docproc runs one document-processing core, compiled once to a WASI component, \
over a directory (local disk, an S3 Files or Mountpoint mount, s3fs) or over S3 itself through \
the S3 API (--s3 s3://bucket/prefix, no mount). Every run prints the \
component's SHA-256 so you can check that every host ran the same bytes.",
    after_help = AFTER_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Count words and lines of each document in <root>/inbox/, write
    /// processed/<name>.meta.json and move the document to processed/.
    Process {
        #[command(flatten)]
        run: RunArgs,
        /// Bytes read per call (0: the core's default, 1 MiB).
        #[arg(long, default_value_t = 0)]
        chunk_size: u32,
        /// Seconds after which a claim left by a host that died is taken
        /// over. After a crash, with no other host running, rerun with 0.
        #[arg(long, default_value_t = 300, value_name = "SECS")]
        claim_lease: u64,
        /// Do not claim documents: faster (fewer requests on S3), safe only
        /// when no other host processes the same inbox at the same time.
        #[arg(long)]
        no_claims: bool,
        /// Process only these documents of inbox/ (names, as `ls inbox/` shows them)
        /// instead of listing it: a name that is not in inbox/ reports "already done"
        /// when processed/ or failed/ has it, "absent" otherwise. Repeatable.
        #[arg(long, value_name = "NAME", num_args = 1..)]
        only: Vec<String>,
        /// Like --only, one name per line from FILE (`-` reads stdin); blank lines
        /// are ignored. With --only too, both lists are processed.
        #[arg(long, value_name = "FILE")]
        names_from: Option<PathBuf>,
    },
    /// List and stat every entry below the root.
    Walk {
        #[command(flatten)]
        run: RunArgs,
    },
    /// Stream every file below the root into SHA-256 and write one
    /// `sha256sum`-style digest file per input.
    Hash {
        #[command(flatten)]
        run: RunArgs,
        /// Where digests go, relative to --dir; skipped while hashing.
        #[arg(long, default_value = "digests")]
        out_dir: String,
        /// Bytes read per call (0: the core's default, 8 MiB).
        #[arg(long, default_value_t = 0)]
        chunk_size: u32,
    },
    /// The main job on a temporary directory: seed sample documents,
    /// process them, print the report and say where the files are.
    Demo {
        /// Run over this S3 location instead of a temporary directory.
        #[arg(long, value_name = "URL")]
        s3: Option<String>,
        #[command(flatten)]
        s3_args: S3Args,
        /// How many documents to seed (500 to 2,000 words each).
        #[arg(long, default_value_t = 20)]
        docs: usize,
        #[command(flatten)]
        engine: EngineArgs,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write sample documents into <root>/inbox/ (for trying and benchmarks).
    Seed {
        #[command(flatten)]
        location: Location,
        #[command(flatten)]
        s3: S3Args,
        #[arg(long, default_value_t = 20)]
        docs: usize,
        /// Seed of the generator; the same seed gives the same documents.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Compile the core ahead of time for a machine (the Lambda zip ships one for arm64).
    /// A host there given the directory finds docproc-core-<sha256>.cwasm and starts
    /// without compiling; a copy of another core is never picked up.
    Compile {
        /// Target triple, e.g. aarch64-unknown-linux-gnu (default: this machine).
        #[arg(long, value_name = "TRIPLE")]
        target: Option<String>,
        /// Directory the compiled file goes in.
        #[arg(long, value_name = "DIR", default_value = ".")]
        out_dir: PathBuf,
    },
}

/// Where the documents are: a directory, or S3 itself.
#[derive(Args, Clone)]
#[group(required = true, multiple = false)]
struct Location {
    /// Root directory: local, or an S3 Files / Mountpoint / s3fs mount.
    #[arg(long, value_name = "PATH")]
    dir: Option<PathBuf>,
    /// Run straight over S3 through the S3 API, no mount needed:
    /// s3://bucket/prefix. Credentials come from the standard AWS chain.
    #[arg(long, value_name = "URL")]
    s3: Option<String>,
}

/// S3 client settings, used with --s3.
#[derive(Args, Clone)]
struct S3Args {
    /// An S3-compatible endpoint, e.g. the local server `scripts/s3-server` starts.
    #[arg(long, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    endpoint_url: Option<String>,
    /// AWS region of the bucket (default: from the AWS chain).
    #[arg(long, env = "AWS_REGION")]
    region: Option<String>,
    /// Path-style addressing (http://host/bucket/key), which most
    /// S3-compatible servers need; on by default with --endpoint-url.
    #[arg(long)]
    path_style: Option<bool>,
    /// Memory for S3 read-ahead and upload buffers, shared by every instance,
    /// in MiB. A run's peak memory stays below about this plus
    /// --parallel x --memory-limit.
    #[arg(long, default_value_t = 512, value_name = "MIB")]
    s3_buffers: usize,
}

impl S3Args {
    fn target(&self, url: &str) -> S3Target {
        S3Target {
            url: url.to_string(),
            endpoint_url: self.endpoint_url.clone(),
            region: self.region.clone(),
            force_path_style: self.path_style.unwrap_or(self.endpoint_url.is_some()),
            create_bucket: false,
        }
    }

    async fn connect(&self, target: &S3Target) -> Result<S3Backend> {
        let buffers = self.s3_buffers.max(1) << 20;
        S3Backend::connect(target, |c| c.memory_limit = buffers).await
    }
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    location: Location,
    #[command(flatten)]
    s3: S3Args,
    /// Work on this subdirectory of --dir.
    #[arg(long, default_value = "")]
    root: String,
    /// Split the work into this many shards, each its own component
    /// instance (a document belongs to one shard by the hash of its name).
    /// Default: for process, 64 over --s3 (a document is a few requests,
    /// nearly all waiting) and 8 over --dir (each instance lists inbox/
    /// itself there); one per core for hash, whose instances each hash four
    /// files at once; 1 for walk, where every shard would list the same
    /// directories.
    #[arg(long)]
    shards: Option<u32>,
    /// Run only this shard (0-based) of --shards, as a fan-out worker would.
    #[arg(long)]
    shard_index: Option<u32>,
    /// How many shard instances run at once. Default: as many as --shards
    /// for process and hash, 8 for walk.
    #[arg(long)]
    parallel: Option<usize>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Args, Clone)]
struct EngineArgs {
    /// Run this component file instead of the embedded one.
    #[arg(long, value_name = "FILE", env = "DOCPROC_COMPONENT")]
    component: Option<PathBuf>,
    /// Stop a run that takes longer than this many seconds (fractions
    /// allowed), whether the core is computing or waiting on S3; the error
    /// names any request still unanswered. Each S3 request has its own
    /// bounds too: 5 s to connect, 30 s to the first byte of a response,
    /// 5 min per attempt, 5 attempts.
    #[arg(long, default_value_t = 3600.0, value_name = "SECS")]
    timeout: f64,
    /// Linear-memory limit of each instance, in MiB.
    #[arg(long, default_value_t = 1024)]
    memory_limit: usize,
    /// Compile the component afresh instead of using the on-disk cache.
    #[arg(long)]
    no_cache: bool,
}

impl EngineArgs {
    fn runtime(&self) -> Result<Arc<Runtime>> {
        let source = match &self.component {
            Some(path) => ComponentSource::File(path.clone()),
            None => ComponentSource::Embedded,
        };
        let mut options = RuntimeOptions {
            timeout: Duration::try_from_secs_f64(self.timeout)
                .context("--timeout must be a positive number of seconds")?,
            memory_limit: self.memory_limit << 20,
            ..RuntimeOptions::default()
        };
        if self.no_cache {
            options.cache_dir = None;
        }
        Ok(Arc::new(Runtime::new(&source, options)?))
    }
}

fn main() -> ProcessExit {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ProcessExit::from(if e.use_stderr() {
                ExitCode::Usage as u8
            } else {
                0
            });
        }
    };
    // Logs go to stderr, warnings and up unless RUST_LOG says otherwise.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never into a file or a pipe.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("docproc: cannot start the async runtime: {e}");
            return ProcessExit::from(ExitCode::Failed as u8);
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => ProcessExit::from(code as u8),
        Err(e) => {
            eprintln!("docproc: {e:#}");
            ProcessExit::from(exit_code_of(&e) as u8)
        }
    }
}

/// The documents a named run takes, as paths below the root; `None` for the whole inbox.
fn named_documents(only: Vec<String>, names_from: Option<&Path>) -> Result<Option<Vec<String>>> {
    let mut names = only;
    match names_from {
        None if names.is_empty() => return Ok(None),
        None => {}
        Some(file) => {
            let text = if file == Path::new("-") {
                std::io::read_to_string(std::io::stdin())
                    .context("--names-from -: reading stdin")?
            } else {
                std::fs::read_to_string(file)
                    .with_context(|| format!("--names-from {}", file.display()))?
            };
            names.extend(
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_owned),
            );
        }
    }
    Ok(Some(
        names.into_iter().map(|n| format!("{INBOX}/{n}")).collect(),
    ))
}

async fn dispatch(command: Command) -> Result<ExitCode> {
    match command {
        Command::Process {
            run,
            chunk_size,
            claim_lease,
            no_claims,
            only,
            names_from,
        } => {
            let job = Job::ProcessInbox {
                root: run.root.clone(),
                chunk_size,
                claims: (!no_claims).then(|| Claims {
                    lease_ms: claim_lease.saturating_mul(1000),
                    ..Claims::default()
                }),
                only: named_documents(only, names_from.as_deref())?,
            };
            execute(run, job).await
        }
        Command::Walk { run } => {
            let job = Job::Walk {
                root: run.root.clone(),
            };
            execute(run, job).await
        }
        Command::Hash {
            run,
            out_dir,
            chunk_size,
        } => {
            let job = Job::Hash {
                root: run.root.clone(),
                out_dir,
                chunk_size,
            };
            execute(run, job).await
        }
        Command::Demo {
            s3,
            s3_args,
            docs,
            engine,
            json,
        } => demo(s3, s3_args, docs, engine, json).await,
        Command::Seed {
            location,
            s3,
            docs,
            seed,
        } => {
            let backend = backend(&location, &s3).await?;
            docproc_host::seed::seed_backend(&backend, "", docs, seed).await?;
            eprintln!("seeded {docs} documents into {}", backend.locate(INBOX));
            Ok(ExitCode::Ok)
        }
        Command::Compile { target, out_dir } => {
            let (name, bytes) =
                docproc_host::runtime::precompile(target.as_deref()).with_context(|| {
                    format!(
                        "compiling the core for {}",
                        target.as_deref().unwrap_or("this machine")
                    )
                })?;
            let path = out_dir.join(name);
            std::fs::write(&path, bytes)
                .with_context(|| format!("{}: cannot write", path.display()))?;
            println!("{}", path.display());
            Ok(ExitCode::Ok)
        }
    }
}

async fn backend(location: &Location, s3: &S3Args) -> Result<Backend> {
    Ok(match (&location.dir, &location.s3) {
        (Some(dir), _) => Backend::Local(dir.clone()),
        (None, Some(url)) => Backend::S3(Arc::new(s3.connect(&s3.target(url)).await?)),
        (None, None) => unreachable!("clap requires --dir or --s3"),
    })
}

impl RunArgs {
    fn shards(&self, job: &Job, backend: &Backend) -> Shards {
        Shards::choose(job, backend, self.shards, self.shard_index, self.parallel)
    }
}

async fn execute(args: RunArgs, job: Job) -> Result<ExitCode> {
    // Loading the component and connecting to S3 overlap: start-up is the slower of the two.
    let engine = args.engine.clone();
    let runtime = tokio::task::spawn_blocking(move || engine.runtime());
    let backend = Arc::new(backend(&args.location, &args.s3).await?);
    run_over(runtime.await??, backend, job, &args).await
}

/// Runs `job` over a backend already connected, with a progress bar, and prints the report.
async fn run_over(
    runtime: Arc<Runtime>,
    backend: Arc<Backend>,
    job: Job,
    args: &RunArgs,
) -> Result<ExitCode> {
    let shards = args.shards(&job, &backend);
    let bar = progress(job.name(), &backend, shards.instances(), args.json);
    let report = docproc_host::run_job(runtime, backend, job, shards, |_| bar.inc(1)).await;
    bar.finish_and_clear();
    let report = report?;
    print_report(&report, args.json)?;
    Ok(report.exit_code())
}

/// A bar over shards, or a spinner for one instance; drawn on stderr only
/// when it is a terminal, so pipes and logs stay clean.
fn progress(workload: &str, backend: &Backend, shards: u32, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = if shards > 1 {
        let bar = ProgressBar::new(u64::from(shards));
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} shards {elapsed}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar
    } else {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template"),
        );
        bar
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.set_message(format!("{workload} over {}", backend.describe()));
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn print_report(report: &RunReport, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        print!("{}", report.render());
    }
    Ok(())
}

async fn demo(
    s3: Option<String>,
    s3_args: S3Args,
    docs: usize,
    engine: EngineArgs,
    json: bool,
) -> Result<ExitCode> {
    let location = match s3 {
        Some(url) => Location {
            dir: None,
            s3: Some(url),
        },
        None => {
            let dir = tempfile::Builder::new()
                .prefix("docproc-demo-")
                .tempdir()
                .context("cannot create a temporary directory")?
                .keep();
            Location {
                dir: Some(dir),
                s3: None,
            }
        }
    };
    // The component loads while the demo connects and seeds.
    let loading = {
        let engine = engine.clone();
        tokio::task::spawn_blocking(move || engine.runtime())
    };
    let backend = match &location.s3 {
        Some(url) => {
            let target = S3Target {
                create_bucket: true,
                ..s3_args.target(url)
            };
            Backend::S3(Arc::new(s3_args.connect(&target).await?))
        }
        None => backend(&location, &s3_args).await?,
    };
    docproc_host::seed::seed_backend(&backend, "", docs, 1).await?;
    if !json {
        println!("Seeded {docs} documents into {}\n", backend.locate(INBOX));
    }
    let args = RunArgs {
        location,
        s3: s3_args,
        root: String::new(),
        shards: None,
        shard_index: None,
        parallel: None,
        json,
        engine,
    };
    let job = Job::ProcessInbox {
        root: String::new(),
        chunk_size: 0,
        claims: None,
        only: None,
    };
    let backend = Arc::new(backend);
    let code = run_over(loading.await??, backend.clone(), job, &args).await?;
    if !json {
        println!(
            "\nResults: {} ({docs} documents with .meta.json).",
            backend.locate(PROCESSED),
        );
    }
    Ok(code)
}

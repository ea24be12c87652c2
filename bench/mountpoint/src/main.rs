//! `docproc-mount-s3`: mount an S3 bucket on a directory with the published Mountpoint for
//! Amazon S3 library (`mountpoint-s3-fs`), for the benchmarks. It stays in the foreground
//! until the directory is unmounted (`fusermount -u DIR`) or it gets SIGINT/SIGTERM.
//!
//! Written for a local S3-compatible server: give `--endpoint-url`, `--region` and
//! `--force-path-style`, and run with `AWS_EC2_METADATA_DISABLED=true` so nothing looks for
//! instance metadata. Credentials come from the AWS chain (AWS_ACCESS_KEY_ID, ...).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use mountpoint_s3_client::config::{AddressingStyle, S3ClientAuthConfig};
use mountpoint_s3_client::user_agent::UserAgent;
use mountpoint_s3_fs::data_cache::DataCacheConfig;
use mountpoint_s3_fs::fs::{CacheConfig, TimeToLive};
use mountpoint_s3_fs::fuse::config::{FuseOptions, FuseSessionConfig, MountPoint};
use mountpoint_s3_fs::logging::{LoggingConfig, init_logging};
use mountpoint_s3_fs::memory::{CandidateSize, PagedPool};
use mountpoint_s3_fs::s3::config::{
    ClientConfig, MemoryLimitSetting, PartConfig, Region, TargetThroughputSetting,
};
use mountpoint_s3_fs::s3::{Bucket, Prefix, S3Path, S3Personality};
use mountpoint_s3_fs::{
    MountpointConfig, Runtime, S3FilesystemConfig, Superblock, SuperblockConfig,
};

#[derive(Parser)]
#[command(
    name = "docproc-mount-s3",
    about = "Mount a bucket with the mountpoint-s3-fs library (foreground, for benchmarks)"
)]
struct Cli {
    /// The bucket to mount.
    bucket: String,
    /// An existing, empty directory.
    directory: PathBuf,
    /// Mount only the keys below this prefix (ends with '/').
    #[arg(long, default_value = "")]
    prefix: String,
    /// An S3-compatible endpoint, e.g. http://127.0.0.1:8333.
    #[arg(long)]
    endpoint_url: Option<String>,
    /// Signing region.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Path-style requests (http://host/bucket/key), which local servers need.
    #[arg(long)]
    force_path_style: bool,
    /// Throughput the client aims for, in Gbit/s (Mountpoint asks instance metadata otherwise).
    #[arg(long, default_value_t = 10.0)]
    maximum_throughput_gbps: f64,
    /// Part size of ranged GETs and uploads, in bytes.
    #[arg(long, default_value_t = 8 * 1024 * 1024)]
    part_size: usize,
    /// Memory the prefetcher may use, in MiB (default: 95% of this machine's memory, as
    /// Mountpoint does).
    #[arg(long)]
    memory_target_mib: Option<usize>,
    /// Cache metadata this many seconds (default: Mountpoint's minimal TTL, no cache).
    #[arg(long)]
    metadata_ttl: Option<u64>,
    /// Let the file system delete objects.
    #[arg(long)]
    allow_delete: bool,
    /// Let the file system replace existing objects.
    #[arg(long)]
    allow_overwrite: bool,
    /// FUSE worker threads.
    #[arg(long, default_value_t = 16)]
    max_threads: usize,
    /// Log filter (tracing syntax); logs go to stdout.
    #[arg(long, default_value = "warn,awscrt=off")]
    log: String,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let _logging = init_logging(LoggingConfig {
        log_file: None,
        log_to_stdout: true,
        default_filter: cli.log.clone(),
    })
    .context("cannot set up logging")?;

    let s3_path = S3Path::new(
        Bucket::new(cli.bucket.clone()).context("bad bucket name")?,
        Prefix::new(&cli.prefix).context("bad prefix")?,
    );
    let memory_limit = match cli.memory_target_mib {
        Some(mib) => mib << 20,
        None => default_memory_limit(),
    };
    let client_config = ClientConfig {
        region: Region::new_user_specified(cli.region.clone()),
        endpoint_url: cli.endpoint_url.clone(),
        addressing_style: if cli.force_path_style {
            AddressingStyle::Path
        } else {
            AddressingStyle::Automatic
        },
        dual_stack: false,
        transfer_acceleration: false,
        auth_config: S3ClientAuthConfig::Default,
        requester_pays: false,
        expected_bucket_owner: None,
        throughput_target: TargetThroughputSetting::User {
            gbps: cli.maximum_throughput_gbps,
        },
        bind: None,
        part_config: PartConfig::with_part_size(cli.part_size)
            .validate(MemoryLimitSetting::Default(memory_limit))?,
        user_agent: UserAgent::new(Some("docproc-bench".to_string())),
        tls_config: None,
    };
    let pool = PagedPool::config()
        .with_candidate_sizes([CandidateSize::new(
            client_config.part_config.read_size_bytes,
        )])
        .with_memory_limit(memory_limit)
        .build();
    let client = client_config
        .create_client(pool.clone(), Some(&s3_path))
        .context("cannot create the S3 client")?;
    let runtime = Runtime::new(client.event_loop_group());

    let cache_config = match cli.metadata_ttl {
        Some(secs) => CacheConfig::new(TimeToLive::Duration(std::time::Duration::from_secs(secs))),
        None => CacheConfig::default(),
    };
    // A general-purpose bucket, as on AWS: no RenameObject, ordered listings.
    let personality = S3Personality::Standard;
    let fs_config = S3FilesystemConfig {
        cache_config: cache_config.clone(),
        allow_delete: cli.allow_delete,
        allow_overwrite: cli.allow_overwrite,
        s3_personality: personality,
        ..S3FilesystemConfig::default()
    };
    let fuse_config = FuseSessionConfig::new(
        MountPoint::new(&cli.directory).context("bad mount directory")?,
        FuseOptions::default(),
        cli.max_threads,
    )?;
    let superblock = Superblock::new(
        client.clone(),
        s3_path,
        SuperblockConfig {
            cache_config,
            s3_personality: personality,
        },
    );
    let session = MountpointConfig::new(fuse_config, fs_config, DataCacheConfig::default())?
        .create_fuse_session(superblock, client, runtime, pool)
        .context("cannot mount")?;
    eprintln!(
        "docproc-mount-s3: s3://{}/{} mounted on {}",
        cli.bucket,
        cli.prefix,
        cli.directory.display()
    );
    session.join().context("the FUSE session failed")
}

/// 95% of this machine's memory, as Mountpoint's own default memory target.
fn default_memory_limit() -> usize {
    let total_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        })
        .unwrap_or(4 << 20);
    (total_kib << 10) / 100 * 95
}

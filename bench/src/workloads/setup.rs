//! Setting a run up (local server or the deployed stack), seeding the data, and writing the
//! report at the end.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use docproc_host::{ComponentSource, Runtime, RuntimeOptions};

use crate::backends::BackendKind;
use crate::cli::{AwsArgs, RunArgs};
use crate::context::Ctx;
use crate::machine::{Machine, version_of};
use crate::mounts::server::LocalServer;
use crate::mounts::workdir::WorkDir;
use crate::mounts::{Tools, which};
use crate::s3::{Place, Retries, S3Conn, ensure_bucket};
use crate::settings::{MIB, Profile, Settings, Workload};
use crate::{report, seed, ui};
use docproc_host::report::human_bytes;

/// The repository: where scripts/s3-server and the SeaweedFS venv are.
pub fn repo_root() -> PathBuf {
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if built.join("scripts/s3-server").is_file() {
        return built.canonicalize().unwrap_or(built);
    }
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

/// `all` and `quick`: a local SeaweedFS, every peer mounted against it.
pub async fn run_local(settings: Settings, args: RunArgs) -> Result<()> {
    let started = Instant::now();
    let repo = repo_root();
    let script = repo.join("scripts/s3-server");
    print_plan(&settings);

    // Guards, in the order they must stop in reverse: the work directory last.
    let work = WorkDir::create(args.work_dir.as_deref(), args.keep)?;
    let fusermount = which("fusermount3").or_else(|| which("fusermount"));
    work.start_watchdog(&script, fusermount.as_deref())?;
    ui::log(format!("work directory {}", work.path().display()));

    let sp = ui::spinner("starting the local S3 server (SeaweedFS, 127.0.0.1 only)");
    let server = tokio::task::block_in_place(|| LocalServer::start(&script, &work.join("server")));
    sp.finish_and_clear();
    let server = server?;
    ui::log(format!(
        "S3 server at {} (filer port {})",
        server.endpoint, server.filer_port
    ));

    let weed = repo.join(".venv/bin/weed");
    let tools = Tools::find(args.mountpoint_bin.as_deref(), &weed);
    let conn = S3Conn {
        endpoint: Some(server.endpoint.clone()),
        region: server.region.clone(),
        creds: Some(server.creds.clone()),
    };
    let client = conn.client(None, Retries::Docproc).await;
    let (backends, skipped) = availability(&settings, &tools, &BTreeMap::new());

    let mut places = BTreeMap::new();
    places.insert(BackendKind::Docproc, Place::new("bench-data", ""));
    places.insert(BackendKind::Naive, Place::new("bench-data", ""));
    // One bucket per FUSE client: s3fs leaves dir/ markers that Mountpoint warns about.
    places.insert(BackendKind::S3fs, Place::new("bench-s3fs", ""));
    places.insert(BackendKind::Mountpoint, Place::new("bench-mountpoint", ""));
    places.insert(BackendKind::Weed, Place::new("bench-weed", ""));
    let large = Place::new("bench-large", "");

    let peers = peer_versions(&tools);
    let mut ctx = Ctx {
        rt: runtime(&work.join("cache"))?,
        settings,
        conn,
        work: work.path().to_path_buf(),
        tools,
        filer_port: Some(server.filer_port),
        places,
        large,
        local_root: work.join("local"),
        existing_mounts: BTreeMap::new(),
        expected: Vec::new(),
        backends,
        skipped,
        client,
        on_aws: false,
        settle: Duration::ZERO,
        machine: Machine::describe(peers),
        notes: Vec::new(),
    };
    seed_all(&mut ctx).await?;
    let results = super::measure(&ctx, Some(server.s3_addr()?), started).await?;
    report::finish(&results, &args.out)?;
    Ok(())
}

/// `aws`: the deployed stack from `terraform output -json`.
pub async fn run_aws(settings: Settings, args: AwsArgs) -> Result<()> {
    let started = Instant::now();
    print_plan(&settings);
    let stack = crate::aws::Stack::load(&args.terraform_dir)?;
    ui::log(format!(
        "stack: bucket {} in {}",
        stack.bucket, stack.region
    ));
    let work = WorkDir::create(args.run.work_dir.as_deref(), args.run.keep)?;
    let conn = S3Conn {
        endpoint: None,
        region: stack.region.clone(),
        creds: None,
    };
    let client = conn.client(None, Retries::Docproc).await;
    let run_id = format!(
        "{}docproc-bench/run-{}",
        stack.workspace_prefix,
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    );
    let place = Place::new(&stack.bucket, &run_id);
    let mut existing = BTreeMap::new();
    for (kind, path) in [
        (BackendKind::Weed, &stack.s3files_path),
        (BackendKind::Mountpoint, &stack.mountpoint_path),
    ] {
        if let Some(path) = path
            .as_ref()
            .filter(|p| crate::mounts::fuse::is_mounted(p) || is_nfs_mount(p))
        {
            existing.insert(kind, (path.clone(), stack.workspace_prefix.clone()));
        }
    }
    let tools = Tools::find(None, Path::new("/nonexistent"));
    let (backends, skipped) = availability(&settings, &tools, &existing);
    let mut places = BTreeMap::new();
    for kind in BackendKind::ALL {
        places.insert(kind, place.clone());
    }
    let mut ctx = Ctx {
        rt: runtime(&work.join("cache"))?,
        settings,
        conn,
        work: work.path().to_path_buf(),
        tools,
        filer_port: None,
        places,
        large: place.clone(),
        local_root: work.join("local"),
        existing_mounts: existing,
        expected: Vec::new(),
        backends,
        skipped,
        client: client.clone(),
        on_aws: true,
        settle: Duration::from_secs(args.settle_secs),
        machine: Machine::describe(Vec::new()),
        notes: Vec::new(),
    };
    seed_all(&mut ctx).await?;
    super::settle(&ctx).await;
    let results = super::measure(&ctx, None, started).await;
    // Leave nothing behind in the bucket, whatever happened.
    let sp = ui::spinner(format!("removing {}", place.url()));
    let removed = remove_prefix(&client, &place).await;
    sp.finish_and_clear();
    if let Err(e) = removed {
        ui::log(format!("could not remove {}: {e:#}", place.url()));
    }
    report::finish(&results?, &args.run.out)?;
    Ok(())
}

fn is_nfs_mount(path: &Path) -> bool {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .any(|l| l.split(' ').nth(4) == path.to_str() && l.contains(" nfs"))
}

async fn remove_prefix(client: &aws_sdk_s3::Client, place: &Place) -> Result<()> {
    let keys = crate::s3::list_all(client, &place.bucket, &place.prefix).await?;
    for chunk in keys.chunks(1000) {
        let objects = chunk
            .iter()
            .map(|(k, _)| {
                aws_sdk_s3::types::ObjectIdentifier::builder()
                    .key(k)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        client
            .delete_objects()
            .bucket(&place.bucket)
            .delete(
                aws_sdk_s3::types::Delete::builder()
                    .set_objects(Some(objects))
                    .build()?,
            )
            .send()
            .await
            .map_err(crate::s3::sdk_err)?;
    }
    Ok(())
}

fn runtime(cache: &Path) -> Result<Arc<Runtime>> {
    let rt = Runtime::new(
        &ComponentSource::Embedded,
        RuntimeOptions {
            cache_dir: Some(cache.to_path_buf()),
            ..RuntimeOptions::default()
        },
    )
    .context("loading the docproc component")?;
    Ok(Arc::new(rt))
}

fn print_plan(s: &Settings) {
    ui::log(format!(
        "{} run: process-inbox {} docs x {} runs, walk {} files x {} runs, hash {} x {} x {} run(s), \
         latency pass {}; backends: {}",
        s.profile.name(),
        s.docs,
        s.runs,
        s.walk_files,
        s.runs,
        s.hash_files,
        docproc_host::report::human_bytes(s.hash_file_bytes),
        s.hash_runs,
        if s.latency_ms > 0 {
            format!("{} ms", s.latency_ms)
        } else {
            "off".into()
        },
        s.backends
            .iter()
            .map(|b| b.id())
            .collect::<Vec<_>>()
            .join(", ")
    ));
}

/// Which selected backends can run here, and why the others cannot.
fn availability(
    s: &Settings,
    tools: &Tools,
    existing: &BTreeMap<BackendKind, (PathBuf, String)>,
) -> (Vec<BackendKind>, BTreeMap<BackendKind, String>) {
    let mut skipped = BTreeMap::new();
    for kind in BackendKind::ALL {
        if !s.backends.contains(&kind) {
            continue;
        }
        let missing = if existing.contains_key(&kind) {
            None
        } else if s.profile == Profile::Aws && kind == BackendKind::S3fs {
            Some("the deployed stack has no s3fs mount".to_string())
        } else if s.profile == Profile::Aws && kind.is_mount() {
            Some(
                "not mounted on this machine (run on the EC2 runner after its setup command)"
                    .to_string(),
            )
        } else if s.profile == Profile::Quick && kind == BackendKind::Mountpoint {
            Some("not in bench-quick (its build takes ~15 min; make bench-all runs it)".to_string())
        } else {
            match kind {
                BackendKind::S3fs => tools.s3fs.as_ref().err().cloned(),
                BackendKind::Mountpoint => tools.mountpoint.as_ref().err().cloned(),
                BackendKind::Weed => tools.weed.as_ref().err().cloned(),
                _ => None,
            }
        };
        if let Some(why) = missing {
            ui::log(format!("skipping {}: {why}", kind.id()));
            skipped.insert(kind, why);
        }
    }
    (s.backends.clone(), skipped)
}

fn peer_versions(tools: &Tools) -> Vec<String> {
    let mut v = Vec::new();
    if let Ok(p) = &tools.s3fs
        && let Some(line) = version_of(p, &["--version"])
    {
        v.push(line);
    }
    if let Ok(p) = &tools.weed
        && let Some(line) = version_of(p, &["version"])
    {
        v.push(format!("SeaweedFS {line}"));
    }
    if tools.mountpoint.is_ok() {
        v.push("mountpoint-s3-fs 0.11.0 (bench/mountpoint launcher)".into());
    }
    v
}

/// The data every selected backend needs, each in its own place.
async fn seed_all(ctx: &mut Ctx) -> Result<()> {
    let s = ctx.settings.clone();
    let runs = |k: BackendKind| ctx.backends.contains(&k) && !ctx.skipped.contains_key(&k);
    let needs_walk = s.wants(Workload::Walk) || s.wants(Workload::Raw);
    let needs_hash = s.wants(Workload::Hash) || s.wants(Workload::Raw) || s.wants(Workload::Rss);
    let s3_kinds: Vec<BackendKind> = BackendKind::ALL
        .into_iter()
        .filter(|k| *k != BackendKind::Local && runs(*k) && !ctx.existing_mounts.contains_key(k))
        .collect();
    let any_s3 = !s3_kinds.is_empty() || s.wants(Workload::Raw) || !ctx.existing_mounts.is_empty();
    let local = runs(BackendKind::Local) || s.wants(Workload::WasmCost);

    std::fs::create_dir_all(&ctx.local_root)?;
    if needs_hash {
        let copies = u64::from(local) + u64::from(any_s3 && !ctx.on_aws);
        fit_to_disk(ctx, copies);
    }
    let s = ctx.settings.clone();
    let mut buckets: Vec<String> = s3_kinds
        .iter()
        .map(|k| ctx.place(*k, crate::context::Data::Small).bucket)
        .collect();
    if any_s3 {
        buckets.push(ctx.large.bucket.clone());
        buckets.push(
            ctx.place(BackendKind::Docproc, crate::context::Data::Small)
                .bucket,
        );
    }
    buckets.sort();
    buckets.dedup();
    if !ctx.on_aws {
        for b in &buckets {
            ensure_bucket(&ctx.client, b).await?;
        }
    }

    if needs_walk {
        if local {
            let bar = ui::spinner(format!(
                "seeding the walk tree ({} files) locally",
                s.walk_files
            ));
            seed::walk_local(&ctx.local_root.join(super::walk::ROOT), s.walk_files)?;
            bar.finish_and_clear();
        }
        // Places that share a bucket and prefix are seeded once.
        let mut places: Vec<Place> = s3_kinds
            .iter()
            .map(|k| ctx.place(*k, crate::context::Data::Small))
            .collect();
        if s.wants(Workload::Raw) || !ctx.existing_mounts.is_empty() {
            places.push(ctx.place(BackendKind::Docproc, crate::context::Data::Small));
        }
        places.sort_by_key(Place::url);
        places.dedup_by_key(|p| p.url());
        for place in places {
            let bar = ui::bar(
                s.walk_files as u64,
                format!("seeding {} files into {}", s.walk_files, place.url()),
            );
            seed::walk_s3(&ctx.client, &place, super::walk::ROOT, s.walk_files, &bar).await?;
            bar.finish_and_clear();
        }
    }
    if needs_hash {
        let local_dir = local.then(|| ctx.local_root.join(super::hash::ROOT));
        let large = ctx.large.clone();
        let s3 = any_s3.then_some((&ctx.client, &large));
        let copies = u64::from(local_dir.is_some()) + u64::from(s3.is_some());
        if copies > 0 {
            let bar = ui::bytes_bar(
                s.hash_total_bytes(),
                format!(
                    "making {} x {} random files",
                    s.hash_files,
                    docproc_host::report::human_bytes(s.hash_file_bytes)
                ),
            );
            ctx.expected = seed::hash_files(
                local_dir.as_deref(),
                s3,
                s.hash_files,
                s.hash_file_bytes,
                &bar,
            )
            .await?;
            bar.finish_and_clear();
        }
    }
    ui::log("data seeded");
    Ok(())
}

/// Shrinks the hash files when this disk cannot hold them (a copy in the local directory
/// and one in the server's data, with room to spare), instead of failing half way.
fn fit_to_disk(ctx: &mut Ctx, copies: u64) {
    const MARGIN: u64 = 3 << 30;
    let Some(free) = free_bytes(&ctx.work) else {
        return;
    };
    let s = &mut ctx.settings;
    let need = s.hash_total_bytes() * copies;
    if copies == 0 || need + MARGIN <= free {
        return;
    }
    let per_file = (free.saturating_sub(MARGIN) / copies / s.hash_files as u64) / MIB * MIB;
    let per_file = per_file.max(16 * MIB);
    let note = format!(
        "Only {} free on the work directory's disk: the hash files were shrunk from {} to {} each.",
        human_bytes(free),
        human_bytes(s.hash_file_bytes),
        human_bytes(per_file)
    );
    ui::log(&note);
    ctx.notes.push(note);
    s.hash_file_bytes = per_file;
}

fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c` is a valid NUL-terminated path and `st` points to writable memory of the
    // right type; statvfs fills it in when it returns 0.
    let rc = unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it initialised the struct.
    let st = unsafe { st.assume_init() };
    Some(st.f_bavail * st.f_frsize)
}

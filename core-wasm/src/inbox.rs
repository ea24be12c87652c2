//! process-inbox: count each document, write its metadata, move it.
//!
//! Crash safety comes from the order of two renames. The metadata is written
//! under a temporary name and renamed into place first; the document is moved
//! second. So at any instant a document is in `inbox/` (maybe with metadata
//! already in `processed/`, which a rerun reuses instead of counting again) or
//! fully in `processed/` with its metadata. (Where a move is copy + delete,
//! as on S3, a crash between the two leaves a fully processed document plus
//! a stale copy in `inbox/`, which the rerun deletes by finishing the move.)

use crate::claim::{self, Claim, ClaimOptions, OwnClaim};
use crate::clock::{ms_between, rfc3339};
use crate::count::Counter;
use crate::fs::{Entry, ErrorKind, Fs, FsError, Kind, join, read_small};
use crate::layout::{self, error_name, meta_name, tmp_name};
use crate::report::{DocumentError, DocumentMeta, DocumentResult, InboxReport, Outcome};
use crate::shard::Shard;
use std::collections::BTreeSet;

pub const DEFAULT_CHUNK: usize = 1 << 20;
const META_LIMIT: usize = 64 * 1024;

pub struct Options<'a> {
    pub root: &'a str,
    pub shard: Shard,
    pub chunk_size: usize,
    /// `None` when this host is the only one working on the inbox.
    pub claims: Option<ClaimOptions>,
    /// Written files appear only whole, so no temporary name is needed.
    pub whole_file_writes: bool,
    /// Directories exist only while something lies below them (S3 prefixes), so a missing
    /// one is an empty one: a drained inbox is nothing to do, not an error.
    pub prefix_directories: bool,
    /// Only these paths below `root` (`inbox/<name>`, as an event names them) instead of
    /// the listing of `inbox/`: a named run.
    pub only: Option<&'a [String]>,
}

/// What a run works through: the listing of `inbox/`, or the paths it was given.
enum Candidate {
    Listed(Entry),
    /// A name in `inbox/` that a named run was given; not looked at yet.
    Named(String),
    /// A path a named run was given that is no document of `inbox/`.
    NotInInbox {
        path: String,
        why: &'static str,
    },
}

impl Candidate {
    /// Every path given belongs to exactly one shard, so the shards' counts add up.
    fn shard_key(&self) -> &str {
        match self {
            Candidate::Listed(entry) => &entry.name,
            Candidate::Named(name) => name,
            Candidate::NotInInbox { path, .. } => path,
        }
    }
}

/// The paths of a named run, each once, with those outside `inbox/` told apart. Only
/// names directly in `inbox/` are documents: anything else (`processed/x`, which a
/// careless event rule sends back after every move) is left alone.
fn named(paths: &[String]) -> Vec<Candidate> {
    let unique: BTreeSet<&str> = paths.iter().map(String::as_str).collect();
    unique
        .into_iter()
        .map(|path| {
            match path
                .strip_prefix(layout::INBOX)
                .and_then(|p| p.strip_prefix('/'))
            {
                Some(name) if !name.contains('/') && !matches!(name, "" | "." | "..") => {
                    Candidate::Named(name.to_string())
                }
                Some(name) if name.contains('/') && !name.split('/').any(|c| c == "..") => {
                    Candidate::NotInInbox {
                        path: path.to_string(),
                        why: "in a subdirectory of inbox/",
                    }
                }
                _ => Candidate::NotInInbox {
                    path: path.to_string(),
                    why: "not in inbox/",
                },
            }
        })
        .collect()
}

/// Per-document failures that send it to `failed/`.
enum DocFailure {
    /// The document itself is bad or unreadable.
    Bad(String),
    /// The store failed, not the document (a write of our own files, a
    /// transient error on stat or read): stop the run; the document stays
    /// in `inbox/` for the next one.
    Store(FsError),
    /// This host was too slow and another took the claim over: the document is theirs.
    ClaimLost,
}

/// An error on one of the document's own records is the store's, except a name the store
/// cannot hold: that is as much the document's as its bytes (a key near S3's 1,024 bytes
/// has no room for `processed/` or `.meta.json`), and retrying cannot help.
impl From<FsError> for DocFailure {
    fn from(e: FsError) -> Self {
        match e.kind {
            ErrorKind::NameTooLong => {
                DocFailure::Bad(format!("{} cannot be named: {}", e.path, e.message))
            }
            _ => DocFailure::Store(e),
        }
    }
}

pub fn process_inbox<F: Fs>(fs: &F, opts: &Options) -> Result<InboxReport, FsError> {
    opts.shard.check(opts.root)?;
    // 0 asks for the default.
    let chunk = Some(opts.chunk_size)
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_CHUNK);
    let dirs = Dirs::new(opts.root, opts.whole_file_writes);
    let mut report = InboxReport::default();
    let started = fs.now();

    let named_run = opts.only.is_some();
    let candidates = match opts.only {
        Some(paths) => {
            if !opts.prefix_directories && fs.stat(&dirs.inbox)?.is_none() {
                return Err(no_inbox(&dirs.inbox));
            }
            named(paths)
        }
        None => match list_inbox(fs, opts, &dirs)? {
            Some((entries, others)) => {
                report.other_shards += others;
                entries.into_iter().map(Candidate::Listed).collect()
            }
            None => {
                report.inbox_absent = true;
                report.timings.list_ms = ms_between(started, fs.now());
                report.timings.total_ms = report.timings.list_ms;
                return Ok(report);
            }
        },
    };
    // processed/ is never listed: it holds every document of the pipeline's history, and a
    // run looks up only its own documents' names there. failed/ is made by the first failure.
    fs.create_dir(&dirs.processed)?;
    if let Some(c) = &opts.claims {
        // Swept before the documents, not after: its listing of .claims/ is the lookup the
        // mkdir needs, so the two cost one round trip, and none is left for after the last
        // document. (Named runs look at their own names only: a sweep would list every claim.)
        if !named_run {
            claim::sweep(fs, opts.root, &dirs.inbox, &opts.shard, c)?;
        }
        fs.create_dir(&join(opts.root, claim::DIR))?;
    }
    report.timings.list_ms = ms_between(started, fs.now());

    for candidate in candidates {
        if !opts.shard.owns(candidate.shard_key()) {
            report.other_shards += 1;
            continue;
        }
        let name = match candidate {
            Candidate::Listed(entry) if entry.kind != Kind::File => {
                report.skipped += 1;
                continue;
            }
            Candidate::Listed(entry) => entry.name,
            Candidate::NotInInbox { path, why } => {
                report.record(path, Outcome::Skipped(why.into()));
                continue;
            }
            Candidate::Named(name) => match fs.stat(&join(&dirs.inbox, &name)) {
                Ok(Some(stat)) if stat.kind != Kind::File => {
                    let path = format!("{}/{name}", layout::INBOX);
                    report.record(path, Outcome::Skipped("not a regular file".into()));
                    continue;
                }
                Ok(None) => {
                    let outcome = gone(fs, &dirs, &name)?;
                    report.record(name, outcome);
                    continue;
                }
                // A stat the document itself fails is its failure: process_one names it.
                Ok(Some(_)) | Err(_) => name,
            },
        };
        let mut held = match &opts.claims {
            None => None,
            Some(c) => match claim::try_claim(fs, opts.root, &name, c) {
                Ok(Claim::Won(held)) => Some(held),
                Ok(Claim::Held) => {
                    report.claimed_elsewhere(name, named_run);
                    continue;
                }
                // A name that fits inbox/ but not the claims' directory (a key near S3's
                // 1,024 bytes) would stop every run here: it is the document's failure.
                Err(e) if e.kind == ErrorKind::NameTooLong => {
                    let why = format!("its claim cannot be named: {}", e.message);
                    let reason = fail_one(fs, &dirs, &name, why, &mut report)?;
                    report.record(name, Outcome::Failed(reason));
                    continue;
                }
                Err(e) => return Err(e),
            },
        };
        let outcome = match process_one(fs, &dirs, &name, chunk, held.as_mut(), &mut report) {
            Ok(Some(outcome)) => outcome,
            Ok(None) => {
                if named_run {
                    let outcome = gone(fs, &dirs, &name)?;
                    report.record(name, outcome);
                } else {
                    report.vanished += 1;
                }
                if let Some(held) = held {
                    held.release_done(fs)?;
                }
                continue;
            }
            Err(DocFailure::Bad(reason)) => {
                let reason = fail_one(fs, &dirs, &name, reason, &mut report)?;
                Outcome::Failed(reason)
            }
            // Its links stay for the host that took it over to remove.
            Err(DocFailure::ClaimLost) => {
                report.claimed_elsewhere(name, named_run);
                continue;
            }
            // The document stays in inbox/ for the next run; let that run
            // have it at once. (A failing store may refuse this too; then
            // the claim expires after its lease.)
            Err(DocFailure::Store(e)) => {
                if let Some(held) = held {
                    let _ = held.release_kept(fs);
                }
                return Err(e);
            }
        };
        if let Some(held) = held {
            held.release_done(fs)?;
        }
        report.record(name, outcome);
    }
    report.timings.total_ms = ms_between(started, fs.now());
    Ok(report)
}

fn no_inbox(inbox: &str) -> FsError {
    FsError::new(
        ErrorKind::NotFound,
        inbox,
        "no inbox/ directory here: put documents in <root>/inbox/",
    )
}

/// This shard's entries of `inbox/`, sorted, and how many belong to other shards; `None`
/// where a missing inbox means a drained one. Each instance keeps only its own share, so
/// the 64 instances of a run over a big inbox hold one listing between them, not 64.
fn list_inbox<F: Fs>(
    fs: &F,
    opts: &Options,
    dirs: &Dirs,
) -> Result<Option<(Vec<Entry>, u32)>, FsError> {
    let listed = fs.scan_dir(
        &dirs.inbox,
        || (Vec::new(), 0),
        |(own, others), entry| {
            if opts.shard.owns(&entry.name) {
                own.push(entry);
            } else {
                *others += 1;
            }
            Ok(())
        },
    );
    match listed {
        Err(e) if e.kind == ErrorKind::NotFound && opts.prefix_directories => {
            // A run killed after its last move but before its release leaves a claim
            // behind a drained inbox: still swept.
            if let Some(c) = &opts.claims {
                claim::sweep(fs, opts.root, &dirs.inbox, &opts.shard, c)?;
            }
            Ok(None)
        }
        Err(e) if e.kind == ErrorKind::NotFound => Err(no_inbox(&dirs.inbox)),
        Err(e) => Err(e),
        Ok((mut own, others)) => {
            own.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(Some((own, others)))
        }
    }
}

/// A named document that is not in `inbox/`: handled already, or absent.
fn gone<F: Fs>(fs: &F, dirs: &Dirs, name: &str) -> Result<Outcome, FsError> {
    for record in [
        join(&dirs.processed, &meta_name(name)),
        join(&dirs.failed, &error_name(name)),
    ] {
        if fs.stat(&record)?.is_some() {
            return Ok(Outcome::AlreadyDone);
        }
    }
    Ok(Outcome::Absent)
}

impl InboxReport {
    /// Counts one document's outcome and keeps it in the report.
    fn record(&mut self, name: String, outcome: Outcome) {
        match &outcome {
            Outcome::Processed(meta) | Outcome::Resumed(meta) => {
                if matches!(outcome, Outcome::Processed(_)) {
                    self.processed += 1;
                } else {
                    self.resumed += 1;
                }
                self.bytes += meta.size_bytes;
                self.words += meta.word_count;
                self.lines += meta.line_count;
                self.chars += meta.char_count;
            }
            Outcome::Failed(_) => self.failed += 1,
            Outcome::AlreadyDone => self.already_done += 1,
            Outcome::Absent => self.vanished += 1,
            Outcome::ClaimedElsewhere => self.claimed_elsewhere += 1,
            Outcome::Skipped(_) => self.skipped += 1,
        }
        self.documents.push(DocumentResult { name, outcome });
    }

    /// A named run says so per name, since its caller answers per name (an SQS message).
    fn claimed_elsewhere(&mut self, name: String, named_run: bool) {
        if named_run {
            self.record(name, Outcome::ClaimedElsewhere);
        } else {
            self.claimed_elsewhere += 1;
        }
    }
}

struct Dirs {
    inbox: String,
    processed: String,
    failed: String,
    whole_file_writes: bool,
}

impl Dirs {
    fn new(root: &str, whole_file_writes: bool) -> Self {
        Dirs {
            inbox: join(root, layout::INBOX),
            processed: join(root, layout::PROCESSED),
            failed: join(root, layout::FAILED),
            whole_file_writes,
        }
    }

    fn in_processed<F: Fs>(&self, fs: &F, name: &str) -> Result<bool, DocFailure> {
        fs.stat(&join(&self.processed, name))
            .map(|s| s.is_some())
            .map_err(DocFailure::from)
    }
}

fn process_one<F: Fs>(
    fs: &F,
    dirs: &Dirs,
    name: &str,
    chunk: usize,
    mut claim: Option<&mut OwnClaim>,
    report: &mut InboxReport,
) -> Result<Option<Outcome>, DocFailure> {
    // Before each step that commits something, and between chunks of a long read.
    let mut still_ours = || match claim.as_deref_mut() {
        None => Ok(()),
        Some(held) => match held.keep(fs) {
            Ok(true) => Ok(()),
            Ok(false) => Err(DocFailure::ClaimLost),
            Err(e) => Err(DocFailure::Store(e)),
        },
    };
    let src = join(&dirs.inbox, name);
    let dst = join(&dirs.processed, name);
    let meta_path = join(&dirs.processed, &meta_name(name));

    let t = fs.now();
    let (size, version) = match fs.stat(&src) {
        Ok(Some(stat)) => (stat.size, version_of(&stat)),
        Ok(None) => return Ok(None),
        Err(e) if e.kind == ErrorKind::Io => return Err(DocFailure::Store(e)),
        Err(e) => return Err(DocFailure::Bad(e.message)),
    };
    if let Some(meta) = finished_meta(fs, dirs, &meta_path, &dst, name, size, &version)? {
        report.timings.read_ms += ms_between(t, fs.now());
        let t = fs.now();
        // Where rename is copy + delete (S3), the crash may have fallen
        // between the two for the metadata too.
        if dirs.in_processed(fs, &tmp_name(name))? {
            match fs.remove_file(&join(&dirs.processed, &tmp_name(name))) {
                Err(e) if e.kind != ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        still_ours()?;
        if !move_doc(fs, &src, &dst)? {
            return Ok(None);
        }
        report.timings.move_ms += ms_between(t, fs.now());
        return Ok(Some(Outcome::Resumed(meta)));
    }

    // Another host may have finished this document since we listed it.
    let file = match fs.open(&src) {
        Ok(file) => file,
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_failure(e, &src, 0)),
    };
    report.timings.read_ms += ms_between(t, fs.now());
    let mut counter = Counter::default();
    let mut offset = 0u64;
    loop {
        let t = fs.now();
        let bytes = match fs.read_at(&file, offset, chunk) {
            Ok(bytes) => bytes,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(read_failure(e, &src, offset)),
        };
        let t2 = fs.now();
        report.timings.read_ms += ms_between(t, t2);
        if bytes.is_empty() {
            break;
        }
        offset += bytes.len() as u64;
        still_ours()?;
        counter
            .feed(&bytes)
            .map_err(|e| DocFailure::Bad(e.to_string()))?;
        report.timings.process_ms += ms_between(t2, fs.now());
    }
    drop(file);
    let counts = counter
        .finish()
        .map_err(|e| DocFailure::Bad(e.to_string()))?;

    let t = fs.now();
    let meta = DocumentMeta {
        filename: name.to_string(),
        size_bytes: counts.bytes,
        word_count: counts.words,
        line_count: counts.lines,
        char_count: counts.chars,
        processed_at: rfc3339(t),
        source_version: Some(version),
    };
    let json = serde_json::to_vec_pretty(&meta).expect("metadata serialises");
    still_ours()?;
    write_atomically(fs, dirs, &dirs.processed, &meta_path, name, &json)?;
    let t2 = fs.now();
    report.timings.write_meta_ms += ms_between(t, t2);
    still_ours()?;
    match move_doc(fs, &src, &dst) {
        Ok(true) => {}
        Ok(false) => return Ok(None),
        // processed/ holds only documents that are there: the metadata goes with the move.
        Err(e @ DocFailure::Bad(_)) => {
            let _ = fs.remove_file(&meta_path);
            return Err(e);
        }
        Err(e) => return Err(e),
    }
    report.timings.move_ms += ms_between(t2, fs.now());
    Ok(Some(Outcome::Processed(meta)))
}

/// A document we may not read is bad input and goes to `failed/`; a store
/// that fails to serve it is not the document's fault: stop the run and
/// leave the document in `inbox/` for the next one.
fn read_failure(e: FsError, src: &str, offset: u64) -> DocFailure {
    match e.kind {
        ErrorKind::Io => DocFailure::Store(FsError::new(
            e.kind,
            src,
            format!("read failed at byte {offset}: {}", e.message),
        )),
        _ => DocFailure::Bad(format!("cannot read at byte {offset}: {}", e.message)),
    }
}

/// `false` when the document is already gone: another host finished it.
fn move_doc<F: Fs>(fs: &F, src: &str, dst: &str) -> Result<bool, DocFailure> {
    match fs.rename(src, dst) {
        Ok(()) => Ok(true),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(false),
        // A name that fits inbox/ may not fit processed/ (a key near S3's 1,024 bytes).
        Err(e) => Err(e.into()),
    }
}

/// Metadata that an interrupted run left for exactly this document (same
/// name and size). The document may not have been moved yet, or, on a store
/// where a move is copy + delete (S3), copied but not yet deleted.
fn finished_meta<F: Fs>(
    fs: &F,
    dirs: &Dirs,
    meta_path: &str,
    dst: &str,
    name: &str,
    size: u64,
    version: &str,
) -> Result<Option<DocumentMeta>, DocFailure> {
    if !dirs.in_processed(fs, &meta_name(name))? {
        return Ok(None);
    }
    if dirs.in_processed(fs, name)? {
        match fs.stat(dst) {
            Ok(Some(copied)) if copied.size == size => {}
            _ => return Ok(None),
        }
    }
    let Some(bytes) = read_small(fs, meta_path, META_LIMIT).ok().flatten() else {
        return Ok(None);
    };
    let Ok(meta) = serde_json::from_slice::<DocumentMeta>(&bytes) else {
        return Ok(None);
    };
    // Metadata from before versions were recorded counts for a document of the same size.
    let same_version = meta.source_version.as_deref().is_none_or(|v| v == version);
    Ok((meta.filename == name && meta.size_bytes == size && same_version).then_some(meta))
}

/// Size and whole seconds of mtime: what every store reports alike for one upload (S3
/// lists milliseconds but HEAD answers in seconds), and what a new upload changes.
fn version_of(stat: &crate::fs::Stat) -> String {
    let secs = stat.mtime.map_or(0, |t| t.as_secs());
    format!("{}@{secs}", stat.size)
}

/// Writes `dir/.<name>.docproc.tmp` then renames it to `path`, so readers
/// never see a half-written file; a store that only shows whole files gets
/// it written in place.
fn write_atomically<F: Fs>(
    fs: &F,
    dirs: &Dirs,
    dir: &str,
    path: &str,
    name: &str,
    data: &[u8],
) -> Result<(), FsError> {
    if dirs.whole_file_writes {
        return fs.write_file(path, data);
    }
    let tmp = join(dir, &tmp_name(name));
    fs.write_file(&tmp, data)?;
    fs.rename(&tmp, path)
}

/// Records why `name` failed in `failed/`, then moves it there. A document the store will
/// not let us move (on S3 a move reads it, and we may not) stays in `inbox/`; the reason
/// returned says so.
fn fail_one<F: Fs>(
    fs: &F,
    dirs: &Dirs,
    name: &str,
    reason: String,
    report: &mut InboxReport,
) -> Result<String, FsError> {
    let t = fs.now();
    let record = DocumentError {
        filename: name.to_string(),
        error: reason.clone(),
        failed_at: rfc3339(t),
    };
    let json = serde_json::to_vec_pretty(&record).expect("error record serialises");
    fs.create_dir(&dirs.failed)?;
    let err_path = join(&dirs.failed, &error_name(name));
    let reason = match write_atomically(fs, dirs, &dirs.failed, &err_path, name, &json) {
        Ok(()) => reason,
        Err(e) if e.kind == ErrorKind::NameTooLong => {
            format!("{reason}; no error record in failed/: {}", e.message)
        }
        Err(e) => return Err(e),
    };
    let t2 = fs.now();
    report.timings.write_meta_ms += ms_between(t, t2);
    let reason = match fs.rename(&join(&dirs.inbox, name), &join(&dirs.failed, name)) {
        Ok(()) => reason,
        // It vanished on its own: the error record says why, nothing to move.
        Err(e) if e.kind == ErrorKind::NotFound => reason,
        Err(e) if e.kind == ErrorKind::AccessDenied => {
            format!("{reason}; left in inbox/, moving it was refused too")
        }
        Err(e) if e.kind == ErrorKind::NameTooLong => {
            format!("{reason}; left in inbox/, its name does not fit failed/")
        }
        Err(e) => return Err(e),
    };
    report.timings.move_ms += ms_between(t2, fs.now());
    Ok(reason)
}

//! The component's face: `wasi:filesystem` underneath, the `workloads`
//! interface on top. Everything else in this crate is plain Rust.

use std::time::Duration;

use crate::fs::{self, Entry, ErrorKind, FsError, Kind, Stat};
use crate::report;
use crate::shard::Shard;

wit_bindgen::generate!({
    path: "../wit",
    world: "docproc",
    generate_all,
});

use exports::docproc::core::workloads as wit;
use wasi::filesystem::preopens::get_directories;
use wasi::filesystem::types::{
    Descriptor, DescriptorFlags, DescriptorStat, DescriptorType, ErrorCode, OpenFlags, PathFlags,
};

struct WasiFs {
    root: Descriptor,
}

impl WasiFs {
    /// The first preopen is the root every path is relative to.
    fn open() -> Result<Self, FsError> {
        get_directories()
            .into_iter()
            .next()
            .map(|(root, _)| WasiFs { root })
            .ok_or_else(|| FsError::new(ErrorKind::NotFound, "", "the host preopened no directory"))
    }

    fn dir(&self, path: &str) -> Result<Option<Descriptor>, FsError> {
        if path.is_empty() {
            return Ok(None);
        }
        self.root
            .open_at(
                PathFlags::empty(),
                path,
                OpenFlags::DIRECTORY,
                DescriptorFlags::READ,
            )
            .map(Some)
            .map_err(|e| err(path, e))
    }
}

fn err(path: &str, code: ErrorCode) -> FsError {
    let kind = match code {
        ErrorCode::NoEntry => ErrorKind::NotFound,
        ErrorCode::NotDirectory => ErrorKind::NotADirectory,
        ErrorCode::Access | ErrorCode::NotPermitted | ErrorCode::ReadOnly => {
            ErrorKind::AccessDenied
        }
        ErrorCode::NameTooLong => ErrorKind::NameTooLong,
        ErrorCode::Invalid | ErrorCode::IllegalByteSequence => ErrorKind::InvalidArgument,
        ErrorCode::Exist => ErrorKind::Exists,
        _ => ErrorKind::Io,
    };
    FsError::new(kind, path, code.message().trim_end_matches('.').to_string())
}

fn kind_of(t: DescriptorType) -> Kind {
    match t {
        DescriptorType::RegularFile => Kind::File,
        DescriptorType::Directory => Kind::Dir,
        _ => Kind::Other,
    }
}

/// A `stat` answer in the core's terms: `None` for nothing there, other errors as they came.
fn stat_of(stat: Result<DescriptorStat, ErrorCode>) -> Result<Option<Stat>, ErrorCode> {
    match stat {
        Ok(s) => Ok(Some(Stat {
            kind: kind_of(s.type_),
            size: s.size,
            mtime: s
                .data_modification_timestamp
                .map(|t| Duration::new(t.seconds, t.nanoseconds)),
        })),
        Err(ErrorCode::NoEntry) => Ok(None),
        Err(e) => Err(e),
    }
}

impl fs::Fs for WasiFs {
    type File = Descriptor;
    type Dir = Option<Descriptor>;

    fn open_dir(&self, path: &str) -> fs::Result<Option<Descriptor>> {
        self.dir(path)
    }

    fn list_dir(
        &self,
        dir: &Option<Descriptor>,
        path: &str,
        f: &mut dyn FnMut(Entry) -> fs::Result<()>,
    ) -> fs::Result<()> {
        let dir = dir.as_ref().unwrap_or(&self.root);
        let stream = dir.read_directory().map_err(|e| err(path, e))?;
        while let Some(e) = stream.read_directory_entry().map_err(|e| err(path, e))? {
            f(Entry {
                name: e.name,
                kind: kind_of(e.type_),
            })?;
        }
        Ok(())
    }

    fn stat(&self, path: &str) -> fs::Result<Option<Stat>> {
        let stat = if path.is_empty() {
            self.root.stat()
        } else {
            self.root.stat_at(PathFlags::empty(), path)
        };
        stat_of(stat).map_err(|e| err(path, e))
    }

    fn stat_entry(
        &self,
        dir: &Option<Descriptor>,
        path: &str,
        name: &str,
    ) -> fs::Result<Option<Stat>> {
        let dir = dir.as_ref().unwrap_or(&self.root);
        // The entry's full path is made only for an error's message, not for every file.
        stat_of(dir.stat_at(PathFlags::empty(), name)).map_err(|e| err(&fs::join(path, name), e))
    }

    fn open(&self, path: &str) -> fs::Result<Descriptor> {
        self.root
            .open_at(
                PathFlags::empty(),
                path,
                OpenFlags::empty(),
                DescriptorFlags::READ,
            )
            .map_err(|e| err(path, e))
    }

    fn read_at(&self, file: &Descriptor, offset: u64, len: usize) -> fs::Result<Vec<u8>> {
        file.read(len as u64, offset)
            .map(|(bytes, _eof)| bytes)
            .map_err(|e| err("", e))
    }

    fn write_file(&self, path: &str, data: &[u8]) -> fs::Result<()> {
        self.write_with(path, OpenFlags::CREATE | OpenFlags::TRUNCATE, data)
    }

    fn create_new(&self, path: &str, data: &[u8]) -> fs::Result<()> {
        self.write_with(path, OpenFlags::CREATE | OpenFlags::EXCLUSIVE, data)
    }

    fn remove_file(&self, path: &str) -> fs::Result<()> {
        self.root.unlink_file_at(path).map_err(|e| err(path, e))
    }

    fn rename(&self, from: &str, to: &str) -> fs::Result<()> {
        self.root
            .rename_at(from, &self.root, to)
            // A name too long is the new one's: the old one exists.
            .map_err(|e| match e {
                ErrorCode::NameTooLong => err(to, e),
                _ => err(from, e),
            })
    }

    fn create_dir(&self, path: &str) -> fs::Result<()> {
        match self.root.create_directory_at(path) {
            Ok(()) | Err(ErrorCode::Exist) => Ok(()),
            Err(e) => Err(err(path, e)),
        }
    }

    fn now(&self) -> Duration {
        let t = wasi::clocks::wall_clock::now();
        Duration::new(t.seconds, t.nanoseconds)
    }
}

impl WasiFs {
    fn write_with(&self, path: &str, open: OpenFlags, data: &[u8]) -> fs::Result<()> {
        let file = self
            .root
            .open_at(PathFlags::empty(), path, open, DescriptorFlags::WRITE)
            .map_err(|e| err(path, e))?;
        let mut written = 0usize;
        while written < data.len() {
            let n = file
                .write(&data[written..], written as u64)
                .map_err(|e| err(path, e))?;
            written += n as usize;
        }
        // A host may upload on sync: only a successful sync means durable.
        file.sync().map_err(|e| err(path, e))
    }
}

struct Component;

impl wit::Guest for Component {
    fn process_inbox(o: wit::InboxOptions) -> Result<wit::InboxReport, wit::WorkloadError> {
        let fs = WasiFs::open().map_err(to_wit_error)?;
        let opts = crate::inbox::Options {
            root: &o.root,
            shard: shard(o.shard),
            chunk_size: o.chunk_size as usize,
            claims: o.claims.map(|c| crate::claim::ClaimOptions {
                owner: c.owner,
                lease: Duration::from_millis(c.lease_ms),
            }),
            whole_file_writes: o.whole_file_writes,
            prefix_directories: o.prefix_directories,
            only: o.only.as_deref(),
        };
        crate::inbox::process_inbox(&fs, &opts)
            .map(inbox_report)
            .map_err(to_wit_error)
    }

    fn walk(o: wit::WalkOptions) -> Result<wit::WalkReport, wit::WorkloadError> {
        let fs = WasiFs::open().map_err(to_wit_error)?;
        let r = crate::walk::walk(&fs, &o.root, shard(o.shard)).map_err(to_wit_error)?;
        Ok(wit::WalkReport {
            entries: r.entries,
            files: r.files,
            directories: r.directories,
            others: r.others,
            total_bytes: r.total_bytes,
            elapsed_ms: r.elapsed_ms,
        })
    }

    fn hash(o: wit::HashOptions) -> Result<wit::HashReport, wit::WorkloadError> {
        let fs = WasiFs::open().map_err(to_wit_error)?;
        let opts = crate::hash::Options {
            root: &o.root,
            out_dir: &o.out_dir,
            shard: shard(o.shard),
            chunk_size: o.chunk_size as usize,
        };
        let r = crate::hash::hash(&fs, &opts).map_err(to_wit_error)?;
        Ok(wit::HashReport {
            files: r.files,
            bytes: r.bytes,
            read_ms: r.read_ms,
            write_ms: r.write_ms,
            digests: r
                .digests
                .into_iter()
                .map(|d| wit::FileDigest {
                    path: d.path,
                    size_bytes: d.size_bytes,
                    sha256: d.sha256,
                })
                .collect(),
        })
    }
}

fn shard(s: wit::Shard) -> Shard {
    Shard {
        index: s.index,
        count: s.count,
    }
}

fn to_wit_error(e: FsError) -> wit::WorkloadError {
    wit::WorkloadError {
        kind: match e.kind {
            ErrorKind::NotFound => wit::ErrorKind::NotFound,
            ErrorKind::NotADirectory => wit::ErrorKind::NotADirectory,
            ErrorKind::AccessDenied => wit::ErrorKind::AccessDenied,
            ErrorKind::InvalidArgument | ErrorKind::NameTooLong => wit::ErrorKind::InvalidArgument,
            ErrorKind::Exists | ErrorKind::Io => wit::ErrorKind::Io,
        },
        path: e.path,
        message: e.message,
    }
}

fn meta(m: report::DocumentMeta) -> wit::DocumentMeta {
    wit::DocumentMeta {
        filename: m.filename,
        size_bytes: m.size_bytes,
        word_count: m.word_count,
        line_count: m.line_count,
        char_count: m.char_count,
        processed_at: m.processed_at,
    }
}

fn inbox_report(r: report::InboxReport) -> wit::InboxReport {
    let t = r.timings;
    wit::InboxReport {
        timings: wit::PhaseTimings {
            list_ms: t.list_ms,
            read_ms: t.read_ms,
            process_ms: t.process_ms,
            write_meta_ms: t.write_meta_ms,
            move_ms: t.move_ms,
            total_ms: t.total_ms,
        },
        processed: r.processed,
        resumed: r.resumed,
        failed: r.failed,
        skipped: r.skipped,
        other_shards: r.other_shards,
        claimed_elsewhere: r.claimed_elsewhere,
        vanished: r.vanished,
        already_done: r.already_done,
        inbox_absent: r.inbox_absent,
        bytes: r.bytes,
        words: r.words,
        lines: r.lines,
        chars: r.chars,
        documents: r
            .documents
            .into_iter()
            .map(|d| wit::DocumentResult {
                name: d.name,
                outcome: match d.outcome {
                    report::Outcome::Processed(m) => wit::Outcome::Processed(meta(m)),
                    report::Outcome::Resumed(m) => wit::Outcome::Resumed(meta(m)),
                    report::Outcome::Failed(reason) => wit::Outcome::Failed(reason),
                    report::Outcome::AlreadyDone => wit::Outcome::AlreadyDone,
                    report::Outcome::Absent => wit::Outcome::Absent,
                    report::Outcome::ClaimedElsewhere => wit::Outcome::ClaimedElsewhere,
                    report::Outcome::Skipped(why) => wit::Outcome::Skipped(why),
                },
            })
            .collect(),
    }
}

export!(Component);

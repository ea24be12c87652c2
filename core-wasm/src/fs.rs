//! The little a workload needs from a file system. The component implements
//! it over `wasi:filesystem`; native builds implement it over `std::fs` so the
//! benchmarks can measure what running inside WebAssembly costs.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Other,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy)]
pub struct Stat {
    pub kind: Kind,
    pub size: u64,
    /// Last modification, since the Unix epoch, when the store knows it.
    pub mtime: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    NotADirectory,
    AccessDenied,
    InvalidArgument,
    /// The path is longer than the store allows (a name past 255 bytes, a key past 1,024).
    NameTooLong,
    Exists,
    Io,
}

#[derive(Debug, Clone)]
pub struct FsError {
    pub kind: ErrorKind,
    pub path: String,
    pub message: String,
}

impl FsError {
    pub fn new(kind: ErrorKind, path: &str, message: impl Into<String>) -> Self {
        FsError {
            kind,
            path: path.to_string(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

pub type Result<T> = std::result::Result<T, FsError>;

/// Paths are relative to the root, `/`-separated; "" is the root.
pub trait Fs {
    type File;
    /// A directory opened for listing.
    type Dir;

    /// Opens a directory to list: a NotFound here is the directory missing, and final.
    fn open_dir(&self, path: &str) -> Result<Self::Dir>;
    /// One listing of an opened directory: `f` gets each entry as the store yields it, in
    /// no set order, without `.` and `..`. A NotFound here is an entry that vanished while
    /// it was being listed, never the directory missing.
    fn list_dir(
        &self,
        dir: &Self::Dir,
        path: &str,
        f: &mut dyn FnMut(Entry) -> Result<()>,
    ) -> Result<()>;

    /// Folds the entries of `path` into a fresh `init()`, holding nothing but what `step`
    /// keeps: a directory of a million entries streams through. Listing a directory
    /// another host is changing can trip over an entry gone by the time the store looks
    /// at it: then it is listed again, from a fresh `init()`, while it is still there.
    fn scan_dir<T>(
        &self,
        path: &str,
        init: impl Fn() -> T,
        mut step: impl FnMut(&mut T, Entry) -> Result<()>,
    ) -> Result<T> {
        // A missing directory fails its open: asking the store again would cost one more
        // lookup of it (two requests on S3).
        let dir = self.open_dir(path)?;
        self.scan_dir_in(&dir, path, init, |acc, _, e| step(acc, e))
    }

    /// [`Fs::scan_dir`] of a directory already opened (at `path`), with the handle handed
    /// to `step` too, for [`Fs::stat_entry`]. Opening directories before their turn lets a
    /// store that lists in the background (S3) list several at once.
    fn scan_dir_in<T>(
        &self,
        dir: &Self::Dir,
        path: &str,
        init: impl Fn() -> T,
        mut step: impl FnMut(&mut T, &Self::Dir, Entry) -> Result<()>,
    ) -> Result<T> {
        let mut attempts = 0;
        loop {
            let mut acc = init();
            let listed = self.list_dir(dir, path, &mut |e| step(&mut acc, dir, e));
            match listed {
                Ok(()) => return Ok(acc),
                Err(e) if e.kind == ErrorKind::NotFound && attempts < 5 => {
                    attempts += 1;
                    if !path.is_empty() && self.stat(path)?.is_none() {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Entries of a directory, sorted by name, without `.` and `..`.
    fn read_dir(&self, path: &str) -> Result<Vec<Entry>> {
        let mut entries = self.scan_dir(path, Vec::new, |all, e| {
            all.push(e);
            Ok(())
        })?;
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }
    /// `None` when nothing is there. Does not follow symlinks.
    fn stat(&self, path: &str) -> Result<Option<Stat>>;
    /// [`Fs::stat`] of `name`, an entry of `dir` (opened at `path`). A sandboxed file
    /// system resolves a path one component at a time, each a system call: looked up in
    /// its own directory, an entry costs one.
    fn stat_entry(&self, _dir: &Self::Dir, path: &str, name: &str) -> Result<Option<Stat>> {
        self.stat(&join(path, name))
    }
    fn open(&self, path: &str) -> Result<Self::File>;
    /// Up to `len` bytes at `offset`; empty at end of file.
    fn read_at(&self, file: &Self::File, offset: u64, len: usize) -> Result<Vec<u8>>;
    /// Creates or truncates `path`, writes `data` and syncs it: when this
    /// returns the bytes are durable (on S3: uploaded).
    fn write_file(&self, path: &str, data: &[u8]) -> Result<()>;
    /// Like `write_file`, but fails with `Exists` if `path` exists, also
    /// against a concurrent writer: the store decides who wins.
    fn create_new(&self, path: &str, data: &[u8]) -> Result<()>;
    fn remove_file(&self, path: &str) -> Result<()>;
    /// Replaces `to` if it exists.
    fn rename(&self, from: &str, to: &str) -> Result<()>;
    /// Succeeds when the directory already exists.
    fn create_dir(&self, path: &str) -> Result<()>;
    /// Time since the Unix epoch.
    fn now(&self) -> Duration;
}

pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{}/{}", dir.trim_end_matches('/'), name)
    }
}

/// Reads a whole small file, `None` when it does not exist.
pub fn read_small<F: Fs>(fs: &F, path: &str, limit: usize) -> Result<Option<Vec<u8>>> {
    if fs.stat(path)?.is_none() {
        return Ok(None);
    }
    let file = fs.open(path)?;
    let mut out = Vec::new();
    loop {
        let chunk = fs.read_at(&file, out.len() as u64, 64 * 1024)?;
        if chunk.is_empty() {
            return Ok(Some(out));
        }
        out.extend_from_slice(&chunk);
        if out.len() > limit {
            return Err(FsError::new(
                ErrorKind::InvalidArgument,
                path,
                format!("larger than the {limit}-byte limit"),
            ));
        }
    }
}

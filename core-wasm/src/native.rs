//! The same workloads over `std::fs`, compiled natively. Only the benchmarks
//! use this, to measure what the WebAssembly sandbox costs; it does not
//! confine paths to the root the way a preopen does.

use std::io::{ErrorKind as IoKind, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::fs::{self, Entry, ErrorKind, FsError, Kind, Stat};

pub struct NativeFs {
    root: PathBuf,
}

impl NativeFs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        NativeFs { root: root.into() }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

fn err(path: &str, e: std::io::Error) -> FsError {
    let kind = match e.kind() {
        IoKind::NotFound => ErrorKind::NotFound,
        IoKind::PermissionDenied => ErrorKind::AccessDenied,
        IoKind::AlreadyExists => ErrorKind::Exists,
        IoKind::InvalidFilename => ErrorKind::NameTooLong,
        IoKind::InvalidInput => ErrorKind::InvalidArgument,
        IoKind::NotADirectory => ErrorKind::NotADirectory,
        _ => ErrorKind::Io,
    };
    FsError::new(kind, path, e.to_string())
}

fn kind_of(t: std::fs::FileType) -> Kind {
    if t.is_file() {
        Kind::File
    } else if t.is_dir() {
        Kind::Dir
    } else {
        Kind::Other
    }
}

impl fs::Fs for NativeFs {
    type File = std::cell::RefCell<std::fs::File>;
    type Dir = ();

    /// Each listing opens the directory afresh; this open only says whether it is there.
    fn open_dir(&self, path: &str) -> fs::Result<()> {
        std::fs::read_dir(self.path(path))
            .map(drop)
            .map_err(|e| err(path, e))
    }

    fn list_dir(
        &self,
        _dir: &(),
        path: &str,
        f: &mut dyn FnMut(Entry) -> fs::Result<()>,
    ) -> fs::Result<()> {
        for e in std::fs::read_dir(self.path(path)).map_err(|e| err(path, e))? {
            let e = e.map_err(|e| err(path, e))?;
            f(Entry {
                name: e.file_name().to_string_lossy().into_owned(),
                kind: kind_of(e.file_type().map_err(|e| err(path, e))?),
            })?;
        }
        Ok(())
    }

    fn stat(&self, path: &str) -> fs::Result<Option<Stat>> {
        match std::fs::symlink_metadata(self.path(path)) {
            Ok(m) => Ok(Some(Stat {
                kind: kind_of(m.file_type()),
                size: m.len(),
                mtime: m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok()),
            })),
            Err(e) if e.kind() == IoKind::NotFound => Ok(None),
            Err(e) => Err(err(path, e)),
        }
    }

    fn open(&self, path: &str) -> fs::Result<Self::File> {
        std::fs::File::open(self.path(path))
            .map(std::cell::RefCell::new)
            .map_err(|e| err(path, e))
    }

    fn read_at(&self, file: &Self::File, offset: u64, len: usize) -> fs::Result<Vec<u8>> {
        let mut file = file.borrow_mut();
        let mut buf = vec![0; len];
        file.seek(SeekFrom::Start(offset)).map_err(|e| err("", e))?;
        let n = file.read(&mut buf).map_err(|e| err("", e))?;
        buf.truncate(n);
        Ok(buf)
    }

    fn write_file(&self, path: &str, data: &[u8]) -> fs::Result<()> {
        let mut f = std::fs::File::create(self.path(path)).map_err(|e| err(path, e))?;
        f.write_all(data).map_err(|e| err(path, e))?;
        f.sync_all().map_err(|e| err(path, e))
    }

    fn create_new(&self, path: &str, data: &[u8]) -> fs::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.path(path))
            .map_err(|e| err(path, e))?;
        f.write_all(data).map_err(|e| err(path, e))?;
        f.sync_all().map_err(|e| err(path, e))
    }

    fn remove_file(&self, path: &str) -> fs::Result<()> {
        std::fs::remove_file(self.path(path)).map_err(|e| err(path, e))
    }

    fn rename(&self, from: &str, to: &str) -> fs::Result<()> {
        std::fs::rename(self.path(from), self.path(to)).map_err(|e| err(from, e))
    }

    fn create_dir(&self, path: &str) -> fs::Result<()> {
        match std::fs::create_dir(self.path(path)) {
            Err(e) if e.kind() != IoKind::AlreadyExists => Err(err(path, e)),
            _ => Ok(()),
        }
    }

    fn now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    }
}

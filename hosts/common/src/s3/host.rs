//! `wasi:filesystem` over `S3Fs`: one impl per interface, handles in the
//! resource table, and every S3 error turned into an error code in `code`.

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::SystemTime;

use docproc_s3fs::{Attr, CreateMode, FsError as S3Error, Kind};
use tokio::sync::Mutex;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::clocks::wall_clock::Datetime;
use wasmtime_wasi_io::streams::{DynInputStream, DynOutputStream};

use super::S3State;
use super::bindings::wasi::filesystem::{preopens, types};
use super::bindings::{FsError, FsResult};
use super::descriptor::{Descriptor, DirStream, File, WriteState};
use super::path::resolve;
use super::streams::{S3InputStream, S3OutputStream};
use types::{
    Advice, DescriptorFlags, DescriptorStat, DescriptorType, DirectoryEntry, ErrorCode, Filesize,
    MetadataHashValue, NewTimestamp, OpenFlags, PathFlags,
};

/// One read returns at most this much, whatever the guest asks for, so a
/// guest cannot make the host allocate without bound.
const MAX_READ: u64 = 64 << 20;

impl S3State {
    /// The one place S3 failures become error codes; the message, which
    /// names the key, is kept for the run's error report.
    fn code(&mut self, e: S3Error) -> FsError {
        let code = match &e {
            S3Error::NotFound(_) => ErrorCode::NoEntry,
            S3Error::Exists(_) => ErrorCode::Exist,
            S3Error::NotDir(_) => ErrorCode::NotDirectory,
            S3Error::IsDir(_) => ErrorCode::IsDirectory,
            S3Error::NotEmpty(_) => ErrorCode::NotEmpty,
            S3Error::Invalid(_) => ErrorCode::Invalid,
            S3Error::NameTooLong(_) => ErrorCode::NameTooLong,
            S3Error::Unsupported(_) => ErrorCode::Unsupported,
            S3Error::Denied { key, message } => {
                tracing::warn!(error = %e, "S3 refused access");
                self.refusals.note(key, message);
                ErrorCode::Access
            }
            S3Error::Io { .. } => {
                tracing::warn!(error = %e, "S3 request failed");
                ErrorCode::Io
            }
        };
        self.last_error = Some(e.to_string());
        code.into()
    }

    fn dir_path(&self, fd: &Resource<Descriptor>) -> FsResult<String> {
        match self.table.get(fd).map_err(FsError::trap)? {
            Descriptor::Dir { path } => Ok(path.clone()),
            Descriptor::File(_) => Err(ErrorCode::NotDirectory.into()),
        }
    }

    fn file(&self, fd: &Resource<Descriptor>) -> FsResult<&File> {
        match self.table.get(fd).map_err(FsError::trap)? {
            Descriptor::File(f) => Ok(f),
            Descriptor::Dir { .. } => Err(ErrorCode::IsDirectory.into()),
        }
    }

    fn at(&self, fd: &Resource<Descriptor>, path: &str) -> FsResult<String> {
        Ok(resolve(&self.dir_path(fd)?, path)?)
    }

    async fn stat_path(&mut self, path: &str) -> FsResult<DescriptorStat> {
        match self.fs.stat(path).await {
            Ok(attr) => Ok(stat_of(&attr)),
            Err(e) => Err(self.code(e)),
        }
    }
}

fn stat_of(attr: &Attr) -> DescriptorStat {
    DescriptorStat {
        type_: type_of(attr.kind),
        link_count: 1,
        size: attr.size,
        data_access_timestamp: None,
        data_modification_timestamp: attr.mtime.and_then(datetime),
        status_change_timestamp: None,
    }
}

fn type_of(kind: Kind) -> DescriptorType {
    match kind {
        Kind::File => DescriptorType::RegularFile,
        Kind::Directory => DescriptorType::Directory,
    }
}

fn datetime(t: SystemTime) -> Option<Datetime> {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    Some(Datetime {
        seconds: d.as_secs(),
        nanoseconds: d.subsec_nanos(),
    })
}

impl preopens::Host for S3State {
    async fn get_directories(&mut self) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
        let root = self.table.push(Descriptor::Dir {
            path: String::new(),
        })?;
        Ok(vec![(root, "/".to_string())])
    }
}

impl types::Host for S3State {
    fn convert_error_code(&mut self, err: FsError) -> wasmtime::Result<ErrorCode> {
        err.downcast()
    }

    async fn filesystem_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        let err = self.table.get(&err)?;
        Ok(err.downcast_ref::<ErrorCode>().copied())
    }
}

impl types::HostDescriptor for S3State {
    async fn read_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: Filesize,
    ) -> FsResult<Resource<DynInputStream>> {
        let f = self.file(&fd)?;
        if !f.readable {
            return Err(ErrorCode::BadDescriptor.into());
        }
        let stream = S3InputStream::new(self.fs.clone(), f.path.clone(), f.reader.clone(), offset);
        let stream: DynInputStream = Box::new(stream);
        self.table.push(stream).map_err(FsError::trap)
    }

    async fn write_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: Filesize,
    ) -> FsResult<Resource<DynOutputStream>> {
        let writer = self.file(&fd)?.writer.clone();
        let stream: DynOutputStream = Box::new(S3OutputStream::new(writer, offset));
        self.table.push(stream).map_err(FsError::trap)
    }

    async fn append_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> FsResult<Resource<DynOutputStream>> {
        let writer = self.file(&fd)?.writer.clone();
        let end = match &*writer.lock().await {
            WriteState::Open(w) => w.len(),
            _ => return Err(ErrorCode::BadDescriptor.into()),
        };
        let stream: DynOutputStream = Box::new(S3OutputStream::new(writer, end));
        self.table.push(stream).map_err(FsError::trap)
    }

    async fn advise(
        &mut self,
        _fd: Resource<Descriptor>,
        _offset: Filesize,
        _len: Filesize,
        _advice: Advice,
    ) -> FsResult<()> {
        // Sequential access is detected from the reads themselves.
        Ok(())
    }

    async fn sync_data(&mut self, fd: Resource<Descriptor>) -> FsResult<()> {
        self.sync(fd).await
    }

    async fn get_flags(&mut self, fd: Resource<Descriptor>) -> FsResult<DescriptorFlags> {
        Ok(match self.table.get(&fd).map_err(FsError::trap)? {
            Descriptor::Dir { .. } => DescriptorFlags::READ | DescriptorFlags::MUTATE_DIRECTORY,
            Descriptor::File(f) => {
                let mut flags = DescriptorFlags::empty();
                if f.readable {
                    flags |= DescriptorFlags::READ;
                }
                if !matches!(*f.writer.lock().await, WriteState::None) {
                    flags |= DescriptorFlags::WRITE;
                }
                flags
            }
        })
    }

    async fn get_type(&mut self, fd: Resource<Descriptor>) -> FsResult<DescriptorType> {
        Ok(match self.table.get(&fd).map_err(FsError::trap)? {
            Descriptor::Dir { .. } => DescriptorType::Directory,
            Descriptor::File(_) => DescriptorType::RegularFile,
        })
    }

    async fn set_size(&mut self, fd: Resource<Descriptor>, size: Filesize) -> FsResult<()> {
        let writer = self.file(&fd)?.writer.clone();
        match &*writer.lock().await {
            // A fresh upload is already empty: truncating it to 0 is a no-op.
            WriteState::Open(w) if size == 0 && w.is_empty() => Ok(()),
            _ => Err(ErrorCode::Unsupported.into()),
        }
    }

    async fn set_times(
        &mut self,
        _fd: Resource<Descriptor>,
        _atime: NewTimestamp,
        _mtime: NewTimestamp,
    ) -> FsResult<()> {
        // S3 sets an object's time itself when it is written.
        Err(ErrorCode::Unsupported.into())
    }

    async fn read(
        &mut self,
        fd: Resource<Descriptor>,
        len: Filesize,
        offset: Filesize,
    ) -> FsResult<(Vec<u8>, bool)> {
        let f = self.file(&fd)?;
        if !f.readable {
            return Err(ErrorCode::BadDescriptor.into());
        }
        let (path, reader) = (f.path.clone(), f.reader.clone());
        let mut guard = reader.lock().await;
        if guard.is_none() {
            match self.fs.open_read(&path).await {
                Ok(r) => *guard = Some(r),
                Err(e) => return Err(self.code(e)),
            }
        }
        let r = guard.as_mut().expect("opened above");
        let len = len.min(MAX_READ) as usize;
        match r.read(offset, len).await {
            Ok(bytes) => {
                let eof = offset + bytes.len() as u64 >= r.size();
                Ok((bytes.to_vec(), eof))
            }
            Err(e) => {
                drop(guard);
                Err(self.code(e))
            }
        }
    }

    async fn write(
        &mut self,
        fd: Resource<Descriptor>,
        buf: Vec<u8>,
        offset: Filesize,
    ) -> FsResult<Filesize> {
        let writer = self.file(&fd)?.writer.clone();
        let mut state = writer.lock().await;
        let WriteState::Open(w) = &mut *state else {
            return Err(ErrorCode::BadDescriptor.into());
        };
        match w.write(offset, &buf).await {
            Ok(()) => Ok(buf.len() as Filesize),
            Err(e) => {
                drop(state);
                Err(self.code(e))
            }
        }
    }

    async fn read_directory(&mut self, fd: Resource<Descriptor>) -> FsResult<Resource<DirStream>> {
        let path = self.dir_path(&fd)?;
        let entries = match self.fs.read_dir(&path).await {
            Ok(entries) => entries,
            Err(e) => return Err(self.code(e)),
        };
        let entries = entries
            .into_iter()
            .map(|e| DirectoryEntry {
                type_: type_of(e.attr.kind),
                name: e.name,
            })
            .collect::<VecDeque<_>>();
        self.table
            .push(DirStream { entries })
            .map_err(FsError::trap)
    }

    /// The object is in S3 when this returns: this is where an upload's
    /// error reaches the guest.
    async fn sync(&mut self, fd: Resource<Descriptor>) -> FsResult<()> {
        let writer = match self.table.get(&fd).map_err(FsError::trap)? {
            Descriptor::File(f) => f.writer.clone(),
            Descriptor::Dir { .. } => return Ok(()),
        };
        let mut state = writer.lock().await;
        let WriteState::Open(w) = std::mem::replace(&mut *state, WriteState::Done) else {
            return Ok(());
        };
        drop(state);
        w.finish().await.map_err(|e| self.code(e))
    }

    async fn create_directory_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> FsResult<()> {
        let path = self.at(&fd, &path)?;
        self.fs.mkdir(&path).await.map_err(|e| self.code(e))
    }

    async fn stat(&mut self, fd: Resource<Descriptor>) -> FsResult<DescriptorStat> {
        let path = match self.table.get(&fd).map_err(FsError::trap)? {
            Descriptor::Dir { path } => path.clone(),
            Descriptor::File(f) => {
                if let WriteState::Open(w) = &*f.writer.lock().await {
                    return Ok(stat_of(&Attr {
                        kind: Kind::File,
                        size: w.len(),
                        mtime: Some(SystemTime::now()),
                    }));
                }
                f.path.clone()
            }
        };
        self.stat_path(&path).await
    }

    async fn stat_at(
        &mut self,
        fd: Resource<Descriptor>,
        _flags: PathFlags,
        path: String,
    ) -> FsResult<DescriptorStat> {
        let path = self.at(&fd, &path)?;
        self.stat_path(&path).await
    }

    async fn set_times_at(
        &mut self,
        _fd: Resource<Descriptor>,
        _flags: PathFlags,
        _path: String,
        _atime: NewTimestamp,
        _mtime: NewTimestamp,
    ) -> FsResult<()> {
        Err(ErrorCode::Unsupported.into())
    }

    async fn link_at(
        &mut self,
        _fd: Resource<Descriptor>,
        _old_flags: PathFlags,
        _old_path: String,
        _new_fd: Resource<Descriptor>,
        _new_path: String,
    ) -> FsResult<()> {
        // S3 has no links.
        Err(ErrorCode::Unsupported.into())
    }

    async fn open_at(
        &mut self,
        fd: Resource<Descriptor>,
        _path_flags: PathFlags,
        path: String,
        open: OpenFlags,
        flags: DescriptorFlags,
    ) -> FsResult<Resource<Descriptor>> {
        let path = self.at(&fd, &path)?;
        let wants_write = flags.contains(DescriptorFlags::WRITE)
            || open.intersects(OpenFlags::CREATE | OpenFlags::TRUNCATE | OpenFlags::EXCLUSIVE);
        // A new upload replaces or conditionally creates the object whatever
        // is there, so looking first would only cost requests.
        if open.contains(OpenFlags::CREATE)
            && open.intersects(OpenFlags::TRUNCATE | OpenFlags::EXCLUSIVE)
            && !open.contains(OpenFlags::DIRECTORY)
        {
            let mode = if open.contains(OpenFlags::EXCLUSIVE) {
                CreateMode::Exclusive
            } else {
                CreateMode::Truncate
            };
            let writer = match self.fs.create(&path, mode).await {
                Ok(w) => w,
                Err(e) => return Err(self.code(e)),
            };
            let file = File {
                path,
                readable: false,
                reader: Arc::new(Mutex::new(None)),
                writer: Arc::new(Mutex::new(WriteState::Open(writer))),
            };
            return self
                .table
                .push(Descriptor::File(file))
                .map_err(FsError::trap);
        }
        let existing = match self.fs.stat(&path).await {
            Ok(attr) => Some(attr),
            Err(S3Error::NotFound(_)) => None,
            Err(e) => return Err(self.code(e)),
        };
        let descriptor = match existing {
            Some(attr) if attr.is_dir() => {
                if wants_write && !open.contains(OpenFlags::DIRECTORY) {
                    return Err(ErrorCode::IsDirectory.into());
                }
                if open.contains(OpenFlags::EXCLUSIVE) {
                    return Err(ErrorCode::Exist.into());
                }
                Descriptor::Dir { path }
            }
            _ if open.contains(OpenFlags::DIRECTORY) => {
                return Err(if existing.is_some() {
                    ErrorCode::NotDirectory
                } else {
                    ErrorCode::NoEntry
                }
                .into());
            }
            None if !open.contains(OpenFlags::CREATE) => return Err(ErrorCode::NoEntry.into()),
            // S3 objects are replaced whole: writing into an existing one
            // without truncating it would lose its tail, so refuse that.
            Some(_)
                if wants_write
                    && !open.contains(OpenFlags::TRUNCATE)
                    && !open.contains(OpenFlags::EXCLUSIVE) =>
            {
                return Err(ErrorCode::Unsupported.into());
            }
            _ => {
                let writer = if wants_write {
                    let mode = if open.contains(OpenFlags::EXCLUSIVE) {
                        CreateMode::Exclusive
                    } else {
                        CreateMode::Truncate
                    };
                    match self.fs.create(&path, mode).await {
                        Ok(w) => WriteState::Open(w),
                        Err(e) => return Err(self.code(e)),
                    }
                } else {
                    WriteState::None
                };
                Descriptor::File(File {
                    path,
                    readable: flags.contains(DescriptorFlags::READ)
                        && matches!(writer, WriteState::None),
                    reader: Arc::new(Mutex::new(None)),
                    writer: Arc::new(Mutex::new(writer)),
                })
            }
        };
        self.table.push(descriptor).map_err(FsError::trap)
    }

    async fn readlink_at(&mut self, _fd: Resource<Descriptor>, _path: String) -> FsResult<String> {
        Err(ErrorCode::Invalid.into())
    }

    async fn remove_directory_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> FsResult<()> {
        let path = self.at(&fd, &path)?;
        self.fs.rmdir(&path).await.map_err(|e| self.code(e))
    }

    async fn rename_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path: String,
        new_fd: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        let from = self.at(&fd, &old_path)?;
        let to = self.at(&new_fd, &new_path)?;
        self.fs.rename(&from, &to).await.map_err(|e| self.code(e))
    }

    async fn symlink_at(
        &mut self,
        _fd: Resource<Descriptor>,
        _old_path: String,
        _new_path: String,
    ) -> FsResult<()> {
        Err(ErrorCode::Unsupported.into())
    }

    async fn unlink_file_at(&mut self, fd: Resource<Descriptor>, path: String) -> FsResult<()> {
        let path = self.at(&fd, &path)?;
        self.fs.unlink(&path).await.map_err(|e| self.code(e))
    }

    async fn is_same_object(
        &mut self,
        a: Resource<Descriptor>,
        b: Resource<Descriptor>,
    ) -> wasmtime::Result<bool> {
        Ok(self.path_of(&a)? == self.path_of(&b)?)
    }

    async fn metadata_hash(&mut self, fd: Resource<Descriptor>) -> FsResult<MetadataHashValue> {
        let path = self.path_of(&fd).map_err(FsError::trap)?;
        let stat = self.stat_path(&path).await?;
        Ok(hash_of(&path, &stat))
    }

    async fn metadata_hash_at(
        &mut self,
        fd: Resource<Descriptor>,
        _flags: PathFlags,
        path: String,
    ) -> FsResult<MetadataHashValue> {
        let path = self.at(&fd, &path)?;
        let stat = self.stat_path(&path).await?;
        Ok(hash_of(&path, &stat))
    }

    async fn drop(&mut self, fd: Resource<Descriptor>) -> wasmtime::Result<()> {
        if let Descriptor::File(f) = self.table.delete(fd)? {
            let mut state = f.writer.lock().await;
            if let WriteState::Open(w) = std::mem::replace(&mut *state, WriteState::Done) {
                // Closed without sync: upload anyway, and make the run wait
                // for it so its result is not lost.
                self.closing.push(tokio::spawn(w.finish()));
            }
        }
        Ok(())
    }
}

impl S3State {
    /// A handle the guest does not own is a trap, not an error code.
    fn path_of(&self, fd: &Resource<Descriptor>) -> wasmtime::Result<String> {
        Ok(match self.table.get(fd)? {
            Descriptor::Dir { path } => path.clone(),
            Descriptor::File(f) => f.path.clone(),
        })
    }
}

fn hash_of(path: &str, stat: &DescriptorStat) -> MetadataHashValue {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut h);
    let lower = h.finish();
    stat.size.hash(&mut h);
    if let Some(t) = stat.data_modification_timestamp {
        (t.seconds, t.nanoseconds).hash(&mut h);
    }
    MetadataHashValue {
        lower,
        upper: h.finish(),
    }
}

impl types::HostDirectoryEntryStream for S3State {
    async fn read_directory_entry(
        &mut self,
        stream: Resource<DirStream>,
    ) -> FsResult<Option<DirectoryEntry>> {
        Ok(self
            .table
            .get_mut(&stream)
            .map_err(FsError::trap)?
            .entries
            .pop_front())
    }

    async fn drop(&mut self, stream: Resource<DirStream>) -> wasmtime::Result<()> {
        self.table.delete(stream)?;
        Ok(())
    }
}

//! `wasi:filesystem` over `S3Fs`: one impl per interface, handles in the resource table.
//! Each method looks its handle up and calls the file-system operation; errors go by `?`
//! to `errors`, and what `open-at` may do is decided in `open_rules`.

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use docproc_s3fs::{Attr, Error as S3Error, Kind, S3Fs};
use tokio::sync::Mutex;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::clocks::wall_clock::Datetime;
use wasmtime_wasi_io::streams::{DynInputStream, DynOutputStream};

use super::S3State;
use super::bindings::wasi::filesystem::{preopens, types};
use super::descriptor::{Descriptor, DirStream, ReadFile, Upload, WriteFile};
use super::errors::{WasiError, WasiResult};
use super::open_rules::{self, Opened};
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
    fn descriptor(&self, fd: &Resource<Descriptor>) -> WasiResult<&Descriptor> {
        Ok(self.table.get(fd)?)
    }

    fn dir_path(&self, fd: &Resource<Descriptor>) -> WasiResult<&str> {
        match self.descriptor(fd)? {
            Descriptor::Dir { path, .. } => Ok(path),
            _ => Err(ErrorCode::NotDirectory.into()),
        }
    }

    fn reader(&self, fd: &Resource<Descriptor>) -> WasiResult<&ReadFile> {
        match self.descriptor(fd)? {
            Descriptor::Read(f) if f.readable => Ok(f),
            Descriptor::Dir { .. } => Err(ErrorCode::IsDirectory.into()),
            _ => Err(ErrorCode::BadDescriptor.into()),
        }
    }

    fn upload(&self, fd: &Resource<Descriptor>) -> WasiResult<Arc<Mutex<Upload>>> {
        match self.descriptor(fd)? {
            Descriptor::Write(f) => Ok(f.upload.clone()),
            Descriptor::Dir { .. } => Err(ErrorCode::IsDirectory.into()),
            Descriptor::Read(_) => Err(ErrorCode::BadDescriptor.into()),
        }
    }

    fn at(&self, fd: &Resource<Descriptor>, path: &str) -> WasiResult<String> {
        Ok(resolve(self.dir_path(fd)?, path)?)
    }

    fn push(&mut self, descriptor: Descriptor) -> WasiResult<Resource<Descriptor>> {
        Ok(self.table.push(descriptor)?)
    }

    async fn open_as(
        &mut self,
        path: String,
        opened: Opened,
        at: Instant,
    ) -> WasiResult<Resource<Descriptor>> {
        let descriptor = match opened {
            Opened::Dir => Descriptor::Dir {
                path,
                opened: Some(at),
            },
            Opened::Read { readable } => Descriptor::Read(ReadFile {
                path,
                readable,
                reader: Arc::new(Mutex::new(None)),
            }),
            Opened::Write(mode) => {
                let writer = self.fs.create(&path, mode).await?;
                Descriptor::Write(WriteFile {
                    path,
                    upload: Arc::new(Mutex::new(Upload::Open(writer))),
                })
            }
        };
        self.push(descriptor)
    }
}

async fn stat_path(fs: &S3Fs, path: &str) -> WasiResult<DescriptorStat> {
    Ok(stat_of(&fs.stat(path).await?))
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
            opened: Some(Instant::now()),
        })?;
        Ok(vec![(root, "/".to_string())])
    }
}

impl types::Host for S3State {
    fn convert_error_code(&mut self, err: WasiError) -> wasmtime::Result<ErrorCode> {
        self.noted.code(err)
    }

    /// A stream's failure: an S3 error is noted like a method's.
    async fn filesystem_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        let err = self.table.get(&err)?;
        Ok(match err.downcast_ref::<S3Error>() {
            Some(e) => Some(self.noted.note(e)),
            None => err.downcast_ref::<ErrorCode>().copied(),
        })
    }
}

impl types::HostDescriptor for S3State {
    async fn read_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: Filesize,
    ) -> WasiResult<Resource<DynInputStream>> {
        let stream = S3InputStream::new(self.fs.clone(), self.reader(&fd)?.clone(), offset);
        let stream: DynInputStream = Box::new(stream);
        Ok(self.table.push(stream)?)
    }

    async fn write_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: Filesize,
    ) -> WasiResult<Resource<DynOutputStream>> {
        let stream: DynOutputStream = Box::new(S3OutputStream::new(self.upload(&fd)?, offset));
        Ok(self.table.push(stream)?)
    }

    async fn append_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> WasiResult<Resource<DynOutputStream>> {
        let upload = self.upload(&fd)?;
        let Upload::Open(w) = &*upload.lock().await else {
            return Err(ErrorCode::BadDescriptor.into());
        };
        let stream: DynOutputStream = Box::new(S3OutputStream::new(upload.clone(), w.len()));
        Ok(self.table.push(stream)?)
    }

    async fn advise(
        &mut self,
        _fd: Resource<Descriptor>,
        _offset: Filesize,
        _len: Filesize,
        _advice: Advice,
    ) -> WasiResult<()> {
        // Sequential access is detected from the reads themselves.
        Ok(())
    }

    async fn sync_data(&mut self, fd: Resource<Descriptor>) -> WasiResult<()> {
        self.sync(fd).await
    }

    async fn get_flags(&mut self, fd: Resource<Descriptor>) -> WasiResult<DescriptorFlags> {
        Ok(match self.descriptor(&fd)? {
            Descriptor::Dir { .. } => DescriptorFlags::READ | DescriptorFlags::MUTATE_DIRECTORY,
            Descriptor::Read(f) if f.readable => DescriptorFlags::READ,
            Descriptor::Read(_) => DescriptorFlags::empty(),
            Descriptor::Write(_) => DescriptorFlags::WRITE,
        })
    }

    async fn get_type(&mut self, fd: Resource<Descriptor>) -> WasiResult<DescriptorType> {
        Ok(match self.descriptor(&fd)? {
            Descriptor::Dir { .. } => DescriptorType::Directory,
            Descriptor::Read(_) | Descriptor::Write(_) => DescriptorType::RegularFile,
        })
    }

    async fn set_size(&mut self, fd: Resource<Descriptor>, size: Filesize) -> WasiResult<()> {
        match &*self.upload(&fd)?.lock().await {
            // A fresh upload is already empty: truncating it to 0 is a no-op.
            Upload::Open(w) if size == 0 && w.is_empty() => Ok(()),
            _ => Err(ErrorCode::Unsupported.into()),
        }
    }

    async fn set_times(
        &mut self,
        _fd: Resource<Descriptor>,
        _atime: NewTimestamp,
        _mtime: NewTimestamp,
    ) -> WasiResult<()> {
        // S3 sets an object's time itself when it is written.
        Err(ErrorCode::Unsupported.into())
    }

    async fn read(
        &mut self,
        fd: Resource<Descriptor>,
        len: Filesize,
        offset: Filesize,
    ) -> WasiResult<(Vec<u8>, bool)> {
        let len = len.min(MAX_READ) as usize;
        let (bytes, size) = self.reader(&fd)?.read(&self.fs, offset, len).await?;
        Ok((bytes.to_vec(), offset + bytes.len() as u64 >= size))
    }

    async fn write(
        &mut self,
        fd: Resource<Descriptor>,
        buf: Vec<u8>,
        offset: Filesize,
    ) -> WasiResult<Filesize> {
        let upload = self.upload(&fd)?;
        let mut upload = upload.lock().await;
        let Upload::Open(w) = &mut *upload else {
            return Err(ErrorCode::BadDescriptor.into());
        };
        w.write(offset, &buf).await?;
        Ok(buf.len() as Filesize)
    }

    async fn read_directory(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> WasiResult<Resource<DirStream>> {
        let since = match self.table.get_mut(&fd)? {
            Descriptor::Dir { opened, .. } => opened.take().unwrap_or_else(Instant::now),
            _ => return Err(ErrorCode::NotDirectory.into()),
        };
        let entries = self.fs.open_dir(self.dir_path(&fd)?, since).await?;
        Ok(self.table.push(DirStream { entries })?)
    }

    /// The object is in S3 when this returns: this is where an upload's
    /// error reaches the guest.
    async fn sync(&mut self, fd: Resource<Descriptor>) -> WasiResult<()> {
        let Descriptor::Write(f) = self.descriptor(&fd)? else {
            return Ok(());
        };
        let upload = std::mem::replace(&mut *f.upload.lock().await, Upload::Done);
        if let Upload::Open(w) = upload {
            w.finish().await?;
        }
        Ok(())
    }

    async fn create_directory_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> WasiResult<()> {
        Ok(self.fs.mkdir(&self.at(&fd, &path)?).await?)
    }

    async fn stat(&mut self, fd: Resource<Descriptor>) -> WasiResult<DescriptorStat> {
        if let Descriptor::Write(f) = self.descriptor(&fd)?
            && let Upload::Open(w) = &*f.upload.lock().await
        {
            return Ok(stat_of(&Attr {
                kind: Kind::File,
                size: w.len(),
                mtime: Some(SystemTime::now()),
            }));
        }
        stat_path(&self.fs, self.descriptor(&fd)?.path()).await
    }

    async fn stat_at(
        &mut self,
        fd: Resource<Descriptor>,
        _flags: PathFlags,
        path: String,
    ) -> WasiResult<DescriptorStat> {
        stat_path(&self.fs, &self.at(&fd, &path)?).await
    }

    async fn set_times_at(
        &mut self,
        _fd: Resource<Descriptor>,
        _flags: PathFlags,
        _path: String,
        _atime: NewTimestamp,
        _mtime: NewTimestamp,
    ) -> WasiResult<()> {
        Err(ErrorCode::Unsupported.into())
    }

    async fn link_at(
        &mut self,
        _fd: Resource<Descriptor>,
        _old_flags: PathFlags,
        _old_path: String,
        _new_fd: Resource<Descriptor>,
        _new_path: String,
    ) -> WasiResult<()> {
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
    ) -> WasiResult<Resource<Descriptor>> {
        let at = Instant::now();
        let path = self.at(&fd, &path)?;
        let opened = match open_rules::blind(open) {
            Some(opened) => opened,
            None => {
                let looked_up = if open.contains(OpenFlags::DIRECTORY) {
                    self.fs.stat_dir(&path).await
                } else {
                    self.fs.stat(&path).await
                };
                let existing = match looked_up {
                    Ok(attr) => Some(attr.kind),
                    Err(S3Error::NotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                };
                open_rules::decide(open, flags, existing)?
            }
        };
        self.open_as(path, opened, at).await
    }

    async fn readlink_at(
        &mut self,
        _fd: Resource<Descriptor>,
        _path: String,
    ) -> WasiResult<String> {
        Err(ErrorCode::Invalid.into())
    }

    async fn remove_directory_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> WasiResult<()> {
        Ok(self.fs.rmdir(&self.at(&fd, &path)?).await?)
    }

    async fn rename_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path: String,
        new_fd: Resource<Descriptor>,
        new_path: String,
    ) -> WasiResult<()> {
        let (from, to) = (self.at(&fd, &old_path)?, self.at(&new_fd, &new_path)?);
        Ok(self.fs.rename(&from, &to).await?)
    }

    async fn symlink_at(
        &mut self,
        _fd: Resource<Descriptor>,
        _old_path: String,
        _new_path: String,
    ) -> WasiResult<()> {
        Err(ErrorCode::Unsupported.into())
    }

    async fn unlink_file_at(&mut self, fd: Resource<Descriptor>, path: String) -> WasiResult<()> {
        Ok(self.fs.unlink(&self.at(&fd, &path)?).await?)
    }

    /// A handle the guest does not own is a trap, not an error code.
    async fn is_same_object(
        &mut self,
        a: Resource<Descriptor>,
        b: Resource<Descriptor>,
    ) -> wasmtime::Result<bool> {
        Ok(self.table.get(&a)?.path() == self.table.get(&b)?.path())
    }

    async fn metadata_hash(&mut self, fd: Resource<Descriptor>) -> WasiResult<MetadataHashValue> {
        let path = self.descriptor(&fd)?.path();
        Ok(hash_of(path, &stat_path(&self.fs, path).await?))
    }

    async fn metadata_hash_at(
        &mut self,
        fd: Resource<Descriptor>,
        _flags: PathFlags,
        path: String,
    ) -> WasiResult<MetadataHashValue> {
        let path = self.at(&fd, &path)?;
        Ok(hash_of(&path, &stat_path(&self.fs, &path).await?))
    }

    async fn drop(&mut self, fd: Resource<Descriptor>) -> wasmtime::Result<()> {
        if let Descriptor::Write(f) = self.table.delete(fd)?
            && let Upload::Open(w) = std::mem::replace(&mut *f.upload.lock().await, Upload::Done)
        {
            // Closed without sync: upload anyway, and make the run wait
            // for it so its result is not lost.
            self.closing.push(tokio::spawn(w.finish()));
        }
        Ok(())
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
    ) -> WasiResult<Option<DirectoryEntry>> {
        let entry = self.table.get_mut(&stream)?.entries.next().await?;
        Ok(entry.map(|e| DirectoryEntry {
            type_: type_of(e.attr.kind),
            name: e.name,
        }))
    }

    async fn drop(&mut self, stream: Resource<DirStream>) -> wasmtime::Result<()> {
        self.table.delete(stream)?;
        Ok(())
    }
}

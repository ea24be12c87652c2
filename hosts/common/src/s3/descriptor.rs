//! What the guest's handles point at. Paths are relative to the S3 root.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use docproc_s3fs::{Error as S3Error, Reader, S3Fs, Writer};
use tokio::sync::Mutex;

pub enum Descriptor {
    Dir {
        path: String,
        /// When the guest opened it, until its first readdir: a listing made since then
        /// (the open's own, or another instance's) is what that readdir shows, as a
        /// directory stream would. Later readdirs list afresh.
        opened: Option<Instant>,
    },
    Read(ReadFile),
    Write(WriteFile),
}

#[derive(Clone)]
pub struct ReadFile {
    pub path: String,
    /// False for a handle opened for its metadata only.
    pub readable: bool,
    /// Opened on first read, so stat and readdir never cost a GET; shared with the
    /// handle's streams.
    pub reader: Arc<Mutex<Option<Reader>>>,
}

impl ReadFile {
    /// Up to `len` bytes at `offset`, and the object's size; the object is opened on the
    /// first read of the handle or of any of its streams.
    pub async fn read(&self, fs: &S3Fs, offset: u64, len: usize) -> Result<(Bytes, u64), S3Error> {
        let mut reader = self.reader.lock().await;
        if reader.is_none() {
            *reader = Some(fs.open_read(&self.path).await?);
        }
        let r = reader.as_mut().expect("opened above");
        Ok((r.read(offset, len).await?, r.size()))
    }
}

pub struct WriteFile {
    pub path: String,
    pub upload: Arc<Mutex<Upload>>,
}

pub enum Upload {
    /// Bytes go into this upload; it lands in S3 on sync or close.
    Open(Writer),
    /// Synced: the object is in S3. S3 objects cannot be patched, so
    /// further writes are refused rather than silently replacing it.
    Done,
}

impl Descriptor {
    pub fn path(&self) -> &str {
        match self {
            Descriptor::Dir { path, .. } => path,
            Descriptor::Read(f) => &f.path,
            Descriptor::Write(f) => &f.path,
        }
    }
}

/// A directory being read: its listing arrives a page at a time.
pub struct DirStream {
    pub entries: docproc_s3fs::DirStream,
}

//! What the guest's handles point at. Paths are relative to the S3 root.

use std::collections::VecDeque;
use std::sync::Arc;

use docproc_s3fs::{Reader, Writer};
use tokio::sync::Mutex;

use super::bindings::wasi::filesystem::types::DirectoryEntry;

pub enum Descriptor {
    Dir { path: String },
    File(File),
}

pub struct File {
    pub path: String,
    pub readable: bool,
    /// Opened on first read: stat and readdir never cost a GET.
    pub reader: Arc<Mutex<Option<Reader>>>,
    pub writer: Arc<Mutex<WriteState>>,
}

pub enum WriteState {
    /// Opened read-only.
    None,
    /// Bytes go into this upload; it lands in S3 on sync or close.
    Open(Writer),
    /// Synced: the object is in S3. S3 objects cannot be patched, so
    /// further writes are refused rather than silently replacing it.
    Done,
}

pub struct DirStream {
    pub entries: VecDeque<DirectoryEntry>,
}

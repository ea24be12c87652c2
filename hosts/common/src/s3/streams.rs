//! `wasi:io` streams over S3 files. Stream calls are synchronous, so the S3
//! work happens in `ready`, which the guest's blocking calls await. A failure carries the
//! S3 error itself, so `filesystem-error-code` notes it as a method's failure is noted.

use std::sync::Arc;

use bytes::Bytes;
use docproc_s3fs::S3Fs;
use tokio::sync::Mutex;
use wasmtime_wasi_io::poll::Pollable;
use wasmtime_wasi_io::streams::{InputStream, OutputStream, StreamError, StreamResult};

use super::bindings::wasi::filesystem::types::ErrorCode;
use super::descriptor::{ReadFile, Upload};

/// Bytes fetched or buffered per `ready`.
const CHUNK: usize = 1 << 20;

enum End {
    Open,
    Eof,
    /// Reported once, then the stream is closed.
    Failed(Option<wasmtime::Error>),
}

pub struct S3InputStream {
    fs: S3Fs,
    file: ReadFile,
    next: u64,
    buffer: Bytes,
    end: End,
}

impl S3InputStream {
    pub fn new(fs: S3Fs, file: ReadFile, offset: u64) -> Self {
        S3InputStream {
            fs,
            file,
            next: offset,
            buffer: Bytes::new(),
            end: End::Open,
        }
    }

    async fn fetch(&mut self) -> Result<Bytes, docproc_s3fs::Error> {
        Ok(self.file.read(&self.fs, self.next, CHUNK).await?.0)
    }
}

#[wasmtime_wasi_io::async_trait]
impl Pollable for S3InputStream {
    async fn ready(&mut self) {
        if !self.buffer.is_empty() || !matches!(self.end, End::Open) {
            return;
        }
        match self.fetch().await {
            Ok(bytes) if bytes.is_empty() => self.end = End::Eof,
            Ok(bytes) => {
                self.next += bytes.len() as u64;
                self.buffer = bytes;
            }
            Err(e) => self.end = End::Failed(Some(e.into())),
        }
    }
}

impl InputStream for S3InputStream {
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        if !self.buffer.is_empty() {
            let n = size.min(self.buffer.len());
            return Ok(self.buffer.split_to(n));
        }
        match &mut self.end {
            End::Open => Ok(Bytes::new()),
            End::Failed(e) => match e.take() {
                Some(e) => Err(StreamError::LastOperationFailed(e)),
                None => Err(StreamError::Closed),
            },
            End::Eof => Err(StreamError::Closed),
        }
    }
}

pub struct S3OutputStream {
    upload: Arc<Mutex<Upload>>,
    offset: u64,
    pending: Vec<u8>,
    failed: Option<wasmtime::Error>,
}

impl S3OutputStream {
    pub fn new(upload: Arc<Mutex<Upload>>, offset: u64) -> Self {
        S3OutputStream {
            upload,
            offset,
            pending: Vec::new(),
            failed: None,
        }
    }

    fn check_failed(&mut self) -> StreamResult<()> {
        match self.failed.take() {
            Some(e) => Err(StreamError::LastOperationFailed(e)),
            None => Ok(()),
        }
    }
}

#[wasmtime_wasi_io::async_trait]
impl Pollable for S3OutputStream {
    async fn ready(&mut self) {
        if self.pending.is_empty() || self.failed.is_some() {
            return;
        }
        let result: wasmtime::Result<()> = match &mut *self.upload.lock().await {
            Upload::Open(w) => w
                .write(self.offset, &self.pending)
                .await
                .map_err(Into::into),
            // Synced already: S3 objects are not patched.
            Upload::Done => Err(ErrorCode::BadDescriptor.into()),
        };
        match result {
            Ok(()) => {
                self.offset += self.pending.len() as u64;
                self.pending.clear();
            }
            Err(e) => self.failed = Some(e),
        }
    }
}

impl OutputStream for S3OutputStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.check_failed()?;
        if bytes.len() > CHUNK - self.pending.len() {
            return Err(StreamError::Trap(wasmtime::Error::msg(
                "write exceeded the permitted size",
            )));
        }
        self.pending.extend_from_slice(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        // The buffered bytes move into the upload in `ready`, which a
        // blocking flush awaits.
        self.check_failed()
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        self.check_failed()?;
        Ok(CHUNK - self.pending.len())
    }
}

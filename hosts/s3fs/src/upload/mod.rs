//! Writes. A writer buffers up to `upload_part_size` bytes. An object that fits is one
//! PutObject at finish. Once more arrives, a multipart upload starts and each full buffer is
//! uploaded as a part in parallel with further writes. Nothing is visible in S3 until
//! [`Writer::finish`] returns, and a failed or dropped writer aborts its multipart upload,
//! so a partial object is never seen.
//!
//! S3 cannot patch an uploaded part, so writes may only land in the buffer not yet uploaded:
//! rewriting it is fine, anything before it is `Unsupported`. A write past the end fills the
//! gap with zeros, as a file would read.

mod multipart;

use std::sync::Arc;

use bytes::Bytes;

use crate::superblock::Cached;
use crate::{Attr, Error, Inner};
use multipart::Multipart;

pub struct Writer {
    fs: Arc<Inner>,
    path: String,
    key: String,
    exclusive: bool,
    buf: Vec<u8>,
    /// Object offset of `buf[0]`: everything before it is uploaded.
    buf_start: u64,
    multipart: Option<Multipart>,
    /// Set by the first failure; the writer refuses everything after it.
    failed: Option<String>,
    finished: bool,
}

static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

impl Writer {
    pub(crate) fn new(fs: Arc<Inner>, path: String, key: String, exclusive: bool) -> Writer {
        Writer {
            fs,
            path,
            key,
            exclusive,
            buf: Vec::new(),
            buf_start: 0,
            multipart: None,
            failed: None,
            finished: false,
        }
    }

    /// Bytes written so far (the highest offset written to).
    pub fn len(&self) -> u64 {
        self.buf_start + self.buf.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub async fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), Error> {
        if let Some(message) = &self.failed {
            return Err(Error::io(
                &self.key,
                format!("writer failed earlier: {message}"),
            ));
        }
        if offset < self.buf_start {
            return Err(Error::Unsupported(format!(
                "{}: write at {offset}, but bytes before {} are already uploaded",
                self.path, self.buf_start
            )));
        }
        let result = self.write_buffered(offset, data).await;
        if let Err(err) = &result {
            self.fail(err.to_string()).await;
        }
        result
    }

    async fn write_buffered(&mut self, offset: u64, data: &[u8]) -> Result<(), Error> {
        let mut gap = offset.saturating_sub(self.len());
        while gap > 0 {
            let n = gap.min(ZEROS.len() as u64) as usize;
            self.append(&ZEROS[..n]).await?;
            gap -= n as u64;
        }
        let at = (offset - self.buf_start) as usize;
        let overlap = data.len().min(self.buf.len() - at);
        self.buf[at..at + overlap].copy_from_slice(&data[..overlap]);
        self.append(&data[overlap..]).await
    }

    /// A full buffer is uploaded only when more data arrives, so an object of exactly one
    /// part is still a single PutObject.
    async fn append(&mut self, mut data: &[u8]) -> Result<(), Error> {
        let part_size = self.fs.config.upload_part_size;
        while !data.is_empty() {
            if self.buf.len() >= part_size {
                self.upload_buffer().await?;
                self.buf.reserve(part_size);
            }
            let n = (part_size - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        Ok(())
    }

    async fn upload_buffer(&mut self) -> Result<(), Error> {
        if self.multipart.is_none() {
            let upload_id = self.fs.create_multipart(&self.key).await?;
            self.multipart = Some(Multipart::new(upload_id));
        }
        let body = Bytes::from(std::mem::take(&mut self.buf));
        self.buf_start += body.len() as u64;
        let multipart = self.multipart.as_mut().expect("started above");
        multipart.upload(&self.fs, &self.key, body).await
    }

    /// Puts the object in S3; it is there, whole, when this returns Ok. On error nothing is
    /// left behind: a multipart upload is aborted.
    pub async fn finish(mut self) -> Result<(), Error> {
        self.finished = true;
        if let Some(message) = &self.failed {
            return Err(Error::io(
                &self.key,
                format!("writer failed earlier: {message}"),
            ));
        }
        let result = self.complete().await;
        if let Err(err) = &result {
            self.fail(err.to_string()).await;
        }
        result
    }

    async fn complete(&mut self) -> Result<(), Error> {
        let size = self.len();
        let etag = if self.multipart.is_none() {
            let body = Bytes::from(std::mem::take(&mut self.buf));
            self.fs.put(&self.key, body, self.exclusive).await?
        } else {
            if !self.buf.is_empty() {
                self.upload_buffer().await?;
            }
            let multipart = self.multipart.as_mut().expect("checked above");
            let parts = multipart.finish_parts(&self.key).await?;
            let upload_id = multipart.upload_id.clone();
            let etag = self
                .fs
                .complete_multipart(&self.key, &upload_id, parts, self.exclusive)
                .await?;
            self.multipart = None;
            etag
        };
        self.fs.cache.insert(
            &self.path,
            Cached {
                attr: Attr::file(size, Some(self.fs.clock.now())),
                etag,
            },
        );
        Ok(())
    }

    async fn fail(&mut self, message: String) {
        self.failed = Some(message);
        self.buf = Vec::new();
        if let Some(mut multipart) = self.multipart.take() {
            multipart.stop();
            if let Err(err) = self
                .fs
                .abort_multipart(&self.key, &multipart.upload_id)
                .await
            {
                tracing::warn!(key = %self.key, error = %err, "could not abort multipart upload");
            }
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let Some(mut multipart) = self.multipart.take() else {
            return;
        };
        multipart.stop();
        if !self.finished {
            tracing::warn!(key = %self.key, "writer dropped before finish; its upload is aborted");
        }
        let (fs, key) = (Arc::clone(&self.fs), self.key.clone());
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(err) = fs.abort_multipart(&key, &multipart.upload_id).await {
                        tracing::warn!(%key, error = %err, "could not abort multipart upload");
                    }
                });
            }
            Err(_) => tracing::warn!(
                %key,
                upload_id = %multipart.upload_id,
                "no runtime to abort the multipart upload; a bucket lifecycle rule must clean it"
            ),
        }
    }
}

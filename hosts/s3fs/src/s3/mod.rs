//! Every S3 request this crate sends, each counted in [`Metrics`] and each failure turned
//! into an [`Error`] naming the key. Keys here are full keys (root prefix included).

pub(crate) mod list;
mod list_body;
mod multipart;

use std::time::SystemTime;

use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use bytes::Bytes;

use crate::error::{is_not_found, is_precondition_failed, s3_error, write_error};
use crate::metrics::Metrics;
use crate::path::encode_copy_source;
use crate::{Error, Inner};

pub(crate) use list::{ListPage, ListedObject};

/// S3 accepts at most this many keys in one DeleteObjects request.
pub(crate) const MAX_DELETE_BATCH: usize = 1000;

#[derive(Debug, Clone)]
pub(crate) struct ObjectMeta {
    pub size: u64,
    pub mtime: Option<SystemTime>,
    pub etag: Option<String>,
}

pub(crate) fn system_time(dt: Option<&DateTime>) -> Option<SystemTime> {
    dt.and_then(|d| SystemTime::try_from(*d).ok())
}

pub(crate) fn size_of(len: Option<i64>) -> u64 {
    len.and_then(|n| u64::try_from(n).ok()).unwrap_or(0)
}

/// Attempts at a ranged GET whose body fails, the first included.
const BODY_ATTEMPTS: u32 = 5;

/// A response body that broke off: worth asking again.
struct BodyError(Error);

impl Inner {
    pub(crate) async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, Error> {
        let _req = self.metrics.start(&self.metrics.head, "HeadObject", key);
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(ObjectMeta {
                size: size_of(out.content_length()),
                mtime: system_time(out.last_modified()),
                etag: out.e_tag().map(str::to_owned),
            })),
            Err(err) if is_not_found(&err) => Ok(None),
            Err(err) => match s3_error("HeadObject", key, err) {
                // AWS answers 403, not 404, for a missing key to a caller that may not list
                // the bucket as a whole, as a role scoped by s3:prefix may not. A listing
                // under the key, which such a role may send, tells what is there.
                Error::Denied { .. } => self.listed(key).await,
                e => Err(e),
            },
        }
    }

    /// What a listing says of exactly `key`.
    async fn listed(&self, key: &str) -> Result<Option<ObjectMeta>, Error> {
        let page = self.list_page(key, true, None, Some(1)).await?;
        Ok(page
            .objects
            .into_iter()
            .find(|o| o.key == key)
            .map(|o| ObjectMeta {
                size: o.size,
                mtime: o.mtime,
                etag: o.etag,
            }))
    }

    /// Bytes `[start, end)` of `key`. With `etag`, a changed object fails instead of mixing
    /// bytes of two versions into one read.
    /// The SDK retries a request until its response headers arrive; a body
    /// cut short after that (a reset connection, a truncated response) is
    /// retried here, with the same backoff shape.
    pub(crate) async fn get_range(
        &self,
        key: &str,
        start: u64,
        end: u64,
        etag: Option<&str>,
    ) -> Result<Bytes, Error> {
        let mut delay = std::time::Duration::from_millis(100);
        let mut attempt = 1;
        loop {
            match self.get_range_once(key, start, end, etag).await {
                Err(BodyError(e)) if attempt < BODY_ATTEMPTS => {
                    tracing::warn!(key, attempt, error = %e, "GetObject body failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                Err(BodyError(e)) => return Err(e),
                Ok(result) => return result,
            }
        }
    }

    async fn get_range_once(
        &self,
        key: &str,
        start: u64,
        end: u64,
        etag: Option<&str>,
    ) -> Result<Result<Bytes, Error>, BodyError> {
        debug_assert!(start < end);
        let _req = self.metrics.start(&self.metrics.get, "GetObject", key);
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes={start}-{}", end - 1))
            .set_if_match(etag.map(str::to_owned))
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(err) if is_precondition_failed(&err) => {
                return Ok(Err(Error::io(
                    key,
                    "GetObject: PreconditionFailed (412): object changed since it was opened",
                )));
            }
            Err(err) => return Ok(Err(s3_error("GetObject", key, err))),
        };
        // The SDK's timeouts end with the headers; a body that stops flowing is bounded here.
        let read = crate::S3_TIMEOUTS.read;
        let data = tokio::time::timeout(read, out.body.collect())
            .await
            .map_err(|_| {
                BodyError(Error::io(
                    key,
                    format!("GetObject: body not received within {read:?}"),
                ))
            })?
            .map_err(|err| BodyError(Error::io(key, format!("GetObject: reading body: {err}"))))?
            .into_bytes();
        Metrics::add(&self.metrics.bytes_read, data.len() as u64);
        let expected = end - start;
        if data.len() as u64 != expected {
            return Err(BodyError(Error::io(
                key,
                format!(
                    "GetObject: asked for {expected} bytes at {start}, got {}",
                    data.len()
                ),
            )));
        }
        Ok(Ok(data))
    }

    /// Returns the new ETag. With `exclusive`, an existing key fails with `Exists`.
    pub(crate) async fn put(
        &self,
        key: &str,
        body: Bytes,
        exclusive: bool,
    ) -> Result<Option<String>, Error> {
        let _req = self.metrics.start(&self.metrics.put, "PutObject", key);
        let len = body.len() as u64;
        let out = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(body))
            .set_if_none_match(exclusive.then(|| "*".to_owned()))
            .send()
            .await
            .map_err(|err| write_error("PutObject", key, exclusive, err))?;
        Metrics::add(&self.metrics.bytes_written, len);
        Ok(out.e_tag().map(str::to_owned))
    }

    /// Deletes `key` only while it is still version `etag`: `false` when the store refused,
    /// because it was replaced since (and so kept) or, on SeaweedFS, because it is gone.
    pub(crate) async fn delete_if_match(&self, key: &str, etag: &str) -> Result<bool, Error> {
        let _req = self
            .metrics
            .start(&self.metrics.delete, "DeleteObject", key);
        match self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .if_match(etag)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err) if is_precondition_failed(&err) => Ok(false),
            Err(err) => Err(s3_error("DeleteObject", key, err)),
        }
    }

    pub(crate) async fn delete(&self, key: &str) -> Result<(), Error> {
        let _req = self
            .metrics
            .start(&self.metrics.delete, "DeleteObject", key);
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|err| s3_error("DeleteObject", key, err))?;
        Ok(())
    }

    /// Deletes up to [`MAX_DELETE_BATCH`] keys in one request; any key S3 reports as not
    /// deleted fails the call.
    pub(crate) async fn delete_batch(&self, keys: &[String]) -> Result<(), Error> {
        let Some(first) = keys.first() else {
            return Ok(());
        };
        if keys.len() == 1 {
            return self.delete(first).await;
        }
        let _req = self
            .metrics
            .start(&self.metrics.delete, "DeleteObjects", first);
        let objects = keys
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| Error::io(first, format!("DeleteObjects: {err}")))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|err| Error::io(first, format!("DeleteObjects: {err}")))?;
        let out = self
            .client
            .delete_objects()
            .bucket(&self.bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|err| s3_error("DeleteObjects", first, err))?;
        if let Some(err) = out.errors().first() {
            let key = err.key().unwrap_or(first);
            return Err(Error::io(
                key,
                format!(
                    "DeleteObjects: {}: {}",
                    err.code().unwrap_or("Unknown"),
                    err.message().unwrap_or("")
                ),
            ));
        }
        Ok(())
    }

    /// With `if_match`, copies only that version of `from`: a source replaced since is
    /// `NotFound`, the version that was read being gone.
    pub(crate) async fn copy(
        &self,
        from: &str,
        to: &str,
        if_match: Option<&str>,
    ) -> Result<Option<String>, Error> {
        let _req = self.metrics.start(&self.metrics.copy, "CopyObject", to);
        let out = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(to)
            .copy_source(encode_copy_source(&self.bucket, from))
            .set_copy_source_if_match(if_match.map(str::to_owned))
            .send()
            .await
            .map_err(|err| copy_error("CopyObject", from, err))?;
        Ok(out
            .copy_object_result()
            .and_then(|r| r.e_tag())
            .map(str::to_owned))
    }
}

/// A copy pinned to a version whose source was replaced since fails with 412: for the caller
/// the version it read is gone.
pub(crate) fn copy_error<E>(op: &str, from: &str, err: aws_sdk_s3::error::SdkError<E>) -> Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    if crate::error::status(&err) == Some(412) {
        return Error::NotFound(from.to_owned());
    }
    s3_error(op, from, err)
}

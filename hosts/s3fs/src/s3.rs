//! Every S3 request this crate sends, each counted in [`Metrics`] and each failure turned
//! into an [`FsError`] naming the key. Keys here are full keys (root prefix included).

use std::time::SystemTime;

use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, Delete, EncodingType, ObjectIdentifier,
};
use bytes::Bytes;

use crate::error::{is_not_found, is_precondition_failed, s3_error};
use crate::metrics::Metrics;
use crate::path::encode_copy_source;
use crate::{FsError, Inner};

/// S3 accepts at most this many keys in one DeleteObjects request.
pub(crate) const MAX_DELETE_BATCH: usize = 1000;

#[derive(Debug, Clone)]
pub(crate) struct ListedObject {
    pub key: String,
    pub size: u64,
    pub mtime: Option<SystemTime>,
    pub etag: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct ListPage {
    pub objects: Vec<ListedObject>,
    /// Common prefixes, each ending with the delimiter.
    pub prefixes: Vec<String>,
    /// Set while more pages follow.
    pub next_token: Option<String>,
}

impl ListPage {
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.prefixes.is_empty()
    }
}

/// Decodes `encoding-type=url` values: %XX escapes, and '+' for a space as S3 writes it.
/// A malformed escape is kept as it came.
pub(crate) fn url_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let escaped = bytes
                    .get(i + 1)
                    .zip(bytes.get(i + 2))
                    .and_then(|(&hi, &lo)| Some(hex(hi)? << 4 | hex(lo)?));
                if let Some(b) = escaped {
                    out.push(b);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

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

impl Inner {
    pub(crate) async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, FsError> {
        Metrics::inc(&self.metrics.head);
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
            Err(err) => Err(s3_error("HeadObject", key, err)),
        }
    }

    /// One ListObjectsV2 page. Keys are asked for URL-encoded, as S3 advises: a key may
    /// hold characters XML 1.0 cannot carry (NUL, most control characters), which would
    /// otherwise break the whole listing or arrive altered.
    pub(crate) async fn list_page(
        &self,
        prefix: &str,
        delimited: bool,
        token: Option<String>,
        max_keys: Option<i32>,
    ) -> Result<ListPage, FsError> {
        Metrics::inc(&self.metrics.list);
        let mut req = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .encoding_type(EncodingType::Url)
            .set_continuation_token(token)
            .set_max_keys(max_keys);
        if delimited {
            req = req.delimiter("/");
        }
        let out = req
            .send()
            .await
            .map_err(|err| s3_error("ListObjectsV2", prefix, err))?;
        // A server that ignores encoding-type says so by not echoing it.
        let encoded = out.encoding_type() == Some(&EncodingType::Url);
        let decode = |s: &str| {
            if encoded { url_decode(s) } else { s.to_owned() }
        };
        Ok(ListPage {
            objects: out
                .contents()
                .iter()
                .filter_map(|o| {
                    Some(ListedObject {
                        key: decode(o.key()?),
                        size: size_of(o.size()),
                        mtime: system_time(o.last_modified()),
                        etag: o.e_tag().map(str::to_owned),
                    })
                })
                .collect(),
            prefixes: out
                .common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(decode))
                .collect(),
            next_token: match out.next_continuation_token() {
                Some(next) if out.is_truncated() == Some(true) => Some(next.to_owned()),
                _ => None,
            },
        })
    }

    /// Bytes `[start, end)` of `key`. With `etag`, a changed object fails instead of mixing
    /// bytes of two versions into one read.
    pub(crate) async fn get_range(
        &self,
        key: &str,
        start: u64,
        end: u64,
        etag: Option<&str>,
    ) -> Result<Bytes, FsError> {
        debug_assert!(start < end);
        Metrics::inc(&self.metrics.get);
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes={start}-{}", end - 1))
            .set_if_match(etag.map(str::to_owned))
            .send()
            .await
            .map_err(|err| {
                if is_precondition_failed(&err) {
                    FsError::io(
                        key,
                        "GetObject: PreconditionFailed (412): object changed since it was opened",
                    )
                } else {
                    s3_error("GetObject", key, err)
                }
            })?;
        let data = out
            .body
            .collect()
            .await
            .map_err(|err| FsError::io(key, format!("GetObject: reading body: {err}")))?
            .into_bytes();
        Metrics::add(&self.metrics.bytes_read, data.len() as u64);
        let expected = end - start;
        if data.len() as u64 != expected {
            return Err(FsError::io(
                key,
                format!(
                    "GetObject: asked for {expected} bytes at {start}, got {}",
                    data.len()
                ),
            ));
        }
        Ok(data)
    }

    /// Returns the new ETag. With `exclusive`, an existing key fails with `Exists`.
    pub(crate) async fn put(
        &self,
        key: &str,
        body: Bytes,
        exclusive: bool,
    ) -> Result<Option<String>, FsError> {
        Metrics::inc(&self.metrics.put);
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
            .map_err(|err| {
                if exclusive && is_precondition_failed(&err) {
                    FsError::Exists(key.to_owned())
                } else {
                    s3_error("PutObject", key, err)
                }
            })?;
        Metrics::add(&self.metrics.bytes_written, len);
        Ok(out.e_tag().map(str::to_owned))
    }

    pub(crate) async fn delete(&self, key: &str) -> Result<(), FsError> {
        Metrics::inc(&self.metrics.delete);
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
    pub(crate) async fn delete_batch(&self, keys: &[String]) -> Result<(), FsError> {
        let Some(first) = keys.first() else {
            return Ok(());
        };
        if keys.len() == 1 {
            return self.delete(first).await;
        }
        Metrics::inc(&self.metrics.delete);
        let objects = keys
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| FsError::io(first, format!("DeleteObjects: {err}")))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|err| FsError::io(first, format!("DeleteObjects: {err}")))?;
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
            return Err(FsError::io(
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

    pub(crate) async fn copy(&self, from: &str, to: &str) -> Result<Option<String>, FsError> {
        Metrics::inc(&self.metrics.copy);
        let out = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(to)
            .copy_source(encode_copy_source(&self.bucket, from))
            .send()
            .await
            .map_err(|err| s3_error("CopyObject", from, err))?;
        Ok(out
            .copy_object_result()
            .and_then(|r| r.e_tag())
            .map(str::to_owned))
    }

    pub(crate) async fn create_multipart(&self, key: &str) -> Result<String, FsError> {
        Metrics::inc(&self.metrics.create_multipart);
        let out = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|err| s3_error("CreateMultipartUpload", key, err))?;
        out.upload_id()
            .map(str::to_owned)
            .ok_or_else(|| FsError::io(key, "CreateMultipartUpload: no upload id in the answer"))
    }

    pub(crate) async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: i32,
        body: Bytes,
    ) -> Result<CompletedPart, FsError> {
        Metrics::inc(&self.metrics.upload_part);
        let len = body.len() as u64;
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(part_number)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|err| s3_error("UploadPart", key, err))?;
        Metrics::add(&self.metrics.bytes_written, len);
        Ok(CompletedPart::builder()
            .part_number(part_number)
            .set_e_tag(out.e_tag().map(str::to_owned))
            .build())
    }

    /// Copies bytes `[start, end)` of `from` as one part of a multipart upload to `to`.
    pub(crate) async fn upload_part_copy(
        &self,
        from: &str,
        to: &str,
        upload_id: &str,
        part_number: i32,
        (start, end): (u64, u64),
    ) -> Result<CompletedPart, FsError> {
        Metrics::inc(&self.metrics.copy);
        let out = self
            .client
            .upload_part_copy()
            .bucket(&self.bucket)
            .key(to)
            .upload_id(upload_id)
            .part_number(part_number)
            .copy_source(encode_copy_source(&self.bucket, from))
            .copy_source_range(format!("bytes={start}-{}", end - 1))
            .send()
            .await
            .map_err(|err| s3_error("UploadPartCopy", from, err))?;
        Ok(CompletedPart::builder()
            .part_number(part_number)
            .set_e_tag(
                out.copy_part_result()
                    .and_then(|r| r.e_tag())
                    .map(str::to_owned),
            )
            .build())
    }

    /// `parts` must be sorted by part number. With `exclusive`, an existing key fails with
    /// `Exists` and the upload stays open for the caller to abort.
    pub(crate) async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: Vec<CompletedPart>,
        exclusive: bool,
    ) -> Result<Option<String>, FsError> {
        Metrics::inc(&self.metrics.complete_multipart);
        let out = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .set_if_none_match(exclusive.then(|| "*".to_owned()))
            .send()
            .await
            .map_err(|err| {
                if exclusive && is_precondition_failed(&err) {
                    FsError::Exists(key.to_owned())
                } else {
                    s3_error("CompleteMultipartUpload", key, err)
                }
            })?;
        Ok(out.e_tag().map(str::to_owned))
    }

    pub(crate) async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), FsError> {
        Metrics::inc(&self.metrics.abort_multipart);
        self.client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
            .map_err(|err| s3_error("AbortMultipartUpload", key, err))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::url_decode;

    #[test]
    fn url_decoding() {
        assert_eq!(url_decode("sp+ace"), "sp ace");
        assert_eq!(url_decode("a%00b"), "a\0b");
        assert_eq!(url_decode("c%2Bd%2F%C3%BC"), "c+d/ü");
        assert_eq!(url_decode("bad%zz%4"), "bad%zz%4");
    }
}

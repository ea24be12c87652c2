//! The multipart-upload requests: plain uploads and part copies.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;

use crate::error::{s3_error, write_error};
use crate::metrics::Metrics;
use crate::path::encode_copy_source;
use crate::{Error, Inner};

impl Inner {
    pub(crate) async fn create_multipart(&self, key: &str) -> Result<String, Error> {
        let _req = self
            .metrics
            .start(&self.metrics.create_multipart, "CreateMultipartUpload", key);
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
            .ok_or_else(|| Error::io(key, "CreateMultipartUpload: no upload id in the answer"))
    }

    pub(crate) async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: i32,
        body: Bytes,
    ) -> Result<CompletedPart, Error> {
        let _req = self
            .metrics
            .start(&self.metrics.upload_part, "UploadPart", key);
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
        if_match: Option<&str>,
    ) -> Result<CompletedPart, Error> {
        let _req = self.metrics.start(&self.metrics.copy, "UploadPartCopy", to);
        let out = self
            .client
            .upload_part_copy()
            .bucket(&self.bucket)
            .key(to)
            .upload_id(upload_id)
            .part_number(part_number)
            .copy_source(encode_copy_source(&self.bucket, from))
            .copy_source_range(format!("bytes={start}-{}", end - 1))
            .set_copy_source_if_match(if_match.map(str::to_owned))
            .send()
            .await
            .map_err(|err| super::copy_error("UploadPartCopy", from, err))?;
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
    ) -> Result<Option<String>, Error> {
        let _req = self.metrics.start(
            &self.metrics.complete_multipart,
            "CompleteMultipartUpload",
            key,
        );
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
            .map_err(|err| write_error("CompleteMultipartUpload", key, exclusive, err))?;
        Ok(out.e_tag().map(str::to_owned))
    }

    pub(crate) async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), Error> {
        let _req = self
            .metrics
            .start(&self.metrics.abort_multipart, "AbortMultipartUpload", key);
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

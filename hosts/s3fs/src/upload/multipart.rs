//! An open multipart upload: parts uploading in parallel, bounded by `upload_concurrency`
//! and by the memory limiter, and the parts already done.

use std::sync::Arc;

use aws_sdk_s3::types::CompletedPart;
use bytes::Bytes;
use tokio::task::JoinSet;

use crate::{Error, Inner};

pub(super) struct Multipart {
    pub upload_id: String,
    next_part: i32,
    in_flight: JoinSet<Result<CompletedPart, Error>>,
    done: Vec<CompletedPart>,
}

/// S3 numbers parts 1 to 10,000.
const MAX_PART_NUMBER: i32 = 10_000;

impl Multipart {
    pub fn new(upload_id: String) -> Multipart {
        Multipart {
            upload_id,
            next_part: 1,
            in_flight: JoinSet::new(),
            done: Vec::new(),
        }
    }

    pub async fn upload(&mut self, fs: &Arc<Inner>, key: &str, body: Bytes) -> Result<(), Error> {
        if self.next_part > MAX_PART_NUMBER {
            return Err(Error::Unsupported(format!(
                "{key}: more than {MAX_PART_NUMBER} parts; raise upload_part_size"
            )));
        }
        let concurrency = fs.config.upload_concurrency;
        while self.in_flight.len() >= concurrency {
            self.collect_one(key).await?;
        }
        // Before going over the memory limit, wait for this writer's own uploads to drain.
        let memory = loop {
            if let Some(memory) = fs.memory.try_reserve(body.len()) {
                break memory;
            }
            if self.in_flight.is_empty() {
                break fs.memory.reserve_for_progress(body.len());
            }
            self.collect_one(key).await?;
        };
        let number = self.next_part;
        self.next_part += 1;
        let (fs, key, upload_id) = (Arc::clone(fs), key.to_owned(), self.upload_id.clone());
        self.in_flight.spawn(async move {
            let _memory = memory;
            fs.upload_part(&key, &upload_id, number, body).await
        });
        Ok(())
    }

    async fn collect_one(&mut self, key: &str) -> Result<(), Error> {
        if let Some(joined) = self.in_flight.join_next().await {
            let part = joined
                .map_err(|err| Error::io(key, format!("UploadPart: upload task: {err}")))??;
            self.done.push(part);
        }
        Ok(())
    }

    /// Waits for every part and returns them in part-number order, as completion requires.
    pub async fn finish_parts(&mut self, key: &str) -> Result<Vec<CompletedPart>, Error> {
        while !self.in_flight.is_empty() {
            self.collect_one(key).await?;
        }
        let mut parts = std::mem::take(&mut self.done);
        parts.sort_by_key(|p| p.part_number());
        Ok(parts)
    }

    /// Stops the uploads still running; the caller then aborts the upload in S3.
    pub fn stop(&mut self) {
        self.in_flight.abort_all();
    }
}

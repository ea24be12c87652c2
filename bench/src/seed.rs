//! The data sets, the same for every backend: the reference's medium documents, a tree of
//! small files for the walk, and large random files for the hash. All deterministic.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};

use crate::s3::{Place, sdk_err};

/// Small objects in flight at once: seeding is bound by the server's PUT rate, and this many
/// keeps it busy (about 3,000 PUT/s on loopback SeaweedFS here).
pub const PUT_CONCURRENCY: usize = 128;
const PART: usize = 8 << 20;
const SEED: u64 = 1;

pub fn walk_name(i: usize) -> String {
    format!("file-{i:05}.txt")
}

/// A small text file of 128 to 1,023 bytes.
pub fn walk_file(i: usize) -> Vec<u8> {
    let len = 128 + (i * 7919) % 896;
    let line = format!("small file {i} for the walk benchmark\n");
    line.bytes().cycle().take(len).collect()
}

pub fn hash_name(i: usize) -> String {
    format!("file-{i}.bin")
}

/// `root/file-00001.txt` ... in a local directory.
pub fn walk_local(dir: &Path, files: usize) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    for i in 1..=files {
        std::fs::write(dir.join(walk_name(i)), walk_file(i))?;
    }
    Ok(())
}

/// The same files as objects under `place/root/`, many PUTs at once.
pub async fn walk_s3(
    client: &Client,
    place: &Place,
    root: &str,
    files: usize,
    bar: &indicatif::ProgressBar,
) -> Result<()> {
    futures::stream::iter(1..=files)
        .map(|i| {
            let key = place.key(&format!("{root}/{}", walk_name(i)));
            async move {
                put(client, &place.bucket, &key, walk_file(i)).await?;
                bar.inc(1);
                Ok::<_, anyhow::Error>(())
            }
        })
        .buffer_unordered(PUT_CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

/// The documents of one process-inbox run under `place/root/inbox/`.
pub async fn inbox_s3(client: &Client, place: &Place, root: &str, docs: usize) -> Result<()> {
    futures::stream::iter(docproc_host::seed::documents(docs, SEED))
        .map(|(name, text)| {
            let key = place.key(&format!("{root}/inbox/{name}"));
            async move { put(client, &place.bucket, &key, text.into_bytes()).await }
        })
        .buffer_unordered(PUT_CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

/// The documents of one process-inbox run in `dir/root/inbox/`.
pub fn inbox_local(dir: &Path, root: &str, docs: usize) -> Result<()> {
    docproc_host::seed::seed_inbox(&dir.join(root), docs, SEED)
        .with_context(|| format!("seeding {}", dir.display()))?;
    // The run fsyncs what it writes; without this its first fsync would also flush the
    // whole seed (and the large files before it), timing the disk instead of the run.
    let synced = std::process::Command::new("sync").status();
    anyhow::ensure!(
        synced.as_ref().is_ok_and(|s| s.success()),
        "sync after seeding failed: {synced:?}"
    );
    Ok(())
}

pub async fn put(client: &Client, bucket: &str, key: &str, body: Vec<u8>) -> Result<()> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(sdk_err)
        .with_context(|| format!("PutObject {key}"))?;
    Ok(())
}

/// Part `part` of hash file `file`: pseudo-random bytes, the same every time.
fn hash_part(file: usize, part: u64, len: usize) -> Vec<u8> {
    docproc_host::seed::Rng::new((file as u64) << 40 ^ part).bytes(len)
}

/// A file's expected SHA-256, to check every backend's digests against.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Expected {
    pub name: String,
    pub sha256: String,
}

/// Writes `files` random files of `bytes` each to `local` (a directory) and/or uploads them
/// under `s3` (multipart, 8 MiB parts), and returns their digests.
pub async fn hash_files(
    local: Option<&Path>,
    s3: Option<(&Client, &Place)>,
    files: usize,
    bytes: u64,
    bar: &indicatif::ProgressBar,
) -> Result<Vec<Expected>> {
    if let Some(dir) = local {
        std::fs::create_dir_all(dir)?;
    }
    let mut expected = Vec::new();
    for file in 1..=files {
        let name = hash_name(file);
        let mut local_file = match local {
            Some(dir) => Some(std::fs::File::create(dir.join(&name))?),
            None => None,
        };
        let upload = match s3 {
            Some((client, place)) => Some(Upload::start(client, place, &name, bytes).await?),
            None => None,
        };
        let mut hasher = Sha256::new();
        let parts = bytes.div_ceil(PART as u64);
        let mut in_flight = futures::stream::FuturesUnordered::new();
        for part in 0..parts {
            let len = (bytes - part * PART as u64).min(PART as u64) as usize;
            let data = tokio::task::spawn_blocking(move || hash_part(file, part, len)).await?;
            hasher.update(&data);
            if let Some(f) = local_file.as_mut() {
                use std::io::Write;
                f.write_all(&data)?;
            }
            let data = Bytes::from(data);
            if let Some(up) = &upload {
                if in_flight.len() >= 4 {
                    in_flight.next().await.transpose()?;
                }
                in_flight.push(up.part(part as i32 + 1, data));
            }
            bar.inc(len as u64);
        }
        while let Some(done) = in_flight.next().await {
            done?;
        }
        drop(in_flight);
        if let Some(up) = upload {
            up.finish().await?;
        }
        expected.push(Expected {
            name,
            sha256: hex::encode(hasher.finalize()),
        });
    }
    Ok(expected)
}

/// One multipart upload; parts may finish in any order.
struct Upload {
    client: Client,
    bucket: String,
    key: String,
    id: String,
    parts: Arc<std::sync::Mutex<Vec<CompletedPart>>>,
}

impl Upload {
    async fn start(client: &Client, place: &Place, name: &str, _bytes: u64) -> Result<Upload> {
        let key = place.key(&format!("hash/{name}"));
        let out = client
            .create_multipart_upload()
            .bucket(&place.bucket)
            .key(&key)
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("CreateMultipartUpload {key}"))?;
        Ok(Upload {
            client: client.clone(),
            bucket: place.bucket.clone(),
            id: out.upload_id().context("no upload id")?.to_owned(),
            key,
            parts: Arc::default(),
        })
    }

    fn part(
        &self,
        number: i32,
        data: Bytes,
    ) -> impl std::future::Future<Output = Result<()>> + use<> {
        let (client, bucket, key, id, parts) = (
            self.client.clone(),
            self.bucket.clone(),
            self.key.clone(),
            self.id.clone(),
            self.parts.clone(),
        );
        async move {
            let out = client
                .upload_part()
                .bucket(bucket)
                .key(&key)
                .upload_id(id)
                .part_number(number)
                .body(ByteStream::from(data))
                .send()
                .await
                .map_err(sdk_err)
                .with_context(|| format!("UploadPart {number} of {key}"))?;
            let part = CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag().map(str::to_owned))
                .build();
            parts.lock().unwrap_or_else(|e| e.into_inner()).push(part);
            Ok(())
        }
    }

    async fn finish(self) -> Result<()> {
        let mut parts = std::mem::take(&mut *self.parts.lock().unwrap_or_else(|e| e.into_inner()));
        parts.sort_by_key(|p| p.part_number());
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("CompleteMultipartUpload {}", self.key))?;
        Ok(())
    }
}

/// A sparse local file of `bytes` (reads as zeros, costs no disk), for the RSS probe.
pub fn sparse_file(path: &Path, bytes: u64) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::File::create(path)?.set_len(bytes)?;
    Ok(())
}

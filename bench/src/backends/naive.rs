//! The reference's "before" code, in Rust with aws-sdk-s3: one request after another, a
//! single GetObject stream per file, downloads through a temporary file, and a "rename"
//! that is CopyObject + DeleteObject. The baseline every other backend is compared to.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use docproc_host::report::PhaseTimings;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::s3::{Place, sdk_err};

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// List `root/inbox/`; for each document: download it to a temporary file, read it, count
/// words and lines, copy it to `processed/`, put `processed/<name>.meta.json`, delete the
/// original, remove the temporary file. Returns the phase times (as the reference's table
/// splits them) and how many documents were done.
pub async fn process_inbox(
    client: &Client,
    place: &Place,
    root: &str,
    tmp: &Path,
) -> Result<(PhaseTimings, u32)> {
    let bucket = &place.bucket;
    let inbox = place.key(&format!("{root}/inbox/"));
    let processed = place.key(&format!("{root}/processed/"));
    let mut t = PhaseTimings::default();
    let mut documents = 0;
    let started = Instant::now();

    let step = Instant::now();
    // Like the reference: one ListObjectsV2 call (up to 1,000 keys).
    let listed = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(&inbox)
        .send()
        .await
        .map_err(sdk_err)
        .context("ListObjectsV2")?;
    t.list_ms = ms(step);

    for object in listed.contents() {
        let Some(key) = object.key() else { continue };
        let filename = &key[inbox.len()..];
        let local = tmp.join(filename);

        let step = Instant::now();
        download(client, bucket, key, &local).await?;
        let content = tokio::fs::read_to_string(&local)
            .await
            .with_context(|| format!("{}: not UTF-8 text", local.display()))?;
        t.read_ms += ms(step);

        let step = Instant::now();
        let words = content.split_whitespace().count();
        let lines = content.matches('\n').count();
        t.process_ms += ms(step);

        let step = Instant::now();
        client
            .copy_object()
            .bucket(bucket)
            .copy_source(format!("{bucket}/{key}"))
            .key(format!("{processed}{filename}"))
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("CopyObject {key}"))?;
        t.move_ms += ms(step);

        let step = Instant::now();
        let meta = serde_json::json!({ "word_count": words, "lines": lines });
        client
            .put_object()
            .bucket(bucket)
            .key(format!("{processed}{filename}.meta.json"))
            .body(ByteStream::from(serde_json::to_vec(&meta)?))
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("PutObject {filename}.meta.json"))?;
        t.write_meta_ms += ms(step);

        let step = Instant::now();
        client
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("DeleteObject {key}"))?;
        tokio::fs::remove_file(&local).await?;
        t.move_ms += ms(step);
        documents += 1;
    }
    t.total_ms = ms(started);
    Ok((t, documents))
}

/// `s3.download_file`: one GetObject, streamed into a local file.
async fn download(client: &Client, bucket: &str, key: &str, to: &Path) -> Result<()> {
    let mut body = crate::s3::get_body(client, bucket, key).await?;
    let mut file = tokio::fs::File::create(to).await?;
    while let Some(chunk) = body.try_next().await.map_err(sdk_err)? {
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    Ok(())
}

/// The S3 API "walk": ListObjectsV2 over the prefix, page after page. Sizes come with the
/// listing, so there is nothing to stat. Returns (entries, bytes, ms).
pub async fn walk(client: &Client, place: &Place, root: &str) -> Result<(u64, u64, f64)> {
    let started = Instant::now();
    let keys = crate::s3::list_all(client, &place.bucket, &place.key(&format!("{root}/"))).await?;
    let bytes = keys.iter().map(|(_, size)| size).sum();
    Ok((keys.len() as u64, bytes, ms(started)))
}

/// Times of one hash run.
#[derive(Clone, Debug, Default)]
pub struct HashTimes {
    pub files: u32,
    pub bytes: u64,
    pub read_ms: f64,
    pub write_ms: f64,
    pub digests: Vec<(String, String)>,
}

/// Each object below `root/`: one GetObject stream into SHA-256; then one PutObject per
/// digest into `out_dir/`.
pub async fn hash(client: &Client, place: &Place, root: &str, out_dir: &str) -> Result<HashTimes> {
    let prefix = place.key(&format!("{root}/"));
    let keys = crate::s3::list_all(client, &place.bucket, &prefix).await?;
    let mut t = HashTimes::default();
    let started = Instant::now();
    for (key, _) in &keys {
        let out = client
            .get_object()
            .bucket(&place.bucket)
            .key(key)
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("GetObject {key}"))?;
        let mut body = out.body;
        let mut hasher = Sha256::new();
        while let Some(chunk) = body.try_next().await.map_err(sdk_err)? {
            t.bytes += chunk.len() as u64;
            hasher.update(&chunk);
        }
        t.digests.push((
            key[prefix.len()..].to_owned(),
            hex::encode(hasher.finalize()),
        ));
        t.files += 1;
    }
    t.read_ms = ms(started);
    let started = Instant::now();
    for (name, digest) in &t.digests {
        let line = format!("{digest}  {root}/{name}\n");
        client
            .put_object()
            .bucket(&place.bucket)
            .key(place.key(&format!("{out_dir}/{}.sha256", name.replace('/', "__"))))
            .body(ByteStream::from(line.into_bytes()))
            .send()
            .await
            .map_err(sdk_err)
            .context("PutObject digest")?;
    }
    t.write_ms = ms(started);
    Ok(t)
}

//! S3 clients for the benchmark's own requests, and where each backend's data lives.

use std::time::Duration;

use anyhow::{Context, Result};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;

#[derive(Clone, Debug)]
pub struct Creds {
    pub access_key: String,
    pub secret_key: String,
}

/// How to reach the S3 server: the local one (endpoint and its own credentials) or AWS
/// (the standard chain).
#[derive(Clone, Debug)]
pub struct S3Conn {
    pub endpoint: Option<String>,
    pub region: String,
    pub creds: Option<Creds>,
}

/// Retries of the clients the backends use.
#[derive(Clone, Copy, Debug)]
pub enum Retries {
    /// The SDK's default (standard mode, 3 attempts): what the naive code gets.
    SdkDefault,
    /// docproc's own setting: standard mode, 5 attempts, 100 ms-5 s backoff.
    Docproc,
}

impl S3Conn {
    /// A client of the server, or of `endpoint` (a proxy in front of it) when given.
    pub async fn client(&self, endpoint: Option<&str>, retries: Retries) -> Client {
        let retry = match retries {
            Retries::SdkDefault => RetryConfig::standard(),
            Retries::Docproc => RetryConfig::standard()
                .with_max_attempts(5)
                .with_initial_backoff(Duration::from_millis(100))
                .with_max_backoff(Duration::from_secs(5)),
        };
        let endpoint = endpoint
            .map(str::to_owned)
            .or_else(|| self.endpoint.clone());
        let mut builder = match &self.creds {
            Some(c) => aws_sdk_s3::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .http_client(docproc_s3fs::http_client())
                .credentials_provider(Credentials::new(
                    &c.access_key,
                    &c.secret_key,
                    None,
                    None,
                    "docproc-bench",
                )),
            None => {
                let shared = aws_config::defaults(BehaviorVersion::latest())
                    .http_client(docproc_s3fs::http_client())
                    .region(Region::new(self.region.clone()))
                    .load()
                    .await;
                aws_sdk_s3::config::Builder::from(&shared)
            }
        };
        builder = builder
            .region(Region::new(self.region.clone()))
            .retry_config(retry);
        if let Some(endpoint) = endpoint {
            builder = builder.endpoint_url(endpoint).force_path_style(true);
        }
        Client::from_conf(builder.build())
    }
}

/// A bucket and a key prefix ("" or ending in '/') where one backend's data lives.
#[derive(Clone, Debug, Serialize)]
pub struct Place {
    pub bucket: String,
    pub prefix: String,
}

impl Place {
    pub fn new(bucket: &str, prefix: &str) -> Place {
        let prefix = prefix.trim_matches('/');
        Place {
            bucket: bucket.to_owned(),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
        }
    }

    /// The key of `rel` (a path relative to this place).
    pub fn key(&self, rel: &str) -> String {
        format!("{}{rel}", self.prefix)
    }

    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }
}

pub async fn ensure_bucket(client: &Client, bucket: &str) -> Result<()> {
    if client.head_bucket().bucket(bucket).send().await.is_ok() {
        return Ok(());
    }
    client
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{}", aws_sdk_s3::error::DisplayErrorContext(e)))
        .with_context(|| format!("creating bucket {bucket}"))?;
    Ok(())
}

/// Every key below `prefix` with its size, through ListObjectsV2 pages.
pub async fn list_all(client: &Client, bucket: &str, prefix: &str) -> Result<Vec<(String, u64)>> {
    let mut out = Vec::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(|e| anyhow::anyhow!("{}", aws_sdk_s3::error::DisplayErrorContext(e)))
            .with_context(|| format!("listing s3://{bucket}/{prefix}"))?;
        for o in page.contents() {
            if let Some(key) = o.key() {
                out.push((key.to_owned(), o.size().unwrap_or(0).max(0) as u64));
            }
        }
    }
    Ok(out)
}

/// The body of `key`, from one GetObject.
pub async fn get_body(client: &Client, bucket: &str, key: &str) -> Result<ByteStream> {
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(sdk_err)
        .with_context(|| format!("GetObject {key}"))?;
    Ok(out.body)
}

/// An SDK error with its whole chain, for messages.
pub fn sdk_err<E: std::error::Error + Send + Sync + 'static>(e: E) -> anyhow::Error {
    anyhow::anyhow!("{}", aws_sdk_s3::error::DisplayErrorContext(e))
}

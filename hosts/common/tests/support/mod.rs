//! Shared by the integration tests: one runtime per test binary, and
//! independent computations to compare the core against.

#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use docproc_host::s3::{S3Backend, S3Target};
use docproc_host::{ComponentSource, Runtime, RuntimeOptions};

pub fn runtime() -> Arc<Runtime> {
    static RT: OnceLock<Arc<Runtime>> = OnceLock::new();
    RT.get_or_init(|| {
        Arc::new(Runtime::new(&ComponentSource::Embedded, RuntimeOptions::default()).unwrap())
    })
    .clone()
}

/// What `wc` and Rust's own Unicode tables say about a text.
pub fn expected_counts(text: &str) -> (u64, u64, u64) {
    (
        text.split_whitespace().count() as u64,
        text.matches('\n').count() as u64,
        text.chars().count() as u64,
    )
}

pub fn write(root: &Path, rel: &str, bytes: impl AsRef<[u8]>) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

pub use docproc_testkit::use_server_credentials;

pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A host's own connection to `s3://bucket/prefix`, through `endpoint` (a fault proxy) or
/// straight to the test server; each call is a separate host with its own cache.
pub async fn s3_backend(bucket: &str, prefix: &str, endpoint: Option<String>) -> Arc<S3Backend> {
    let s = use_server_credentials();
    let target = S3Target {
        url: format!("s3://{bucket}/{prefix}"),
        endpoint_url: Some(endpoint.unwrap_or_else(|| s.endpoint.clone())),
        region: Some(s.region.clone()),
        force_path_style: true,
        create_bucket: false,
    };
    Arc::new(S3Backend::connect(&target, |_| {}).await.unwrap())
}

//! Shared by the integration tests: one runtime per test binary, and
//! independent computations to compare the core against.

#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, OnceLock};

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

pub fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The host takes credentials from the standard AWS chain, as a user's
/// run does; hand the chain the server's keys once for this process.
pub fn use_server_credentials() -> &'static docproc_testkit::Server {
    let s = docproc_testkit::server();
    static CREDS: std::sync::Once = std::sync::Once::new();
    // SAFETY: set once, before any client of this process reads them.
    CREDS.call_once(|| unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", &s.access_key);
        std::env::set_var("AWS_SECRET_ACCESS_KEY", &s.secret_key);
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    });
    s
}

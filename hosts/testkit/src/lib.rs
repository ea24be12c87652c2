//! The fixture every test binary shares: one real S3 server per test binary (SeaweedFS, or
//! moto with DOCPROC_S3_SERVER=moto; from scripts/s3-server) and a fresh bucket per test. Set DOCPROC_S3_ENV to the env file of a
//! server already running (`scripts/s3-server start DIR` writes DIR/env) to use it instead.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const MIB: usize = 1024 * 1024;

pub struct Server {
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    /// "seaweedfs" or "moto" (`DOCPROC_S3_SERVER` picks which one tests start).
    pub kind: String,
    /// SeaweedFS's filer, which takes keys its S3 gateway refuses; `None` on moto.
    pub filer_port: Option<u16>,
}

impl Server {
    /// moto behaves as AWS does where SeaweedFS does not (see ../shared notes): prefixes
    /// vanish with their last key, and keys are stored exactly as sent.
    pub fn is_moto(&self) -> bool {
        self.kind == "moto"
    }
}

static SERVER: OnceLock<Server> = OnceLock::new();

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_env_file(path: &Path) -> HashMap<String, String> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

impl Server {
    fn from_env_file(path: &Path) -> Server {
        let env = read_env_file(path);
        let get = |k: &str| {
            env.get(k)
                .cloned()
                .unwrap_or_else(|| panic!("{} has no {k}", path.display()))
        };
        Server {
            endpoint: get("AWS_ENDPOINT_URL"),
            access_key: get("AWS_ACCESS_KEY_ID"),
            secret_key: get("AWS_SECRET_ACCESS_KEY"),
            region: get("AWS_REGION"),
            kind: env
                .get("DOCPROC_S3_SERVER")
                .cloned()
                .unwrap_or_else(|| "seaweedfs".into()),
            filer_port: env
                .get("DOCPROC_FILER_PORT")
                .map(|p| p.parse().expect("filer port")),
        }
    }

    /// Starts a server in a fresh directory. Rust never drops statics, so the guard that stops
    /// it is a watchdog process: it waits for this test process to exit, however it exits,
    /// then stops the server and removes the directory.
    fn start() -> Server {
        let dir = tempfile::Builder::new()
            .prefix("docproc-s3-")
            .tempdir()
            .expect("tempdir")
            .keep();
        let script = repo_root().join("scripts/s3-server");
        let out = Command::new(&script)
            .arg("start")
            .arg(&dir)
            .output()
            .expect("running scripts/s3-server");
        assert!(
            out.status.success(),
            "scripts/s3-server start failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // --fork: setsid returns at once, leaving the guard in its own session, where an
        // interrupt of the test run does not reach it.
        let guard = Command::new("setsid")
            .args([
                "--fork",
                "sh",
                "-c",
                r#"while kill -0 "$1" 2>/dev/null; do sleep 0.5; done; "$2" stop "$3"; rm -rf "$3""#,
                "s3-server-guard",
            ])
            .arg(std::process::id().to_string())
            .arg(&script)
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("starting the server guard");
        assert!(guard.success(), "starting the server guard: {guard}");
        Server::from_env_file(&dir.join("env"))
    }
}

pub fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "docproc_s3fs=info,docproc_host=info".into()),
            )
            .with_test_writer()
            .try_init();
        match std::env::var_os("DOCPROC_S3_ENV") {
            Some(env_file) => Server::from_env_file(Path::new(&env_file)),
            None => Server::start(),
        }
    })
}

/// A client with the server's credentials given directly, so tests never touch the process
/// environment. Built per test: a client's connections belong to the runtime that made them.
pub fn client() -> Client {
    let server = server();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(docproc_s3fs::http_client())
        .region(Region::new(server.region.clone()))
        .endpoint_url(&server.endpoint)
        .credentials_provider(Credentials::new(
            &server.access_key,
            &server.secret_key,
            None,
            None,
            "docproc-test",
        ))
        .force_path_style(true)
        .retry_config(RetryConfig::standard().with_max_attempts(5))
        .build();
    Client::from_conf(config)
}

/// The HTTPS client docproc itself uses, for clients tests build by hand.
pub use docproc_s3fs::http_client;

pub struct TestBucket {
    pub client: Client,
    pub name: String,
}

/// A new, empty bucket named after the test.
pub async fn bucket(test: &str) -> TestBucket {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .subsec_nanos();
    let stem: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    let name = format!(
        "{stem}-{:x}{:x}{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let client = client();
    client
        .create_bucket()
        .bucket(&name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create bucket {name}: {e:?}"));
    TestBucket { client, name }
}

impl TestBucket {
    pub async fn put(&self, key: &str, body: impl Into<Bytes>) {
        self.client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .body(ByteStream::from(body.into()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
    }

    /// Small objects, many at once.
    pub async fn put_many(&self, keys: impl IntoIterator<Item = String>) {
        futures::stream::iter(keys)
            .map(|key| async move {
                self.put(&key, Bytes::from(key.clone().into_bytes())).await;
                Ok::<_, ()>(())
            })
            .buffer_unordered(32)
            .try_collect::<Vec<_>>()
            .await
            .expect("puts");
    }

    /// A JSON object the test expects to be there (a metadata or error record, a report).
    pub async fn json(&self, key: &str) -> serde_json::Value {
        let bytes = self
            .get(key)
            .await
            .unwrap_or_else(|| panic!("{key}: not in the bucket"));
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{key}: not JSON: {e}"))
    }

    pub async fn get(&self, key: &str) -> Option<Vec<u8>> {
        match self
            .client
            .get_object()
            .bucket(&self.name)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Some(out.body.collect().await.expect("body").to_vec()),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => None,
            Err(e) => panic!("get {key}: {e:?}"),
        }
    }

    /// Every key in the bucket, as the server stores it.
    pub async fn keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_objects_v2()
                .bucket(&self.name)
                .set_continuation_token(token)
                // As docproc lists: AWS's XML cannot carry control characters otherwise.
                .encoding_type(aws_sdk_s3::types::EncodingType::Url)
                .send()
                .await
                .expect("list");
            let encoded = out.encoding_type() == Some(&aws_sdk_s3::types::EncodingType::Url);
            keys.extend(out.contents().iter().filter_map(|o| {
                let key = o.key()?;
                Some(if encoded {
                    docproc_s3fs::url_decode(key)
                } else {
                    key.to_owned()
                })
            }));
            match out.next_continuation_token() {
                Some(t) if out.is_truncated() == Some(true) => token = Some(t.to_owned()),
                _ => break,
            }
        }
        keys
    }

    pub async fn multipart_uploads(&self) -> usize {
        self.client
            .list_multipart_uploads()
            .bucket(&self.name)
            .send()
            .await
            .expect("list multipart uploads")
            .uploads()
            .len()
    }

    /// Puts a key that is not a path (NUL, over 1,024 bytes) however this server takes it:
    /// through SeaweedFS's filer, whose S3 gateway refuses such keys, or through S3 itself
    /// on moto, which stores keys as sent.
    pub async fn put_unmappable(&self, key: &str, body: &[u8]) {
        if server().filer_port.is_some() {
            assert_eq!(self.filer_put(key, body).await, 201, "filer PUT of {key:?}");
        } else {
            self.put(key, body.to_vec()).await;
        }
    }

    /// Writes a key through SeaweedFS's filer HTTP API, which takes keys its S3 gateway
    /// refuses (over 1,024 bytes, NUL). Returns the HTTP status.
    pub async fn filer_put(&self, key: &str, body: &[u8]) -> u16 {
        let port = server()
            .filer_port
            .expect("filer_put needs SeaweedFS's filer (DOCPROC_S3_SERVER=seaweedfs)");
        let mut path = format!("/buckets/{}/", self.name);
        for &b in key.as_bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
                path.push(b as char);
            } else {
                path.push_str(&format!("%{b:02X}"));
            }
        }
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect to filer");
        let head = format!(
            "PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.expect("write");
        stream.write_all(body).await.expect("write");
        let mut response = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
            .await
            .expect("filer answers")
            .expect("read");
        let status_line = String::from_utf8_lossy(&response);
        status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad filer response: {status_line}"))
    }
}

/// Deterministic pseudo-random bytes (xorshift64), so a failure can be reproduced.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Hands the standard AWS credential chain the test server's keys, once per process: the
/// hosts under test find credentials as a user's run does.
pub fn use_server_credentials() -> &'static Server {
    let s = server();
    static CREDS: std::sync::Once = std::sync::Once::new();
    // SAFETY: set once, before any client of this process reads them.
    CREDS.call_once(|| unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", &s.access_key);
        std::env::set_var("AWS_SECRET_ACCESS_KEY", &s.secret_key);
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    });
    s
}

/// The names in a local directory, sorted; none when it does not exist.
pub fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

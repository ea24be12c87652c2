//! The built `bootstrap` against a local Lambda Runtime API (`cargo lambda
//! watch --only-lambda-apis`), invoked over HTTP on loopback: the real
//! protocol, environment-driven config, stdout EMF and stderr JSON logs.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use docproc_testkit::names;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// cargo-lambda from the project venv, installed there on first use. Tests run in threads:
/// the others wait for the one installing, or they would start a half-written file.
fn cargo_lambda() -> PathBuf {
    static INSTALLED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(install_cargo_lambda).clone()
}

fn install_cargo_lambda() -> PathBuf {
    let venv = repo().join(".venv");
    let bin = venv.join("bin/cargo-lambda");
    if !bin.exists() {
        if !venv.join("bin/pip").exists() {
            let ok = Command::new("python3")
                .arg("-m")
                .arg("venv")
                .arg(&venv)
                .status();
            assert!(
                ok.is_ok_and(|s| s.success()),
                "python3 -m venv {} failed",
                venv.display()
            );
        }
        let ok = Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "cargo-lambda",
            ])
            .status();
        assert!(
            ok.is_ok_and(|s| s.success()),
            "pip install cargo-lambda failed"
        );
    }
    bin
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One function: its own Runtime API server and its own `bootstrap`,
/// both stopped (by their own pids) when dropped.
struct Function {
    port: u16,
    api: Child,
    bootstrap: Child,
    dir: tempfile::TempDir,
}

impl Function {
    async fn start(env: &[(&str, String)]) -> Function {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let api = Command::new(cargo_lambda())
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join("api.log")).unwrap())
            .stderr(std::fs::File::create(dir.path().join("api.err")).unwrap())
            .spawn()
            .expect("starting cargo lambda watch");
        let deadline = Instant::now() + Duration::from_secs(60);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "the Runtime API did not start: {}",
                read(&dir.path().join("api.err"))
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bootstrap"));
        for var in [
            "MOUNT_PATH",
            "BUCKET",
            "PREFIX",
            "EVENT_BUCKET",
            "EVENT_PREFIX",
            "AWS_LAMBDA_LOG_FORMAT",
            "AWS_LAMBDA_LOG_LEVEL",
            "RUST_LOG",
        ] {
            cmd.env_remove(var);
        }
        // What Lambda sets for a function; `_` is watch's default function.
        cmd.env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("http://127.0.0.1:{port}/.rt"),
        )
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        .env(
            "DOCPROC_CACHE_DIR",
            docproc_host::runtime::default_cache_dir().unwrap(),
        );
        for (k, v) in env {
            cmd.env(k, v);
        }
        let bootstrap = cmd
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join("stdout")).unwrap())
            .stderr(std::fs::File::create(dir.path().join("stderr")).unwrap())
            .spawn()
            .expect("starting bootstrap");
        Function {
            port,
            api,
            bootstrap,
            dir,
        }
    }

    /// POSTs the event the way `aws lambda invoke` reaches Lambda's API.
    async fn invoke(&self, event: Value) -> (u16, Value) {
        let body = event.to_string();
        let request = format!(
            "POST /2015-03-31/functions/_/invocations HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        let exchange = async {
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await?;
            stream.write_all(request.as_bytes()).await?;
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await?;
            std::io::Result::Ok(response)
        };
        let response = tokio::time::timeout(Duration::from_secs(120), exchange)
            .await
            .unwrap_or_else(|_| {
                panic!("no answer to {event}; bootstrap stderr:\n{}", self.stderr())
            })
            .expect("HTTP exchange");
        let text = String::from_utf8_lossy(&response);
        let (head, body) = text.split_once("\r\n\r\n").expect("HTTP response");
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_string()
        };
        let value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
        (status, value)
    }

    fn stdout(&self) -> String {
        read(&self.dir.path().join("stdout"))
    }

    fn stderr(&self) -> String {
        read(&self.dir.path().join("stderr"))
    }

    /// The JSON log lines (stderr) of one invocation.
    fn logs_of(&self, request_id: &str) -> Vec<Value> {
        self.stderr()
            .lines()
            .filter(|l| l.contains(request_id))
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {l}"))
            })
            .collect()
    }

    /// The EMF record (stdout) of one invocation.
    fn emf_of(&self, request_id: &str) -> Value {
        let stdout = self.stdout();
        let line = stdout
            .lines()
            .find(|l| l.contains(request_id))
            .unwrap_or_else(|| panic!("no EMF line for {request_id} in:\n{stdout}"));
        serde_json::from_str(line).unwrap()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.bootstrap.kill();
        let _ = self.bootstrap.wait();
        let _ = self.api.kill();
        let _ = self.api.wait();
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_serves_the_runtime_api_over_a_mount() {
    let docs = tempfile::tempdir().unwrap();
    docproc_host::seed::seed_inbox(docs.path(), 20, 1).unwrap();
    let f = Function::start(&[("MOUNT_PATH", docs.path().display().to_string())]).await;

    // A malformed event first: refused, logged, nothing moved.
    let (status, e) = f.invoke(json!({"mode": "process", "shards": 4})).await;
    assert_eq!(status, 500, "{e}");
    assert_eq!(e["errorType"], "BadEvent");
    assert!(
        e["errorMessage"]
            .as_str()
            .unwrap()
            .contains("unknown field `shards`"),
        "{e}"
    );
    assert_eq!(names(&docs.path().join("inbox")).len(), 20);
    assert!(!docs.path().join("processed").exists() && !docs.path().join("reports").exists());
    assert!(
        f.stderr().lines().any(|l| l.contains("\"error_type\":\"BadEvent\"") && l.contains("\"level\":\"ERROR\"")),
        "{}",
        f.stderr()
    );

    let (status, r) = f.invoke(json!({"mode": "process"})).await;
    assert_eq!(status, 200, "{r}");
    let request_id = r["request_id"].as_str().unwrap().to_string();
    eprintln!(
        "bootstrap, 20 docs: handler {:.1} ms, init {:.1} ms (cache {})",
        r["handler_ms"].as_f64().unwrap(),
        r["init_ms"].as_f64().unwrap(),
        r["cache"]
    );
    assert_eq!(
        (r["approach"].as_str(), r["mode"].as_str()),
        (Some("s3-files-mount"), Some("process"))
    );
    // The refused event was this environment's first invocation.
    assert_eq!(r["cold_start"], false);
    assert_eq!(r["metrics"]["files_processed"], 20);
    assert_eq!(names(&docs.path().join("processed")).len(), 40);
    assert!(names(&docs.path().join("reports"))[0].ends_with(&format!("-{request_id}.json")));

    let emf = f.emf_of(&request_id);
    assert_eq!(emf["_aws"]["CloudWatchMetrics"][0]["Namespace"], "docproc");
    assert_eq!(
        (emf["approach"].as_str(), emf["mode"].as_str()),
        (Some("s3-files-mount"), Some("process"))
    );
    assert_eq!(emf["FilesProcessed"], 20.0);
    let logs = f.logs_of(&request_id);
    assert!(
        logs.iter()
            .any(|l| l["message"] == "invocation done" && l["files_processed"] == 20),
        "{logs:?}"
    );
    assert!(
        f.stderr()
            .lines()
            .any(|l| l.contains("\"init done\"") && l.contains("init_ms"))
    );

    let (status, s) = f.invoke(json!({"mode": "status"})).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (
            s["status"]["inbox"]["count"].as_u64(),
            s["status"]["processed"]["count"].as_u64()
        ),
        (Some(0), Some(20))
    );
}

/// Each misconfiguration: a clear error response and log line, nothing
/// moved, and the function keeps serving (no crash loop).
#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_refuses_a_bad_environment_clearly() {
    let docs = tempfile::tempdir().unwrap();
    docproc_host::seed::seed_inbox(docs.path(), 3, 1).unwrap();
    let missing = docs.path().join("not-mounted").display().to_string();
    type Env = Vec<(&'static str, String)>;
    let cases: Vec<(Env, &str, &str)> = vec![
        (
            vec![],
            "Misconfigured",
            "neither MOUNT_PATH nor BUCKET is set",
        ),
        (
            vec![("MOUNT_PATH", missing.clone())],
            "BackendUnavailable",
            "not-mounted: no such directory",
        ),
        (
            vec![
                ("MOUNT_PATH", docs.path().display().to_string()),
                ("BUCKET", "b".into()),
            ],
            "Misconfigured",
            "both MOUNT_PATH",
        ),
    ];
    for (env, error_type, needle) in cases {
        let f = Function::start(&env).await;
        for _ in 0..2 {
            let (status, e) = f.invoke(json!({"mode": "process"})).await;
            assert_eq!(status, 500, "{env:?}: {e}");
            assert_eq!(e["errorType"], error_type, "{env:?}: {e}");
            assert!(
                e["errorMessage"].as_str().unwrap().contains(needle),
                "{env:?}: {e}"
            );
        }
        let line = f
            .stderr()
            .lines()
            .find(|l| l.contains("\"level\":\"ERROR\"") && l.contains(needle))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no error log line for {env:?}:\n{}", f.stderr()));
        let line: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(line["error_type"], error_type);
        assert!(line["request_id"].is_string());
        assert_eq!(names(&docs.path().join("inbox")).len(), 3);
        assert!(!docs.path().join("processed").exists());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_over_the_s3_api() {
    let s = docproc_testkit::server();
    let b = docproc_testkit::bucket("lambda-bootstrap").await;
    for (name, text) in docproc_host::seed::documents(5, 1) {
        b.put(&format!("before/inbox/{name}"), text.into_bytes())
            .await;
    }
    let creds = [
        ("AWS_ACCESS_KEY_ID", s.access_key.clone()),
        ("AWS_SECRET_ACCESS_KEY", s.secret_key.clone()),
        ("AWS_REGION", s.region.clone()),
        ("AWS_ENDPOINT_URL", s.endpoint.clone()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ];

    let mut env = creds.to_vec();
    env.extend([
        ("BUCKET", format!("{}-gone", b.name)),
        ("PREFIX", "before".into()),
    ]);
    let f = Function::start(&env).await;
    let (status, e) = f.invoke(json!({"mode": "process"})).await;
    assert_eq!(
        (status, e["errorType"].as_str()),
        (500, Some("BackendUnavailable")),
        "{e}"
    );
    assert!(
        e["errorMessage"]
            .as_str()
            .unwrap()
            .contains("no such bucket"),
        "{e}"
    );
    assert!(
        f.stderr()
            .lines()
            .any(|l| l.contains("\"level\":\"ERROR\"") && l.contains("no such bucket"))
    );
    drop(f);

    let mut env = creds.to_vec();
    env.extend([("BUCKET", b.name.clone()), ("PREFIX", "before/".into())]);
    let f = Function::start(&env).await;
    let (status, r) = f.invoke(json!({"mode": "process"})).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (
            r["approach"].as_str(),
            r["metrics"]["files_processed"].as_u64()
        ),
        (Some("s3-api"), Some(5))
    );
    assert_eq!(r["cold_start"], true);
    let request_id = r["request_id"].as_str().unwrap();
    assert_eq!(f.emf_of(request_id)["approach"], "s3-api");
    let keys = b.keys().await;
    assert!(
        keys.iter()
            .any(|k| k.starts_with("before/reports/process-") && k.contains(request_id)),
        "{keys:?}"
    );
    assert_eq!(
        keys.iter()
            .filter(|k| k.starts_with("before/processed/") && k.ends_with(".meta.json"))
            .count(),
        5
    );
}

/// Each kind of event AWS sends, as it sends it, through the real Runtime API protocol.
#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_takes_the_events_aws_sends() {
    let docs = tempfile::tempdir().unwrap();
    let inbox = docs.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    for name in [
        "report 2026.txt",
        "café+1.txt",
        "memo.txt",
        "notes+draft 1.txt",
        "batch-1.txt",
        "batch 2.txt",
    ] {
        std::fs::write(inbox.join(name), "a few words\n").unwrap();
    }
    std::fs::write(inbox.join("latin1.txt"), b"caf\xe9\n").unwrap();
    let f = Function::start(&[
        ("MOUNT_PATH", docs.path().display().to_string()),
        ("EVENT_BUCKET", "docproc-docs".into()),
    ])
    .await;
    let fixture = |name: &str| -> Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/events")
            .join(name);
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let (status, r) = f.invoke(fixture("s3-object-created.json")).await;
    assert_eq!(
        (status, &r["metrics"]["files_processed"]),
        (200, &json!(2)),
        "{r}"
    );
    let (status, r) = f.invoke(fixture("sqs-s3-notifications.json")).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        r,
        json!({"batchItemFailures": [{"itemIdentifier": "2a3b4c5d-late"}]})
    );
    let (status, r) = f.invoke(fixture("eventbridge-object-created.json")).await;
    assert_eq!(
        (status, &r["metrics"]["files_processed"]),
        (200, &json!(1)),
        "{r}"
    );
    let (status, r) = f.invoke(fixture("distributed-map-batch.json")).await;
    assert_eq!(
        (status, &r["metrics"]["files_processed"]),
        (200, &json!(2)),
        "{r}"
    );
    assert!(names(&inbox).is_empty(), "{:?}", names(&inbox));
    assert_eq!(
        names(&docs.path().join("failed")),
        ["latin1.txt", "latin1.txt.error.json"]
    );
    assert_eq!(names(&docs.path().join("processed")).len(), 12);
}

/// A real cold start has an empty /tmp: with the compiled core shipped beside `bootstrap`
/// (as `make lambda` ships it), init loads it and compiles nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_cold_start_loads_the_shipped_compiled_core() {
    let docs = tempfile::tempdir().unwrap();
    docproc_host::seed::seed_inbox(docs.path(), 3, 1).unwrap();
    let task = tempfile::tempdir().unwrap();
    let (name, bytes) = docproc_host::runtime::precompile(None).unwrap();
    let shipped = task.path().join(name);
    std::fs::write(&shipped, bytes).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&shipped, std::fs::Permissions::from_mode(0o644)).unwrap();
    let empty_tmp = tempfile::tempdir().unwrap();
    let cache = empty_tmp.path().join("docproc");
    let env = [
        ("MOUNT_PATH", docs.path().display().to_string()),
        ("DOCPROC_PRECOMPILED_DIR", task.path().display().to_string()),
        ("DOCPROC_CACHE_DIR", cache.display().to_string()),
    ];
    let f = Function::start(&env).await;
    let (status, r) = f.invoke(json!({"mode": "process"})).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["cache"], "precompiled", "{r}");
    assert_eq!(r["metrics"]["files_processed"], 3);
    eprintln!(
        "cold start with the shipped compiled core, empty cache: init {:.1} ms",
        r["init_ms"].as_f64().unwrap()
    );
    assert!(
        !cache.exists() || std::fs::read_dir(&cache).unwrap().next().is_none(),
        "nothing was compiled into the cache"
    );
    drop(f);

    // A shipped file others could have written is not trusted: compiled instead.
    std::fs::set_permissions(&shipped, std::fs::Permissions::from_mode(0o666)).unwrap();
    let f = Function::start(&env).await;
    let (status, r) = f.invoke(json!({"mode": "status"})).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["cache"], "compiled", "{r}");
    eprintln!(
        "cold start compiling, empty cache: init {:.1} ms",
        r["init_ms"].as_f64().unwrap()
    );
}

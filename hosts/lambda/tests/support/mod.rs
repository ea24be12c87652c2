//! Shared by the handler tests: state built directly (no environment),
//! captured JSON logs, and small file helpers.

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use docproc_host::RuntimeOptions;
use docproc_lambda::{BackendConfig, HandlerError, Invocation, Reply, Response, State, handle};
use serde_json::Value;

/// Every log line of this test binary, as the function writes them.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

pub fn logs() -> &'static Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        docproc_lambda::logging::try_init("INFO", true, logs.clone())
            .expect("the log capture must be installed before any other subscriber");
        logs
    })
}

/// The JSON log lines that mention `request_id` (in a field or the span).
pub fn log_lines(request_id: &str) -> Vec<Value> {
    let bytes = logs().0.lock().unwrap().clone();
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|l| l.contains(request_id))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// A cold state, as the function's init builds it, with the component
/// cache every test binary shares.
pub fn state(config: Result<BackendConfig, String>) -> State {
    logs();
    State::init(config, RuntimeOptions::default(), Instant::now()).expect("component loads")
}

pub fn ctx(name: &str) -> Invocation {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Invocation {
        request_id: format!("{name}-{}-{n}", std::process::id()),
        deadline: Some(std::time::SystemTime::now() + std::time::Duration::from_secs(300)),
    }
}

pub async fn invoke(
    state: &State,
    name: &str,
    event: Value,
) -> (Invocation, Result<Response, HandlerError>) {
    let (ctx, result) = invoke_reply(state, name, event).await;
    let result = result.map(|r| r.report().expect("a report, not an SQS batch reply"));
    (ctx, result)
}

/// As Lambda returns it to the caller: a report, or for SQS the batch item failures.
pub async fn invoke_reply(
    state: &State,
    name: &str,
    event: Value,
) -> (Invocation, Result<Reply, HandlerError>) {
    let ctx = ctx(name);
    let result = handle(state, &ctx, event).await;
    (ctx, result)
}

/// Response as the caller sees it: the JSON Lambda would return.
pub fn to_json(response: &Response) -> Value {
    serde_json::to_value(response).unwrap()
}

/// Every file below `root`, relative, sorted: a snapshot to prove that a
/// refused invocation changed nothing.
pub fn tree(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// An event as AWS sends it, from `tests/events/`: bucket `docproc-docs`, keys at the
/// bucket's root. `prefix` moves every key below it, `bucket` renames the bucket.
pub fn fixture(name: &str, bucket: &str, prefix: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/events")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = text.replace("docproc-docs", bucket);
    let text = if prefix.is_empty() {
        text
    } else {
        text.replace("inbox/", &format!("{prefix}/inbox/"))
            .replace("processed/", &format!("{prefix}/processed/"))
    };
    serde_json::from_str(&text).unwrap()
}

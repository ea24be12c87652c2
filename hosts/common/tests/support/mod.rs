//! Shared by the integration tests: one runtime per test binary, and
//! independent computations to compare the core against.

#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use docproc_host::s3::{S3Backend, S3Target};
use docproc_host::{Backend, ComponentSource, Runtime, RuntimeOptions};

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

/// `job` over directory `dir`, in one instance.
pub async fn run_in(
    dir: &Path,
    job: &docproc_host::Job,
) -> anyhow::Result<docproc_host::RunReport> {
    let backend = Backend::Local(dir.into());
    docproc_host::run(&runtime(), &backend, job, docproc_host::Shard::ALL).await
}

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

/// The documents a named-run test starts from, as paths below the root.
pub const NAMED_LAYOUT: &[(&str, &[u8])] = &[
    ("inbox/a.txt", b"one two\n"),
    ("inbox/b.txt", b"never named\n"),
    ("inbox/sp ace+é.txt", "drei vier fünf\n".as_bytes()),
    ("inbox/bad.txt", b"caf\xe9\n"),
    ("inbox/sub/c.txt", b"in a subdirectory\n"),
];

/// What an event stream might name for that layout: duplicates, a directory, paths
/// outside inbox/ (one of them our own output, which must never start a loop), a name
/// that is not there.
pub const NAMED: &[&str] = &[
    "inbox/a.txt",
    "inbox/a.txt",
    "inbox/sp ace+é.txt",
    "inbox/bad.txt",
    "inbox/sub",
    "inbox/sub/c.txt",
    "processed/a.txt",
    "inbox/../b.txt",
    "inbox/missing.txt",
];

/// Runs the named list twice over a backend seeded with `NAMED_LAYOUT`, split into 4
/// shards: the first run processes exactly the named documents, the second finds them
/// done, and nothing else is touched.
pub async fn check_named_runs(backend: Arc<docproc_host::Backend>) {
    use docproc_host::report::{InboxReport, Outcome};
    use docproc_host::{Job, Report};
    let job = Job::ProcessInbox {
        root: String::new(),
        chunk_size: 0,
        claims: Some(docproc_host::Claims::default()),
        only: Some(NAMED.iter().map(|s| s.to_string()).collect()),
    };
    let go = || async {
        let r = docproc_host::run_job(
            runtime(),
            backend.clone(),
            job.clone(),
            docproc_host::Shards::All {
                count: 4,
                parallel: 4,
            },
            |_| {},
        )
        .await
        .unwrap();
        let Report::ProcessInbox(r) = r.report else {
            panic!("{r:?}")
        };
        r
    };
    let outcomes = |r: &InboxReport| -> Vec<(String, String)> {
        r.documents
            .iter()
            .map(|d| {
                let o = match &d.outcome {
                    Outcome::Processed(_) => "processed".to_string(),
                    Outcome::Resumed(_) => "resumed".into(),
                    Outcome::Failed(_) => "failed".into(),
                    Outcome::AlreadyDone => "already-done".into(),
                    Outcome::Absent => "absent".into(),
                    Outcome::ClaimedElsewhere => "claimed-elsewhere".into(),
                    Outcome::Skipped(why) => format!("skipped: {why}"),
                };
                (d.name.clone(), o)
            })
            .collect()
    };
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut v: Vec<_> = v
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        v.sort();
        v
    };
    let skipped = [
        ("inbox/../b.txt", "skipped: not in inbox/"),
        ("inbox/sub", "skipped: not a regular file"),
        ("inbox/sub/c.txt", "skipped: in a subdirectory of inbox/"),
        ("processed/a.txt", "skipped: not in inbox/"),
    ];

    let first = go().await;
    let mut expected = vec![
        ("a.txt", "processed"),
        ("sp ace+é.txt", "processed"),
        ("bad.txt", "failed"),
        ("missing.txt", "absent"),
    ];
    expected.extend(skipped);
    assert_eq!(outcomes(&first), pairs(&expected), "{first:?}");
    assert_eq!(
        (
            first.processed,
            first.failed,
            first.skipped,
            first.vanished,
            first.already_done
        ),
        (2, 1, 4, 1, 0)
    );
    assert_eq!(first.words, 5);
    let status = docproc_host::status::status(&backend, "").await.unwrap();
    assert_eq!(status.inbox.names, ["b.txt"]);
    assert_eq!(status.processed.names, ["a.txt", "sp ace+é.txt"]);
    assert_eq!(status.failed.names, ["bad.txt"]);

    // The same events again (a duplicated delivery): nothing is counted twice.
    let second = go().await;
    let mut expected = vec![
        ("a.txt", "already-done"),
        ("sp ace+é.txt", "already-done"),
        ("bad.txt", "already-done"),
        ("missing.txt", "absent"),
    ];
    expected.extend(skipped);
    assert_eq!(outcomes(&second), pairs(&expected), "{second:?}");
    assert_eq!(
        (second.processed, second.already_done, second.words),
        (0, 3, 0)
    );
    let again = docproc_host::status::status(&backend, "").await.unwrap();
    assert_eq!(again.processed.names, status.processed.names);
    assert_eq!(again.inbox.names, ["b.txt"]);
}

/// What the hosts' own file API promises on any backend: a file written into a directory
/// it made reads back whole, a listing names only the files directly in a directory, and a
/// missing directory is told apart from an empty one.
pub async fn check_file_api(backend: &Backend) {
    assert_eq!(backend.list_files("reports").await.unwrap(), None);
    backend.make_dir("reports/2026").await.unwrap();
    backend
        .write_file("reports/2026/run.json", b"{\"ok\":true}")
        .await
        .unwrap();
    backend
        .write_file("reports/2026/run.json", b"{\"ok\":false}")
        .await
        .unwrap();
    backend.write_file("reports/top.json", b"[]").await.unwrap();
    backend.make_dir("reports/2026").await.unwrap();
    backend.make_dir("empty/below").await.unwrap();
    assert_eq!(
        backend.read_file("reports/2026/run.json").await.unwrap(),
        b"{\"ok\":false}"
    );
    let mut top = backend.list_files("reports").await.unwrap().unwrap();
    top.sort();
    assert_eq!(top, ["top.json"], "no temporary left, no directory listed");
    assert_eq!(
        backend.list_files("reports/2026").await.unwrap().unwrap(),
        ["run.json"]
    );
    assert_eq!(
        backend.list_files("empty/below").await.unwrap(),
        Some(vec![])
    );
    let err = backend.read_file("reports/none.json").await.unwrap_err();
    assert!(
        format!("{err:#}").contains("reports/none.json"),
        "the error names the file: {err:#}"
    );
}

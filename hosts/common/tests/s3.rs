//! The same component over S3 through the S3 API, against a real local S3
//! server: it must behave exactly as it does over a directory.

mod support;

use std::sync::Arc;

use docproc_host::report::WalkReport;
use docproc_host::s3::{MetricsSnapshot, S3Backend, S3Target};
use docproc_host::{Backend, Job, Report, Shard, run};
use docproc_testkit::{TestBucket, bucket, random_bytes};

use sha2::{Digest, Sha256};
use support::{json, runtime};

async fn backend(b: &TestBucket, prefix: &str) -> Arc<S3Backend> {
    support::s3_backend(&b.name, prefix, None).await
}

/// Each failed document's name and reason, in report order.
fn failed_documents(r: &docproc_host::report::InboxReport) -> Vec<(&str, &str)> {
    r.documents
        .iter()
        .filter_map(|d| match &d.outcome {
            docproc_host::report::Outcome::Failed(why) => Some((d.name.as_str(), why.as_str())),
            _ => None,
        })
        .collect()
}

/// What differs between two stores by nature: when, and each store's own mtime in the
/// version.
fn strip_times(mut v: serde_json::Value) -> serde_json::Value {
    let v_ = v.as_object_mut().unwrap();
    v_.remove("processed_at");
    v_.remove("source_version");
    v
}

#[tokio::test]
async fn process_inbox_over_s3_matches_a_local_directory() {
    let b = bucket("process-matches-local").await;
    let docs = docproc_host::seed::documents(8, 11);
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in &docs {
        support::write(dir.path(), &format!("inbox/{name}"), text);
        b.put(&format!("job/inbox/{name}"), text.clone().into_bytes())
            .await;
    }
    b.put("job/inbox/latin1.txt", &b"caf\xe9\n"[..]).await;
    support::write(dir.path(), "inbox/latin1.txt", b"caf\xe9\n");

    let job = Job::ProcessInbox {
        root: String::new(),
        chunk_size: 0,
        claims: None,
        only: None,
    };
    let local = support::run_in(dir.path(), &job).await.unwrap();
    let s3 = backend(&b, "job").await;
    let remote = run(&runtime(), &Backend::S3(s3.clone()), &job, Shard::ALL)
        .await
        .unwrap();
    let (Report::ProcessInbox(l), Report::ProcessInbox(r)) = (&local.report, &remote.report) else {
        panic!("unexpected reports");
    };
    assert_eq!(
        (r.processed, r.failed, r.words, r.lines, r.chars, r.bytes),
        (l.processed, l.failed, l.words, l.lines, l.chars, l.bytes)
    );
    assert_eq!((r.processed, r.failed), (8, 1));
    assert_eq!(remote.component_sha256, local.component_sha256);

    for (name, _) in &docs {
        let key = format!("job/processed/{name}.meta.json");
        let remote_meta = b.json(&key).await;
        let local_meta = json(&dir.path().join(format!("processed/{name}.meta.json")));
        assert_eq!(strip_times(remote_meta), strip_times(local_meta));
        assert!(
            b.get(&format!("job/inbox/{name}")).await.is_none(),
            "{name} left in inbox"
        );
        assert!(b.get(&format!("job/processed/{name}")).await.is_some());
    }
    let error = b.json("job/failed/latin1.txt.error.json").await;
    assert_eq!(error["error"], "not valid UTF-8 at byte 3");
    // No temporary object survives.
    assert!(
        b.keys().await.iter().all(|k| !k.ends_with(".docproc.tmp")),
        "{:?}",
        b.keys().await
    );

    // A rerun finds nothing to do.
    let again = run(&runtime(), &Backend::S3(s3), &job, Shard::ALL)
        .await
        .unwrap();
    let Report::ProcessInbox(again) = again.report else {
        unreachable!()
    };
    assert_eq!((again.processed, again.resumed, again.failed), (0, 0, 0));
}

/// The bad inputs an S3 inbox really gets, each named, none stopping the batch, none lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_in_an_s3_inbox_is_named_and_the_batch_goes_on() {
    let b = bucket("bad-input").await;
    b.put("inbox/latin1.txt", &b"caf\xe9 au lait\n"[..]).await;
    b.put("inbox/empty.txt", Vec::new()).await;
    b.put("inbox/with spaces.txt", &b"a b c\n"[..]).await;
    // AWS and SeaweedFS store a newline in a key; moto's HTTP router answers 404 to it.
    let newline = !docproc_testkit::server().is_moto();
    if newline {
        b.put("inbox/new\nline.txt", &b"one\ntwo\n"[..]).await;
    }
    b.put("inbox/ünïcödé 東京.txt", "κόσμε 東京\n".as_bytes().to_vec())
        .await;
    // A zero-byte directory marker, as the S3 console and s3fs make them.
    b.put("inbox/sub/", Vec::new()).await;
    // A key S3 Files would not import. SeaweedFS's S3 gateway refuses it, its filer takes
    // it; neither stores a component over 255 bytes, so path.rs's unit tests cover those.
    let nul = "inbox/nul\0name.txt";
    b.put_unmappable(nul, b"never seen\n").await;

    let s3 = backend(&b, "").await;
    let job = Job::ProcessInbox {
        root: String::new(),
        chunk_size: 0,
        claims: None,
        only: None,
    };
    let report = run(&runtime(), &Backend::S3(s3.clone()), &job, Shard::ALL)
        .await
        .unwrap();
    let Report::ProcessInbox(r) = &report.report else {
        unreachable!()
    };
    assert_eq!(
        (r.processed, r.failed, r.skipped),
        (3 + u32::from(newline), 1, 1),
        "{r:?}"
    );
    let failed = failed_documents(r);
    assert_eq!(failed, [("latin1.txt", "not valid UTF-8 at byte 3")]);
    let error = b.json("failed/latin1.txt.error.json").await;
    assert_eq!(error["filename"], "latin1.txt");
    assert!(b.get("failed/latin1.txt").await.is_some());

    let meta = |name: &str| {
        let key = format!("processed/{name}.meta.json");
        let b = &b;
        async move { b.json(&key).await }
    };
    assert_eq!(meta("empty.txt").await["word_count"], 0);
    if newline {
        assert_eq!(meta("new\nline.txt").await["line_count"], 2);
    }
    assert_eq!(meta("with spaces.txt").await["word_count"], 3);
    assert_eq!(meta("ünïcödé 東京.txt").await["char_count"], 9);

    // The keys that are not paths are reported by key and left exactly where they were.
    let usage = report.s3.as_ref().expect("S3 usage in the report");
    assert_eq!(usage.skipped_keys, [nul]);
    assert!(report.render().contains("Keys not shown"));
    let keys = b.keys().await;
    // (Servers differ in how they list a NUL, so the key is matched by its start.)
    for key in ["inbox/nul", "inbox/sub/"] {
        assert!(
            keys.iter().any(|k| k.starts_with(key)),
            "{key:?} kept: {keys:?}"
        );
    }
}

/// A walk of `tree/` in `b` over S3: its report, the run's, and the requests it sent.
async fn walk_tree(b: &TestBucket) -> (WalkReport, docproc_host::RunReport, MetricsSnapshot) {
    let s3 = backend(b, "tree").await;
    let before = s3.fs.metrics();
    let job = Job::Walk {
        root: String::new(),
    };
    let report = run(&runtime(), &Backend::S3(s3.clone()), &job, Shard::ALL)
        .await
        .unwrap();
    let Report::Walk(walk) = &report.report else {
        unreachable!("a walk reports a walk")
    };
    (*walk, report, s3.fs.metrics() - before)
}

#[tokio::test]
async fn walk_lists_once_per_thousand_keys_and_never_heads() {
    let b = bucket("walk-requests").await;
    b.put_many((0..2500).map(|i| format!("tree/f{i:05}.txt")))
        .await;
    b.put_many((0..30).map(|i| format!("tree/sub/g{i}.txt")))
        .await;
    let (w, report, sent) = walk_tree(&b).await;
    assert_eq!((w.files, w.directories), (2530, 1));
    let expected_bytes: u64 = (0..2500)
        .map(|i| format!("tree/f{i:05}.txt").len() as u64)
        .sum::<u64>()
        + (0..30)
            .map(|i| format!("tree/sub/g{i}.txt").len() as u64)
            .sum::<u64>();
    assert_eq!(w.total_bytes, expected_bytes);
    // 2,531 entries in the root: 3 pages; the subdirectory: 1 page.
    assert_eq!((sent.list, sent.head, sent.get), (4, 0, 0));
    // The report says the same, so a user sees what a run cost.
    assert_eq!(report.s3.as_ref().expect("S3 usage").requests, sent);
}

/// The walk opens the directories next in turn before reading them, and the host lists each
/// as it is opened: many small directories are listed together, yet each exactly once.
#[tokio::test]
async fn a_walk_of_many_directories_lists_each_once() {
    let b = bucket("walk-many-dirs").await;
    b.put_many((0..120).map(|i| format!("tree/d{:02}/e{}/f{i}.txt", i % 40, i % 3)))
        .await;
    // One directory of three pages: the page fetched ahead is its reader's first.
    b.put_many((0..2100).map(|i| format!("tree/big/g{i:04}.txt")))
        .await;
    let (w, _, sent) = walk_tree(&b).await;
    // 40 directories, each with its share of the 3 subdirectories, 120 files; and big/.
    let subdirs: std::collections::BTreeSet<(usize, usize)> =
        (0..120).map(|i| (i % 40, i % 3)).collect();
    assert_eq!((w.files, w.directories), (2220, 41 + subdirs.len() as u64));
    // The root, then every directory: one LIST a page, none twice, no HEAD.
    assert_eq!((sent.list, sent.head), (1 + (w.directories - 1) + 3, 0));
}

#[tokio::test]
async fn hash_over_s3_matches_native_sha256() {
    let b = bucket("hash-matches").await;
    let big = random_bytes(24 << 20, 5);
    let small = random_bytes(1000, 6);
    b.put("data/big.bin", big.clone()).await;
    b.put("data/nested/small.bin", small.clone()).await;
    let s3 = backend(&b, "").await;
    let job = Job::Hash {
        root: "data".into(),
        out_dir: "digests".into(),
        chunk_size: 0,
    };
    let report = run(&runtime(), &Backend::S3(s3), &job, Shard::ALL)
        .await
        .unwrap();
    let Report::Hash(h) = report.report else {
        unreachable!()
    };
    let got: Vec<_> = h
        .digests
        .iter()
        .map(|d| (d.path.as_str(), d.sha256.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("big.bin", hex::encode(Sha256::digest(&big))),
            ("nested/small.bin", hex::encode(Sha256::digest(&small))),
        ]
    );
    let digest = b.get("digests/nested%2Fsmall.bin.sha256").await.unwrap();
    assert_eq!(
        String::from_utf8(digest).unwrap(),
        format!(
            "{}  nested/small.bin\n",
            hex::encode(Sha256::digest(&small))
        )
    );
}

#[tokio::test]
async fn a_missing_bucket_is_named_and_a_missing_inbox_is_nothing_to_do() {
    let s = support::use_server_credentials();
    let target = S3Target {
        url: "s3://no-such-bucket-docproc/x".into(),
        endpoint_url: Some(s.endpoint.clone()),
        region: Some(s.region.clone()),
        force_path_style: true,
        create_bucket: false,
    };
    let err = match S3Backend::connect(&target, |_| {}).await {
        Ok(_) => panic!("connected to a missing bucket"),
        Err(e) => e.to_string(),
    };
    assert_eq!(err, "s3://no-such-bucket-docproc: no such bucket");

    // Creating one (demo, seed) with a name S3 refuses says why in S3's words.
    let bad = S3Target {
        url: "s3://ab/x".into(),
        create_bucket: true,
        ..target.clone()
    };
    let err = match S3Backend::connect(&bad, |_| {}).await {
        Ok(_) => panic!("created a bucket with a two-letter name"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.starts_with("s3://ab: cannot create the bucket: InvalidBucketName"),
        "{err}"
    );
    assert!(!err.contains("raw: Response"), "no SDK internals: {err}");

    let b = bucket("missing-inbox").await;
    let s3 = backend(&b, "empty").await;
    let job = Job::ProcessInbox {
        root: String::new(),
        chunk_size: 0,
        claims: None,
        only: None,
    };
    // AWS has no empty directories: a drained inbox vanishes with its last key. Nothing to
    // do is not an error, and nothing is written for it.
    let report = run(&runtime(), &Backend::S3(s3), &job, Shard::ALL)
        .await
        .unwrap();
    let Report::ProcessInbox(r) = report.report else {
        unreachable!()
    };
    assert!(r.inbox_absent, "{r:?}");
    assert_eq!((r.processed, r.failed, r.vanished), (0, 0, 0));
    assert_eq!(b.keys().await, Vec::<String>::new());
}

/// Keys as AWS stores them, byte for byte: each workload maps every key that can be a path to
/// exactly that path, skips and reports the rest, and never touches, loses or mixes up an
/// object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_as_aws_stores_them_are_mapped_or_skipped_and_none_lost() {
    let b = bucket("aws-keys").await;
    // Names that are paths: NFC and NFD twins are two names, as on Linux; `\`, `%`, `+`,
    // a newline and XML's own characters are ordinary bytes.
    let server = docproc_testkit::server();
    let mut names = vec![
        "caf\u{e9}.txt",
        "cafe\u{301}.txt",
        "100%.txt",
        "a+b.txt",
        "a&b <c> \"d\" 'e'.txt",
    ];
    if server.is_moto() {
        // AWS and moto keep a backslash as it is; SeaweedFS turns it into '/'.
        names.push("a\\b.txt");
    } else {
        // AWS and SeaweedFS store a newline in a key; moto's HTTP router answers 404 to it.
        names.push("line\nbreak.txt");
    }
    let text = |i: usize| format!("{} words here\n", "w ".repeat(i + 1));
    for (i, name) in names.iter().enumerate() {
        b.put(&format!("inbox/{name}"), text(i).into_bytes()).await;
        b.put(&format!("data/{name}"), text(i).into_bytes()).await;
    }
    // Keys that are not paths. AWS (and moto) store them as sent; SeaweedFS's S3 gateway
    // folds "//" and keeps no data on a key ending in "/", so there only AWS's behaviour
    // on the other keys is checked.
    let not_paths = [
        "inbox/x//y.txt",
        "inbox/marker/",
        "data/x//y.bin",
        "data/marker/",
    ];
    if server.is_moto() {
        for key in not_paths {
            b.put(key, b"kept as is\n".to_vec()).await;
        }
    }
    let before = b.keys().await;
    let s3 = backend(&b, "").await;
    let go = |job: Job| {
        let s3 = s3.clone();
        async move {
            run(&runtime(), &Backend::S3(s3), &job, Shard::ALL)
                .await
                .unwrap_or_else(|e| panic!("{job:?}: {e:#}"))
        }
    };

    let walked = go(Job::Walk {
        root: String::new(),
    })
    .await;
    let Report::Walk(w) = &walked.report else {
        unreachable!()
    };
    assert_eq!(w.files, 2 * names.len() as u64, "{w:?}");
    let skipped = &walked.s3.as_ref().unwrap().skipped_keys;
    if server.is_moto() {
        for key in ["inbox/x//", "inbox/marker/", "data/x//", "data/marker/"] {
            assert!(
                skipped.iter().any(|k| k == key),
                "{key:?} reported: {skipped:?}"
            );
        }
    }

    let hashed = go(Job::Hash {
        root: "data".into(),
        out_dir: "digests".into(),
        chunk_size: 0,
    })
    .await;
    let Report::Hash(h) = &hashed.report else {
        unreachable!()
    };
    let mut want: Vec<(String, String)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.to_string(), hex::encode(Sha256::digest(text(i)))))
        .collect();
    want.sort();
    let mut got: Vec<(String, String)> = h
        .digests
        .iter()
        .map(|d| (d.path.clone(), d.sha256.clone()))
        .collect();
    got.sort();
    assert_eq!(got, want);
    for (name, digest) in &want {
        // `%` is escaped in digest names, so that no two paths share one.
        let digest_name = format!("{}.sha256", name.replace('%', "%25"));
        let file = b.get(&format!("digests/{digest_name}")).await.expect(name);
        assert_eq!(
            String::from_utf8(file).unwrap(),
            format!("{digest}  {name}\n")
        );
    }

    let processed = go(Job::ProcessInbox {
        root: String::new(),
        chunk_size: 0,
        claims: Some(docproc_host::Claims::default()),
        only: None,
    })
    .await;
    let Report::ProcessInbox(r) = &processed.report else {
        unreachable!()
    };
    // "x" and "marker" are directories to the core: left in inbox/, counted as skipped.
    let dirs = if server.is_moto() { 2 } else { 0 };
    assert_eq!(
        (r.processed, r.failed, r.skipped),
        (names.len() as u32, 0, dirs),
        "{r:?}"
    );
    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            b.get(&format!("processed/{name}")).await.as_deref(),
            Some(text(i).as_bytes()),
            "{name:?} moved whole, to its own name"
        );
        let meta = b.json(&format!("processed/{name}.meta.json")).await;
        assert_eq!(meta["filename"], *name);
        assert_eq!(meta["word_count"], i as u64 + 3);
        assert!(b.get(&format!("inbox/{name}")).await.is_none());
    }

    // Every key that is not a path is where it was, as it was.
    let after = b.keys().await;
    for key in before
        .iter()
        .filter(|k| !k.starts_with("inbox/") || k.contains("//") || k.ends_with('/'))
    {
        assert!(after.contains(key), "{key:?} kept: {after:?}");
    }
    if server.is_moto() {
        for key in not_paths {
            assert_eq!(
                b.get(key).await.as_deref(),
                Some(&b"kept as is\n"[..]),
                "{key:?}"
            );
        }
    }
}

/// A document sent again under a name already processed is a new document: counted again,
/// never answered from the old metadata, even at the same size.
#[tokio::test]
async fn a_name_sent_again_to_an_s3_inbox_is_counted_again() {
    let b = bucket("sent-again").await;
    let s3 = backend(&b, "").await;
    let job = Job::ProcessInbox {
        root: String::new(),
        chunk_size: 0,
        claims: Some(docproc_host::Claims::default()),
        only: None,
    };
    let mut words = Vec::new();
    for text in ["one two three\n", "four  five\n   "] {
        b.put("inbox/report.txt", text.as_bytes().to_vec()).await;
        let r = run(&runtime(), &Backend::S3(s3.clone()), &job, Shard::ALL)
            .await
            .unwrap();
        let Report::ProcessInbox(r) = r.report else {
            unreachable!()
        };
        assert_eq!((r.processed, r.resumed), (1, 0), "{r:?}");
        let meta = b.json("processed/report.txt.meta.json").await;
        words.push(meta["word_count"].as_u64().unwrap());
        assert_eq!(
            b.get("processed/report.txt").await.as_deref(),
            Some(text.as_bytes())
        );
        // S3 keeps whole seconds of mtime in a HEAD: let the next upload be a new second.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    assert_eq!(words, [3, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_run_over_s3_processes_exactly_the_keys_named() {
    let b = bucket("named-run").await;
    for (path, bytes) in support::NAMED_LAYOUT {
        b.put(&format!("job/{path}"), bytes.to_vec()).await;
    }
    support::check_named_runs(Arc::new(Backend::S3(backend(&b, "job").await))).await;
    let keys = b.keys().await;
    assert!(
        keys.contains(&"job/inbox/sub/c.txt".to_string()),
        "{keys:?}"
    );
    assert!(
        !keys
            .iter()
            .any(|k| k.starts_with("job/.claims") && !k.ends_with('/')),
        "a named run releases its claims: {keys:?}"
    );
}

/// Near S3's 1,024-byte key limit a name fits `inbox/` but not `processed/`; a name of 255
/// bytes has no room for `.meta.json`. Each document still ends where it can be found
/// again, and the rest of the batch goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_near_s3s_limits_never_stall_a_run() {
    let b = bucket("long-keys").await;
    // 760 bytes of root: `inbox/` + 255 bytes is 1,021, `processed/` + 255 is 1,025.
    let deep = format!(
        "{}/{}/{}",
        "r".repeat(255),
        "s".repeat(255),
        "t".repeat(247)
    );
    assert_eq!(deep.len() + 1, 760);
    let too_long = format!("{}.txt", "x".repeat(251));
    let long = format!("{}.txt", "y".repeat(246));
    for (key, text) in [
        (format!("{deep}/inbox/{too_long}"), "never moved\n"),
        (format!("{deep}/inbox/short.txt"), "short\n"),
        (format!("job/inbox/{long}"), "four words fit here\n"),
    ] {
        b.put(&key, text.as_bytes().to_vec()).await;
    }
    let job = |only: Option<Vec<String>>| Job::ProcessInbox {
        root: String::new(),
        chunk_size: 0,
        claims: Some(docproc_host::Claims::default()),
        only,
    };
    let process = |root: &str, only: Option<Vec<String>>| {
        let (b, job) = (&b, job(only));
        let root = root.to_string();
        async move {
            let s3 = backend(b, &root).await;
            let report = run(&runtime(), &Backend::S3(s3), &job, Shard::ALL)
                .await
                .unwrap();
            let Report::ProcessInbox(r) = report.report else {
                unreachable!()
            };
            r
        }
    };
    let keys = |root: &str| {
        let (b, root) = (&b, format!("{root}/"));
        async move {
            let keys = b.keys().await;
            keys.iter()
                .filter_map(|k| k.strip_prefix(&root))
                .filter(|k| !k.starts_with('.'))
                .map(str::to_string)
                .collect::<Vec<_>>()
        }
    };

    let r = process(&deep, None).await;
    assert_eq!((r.processed, r.failed), (1, 1), "{r:?}");
    let failed = failed_documents(&r);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, too_long);
    assert!(failed[0].1.contains("cannot be named"), "{}", failed[0].1);
    let rel = keys(&deep).await;
    assert!(!rel.iter().any(|k| k.starts_with("inbox/")), "{rel:?}");
    assert!(!rel.iter().any(|k| k.starts_with("processed/x")), "{rel:?}");
    assert!(rel.contains(&format!("failed/{too_long}")), "{rel:?}");
    let record = rel
        .iter()
        .find(|k| k.starts_with("failed/") && k.ends_with(".error.json"))
        .expect("an error record under a name that fits");
    assert_eq!(
        b.json(&format!("{deep}/{record}")).await["filename"],
        too_long.as_str()
    );

    let r = process("job", None).await;
    assert_eq!((r.processed, r.failed), (1, 0), "{r:?}");
    let rel = keys("job").await;
    assert!(rel.contains(&format!("processed/{long}")), "{rel:?}");
    let meta = rel
        .iter()
        .find(|k| k.starts_with("processed/y") && k.ends_with(".meta.json"))
        .expect("a shortened metadata key for the 250-byte name");
    assert!(
        meta.len() - "processed/".len() <= 255 && meta.contains('~'),
        "{meta}"
    );
    let meta = b.json(&format!("job/{meta}")).await;
    assert_eq!(meta["filename"], long.as_str());
    assert_eq!(meta["word_count"], 4);

    // Found again: a rerun has nothing to do, and an event naming them is "already done".
    for (root, name) in [(deep.as_str(), &too_long), ("job", &long)] {
        let again = process(root, None).await;
        assert_eq!((again.processed, again.failed), (0, 0), "{again:?}");
        let named = process(root, Some(vec![format!("inbox/{name}")])).await;
        assert_eq!(named.already_done, 1, "{named:?}");
    }
}

#[tokio::test]
async fn the_hosts_file_api_over_s3() {
    let b = bucket("file-api").await;
    support::check_file_api(&Backend::S3(backend(&b, "job").await)).await;
    // Each directory it made is a marker, as the core's mkdir leaves one, so an empty one
    // still shows; no temporary object is left behind.
    assert_eq!(
        b.keys().await,
        [
            "job/empty/",
            "job/empty/below/",
            "job/reports/",
            "job/reports/2026/",
            "job/reports/2026/run.json",
            "job/reports/top.json",
        ]
    );
}

//! The core component over a real directory, through a real wasmtime.

mod support;

use std::path::Path;

use docproc_host::report::Outcome;
use docproc_host::{Backend, Job, Report, Shard, Shards, run, run_job};
use docproc_testkit::names;
use sha2::{Digest, Sha256};
use support::{expected_counts, json, runtime, write};

fn process() -> Job {
    Job::ProcessInbox {
        root: String::new(),
        chunk_size: 0,
        claims: None,
        only: None,
    }
}

async fn process_dir(dir: &Path) -> docproc_host::report::InboxReport {
    let report = run(
        &runtime(),
        &Backend::Local(dir.into()),
        &process(),
        Shard::ALL,
    )
    .await
    .unwrap();
    match report.report {
        Report::ProcessInbox(r) => r,
        other => panic!("unexpected report {other:?}"),
    }
}

#[test]
fn the_component_imports_only_the_filesystem_and_its_clock() {
    assert_eq!(
        runtime().imports(),
        [
            "wasi:clocks/wall-clock@0.2.12",
            "wasi:filesystem/preopens@0.2.12",
            "wasi:filesystem/types@0.2.12",
        ]
    );
    assert_eq!(runtime().exports(), ["docproc:core/workloads@0.1.0"]);
}

#[tokio::test]
async fn process_counts_writes_metadata_and_moves_every_document() {
    let dir = tempfile::tempdir().unwrap();
    let docs = docproc_host::seed::documents(12, 7);
    for (name, text) in &docs {
        write(dir.path(), &format!("inbox/{name}"), text);
    }
    let r = process_dir(dir.path()).await;
    assert_eq!((r.processed, r.failed, r.skipped), (12, 0, 0));
    assert!(names(&dir.path().join("inbox")).is_empty());
    let mut totals = (0, 0, 0);
    for (name, text) in &docs {
        let (words, lines, chars) = expected_counts(text);
        let meta = json(&dir.path().join(format!("processed/{name}.meta.json")));
        assert_eq!(meta["filename"], name.as_str());
        assert_eq!(meta["size_bytes"], text.len() as u64);
        assert_eq!(meta["word_count"], words);
        assert_eq!(meta["line_count"], lines);
        assert_eq!(meta["char_count"], chars);
        let at = meta["processed_at"].as_str().unwrap();
        assert!(at.ends_with('Z') && at.len() == 24, "RFC 3339 UTC: {at}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("processed").join(name)).unwrap(),
            *text
        );
        totals = (totals.0 + words, totals.1 + lines, totals.2 + chars);
    }
    assert_eq!((r.words, r.lines, r.chars), totals);
    assert!(r.timings.total_ms >= r.timings.read_ms);
}

#[tokio::test]
async fn a_rerun_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "inbox/a.txt", "one two\n");
    process_dir(dir.path()).await;
    let before = std::fs::read(dir.path().join("processed/a.txt.meta.json")).unwrap();
    let r = process_dir(dir.path()).await;
    assert_eq!((r.processed, r.resumed, r.failed), (0, 0, 0));
    assert_eq!(
        std::fs::read(dir.path().join("processed/a.txt.meta.json")).unwrap(),
        before
    );
}

#[tokio::test]
async fn an_interrupted_run_is_finished_by_a_rerun() {
    let dir = tempfile::tempdir().unwrap();
    // Crash after the metadata was renamed into place, before the move.
    write(dir.path(), "inbox/moved-late.txt", "alpha beta gamma\n");
    let meta = r#"{"filename":"moved-late.txt","size_bytes":17,"word_count":3,"line_count":1,"char_count":17,"processed_at":"2026-01-01T00:00:00.000Z"}"#;
    write(dir.path(), "processed/moved-late.txt.meta.json", meta);
    // Crash while the metadata was still under its temporary name.
    write(dir.path(), "inbox/tmp-left.txt", "delta\n");
    write(
        dir.path(),
        "processed/.tmp-left.txt.docproc.tmp",
        "{\"truncated",
    );

    let r = process_dir(dir.path()).await;
    assert_eq!((r.processed, r.resumed), (1, 1));
    assert!(names(&dir.path().join("inbox")).is_empty());
    assert_eq!(
        names(&dir.path().join("processed")),
        [
            "moved-late.txt",
            "moved-late.txt.meta.json",
            "tmp-left.txt",
            "tmp-left.txt.meta.json"
        ]
    );
    // The resumed document was not counted again: its metadata is the old one.
    let kept = json(&dir.path().join("processed/moved-late.txt.meta.json"));
    assert_eq!(kept["processed_at"], "2026-01-01T00:00:00.000Z");
    assert_eq!(
        json(&dir.path().join("processed/tmp-left.txt.meta.json"))["word_count"],
        1
    );
}

#[tokio::test]
async fn stale_metadata_for_a_changed_document_is_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "inbox/a.txt", "now it has four words\n");
    write(
        dir.path(),
        "processed/a.txt.meta.json",
        r#"{"filename":"a.txt","size_bytes":3,"word_count":1,"line_count":0,"char_count":3,"processed_at":"2020-01-01T00:00:00.000Z"}"#,
    );
    let r = process_dir(dir.path()).await;
    assert_eq!((r.processed, r.resumed), (1, 0));
    assert_eq!(
        json(&dir.path().join("processed/a.txt.meta.json"))["word_count"],
        5
    );
}

#[tokio::test]
async fn bad_input_goes_to_failed_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "inbox/latin1.txt", b"caf\xe9 au lait\n");
    write(dir.path(), "inbox/empty.txt", b"");
    write(dir.path(), "inbox/with spaces.txt", "a b c\n");
    write(dir.path(), "inbox/new\nline.txt", "one\ntwo\n");
    write(dir.path(), "inbox/ünïcödé 東京.txt", "κόσμε 東京\n");
    write(dir.path(), "inbox/nested/inner.txt", "not processed\n");

    let r = process_dir(dir.path()).await;
    assert_eq!((r.processed, r.failed, r.skipped), (4, 1, 1));
    assert_eq!(
        names(&dir.path().join("failed")),
        ["latin1.txt", "latin1.txt.error.json"]
    );
    let error = json(&dir.path().join("failed/latin1.txt.error.json"));
    assert_eq!(error["filename"], "latin1.txt");
    assert_eq!(error["error"], "not valid UTF-8 at byte 3");
    assert_eq!(names(&dir.path().join("inbox")), ["nested"]);
    assert_eq!(
        json(&dir.path().join("processed/new\nline.txt.meta.json"))["line_count"],
        2
    );
    let empty = json(&dir.path().join("processed/empty.txt.meta.json"));
    assert_eq!(
        (empty["word_count"].as_u64(), empty["size_bytes"].as_u64()),
        (Some(0), Some(0))
    );
    let unicode = json(&dir.path().join("processed/ünïcödé 東京.txt.meta.json"));
    assert_eq!(
        (
            unicode["word_count"].as_u64(),
            unicode["char_count"].as_u64()
        ),
        (Some(2), Some(9))
    );
    let failed: Vec<_> = r
        .documents
        .iter()
        .filter(|d| matches!(d.outcome, Outcome::Failed(_)))
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(failed, ["latin1.txt"]);
}

#[tokio::test]
async fn a_missing_inbox_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = support::run_in(dir.path(), &process())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&dir.path().join("inbox").display().to_string()),
        "{err}"
    );
    assert!(err.contains("no inbox/ directory"), "{err}");
    let missing = dir.path().join("nope");
    let err = run(
        &runtime(),
        &Backend::Local(missing.clone()),
        &process(),
        Shard::ALL,
    )
    .await
    .unwrap_err()
    .to_string();
    assert_eq!(err, format!("{}: no such directory", missing.display()));
}

#[tokio::test]
async fn shards_cover_every_document_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    docproc_host::seed::seed_inbox(dir.path(), 40, 3).unwrap();
    let rt = runtime();
    let backend = std::sync::Arc::new(Backend::Local(dir.path().into()));
    let mut seen = Vec::new();
    for index in 0..4 {
        let r = run(&rt, &backend, &process(), Shard { index, count: 4 })
            .await
            .unwrap();
        let Report::ProcessInbox(r) = r.report else {
            unreachable!()
        };
        seen.extend(r.documents.into_iter().map(|d| d.name));
    }
    seen.sort();
    assert_eq!(seen.len(), 40);
    seen.dedup();
    assert_eq!(seen.len(), 40);

    // The same through the parallel runner, on a fresh inbox.
    let dir = tempfile::tempdir().unwrap();
    docproc_host::seed::seed_inbox(dir.path(), 40, 3).unwrap();
    let backend = std::sync::Arc::new(Backend::Local(dir.path().into()));
    let merged = run_job(
        rt,
        backend,
        process(),
        Shards::All {
            count: 5,
            parallel: 5,
        },
        |_| {},
    )
    .await
    .unwrap();
    let Report::ProcessInbox(r) = merged.report else {
        unreachable!()
    };
    assert_eq!((r.processed, r.documents.len()), (40, 40));
    assert_eq!(names(&dir.path().join("processed")).len(), 80);
}

#[tokio::test]
async fn walk_counts_a_known_tree() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = 0;
    for i in 0..30 {
        let rel = format!("d{}/sub{}/f{i}.bin", i % 3, i % 2);
        write(dir.path(), &rel, vec![7u8; i * 10]);
        bytes += i as u64 * 10;
    }
    let report = support::run_in(
        dir.path(),
        &Job::Walk {
            root: String::new(),
        },
    )
    .await
    .unwrap();
    let Report::Walk(w) = report.report else {
        unreachable!()
    };
    // 3 top dirs, 6 subdirs, 30 files.
    assert_eq!(
        (w.files, w.directories, w.entries, w.total_bytes),
        (30, 9, 39, bytes)
    );

    let mut files = 0;
    for index in 0..3 {
        let r = run(
            &runtime(),
            &Backend::Local(dir.path().into()),
            &Job::Walk {
                root: String::new(),
            },
            Shard { index, count: 3 },
        )
        .await
        .unwrap();
        let Report::Walk(w) = r.report else {
            unreachable!()
        };
        files += w.files;
    }
    assert_eq!(files, 30);
}

#[tokio::test]
async fn hash_matches_native_sha256_and_writes_digest_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    // More files than lanes, of sizes around the padding edges, so lanes finish and refill.
    for (i, size) in [
        0usize,
        1,
        55,
        56,
        64,
        4095,
        100_003,
        1 << 20,
        (3 << 20) + 17,
    ]
    .into_iter()
    .enumerate()
    {
        let data: Vec<u8> = (0..size).map(|j| (j * 31 + i) as u8).collect();
        let rel = format!("set{}/file-{i}.bin", i % 2);
        write(dir.path(), &format!("data/{rel}"), &data);
        expected.push((rel, hex::encode(Sha256::digest(&data)), size as u64));
    }
    expected.sort();
    let job = Job::Hash {
        root: "data".into(),
        out_dir: "digests".into(),
        // Not a multiple of the 64-byte block, so reads leave part of a block behind.
        chunk_size: (1 << 20) + 1000,
    };
    let report = support::run_in(dir.path(), &job).await.unwrap();
    let Report::Hash(h) = report.report else {
        unreachable!()
    };
    let got: Vec<_> = h
        .digests
        .iter()
        .map(|d| (d.path.clone(), d.sha256.clone(), d.size_bytes))
        .collect();
    assert_eq!(got, expected);
    for (rel, digest, _) in &expected {
        let file = dir
            .path()
            .join("digests")
            .join(format!("{}.sha256", rel.replace('/', "%2F")));
        assert_eq!(
            std::fs::read_to_string(file).unwrap(),
            format!("{digest}  {rel}\n")
        );
    }
}

#[tokio::test]
async fn the_guest_cannot_leave_its_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("inbox")).unwrap();
    write(dir.path(), "outside/secret.txt", "secret\n");
    std::os::unix::fs::symlink(
        dir.path().join("outside/secret.txt"),
        root.join("inbox/link.txt"),
    )
    .unwrap();
    for escape in ["..", "../outside", "/etc"] {
        let job = Job::Walk {
            root: escape.into(),
        };
        let err = run(&runtime(), &Backend::Local(root.clone()), &job, Shard::ALL)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(escape), "{err}");
    }
    // A symlink in the inbox is not a regular file: skipped, target untouched.
    let r = process_dir(&root).await;
    assert_eq!((r.processed, r.skipped), (0, 1));
    assert!(dir.path().join("outside/secret.txt").exists());
}

/// A document sent again under a name already processed is a new document: counted again,
/// never answered from the old metadata, even at the same size.
#[tokio::test]
async fn a_name_sent_again_is_counted_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut words = Vec::new();
    for text in ["one two three\n", "four  five\n   "] {
        write(dir.path(), "inbox/report.txt", text);
        let r = process_dir(dir.path()).await;
        assert_eq!((r.processed, r.resumed), (1, 0), "{r:?}");
        let meta = json(&dir.path().join("processed/report.txt.meta.json"));
        words.push(meta["word_count"].as_u64().unwrap());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("processed/report.txt")).unwrap(),
            text
        );
        // Versions hold whole seconds of mtime: let the next write be a new second.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    assert_eq!(words, [3, 2]);
}

#[tokio::test]
async fn a_named_run_processes_exactly_the_documents_named() {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in support::NAMED_LAYOUT {
        write(dir.path(), path, bytes);
    }
    support::check_named_runs(std::sync::Arc::new(Backend::Local(dir.path().into()))).await;
    assert_eq!(names(&dir.path().join("inbox/sub")), ["c.txt"]);
}

#[tokio::test]
async fn a_named_run_over_a_mistyped_root_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let job = Job::ProcessInbox {
        root: String::new(),
        chunk_size: 0,
        claims: None,
        only: Some(vec!["inbox/a.txt".into()]),
    };
    let e = support::run_in(dir.path(), &job).await.unwrap_err();
    assert!(
        format!("{e:#}").contains("no inbox/ directory here"),
        "{e:#}"
    );
}

/// A name may use all 255 bytes a file system allows; its metadata, temporary file and
/// error record then take a shortened name, so the document never stalls a run.
#[tokio::test]
async fn names_too_long_for_their_records_never_stall_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let good = format!("{}.txt", "g".repeat(251));
    let bad = format!("{}.txt", "b".repeat(251));
    write(dir.path(), &format!("inbox/{good}"), "long names work\n");
    write(dir.path(), &format!("inbox/{bad}"), b"caf\xe9\n");
    write(dir.path(), "inbox/short.txt", "short\n");

    let r = process_dir(dir.path()).await;
    assert_eq!((r.processed, r.failed), (2, 1), "{r:?}");
    assert!(names(&dir.path().join("inbox")).is_empty());

    let processed = names(&dir.path().join("processed"));
    assert!(processed.contains(&good), "{processed:?}");
    let meta = processed
        .iter()
        .find(|n| n.starts_with('g') && n.ends_with(".meta.json"))
        .expect("a metadata file for the long name");
    assert!(meta.len() <= 255 && meta.contains('~'), "{meta}");
    let meta = json(&dir.path().join("processed").join(meta));
    assert_eq!(meta["filename"], good.as_str());
    assert_eq!(meta["word_count"], 3);

    let failed = names(&dir.path().join("failed"));
    assert!(failed.contains(&bad), "{failed:?}");
    let record = failed
        .iter()
        .find(|n| n.ends_with(".error.json"))
        .expect("an error record for the long name");
    assert_eq!(
        json(&dir.path().join("failed").join(record))["filename"],
        bad.as_str()
    );

    // What was written is found again: a rerun does nothing, a duplicate event is done.
    let again = process_dir(dir.path()).await;
    assert_eq!((again.processed, again.failed), (0, 0), "{again:?}");
    let named = support::run_in(
        dir.path(),
        &Job::ProcessInbox {
            root: String::new(),
            chunk_size: 0,
            claims: None,
            only: Some(vec![format!("inbox/{good}"), format!("inbox/{bad}")]),
        },
    )
    .await
    .unwrap();
    let Report::ProcessInbox(named) = named.report else {
        unreachable!()
    };
    assert_eq!(named.already_done, 2, "{named:?}");
}

/// `a/b` and `a__b` once wrote one digest file between them.
#[tokio::test]
async fn every_file_gets_a_digest_file_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{}/{}", "d".repeat(200), "e".repeat(200));
    let paths = ["a/b", "a__b", "a%2Fb", "a~b", deep.as_str()];
    for (i, rel) in paths.iter().enumerate() {
        write(dir.path(), &format!("data/{rel}"), format!("file {i}\n"));
    }
    let report = support::run_in(
        dir.path(),
        &Job::Hash {
            root: "data".into(),
            out_dir: "digests".into(),
            chunk_size: 0,
        },
    )
    .await
    .unwrap();
    let Report::Hash(h) = report.report else {
        unreachable!()
    };
    assert_eq!(h.files as usize, paths.len());
    let digests = names(&dir.path().join("digests"));
    assert_eq!(digests.len(), paths.len(), "{digests:?}");
    assert!(digests.contains(&"a%2Fb.sha256".to_string()), "{digests:?}");
    let mut named: Vec<String> = digests
        .iter()
        .map(|d| {
            let line = std::fs::read_to_string(dir.path().join("digests").join(d)).unwrap();
            assert!(d.len() <= 255, "{d}");
            line.trim_end().split_once("  ").unwrap().1.to_string()
        })
        .collect();
    named.sort();
    let mut want: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    want.sort();
    assert_eq!(named, want);
}

#[tokio::test]
async fn the_hosts_file_api_over_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    support::check_file_api(&Backend::Local(dir.path().into())).await;
    assert_eq!(names(&dir.path().join("reports")), ["2026", "top.json"]);
}

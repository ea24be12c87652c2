//! The handler over a directory, as the S3 Files function sees its mount:
//! called directly, with state built as init builds it.

mod support;

use std::path::PathBuf;

use docproc_lambda::{BackendConfig, ErrorKind};
use docproc_testkit::names;
use serde_json::json;
use support::{invoke, log_lines, state, to_json, tree};

fn seeded(docs: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    docproc_host::seed::seed_inbox(dir.path(), docs, 1).unwrap();
    dir
}

#[tokio::test]
async fn process_status_walk_hash_over_a_mount() {
    let dir = seeded(20);
    std::fs::write(dir.path().join("inbox/latin1.txt"), b"caf\xe9\n").unwrap();
    let st = state(Ok(BackendConfig::Mount(dir.path().into())));

    let (ctx, r) = invoke(&st, "process", json!({"mode": "process"})).await;
    let r = r.unwrap();
    let v = to_json(&r);
    eprintln!(
        "20 docs over a directory: handler {:.1} ms, core total {:.1} ms, init {:.1} ms ({:?})",
        r.handler_ms,
        r.metrics.total_ms,
        r.init_ms,
        st.runtime().cache
    );
    assert_eq!(
        (v["approach"].as_str(), v["mode"].as_str()),
        (Some("s3-files-mount"), Some("process"))
    );
    assert_eq!(v["request_id"], ctx.request_id.as_str());
    assert_eq!(v["cold_start"], true);
    assert_eq!(v["component_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        (
            v["metrics"]["files_processed"].as_u64(),
            v["metrics"]["files_failed"].as_u64()
        ),
        (Some(20), Some(1))
    );
    for phase in [
        "list_ms",
        "read_ms",
        "process_ms",
        "write_meta_ms",
        "move_ms",
        "total_ms",
    ] {
        assert!(
            v["metrics"][phase].as_f64().is_some(),
            "{phase} missing: {v}"
        );
    }
    assert_eq!(v["run"]["report"]["processed"], 20);
    assert!(v["run"]["report"]["words"].as_u64().unwrap() > 20 * 500);
    assert_eq!(names(&dir.path().join("inbox")), Vec::<String>::new());
    assert_eq!(names(&dir.path().join("processed")).len(), 40);
    assert_eq!(
        names(&dir.path().join("failed")),
        ["latin1.txt", "latin1.txt.error.json"]
    );

    // The report beside the documents is the full response, written whole.
    let reports = names(&dir.path().join("reports"));
    assert_eq!(reports.len(), 1, "{reports:?}");
    let report_name = &reports[0];
    assert!(
        report_name.starts_with("process-")
            && report_name.ends_with(&format!("-{}.json", ctx.request_id))
    );
    assert_eq!(
        v["report"],
        dir.path()
            .join("reports")
            .join(report_name)
            .display()
            .to_string()
    );
    let saved: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("reports").join(report_name)).unwrap(),
    )
    .unwrap();
    assert_eq!(saved["request_id"], v["request_id"]);
    assert_eq!(
        saved["run"]["report"]["documents"]
            .as_array()
            .unwrap()
            .len(),
        21
    );

    // The log carries the request id on every line of the invocation.
    let lines = log_lines(&ctx.request_id);
    let done = lines
        .iter()
        .find(|l| l["message"] == "invocation done")
        .expect("done line");
    assert_eq!(
        (done["files_processed"].as_u64(), done["approach"].as_str()),
        (Some(20), Some("s3-files-mount"))
    );
    assert!(lines.iter().all(|l| l["level"].is_string()));

    // Warm: same state, nothing left to do.
    let (_, again) = invoke(&st, "again", json!({"mode": "process"})).await;
    let again = to_json(&again.unwrap());
    assert_eq!(again["cold_start"], false);
    assert_eq!(again["metrics"]["files_processed"], 0);

    let (_, status) = invoke(&st, "status", json!({"mode": "status"})).await;
    let status = to_json(&status.unwrap());
    assert_eq!(status["status"]["inbox"]["count"], 0);
    assert_eq!(status["status"]["processed"]["count"], 20);
    assert_eq!(status["status"]["processed"]["names"][0], "doc-0001.txt");
    assert_eq!(status["status"]["failed"]["names"], json!(["latin1.txt"]));

    let (_, walk) = invoke(&st, "walk", json!({"mode": "walk", "root": "processed"})).await;
    assert_eq!(to_json(&walk.unwrap())["metrics"]["files_processed"], 40);

    let (_, hash) = invoke(
        &st,
        "hash",
        json!({"mode": "hash", "root": "processed", "out_dir": "sums"}),
    )
    .await;
    let hash = to_json(&hash.unwrap());
    assert_eq!(hash["metrics"]["files_processed"], 40);
    assert_eq!(names(&dir.path().join("sums")).len(), 40);
    assert_eq!(names(&dir.path().join("reports")).len(), 5);
}

#[tokio::test]
async fn shards_split_the_inbox_and_a_whole_run_takes_them_all() {
    let dir = seeded(20);
    let st = state(Ok(BackendConfig::Mount(dir.path().into())));
    let mut done = 0;
    for index in 0..2 {
        let event = json!({"mode": "process", "shard_index": index, "shard_count": 4});
        let (_, r) = invoke(&st, "shard", event).await;
        let r = to_json(&r.unwrap());
        assert_eq!(r["run"]["shards"], 4);
        assert_eq!(r["run"]["shard_index"], index);
        done += r["metrics"]["files_processed"].as_u64().unwrap();
    }
    assert!(done > 0 && done < 20, "{done}");
    assert_eq!(names(&dir.path().join("inbox")).len() as u64, 20 - done);
    let (_, rest) = invoke(&st, "rest", json!({"mode": "process", "shard_count": 4})).await;
    let rest = to_json(&rest.unwrap());
    assert_eq!(
        rest["metrics"]["files_processed"].as_u64().unwrap(),
        20 - done
    );
    assert!(names(&dir.path().join("inbox")).is_empty());
}

#[tokio::test]
async fn a_large_listing_is_cut_in_the_response_but_not_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("inbox")).unwrap();
    for i in 0..150 {
        std::fs::write(dir.path().join(format!("inbox/d{i:03}.txt")), "a b\n").unwrap();
    }
    let st = state(Ok(BackendConfig::Mount(dir.path().into())));
    let (_, r) = invoke(&st, "big", json!({"mode": "status"})).await;
    let r = to_json(&r.unwrap());
    assert_eq!(r["truncated"], true);
    assert_eq!(r["status"]["inbox"]["count"], 150);
    assert_eq!(r["status"]["inbox"]["names"].as_array().unwrap().len(), 100);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(r["report"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(
        saved["status"]["inbox"]["names"].as_array().unwrap().len(),
        150
    );
}

/// Each refusal: a clear error, a log line with the request id, and the
/// mount exactly as it was.
#[tokio::test]
async fn refusals_say_why_log_it_and_change_nothing() {
    let dir = seeded(5);
    let before = tree(dir.path());
    let file = dir.path().join("inbox/doc-0001.txt");
    let missing = PathBuf::from("/mnt/docproc-test-not-mounted");
    let cases: Vec<(
        Result<BackendConfig, String>,
        serde_json::Value,
        ErrorKind,
        &str,
    )> = vec![
        (
            BackendConfig::from_lookup(|_| None),
            json!({"mode": "process"}),
            ErrorKind::Misconfigured,
            "neither MOUNT_PATH nor BUCKET",
        ),
        (
            BackendConfig::from_lookup(|k| {
                (k == "MOUNT_PATH" || k == "BUCKET").then(|| "x".to_string())
            }),
            json!({"mode": "process"}),
            ErrorKind::Misconfigured,
            "both MOUNT_PATH",
        ),
        (
            Ok(BackendConfig::Mount(missing)),
            json!({"mode": "process"}),
            ErrorKind::BackendUnavailable,
            "/mnt/docproc-test-not-mounted: no such directory",
        ),
        (
            Ok(BackendConfig::Mount(file)),
            json!({"mode": "process"}),
            ErrorKind::BackendUnavailable,
            "not a directory",
        ),
        (
            Ok(BackendConfig::Mount(dir.path().into())),
            json!({"mode": "process", "shard_indx": 1}),
            ErrorKind::BadEvent,
            "unknown field `shard_indx`",
        ),
        (
            Ok(BackendConfig::Mount(dir.path().into())),
            json!({"mode": "process", "chunk_size": "big"}),
            ErrorKind::BadEvent,
            "invalid type",
        ),
        (
            Ok(BackendConfig::Mount(dir.path().into())),
            json!({"mode": "remove"}),
            ErrorKind::BadEvent,
            "unknown variant `remove`",
        ),
        (
            Ok(BackendConfig::Mount(dir.path().into())),
            json!({"shard_count": 2}),
            ErrorKind::BadEvent,
            "missing field `mode`",
        ),
        (
            Ok(BackendConfig::Mount(dir.path().into())),
            json!([1, 2]),
            ErrorKind::BadEvent,
            "bad event",
        ),
        (
            Ok(BackendConfig::Mount(dir.path().into())),
            json!({"mode": "walk", "shard_index": 3, "shard_count": 2}),
            ErrorKind::BadEvent,
            "invalid shard 3 of 2",
        ),
        (
            Ok(BackendConfig::Mount(dir.path().into())),
            json!({"mode": "process", "root": "nope"}),
            ErrorKind::RunFailed,
            "nope",
        ),
    ];
    for (config, event, kind, needle) in cases {
        let st = state(config);
        let (ctx, r) = invoke(&st, "refused", event.clone()).await;
        let e = r.expect_err(&event.to_string());
        assert_eq!(e.kind, kind, "{event}: {e}");
        assert!(e.message.contains(needle), "{event}: {e}");
        let diagnostic = lambda_runtime::Diagnostic::from(e.clone());
        assert_eq!(diagnostic.error_type, kind.as_str());
        let lines = log_lines(&ctx.request_id);
        let line = lines
            .iter()
            .find(|l| l["level"] == "ERROR")
            .unwrap_or_else(|| panic!("{event}: no error line in {lines:?}"));
        assert_eq!(line["error_type"], kind.as_str());
        assert!(line["error"].as_str().unwrap().contains(needle));
        assert_eq!(tree(dir.path()), before, "{event} changed the mount");
    }
}

/// Paths in an event stay inside the mount, as the guest's own paths do: `..`, an absolute
/// path and a symlink out of the mount are refused as bad events, and nothing outside is
/// listed. Inside the mount, a symlink to a directory of the mount still works.
#[tokio::test]
async fn event_paths_never_lead_out_of_the_mount() {
    let outer = tempfile::tempdir().unwrap();
    let mount = outer.path().join("mnt/docs");
    docproc_host::seed::seed_inbox(&mount, 3, 1).unwrap();
    let secret = outer.path().join("secret");
    docproc_host::seed::seed_inbox(&secret, 2, 1).unwrap();
    std::os::unix::fs::symlink(&secret, mount.join("escape")).unwrap();
    std::os::unix::fs::symlink(mount.join("inbox"), mount.join("alias")).unwrap();
    let st = state(Ok(BackendConfig::Mount(mount.clone())));
    let before = tree(outer.path());
    let secret_root = secret.display().to_string();
    for event in [
        json!({"mode": "status", "root": "../../secret"}),
        json!({"mode": "status", "root": "a/../../secret"}),
        json!({"mode": "status", "root": secret_root}),
        json!({"mode": "status", "root": "escape"}),
        json!({"mode": "process", "root": "../../secret"}),
        json!({"mode": "walk", "root": "/"}),
        json!({"mode": "hash", "out_dir": "../digests"}),
    ] {
        let (_, r) = invoke(&st, "confined", event.clone()).await;
        let e = r.expect_err(&event.to_string());
        assert_eq!(e.kind, ErrorKind::BadEvent, "{event}: {e}");
        assert!(e.message.contains("outside the root"), "{event}: {e}");
        assert!(!e.message.contains("doc-0001"), "{event} listed: {e}");
    }
    assert_eq!(tree(outer.path()), before, "nothing changed anywhere");

    // The mount's own layout is still served.
    let (_, r) = invoke(&st, "inside", json!({"mode": "status", "root": "./"})).await;
    let v = to_json(&r.unwrap());
    assert_eq!(v["status"]["inbox"]["count"], 3);
}

/// A Step Functions retry, a second execution or a manual invoke can run one shard twice at
/// once: claims, on by default, give each document to exactly one of the invocations.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_invocations_of_one_shard_at_once_process_each_document_once() {
    let dir = seeded(60);
    let st = state(Ok(BackendConfig::Mount(dir.path().into())));
    let event = json!({"mode": "process", "shard_index": 0, "shard_count": 1});
    let (a, b) = tokio::join!(
        invoke(&st, "twice-a", event.clone()),
        invoke(&st, "twice-b", event)
    );
    let counts: Vec<(u64, u64)> = [a.1.unwrap(), b.1.unwrap()]
        .iter()
        .map(|r| {
            let v = to_json(r);
            let report = &v["run"]["report"];
            (
                report["processed"].as_u64().unwrap(),
                report["claimed_elsewhere"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let processed: u64 = counts.iter().map(|(p, _)| p).sum();
    assert_eq!(
        processed, 60,
        "each document once between the two: {counts:?}"
    );
    assert!(names(&dir.path().join("inbox")).is_empty());
    assert_eq!(names(&dir.path().join("processed")).len(), 120);
}

//! The sandbox's limits and the errors a user sees when they bite.

mod support;

use docproc_testkit::bucket;
use support::{docproc, text, with_s3};

fn big_file(dir: &std::path::Path, mib: usize) {
    // Not zeros: a sparse file would not exercise the read path.
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let chunk: Vec<u8> = (0..1 << 20).map(|i| (i * 7) as u8).collect();
    let mut f = std::fs::File::create(dir.join("data/big.bin")).unwrap();
    for _ in 0..mib {
        std::io::Write::write_all(&mut f, &chunk).unwrap();
    }
}

#[test]
fn a_runaway_workload_is_stopped_by_the_time_limit() {
    let dir = tempfile::tempdir().unwrap();
    big_file(dir.path(), 256);
    let out = docproc()
        .args([
            "hash",
            "--dir",
            dir.path().to_str().unwrap(),
            "--root",
            "data",
            "--timeout",
            "0.2",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr).trim(),
        "docproc: the workload ran longer than the 0.2s time limit and was stopped"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_memory_limit_stops_a_guest_with_a_clear_error() {
    // Over S3 the host hands the guest whole 8 MiB reads (a local directory
    // serves at most 64 KiB a call), which cannot fit in a 4 MiB instance.
    let b = bucket("memory-limit").await;
    b.put("data/big.bin", vec![7u8; 16 << 20]).await;
    let url = format!("s3://{}", b.name);
    let run = move |extra: &'static [&'static str]| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let mut cmd = docproc();
            with_s3(&mut cmd)
                .args([
                    "hash",
                    "--s3",
                    &url,
                    "--root",
                    "data",
                    "--memory-limit",
                    "4",
                ])
                .args(extra)
                .output()
                .unwrap()
        })
    };
    let out = run(&[]).await.unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr).trim(),
        "docproc: the workload needed more than the 4 MiB memory limit and was stopped"
    );
    // Smaller reads fit: any file size hashes in bounded memory.
    let out = run(&["--chunk-size", "262144"]).await.unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn a_component_for_another_world_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // The smallest valid component: it exports nothing.
    let empty = dir.path().join("empty.wasm");
    std::fs::write(&empty, b"\0asm\x0d\x00\x01\x00").unwrap();
    let out = docproc()
        .args([
            "walk",
            "--dir",
            dir.path().to_str().unwrap(),
            "--component",
            empty.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        text(&out.stderr).trim(),
        format!(
            "docproc: {}: not a usable docproc component: it does not export docproc:core/workloads@0.1.0",
            empty.display()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_never_reach_errors_or_logs() {
    let b = bucket("no-secrets").await;
    // A wrong secret fails the signature on SeaweedFS, as on AWS; moto checks no signatures,
    // so the bucket is missing too and every server answers with an error.
    let url = format!("s3://{}-missing", b.name);
    let secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEYdocproc";
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = docproc();
        with_s3(&mut cmd)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("RUST_LOG", "trace")
            .args(["walk", "--s3", &url])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stderr.contains(&format!("s3://{}", b.name)),
        "the error names the bucket: {stderr}"
    );
    assert!(
        !stderr.contains(secret) && !stdout.contains(secret),
        "secret leaked"
    );
}

/// What a user turns on to see what a run sent: one line per S3 request, with its kind and
/// key, as it goes out and as it comes back.
#[tokio::test(flavor = "multi_thread")]
async fn a_debug_log_names_every_s3_request() {
    let b = bucket("debug-log").await;
    b.put("tree/a.txt", b"one\n".to_vec()).await;
    let url = format!("s3://{}", b.name);
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = docproc();
        with_s3(&mut cmd)
            .env("RUST_LOG", "docproc_s3fs=debug")
            .args(["walk", "--s3", &url, "--json"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lists = report["s3"]["requests"]["list"].as_u64().unwrap();
    let stderr = text(&out.stderr);
    let lines = |what: &str| {
        stderr
            .lines()
            .filter(|l| l.contains(what) && l.contains("op=\"ListObjectsV2\""))
            .count() as u64
    };
    assert!(lists > 0, "{report}");
    assert_eq!(lines("S3 request sent"), lists, "{stderr}");
    assert_eq!(lines("S3 request done"), lists, "{stderr}");
    assert!(stderr.contains("key=\"tree/"), "{stderr}");
}

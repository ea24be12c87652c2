//! Two hosts on one inbox at once: claims make each document processed
//! exactly once, over a directory (exclusive create) and over S3
//! (`If-None-Match: *`). SeaweedFS lets two overlapping conditional PUTs of one
//! claim both succeed under load (AWS does not); the pinned delete of the move
//! still lets only one host count such a document.

mod support;

use std::process::Command;

use docproc_host::seed::documents;
use docproc_testkit::bucket;
use support::{Layout, assert_meta_matches, docproc, report, with_s3};

fn run_two_at_once(make: impl Fn() -> Command) -> (serde_json::Value, serde_json::Value) {
    let spawn = || {
        let mut cmd = make();
        cmd.arg("--json")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd.spawn().unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for out in [&a, &b] {
        assert!(out.status.success(), "{}", support::text(&out.stderr));
    }
    (report(&a), report(&b))
}

fn assert_each_once(a: &serde_json::Value, b: &serde_json::Value, n: u64) {
    let count = |r: &serde_json::Value, k: &str| r["report"][k].as_u64().unwrap();
    assert_eq!(count(a, "processed") + count(b, "processed"), n, "{a}\n{b}");
    assert_eq!(count(a, "failed") + count(b, "failed"), 0);
    // A host sees what was still in inbox/ when it listed: each of those it
    // processed, or found claimed, or found gone.
    for me in [a, b] {
        let seen = count(me, "claimed_elsewhere") + count(me, "vanished") + count(me, "processed");
        assert!(seen <= n, "{me}");
    }
}

#[test]
fn two_hosts_share_a_directory_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let docs = documents(150, 5);
    docproc_host::seed::seed_inbox(dir.path(), 150, 5).unwrap();
    let (a, b) = run_two_at_once(|| {
        let mut cmd = docproc();
        cmd.args(["process", "--dir", dir.path().to_str().unwrap()]);
        cmd
    });
    assert_each_once(&a, &b, 150);
    let layout = Layout::of_dir(dir.path());
    let names: Vec<String> = docs.iter().map(|(n, _)| n.clone()).collect();
    layout.assert_nothing_lost(&names, false);
    assert!(layout.inbox.is_empty());
    for (name, text) in &docs {
        assert_meta_matches(name, layout.processed[name].as_ref().unwrap(), text);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hosts_share_an_s3_inbox() {
    let b = bucket("two-hosts").await;
    let docs = documents(40, 6);
    for (name, text) in &docs {
        b.put(&format!("inbox/{name}"), text.clone().into_bytes())
            .await;
    }
    let url = format!("s3://{}", b.name);
    let (ra, rb) = tokio::task::spawn_blocking(move || {
        run_two_at_once(|| {
            let mut cmd = docproc();
            with_s3(&mut cmd).args(["process", "--s3", &url]);
            cmd
        })
    })
    .await
    .unwrap();
    assert_each_once(&ra, &rb, 40);
    let layout = Layout::of_bucket(&b, "").await;
    let names: Vec<String> = docs.iter().map(|(n, _)| n.clone()).collect();
    layout.assert_nothing_lost(&names, false);
    assert!(layout.inbox.is_empty());
    for (name, text) in &docs {
        assert_meta_matches(name, layout.processed[name].as_ref().unwrap(), text);
    }
}

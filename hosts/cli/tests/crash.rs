//! `kill -9` at random points during process-inbox: afterwards every
//! document is in inbox/ or fully processed, and a rerun finishes the job
//! without counting any document twice.

mod support;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use docproc_host::seed::{Rng, documents};
use docproc_testkit::bucket;
use support::{Layout, assert_meta_matches, docproc, report, with_s3};

const TRIALS: u64 = 20;

fn spawn(args: &[&str], s3: bool) -> Child {
    let mut cmd = docproc();
    if s3 {
        with_s3(&mut cmd);
    }
    cmd.args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// When to kill a run so the kill lands while documents move: after the time a run over a
/// single document takes (start-up: loading the component, connecting, listing) and before
/// the time an uninterrupted run over them all takes. A first run fills the compiled-component
/// cache, so it is not timed.
fn kill_window(one: &[&str], all: &[&str], s3: bool) -> std::ops::Range<Duration> {
    let scratch = tempfile::tempdir().unwrap();
    let warm = spawn(&["walk", "--dir", scratch.path().to_str().unwrap()], false);
    assert!(warm.wait_with_output().unwrap().status.success());
    let time = |args: &[&str]| {
        let started = Instant::now();
        assert!(spawn(args, s3).wait().unwrap().success());
        started.elapsed()
    };
    let start_up = time(one);
    start_up..time(all).max(start_up + Duration::from_millis(1))
}

fn kill_at(rng: &mut Rng, window: &std::ops::Range<Duration>) -> Duration {
    let (from, to) = (window.start.as_micros(), window.end.as_micros());
    Duration::from_micros(rng.range(from as u64, to as u64))
}

fn rerun_and_check(args: &[&str], s3: bool, before: &Layout) -> serde_json::Value {
    let mut cmd = docproc();
    if s3 {
        with_s3(&mut cmd);
    }
    // No other host runs: take over the killed run's claims at once.
    let out = cmd
        .args(args)
        .args(["--claim-lease", "0", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::text(&out.stderr));
    let r = report(&out);
    let redone =
        r["report"]["processed"].as_u64().unwrap() + r["report"]["resumed"].as_u64().unwrap();
    // A request the killed run sent just before it died may still land at
    // the server after `before` was listed: the DELETE that ends a move
    // (copy + delete) can take a document that is already fully processed
    // out of inbox/ under the rerun's feet. Only such documents may be missing
    // from the rerun's count.
    let left = before.inbox.len();
    let settled = before
        .inbox
        .iter()
        .filter(|n| before.processed.get(*n).is_some_and(|m| m.is_some()))
        .count();
    assert!(
        (left - settled..=left).contains(&(redone as usize)),
        "the rerun did what was left ({left}, {settled} of them already processed): {r}"
    );
    r
}

fn assert_finished(before: &Layout, after: &Layout, docs: &[(String, String)]) {
    let names: Vec<String> = docs.iter().map(|(n, _)| n.clone()).collect();
    after.assert_nothing_lost(&names, false);
    assert!(after.inbox.is_empty());
    assert_eq!(after.processed.len(), docs.len());
    for (name, text) in docs {
        let meta = after.processed[name].as_ref().unwrap();
        assert_meta_matches(name, meta, text);
        // Counted before the kill: the rerun reused it, never counted again.
        if let Some(old) = before.metas.get(name) {
            assert_eq!(
                old["processed_at"], meta["processed_at"],
                "{name} processed twice"
            );
        }
    }
}

#[test]
fn kill_9_during_process_over_a_directory_loses_nothing() {
    let docs = documents(300, 99);
    let names: Vec<String> = docs.iter().map(|(n, _)| n.clone()).collect();
    let (one, all) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    docproc_host::seed::seed_inbox(one.path(), 1, 99).unwrap();
    docproc_host::seed::seed_inbox(all.path(), 300, 99).unwrap();
    let window = kill_window(
        &["process", "--dir", one.path().to_str().unwrap()],
        &["process", "--dir", all.path().to_str().unwrap()],
        false,
    );

    let mut rng = Rng::new(2026);
    let mut interrupted = 0;
    for _ in 0..TRIALS {
        let dir = tempfile::tempdir().unwrap();
        docproc_host::seed::seed_inbox(dir.path(), 300, 99).unwrap();
        let args = ["process", "--dir", dir.path().to_str().unwrap()];
        let mut child = spawn(&args, false);
        std::thread::sleep(kill_at(&mut rng, &window));
        child.kill().unwrap();
        child.wait().unwrap();

        let before = Layout::of_dir(dir.path());
        before.assert_nothing_lost(&names, false);
        if !before.inbox.is_empty() && before.inbox.len() < names.len() {
            interrupted += 1;
        }
        rerun_and_check(&args, false, &before);
        assert_finished(&before, &Layout::of_dir(dir.path()), &docs);
    }
    // The kills must really have landed mid-run for this test to mean much.
    assert!(
        interrupted >= TRIALS / 4,
        "only {interrupted} kills landed mid-run"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_process_over_s3_loses_nothing() {
    let docs = documents(120, 7);
    let names: Vec<String> = docs.iter().map(|(n, _)| n.clone()).collect();
    let b = bucket("crash-s3").await;
    let seed = |prefix: String, n: usize| {
        let b = &b;
        let docs = &docs;
        async move {
            for (name, text) in &docs[..n] {
                b.put(&format!("{prefix}inbox/{name}"), text.clone().into_bytes())
                    .await;
            }
        }
    };
    seed("calib-one/".into(), 1).await;
    seed("calib-all/".into(), docs.len()).await;
    let url = |p: &str| format!("s3://{}/{p}", b.name);
    let (one, all) = (url("calib-one"), url("calib-all"));
    let window = tokio::task::spawn_blocking(move || {
        kill_window(&["process", "--s3", &one], &["process", "--s3", &all], true)
    })
    .await
    .unwrap();

    let mut rng = Rng::new(7);
    let mut interrupted = 0;
    for trial in 0..TRIALS {
        let prefix = format!("t{trial}/");
        seed(prefix.clone(), docs.len()).await;
        let target = url(&prefix);
        let args = ["process", "--s3", target.as_str()];
        let mut child = spawn(&args, true);
        tokio::time::sleep(kill_at(&mut rng, &window)).await;
        child.kill().unwrap();
        child.wait().unwrap();

        let before = Layout::of_bucket(&b, &prefix).await;
        before.assert_nothing_lost(&names, true);
        if !before.inbox.is_empty() && before.inbox.len() < names.len() {
            interrupted += 1;
        }
        let args_owned = args.map(str::to_string);
        let (r, before) = tokio::task::spawn_blocking(move || {
            let a: Vec<&str> = args_owned.iter().map(String::as_str).collect();
            (rerun_and_check(&a, true, &before), before)
        })
        .await
        .unwrap();
        assert_eq!(r["report"]["failed"], 0);
        assert_finished(&before, &Layout::of_bucket(&b, &prefix).await, &docs);
        // No upload left half done, no temporary object left visible.
        assert_eq!(b.multipart_uploads().await, 0);
        let keys = b.keys().await;
        let leftovers: Vec<_> = keys
            .iter()
            .filter(|k| {
                k.starts_with(&prefix)
                    && (k.ends_with(".docproc.tmp") || k.contains("/.claims/") && !k.ends_with('/'))
            })
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
    assert!(
        interrupted >= TRIALS / 4,
        "only {interrupted} kills landed mid-run"
    );
}

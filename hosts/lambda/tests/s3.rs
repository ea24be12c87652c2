//! The handler over the S3 API, against the local S3 server: the "before"
//! function done right, with the same report as over a mount.

mod support;

use docproc_host::s3::S3Target;
use docproc_lambda::{BackendConfig, ErrorKind};
use docproc_testkit::{TestBucket, use_server_credentials};
use serde_json::json;
use support::{invoke, log_lines, state, to_json};

fn config(bucket: &str, prefix: &str) -> BackendConfig {
    let s = use_server_credentials();
    BackendConfig::S3(S3Target {
        url: format!("s3://{bucket}/{prefix}"),
        endpoint_url: Some(s.endpoint.clone()),
        region: Some(s.region.clone()),
        force_path_style: true,
        create_bucket: false,
    })
}

/// Our log capture must be the process's subscriber, so it goes first:
/// the S3 fixture installs one of its own otherwise.
async fn bucket(test: &str) -> TestBucket {
    support::logs();
    docproc_testkit::bucket(test).await
}

async fn seed(b: &TestBucket, prefix: &str, docs: usize) {
    for (name, text) in docproc_host::seed::documents(docs, 1) {
        b.put(&format!("{prefix}/inbox/{name}"), text.into_bytes())
            .await;
    }
}

#[tokio::test]
async fn process_over_the_s3_api_reports_like_the_mount() {
    let b = bucket("lambda-process").await;
    seed(&b, "before", 20).await;
    let st = state(Ok(config(&b.name, "before")));

    let (ctx, r) = invoke(&st, "s3-process", json!({"mode": "process"})).await;
    let r = r.unwrap();
    eprintln!(
        "20 docs over the S3 API: handler {:.1} ms, core total {:.1} ms",
        r.handler_ms, r.metrics.total_ms
    );
    let v = to_json(&r);
    assert_eq!(v["approach"], "s3-api");
    assert_eq!(v["cold_start"], true);
    assert_eq!(v["metrics"]["files_processed"], 20);
    assert_eq!(v["metrics"]["files_failed"], 0);
    let keys = b.keys().await;
    assert_eq!(
        keys.iter()
            .filter(|k| k.starts_with("before/processed/") && k.ends_with(".meta.json"))
            .count(),
        20
    );
    assert!(
        !keys.iter().any(|k| k.starts_with("before/inbox/doc-")),
        "{keys:?}"
    );

    let report_key = keys
        .iter()
        .find(|k| {
            k.starts_with("before/reports/process-")
                && k.ends_with(&format!("-{}.json", ctx.request_id))
        })
        .unwrap_or_else(|| panic!("no report in {keys:?}"));
    assert_eq!(v["report"], format!("s3://{}/{report_key}", b.name));
    let saved = b.json(report_key).await;
    assert_eq!(
        (
            saved["request_id"].as_str(),
            saved["metrics"]["files_processed"].as_u64()
        ),
        (Some(ctx.request_id.as_str()), Some(20))
    );
    assert!(!keys.iter().any(|k| k.contains(".tmp")), "{keys:?}");

    // Warm: the connected client is reused, and documents put since the
    // last invocation are seen (the metadata cache starts afresh).
    b.put("before/inbox/late.txt", "one more document\n").await;
    let (_, again) = invoke(&st, "s3-again", json!({"mode": "process"})).await;
    let again = to_json(&again.unwrap());
    assert_eq!(
        (
            again["cold_start"].as_bool(),
            again["metrics"]["files_processed"].as_u64()
        ),
        (Some(false), Some(1))
    );

    let (_, status) = invoke(&st, "s3-status", json!({"mode": "status"})).await;
    let status = to_json(&status.unwrap());
    assert_eq!(status["status"]["processed"]["count"], 21);
    assert_eq!(status["status"]["inbox"]["count"], 0);
    assert_eq!(status["status"]["failed"]["count"], 0);
}

#[tokio::test]
async fn status_of_a_fresh_prefix_or_a_root_with_no_keys_is_empty() {
    let b = bucket("lambda-status").await;
    seed(&b, "p", 3).await;
    let st = state(Ok(config(&b.name, "p")));
    let (_, r) = invoke(&st, "s3-status", json!({"mode": "status"})).await;
    let r = to_json(&r.unwrap());
    assert_eq!(
        r["status"]["inbox"]["names"],
        json!(["doc-0001.txt", "doc-0002.txt", "doc-0003.txt"])
    );
    assert_eq!(r["status"]["processed"]["count"], 0);
    let (_, e) = invoke(
        &st,
        "s3-status-missing",
        json!({"mode": "status", "root": "nope"}),
    )
    .await;
    // As on AWS, a prefix with no keys is simply empty: nothing to do is not an error.
    let r = to_json(&e.unwrap());
    for dir in ["inbox", "processed", "failed"] {
        assert_eq!(r["status"][dir]["count"], 0, "{dir}: {r}");
    }
}

#[tokio::test]
async fn a_missing_bucket_is_refused_clearly_and_nothing_moves() {
    let b = bucket("lambda-missing").await;
    seed(&b, "before", 3).await;
    let before = b.keys().await;
    let st = state(Ok(config(&format!("{}-gone", b.name), "before")));
    let (ctx, r) = invoke(&st, "s3-missing", json!({"mode": "process"})).await;
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::BackendUnavailable);
    assert!(e.message.contains("-gone: no such bucket"), "{e}");
    let lines = log_lines(&ctx.request_id);
    assert!(
        lines
            .iter()
            .any(|l| l["level"] == "ERROR" && l["error_type"] == "BackendUnavailable"),
        "{lines:?}"
    );

    // A malformed event never reaches the bucket.
    let st = state(Ok(config(&b.name, "before")));
    let (_, r) = invoke(&st, "s3-bad", json!({"mode": "process", "out_dir": "x"})).await;
    assert_eq!(r.unwrap_err().kind, ErrorKind::BadEvent);
    assert_eq!(b.keys().await, before);
}

/// Over the S3 API, keys are exact and strongly consistent: an object the event names that
/// is gone was deleted, not late, so no message comes back for it.
#[tokio::test]
async fn an_sqs_batch_over_the_s3_api_processes_its_keys_once() {
    let b = bucket("lambda-sqs").await;
    b.put("before/inbox/memo.txt", &b"three small words\n"[..])
        .await;
    b.put("before/inbox/latin1.txt", &b"caf\xe9\n"[..]).await;
    let st = state(Ok(config(&b.name, "before")));
    let event = support::fixture("sqs-s3-notifications.json", &b.name, "before");
    for round in ["first", "again"] {
        let (_, reply) = support::invoke_reply(&st, round, event.clone()).await;
        let docproc_lambda::Reply::Batch(batch) = reply.unwrap() else {
            panic!("an SQS batch gets a batch response")
        };
        assert!(batch.batch_item_failures.is_empty(), "{round}: {batch:?}");
    }
    let keys = b.keys().await;
    for key in [
        "before/processed/memo.txt",
        "before/processed/memo.txt.meta.json",
        "before/failed/latin1.txt.error.json",
    ] {
        assert!(keys.contains(&key.to_string()), "{key} missing: {keys:?}");
    }
    assert!(
        !keys.iter().any(|k| k.starts_with("before/inbox/")),
        "{keys:?}"
    );
    let meta = b.json("before/processed/memo.txt.meta.json").await;
    assert_eq!(meta["word_count"], 3);
}

//! The events AWS sends (fixtures in `tests/events/`, as AWS documents them) through the
//! handler over a directory, as the S3 Files function sees its mount.

mod support;

use docproc_lambda::{BackendConfig, ErrorKind, EventScope, Reply, State};
use docproc_testkit::names;
use serde_json::{Value, json};
use support::{fixture, invoke, invoke_reply, state, to_json};

/// A mount showing the root of bucket `docproc-docs`, with `docs` in its inbox.
fn mount(docs: &[&str]) -> (tempfile::TempDir, State) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("inbox")).unwrap();
    for name in docs {
        std::fs::write(dir.path().join("inbox").join(name), "a few words\n").unwrap();
    }
    let st = state(Ok(BackendConfig::Mount(dir.path().into())))
        .with_event_scope(EventScope::new("docproc-docs", ""));
    (dir, st)
}

fn event(name: &str) -> Value {
    fixture(name, "docproc-docs", "")
}

#[tokio::test]
async fn an_s3_notification_processes_its_decoded_keys_once() {
    let (dir, st) = mount(&["report 2026.txt", "café+1.txt", "other.txt"]);
    let (_, r) = invoke(&st, "s3-event", event("s3-object-created.json")).await;
    let v = to_json(&r.unwrap());
    assert_eq!(v["metrics"]["files_processed"], 2, "{v}");
    assert_eq!(names(&dir.path().join("inbox")), ["other.txt"]);
    assert_eq!(
        names(&dir.path().join("processed")),
        [
            "café+1.txt",
            "café+1.txt.meta.json",
            "report 2026.txt",
            "report 2026.txt.meta.json"
        ]
    );
    // Our own output named by a careless rule: left alone, so it cannot start a loop.
    assert_eq!(
        v["delivery"]["ignored"],
        json!([{"key": "processed/report 2026.txt.meta.json", "why": "not in inbox/"}])
    );

    // S3 delivers at least once: the same event again processes nothing.
    let (_, again) = invoke(&st, "s3-event-again", event("s3-object-created.json")).await;
    let v = to_json(&again.unwrap());
    assert_eq!(v["metrics"]["files_processed"], 0, "{v}");
    assert_eq!(v["run"]["report"]["already_done"], 2, "{v}");
    assert_eq!(names(&dir.path().join("processed")).len(), 4);
}

#[tokio::test]
async fn an_sqs_batch_returns_exactly_the_messages_to_deliver_again() {
    let (dir, st) = mount(&["memo.txt"]);
    std::fs::write(dir.path().join("inbox/latin1.txt"), b"caf\xe9\n").unwrap();
    let (_, reply) = invoke_reply(&st, "sqs", event("sqs-s3-notifications.json")).await;
    let Reply::Batch(batch) = reply.unwrap() else {
        panic!("an SQS batch gets a batch response")
    };
    // `not yet.txt` is not on the mount yet: only its message comes back. The bad
    // document went to failed/ and counts as handled; the test event names nothing;
    // the duplicate of memo.txt is done with the first.
    let ids: Vec<&str> = batch
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(ids, ["2a3b4c5d-late"]);
    assert_eq!(
        serde_json::to_value(&batch).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "2a3b4c5d-late"}]})
    );
    assert_eq!(
        names(&dir.path().join("processed")),
        ["memo.txt", "memo.txt.meta.json"]
    );
    assert_eq!(
        names(&dir.path().join("failed")),
        ["latin1.txt", "latin1.txt.error.json"]
    );

    // The file shows up; SQS delivers the batch's failure again, and it is done.
    std::fs::write(dir.path().join("inbox/not yet.txt"), "late\n").unwrap();
    let (_, reply) = invoke_reply(&st, "sqs-again", event("sqs-s3-notifications.json")).await;
    let Reply::Batch(batch) = reply.unwrap() else {
        panic!()
    };
    assert!(batch.batch_item_failures.is_empty(), "{batch:?}");
    assert!(names(&dir.path().join("inbox")).is_empty());
}

#[tokio::test]
async fn eventbridge_and_distributed_map_batches_are_processed() {
    let (dir, st) = mount(&["notes+draft 1.txt", "batch-1.txt", "batch 2.txt"]);
    let (_, r) = invoke(&st, "eventbridge", event("eventbridge-object-created.json")).await;
    let v = to_json(&r.unwrap());
    assert_eq!(v["metrics"]["files_processed"], 1, "{v}");
    assert_eq!(v["delivery"]["source"], "EventBridge");
    let (_, r) = invoke(&st, "map", event("distributed-map-batch.json")).await;
    let v = to_json(&r.unwrap());
    assert_eq!(v["metrics"]["files_processed"], 2, "{v}");
    assert!(names(&dir.path().join("inbox")).is_empty());
}

/// Without SQS to send one message again, an event with an object not visible yet fails
/// once the rest is done, so Lambda's retries (or Step Functions') bring it back.
#[tokio::test]
async fn an_object_not_on_the_mount_yet_fails_the_event_after_the_rest() {
    let (dir, st) = mount(&["batch-1.txt"]);
    let (_, r) = invoke(&st, "map-late", event("distributed-map-batch.json")).await;
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotReady);
    assert!(
        e.message.contains("1 of 2 objects") && e.message.contains("inbox/batch 2.txt"),
        "{}",
        e.message
    );
    assert_eq!(
        names(&dir.path().join("processed")),
        ["batch-1.txt", "batch-1.txt.meta.json"]
    );
}

#[tokio::test]
async fn keys_of_another_bucket_or_without_a_scope_are_refused_or_left_alone() {
    let (dir, st) = mount(&["batch-1.txt"]);
    let (_, r) = invoke(
        &st,
        "other-bucket",
        fixture("s3-object-created.json", "someone-else", ""),
    )
    .await;
    let v = to_json(&r.unwrap());
    assert_eq!(v["metrics"]["files_processed"], 0);
    assert!(
        v["delivery"]["ignored"][0]["why"]
            .as_str()
            .unwrap()
            .contains("in bucket someone-else"),
        "{v}"
    );
    let unscoped = state(Ok(BackendConfig::Mount(dir.path().into())));
    let (_, r) = invoke(&unscoped, "unscoped", event("s3-object-created.json")).await;
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Misconfigured);
    assert!(e.message.contains("EVENT_BUCKET"), "{}", e.message);
    assert_eq!(names(&dir.path().join("inbox")), ["batch-1.txt"]);
}

#[tokio::test]
async fn unknown_shapes_keep_the_clear_bad_event() {
    let (_, st) = mount(&[]);
    for payload in [
        json!({"Records": [{"eventSource": "aws:dynamodb"}]}),
        json!({"detail-type": "Object Created", "source": "aws.ec2"}),
    ] {
        let (_, r) = invoke(&st, "unknown", payload.clone()).await;
        let e = r.unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadEvent, "{payload}");
        assert!(
            e.message.contains("missing field `mode`"),
            "{payload}: {}",
            e.message
        );
    }
    let (_, r) = invoke(&st, "bad-map", json!({"Items": [{"Size": 1}]})).await;
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadEvent);
    assert!(
        e.message.contains("bad Distributed Map event"),
        "{}",
        e.message
    );
}

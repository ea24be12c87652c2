//! Faults on the wire, injected by a proxy between the host and a real S3
//! server: retried faults leave no trace; exhausted retries stop the run
//! with the key named, and nothing is lost.

mod support;

use std::sync::Arc;
use std::time::Duration;

use docproc_host::report::Outcome;
use docproc_host::s3::S3Backend;
use docproc_host::{Backend, Job, Report, Shard, run};
use docproc_s3proxy::{Fault, Plan, Proxy, Rule};
use docproc_testkit::{TestBucket, bucket};
use support::runtime;

async fn through_proxy(b: &TestBucket, plan: Plan) -> (Proxy, Arc<S3Backend>) {
    let s = support::use_server_credentials();
    let upstream = s.endpoint.trim_start_matches("http://").parse().unwrap();
    let proxy = Proxy::start(upstream, plan).await.unwrap();
    let backend = support::s3_backend(&b.name, "", Some(proxy.endpoint())).await;
    (proxy, backend)
}

/// Starts a run through a proxy that stalls the request `held` picks, and returns once that
/// request is held: the test then changes the bucket behind the run's back.
async fn run_until_held(
    b: &TestBucket,
    held: Rule,
    job: Job,
) -> (
    tokio::task::JoinHandle<docproc_host::RunReport>,
    Proxy,
    Arc<S3Backend>,
) {
    let plan = Plan {
        rules: vec![held],
        ..Plan::default()
    };
    let (proxy, s3) = through_proxy(b, plan).await;
    let run = {
        let s3 = s3.clone();
        tokio::spawn(async move {
            run(&runtime(), &Backend::S3(s3), &job, Shard::ALL)
                .await
                .unwrap()
        })
    };
    while proxy.stats().injected(Fault::Stall(Duration::ZERO)) == 0 {
        assert!(!run.is_finished(), "the request was never held");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (run, proxy, s3)
}

async fn seed(b: &TestBucket, n: usize) -> Vec<(String, String)> {
    let docs = docproc_host::seed::documents(n, 31);
    for (name, text) in &docs {
        b.put(&format!("inbox/{name}"), text.clone().into_bytes())
            .await;
    }
    docs
}

fn process() -> Job {
    Job::ProcessInbox {
        root: String::new(),
        chunk_size: 0,
        claims: Some(docproc_host::Claims::default()),
        only: None,
    }
}

/// Every document is in inbox/ or in processed/ with complete metadata,
/// never half-written, never with a multipart upload left open.
async fn assert_nothing_lost(b: &TestBucket, docs: &[(String, String)]) -> usize {
    let keys = b.keys().await;
    let mut done = 0;
    for (name, text) in docs {
        let waiting = keys.contains(&format!("inbox/{name}"));
        let meta = b.get(&format!("processed/{name}.meta.json")).await;
        let moved = keys.contains(&format!("processed/{name}"));
        if moved {
            let meta: serde_json::Value =
                serde_json::from_slice(&meta.expect("metadata beside the document")).unwrap();
            assert_eq!(meta["word_count"], text.split_whitespace().count() as u64);
            done += 1;
        }
        assert!(waiting || moved, "{name} lost: {keys:?}");
    }
    assert!(
        keys.iter()
            .all(|k| !k.starts_with("failed/") || k == "failed/"),
        "{keys:?}"
    );
    assert_eq!(b.multipart_uploads().await, 0);
    done
}

#[tokio::test(flavor = "multi_thread")]
async fn retried_faults_leave_every_document_processed_once() {
    let b = bucket("faults-retried").await;
    let docs = seed(&b, 10).await;
    let plan = Plan {
        latency: Duration::ZERO,
        rules: vec![
            Rule::new(Fault::SlowDown).method("PUT").skip(1).times(2),
            Rule::new(Fault::InternalError)
                .method("GET")
                .skip(1)
                .times(2),
            Rule::new(Fault::ResetMidBody)
                .method("GET")
                .skip(4)
                .times(1),
            Rule::new(Fault::TruncatedBody)
                .method("GET")
                .skip(6)
                .times(1),
            Rule::new(Fault::Stall(Duration::from_secs(5)))
                .method("PUT")
                .skip(8)
                .times(1),
        ],
    };
    let (proxy, _, report) = process_through(&b, plan.rules).await;
    let Report::ProcessInbox(r) = report.report else {
        unreachable!()
    };
    assert_eq!((r.processed, r.resumed, r.failed), (10, 0, 0));
    let stats = proxy.stats();
    assert_eq!(
        (
            stats.injected(Fault::SlowDown),
            stats.injected(Fault::InternalError),
            stats.injected(Fault::ResetMidBody),
            stats.injected(Fault::TruncatedBody),
            stats.injected(Fault::Stall(Duration::ZERO))
        ),
        (2, 2, 1, 1, 1),
        "every kind of fault was injected: {stats:?}"
    );
    assert_eq!(assert_nothing_lost(&b, &docs).await, 10);
    // Nothing was processed twice: one metadata object per document.
    let metas = b
        .keys()
        .await
        .into_iter()
        .filter(|k| k.ends_with(".meta.json"))
        .count();
    assert_eq!(metas, 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn exhausted_retries_stop_the_run_naming_the_key_and_lose_nothing() {
    let b = bucket("faults-exhausted").await;
    let docs = seed(&b, 8).await;
    // Reads of one document always fail; every other request works.
    let plan = Plan {
        latency: Duration::ZERO,
        rules: vec![
            Rule::new(Fault::InternalError)
                .method("GET")
                .path_contains("doc-0005")
                .times(u32::MAX),
        ],
    };
    let (proxy, s3) = through_proxy(&b, plan).await;
    let err = run(&runtime(), &Backend::S3(s3.clone()), &process(), Shard::ALL)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("inbox/doc-0005.txt"),
        "the key is named: {err}"
    );
    let done = assert_nothing_lost(&b, &docs).await;
    assert!(done < docs.len());
    let keys = b.keys().await;
    assert!(keys.contains(&"inbox/doc-0005.txt".to_string()));

    // Once the store heals, a rerun finishes the job.
    proxy.set_plan(Plan::default());
    let report = run(&runtime(), &Backend::S3(s3), &process(), Shard::ALL)
        .await
        .unwrap();
    let Report::ProcessInbox(r) = report.report else {
        unreachable!()
    };
    assert_eq!(r.processed as usize, docs.len() - done);
    assert_eq!(assert_nothing_lost(&b, &docs).await, docs.len());
}

/// One process-inbox run through a proxy that applies `rules`; the backend serves reruns.
async fn process_through(
    b: &TestBucket,
    rules: Vec<Rule>,
) -> (Proxy, Arc<S3Backend>, docproc_host::RunReport) {
    let plan = Plan {
        rules,
        ..Plan::default()
    };
    let (proxy, s3) = through_proxy(b, plan).await;
    let report = run(&runtime(), &Backend::S3(s3.clone()), &process(), Shard::ALL)
        .await
        .unwrap();
    (proxy, s3, report)
}

fn documents(report: &docproc_host::RunReport) -> &docproc_host::report::InboxReport {
    match &report.report {
        Report::ProcessInbox(r) => r,
        _ => unreachable!("process-inbox reports documents"),
    }
}

/// An object S3 will not serve to us is that document's failure, not the store's: it is
/// named, left where it is, and the batch goes on. A policy or KMS key refuses it
/// (AccessDenied), it is archived (InvalidObjectState), or it needs its SSE-C key.
#[tokio::test(flavor = "multi_thread")]
async fn an_object_s3_will_not_serve_fails_by_name_and_the_batch_goes_on() {
    for (fault, said) in [
        (Fault::AccessDenied, "AccessDenied"),
        (Fault::Archived, "InvalidObjectState"),
        (Fault::SseCustomerKey, "InvalidRequest"),
    ] {
        let b = bucket(&format!("faults-{}", fault.name())).await;
        let docs = seed(&b, 6).await;
        let refused = "doc-0003.txt";
        // S3 refuses a GET of the object, and a copy of it (CopyObject reads the source).
        let rules = vec![
            Rule::new(fault)
                .method("GET")
                .path_contains(&format!("inbox/{refused}")),
            Rule::new(fault)
                .method("PUT")
                .path_contains(&format!("failed/{refused}"))
                .skip(1),
        ];
        let (proxy, _, report) = process_through(&b, rules).await;
        let r = documents(&report);
        assert_eq!((r.processed, r.failed), (5, 1), "{fault:?}: {r:?}");
        let why = r
            .documents
            .iter()
            .find_map(|d| match &d.outcome {
                Outcome::Failed(why) if d.name == refused => Some(why.clone()),
                _ => None,
            })
            .expect("the refused document is named");
        assert!(why.contains(said), "{fault:?}: {why}");
        assert!(why.contains("left in inbox/"), "{why}");
        assert_eq!(proxy.stats().injected(fault), 2);

        let keys = b.keys().await;
        assert!(keys.contains(&format!("inbox/{refused}")), "{keys:?}");
        let record: serde_json::Value = serde_json::from_slice(
            &b.get(&format!("failed/{refused}.error.json"))
                .await
                .expect("error record"),
        )
        .unwrap();
        assert_eq!(record["filename"], refused);
        for (name, _) in docs.iter().filter(|(n, _)| n != refused) {
            assert!(
                keys.contains(&format!("processed/{name}.meta.json")),
                "{name}"
            );
        }
    }
}

/// Another client deleted a document after we listed it: it is counted as gone, not as
/// failed, and nothing is written for it.
#[tokio::test(flavor = "multi_thread")]
async fn a_document_gone_between_list_and_read_is_left_alone() {
    let b = bucket("faults-vanished").await;
    let docs = seed(&b, 5).await;
    let gone = "doc-0002.txt";
    let rules = vec![
        Rule::new(Fault::NoSuchKey)
            .method("GET")
            .path_contains(&format!("inbox/{gone}"))
            .times(1),
    ];
    let (proxy, s3, report) = process_through(&b, rules).await;
    let r = documents(&report);
    assert_eq!((r.processed, r.vanished, r.failed), (4, 1, 0), "{r:?}");
    assert_eq!(proxy.stats().injected(Fault::NoSuchKey), 1);
    let keys = b.keys().await;
    assert!(
        !keys
            .iter()
            .any(|k| k.contains(gone) && !k.starts_with("inbox/")),
        "nothing written for it: {keys:?}"
    );

    // Here it was only hidden for one request, so the next run takes it.
    let again = run(&runtime(), &Backend::S3(s3), &process(), Shard::ALL)
        .await
        .unwrap();
    assert_eq!(documents(&again).processed, 1);
    assert_eq!(assert_nothing_lost(&b, &docs).await, docs.len());
}

/// A server that takes requests and then holds the responses must not hang a run: the time
/// limit covers waits on S3 as well as the core's own work, the error names what was still
/// unanswered, nothing is lost, and a rerun against a healthy server finishes the job.
#[tokio::test(flavor = "multi_thread")]
async fn a_held_response_ends_the_run_at_its_time_limit_and_a_rerun_finishes() {
    let b = bucket("faults-held").await;
    let docs = seed(&b, 6).await;
    let held = "doc-0004.txt";
    let (proxy, s3) = through_proxy(&b, Plan::default()).await;
    proxy.set_plan(Plan {
        rules: vec![
            Rule::new(Fault::Stall(Duration::from_secs(600)))
                .method("GET")
                .path_contains(&format!("inbox/{held}"))
                .times(u32::MAX),
        ],
        ..Plan::default()
    });
    let limit = Duration::from_secs(3);
    let rt = docproc_host::Runtime::new(
        &docproc_host::ComponentSource::Embedded,
        docproc_host::RuntimeOptions {
            timeout: limit,
            ..Default::default()
        },
    )
    .unwrap();
    let started = std::time::Instant::now();
    let err = run(&rt, &Backend::S3(s3.clone()), &process(), Shard::ALL)
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        took < limit + Duration::from_secs(2),
        "stopped {took:?} after start"
    );
    let message = format!("{err:#}");
    assert!(message.contains("3s time limit"), "{message}");
    assert!(
        message.contains(&format!("GetObject s3://{}/inbox/{held}", b.name)),
        "the request and key are named: {message}"
    );
    assert_eq!(
        docproc_host::error::exit_code_of(&err),
        docproc_host::ExitCode::Failed
    );
    assert!(proxy.stats().injected(Fault::Stall(Duration::ZERO)) >= 1);
    assert!(assert_nothing_lost(&b, &docs).await < docs.len());

    // The stopped run's claim on the held document is a dead host's claim: a rerun with
    // no one else about takes it over at once, as after a crash.
    proxy.set_plan(Plan::default());
    let rerun = Job::ProcessInbox {
        root: String::new(),
        chunk_size: 0,
        claims: Some(docproc_host::Claims {
            lease_ms: 0,
            ..Default::default()
        }),
        only: None,
    };
    run(&runtime(), &Backend::S3(s3), &rerun, Shard::ALL)
        .await
        .unwrap();
    assert_eq!(assert_nothing_lost(&b, &docs).await, docs.len());
}

/// AWS answers a HEAD of a missing key with 403 to a role that may not list the bucket
/// without a prefix (docproc's own least-privilege role): lookups of absent paths must still
/// come out as "absent", so the whole job runs under such a role.
#[tokio::test(flavor = "multi_thread")]
async fn every_head_refused_as_aws_refuses_a_prefix_scoped_role() {
    let b = bucket("faults-head-403").await;
    let docs = seed(&b, 5).await;
    let rules = vec![
        Rule::new(Fault::AccessDenied)
            .method("HEAD")
            .times(u32::MAX),
    ];
    let (proxy, _, report) = process_through(&b, rules).await;
    let r = documents(&report);
    assert_eq!((r.processed, r.failed), (5, 0), "{r:?}");
    assert_eq!(assert_nothing_lost(&b, &docs).await, docs.len());
    assert!(
        proxy.stats().injected(Fault::AccessDenied) >= 1,
        "{:?}",
        proxy.stats()
    );
}

/// A document re-uploaded while it is being processed: the move is pinned to the version
/// that was read, so the new version is never moved under the old one's metadata nor
/// deleted unprocessed; it stays in inbox/ and the next run counts it.
#[tokio::test(flavor = "multi_thread")]
async fn a_document_replaced_between_read_and_move_is_left_for_the_next_run() {
    let b = bucket("faults-replaced").await;
    let docs = seed(&b, 4).await;
    let name = &docs[2].0;
    // The PUTs naming processed/<name> are its metadata, then the copy: hold the copy.
    let held = Rule::new(Fault::Stall(Duration::from_millis(1500)))
        .method("PUT")
        .path_contains(&format!("processed/{name}"))
        .skip(1)
        .times(1);
    let (first, proxy, s3) = run_until_held(&b, held, process()).await;
    let newer = "a newer version, sent while the old one was being moved\n";
    b.put(&format!("inbox/{name}"), newer.as_bytes().to_vec())
        .await;
    let Report::ProcessInbox(r) = first.await.unwrap().report else {
        unreachable!()
    };
    assert_eq!(r.processed + r.vanished, 4, "{r:?}");
    assert_eq!(
        b.get(&format!("inbox/{name}")).await.as_deref(),
        Some(newer.as_bytes()),
        "the new version is never deleted"
    );
    if !docproc_testkit::server().is_moto() {
        // AWS (and SeaweedFS) refuse the pinned copy of a replaced source; moto copies
        // whatever is there, so only AWS's behaviour is checked where it is enforced.
        assert_eq!(r.vanished, 1, "{r:?}");
        assert!(b.get(&format!("processed/{name}")).await.is_none());
    }

    proxy.set_plan(Plan::default());
    let Report::ProcessInbox(again) = run(&runtime(), &Backend::S3(s3), &process(), Shard::ALL)
        .await
        .unwrap()
        .report
    else {
        unreachable!()
    };
    assert_eq!((again.processed, again.resumed), (1, 0), "{again:?}");
    assert_eq!(
        b.get(&format!("processed/{name}")).await.as_deref(),
        Some(newer.as_bytes())
    );
    let meta = b.json(&format!("processed/{name}.meta.json")).await;
    assert_eq!(meta["word_count"], newer.split_whitespace().count() as u64);
    assert!(b.get(&format!("inbox/{name}")).await.is_none());
}

/// Another host moves a document between our copy and our delete (the store let two hosts
/// claim it, as SeaweedFS can under load): our pinned delete is refused, and the move was
/// theirs. It counts once between the hosts: ours reports it vanished, not processed.
#[tokio::test(flavor = "multi_thread")]
async fn a_document_moved_by_another_host_before_our_delete_counts_once() {
    let b = bucket("faults-moved-first").await;
    let docs = seed(&b, 4).await;
    let name = &docs[1].0;
    let held = Rule::new(Fault::Stall(Duration::from_millis(1500)))
        .method("DELETE")
        .path_contains(&format!("inbox/{name}"))
        .times(1);
    let (ours, _proxy, _) = run_until_held(&b, held, process()).await;
    // The other host's delete: its copy is the same bytes as ours.
    b.client
        .delete_object()
        .bucket(&b.name)
        .key(format!("inbox/{name}"))
        .send()
        .await
        .unwrap();
    let Report::ProcessInbox(r) = ours.await.unwrap().report else {
        unreachable!()
    };
    assert_eq!((r.processed, r.vanished), (3, 1), "{r:?}");
    assert_eq!(assert_nothing_lost(&b, &docs).await, 4);
}

/// A claim whose PUT reached S3 but whose answer was lost: the client's retry is refused by
/// the claim its first attempt made. That claim is ours, so the document is processed now,
/// not left to look held by a live host until the lease runs out.
#[tokio::test(flavor = "multi_thread")]
async fn a_claim_whose_answer_was_lost_is_still_ours() {
    let b = bucket("faults-lost-claim").await;
    let docs = seed(&b, 3).await;
    let plan = Plan {
        rules: vec![
            Rule::new(Fault::ResetMidBody)
                .method("PUT")
                .path_contains(&format!(".claims/{}", docs[0].0))
                .times(1),
        ],
        ..Plan::default()
    };
    let (proxy, _, report) = process_through(&b, plan.rules).await;
    let Report::ProcessInbox(r) = report.report else {
        unreachable!()
    };
    assert_eq!(proxy.stats().injected(Fault::ResetMidBody), 1);
    assert_eq!((r.processed, r.claimed_elsewhere), (3, 0), "{r:?}");
    assert_eq!(assert_nothing_lost(&b, &docs).await, 3);
    let claims: Vec<String> = b
        .keys()
        .await
        .into_iter()
        .filter(|k| k.starts_with(".claims") && !k.ends_with('/'))
        .collect();
    assert!(claims.is_empty(), "{claims:?}");
}

/// A walk opens the directories next in turn before it reads them, and the host starts each
/// listing at its open: while one directory's listing hangs, the others' go on.
#[tokio::test]
async fn a_hung_listing_does_not_hold_up_the_directories_after_it() {
    let b = bucket("faults-walk-ahead").await;
    b.put_many((0..8).map(|i| format!("d{i}/f.txt"))).await;
    let held = Rule::new(Fault::Stall(Duration::from_secs(3600)))
        .method("GET")
        .query_contains("prefix=d0%2F")
        .times(1);
    let walk = Job::Walk {
        root: String::new(),
    };
    let (run, _proxy, s3) = run_until_held(&b, held, walk).await;
    // The root's listing, then one for each of d0..d7: d0's is the one held.
    let mut waited = Duration::ZERO;
    while s3.fs.metrics().list < 9 {
        assert!(
            waited < Duration::from_secs(60),
            "only {} listings while d0's hangs: {:?}",
            s3.fs.metrics().list,
            s3.fs.in_flight()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += Duration::from_millis(20);
    }
    assert!(!run.is_finished(), "the walk read d0 without its listing");
    run.abort();
}

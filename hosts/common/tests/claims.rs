//! Claims left by a host that died, taken over by several hosts at once: exactly one of them
//! gets each document, over a directory and over S3, trial after trial.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use docproc_host::report::Outcome;
use docproc_host::{Backend, Claims, Job, Report, Shard, run};
use docproc_testkit::TestBucket;
use support::runtime;

const HOSTS: usize = 3;
const DOCS: usize = 40;
const TRIALS: usize = 10;
const LEASE: Duration = Duration::from_millis(1000);
/// A claim counts as dead a second after its lease (mtimes may be whole seconds); a little more.
const DEAD_AFTER: Duration = Duration::from_millis(2200);

fn dead_claim() -> &'static [u8] {
    b"{\"owner\":\"a host that died\",\"claimed_at\":\"2026-01-01T00:00:00.000Z\"}\n"
}

/// Runs `HOSTS` hosts at once over `backends` (one each, as separate machines would) and
/// returns how often each document was processed.
async fn race(backends: Vec<Backend>) -> BTreeMap<String, u32> {
    let mut tasks = Vec::new();
    for (i, backend) in backends.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let job = Job::ProcessInbox {
                root: String::new(),
                chunk_size: 0,
                claims: Some(Claims {
                    owner: format!("host-{i}"),
                    lease_ms: LEASE.as_millis() as u64,
                }),
                only: None,
            };
            run(&runtime(), &backend, &job, Shard::ALL)
                .await
                .expect("a racing host's run")
        }));
    }
    let mut done = BTreeMap::new();
    for task in tasks {
        let Report::ProcessInbox(r) = task.await.unwrap().report else {
            unreachable!()
        };
        for d in r.documents {
            if matches!(d.outcome, Outcome::Processed(_) | Outcome::Resumed(_)) {
                *done.entry(d.name).or_insert(0) += 1;
            }
        }
    }
    done
}

fn assert_each_once(trial: usize, done: &BTreeMap<String, u32>) {
    let twice: Vec<_> = done.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "trial {trial}: done twice over: {twice:?}"
    );
    assert_eq!(done.len(), DOCS, "trial {trial}: {done:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hosts_racing_for_dead_claims_in_a_directory_take_each_document_once() {
    for trial in 0..TRIALS {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (name, text) in docproc_host::seed::documents(DOCS, trial as u64) {
            support::write(root, &format!("inbox/{name}"), text);
            support::write(root, &format!(".claims/{name}"), dead_claim());
        }
        tokio::time::sleep(DEAD_AFTER).await;
        let done = race(vec![Backend::Local(root.into()); HOSTS]).await;
        assert_each_once(trial, &done);
        assert!(docproc_testkit::names(&root.join("inbox")).is_empty());
        assert_no_links_left(root);
    }
}

fn assert_no_links_left(root: &Path) {
    for entry in std::fs::read_dir(root).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".claims") {
            assert_eq!(
                docproc_testkit::names(&entry.path()),
                Vec::<String>::new(),
                "{name}"
            );
        }
    }
}

async fn host(b: &TestBucket) -> Backend {
    Backend::S3(support::s3_backend(&b.name, "", None).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hosts_racing_for_dead_claims_in_s3_take_each_document_once() {
    for trial in 0..TRIALS {
        let b = docproc_testkit::bucket("claims-race").await;
        for (name, text) in docproc_host::seed::documents(DOCS, trial as u64) {
            b.put(&format!("inbox/{name}"), text.into_bytes()).await;
            b.put(&format!(".claims/{name}"), dead_claim().to_vec())
                .await;
        }
        tokio::time::sleep(DEAD_AFTER).await;
        let mut hosts = Vec::new();
        for _ in 0..HOSTS {
            hosts.push(host(&b).await);
        }
        let done = race(hosts).await;
        assert_each_once(trial, &done);
        let keys = b.keys().await;
        assert!(
            keys.iter()
                .all(|k| !k.starts_with("inbox/") || k == "inbox/"),
            "{keys:?}"
        );
        let links: Vec<_> = keys
            .iter()
            .filter(|k| k.starts_with(".claims") && !k.ends_with('/'))
            .collect();
        assert!(links.is_empty(), "trial {trial}: links left: {links:?}");
    }
}

/// A host whose document takes longer than its lease renews its claim: nobody takes it over.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_host_slower_than_its_lease_keeps_its_claim() {
    let b = docproc_testkit::bucket("claims-slow").await;
    // Every request of the slow host takes 400 ms, so its run (seven requests from its claim
    // on) outlasts the 2 s lease; the longest wait between two of its renewals is a few
    // requests.
    b.put("inbox/big.txt", "word ".repeat(40_000).into_bytes())
        .await;
    let s = support::use_server_credentials();
    let upstream = s.endpoint.trim_start_matches("http://").parse().unwrap();
    let proxy = docproc_s3proxy::Proxy::start(
        upstream,
        docproc_s3proxy::Plan {
            latency: Duration::from_millis(400),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let slow = Backend::S3(support::s3_backend(&b.name, "", Some(proxy.endpoint())).await);
    let lease = Duration::from_millis(2000);
    let job = |owner: &str| Job::ProcessInbox {
        root: String::new(),
        chunk_size: 0,
        claims: Some(Claims {
            owner: owner.into(),
            lease_ms: lease.as_millis() as u64,
        }),
        only: None,
    };
    let slow_run = {
        let job = job("slow");
        tokio::spawn(async move { run(&runtime(), &slow, &job, Shard::ALL).await.unwrap() })
    };
    // Once the slow host holds its claim, others keep trying while it works.
    while b.get(".claims/big.txt").await.is_none() {
        assert!(!slow_run.is_finished(), "the slow host never claimed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let fast = host(&b).await;
    let mut others = Vec::new();
    let started = std::time::Instant::now();
    while !slow_run.is_finished() {
        tokio::time::sleep(lease / 4).await;
        let r = run(&runtime(), &fast, &job("fast"), Shard::ALL)
            .await
            .unwrap();
        let Report::ProcessInbox(r) = r.report else {
            unreachable!()
        };
        others.push((r.processed, r.resumed, r.claimed_elsewhere));
    }
    let Report::ProcessInbox(slow) = slow_run.await.unwrap().report else {
        unreachable!()
    };
    assert!(
        started.elapsed() > lease,
        "the slow run outlasts its lease: {:?}",
        started.elapsed()
    );
    assert_eq!(slow.processed, 1, "{slow:?}");
    assert!(
        others.iter().all(|&(p, r, _)| p == 0 && r == 0),
        "taken over while its holder lived: {others:?}"
    );
}

/// A claim ages by the store's clock. Seen through a store ten minutes behind this host (as
/// from a host whose own clock is fast), a claim made a moment ago is live; through one ten
/// minutes ahead, a dead claim is still taken over once its lease has passed. (Ten, since
/// S3 refuses requests signed more than 15 minutes off its clock.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_age_by_the_stores_clock_never_the_hosts() {
    let b = docproc_testkit::bucket("claims-clock").await;
    b.put("inbox/doc.txt", &b"one two\n"[..]).await;
    b.put(".claims/doc.txt", dead_claim().to_vec()).await;
    let s = support::use_server_credentials();
    let upstream = s.endpoint.trim_start_matches("http://").parse().unwrap();
    let proxy = docproc_s3proxy::Proxy::start(upstream, Default::default())
        .await
        .unwrap();
    let job = |lease: Duration| Job::ProcessInbox {
        root: String::new(),
        chunk_size: 0,
        claims: Some(Claims {
            owner: "skewed".into(),
            lease_ms: lease.as_millis() as u64,
        }),
        only: None,
    };
    let run_skewed = |offset: i64, lease: Duration| {
        proxy.set_clock_offset(offset);
        let (b, proxy, job) = (&b, &proxy, job(lease));
        async move {
            // A host of its own each time: what it knows of the store's clock starts afresh.
            let host = Backend::S3(support::s3_backend(&b.name, "", Some(proxy.endpoint())).await);
            let Report::ProcessInbox(r) = run(&runtime(), &host, &job, Shard::ALL)
                .await
                .unwrap()
                .report
            else {
                unreachable!()
            };
            (r.processed, r.claimed_elsewhere)
        }
    };

    assert_eq!(run_skewed(-600, Duration::from_secs(300)).await, (0, 1));
    assert!(b.get("inbox/doc.txt").await.is_some());

    tokio::time::sleep(DEAD_AFTER).await;
    assert_eq!(run_skewed(600, LEASE).await, (1, 0));
    assert!(b.get("processed/doc.txt.meta.json").await.is_some());
}

/// A host that died between moving a document and releasing its claim leaves the link
/// behind. Each shard sweeps only its own documents' links (another shard's may be live:
/// its host is running beside this one), so a fan-out leaves none once every shard ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_shard_sweeps_its_own_links_left_by_a_dead_host() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    support::write(root, "inbox/new.txt", "one two\n");
    let orphans: Vec<String> = (0..16).map(|i| format!("moved-{i}.txt")).collect();
    for name in &orphans {
        support::write(root, &format!(".claims/{name}"), dead_claim());
    }
    tokio::time::sleep(DEAD_AFTER).await;
    let job = Job::ProcessInbox {
        root: String::new(),
        chunk_size: 0,
        claims: Some(Claims {
            owner: "sweeper".into(),
            lease_ms: LEASE.as_millis() as u64,
        }),
        only: None,
    };
    let links = || docproc_testkit::names(&root.join(".claims"));
    let backend = Backend::Local(root.into());
    run(&runtime(), &backend, &job, Shard { index: 0, count: 2 })
        .await
        .unwrap();
    let left = links();
    assert!(
        !left.is_empty() && left.len() < orphans.len(),
        "shard 0 of 2 swept {} of {} links: {left:?}",
        orphans.len() - left.len(),
        orphans.len()
    );
    run(&runtime(), &backend, &job, Shard { index: 1, count: 2 })
        .await
        .unwrap();
    assert_eq!(links(), Vec::<String>::new());
    assert!(root.join("processed/new.txt.meta.json").exists());
}

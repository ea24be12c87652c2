//! The proxy between an aws-sdk-s3 client and the real local S3 server (SeaweedFS).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::primitives::ByteStream;
use docproc_s3proxy::{Fault, Plan, Proxy, Rule};
use docproc_testkit::{TestBucket, bucket, random_bytes, server};

const BODY_LEN: usize = 256 * 1024;

fn upstream() -> SocketAddr {
    let endpoint = &server().endpoint;
    endpoint
        .strip_prefix("http://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("{endpoint}: not http://IP:PORT"))
}

/// A client of the proxy with the server's credentials; `attempts` 1 turns retries off.
fn client(proxy: &Proxy, attempts: u32, timeouts: TimeoutConfig) -> Client {
    let s = server();
    let retry = if attempts <= 1 {
        RetryConfig::disabled()
    } else {
        RetryConfig::standard()
            .with_max_attempts(attempts)
            .with_initial_backoff(Duration::from_millis(10))
    };
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(docproc_testkit::http_client())
        .region(Region::new(s.region.clone()))
        .endpoint_url(proxy.endpoint())
        .credentials_provider(Credentials::new(
            &s.access_key,
            &s.secret_key,
            None,
            None,
            "s3proxy-test",
        ))
        .force_path_style(true)
        .retry_config(retry)
        .timeout_config(timeouts)
        .build();
    Client::from_conf(config)
}

fn no_retries(proxy: &Proxy) -> Client {
    client(proxy, 1, TimeoutConfig::disabled())
}

/// A bucket with one object "data.bin" of BODY_LEN bytes.
async fn seeded(test: &str) -> (TestBucket, Vec<u8>) {
    let b = bucket(test).await;
    let data = random_bytes(BODY_LEN, 7);
    b.put("data.bin", data.clone()).await;
    (b, data)
}

async fn get(client: &Client, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| format!("send: {}", DisplayErrorContext(&e)))?;
    let body = out
        .body
        .collect()
        .await
        .map_err(|e| format!("body: {}", DisplayErrorContext(&e)))?;
    Ok(body.to_vec())
}

async fn put(client: &Client, bucket: &str, key: &str, data: &[u8]) -> Result<(), String> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .map(drop)
        .map_err(|e| DisplayErrorContext(e).to_string())
}

#[tokio::test]
async fn forwards_requests_unchanged() {
    let (b, data) = seeded("proxy-forwards").await;
    let proxy = Proxy::start(upstream(), Plan::default()).await.unwrap();
    assert!(proxy.endpoint().starts_with("http://127.0.0.1:"));
    let c = no_retries(&proxy);
    // A signed PUT (with a body) and GET through the proxy: the signature still verifies.
    put(&c, &b.name, "via-proxy.bin", &data).await.unwrap();
    assert_eq!(get(&c, &b.name, "via-proxy.bin").await.unwrap(), data);
    let listed = c.list_objects_v2().bucket(&b.name).send().await.unwrap();
    assert_eq!(listed.key_count(), Some(2));
    let s = proxy.stats();
    assert_eq!((s.requests, s.forwarded, s.faults()), (3, 3, 0));
    assert_eq!((s.method("PUT"), s.method("GET")), (1, 2));
}

#[tokio::test]
async fn latency_is_added_to_every_request() {
    let (b, _) = seeded("proxy-latency").await;
    let proxy = Proxy::start(upstream(), Plan::default()).await.unwrap();
    let c = no_retries(&proxy);
    let timed = |n: u32| {
        let (c, name) = (c.clone(), b.name.clone());
        async move {
            let started = Instant::now();
            for _ in 0..n {
                c.head_object()
                    .bucket(&name)
                    .key("data.bin")
                    .send()
                    .await
                    .unwrap();
            }
            started.elapsed()
        }
    };
    timed(1).await; // connect once, outside the timings
    let fast = timed(5).await;
    proxy.set_plan(Plan::with_latency_ms(60));
    let slow = timed(5).await;
    assert!(
        slow >= Duration::from_millis(300),
        "5 requests at 60 ms took {slow:?}"
    );
    assert!(
        slow > fast + Duration::from_millis(250),
        "without {fast:?}, with {slow:?}"
    );

    proxy.set_plan(Plan::default());
    proxy.set_response_latency(Duration::from_millis(60));
    let on_responses = timed(5).await;
    assert!(
        on_responses >= Duration::from_millis(300),
        "response latency: {on_responses:?}"
    );
    assert_eq!(proxy.stats().requests, 16);
}

async fn proxy_with(rule: Rule) -> Proxy {
    let plan = Plan {
        rules: vec![rule],
        ..Plan::default()
    };
    Proxy::start(upstream(), plan).await.unwrap()
}

/// One GET of "data.bin" or PUT of "put.bin"; an error as the HTTP status and S3 code the
/// SDK saw.
async fn request(c: &Client, bucket: &str, method: &str) -> Result<(), (Option<u16>, String)> {
    fn seen<E: ProvideErrorMetadata + std::error::Error + 'static>(
        e: aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    ) -> (Option<u16>, String) {
        let status = e.raw_response().map(|r| r.status().as_u16());
        let code = e
            .code()
            .map_or_else(|| DisplayErrorContext(&e).to_string(), str::to_owned);
        (status, code)
    }
    match method {
        "GET" => c
            .get_object()
            .bucket(bucket)
            .key("data.bin")
            .send()
            .await
            .map(drop)
            .map_err(seen),
        _ => c
            .put_object()
            .bucket(bucket)
            .key("put.bin")
            .body(ByteStream::from(random_bytes(BODY_LEN, 1)))
            .send()
            .await
            .map(drop)
            .map_err(seen),
    }
}

#[tokio::test]
async fn error_replies_carry_s3s_status_and_code_once() {
    let cases = [
        (Fault::SlowDown, "GET", 503, "SlowDown"),
        // An upload is refused with its body unread, and the object is not written.
        (Fault::InternalError, "PUT", 500, "InternalError"),
    ];
    for (fault, method, status, code) in cases {
        let (b, _) = seeded("proxy-error-reply").await;
        let proxy = proxy_with(Rule::new(fault).method(method).times(1)).await;
        let c = no_retries(&proxy);
        let err = request(&c, &b.name, method).await.unwrap_err();
        assert_eq!(
            err,
            (Some(status), code.to_string()),
            "{fault:?} on {method}"
        );
        assert!(!b.keys().await.contains(&"put.bin".to_string()));
        // Used up: the next one goes through.
        request(&c, &b.name, method).await.unwrap();
        let s = proxy.stats();
        assert_eq!(
            (s.injected(fault), s.forwarded, s.requests),
            (1, 1, 2),
            "{fault:?}"
        );
    }
}

#[tokio::test]
async fn a_rule_skips_the_requests_it_is_told_to() {
    let b = bucket("proxy-skip").await;
    let proxy = proxy_with(
        Rule::new(Fault::InternalError)
            .method("PUT")
            .skip(1)
            .times(1),
    )
    .await;
    let c = no_retries(&proxy);
    let put = |key: &'static str| {
        c.put_object()
            .bucket(&b.name)
            .key(key)
            .body(ByteStream::from(random_bytes(BODY_LEN, 1)))
            .send()
    };
    put("first").await.unwrap();
    put("second").await.unwrap_err();
    put("third").await.unwrap();
    assert_eq!(b.keys().await, ["first", "third"]);
}

#[tokio::test]
async fn broken_bodies_fail_after_the_headers() {
    // (fault, whether the client sees a reset rather than a clean close)
    for (fault, reset) in [(Fault::ResetMidBody, true), (Fault::TruncatedBody, false)] {
        let (b, data) = seeded("proxy-body").await;
        let proxy = proxy_with(Rule::new(fault).method("GET").times(1)).await;
        let c = no_retries(&proxy);
        let err = get(&c, &b.name, "data.bin").await.unwrap_err();
        assert!(
            err.starts_with("body:"),
            "{fault:?}: the headers arrive, the body fails: {err}"
        );
        assert_eq!(
            err.to_lowercase().contains("reset"),
            reset,
            "{fault:?}: {err}"
        );
        assert_eq!(get(&c, &b.name, "data.bin").await.unwrap(), data);
        assert_eq!(proxy.stats().injected(fault), 1);
    }
}

#[tokio::test]
async fn stall_holds_the_request() {
    let (b, _) = seeded("proxy-stall").await;
    let proxy = proxy_with(
        Rule::new(Fault::Stall(Duration::from_secs(3)))
            .method("HEAD")
            .times(1),
    )
    .await;
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_millis(500))
        .build();
    let c = client(&proxy, 1, timeouts);
    let started = Instant::now();
    let err = c
        .head_object()
        .bucket(&b.name)
        .key("data.bin")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, aws_sdk_s3::error::SdkError::TimeoutError(_)),
        "{}",
        DisplayErrorContext(&err)
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    c.head_object()
        .bucket(&b.name)
        .key("data.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(proxy.stats().injected(Fault::Stall(Duration::ZERO)), 1);
}

#[tokio::test]
async fn standard_retries_recover_from_every_transient_fault() {
    let (b, data) = seeded("proxy-retries").await;
    let proxy = Proxy::start(upstream(), Plan::default()).await.unwrap();
    let c = client(&proxy, 5, TimeoutConfig::disabled());
    let cases = [
        (Fault::SlowDown, "GET"),
        (Fault::InternalError, "GET"),
        (Fault::ResetMidBody, "HEAD"),
        (Fault::ResetMidBody, "PUT"),
        (Fault::ResetMidBody, "LIST"),
        (Fault::TruncatedBody, "LIST"),
    ];
    for (fault, method) in cases {
        let before = proxy.stats();
        let rule = match method {
            // ListObjectsV2: a body the SDK reads inside its retry loop.
            "LIST" => Rule::new(fault).method("GET").query_contains("list-type=2"),
            m => Rule::new(fault).method(m),
        };
        proxy.set_plan(Plan {
            rules: vec![rule.times(2)],
            ..Plan::default()
        });
        match method {
            "LIST" => {
                let listed = c.list_objects_v2().bucket(&b.name).send().await.unwrap();
                assert!(listed.key_count().unwrap_or(0) >= 1);
            }
            "GET" => assert_eq!(get(&c, &b.name, "data.bin").await.unwrap(), data),
            "HEAD" => {
                c.head_object()
                    .bucket(&b.name)
                    .key("data.bin")
                    .send()
                    .await
                    .unwrap();
            }
            _ => {
                put(&c, &b.name, "retried.bin", &data).await.unwrap();
            }
        }
        let s = &proxy.stats() - &before;
        assert_eq!(s.injected(fault), 2, "{fault:?} on {method}: {s:?}");
        assert_eq!(
            s.requests, 3,
            "two failed attempts, then one that worked: {s:?}"
        );
    }
    assert_eq!(b.get("retried.bin").await.unwrap(), data);
}

#[tokio::test]
async fn stops_on_drop() {
    let proxy = Proxy::start(upstream(), Plan::default()).await.unwrap();
    let addr = proxy.addr();
    tokio::net::TcpStream::connect(addr).await.unwrap();
    drop(proxy);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn refuses_to_listen_beyond_loopback() {
    let err = Proxy::start_on("0.0.0.0:0".parse().unwrap(), upstream(), Plan::default())
        .await
        .err()
        .expect("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

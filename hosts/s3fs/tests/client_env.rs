//! `client_from_env` picks endpoint, region and credentials from the standard AWS
//! environment variables. Its own test binary with one test: it sets process environment
//! variables, which is only sound while no other thread runs.

mod common;

use docproc_s3fs::{Config, CreateMode, S3Fs, client_from_env};

#[test]
fn client_from_env_uses_the_standard_variables() {
    let server = common::server();
    // SAFETY: the only test in this binary, run before any other thread of ours starts.
    unsafe {
        std::env::set_var("AWS_ENDPOINT_URL", &server.endpoint);
        std::env::set_var("AWS_ACCESS_KEY_ID", &server.access_key);
        std::env::set_var("AWS_SECRET_ACCESS_KEY", &server.secret_key);
        std::env::set_var("AWS_REGION", &server.region);
        std::env::remove_var("AWS_PROFILE");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let bucket = common::bucket("client-env").await;
        let client = client_from_env(None, None, true).await;
        let fs = S3Fs::new(
            client,
            Config {
                bucket: bucket.name.clone(),
                ..Config::default()
            },
        );
        let mut w = fs.create("hello", CreateMode::Create).await.unwrap();
        w.write(0, b"from env").await.unwrap();
        w.finish().await.unwrap();
        assert_eq!(bucket.get("hello").await.unwrap(), b"from env");

        // Explicit arguments win over the environment.
        let client = client_from_env(Some(&server.endpoint), Some("us-east-1"), true).await;
        let fs = S3Fs::new(
            client,
            Config {
                bucket: bucket.name.clone(),
                ..Config::default()
            },
        );
        assert_eq!(fs.stat("hello").await.unwrap().size, 8);
    });
}

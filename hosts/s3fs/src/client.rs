use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

/// Attempts per request, the first included, before an error reaches the caller.
const MAX_ATTEMPTS: u32 = 5;

/// How long one S3 request may take, chosen for AWS. A connection opens in milliseconds
/// within a region; 5 s is many lost SYNs. Response headers come within a second even
/// for a 5 GiB CopyObject (S3 answers 200 at once and sends the result when the copy is
/// done), so 30 s without them is a server that stopped answering. The largest response
/// docproc waits on whole is that copy's, at S3's internal copy rate of several hundred
/// MiB/s: 5 minutes bounds it. A body read (an 8 MiB ranged GET) gets the same read bound
/// from `Inner::get_range`. A timed-out attempt is retried like any transient error.
pub const S3_TIMEOUTS: S3Timeouts = S3Timeouts {
    connect: Duration::from_secs(5),
    read: Duration::from_secs(30),
    attempt: Duration::from_secs(300),
};

#[derive(Debug, Clone, Copy)]
pub struct S3Timeouts {
    pub connect: Duration,
    /// From a request sent to its response's first byte.
    pub read: Duration,
    /// One attempt, first byte of the request to last byte of the response.
    pub attempt: Duration,
}

impl S3Timeouts {
    pub fn config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .read_timeout(self.read)
            .operation_attempt_timeout(self.attempt)
            .build()
    }
}

/// A client from the standard AWS chain (environment variables, profiles, SSO, IMDS, ...),
/// with standard-mode retries (5 attempts, exponential backoff with jitter) so throttling
/// and transient network errors are retried before a file operation fails.
///
/// `endpoint_url` and `region` override the chain; `force_path_style` is needed for most
/// S3-compatible servers (SeaweedFS, MinIO) reached by IP address.
pub async fn client_from_env(
    endpoint_url: Option<&str>,
    region: Option<&str>,
    force_path_style: bool,
) -> aws_sdk_s3::Client {
    let retry = RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_backoff(Duration::from_secs(5));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .timeout_config(S3_TIMEOUTS.config())
        .retry_config(retry);
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_owned()));
    }
    if let Some(endpoint) = endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    let shared = loader.load().await;
    let config = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(force_path_style)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The HTTPS client every S3 client in docproc uses (the credential chain's too): hyper with
/// rustls on ring and the system's root certificates. Chosen here, not by the SDK's default
/// features, so no build compiles aws-lc from C.
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

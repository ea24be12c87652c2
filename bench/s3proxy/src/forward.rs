//! Each request: count it, hold it for the latency, pick a fault, then answer or forward.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONNECTION, HeaderName};
use http::{Request, Response, Uri};
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::io::ConnControl;
use crate::plan::{Active, Fault, Plan};
use crate::stats::Counters;
use crate::{clock, fault};

/// Why the proxy could not answer a request, or a body it sends failed on purpose. A concrete
/// type rather than `Box<dyn Error>`, whose elided lifetime trips the compiler's checks of
/// the spawned connection futures.
#[derive(Debug)]
pub(crate) struct ProxyError(pub String);

impl std::fmt::Display for ProxyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProxyError {}

pub(crate) type ProxyBody = BoxBody<Bytes, ProxyError>;

pub(crate) struct Shared {
    pub upstream: SocketAddr,
    pub plan: Mutex<Active>,
    pub response_latency: Mutex<Duration>,
    /// Seconds added to every time in a response.
    pub clock_offset: Mutex<i64>,
    pub stats: Counters,
    client: Client<HttpConnector, Incoming>,
}

impl Shared {
    pub fn new(upstream: SocketAddr, plan: Plan) -> Shared {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Shared {
            upstream,
            plan: Mutex::new(Active::new(plan)),
            response_latency: Mutex::new(Duration::ZERO),
            clock_offset: Mutex::new(0),
            stats: Counters::default(),
            client,
        }
    }
}

/// Hop-by-hop headers: they describe one connection, not the request.
const HOP_BY_HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

pub(crate) async fn handle(
    shared: Arc<Shared>,
    control: Arc<ConnControl>,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, ProxyError> {
    let method = req.method().as_str().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    shared.stats.request(&method);
    let (latency, fault) = {
        let mut plan = crate::lock(&shared.plan);
        (plan.latency, plan.pick(&method, req.uri().path(), &query))
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(fault) = fault {
        shared.stats.fault(fault);
    }
    let response = match fault {
        Some(
            f @ (Fault::SlowDown
            | Fault::InternalError
            | Fault::AccessDenied
            | Fault::NoSuchKey
            | Fault::Archived
            | Fault::SseCustomerKey),
        ) => {
            // Read the request body first, so the client is not cut off mid-upload and
            // sees the error response, as it would from S3.
            let _ = req.into_body().collect().await;
            return Ok(fault::error_response(f));
        }
        Some(Fault::Stall(d)) => {
            tokio::time::sleep(d).await;
            forward(&shared, req).await
        }
        Some(f @ (Fault::ResetMidBody | Fault::TruncatedBody)) => {
            let response = match forward(&shared, req).await {
                Ok(response) => response,
                Err(e) => return Ok(fault::bad_gateway(&e)),
            };
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(boxed)?.to_bytes();
            if f == Fault::ResetMidBody {
                control.reset_on_close();
            }
            if body.len() < 2 {
                // Nothing to cut: end the connection before the response instead.
                return Err(ProxyError(format!("{} before the response", f.name())));
            }
            return Ok(Response::from_parts(parts, fault::cut_body(body, f)));
        }
        None => forward(&shared, req).await,
    };
    let mut response = match response {
        Ok(response) => response,
        Err(e) => return Ok(fault::bad_gateway(&e)),
    };
    strip_hop_by_hop(response.headers_mut());
    let offset = *crate::lock(&shared.clock_offset);
    let response = match offset {
        0 => response.map(|b| b.map_err(boxed).boxed()),
        _ => skew(response, offset, &method, &query).await?,
    };
    let response_latency = *crate::lock(&shared.response_latency);
    if !response_latency.is_zero() {
        tokio::time::sleep(response_latency).await;
    }
    Ok(response)
}

/// The response as from a store whose clock is `offset` seconds off.
async fn skew(
    response: Response<Incoming>,
    offset: i64,
    method: &str,
    query: &str,
) -> Result<Response<ProxyBody>, ProxyError> {
    let (mut parts, body) = response.into_parts();
    clock::shift_headers(&mut parts.headers, offset);
    if !clock::body_has_times(method, query, &parts.headers) {
        return Ok(Response::from_parts(parts, body.map_err(boxed).boxed()));
    }
    let body = body.collect().await.map_err(boxed)?.to_bytes();
    let body = clock::shift_body(&body, offset, &mut parts.headers);
    let body = http_body_util::Full::new(body)
        .map_err(|never| match never {})
        .boxed();
    Ok(Response::from_parts(parts, body))
}

async fn forward(
    shared: &Shared,
    req: Request<Incoming>,
) -> Result<Response<Incoming>, ProxyError> {
    let (mut parts, body) = req.into_parts();
    let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    parts.uri = Uri::builder()
        .scheme("http")
        .authority(shared.upstream.to_string())
        .path_and_query(path_and_query)
        .build()
        .map_err(boxed)?;
    // The Host header stays the client's: it is part of the SigV4 signature.
    strip_hop_by_hop(&mut parts.headers);
    shared.stats.forwarded();
    shared
        .client
        .request(Request::from_parts(parts, body))
        .await
        .map_err(boxed)
}

fn strip_hop_by_hop(headers: &mut http::HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::try_from(name.trim()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

fn boxed<E: std::fmt::Display>(e: E) -> ProxyError {
    ProxyError(e.to_string())
}

//! The responses of a failing S3: error documents, and bodies cut short.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};

use crate::forward::{ProxyBody, ProxyError};
use crate::plan::Fault;

/// How long a cut body waits after its first half before failing, so the half is flushed
/// to the client before the connection ends.
const FLUSH_PAUSE: Duration = Duration::from_millis(50);

/// An S3 error document with this status and code, as S3 sends it.
pub(crate) fn error_response(fault: Fault) -> Response<ProxyBody> {
    let (status, code, message) = match fault {
        Fault::SlowDown => (
            StatusCode::SERVICE_UNAVAILABLE,
            "SlowDown",
            "Please reduce your request rate.",
        ),
        Fault::AccessDenied => (StatusCode::FORBIDDEN, "AccessDenied", "Access Denied"),
        Fault::NoSuchKey => (
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        ),
        Fault::Archived => (
            StatusCode::FORBIDDEN,
            "InvalidObjectState",
            "The operation is not valid for the object's storage class",
        ),
        Fault::SseCustomerKey => (
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "The object was stored using a form of Server Side Encryption. \
             The correct parameters must be provided to retrieve the object.",
        ),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "We encountered an internal error. Please try again.",
        ),
    };
    xml_error(status, code, message)
}

/// The server could not be reached: 502, so the client sees a server-side error.
pub(crate) fn bad_gateway(err: &ProxyError) -> Response<ProxyBody> {
    xml_error(
        StatusCode::BAD_GATEWAY,
        "BadGateway",
        &format!("docproc-s3proxy: upstream failed: {err}"),
    )
}

fn xml_error(status: StatusCode, code: &str, message: &str) -> Response<ProxyBody> {
    static REQUEST_ID: AtomicU64 = AtomicU64::new(1);
    let id = format!("S3PROXY{:016X}", REQUEST_ID.fetch_add(1, Ordering::Relaxed));
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message>\
         <RequestId>{id}</RequestId></Error>",
        escape(message)
    );
    Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .header("content-length", body.len())
        .header("x-amz-request-id", id)
        .body(
            Full::new(Bytes::from(body))
                .map_err(|never| match never {})
                .boxed(),
        )
        .expect("valid response")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The first half of `body`, then a pause, then an error that makes the server end the
/// connection (reset or closed, as the connection's control says). The response keeps the
/// server's Content-Length, so the client knows its body is short.
pub(crate) fn cut_body(body: Bytes, fault: Fault) -> ProxyBody {
    let half = body.slice(..body.len() / 2);
    CutBody {
        first: Some(half),
        pause: Box::pin(tokio::time::sleep(FLUSH_PAUSE)),
        fault,
    }
    .boxed()
}

struct CutBody {
    first: Option<Bytes>,
    pause: Pin<Box<tokio::time::Sleep>>,
    fault: Fault,
}

impl Body for CutBody {
    type Data = Bytes;
    type Error = ProxyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, ProxyError>>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        match self.pause.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Some(Err(ProxyError(format!(
                "docproc-s3proxy: {}",
                self.fault.name()
            ))))),
        }
    }

    fn is_end_stream(&self) -> bool {
        false
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

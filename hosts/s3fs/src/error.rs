use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Errors in file terms. S3 failures become [`FsError::Io`], naming the key and the S3 error
/// code so a log line is enough to find the object; credentials never reach these messages.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("already exists: {0}")]
    Exists(String),
    #[error("not a directory: {0}")]
    NotDir(String),
    #[error("is a directory: {0}")]
    IsDir(String),
    #[error("directory not empty: {0}")]
    NotEmpty(String),
    #[error("invalid path or argument: {0}")]
    Invalid(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// This object is refused to these credentials (a bucket policy, an ACL, a KMS key),
    /// while the store answers other requests: a property of the object, not an outage.
    #[error("access denied to key {key}: {message}")]
    Denied { key: String, message: String },
    #[error("S3 error on key {key}: {message}")]
    Io { key: String, message: String },
}

impl FsError {
    pub(crate) fn io(key: &str, message: impl Into<String>) -> FsError {
        FsError::Io {
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

/// HTTP status of a failed request, when the server answered at all.
pub(crate) fn status<E>(err: &SdkError<E>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

/// HEAD answers carry no body, so a missing key is seen only as a 404 status.
pub(crate) fn is_not_found<E>(err: &SdkError<E>) -> bool {
    status(err) == Some(404)
}

/// A conditional write lost to an existing key (412), or to a concurrent conditional write (409).
pub(crate) fn is_precondition_failed<E>(err: &SdkError<E>) -> bool {
    matches!(status(err), Some(412) | Some(409))
}

/// `op` names the S3 operation so the message reads e.g. "GetObject: NoSuchKey (404): ...".
pub(crate) fn s3_error<E>(op: &str, key: &str, err: SdkError<E>) -> FsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = status(&err);
    // The object is gone (another client moved or deleted it since we
    // listed): that is a missing file, not a failing store.
    if err
        .as_service_error()
        .is_some_and(|e| e.code() == Some("NoSuchKey"))
    {
        return FsError::NotFound(key.to_owned());
    }
    let code = err.as_service_error().and_then(|e| e.code());
    // Bad credentials or signatures are 403 too, but they refuse everything: those stay Io.
    let denied = code == Some("AccessDenied") || (status == Some(403) && code.is_none());
    let message = match err.as_service_error() {
        Some(service) => {
            let code = service.code().unwrap_or("Unknown");
            let detail = service.message().unwrap_or("");
            match status {
                Some(s) => format!("{op}: {code} ({s}): {detail}"),
                None => format!("{op}: {code}: {detail}"),
            }
        }
        None => match status {
            Some(s) => format!("{op}: HTTP {s}: {}", DisplayErrorContext(&err)),
            None => format!("{op}: {}", DisplayErrorContext(&err)),
        },
    };
    if denied {
        return FsError::Denied {
            key: key.to_owned(),
            message,
        };
    }
    FsError::io(key, message)
}

/// A failed upload; with `If-None-Match: *` a lost race means the key exists.
pub(crate) fn write_error<E>(op: &str, key: &str, exclusive: bool, err: SdkError<E>) -> FsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if exclusive && is_precondition_failed(&err) {
        FsError::Exists(key.to_owned())
    } else {
        s3_error(op, key, err)
    }
}

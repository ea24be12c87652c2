use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Errors in file terms. S3 failures become [`Error::Io`], naming the key and the S3 error
/// code so a log line is enough to find the object; credentials never reach these messages.
#[derive(Debug, thiserror::Error)]
pub enum Error {
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
    /// The key would pass S3's 1,024 bytes.
    #[error("name too long: {0}")]
    NameTooLong(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// This object is refused to these credentials (a bucket policy, an ACL, a KMS key), or
    /// S3 will not serve it as it is (archived, SSE-C), while the store answers other
    /// requests: a property of the object, not an outage.
    #[error("access denied to key {key}: {message}")]
    Denied { key: String, message: String },
    #[error("S3 error on key {key}: {message}")]
    Io { key: String, message: String },
}

impl Error {
    pub(crate) fn io(key: &str, message: impl Into<String>) -> Error {
        Error::Io {
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

/// What a failed request means to a file system, by the rules in [`classify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// The key is not there (anymore).
    Missing,
    /// These credentials may not touch this object, while the store answers others.
    Denied,
    /// S3 will not serve this object as it is: archived, or encrypted with a key only
    /// its uploader holds. A property of the object, like `Denied`.
    Unservable,
    /// The key is longer than S3 allows.
    TooLong,
    /// Anything else: the store failed, and a later run may succeed.
    Failed,
}

/// The one table from an S3 answer (status, error code) to what it means. HEAD answers
/// carry no body and so no code: their status alone decides.
pub(crate) fn classify(status: Option<u16>, code: Option<&str>) -> Class {
    match (status, code) {
        (_, Some("NoSuchKey")) | (Some(404), None) => Class::Missing,
        (_, Some("AccessDenied")) => Class::Denied,
        // Bad credentials or signatures are 403 too, but carry their own codes
        // (InvalidAccessKeyId, SignatureDoesNotMatch) and refuse everything.
        (Some(403), None) => Class::Denied,
        (_, Some("InvalidObjectState")) => Class::Unservable,
        // An SSE-C object read without its key: GetObject says InvalidRequest, a HEAD says 400.
        (Some(400), Some("InvalidRequest") | None) => Class::Unservable,
        (_, Some("KeyTooLongError")) => Class::TooLong,
        _ => Class::Failed,
    }
}

/// `op` names the S3 operation so the message reads e.g. "GetObject: NoSuchKey (404): ...".
pub(crate) fn s3_error<E>(op: &str, key: &str, err: SdkError<E>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = status(&err);
    let code = err.as_service_error().and_then(|e| e.code());
    let class = classify(status, code);
    if class == Class::Missing {
        return Error::NotFound(key.to_owned());
    }
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
    let key = key.to_owned();
    match class {
        Class::Missing => unreachable!("answered above"),
        Class::Denied | Class::Unservable => Error::Denied { key, message },
        Class::TooLong => Error::NameTooLong(key),
        Class::Failed => Error::Io { key, message },
    }
}

/// A failed upload; with `If-None-Match: *` a lost race means the key exists.
pub(crate) fn write_error<E>(op: &str, key: &str, exclusive: bool, err: SdkError<E>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if exclusive && is_precondition_failed(&err) {
        Error::Exists(key.to_owned())
    } else {
        s3_error(op, key, err)
    }
}

#[cfg(test)]
mod tests {
    use super::{Class, classify};

    #[test]
    fn s3_answers_mean_what_aws_documents() {
        let table = [
            (Some(404), Some("NoSuchKey"), Class::Missing),
            (Some(404), None, Class::Missing),
            (Some(404), Some("NoSuchBucket"), Class::Failed),
            (Some(403), Some("AccessDenied"), Class::Denied),
            (Some(403), None, Class::Denied),
            (Some(403), Some("InvalidAccessKeyId"), Class::Failed),
            (Some(403), Some("SignatureDoesNotMatch"), Class::Failed),
            (Some(403), Some("InvalidObjectState"), Class::Unservable),
            (Some(400), Some("InvalidRequest"), Class::Unservable),
            (Some(400), None, Class::Unservable),
            (Some(400), Some("KeyTooLongError"), Class::TooLong),
            (Some(400), Some("InvalidBucketName"), Class::Failed),
            (Some(503), Some("SlowDown"), Class::Failed),
            (Some(500), Some("InternalError"), Class::Failed),
            (None, None, Class::Failed),
        ];
        for (status, code, want) in table {
            assert_eq!(classify(status, code), want, "{status:?} {code:?}");
        }
    }
}

//! Errors as Lambda reports them: `errorType` says what to fix (the event,
//! the function's environment, the storage behind it, or the run itself).

use lambda_runtime::Diagnostic;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The event: unknown mode, unknown or mistyped field, bad shard.
    BadEvent,
    /// The environment: neither or both of MOUNT_PATH and BUCKET.
    Misconfigured,
    /// The mount is not there, or the bucket does not answer.
    BackendUnavailable,
    /// The workload failed (missing root, storage error, limits).
    RunFailed,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::BadEvent => "BadEvent",
            ErrorKind::Misconfigured => "Misconfigured",
            ErrorKind::BackendUnavailable => "BackendUnavailable",
            ErrorKind::RunFailed => "RunFailed",
        }
    }

    /// Everything but a failed run is found before any document is touched.
    pub fn refused_before_work(self) -> bool {
        self != ErrorKind::RunFailed
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.as_str())]
pub struct HandlerError {
    pub kind: ErrorKind,
    pub message: String,
}

impl HandlerError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> HandlerError {
        HandlerError {
            kind,
            message: message.into(),
        }
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(e: HandlerError) -> Diagnostic {
        Diagnostic {
            error_type: e.kind.as_str().to_string(),
            error_message: e.message,
        }
    }
}

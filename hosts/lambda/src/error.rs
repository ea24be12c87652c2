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
    /// An event named objects this invocation could not take yet: another host holds
    /// their claim, or the mount does not show them yet. The rest is done; deliver the
    /// event again (Lambda's async retries and Step Functions' `Retry` do).
    NotReady,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::BadEvent => "BadEvent",
            ErrorKind::Misconfigured => "Misconfigured",
            ErrorKind::BackendUnavailable => "BackendUnavailable",
            ErrorKind::RunFailed => "RunFailed",
            ErrorKind::NotReady => "NotReady",
        }
    }

    /// Everything but a failed or partial run is found before any document is touched.
    pub fn refused_before_work(self) -> bool {
        !matches!(self, ErrorKind::RunFailed | ErrorKind::NotReady)
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

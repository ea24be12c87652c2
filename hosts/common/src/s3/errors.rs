//! The one place S3 failures become what the guest sees. Host methods return
//! [`WasiError`] and use `?`; an S3 failure keeps its message (which names the key) until
//! the bindings ask for the guest's error code, and is noted for the run's report then.
//! Stream errors take the same road through `filesystem-error-code`.

use std::collections::BTreeMap;

use docproc_s3fs::Error as S3Error;
use wasmtime::component::ResourceTableError;

use super::bindings::wasi::filesystem::types::ErrorCode;
use crate::report::{Outcome, Report};

/// What a `wasi:filesystem` method failed with.
#[derive(Debug)]
pub enum WasiError {
    /// Decided by the host's own rules (a flag the store cannot honour, a path outside the
    /// root).
    Code(ErrorCode),
    /// The store's answer, still to be noted.
    S3(S3Error),
    /// The guest broke the interface's contract (a handle it does not own): a trap.
    Trap(wasmtime::Error),
}

pub type WasiResult<T> = Result<T, WasiError>;

impl From<ErrorCode> for WasiError {
    fn from(code: ErrorCode) -> Self {
        WasiError::Code(code)
    }
}

impl From<S3Error> for WasiError {
    fn from(e: S3Error) -> Self {
        WasiError::S3(e)
    }
}

impl From<ResourceTableError> for WasiError {
    fn from(e: ResourceTableError) -> Self {
        WasiError::Trap(e.into())
    }
}

/// An S3 failure in file-system terms.
fn code_of(e: &S3Error) -> ErrorCode {
    match e {
        S3Error::NotFound(_) => ErrorCode::NoEntry,
        S3Error::Exists(_) => ErrorCode::Exist,
        S3Error::NotDir(_) => ErrorCode::NotDirectory,
        S3Error::IsDir(_) => ErrorCode::IsDirectory,
        S3Error::NotEmpty(_) => ErrorCode::NotEmpty,
        S3Error::Invalid(_) => ErrorCode::Invalid,
        S3Error::NameTooLong(_) => ErrorCode::NameTooLong,
        S3Error::Unsupported(_) => ErrorCode::Unsupported,
        S3Error::Denied { .. } => ErrorCode::Access,
        S3Error::Io { .. } => ErrorCode::Io,
    }
}

/// What the guest only sees as error codes, kept for the run's report.
#[derive(Default)]
pub(crate) struct Noted {
    /// The last S3 failure, with its key.
    pub(crate) last_error: Option<String>,
    pub(crate) refusals: Refusals,
}

impl Noted {
    pub(crate) fn note(&mut self, e: &S3Error) -> ErrorCode {
        match e {
            S3Error::Denied { key, message } => {
                tracing::warn!(error = %e, "S3 refused access");
                self.refusals.note(key, message);
            }
            S3Error::Io { .. } => tracing::warn!(error = %e, "S3 request failed"),
            _ => {}
        }
        self.last_error = Some(e.to_string());
        code_of(e)
    }

    /// The guest's code for a method's failure; a trap stays a trap.
    pub(crate) fn code(&mut self, e: WasiError) -> wasmtime::Result<ErrorCode> {
        match e {
            WasiError::Code(code) => Ok(code),
            WasiError::S3(e) => Ok(self.note(&e)),
            WasiError::Trap(trap) => Err(trap),
        }
    }
}

/// Why S3 refused objects, in S3's words (AccessDenied, InvalidObjectState, ...), which
/// the guest sees only as "access denied": the run's report gives each failed document
/// its own cause.
#[derive(Default)]
pub(crate) struct Refusals(BTreeMap<String, String>);

impl Refusals {
    /// Enough for every document of a run to fail, but bounded.
    const MAX: usize = 4096;

    fn note(&mut self, key: &str, message: &str) {
        if self.0.len() < Self::MAX {
            self.0.insert(key.to_owned(), message.to_owned());
        }
    }

    /// Adds S3's cause to the reason of each failed document it refused.
    pub(crate) fn explain(&self, report: &mut Report) {
        let Report::ProcessInbox(r) = report else {
            return;
        };
        for doc in &mut r.documents {
            if let Outcome::Failed(reason) = &mut doc.outcome {
                let inbox_key = format!("{}/{}", crate::layout::INBOX, doc.name);
                let below = format!("/{inbox_key}");
                if let Some(cause) = self
                    .0
                    .iter()
                    .find_map(|(k, m)| (*k == inbox_key || k.ends_with(&below)).then_some(m))
                {
                    reason.push_str(&format!(" ({cause})"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_s3_failure_has_its_code() {
        let key = || "inbox/a.txt".to_string();
        let table = [
            (S3Error::NotFound(key()), ErrorCode::NoEntry),
            (S3Error::Exists(key()), ErrorCode::Exist),
            (S3Error::NotDir(key()), ErrorCode::NotDirectory),
            (S3Error::IsDir(key()), ErrorCode::IsDirectory),
            (S3Error::NotEmpty(key()), ErrorCode::NotEmpty),
            (S3Error::Invalid(key()), ErrorCode::Invalid),
            (S3Error::NameTooLong(key()), ErrorCode::NameTooLong),
            (S3Error::Unsupported(key()), ErrorCode::Unsupported),
            (
                S3Error::Denied {
                    key: key(),
                    message: "AccessDenied".into(),
                },
                ErrorCode::Access,
            ),
            (
                S3Error::Io {
                    key: key(),
                    message: "SlowDown".into(),
                },
                ErrorCode::Io,
            ),
        ];
        for (e, code) in table {
            assert_eq!(code_of(&e), code, "{e}");
        }
    }

    #[test]
    fn a_noted_failure_keeps_its_key_and_a_refusal_its_cause() {
        let mut noted = Noted::default();
        let denied = S3Error::Denied {
            key: "p/inbox/a.txt".into(),
            message: "InvalidObjectState".into(),
        };
        assert_eq!(noted.code(denied.into()).unwrap(), ErrorCode::Access);
        assert!(
            noted
                .last_error
                .as_deref()
                .unwrap()
                .contains("p/inbox/a.txt")
        );
        assert_eq!(
            noted.code(ErrorCode::Unsupported.into()).unwrap(),
            ErrorCode::Unsupported
        );
        let trap = WasiError::Trap(wasmtime::Error::msg("not the guest's handle"));
        assert!(noted.code(trap).is_err());
        assert_eq!(noted.refusals.0["p/inbox/a.txt"], "InvalidObjectState");
    }
}

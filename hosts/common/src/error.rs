use std::path::PathBuf;

/// Failures a user can act on. Each names the file, directory or key.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("{path}: no such directory")]
    NoSuchDir { path: PathBuf },
    #[error("{path}: not a directory")]
    NotADir { path: PathBuf },
    /// A path from an event or a flag that would lead out of the directory it is relative
    /// to: absolute, with a `..` component, or through a symlink.
    #[error(
        "{path}: outside the root: give a path relative to it, without '..', that no symlink leads out of"
    )]
    OutsideRoot { path: String },
    #[error("{path}: cannot read component: {source}")]
    ComponentUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: not a usable docproc component: {reason}")]
    BadComponent { origin: String, reason: String },
    #[error("{location}: {message}")]
    Workload {
        kind: String,
        location: String,
        message: String,
    },
    #[error("the workload ran longer than the {seconds}s time limit and was stopped{}", waiting_on(.pending))]
    Timeout {
        seconds: f64,
        /// Requests still unanswered when it was stopped, as "GetObject s3://bucket/key".
        pending: Vec<String>,
    },
    #[error("the workload needed more than the {mib} MiB memory limit and was stopped")]
    OutOfMemory { mib: u64 },
    #[error("invalid shard {index} of {count}: index must be below count, count at least 1")]
    BadShard { index: u32, count: u32 },
}

fn waiting_on(pending: &[String]) -> String {
    match pending {
        [] => String::new(),
        [one] => format!(", waiting on {one}"),
        [first, rest @ ..] => format!(", waiting on {first} and {} more", rest.len()),
    }
}

/// Process exit codes, documented in the CLI's --help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Ok = 0,
    /// The run could not complete: missing directory, store failure, limits.
    Failed = 1,
    /// Bad command line.
    Usage = 2,
    /// The run completed, but some documents were moved to `failed/`.
    DocumentsFailed = 3,
    /// The component file is missing, corrupt or built for another world.
    BadComponent = 4,
}

impl HostError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            HostError::ComponentUnreadable { .. } | HostError::BadComponent { .. } => {
                ExitCode::BadComponent
            }
            HostError::BadShard { .. } | HostError::OutsideRoot { .. } => ExitCode::Usage,
            _ => ExitCode::Failed,
        }
    }
}

/// The exit code for any error a host returns.
pub fn exit_code_of(err: &anyhow::Error) -> ExitCode {
    err.chain()
        .find_map(|e| e.downcast_ref::<HostError>())
        .map_or(ExitCode::Failed, HostError::exit_code)
}

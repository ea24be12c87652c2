use std::path::PathBuf;

/// Failures a user can act on. Each names the file, directory or key.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("{path}: no such directory")]
    NoSuchDir { path: PathBuf },
    #[error("{path}: not a directory")]
    NotADir { path: PathBuf },
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
    #[error("the workload ran longer than the {seconds}s time limit and was stopped")]
    Timeout { seconds: f64 },
    #[error("the workload needed more than the {mib} MiB memory limit and was stopped")]
    OutOfMemory { mib: u64 },
    #[error("invalid shard {index} of {count}: index must be below count, count at least 1")]
    BadShard { index: u32, count: u32 },
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
            HostError::BadShard { .. } => ExitCode::Usage,
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

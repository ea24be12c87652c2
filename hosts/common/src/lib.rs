//! What every docproc host shares: the engine and its compiled-component
//! cache, the backends the core can run over, and the reports.

pub mod backend;
mod bindings;
mod cache;
mod clock;
mod dirents;
pub mod error;
mod files;
mod limits;
pub mod local;
pub mod report;
pub mod runtime;
pub mod s3;
pub mod seed;
pub mod status;
pub mod workload;

/// The names of the core's directories and the files it writes beside documents.
pub use docproc_core::layout;

pub use backend::Backend;
pub use error::{ExitCode, HostError};
pub use report::{Report, RunReport};
pub use runtime::{ComponentSource, Runtime, RuntimeOptions};
pub use workload::{Claims, Job, Shard, Shards, check_shard, hash_parallel, run, run_job};

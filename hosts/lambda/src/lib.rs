//! docproc in AWS Lambda: the core component every host runs, over the S3
//! Files mount (`MOUNT_PATH`) or the S3 API (`BUCKET`, `PREFIX`), with JSON
//! logs, EMF metrics and a report per invocation.

pub mod config;
pub mod delivery;
pub mod emf;
pub mod error;
pub mod event;
pub mod handler;
pub mod logging;
pub mod metrics;
pub mod summary;
pub mod trigger;

pub use config::{Approach, BackendConfig, EventScope};
pub use error::{ErrorKind, HandlerError};
pub use handler::{Invocation, Reply, Response, State, handle};

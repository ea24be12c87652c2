use std::path::PathBuf;
use std::sync::Arc;

use crate::s3::S3Backend;

/// Where the core's preopened root lives. Cheap to clone.
#[derive(Clone)]
pub enum Backend {
    /// A directory: local disk, or a mounted S3 Files / Mountpoint / s3fs path.
    Local(PathBuf),
    /// A bucket prefix, through the S3 API.
    S3(Arc<S3Backend>),
}

impl Backend {
    /// Names the backend in reports, e.g. `dir:/mnt/s3files`.
    pub fn describe(&self) -> String {
        match self {
            Backend::Local(dir) => format!("dir:{}", dir.display()),
            Backend::S3(s3) => s3.url.clone(),
        }
    }

    /// Turns a path the core reported (relative to its root) into one the
    /// user can find.
    pub fn locate(&self, rel: &str) -> String {
        match self {
            Backend::Local(dir) => dir.join(rel).display().to_string(),
            Backend::S3(s3) => s3.locate(rel),
        }
    }
}

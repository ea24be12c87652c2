use std::path::PathBuf;

/// Where the core's preopened root lives.
pub enum Backend {
    /// A directory: local disk, or a mounted S3 Files / Mountpoint / s3fs path.
    Local(PathBuf),
}

impl Backend {
    /// Names the backend in reports, e.g. `dir:/mnt/s3files`.
    pub fn describe(&self) -> String {
        match self {
            Backend::Local(dir) => format!("dir:{}", dir.display()),
        }
    }

    /// Turns a path the core reported (relative to its root) into one the
    /// user can find.
    pub fn locate(&self, rel: &str) -> String {
        match self {
            Backend::Local(dir) => dir.join(rel).display().to_string(),
        }
    }
}

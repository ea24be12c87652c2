//! Everything the benchmark starts and must stop: the S3 server, the latency proxy, the FUSE
//! mounts and the work directory. Each is a guard that stops or unmounts on drop, so a
//! failure or Ctrl-C cleans up as a normal end does.

pub mod fuse;
pub mod mountpoint;
pub mod proxy;
pub mod s3fs;
pub mod server;
pub mod weed;
pub mod workdir;

use std::path::{Path, PathBuf};

use crate::s3::{Creds, Place};

pub use fuse::FuseMount;

/// What a FUSE client needs to mount one place.
pub struct MountSpec<'a> {
    pub place: &'a Place,
    /// The S3 endpoint (the server, or the latency proxy in front of it).
    pub endpoint: &'a str,
    pub region: &'a str,
    pub creds: &'a Creds,
    /// A name unique within the run, for the mount directory and the log.
    pub tag: String,
    pub work: &'a Path,
}

impl MountSpec<'_> {
    pub fn dir(&self) -> PathBuf {
        self.work.join("mnt").join(&self.tag)
    }

    pub fn log(&self) -> PathBuf {
        let logs = self.work.join("logs");
        let _ = std::fs::create_dir_all(&logs);
        logs.join(format!("{}.log", self.tag))
    }
}

/// The programs the peers need, each found or with the reason it is missing.
#[derive(Clone, Debug)]
pub struct Tools {
    pub fuse: Result<PathBuf, String>,
    pub s3fs: Result<PathBuf, String>,
    pub mountpoint: Result<PathBuf, String>,
    pub weed: Result<PathBuf, String>,
}

impl Tools {
    pub fn find(mountpoint_bin: Option<&Path>, weed: &Path) -> Tools {
        let fuse = fuse_available();
        let with_fuse = |tool: Result<PathBuf, String>| match (&fuse, tool) {
            (Err(why), _) => Err(why.clone()),
            (Ok(_), tool) => tool,
        };
        let mountpoint = match mountpoint_bin {
            Some(p) if p.is_file() => Ok(p.to_path_buf()),
            Some(p) => Err(format!(
                "the Mountpoint launcher {} is not built (make bench-all builds it)",
                p.display()
            )),
            None => Err(
                "no Mountpoint launcher given (make bench-all builds one; quick runs skip it)"
                    .into(),
            ),
        };
        let weed = if weed.is_file() {
            Ok(weed.to_path_buf())
        } else {
            Err(format!(
                "{} not found (scripts/s3-server installs it)",
                weed.display()
            ))
        };
        Tools {
            s3fs: with_fuse(
                which("s3fs")
                    .ok_or_else(|| "s3fs is not installed (Debian package s3fs)".to_string()),
            ),
            mountpoint: with_fuse(mountpoint),
            weed: with_fuse(weed),
            fuse,
        }
    }
}

/// /dev/fuse usable and a fusermount to unmount with.
fn fuse_available() -> Result<PathBuf, String> {
    if let Err(e) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/fuse")
    {
        return Err(format!("/dev/fuse is not usable here ({e})"));
    }
    which("fusermount3")
        .or_else(|| which("fusermount"))
        .ok_or_else(|| "no fusermount3 or fusermount (Debian package fuse3)".to_string())
}

pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

//! Where the documents are: counts and names in `inbox/`, `processed/` and
//! `failed/`, read by the host directly (no component instance), so asking
//! costs one listing per directory and never changes anything.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::backend::Backend;
use crate::error::HostError;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirStatus {
    /// Documents in the directory: `names.len()`.
    pub count: u64,
    /// Sorted. The core's own files are left out: `<name>.meta.json` in
    /// `processed/`, `<name>.error.json` in `failed/`, and dot files (its
    /// temporaries, claims).
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub inbox: DirStatus,
    pub processed: DirStatus,
    pub failed: DirStatus,
}

/// The layout of `root` (relative to the backend's root). A missing
/// subdirectory counts as empty, since the core creates them on first use.
/// A missing `root` is an error over a directory, where it is most likely a
/// mistyped path, and empty over S3, where it is a prefix with no keys yet.
pub async fn status(backend: &Backend, root: &str) -> Result<Status> {
    let root = root.trim_matches('/');
    let mut out = Status::default();
    for (dir, sidecar, slot) in [
        ("inbox", None, &mut out.inbox),
        ("processed", Some(".meta.json"), &mut out.processed),
        ("failed", Some(".error.json"), &mut out.failed),
    ] {
        let rel = if root.is_empty() {
            dir.to_string()
        } else {
            format!("{root}/{dir}")
        };
        let files = match backend {
            Backend::Local(base) => local_files(base, root, &rel)?,
            Backend::S3(s3) => s3_files(s3, root, &rel).await?,
        };
        let mut names: Vec<String> = files
            .into_iter()
            .filter(|n| !n.starts_with('.') && !sidecar.is_some_and(|s| n.ends_with(s)))
            .collect();
        names.sort();
        *slot = DirStatus {
            count: names.len() as u64,
            names,
        };
    }
    Ok(out)
}

fn local_files(base: &std::path::Path, root: &str, rel: &str) -> Result<Vec<String>> {
    crate::local::check_dir(&crate::local::confine(base, root)?)?;
    let dir = crate::local::confine(base, rel)?;
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot list", dir.display())),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("{}: cannot list", dir.display()))?;
        // file_type() does not follow symlinks, as the core's listing does not.
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    Ok(names)
}

async fn s3_files(s3: &crate::s3::S3Backend, root: &str, rel: &str) -> Result<Vec<String>> {
    use docproc_s3fs::Error as S3Error;
    match s3.fs.read_dir(rel).await {
        Ok(entries) => Ok(entries
            .into_iter()
            .filter(|e| !e.attr.is_dir())
            .map(|e| e.name)
            .collect()),
        // On S3 a prefix exists only while a key lies below it: a root or a subdirectory
        // with no keys is empty, not missing. Only a file where the root should be is wrong.
        Err(S3Error::NotFound(_)) => match s3.fs.stat(root).await {
            Ok(attr) if !attr.is_dir() => Err(HostError::NotADir {
                path: s3.locate(root).into(),
            }
            .into()),
            Ok(_) | Err(S3Error::NotFound(_)) => Ok(Vec::new()),
            Err(e) => Err(e).with_context(|| s3.locate(root)),
        },
        Err(e) => Err(e).with_context(|| format!("{}: cannot list", s3.locate(rel))),
    }
}

//! Where the documents are: counts and names in `inbox/`, `processed/` and
//! `failed/`, read by the host directly (no component instance), so asking
//! costs one listing per directory and never changes anything.

use anyhow::Result;
use docproc_core::layout::{ERROR_SUFFIX, FAILED, INBOX, META_SUFFIX, PROCESSED};
use serde::{Deserialize, Serialize};

use crate::backend::Backend;

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
/// subdirectory counts as empty, since the core creates them on first use; a missing
/// `root` is judged by [`Backend::check_root`].
pub async fn status(backend: &Backend, root: &str) -> Result<Status> {
    let root = root.trim_matches('/');
    let mut out = Status::default();
    for (dir, sidecar, slot) in [
        (INBOX, None, &mut out.inbox),
        (PROCESSED, Some(META_SUFFIX), &mut out.processed),
        (FAILED, Some(ERROR_SUFFIX), &mut out.failed),
    ] {
        let rel = if root.is_empty() {
            dir.to_string()
        } else {
            format!("{root}/{dir}")
        };
        let files = match backend.list_files(&rel).await? {
            Some(files) => files,
            None => {
                backend.check_root(root).await?;
                Vec::new()
            }
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

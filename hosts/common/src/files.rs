//! The few whole-file operations hosts do themselves, beside the core: a status lists,
//! a seed and a report write. One API over both backends, so each caller says what it
//! wants once and the rules of each store live here: a missing prefix is an empty
//! directory on S3, and a reader sees a whole file or none.

use std::io::ErrorKind as IoKind;

use anyhow::{Context, Result};
use docproc_s3fs::{CreateMode, Error as S3Error};

use crate::backend::Backend;
use crate::error::HostError;
use crate::local::{check_dir, confine};

impl Backend {
    /// The names of the plain files directly in `rel` (symlinks and directories left
    /// out, as the core's listing leaves them), or `None` when there is no such directory.
    pub async fn list_files(&self, rel: &str) -> Result<Option<Vec<String>>> {
        match self {
            Backend::Local(base) => local_files(&confine(base, rel)?),
            Backend::S3(s3) => match s3.fs.read_dir(rel).await {
                Ok(entries) => Ok(Some(
                    entries
                        .into_iter()
                        .filter(|e| !e.attr.is_dir())
                        .map(|e| e.name)
                        .collect(),
                )),
                Err(S3Error::NotFound(_)) => Ok(None),
                Err(e) => Err(e).with_context(|| format!("{}: cannot list", s3.locate(rel))),
            },
        }
    }

    /// Fails unless `rel` can be the root of a run. A missing directory is an error over a
    /// directory, where it is most likely a mistyped path, and fine over S3, where it is a
    /// prefix with no keys yet. Only a file where the directory should be is wrong on both.
    pub async fn check_root(&self, rel: &str) -> Result<()> {
        match self {
            Backend::Local(base) => Ok(check_dir(&confine(base, rel)?).map(drop)?),
            Backend::S3(s3) => match s3.fs.stat(rel).await {
                Ok(attr) if !attr.is_dir() => Err(HostError::NotADir {
                    path: s3.locate(rel).into(),
                }
                .into()),
                Ok(_) | Err(S3Error::NotFound(_)) => Ok(()),
                Err(e) => Err(e).with_context(|| s3.locate(rel)),
            },
        }
    }

    /// Makes directory `rel` and any parents it lacks; one that exists is fine. Over a
    /// directory the backend's root itself must exist, as [`Backend::check_root`] says.
    pub async fn make_dir(&self, rel: &str) -> Result<()> {
        match self {
            Backend::Local(base) => {
                let dir = confine(&check_dir(base)?, rel)?;
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("{}: cannot create", dir.display()))
            }
            Backend::S3(s3) => {
                let mut path = String::new();
                for part in rel.split('/').filter(|p| !p.is_empty()) {
                    if !path.is_empty() {
                        path.push('/');
                    }
                    path.push_str(part);
                    match s3.fs.mkdir(&path).await {
                        Ok(()) | Err(S3Error::Exists(_)) => {}
                        Err(e) => return Err(e).with_context(|| s3.locate(&path)),
                    }
                }
                Ok(())
            }
        }
    }

    /// Writes `body` as file `rel`, replacing what was there, so that a reader sees the
    /// whole file or none of it: a renamed temporary on a directory, one upload on S3.
    /// The parent directory must exist ([`Backend::make_dir`]), so writing many files
    /// into one directory costs no request per file to make it.
    pub async fn write_file(&self, rel: &str, body: &[u8]) -> Result<()> {
        match self {
            Backend::Local(base) => {
                let path = confine(base, rel)?;
                let name = rel.rsplit_once('/').map_or(rel, |(_, name)| name);
                let tmp = path.with_file_name(format!(".{name}.tmp"));
                std::fs::write(&tmp, body)
                    .and_then(|()| std::fs::rename(&tmp, &path))
                    .with_context(|| format!("{}: cannot write", path.display()))
            }
            Backend::S3(s3) => {
                let at = || s3.locate(rel);
                let mut w = s3
                    .fs
                    .create(rel, CreateMode::Truncate)
                    .await
                    .with_context(at)?;
                w.write(0, body).await.with_context(at)?;
                w.finish().await.with_context(at)
            }
        }
    }

    /// The whole of file `rel`.
    pub async fn read_file(&self, rel: &str) -> Result<Vec<u8>> {
        match self {
            Backend::Local(base) => {
                let path = confine(base, rel)?;
                std::fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))
            }
            Backend::S3(s3) => {
                let at = || s3.locate(rel);
                let mut r = s3.fs.open_read(rel).await.with_context(at)?;
                let len = usize::try_from(r.size()).with_context(at)?;
                Ok(r.read(0, len).await.with_context(at)?.to_vec())
            }
        }
    }
}

fn local_files(dir: &std::path::Path) -> Result<Option<Vec<String>>> {
    let cannot = || format!("{}: cannot list", dir.display());
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if matches!(e.kind(), IoKind::NotFound | IoKind::NotADirectory) => return Ok(None),
        Err(e) => return Err(e).with_context(cannot),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.with_context(cannot)?;
        // file_type() does not follow symlinks, as the core's listing does not.
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    Ok(Some(names))
}

//! The invocation's report, kept beside the documents as
//! `reports/<mode>-<timestamp>-<request id>.json`, so a benchmark can be
//! read back from the bucket without CloudWatch.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use docproc_host::Backend;
use docproc_s3fs::{CreateMode, Error as S3Error};

pub const DIR: &str = "reports";

/// `reports/process-20261125T164400Z-<request id>.json`. The request id
/// makes it unique; characters a key or file name should not hold are
/// replaced.
pub fn key(mode: &str, at: SystemTime, request_id: &str) -> String {
    let id: String = request_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{DIR}/{mode}-{}-{id}.json", compact_utc(at))
}

/// `YYYYMMDDTHHMMSSZ`: sorts by time, and has no `:` (awkward in keys).
pub fn compact_utc(at: SystemTime) -> String {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = docproc_core::clock::civil_from_days(days as i64);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Writes `body` at `key` (relative to the backend's root) so a reader
/// sees the whole report or nothing: a renamed temporary on a mount, one
/// object upload on S3.
pub async fn write(backend: &Backend, key: &str, body: &[u8]) -> Result<()> {
    let (dir, name) = key.rsplit_once('/').unwrap_or(("", key));
    match backend {
        Backend::Local(root) => {
            let dir = root.join(dir);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("{}: cannot create", dir.display()))?;
            let tmp = dir.join(format!(".{name}.tmp"));
            let path = dir.join(name);
            std::fs::write(&tmp, body)
                .and_then(|()| std::fs::rename(&tmp, &path))
                .with_context(|| format!("{}: cannot write", path.display()))
        }
        Backend::S3(s3) => {
            match s3.fs.mkdir(dir).await {
                Ok(()) | Err(S3Error::Exists(_)) => {}
                Err(e) => return Err(e).with_context(|| s3.locate(dir)),
            }
            let mut w = s3
                .fs
                .create(key, CreateMode::Truncate)
                .await
                .with_context(|| s3.locate(key))?;
            w.write(0, body).await.with_context(|| s3.locate(key))?;
            w.finish().await.with_context(|| s3.locate(key))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn keys_sort_by_time_and_are_safe() {
        let at = UNIX_EPOCH + Duration::from_secs(1_795_624_440);
        assert_eq!(compact_utc(at), "20261125T163400Z");
        assert_eq!(
            compact_utc(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "20000229T000000Z"
        );
        assert_eq!(
            key("process", at, "a1/b:2"),
            "reports/process-20261125T163400Z-a1_b_2.json"
        );
    }
}

//! Which backend this function runs over, from its environment. One binary
//! serves both deployments: the S3 Files function gets `MOUNT_PATH`, the S3
//! API function `BUCKET` (and `PREFIX`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use docproc_host::Backend;
use docproc_host::s3::{S3Backend, S3Target};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Approach {
    S3FilesMount,
    S3Api,
}

impl Approach {
    pub fn as_str(self) -> &'static str {
        match self {
            Approach::S3FilesMount => "s3-files-mount",
            Approach::S3Api => "s3-api",
        }
    }
}

#[derive(Debug, Clone)]
pub enum BackendConfig {
    /// The S3 Files access point, mounted by Lambda (`file_system_config`).
    Mount(PathBuf),
    S3(S3Target),
}

impl BackendConfig {
    pub fn from_env() -> Result<BackendConfig, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Empty values count as unset: Terraform writes `""` for a variable it
    /// leaves out.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<BackendConfig, String> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        match (get("MOUNT_PATH"), get("BUCKET")) {
            (Some(mount), None) => Ok(BackendConfig::Mount(PathBuf::from(mount))),
            (None, Some(bucket)) => {
                let prefix = get("PREFIX").unwrap_or_default();
                // A local or S3-compatible endpoint only in tests; on Lambda
                // the chain resolves the regional endpoint.
                let endpoint_url = get("AWS_ENDPOINT_URL_S3").or_else(|| get("AWS_ENDPOINT_URL"));
                Ok(BackendConfig::S3(S3Target {
                    url: format!("s3://{bucket}/{}", prefix.trim_matches('/')),
                    force_path_style: endpoint_url.is_some(),
                    endpoint_url,
                    region: get("AWS_REGION"),
                    create_bucket: false,
                }))
            }
            (Some(mount), Some(bucket)) => Err(format!(
                "both MOUNT_PATH ({mount}) and BUCKET ({bucket}) are set: set MOUNT_PATH for the \
                 S3 Files mount or BUCKET (with optional PREFIX) for the S3 API, not both"
            )),
            (None, None) => Err(
                "neither MOUNT_PATH nor BUCKET is set: set MOUNT_PATH to the S3 Files \
                 mount (e.g. /mnt/docs) or BUCKET (with optional PREFIX) to use the S3 API"
                    .to_string(),
            ),
        }
    }

    pub fn approach(&self) -> Approach {
        match self {
            BackendConfig::Mount(_) => Approach::S3FilesMount,
            BackendConfig::S3(_) => Approach::S3Api,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            BackendConfig::Mount(path) => format!("MOUNT_PATH={}", path.display()),
            BackendConfig::S3(target) => target.url.clone(),
        }
    }
}

/// Which S3 keys this function's root shows, so an event's keys map to paths below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventScope {
    pub bucket: String,
    /// Without leading or trailing `/`; empty for the whole bucket.
    pub prefix: String,
}

impl EventScope {
    /// The S3-API function's scope is its `BUCKET` and `PREFIX`. The mount shows some
    /// prefix of some bucket, which only the deployment knows: `EVENT_BUCKET` and
    /// `EVENT_PREFIX` say which.
    pub fn from_lookup(
        config: &BackendConfig,
        get: impl Fn(&str) -> Option<String>,
    ) -> Option<EventScope> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        match config {
            BackendConfig::S3(target) => {
                let path = target.url.strip_prefix("s3://")?;
                let (bucket, prefix) = path.split_once('/').unwrap_or((path, ""));
                Some(EventScope::new(bucket, prefix))
            }
            BackendConfig::Mount(_) => Some(EventScope::new(
                &get("EVENT_BUCKET")?,
                &get("EVENT_PREFIX").unwrap_or_default(),
            )),
        }
    }

    pub fn new(bucket: &str, prefix: &str) -> EventScope {
        EventScope {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        }
    }

    /// The path below the root that `key` is, or why this function leaves it alone.
    pub fn path_of(&self, bucket: Option<&str>, key: &str) -> Result<String, String> {
        if let Some(b) = bucket.filter(|b| *b != self.bucket) {
            return Err(format!(
                "in bucket {b}; this function serves {}",
                self.bucket
            ));
        }
        if self.prefix.is_empty() {
            return Ok(key.to_string());
        }
        key.strip_prefix(&self.prefix)
            .and_then(|rest| rest.strip_prefix('/'))
            .map(str::to_string)
            .ok_or_else(|| format!("outside this function's prefix {}/", self.prefix))
    }
}

/// Checked on every invocation, because a function whose access point is
/// not attached still starts: the path is then simply missing, and the
/// core would fail later with a vaguer message.
pub fn mount_backend(path: &Path) -> Result<Backend, String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Ok(Backend::Local(path.to_path_buf())),
        Ok(_) => Err(format!("MOUNT_PATH={}: not a directory", path.display())),
        Err(e) => Err(format!(
            "MOUNT_PATH={}: {} (is the S3 Files access point attached to the function as \
             its file system, mounted at this path?)",
            path.display(),
            if e.kind() == std::io::ErrorKind::NotFound {
                "no such directory".to_string()
            } else {
                e.to_string()
            }
        )),
    }
}

/// Connects once per execution environment; the client and its
/// connections are reused by every warm invocation.
pub async fn s3_backend(target: &S3Target) -> Result<Backend, String> {
    S3Backend::connect(target, |_| {})
        .await
        .map(|s3| Backend::S3(Arc::new(s3)))
        .map_err(|e| format!("BUCKET: {e:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<BackendConfig, String> {
        BackendConfig::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn event_keys_map_to_paths_below_the_root() {
        let s3 = from(&[("BUCKET", "b"), ("PREFIX", "/before/")]).unwrap();
        let lookup = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let scope = EventScope::from_lookup(&s3, lookup(&[])).unwrap();
        assert_eq!(
            scope.path_of(Some("b"), "before/inbox/a"),
            Ok("inbox/a".into())
        );
        assert_eq!(scope.path_of(None, "before/inbox/a"), Ok("inbox/a".into()));
        assert!(
            scope
                .path_of(Some("b"), "beforeX/inbox/a")
                .unwrap_err()
                .contains("outside")
        );
        assert!(
            scope
                .path_of(Some("c"), "before/inbox/a")
                .unwrap_err()
                .contains("bucket c")
        );
        let mount = BackendConfig::Mount("/mnt/docs".into());
        assert_eq!(
            EventScope::from_lookup(&mount, lookup(&[("BUCKET", "b")])),
            None
        );
        let whole = EventScope::from_lookup(&mount, lookup(&[("EVENT_BUCKET", "b")])).unwrap();
        assert_eq!(whole.path_of(Some("b"), "inbox/a"), Ok("inbox/a".into()));
    }

    #[test]
    fn one_of_mount_or_bucket() {
        assert!(
            matches!(from(&[("MOUNT_PATH", "/mnt/docs")]), Ok(BackendConfig::Mount(p)) if p == Path::new("/mnt/docs"))
        );
        let Ok(BackendConfig::S3(t)) = from(&[
            ("BUCKET", "b"),
            ("PREFIX", "/before/"),
            ("AWS_REGION", "eu-west-1"),
        ]) else {
            panic!("expected S3")
        };
        assert_eq!(
            (t.url.as_str(), t.region.as_deref(), t.force_path_style),
            ("s3://b/before", Some("eu-west-1"), false)
        );
        assert!(
            from(&[])
                .unwrap_err()
                .contains("neither MOUNT_PATH nor BUCKET")
        );
        assert!(
            from(&[("MOUNT_PATH", ""), ("BUCKET", " ")])
                .unwrap_err()
                .contains("neither")
        );
        assert!(
            from(&[("MOUNT_PATH", "/mnt/docs"), ("BUCKET", "b")])
                .unwrap_err()
                .contains("both")
        );
    }
}

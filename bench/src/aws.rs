//! The deployed stack, from `terraform -chdir=terraform output -json`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

pub struct Stack {
    pub region: String,
    pub bucket: String,
    /// Key prefix behind the S3 Files access point root (e.g. "docproc/"); the runner's
    /// Mountpoint mount shows the same prefix.
    pub workspace_prefix: String,
    /// Where the S3 Files (NFS) file system is mounted on the EC2 runner.
    pub s3files_path: Option<PathBuf>,
    /// Where Mountpoint is mounted on the EC2 runner.
    pub mountpoint_path: Option<PathBuf>,
}

impl Stack {
    pub fn load(terraform_dir: &Path) -> Result<Stack> {
        let out = Command::new("terraform")
            .arg(format!("-chdir={}", terraform_dir.display()))
            .args(["output", "-json"])
            .output()
            .context("running terraform (is it installed, and the stack applied?)")?;
        if !out.status.success() {
            bail!(
                "terraform output failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let outputs: Value =
            serde_json::from_slice(&out.stdout).context("terraform output -json")?;
        Stack::from_outputs(&outputs)
    }

    /// Reads the `bench` output object, falling back to the individual outputs.
    pub fn from_outputs(outputs: &Value) -> Result<Stack> {
        let bench = outputs.pointer("/bench/value");
        let get = |bench_key: &str, output: &str| -> Option<String> {
            bench
                .and_then(|b| b.get(bench_key))
                .or_else(|| outputs.pointer(&format!("/{output}/value")))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let prefix = get("workspace_s3_prefix", "workspace_s3_prefix").unwrap_or_default();
        let prefix = prefix.trim_matches('/');
        Ok(Stack {
            region: get("region", "region").context("the stack has no region output")?,
            bucket: get("bucket", "bucket_name").context("the stack has no bucket output")?,
            workspace_prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
            s3files_path: get("runner_s3files_path", "runner_s3files_mount_path")
                .map(PathBuf::from),
            mountpoint_path: get("runner_mountpoint_path", "runner_mountpoint_mount_path")
                .map(PathBuf::from),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_bench_object_or_single_outputs() {
        let outputs = serde_json::json!({
            "bench": { "value": {
                "region": "us-east-1", "bucket": "b", "workspace_s3_prefix": "docproc",
                "runner_s3files_path": "/mnt/s3files", "runner_mountpoint_path": "/mnt/mountpoint"
            }}
        });
        let s = Stack::from_outputs(&outputs).unwrap();
        assert_eq!(
            (
                s.region.as_str(),
                s.bucket.as_str(),
                s.workspace_prefix.as_str()
            ),
            ("us-east-1", "b", "docproc/")
        );
        assert_eq!(s.s3files_path, Some(PathBuf::from("/mnt/s3files")));

        let outputs = serde_json::json!({
            "region": { "value": "eu-west-1" }, "bucket_name": { "value": "docs" }
        });
        let s = Stack::from_outputs(&outputs).unwrap();
        assert_eq!(
            (s.region.as_str(), s.workspace_prefix.as_str()),
            ("eu-west-1", "")
        );
        assert!(s.mountpoint_path.is_none());
        assert!(Stack::from_outputs(&serde_json::json!({})).is_err());
    }
}

//! Mountpoint for Amazon S3, through our launcher around the `mountpoint-s3-fs` library
//! (bench/mountpoint). Credentials through the environment, instance metadata off.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use super::{FuseMount, MountSpec};

pub fn mount(launcher: &Path, fusermount: &Path, spec: &MountSpec) -> Result<FuseMount> {
    let mut cmd = Command::new(launcher);
    cmd.arg(&spec.place.bucket)
        .arg(spec.dir())
        .arg("--prefix")
        .arg(&spec.place.prefix)
        .arg("--endpoint-url")
        .arg(spec.endpoint)
        .arg("--region")
        .arg(spec.region)
        .arg("--force-path-style")
        // The process-inbox and hash workloads write, overwrite and delete.
        .arg("--allow-delete")
        .arg("--allow-overwrite")
        .env("AWS_ACCESS_KEY_ID", &spec.creds.access_key)
        .env("AWS_SECRET_ACCESS_KEY", &spec.creds.secret_key)
        .env("AWS_REGION", spec.region)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN");
    FuseMount::start("mountpoint", cmd, &spec.dir(), &spec.log(), fusermount)
}

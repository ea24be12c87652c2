//! s3fs-fuse (Debian `s3fs`), in the foreground so our guard owns its process.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use anyhow::Result;

use super::{FuseMount, MountSpec};

pub fn mount(s3fs: &Path, fusermount: &Path, spec: &MountSpec) -> Result<FuseMount> {
    let passwd = spec.work.join("s3fs.passwd");
    if !passwd.exists() {
        std::fs::write(
            &passwd,
            format!("{}:{}\n", spec.creds.access_key, spec.creds.secret_key),
        )?;
        std::fs::set_permissions(&passwd, std::fs::Permissions::from_mode(0o600))?;
    }
    let prefix = spec.place.prefix.trim_end_matches('/');
    let source = if prefix.is_empty() {
        spec.place.bucket.clone()
    } else {
        format!("{}:/{prefix}", spec.place.bucket)
    };
    let mut cmd = Command::new(s3fs);
    cmd.arg(source)
        .arg(spec.dir())
        .arg("-f")
        .arg("-o")
        .arg(format!(
            "passwd_file={},url={},use_path_request_style,endpoint={},dbglevel=warn",
            passwd.display(),
            spec.endpoint,
            spec.region
        ));
    FuseMount::start("s3fs", cmd, &spec.dir(), &spec.log(), fusermount)
}

//! SeaweedFS's own FUSE mount of a bucket, through its filer (gRPC, not the S3 API): full
//! file-system semantics over the same objects, the closest local stand-in for S3 Files.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use super::{FuseMount, MountSpec};

pub fn mount(
    weed: &Path,
    fusermount: &Path,
    filer_port: u16,
    spec: &MountSpec,
) -> Result<FuseMount> {
    let cache = spec.work.join("weed-cache").join(&spec.tag);
    std::fs::create_dir_all(&cache)?;
    let path = format!("/buckets/{}/{}", spec.place.bucket, spec.place.prefix);
    let mut cmd = Command::new(weed);
    cmd.arg("mount")
        .arg(format!("-filer=127.0.0.1:{filer_port}"))
        .arg(format!("-dir={}", spec.dir().display()))
        .arg(format!("-filer.path={}", path.trim_end_matches('/')))
        .arg(format!("-cacheDir={}", cache.display()))
        .arg(format!(
            "-localSocket={}",
            spec.work.join(format!("weed-{}.sock", spec.tag)).display()
        ))
        .arg("-allowOthers=false");
    FuseMount::start("weed mount", cmd, &spec.dir(), &spec.log(), fusermount)
}

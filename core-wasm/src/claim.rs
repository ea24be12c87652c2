//! Claims: how several hosts share one inbox without a coordinator. The
//! store's exclusive create (O_EXCL on a file system, `If-None-Match: *` on
//! S3) picks exactly one winner per document.

use std::time::Duration;

use crate::clock::rfc3339;
use crate::fs::{ErrorKind, Fs, FsError, join};

pub struct ClaimOptions {
    pub owner: String,
    pub lease: Duration,
}

pub enum Claim {
    Won(String),
    /// Another live host holds it.
    Held,
}

pub const DIR: &str = ".claims";

pub fn try_claim<F: Fs>(
    fs: &F,
    root: &str,
    name: &str,
    opts: &ClaimOptions,
) -> Result<Claim, FsError> {
    let path = join(&join(root, DIR), name);
    let body = format!(
        "{{\"owner\":{},\"claimed_at\":\"{}\"}}\n",
        serde_json::to_string(&opts.owner).expect("a string serialises"),
        rfc3339(fs.now())
    );
    // Two rounds: the second after removing a claim whose holder died.
    for _ in 0..2 {
        match fs.create_new(&path, body.as_bytes()) {
            Ok(()) => return Ok(Claim::Won(path)),
            Err(e) if e.kind == ErrorKind::Exists => {
                if !is_stale(fs, &path, opts.lease)? {
                    return Ok(Claim::Held);
                }
                match fs.remove_file(&path) {
                    Err(e) if e.kind != ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Claim::Held)
}

fn is_stale<F: Fs>(fs: &F, path: &str, lease: Duration) -> Result<bool, FsError> {
    if lease.is_zero() {
        return Ok(true);
    }
    Ok(match fs.stat(path)? {
        // Released in the meantime: try again.
        None => true,
        Some(stat) => stat
            .mtime
            .is_some_and(|t| fs.now().saturating_sub(t) > lease),
    })
}

/// Removes stale claims whose document has left `inbox/`: what a host that
/// died between moving a document and releasing its claim leaves behind.
pub fn sweep<F: Fs>(fs: &F, root: &str, inbox: &str, opts: &ClaimOptions) -> Result<(), FsError> {
    let dir = join(root, DIR);
    for entry in fs.read_dir(&dir)? {
        let path = join(&dir, &entry.name);
        if fs.stat(&join(inbox, &entry.name))?.is_none() && is_stale(fs, &path, opts.lease)? {
            release(fs, &path)?;
        }
    }
    Ok(())
}

pub fn release<F: Fs>(fs: &F, path: &str) -> Result<(), FsError> {
    match fs.remove_file(path) {
        Err(e) if e.kind != ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

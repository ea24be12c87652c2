//! hash: stream every file below a directory into SHA-256 and write one
//! digest file per input.

use sha2::{Digest, Sha256};

use crate::clock::ms_between;
use crate::fs::{ErrorKind, Fs, FsError, Kind, join};
use crate::layout::{digest_name, hex};
use crate::report::{FileDigest, HashReport};
use crate::shard::Shard;

pub const DEFAULT_CHUNK: usize = 8 << 20;

pub struct Options<'a> {
    pub root: &'a str,
    pub out_dir: &'a str,
    pub shard: Shard,
    pub chunk_size: usize,
}

pub fn hash<F: Fs>(fs: &F, opts: &Options) -> Result<HashReport, FsError> {
    opts.shard
        .validate()
        .map_err(|m| FsError::new(ErrorKind::InvalidArgument, opts.root, m))?;
    let chunk = if opts.chunk_size == 0 {
        DEFAULT_CHUNK
    } else {
        opts.chunk_size
    };
    let files = list_files(fs, opts)?;
    fs.create_dir(opts.out_dir)?;
    let mut report = HashReport::default();
    for (rel, path) in files {
        let t = fs.now();
        let file = fs.open(&path)?;
        let mut hasher = Sha256::new();
        let mut offset = 0u64;
        loop {
            let bytes = fs.read_at(&file, offset, chunk)?;
            if bytes.is_empty() {
                break;
            }
            offset += bytes.len() as u64;
            hasher.update(&bytes);
        }
        drop(file);
        let sha256 = hex(&hasher.finalize());
        let t2 = fs.now();
        report.read_ms += ms_between(t, t2);
        let line = format!("{sha256}  {rel}\n");
        fs.write_file(&join(opts.out_dir, &digest_name(&rel)), line.as_bytes())?;
        report.write_ms += ms_between(t2, fs.now());
        report.files += 1;
        report.bytes += offset;
        report.digests.push(FileDigest {
            path: rel,
            size_bytes: offset,
            sha256,
        });
    }
    Ok(report)
}

/// Every regular file below the root this shard owns, as (path below the
/// root, path from the preopen), skipping the output directory.
fn list_files<F: Fs>(fs: &F, opts: &Options) -> Result<Vec<(String, String)>, FsError> {
    let mut out = Vec::new();
    let mut stack = vec![String::new()];
    while let Some(rel_dir) = stack.pop() {
        let dir = join(opts.root, &rel_dir);
        if dir.trim_end_matches('/') == opts.out_dir.trim_end_matches('/') {
            continue;
        }
        for entry in fs.read_dir(&dir)? {
            let rel = join(&rel_dir, &entry.name);
            match entry.kind {
                Kind::Dir => stack.push(rel),
                Kind::File if opts.shard.owns(&rel) => {
                    let path = join(opts.root, &rel);
                    out.push((rel, path));
                }
                _ => {}
            }
        }
    }
    out.sort();
    Ok(out)
}

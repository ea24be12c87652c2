//! hash: stream every file below a directory into SHA-256, up to four at once (see
//! `sha256x4`), and write one digest file per input.

use crate::clock::ms_between;
use crate::fs::{Fs, FsError, Kind, join};
use crate::layout::{digest_name, hex};
use crate::report::{FileDigest, HashReport};
use crate::sha256x4::{self, BLOCK};
use crate::shard::Shard;

pub const DEFAULT_CHUNK: usize = 8 << 20;

pub struct Options<'a> {
    pub root: &'a str,
    pub out_dir: &'a str,
    pub shard: Shard,
    pub chunk_size: usize,
}

pub fn hash<F: Fs>(fs: &F, opts: &Options) -> Result<HashReport, FsError> {
    opts.shard.check(opts.root)?;
    // 0 asks for the default.
    let chunk = Some(opts.chunk_size)
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_CHUNK);
    let files = list_files(fs, opts)?;
    fs.create_dir(opts.out_dir)?;
    let mut report = HashReport::default();
    let mut queue = files.into_iter();
    let mut lanes: Vec<Lane<F::File>> = Vec::with_capacity(LANES);
    let mut t = fs.now();
    loop {
        while lanes.len() < LANES
            && let Some((rel, path)) = queue.next()
        {
            lanes.push(Lane::open(fs, rel, &path)?);
        }
        let mut i = 0;
        while i < lanes.len() {
            if lanes[i].fill(fs, chunk)? {
                i += 1;
                continue;
            }
            let lane = lanes.swap_remove(i);
            let t2 = fs.now();
            report.read_ms += ms_between(t, t2);
            let digest = lane.finish(fs, opts.out_dir)?;
            t = fs.now();
            report.write_ms += ms_between(t2, t);
            report.files += 1;
            report.bytes += digest.size_bytes;
            report.digests.push(digest);
        }
        if lanes.is_empty() {
            if queue.len() == 0 {
                break;
            }
            continue;
        }
        compress(&mut lanes);
    }
    report.read_ms += ms_between(t, fs.now());
    report.digests.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(report)
}

/// Files hashed at once by one instance: one per SIMD lane.
pub const LANES: usize = 4;

/// One file on its way through a lane: the bytes read but not yet hashed, and its state.
struct Lane<File> {
    rel: String,
    file: File,
    read: u64,
    buf: Vec<u8>,
    at: usize,
    /// The padding is in `buf`: once it is hashed, so is the file.
    padded: bool,
    state: sha256x4::State,
}

impl<File> Lane<File> {
    fn open<F: Fs<File = File>>(fs: &F, rel: String, path: &str) -> Result<Self, FsError> {
        Ok(Lane {
            rel,
            file: fs.open(path)?,
            read: 0,
            buf: Vec::new(),
            at: 0,
            padded: false,
            state: sha256x4::INIT,
        })
    }

    /// Reads until at least one block is waiting; false once the whole file is hashed.
    fn fill<F: Fs<File = File>>(&mut self, fs: &F, chunk: usize) -> Result<bool, FsError> {
        while self.waiting() < BLOCK {
            if self.padded {
                return Ok(false);
            }
            let bytes = fs.read_at(&self.file, self.read, chunk)?;
            self.read += bytes.len() as u64;
            let rest = &self.buf[self.at..];
            self.buf = if bytes.is_empty() {
                self.padded = true;
                sha256x4::pad(rest, self.read)
            } else if rest.is_empty() {
                bytes
            } else {
                [rest, &bytes].concat()
            };
            self.at = 0;
        }
        Ok(true)
    }

    fn waiting(&self) -> usize {
        self.buf.len() - self.at
    }

    fn finish<F: Fs<File = File>>(self, fs: &F, out_dir: &str) -> Result<FileDigest, FsError> {
        let sha256 = hex(&sha256x4::digest(&self.state));
        let line = format!("{sha256}  {}\n", self.rel);
        fs.write_file(&join(out_dir, &digest_name(&self.rel)), line.as_bytes())?;
        Ok(FileDigest {
            path: self.rel,
            size_bytes: self.read,
            sha256,
        })
    }
}

/// Hashes as many whole blocks as every lane has waiting.
fn compress<File>(lanes: &mut [Lane<File>]) {
    let len = lanes.iter().map(|l| l.waiting()).min().unwrap_or(0) / BLOCK * BLOCK;
    let mut states: Vec<sha256x4::State> = lanes.iter().map(|l| l.state).collect();
    let blocks: Vec<&[u8]> = lanes.iter().map(|l| &l.buf[l.at..l.at + len]).collect();
    sha256x4::compress(&mut states.iter_mut().collect::<Vec<_>>(), &blocks);
    for (lane, state) in lanes.iter_mut().zip(states) {
        lane.state = state;
        lane.at += len;
    }
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

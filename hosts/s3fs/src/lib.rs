//! S3 with file semantics, for hosts that present a bucket prefix as a directory tree.
//!
//! This crate knows nothing of WASI: an adapter maps its file-system interface onto
//! [`S3Fs`]. The layout follows mountpoint-s3's: `superblock` holds what is known about the
//! namespace (metadata cache, listings, lookups), `prefetch` the readers, `upload` the
//! writers, and one memory limiter bounds the buffers of both.
//!
//! Paths are relative to the configured root prefix: "" is the root, "inbox/a.txt" a file,
//! with no leading '/'. Keys that cannot be paths are left out of the view and reported by
//! [`S3Fs::skipped_keys`]: keys containing an empty, "." or ".." component (so "//", "/./",
//! "/../"), a NUL byte, a component over 255 bytes, or longer than 1,024 bytes.
//!
//! Where S3 is not a file system, and what this crate does about it:
//! - Directories are key prefixes. One exists while a key lies below it or its zero-byte
//!   marker "dir/" exists; `mkdir` writes the marker. On S3 a directory without a marker
//!   vanishes with its last key; SeaweedFS keeps emptied directories. `stat` and `read_dir`
//!   both use delimited listings, so they agree on either.
//! - A key "x" next to keys under "x/": `read_dir` shows the directory and reports the file
//!   as skipped; a `stat` of "x" not yet listed finds the file first (HEAD before LIST).
//! - Writers upload whole objects: nothing is visible before `Writer::finish`, and writes
//!   can only land in the part not yet uploaded.
//! - `rename` copies then deletes; for a directory that is one copy per key, NOT atomic.
//! - The metadata cache trusts what it learnt until this S3Fs changes it (see
//!   `Config::metadata_ttl`); readers pin the ETag they opened, so a replaced object makes
//!   the next read fail rather than mix two versions.
//! - A `read_dir` lists afresh, except that [`S3Fs::open_dir`] takes any listing
//!   finished since its caller opened the directory, as a directory stream would: the one
//!   [`S3Fs::stat_dir`] made when the directory fits one page, or another caller's. A
//!   bigger directory's stream starts from the first page `stat_dir` fetched.
//!   A directory already known to be one starts that listing at `stat_dir`, in the
//!   background, so a walker that opens the next directories before reading them has
//!   their listings under way together; a bigger directory's reader starts from that page.
//!   Writes of our own that finish while a listing runs stay known, listed or not.
//! - A directory is read a page at a time ([`DirStream`]), the next page asked for while
//!   the reader takes this one, so a million keys are never held at once. The metadata
//!   cache is bounded too (`Config::metadata_cache_bytes`): it drops what it learnt longest
//!   ago and asks S3 again when needed, so memory follows the work, not the bucket.

mod client;
mod clock;
mod error;
pub mod iam;
mod memory;
mod metrics;
mod namespace;
mod path;
mod prefetch;
mod rename;
mod s3;
mod superblock;
mod types;
mod upload;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use client::{S3_TIMEOUTS, S3Timeouts, client_from_env, http_client};
pub use clock::StoreClock;
pub use error::Error;
pub use metrics::MetricsSnapshot;
pub use prefetch::Reader;
pub use s3::list::url_decode;
pub use superblock::DirStream;
pub use types::{Attr, CreateMode, DirEntry, Kind};
pub use upload::Writer;

use memory::MemoryLimiter;
use metrics::Metrics;
use superblock::{MetaCache, PathLocks};

const MIB: usize = 1024 * 1024;
const GIB: u64 = 1024 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Config {
    pub bucket: String,
    /// Root of the view inside the bucket: "" or "a/b/" (normalised to end with '/').
    pub prefix: String,
    /// Size of each ranged GET of a sequential reader. Default 8 MiB.
    pub read_part_size: usize,
    /// Ranged GETs a sequential reader keeps in flight. Default 8.
    pub read_concurrency: usize,
    /// Objects up to this size are one PutObject; larger ones are multipart uploads with parts
    /// of this size. S3 needs parts of at least 5 MiB (all but the last). Default 8 MiB.
    pub upload_part_size: usize,
    /// Parts one writer uploads in parallel. Default 4.
    pub upload_concurrency: usize,
    /// Bytes of read and write buffers in flight across this S3Fs. Default 512 MiB.
    pub memory_limit: usize,
    /// How long cached metadata is trusted. `None` (the default) trusts it until this S3Fs
    /// changes the path itself, right while it is the only writer under the prefix; set a
    /// TTL when others write there too.
    pub metadata_ttl: Option<Duration>,
    /// Memory the metadata cache may hold, estimated; past it the entries learnt longest
    /// ago are dropped and looked up again when needed. Default 64 MiB, about 250,000
    /// entries.
    pub metadata_cache_bytes: usize,
    /// Renames copy objects above this size with UploadPartCopy instead of CopyObject.
    /// Default 5 GiB, the most S3 copies in one CopyObject.
    pub multipart_copy_threshold: u64,
    /// Part size of such copies (raised as needed to stay within 10,000 parts). Default 512 MiB.
    pub copy_part_size: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            bucket: String::new(),
            prefix: String::new(),
            read_part_size: 8 * MIB,
            read_concurrency: 8,
            upload_part_size: 8 * MIB,
            upload_concurrency: 4,
            memory_limit: 512 * MIB,
            metadata_ttl: None,
            metadata_cache_bytes: 64 * MIB,
            multipart_copy_threshold: 5 * GIB,
            copy_part_size: 512 * MIB as u64,
        }
    }
}

/// A bucket prefix seen as a directory tree. Cheap to clone: clones share the cache, the
/// memory limit and the metrics.
#[derive(Clone)]
pub struct S3Fs {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    client: aws_sdk_s3::Client,
    bucket: String,
    /// Normalised root prefix: "" or ending in '/'.
    prefix: String,
    config: Config,
    metrics: Metrics,
    cache: MetaCache,
    memory: MemoryLimiter,
    skipped: Mutex<BTreeSet<String>>,
    /// read_dir, one at a time per directory.
    listing_locks: Arc<PathLocks>,
    /// First pages a listing ahead fetched of directories bigger than a page, for their
    /// readers to start from (see `list_ahead`).
    heads: superblock::Heads,
    /// Lookups that miss the cache, and mkdir (a lookup, then maybe a marker), one at a time
    /// per path.
    lookup_locks: Arc<PathLocks>,
    clock: Arc<StoreClock>,
}

impl Inner {
    /// Key of the file at `path`.
    fn file_key(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    /// Prefix of the keys below directory `path`, which is also its marker's key.
    fn dir_prefix(&self, path: &str) -> String {
        if path.is_empty() {
            self.prefix.clone()
        } else {
            format!("{}{path}/", self.prefix)
        }
    }

    /// A key about to be written must be one a listing would show again.
    fn new_key(&self, key: &str) -> Result<String, Error> {
        if key.len() > path::MAX_KEY_LEN {
            return Err(Error::NameTooLong(format!(
                "{key}: {} bytes, over S3's 1,024",
                key.len()
            )));
        }
        Ok(key.to_owned())
    }
}

impl S3Fs {
    pub fn new(client: aws_sdk_s3::Client, config: Config) -> S3Fs {
        let prefix = path::normalise_prefix(&config.prefix);
        // Zero sizes or counts would stall every reader or writer; one is the least that works.
        let config = Config {
            prefix: prefix.clone(),
            read_part_size: config.read_part_size.max(1),
            read_concurrency: config.read_concurrency.max(1),
            upload_part_size: config.upload_part_size.max(1),
            upload_concurrency: config.upload_concurrency.max(1),
            copy_part_size: config.copy_part_size.max(1),
            ..config
        };
        let clock = Arc::new(StoreClock::default());
        let client = aws_sdk_s3::Client::from_conf(
            client
                .config()
                .to_builder()
                .interceptor(clock::DateWatcher(Arc::clone(&clock)))
                .build(),
        );
        S3Fs {
            inner: Arc::new(Inner {
                client,
                clock,
                bucket: config.bucket.clone(),
                prefix,
                metrics: Metrics::default(),
                cache: MetaCache::new(config.metadata_ttl, config.metadata_cache_bytes),
                memory: MemoryLimiter::new(config.memory_limit),
                skipped: Mutex::new(BTreeSet::new()),
                listing_locks: Arc::default(),
                heads: superblock::Heads::default(),
                lookup_locks: Arc::default(),
                config,
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The store's clock, learnt from its responses: what mtimes here are to be compared with.
    pub fn clock(&self) -> Arc<StoreClock> {
        Arc::clone(&self.inner.clock)
    }

    /// From the cache when a listing or lookup already saw `path`; otherwise one LIST with
    /// the key as its prefix, which shows the file or the directory of that name (a
    /// directory is then confirmed by its own one-key LIST).
    pub async fn stat(&self, path: &str) -> Result<Attr, Error> {
        self.inner.stat(path, superblock::Expect::Any).await
    }

    /// `stat` for a path expected to be a directory (an open with O_DIRECTORY): HEAD and
    /// LIST at once, so a directory or a missing path costs one round trip, not two. That
    /// LIST is kept for the [`S3Fs::open_dir`] that usually follows: as the whole listing
    /// of a directory that fits in one page, and as the first page of a bigger one.
    ///
    /// A directory already known (from its parent's listing) costs nothing to stat, and
    /// its listing starts at once, in the background: a walk that opens the next
    /// directories before reading this one has their listings on the way together, not
    /// one round trip after another.
    pub async fn stat_dir(&self, path: &str) -> Result<Attr, Error> {
        let asked = Instant::now();
        if let Some(known) = self.inner.cache.get(path).filter(|c| c.attr.is_dir()) {
            let inner = Arc::clone(&self.inner);
            let path = path.to_owned();
            // Its reader reports what goes wrong: this listing is only a head start.
            tokio::spawn(async move { inner.list_ahead(&path, asked).await.ok() });
            return Ok(known.attr);
        }
        self.inner.stat(path, superblock::Expect::Dir).await
    }

    /// Every entry of directory `path`, sorted by name, from ListObjectsV2 (every page).
    /// Sizes and mtimes come from the listing and are cached, so a stat of an entry sends
    /// no request.
    pub async fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, Error> {
        self.open_dir(path, Instant::now()).await?.collect().await
    }

    /// Directory `path` opened at `opened`, read as a file system's directory stream reads
    /// it: any listing finished since then will do, the one its open made included. A big
    /// directory arrives a page at a time, never held whole.
    pub async fn open_dir(&self, path: &str, opened: Instant) -> Result<DirStream, Error> {
        DirStream::open(Arc::clone(&self.inner), path, opened).await
    }

    pub async fn open_read(&self, path: &str) -> Result<Reader, Error> {
        path::validate(path)?;
        let found = self.inner.lookup(path).await?;
        if found.attr.is_dir() {
            return Err(Error::IsDir(path.to_owned()));
        }
        Ok(Reader::new(
            Arc::clone(&self.inner),
            self.inner.file_key(path),
            found.attr.size,
            found.etag,
        ))
    }

    /// A writer for a new object at `path`; see [`CreateMode`]. The parent directory must
    /// exist. Nothing appears in S3 until [`Writer::finish`].
    pub async fn create(&self, path: &str, mode: CreateMode) -> Result<Writer, Error> {
        path::validate(path)?;
        if path.is_empty() {
            return Err(Error::IsDir(path.to_owned()));
        }
        let fs = &self.inner;
        fs.require_parent_dir(path).await?;
        // No lookup: it would cost requests, and a cached answer may be stale
        // when other clients write here. `If-None-Match: *` on the upload
        // decides an exclusive create, also against a racing writer.
        if fs.cache.get(path).is_some_and(|c| c.attr.is_dir()) {
            return Err(Error::IsDir(path.to_owned()));
        }
        let key = fs.new_key(&fs.file_key(path))?;
        Ok(Writer::new(
            Arc::clone(fs),
            path.to_owned(),
            key,
            mode == CreateMode::Exclusive,
        ))
    }

    /// Writes the zero-byte marker "path/".
    pub async fn mkdir(&self, path: &str) -> Result<(), Error> {
        self.inner.mkdir(path).await
    }

    /// Deletes the marker of an empty directory; `NotEmpty` if any other key lies below it.
    pub async fn rmdir(&self, path: &str) -> Result<(), Error> {
        self.inner.rmdir(path).await
    }

    pub async fn unlink(&self, path: &str) -> Result<(), Error> {
        self.inner.unlink(path).await
    }

    /// Copy then delete; for a directory, of every key below it, which is NOT atomic (see
    /// the `rename` module). An existing destination file is replaced; an existing
    /// destination directory must be empty.
    pub async fn rename(&self, from: &str, to: &str) -> Result<(), Error> {
        self.inner.rename(from, to).await
    }

    pub fn metrics(&self) -> MetricsSnapshot {
        self.inner.metrics.snapshot()
    }

    /// Requests sent and not answered yet, oldest first, as "GetObject <key>".
    pub fn in_flight(&self) -> Vec<String> {
        self.inner.metrics.in_flight()
    }

    /// Keys (or, for a whole subtree, common prefixes) listings left out of the view because
    /// they do not map to a path, or because a directory of the same name hides them.
    pub fn skipped_keys(&self) -> Vec<String> {
        let skipped = self.inner.skipped.lock().unwrap_or_else(|e| e.into_inner());
        skipped.iter().cloned().collect()
    }

    /// Forgets all cached metadata, e.g. after another writer changed the bucket.
    pub fn invalidate_cache(&self) {
        self.inner.cache.remove_tree("");
    }
}

#[cfg(test)]
mod tests {
    /// The adapter keeps these across awaits in a multi-threaded runtime.
    #[test]
    fn handles_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<super::S3Fs>();
        send_sync::<super::Reader>();
        send_sync::<super::Writer>();
        send_sync::<super::Error>();
    }
}

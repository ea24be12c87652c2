//! Single-path lookups: the cache first, then HEAD of the key, then a one-key LIST of
//! "path/" to tell a directory from nothing.

use super::Cached;
use crate::path::{parent, validate};
use crate::s3::ListPage;
use crate::{Attr, Error, Inner};

/// What a caller expects at a path, which decides how an uncached lookup asks S3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Most likely a file: HEAD first, and a LIST only when it is not one.
    Any,
    /// A directory or nothing (an open with O_DIRECTORY): HEAD and LIST at once, one
    /// round trip instead of two. A file still wins.
    Dir,
}

impl Inner {
    pub(crate) async fn stat(&self, path: &str, expect: Expect) -> Result<Attr, Error> {
        validate(path)?;
        self.lookup_as(path, expect).await.map(|c| c.attr)
    }

    /// Cached attributes of `path`, looked up in S3 when the cache does not know it.
    pub(crate) async fn lookup(&self, path: &str) -> Result<Cached, Error> {
        self.lookup_as(path, Expect::Any).await
    }

    async fn lookup_as(&self, path: &str, expect: Expect) -> Result<Cached, Error> {
        if path.is_empty() {
            return Ok(Cached {
                attr: Attr::directory(),
                etag: None,
            });
        }
        if let Some(cached) = self.cache.get(path) {
            return Ok(cached);
        }
        // Instances starting together look up the same paths: the first asks S3, the
        // others find its answer in the cache, a missing path's too.
        let asked = std::time::Instant::now();
        let _one_lookup = self.lookup_locks.lock(path).await;
        if let Some(cached) = self.cache.get(path) {
            return Ok(cached);
        }
        if self.cache.absent_since(path, asked) {
            return Err(Error::NotFound(path.to_owned()));
        }
        let found = match expect {
            Expect::Any => self.lookup_uncached(path).await,
            Expect::Dir => self
                .file_or_listed_dir_at(path)
                .await?
                .ok_or_else(|| Error::NotFound(path.to_owned())),
        };
        if let Err(Error::NotFound(_)) = &found {
            self.cache.note_absent(path);
        }
        found
    }

    async fn lookup_uncached(&self, path: &str) -> Result<Cached, Error> {
        if let Some(file) = self.file_at(path).await? {
            return Ok(file);
        }
        self.dir_at(path)
            .await?
            .ok_or_else(|| Error::NotFound(path.to_owned()))
    }

    pub(crate) async fn file_at(&self, path: &str) -> Result<Option<Cached>, Error> {
        let Some(meta) = self.head(&self.file_key(path)).await? else {
            return Ok(None);
        };
        let cached = Cached {
            attr: Attr::file(meta.size, meta.mtime),
            etag: meta.etag,
        };
        self.cache.insert(path, cached.clone());
        Ok(Some(cached))
    }

    /// For an open with O_DIRECTORY, which a listing follows: HEAD and the first page of
    /// the listing at once. A directory that fits in that page is kept listed whole, so
    /// the readdir after the open sends nothing.
    async fn file_or_listed_dir_at(&self, path: &str) -> Result<Option<Cached>, Error> {
        let prefix = self.dir_prefix(path);
        let started = std::time::Instant::now();
        let (file, page) = futures::future::join(
            self.file_at(path),
            self.list_page(&prefix, true, None, None),
        )
        .await;
        if let Some(file) = file? {
            return Ok(Some(file));
        }
        let page = page?;
        let Some(dir) = self.dir_of_page(path, &prefix, &page) else {
            return Ok(None);
        };
        self.keep_if_whole(path, &prefix, &page, started);
        Ok(Some(dir))
    }

    pub(crate) async fn dir_at(&self, path: &str) -> Result<Option<Cached>, Error> {
        let prefix = self.dir_prefix(path);
        // Delimited like read_dir, so both agree on stores that keep emptied directories
        // (SeaweedFS lists one as a common prefix of its parent and as "dir/" below itself).
        let page = self.list_page(&prefix, true, None, Some(1)).await?;
        Ok(self.dir_of_page(path, &prefix, &page))
    }

    /// The directory a listing of "path/" shows, if any, cached.
    fn dir_of_page(&self, path: &str, prefix: &str, page: &ListPage) -> Option<Cached> {
        if page.is_empty() {
            return None;
        }
        let marker_mtime = page
            .objects
            .first()
            .filter(|o| o.key == prefix)
            .and_then(|o| o.mtime);
        let cached = Cached {
            attr: Attr {
                mtime: marker_mtime,
                ..Attr::directory()
            },
            etag: None,
        };
        // Inserted after the HEAD's answer, so when both came back the file's stays.
        if self.cache.get(path).is_none() {
            match marker_mtime {
                Some(_) => self.cache.insert_marked_dir(path, cached.clone()),
                None => self.cache.insert(path, cached.clone()),
            }
        }
        Some(cached)
    }

    /// `None` if `path` does not exist; other errors pass through.
    pub(crate) async fn lookup_optional(&self, path: &str) -> Result<Option<Cached>, Error> {
        match self.lookup(path).await {
            Ok(c) => Ok(Some(c)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// New entries need an existing parent directory, as in any file system.
    pub(crate) async fn require_parent_dir(&self, path: &str) -> Result<(), Error> {
        let dir = parent(path);
        match self.lookup_optional(dir).await? {
            Some(c) if c.attr.is_dir() => Ok(()),
            Some(_) => Err(Error::NotDir(dir.to_owned())),
            None => Err(Error::NotFound(dir.to_owned())),
        }
    }
}

//! Single-path lookups: the cache first, then one LIST whose prefix is the key, which shows
//! a file of that name and a directory of that name alike.

use super::Cached;
use crate::path::{parent, validate};
use crate::s3::{ListPage, ListedObject};
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
        // The requests' futures are big (about 14 KiB): boxed, so that a lookup the cache
        // answers, a walk's stat of every entry, moves a few bytes instead.
        Box::pin(self.lookup_locked(path, expect)).await
    }

    async fn lookup_locked(&self, path: &str, expect: Expect) -> Result<Cached, Error> {
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

    /// One delimited LIST whose prefix is the key itself answers for the file and for the
    /// directory of that name at once, so a missing path (metadata not written yet, the
    /// common case) costs one round trip, not a HEAD and then a LIST: three under a role
    /// scoped by `s3:prefix`, whose HEAD of a missing key is refused, not answered.
    async fn lookup_uncached(&self, path: &str) -> Result<Cached, Error> {
        let key = self.file_key(path);
        let page = self.list_page(&key, true, None, Some(PROBE_KEYS)).await?;
        match probed(&key, &page) {
            Probed::File(o) => {
                let cached = Cached {
                    attr: Attr::file(o.size, o.mtime),
                    etag: o.etag.clone(),
                };
                self.cache.insert(path, cached.clone());
                Ok(cached)
            }
            Probed::Nothing => Err(Error::NotFound(path.to_owned())),
            // Its marker, if any, is folded into the prefix here: the directory's own
            // listing says, as read_dir would.
            Probed::MaybeDir => self
                .dir_at(path)
                .await?
                .ok_or_else(|| Error::NotFound(path.to_owned())),
        }
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
    /// the listing at once. That page is kept (`keep_first_page`), so the readdir after
    /// the open sends nothing for it.
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
        self.keep_first_page(path, &prefix, page, started);
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

/// Keys a lookup's LIST asks for: the file, the directory, and room for a few siblings that
/// sort between the two (`a.txt` < `a.txt.bak` < `a.txt/`).
const PROBE_KEYS: i32 = 8;

enum Probed<'a> {
    File(&'a ListedObject),
    /// A directory's prefix was listed, or the page ended before it could have been.
    MaybeDir,
    Nothing,
}

/// What a delimited listing with prefix `key` says is at `key`. A file wins over a
/// directory of the same name, as a HEAD-first lookup had it.
fn probed<'a>(key: &str, page: &'a ListPage) -> Probed<'a> {
    if let Some(file) = page.objects.iter().find(|o| o.key == key) {
        return Probed::File(file);
    }
    let dir = format!("{key}/");
    let seen = page.prefixes.contains(&dir) || page.objects.iter().any(|o| o.key.starts_with(&dir));
    // S3 lists in byte order, so a page that went past "key/" has shown it if it exists.
    let last = page
        .objects
        .iter()
        .map(|o| o.key.as_str())
        .chain(page.prefixes.iter().map(String::as_str))
        .max();
    let settled = page.next_token.is_none() || last.is_some_and(|l| l > dir.as_str());
    if seen || !settled {
        Probed::MaybeDir
    } else {
        Probed::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(keys: &[&str], prefixes: &[&str], more: bool) -> ListPage {
        ListPage {
            objects: keys
                .iter()
                .map(|k| ListedObject {
                    key: k.to_string(),
                    size: 1,
                    mtime: None,
                    etag: None,
                })
                .collect(),
            prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            next_token: more.then(|| "next".to_string()),
        }
    }

    #[test]
    fn a_lookup_listing_tells_file_directory_and_nothing_apart() {
        let k = "r/a.txt";
        let cases: &[(ListPage, &str)] = &[
            (page(&[], &[], false), "nothing"),
            (page(&["r/a.txt"], &[], false), "file"),
            (
                page(&["r/a.txt", "r/a.txt.bak"], &["r/a.txt/"], false),
                "file",
            ),
            (page(&["r/a.txt.bak"], &[], false), "nothing"),
            (page(&[], &["r/a.txt/"], false), "dir"),
            (page(&["r/a.txt/x"], &[], false), "dir"),
            // Siblings filled the page before "r/a.txt/" could come: not settled.
            (page(&["r/a.txt-1", "r/a.txt-2"], &[], true), "dir"),
            // Past "r/a.txt/" already: nothing, however many pages follow.
            (page(&["r/a.txt-1"], &["r/a.txt0/"], true), "nothing"),
        ];
        for (p, want) in cases {
            let got = match probed(k, p) {
                Probed::File(o) => {
                    assert_eq!(o.key, k);
                    "file"
                }
                Probed::MaybeDir => "dir",
                Probed::Nothing => "nothing",
            };
            assert_eq!(got, *want, "{:?} {:?}", p.objects, p.prefixes);
        }
    }
}

//! Directory listings: ListObjectsV2 with delimiter '/', read as a stream of pages. A
//! directory of a million keys is never held whole: each page is mapped to entries, handed
//! to the cache (which keeps what its budget allows) and to the reader, while the next page
//! is already on its way.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use tokio::task::JoinHandle;

use super::Cached;
use super::path_locks::PathGuard;
use crate::path::{join, unmappable_key, validate};
use crate::s3::{ListPage, ListedObject};
use crate::{Attr, DirEntry, Error, Inner};

/// First pages fetched ahead of their reader, of directories too big to cache from one page:
/// the stream that opens the directory next starts from its page instead of asking again.
/// A few at most: a walk opens 16 directories ahead, and a page is up to 1,000 keys.
#[derive(Default)]
pub(crate) struct Heads(std::sync::Mutex<VecDeque<(String, Instant, ListPage)>>);

const HEADS_MAX: usize = 16;

impl Heads {
    fn put(&self, path: &str, started: Instant, page: ListPage) {
        let mut heads = self.0.lock().unwrap_or_else(|e| e.into_inner());
        heads.retain(|(p, _, _)| p != path);
        if heads.len() >= HEADS_MAX {
            heads.pop_front();
        }
        heads.push_back((path.to_owned(), started, page));
    }

    /// Whether a first page of `path` fetched since `asked` is waiting for its reader.
    fn holds(&self, path: &str, asked: Instant) -> bool {
        let heads = self.0.lock().unwrap_or_else(|e| e.into_inner());
        heads
            .iter()
            .any(|(p, started, _)| p == path && *started >= asked)
    }

    /// The first page of `path` if one was fetched since `asked`, and when it was asked for.
    fn take(&self, path: &str, asked: Instant) -> Option<(Instant, ListPage)> {
        let mut heads = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let i = heads.iter().position(|(p, _, _)| p == path)?;
        let (_, started, page) = heads.remove(i)?;
        (started >= asked).then_some((started, page))
    }
}

/// The pages of one delimited listing, turned into entries in the order they can be told.
///
/// A key "x" beside keys under "x/" is hidden by the directory, but the listing shows the
/// key first and the prefix "x/" up to a page later ("x.txt" sorts between them). So a file
/// is held until the listing has passed "x/", or has ended.
#[derive(Default)]
struct Pages {
    prefix: String,
    /// Files a directory of the same name may still hide: (name, attributes, key).
    held: Vec<(String, Cached, String)>,
    /// The directory last shown: a store that ignores the delimiter names it once per key.
    last_dir: Option<String>,
    /// Anything at all below the prefix, mappable or not, or its marker.
    anything: bool,
}

impl Pages {
    fn new(prefix: &str) -> Pages {
        Pages {
            prefix: prefix.to_owned(),
            ..Pages::default()
        }
    }

    /// The entries `page` tells for certain, by name.
    fn take(&mut self, inner: &Inner, page: &ListPage) -> Vec<(String, Cached)> {
        self.anything |= !page.is_empty();
        let mut out = Vec::with_capacity(page.objects.len() + page.prefixes.len());
        for object in &page.objects {
            self.take_object(inner, object, &mut out);
        }
        for p in &page.prefixes {
            let Some(name) = p
                .strip_prefix(self.prefix.as_str())
                .and_then(|n| n.strip_suffix('/'))
            else {
                continue;
            };
            if let Some(reason) = unmappable_key(p, &p[inner.prefix.len()..]) {
                inner.skip(p, reason);
                continue;
            }
            self.dir(inner, name, &mut out);
        }
        // S3 lists in byte order: past this key, no directory can still hide a held file.
        let last = [
            page.objects.last().map(|o| o.key.as_str()),
            page.prefixes.last().map(String::as_str),
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(last) = last {
            let prefix = &self.prefix;
            let (passed, held) = std::mem::take(&mut self.held)
                .into_iter()
                .partition(|(name, _, _)| dir_sorts_by(prefix, name, last));
            self.held = held;
            out.extend(passed.into_iter().map(|(name, c, _)| (name, c)));
        }
        out
    }

    fn take_object(
        &mut self,
        inner: &Inner,
        object: &ListedObject,
        out: &mut Vec<(String, Cached)>,
    ) {
        let key = object.key.as_str();
        let Some(name) = key.strip_prefix(self.prefix.as_str()) else {
            return;
        };
        if let Some(reason) = unmappable_key(key, &key[inner.prefix.len()..]) {
            inner.skip(key, reason);
            return;
        }
        if name.is_empty() {
            // This directory's own marker: it exists even if empty. A marker with data
            // (S3 allows it) cannot also be a file, so its bytes are reported, not shown.
            if object.size > 0 {
                inner.skip(key, "a key ending in '/' that carries data");
            }
            return;
        }
        if let Some((dir, _)) = name.split_once('/') {
            // Only a store ignoring the delimiter sends these; still a directory.
            let dir = dir.to_owned();
            self.dir(inner, &dir, out);
            return;
        }
        let cached = Cached {
            attr: Attr::file(object.size, object.mtime),
            etag: object.etag.clone(),
        };
        self.held.push((name.to_owned(), cached, key.to_owned()));
    }

    fn dir(&mut self, inner: &Inner, name: &str, out: &mut Vec<(String, Cached)>) {
        if self.last_dir.as_deref() == Some(name) {
            return;
        }
        if let Some(i) = self.held.iter().position(|(held, _, _)| held == name) {
            let (_, _, key) = self.held.swap_remove(i);
            inner.skip(&key, "a directory of the same name hides it");
        }
        self.last_dir = Some(name.to_owned());
        out.push((name.to_owned(), Cached::directory()));
    }

    /// The listing has ended: every file still held is shown.
    fn finish(&mut self) -> Vec<(String, Cached)> {
        std::mem::take(&mut self.held)
            .into_iter()
            .map(|(name, c, _)| (name, c))
            .collect()
    }
}

/// Whether the key `prefix` + `name` + "/" sorts at or before `last`, in the byte order S3
/// lists in. Asked of every file a page holds back, so nothing is built to ask it.
fn dir_sorts_by(prefix: &str, name: &str, last: &str) -> bool {
    let dir = prefix
        .bytes()
        .chain(name.bytes())
        .chain(std::iter::once(b'/'));
    dir.le(last.bytes())
}

/// The entries of one directory, read as its listing arrives. Holds the directory's
/// listing lock while pages remain, so instances sharing this S3Fs that read the same
/// directory wait for this listing and take it from the cache, rather than list it again.
pub struct DirStream {
    inner: Arc<Inner>,
    path: String,
    ready: VecDeque<DirEntry>,
    state: State,
}

enum State {
    /// Read from a listing the cache holds whole, a page at a time: the names after the
    /// one shown last.
    Cached {
        asked: Instant,
        after: Option<String>,
    },
    /// More pages to come from S3; the next is on its way.
    Listing(Box<Lister>),
    Done,
}

/// Entries a cached listing hands over at once.
const CACHED_PAGE: usize = 1000;

struct Lister {
    pages: Pages,
    started: Instant,
    evictions: u64,
    /// A listing that takes over from a cached one shows only the names after this.
    shown_through: Option<String>,
    next: Option<JoinHandle<Result<ListPage, Error>>>,
    _one_listing: PathGuard,
}

impl Drop for Lister {
    fn drop(&mut self) {
        if let Some(next) = &self.next {
            next.abort();
        }
    }
}

impl DirStream {
    /// Opens directory `path` as listed at some moment after `asked`: a listing another
    /// caller finished since is ours too, and so is one the open of the directory made,
    /// which is what a directory stream of a file system shows. A directory that is not
    /// there fails here, not while it is read.
    pub(crate) async fn open(
        inner: Arc<Inner>,
        path: &str,
        asked: Instant,
    ) -> Result<DirStream, Error> {
        validate(path)?;
        if let Some(c) = inner.cache.get(path)
            && !c.attr.is_dir()
        {
            return Err(Error::NotDir(path.to_owned()));
        }
        let mut stream = DirStream {
            inner: Arc::clone(&inner),
            path: path.to_owned(),
            ready: VecDeque::new(),
            state: State::Cached { asked, after: None },
        };
        // Instances sharing this S3Fs read the same directory at once: the first lists it,
        // the rest wait for it and then read it from the cache.
        let one_listing = inner.listing_locks.lock(path).await;
        if inner.cache.listed_page(path, asked, None, 0).is_none() {
            let head = inner.heads.take(path, asked);
            Box::pin(stream.list(one_listing, None, head)).await?;
        }
        Ok(stream)
    }

    /// Starts listing from S3, showing only names after `shown_through`; from `head`, the
    /// first page and when it was asked for, where a listing ahead fetched it.
    async fn list(
        &mut self,
        one_listing: PathGuard,
        shown_through: Option<String>,
        head: Option<(Instant, ListPage)>,
    ) -> Result<(), Error> {
        let prefix = self.inner.dir_prefix(&self.path);
        let evictions = self.inner.cache.evictions();
        let (started, first) = match head {
            Some(head) => head,
            None => {
                let started = Instant::now();
                (
                    started,
                    self.inner.list_page(&prefix, true, None, None).await?,
                )
            }
        };
        self.state = State::Listing(Box::new(Lister {
            pages: Pages::new(&prefix),
            started,
            evictions,
            shown_through,
            next: None,
            _one_listing: one_listing,
        }));
        self.take(first).await
    }

    /// The next entry, in no set order; `None` once the listing is done. What needs S3 is
    /// boxed: its futures are big, and most calls take an entry already here.
    pub async fn next(&mut self) -> Result<Option<DirEntry>, Error> {
        loop {
            if let Some(entry) = self.ready.pop_front() {
                return Ok(Some(entry));
            }
            match &mut self.state {
                State::Done => return Ok(None),
                State::Cached { asked, after } => {
                    let page = self.inner.cache.listed_page(
                        &self.path,
                        *asked,
                        after.as_deref(),
                        CACHED_PAGE,
                    );
                    match page {
                        Some(page) if page.is_empty() => self.state = State::Done,
                        Some(page) => {
                            *after = page.last().map(|(name, _)| name.clone());
                            self.ready.extend(
                                page.into_iter()
                                    .map(|(name, c)| DirEntry { name, attr: c.attr }),
                            );
                        }
                        // Evicted or changed since: the rest comes from S3.
                        None => {
                            let shown_through = after.take();
                            let one_listing = self.inner.listing_locks.lock(&self.path).await;
                            Box::pin(self.list(one_listing, shown_through, None)).await?;
                        }
                    }
                }
                State::Listing(lister) => {
                    let Some(next) = lister.next.take() else {
                        return Ok(None);
                    };
                    let page = next.await.map_err(|e| {
                        Error::io(&self.inner.dir_prefix(&self.path), format!("listing: {e}"))
                    })??;
                    Box::pin(self.take(page)).await?;
                }
            }
        }
    }

    /// Every entry left, sorted by name.
    pub async fn collect(mut self) -> Result<Vec<DirEntry>, Error> {
        let mut entries = Vec::new();
        while let Some(e) = self.next().await? {
            entries.push(e);
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// Maps one page and asks for the one after it before the reader gets this one's
    /// entries; at the end, settles what the listing showed with the cache. The listing
    /// lock is let go only then, so those waiting for it find the listing cached.
    async fn take(&mut self, page: ListPage) -> Result<(), Error> {
        let State::Listing(lister) = &mut self.state else {
            return Ok(());
        };
        if let Some(token) = page.next_token.clone() {
            let (inner, prefix) = (Arc::clone(&self.inner), lister.pages.prefix.clone());
            lister.next = Some(tokio::spawn(async move {
                inner.list_page(&prefix, true, Some(token), None).await
            }));
        }
        let mut children = lister.pages.take(&self.inner, &page);
        let last = page.next_token.is_none();
        if last {
            children.extend(lister.pages.finish());
        }
        let (started, evictions, anything) =
            (lister.started, lister.evictions, lister.pages.anything);
        let shown_through = lister.shown_through.clone();
        if last && !anything && !self.path.is_empty() {
            self.inner.cache.remove_tree(&self.path);
            let found = self.inner.head(&self.inner.file_key(&self.path)).await;
            self.state = State::Done;
            return Err(match found? {
                Some(_) => Error::NotDir(self.path.clone()),
                None => Error::NotFound(self.path.clone()),
            });
        }
        self.inner.learn_listed(&self.path, &children, started);
        self.ready.extend(
            children
                .into_iter()
                .filter(|(name, _)| shown_through.as_ref().is_none_or(|s| name > s))
                .map(|(name, c)| DirEntry { name, attr: c.attr }),
        );
        if last {
            self.inner
                .cache
                .finish_listing(&self.path, started, evictions);
            self.state = State::Done;
        }
        Ok(())
    }
}

impl Inner {
    /// Lists directory `path` ahead of its reader, as a stream opened at `asked` would:
    /// one page, kept as [`Inner::keep_first_page`] says. A directory already listed since
    /// `asked`, or whose first page since then is already kept, costs nothing.
    pub(crate) async fn list_ahead(&self, path: &str, asked: Instant) -> Result<(), Error> {
        let _one_listing = self.listing_locks.lock(path).await;
        if self.cache.listed_page(path, asked, None, 0).is_some() || self.heads.holds(path, asked) {
            return Ok(());
        }
        let prefix = self.dir_prefix(path);
        let started = Instant::now();
        let page = self.list_page(&prefix, true, None, None).await?;
        self.keep_first_page(path, &prefix, page, started);
        Ok(())
    }

    /// The first page of a listing sent at `started`, before anyone read the directory. A
    /// page that holds the whole directory is its complete listing: cached, so a read_dir
    /// asked before now sends nothing. The first page of a bigger directory is kept for the
    /// stream that opens it next to start from, so it is not asked for twice. An empty page
    /// is neither: the directory has gone, which its reader is told.
    pub(crate) fn keep_first_page(
        &self,
        path: &str,
        prefix: &str,
        page: ListPage,
        started: Instant,
    ) {
        if page.next_token.is_some() {
            self.heads.put(path, started, page);
        } else if !page.is_empty() {
            let evictions = self.cache.evictions();
            let mut pages = Pages::new(prefix);
            let mut children = pages.take(self, &page);
            children.extend(pages.finish());
            self.learn_listed(path, &children, started);
            self.cache.finish_listing(path, started, evictions);
        }
    }

    /// Caches `children` of `path`, one page of a listing sent at `started`.
    fn learn_listed(&self, path: &str, children: &[(String, Cached)], started: Instant) {
        let cached: Vec<(String, Cached)> = children
            .iter()
            .map(|(name, c)| (join(path, name), c.clone()))
            .collect();
        self.cache.learn_listed(path, &cached, started);
    }

    /// Every key below directory `path`, its marker included, across all pages.
    pub(crate) async fn list_tree(&self, path: &str) -> Result<Vec<ListedObject>, Error> {
        let prefix = self.dir_prefix(path);
        let mut objects = Vec::new();
        let mut token = None;
        loop {
            let page = self.list_page(&prefix, false, token.take(), None).await?;
            objects.extend(page.objects);
            match page.next_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        Ok(objects)
    }

    pub(crate) fn skip(&self, key: &str, reason: &str) {
        let mut skipped = self.skipped.lock().unwrap_or_else(|e| e.into_inner());
        if skipped.insert(key.to_owned()) {
            tracing::warn!(key, reason, "S3 key left out of the file view");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::dir_sorts_by;

    #[test]
    fn a_directory_sorts_by_the_bytes_of_its_key() {
        for (last, passed) in [
            ("big/x/", true),
            ("big/x/inner", true),
            ("big/y", true),
            ("big/x", false),
            ("big/x.txt", false),
            ("big/w", false),
        ] {
            assert_eq!(dir_sorts_by("big/", "x", last), passed, "{last}");
        }
    }
}

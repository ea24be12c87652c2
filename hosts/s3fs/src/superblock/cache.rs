//! Attributes learnt from listings, HEADs and our own writes, keyed by path. A stat after a
//! read_dir is answered from here with no request. Without a TTL entries live until our own
//! mutations change them, which is correct while this S3Fs is the only writer under its
//! prefix; with one, entries older than the TTL are looked up again. Either way the cache
//! holds at most its budget (see `entries`): an entry dropped is asked for again.

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::entries::Entries;
use crate::Attr;
use crate::path::parent;

#[derive(Debug, Clone)]
pub(crate) struct Cached {
    pub attr: Attr,
    /// Pins readers to the version they opened; see `Inner::get_range`.
    pub etag: Option<String>,
}

impl Cached {
    /// A directory: implied by the keys below it or by its marker, so it has no etag.
    pub(crate) fn directory() -> Cached {
        Cached {
            attr: Attr::directory(),
            etag: None,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Entry {
    pub cached: Cached,
    pub learnt: Instant,
    /// For a directory whose complete listing is cached (a name missing below it is
    /// absent): when that listing finished.
    pub listed: Option<Instant>,
    /// A directory whose "dir/" marker we wrote or saw: it outlives its last child.
    pub marked: bool,
    /// Its place in the age order; set by [`Entries`].
    pub seq: u64,
}

impl Entry {
    pub fn new(cached: Cached, learnt: Instant) -> Entry {
        Entry {
            cached,
            learnt,
            listed: None,
            marked: false,
            seq: 0,
        }
    }
}

#[derive(Debug)]
pub(crate) struct MetaCache {
    entries: Mutex<Entries>,
    ttl: Option<Duration>,
    /// Paths a lookup found absent, and when. Only callers that asked before then take
    /// that answer (as [`MetaCache::listed_page`] does for a listing): instances that look
    /// up the same missing path at once wait for one answer instead of each asking S3 in
    /// turn. Anything learnt at or below the path since overrides it.
    absent: Mutex<HashMap<String, Instant>>,
}

/// Absent paths remembered at most; past it the record starts afresh.
const ABSENT_MAX: usize = 4096;

/// Upper bound of the keys strictly below `dir` ('0' is the byte after '/').
fn below(dir: &str) -> (Bound<String>, Bound<String>) {
    if dir.is_empty() {
        (Bound::Unbounded, Bound::Unbounded)
    } else {
        (
            Bound::Excluded(format!("{dir}/")),
            Bound::Excluded(format!("{dir}0")),
        )
    }
}

fn is_direct_child(dir: &str, path: &str) -> bool {
    parent(path) == dir && path != dir
}

impl MetaCache {
    /// `budget`: bytes of metadata kept at most, estimated; the oldest entries go first.
    pub fn new(ttl: Option<Duration>, budget: usize) -> MetaCache {
        MetaCache {
            entries: Mutex::new(Entries::new(budget)),
            ttl,
            absent: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves the map consistent (every change is one call).
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, path: &str) -> Option<Cached> {
        let mut entries = self.lock();
        let entry = entries.get(path)?;
        if self.ttl.is_some_and(|ttl| entry.learnt.elapsed() > ttl) {
            entries.remove(path);
            return None;
        }
        Some(entry.cached.clone())
    }

    /// Records `path` and, since a key implies every directory above it, its ancestors.
    pub fn insert(&self, path: &str, cached: Cached) {
        let mut entries = self.lock();
        let now = Instant::now();
        let mut dir = parent(path);
        while !dir.is_empty() {
            match entries.get(dir) {
                Some(e) if e.cached.attr.is_dir() => break,
                _ => {
                    entries.insert(dir.to_owned(), Entry::new(Cached::directory(), now));
                }
            }
            dir = parent(dir);
        }
        Self::put(&mut entries, path, cached, now);
    }

    fn put(entries: &mut Entries, path: &str, cached: Cached, learnt: Instant) {
        if !cached.attr.is_dir() {
            // A file has no children: whatever was cached below a directory it replaced is gone.
            Self::drop_below(entries, path);
        }
        entries.insert(path.to_owned(), Entry::new(cached, learnt));
    }

    fn drop_below(entries: &mut Entries, dir: &str) {
        let doomed: Vec<String> = entries.below(dir).map(|(k, _)| k.clone()).collect();
        for k in doomed {
            entries.remove(&k);
        }
    }

    pub fn remove(&self, path: &str) {
        self.lock().remove(path);
    }

    /// Forgets `path` and everything below it.
    pub fn remove_tree(&self, path: &str) {
        let mut entries = self.lock();
        if path.is_empty() {
            entries.clear();
            return;
        }
        entries.remove(path);
        Self::drop_below(&mut entries, path);
    }

    /// A directory known to have its marker ("dir/"), as a file system's directory it
    /// stays when emptied: removing its last child costs no lookup of it afterwards.
    pub fn insert_marked_dir(&self, path: &str, cached: Cached) {
        self.insert(path, cached);
        if let Some(e) = self.lock().get_mut(path) {
            e.marked = true;
        }
    }

    /// After a key is removed its parent directories may be gone too (a directory with no
    /// marker exists only through its keys), so they are looked up afresh next time. One
    /// that still holds other entries we know of, or its marker, is still there, and so is
    /// everything above.
    pub fn forget_ancestors(&self, path: &str) {
        let mut entries = self.lock();
        let mut dir = parent(path);
        let mut forgot = false;
        while !dir.is_empty()
            && !entries.get(dir).is_some_and(|e| e.marked)
            && entries.below(dir).next().is_none()
        {
            forgot |= entries.remove(dir).is_some();
            dir = parent(dir);
        }
        // That directory's listing named the ones just forgotten, which may or may not
        // still exist: it no longer tells what is absent.
        if forgot && let Some(e) = entries.get_mut(dir) {
            e.listed = None;
        }
    }

    /// Makes the cached children of `dir` those of a complete listing sent at `started`.
    pub fn replace_children(&self, dir: &str, children: &[(String, Cached)], started: Instant) {
        let evictions = self.evictions();
        self.learn_listed(dir, children, started);
        self.finish_listing(dir, started, evictions);
    }

    /// Entries the budget has evicted so far: a listing that saw this number change while
    /// it ran is no longer whole in the cache.
    pub fn evictions(&self) -> u64 {
        self.lock().evictions()
    }

    /// Records `children`, one page of a listing of `dir` sent at `started`. What was
    /// learnt while the listing was under way (a write of our own that finished meanwhile)
    /// is newer than the listing, and stays as it is.
    pub fn learn_listed(&self, dir: &str, children: &[(String, Cached)], started: Instant) {
        let mut entries = self.lock();
        let now = Instant::now();
        if !entries.get(dir).is_some_and(|e| e.cached.attr.is_dir()) {
            entries.insert(dir.to_owned(), Entry::new(Cached::directory(), now));
        }
        for (path, cached) in children {
            if entries.get(path).is_some_and(|e| e.learnt > started) {
                continue;
            }
            let keep_dir_mtime = cached.attr.is_dir()
                && cached.attr.mtime.is_none()
                && entries.get(path).is_some_and(|e| e.cached.attr.is_dir());
            if !keep_dir_mtime {
                Self::put(&mut entries, path, cached.clone(), now);
            } else if let Some(e) = entries.get_mut(path) {
                e.learnt = now;
            }
        }
    }

    /// The listing of `dir` sent at `started` has shown all its pages to
    /// [`MetaCache::learn_listed`]: a cached child it did not show, and not learnt since,
    /// is gone, with its subtree. Unless the budget evicted anything since `evictions`
    /// (taken before the first page), `dir` now answers for names it does not hold.
    pub fn finish_listing(&self, dir: &str, started: Instant, evictions: u64) {
        let mut entries = self.lock();
        let stale: Vec<String> = entries
            .below(dir)
            .filter(|(k, e)| is_direct_child(dir, k) && e.learnt <= started)
            .map(|(k, _)| k.clone())
            .collect();
        for path in stale {
            entries.remove(&path);
            Self::drop_below(&mut entries, &path);
        }
        let whole = entries.evictions() == evictions;
        let now = Instant::now();
        if let Some(e) = entries.get_mut(dir)
            && e.cached.attr.is_dir()
        {
            e.learnt = now;
            if whole {
                e.listed = Some(now);
            }
        }
    }

    /// `path` is not there as far as this cache can tell without a request: its parent's
    /// complete listing is cached and fresh, and neither it nor our own changes since hold
    /// `path`. As trustworthy as the rest of the cache (see the module doc).
    pub fn known_absent(&self, path: &str) -> bool {
        if path.is_empty() {
            return false;
        }
        let entries = self.lock();
        if entries.contains_key(path) {
            return false;
        }
        entries
            .get(parent(path))
            .is_some_and(|e| e.listed.is_some() && self.fresh_dir(e))
    }

    fn fresh_dir(&self, e: &Entry) -> bool {
        e.cached.attr.is_dir() && self.ttl.is_none_or(|ttl| e.learnt.elapsed() <= ttl)
    }

    /// Records that a lookup found `path` absent, now.
    pub fn note_absent(&self, path: &str) {
        let mut absent = self.absent.lock().unwrap_or_else(|e| e.into_inner());
        if absent.len() >= ABSENT_MAX {
            absent.clear();
        }
        absent.insert(path.to_owned(), Instant::now());
    }

    /// Whether `path` was found absent after `since`, and nothing at or below it was
    /// learnt afterwards (learning a key below a path records the path as a directory).
    pub fn absent_since(&self, path: &str, since: Instant) -> bool {
        let entries = self.lock();
        if entries.contains_key(path) {
            return false;
        }
        let absent = self.absent.lock().unwrap_or_else(|e| e.into_inner());
        absent.get(path).is_some_and(|at| *at >= since)
    }

    /// Whether a lookup found `path` absent within the last `window`, with nothing learnt at
    /// or below it since.
    pub fn absent_within(&self, path: &str, window: Duration) -> bool {
        Instant::now()
            .checked_sub(window)
            .is_some_and(|since| self.absent_since(path, since))
    }

    /// Up to `max` children of `dir` by name, those after `after`, if a complete listing of
    /// it finished after `since` and the cache still holds it whole (with our own changes
    /// since applied): a directory read from the cache a page at a time, never copied whole.
    pub fn listed_page(
        &self,
        dir: &str,
        since: Instant,
        after: Option<&str>,
        max: usize,
    ) -> Option<Vec<(String, Cached)>> {
        let entries = self.lock();
        let e = entries.get(dir)?;
        if !(e.listed.is_some_and(|at| at >= since) && self.fresh_dir(e)) {
            return None;
        }
        let skip = if dir.is_empty() { 0 } else { dir.len() + 1 };
        let (start, end) = below(dir);
        let start = match after {
            Some(name) => Bound::Excluded(crate::path::join(dir, name)),
            None => start,
        };
        Some(
            entries
                .range((start, end))
                .filter(|(k, _)| is_direct_child(dir, k))
                .take(max)
                .map(|(k, e)| (k[skip..].to_owned(), e.cached.clone()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(size: u64) -> Cached {
        Cached {
            attr: Attr::file(size, None),
            etag: None,
        }
    }

    fn dir() -> Cached {
        Cached::directory()
    }

    #[test]
    fn insert_implies_ancestors() {
        let c = MetaCache::new(None, usize::MAX);
        c.insert("a/b/c", file(3));
        assert!(c.get("a").unwrap().attr.is_dir());
        assert!(c.get("a/b").unwrap().attr.is_dir());
        assert_eq!(c.get("a/b/c").unwrap().attr.size, 3);
        c.insert("a/x", file(1));
        c.remove("a/b/c");
        c.forget_ancestors("a/b/c");
        assert!(c.get("a/b").is_none(), "a/b/c is all we knew of a/b");
        assert!(c.get("a").is_some(), "a/x still shows a");
        c.remove("a/x");
        c.forget_ancestors("a/x");
        assert!(c.get("a").is_none());

        c.insert_marked_dir("m", dir());
        c.insert("m/claim", file(1));
        c.remove("m/claim");
        c.forget_ancestors("m/claim");
        assert!(c.get("m").is_some(), "its marker keeps m when emptied");
    }

    #[test]
    fn a_path_found_absent_answers_only_those_who_asked_before() {
        let c = MetaCache::new(None, usize::MAX);
        let before = Instant::now();
        c.note_absent(".claims-1");
        assert!(c.absent_since(".claims-1", before));
        let later = Instant::now() + Duration::from_millis(1);
        assert!(
            !c.absent_since(".claims-1", later),
            "asked later: look again"
        );
        assert!(!c.absent_since(".claims-2", before));
        assert!(c.absent_within(".claims-1", Duration::from_secs(1)));
        assert!(!c.absent_within(".claims-2", Duration::from_secs(1)));
        c.insert(".claims-1/doc.txt", file(1));
        assert!(
            !c.absent_since(".claims-1", before),
            "a key below it was learnt since"
        );
        assert!(!c.absent_within(".claims-1", Duration::from_secs(1)));
    }

    #[test]
    fn replace_children_drops_stale_subtrees_only_below_dir() {
        let c = MetaCache::new(None, usize::MAX);
        c.insert("d/old/x", file(1));
        c.insert("d/keep", file(1));
        c.insert("d0", file(1));
        c.insert("e/f", file(1));
        c.replace_children(
            "d",
            &[("d/keep".into(), file(2)), ("d/new".into(), dir())],
            Instant::now(),
        );
        assert!(c.get("d/old").is_none() && c.get("d/old/x").is_none());
        assert_eq!(c.get("d/keep").unwrap().attr.size, 2);
        assert!(c.get("d/new").unwrap().attr.is_dir());
        assert!(c.get("d0").is_some() && c.get("e/f").is_some());
        c.replace_children("", &[("d".into(), dir())], Instant::now());
        assert!(c.get("d0").is_none() && c.get("e").is_none() && c.get("e/f").is_none());
        assert!(c.get("d/keep").is_some());
    }

    #[test]
    fn what_was_learnt_while_a_listing_ran_outlives_it() {
        let c = MetaCache::new(None, usize::MAX);
        c.insert("d/old", file(1));
        let started = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        // Our own writes, finished after the LIST was sent: it may not show them.
        c.insert("d/claim", file(7));
        c.insert("d/old", file(2));
        c.replace_children("d", &[("d/old".into(), file(1))], started);
        assert_eq!(
            c.get("d/claim").unwrap().attr.size,
            7,
            "kept, not forgotten"
        );
        assert_eq!(
            c.get("d/old").unwrap().attr.size,
            2,
            "the newer answer stays"
        );
    }

    #[test]
    fn a_complete_listing_answers_absent_names_until_it_is_forgotten() {
        let c = MetaCache::new(None, usize::MAX);
        c.insert("d/seen", file(1));
        assert!(!c.known_absent("d/other"), "d was never listed whole");
        c.replace_children("d", &[("d/seen".into(), file(1))], Instant::now());
        assert!(c.known_absent("d/other"));
        assert!(!c.known_absent("d/seen") && !c.known_absent("d/other/x"));
        c.insert("d/other", file(2));
        assert!(!c.known_absent("d/other"));
        c.replace_children("", &[("d".into(), dir())], Instant::now());
        assert!(c.known_absent("e") && !c.known_absent("d"));
        let before = Instant::now();
        assert!(
            c.listed_page("", before, None, usize::MAX).is_none(),
            "listed before we asked"
        );
        c.replace_children(
            "",
            &[("d".into(), dir()), ("f".into(), file(1))],
            Instant::now(),
        );
        let names: Vec<String> = c
            .listed_page("", before, None, usize::MAX)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["d", "f"]);
        let page = |after, max| -> Vec<String> {
            c.listed_page("", before, after, max)
                .unwrap()
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        };
        assert_eq!(page(None, 1), ["d"]);
        assert_eq!(
            page(Some("d"), 5),
            ["f"],
            "d's own children are not the root's"
        );
        assert!(page(Some("f"), 5).is_empty());
        c.remove("d/seen");
        c.forget_ancestors("d/seen");
        assert!(c.known_absent("d/seen"), "d/other still shows d");
        c.remove("d/other");
        c.forget_ancestors("d/other");
        assert!(
            !c.known_absent("d/new"),
            "a forgotten directory knows nothing"
        );
        assert!(!c.known_absent("d") && !c.known_absent("e"));
    }

    #[test]
    fn remove_tree_and_ttl() {
        let c = MetaCache::new(None, usize::MAX);
        c.insert("a/b", file(1));
        c.insert("ab", file(1));
        c.remove_tree("a");
        assert!(c.get("a").is_none() && c.get("a/b").is_none());
        assert!(c.get("ab").is_some());

        let expiring = MetaCache::new(Some(Duration::ZERO), usize::MAX);
        expiring.insert("x", file(1));
        std::thread::sleep(Duration::from_millis(2));
        assert!(expiring.get("x").is_none());
    }
}

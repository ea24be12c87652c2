//! The metadata cache's map, bounded by an estimate of the memory it holds. Past the budget
//! the entries written longest ago go first, as Mountpoint bounds its own metadata cache: a
//! walk of a million keys keeps the directories it is in, not every key it has passed.
//!
//! Every change goes through here, so the byte count and the age order never drift from
//! the map. Dropping an entry is always safe (the next lookup asks S3), except that a
//! directory's complete listing no longer says what is absent once one of its children is
//! gone: evicting a child forgets its parent's listing.

use std::collections::BTreeMap;
use std::ops::{Bound, RangeBounds};

use super::cache::Entry;
use crate::path::parent;

/// Bytes an entry costs beyond its path and etag: the map's node, the `Entry` and the age
/// index's node, rounded up.
const OVERHEAD: usize = 192;

#[derive(Debug)]
pub(crate) struct Entries {
    map: BTreeMap<String, Entry>,
    /// Age order: the sequence number of each entry's last write, and its path.
    order: BTreeMap<u64, String>,
    next_seq: u64,
    bytes: usize,
    budget: usize,
    /// Entries dropped to stay within the budget, since the start.
    evictions: u64,
}

fn cost(path_len: usize, entry: &Entry) -> usize {
    2 * path_len + entry.cached.etag.as_ref().map_or(0, String::len) + OVERHEAD
}

/// The first key below `dir` sorts at or after this.
fn below_start(dir: &str) -> String {
    if dir.is_empty() {
        return String::new();
    }
    let mut start = String::with_capacity(dir.len() + 1);
    start.push_str(dir);
    start.push('/');
    start
}

impl Entries {
    pub fn new(budget: usize) -> Entries {
        Entries {
            map: BTreeMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
            bytes: 0,
            budget,
            evictions: 0,
        }
    }

    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.map.get(path)
    }

    /// For flags and times only: what an entry costs is fixed when it is inserted.
    pub fn get_mut(&mut self, path: &str) -> Option<&mut Entry> {
        self.map.get_mut(path)
    }

    pub fn contains_key(&self, path: &str) -> bool {
        self.map.contains_key(path)
    }

    pub fn range<R: RangeBounds<String>>(
        &self,
        range: R,
    ) -> std::collections::btree_map::Range<'_, String, Entry> {
        self.map.range(range)
    }

    /// The entries strictly below `dir` (every entry, for the root), in order: one search
    /// of the map, as a listing learns each key.
    pub fn below<'a>(&'a self, dir: &str) -> impl Iterator<Item = (&'a String, &'a Entry)> {
        let start = below_start(dir);
        self.map
            .range::<str, _>((Bound::Included(start.as_str()), Bound::Unbounded))
            .take_while(move |(k, _)| k.starts_with(start.as_str()))
    }

    /// Inserts or replaces `path`, as the newest entry, then evicts the oldest while over
    /// the budget.
    pub fn insert(&mut self, path: String, mut entry: Entry) {
        entry.seq = self.next_seq;
        self.next_seq += 1;
        self.bytes += cost(path.len(), &entry);
        self.order.insert(entry.seq, path.clone());
        let len = path.len();
        if let Some(old) = self.map.insert(path, entry) {
            self.order.remove(&old.seq);
            self.bytes -= cost(len, &old);
        }
        while self.bytes > self.budget {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some(gone) = self.map.remove(&oldest) {
                self.bytes -= cost(oldest.len(), &gone);
            }
            self.evictions += 1;
            if let Some(dir) = self.map.get_mut(parent(&oldest)) {
                dir.listed = None;
            }
        }
    }

    pub fn remove(&mut self, path: &str) -> Option<Entry> {
        let gone = self.map.remove(path)?;
        self.order.remove(&gone.seq);
        self.bytes -= cost(path.len(), &gone);
        Some(gone)
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
        self.bytes = 0;
    }

    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::Attr;
    use crate::superblock::Cached;

    fn entry(etag: &str) -> Entry {
        Entry::new(
            Cached {
                attr: Attr::file(1, None),
                etag: Some(etag.to_owned()),
            },
            Instant::now(),
        )
    }

    #[test]
    fn stays_within_its_budget_dropping_the_oldest_first() {
        let one = cost("d/f-000".len(), &entry("e"));
        let mut entries = Entries::new(10 * one);
        for i in 0..25 {
            entries.insert(format!("d/f-{i:03}"), entry("e"));
            assert!(entries.bytes() <= 10 * one);
        }
        assert_eq!(entries.len(), 10);
        assert_eq!(entries.evictions(), 15);
        assert!(entries.get("d/f-014").is_none() && entries.get("d/f-015").is_some());

        // A rewrite makes an entry the newest again.
        entries.insert("d/f-015".into(), entry("e"));
        entries.insert("d/f-100".into(), entry("e"));
        assert!(entries.get("d/f-015").is_some() && entries.get("d/f-016").is_none());
    }

    #[test]
    fn removing_and_replacing_keep_the_count_exact() {
        let mut entries = Entries::new(usize::MAX);
        entries.insert("a".into(), entry("short"));
        entries.insert("a".into(), entry("a-much-longer-etag"));
        entries.insert("b".into(), entry("e"));
        assert_eq!(
            entries.bytes(),
            cost(1, &entry("a-much-longer-etag")) + cost(1, &entry("e"))
        );
        entries.remove("a");
        entries.remove("missing");
        assert_eq!(entries.bytes(), cost(1, &entry("e")));
        entries.clear();
        assert_eq!((entries.bytes(), entries.len()), (0, 0));
    }

    #[test]
    fn evicting_a_child_forgets_that_its_parent_was_listed_whole() {
        let one = cost("d/x".len(), &entry("e"));
        let mut entries = Entries::new(3 * one);
        entries.insert("d/x".into(), entry("e"));
        let mut dir = entry("e");
        dir.listed = Some(Instant::now());
        entries.insert("d".into(), dir);
        entries.insert("e/y".into(), entry("e"));
        entries.insert("e/z".into(), entry("e"));
        assert!(entries.get("d/x").is_none(), "the oldest went");
        assert!(entries.get("d").unwrap().listed.is_none());
    }
}

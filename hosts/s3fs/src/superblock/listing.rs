//! Directory listings: ListObjectsV2 with delimiter '/', every page, mapped to entries.

use std::collections::BTreeMap;
use std::time::Instant;

use super::Cached;
use crate::path::{join, unmappable_key, validate};
use crate::s3::{ListPage, ListedObject};
use crate::{Attr, DirEntry, Error, Inner};

#[derive(Default)]
struct Listing {
    /// name -> (attributes, key)
    files: BTreeMap<String, (Cached, String)>,
    dirs: BTreeMap<String, Attr>,
    /// Anything at all below the prefix, mappable or not, or its marker.
    anything: bool,
}

impl Inner {
    /// The entries of directory `path`, as listed at some moment after `asked`: a listing
    /// another caller finished since is ours too, and so is one the open of the directory
    /// made, which is what a directory stream of a file system shows.
    pub(crate) async fn read_dir(
        &self,
        path: &str,
        asked: Instant,
    ) -> Result<Vec<DirEntry>, Error> {
        validate(path)?;
        if let Some(c) = self.cache.get(path)
            && !c.attr.is_dir()
        {
            return Err(Error::NotDir(path.to_owned()));
        }
        // Instances sharing this S3Fs list the same directories at the same moment: one
        // listing at a time per directory.
        let _one_listing = self.listing_locks.lock(path).await;
        if let Some(children) = self.cache.listed_since(path, asked) {
            return Ok(children
                .into_iter()
                .map(|(name, c)| DirEntry { name, attr: c.attr })
                .collect());
        }
        let prefix = self.dir_prefix(path);
        let started = Instant::now();
        let mut listing = Listing::default();
        let mut token = None;
        loop {
            let page = self.list_page(&prefix, true, token.take(), None).await?;
            self.absorb_page(&prefix, &page, &mut listing);
            match page.next_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        if !listing.anything && !path.is_empty() {
            self.cache.remove_tree(path);
            return Err(match self.head(&self.file_key(path)).await? {
                Some(_) => Error::NotDir(path.to_owned()),
                None => Error::NotFound(path.to_owned()),
            });
        }
        Ok(self.keep_listing(path, listing, started))
    }

    /// A first page that holds the whole directory is its complete listing: kept, so a
    /// read_dir asked before now sends nothing.
    pub(crate) fn keep_if_whole(
        &self,
        path: &str,
        prefix: &str,
        page: &ListPage,
        started: Instant,
    ) {
        if page.next_token.is_none() {
            let mut listing = Listing::default();
            self.absorb_page(prefix, page, &mut listing);
            self.keep_listing(path, listing, started);
        }
    }

    /// Caches a complete listing of `path`, sent at `started`, as its children, and returns
    /// them as entries.
    fn keep_listing(&self, path: &str, mut listing: Listing, started: Instant) -> Vec<DirEntry> {
        let mut children = Vec::with_capacity(listing.files.len() + listing.dirs.len());
        for (name, attr) in listing.dirs {
            if let Some((_, key)) = listing.files.remove(&name) {
                self.skip(&key, "a directory of the same name hides it");
            }
            children.push((name, Cached { attr, etag: None }));
        }
        children.extend(listing.files.into_iter().map(|(name, (c, _))| (name, c)));
        children.sort_by(|a, b| a.0.cmp(&b.0));

        let cached: Vec<(String, Cached)> = children
            .iter()
            .map(|(name, c)| (join(path, name), c.clone()))
            .collect();
        self.cache.replace_children(path, &cached, started);
        children
            .into_iter()
            .map(|(name, c)| DirEntry { name, attr: c.attr })
            .collect()
    }

    fn absorb_page(&self, prefix: &str, page: &ListPage, listing: &mut Listing) {
        listing.anything |= !page.is_empty();
        for object in &page.objects {
            let key = object.key.as_str();
            let Some(name) = key.strip_prefix(prefix) else {
                continue;
            };
            if let Some(reason) = unmappable_key(key, &key[self.prefix.len()..]) {
                self.skip(key, reason);
                continue;
            }
            if name.is_empty() {
                // This directory's own marker: it exists even if empty. A marker with data
                // (S3 allows it) cannot also be a file, so its bytes are reported, not shown.
                if object.size > 0 {
                    self.skip(key, "a key ending in '/' that carries data");
                }
                continue;
            }
            if let Some((dir, _)) = name.split_once('/') {
                // Only a store ignoring the delimiter sends these; still a directory.
                listing
                    .dirs
                    .entry(dir.to_owned())
                    .or_insert_with(Attr::directory);
                continue;
            }
            let cached = Cached {
                attr: Attr::file(object.size, object.mtime),
                etag: object.etag.clone(),
            };
            listing
                .files
                .insert(name.to_owned(), (cached, key.to_owned()));
        }
        for p in &page.prefixes {
            let Some(name) = p.strip_prefix(prefix).and_then(|n| n.strip_suffix('/')) else {
                continue;
            };
            if let Some(reason) = unmappable_key(p, &p[self.prefix.len()..]) {
                self.skip(p, reason);
                continue;
            }
            listing
                .dirs
                .entry(name.to_owned())
                .or_insert_with(Attr::directory);
        }
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

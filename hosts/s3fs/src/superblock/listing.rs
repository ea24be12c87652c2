//! Directory listings: ListObjectsV2 with delimiter '/', every page, mapped to entries.

use std::collections::BTreeMap;

use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;

use super::Cached;
use crate::path::{join, unmappable_key, validate};
use crate::s3::{size_of, system_time};
use crate::{Attr, DirEntry, FsError, Inner};

/// One object found below a prefix by [`Inner::list_tree`].
#[derive(Debug, Clone)]
pub(crate) struct TreeKey {
    pub key: String,
    pub size: u64,
}

#[derive(Default)]
struct Listing {
    files: BTreeMap<String, (Cached, String)>,
    dirs: BTreeMap<String, Attr>,
    /// Anything at all below the prefix, mappable or not, or its marker.
    anything: bool,
}

impl Inner {
    pub(crate) async fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        validate(path)?;
        if let Some(c) = self.cache.get(path)
            && !c.attr.is_dir()
        {
            return Err(FsError::NotDir(path.to_owned()));
        }
        let prefix = self.dir_prefix(path);
        let mut listing = Listing::default();
        let mut token = None;
        loop {
            let page = self.list_page(&prefix, true, token.take(), None).await?;
            self.absorb_page(&prefix, &page, &mut listing);
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        if !listing.anything && !path.is_empty() {
            return Err(match self.head(&self.file_key(path)).await? {
                Some(_) => FsError::NotDir(path.to_owned()),
                None => FsError::NotFound(path.to_owned()),
            });
        }

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
        self.cache.replace_children(path, &cached);
        Ok(children
            .into_iter()
            .map(|(name, c)| DirEntry { name, attr: c.attr })
            .collect())
    }

    fn absorb_page(&self, prefix: &str, page: &ListObjectsV2Output, listing: &mut Listing) {
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            listing.anything = true;
            let Some(name) = key.strip_prefix(prefix) else {
                continue;
            };
            if let Some(reason) = unmappable_key(key, &key[self.prefix.len()..]) {
                self.skip(key, reason);
                continue;
            }
            if name.is_empty() {
                // This directory's own marker: it exists even if empty.
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
                attr: Attr::file(size_of(object.size()), system_time(object.last_modified())),
                etag: object.e_tag().map(str::to_owned),
            };
            listing
                .files
                .insert(name.to_owned(), (cached, key.to_owned()));
        }
        for common in page.common_prefixes() {
            let Some(p) = common.prefix() else { continue };
            listing.anything = true;
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
    pub(crate) async fn list_tree(&self, path: &str) -> Result<Vec<TreeKey>, FsError> {
        let prefix = self.dir_prefix(path);
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let page = self.list_page(&prefix, false, token.take(), None).await?;
            keys.extend(page.contents().iter().filter_map(|o| {
                Some(TreeKey {
                    key: o.key()?.to_owned(),
                    size: size_of(o.size()),
                })
            }));
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(keys)
    }

    pub(crate) fn skip(&self, key: &str, reason: &str) {
        let mut skipped = self.skipped.lock().unwrap_or_else(|e| e.into_inner());
        if skipped.insert(key.to_owned()) {
            tracing::warn!(key, reason, "S3 key left out of the file view");
        }
    }
}

//! rename. S3 has no rename: a file is copied then its source deleted; a directory is every
//! key below it copied, then every source deleted. A directory rename is therefore NOT
//! atomic: other readers can see both trees while it runs, and a failure part-way leaves the
//! destination partly filled and the whole source still in place (sources are deleted only
//! after every copy succeeded), so retrying the rename finishes it.

use futures::{StreamExt, TryStreamExt};

use crate::path::{is_within, validate};
use crate::s3::MAX_DELETE_BATCH;
use crate::superblock::Cached;
use crate::{Attr, Error, Inner};

/// S3 refuses CopyObject above 5 GiB and parts above 5 GiB or beyond number 10,000.
const MAX_PARTS: u64 = 10_000;

impl Inner {
    pub(crate) async fn rename(&self, from: &str, to: &str) -> Result<(), Error> {
        validate(from)?;
        validate(to)?;
        if from.is_empty() || to.is_empty() {
            return Err(Error::Invalid("cannot rename the root directory".into()));
        }
        let source = self.lookup(from).await?;
        if from == to {
            return Ok(());
        }
        if is_within(to, from) {
            return Err(Error::Invalid(format!(
                "cannot move {from:?} into itself ({to:?})"
            )));
        }
        self.require_parent_dir(to).await?;
        // Only a directory there changes the outcome (a file is simply replaced), so a
        // target that a complete listing of its parent lacks costs no requests.
        let target = if self.cache.known_absent(to) {
            None
        } else {
            self.lookup_optional(to).await?
        };
        if source.attr.is_dir() {
            self.rename_dir(from, to, target).await
        } else {
            if target.is_some_and(|t| t.attr.is_dir()) {
                return Err(Error::IsDir(to.to_owned()));
            }
            self.rename_file(from, to, source).await
        }
    }

    async fn rename_file(&self, from: &str, to: &str, source: Cached) -> Result<(), Error> {
        let to_key = self.new_key(&self.file_key(to))?;
        let from_key = self.file_key(from);
        // Both halves are pinned to the version that was looked up (and read): a document
        // replaced meanwhile is never moved under what was learnt of the old one, and never
        // deleted unread. Its new version stays where it is.
        let pinned = source.etag.as_deref();
        let etag = self
            .copy_any_size(&from_key, &to_key, source.attr.size, pinned)
            .await?;
        let deleted = match pinned {
            Some(etag) => self.delete_if_match(&from_key, etag).await,
            None => self.delete(&from_key).await.map(|()| true),
        };
        self.cache.remove(from);
        // A pinned delete refused: the source was replaced since (its new version stays for
        // the next run, and our copy moved the one we read), or it is gone because another
        // client moved it first. AWS answers 404 for the latter, SeaweedFS 412, so a refusal
        // is settled by looking. A move that was theirs is not ours: NotFound, as from AWS.
        match deleted {
            Ok(true) => self.cache.forget_ancestors(from),
            Ok(false) if self.lookup_optional(from).await?.is_some() => {}
            Ok(false) | Err(Error::NotFound(_)) => {
                self.cache.forget_ancestors(from);
                return Err(Error::NotFound(from.to_owned()));
            }
            Err(e) => return Err(e),
        }
        self.cache.insert(
            to,
            Cached {
                attr: Attr::file(source.attr.size, Some(self.clock.now())),
                etag,
            },
        );
        Ok(())
    }

    async fn rename_dir(&self, from: &str, to: &str, target: Option<Cached>) -> Result<(), Error> {
        match target {
            Some(t) if !t.attr.is_dir() => return Err(Error::NotDir(to.to_owned())),
            Some(_) => {
                let to_marker = self.dir_prefix(to);
                let page = self.list_page(&to_marker, true, None, Some(2)).await?;
                let only_marker =
                    page.objects.iter().all(|o| o.key == to_marker) && page.prefixes.is_empty();
                if !only_marker {
                    return Err(Error::NotEmpty(to.to_owned()));
                }
            }
            None => {}
        }
        let from_prefix = self.dir_prefix(from);
        let to_prefix = self.dir_prefix(to);
        let keys = self.list_tree(from).await?;
        let moves: Vec<(String, String, u64)> = keys
            .into_iter()
            .map(|o| {
                let dest = format!("{to_prefix}{}", &o.key[from_prefix.len()..]);
                self.new_key(&dest).map(|dest| (o.key, dest, o.size))
            })
            .collect::<Result<_, _>>()?;

        let concurrency = self.config.upload_concurrency;
        futures::stream::iter(moves.iter().map(Ok))
            .try_for_each_concurrent(concurrency, |(src, dst, size)| async move {
                if *size == 0 && src.ends_with('/') {
                    // A marker: writing a new one is the same and works where a store
                    // refuses to copy directory entries (SeaweedFS).
                    self.put(dst, bytes::Bytes::new(), false).await.map(drop)
                } else {
                    self.copy_any_size(src, dst, *size, None).await.map(drop)
                }
            })
            .await?;
        let sources: Vec<String> = moves.into_iter().map(|(src, _, _)| src).collect();
        futures::stream::iter(sources.chunks(MAX_DELETE_BATCH).map(Ok))
            .try_for_each_concurrent(concurrency, |batch| self.delete_batch(batch))
            .await?;
        // In order, deepest first, once the keys below them are gone.
        for batch in emptied_dirs(&from_prefix, &sources).chunks(MAX_DELETE_BATCH) {
            self.delete_batch(batch).await?;
        }

        self.cache.remove_tree(from);
        self.cache.forget_ancestors(from);
        self.cache.remove_tree(to);
        self.cache.insert(
            to,
            Cached {
                attr: Attr::directory(),
                etag: None,
            },
        );
        Ok(())
    }

    /// CopyObject, or a multipart copy for objects above `multipart_copy_threshold` (S3
    /// refuses CopyObject above 5 GiB). A failed multipart copy is aborted.
    pub(crate) async fn copy_any_size(
        &self,
        from: &str,
        to: &str,
        size: u64,
        if_match: Option<&str>,
    ) -> Result<Option<String>, Error> {
        if size <= self.config.multipart_copy_threshold {
            return self.copy(from, to, if_match).await;
        }
        let part = self.config.copy_part_size.max(size.div_ceil(MAX_PARTS));
        let upload_id = self.create_multipart(to).await?;
        let ranges: Vec<(i32, (u64, u64))> = (0..size.div_ceil(part))
            .map(|i| {
                let start = i * part;
                ((i + 1) as i32, (start, (start + part).min(size)))
            })
            .collect();
        let copied = futures::stream::iter(ranges)
            .map(|(n, range)| {
                let upload_id = &upload_id;
                async move {
                    self.upload_part_copy(from, to, upload_id, n, range, if_match)
                        .await
                }
            })
            .buffered(self.config.upload_concurrency)
            .try_collect::<Vec<_>>()
            .await;
        let result = match copied {
            Ok(parts) => self.complete_multipart(to, &upload_id, parts, false).await,
            Err(e) => Err(e),
        };
        if result.is_err() {
            // The copy already failed; a failed abort only leaves parts S3 lifecycle rules clean.
            let _ = self.abort_multipart(to, &upload_id).await;
        }
        result
    }
}

/// Directory prefixes below and including `root` that held the moved keys and have no
/// marker among them, deepest first. On S3 deleting them is a no-op; stores with real
/// directories (SeaweedFS) keep emptied directories, which would otherwise leave the old tree
/// standing empty after the move.
fn emptied_dirs(root: &str, keys: &[String]) -> Vec<String> {
    let mut dirs = std::collections::BTreeSet::new();
    dirs.insert(root.to_owned());
    for key in keys {
        let mut end = key.len();
        while let Some(slash) = key[..end].rfind('/') {
            if slash < root.len() {
                break;
            }
            dirs.insert(key[..=slash].to_owned());
            end = slash;
        }
    }
    for key in keys {
        dirs.remove(key);
    }
    let mut dirs: Vec<String> = dirs.into_iter().collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.matches('/').count()));
    dirs
}

#[cfg(test)]
mod tests {
    use super::emptied_dirs;

    #[test]
    fn emptied_dirs_are_deepest_first_without_markers() {
        let keys = ["p/t/a", "p/t/s/b", "p/t/s/d/c", "p/t/m/"].map(String::from);
        assert_eq!(emptied_dirs("p/t/", &keys), ["p/t/s/d/", "p/t/s/", "p/t/"]);
    }
}

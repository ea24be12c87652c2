//! mkdir, rmdir and unlink: the mutations that touch one key.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::path::validate;
use crate::superblock::Cached;
use crate::{Attr, Error, Inner};

/// How long a lookup's "nothing there" stands in for mkdir's own.
const JUST_LOOKED_UP: Duration = Duration::from_secs(1);

impl Inner {
    pub(crate) async fn mkdir(&self, path: &str) -> Result<(), Error> {
        validate(path)?;
        if path.is_empty() {
            return Err(Error::Exists(path.to_owned()));
        }
        self.require_parent_dir(path).await?;
        let _one_at_a_time = self.lookup_locks.lock(path).await;
        if self.cache.get(path).is_some() {
            return Err(Error::Exists(path.to_owned()));
        }
        // What is there first, the marker after: a file of that name is never shadowed by a
        // marker, not even for a moment. (SeaweedFS keeps one namespace for both, so a
        // marker removed again there would take the directory with it.)
        let marker = self.new_key(&self.dir_prefix(path))?;
        let started = Instant::now();
        // A lookup that found nothing a moment ago (a listing of the directory before it is
        // made, as process-inbox does on a new prefix) is not sent again.
        if !self.cache.absent_within(path, JUST_LOOKED_UP) {
            let (file, dir) = futures::future::join(self.file_at(path), self.dir_at(path)).await;
            if file?.is_some() || dir?.is_some() {
                return Err(Error::Exists(path.to_owned()));
            }
        }
        // The exclusive create decides between hosts making it at once.
        self.put(&marker, Bytes::new(), true).await?;
        // New and empty: a complete listing of its own.
        self.cache.insert_marked_dir(path, Self::marked_dir());
        self.cache.replace_children(path, &[], started);
        Ok(())
    }

    fn marked_dir() -> Cached {
        Cached {
            attr: Attr::directory(),
            etag: None,
        }
    }

    pub(crate) async fn rmdir(&self, path: &str) -> Result<(), Error> {
        validate(path)?;
        if path.is_empty() {
            return Err(Error::Invalid("cannot remove the root directory".into()));
        }
        if let Some(c) = self.cache.get(path)
            && !c.attr.is_dir()
        {
            return Err(Error::NotDir(path.to_owned()));
        }
        let marker = self.dir_prefix(path);
        // Two keys are enough to tell "only the marker" from "something else below".
        let page = self.list_page(&marker, true, None, Some(2)).await?;
        if page.is_empty() {
            return Err(match self.head(&self.file_key(path)).await? {
                Some(_) => Error::NotDir(path.to_owned()),
                None => Error::NotFound(path.to_owned()),
            });
        }
        if page.objects.iter().any(|o| o.key != marker) || !page.prefixes.is_empty() {
            return Err(Error::NotEmpty(path.to_owned()));
        }
        self.delete(&marker).await?;
        self.cache.remove_tree(path);
        self.cache.forget_ancestors(path);
        Ok(())
    }

    pub(crate) async fn unlink(&self, path: &str) -> Result<(), Error> {
        validate(path)?;
        if path.is_empty() {
            return Err(Error::IsDir(path.to_owned()));
        }
        // DeleteObject succeeds for a missing key, so existence is checked first.
        let found = self.lookup(path).await?;
        if found.attr.is_dir() {
            return Err(Error::IsDir(path.to_owned()));
        }
        self.delete(&self.file_key(path)).await?;
        self.cache.remove(path);
        self.cache.forget_ancestors(path);
        Ok(())
    }
}

//! One operation on a path at a time within this S3Fs. Many component instances share one
//! S3Fs and make and list the same directories at the same moment; serialised, the first
//! does the work and the rest find its result in the cache, instead of racing identical
//! requests at S3 (SeaweedFS holds a concurrent PUT of the same directory marker for about a
//! second).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

#[derive(Debug, Default)]
pub(crate) struct PathLocks {
    held: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Held while one caller mutates or lists a path; dropping it lets the next in. It owns
/// its share of the locks, so a directory stream can hold one across calls.
pub(crate) struct PathGuard {
    locks: Arc<PathLocks>,
    path: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl PathLocks {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<tokio::sync::Mutex<()>>>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub async fn lock(self: &Arc<Self>, path: &str) -> PathGuard {
        let lock = Arc::clone(self.map().entry(path.to_owned()).or_default());
        let guard = lock.lock_owned().await;
        PathGuard {
            locks: Arc::clone(self),
            path: path.to_owned(),
            guard: Some(guard),
        }
    }
}

impl Drop for PathGuard {
    fn drop(&mut self) {
        let mut map = self.locks.map();
        drop(self.guard.take());
        // Forget the lock once nobody holds or waits for it, so the map stays small.
        if map
            .get(&self.path)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            map.remove(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PathLocks;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_holder_per_path_and_nothing_left_behind() {
        let locks = Arc::new(PathLocks::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (locks, inside) = (Arc::clone(&locks), Arc::clone(&inside));
                tokio::spawn(async move {
                    let _guard = locks.lock("a/b").await;
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        let other = locks.lock("a/c").await; // another path never waits
        for t in tasks {
            t.await.unwrap();
        }
        drop(other);
        assert!(locks.map().is_empty());
    }
}

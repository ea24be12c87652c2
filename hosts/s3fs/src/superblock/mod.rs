//! What this S3Fs knows about the namespace: the metadata cache, and the listings and
//! lookups that fill it.
//!
//! S3 has no directories: a directory is a key prefix ending in '/', present while any key
//! lies under it or a zero-byte marker object named exactly "dir/" exists. Where a key
//! "x" and keys under "x/" both exist, the directory wins and the file is left out of the
//! view (reported like an unmappable key).

mod cache;
mod entries;
mod listing;
mod lookup;
mod path_locks;

pub(crate) use cache::{Cached, MetaCache};
pub use listing::DirStream;
pub(crate) use listing::Heads;
pub(crate) use lookup::Expect;
pub(crate) use path_locks::PathLocks;

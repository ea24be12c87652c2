//! walk: list and stat every entry below a directory.

use crate::clock::ms_between;
use crate::fs::{Fs, FsError, Kind, join};
use crate::report::WalkReport;
use crate::shard::Shard;

/// What one listing of a directory found: kept apart until the listing completes, so one
/// that starts over (an entry vanished under it) counts nothing twice.
#[derive(Default)]
struct Listed {
    counts: WalkReport,
    subdirs: Vec<String>,
}

/// Directories opened before their turn. Over S3 an open starts the directory's listing,
/// so this many listings are on their way together instead of one round trip apiece; over
/// a file system it only moves the opens earlier.
const OPEN_AHEAD: usize = 16;

pub fn walk<F: Fs>(fs: &F, root: &str, shard: Shard) -> Result<WalkReport, FsError> {
    shard.check(root)?;
    let started = fs.now();
    let mut report = WalkReport::default();
    // Depth-first with an explicit stack: deep trees must not overflow the guest's small
    // native stack. The directories next in turn (the top of the stack) are kept open.
    let mut stack: Vec<(String, Option<F::Dir>)> = vec![(root.to_string(), None)];
    let mut top = true;
    while let Some((dir, handle)) = stack.pop() {
        let handle = match handle {
            Some(h) => h,
            None => fs.open_dir(&dir)?,
        };
        // Each entry is handled as the listing yields it: a directory of a million keys is
        // never held whole, and its stats are answered while the host still has it cached.
        let listed = fs.scan_dir_in(&handle, &dir, Listed::default, |l, handle, entry| {
            if top && !shard.owns(&entry.name) {
                return Ok(());
            }
            l.counts.entries += 1;
            match entry.kind {
                Kind::Dir => {
                    l.counts.directories += 1;
                    l.subdirs.push(join(&dir, &entry.name));
                }
                Kind::File => {
                    l.counts.files += 1;
                    // The stat is the point of this workload: it is what a
                    // listing-only store makes expensive.
                    let stat = fs.stat_entry(handle, &dir, &entry.name)?;
                    l.counts.total_bytes += stat.map_or(0, |s| s.size);
                }
                Kind::Other => l.counts.others += 1,
            }
            Ok(())
        })?;
        drop(handle);
        report.entries += listed.counts.entries;
        report.files += listed.counts.files;
        report.directories += listed.counts.directories;
        report.others += listed.counts.others;
        report.total_bytes += listed.counts.total_bytes;
        // Sorted, so the walk's order does not depend on the store's listing order.
        let mut subdirs = listed.subdirs;
        subdirs.sort_unstable_by(|a, b| b.cmp(a));
        stack.extend(subdirs.into_iter().map(|d| (d, None)));
        let ahead = stack.len().saturating_sub(OPEN_AHEAD);
        for (path, handle) in stack[ahead..].iter_mut().rev() {
            if handle.is_none() {
                *handle = Some(fs.open_dir(path)?);
            }
        }
        top = false;
    }
    report.elapsed_ms = ms_between(started, fs.now());
    Ok(report)
}

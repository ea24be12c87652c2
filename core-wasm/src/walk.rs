//! walk: list and stat every entry below a directory.

use crate::clock::ms_between;
use crate::fs::{Fs, FsError, Kind, join};
use crate::report::WalkReport;
use crate::shard::Shard;

pub fn walk<F: Fs>(fs: &F, root: &str, shard: Shard) -> Result<WalkReport, FsError> {
    shard.check(root)?;
    let started = fs.now();
    let mut report = WalkReport::default();
    // Depth-first with an explicit stack: deep trees must not overflow the
    // guest's small native stack.
    let mut stack = vec![root.to_string()];
    let mut top = true;
    while let Some(dir) = stack.pop() {
        for entry in fs.read_dir(&dir)? {
            if top && !shard.owns(&entry.name) {
                continue;
            }
            let path = join(&dir, &entry.name);
            report.entries += 1;
            match entry.kind {
                Kind::Dir => {
                    report.directories += 1;
                    stack.push(path);
                }
                Kind::File => {
                    report.files += 1;
                    // The stat is the point of this workload: it is what a
                    // listing-only store makes expensive.
                    report.total_bytes += fs.stat(&path)?.map_or(0, |s| s.size);
                }
                Kind::Other => report.others += 1,
            }
        }
        top = false;
    }
    report.elapsed_ms = ms_between(started, fs.now());
    Ok(report)
}

//! Claims: how several hosts share one inbox without a coordinator.
//!
//! A claim is a file written by exclusive create (O_EXCL on a file system, `If-None-Match: *`
//! on S3), so the store picks exactly one winner. A document's claims form a chain of links:
//! `.claims/NAME`, then `.claims-1/NAME`, `.claims-2/NAME`, ... Taking over a claim whose
//! holder died is the exclusive create of the next link, never a delete and re-create of the
//! stale one: of all the hosts that see the same link go stale, exactly one wins the next.
//!
//! - A holder renews its link while it works (past a third of the lease), and before it
//!   commits a move it checks that no next link exists; a holder that lost its claim leaves
//!   the document alone.
//! - Links go only once the document has left `inbox/` (newest first), or, for a document
//!   left in `inbox/`, only the holder's own link, so the chain a host walks from its start
//!   always ends at the live claim.

use std::time::Duration;

use crate::clock::rfc3339;
use crate::fs::{ErrorKind, Fs, FsError, Kind, join, read_small};
use crate::shard::Shard;

pub struct ClaimOptions {
    pub owner: String,
    pub lease: Duration,
}

pub enum Claim {
    Won(OwnClaim),
    /// Another live host holds it.
    Held,
}

/// A claim this host holds: link `generation` of `name`'s chain.
pub struct OwnClaim {
    root: String,
    name: String,
    generation: u32,
    lease: Duration,
    /// When the link was last written, by the store's clock as this host reads it.
    renewed: Duration,
    body: String,
}

pub const DIR: &str = ".claims";

const MTIME_GRAIN: Duration = Duration::from_secs(1);

fn link_dir(root: &str, generation: u32) -> String {
    match generation {
        0 => join(root, DIR),
        g => join(root, &format!("{DIR}-{g}")),
    }
}

fn link(root: &str, name: &str, generation: u32) -> String {
    join(&link_dir(root, generation), name)
}

pub fn try_claim<F: Fs>(
    fs: &F,
    root: &str,
    name: &str,
    opts: &ClaimOptions,
) -> Result<Claim, FsError> {
    let body = format!(
        "{{\"owner\":{},\"claimed_at\":\"{}\"}}\n",
        serde_json::to_string(&opts.owner).expect("a string serialises"),
        rfc3339(fs.now())
    );
    let mut generation = 0;
    loop {
        let path = link(root, name, generation);
        let won = match fs.create_new(&path, body.as_bytes()) {
            Ok(()) => true,
            // The first takeover of this generation makes its directory.
            Err(e) if e.kind == ErrorKind::NotFound && generation > 0 => {
                fs.create_dir(&link_dir(root, generation))?;
                continue;
            }
            Err(e) if e.kind != ErrorKind::Exists => return Err(e),
            // A create whose answer was lost is retried by the client, and the retry finds
            // the link its first attempt made: ours if it holds our body, which names this
            // run and this moment.
            Err(_) => holds(fs, &path, &body),
        };
        if won {
            return Ok(Claim::Won(OwnClaim {
                root: root.to_owned(),
                name: name.to_owned(),
                generation,
                lease: opts.lease,
                renewed: fs.now(),
                body,
            }));
        }
        // Walk to the newest link: only its holder counts.
        while fs.stat(&link(root, name, generation + 1))?.is_some() {
            generation += 1;
        }
        if !is_stale(fs, &link(root, name, generation), opts.lease)? {
            return Ok(Claim::Held);
        }
        generation += 1;
    }
}

/// Whether the link at `path` holds exactly `body`. Any doubt is a no: a link gone or
/// rewritten meanwhile is not ours, and a read that failed leaves the claim to the lease,
/// late but never doubled.
fn holds<F: Fs>(fs: &F, path: &str, body: &str) -> bool {
    matches!(read_small(fs, path, body.len()), Ok(Some(found)) if found == body.as_bytes())
}

fn is_stale<F: Fs>(fs: &F, path: &str, lease: Duration) -> Result<bool, FsError> {
    if lease.is_zero() {
        return Ok(true);
    }
    Ok(match fs.stat(path)? {
        // Gone since (its document left inbox/): whoever comes next may take it.
        None => true,
        // Stores may give mtime in whole seconds (an S3 HEAD does), which makes a claim
        // look up to a second older than it is.
        Some(stat) => stat
            .mtime
            .is_some_and(|t| fs.now().saturating_sub(t) > lease + MTIME_GRAIN),
    })
}

impl OwnClaim {
    /// Whether this host still holds the claim. Past a third of the lease it checks that
    /// nobody took over and renews its link, so a live host on a large document keeps it
    /// even when one request between two checks is slow.
    pub fn keep<F: Fs>(&mut self, fs: &F) -> Result<bool, FsError> {
        if fs.now().saturating_sub(self.renewed) < self.lease / 3 {
            return Ok(true);
        }
        if fs
            .stat(&link(&self.root, &self.name, self.generation + 1))?
            .is_some()
        {
            return Ok(false);
        }
        fs.write_file(
            &link(&self.root, &self.name, self.generation),
            self.body.as_bytes(),
        )?;
        self.renewed = fs.now();
        Ok(true)
    }

    /// After the document left `inbox/`: the whole chain up to this link goes.
    pub fn release_done<F: Fs>(self, fs: &F) -> Result<(), FsError> {
        for generation in (0..=self.generation).rev() {
            remove(fs, &link(&self.root, &self.name, generation))?;
        }
        Ok(())
    }

    /// The document stays in `inbox/`: only this host's own link goes, so the next host
    /// takes over from the older, stale links at once.
    pub fn release_kept<F: Fs>(self, fs: &F) -> Result<(), FsError> {
        remove(fs, &link(&self.root, &self.name, self.generation))
    }
}

/// Removes stale links whose document has left `inbox/`: what a host that died between
/// moving a document and releasing its claim leaves behind. Only this shard's: the others'
/// are theirs to sweep, and many are live while shards run side by side, so looking at
/// them would cost a stat each and find nothing.
pub fn sweep<F: Fs>(
    fs: &F,
    root: &str,
    inbox: &str,
    shard: &Shard,
    opts: &ClaimOptions,
) -> Result<(), FsError> {
    for generation in 0.. {
        let dir = link_dir(root, generation);
        let entries = match fs.read_dir(&dir) {
            // Links are made in order, so the first missing directory ends the chain.
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            other => other?,
        };
        let ours = entries
            .iter()
            .filter(|e| e.kind == Kind::File && shard.owns(&e.name));
        for entry in ours {
            let path = join(&dir, &entry.name);
            if fs.stat(&join(inbox, &entry.name))?.is_none() && is_stale(fs, &path, opts.lease)? {
                remove(fs, &path)?;
            }
        }
    }
    Ok(())
}

fn remove<F: Fs>(fs: &F, path: &str) -> Result<(), FsError> {
    match fs.remove_file(path) {
        Err(e) if e.kind != ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

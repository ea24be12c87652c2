//! What the proxy did: requests seen and forwarded, faults injected per kind.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::plan::Fault;

/// Counters since the proxy started. Subtract two snapshots to measure one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Every request received, faulted or not.
    pub requests: u64,
    /// Requests sent on to the server (stalled, reset and truncated ones included).
    pub forwarded: u64,
    /// Faults injected, by [`Fault::name`].
    pub by_fault: BTreeMap<&'static str, u64>,
    /// Requests received per HTTP method.
    pub by_method: BTreeMap<String, u64>,
}

impl Stats {
    /// Faults of every kind.
    pub fn faults(&self) -> u64 {
        self.by_fault.values().sum()
    }

    /// Faults of one kind (a stall of any length counts as a stall).
    pub fn injected(&self, fault: Fault) -> u64 {
        self.by_fault.get(fault.name()).copied().unwrap_or(0)
    }

    /// Requests of one method, e.g. "HEAD".
    pub fn method(&self, method: &str) -> u64 {
        self.by_method.get(method).copied().unwrap_or(0)
    }
}

fn minus<K: Ord + Clone>(now: &BTreeMap<K, u64>, before: &BTreeMap<K, u64>) -> BTreeMap<K, u64> {
    now.iter()
        .map(|(k, n)| (k.clone(), n - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

impl std::ops::Sub for &Stats {
    type Output = Stats;

    fn sub(self, before: &Stats) -> Stats {
        Stats {
            requests: self.requests - before.requests,
            forwarded: self.forwarded - before.forwarded,
            by_fault: minus(&self.by_fault, &before.by_fault),
            by_method: minus(&self.by_method, &before.by_method),
        }
    }
}

#[derive(Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    forwarded: AtomicU64,
    by_fault: Mutex<BTreeMap<&'static str, u64>>,
    by_method: Mutex<BTreeMap<String, u64>>,
}

impl Counters {
    pub fn request(&self, method: &str) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        *crate::lock(&self.by_method)
            .entry(method.to_owned())
            .or_default() += 1;
    }

    pub fn forwarded(&self) {
        self.forwarded.fetch_add(1, Ordering::Relaxed);
    }

    pub fn fault(&self, fault: Fault) {
        *crate::lock(&self.by_fault).entry(fault.name()).or_default() += 1;
    }

    pub fn snapshot(&self) -> Stats {
        Stats {
            requests: self.requests.load(Ordering::Relaxed),
            forwarded: self.forwarded.load(Ordering::Relaxed),
            by_fault: crate::lock(&self.by_fault).clone(),
            by_method: crate::lock(&self.by_method).clone(),
        }
    }
}

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
    pub slow_down: u64,
    pub internal_error: u64,
    pub reset_mid_body: u64,
    pub truncated_body: u64,
    pub stall: u64,
    pub access_denied: u64,
    pub no_such_key: u64,
    /// Requests received per HTTP method.
    pub by_method: BTreeMap<String, u64>,
}

impl Stats {
    /// Faults of every kind.
    pub fn faults(&self) -> u64 {
        self.slow_down
            + self.internal_error
            + self.reset_mid_body
            + self.truncated_body
            + self.stall
            + self.access_denied
            + self.no_such_key
    }

    /// Faults of one kind.
    pub fn injected(&self, fault: Fault) -> u64 {
        match fault {
            Fault::SlowDown => self.slow_down,
            Fault::InternalError => self.internal_error,
            Fault::ResetMidBody => self.reset_mid_body,
            Fault::TruncatedBody => self.truncated_body,
            Fault::Stall(_) => self.stall,
            Fault::AccessDenied => self.access_denied,
            Fault::NoSuchKey => self.no_such_key,
        }
    }

    /// Requests of one method, e.g. "HEAD".
    pub fn method(&self, method: &str) -> u64 {
        self.by_method.get(method).copied().unwrap_or(0)
    }
}

impl std::ops::Sub for &Stats {
    type Output = Stats;

    fn sub(self, before: &Stats) -> Stats {
        let mut by_method = self.by_method.clone();
        for (m, n) in &before.by_method {
            if let Some(v) = by_method.get_mut(m) {
                *v -= n;
            }
        }
        by_method.retain(|_, n| *n > 0);
        Stats {
            requests: self.requests - before.requests,
            forwarded: self.forwarded - before.forwarded,
            slow_down: self.slow_down - before.slow_down,
            internal_error: self.internal_error - before.internal_error,
            reset_mid_body: self.reset_mid_body - before.reset_mid_body,
            truncated_body: self.truncated_body - before.truncated_body,
            stall: self.stall - before.stall,
            access_denied: self.access_denied - before.access_denied,
            no_such_key: self.no_such_key - before.no_such_key,
            by_method,
        }
    }
}

#[derive(Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    forwarded: AtomicU64,
    slow_down: AtomicU64,
    internal_error: AtomicU64,
    reset_mid_body: AtomicU64,
    truncated_body: AtomicU64,
    stall: AtomicU64,
    access_denied: AtomicU64,
    no_such_key: AtomicU64,
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
        let counter = match fault {
            Fault::SlowDown => &self.slow_down,
            Fault::InternalError => &self.internal_error,
            Fault::ResetMidBody => &self.reset_mid_body,
            Fault::TruncatedBody => &self.truncated_body,
            Fault::Stall(_) => &self.stall,
            Fault::AccessDenied => &self.access_denied,
            Fault::NoSuchKey => &self.no_such_key,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Stats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            requests: get(&self.requests),
            forwarded: get(&self.forwarded),
            slow_down: get(&self.slow_down),
            internal_error: get(&self.internal_error),
            reset_mid_body: get(&self.reset_mid_body),
            truncated_body: get(&self.truncated_body),
            stall: get(&self.stall),
            access_denied: get(&self.access_denied),
            no_such_key: get(&self.no_such_key),
            by_method: crate::lock(&self.by_method).clone(),
        }
    }
}

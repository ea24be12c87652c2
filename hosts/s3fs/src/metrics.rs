use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Request counters, one per S3 request kind, counted when a request is issued (SDK retries
/// inside one call count once). Tests use them to prove what a call did or did not send.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pub list: AtomicU64,
    pub head: AtomicU64,
    pub get: AtomicU64,
    pub put: AtomicU64,
    pub copy: AtomicU64,
    pub delete: AtomicU64,
    pub create_multipart: AtomicU64,
    pub upload_part: AtomicU64,
    pub complete_multipart: AtomicU64,
    pub abort_multipart: AtomicU64,
    pub bytes_read: AtomicU64,
    pub bytes_written: AtomicU64,
    /// Requests sent and not yet answered, by a sequence number: what a run that is stopped
    /// for taking too long was waiting on.
    in_flight: Mutex<BTreeMap<u64, (&'static str, String)>>,
    next_request: AtomicU64,
}

/// A request on the wire, from [`Metrics::start`] until dropped.
pub(crate) struct InFlight<'a> {
    metrics: &'a Metrics,
    id: u64,
    started: std::time::Instant,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        // Taken out first: the map's lock is every request's, never held while logging.
        let finished = self.metrics.in_flight_map().remove(&self.id);
        if let Some((op, key)) = finished {
            // `RUST_LOG=docproc_s3fs=debug` traces every request: what a run sent, and when.
            tracing::debug!(
                id = self.id,
                op,
                key,
                ms = self.started.elapsed().as_millis() as u64,
                "S3 request done"
            );
        }
    }
}

/// A point-in-time copy of the counters; subtract two to measure one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MetricsSnapshot {
    pub list: u64,
    pub head: u64,
    pub get: u64,
    pub put: u64,
    pub copy: u64,
    pub delete: u64,
    pub create_multipart: u64,
    pub upload_part: u64,
    pub complete_multipart: u64,
    pub abort_multipart: u64,
    pub bytes_read: u64,
    pub bytes_written: u64,
}

impl Metrics {
    /// Counts a request of kind `counter` (S3 operation `op` on `key`) and tracks it as in
    /// flight until the returned guard is dropped.
    pub fn start<'a>(&'a self, counter: &AtomicU64, op: &'static str, key: &str) -> InFlight<'a> {
        counter.fetch_add(1, Ordering::Relaxed);
        let id = self.next_request.fetch_add(1, Ordering::Relaxed);
        self.in_flight_map().insert(id, (op, key.to_owned()));
        tracing::debug!(id, op, key, "S3 request sent");
        InFlight {
            metrics: self,
            id,
            started: std::time::Instant::now(),
        }
    }

    /// "GetObject inbox/a.txt", oldest first.
    pub fn in_flight(&self) -> Vec<String> {
        self.in_flight_map()
            .values()
            .map(|(op, key)| format!("{op} {key}"))
            .collect()
    }

    fn in_flight_map(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, (&'static str, String)>> {
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        MetricsSnapshot {
            list: get(&self.list),
            head: get(&self.head),
            get: get(&self.get),
            put: get(&self.put),
            copy: get(&self.copy),
            delete: get(&self.delete),
            create_multipart: get(&self.create_multipart),
            upload_part: get(&self.upload_part),
            complete_multipart: get(&self.complete_multipart),
            abort_multipart: get(&self.abort_multipart),
            bytes_read: get(&self.bytes_read),
            bytes_written: get(&self.bytes_written),
        }
    }
}

impl MetricsSnapshot {
    /// Requests of every kind, bytes excluded.
    pub fn requests(&self) -> u64 {
        self.list
            + self.head
            + self.get
            + self.put
            + self.copy
            + self.delete
            + self.create_multipart
            + self.upload_part
            + self.complete_multipart
            + self.abort_multipart
    }
}

impl std::ops::Sub for MetricsSnapshot {
    type Output = MetricsSnapshot;

    fn sub(self, before: MetricsSnapshot) -> MetricsSnapshot {
        MetricsSnapshot {
            list: self.list - before.list,
            head: self.head - before.head,
            get: self.get - before.get,
            put: self.put - before.put,
            copy: self.copy - before.copy,
            delete: self.delete - before.delete,
            create_multipart: self.create_multipart - before.create_multipart,
            upload_part: self.upload_part - before.upload_part,
            complete_multipart: self.complete_multipart - before.complete_multipart,
            abort_multipart: self.abort_multipart - before.abort_multipart,
            bytes_read: self.bytes_read - before.bytes_read,
            bytes_written: self.bytes_written - before.bytes_written,
        }
    }
}

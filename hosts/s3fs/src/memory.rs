//! Bounds the bytes of read and write buffers in flight across one S3Fs. Permits are counted
//! in KiB so a u32 acquisition can cover any single buffer.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

const UNIT: usize = 1024;

#[derive(Debug, Clone)]
pub(crate) struct MemoryLimiter {
    semaphore: Arc<Semaphore>,
    units: usize,
}

/// Memory reserved for one buffer; released on drop. An overcommitted one holds nothing.
#[derive(Debug)]
pub(crate) struct Reservation {
    _permit: Option<OwnedSemaphorePermit>,
}

impl MemoryLimiter {
    pub fn new(limit_bytes: usize) -> MemoryLimiter {
        let units = limit_bytes.div_ceil(UNIT).clamp(1, Semaphore::MAX_PERMITS);
        MemoryLimiter {
            semaphore: Arc::new(Semaphore::new(units)),
            units,
        }
    }

    /// A buffer larger than the whole limit reserves the whole limit, so it fits once every
    /// other buffer is released instead of never.
    fn units_for(&self, bytes: usize) -> u32 {
        let units = bytes.div_ceil(UNIT).clamp(1, self.units);
        u32::try_from(units).unwrap_or(u32::MAX)
    }

    /// Speculative buffers (prefetch ahead, more uploads in parallel) take memory only if it
    /// is free.
    pub fn try_reserve(&self, bytes: usize) -> Option<Reservation> {
        Arc::clone(&self.semaphore)
            .try_acquire_many_owned(self.units_for(bytes))
            .ok()
            .map(|permit| Reservation {
                _permit: Some(permit),
            })
    }

    /// For the one buffer a caller needs to make progress. It never waits: memory can be held
    /// by a reader whose owner stopped reading, and waiting on it could wait forever. So the
    /// limit can be exceeded by one buffer per caller in progress, never by speculation.
    pub fn reserve_for_progress(&self, bytes: usize) -> Reservation {
        self.try_reserve(bytes).unwrap_or_else(|| {
            tracing::debug!(
                bytes,
                "memory limit reached; buffer needed for progress goes over it"
            );
            Reservation { _permit: None }
        })
    }

    /// Bytes not reserved right now.
    #[cfg(test)]
    pub fn available(&self) -> usize {
        self.semaphore.available_permits() * UNIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_bounded_and_released() {
        let limiter = MemoryLimiter::new(10 * UNIT);
        let a = limiter.try_reserve(6 * UNIT).expect("fits");
        assert!(limiter.try_reserve(6 * UNIT).is_none());
        let b = limiter.try_reserve(4 * UNIT).expect("fits");
        assert_eq!(limiter.available(), 0);
        let forced = limiter.reserve_for_progress(UNIT);
        assert_eq!(limiter.available(), 0);
        drop((a, b, forced));
        assert_eq!(limiter.available(), 10 * UNIT);
        // Larger than the limit: takes everything rather than never fitting.
        let all = limiter
            .try_reserve(100 * UNIT)
            .expect("clamped to the limit");
        assert_eq!(limiter.available(), 0);
        drop(all);
    }
}

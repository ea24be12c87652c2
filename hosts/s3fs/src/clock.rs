//! The store's clock, as read from the `Date` of S3's responses.
//!
//! Mtimes of objects are S3's time; a host whose own clock is off (a laptop, a container
//! without NTP) would judge another host's claim dead too early or never. So callers that
//! compare "now" with an mtime use [`StoreClock::now`]: this host's time corrected by what
//! the responses' `Date` says, which every S3 answer carries.
//!
//! `Date` has whole seconds, so one response only bounds the offset: at the moment a
//! response arrives, the store's time is at least its `Date` and less than `Date` plus one
//! second (plus the response's transit, which is ignored). Bounds from every response are
//! intersected. A host within a second or so of the store keeps its own time, so clocks
//! that agree never jitter.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_sdk_s3::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_types::date_time::{DateTime, Format};

/// A difference below this is the `Date` header's own rounding plus transit: not corrected.
const TOLERANCE_MS: i64 = 1_000;

#[derive(Debug, Default)]
pub struct StoreClock {
    /// Bounds on (store time - host time), in milliseconds, from every response seen.
    bounds: Mutex<Option<(i64, i64)>>,
}

impl StoreClock {
    /// Now, by the store's clock as far as its responses tell.
    pub fn now(&self) -> SystemTime {
        let offset = self.offset_ms();
        let host = SystemTime::now();
        let shift = Duration::from_millis(offset.unsigned_abs());
        if offset >= 0 {
            host + shift
        } else {
            host - shift
        }
    }

    /// Store time minus host time: 0 unless the responses show more than the tolerance.
    pub fn offset_ms(&self) -> i64 {
        // The bound nearest the host's own time: a claim then looks younger, never older,
        // than it is.
        match *self.bounds.lock().unwrap_or_else(|e| e.into_inner()) {
            Some((low, _)) if low > TOLERANCE_MS => low,
            Some((_, high)) if high < -TOLERANCE_MS => high,
            _ => 0,
        }
    }

    /// One response's `Date`, received at `host` by this host's clock.
    pub fn observe(&self, date: SystemTime, host: SystemTime) {
        let low = signed_ms(date, host);
        let high = low + 1_000;
        let mut bounds = self.bounds.lock().unwrap_or_else(|e| e.into_inner());
        *bounds = Some(match *bounds {
            // Disjoint bounds: a clock stepped (NTP, a VM resumed). Start again from now.
            Some((l, h)) if low.max(l) <= high.min(h) => (low.max(l), high.min(h)),
            _ => (low, high),
        });
    }
}

fn signed_ms(a: SystemTime, b: SystemTime) -> i64 {
    match a.duration_since(b) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

/// Feeds every response's `Date` to the clock.
#[derive(Debug)]
pub(crate) struct DateWatcher(pub std::sync::Arc<StoreClock>);

impl Intercept for DateWatcher {
    fn name(&self) -> &'static str {
        "docproc-store-clock"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let header = context.response().headers().get("date");
        if let Some(date) = header.and_then(|d| DateTime::from_str(d, Format::HttpDate).ok())
            && let Ok(date) = SystemTime::try_from(date)
        {
            self.0.observe(date, SystemTime::now());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + ms)
    }

    #[test]
    fn clocks_that_agree_stay_the_hosts() {
        let clock = StoreClock::default();
        assert_eq!(clock.offset_ms(), 0, "nothing seen yet");
        // Dates are whole seconds, so they read up to a second behind.
        clock.observe(at(0), at(400));
        clock.observe(at(1_000), at(1_999));
        assert_eq!(clock.offset_ms(), 0);
    }

    #[test]
    fn a_store_ahead_or_behind_is_followed() {
        let ahead = StoreClock::default();
        ahead.observe(at(3_600_000), at(200));
        ahead.observe(at(3_601_000), at(1_100));
        assert!(
            (3_599_000..=3_600_800).contains(&ahead.offset_ms()),
            "{}",
            ahead.offset_ms()
        );

        let behind = StoreClock::default();
        behind.observe(at(0), at(3_600_300));
        assert!(
            (-3_600_300..=-3_599_300).contains(&behind.offset_ms()),
            "{}",
            behind.offset_ms()
        );
    }

    #[test]
    fn a_stepped_clock_starts_again() {
        let clock = StoreClock::default();
        clock.observe(at(3_600_000), at(0));
        clock.observe(at(10_000), at(10_000));
        assert_eq!(clock.offset_ms(), 0);
    }
}

//! The invocation's report, kept beside the documents as
//! `reports/<mode>-<timestamp>-<request id>.json`, so a benchmark can be
//! read back from the bucket without CloudWatch.

use std::time::{SystemTime, UNIX_EPOCH};

pub const DIR: &str = "reports";

/// `reports/process-20261125T164400Z-<request id>.json`. The request id
/// makes it unique; characters a key or file name should not hold are
/// replaced.
pub fn key(mode: &str, at: SystemTime, request_id: &str) -> String {
    let id: String = request_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{DIR}/{mode}-{}-{id}.json", compact_utc(at))
}

/// `YYYYMMDDTHHMMSSZ`: sorts by time, and has no `:` (awkward in keys).
pub fn compact_utc(at: SystemTime) -> String {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = docproc_core::clock::civil_from_days(days as i64);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn keys_sort_by_time_and_are_safe() {
        let at = UNIX_EPOCH + Duration::from_secs(1_795_624_440);
        assert_eq!(compact_utc(at), "20261125T163400Z");
        assert_eq!(
            compact_utc(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "20000229T000000Z"
        );
        assert_eq!(
            key("process", at, "a1/b:2"),
            "reports/process-20261125T163400Z-a1_b_2.json"
        );
    }
}

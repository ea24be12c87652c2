//! The invocation event. Each mode takes only its own options, and a field
//! that is unknown or of the wrong type is refused before anything runs: a
//! typo such as `shard_indx` must not silently process every shard.

use docproc_host::{Claims, Job, Shard};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Process,
    Status,
    Walk,
    Hash,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Process => "process",
            Mode::Status => "status",
            Mode::Walk => "walk",
            Mode::Hash => "hash",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase", deny_unknown_fields)]
pub enum Event {
    Process {
        #[serde(default)]
        root: String,
        shard_index: Option<u32>,
        #[serde(default = "one")]
        shard_count: u32,
        /// Read size per call; 0 means the core's default (1 MiB).
        #[serde(default)]
        chunk_size: u32,
    },
    Status {
        #[serde(default)]
        root: String,
    },
    Walk {
        #[serde(default)]
        root: String,
        shard_index: Option<u32>,
        #[serde(default = "one")]
        shard_count: u32,
    },
    Hash {
        #[serde(default)]
        root: String,
        shard_index: Option<u32>,
        #[serde(default = "one")]
        shard_count: u32,
        #[serde(default)]
        chunk_size: u32,
        #[serde(default = "digests")]
        out_dir: String,
    },
}

fn one() -> u32 {
    1
}

fn digests() -> String {
    "digests".into()
}

pub const EXPECTED: &str = r#"expected {"mode": "process" | "status" | "walk" | "hash", "root": "...", "shard_index": N, "shard_count": N, "chunk_size": N, "out_dir": "..." (hash)}"#;

/// What to run: a workload over some shards, or a status listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    Status {
        root: String,
    },
    /// `only` is one shard of `count` (a fan-out worker); `None` runs all
    /// `count` shards in this invocation.
    Run {
        job: Job,
        count: u32,
        only: Option<u32>,
    },
}

impl Event {
    pub fn parse(value: serde_json::Value) -> Result<Event, String> {
        serde_json::from_value(value).map_err(|e| format!("bad event: {e}; {EXPECTED}"))
    }

    pub fn mode(&self) -> Mode {
        match self {
            Event::Process { .. } => Mode::Process,
            Event::Status { .. } => Mode::Status,
            Event::Walk { .. } => Mode::Walk,
            Event::Hash { .. } => Mode::Hash,
        }
    }

    /// Paths relative to the function's root, as the event gives them.
    fn paths(&self) -> Vec<&str> {
        match self {
            Event::Status { root } | Event::Process { root, .. } | Event::Walk { root, .. } => {
                vec![root]
            }
            Event::Hash { root, out_dir, .. } => vec![root, out_dir],
        }
    }

    /// `claims` are the ones a process run takes: always on, since a Step Functions retry,
    /// a second execution or a manual invoke can run the same shard twice at once.
    pub fn plan(self, claims: Claims) -> Result<Plan, String> {
        for path in self.paths() {
            docproc_host::local::check_relative(path).map_err(|e| format!("bad event: {e}"))?;
        }
        let (job, count, only) = match self {
            Event::Status { root } => return Ok(Plan::Status { root }),
            Event::Process {
                root,
                shard_index,
                shard_count,
                chunk_size,
            } => (
                Job::ProcessInbox {
                    root,
                    chunk_size,
                    claims: Some(claims),
                    only: None,
                },
                shard_count,
                shard_index,
            ),
            Event::Walk {
                root,
                shard_index,
                shard_count,
            } => (Job::Walk { root }, shard_count, shard_index),
            Event::Hash {
                root,
                shard_index,
                shard_count,
                chunk_size,
                out_dir,
            } => (
                Job::Hash {
                    root,
                    out_dir,
                    chunk_size,
                },
                shard_count,
                shard_index,
            ),
        };
        docproc_host::check_shard(Shard {
            index: only.unwrap_or(0),
            count,
        })
        .map_err(|e| format!("bad event: {e}"))?;
        Ok(Plan::Run { job, count, only })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_per_mode_options() {
        let claims = Claims {
            owner: "lambda request-1".into(),
            lease_ms: 330_000,
        };
        assert_eq!(
            Event::parse(json!({"mode": "process"}))
                .unwrap()
                .plan(claims.clone())
                .unwrap(),
            Plan::Run {
                job: Job::ProcessInbox {
                    root: String::new(),
                    chunk_size: 0,
                    claims: Some(claims.clone()),
                    only: None,
                },
                count: 1,
                only: None
            }
        );
        let hash = Event::parse(
            json!({"mode": "hash", "root": "data", "shard_index": 1, "shard_count": 4}),
        );
        assert_eq!(
            hash.unwrap().plan(claims.clone()).unwrap(),
            Plan::Run {
                job: Job::Hash {
                    root: "data".into(),
                    out_dir: "digests".into(),
                    chunk_size: 0
                },
                count: 4,
                only: Some(1)
            }
        );
    }

    #[test]
    fn refuses_unknown_mistyped_and_misplaced_fields() {
        for (event, needle) in [
            (
                json!({"mode": "process", "shard_indx": 1}),
                "unknown field `shard_indx`",
            ),
            (
                json!({"mode": "process", "shard_count": "4"}),
                "invalid type",
            ),
            (
                json!({"mode": "walk", "out_dir": "x"}),
                "unknown field `out_dir`",
            ),
            (
                json!({"mode": "status", "shard_count": 2}),
                "unknown field `shard_count`",
            ),
            (json!({"mode": "delete"}), "unknown variant `delete`"),
            (json!({"root": "x"}), "missing field `mode`"),
            (json!("process"), "bad event"),
        ] {
            let err = Event::parse(event.clone()).unwrap_err();
            assert!(err.contains(needle), "{event}: {err}");
        }
        let err = Event::parse(json!({"mode": "process", "shard_index": 4, "shard_count": 4}))
            .unwrap()
            .plan(Claims::default())
            .unwrap_err();
        assert!(err.contains("invalid shard 4 of 4"), "{err}");
    }
}

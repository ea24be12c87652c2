//! From an AWS event to one named run, and back to what each delivery is told: which
//! objects are done (processed, failed for a reason of their own, already handled, or
//! none of this function's business) and which must come again.

use std::collections::{BTreeSet, HashMap};

use docproc_host::layout::INBOX;
use docproc_host::report::{InboxReport, Outcome};
use docproc_host::{Claims, Job};
use serde::Serialize;

use crate::config::EventScope;
use crate::trigger::{Source, Trigger};

/// Instances a named run splits into at most; fewer for a handful of keys, since every
/// instance sets up `processed/`, `failed/` and `.claims/` once.
const MAX_SHARDS: usize = 8;

/// A trigger's objects as paths below the function's root.
pub struct Delivery {
    source: Source,
    messages: Vec<Routed>,
}

struct Routed {
    id: Option<String>,
    objects: Result<Vec<Route>, String>,
}

/// An object's key, and its path below the root or why it is left alone.
type Route = (String, Result<String, String>);

/// What the response says about the event's objects.
#[derive(Debug, Clone, Serialize)]
pub struct Settled {
    pub source: &'static str,
    pub objects: usize,
    /// Objects that must be delivered again, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<KeyNote>,
    /// Objects this function leaves alone, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<KeyNote>,
    /// SQS messages to deliver again: those with a pending object, or no event we read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_messages: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyNote {
    pub key: String,
    pub why: String,
}

impl Delivery {
    pub fn new(trigger: Trigger, scope: &EventScope) -> Delivery {
        let messages = trigger
            .messages
            .into_iter()
            .map(|m| Routed {
                id: m.id,
                objects: m.objects.map(|objects| {
                    objects
                        .into_iter()
                        .map(|o| {
                            let path = scope.path_of(o.bucket.as_deref(), &o.key);
                            (o.key, path)
                        })
                        .collect()
                }),
            })
            .collect();
        Delivery {
            source: trigger.source,
            messages,
        }
    }

    pub fn source(&self) -> Source {
        self.source
    }

    /// Every path once, whichever messages name it: a duplicated event is one document.
    fn paths(&self) -> BTreeSet<String> {
        self.messages
            .iter()
            .filter_map(|m| m.objects.as_ref().ok())
            .flatten()
            .filter_map(|(_, path)| path.as_ref().ok().cloned())
            .collect()
    }

    /// The named run, and how many shards it splits into.
    pub fn job(&self, claims: Claims) -> (Job, u32) {
        let paths: Vec<String> = self.paths().into_iter().collect();
        let shards = paths.len().clamp(1, MAX_SHARDS) as u32;
        let job = Job::ProcessInbox {
            root: String::new(),
            chunk_size: 0,
            claims: Some(claims),
            only: Some(paths),
        };
        (job, shards)
    }

    /// What became of each object. `absent_is_pending` where the store may show an
    /// object late (the S3 Files mount); on the S3 API an absent object was deleted.
    pub fn settle(&self, report: &InboxReport, absent_is_pending: bool) -> Settled {
        let outcomes: HashMap<String, &Outcome> = report
            .documents
            .iter()
            .map(|d| match &d.outcome {
                Outcome::Skipped(_) => (d.name.clone(), &d.outcome),
                _ => (format!("{INBOX}/{}", d.name), &d.outcome),
            })
            .collect();
        let mut settled = Settled {
            source: self.source.as_str(),
            objects: 0,
            pending: Vec::new(),
            ignored: Vec::new(),
            failed_messages: Vec::new(),
        };
        for message in &self.messages {
            let mut again = false;
            match &message.objects {
                Err(why) => {
                    again = true;
                    settled.ignored.push(KeyNote {
                        key: message.id.clone().unwrap_or_default(),
                        why: why.clone(),
                    });
                }
                Ok(objects) => {
                    for (key, path) in objects {
                        settled.objects += 1;
                        let note = |why: String| KeyNote {
                            key: key.clone(),
                            why,
                        };
                        match judge(path, &outcomes, absent_is_pending) {
                            Verdict::Done => {}
                            Verdict::Ignored(why) => settled.ignored.push(note(why)),
                            Verdict::Again(why) => {
                                again = true;
                                settled.pending.push(note(why));
                            }
                        }
                    }
                }
            }
            if let (true, Some(id)) = (again, &message.id) {
                settled.failed_messages.push(id.clone());
            }
        }
        settled
    }
}

enum Verdict {
    Done,
    Ignored(String),
    Again(String),
}

fn judge(
    path: &Result<String, String>,
    outcomes: &HashMap<String, &Outcome>,
    absent_is_pending: bool,
) -> Verdict {
    let path = match path {
        Ok(path) => path,
        Err(why) => return Verdict::Ignored(why.clone()),
    };
    match outcomes.get(path) {
        Some(
            Outcome::Processed(_) | Outcome::Resumed(_) | Outcome::Failed(_) | Outcome::AlreadyDone,
        ) => Verdict::Done,
        Some(Outcome::Skipped(why)) => Verdict::Ignored(why.clone()),
        Some(Outcome::ClaimedElsewhere) => {
            Verdict::Again("another invocation holds its claim".into())
        }
        Some(Outcome::Absent) if absent_is_pending => Verdict::Again(
            "not on the mount yet (S3 Files shows a new object after a few seconds)".into(),
        ),
        Some(Outcome::Absent) => {
            Verdict::Ignored("not in inbox/ and never processed: deleted since the event".into())
        }
        None => Verdict::Again("the run did not report it".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trigger::{Message, Object};
    use docproc_host::report::DocumentResult;

    fn message(id: &str, keys: &[&str]) -> Message {
        Message {
            id: Some(id.into()),
            objects: Ok(keys
                .iter()
                .map(|k| Object {
                    bucket: Some("docs".into()),
                    key: k.to_string(),
                })
                .collect()),
        }
    }

    fn inbox_report(documents: Vec<DocumentResult>) -> InboxReport {
        InboxReport {
            timings: Default::default(),
            processed: 0,
            resumed: 0,
            failed: 0,
            skipped: 0,
            other_shards: 0,
            claimed_elsewhere: 0,
            vanished: 0,
            already_done: 0,
            inbox_absent: false,
            bytes: 0,
            words: 0,
            lines: 0,
            chars: 0,
            documents,
        }
    }

    #[test]
    fn each_message_is_judged_by_its_own_objects() {
        let trigger = Trigger {
            source: Source::Sqs,
            messages: vec![
                message("done", &["p/inbox/a", "p/inbox/b"]),
                message("dup", &["p/inbox/a"]),
                message("held", &["p/inbox/c"]),
                message("late", &["p/inbox/d"]),
                message("loop", &["p/processed/a", "elsewhere/inbox/a"]),
                Message {
                    id: Some("junk".into()),
                    objects: Err("message body is not JSON".into()),
                },
            ],
        };
        let delivery = Delivery::new(trigger, &EventScope::new("docs", "p"));
        let (job, shards) = delivery.job(Claims::default());
        let Job::ProcessInbox { only, .. } = job else {
            panic!()
        };
        assert_eq!(
            only.unwrap(),
            ["inbox/a", "inbox/b", "inbox/c", "inbox/d", "processed/a"]
        );
        assert_eq!(shards, 5);
        let result = |name: &str, outcome| DocumentResult {
            name: name.into(),
            outcome,
        };
        let report = inbox_report(vec![
            result("a", Outcome::AlreadyDone),
            result("b", Outcome::Failed("not UTF-8".into())),
            result("c", Outcome::ClaimedElsewhere),
            result("d", Outcome::Absent),
            result("processed/a", Outcome::Skipped("not in inbox/".into())),
        ]);
        let mount = delivery.settle(&report, true);
        assert_eq!(mount.failed_messages, ["held", "late", "junk"]);
        assert_eq!(mount.objects, 7);
        let api = delivery.settle(&report, false);
        assert_eq!(api.failed_messages, ["held", "junk"]);
        let ignored: Vec<&str> = api.ignored.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(
            ignored,
            ["p/inbox/d", "p/processed/a", "elsewhere/inbox/a", "junk"]
        );
    }
}

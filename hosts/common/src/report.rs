//! Reports as hosts print and return them: the core's typed records plus
//! what the host measured around them.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

pub use crate::bindings::wit::{
    DocumentMeta, DocumentResult, FileDigest, HashReport, InboxReport, Outcome, PhaseTimings,
    WalkReport,
};
use crate::error::ExitCode;
use crate::runtime::CacheOutcome;

/// No time spent yet: where a host builds an inbox report of its own (the naive peer in
/// the bench, tests), as the WIT bindings derive no `Default`.
impl Default for PhaseTimings {
    fn default() -> Self {
        PhaseTimings {
            list_ms: 0.0,
            read_ms: 0.0,
            process_ms: 0.0,
            write_meta_ms: 0.0,
            move_ms: 0.0,
            total_ms: 0.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "workload", rename_all = "kebab-case")]
pub enum Report {
    ProcessInbox(InboxReport),
    Walk(WalkReport),
    Hash(HashReport),
}

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub backend: String,
    /// SHA-256 of the component that ran: the same bytes on every host.
    pub component_sha256: String,
    pub cache: CacheOutcome,
    pub load_ms: f64,
    pub instantiate_ms: f64,
    pub wall_ms: f64,
    pub shards: u32,
    /// Which shard this is; absent for a whole (or merged) run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard_index: Option<u32>,
    pub report: Report,
    /// Over the S3 API only: what the run sent, and what it could not see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Usage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct S3Usage {
    /// Requests the run sent, by kind (retries inside one call count once).
    pub requests: crate::s3::MetricsSnapshot,
    /// Keys left out of the file view because they cannot be paths (S3 Files' rule), so
    /// the core never saw them. They stay in the bucket, untouched.
    pub skipped_keys: Vec<String>,
}

impl S3Usage {
    fn render(&self, w: &mut String) {
        let q = &self.requests;
        let kinds = [
            ("LIST", q.list),
            ("HEAD", q.head),
            ("GET", q.get),
            ("PUT", q.put),
            ("COPY", q.copy),
            ("DELETE", q.delete),
            (
                "multipart",
                q.create_multipart + q.upload_part + q.complete_multipart,
            ),
            ("abort", q.abort_multipart),
        ];
        let by_kind: Vec<String> = kinds
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        row(
            w,
            "S3 requests",
            &format!("{} ({})", q.requests(), by_kind.join(", ")),
        );
        if !self.skipped_keys.is_empty() {
            const SHOWN: usize = 5;
            let mut keys: Vec<String> = self
                .skipped_keys
                .iter()
                .take(SHOWN)
                .map(|k| format!("{k:?}"))
                .collect();
            if self.skipped_keys.len() > SHOWN {
                keys.push(format!("and {} more", self.skipped_keys.len() - SHOWN));
            }
            row(
                w,
                "Keys not shown",
                &format!(
                    "{} (not paths; left in the bucket): {}",
                    self.skipped_keys.len(),
                    keys.join(", ")
                ),
            );
        }
    }
}

impl RunReport {
    /// Combines two shards of the same job. Phase times add up (they are
    /// time spent, across instances); the caller sets the wall time.
    pub fn merge(mut self, other: RunReport) -> RunReport {
        self.instantiate_ms += other.instantiate_ms;
        self.report = match (self.report, other.report) {
            (Report::ProcessInbox(a), Report::ProcessInbox(b)) => {
                Report::ProcessInbox(merge_inbox(a, b))
            }
            (Report::Walk(a), Report::Walk(b)) => Report::Walk(WalkReport {
                entries: a.entries + b.entries,
                files: a.files + b.files,
                directories: a.directories + b.directories,
                others: a.others + b.others,
                total_bytes: a.total_bytes + b.total_bytes,
                elapsed_ms: a.elapsed_ms.max(b.elapsed_ms),
            }),
            (Report::Hash(mut a), Report::Hash(b)) => {
                a.files += b.files;
                a.bytes += b.bytes;
                a.read_ms += b.read_ms;
                a.write_ms += b.write_ms;
                a.digests.extend(b.digests);
                a.digests.sort_by(|x, y| x.path.cmp(&y.path));
                Report::Hash(a)
            }
            (a, _) => a,
        };
        self
    }

    /// A run that completed exits 0, or 3 when documents went to `failed/`.
    pub fn exit_code(&self) -> ExitCode {
        if self.failed_documents() > 0 {
            ExitCode::DocumentsFailed
        } else {
            ExitCode::Ok
        }
    }

    /// Documents that went to `failed/`.
    pub fn failed_documents(&self) -> u32 {
        match &self.report {
            Report::ProcessInbox(r) => r.failed,
            _ => 0,
        }
    }

    /// A table like the reference's benchmark rows.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let w = &mut out;
        match &self.report {
            Report::ProcessInbox(r) => render_inbox(w, r),
            Report::Walk(r) => {
                row(w, "Entries", &r.entries.to_string());
                row(w, "Files", &r.files.to_string());
                row(w, "Directories", &r.directories.to_string());
                if r.others > 0 {
                    row(w, "Other entries", &r.others.to_string());
                }
                row(w, "Total size", &human_bytes(r.total_bytes));
                row(w, "List + stat", &format!("{:.0} ms", r.elapsed_ms));
            }
            Report::Hash(r) => {
                row(w, "Files hashed", &r.files.to_string());
                row(w, "Bytes read", &human_bytes(r.bytes));
                row(w, "Read + hash", &format!("{:.0} ms", r.read_ms));
                row(w, "Read throughput", &throughput(r.bytes, r.read_ms));
                row(w, "Write digests", &format!("{:.0} ms", r.write_ms));
                for d in r.digests.iter().take(20) {
                    let _ = writeln!(w, "  {}  {}", d.sha256, d.path);
                }
                if r.digests.len() > 20 {
                    let _ = writeln!(w, "  ... and {} more", r.digests.len() - 20);
                }
            }
        }
        let _ = writeln!(w);
        row(w, "Backend", &self.backend);
        if let Some(s3) = &self.s3 {
            s3.render(w);
        }
        if self.shards > 1 {
            row(w, "Shards", &self.shards.to_string());
        }
        row(
            w,
            "Host",
            &format!(
                "load {:.1} ms ({}), instantiate {:.2} ms, wall {:.0} ms",
                self.load_ms,
                match self.cache {
                    CacheOutcome::Precompiled => "precompiled",
                    CacheOutcome::Hit => "cached",
                    CacheOutcome::Compiled => "compiled, now cached",
                    CacheOutcome::Uncached => "compiled",
                },
                self.instantiate_ms,
                self.wall_ms
            ),
        );
        row(w, "Component", &format!("sha256:{}", self.component_sha256));
        out
    }
}

fn merge_inbox(mut a: InboxReport, b: InboxReport) -> InboxReport {
    let (t, u) = (&mut a.timings, &b.timings);
    t.list_ms += u.list_ms;
    t.read_ms += u.read_ms;
    t.process_ms += u.process_ms;
    t.write_meta_ms += u.write_meta_ms;
    t.move_ms += u.move_ms;
    t.total_ms += u.total_ms;
    a.processed += b.processed;
    a.resumed += b.resumed;
    a.failed += b.failed;
    // Each entry and each name given counts in its own shard only.
    a.skipped += b.skipped;
    // Each shard sees the others' documents; only the owners count them.
    a.other_shards = 0;
    a.claimed_elsewhere += b.claimed_elsewhere;
    a.vanished += b.vanished;
    a.already_done += b.already_done;
    a.inbox_absent &= b.inbox_absent;
    a.bytes += b.bytes;
    a.words += b.words;
    a.lines += b.lines;
    a.chars += b.chars;
    a.documents.extend(b.documents);
    a.documents.sort_by(|x, y| x.name.cmp(&y.name));
    a
}

fn render_inbox(w: &mut String, r: &InboxReport) {
    let docs = r.processed + r.resumed + r.failed;
    let t = &r.timings;
    let _ = writeln!(w, "{:<24}{:>12}", "Phase", "Time");
    for (name, ms) in [
        ("List files", t.list_ms),
        (&format!("Read ({docs} files)") as &str, t.read_ms),
        ("Process", t.process_ms),
        (&format!("Write metadata ({docs})"), t.write_meta_ms),
        (&format!("Move/rename ({docs})"), t.move_ms),
        ("Total", t.total_ms),
    ] {
        let _ = writeln!(w, "{name:<24}{:>9.1} ms", ms);
    }
    let _ = writeln!(w);
    if r.inbox_absent {
        row(w, "Inbox", "empty: no keys under inbox/, nothing to do");
    }
    row(w, "Processed", &r.processed.to_string());
    if r.resumed > 0 {
        row(
            w,
            "Resumed",
            &format!("{} (metadata from an interrupted run)", r.resumed),
        );
    }
    row(w, "Failed", &r.failed.to_string());
    if r.claimed_elsewhere > 0 {
        row(
            w,
            "Claimed elsewhere",
            &format!("{} (another host is on them)", r.claimed_elsewhere),
        );
    }
    if r.vanished > 0 {
        row(
            w,
            "Vanished",
            &format!("{} (gone before their turn)", r.vanished),
        );
    }
    if r.already_done > 0 {
        row(
            w,
            "Already done",
            &format!("{} (in processed/ or failed/ already)", r.already_done),
        );
    }
    if r.skipped > 0 {
        row(
            w,
            "Skipped",
            &format!("{} (not documents of inbox/)", r.skipped),
        );
    }
    row(
        w,
        "Totals",
        &format!(
            "{} words, {} lines, {}",
            r.words,
            r.lines,
            human_bytes(r.bytes)
        ),
    );
    for d in &r.documents {
        match &d.outcome {
            Outcome::Failed(reason) => {
                let _ = writeln!(w, "  failed: {}: {}", d.name, reason);
            }
            Outcome::Skipped(why) => {
                let _ = writeln!(w, "  skipped: {}: {}", d.name, why);
            }
            Outcome::Absent => {
                let _ = writeln!(w, "  absent: {}: not in inbox/, not handled", d.name);
            }
            _ => {}
        }
    }
}

fn row(w: &mut String, name: &str, value: &str) {
    let _ = writeln!(w, "{name:<24}{value}");
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

pub fn throughput(bytes: u64, ms: f64) -> String {
    if ms <= 0.0 {
        return "n/a".into();
    }
    format!(
        "{:.0} MiB/s",
        bytes as f64 / (1 << 20) as f64 / (ms / 1000.0)
    )
}

//! Plain Rust mirrors of the WIT records, so the workloads also build
//! natively (for the benchmarks) without the component bindings.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhaseTimings {
    pub list_ms: f64,
    pub read_ms: f64,
    pub process_ms: f64,
    pub write_meta_ms: f64,
    pub move_ms: f64,
    pub total_ms: f64,
}

/// Also the on-disk format of `processed/<name>.meta.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentMeta {
    pub filename: String,
    pub size_bytes: u64,
    pub word_count: u64,
    pub line_count: u64,
    pub char_count: u64,
    pub processed_at: String,
    /// The version of the document these counts describe ("<size>@<mtime seconds>"): a
    /// rerun reuses them only for that same version, so a name sent again is counted again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
}

/// The on-disk format of `failed/<name>.error.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentError {
    pub filename: String,
    pub error: String,
    pub failed_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Processed(DocumentMeta),
    Resumed(DocumentMeta),
    Failed(String),
    AlreadyDone,
    Absent,
    ClaimedElsewhere,
    Skipped(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DocumentResult {
    pub name: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct InboxReport {
    pub timings: PhaseTimings,
    pub processed: u32,
    pub resumed: u32,
    pub failed: u32,
    pub skipped: u32,
    pub other_shards: u32,
    pub claimed_elsewhere: u32,
    pub vanished: u32,
    pub already_done: u32,
    pub inbox_absent: bool,
    pub bytes: u64,
    pub words: u64,
    pub lines: u64,
    pub chars: u64,
    pub documents: Vec<DocumentResult>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct WalkReport {
    pub entries: u64,
    pub files: u64,
    pub directories: u64,
    pub others: u64,
    pub total_bytes: u64,
    pub elapsed_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    pub path: String,
    pub size_bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HashReport {
    pub files: u32,
    pub bytes: u64,
    pub read_ms: f64,
    pub write_ms: f64,
    pub digests: Vec<FileDigest>,
}

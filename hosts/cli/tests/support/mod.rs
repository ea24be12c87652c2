//! Running the real `docproc` binary, over a directory or the local S3
//! server, and checking what a user would check afterwards.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use docproc_testkit::{TestBucket, server};

pub fn docproc() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_docproc"));
    // Keep the user's AWS settings out of the tests.
    for var in [
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Points the child at the local S3 server with its credentials, through
/// the standard AWS variables a user would set.
pub fn with_s3(cmd: &mut Command) -> &mut Command {
    let s = server();
    cmd.env("AWS_ENDPOINT_URL", &s.endpoint)
        .env("AWS_ACCESS_KEY_ID", &s.access_key)
        .env("AWS_SECRET_ACCESS_KEY", &s.secret_key)
        .env("AWS_REGION", &s.region)
        .env("AWS_EC2_METADATA_DISABLED", "true")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}): stdout {} stderr {}",
            text(&out.stdout),
            text(&out.stderr)
        )
    })
}

/// Where each document is, seen through plain file names: the same check
/// for a directory and for a bucket.
#[derive(Debug, Default)]
pub struct Layout {
    pub inbox: Vec<String>,
    /// Document name -> its metadata, parsed.
    pub processed: BTreeMap<String, Option<serde_json::Value>>,
    pub metas: BTreeMap<String, serde_json::Value>,
    pub failed: Vec<String>,
}

impl Layout {
    pub fn of_dir(root: &Path) -> Layout {
        let list = |d: &str| -> Vec<String> {
            match std::fs::read_dir(root.join(d)) {
                Ok(rd) => rd
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect(),
                Err(_) => Vec::new(),
            }
        };
        let read = |rel: String| std::fs::read(root.join(rel)).ok();
        Layout::build(list("inbox"), list("processed"), list("failed"), |name| {
            read(format!("processed/{name}"))
        })
    }

    pub async fn of_bucket(b: &TestBucket, prefix: &str) -> Layout {
        let keys = b.keys().await;
        let under = |d: &str| -> Vec<String> {
            let p = format!("{prefix}{d}/");
            keys.iter()
                .filter_map(|k| k.strip_prefix(&p))
                .filter(|rest| !rest.is_empty() && !rest.contains('/'))
                .map(str::to_string)
                .collect()
        };
        let (inbox, processed, failed) = (under("inbox"), under("processed"), under("failed"));
        let mut bodies = BTreeMap::new();
        for name in processed.iter().filter(|n| n.ends_with(".meta.json")) {
            bodies.insert(
                name.clone(),
                b.get(&format!("{prefix}processed/{name}")).await,
            );
        }
        Layout::build(inbox, processed, failed, |name| {
            bodies.get(name).cloned().flatten()
        })
    }

    fn build(
        inbox: Vec<String>,
        processed: Vec<String>,
        failed: Vec<String>,
        read: impl Fn(&str) -> Option<Vec<u8>>,
    ) -> Layout {
        let mut layout = Layout {
            inbox,
            failed,
            ..Layout::default()
        };
        layout.inbox.sort();
        for name in &processed {
            if let Some(doc) = name.strip_suffix(".meta.json") {
                let bytes = read(name).unwrap_or_else(|| panic!("{name} listed but unreadable"));
                // A partial metadata file would fail to parse here.
                let meta: serde_json::Value = serde_json::from_slice(&bytes)
                    .unwrap_or_else(|e| panic!("{name} is not complete JSON: {e}"));
                layout.metas.insert(doc.to_string(), meta);
            }
        }
        for name in processed {
            if name.ends_with(".meta.json") || name.starts_with('.') {
                continue;
            }
            let meta = layout.metas.get(&name).cloned();
            layout.processed.insert(name, meta);
        }
        layout
    }

    /// Every document is still in inbox/ or fully processed (in processed/
    /// with its metadata), and nothing is in processed/ without metadata.
    /// Both at once is allowed only where a move is copy + delete (S3) and
    /// the crash fell between the two.
    pub fn assert_nothing_lost(&self, all: &[String], move_is_copy_delete: bool) {
        for name in all {
            let waiting = self.inbox.contains(name);
            let done = self.processed.get(name).is_some_and(|m| m.is_some());
            assert!(waiting || done, "{name} lost: {self:?}");
            assert!(
                move_is_copy_delete || !(waiting && done),
                "{name} in inbox and processed: {self:?}"
            );
        }
        for (name, meta) in &self.processed {
            assert!(meta.is_some(), "{name} in processed/ without metadata");
            assert!(all.contains(name), "unexpected {name}");
        }
        assert!(self.failed.is_empty(), "{:?}", self.failed);
    }
}

/// Word, line and character counts as `wc` would give them.
pub fn expected(text: &str) -> (u64, u64, u64) {
    (
        text.split_whitespace().count() as u64,
        text.matches('\n').count() as u64,
        text.chars().count() as u64,
    )
}

pub fn assert_meta_matches(name: &str, meta: &serde_json::Value, text: &str) {
    let (w, l, c) = expected(text);
    assert_eq!(meta["filename"], name);
    assert_eq!(
        (
            meta["word_count"].as_u64(),
            meta["line_count"].as_u64(),
            meta["char_count"].as_u64()
        ),
        (Some(w), Some(l), Some(c)),
        "{name}"
    );
}

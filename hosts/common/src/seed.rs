//! Sample documents like the reference's: medium text files of 500 to 2,000
//! words. Deterministic, so runs and benchmarks can be compared.

use docproc_core::layout::INBOX;

const WORDS: &[&str] = &[
    "the",
    "bucket",
    "object",
    "file",
    "system",
    "mount",
    "latency",
    "request",
    "prefix",
    "rename",
    "copy",
    "delete",
    "stream",
    "lambda",
    "function",
    "process",
    "document",
    "inbox",
    "metadata",
    "version",
    "sync",
    "cache",
    "throughput",
    "directory",
    "listing",
    "storage",
    "network",
    "client",
    "server",
    "read",
    "write",
    "and",
    "of",
    "to",
    "in",
    "a",
    "is",
    "for",
    "with",
    "on",
    "données",
    "naïve",
    "Grüße",
    "東京",
    "κόσμε",
];

/// A small xorshift generator: no dependency, same output everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// The next `len` bytes of the stream.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

/// `count` documents named `doc-0001.txt`, ... with 500-2,000 words each,
/// in lines of 8-16 words.
pub fn documents(count: usize, seed: u64) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed);
    (1..=count)
        .map(|i| {
            let words = rng.range(500, 2000);
            let mut text = String::new();
            let mut line = 0;
            let mut line_len = rng.range(8, 16);
            for _ in 0..words {
                text.push_str(WORDS[rng.next_u64() as usize % WORDS.len()]);
                line += 1;
                if line == line_len {
                    text.push('\n');
                    line = 0;
                    line_len = rng.range(8, 16);
                } else {
                    text.push(' ');
                }
            }
            text.push('\n');
            (format!("doc-{i:04}.txt"), text)
        })
        .collect()
}

/// Writes `documents(count, seed)` into `root/inbox/` on this machine, for callers with
/// no async runtime at hand (tests, seeders).
pub fn seed_inbox(root: &std::path::Path, count: usize, seed: u64) -> std::io::Result<()> {
    let inbox = root.join(INBOX);
    std::fs::create_dir_all(&inbox)?;
    for (name, text) in documents(count, seed) {
        std::fs::write(inbox.join(name), text)?;
    }
    Ok(())
}

/// Writes `documents(count, seed)` into `<root>/inbox/` of any backend.
pub async fn seed_backend(
    backend: &crate::Backend,
    root: &str,
    count: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let inbox = match root.trim_matches('/') {
        "" => INBOX.to_string(),
        root => format!("{root}/{INBOX}"),
    };
    backend.make_dir(&inbox).await?;
    for (name, text) in documents(count, seed) {
        backend
            .write_file(&format!("{inbox}/{name}"), text.as_bytes())
            .await?;
    }
    Ok(())
}

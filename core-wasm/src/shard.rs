use crate::fs::{ErrorKind, FsError};

/// Splits work without coordination: every instance hashes the same key the
/// same way, so the shards cover each item exactly once. Hosts use this one too,
/// to choose and check shards before any instance starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    pub fn validate(&self) -> Result<(), String> {
        if self.count == 0 {
            return Err("shard count must be at least 1".into());
        }
        if self.index >= self.count {
            return Err(format!(
                "shard index {} is out of range for {} shards",
                self.index, self.count
            ));
        }
        Ok(())
    }

    /// [`Shard::validate`], as the error a workload over `root` returns.
    pub fn check(&self, root: &str) -> Result<(), FsError> {
        self.validate()
            .map_err(|m| FsError::new(ErrorKind::InvalidArgument, root, m))
    }

    pub fn owns(&self, key: &str) -> bool {
        self.count <= 1 || fnv1a64(key.as_bytes()) % u64::from(self.count) == u64::from(self.index)
    }
}

pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

use std::time::SystemTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    File,
    Directory,
}

/// What a stat returns. Directories have size 0; their mtime is known only when a marker
/// object ("dir/") carries one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub kind: Kind,
    pub size: u64,
    pub mtime: Option<SystemTime>,
}

impl Attr {
    pub(crate) fn directory() -> Attr {
        Attr {
            kind: Kind::Directory,
            size: 0,
            mtime: None,
        }
    }

    pub(crate) fn file(size: u64, mtime: Option<SystemTime>) -> Attr {
        Attr {
            kind: Kind::File,
            size,
            mtime,
        }
    }

    pub fn is_dir(&self) -> bool {
        self.kind == Kind::Directory
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub attr: Attr,
}

/// How [`crate::S3Fs::create`] treats an existing object. S3 cannot append to or patch an
/// object, so every writer uploads a whole new object: `Create` and `Truncate` both replace
/// the contents when the writer finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateMode {
    Create,
    Truncate,
    /// Fails with `Exists` if the key exists, decided by the upload itself
    /// (`If-None-Match: *`) so a racing writer cannot be overwritten; no lookup is sent first.
    Exclusive,
}

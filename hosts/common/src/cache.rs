//! Where compiled components are cached. A cached component is native code that the host
//! loads and runs, so the cache is used only where this user alone can write: a directory
//! and files owned by this user, writable by nobody else. Anything else is compiled afresh.

use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

/// `$DOCPROC_CACHE_DIR`, else `$XDG_CACHE_HOME/docproc`, else `~/.cache/docproc`, else
/// `docproc-<uid>` in the temp dir (Lambda has only /tmp), made private to this user.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCPROC_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    let dir = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|base| base.join("docproc"))
        .unwrap_or_else(|| std::env::temp_dir().join(format!("docproc-{}", uid())));
    Some(dir)
}

fn uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Owned by this user and writable by no one else (so nobody else can plant or swap a file).
fn private(meta: &std::fs::Metadata) -> bool {
    meta.uid() == uid() && meta.mode() & 0o022 == 0
}

/// Makes `dir` (mode 0700 where it is new) and says whether it is private to this user.
pub fn open_dir(dir: &Path) -> Result<(), String> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if !meta.is_dir() || !private(&meta) {
        return Err(format!(
            "{}: not used as the component cache: it must be a directory of uid {} that no one else can write",
            dir.display(),
            uid()
        ));
    }
    Ok(())
}

/// A file shipped beside the host (a Lambda zip's, in the read-only /var/task) that this
/// host may load: a regular file, in a directory, both owned by root or this user and
/// writable by no one else.
pub fn shipped(path: &Path) -> bool {
    let trusted = |m: &std::fs::Metadata| private(m) || (m.uid() == 0 && m.mode() & 0o022 == 0);
    let dir = path.parent().map(std::fs::metadata);
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && trusted(&m))
        && dir.is_some_and(|d| d.is_ok_and(|d| d.is_dir() && trusted(&d)))
}

/// A cached file this host may load: a regular file (not a link) private to this user.
pub fn loadable(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && private(&m))
}

/// Writes a cache file private to this user whatever the umask, as [`loadable`] requires.
/// Concurrent hosts may fill the cache at once: each writes its own temporary file and
/// renames it, so a reader never sees half a file.
pub fn store(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn only_a_directory_no_one_else_can_write_is_used() {
        let tmp = tempfile::tempdir().unwrap();
        let mine = tmp.path().join("mine");
        open_dir(&mine).unwrap();
        assert_eq!(
            std::fs::metadata(&mine).unwrap().mode() & 0o777,
            0o700,
            "made private"
        );

        let shared = tmp.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = open_dir(&shared).unwrap_err();
        assert!(err.contains("no one else can write"), "{err}");

        let file = mine.join("c.cwasm");
        std::fs::write(&file, b"x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(loadable(&file));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(!loadable(&file), "a file others can write is never loaded");
        let stored = mine.join("s.cwasm");
        store(&stored, b"y").unwrap();
        assert!(loadable(&stored), "what the cache stores it loads");
        let link = mine.join("l.cwasm");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(!loadable(&link), "nor a link");
        assert!(!shipped(&link), "a link is not shipped either");

        // Shipped files are read by everyone (0644 in a zip) but written by no one else.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(shipped(&file));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o664)).unwrap();
        assert!(!shipped(&file), "a file a group can write is not trusted");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&mine, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(!shipped(&file), "nor one in a directory others can write");
    }
}

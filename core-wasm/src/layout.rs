//! The names of the files docproc writes beside documents: metadata, error records,
//! temporary files and digests.
//!
//! Each is derived from a name the user chose, so it could be too long for the store: a
//! document may be named with all 255 bytes a file system allows, and then
//! `<name>.meta.json` could not be created, and the document would stall every run. So a
//! derived name that would pass [`NAME_MAX`] keeps a prefix of the name and adds `~` and the
//! SHA-256 of the whole name. The same input always gives the same name, so a rerun finds
//! what an earlier run wrote, and the record inside names the document in full.

use sha2::{Digest, Sha256};

/// The longest file name the stores docproc runs on accept (ext4, NFS, S3 Files, and what
/// docproc's S3 view shows as a path).
pub const NAME_MAX: usize = 255;

pub const INBOX: &str = "inbox";
pub const PROCESSED: &str = "processed";
pub const FAILED: &str = "failed";
pub const META_SUFFIX: &str = ".meta.json";
pub const ERROR_SUFFIX: &str = ".error.json";
const TMP_SUFFIX: &str = ".docproc.tmp";
const DIGEST_SUFFIX: &str = ".sha256";

/// `processed/<this>` holds what process-inbox learnt about document `name`.
pub fn meta_name(name: &str) -> String {
    fit("", name, META_SUFFIX)
}

/// `failed/<this>` says why document `name` failed.
pub fn error_name(name: &str) -> String {
    fit("", name, ERROR_SUFFIX)
}

/// Where a file for document `name` is written before it is renamed into place.
pub fn tmp_name(name: &str) -> String {
    fit(".", name, TMP_SUFFIX)
}

/// The digest file of the file at `rel` (a path below the hashed root), in one flat
/// directory. Distinct paths get distinct names: `/` is written `%2F`, and `%` and `~`
/// (which only a shortened name contains raw) are escaped too, so `a/b` and `a__b` no
/// longer meet in one file.
pub fn digest_name(rel: &str) -> String {
    let mut escaped = String::with_capacity(rel.len());
    for c in rel.chars() {
        match c {
            '/' => escaped.push_str("%2F"),
            '%' => escaped.push_str("%25"),
            '~' => escaped.push_str("%7E"),
            c => escaped.push(c),
        }
    }
    fit("", &escaped, DIGEST_SUFFIX)
}

/// `prefix + stem + suffix`, or, when that passes [`NAME_MAX`] bytes, as much of `stem` as
/// fits beside `~` and its SHA-256.
fn fit(prefix: &str, stem: &str, suffix: &str) -> String {
    if prefix.len() + stem.len() + suffix.len() <= NAME_MAX {
        return format!("{prefix}{stem}{suffix}");
    }
    let hash = hex(&Sha256::digest(stem.as_bytes()));
    let room = NAME_MAX - prefix.len() - suffix.len() - 1 - hash.len();
    let mut cut = room.min(stem.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{prefix}{}~{hash}{suffix}", &stem[..cut])
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_read_as_before() {
        assert_eq!(meta_name("a.txt"), "a.txt.meta.json");
        assert_eq!(error_name("a.txt"), "a.txt.error.json");
        assert_eq!(tmp_name("a.txt"), ".a.txt.docproc.tmp");
        assert_eq!(digest_name("a/b.bin"), "a%2Fb.bin.sha256");
    }

    #[test]
    fn every_derived_name_fits_and_stays_apart() {
        let long = "é".repeat(127); // 254 bytes: a legal name whose derived names are not
        let other = format!("{}x", "é".repeat(126));
        for f in [meta_name, error_name, tmp_name, digest_name] {
            let (a, b) = (f(&long), f(&other));
            assert!(a.len() <= NAME_MAX && b.len() <= NAME_MAX, "{a}");
            assert_ne!(a, b);
            assert_eq!(a, f(&long), "the same name every time");
        }
        assert!(meta_name(&long).ends_with(".meta.json"));
        assert!(tmp_name(&long).starts_with('.'));
    }

    #[test]
    fn paths_that_used_to_share_a_digest_file_do_not() {
        let names = ["a/b", "a__b", "a%2Fb", "a~b", "a%7Eb", "a%b"];
        let digests: std::collections::BTreeSet<_> = names.iter().map(|n| digest_name(n)).collect();
        assert_eq!(digests.len(), names.len(), "{digests:?}");
        // A path too long for one name is shortened, and cannot meet an unshortened one.
        let deep = ["x".repeat(200), "y".repeat(200)].join("/");
        let short = digest_name(&deep);
        assert!(short.len() <= NAME_MAX && short.contains('~'), "{short}");
        assert!(!digest_name("x~y").contains('~'));
    }
}

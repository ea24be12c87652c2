//! Paths (what callers name) and keys (what S3 stores), and the rule for which keys map to
//! paths at all. A path is "" for the root or components joined by '/', never with a leading or
//! trailing '/'. A file's key is `prefix + path`; a directory's prefix is `prefix + path + "/"`.

use crate::Error;

/// S3 limits keys to 1,024 bytes; longer ones only exist in S3-compatible stores.
pub(crate) const MAX_KEY_LEN: usize = 1024;
/// The longest name the file systems our callers come from accept.
pub(crate) const MAX_NAME_LEN: usize = 255;

/// Normalises a configured root prefix to "" or "a/b/" (no leading '/', one trailing '/').
pub(crate) fn normalise_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}/")
    }
}

fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("empty component")
    } else if name == "." || name == ".." {
        Some("component '.' or '..'")
    } else if name.contains('\0') {
        Some("NUL byte")
    } else if name.len() > MAX_NAME_LEN {
        Some("component over 255 bytes")
    } else {
        None
    }
}

/// Callers resolve '.' and '..' themselves; this still refuses anything that could name a
/// key outside the root or a key no listing would show.
pub(crate) fn validate(path: &str) -> Result<(), Error> {
    if path.is_empty() {
        return Ok(());
    }
    for name in path.split('/') {
        if name.len() > MAX_NAME_LEN {
            return Err(Error::NameTooLong(format!(
                "{path:?}: component over 255 bytes"
            )));
        }
        if let Some(problem) = name_problem(name) {
            return Err(Error::Invalid(format!("{path:?}: {problem}")));
        }
    }
    Ok(())
}

/// Why a listed key cannot be shown as a path, or None if it can. `rel` is the key with the
/// root prefix removed; one trailing '/' (a directory marker) is allowed.
pub(crate) fn unmappable_key(full_key: &str, rel: &str) -> Option<&'static str> {
    if full_key.len() > MAX_KEY_LEN {
        return Some("key over 1,024 bytes");
    }
    let body = rel.strip_suffix('/').unwrap_or(rel);
    if body.is_empty() {
        // The marker of the root itself ("prefix/"), or "/" below an empty prefix.
        return if rel.is_empty() {
            None
        } else {
            Some("empty component")
        };
    }
    body.split('/').find_map(name_problem)
}

/// Parent path: "a/b" -> "a", "a" -> "" (the root).
pub(crate) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(parent, _)| parent)
}

pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// True if `path` is `dir` or lies below it.
pub(crate) fn is_within(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

/// Percent-encodes a key for the `x-amz-copy-source` header; '/' stays as it separates the
/// bucket from the key and S3 expects it unencoded inside keys too.
pub(crate) fn encode_copy_source(bucket: &str, key: &str) -> String {
    let mut out = String::with_capacity(bucket.len() + key.len() + 1);
    out.push_str(bucket);
    out.push('/');
    for &b in key.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_normalise_to_trailing_slash() {
        assert_eq!(normalise_prefix(""), "");
        assert_eq!(normalise_prefix("/"), "");
        assert_eq!(normalise_prefix("a/b"), "a/b/");
        assert_eq!(normalise_prefix("/a/b/"), "a/b/");
    }

    #[test]
    fn paths_are_validated() {
        for ok in ["", "a", "a/b.txt", "a b/ü", "...", ".hidden"] {
            assert!(validate(ok).is_ok(), "{ok:?}");
        }
        let long = "x".repeat(256);
        for bad in ["/a", "a/", "a//b", ".", "..", "a/../b", "a/./b", "a\0b"] {
            assert!(matches!(validate(bad), Err(Error::Invalid(_))), "{bad:?}");
        }
        assert!(matches!(
            validate(&format!("a/{long}")),
            Err(Error::NameTooLong(_))
        ));
    }

    #[test]
    fn unmappable_keys_follow_the_rule() {
        for ok in ["a", "a/b", "dir/", "", "...", "a/.b"] {
            assert_eq!(unmappable_key(ok, ok), None, "{ok:?}");
        }
        let long_name = format!("d/{}", "n".repeat(256));
        let long_key = vec!["m".repeat(250); 5].join("/");
        for bad in [
            "a//b",
            "a/./b",
            "a/../b",
            "./a",
            "a/.",
            "..",
            "a/..",
            "a\0b",
            "/a",
            "a//",
            "/",
            long_name.as_str(),
            long_key.as_str(),
        ] {
            assert!(unmappable_key(bad, bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn path_helpers() {
        assert_eq!(parent("a/b/c"), "a/b");
        assert_eq!(parent("a"), "");
        assert_eq!(join("", "x"), "x");
        assert_eq!(join("a", "x"), "a/x");
        assert!(is_within("a/b", "a"));
        assert!(is_within("a", "a"));
        assert!(!is_within("ab", "a"));
        assert!(is_within("anything", ""));
        assert_eq!(encode_copy_source("bk", "a b/c+d%"), "bk/a%20b/c%2Bd%25");
    }
}

use super::bindings::wasi::filesystem::types::ErrorCode;

/// Joins a guest path onto a directory's path, confined to the root: an
/// absolute path or a `..` above the root is refused, as a preopen would.
pub fn resolve(base: &str, path: &str) -> Result<String, ErrorCode> {
    if path.starts_with('/') {
        return Err(ErrorCode::NotPermitted);
    }
    if path.contains('\0') {
        return Err(ErrorCode::IllegalByteSequence);
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or(ErrorCode::NotPermitted)?;
            }
            name => parts.push(name),
        }
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_inside_the_root() {
        assert_eq!(resolve("", "inbox/a.txt").unwrap(), "inbox/a.txt");
        assert_eq!(resolve("inbox", "./a/../b").unwrap(), "inbox/b");
        assert_eq!(resolve("inbox", "..").unwrap(), "");
        assert_eq!(resolve("", "").unwrap(), "");
        assert!(matches!(
            resolve("inbox", "../.."),
            Err(ErrorCode::NotPermitted)
        ));
        assert!(matches!(
            resolve("", "/etc/passwd"),
            Err(ErrorCode::NotPermitted)
        ));
    }
}

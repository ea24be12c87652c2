//! `read-directory` over a local directory, typed from the kernel's own entries.
//!
//! wasmtime-wasi stats every entry it lists to learn its type. WASI's directory entry
//! carries nothing else, so a walk that then stats each file for its size paid for two
//! stats a file where a native walk pays one. The kernel's `d_type` already says what each
//! entry is; an entry is statted here only where the file system leaves it unknown.
//!
//! Only the listing is replaced: the stream resource and its two functions. Every other
//! `wasi:filesystem` call stays wasmtime-wasi's, over the same descriptors.

use std::ffi::CStr;
use std::sync::Arc;
use std::sync::Mutex;

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};
use wasmtime::component::{Linker, Resource, ResourceType};
use wasmtime::{Result, StoreContextMut};
use wasmtime_wasi::filesystem::Descriptor;
use wasmtime_wasi::p2::bindings::filesystem::types::{DescriptorType, DirectoryEntry, ErrorCode};

use crate::local::LocalState;

/// The interface whose listing is replaced, as wasmtime-wasi's bindings name it.
const TYPES: &str = "wasi:filesystem/types@0.2.12";

/// What one `read-directory` found, handed out an entry at a time.
pub struct Entries(Mutex<std::vec::IntoIter<Result<DirectoryEntry, ErrorCode>>>);

/// Shadows the listing in a linker that already holds wasmtime-wasi's `wasi:filesystem`.
pub fn add_to_linker(l: &mut Linker<LocalState>) -> Result<()> {
    l.allow_shadowing(true);
    let mut types = l.instance(TYPES)?;
    types.resource(
        "directory-entry-stream",
        ResourceType::host::<Entries>(),
        |mut store, rep| {
            store
                .data_mut()
                .table
                .delete(Resource::<Entries>::new_own(rep))?;
            Ok(())
        },
    )?;
    types.func_wrap_async("[method]descriptor.read-directory", |store, (fd,)| {
        Box::new(read_directory(store, fd))
    })?;
    types.func_wrap(
        "[method]directory-entry-stream.read-directory-entry",
        |store: StoreContextMut<'_, LocalState>, (entries,): (Resource<Entries>,)| {
            let entries = store.data().table.get(&entries)?;
            let next = entries.0.lock().unwrap().next().transpose();
            Ok((next,))
        },
    )?;
    l.allow_shadowing(false);
    Ok(())
}

async fn read_directory(
    mut store: StoreContextMut<'_, LocalState>,
    fd: Resource<Descriptor>,
) -> Result<(Result<Resource<Entries>, ErrorCode>,)> {
    let dir = match store.data().table.get(&fd)? {
        Descriptor::Dir(d) => Arc::clone(&d.dir),
        Descriptor::File(_) => return Ok((Err(ErrorCode::NotDirectory),)),
    };
    // Where the instance has a thread of its own it may block it; elsewhere the listing
    // goes to tokio's blocking pool, as wasmtime-wasi's own file calls do.
    let listed = if store.data().own_thread {
        list(&dir)
    } else {
        tokio::task::spawn_blocking(move || list(&dir)).await?
    };
    let entries = match listed {
        Ok(entries) => entries,
        Err(e) => return Ok((Err(e),)),
    };
    let stream = Entries(Mutex::new(entries.into_iter()));
    Ok((Ok(store.data_mut().table.push(stream)?),))
}

/// Every entry but `.` and `..`; one that cannot be named in UTF-8 is an error in its place.
fn list(dir: &std::fs::File) -> Result<Vec<Result<DirectoryEntry, ErrorCode>>, ErrorCode> {
    // A fresh descriptor of its own: wasmtime-wasi holds directories as `O_PATH`, which
    // cannot be read, and a listing must not move another's position.
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, c".", flags, Mode::empty()).map_err(std::io::Error::from)?;
    let mut out = Vec::new();
    for entry in Dir::new(fd).map_err(std::io::Error::from)? {
        let entry = entry.map_err(std::io::Error::from)?;
        let name = entry.file_name();
        if name == c"." || name == c".." {
            continue;
        }
        out.push(typed(dir, name, entry.file_type()));
    }
    Ok(out)
}

fn typed(dir: &std::fs::File, name: &CStr, d_type: FileType) -> Result<DirectoryEntry, ErrorCode> {
    let name_str = name.to_str().map_err(|_| ErrorCode::IllegalByteSequence)?;
    let kind = match d_type {
        FileType::Unknown => {
            let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
                .map_err(std::io::Error::from)?;
            FileType::from_raw_mode(st.st_mode)
        }
        known => known,
    };
    Ok(DirectoryEntry {
        type_: descriptor_type(kind),
        name: name_str.to_owned(),
    })
}

fn descriptor_type(t: FileType) -> DescriptorType {
    match t {
        FileType::RegularFile => DescriptorType::RegularFile,
        FileType::Directory => DescriptorType::Directory,
        FileType::Symlink => DescriptorType::SymbolicLink,
        FileType::Fifo => DescriptorType::Fifo,
        FileType::Socket => DescriptorType::Socket,
        FileType::CharacterDevice => DescriptorType::CharacterDevice,
        FileType::BlockDevice => DescriptorType::BlockDevice,
        FileType::Unknown => DescriptorType::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_and_types(dir: &std::path::Path) -> Vec<(String, DescriptorType)> {
        let f = std::fs::File::open(dir).unwrap();
        let mut got: Vec<_> = list(&f)
            .unwrap()
            .into_iter()
            .map(|e| e.unwrap())
            .map(|e| (e.name, e.type_))
            .collect();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        got
    }

    #[test]
    fn entries_are_typed_as_a_stat_would_type_them() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("a.txt"), b"x").unwrap();
        std::fs::create_dir(tmp.path().join("sub")).unwrap();
        std::os::unix::fs::symlink("a.txt", tmp.path().join("link")).unwrap();
        let got = names_and_types(tmp.path());
        let want: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| {
                let t = std::fs::symlink_metadata(e.path()).unwrap().file_type();
                let t = if t.is_dir() {
                    DescriptorType::Directory
                } else if t.is_symlink() {
                    DescriptorType::SymbolicLink
                } else {
                    DescriptorType::RegularFile
                };
                (e.file_name().into_string().unwrap(), t)
            })
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_name_that_is_not_utf8_is_an_error_in_its_place() {
        use std::os::unix::ffi::OsStrExt;
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("ok.txt"), b"x").unwrap();
        let bad = std::ffi::OsStr::from_bytes(b"bad-\xff");
        std::fs::write(tmp.path().join(bad), b"x").unwrap();
        let f = std::fs::File::open(tmp.path()).unwrap();
        let entries = list(&f).unwrap();
        assert_eq!(entries.len(), 2);
        assert!(
            entries
                .iter()
                .any(|e| matches!(e, Err(ErrorCode::IllegalByteSequence)))
        );
        assert!(
            entries
                .iter()
                .any(|e| matches!(e, Ok(d) if d.name == "ok.txt"))
        );
    }
}

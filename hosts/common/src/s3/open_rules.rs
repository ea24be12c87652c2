//! What `open-at` does with its flags over S3, as pure functions: S3 objects are written
//! whole by one upload and never patched, so some POSIX opens have no S3 meaning and are
//! refused rather than emulated.

use docproc_s3fs::{CreateMode, Kind};

use super::bindings::wasi::filesystem::types::{DescriptorFlags, ErrorCode, OpenFlags};

/// What an open becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    Dir,
    /// `readable` is false for a handle opened for its metadata only.
    Read {
        readable: bool,
    },
    Write(CreateMode),
}

/// An open that needs no lookup first: a new upload replaces, or conditionally creates,
/// the object whatever is there, so looking would only cost requests.
pub fn blind(open: OpenFlags) -> Option<Opened> {
    let creates = open.contains(OpenFlags::CREATE)
        && open.intersects(OpenFlags::TRUNCATE | OpenFlags::EXCLUSIVE)
        && !open.contains(OpenFlags::DIRECTORY);
    creates.then(|| Opened::Write(mode(open)))
}

/// An open decided by what is at the path (`None`: nothing).
pub fn decide(
    open: OpenFlags,
    flags: DescriptorFlags,
    existing: Option<Kind>,
) -> Result<Opened, ErrorCode> {
    let wants_write = flags.contains(DescriptorFlags::WRITE)
        || open.intersects(OpenFlags::CREATE | OpenFlags::TRUNCATE | OpenFlags::EXCLUSIVE);
    let replaces = open.intersects(OpenFlags::TRUNCATE | OpenFlags::EXCLUSIVE);
    match existing {
        Some(Kind::Directory) if wants_write && !open.contains(OpenFlags::DIRECTORY) => {
            Err(ErrorCode::IsDirectory)
        }
        Some(Kind::Directory) if open.contains(OpenFlags::EXCLUSIVE) => Err(ErrorCode::Exist),
        Some(Kind::Directory) => Ok(Opened::Dir),
        Some(Kind::File) if open.contains(OpenFlags::DIRECTORY) => Err(ErrorCode::NotDirectory),
        None if open.contains(OpenFlags::DIRECTORY) || !open.contains(OpenFlags::CREATE) => {
            Err(ErrorCode::NoEntry)
        }
        // Writing into an object without replacing it would lose its tail.
        Some(Kind::File) if wants_write && !replaces => Err(ErrorCode::Unsupported),
        _ if wants_write => Ok(Opened::Write(mode(open))),
        _ => Ok(Opened::Read {
            readable: flags.contains(DescriptorFlags::READ),
        }),
    }
}

fn mode(open: OpenFlags) -> CreateMode {
    if open.contains(OpenFlags::EXCLUSIVE) {
        CreateMode::Exclusive
    } else {
        CreateMode::Truncate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ: DescriptorFlags = DescriptorFlags::READ;
    const WRITE: DescriptorFlags = DescriptorFlags::WRITE;
    const FILE: Option<Kind> = Some(Kind::File);
    const DIR: Option<Kind> = Some(Kind::Directory);

    #[test]
    fn creating_opens_need_no_lookup() {
        let create = OpenFlags::CREATE;
        let exclusive = create | OpenFlags::EXCLUSIVE;
        let truncate = create | OpenFlags::TRUNCATE;
        assert_eq!(blind(exclusive), Some(Opened::Write(CreateMode::Exclusive)));
        assert_eq!(blind(truncate), Some(Opened::Write(CreateMode::Truncate)));
        assert_eq!(
            blind(create),
            None,
            "O_CREAT alone keeps an existing object"
        );
        assert_eq!(
            blind(OpenFlags::TRUNCATE),
            None,
            "nothing to truncate is NoEntry"
        );
        assert_eq!(blind(exclusive | OpenFlags::DIRECTORY), None);
    }

    /// The open's flags, what is at the path, and what the open becomes.
    type Case = (
        OpenFlags,
        DescriptorFlags,
        Option<Kind>,
        Result<Opened, ErrorCode>,
    );

    #[test]
    fn every_open_by_what_is_there() {
        use ErrorCode::*;
        let none = OpenFlags::empty();
        let dir = OpenFlags::DIRECTORY;
        let create = OpenFlags::CREATE;
        let truncate = OpenFlags::TRUNCATE;
        let exclusive = OpenFlags::CREATE | OpenFlags::EXCLUSIVE;
        let read = Ok(Opened::Read { readable: true });
        let table: [Case; 14] = [
            (none, READ, FILE, read),
            (
                none,
                DescriptorFlags::empty(),
                FILE,
                Ok(Opened::Read { readable: false }),
            ),
            (none, READ, None, Err(NoEntry)),
            (none, READ, DIR, Ok(Opened::Dir)),
            (dir, READ, DIR, Ok(Opened::Dir)),
            (dir, READ, FILE, Err(NotDirectory)),
            (dir, READ, None, Err(NoEntry)),
            (none, WRITE, DIR, Err(IsDirectory)),
            (exclusive | dir, READ, DIR, Err(Exist)),
            (none, WRITE, FILE, Err(Unsupported)),
            (create, WRITE, FILE, Err(Unsupported)),
            (
                truncate,
                WRITE,
                FILE,
                Ok(Opened::Write(CreateMode::Truncate)),
            ),
            (create, WRITE, None, Ok(Opened::Write(CreateMode::Truncate))),
            (
                exclusive,
                WRITE,
                FILE,
                Ok(Opened::Write(CreateMode::Exclusive)),
            ),
        ];
        for (open, flags, existing, want) in table {
            assert_eq!(
                decide(open, flags, existing),
                want,
                "{open:?} {flags:?} over {existing:?}"
            );
        }
    }
}

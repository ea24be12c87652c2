//! The ways docproc (or the naive baseline) can reach the documents.

pub mod component;
pub mod naive;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    /// A local directory: the floor.
    Local,
    /// docproc's S3 file-system host (Backend::S3): ours.
    Docproc,
    /// The reference's "before" sequence with aws-sdk-s3: the baseline.
    Naive,
    /// s3fs-fuse, with the docproc component over the mount.
    S3fs,
    /// Mountpoint for Amazon S3, with the docproc component over the mount.
    Mountpoint,
    /// SeaweedFS's FUSE mount (the local stand-in for S3 Files), with the component.
    Weed,
}

impl BackendKind {
    pub const ALL: [BackendKind; 6] = [
        BackendKind::Local,
        BackendKind::Docproc,
        BackendKind::Naive,
        BackendKind::S3fs,
        BackendKind::Mountpoint,
        BackendKind::Weed,
    ];

    pub fn id(self) -> &'static str {
        match self {
            BackendKind::Local => "local",
            BackendKind::Docproc => "docproc",
            BackendKind::Naive => "naive",
            BackendKind::S3fs => "s3fs",
            BackendKind::Mountpoint => "mountpoint",
            BackendKind::Weed => "weed",
        }
    }

    /// The row label in tables.
    pub fn label(self) -> &'static str {
        match self {
            BackendKind::Local => "Local directory (floor)",
            BackendKind::Docproc => "docproc S3 host (ours)",
            BackendKind::Naive => "Naive S3 API (before)",
            BackendKind::S3fs => "s3fs-fuse + docproc",
            BackendKind::Mountpoint => "Mountpoint + docproc",
            BackendKind::Weed => "SeaweedFS mount + docproc",
        }
    }

    /// The label on AWS, where the FUSE stand-in is the real thing.
    pub fn aws_label(self) -> &'static str {
        match self {
            BackendKind::Weed => "S3 Files (NFS) + docproc",
            other => other.label(),
        }
    }

    /// Whether it talks to the S3 API (and so feels a per-request latency). The local
    /// directory does not; SeaweedFS's mount talks to its filer over gRPC.
    pub fn uses_s3_api(self) -> bool {
        !matches!(self, BackendKind::Local | BackendKind::Weed)
    }

    /// Whether it reaches the documents through a FUSE mount.
    pub fn is_mount(self) -> bool {
        matches!(
            self,
            BackendKind::S3fs | BackendKind::Mountpoint | BackendKind::Weed
        )
    }
}

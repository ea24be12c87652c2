//! What IAM must allow for each kind of request this crate sends: the one table that the
//! README's permission list and the Terraform policy test are both checked against.
//!
//! AWS authorises by action, not by API call: HeadObject is `s3:GetObject`, a conditional
//! PutObject (`If-None-Match`, `If-Match`) is plain `s3:PutObject`, DeleteObjects is
//! `s3:DeleteObject` per key, and every listing is `s3:ListBucket` on the bucket with the
//! listed prefix as the `s3:prefix` condition key.

use crate::MetricsSnapshot;

/// A kind of request, as [`MetricsSnapshot`] counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RequestKind {
    List,
    Head,
    Get,
    Put,
    /// CopyObject, and UploadPartCopy for copies over 5 GiB.
    Copy,
    /// DeleteObject and DeleteObjects.
    Delete,
    CreateMultipart,
    UploadPart,
    CompleteMultipart,
    AbortMultipart,
}

/// What an action is granted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The bucket itself, with `s3:prefix` set to a prefix under docproc's root.
    Bucket,
    /// Objects under docproc's root prefix.
    Object,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permission {
    pub action: &'static str,
    pub scope: Scope,
}

const fn on_object(action: &'static str) -> Permission {
    Permission {
        action,
        scope: Scope::Object,
    }
}

const LIST: &[Permission] = &[Permission {
    action: "s3:ListBucket",
    scope: Scope::Bucket,
}];
const READ: &[Permission] = &[on_object("s3:GetObject")];
const WRITE: &[Permission] = &[on_object("s3:PutObject")];
// A copy reads its source and writes its destination, both under the root.
const COPY: &[Permission] = &[on_object("s3:GetObject"), on_object("s3:PutObject")];
// A move's delete carries `If-Match`, which AWS also authorises as a read.
const DELETE: &[Permission] = &[on_object("s3:DeleteObject"), on_object("s3:GetObject")];
const ABORT: &[Permission] = &[on_object("s3:AbortMultipartUpload")];

impl RequestKind {
    pub const ALL: [RequestKind; 10] = [
        RequestKind::List,
        RequestKind::Head,
        RequestKind::Get,
        RequestKind::Put,
        RequestKind::Copy,
        RequestKind::Delete,
        RequestKind::CreateMultipart,
        RequestKind::UploadPart,
        RequestKind::CompleteMultipart,
        RequestKind::AbortMultipart,
    ];

    pub fn permissions(self) -> &'static [Permission] {
        match self {
            RequestKind::List => LIST,
            RequestKind::Head | RequestKind::Get => READ,
            RequestKind::Put
            | RequestKind::CreateMultipart
            | RequestKind::UploadPart
            | RequestKind::CompleteMultipart => WRITE,
            RequestKind::Copy => COPY,
            RequestKind::Delete => DELETE,
            RequestKind::AbortMultipart => ABORT,
        }
    }

    fn count(self, m: &MetricsSnapshot) -> u64 {
        match self {
            RequestKind::List => m.list,
            RequestKind::Head => m.head,
            RequestKind::Get => m.get,
            RequestKind::Put => m.put,
            RequestKind::Copy => m.copy,
            RequestKind::Delete => m.delete,
            RequestKind::CreateMultipart => m.create_multipart,
            RequestKind::UploadPart => m.upload_part,
            RequestKind::CompleteMultipart => m.complete_multipart,
            RequestKind::AbortMultipart => m.abort_multipart,
        }
    }
}

impl MetricsSnapshot {
    /// The kinds of request with at least one sent.
    pub fn kinds_sent(&self) -> Vec<RequestKind> {
        RequestKind::ALL
            .into_iter()
            .filter(|k| k.count(self) > 0)
            .collect()
    }
}

/// Every action any request of docproc needs, sorted and once each: what a role that runs
/// docproc over the S3 API must be granted, and all it needs to be granted.
pub fn all_actions() -> Vec<&'static str> {
    let mut actions: Vec<&'static str> = RequestKind::ALL
        .iter()
        .flat_map(|k| k.permissions())
        .map(|p| p.action)
        .collect();
    actions.sort_unstable();
    actions.dedup();
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_the_action_aws_authorises_it_by() {
        let actions =
            |k: RequestKind| -> Vec<&str> { k.permissions().iter().map(|p| p.action).collect() };
        // HeadObject has no action of its own on AWS.
        assert_eq!(actions(RequestKind::Head), ["s3:GetObject"]);
        assert_eq!(actions(RequestKind::Copy), ["s3:GetObject", "s3:PutObject"]);
        assert_eq!(actions(RequestKind::UploadPart), ["s3:PutObject"]);
        assert_eq!(
            actions(RequestKind::AbortMultipart),
            ["s3:AbortMultipartUpload"]
        );
        assert_eq!(RequestKind::List.permissions()[0].scope, Scope::Bucket);
        assert_eq!(
            all_actions(),
            [
                "s3:AbortMultipartUpload",
                "s3:DeleteObject",
                "s3:GetObject",
                "s3:ListBucket",
                "s3:PutObject"
            ]
        );
    }

    #[test]
    fn kinds_sent_are_those_counted() {
        let m = MetricsSnapshot {
            list: 2,
            copy: 1,
            ..Default::default()
        };
        assert_eq!(m.kinds_sent(), [RequestKind::List, RequestKind::Copy]);
    }
}

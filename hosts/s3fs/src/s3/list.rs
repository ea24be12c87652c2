//! ListObjectsV2, one page at a time, with keys decoded.

use std::time::SystemTime;

use aws_sdk_s3::types::EncodingType;

use super::list_body::OnePassListing;
use super::{size_of, system_time};
use crate::error::s3_error;
use crate::{Error, Inner};

#[derive(Debug, Clone)]
pub(crate) struct ListedObject {
    pub key: String,
    pub size: u64,
    pub mtime: Option<SystemTime>,
    pub etag: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct ListPage {
    pub objects: Vec<ListedObject>,
    /// Common prefixes, each ending with the delimiter.
    pub prefixes: Vec<String>,
    /// Set while more pages follow.
    pub next_token: Option<String>,
}

impl ListPage {
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.prefixes.is_empty()
    }
}

/// Decodes `encoding-type=url` values: %XX escapes, and '+' for a space as S3 writes it.
/// A malformed escape is kept as it came.
pub fn url_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let escaped = bytes
                    .get(i + 1)
                    .zip(bytes.get(i + 2))
                    .and_then(|(&hi, &lo)| Some(hex(hi)? << 4 | hex(lo)?));
                if let Some(b) = escaped {
                    out.push(b);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

impl Inner {
    /// One ListObjectsV2 page. Keys are asked for URL-encoded, as S3 advises: a key may
    /// hold characters XML 1.0 cannot carry (NUL, most control characters), which would
    /// otherwise break the whole listing or arrive altered.
    pub(crate) async fn list_page(
        &self,
        prefix: &str,
        delimited: bool,
        token: Option<String>,
        max_keys: Option<i32>,
    ) -> Result<ListPage, Error> {
        let _req = self
            .metrics
            .start(&self.metrics.list, "ListObjectsV2", prefix);
        let out = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .encoding_type(EncodingType::Url)
            .set_continuation_token(token)
            .set_max_keys(max_keys)
            .set_delimiter(delimited.then(|| "/".to_owned()))
            .customize()
            .interceptor(OnePassListing)
            .send()
            .await
            .map_err(|err| s3_error("ListObjectsV2", prefix, err))?;
        // A server that ignores encoding-type says so by not echoing it.
        let encoded = out.encoding_type() == Some(&EncodingType::Url);
        let decode = |s: &str| {
            if encoded { url_decode(s) } else { s.to_owned() }
        };
        Ok(ListPage {
            objects: out
                .contents()
                .iter()
                .filter_map(|o| {
                    Some(ListedObject {
                        key: decode(o.key()?),
                        size: size_of(o.size()),
                        mtime: system_time(o.last_modified()),
                        etag: o.e_tag().map(str::to_owned),
                    })
                })
                .collect(),
            prefixes: out
                .common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(decode))
                .collect(),
            next_token: match out.next_continuation_token() {
                Some(next) if out.is_truncated() == Some(true) => Some(next.to_owned()),
                _ => None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::url_decode;

    #[test]
    fn url_decoding() {
        assert_eq!(url_decode("sp+ace"), "sp ace");
        assert_eq!(url_decode("a%00b"), "a\0b");
        assert_eq!(url_decode("c%2Bd%2F%C3%BC"), "c+d/ü");
        assert_eq!(url_decode("bad%zz%4"), "bad%zz%4");
    }
}

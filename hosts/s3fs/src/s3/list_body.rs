//! ListObjectsV2 pages decoded in one pass.
//!
//! The SDK's generic XML decoder reads every page twice (once only to learn whether its
//! root is `<Error>`), through layers of scoped decoders. In a walk of a million keys that
//! was a third of docproc's CPU, spent on the same cores as the server it waits for. This
//! reads a listing in one pass over the tokens into the SDK's own output type. A body it
//! does not expect (an error, anything but a listing, a value it cannot read) goes to the
//! SDK's decoder, so failures read exactly as they did.

use std::borrow::Cow;
use std::sync::LazyLock;

use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_s3::config::{ConfigBag, FrozenLayer, Intercept, RuntimeComponents, RuntimePlugin};
use aws_sdk_s3::operation::list_objects_v2::builders::ListObjectsV2OutputBuilder;
use aws_sdk_s3::operation::list_objects_v2::{ListObjectsV2, ListObjectsV2Output};
use aws_sdk_s3::primitives::{DateTime, DateTimeFormat};
use aws_sdk_s3::types::{CommonPrefix, EncodingType, Object, ObjectStorageClass};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{Output, OutputOrError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::ser_de::{DeserializeResponse, SharedResponseDeserializer};
use xmlparser::{ElementEnd, Token, Tokenizer};

/// Makes [`OnePass`] a ListObjectsV2 request's decoder.
#[derive(Debug)]
pub(crate) struct OnePassListing;

/// The operation's own settings, which hold the SDK's decoder that [`OnePass`] falls back to.
static SDK: LazyLock<FrozenLayer> = LazyLock::new(|| {
    ListObjectsV2::new()
        .config()
        .expect("ListObjectsV2 brings its own settings")
});

fn sdk() -> &'static SharedResponseDeserializer {
    SDK.load::<SharedResponseDeserializer>()
        .expect("ListObjectsV2 brings its own decoder")
}

impl Intercept for OnePassListing {
    fn name(&self) -> &'static str {
        "OnePassListing"
    }

    fn modify_before_retry_loop(
        &self,
        _: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state()
            .store_put(SharedResponseDeserializer::new(OnePass));
        Ok(())
    }
}

#[derive(Debug)]
struct OnePass;

impl DeserializeResponse for OnePass {
    fn deserialize_streaming_with_config(
        &self,
        response: &mut HttpResponse,
        cfg: &ConfigBag,
    ) -> Option<OutputOrError> {
        sdk().deserialize_streaming_with_config(response, cfg)
    }

    fn deserialize_nonstreaming_with_config(
        &self,
        response: &HttpResponse,
        cfg: &ConfigBag,
    ) -> OutputOrError {
        let page = response
            .status()
            .is_success()
            .then(|| response.body().bytes());
        match page.flatten().and_then(parse) {
            Some(out) => Ok(Output::erase(out)),
            None => sdk().deserialize_nonstreaming_with_config(response, cfg),
        }
    }
}

const ROOT: &str = "ListBucketResult";

/// A ListObjectsV2 response body, or None if it is not a listing this can read whole.
/// Fills what a reader of a listing uses: the page's own fields, and each object's key,
/// size, time, ETag and storage class. Owners, checksums and the headers (request IDs,
/// request-charged) are not kept: nothing here reads them.
pub(crate) fn parse(body: &[u8]) -> Option<ListObjectsV2Output> {
    let xml = std::str::from_utf8(body).ok()?;
    let mut page = Page::default();
    // The names of the elements open, from the root down.
    let mut open: Vec<&str> = Vec::with_capacity(4);
    let mut text = Cow::Borrowed("");
    let mut ended = false;
    for token in Tokenizer::from(xml) {
        match token.ok()? {
            Token::ElementStart { local, .. } => {
                if ended || (open.is_empty() && local.as_str() != ROOT) {
                    return None;
                }
                open.push(local.as_str());
                text = Cow::Borrowed("");
            }
            Token::Text { text: t } => text = append(text, unescape(t.as_str())?),
            Token::Cdata { text: t, .. } => text = append(text, Cow::Borrowed(t.as_str())),
            Token::ElementEnd {
                end: ElementEnd::Open,
                ..
            } => {}
            Token::ElementEnd { end, .. } => {
                let name = open.pop()?;
                if matches!(end, ElementEnd::Close(_, local) if local.as_str() != name) {
                    return None;
                }
                let value = std::mem::take(&mut text);
                match open.as_slice() {
                    [] => ended = true,
                    [_] => page.field(name, value)?,
                    [_, "Contents"] => page.object_field(name, value)?,
                    [_, "CommonPrefixes"] if name == "Prefix" => {
                        page.prefix = Some(value.into_owned())
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    ended.then(|| page.build())
}

/// What is read so far. Objects and prefixes are gathered apart from the page's builder,
/// and an object's fields apart from its own: a builder moves whole at each field it takes.
#[derive(Default)]
struct Page {
    out: ListObjectsV2OutputBuilder,
    contents: Vec<Object>,
    prefixes: Vec<CommonPrefix>,
    object: Fields,
    prefix: Option<String>,
}

#[derive(Default)]
struct Fields {
    key: Option<String>,
    size: Option<i64>,
    last_modified: Option<DateTime>,
    e_tag: Option<String>,
    storage_class: Option<ObjectStorageClass>,
}

impl Page {
    /// A child of the root closed with `value` as its text.
    fn field(&mut self, name: &str, value: Cow<str>) -> Option<()> {
        match name {
            "Contents" => {
                let f = std::mem::take(&mut self.object);
                self.contents.push(
                    Object::builder()
                        .set_key(f.key)
                        .set_size(f.size)
                        .set_last_modified(f.last_modified)
                        .set_e_tag(f.e_tag)
                        .set_storage_class(f.storage_class)
                        .build(),
                );
                return Some(());
            }
            "CommonPrefixes" => {
                let prefix = CommonPrefix::builder().set_prefix(self.prefix.take());
                self.prefixes.push(prefix.build());
                return Some(());
            }
            _ => {}
        }
        let out = std::mem::take(&mut self.out);
        self.out = match name {
            "IsTruncated" => out.is_truncated(value.parse().ok()?),
            "NextContinuationToken" => out.next_continuation_token(value),
            "ContinuationToken" => out.continuation_token(value),
            "StartAfter" => out.start_after(value),
            "Name" => out.name(value),
            "Prefix" => out.prefix(value),
            "Delimiter" => out.delimiter(value),
            "EncodingType" => out.encoding_type(EncodingType::from(value.as_ref())),
            "MaxKeys" => out.max_keys(value.parse().ok()?),
            "KeyCount" => out.key_count(value.parse().ok()?),
            _ => out,
        };
        Some(())
    }

    /// A child of a `<Contents>` closed with `value` as its text.
    fn object_field(&mut self, name: &str, value: Cow<str>) -> Option<()> {
        let f = &mut self.object;
        match name {
            "Key" => f.key = Some(value.into_owned()),
            "Size" => f.size = Some(value.parse().ok()?),
            "LastModified" => {
                f.last_modified = Some(DateTime::from_str(&value, DateTimeFormat::DateTime).ok()?)
            }
            "ETag" => f.e_tag = Some(value.into_owned()),
            "StorageClass" => f.storage_class = Some(ObjectStorageClass::from(value.as_ref())),
            _ => {}
        }
        Some(())
    }

    fn build(self) -> ListObjectsV2Output {
        self.out
            .set_contents(some(self.contents))
            .set_common_prefixes(some(self.prefixes))
            .build()
    }
}

/// As the SDK has it: no list at all where the page holds none.
fn some<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

fn append<'a>(acc: Cow<'a, str>, more: Cow<'a, str>) -> Cow<'a, str> {
    if acc.is_empty() {
        more
    } else {
        Cow::Owned(acc.into_owned() + &more)
    }
}

/// Text with its entity and character references replaced; None for a malformed one.
fn unescape(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains('&') {
        return Some(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let len = rest[at..].find(';')?;
        let reference = &rest[at + 1..at + len];
        out.push(match reference {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => char_reference(reference)?,
        });
        rest = &rest[at + len + 1..];
    }
    out.push_str(rest);
    Some(Cow::Owned(out))
}

/// `#65` or `#x41`.
fn char_reference(reference: &str) -> Option<char> {
    let (digits, radix) = match reference.strip_prefix("#x") {
        Some(hex) => (hex, 16),
        None => (reference.strip_prefix('#')?, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    char::from_u32(u32::from_str_radix(digits, radix).ok()?)
}

#[cfg(test)]
mod tests {
    use aws_smithy_types::body::SdkBody;

    use super::*;

    fn response(body: &str) -> HttpResponse {
        HttpResponse::new(200.try_into().unwrap(), SdkBody::from(body.to_owned()))
    }

    fn decode(decoder: &dyn DeserializeResponse, body: &str) -> Option<ListObjectsV2Output> {
        let out = decoder
            .deserialize_nonstreaming_with_config(&response(body), &ConfigBag::base())
            .ok()?;
        Some(out.downcast::<ListObjectsV2Output>().expect("a listing"))
    }

    /// What the SDK decodes, less the fields this decoder leaves out.
    fn by_sdk(body: &str) -> ListObjectsV2Output {
        let mut out = decode(sdk(), body).expect("the SDK reads it");
        for o in out.contents.iter_mut().flatten() {
            o.owner = None;
            o.checksum_algorithm = None;
            o.checksum_type = None;
            o.restore_status = None;
        }
        out
    }

    /// AWS's documented example, with an owner and a checksum this decoder skips.
    const AWS_EXAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix/>
  <KeyCount>205</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key>my-image.jpg</Key>
    <LastModified>2009-10-12T17:50:30.000Z</LastModified>
    <ETag>"fba9dede5f27731c9771645a39863328"</ETag>
    <Size>434234</Size>
    <StorageClass>STANDARD</StorageClass>
    <Owner><ID>8a6925ce4a7f21c32aa379004fef</ID><DisplayName>me</DisplayName></Owner>
    <ChecksumAlgorithm>CRC32</ChecksumAlgorithm>
  </Contents>
  <Contents>
    <Key>my-third-image.jpg</Key>
    <LastModified>2009-10-12T17:50:30.000Z</LastModified>
    <ETag>&quot;1b2cf535f27731c974343645a3985328&quot;</ETag>
    <Size>64994</Size>
    <StorageClass>STANDARD_IA</StorageClass>
    <RestoreStatus><IsRestoreInProgress>true</IsRestoreInProgress></RestoreStatus>
  </Contents>
</ListBucketResult>"#;

    /// A delimited, URL-encoded page with more to come, written without whitespace as
    /// SeaweedFS writes it, with character references and an unknown element.
    const DELIMITED: &str = concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#,
        "<Name>b</Name><Prefix>run%2F</Prefix><ContinuationToken>t1</ContinuationToken>",
        "<NextContinuationToken>run/b&amp;c</NextContinuationToken><StartAfter>run%2Fa</StartAfter>",
        "<KeyCount>3</KeyCount><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter>",
        "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><Unknown><Deep/></Unknown>",
        "<Contents><Key>run%2Fa+b%26c</Key><LastModified>2026-12-07T05:40:12.123Z</LastModified>",
        "<ETag>&#34;9dd4e461268c8034f5c8564e155c67a6&#x22;</ETag><Size>0</Size>",
        "<StorageClass>GLACIER_IR</StorageClass></Contents>",
        "<Contents><Key>run/&lt;odd&gt;</Key><Size>7</Size></Contents>",
        "<CommonPrefixes><Prefix>run%2Fsub%2F</Prefix></CommonPrefixes>",
        "<CommonPrefixes><Prefix>run%2Fz%2F</Prefix></CommonPrefixes>",
        "</ListBucketResult>",
    );

    const EMPTY: &str = concat!(
        r#"<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#,
        "<Name>b</Name><Prefix>none/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>",
        "<IsTruncated>false</IsTruncated></ListBucketResult>",
    );

    #[test]
    fn a_listing_reads_as_the_sdk_reads_it() {
        for body in [AWS_EXAMPLE, DELIMITED, EMPTY] {
            assert_eq!(parse(body.as_bytes()), Some(by_sdk(body)), "{body}");
        }
        let page = parse(DELIMITED.as_bytes()).unwrap();
        let keys: Vec<_> = page.contents().iter().filter_map(|o| o.key()).collect();
        assert_eq!(keys, ["run%2Fa+b%26c", "run/<odd>"]);
        assert_eq!(
            page.contents()[0].e_tag(),
            Some("\"9dd4e461268c8034f5c8564e155c67a6\"")
        );
        assert_eq!(page.next_continuation_token(), Some("run/b&c"));
        assert_eq!(page.common_prefixes().len(), 2);
    }

    /// S3 does not send CDATA; were it to, it is text as XML says (the SDK's decoder keeps
    /// only the text before it).
    #[test]
    fn cdata_is_text() {
        let body = EMPTY.replace("<Name>b</Name>", "<Name>a<![CDATA[<b>]]>&lt;c</Name>");
        assert_eq!(parse(body.as_bytes()).unwrap().name(), Some("a<b><c"));
    }

    #[test]
    fn what_is_not_a_whole_listing_goes_to_the_sdk() {
        let error = concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>",
        );
        let cut = &DELIMITED[..DELIMITED.len() / 2];
        let bad_number = EMPTY.replace("<KeyCount>0", "<KeyCount>zero");
        let bad_reference = DELIMITED.replace("&#34;", "&bogus;");
        let after_root = format!("{EMPTY}<Contents/>");
        for body in [
            error,
            cut,
            "",
            "<Other/>",
            &bad_number,
            &bad_reference,
            &after_root,
        ] {
            assert_eq!(parse(body.as_bytes()), None, "{body}");
        }
        // A 200 whose body is an error (S3 may send one) is the SDK's error, as before.
        assert!(decode(&OnePass, error).is_none());
        assert!(decode(sdk(), error).is_none());
        assert_eq!(decode(&OnePass, DELIMITED), parse(DELIMITED.as_bytes()));
    }

    #[test]
    fn references() {
        assert_eq!(unescape("plain").as_deref(), Some("plain"));
        assert_eq!(
            unescape("&#65;&#x42;&lt;&amp;&apos;").as_deref(),
            Some("AB<&'")
        );
        for bad in ["&", "&bogus;", "&#x;", "&#xZZ;", "&#+1;", "&#1114112;"] {
            assert_eq!(unescape(bad), None, "{bad}");
        }
    }
}

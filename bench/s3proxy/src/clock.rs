//! A store whose clock is off: every time a response carries (`Date`, `Last-Modified`, and
//! `<LastModified>` in listings and copy results) is moved by the same offset, so the
//! client sees one consistent store clock that differs from its own.

use aws_smithy_types::date_time::{DateTime, Format};
use bytes::Bytes;
use http::HeaderMap;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, DATE, HeaderValue, LAST_MODIFIED};

/// Moves the times in a response's headers by `secs`.
pub(crate) fn shift_headers(headers: &mut HeaderMap, secs: i64) {
    for name in [DATE, LAST_MODIFIED] {
        let shifted = headers
            .get(&name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| shift(v, Format::HttpDate, secs));
        if let Some(v) = shifted.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, v);
        }
    }
}

/// Whether the body holds times of the store's (an XML answer to anything but a GET of an
/// object, whose bytes are the user's).
pub(crate) fn body_has_times(method: &str, query: &str, headers: &HeaderMap) -> bool {
    let xml = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("xml"));
    xml && (method != "GET" || query.contains("list-type") || query.contains("uploads"))
}

/// Moves every `<LastModified>` in an XML body by `secs`, and fixes the headers to match.
pub(crate) fn shift_body(body: &[u8], secs: i64, headers: &mut HeaderMap) -> Bytes {
    const OPEN: &str = "<LastModified>";
    const CLOSE: &str = "</LastModified>";
    let Ok(text) = std::str::from_utf8(body) else {
        return Bytes::copy_from_slice(body);
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let (head, tail) = rest.split_at(start + OPEN.len());
        out.push_str(head);
        let Some(end) = tail.find(CLOSE) else {
            rest = tail;
            break;
        };
        let value = &tail[..end];
        out.push_str(&shift(value, Format::DateTime, secs).unwrap_or_else(|| value.to_owned()));
        rest = &tail[end..];
    }
    out.push_str(rest);
    headers.insert(CONTENT_LENGTH, HeaderValue::from(out.len()));
    Bytes::from(out)
}

fn shift(value: &str, format: Format, secs: i64) -> Option<String> {
    let t = DateTime::from_str(value.trim(), format).ok()?;
    DateTime::from_secs_and_nanos(t.secs() + secs, t.subsec_nanos())
        .fmt(format)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_listings_move_together() {
        let mut headers = HeaderMap::new();
        headers.insert(
            DATE,
            HeaderValue::from_static("Thu, 03 Dec 2026 10:00:00 GMT"),
        );
        headers.insert(
            LAST_MODIFIED,
            HeaderValue::from_static("Thu, 03 Dec 2026 09:59:58 GMT"),
        );
        shift_headers(&mut headers, -3600);
        assert_eq!(headers[DATE], "Thu, 03 Dec 2026 09:00:00 GMT");
        assert_eq!(headers[LAST_MODIFIED], "Thu, 03 Dec 2026 08:59:58 GMT");

        let xml = "<Contents><Key>a</Key><LastModified>2026-12-03T09:59:58.250Z</LastModified>\
                   </Contents><Contents><LastModified>2026-12-03T23:30:00Z</LastModified>";
        let body = shift_body(xml.as_bytes(), 3600, &mut headers);
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            "<Contents><Key>a</Key><LastModified>2026-12-03T10:59:58.25Z</LastModified>\
             </Contents><Contents><LastModified>2026-12-04T00:30:00Z</LastModified>"
        );
        assert_eq!(headers[CONTENT_LENGTH], body.len().to_string().as_str());
    }

    #[test]
    fn only_the_stores_own_xml_is_touched() {
        let mut xml = HeaderMap::new();
        xml.insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        assert!(body_has_times("GET", "list-type=2&prefix=", &xml));
        assert!(body_has_times("PUT", "", &xml));
        assert!(!body_has_times("GET", "", &xml), "an object that is XML");
        assert!(!body_has_times("PUT", "", &HeaderMap::new()));
    }
}

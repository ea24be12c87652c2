//! What the proxy does to each request: a latency, and rules that pick requests to fail.

use std::time::Duration;

/// The latency every request gets, and the rules that pick requests to fail.
#[derive(Clone, Default, Debug)]
pub struct Plan {
    /// Held before forwarding each request (faults included).
    pub latency: Duration,
    /// Checked in order for each request; the first rule that matches and is due injects
    /// its fault. A rule that matches but is still skipping, or is used up, lets the
    /// request go on to the next rule.
    pub rules: Vec<Rule>,
}

impl Plan {
    /// No faults, `ms` milliseconds per request.
    pub fn with_latency_ms(ms: u64) -> Plan {
        Plan {
            latency: Duration::from_millis(ms),
            rules: Vec::new(),
        }
    }
}

/// Which requests get a fault, and how many of them.
#[derive(Clone, Debug)]
pub struct Rule {
    pub fault: Fault,
    /// HTTP method, e.g. "GET", "PUT", "HEAD" (case-insensitive); `None` matches any.
    pub method: Option<String>,
    /// Matches when the request path (bucket and key, percent-encoded) contains this.
    pub path_contains: Option<String>,
    /// Matches when the raw query string contains this, e.g. "list-type=2", "partNumber=".
    pub query_contains: Option<String>,
    /// Let this many matching requests through first.
    pub skip: u32,
    /// Then inject the fault this many times; `u32::MAX` means always.
    pub times: u32,
}

impl Rule {
    /// Every request, always; narrow it with the builder methods.
    pub fn new(fault: Fault) -> Rule {
        Rule {
            fault,
            method: None,
            path_contains: None,
            query_contains: None,
            skip: 0,
            times: u32::MAX,
        }
    }

    pub fn method(mut self, method: &str) -> Rule {
        self.method = Some(method.to_owned());
        self
    }

    pub fn path_contains(mut self, part: &str) -> Rule {
        self.path_contains = Some(part.to_owned());
        self
    }

    pub fn query_contains(mut self, part: &str) -> Rule {
        self.query_contains = Some(part.to_owned());
        self
    }

    pub fn skip(mut self, n: u32) -> Rule {
        self.skip = n;
        self
    }

    pub fn times(mut self, n: u32) -> Rule {
        self.times = n;
        self
    }

    fn matches(&self, method: &str, path: &str, query: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
            && self
                .query_contains
                .as_deref()
                .is_none_or(|q| query.contains(q))
    }
}

/// How a request fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `503 Slow Down` with S3's XML error body (Code `SlowDown`); not forwarded.
    SlowDown,
    /// `500 Internal Server Error` with S3's XML error body (Code `InternalError`); not forwarded.
    InternalError,
    /// Forwarded; the server's status, headers and the first half of the body are sent,
    /// then the connection is reset (TCP RST). A response without a body is reset before
    /// its headers.
    ResetMidBody,
    /// Forwarded; the server's headers (Content-Length included) and the first half of the
    /// body are sent, then the connection is closed cleanly (FIN): the body is short.
    TruncatedBody,
    /// Held this long, then forwarded: a server that stops answering for a while.
    Stall(Duration),
    /// `403 Forbidden`, Code `AccessDenied`; not forwarded: an object this client may not
    /// read (a bucket policy, or a KMS key it cannot use).
    AccessDenied,
    /// `404 Not Found`, Code `NoSuchKey`; not forwarded: an object another client deleted
    /// since it was listed.
    NoSuchKey,
    /// `403 Forbidden`, Code `InvalidObjectState`; not forwarded: an object in an archive
    /// storage class, unreadable until restored.
    Archived,
    /// `400 Bad Request`, Code `InvalidRequest`; not forwarded: an object stored with SSE-C,
    /// unreadable without its customer key.
    /// (A HEAD gets the status alone, as from S3: a response to a HEAD has no body.)
    SseCustomerKey,
}

impl Fault {
    /// A short stable name, used in stats and on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::SlowDown => "slow-down",
            Fault::InternalError => "internal-error",
            Fault::ResetMidBody => "reset-mid-body",
            Fault::TruncatedBody => "truncated-body",
            Fault::Stall(_) => "stall",
            Fault::AccessDenied => "access-denied",
            Fault::NoSuchKey => "no-such-key",
            Fault::Archived => "archived",
            Fault::SseCustomerKey => "sse-c",
        }
    }
}

impl std::str::FromStr for Fault {
    type Err = String;

    /// `slow-down`, `internal-error`, `reset-mid-body`, `truncated-body`, `stall=MS`,
    /// `access-denied`, `no-such-key`, `archived`, `sse-c`.
    fn from_str(s: &str) -> Result<Fault, String> {
        Ok(match s {
            "slow-down" | "slowdown" | "503" => Fault::SlowDown,
            "internal-error" | "500" => Fault::InternalError,
            "reset-mid-body" | "reset" => Fault::ResetMidBody,
            "truncated-body" | "truncate" => Fault::TruncatedBody,
            "access-denied" | "403" => Fault::AccessDenied,
            "no-such-key" | "404" => Fault::NoSuchKey,
            "archived" | "invalid-object-state" => Fault::Archived,
            "sse-c" => Fault::SseCustomerKey,
            _ => match s.strip_prefix("stall=") {
                Some(ms) => Fault::Stall(Duration::from_millis(
                    ms.parse()
                        .map_err(|_| format!("{s}: stall=MS needs milliseconds"))?,
                )),
                None => {
                    return Err(format!(
                        "{s}: one of slow-down, internal-error, reset-mid-body, truncated-body, \
                         stall=MS, access-denied, no-such-key, archived, sse-c"
                    ));
                }
            },
        })
    }
}

/// A plan in force: its rules with their counters.
pub(crate) struct Active {
    pub latency: Duration,
    rules: Vec<(Rule, u32)>,
}

impl Active {
    pub fn new(plan: Plan) -> Active {
        Active {
            latency: plan.latency,
            rules: plan.rules.into_iter().map(|r| (r, 0)).collect(),
        }
    }

    /// The fault for this request, if a rule picks it. Counts it against every rule it
    /// reaches and matches.
    pub fn pick(&mut self, method: &str, path: &str, query: &str) -> Option<Fault> {
        for (rule, seen) in &mut self.rules {
            if !rule.matches(method, path, query) {
                continue;
            }
            let n = *seen;
            *seen = seen.saturating_add(1);
            if n >= rule.skip && (rule.times == u32::MAX || n - rule.skip < rule.times) {
                return Some(rule.fault);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_then_times_then_next_rule() {
        let mut active = Active::new(Plan {
            latency: Duration::ZERO,
            rules: vec![
                Rule::new(Fault::SlowDown).method("get").skip(1).times(2),
                Rule::new(Fault::InternalError).path_contains("/b/"),
            ],
        });
        let picks: Vec<_> = (0..5).map(|_| active.pick("GET", "/b/k", "")).collect();
        assert_eq!(
            picks,
            [
                Some(Fault::InternalError),
                Some(Fault::SlowDown),
                Some(Fault::SlowDown),
                Some(Fault::InternalError),
                Some(Fault::InternalError)
            ]
        );
        assert_eq!(active.pick("PUT", "/other", ""), None);
    }

    #[test]
    fn query_and_names() {
        let mut active = Active::new(Plan {
            latency: Duration::ZERO,
            rules: vec![
                Rule::new(Fault::ResetMidBody)
                    .query_contains("list-type=2")
                    .times(1),
            ],
        });
        assert_eq!(active.pick("GET", "/b", "x=1"), None);
        assert_eq!(
            active.pick("GET", "/b", "list-type=2&prefix="),
            Some(Fault::ResetMidBody)
        );
        assert_eq!(active.pick("GET", "/b", "list-type=2"), None);
        assert_eq!(
            "stall=250".parse(),
            Ok(Fault::Stall(Duration::from_millis(250)))
        );
        assert_eq!(
            "reset".parse::<Fault>().map(|f| f.name()),
            Ok("reset-mid-body")
        );
        assert!("nope".parse::<Fault>().is_err());
    }
}

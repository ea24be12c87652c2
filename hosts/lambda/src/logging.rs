//! Structured logs, configured the way Lambda's advanced logging controls
//! expect: `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, else INFO) picks the
//! level; `AWS_LAMBDA_LOG_FORMAT=Text` asks for plain text, anything else
//! (JSON, or unset) gets one JSON object per line.
//!
//! Logs go to stderr; stdout carries only the EMF metric lines, so neither
//! can be mistaken for the other.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;

pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_default();
    let json =
        !std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("text"));
    let _ = try_init(&level, json, std::io::stderr);
}

/// `writer` is stderr in the function; tests pass a buffer.
pub fn try_init<W>(level: &str, json: bool, writer: W) -> Result<(), String>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(level))
        .with_writer(writer)
        .with_target(false);
    if json {
        // The request id is a field of the `invocation` span, so every line
        // logged while handling an event carries it.
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    }
    .map_err(|e| e.to_string())
}

/// Lambda's levels are TRACE, DEBUG, INFO, WARN, ERROR and FATAL; tracing
/// has no FATAL. A full `RUST_LOG` directive (`docproc_host=debug`) is
/// taken as it is.
fn filter(level: &str) -> EnvFilter {
    let level = level.trim();
    let simple = match level.to_ascii_uppercase().as_str() {
        "" => Some(LevelFilter::INFO),
        "TRACE" => Some(LevelFilter::TRACE),
        "DEBUG" => Some(LevelFilter::DEBUG),
        "INFO" => Some(LevelFilter::INFO),
        "WARN" => Some(LevelFilter::WARN),
        "ERROR" | "FATAL" => Some(LevelFilter::ERROR),
        _ => None,
    };
    match simple {
        Some(l) => EnvFilter::default().add_directive(l.into()),
        None => EnvFilter::try_new(level)
            .unwrap_or_else(|_| EnvFilter::default().add_directive(LevelFilter::INFO.into())),
    }
}

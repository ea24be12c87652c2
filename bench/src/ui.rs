//! Progress bars on stderr (only on a terminal) and plain log lines everywhere.

use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

fn multi() -> &'static MultiProgress {
    static MULTI: OnceLock<MultiProgress> = OnceLock::new();
    MULTI.get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
}

/// A line on stderr that does not tear the bars.
pub fn log(msg: impl AsRef<str>) {
    let line = format!("[bench] {}", msg.as_ref());
    if multi().is_hidden() {
        eprintln!("{line}");
    } else {
        let _ = multi().println(line);
    }
}

/// A bar over `len` steps.
pub fn bar(len: u64, msg: impl Into<String>) -> ProgressBar {
    let bar = multi().add(ProgressBar::new(len));
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:<44} [{bar:30}] {pos}/{len} {elapsed}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(msg.into());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// A bar over bytes.
pub fn bytes_bar(len: u64, msg: impl Into<String>) -> ProgressBar {
    let bar = multi().add(ProgressBar::new(len));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg:<44} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(msg.into());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// A spinner for one step of unknown length.
pub fn spinner(msg: impl Into<String>) -> ProgressBar {
    let bar = multi().add(ProgressBar::new_spinner());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template"),
    );
    bar.set_message(msg.into());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Removes every bar, e.g. before an error message.
pub fn clear() {
    let _ = multi().clear();
}

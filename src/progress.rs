//! Progress on stderr while objects are read.
//!
//! Shown only when stderr is a terminal (and not turned off), so logs and
//! CI output stay clean. Counts objects and stored bytes.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar, or nothing.
pub struct Progress {
    bar: Option<ProgressBar>,
    /// Extra words for the bar's message (S3: objects fetched), refreshed
    /// as objects finish.
    status: Option<Status>,
    done: std::sync::atomic::AtomicU64,
}

/// Produces the bar's message from the objects decoded so far.
type Status = Box<dyn Fn(u64) -> String + Send + Sync>;

impl Progress {
    /// A bar over `total_bytes` when `enabled` and stderr is a terminal.
    pub fn bytes(total_bytes: u64, objects: usize, enabled: bool) -> Progress {
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(format!("{objects} objects"));
        Progress {
            bar: Some(bar),
            status: None,
            done: Default::default(),
        }
    }

    /// A spinner with a message, for work of unknown size (listing).
    pub fn spinner(message: &str, enabled: bool) -> Progress {
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_message(message.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Progress {
            bar: Some(bar),
            status: None,
            done: Default::default(),
        }
    }

    /// Replaces the bar's message.
    pub fn note(&self, message: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        }
    }

    /// No progress output.
    pub fn hidden() -> Progress {
        Progress {
            bar: None,
            status: None,
            done: Default::default(),
        }
    }

    /// Sets what the message says, given the objects decoded so far.
    pub fn with_status(mut self, status: Status) -> Progress {
        self.status = Some(status);
        self
    }

    /// More work found (a day's objects listed).
    pub fn add_total(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc_length(bytes);
        }
    }

    /// One object of `bytes` stored bytes is done.
    pub fn object_done(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
            let done = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if let Some(status) = &self.status
                && done.is_multiple_of(16)
            {
                bar.set_message(status(done));
            }
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The process's peak resident set size, from `/proc/self/status` (`VmHWM`);
/// `None` where that file does not exist (not Linux).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

//! `vendortrail data update` and `vendortrail data status`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::refdata::{
    self, DEFAULT_KNOWN_ACCOUNTS_URL, DEFAULT_SERVICE_REFERENCE_URL, Source, UpdateProgress,
};

fn cache_dir(given: Option<PathBuf>) -> Result<PathBuf> {
    given.or_else(refdata::default_cache_dir).context(
        "cannot find a cache directory: set $VENDORTRAIL_CACHE_DIR, $XDG_CACHE_HOME or $HOME, or pass --cache-dir",
    )
}

/// Downloads the service reference and the known-accounts list.
pub fn update(
    source: Option<String>,
    known_accounts: Option<String>,
    cache: Option<PathBuf>,
) -> Result<ExitCode> {
    let cache = cache_dir(cache)?;
    let source = Source::parse(source.as_deref().unwrap_or(DEFAULT_SERVICE_REFERENCE_URL));
    eprintln!(
        "Downloading the AWS service reference from {source} into {}",
        cache.display()
    );
    let bar = progress_bar();
    let on_progress = |event: UpdateProgress| match event {
        UpdateProgress::Started { total } => bar.set_length(total as u64),
        UpdateProgress::ServiceDone { .. } | UpdateProgress::ServiceFailed { .. } => bar.inc(1),
        UpdateProgress::Finished { .. } => bar.finish_and_clear(),
    };
    let summary = refdata::update_service_reference(&source, &cache, &on_progress)
        .context("the service reference was not updated (any previous copy is kept)")?;
    bar.finish_and_clear();
    println!(
        "service reference: {} services, {} bytes, retrieved {} ({:.1} s) -> {}",
        summary.services,
        summary.bytes,
        summary.retrieved_at,
        summary.elapsed.as_secs_f64(),
        summary.catalog_dir.display()
    );
    let known = Source::parse(
        known_accounts
            .as_deref()
            .unwrap_or(DEFAULT_KNOWN_ACCOUNTS_URL),
    );
    let accounts = refdata::update_known_accounts(&known, &cache)
        .context("the known-accounts list was not updated (any previous copy is kept)")?;
    println!(
        "known accounts: {} bytes, retrieved {} -> {}",
        accounts.bytes,
        accounts.retrieved_at,
        accounts.path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn progress_bar() -> ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} services ({elapsed})")
    {
        bar.set_style(style);
    }
    bar
}

/// Prints what is cached.
pub fn status(cache: Option<PathBuf>) -> Result<ExitCode> {
    let cache = cache_dir(cache)?;
    print_status(&cache);
    Ok(ExitCode::SUCCESS)
}

fn print_status(cache: &Path) {
    println!("cache: {}", cache.display());
    print!("{}", refdata::status(cache));
}

//! `vendortrail generate`: write a synthetic corpus and its manifest.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cli::GenerateArgs;
use crate::generate::{self, GenerateOptions};

/// Runs `generate`.
pub fn run(args: &GenerateArgs) -> Result<ExitCode> {
    let mut opts = match args.preset.as_str() {
        "small" => GenerateOptions::small(),
        "bench" => GenerateOptions::bench(generate::parse_size(&args.size).context("--size")?),
        other => bail!("unknown preset `{other}`: use small or bench"),
    };
    opts.out_dir = args.out.clone();
    if let Some(seed) = args.seed {
        opts.seed = seed;
    }
    let started = std::time::Instant::now();
    let manifest = generate::generate(&opts)
        .with_context(|| format!("cannot generate into {}", args.out.display()))?;
    eprintln!(
        "wrote {} log files with {} records ({} duplicate deliveries) to {} in {:.1} s",
        manifest.log_files,
        manifest.records,
        manifest.duplicate_deliveries,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

//! The usage table as CSV or Parquet, through polars.
//!
//! This is the only module that uses polars (built with just its `csv` and
//! `parquet` features). One row per principal and action, with the columns
//! documented in `docs/json-output.md` ("Usage table").

use std::fs::File;
use std::path::Path;

use polars::prelude::{Column, CsvWriter, DataFrame, ParquetWriter, PolarsError, SerWriter};

use crate::report::Report;
use crate::time::format_rfc3339;

/// Errors writing the table.
#[derive(Debug, thiserror::Error)]
pub enum TabularError {
    /// The extension is neither `.csv` nor `.parquet`.
    #[error("unsupported usage table format for {0}: use a .csv or .parquet file name")]
    UnknownFormat(String),
    /// The file could not be created.
    #[error("cannot create {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// polars failed.
    #[error("cannot write the usage table: {0}")]
    Polars(#[from] PolarsError),
}

/// The usage table: one row per principal and action.
pub fn usage_frame(report: &Report) -> Result<DataFrame, PolarsError> {
    let rows: Vec<_> = report
        .principals
        .iter()
        .flat_map(|p| p.actions.iter().map(move |a| (p, a)))
        .collect();
    let text = |f: &dyn Fn(
        &(
            &crate::report::PrincipalReport,
            &crate::report::ActionReport,
        ),
    ) -> String| { rows.iter().map(f).collect::<Vec<String>>() };
    let num = |f: &dyn Fn(
        &(
            &crate::report::PrincipalReport,
            &crate::report::ActionReport,
        ),
    ) -> u64| { rows.iter().map(f).collect::<Vec<u64>>() };
    let time = |t: Option<i64>| t.map(format_rfc3339).unwrap_or_default();
    let columns = vec![
        Column::new("principal".into(), text(&|(p, _)| p.arn.clone())),
        Column::new(
            "principal_type".into(),
            text(&|(p, _)| p.kind.as_str().to_string()),
        ),
        Column::new(
            "account".into(),
            text(&|(p, _)| p.account.clone().unwrap_or_default()),
        ),
        Column::new(
            "outside".into(),
            rows.iter().map(|(p, _)| p.outside).collect::<Vec<bool>>(),
        ),
        Column::new("action".into(), text(&|(_, a)| a.action.clone())),
        Column::new("calls".into(), num(&|(_, a)| a.counts.calls)),
        Column::new("denied".into(), num(&|(_, a)| a.counts.denied)),
        Column::new("errors".into(), num(&|(_, a)| a.counts.errors)),
        Column::new(
            "first_seen".into(),
            text(&|(_, a)| time(a.counts.first_seen)),
        ),
        Column::new("last_seen".into(), text(&|(_, a)| time(a.counts.last_seen))),
        Column::new(
            "needs_permission".into(),
            rows.iter()
                .map(|(_, a)| a.needs_permission)
                .collect::<Vec<bool>>(),
        ),
        Column::new(
            "mapped_by".into(),
            text(&|(_, a)| super::mapping_name(a.mapping).to_string()),
        ),
        Column::new("regions".into(), text(&|(_, a)| a.regions.join(";"))),
        Column::new(
            "distinct_source_ips".into(),
            num(&|(_, a)| a.source_ips.distinct.count),
        ),
        Column::new(
            "distinct_user_agents".into(),
            num(&|(_, a)| a.user_agents.distinct.count),
        ),
        Column::new(
            "distinct_resources".into(),
            num(&|(_, a)| a.resources.distinct.count),
        ),
        Column::new(
            "sample_resources".into(),
            text(&|(_, a)| a.resources.samples.join(";")),
        ),
    ];
    DataFrame::new(rows.len(), columns)
}

/// Writes the usage table to `path`, as CSV or Parquet by its extension.
pub fn write_usage(report: &Report, path: &Path) -> Result<(), TabularError> {
    let name = path.display().to_string();
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let parquet = match extension.as_deref() {
        Some("csv") => false,
        Some("parquet") => true,
        _ => return Err(TabularError::UnknownFormat(name)),
    };
    let mut frame = usage_frame(report)?;
    let mut file = File::create(path).map_err(|source| TabularError::Io { path: name, source })?;
    if parquet {
        ParquetWriter::new(&mut file).finish(&mut frame)?;
    } else {
        CsvWriter::new(&mut file).finish(&mut frame)?;
    }
    Ok(())
}

//! Renderers: every output reads the [`Report`](crate::report::Report) and
//! writes to a sink it is given; none prints on its own.

pub mod json;
pub mod markdown;
pub mod tabular;
pub mod terminal;

use crate::event::MappingSource;

/// The output formats of `analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A human summary for the terminal.
    Table,
    /// The versioned JSON document (docs/json-output.md).
    Json,
    /// A Markdown report for a vendor access review (tickets, wikis, SOC 2
    /// evidence).
    Markdown,
}

/// The name of a mapping source in outputs.
pub fn mapping_name(source: MappingSource) -> &'static str {
    match source {
        MappingSource::Curated => "curated",
        MappingSource::Catalog => "service-reference",
        MappingSource::SameName => "same-name",
        MappingSource::Fallback => "rules",
    }
}

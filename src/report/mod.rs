//! Reporting: the output formats, all reading the same [`Diagnostic`] model.
//!
//! Every format takes the sorted, suppressed findings and the run's files (for names, locations
//! and snippets) and writes to any `io::Write`, so tests can capture the exact bytes.

use std::io::{self, Write};

use clap::ValueEnum;

use crate::diagnostic::Diagnostic;
use crate::source::{Location, SourceFiles, Span};

mod concise;
mod full;
mod github;
mod json;
mod sarif;
mod statistics;

pub use statistics::write_statistics;

/// The output formats of `snarl check`, named as ruff names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Rich reports with source snippets, labels and help.
    Full,
    /// One `path:row:col: CODE message` line per finding.
    Concise,
    /// A JSON array with ruff's field names plus snarl's extras.
    Json,
    /// The same objects as `json`, one per line.
    JsonLines,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// SARIF 2.1.0.
    Sarif,
}

/// How a report looks, beyond its format.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportOptions {
    /// Colors and styles in human formats.
    pub color: bool,
}

/// Writes `diagnostics` in `format`.
pub fn write(
    format: OutputFormat,
    diagnostics: &[Diagnostic],
    files: &SourceFiles,
    options: ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Full => full::write(diagnostics, files, options, out),
        OutputFormat::Concise => concise::write(diagnostics, files, options, out),
        OutputFormat::Json => json::write(diagnostics, files, out),
        OutputFormat::JsonLines => json::write_lines(diagnostics, files, out),
        OutputFormat::Github => github::write(diagnostics, files, out),
        OutputFormat::Sarif => sarif::write(diagnostics, files, out),
    }
}

/// The start and end locations of `span`.
pub fn locations(files: &SourceFiles, span: Span) -> (Location, Location) {
    let file = files.get(span.file);
    (
        file.location(span.range.start()),
        file.location(span.range.end()),
    )
}

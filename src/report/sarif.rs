//! `sarif` output.

use std::io::{self, Write};

use crate::diagnostic::Diagnostic;
use crate::source::SourceFiles;

pub fn write(
    diagnostics: &[Diagnostic],
    files: &SourceFiles,
    out: &mut dyn Write,
) -> io::Result<()> {
    super::concise::write(diagnostics, files, super::ReportOptions::default(), out)
}

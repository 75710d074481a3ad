//! `full` output.

use std::io::{self, Write};

use crate::diagnostic::Diagnostic;
use crate::source::SourceFiles;

pub fn write(
    diagnostics: &[Diagnostic],
    files: &SourceFiles,
    options: super::ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    super::concise::write(diagnostics, files, options, out)
}

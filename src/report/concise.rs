//! `concise`: `path:row:col: CODE message`, one finding per line.

use std::io::{self, Write};

use super::ReportOptions;
use crate::diagnostic::Diagnostic;
use crate::source::SourceFiles;

pub fn write(
    diagnostics: &[Diagnostic],
    files: &SourceFiles,
    _options: ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    for diagnostic in diagnostics {
        let file = files.get(diagnostic.span.file);
        let location = file.location(diagnostic.span.range.start());
        writeln!(
            out,
            "{}:{}:{}: {} {}",
            file.name,
            location.row,
            location.column,
            diagnostic.rule.code(),
            diagnostic.message
        )?;
    }
    Ok(())
}

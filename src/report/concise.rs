//! `concise`: `path:row:col: CODE message`, one finding per line.
//!
//! With colors, styled as ruff styles it: the path bold, the separators cyan, the code red and bold.

use std::io::{self, Write};

use super::ReportOptions;
use crate::diagnostic::Diagnostic;
use crate::source::SourceFiles;

const BOLD: &str = "\x1b[1m";
const CYAN: &str = "\x1b[36m";
const BOLD_RED: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

pub fn write(
    diagnostics: &[Diagnostic],
    files: &SourceFiles,
    options: ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    for diagnostic in diagnostics {
        let file = files.get(diagnostic.span.file);
        let location = file.location(diagnostic.span.range.start());
        let code = diagnostic.rule.code();
        if options.color {
            let sep = format_args!("{CYAN}:{RESET}");
            writeln!(
                out,
                "{BOLD}{}{RESET}{sep}{}{sep}{}{sep} {BOLD_RED}{code}{RESET} {}",
                file.name, location.row, location.column, diagnostic.message
            )?;
        } else {
            writeln!(
                out,
                "{}:{}:{}: {code} {}",
                file.name, location.row, location.column, diagnostic.message
            )?;
        }
    }
    Ok(())
}

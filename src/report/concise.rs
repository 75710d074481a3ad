//! `concise`: `path:row:col: CODE message`, one finding per line.
//!
//! With colors, styled as ruff styles it: the path bold, the separators cyan, the code red and bold.
//! A finding that `--fix` would fix is marked `[*]` after its code, as ruff marks it: one with a
//! safe fix, or with any fix under `--unsafe-fixes`.

use std::io::{self, Write};

use super::{escape_control, fixable, ReportOptions};
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
        let message = escape_control(&diagnostic.message);
        let name = escape_control(&file.name);
        if options.color {
            let sep = format_args!("{CYAN}:{RESET}");
            writeln!(
                out,
                "{BOLD}{name}{RESET}{sep}{}{sep}{}{sep} {BOLD_RED}{code}{RESET}{fix} {message}",
                location.row,
                location.column,
                fix = if fixable(diagnostic, options.unsafe_fixes) {
                    format!(" [{CYAN}*{RESET}]")
                } else {
                    String::new()
                }
            )?;
        } else {
            writeln!(
                out,
                "{name}:{}:{}: {code}{} {message}",
                location.row,
                location.column,
                if fixable(diagnostic, options.unsafe_fixes) {
                    " [*]"
                } else {
                    ""
                }
            )?;
        }
    }
    Ok(())
}

//! `github`: GitHub Actions workflow commands, which the runner turns into annotations on the diff:
//! `::error title=snarl (SN101),file=PATH,line=ROW,col=COL,endLine=ROW,endColumn=COL::SN101 message`.

use std::io::{self, Write};

use super::locations;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceFiles;

pub fn write(
    diagnostics: &[Diagnostic],
    files: &SourceFiles,
    out: &mut dyn Write,
) -> io::Result<()> {
    for diagnostic in diagnostics {
        let file = files.get(diagnostic.span.file);
        let (start, end) = locations(files, diagnostic.span);
        let command = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let code = diagnostic.rule.code();
        writeln!(
            out,
            "::{command} title={},file={},line={},col={},endLine={},endColumn={}::{}",
            escape_property(&format!("snarl ({code})")),
            escape_property(&file.name),
            start.row,
            start.column,
            end.row,
            end.column,
            escape_data(&format!("{code} {}", diagnostic.message)),
        )?;
    }
    Ok(())
}

/// Escapes the message of a workflow command: `%`, `\r` and `\n`, as the runner decodes them;
/// other control characters are written as escapes, as in the other human formats.
fn escape_data(text: &str) -> String {
    let text = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    super::escape_control(&text).into_owned()
}

/// Escapes a property value: as [`escape_data`], plus the `:` and `,` that delimit properties.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_data_and_properties() {
        assert_eq!(escape_data("100%\r\na:b,c"), "100%25%0D%0Aa:b,c");
        assert_eq!(escape_property("100%\r\na:b,c"), "100%25%0D%0Aa%3Ab%2Cc");
    }
}

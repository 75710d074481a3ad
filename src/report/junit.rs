//! `junit`: JUnit XML, as ruff writes it, for CI systems that show test reports: one
//! `<testsuite>` per file (named by its path), one failed `<testcase>` per finding (named
//! `org.snarl.CODE`, with the location as attributes and in the failure's text); a run without
//! findings is one passing test case, so the report is never empty.
//!
//! Text is escaped for XML, and control characters, which XML 1.0 cannot carry at all, are
//! written as escapes first.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{escape_control, locations};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceFiles;

pub fn write(
    diagnostics: &[Diagnostic],
    files: &SourceFiles,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    let n = diagnostics.len();
    writeln!(
        out,
        r#"<testsuites name="snarl" tests="{}" failures="{n}" errors="0">"#,
        n.max(1)
    )?;
    if diagnostics.is_empty() {
        writeln!(
            out,
            r#"    <testsuite name="snarl" tests="1" disabled="0" errors="0" failures="0" package="org.snarl">"#
        )?;
        writeln!(
            out,
            r#"        <testcase name="No errors found" classname="snarl"/>"#
        )?;
        writeln!(out, "    </testsuite>")?;
    }
    // By file, in the order of the findings (sorted by file already).
    let mut by_file: BTreeMap<String, Vec<&Diagnostic>> = BTreeMap::new();
    for diagnostic in diagnostics {
        let path = files
            .get(diagnostic.span.file)
            .absolute_path()
            .to_string_lossy()
            .to_string();
        by_file.entry(path).or_default().push(diagnostic);
    }
    for (path, diagnostics) in &by_file {
        let classname = path.strip_suffix(".py").unwrap_or(path);
        writeln!(
            out,
            r#"    <testsuite name="{}" tests="{n}" disabled="0" errors="0" failures="{n}" package="org.snarl">"#,
            xml(path),
            n = diagnostics.len()
        )?;
        for diagnostic in diagnostics {
            let (start, _) = locations(files, diagnostic.span);
            let message = escape_control(&diagnostic.message);
            writeln!(
                out,
                r#"        <testcase name="org.snarl.{}" classname="{}" line="{}" column="{}">"#,
                diagnostic.rule.code(),
                xml(classname),
                start.row,
                start.column
            )?;
            writeln!(out, "            <properties>")?;
            writeln!(
                out,
                r#"                <property name="severity" value="{}"/>"#,
                match diagnostic.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Info => "info",
                }
            )?;
            writeln!(
                out,
                r#"                <property name="confidence" value="{}"/>"#,
                diagnostic.confidence.as_str()
            )?;
            writeln!(out, "            </properties>")?;
            writeln!(
                out,
                r#"            <failure message="{}">line {}, col {}, {}</failure>"#,
                xml(&message),
                start.row,
                start.column,
                xml(&message)
            )?;
            writeln!(out, "        </testcase>")?;
        }
        writeln!(out, "    </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// `text` escaped for an XML attribute value or text node; control characters become escapes
/// (XML 1.0 allows only tab, newline and carriage return, and an attribute would normalize those).
fn xml(text: &str) -> String {
    let text = escape_control(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Not characters XML 1.0 allows (surrogates cannot occur in a Rust string).
            '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_control_characters() {
        assert_eq!(
            xml("a < b & \"c\" 'd' > \0\u{ffff}"),
            "a &lt; b &amp; &quot;c&quot; &apos;d&apos; &gt; \\0\u{fffd}"
        );
    }
}

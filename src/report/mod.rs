//! Reporting: the output formats, all reading the same [`Diagnostic`] model.
//!
//! Every format takes the sorted, suppressed findings and the run's files (for names, locations
//! and snippets) and writes to any `io::Write`, so tests can capture the exact bytes. Formats a
//! person reads (and those whose syntax forbids them) show control characters escaped.

use std::borrow::Cow;
use std::io::{self, Write};

use clap::ValueEnum;

use crate::diagnostic::{Applicability, Diagnostic};
use crate::source::{Location, SourceFiles, Span};

mod concise;
mod full;
mod github;
mod gitlab;
mod json;
mod junit;
mod sarif;
mod statistics;

pub use full::MAX_RELATED;
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
    /// GitLab Code Quality (a JSON array of Code Climate issues).
    Gitlab,
    /// JUnit XML: a test suite per file, a failed test case per finding.
    Junit,
    /// SARIF 2.1.0.
    Sarif,
}

/// How a report looks, beyond its format.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportOptions {
    /// Colors and styles in human formats.
    pub color: bool,
    /// `--unsafe-fixes`: a finding with an unsafe fix is marked fixable too, as ruff marks it.
    pub unsafe_fixes: bool,
}

/// Whether `--fix` fixes `diagnostic`: it has a safe fix, or any fix under `--unsafe-fixes`.
pub fn fixable(diagnostic: &Diagnostic, unsafe_fixes: bool) -> bool {
    diagnostic
        .fix
        .as_ref()
        .is_some_and(|fix| fix.applicability == Applicability::Safe || unsafe_fixes)
}

/// What the fixes of a run did and allow, for the closing line.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixSummary {
    /// How many findings `--fix` fixed (none without it).
    pub fixed: usize,
    /// Whether the run has `--unsafe-fixes`.
    pub unsafe_fixes: bool,
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
        OutputFormat::Gitlab => gitlab::write(diagnostics, files, out),
        OutputFormat::Junit => junit::write(diagnostics, files, out),
        OutputFormat::Sarif => sarif::write(diagnostics, files, out),
    }
}

/// The closing line of the human formats, as ruff writes it: `All checks passed!`, or
/// `Found 5 findings (2 fixable with --fix).`
pub fn write_summary(
    diagnostics: &[Diagnostic],
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_summary_after_fixes(diagnostics, FixSummary::default(), color, out)
}

/// The closing line of a run that may have fixed findings: as ruff words it after `--fix`,
/// `Found 4 findings (2 fixed, 2 remaining).`, here with the fixes still on offer
/// (`; 2 fixable with --unsafe-fixes`); otherwise as [`write_summary`], where `--unsafe-fixes`
/// makes unsafe fixes count as fixable with `--fix`.
pub fn write_summary_after_fixes(
    diagnostics: &[Diagnostic],
    fixes: FixSummary,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let n = diagnostics.len();
    if n == 0 && fixes.fixed == 0 {
        return writeln!(out, "{}", paint("1;32", "All checks passed!"));
    }
    let fixable = |applicability: Applicability| {
        diagnostics
            .iter()
            .filter(|d| {
                d.fix
                    .as_ref()
                    .is_some_and(|f| f.applicability == applicability)
            })
            .count()
    };
    let (safe, unsafe_) = (fixable(Applicability::Safe), fixable(Applicability::Unsafe));
    if fixes.fixed > 0 {
        let total = n + fixes.fixed;
        let offered = if unsafe_ > 0 && !fixes.unsafe_fixes {
            format!("; {unsafe_} fixable with --unsafe-fixes")
        } else {
            String::new()
        };
        return writeln!(
            out,
            "Found {total} {} ({} fixed, {n} remaining{offered}).",
            plural(total, "finding"),
            fixes.fixed
        );
    }
    let offered = match (safe, unsafe_) {
        (0, 0) => String::new(),
        (safe, 0) => format!(" ({safe} fixable with --fix)"),
        (safe, unsafe_) if fixes.unsafe_fixes => {
            format!(" ({} fixable with --fix --unsafe-fixes)", safe + unsafe_)
        }
        (0, unsafe_) => format!(" ({unsafe_} fixable with --unsafe-fixes)"),
        (safe, unsafe_) => {
            format!(" ({safe} fixable with --fix, {unsafe_} more with --unsafe-fixes)")
        }
    };
    writeln!(out, "Found {n} {}{offered}.", plural(n, "finding"))
}

/// `word`, with an `s` unless `n` is 1.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// `text` with control characters written as escapes (`\0`, `\n`, `\x1b`), so that a message
/// quoting source (a NUL byte in a syntax error) stays on one line and prints nothing invisible.
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x100 && c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The start and end locations of `span`.
pub fn locations(files: &SourceFiles, span: Span) -> (Location, Location) {
    let file = files.get(span.file);
    (
        file.location(span.range.start()),
        file.location(span.range.end()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("plain `x`"), "plain `x`");
        assert_eq!(
            escape_control("token \0 a\tb\r\n\x1b\u{85}"),
            "token \\0 a\\tb\\r\\n\\x1b\\x85"
        );
    }

    #[test]
    fn the_summary_counts_fixes_as_ruff_does() {
        use crate::diagnostic::Fix;
        use crate::python::{TextRange, TextSize};
        use crate::rules::Rule;
        use crate::source::FileId;
        let finding = |applicability: Option<Applicability>| {
            let span = Span::new(FileId(0), TextRange::empty(TextSize::new(0)));
            let diagnostic = Diagnostic::new(Rule::ThreadRunCalled, span, "m");
            match applicability {
                Some(applicability) => diagnostic.with_fix(Fix {
                    applicability,
                    message: String::new(),
                    edits: Vec::new(),
                }),
                None => diagnostic,
            }
        };
        let summary = |diagnostics: &[Diagnostic], fixed: usize, unsafe_fixes: bool| {
            let mut out = Vec::new();
            let fixes = FixSummary {
                fixed,
                unsafe_fixes,
            };
            write_summary_after_fixes(diagnostics, fixes, false, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let safe = finding(Some(Applicability::Safe));
        let unsafe_ = finding(Some(Applicability::Unsafe));
        let plain = finding(None);
        assert_eq!(summary(&[], 0, false), "All checks passed!\n");
        assert_eq!(
            summary(&[], 3, false),
            "Found 3 findings (3 fixed, 0 remaining).\n"
        );
        assert_eq!(
            summary(std::slice::from_ref(&plain), 1, false),
            "Found 2 findings (1 fixed, 1 remaining).\n"
        );
        assert_eq!(
            summary(&[unsafe_.clone(), plain.clone()], 2, false),
            "Found 4 findings (2 fixed, 2 remaining; 1 fixable with --unsafe-fixes).\n"
        );
        assert_eq!(
            summary(std::slice::from_ref(&unsafe_), 2, true),
            "Found 3 findings (2 fixed, 1 remaining).\n"
        );
        assert_eq!(
            summary(&[safe.clone(), unsafe_.clone()], 0, true),
            "Found 2 findings (2 fixable with --fix --unsafe-fixes).\n"
        );
        assert_eq!(
            summary(&[safe.clone(), plain], 0, true),
            "Found 2 findings (1 fixable with --fix).\n"
        );
        assert_eq!(
            summary(&[safe, unsafe_], 0, false),
            "Found 2 findings (1 fixable with --fix, 1 more with --unsafe-fixes).\n"
        );
    }
}

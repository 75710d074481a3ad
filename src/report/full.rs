//! `full`: a miette report per finding, with the source snippet, every related location, the
//! rule and the help.
//!
//! Each finding becomes a [`miette::Diagnostic`] borrowing the run's files: the primary span is
//! labelled with the message, related spans in the same file are secondary labels on the same
//! snippet, and related spans in other files become related diagnostics with their own snippet.
//! The handler is configured so the output depends on nothing but the findings: a fixed width, no
//! hyperlinks, no terminal detection, and colors only when asked for.

use std::fmt;
use std::io::{self, Write};

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use super::ReportOptions;
use crate::diagnostic::{Confidence, Diagnostic, Severity};
use crate::python::TextRange;
use crate::source::{SourceFile, SourceFiles};

/// The width reports are wrapped at, whatever the terminal: output must not depend on it.
const WIDTH: usize = 100;

pub fn write(
    diagnostics: &[Diagnostic],
    files: &SourceFiles,
    options: ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false)
        .with_urls(false)
        .with_show_related_as_nested(true)
        .without_syntax_highlighting();
    let mut rendered = String::new();
    for diagnostic in diagnostics {
        rendered.clear();
        handler
            .render_report(&mut rendered, &Report::new(diagnostic, files))
            .map_err(|fmt::Error| io::Error::other("cannot render a finding"))?;
        out.write_all(rendered.as_bytes())?;
        writeln!(out)?;
    }
    Ok(())
}

/// One finding as miette sees it.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: Source<'a>,
    code: String,
    /// Related locations in other files, each shown with its own snippet.
    elsewhere: Vec<RelatedReport<'a>>,
}

impl<'a> Report<'a> {
    fn new(diagnostic: &'a Diagnostic, files: &'a SourceFiles) -> Self {
        let rule = diagnostic.rule;
        let code = match diagnostic.confidence {
            Confidence::High => format!("{} {}", rule.code(), rule.name()),
            confidence => format!(
                "{} {} ({} confidence)",
                rule.code(),
                rule.name(),
                confidence.as_str()
            ),
        };
        let elsewhere = diagnostic
            .related
            .iter()
            .filter(|related| related.span.file != diagnostic.span.file)
            .map(|related| RelatedReport {
                message: &related.message,
                source: Source(files.get(related.span.file)),
                span: source_span(files.get(related.span.file), related.span.range),
            })
            .collect();
        Self {
            diagnostic,
            source: Source(files.get(diagnostic.span.file)),
            code,
            elsewhere,
        }
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("diagnostic", self.diagnostic)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(severity(self.diagnostic.severity))
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display + 'b>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let file = self.source.0;
        let primary = LabeledSpan::new_primary_with_span(
            Some(self.diagnostic.message.clone()),
            source_span(file, self.diagnostic.span.range),
        );
        let secondary = self
            .diagnostic
            .related
            .iter()
            .filter(|related| related.span.file == file.id)
            .map(|related| {
                LabeledSpan::new_with_span(
                    Some(related.message.clone()),
                    source_span(file, related.span.range),
                )
            });
        Some(Box::new(std::iter::once(primary).chain(secondary)))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.elsewhere.is_empty() {
            return None;
        }
        Some(Box::new(
            self.elsewhere
                .iter()
                .map(|related| related as &dyn miette::Diagnostic),
        ))
    }
}

/// A related location in another file than the finding's.
struct RelatedReport<'a> {
    message: &'a str,
    source: Source<'a>,
    span: SourceSpan,
}

impl fmt::Debug for RelatedReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelatedReport")
            .field("message", &self.message)
            .field("file", &self.source.0.name)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for RelatedReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for RelatedReport<'_> {}

impl miette::Diagnostic for RelatedReport<'_> {
    /// A note on the finding, not a finding of its own.
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    /// The span, underlined; the message is already the related report's title.
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(None, self.span),
        )))
    }
}

fn severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

/// `range` as miette's span, clamped to the text and to character boundaries so a stale or
/// out-of-range span still renders instead of failing.
fn source_span(file: &SourceFile, range: TextRange) -> SourceSpan {
    let text = &*file.text;
    let floor = |offset: usize| {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    };
    let start = floor(range.start().to_usize());
    let end = floor(range.end().to_usize()).max(start);
    SourceSpan::new(start.into(), end - start)
}

/// A file as miette's source code, named by its relative name.
///
/// miette counts the column in its snippet headers in bytes; this reports the row and the column
/// in characters, as every other format does, so `full` and `concise` agree on non-ASCII lines.
struct Source<'a>(&'a SourceFile);

impl SourceCode for Source<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let text: &'b str = &self.0.text;
        let contents = text.read_span(span, context_lines_before, context_lines_after)?;
        let (line, column) = if context_lines_before == 0 {
            // The contents start at the span: its own row and column.
            let offset = u32::try_from(span.offset()).unwrap_or(u32::MAX);
            let location = self.0.location(offset.into());
            (
                location.row.saturating_sub(1) as usize,
                location.column.saturating_sub(1) as usize,
            )
        } else {
            // The contents start at the beginning of a line.
            (contents.line(), 0)
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.0.name.clone(),
            contents.data(),
            *contents.span(),
            line,
            column,
            contents.line_count(),
        )))
    }
}

//! `full`: each finding as ruff prints it, a header line and the source snippets under it:
//!
//! ```text
//! SN201 `hits` is incremented without a lock by the threads started at app.py:12
//!   --> app.py:8:9
//!    |
//!  7 |     for _ in range(1000):
//!  8 |         hits += 1
//!    |         ^^^^^^^^^
//!  9 |
//!    |
//!   ::: app.py:12:1
//!    |
//! 12 | threads = [threading.Thread(target=handle) for _ in range(8)]
//!    |            ------------------------------- threads started here
//!    |
//! help: Hold one lock around every update of `hits`.
//! ```
//!
//! What it decides, so that a finding stays readable on one screen: the primary location is
//! underlined with `^` and no label (the header says it), with a line of context around it;
//! related locations are underlined with `-` and their label, without context, in the primary's
//! snippet when in the same file (distant lines elided with `...`) and in a `:::` section per
//! other file; a span longer than two lines is cut to its first line (after decorators: the
//! `class` or `def` line, the `with` line, the call) and an ellipsis; at most
//! [`MAX_RELATED`] related locations are shown, the rest counted. Tabs become four spaces, control
//! characters their visible pictures, so columns line up; widths count wide characters as two.
//! Colors only when asked for.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::ops::Range;
use std::rc::Rc;

use unicode_width::UnicodeWidthChar;

use super::{escape_control, ReportOptions};
use crate::diagnostic::{Confidence, Diagnostic};
use crate::python::TextRange;
use crate::source::{FileId, SourceFile, SourceFiles};

/// Lines of context before and after the primary location.
const CONTEXT: usize = 1;
/// A span over more lines than this is shown by its first line and an ellipsis.
const MAX_SPAN_LINES: usize = 2;
/// Related locations shown; the others are counted in a note.
pub const MAX_RELATED: usize = 3;

/// ANSI styles, or nothing.
struct Style {
    color: bool,
    /// Whether unsafe fixes count as fixable (`--unsafe-fixes`).
    unsafe_fixes: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn code(&self, text: &str) -> String {
        self.paint("1;31", text)
    }
    fn gutter(&self, text: &str) -> String {
        self.paint("1;34", text)
    }
    fn primary(&self, text: &str) -> String {
        self.paint("1;31", text)
    }
    fn secondary(&self, text: &str) -> String {
        self.paint("1;34", text)
    }
    fn fixable(&self, text: &str) -> String {
        self.paint("36", text)
    }
    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
    fn help(&self, text: &str) -> String {
        self.paint("1;36", text)
    }
}

pub fn write(
    diagnostics: &[Diagnostic],
    files: &SourceFiles,
    options: ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let style = Style {
        color: options.color,
        unsafe_fixes: options.unsafe_fixes,
    };
    let lines = LineTable::default();
    for diagnostic in diagnostics {
        out.write_all(render(diagnostic, files, &lines, &style).as_bytes())?;
        writeln!(out)?;
    }
    Ok(())
}

/// One underlined place: a span of one file, its label, whether it is the primary one.
#[derive(Debug, Clone)]
struct Annotation {
    file: FileId,
    /// 0-based lines shown for the span, and whether the span goes on past them.
    lines: Range<usize>,
    cut: bool,
    range: TextRange,
    label: String,
    primary: bool,
}

/// One finding, rendered; every line ends with a newline.
fn render(
    diagnostic: &Diagnostic,
    files: &SourceFiles,
    table: &LineTable,
    style: &Style,
) -> String {
    let mut out = String::new();
    let safe_fix = super::fixable(diagnostic, style.unsafe_fixes);
    let _ = writeln!(
        out,
        "{}{} {}",
        style.code(diagnostic.rule.code()),
        if safe_fix {
            format!(" [{}]", style.fixable("*"))
        } else {
            String::new()
        },
        style.bold(&escape_control(&diagnostic.message)),
    );

    let primary_file = files.get(diagnostic.span.file);
    let mut annotations = vec![annotation(
        primary_file,
        table,
        diagnostic.span.range,
        String::new(),
        true,
    )];
    // Each place and label once, however often the engine reached it.
    let mut unique: Vec<&crate::diagnostic::Related> = Vec::new();
    for related in &diagnostic.related {
        if related.span != diagnostic.span && !unique.contains(&related) {
            unique.push(related);
        }
    }
    for related in unique.iter().take(MAX_RELATED) {
        annotations.push(annotation(
            files.get(related.span.file),
            table,
            related.span.range,
            escape_control(&related.message).into_owned(),
            false,
        ));
    }

    // The primary's file first, then the others in the order they are first mentioned.
    let mut order: Vec<FileId> = Vec::new();
    for a in &annotations {
        if !order.contains(&a.file) {
            order.push(a.file);
        }
    }
    let width = gutter_width(&annotations);
    for (index, &file_id) in order.iter().enumerate() {
        let file = files.get(file_id);
        let here: Vec<&Annotation> = annotations.iter().filter(|a| a.file == file_id).collect();
        let first = here[0];
        let location = file.location(first.range.start());
        let arrow = if index == 0 { "-->" } else { ":::" };
        let _ = writeln!(
            out,
            "{:width$}{} {}:{}:{}",
            "",
            style.gutter(arrow),
            escape_control(&file.name),
            location.row,
            location.column,
            width = width.saturating_sub(1),
        );
        if file.text.is_empty() {
            // Nothing to show (an unreadable file): the location is all there is.
            continue;
        }
        write_snippet(&mut out, file, table, &here, index == 0, width, style);
    }

    if let Some(help) = &diagnostic.help {
        let _ = writeln!(out, "{} {}", style.help("help:"), escape_control(help));
    }
    let hidden = unique.len().saturating_sub(MAX_RELATED);
    if hidden > 0 {
        let _ = writeln!(
            out,
            "{} {hidden} more related location{} (`--output-format json` lists them all)",
            style.bold("note:"),
            if hidden == 1 { "" } else { "s" }
        );
    }
    if diagnostic.confidence != Confidence::High {
        let _ = writeln!(
            out,
            "{} {} confidence (`snarl rule {}` says when)",
            style.bold("note:"),
            diagnostic.confidence.as_str(),
            diagnostic.rule.code()
        );
    }
    out
}

/// The annotation of `range` in `file`: which lines show it.
fn annotation(
    file: &SourceFile,
    table: &LineTable,
    range: TextRange,
    label: String,
    primary: bool,
) -> Annotation {
    let lines = table.of(file);
    let start_line = line_of(&lines, range.start().to_usize());
    let end_line = if range.is_empty() {
        start_line
    } else {
        // A span ending right after a line break ends on the line before.
        line_of(&lines, range.end().to_usize().saturating_sub(1)).max(start_line)
    };
    let count = end_line - start_line + 1;
    let (lines_shown, cut) = if count <= MAX_SPAN_LINES {
        (start_line..end_line + 1, false)
    } else {
        // The line that matters: past decorators, the `class`/`def` line; else the first.
        let header = (start_line..=end_line)
            .find(|&l| {
                !line_text(&file.text, &lines, l)
                    .trim_start()
                    .starts_with('@')
            })
            .unwrap_or(start_line);
        (header..header + 1, true)
    };
    Annotation {
        file: file.id,
        lines: lines_shown,
        cut,
        range,
        label,
        primary,
    }
}

/// The width of the line-number gutter: the widest line number shown, plus one space.
fn gutter_width(annotations: &[Annotation]) -> usize {
    let last = annotations
        .iter()
        .map(|a| a.lines.end + CONTEXT)
        .max()
        .unwrap_or(1);
    last.to_string().len() + 1
}

/// The snippet of one file: its lines, each underlined where annotated.
fn write_snippet(
    out: &mut String,
    file: &SourceFile,
    table: &LineTable,
    annotations: &[&Annotation],
    with_context: bool,
    width: usize,
    style: &Style,
) {
    let lines = table.of(file);
    // Which lines to show: each annotation's, context around the primary's.
    let mut shown: BTreeMap<usize, ()> = BTreeMap::new();
    let mut cut_after: Vec<usize> = Vec::new();
    for a in annotations {
        for line in a.lines.clone() {
            shown.insert(line, ());
        }
        if a.cut {
            cut_after.push(a.lines.end - 1);
        }
        if with_context && a.primary {
            let first = a.lines.start.saturating_sub(CONTEXT);
            let last = if a.cut {
                a.lines.end
            } else {
                (a.lines.end + CONTEXT).min(lines.len())
            };
            for line in first..last {
                shown.insert(line, ());
            }
        }
    }
    let bar = style.gutter("|");
    let _ = writeln!(out, "{:width$}{bar}", "");
    let mut previous: Option<usize> = None;
    let shown: Vec<usize> = shown.into_keys().filter(|&l| l < lines.len()).collect();
    for &line in &shown {
        // A gap of one line is shown (it costs what an ellipsis costs); a longer one is elided,
        // unless a cut span's ellipsis just said so.
        if let Some(previous) = previous.filter(|p| !cut_after.contains(p)) {
            if line == previous + 2 {
                write_source_line(out, file, &lines, previous + 1, width, style);
            } else if line > previous + 2 {
                let _ = writeln!(out, "{}", style.gutter("..."));
            }
        }
        write_source_line(out, file, &lines, line, width, style);
        let text = line_text(&file.text, &lines, line);
        let line_start = lines[line].start;
        let mut marks: Vec<&&Annotation> = annotations
            .iter()
            .filter(|a| a.lines.contains(&line))
            .collect();
        marks.sort_by_key(|a| (!a.primary, a.range.start()));
        for a in marks {
            let start = a.range.start().to_usize().max(line_start) - line_start;
            let end = a.range.end().to_usize().min(line_start + text.len());
            let end = end.saturating_sub(line_start).max(start);
            // On lines after the first, the span starts at the code, not at the indentation.
            let start = if a.range.start().to_usize() < line_start {
                text.len() - text.trim_start().len()
            } else {
                start
            };
            // A cut span is underlined to the end of its shown line.
            let end = if a.cut || a.range.end().to_usize() > line_start + text.len() {
                text.trim_end().len().max(start)
            } else {
                end.max(start)
            };
            let before = display_width(text.get(..start).unwrap_or(""));
            let length = display_width(text.get(start..end).unwrap_or("")).max(1);
            let mark = if a.primary { "^" } else { "-" }.repeat(length);
            let last_line = a.lines.end - 1 == line;
            let label = if last_line && !a.label.is_empty() {
                format!(" {}", a.label)
            } else {
                String::new()
            };
            let painted = if a.primary {
                style.primary(&format!("{mark}{label}"))
            } else {
                style.secondary(&format!("{mark}{label}"))
            };
            let _ = writeln!(out, "{:width$}{bar} {:before$}{painted}", "", "");
        }
        if cut_after.contains(&line) {
            let _ = writeln!(out, "{}", style.gutter("..."));
        }
        previous = Some(line);
    }
    if with_context || shown.len() > 1 {
        let _ = writeln!(out, "{:width$}{bar}", "");
    }
}

fn write_source_line(
    out: &mut String,
    file: &SourceFile,
    lines: &[Range<usize>],
    line: usize,
    width: usize,
    style: &Style,
) {
    let text = visible(line_text(&file.text, lines, line));
    let number = format!("{:>w$} ", line + 1, w = width - 1);
    let bar = style.gutter("|");
    if text.is_empty() {
        let _ = writeln!(out, "{}{bar}", style.gutter(&number));
    } else {
        let _ = writeln!(out, "{}{bar} {text}", style.gutter(&number));
    }
}

/// Each file's line ranges, split once per report: splitting the whole file again for every
/// finding made reports on a big file with many findings quadratic.
#[derive(Default)]
struct LineTable {
    files: RefCell<HashMap<FileId, Rc<Vec<Range<usize>>>>>,
}

impl LineTable {
    fn of(&self, file: &SourceFile) -> Rc<Vec<Range<usize>>> {
        self.files
            .borrow_mut()
            .entry(file.id)
            .or_insert_with(|| Rc::new(line_ranges(&file.text)))
            .clone()
    }
}

/// The byte ranges of the lines of `text`, without their line breaks (`\n`, `\r\n` or `\r`, as
/// the parser counts lines). A text ending with a line break has an empty last line.
fn line_ranges(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(start..i);
                start = i + 1;
            }
            b'\r' => {
                lines.push(start..i);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    lines.push(start..bytes.len());
    lines
}

/// The 0-based line holding byte `offset`.
fn line_of(lines: &[Range<usize>], offset: usize) -> usize {
    lines
        .partition_point(|line| line.end < offset)
        .min(lines.len().saturating_sub(1))
}

fn line_text<'a>(text: &'a str, lines: &[Range<usize>], line: usize) -> &'a str {
    lines
        .get(line)
        .and_then(|range| text.get(range.clone()))
        .unwrap_or("")
}

/// How a character is shown in a snippet: a tab as four spaces, a control character as its
/// visible picture (`␀`), so that every shown character has a known width.
fn shown_char(c: char) -> ShownChar {
    match c {
        '\t' => ShownChar::Str("    "),
        '\x7f' => ShownChar::Char('\u{2421}'),
        c if (c as u32) < 0x20 => ShownChar::Char(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
        c if c.is_control() => ShownChar::Char('\u{fffd}'),
        c => ShownChar::Char(c),
    }
}

enum ShownChar {
    Char(char),
    Str(&'static str),
}

/// A source line as the snippet shows it.
fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match shown_char(c) {
            ShownChar::Char(c) => out.push(c),
            ShownChar::Str(s) => out.push_str(s),
        }
    }
    out
}

/// The width `text` takes in a snippet, in terminal columns.
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| match shown_char(c) {
            ShownChar::Char(c) => c.width().unwrap_or(0),
            ShownChar::Str(s) => s.len(),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_on_every_line_break() {
        assert_eq!(line_ranges("a\nb\r\nc\rd"), vec![0..1, 2..3, 5..6, 7..8]);
        assert_eq!(line_ranges("a\n"), vec![0..1, 2..2]);
        assert_eq!(line_ranges(""), vec![0..0]);
        let lines = line_ranges("ab\ncd\n");
        assert_eq!(line_of(&lines, 0), 0);
        assert_eq!(line_of(&lines, 2), 0);
        assert_eq!(line_of(&lines, 3), 1);
        assert_eq!(line_of(&lines, 6), 2);
        assert_eq!(line_of(&lines, 99), 2);
    }

    #[test]
    fn widths_count_tabs_wide_and_control_characters() {
        assert_eq!(display_width("\tx"), 5);
        assert_eq!(display_width("世界"), 4);
        assert_eq!(display_width("\0é"), 2);
        assert_eq!(visible("\0\t\x1b"), "␀    ␛");
    }
}

//! `--add-noqa`: a `# noqa: CODE` comment on the first line of every current finding, so a
//! project can adopt snarl today and fix its findings one by one.
//!
//! Decides where each comment goes: an existing `# noqa: X` on the line gets the new codes
//! appended (`# noqa: X, SN201`); otherwise `  # noqa: CODES` is appended to the line, after any
//! other comment. A line that continues with a backslash, or whose end is inside a string, cannot
//! take a comment: its finding is skipped and counted. The result is parsed again; a file whose
//! comments would not all read back as comments is left alone.
//!
//! The findings are those a plain run reports, each file under its own settings. SN004 is not
//! silenced: an unused suppression wants removing (its fix), not another suppression.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use crate::diagnostic::Diagnostic;
use crate::pipeline::Input;
use crate::python::{self, PythonVersion, TextRange};
use crate::report::plural;
use crate::rules::Rule;
use crate::source::SourceFile;
use crate::workspace::Workspace;

/// The new text of a file with `# noqa` comments for `diagnostics`, how many lines got one, and
/// how many findings could not be given one.
pub struct NoqaEdit {
    pub text: String,
    pub lines: usize,
    pub skipped: usize,
}

/// `--add-noqa`: adds the comments and writes the files.
pub fn run(mut workspace: Workspace) -> Result<ExitCode, String> {
    let result = workspace.check();
    for warning in &result.warnings {
        eprintln!("snarl: warning: {warning}");
    }
    let mut by_file: std::collections::BTreeMap<_, Vec<_>> = std::collections::BTreeMap::new();
    for diagnostic in &result.diagnostics {
        by_file
            .entry(diagnostic.span.file)
            .or_default()
            .push(diagnostic);
    }
    let (mut lines, mut skipped, mut failed) = (0, 0, false);
    for (id, diagnostics) in by_file {
        let source = result.files.get(id);
        let target = workspace
            .resolver()
            .settings_for(&source.path)
            .target_version;
        let Some(edit) = add_noqa(source, &diagnostics, target) else {
            continue;
        };
        skipped += edit.skipped;
        if edit.lines == 0 {
            continue;
        }
        let changed = crate::fix::ChangedFile {
            index: id.0 as usize,
            name: source.name.clone(),
            original: source.text.clone(),
            fixed: edit.text.into(),
        };
        if let Input::Stdin { .. } = workspace.input(changed.index) {
            // In the encoding the source declares; the comments added are ASCII.
            let fixed = changed.fixed.as_bytes();
            let source = crate::encoding::encode_like(&changed.fixed, fixed)
                .unwrap_or_else(|| fixed.to_vec());
            crate::cli::ignore_broken_pipe(std::io::stdout().lock().write_all(&source))?;
        } else if let Err(error) = crate::fix::write_back(&workspace, &changed) {
            eprintln!("snarl: error: {error}");
            failed = true;
            continue;
        }
        lines += edit.lines;
    }
    eprintln!("Added {lines} noqa {}.", plural(lines, "directive"));
    if skipped > 0 {
        eprintln!(
            "snarl: warning: {skipped} {} on lines that cannot take a comment (a line continued with a backslash, or inside a string) got none.",
            plural(skipped, "finding")
        );
    }
    Ok(if failed {
        ExitCode::from(crate::cli::EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

/// Whether a finding can be silenced by a line comment: not a file-level one, and not an unused
/// suppression.
fn is_about_code(diagnostic: &Diagnostic) -> bool {
    !matches!(
        diagnostic.rule,
        Rule::SyntaxError | Rule::IoError | Rule::InternalError | Rule::UnusedNoqa
    )
}

/// Adds comments for `diagnostics` (all in `file`, parsed for `target`); `None` when nothing was
/// added.
pub fn add_noqa(
    file: &SourceFile,
    diagnostics: &[&Diagnostic],
    target: Option<PythonVersion>,
) -> Option<NoqaEdit> {
    let text: &str = &file.text;
    let mut rows: BTreeMap<u32, Vec<&'static str>> = BTreeMap::new();
    for diagnostic in diagnostics.iter().filter(|d| is_about_code(d)) {
        let codes = rows
            .entry(file.row(diagnostic.span.range.start()))
            .or_default();
        if !codes.contains(&diagnostic.rule.code()) {
            codes.push(diagnostic.rule.code());
        }
    }
    if rows.is_empty() {
        return None;
    }
    let parsed = python::parse_module(text, target);
    let comments = parsed.comments.clone();
    let errors_before = parsed.syntax_errors.len();
    crate::pipeline::drop_ast(parsed);

    let mut skipped = 0;
    let mut candidates: Vec<(u32, Vec<&'static str>)> = Vec::new();
    for (row, codes) in rows {
        let (start, end) = line_bounds(text, row);
        let code_part = match comment_on(&comments, start, end) {
            Some(c) => &text[start..c.start().to_usize()],
            None => &text[start..end],
        };
        if code_part.trim_end().ends_with('\\') {
            skipped += codes.len();
        } else {
            candidates.push((row, codes));
        }
    }
    // A line whose end is inside a string takes no comment: the read-back finds such lines, they
    // are dropped, and the rest is tried again.
    while !candidates.is_empty() {
        let out = with_comments(text, &comments, &candidates);
        let reparsed = python::parse_module(&out, target);
        let new_file = SourceFile::new(file.id, file.path.clone(), file.name.clone(), out.into());
        let index = crate::suppress::NoqaIndex::from_comments(&new_file, &reparsed.comments);
        let errors_after = reparsed.syntax_errors.len();
        crate::pipeline::drop_ast(reparsed);
        if errors_after > errors_before {
            skipped += candidates.iter().map(|(_, c)| c.len()).sum::<usize>();
            break;
        }
        let (kept, unread): (Vec<_>, Vec<_>) = candidates
            .into_iter()
            .partition(|(row, codes)| codes.iter().all(|code| silenced(&index, code, *row)));
        if unread.is_empty() {
            return Some(NoqaEdit {
                text: new_file.text.to_string(),
                lines: kept.len(),
                skipped,
            });
        }
        skipped += unread.iter().map(|(_, c)| c.len()).sum::<usize>();
        candidates = kept;
    }
    (skipped > 0).then(|| NoqaEdit {
        text: text.to_string(),
        lines: 0,
        skipped,
    })
}

/// Whether `index` silences `code` on line `row`.
fn silenced(index: &crate::suppress::NoqaIndex, code: &str, row: u32) -> bool {
    let Some(rule) = Rule::from_code_or_name(code) else {
        return false;
    };
    let nowhere = crate::source::Span::new(crate::source::FileId(0), TextRange::default());
    index.suppresses(&Diagnostic::new(rule, nowhere, ""), row)
}

/// The comment on the line `start..end`, if any.
fn comment_on(comments: &[TextRange], start: usize, end: usize) -> Option<TextRange> {
    comments
        .iter()
        .find(|c| c.start().to_usize() >= start && c.end().to_usize() <= end)
        .copied()
}

/// `text` with the comments for `rows` added.
fn with_comments(text: &str, comments: &[TextRange], rows: &[(u32, Vec<&'static str>)]) -> String {
    let mut out = String::with_capacity(text.len() + rows.len() * 24);
    let mut at = 0;
    for (row, codes) in rows {
        let (start, end) = line_bounds(text, *row);
        let list = codes.join(", ");
        let comment = comment_on(comments, start, end);
        match comment.and_then(|c| noqa_codes_end(text, c).map(|at| (c, at))) {
            Some((comment, codes_end)) => {
                let existing = &text[comment.start().to_usize()..codes_end];
                let separator = if existing.trim_end().ends_with(':') {
                    " "
                } else {
                    ", "
                };
                out.push_str(&text[at..codes_end]);
                out.push_str(separator);
                out.push_str(&list);
                at = codes_end;
            }
            None => {
                let content_end = start + text[start..end].trim_end().len();
                out.push_str(&text[at..content_end]);
                out.push_str("  # noqa: ");
                out.push_str(&list);
                at = end;
            }
        }
    }
    out.push_str(&text[at..]);
    out
}

/// The byte range of line `row` (1-based), without its line ending.
fn line_bounds(text: &str, row: u32) -> (usize, usize) {
    let mut start = 0;
    for _ in 1..row {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let end = if text[..end].ends_with('\r') {
        end - 1
    } else {
        end
    };
    (start, end)
}

/// In a comment with a `noqa: CODES` directive, the offset just after the last code; `None` for
/// a comment without one (or a bare `# noqa`, which silences everything already).
fn noqa_codes_end(text: &str, comment: TextRange) -> Option<usize> {
    let body = &text[comment.start().to_usize()..comment.end().to_usize()];
    let lower = body.to_ascii_lowercase();
    let mut search = 0;
    while let Some(found) = lower[search..].find("noqa") {
        let noqa = search + found;
        search = noqa + 4;
        let before = lower[..noqa].trim_end();
        if !before.ends_with('#') {
            continue;
        }
        let after = &body[noqa + 4..];
        let Some(list) = after.trim_start().strip_prefix(':') else {
            continue;
        };
        let list_start = body.len() - list.len();
        // Codes are words of letters then digits, separated by commas and spaces.
        let mut end = None;
        let mut at = list_start;
        for word in list.split_inclusive([',', ' ', '\t']) {
            let code = word.trim_end_matches([',', ' ', '\t']);
            let is_code = !code.is_empty()
                && code.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && code.chars().all(|c| c.is_ascii_alphanumeric());
            if code.is_empty() {
                at += word.len();
                continue;
            }
            if !is_code {
                break;
            }
            end = Some(at + code.len());
            at += word.len();
        }
        return end.map(|e| comment.start().to_usize() + e);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::TextSize;
    use crate::source::{FileId, Span};
    use std::path::PathBuf;

    fn file(text: &str) -> SourceFile {
        SourceFile::new(FileId(0), PathBuf::from("a.py"), "a.py".into(), text.into())
    }

    fn finding(file: &SourceFile, rule: Rule, needle: &str) -> Diagnostic {
        let start = file.text.find(needle).unwrap() as u32;
        Diagnostic::new(
            rule,
            Span::new(
                file.id,
                TextRange::new(TextSize::new(start), TextSize::new(start + 1)),
            ),
            "m",
        )
    }

    #[test]
    fn appends_a_comment_or_extends_an_existing_noqa() {
        let f = file("a = 1\nb = 2  # noqa: E501\nc = 3  # explain\r\nd = 4\n");
        let found = [
            finding(&f, Rule::ThreadRunCalled, "a ="),
            finding(&f, Rule::UnsynchronizedReadModifyWrite, "a ="),
            finding(&f, Rule::ThreadRunCalled, "b ="),
            finding(&f, Rule::ThreadRunCalled, "c ="),
        ];
        let refs: Vec<&Diagnostic> = found.iter().collect();
        let edit = add_noqa(&f, &refs, None).unwrap();
        assert_eq!(
            edit.text,
            "a = 1  # noqa: SN103, SN201\nb = 2  # noqa: E501, SN103\nc = 3  # explain  # noqa: SN103\r\nd = 4\n"
        );
        assert_eq!((edit.lines, edit.skipped), (3, 0));
    }

    #[test]
    fn a_line_that_cannot_take_a_comment_is_skipped() {
        let f = file("x = f(1) + \\\n    2\ns = '''a\nb'''\n");
        let found = [
            finding(&f, Rule::ThreadRunCalled, "x ="),
            finding(&f, Rule::ThreadRunCalled, "s ="),
        ];
        let refs: Vec<&Diagnostic> = found.iter().collect();
        let edit = add_noqa(&f, &refs, None).unwrap();
        // The backslash line is skipped up front; the string line fails the read-back.
        assert_eq!(edit.text, f.text.to_string());
        assert_eq!((edit.lines, edit.skipped), (0, 2));
    }

    #[test]
    fn an_unused_suppression_gets_no_suppression_of_its_own() {
        let f = file("t.run()  # noqa: SN101\n");
        let found = [
            finding(&f, Rule::ThreadRunCalled, "t.run"),
            finding(&f, Rule::UnusedNoqa, "# noqa"),
        ];
        let refs: Vec<&Diagnostic> = found.iter().collect();
        let edit = add_noqa(&f, &refs, None).unwrap();
        assert_eq!(edit.text, "t.run()  # noqa: SN101, SN103\n");
        assert_eq!((edit.lines, edit.skipped), (1, 0));
        assert!(add_noqa(&f, &refs[1..], None).is_none());
    }

    #[test]
    fn other_lines_still_get_their_comment_when_one_cannot() {
        let f = file("s = \'\'\'a\nb\'\'\'\nt.run()\n");
        let found = [
            finding(&f, Rule::ThreadRunCalled, "s ="),
            finding(&f, Rule::ThreadRunCalled, "t.run"),
        ];
        let refs: Vec<&Diagnostic> = found.iter().collect();
        let edit = add_noqa(&f, &refs, None).unwrap();
        assert_eq!(edit.text, "s = \'\'\'a\nb\'\'\'\nt.run()  # noqa: SN103\n");
        assert_eq!((edit.lines, edit.skipped), (1, 1));
    }
}

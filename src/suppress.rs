//! Suppression comments: `# noqa`, `# noqa: SN101, SN102` on a finding's first line, and
//! `# snarl: noqa` / `# snarl: noqa: SN2` on a line of its own for the whole file.
//!
//! The index is built from the parser's comment tokens in the per-file phase (so `# noqa` inside a
//! string is not a suppression) and kept after the AST is dropped.

use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::python::TextRange;
use crate::source::SourceFile;

/// Which codes a comment silences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codes {
    All,
    /// Codes (on a line) or code prefixes (for the file), upper-cased.
    Listed(Vec<String>),
}

impl Codes {
    fn silences(&self, code: &str, by_prefix: bool) -> bool {
        match self {
            Codes::All => true,
            Codes::Listed(codes) => codes.iter().any(|listed| {
                if by_prefix {
                    code.starts_with(listed.as_str())
                } else {
                    code == listed
                }
            }),
        }
    }
}

/// The suppression comments of one file.
#[derive(Debug, Clone, Default)]
pub struct NoqaIndex {
    lines: HashMap<u32, Codes>,
    file: Vec<Codes>,
}

impl NoqaIndex {
    /// Reads the suppressions from `comments` (ranges of `#` comments in `file`).
    pub fn from_comments(file: &SourceFile, comments: &[TextRange]) -> Self {
        let mut index = NoqaIndex::default();
        for &range in comments {
            let text = file.slice(range);
            if !text.contains("noqa") && !text.contains("NOQA") {
                continue;
            }
            let row = file.row(range.start());
            let line_start = file.text[..range.start().to_usize()]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let own_line = file.text[line_start..range.start().to_usize()]
                .trim()
                .is_empty();
            if own_line {
                if let Some(codes) = parse_file_exemption(text) {
                    index.file.push(codes);
                    continue;
                }
            }
            if let Some(codes) = parse_line_noqa(text) {
                index.lines.insert(row, codes);
            }
        }
        index
    }

    /// Whether `diagnostic`, whose first line is `row`, is silenced.
    pub fn suppresses(&self, diagnostic: &Diagnostic, row: u32) -> bool {
        let code = diagnostic.rule.code();
        self.file.iter().any(|codes| codes.silences(code, true))
            || self
                .lines
                .get(&row)
                .is_some_and(|codes| codes.silences(code, false))
    }
}

/// `# snarl: noqa` or `# snarl: noqa: SN2, SN101`.
fn parse_file_exemption(comment: &str) -> Option<Codes> {
    let rest = comment.trim_start_matches('#').trim_start();
    let rest = rest.strip_prefix("snarl:")?.trim_start();
    let rest = strip_noqa(rest)?;
    Some(parse_codes(rest))
}

/// `# noqa`, `# noqa: SN101, SN102`, also after other comment text (`# type: ignore # noqa`).
fn parse_line_noqa(comment: &str) -> Option<Codes> {
    let mut search = comment;
    while let Some(hash) = search.find('#') {
        let after = search[hash + 1..].trim_start();
        if let Some(rest) = strip_noqa(after) {
            return Some(parse_codes(rest));
        }
        search = &search[hash + 1..];
    }
    None
}

/// The text after `noqa` (case-insensitive), when `text` starts with it as a whole word.
fn strip_noqa(text: &str) -> Option<&str> {
    let head = text.get(..4)?;
    if !head.eq_ignore_ascii_case("noqa") {
        return None;
    }
    let rest = &text[4..];
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if c == ':' || c.is_whitespace() => Some(rest),
        Some(_) => None,
    }
}

/// `: SN101, SN102` → those codes; nothing (or no codes) → every code.
fn parse_codes(rest: &str) -> Codes {
    let Some(list) = rest.trim_start().strip_prefix(':') else {
        return Codes::All;
    };
    let codes: Vec<String> = list
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .take_while(|word| {
            word.is_empty()
                || word
                    .get(..2)
                    .is_some_and(|prefix| prefix.eq_ignore_ascii_case("SN"))
                    && word[2..].chars().all(|c| c.is_ascii_digit())
                || word.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        })
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    if codes.is_empty() {
        Codes::All
    } else {
        Codes::Listed(codes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_noqa_forms() {
        assert_eq!(parse_line_noqa("# noqa"), Some(Codes::All));
        assert_eq!(parse_line_noqa("# NOQA"), Some(Codes::All));
        assert_eq!(
            parse_line_noqa("# noqa: SN101, SN102"),
            Some(Codes::Listed(vec!["SN101".into(), "SN102".into()]))
        );
        assert_eq!(
            parse_line_noqa("# noqa:SN101 E501"),
            Some(Codes::Listed(vec!["SN101".into(), "E501".into()]))
        );
        assert_eq!(
            parse_line_noqa("# type: ignore # noqa: SN201"),
            Some(Codes::Listed(vec!["SN201".into()]))
        );
        assert_eq!(parse_line_noqa("# noqa-like words"), None);
        assert_eq!(parse_line_noqa("# see noqa docs"), None);
    }

    #[test]
    fn file_exemption_forms() {
        assert_eq!(parse_file_exemption("# snarl: noqa"), Some(Codes::All));
        assert_eq!(
            parse_file_exemption("# snarl: noqa: SN2"),
            Some(Codes::Listed(vec!["SN2".into()]))
        );
        assert_eq!(parse_file_exemption("# noqa"), None);
        assert_eq!(parse_file_exemption("# ruff: noqa"), None);
    }

    #[test]
    fn non_ascii_after_codes_ends_the_list() {
        assert_eq!(
            parse_line_noqa("# noqa: A002 — keep the name"),
            Some(Codes::Listed(vec!["A002".into()]))
        );
        assert_eq!(parse_line_noqa("# noqa: é"), Some(Codes::All));
        assert_eq!(parse_line_noqa("# noqaé"), None);
        assert_eq!(
            parse_file_exemption("# snarl: noqa: SN2 ✓"),
            Some(Codes::Listed(vec!["SN2".into()]))
        );
    }

    proptest::proptest! {
        /// The parsers are total: any comment text gives an answer, never a panic.
        #[test]
        fn parsers_never_panic(body in "\\PC*", codes in "[a-zA-Z0-9,: \u{80}-\u{10ffff}]{0,12}") {
            for text in [
                format!("#{body}"),
                format!("# noqa:{codes}{body}"),
                format!("# snarl: noqa:{codes}{body}"),
                format!("# x # NOQA{body}"),
            ] {
                let _ = parse_line_noqa(&text);
                let _ = parse_file_exemption(&text);
            }
        }
    }

    #[test]
    fn file_codes_match_by_prefix_line_codes_exactly() {
        let listed = Codes::Listed(vec!["SN2".into()]);
        assert!(listed.silences("SN201", true));
        assert!(!listed.silences("SN201", false));
        assert!(!listed.silences("SN101", true));
    }
}

//! Suppression comments: `# noqa`, `# noqa: SN101, SN102` on a finding's first line, and
//! `# snarl: noqa` / `# snarl: noqa: SN2` on a line of its own for the whole file.
//!
//! The index is built from the parser's comment tokens in the per-file phase (so `# noqa` inside a
//! string is not a suppression) and kept after the AST is dropped. It remembers where each
//! directive and each of its codes is, so that unused ones can be reported and removed (SN004),
//! and it collects warnings about codes that look like snarl's but are none.

use crate::diagnostic::Diagnostic;
use crate::python::{TextRange, TextSize};
use crate::rules::{Rule, RuleSelector};
use crate::source::SourceFile;

/// Which codes a comment silences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codes {
    All,
    /// Codes (on a line) or code prefixes (for the file), upper-cased.
    Listed(Vec<String>),
}

impl Codes {
    fn silences(&self, code: &str, by_prefix: bool) -> Option<Option<usize>> {
        match self {
            Codes::All => Some(None),
            Codes::Listed(codes) => codes
                .iter()
                .position(|listed| {
                    if by_prefix {
                        code.starts_with(listed.as_str())
                    } else {
                        code == listed
                    }
                })
                .map(Some),
        }
    }
}

/// Whether a directive covers one line or the whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `# noqa`: the line it is on.
    Line,
    /// `# snarl: noqa`: the whole file.
    File,
}

/// One suppression comment of a file, with the places a fix needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub scope: Scope,
    pub codes: Codes,
    /// Where each listed code is, in the order of `codes`.
    pub code_ranges: Vec<TextRange>,
    /// From the directive's `#` to the end of its last code (or of `noqa`).
    pub range: TextRange,
    /// The whole comment the directive is part of.
    pub comment: TextRange,
    /// The 1-based row of the directive.
    pub row: u32,
}

/// Which directive (and which of its codes, when it lists codes) silenced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Use {
    pub directive: usize,
    pub code: Option<usize>,
}

/// The suppression comments of one file.
#[derive(Debug, Clone, Default)]
pub struct NoqaIndex {
    pub directives: Vec<Directive>,
    /// Codes in directives that look like snarl codes but name no rule, as messages naming the
    /// file and line.
    pub warnings: Vec<String>,
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
            let parsed = own_line
                .then(|| parse_file_exemption(text).map(|p| (Scope::File, p)))
                .flatten()
                .or_else(|| parse_line_noqa(text).map(|p| (Scope::Line, p)));
            let Some((scope, parsed)) = parsed else {
                continue;
            };
            let at = |offset: usize| range.start() + TextSize::try_from(offset).unwrap_or_default();
            let (codes, code_ranges) = match parsed.codes {
                None => (Codes::All, Vec::new()),
                Some(listed) => {
                    let ranges = listed
                        .iter()
                        .map(|(_, r)| TextRange::new(at(r.start), at(r.end)))
                        .collect();
                    (
                        Codes::Listed(listed.into_iter().map(|(code, _)| code).collect()),
                        ranges,
                    )
                }
            };
            if let Codes::Listed(listed) = &codes {
                for code in listed {
                    if let Some(reason) = invalid_snarl_code(code, scope) {
                        index.warnings.push(format!(
                            "invalid rule code in `{}` at {}:{row}: {code} ({reason})",
                            match scope {
                                Scope::Line => "# noqa",
                                Scope::File => "# snarl: noqa",
                            },
                            file.name
                        ));
                    }
                }
            }
            index.directives.push(Directive {
                scope,
                codes,
                code_ranges,
                range: TextRange::new(at(parsed.start), at(parsed.end)),
                comment: range,
                row,
            });
        }
        index
    }

    /// The directive that silences `diagnostic`, whose first line is `row`, if any: a file
    /// exemption first (as ruff applies them), then the line's `# noqa`.
    pub fn suppression(&self, diagnostic: &Diagnostic, row: u32) -> Option<Use> {
        let code = diagnostic.rule.code();
        let silencing = |scope: Scope| {
            self.directives.iter().enumerate().find_map(|(i, d)| {
                if d.scope != scope || (scope == Scope::Line && d.row != row) {
                    return None;
                }
                d.codes
                    .silences(code, scope == Scope::File)
                    .map(|code| Use { directive: i, code })
            })
        };
        silencing(Scope::File).or_else(|| silencing(Scope::Line))
    }

    /// Whether `diagnostic`, whose first line is `row`, is silenced.
    pub fn suppresses(&self, diagnostic: &Diagnostic, row: u32) -> bool {
        self.suppression(diagnostic, row).is_some()
    }
}

/// Why `code`, listed in a directive of `scope`, is not a snarl code though it looks like one;
/// `None` for snarl's codes and for other tools' (`E501`, `F401`), which are not ours to judge.
fn invalid_snarl_code(code: &str, scope: Scope) -> Option<&'static str> {
    if !code.starts_with("SN") {
        return None;
    }
    match scope {
        Scope::Line if Rule::ALL.iter().any(|r| r.code() == code) => None,
        Scope::Line if code.parse::<RuleSelector>().is_ok() => {
            Some("a `# noqa` on a line needs whole codes, such as SN201")
        }
        Scope::Line => Some("no snarl rule has this code"),
        Scope::File if code.parse::<RuleSelector>().is_ok() => None,
        Scope::File => Some("no snarl rule has this code or prefix"),
    }
}

/// A directive found in one comment; offsets are bytes from the comment's start.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parsed {
    /// The `#` the directive starts with.
    start: usize,
    /// The listed codes, upper-cased, with their ranges; `None` silences every code.
    codes: Option<Vec<(String, std::ops::Range<usize>)>>,
    /// The end of the last code (or of `noqa`, or of its colon).
    end: usize,
}

/// `# snarl: noqa` or `# snarl: noqa: SN2, SN101`.
fn parse_file_exemption(comment: &str) -> Option<Parsed> {
    let rest = comment.trim_start_matches('#').trim_start();
    let rest = rest.strip_prefix("snarl:")?.trim_start();
    let noqa = comment.len() - rest.len();
    strip_noqa(rest)?;
    let (codes, end) = parse_codes(comment, noqa + 4);
    Some(Parsed {
        start: 0,
        codes,
        end,
    })
}

/// `# noqa`, `# noqa: SN101, SN102`, also after other comment text (`# type: ignore # noqa`).
fn parse_line_noqa(comment: &str) -> Option<Parsed> {
    let mut from = 0;
    while let Some(found) = comment[from..].find('#') {
        let hash = from + found;
        let after = comment[hash + 1..].trim_start();
        if strip_noqa(after).is_some() {
            let noqa = comment.len() - after.len();
            let (codes, end) = parse_codes(comment, noqa + 4);
            return Some(Parsed {
                start: hash,
                codes,
                end,
            });
        }
        from = hash + 1;
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

/// A rule code as ruff lexes them: upper-case ASCII letters, then digits (`E501`, `SN201`;
/// snarl's own prefix in any case); a word that is not one ends the list (`# noqa: SN201 reason`).
fn looks_like_code(word: &str) -> bool {
    let digits = word.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let letters = &word[..word.len() - digits.len()];
    !letters.is_empty()
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && (letters.chars().all(|c| c.is_ascii_uppercase()) || letters.eq_ignore_ascii_case("SN"))
}

/// The codes after `noqa` (which ends at `offset` in `comment`): `: SN101, SN102` → those codes;
/// nothing, or no codes → `None` (every code). Also where the directive ends.
#[allow(clippy::type_complexity)]
fn parse_codes(
    comment: &str,
    offset: usize,
) -> (Option<Vec<(String, std::ops::Range<usize>)>>, usize) {
    let rest = &comment[offset..];
    let trimmed = rest.trim_start();
    let Some(list) = trimmed.strip_prefix(':') else {
        return (None, offset);
    };
    let colon_end = comment.len() - list.len();
    // Words between commas and whitespace, by byte offset (a separator may be several bytes).
    let mut words = Vec::new();
    let mut word_start = None;
    for (i, c) in list.char_indices() {
        if c == ',' || c.is_whitespace() {
            if let Some(start) = word_start.take() {
                words.push(start..i);
            }
        } else if word_start.is_none() {
            word_start = Some(i);
        }
    }
    if let Some(start) = word_start {
        words.push(start..list.len());
    }
    let mut codes = Vec::new();
    for range in words {
        let word = &list[range.clone()];
        if !looks_like_code(word) {
            break;
        }
        codes.push((
            word.to_ascii_uppercase(),
            colon_end + range.start..colon_end + range.end,
        ));
    }
    match codes.last() {
        Some((_, last)) => {
            let end = last.end;
            (Some(codes), end)
        }
        None => (None, colon_end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(parsed: Option<Parsed>) -> Option<Codes> {
        parsed.map(|p| match p.codes {
            None => Codes::All,
            Some(list) => Codes::Listed(list.into_iter().map(|(c, _)| c).collect()),
        })
    }

    fn line(comment: &str) -> Option<Codes> {
        codes(parse_line_noqa(comment))
    }

    fn file(comment: &str) -> Option<Codes> {
        codes(parse_file_exemption(comment))
    }

    #[test]
    fn line_noqa_forms() {
        assert_eq!(line("# noqa"), Some(Codes::All));
        assert_eq!(line("# NOQA"), Some(Codes::All));
        assert_eq!(
            line("# noqa: SN101, SN102"),
            Some(Codes::Listed(vec!["SN101".into(), "SN102".into()]))
        );
        assert_eq!(
            line("# noqa:SN101 E501"),
            Some(Codes::Listed(vec!["SN101".into(), "E501".into()]))
        );
        assert_eq!(
            line("# type: ignore # noqa: SN201"),
            Some(Codes::Listed(vec!["SN201".into()]))
        );
        assert_eq!(line("# noqa-like words"), None);
        assert_eq!(line("# see noqa docs"), None);
    }

    #[test]
    fn file_exemption_forms() {
        assert_eq!(file("# snarl: noqa"), Some(Codes::All));
        assert_eq!(
            file("# snarl: noqa: SN2"),
            Some(Codes::Listed(vec!["SN2".into()]))
        );
        assert_eq!(file("# noqa"), None);
        assert_eq!(file("# ruff: noqa"), None);
    }

    #[test]
    fn ranges_cover_the_directive_and_each_code() {
        let comment = "# type: ignore # noqa: SN201,  E501 because";
        let parsed = parse_line_noqa(comment).unwrap();
        assert_eq!(&comment[parsed.start..parsed.end], "# noqa: SN201,  E501");
        let listed = parsed.codes.unwrap();
        assert_eq!(&comment[listed[0].1.clone()], "SN201");
        assert_eq!(&comment[listed[1].1.clone()], "E501");
        let parsed = parse_line_noqa("# noqa: ").unwrap();
        assert_eq!((parsed.codes, parsed.end), (None, 7));
        let parsed = parse_file_exemption("#snarl:noqa:sn2").unwrap();
        assert_eq!(parsed.end, 15);
        assert_eq!(parsed.codes.unwrap()[0], ("SN2".to_string(), 12..15));
    }

    #[test]
    fn non_ascii_after_codes_ends_the_list() {
        assert_eq!(
            line("# noqa: A002 — keep the name"),
            Some(Codes::Listed(vec!["A002".into()]))
        );
        assert_eq!(line("# noqa: é"), Some(Codes::All));
        assert_eq!(line("# noqaé"), None);
        assert_eq!(
            file("# snarl: noqa: SN2 ✓"),
            Some(Codes::Listed(vec!["SN2".into()]))
        );
    }

    #[test]
    fn only_snarl_like_codes_are_judged() {
        assert_eq!(invalid_snarl_code("E501", Scope::Line), None);
        assert_eq!(invalid_snarl_code("SN201", Scope::Line), None);
        assert!(invalid_snarl_code("SN999", Scope::Line).is_some());
        assert!(invalid_snarl_code("SN2", Scope::Line).is_some());
        assert_eq!(invalid_snarl_code("SN2", Scope::File), None);
        assert!(invalid_snarl_code("SN9", Scope::File).is_some());
    }

    proptest::proptest! {
        /// The parsers are total: any comment text gives an answer, never a panic, and every
        /// range they return lies on character boundaries inside the comment.
        #[test]
        fn parsers_never_panic(body in "\\PC*", codes in "[a-zA-Z0-9,: \u{80}-\u{10ffff}]{0,12}") {
            for text in [
                format!("#{body}"),
                format!("# noqa:{codes}{body}"),
                format!("# snarl: noqa:{codes}{body}"),
                format!("# x # NOQA{body}"),
            ] {
                for parsed in [parse_line_noqa(&text), parse_file_exemption(&text)].into_iter().flatten() {
                    assert!(text.get(parsed.start..parsed.end).is_some());
                    for (_, range) in parsed.codes.into_iter().flatten() {
                        assert!(text.get(range).is_some());
                    }
                }
            }
        }
    }

    #[test]
    fn file_codes_match_by_prefix_line_codes_exactly() {
        let listed = Codes::Listed(vec!["SN2".into()]);
        assert!(listed.silences("SN201", true).is_some());
        assert!(listed.silences("SN201", false).is_none());
        assert!(listed.silences("SN101", true).is_none());
    }
}

//! SN004 `unused-noqa`.
//!
//! ## What it does
//! Finds suppression comments that suppress nothing: snarl codes in a `# noqa: ...` list with no
//! finding of that rule on the line, codes of rules not enabled for the file, codes listed twice,
//! and `# snarl: noqa` file exemptions that silence nothing. Each finding carries a fix that
//! removes the unused codes, or the whole directive when none is left.
//!
//! Codes of other tools and a bare `# noqa` are left alone: the comments are shared with ruff and
//! flake8, and snarl cannot know whether those tools still need them.
//!
//! It runs after suppression (`pipeline.rs`), from which directives silenced something.

use std::collections::HashSet;

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::python::{TextRange, TextSize};
use crate::rules::{Rule, RuleSelector, RuleSet};
use crate::source::{SourceFile, Span};
use crate::suppress::{Codes, Directive, NoqaIndex, Scope, Use};

/// Why a listed code is unused, in the words of ruff's RUF100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    Unused,
    NonEnabled,
    Duplicated,
}

/// The SN004 findings of `file`: `used` holds the directives (and codes) that silenced a finding,
/// `rules` the rules enabled for the file.
pub fn check(
    file: &SourceFile,
    noqa: &NoqaIndex,
    used: &HashSet<Use>,
    rules: RuleSet,
) -> Vec<Diagnostic> {
    // Another file exemption that silences SN004, or the line's own `# noqa: SN004`, keeps this
    // rule quiet about a directive, as it would about any finding.
    let exempted_by_another = |index: usize| {
        noqa.directives.iter().enumerate().any(|(other, d)| {
            other != index
                && d.scope == Scope::File
                && match &d.codes {
                    Codes::All => true,
                    Codes::Listed(codes) => codes
                        .iter()
                        .any(|c| Rule::UnusedNoqa.code().starts_with(c.as_str())),
                }
        })
    };
    let mut out = Vec::new();
    for (index, directive) in noqa.directives.iter().enumerate() {
        if exempted_by_another(index) {
            continue;
        }
        let is_used = |code: Option<usize>| {
            used.contains(&Use {
                directive: index,
                code,
            })
        };
        match &directive.codes {
            // A bare `# noqa` may be there for another tool.
            Codes::All if directive.scope == Scope::Line => {}
            Codes::All => {
                if !is_used(None) {
                    out.push(unused_exemption(file, directive));
                }
            }
            Codes::Listed(codes) => {
                if directive.scope == Scope::Line
                    && codes.iter().any(|c| c == Rule::UnusedNoqa.code())
                {
                    continue;
                }
                let mut seen = HashSet::new();
                let mut unused: Vec<(usize, Reason)> = Vec::new();
                for (i, code) in codes.iter().enumerate() {
                    let Some(selected) = snarl_rules(code, directive.scope) else {
                        // Another tool's code, or a mistyped one (warned about): not ours.
                        continue;
                    };
                    let reason = if !seen.insert(code.as_str()) {
                        Some(Reason::Duplicated)
                    } else if is_used(Some(i)) {
                        None
                    } else if !selected.iter().any(|r| rules.contains(*r)) {
                        Some(Reason::NonEnabled)
                    } else {
                        Some(Reason::Unused)
                    };
                    if let Some(reason) = reason {
                        unused.push((i, reason));
                    }
                }
                if !unused.is_empty() {
                    out.push(unused_codes(file, directive, codes, &unused));
                }
            }
        }
    }
    out
}

/// The rules a listed code names, when it is a snarl code (a whole code on a line, a code or
/// prefix for the file).
fn snarl_rules(code: &str, scope: Scope) -> Option<Vec<Rule>> {
    match scope {
        Scope::Line => Rule::ALL
            .iter()
            .find(|r| r.code() == code)
            .map(|r| vec![*r]),
        Scope::File => match code.parse::<RuleSelector>() {
            Ok(selector @ RuleSelector::Prefix(_)) | Ok(selector @ RuleSelector::Rule(_))
                if code.starts_with("SN") =>
            {
                Some(selector.rules().collect())
            }
            _ => None,
        },
    }
}

fn what(directive: &Directive) -> &'static str {
    match directive.scope {
        Scope::Line => "`noqa` directive",
        Scope::File => "`snarl: noqa` file exemption",
    }
}

fn unused_exemption(file: &SourceFile, directive: &Directive) -> Diagnostic {
    Diagnostic::new(
        Rule::UnusedNoqa,
        Span::new(file.id, directive.range),
        format!("unused {}: it silences no finding", what(directive)),
    )
    .with_help("Remove it; nothing in this file needs it.")
    .with_fix(Fix {
        applicability: Applicability::Safe,
        message: format!("Remove the unused {}", what(directive)),
        edits: vec![remove_directive(file, directive)],
    })
}

fn unused_codes(
    file: &SourceFile,
    directive: &Directive,
    codes: &[String],
    unused: &[(usize, Reason)],
) -> Diagnostic {
    let mut groups = Vec::new();
    for (reason, label) in [
        (Reason::Unused, "unused"),
        (Reason::NonEnabled, "non-enabled"),
        (Reason::Duplicated, "duplicated"),
    ] {
        let listed: Vec<String> = unused
            .iter()
            .filter(|(_, r)| *r == reason)
            .map(|(i, _)| format!("`{}`", codes[*i]))
            .collect();
        if !listed.is_empty() {
            groups.push(format!("{label}: {}", listed.join(", ")));
        }
    }
    let kept: Vec<&str> = codes
        .iter()
        .enumerate()
        .filter(|(i, _)| !unused.iter().any(|(u, _)| u == i))
        .map(|(_, c)| c.as_str())
        .collect();
    let (edit, message) = if kept.is_empty() {
        (
            remove_directive(file, directive),
            format!("Remove the unused {}", what(directive)),
        )
    } else {
        let first = directive.code_ranges[0].start();
        let last = directive.code_ranges[directive.code_ranges.len() - 1].end();
        (
            Edit {
                range: TextRange::new(first, last),
                content: kept.join(", "),
            },
            "Remove the unused codes".to_string(),
        )
    };
    let scope = match directive.scope {
        Scope::Line => "no finding of that rule starts on this line",
        Scope::File => "no finding of those rules is in this file",
    };
    Diagnostic::new(
        Rule::UnusedNoqa,
        Span::new(file.id, directive.range),
        format!("unused {} ({})", what(directive), groups.join("; ")),
    )
    .with_help(format!(
        "Remove the codes that suppress nothing: {scope}, or the rule is not enabled."
    ))
    .with_fix(Fix {
        applicability: Applicability::Safe,
        message,
        edits: vec![edit],
    })
}

/// The edit that removes a whole directive, leaving the code and any other comment on the line
/// as they were: a comment that is only the directive goes with the spaces before it, and a line
/// that is only the comment goes entirely.
fn remove_directive(file: &SourceFile, directive: &Directive) -> Edit {
    let text = &*file.text;
    let start = directive.range.start().to_usize();
    let end = directive.range.end().to_usize();
    let comment_end = directive.comment.end().to_usize();
    // Another `#` after the directive starts a comment that stays (`# noqa: SN201 # pylint: x`);
    // other text after it is the directive's reason, removed with it.
    let tail = &text[end..comment_end];
    let after = tail.trim_start();
    let (start, end) = if after.starts_with('#') {
        (start, comment_end - after.len())
    } else {
        let before = text[..start].trim_end_matches([' ', '\t']);
        let line_start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
        if before.len() == line_start {
            // The line is only this comment: remove the line with its line break.
            let rest = &text[comment_end..];
            let line_break = if rest.starts_with("\r\n") {
                2
            } else {
                usize::from(rest.starts_with(['\n', '\r']))
            };
            (line_start, comment_end + line_break)
        } else {
            (before.len(), comment_end)
        }
    };
    let offset = |o: usize| TextSize::try_from(o).unwrap_or_default();
    Edit {
        range: TextRange::new(offset(start), offset(end)),
        content: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::source::FileId;

    /// The file's text after the fix of every SN004 finding (nothing used, every rule enabled).
    fn fixed(text: &str) -> String {
        let file = SourceFile::new(
            FileId(0),
            PathBuf::from("t.py"),
            "t.py".to_string(),
            Arc::from(text),
        );
        let parsed = crate::python::parse_module(text, None);
        let noqa = NoqaIndex::from_comments(&file, &parsed.comments);
        let mut edits: Vec<Edit> = check(&file, &noqa, &HashSet::new(), RuleSet::all())
            .into_iter()
            .flat_map(|d| d.fix.unwrap().edits)
            .collect();
        edits.sort_by_key(|e| std::cmp::Reverse(e.range.start()));
        let mut out = text.to_string();
        for edit in edits {
            out.replace_range(
                edit.range.start().to_usize()..edit.range.end().to_usize(),
                &edit.content,
            );
        }
        out
    }

    #[test]
    fn fixes_remove_codes_directives_and_lines() {
        assert_eq!(fixed("x = 1  # noqa: SN201\n"), "x = 1\n");
        assert_eq!(
            fixed("x = 1  # noqa: SN201, E501\n"),
            "x = 1  # noqa: E501\n"
        );
        assert_eq!(
            fixed("x = 1  # noqa: E501, SN201\n"),
            "x = 1  # noqa: E501\n"
        );
        assert_eq!(fixed("x = 1  # noqa: SN201 why\n"), "x = 1\n");
        assert_eq!(
            fixed("x = 1  # noqa: SN201 # pylint: disable=x\n"),
            "x = 1  # pylint: disable=x\n"
        );
        assert_eq!(
            fixed("x = 1  # type: ignore  # noqa: SN201\n"),
            "x = 1  # type: ignore\n"
        );
        assert_eq!(fixed("# snarl: noqa\nx = 1\n"), "x = 1\n");
        assert_eq!(
            fixed("x = 1\r\n# snarl: noqa: SN2\r\ny = 2\r\n"),
            "x = 1\r\ny = 2\r\n"
        );
        assert_eq!(fixed("x = 1  # noqa: SN201, SN201\n"), "x = 1\n");
        // Not ours: a bare `# noqa`, other tools' codes, unknown snarl codes.
        for kept in [
            "x = 1  # noqa\n",
            "x = 1  # noqa: E501\n",
            "x = 1  # noqa: SN999\n",
        ] {
            assert_eq!(fixed(kept), kept);
        }
        // The line's own SN004 keeps it quiet.
        let quiet = "x = 1  # noqa: SN201, SN004\n";
        assert_eq!(fixed(quiet), quiet);
    }
}

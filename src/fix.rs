//! Fixes: `--fix`, `--unsafe-fixes`, `--diff`.
//!
//! Decides which fixes of a run apply and what the files look like afterwards. Each pass applies,
//! per file, the applicable fixes whose edits touch no edit already taken in that pass (a fix is
//! all its edits or nothing), then checks the project again, until no fix applies (at most
//! [`MAX_PASSES`]). A file whose fixed text has syntax errors its original had not is left as it
//! was, and the run says so. Files are written atomically: a temporary file beside the original,
//! renamed over it, in the encoding the file declares.
//!
//! The fixes are those of the findings a plain run reports, each file under its own settings
//! (rules, `per-file-ignores`, target version): SN004's removal of an unused suppression too.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::encoding;
use crate::pipeline::{CheckResult, Input};
use crate::python::{self, PythonVersion};
use crate::rules::Rule;
use crate::workspace::Workspace;

/// Enough for fixes that enable other fixes; a loop that never settles stops here.
pub const MAX_PASSES: usize = 100;

/// Whether a fix applies under the run's `--unsafe-fixes` choice.
pub fn applies(fix: &Fix, unsafe_fixes: bool) -> bool {
    fix.applicability == Applicability::Safe || unsafe_fixes
}

/// Whether two edits touch: they overlap, or meet at a point where the order of the two would
/// matter (two insertions at one offset, an insertion at the edge of a replacement).
fn touches(a: &Edit, b: &Edit) -> bool {
    a.range.start() <= b.range.end() && b.range.start() <= a.range.end()
}

/// Applies to `text` the fixes that do not touch one another, taken in source order; returns the
/// new text and how many fixes were applied.
pub fn apply_fixes<'a>(text: &str, fixes: impl IntoIterator<Item = &'a Fix>) -> (String, usize) {
    let mut fixes: Vec<&Fix> = fixes
        .into_iter()
        .filter(|fix| !fix.edits.is_empty())
        .collect();
    fixes.sort_by_key(|fix| fix.edits.iter().map(|e| e.range.start()).min());
    let mut taken: Vec<&Edit> = Vec::new();
    let mut applied = 0;
    for fix in fixes {
        let in_bounds = fix.edits.iter().all(|e| {
            e.range.end().to_usize() <= text.len()
                && text.is_char_boundary(e.range.start().to_usize())
                && text.is_char_boundary(e.range.end().to_usize())
        });
        let own_edits_apart = fix
            .edits
            .iter()
            .enumerate()
            .all(|(i, a)| fix.edits[i + 1..].iter().all(|b| !touches(a, b)));
        let clashes = fix
            .edits
            .iter()
            .any(|e| taken.iter().any(|t| touches(e, t)));
        if in_bounds && own_edits_apart && !clashes {
            taken.extend(fix.edits.iter());
            applied += 1;
        }
    }
    taken.sort_by_key(|e| e.range.start());
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in taken {
        out.push_str(&text[at..edit.range.start().to_usize()]);
        out.push_str(&edit.content);
        at = edit.range.end().to_usize();
    }
    out.push_str(&text[at..]);
    (out, applied)
}

fn syntax_errors(text: &str, target: Option<PythonVersion>) -> usize {
    let parsed = python::parse_module(text, target);
    let errors = parsed.syntax_errors.len();
    crate::pipeline::drop_ast(parsed);
    errors
}

/// In debug builds, `SNARL_TEST_BREAK_FIXES=1` makes every fixed text end in a stray `)`, so the
/// tests can check that a fix which breaks the syntax is never written.
#[cfg(debug_assertions)]
fn break_if_asked_to(text: String) -> String {
    if std::env::var_os("SNARL_TEST_BREAK_FIXES").is_some() {
        text + "\n)\n"
    } else {
        text
    }
}

/// A file the fixes changed.
pub struct ChangedFile {
    pub index: usize,
    pub name: String,
    pub original: Arc<str>,
    pub fixed: Arc<str>,
}

/// A file whose fixes would have broken its syntax: left as it was.
pub struct RejectedFile {
    pub name: String,
    pub rules: Vec<Rule>,
}

/// What fixing a workspace did.
pub struct FixOutcome {
    /// The findings left after the last pass.
    pub result: CheckResult,
    /// How many fixes were applied.
    pub fixed: usize,
    pub changed: Vec<ChangedFile>,
    pub rejected: Vec<RejectedFile>,
}

/// Fixes the reported files of `workspace` in memory, pass after pass, until nothing changes.
pub fn fix_workspace(workspace: &mut Workspace, unsafe_fixes: bool) -> FixOutcome {
    let mut originals: BTreeMap<usize, Arc<str>> = BTreeMap::new();
    let mut rejected: BTreeMap<usize, RejectedFile> = BTreeMap::new();
    let mut fixed: BTreeMap<usize, usize> = BTreeMap::new();
    let mut result = workspace.check();
    for _ in 0..MAX_PASSES {
        let mut by_file: BTreeMap<usize, Vec<&Diagnostic>> = BTreeMap::new();
        for diagnostic in &result.diagnostics {
            let index = diagnostic.span.file.0 as usize;
            if diagnostic
                .fix
                .as_ref()
                .is_some_and(|fix| applies(fix, unsafe_fixes))
                && !rejected.contains_key(&index)
            {
                by_file.entry(index).or_default().push(diagnostic);
            }
        }
        let mut changed_any = false;
        for (index, diagnostics) in by_file {
            let source = result.files.get(diagnostics[0].span.file);
            let text = source.text.clone();
            let (new_text, applied) =
                apply_fixes(&text, diagnostics.iter().filter_map(|d| d.fix.as_ref()));
            if applied == 0 || new_text == *text {
                continue;
            }
            #[cfg(debug_assertions)]
            let new_text = break_if_asked_to(new_text);
            let original = originals.entry(index).or_insert_with(|| text.clone());
            // Parsed for the Python the file's own settings target.
            let target = workspace
                .resolver()
                .settings_for(&workspace.file(index).path)
                .target_version;
            if syntax_errors(&new_text, target) > syntax_errors(original, target) {
                let mut rules: Vec<Rule> = diagnostics.iter().map(|d| d.rule).collect();
                rules.sort();
                rules.dedup();
                rejected.insert(
                    index,
                    RejectedFile {
                        name: source.name.clone(),
                        rules,
                    },
                );
                let original = original.clone();
                workspace.set_text(index, original);
                changed_any = true;
                continue;
            }
            workspace.set_text(index, Arc::from(new_text));
            *fixed.entry(index).or_default() += applied;
            changed_any = true;
        }
        if !changed_any {
            break;
        }
        result = workspace.check();
    }
    // Fixes counted for a file that was put back did not happen.
    let fixed = fixed
        .iter()
        .filter(|(index, _)| !rejected.contains_key(index))
        .map(|(_, count)| count)
        .sum();
    let changed = originals
        .into_iter()
        .filter(|(index, _)| !rejected.contains_key(index))
        .filter_map(|(index, original)| {
            let file = result.files.get(crate::source::FileId(index as u32));
            (file.text != original).then(|| ChangedFile {
                index,
                name: file.name.clone(),
                original,
                fixed: file.text.clone(),
            })
        })
        .collect();
    FixOutcome {
        result,
        fixed,
        changed,
        rejected: rejected.into_values().collect(),
    }
}

/// A unified diff of a changed file, headed by its name on both sides as ruff prints it.
pub fn unified_diff(file: &ChangedFile) -> String {
    similar::TextDiff::from_lines(&*file.original, &*file.fixed)
        .unified_diff()
        .header(&file.name, &file.name)
        .to_string()
}

/// Writes the fixed files; returns the fixed source of standard input, which is printed instead,
/// encoded as its own coding declaration (or byte-order mark) says.
pub fn write_all(
    workspace: &Workspace,
    outcome: &FixOutcome,
    errors: &mut Vec<String>,
) -> Option<Vec<u8>> {
    let mut stdin_source = None;
    for index in 0..workspace.len() {
        if let Input::Stdin { text, .. } = workspace.input(index) {
            stdin_source = Some(encoding::encode_like(text, text.as_bytes()).unwrap_or_else(|| {
                errors.push(
                    "the fixed standard input cannot be written in its declared encoding; it is printed as UTF-8"
                        .to_string(),
                );
                text.clone().into_bytes()
            }));
        }
    }
    for changed in &outcome.changed {
        if let Err(error) = write_back(workspace, changed) {
            errors.push(error);
        }
    }
    stdin_source
}

/// Writes the fixed text over the file, in the file's own encoding (its PEP 263 declaration),
/// unless the file changed on disk since it was read.
pub fn write_back(workspace: &Workspace, file: &ChangedFile) -> Result<(), String> {
    let path = match workspace.input(file.index) {
        Input::Stdin { .. } => return Ok(()),
        other => other.file().path.clone(),
    };
    let on_disk = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !encoding::decode(&on_disk).is_ok_and(|text| *text == *file.original) {
        return Err(format!(
            "{}: changed on disk while snarl was fixing it; not written",
            path.display()
        ));
    }
    let bytes = encoding::encode_like(&file.fixed, &on_disk).ok_or_else(|| {
        format!(
            "{}: the fixed text cannot be written in the file's declared encoding; not written",
            path.display()
        )
    })?;
    write_atomically(&path, &bytes).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

/// Writes `contents` to a temporary file beside `path`, then renames it over `path`: a reader
/// sees the old file or the new one, never half of it. A symlink is written through to its
/// target, and the file keeps its permissions.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path)?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let permissions = std::fs::metadata(&target)?.permissions();
    let mut temporary = tempfile::Builder::new()
        .prefix(".snarl-fix-")
        .tempfile_in(dir)?;
    temporary.write_all(contents)?;
    temporary.as_file().sync_all()?;
    std::fs::set_permissions(temporary.path(), permissions)?;
    temporary.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::{TextRange, TextSize};

    fn edit(start: u32, end: u32, content: &str) -> Edit {
        Edit {
            range: TextRange::new(TextSize::new(start), TextSize::new(end)),
            content: content.to_string(),
        }
    }

    fn fix(edits: Vec<Edit>) -> Fix {
        Fix {
            applicability: Applicability::Safe,
            message: String::new(),
            edits,
        }
    }

    #[test]
    fn fixes_apart_all_apply() {
        let fixes = [fix(vec![edit(0, 1, "X")]), fix(vec![edit(4, 5, "Y")])];
        assert_eq!(apply_fixes("abcdef", &fixes), ("XbcdYf".to_string(), 2));
    }

    #[test]
    fn a_fix_touching_a_taken_edit_waits_for_the_next_pass() {
        // Overlapping, adjacent, and a second insertion at the same offset.
        let fixes = [
            fix(vec![edit(1, 3, "X")]),
            fix(vec![edit(2, 4, "Y")]),
            fix(vec![edit(3, 3, "Z")]),
            fix(vec![edit(0, 0, "<"), edit(5, 6, "!")]),
        ];
        assert_eq!(apply_fixes("abcdef", &fixes), ("<aXde!".to_string(), 2));
    }

    #[test]
    fn a_fix_is_all_its_edits_or_nothing() {
        // The two-edit fix comes first in source order; the one between its edits touches one.
        let fixes = [
            fix(vec![edit(2, 3, "X")]),
            fix(vec![edit(0, 1, "A"), edit(3, 4, "B")]),
        ];
        assert_eq!(apply_fixes("abcdef", &fixes), ("AbcBef".to_string(), 1));
        let fixes = [
            fix(vec![edit(1, 2, "X")]),
            fix(vec![edit(2, 3, "Y"), edit(5, 6, "Z")]),
        ];
        assert_eq!(apply_fixes("abcdef", &fixes), ("aXcdef".to_string(), 1));
    }

    #[test]
    fn edits_out_of_bounds_or_inside_a_character_are_skipped() {
        let fixes = [fix(vec![edit(1, 2, "X")]), fix(vec![edit(9, 12, "Y")])];
        assert_eq!(apply_fixes("é", &fixes), ("é".to_string(), 0));
    }
}

//! The pipeline of `snarl check`, stage by stage:
//!
//! 1. discover files ([`crate::discover`]);
//! 2. per file, in parallel (rayon): read, parse, build the semantic model, run the AST rules
//!    ([`crate::checker`]), summarize for the project phase ([`crate::summary`]), index the `noqa`
//!    comments, then drop the AST;
//! 3. link the summaries project-wide ([`crate::project`]);
//! 4. run the project rules ([`crate::rules::races`]);
//! 5. sort deterministically, apply `per-file-ignores` and suppressions;
//!
//! and the caller reports ([`crate::report`]).

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::checker::Checker;
use crate::config::Settings;
use crate::diagnostic::Diagnostic;
use crate::discover::DiscoveredFile;
use crate::project::Project;
use crate::python::{self, TextRange, TextSize};
use crate::rules::{races, Family, Rule, RuleSet};
use crate::semantic::SemanticModel;
use crate::source::{display_name, FileId, SourceFile, SourceFiles, Span};
use crate::summary::{self, ModuleSummary};
use crate::suppress::NoqaIndex;

/// Where a file's text comes from.
#[derive(Debug, Clone)]
pub enum Input {
    /// A discovered file, read from disk.
    File(DiscoveredFile),
    /// Source given on standard input, under the name `--stdin-filename` gave (or `-`).
    Stdin { file: DiscoveredFile, text: String },
}

impl Input {
    fn file(&self) -> &DiscoveredFile {
        match self {
            Input::File(file) | Input::Stdin { file, .. } => file,
        }
    }
}

/// What a run found.
pub struct CheckResult {
    pub files: SourceFiles,
    /// Findings after suppression, sorted by (file, row, column, code).
    pub diagnostics: Vec<Diagnostic>,
}

/// The outcome of the per-file phase for one file: everything the later stages need, no AST.
pub struct FileOutcome {
    pub source: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
    pub summary: Option<ModuleSummary>,
    pub noqa: NoqaIndex,
}

/// Runs the whole pipeline over `inputs`.
pub fn check(inputs: Vec<Input>, settings: &Settings) -> CheckResult {
    let outcomes = analyze_files(inputs, settings);
    let mut diagnostics = Vec::new();
    let mut summaries = Vec::new();
    let mut sources = Vec::with_capacity(outcomes.len());
    let mut noqa = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        diagnostics.extend(outcome.diagnostics);
        summaries.extend(outcome.summary);
        sources.push(outcome.source);
        noqa.push(outcome.noqa);
    }
    let files = SourceFiles::new(sources);

    if settings.rules.any_in(Family::Races)
        || settings.rules.contains(Rule::SignalOutsideMainThread)
    {
        let project = Project::link(summaries, settings);
        diagnostics.extend(races::check(&project, &files, settings.rules));
    }

    let mut diagnostics: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| {
            settings
                .rules_for(&files.get(d.span.file).path)
                .contains(d.rule)
        })
        .filter(|d| {
            let file = files.get(d.span.file);
            !noqa[d.span.file.0 as usize].suppresses(d, file.row(d.span.range.start()))
        })
        .collect();
    sort(&mut diagnostics);
    diagnostics.dedup_by(|a, b| a.rule == b.rule && a.span == b.span && a.message == b.message);
    CheckResult { files, diagnostics }
}

/// Runs the per-file phase and links the project, for `snarl debug`.
pub fn link(inputs: Vec<Input>, settings: &Settings) -> (SourceFiles, Project) {
    let outcomes = analyze_files(inputs, settings);
    let mut summaries = Vec::new();
    let mut sources = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        summaries.extend(outcome.summary);
        sources.push(outcome.source);
    }
    (
        SourceFiles::new(sources),
        Project::link(summaries, settings),
    )
}

/// Sorts findings by (file, position, code, message): the order is the same on every run and
/// with any number of threads.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (
            a.span.file,
            a.span.range.start(),
            a.rule,
            &a.message,
            a.span.range.end(),
        )
            .cmp(&(
                b.span.file,
                b.span.range.start(),
                b.rule,
                &b.message,
                b.span.range.end(),
            ))
    });
}

/// The per-file phase, in parallel; the outcomes come back in input order.
pub fn analyze_files(inputs: Vec<Input>, settings: &Settings) -> Vec<FileOutcome> {
    inputs
        .into_par_iter()
        .enumerate()
        .map(|(index, input)| {
            let id = FileId(u32::try_from(index).expect("fewer than 2^32 files"));
            analyze_file_guarded(id, input, settings)
        })
        .collect()
}

/// [`analyze_file`], with a bug in snarl turned into a finding for that file rather than a crash.
fn analyze_file_guarded(id: FileId, input: Input, settings: &Settings) -> FileOutcome {
    let path = input.file().path.clone();
    match panic::catch_unwind(AssertUnwindSafe(|| analyze_file(id, &input, settings))) {
        Ok(outcome) => outcome,
        Err(payload) => {
            let reason = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            let source = SourceFile::new(id, path.clone(), display_name(&path), Arc::from(""));
            let diagnostic = Diagnostic::new(
                Rule::InternalError,
                Span::new(id, TextRange::empty(TextSize::new(0))),
                format!("snarl failed while analyzing this file: {reason}"),
            )
            .with_help("This is a bug in snarl; please report it with the file that triggers it.");
            FileOutcome {
                source,
                diagnostics: vec![diagnostic],
                summary: None,
                noqa: NoqaIndex::default(),
            }
        }
    }
}

/// Reads, parses and analyzes one file; the AST does not outlive this function.
pub fn analyze_file(id: FileId, input: &Input, settings: &Settings) -> FileOutcome {
    let file = input.file();
    let name = match input {
        Input::Stdin { .. } => file.path.to_string_lossy().to_string(),
        Input::File(_) => display_name(&file.path),
    };
    let text: Result<Arc<str>, String> = match input {
        Input::Stdin { text, .. } => Ok(Arc::from(text.as_str())),
        Input::File(file) => read_source(&file.path),
    };
    let text = match text {
        Ok(text) => text,
        Err(reason) => {
            let source = SourceFile::new(id, file.path.clone(), name, Arc::from(""));
            let diagnostic = Diagnostic::new(
                Rule::IoError,
                Span::new(id, TextRange::empty(TextSize::new(0))),
                format!("cannot read `{}`: {reason}", file.path.display()),
            )
            .with_help("snarl checks readable UTF-8 Python files; fix the file or exclude it.");
            return FileOutcome {
                source,
                diagnostics: vec![diagnostic],
                summary: None,
                noqa: NoqaIndex::default(),
            };
        }
    };
    let source = SourceFile::new(id, file.path.clone(), name, text);
    let rules = settings.rules_for(&file.path);
    let parsed = python::parse_module(&source.text, settings.target_version);
    let mut diagnostics: Vec<Diagnostic> = parsed
        .syntax_errors
        .iter()
        .map(|error| {
            Diagnostic::new(
                Rule::SyntaxError,
                Span::new(id, error.range),
                format!("syntax error: {}", error.message),
            )
            .with_help("snarl analyzed the parts of the file that parse; fix the syntax to check the rest.")
        })
        .collect();
    let semantic = SemanticModel::build(&parsed.module, &file.module, file.is_package);
    diagnostics
        .extend(Checker::new(id, &source.text, &semantic, rules).check_module(&parsed.module));
    let summary =
        needs_summary(settings.rules).then(|| summary::summarize(id, &parsed.module, &semantic));
    let noqa = NoqaIndex::from_comments(&source, &parsed.comments);
    parsed.dispose();
    FileOutcome {
        source,
        diagnostics,
        summary,
        noqa,
    }
}

fn needs_summary(rules: RuleSet) -> bool {
    rules.any_in(Family::Races) || rules.contains(Rule::SignalOutsideMainThread)
}

/// Reads a file as UTF-8 (a leading BOM is kept: the parser and locations handle it).
pub fn read_source(path: &PathBuf) -> Result<Arc<str>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map(Arc::from).map_err(|e| {
        format!(
            "not valid UTF-8 (first bad byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

//! The pipeline of `snarl check`, stage by stage:
//!
//! 1. discover files ([`crate::discover`]);
//! 2. per file, in parallel (rayon): read, parse, build the semantic model, run the AST rules
//!    ([`crate::checker`]), summarize for the project phase ([`crate::summary`]), index the `noqa`
//!    comments, then drop the AST;
//! 3. link the summaries project-wide ([`crate::project`]);
//! 4. run the project rules ([`crate::rules::races`], [`crate::rules::locks`], [`crate::rules::gil`],
//!    [`crate::rules::futures`], [`crate::rules::asyncio`]);
//! 5. apply each file's rules (`per-file-ignores`) and suppressions, report unused suppressions
//!    (SN004), sort deterministically;
//!
//! and the caller reports ([`crate::report`]).

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Once};

use rayon::prelude::*;

use crate::checker::{Checker, Deferred};
use crate::config::SettingsFor;
use crate::diagnostic::Diagnostic;
use crate::discover::DiscoveredFile;
use crate::project::Project;
use crate::python::ast::{self, Expr, Pattern, Stmt};
use crate::python::visitor::transformer::{self, Transformer};
use crate::python::{self, visitor, TextRange, TextSize, Visitor};
use crate::rules::{
    self, gil, locks, multiprocessing, races, thread_api, unused_noqa, Family, Rule, RuleSet,
};
use crate::semantic::SemanticModel;
use crate::source::{display_name, FileId, SourceFile, SourceFiles, Span};
use crate::summary::{self, ModuleSummary};
use crate::suppress::{NoqaIndex, Use};

/// Where a file's text comes from.
#[derive(Debug, Clone)]
pub enum Input {
    /// A discovered file, read from disk.
    File(DiscoveredFile),
    /// Source given on standard input, under the name `--stdin-filename` gave (or `-`).
    Stdin {
        file: DiscoveredFile,
        text: String,
        /// Why the input cannot be analyzed (it is not UTF-8): reported as SN002, as for a file.
        unreadable: Option<String>,
    },
    /// A file on disk whose text is held in memory instead: an editor's unsaved buffer, the
    /// result of a fix pass not yet written.
    Buffer {
        file: DiscoveredFile,
        text: Arc<str>,
    },
}

impl Input {
    pub fn file(&self) -> &DiscoveredFile {
        match self {
            Input::File(file) | Input::Stdin { file, .. } | Input::Buffer { file, .. } => file,
        }
    }

    /// The name reports print for this input.
    fn display_name(&self) -> String {
        match self {
            Input::Stdin { file, .. } => file.path.to_string_lossy().to_string(),
            Input::File(file) | Input::Buffer { file, .. } => display_name(&file.path),
        }
    }
}

/// What a run found.
pub struct CheckResult {
    pub files: SourceFiles,
    /// Findings after suppression, sorted by (file, row, column, code).
    pub diagnostics: Vec<Diagnostic>,
    /// What the user should hear about on standard error (suppression comments naming codes
    /// snarl does not have), sorted by file.
    pub warnings: Vec<String>,
}

/// The outcome of the per-file phase for one file: everything the later stages need, no AST.
#[derive(Clone)]
pub struct FileOutcome {
    pub source: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
    /// AST findings that wait for the class hierarchy (a base class in another module).
    pub deferred: Vec<Deferred>,
    pub summary: Option<ModuleSummary>,
    pub noqa: NoqaIndex,
}

/// Runs the whole pipeline over `inputs`, each file with its own settings.
pub fn check(inputs: Vec<Input>, settings: &dyn SettingsFor) -> CheckResult {
    finish(analyze_files(inputs, settings), settings)
}

/// The stages after the per-file phase: link, project rules, sort, suppress. `outcomes[i]` must
/// be the outcome of the file with id `i`.
pub fn finish(outcomes: Vec<FileOutcome>, settings: &dyn SettingsFor) -> CheckResult {
    let mut diagnostics = Vec::new();
    let mut deferred = Vec::new();
    let mut summaries = Vec::new();
    let mut sources = Vec::with_capacity(outcomes.len());
    let mut noqa = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        diagnostics.extend(outcome.diagnostics);
        deferred.extend(outcome.deferred);
        summaries.extend(outcome.summary);
        sources.push(outcome.source);
        noqa.push(outcome.noqa);
    }
    let files = SourceFiles::new(sources);

    let project_settings = settings.project_settings();
    if needs_project(project_settings.rules) {
        let project = Project::link(summaries, project_settings);
        diagnostics.extend(races::check(&project, &files, project_settings.rules));
        diagnostics.extend(thread_api::check_project(
            &project,
            &files,
            project_settings.rules,
        ));
        diagnostics.extend(locks::check(&project, &files, project_settings.rules));
        diagnostics.extend(decide_deferred(&project, deferred));
        diagnostics.extend(gil::check(&project, &files, project_settings.rules));
        diagnostics.extend(rules::futures::check(
            &project,
            &files,
            project_settings.rules,
        ));
        diagnostics.extend(rules::asyncio::check(
            &project,
            &files,
            project_settings.rules,
        ));
        if multiprocessing::any_project_rule(project_settings.rules) {
            let target_version =
                |file: FileId| settings.settings_for(&files.get(file).path).target_version;
            diagnostics.extend(multiprocessing::check(
                &project,
                &files,
                project_settings.rules,
                &target_version,
            ));
        }
    } else if !deferred.is_empty() {
        // Only the class hierarchy is wanted: no roots, no contexts, no project rules.
        let project = Project::hierarchy(summaries);
        diagnostics.extend(decide_deferred(&project, deferred));
    }

    // Each file's rules, after its configuration's `per-file-ignores`.
    let rules: Vec<RuleSet> = files
        .iter()
        .map(|file| settings.settings_for(&file.path).rules_for(&file.path))
        .collect();
    let free_threaded: Vec<bool> = files
        .iter()
        .map(|file| settings.settings_for(&file.path).free_threaded)
        .collect();
    let diagnostics = for_free_threading(diagnostics, &free_threaded);
    let mut used: Vec<HashSet<Use>> = vec![HashSet::new(); files.len()];
    let mut diagnostics: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| rules[d.span.file.0 as usize].contains(d.rule))
        .filter(|d| {
            let index = d.span.file.0 as usize;
            let row = files.get(d.span.file).row(d.span.range.start());
            match noqa[index].suppression(d, row) {
                Some(directive) => {
                    used[index].insert(directive);
                    false
                }
                None => true,
            }
        })
        .collect();
    for file in files.iter() {
        let index = file.id.0 as usize;
        if rules[index].contains(Rule::UnusedNoqa) {
            diagnostics.extend(unused_noqa::check(
                file,
                &noqa[index],
                &used[index],
                rules[index],
            ));
        }
    }
    sort(&mut diagnostics);
    diagnostics.dedup_by(|a, b| a.rule == b.rule && a.span == b.span && a.message == b.message);
    for diagnostic in &mut diagnostics {
        dedup_related(diagnostic);
    }
    let warnings = noqa.into_iter().flat_map(|index| index.warnings).collect();
    CheckResult {
        files,
        diagnostics,
        warnings,
    }
}

/// What changes for files that run without a GIL (`free-threaded = true`): CPU-bound threads run
/// in parallel (SN401 does not apply), and races the GIL made rare happen all the time (the race
/// rules report errors).
fn for_free_threading(diagnostics: Vec<Diagnostic>, free_threaded: &[bool]) -> Vec<Diagnostic> {
    if !free_threaded.contains(&true) {
        return diagnostics;
    }
    diagnostics
        .into_iter()
        .filter_map(|mut d| {
            if !free_threaded[d.span.file.0 as usize] {
                return Some(d);
            }
            match d.rule.family() {
                _ if d.rule == Rule::CpuBoundWorkOnThreads => return None,
                Family::Races => d.severity = crate::diagnostic::Severity::Error,
                _ => {}
            }
            Some(d)
        })
        .collect()
}

/// Drops related locations that repeat an earlier one (same place, same words) or the primary
/// location itself: an engine can reach one place by several paths.
fn dedup_related(diagnostic: &mut Diagnostic) {
    let mut seen = HashSet::new();
    let primary = diagnostic.span;
    diagnostic.related.retain(|related| {
        related.span != primary && seen.insert((related.span, related.message.clone()))
    });
}

/// Runs the per-file phase and links the project, for `snarl debug`.
pub fn link(inputs: Vec<Input>, settings: &dyn SettingsFor) -> (SourceFiles, Project) {
    let outcomes = analyze_files(inputs, settings);
    let mut summaries = Vec::new();
    let mut sources = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        summaries.extend(outcome.summary);
        sources.push(outcome.source);
    }
    (
        SourceFiles::new(sources),
        Project::link(summaries, settings.project_settings()),
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
pub fn analyze_files(inputs: Vec<Input>, settings: &dyn SettingsFor) -> Vec<FileOutcome> {
    let numbered = inputs
        .into_iter()
        .enumerate()
        .map(|(index, input)| {
            let id = FileId(u32::try_from(index).expect("fewer than 2^32 files"));
            (id, input)
        })
        .collect();
    analyze_numbered(numbered, settings)
}

/// The per-file phase for inputs whose ids are given (a re-analysis of some files of a run).
pub fn analyze_numbered(
    inputs: Vec<(FileId, Input)>,
    settings: &dyn SettingsFor,
) -> Vec<FileOutcome> {
    install_panic_hook();
    // `rayon::scope` runs its closure on a worker of the pool: without it, rayon runs a
    // one-element iterator (a single file, or standard input) on the calling thread, the main
    // thread, whose stack is smaller than the pool's.
    rayon::scope(|_| {
        inputs
            .into_par_iter()
            .map(|(id, input)| analyze_file_guarded(id, input, settings))
            .collect()
    })
}

thread_local! {
    /// Set while this thread analyzes a file under `catch_unwind`: a panic then becomes an SN003
    /// finding, so the panic hook records its message instead of printing it.
    static CAPTURING_PANIC: Cell<bool> = const { Cell::new(false) };
    /// The message and location of the last panic recorded on this thread.
    static CAPTURED_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once per process) a panic hook that stays quiet about panics inside the per-file
/// phase and hands every other panic to the hook that was there before.
fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING_PANIC.get() {
                let message = info.payload_as_str().unwrap_or("unknown panic");
                let message = match info.location() {
                    Some(location) => format!("{message} (at {location})"),
                    None => message.to_string(),
                };
                CAPTURED_PANIC.set(Some(message));
            } else {
                previous(info);
            }
        }));
    });
}

/// [`analyze_file`], with a bug in snarl turned into a finding for that file rather than a crash.
fn analyze_file_guarded(id: FileId, input: Input, settings: &dyn SettingsFor) -> FileOutcome {
    let path = input.file().path.clone();
    let name = input.display_name();
    CAPTURING_PANIC.set(true);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| analyze_file(id, &input, settings)));
    CAPTURING_PANIC.set(false);
    match outcome {
        Ok(outcome) => outcome,
        Err(payload) => {
            let reason = CAPTURED_PANIC
                .take()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            let source = SourceFile::new(id, path, name, Arc::from(""));
            let diagnostic = Diagnostic::new(
                Rule::InternalError,
                Span::new(id, TextRange::empty(TextSize::new(0))),
                format!("snarl failed while analyzing this file: {reason}"),
            )
            .with_help("This is a bug in snarl; please report it with the file that triggers it.");
            FileOutcome {
                source,
                diagnostics: vec![diagnostic],
                deferred: Vec::new(),
                summary: None,
                noqa: NoqaIndex::default(),
            }
        }
    }
}

/// In debug builds, `SNARL_TEST_PANIC_ON=<file name>` makes the analysis of files with that name
/// panic, so the tests can check that a bug in snarl becomes an SN003 finding and nothing more.
#[cfg(debug_assertions)]
fn panic_if_asked_to(path: &Path) {
    static TRIGGER: std::sync::OnceLock<Option<std::ffi::OsString>> = std::sync::OnceLock::new();
    let trigger = TRIGGER.get_or_init(|| std::env::var_os("SNARL_TEST_PANIC_ON"));
    if let Some(trigger) = trigger {
        if path.file_name() == Some(trigger.as_os_str()) {
            panic!("SNARL_TEST_PANIC_ON asked for a panic here");
        }
    }
}

/// Reads, parses and analyzes one file; the AST does not outlive this function.
pub fn analyze_file(id: FileId, input: &Input, settings: &dyn SettingsFor) -> FileOutcome {
    let file = input.file();
    let name = input.display_name();
    let text: Result<Arc<str>, String> = match input {
        Input::Stdin {
            unreadable: Some(reason),
            ..
        } => Err(reason.clone()),
        Input::Stdin { text, .. } => Ok(Arc::from(text.as_str())),
        Input::Buffer { text, .. } => Ok(text.clone()),
        Input::File(file) => read_source(&file.path),
    };
    let text = match text {
        Ok(text) => text,
        Err(reason) => {
            let diagnostic = Diagnostic::new(
                Rule::IoError,
                Span::new(id, TextRange::empty(TextSize::new(0))),
                format!("cannot read `{name}`: {reason}"),
            )
            .with_help("snarl checks readable UTF-8 Python files; fix the file or exclude it.");
            let source = SourceFile::new(id, file.path.clone(), name, Arc::from(""));
            return FileOutcome {
                source,
                diagnostics: vec![diagnostic],
                deferred: Vec::new(),
                summary: None,
                noqa: NoqaIndex::default(),
            };
        }
    };
    let source = SourceFile::new(id, file.path.clone(), name, text);
    #[cfg(debug_assertions)]
    panic_if_asked_to(&file.path);
    let file_settings = settings.settings_for(&file.path);
    let rules = file_settings.rules_for(&file.path);
    let parsed = python::parse_module(&source.text, file_settings.target_version);
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
    // The passes below recurse over the tree; a generated file can nest 100,000 levels deep.
    // Run them on a stack sized for the tree's depth, so that code which does not grow the stack
    // itself cannot overflow it.
    let depth = nesting_depth(&parsed.module);
    let analyze = move || {
        let semantic = SemanticModel::build(&parsed.module, &file.module, file.is_package);
        let non_production = is_non_production(&file.path);
        let (found, deferred) = Checker::new(id, &source.text, &semantic, rules)
            .non_production(non_production)
            .check_module(&parsed.module);
        diagnostics.extend(found);
        let summary = needs_summary(settings.project_settings().rules)
            .then(|| summary::summarize(id, &parsed.module, &semantic, non_production));
        let noqa = NoqaIndex::from_comments(&source, &parsed.comments);
        drop(semantic);
        drop_ast(parsed);
        FileOutcome {
            source,
            diagnostics,
            deferred,
            summary,
            noqa,
        }
    };
    if depth <= SHALLOW_DEPTH {
        analyze()
    } else {
        stacker::grow(
            DEEP_STACK_BASE.saturating_add(depth.saturating_mul(DEEP_STACK_PER_LEVEL)),
            analyze,
        )
    }
}

/// Whether `path` lies under tests, examples, documentation, demos or benchmarks: code that
/// shows or exercises a library, not how it runs.
fn is_non_production(path: &Path) -> bool {
    path.components().any(|part| {
        let part = part.as_os_str().to_string_lossy().to_ascii_lowercase();
        matches!(
            part.as_str(),
            "test"
                | "tests"
                | "testing"
                | "example"
                | "examples"
                | "doc"
                | "docs"
                | "demo"
                | "demos"
                | "benchmark"
                | "benchmarks"
                | "samples"
        )
    })
}

/// Whether the project phase runs rules of `rules`.
fn needs_project(rules: RuleSet) -> bool {
    rules.any_in(Family::Races)
        || rules.any_in(Family::Locks)
        || rules.contains(Rule::SignalOutsideMainThread)
        || rules.any_in(Family::Futures)
        || rules.any_in(Family::Asyncio)
        || thread_api::PROJECT_RULES
            .iter()
            .any(|&rule| rules.contains(rule))
        || rules.any_in(Family::Gil)
        || multiprocessing::any_project_rule(rules)
}

/// Whether files need summaries: for the project rules, or for the class hierarchy that decides
/// the AST findings about subclasses of threads defined in other modules.
fn needs_summary(rules: RuleSet) -> bool {
    needs_project(rules)
        || [
            Rule::ThreadRunCalled,
            Rule::ThreadInitWithoutSuper,
            Rule::ThreadStartOverridden,
            Rule::ThreadJoinedBeforeStart,
        ]
        .into_iter()
        .any(|rule| rules.contains(rule))
}

/// The deferred AST findings whose class turns out to derive from the base they assumed.
fn decide_deferred(project: &Project, deferred: Vec<Deferred>) -> Vec<Diagnostic> {
    deferred
        .into_iter()
        .filter(|d| match project.resolve_name(&d.class) {
            Some(crate::project::link::Target::Class(c)) => {
                project.thread_class(c) == Some(d.process)
            }
            _ => false,
        })
        .map(|d| d.diagnostic)
        .collect()
}

/// Reads a file as UTF-8 (a leading BOM is kept: the parser and locations handle it).
pub fn read_source(path: &Path) -> Result<Arc<str>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    decode_source(bytes).map(Arc::from)
}

/// Source bytes as text (UTF-8, or the encoding a PEP 263 declaration names), or why they cannot
/// be decoded.
pub fn decode_source(bytes: Vec<u8>) -> Result<String, String> {
    match crate::encoding::decode(&bytes)? {
        // Valid UTF-8: keep the buffer, no copy.
        std::borrow::Cow::Borrowed(_) => Ok(String::from_utf8(bytes).unwrap_or_default()),
        std::borrow::Cow::Owned(text) => Ok(text),
    }
}

/// Trees up to this deep are analyzed on the worker's own stack (64 MiB in `snarl check`; at least
/// the 2 MiB default of a thread elsewhere).
const SHALLOW_DEPTH: usize = 256;
/// The stack for a deeper tree: a base plus a generous allowance per level. It is reserved, not
/// committed: only the pages a pass actually touches cost memory.
const DEEP_STACK_BASE: usize = 4 * 1024 * 1024;
const DEEP_STACK_PER_LEVEL: usize = 4 * 1024;

/// How deeply statements, expressions and patterns nest in `module`.
pub fn nesting_depth(module: &ast::ModModule) -> usize {
    let mut meter = DepthMeter::default();
    meter.visit_body(&module.body);
    meter.max
}

#[derive(Default)]
struct DepthMeter {
    current: usize,
    max: usize,
}

impl DepthMeter {
    fn nested(&mut self, walk: impl FnOnce(&mut Self)) {
        self.current += 1;
        self.max = self.max.max(self.current);
        stacker::maybe_grow(
            crate::checker::STACK_RED_ZONE,
            crate::checker::STACK_GROWTH,
            || walk(self),
        );
        self.current -= 1;
    }
}

impl<'a> Visitor<'a> for DepthMeter {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        self.nested(|meter| visitor::walk_stmt(meter, stmt));
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        self.nested(|meter| visitor::walk_expr(meter, expr));
    }

    fn visit_pattern(&mut self, pattern: &'a Pattern) {
        self.nested(|meter| visitor::walk_pattern(meter, pattern));
    }

    fn visit_interpolated_string_element(&mut self, element: &'a ast::InterpolatedStringElement) {
        self.nested(|meter| visitor::walk_interpolated_string_element(meter, element));
    }
}

/// Drops an AST without deep recursion, whatever its depth.
///
/// The compiler's drop glue recurses once per level of the tree, and a stack overflow aborts the
/// process. So the tree is taken apart bottom-up first (guarding the walk's own recursion with
/// `stacker`): every statement, expression and pattern is replaced by a leaf once its children
/// have been, and dropped then, when nothing below it is left to recurse into.
pub fn drop_ast(parsed: python::ParsedModule) {
    let python::ParsedModule { mut module, .. } = parsed;
    Flattener.visit_body(&mut module.body);
    drop(module);
}

struct Flattener;

impl Flattener {
    fn guarded(&self, walk: impl FnOnce()) {
        stacker::maybe_grow(
            crate::checker::STACK_RED_ZONE,
            crate::checker::STACK_GROWTH,
            walk,
        );
    }
}

impl Transformer for Flattener {
    fn visit_stmt(&self, stmt: &mut Stmt) {
        self.guarded(|| transformer::walk_stmt(self, stmt));
        let leaf = Stmt::Pass(ast::StmtPass {
            node_index: ast::AtomicNodeIndex::default(),
            range: TextRange::default(),
        });
        drop(std::mem::replace(stmt, leaf));
    }

    fn visit_expr(&self, expr: &mut Expr) {
        self.guarded(|| transformer::walk_expr(self, expr));
        drop(std::mem::replace(
            expr,
            Expr::NoneLiteral(ast::ExprNoneLiteral::default()),
        ));
    }

    fn visit_pattern(&self, pattern: &mut Pattern) {
        self.guarded(|| transformer::walk_pattern(self, pattern));
        let leaf = Pattern::MatchAs(ast::PatternMatchAs {
            node_index: ast::AtomicNodeIndex::default(),
            range: TextRange::default(),
            pattern: None,
            name: None,
        });
        drop(std::mem::replace(pattern, leaf));
    }

    fn visit_interpolated_string_element(&self, element: &mut ast::InterpolatedStringElement) {
        self.guarded(|| transformer::walk_interpolated_string_element(self, element));
        if let ast::InterpolatedStringElement::Interpolation(interpolation) = element {
            drop(interpolation.format_spec.take());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn related_locations_are_said_once_and_never_at_the_finding() {
        let span = |start: u32| Span::new(FileId(0), TextRange::empty(TextSize::new(start)));
        let mut diagnostic = Diagnostic::new(Rule::CheckThenActRace, span(0), "race")
            .with_related(span(1), "a")
            .with_related(span(0), "the finding itself")
            .with_related(span(1), "a")
            .with_related(span(1), "b")
            .with_related(span(2), "a");
        dedup_related(&mut diagnostic);
        let kept: Vec<(u32, &str)> = diagnostic
            .related
            .iter()
            .map(|r| (r.span.range.start().to_u32(), r.message.as_str()))
            .collect();
        assert_eq!(kept, vec![(1, "a"), (1, "b"), (2, "a")]);
    }

    #[test]
    fn nesting_depth_counts_expression_levels() {
        let parsed = python::parse_module("x = not not not y\n", None);
        // The assignment, three `not`s and the name.
        assert_eq!(nesting_depth(&parsed.module), 5);
    }

    #[test]
    fn deep_trees_are_dropped_on_a_small_stack() {
        let source = format!("x = {}y\n", "not ".repeat(200_000));
        // A 1 MiB thread: far too small for the compiler's recursive drop of 200,000 levels.
        std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(move || {
                let parsed = python::parse_module(&source, None);
                assert_eq!(nesting_depth(&parsed.module), 200_002);
                drop_ast(parsed);
            })
            .unwrap()
            .join()
            .unwrap();
    }
}

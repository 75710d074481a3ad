//! SN602 `executor-map-result-ignored`.
//!
//! ## What it does
//! Finds `executor.map(...)` and `pool.imap(...)` / `imap_unordered(...)` whose iterator is
//! thrown away: a statement of its own, or assigned to a local nothing reads. A task that handles
//! its own errors loses little and is left alone, and so are test modules.
//!
//! ## Why is this bad?
//! `Executor.map` submits every task at once and re-raises a task's exception only when its
//! result is read from the iterator; nobody reads it, so the exception is lost. `Pool.imap` is
//! lazy in the same way, and a pool terminated before its tasks run (a `with Pool()` block ends
//! with `terminate()`) never runs them at all.

use super::{code, losable_task, task_label, LosableTask};
use crate::diagnostic::{Confidence, Diagnostic};
use crate::project::{FuncId, Project};
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};
use crate::summary::futures::FutureSource;

pub fn check(project: &Project, files: &SourceFiles, out: &mut Vec<Diagnostic>) {
    for f in 0..project.functions.len() as FuncId {
        // Tests drop results on purpose, to exercise the API.
        if project.is_test_module(project.functions[f as usize].0 as usize) {
            continue;
        }
        let file = project.file_of(f);
        for dropped in &project.function(f).futures().dropped {
            if !dropped.source.is_iterator() {
                continue;
            }
            let Some(LosableTask { targets, exact }) = losable_task(project, &dropped.target)
            else {
                continue;
            };
            let span = Span::new(file, dropped.range);
            let call = code(files, span);
            let task = task_label(project, &dropped.target, &targets);
            let dropped_how = match &dropped.name {
                None => format!("The iterator of `{call}` is dropped"),
                Some(name) => format!("The iterator `{name}` of `{call}` is never read"),
            };
            let (message, help) = match dropped.source {
                FutureSource::Imap => (
                    format!(
                        "{dropped_how}: nothing reads the results, so an exception {task} raises is lost, and a pool terminated before the tasks run (as `with Pool()` does on exit) never runs them"
                    ),
                    "Iterate the results (`for result in pool.imap(...)`), or call `pool.map(...)`, which waits for every task and re-raises the first exception.",
                ),
                _ => (
                    format!(
                        "{dropped_how}: an exception {task} raises is re-raised only when its result is read, so it is lost"
                    ),
                    "Read the results: `for result in executor.map(...)`, or `list(executor.map(...))`; or submit the tasks and iterate `concurrent.futures.as_completed(...)`.",
                ),
            };
            let mut diagnostic = Diagnostic::new(Rule::ExecutorMapResultIgnored, span, message)
                .with_help(help)
                .with_confidence(if exact {
                    Confidence::High
                } else {
                    Confidence::Medium
                });
            if let ([target], true) = (targets.as_slice(), exact) {
                let at = Span::new(project.file_of(*target), project.function(*target).range);
                if at != span {
                    diagnostic = diagnostic.with_related(at, format!("{task} runs as each task"));
                }
            }
            out.push(diagnostic);
        }
    }
}

//! SN601 `future-result-ignored`.
//!
//! ## What it does
//! Finds the futures of submitted tasks that nothing looks at: `executor.submit(...)`,
//! `loop.run_in_executor(...)` not awaited, or `pool.apply_async(...)` without an
//! `error_callback`, as a statement of its own or assigned to a local nothing reads. A task
//! that handles its own errors (a top-level `try` catching every exception without re-raising)
//! or cannot raise loses little and is left alone, and so are test modules.
//!
//! ## Why is this bad?
//! An exception the task raises is stored in its future, and only `result()` (or `await`, or
//! `get()`) raises it again. A future nobody keeps drops it silently: the task failed, and the
//! program goes on as if it had succeeded.

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
            if dropped.source.is_iterator() {
                continue;
            }
            let Some(LosableTask { targets, exact }) = losable_task(project, &dropped.target)
            else {
                continue;
            };
            let span = Span::new(file, dropped.range);
            let call = code(files, span);
            let task = task_label(project, &dropped.target, &targets);
            let (what, kept) = match dropped.source {
                FutureSource::RunInExecutor => ("asyncio future", "`await`"),
                FutureSource::ApplyAsync => ("`AsyncResult`", "`get()`"),
                _ => ("future", "`result()`"),
            };
            let dropped_how = match &dropped.name {
                None => format!("The {what} of `{call}` is dropped"),
                Some(name) => format!("The {what} `{name}` of `{call}` is never used"),
            };
            let message = format!(
                "{dropped_how}: an exception {task} raises is stored in it, and only {kept} would raise it again, so it is lost"
            );
            let help = match dropped.source {
                FutureSource::RunInExecutor => {
                    "`await` the future (or keep it and await it later), or add a done callback that logs `future.exception()`."
                }
                FutureSource::ApplyAsync => {
                    "Keep the result and call `.get()` on it, or pass `error_callback=` to hear about failures."
                }
                _ => {
                    "Keep the future and call `.result()` on it (or iterate `concurrent.futures.as_completed(futures)`), or add a done callback that logs `future.exception()`."
                }
            };
            let mut diagnostic = Diagnostic::new(Rule::FutureResultIgnored, span, message)
                .with_help(help)
                .with_confidence(if exact {
                    Confidence::High
                } else {
                    Confidence::Medium
                });
            if let ([target], true) = (targets.as_slice(), exact) {
                let at = Span::new(project.file_of(*target), project.function(*target).range);
                if at != span {
                    diagnostic = diagnostic.with_related(
                        at,
                        format!("{task} runs as the task; what it raises goes to the future"),
                    );
                }
            }
            out.push(diagnostic);
        }
    }
}

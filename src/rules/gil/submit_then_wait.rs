//! SN403 `submit-then-wait`.
//!
//! ## What it does
//! Finds loops that submit a task to a pool or executor and wait for its result in the same pass:
//! `executor.submit(f, x).result()`, `future = pool.apply_async(f, (x,))` then `future.get()`,
//! `pool.apply(f, (x,))`.
//!
//! ## Why is this bad?
//! Each task is waited for before the next is submitted, so the pool runs one task at a time: the
//! loop is as slow as a plain loop, plus the cost of handing each task to a worker.

use crate::diagnostic::Diagnostic;
use crate::project::Project;
use crate::rules::Rule;
use crate::source::Span;

pub fn check(project: &Project) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for function in super::checked_functions(project) {
        let file = project.file_of(function);
        for wait in project.function(function).work.submit_waits() {
            let mut diagnostic = Diagnostic::new(
                Rule::SubmitThenWait,
                Span::new(file, wait.submit),
                format!(
                    "`{}` in a loop waits for each task before submitting the next: the pool runs them one at a time",
                    wait.spelling
                ),
            )
            .with_help("Submit every task first, then collect the results: `executor.map(...)`, `pool.map(...)`, or a list of futures read with `concurrent.futures.as_completed`.")
            .with_related(Span::new(file, wait.header), "each pass of this loop waits for its task");
            if wait.wait != wait.submit {
                diagnostic =
                    diagnostic.with_related(Span::new(file, wait.wait), "waits for the task here");
            }
            out.push(diagnostic);
        }
    }
    out
}

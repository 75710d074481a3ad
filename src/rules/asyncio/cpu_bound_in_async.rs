//! SN703 `cpu-bound-in-async`.
//!
//! ## What it does
//! Finds pure-Python computation on the event loop: a sync helper a coroutine calls (not awaits)
//! whose reachable work, by the effect inference ([`crate::project::effects`]), is a loop of the
//! project's own code that computes and is not known to be small, with nothing reachable that
//! does I/O, waits, releases the GIL or is unknown (generators aside: calling one runs none of
//! its body); or a coroutine whose own reachable work is that. Test modules are left alone. Opt-in: how long a loop runs depends on data the code does
//! not show.
//!
//! ## Why is this bad?
//! A coroutine runs on the event loop's thread, and the loop runs one thing at a time: while the
//! computation runs, every other task, timer and connection on the loop waits. A thread does not
//! help either: the computation holds the GIL. A process pool runs it beside the loop.

use std::collections::HashSet;

use super::code;
use crate::diagnostic::{Confidence, Diagnostic};
use crate::project::{FuncId, LoopContexts, Project};
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};

const HELP: &str = "Run it in a process pool: `await loop.run_in_executor(process_pool, func, ...)` with a `concurrent.futures.ProcessPoolExecutor` made once; a thread (`asyncio.to_thread`) keeps the loop responsive only between the GIL's switches.";

pub fn check(
    project: &Project,
    files: &SourceFiles,
    contexts: &LoopContexts,
    out: &mut Vec<Diagnostic>,
) {
    for f in 0..project.functions.len() as FuncId {
        if !project.is_coroutine(f)
            || project.is_test_module(project.functions[f as usize].0 as usize)
        {
            continue;
        }
        let function = project.function(f);
        let file = project.file_of(f);
        let name = &function.name;
        let own = project.work(f);
        if let Some(compute) = own.compute.as_ref().filter(|_| own.is_cpu_bound()) {
            let compute_span = project.evidence_span(compute);
            out.push(
                Diagnostic::new(
                    Rule::CpuBoundInAsync,
                    compute_span,
                    format!(
                        "the coroutine `{name}` computes in Python without awaiting anything that waits (this {}): it holds the event loop's thread, and every other task on the loop waits until it finishes",
                        project.evidence_text(compute)
                    ),
                )
                .with_help(HELP)
                .with_confidence(Confidence::Medium),
            );
            continue;
        }
        let mut reported: HashSet<FuncId> = HashSet::new();
        for edge in &project.edges[f as usize] {
            let g = edge.callee;
            // `await helper()` returns an awaitable; a coroutine is looked at by itself; calling
            // a generator runs none of its body (the coroutine's loop over it may await).
            if !contexts.runs_in_caller[g as usize]
                || project.is_coroutine(g)
                || project.function(g).work.generator
                || function.asyncio().awaited_calls.contains(&edge.site)
                || !reported.insert(g)
            {
                continue;
            }
            let work = project.work(g);
            let Some(compute) = work.compute.as_ref().filter(|_| work.is_cpu_bound()) else {
                continue;
            };
            let span = Span::new(file, edge.site);
            let compute_span = project.evidence_span(compute);
            let kind = project.evidence_text(compute);
            let what = if compute.function == g {
                format!("its {kind}")
            } else {
                format!(
                    "the {kind} of `{}`",
                    project.function_label(compute.function)
                )
            };
            out.push(
                Diagnostic::new(
                    Rule::CpuBoundInAsync,
                    span,
                    format!(
                        "`{}` in the coroutine `{name}` runs `{}`, pure-Python computation ({what} at {}): it holds the event loop's thread, and every other task on the loop waits until it returns",
                        code(files, span),
                        project.function_label(g),
                        crate::rules::races::place(files, compute_span)
                    ),
                )
                .with_help(HELP)
                .with_confidence(Confidence::Medium)
                .with_related(compute_span, format!("this {kind} holds the GIL and the loop")),
            );
        }
    }
}

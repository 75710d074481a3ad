//! SN705 `asyncio-run-in-running-loop`.
//!
//! ## What it does
//! Finds `asyncio.run(...)`, `loop.run_until_complete(...)` and `loop.run_forever()` in a
//! coroutine or in the sync helpers a coroutine calls, up to [`MAX_HELPERS`] deep (not through
//! a sync call the coroutine awaits: it returns an awaitable). A call after a check for a
//! running loop (`asyncio.get_running_loop()`, `loop.is_running()`), or in a `try` that handles
//! the `RuntimeError`, is left alone, and so is a project that calls `nest_asyncio.apply()`.
//!
//! ## Why is this bad?
//! A coroutine runs on a thread whose event loop is running, and asyncio runs one loop per
//! thread at a time: `asyncio.run()` raises `RuntimeError: asyncio.run() cannot be called from a
//! running event loop`, and `run_until_complete()` raises `RuntimeError: This event loop is
//! already running` (or `Cannot run the event loop while another loop is running`).

use std::collections::HashSet;

use super::{chain_is_certain, chain_names, code};
use crate::diagnostic::{Confidence, Diagnostic};
use crate::project::{Chain, FuncId, LoopContexts, Project, MAX_HELPERS};
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};
use crate::summary::asyncio::LoopRun;

pub fn check(
    project: &Project,
    files: &SourceFiles,
    contexts: &LoopContexts,
    out: &mut Vec<Diagnostic>,
) {
    let n = project.functions.len() as FuncId;
    if (0..n).any(|f| project.function(f).asyncio().patches_nested_loops) {
        return;
    }
    let first_run = |f: FuncId| {
        project
            .function(f)
            .asyncio()
            .loop_runs
            .iter()
            .position(|run| !run.guarded)
            .map(|i| i as u32)
    };
    let reach = project.sync_reach(&contexts.sync_callers, MAX_HELPERS, first_run);
    for f in 0..n {
        if !project.is_coroutine(f) {
            continue;
        }
        let function = project.function(f);
        let file = project.file_of(f);
        let name = &function.name;
        for run in function.asyncio().loop_runs.iter().filter(|r| !r.guarded) {
            let span = Span::new(file, run.range);
            out.push(
                Diagnostic::new(
                    Rule::AsyncioRunInRunningLoop,
                    span,
                    format!(
                        "`{}` runs in the coroutine `{name}`, on a thread whose event loop is already running: {}",
                        code(files, span),
                        error(run)
                    ),
                )
                .with_help(HELP),
            );
        }
        let mut reported: HashSet<Span> = HashSet::new();
        for (e, edge) in project.edges[f as usize].iter().enumerate() {
            let g = edge.callee;
            // `await helper()`: the helper returns an awaitable, it is asyncio-aware.
            if !contexts.runs_in_caller[g as usize]
                || function.asyncio().awaited_calls.contains(&edge.site)
            {
                continue;
            }
            let Some(Chain {
                calls: chain,
                function: h,
                site: i,
            }) = project.reach_chain(&reach, g)
            else {
                continue;
            };
            let span = Span::new(file, edge.site);
            if !reported.insert(span) {
                continue;
            }
            let run = &project.function(h).asyncio().loop_runs[i as usize];
            let run_span = Span::new(project.file_of(h), run.range);
            let mut full_chain = vec![(f, e)];
            full_chain.extend(chain.iter().copied());
            let through = chain_names(project, &full_chain, h);
            out.push(
                Diagnostic::new(
                    Rule::AsyncioRunInRunningLoop,
                    span,
                    format!(
                        "`{}` in the coroutine `{name}` reaches `{}` through helper {through}, on a thread whose event loop is already running: {}",
                        code(files, span),
                        code(files, run_span),
                        error(run)
                    ),
                )
                .with_help(HELP)
                .with_confidence(if chain_is_certain(project, &full_chain) {
                    Confidence::High
                } else {
                    Confidence::Medium
                })
                .with_related(
                    run_span,
                    format!("`{}` runs an event loop here", project.function_label(h)),
                ),
            );
        }
    }
}

const HELP: &str = "`await` the coroutine instead. Sync code that may be called from a coroutine can check `asyncio.get_running_loop()` first, or run the loop on a thread of its own.";

fn error(run: &LoopRun) -> &'static str {
    match run.name.as_str() {
        "asyncio.run" => {
            "it raises `RuntimeError: asyncio.run() cannot be called from a running event loop`"
        }
        _ => "it raises `RuntimeError` (this event loop is already running, or another loop is running on this thread)",
    }
}

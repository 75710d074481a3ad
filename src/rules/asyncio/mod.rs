//! SN7xx: asyncio and threads.
//!
//! SN701, SN702, SN703 and SN705 run on the linked project model with the event-loop contexts of
//! [`crate::project::event_loop`]: which functions run on a loop (coroutines and the sync code
//! they call), which on a plain thread, and what each reaches through sync helpers. SN704 looks
//! at one coroutine's code and runs in the per-file AST walk ([`on_stmt`], [`on_function_def`]).

use crate::checker::Checker;
use crate::diagnostic::{Diagnostic, Related};
use crate::project::{FuncId, Project, RootKind, ThreadStart};
use crate::python::ast::{self, Stmt};
use crate::rules::races::place;
use crate::rules::{Rule, RuleSet};
use crate::source::{SourceFiles, Span};

mod asyncio_run_in_running_loop;
mod blocking_call_in_async;
mod cpu_bound_in_async;
mod loop_call_from_thread;
mod thread_lock_across_await;

pub use crate::rules::futures::code;

/// Every project-level SN7xx finding.
pub fn check(project: &Project, files: &SourceFiles, rules: RuleSet) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let wanted = [
        Rule::LoopCallFromThread,
        Rule::BlockingCallInAsync,
        Rule::CpuBoundInAsync,
        Rule::AsyncioRunInRunningLoop,
    ];
    if !wanted.iter().any(|rule| rules.contains(*rule)) {
        return out;
    }
    let contexts = project.loop_contexts();
    if rules.contains(Rule::LoopCallFromThread) {
        loop_call_from_thread::check(project, files, &contexts, &mut out);
    }
    if rules.contains(Rule::BlockingCallInAsync) {
        blocking_call_in_async::check(project, files, &contexts, &mut out);
    }
    if rules.contains(Rule::CpuBoundInAsync) {
        cpu_bound_in_async::check(project, files, &contexts, &mut out);
    }
    if rules.contains(Rule::AsyncioRunInRunningLoop) {
        asyncio_run_in_running_loop::check(project, files, &contexts, &mut out);
    }
    out
}

/// At every statement other than class and function definitions.
pub fn on_stmt(checker: &mut Checker, stmt: &Stmt) {
    if let Stmt::With(with) = stmt {
        thread_lock_across_await::check_with(checker, with);
    }
}

/// At every function definition, before its body is walked.
pub fn on_function_def(checker: &mut Checker, def: &ast::StmtFunctionDef) {
    thread_lock_across_await::check_acquires(checker, def);
}

/// "the executor task started at app.py:40" for the plain thread a function runs on, and where
/// it starts.
pub fn describe_start(
    project: &Project,
    files: &SourceFiles,
    start: ThreadStart,
) -> (String, Related) {
    match start {
        ThreadStart::Root(r) => {
            let root = &project.roots[r as usize];
            let what = match &root.kind {
                RootKind::Spawn(kind) => kind.describe().to_string(),
                _ => {
                    let run = project.function(root.entry);
                    let class = run.class.as_deref().unwrap_or("");
                    format!("`{}` thread", class.rsplit('.').next().unwrap_or(class))
                }
            };
            let site = root.site.unwrap_or_else(|| {
                Span::new(
                    project.file_of(root.entry),
                    project.function(root.entry).range,
                )
            });
            (
                format!("the {what} started at {}", place(files, site)),
                Related {
                    span: site,
                    message: format!("the {what} starts here"),
                },
            )
        }
        ThreadStart::FutureCallback { function, index } => {
            let callback = &project.function(function).asyncio().future_callbacks[index as usize];
            let site = Span::new(project.file_of(function), callback.range);
            (
                format!(
                    "a callback of a `concurrent.futures` future (added at {}), which runs on the thread that completes the future",
                    place(files, site)
                ),
                Related {
                    span: site,
                    message: "added as a future callback here: it runs on the thread that completes the future".to_string(),
                },
            )
        }
    }
}

/// The path of calls from where a plain thread starts down to `function`, for SARIF code flows.
pub fn thread_flow(
    project: &Project,
    contexts: &crate::project::LoopContexts,
    start: Related,
    function: FuncId,
) -> Vec<Related> {
    let mut path = Vec::new();
    let mut current = function;
    let mut seen = vec![current];
    while let Some(Some((caller, site))) = contexts.off_loop[current as usize].map(|o| o.pred) {
        if seen.contains(&caller) || path.len() > 32 {
            break;
        }
        path.push(Related {
            span: Span::new(project.file_of(caller), site),
            message: format!("`{}` calls", project.function_label(caller)),
        });
        seen.push(caller);
        current = caller;
    }
    path.reverse();
    std::iter::once(Related {
        span: start.span,
        message: "the thread starts here".to_string(),
    })
    .chain(path)
    .collect()
}

/// "`retry` → `backoff`" for a chain of calls.
pub fn chain_names(project: &Project, chain: &[(FuncId, usize)], last: FuncId) -> String {
    chain
        .iter()
        .skip(1)
        .map(|&(f, _)| f)
        .chain(std::iter::once(last))
        .map(|f| format!("`{}`", project.function_label(f)))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// Whether every call of the chain has one callee (no virtual dispatch or alternatives).
pub fn chain_is_certain(project: &Project, chain: &[(FuncId, usize)]) -> bool {
    chain.iter().all(|&(f, e)| {
        let call = project.edges[f as usize][e].call;
        project.edges[f as usize]
            .iter()
            .filter(|edge| edge.call == call)
            .count()
            == 1
    })
}

//! SN701 `loop-call-from-thread`.
//!
//! ## What it does
//! Finds code running on a plain thread — a thread target, a pool or executor task,
//! `run_in_executor`, `asyncio.to_thread`, a callback of a `concurrent.futures` future, and the
//! sync code they call — that calls what only an event loop's own thread may call:
//! `loop.call_soon` / `call_later` / `call_at` / `create_task` / `stop`,
//! `asyncio.create_task` / `ensure_future`, `set_result` / `set_exception` / `cancel` on an
//! asyncio future, `put_nowait` on an asyncio queue, `set` on an asyncio event. A call into
//! sync code of the loop's side (code coroutines call) that makes such a call is reported where
//! the thread calls it. A thread that makes or runs a loop of its own, and objects the function
//! made for its own thread, are left alone.
//!
//! ## Why is this bad?
//! asyncio objects are not thread-safe. A callback scheduled from another thread does not wake
//! the loop (it may run late, or never, while the loop sleeps in `select`), a future completed
//! from another thread runs its callbacks on the wrong thread, and concurrent changes can
//! corrupt the loop's queues. On a thread with no running loop, `asyncio.create_task` raises
//! `RuntimeError`.

use std::collections::HashSet;

use super::{chain_is_certain, chain_names, code, describe_start, thread_flow};
use crate::diagnostic::{Confidence, Diagnostic};
use crate::project::{Chain, FuncId, LoopContexts, Project, MAX_HELPERS};
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};
use crate::summary::asyncio::{AsyncObject, LoopCall};

pub fn check(
    project: &Project,
    files: &SourceFiles,
    contexts: &LoopContexts,
    out: &mut Vec<Diagnostic>,
) {
    let foreign = |f: FuncId| {
        project
            .function(f)
            .asyncio()
            .loop_calls
            .iter()
            .position(|c| !c.own)
            .map(|i| i as u32)
    };
    let reach = project.sync_reach(&contexts.sync_callers, MAX_HELPERS, foreign);
    let mut reported: HashSet<Span> = HashSet::new();
    for f in 0..project.functions.len() as FuncId {
        let Some(off) = contexts.off_loop[f as usize] else {
            continue;
        };
        let file = project.file_of(f);
        let (thread, start) = describe_start(project, files, off.start);
        let flow = thread_flow(project, contexts, start.clone(), f);
        for call in project
            .function(f)
            .asyncio()
            .loop_calls
            .iter()
            .filter(|c| !c.own)
        {
            let span = Span::new(file, call.range);
            if !reported.insert(span) {
                continue;
            }
            let text = code(files, span);
            let mut diagnostic = Diagnostic::new(
                Rule::LoopCallFromThread,
                span,
                format!(
                    "`{text}` runs on {thread}, not on the event loop's thread: {}",
                    consequence(call)
                ),
            )
            .with_help(help(call, &text));
            diagnostic.related.push(start.clone());
            diagnostic.flow = flow.clone();
            out.push(diagnostic);
        }
        // Crossing into the loop's side: a call of sync code coroutines call, which reaches one.
        for edge in &project.edges[f as usize] {
            let g = edge.callee;
            if !contexts.on_loop[g as usize] || !contexts.runs_in_caller[g as usize] {
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
            let call = &project.function(h).asyncio().loop_calls[i as usize];
            let api_span = Span::new(project.file_of(h), call.range);
            let api = code(files, api_span);
            let mut full_chain = vec![(f, 0usize)];
            full_chain.extend(chain.iter().copied());
            let through = chain_names(project, &full_chain, h);
            let mut diagnostic = Diagnostic::new(
                Rule::LoopCallFromThread,
                span,
                format!(
                    "`{}` runs on {thread} and reaches `{api}` through {through}, code the event loop runs too: {}",
                    code(files, span),
                    consequence(call)
                ),
            )
            .with_help(format!(
                "Hand the call to the loop's thread: `loop.call_soon_threadsafe(...)` with the function and its arguments (or `asyncio.run_coroutine_threadsafe(coro, loop)` for a coroutine); `{}` itself is meant for the loop.",
                project.function_label(g)
            ))
            .with_confidence(if chain_is_certain(project, &chain) {
                Confidence::High
            } else {
                Confidence::Medium
            });
            diagnostic.related.push(start.clone());
            diagnostic = diagnostic.with_related(
                api_span,
                format!("`{}` calls `{api}` here", project.function_label(h)),
            );
            diagnostic.flow = flow.clone();
            out.push(diagnostic);
        }
    }
}

/// What goes wrong, for the object and method called.
fn consequence(call: &LoopCall) -> String {
    match (call.object, call.method.as_str()) {
        (AsyncObject::Module, _) => {
            "no event loop runs on this thread: it raises RuntimeError (or attaches the task to a loop that never runs it)".to_string()
        }
        (AsyncObject::Loop, "call_soon" | "call_later" | "call_at" | "create_task") => {
            "the event loop is not thread-safe: the loop is not woken up, so the callback may run late or never, and the loop's state can be corrupted".to_string()
        }
        (AsyncObject::Loop, _) => {
            "the event loop is not thread-safe: the loop is not woken up, and its state can be corrupted".to_string()
        }
        (object, _) => format!(
            "{} is not thread-safe: its waiters are woken through the loop from the wrong thread, so they may hang, and the loop's state can be corrupted",
            object.describe()
        ),
    }
}

fn help(call: &LoopCall, text: &str) -> String {
    match (call.object, call.method.as_str()) {
        (AsyncObject::Module, _) => {
            "Use `asyncio.run_coroutine_threadsafe(coro, loop)` with the loop the coroutine should run on.".to_string()
        }
        (AsyncObject::Loop, "call_soon") => {
            "Use `loop.call_soon_threadsafe(callback, *args)`.".to_string()
        }
        (AsyncObject::Loop, "create_task") => {
            "Use `asyncio.run_coroutine_threadsafe(coro, loop)`: it schedules the coroutine from any thread and returns a `concurrent.futures` future.".to_string()
        }
        (AsyncObject::Loop, "call_later" | "call_at") => {
            "Schedule it from the loop's thread: `loop.call_soon_threadsafe(loop.call_later, delay, callback)`.".to_string()
        }
        (AsyncObject::Loop, "stop") => "Use `loop.call_soon_threadsafe(loop.stop)`.".to_string(),
        _ => {
            let callee = text.split('(').next().unwrap_or(text);
            format!("Hand the call to the loop's thread: `loop.call_soon_threadsafe({callee}, ...)`.")
        }
    }
}

//! SN702 `blocking-call-in-async`.
//!
//! ## What it does
//! Finds blocking calls made by a coroutine: `time.sleep`, sync HTTP and sockets,
//! `subprocess.run`, `Lock.acquire`, `Future.result`, `Thread.join`, `Queue.get` and the rest of
//! the shared catalogue of blocking calls ([`crate::catalogue`]; file I/O aside), in an
//! `async def` itself or in the sync helpers it calls, up to [`MAX_HELPERS`] deep ("through
//! helper X"). Work handed to a thread (`asyncio.to_thread`, `run_in_executor`, a decorator that
//! submits the function) is not a call; a sync call the coroutine awaits returns an awaitable and
//! is asyncio-aware; arguments that make a call return at once (`acquire(False)`, `timeout=0`,
//! `WNOHANG`), `put` on a queue, a lock just made, sockets in a project that makes them
//! non-blocking, and calls under a lazy-initialization test (run once) do not count. Test
//! modules are left alone.
//!
//! ## Why is this bad?
//! A coroutine runs on the event loop's thread. While it blocks, the loop runs nothing else:
//! every other task, timer and connection on the loop waits, for as long as the call takes.

use std::collections::HashSet;

use super::{chain_is_certain, chain_names, code};
use crate::catalogue::Blocking;
use crate::diagnostic::{Confidence, Diagnostic};
use crate::project::{Chain, FuncId, LoopContexts, Project, MAX_HELPERS};
use crate::python::TextRange;
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};
use crate::summary::asyncio::BlockingCall;

pub fn check(
    project: &Project,
    files: &SourceFiles,
    contexts: &LoopContexts,
    out: &mut Vec<Diagnostic>,
) {
    // A project that makes its sockets non-blocking uses them from its event loop.
    let nonblocking_sockets = (0..project.functions.len() as FuncId)
        .any(|f| project.function(f).asyncio().sets_nonblocking);
    let counts = |call: &BlockingCall| {
        // `put` blocks only on a full bounded queue; a lock the function just made is free.
        call.kind != Blocking::QueuePut
            && !(call.kind == Blocking::LockAcquire && call.on_own_object)
            && !(nonblocking_sockets
                && call.name.starts_with("socket.")
                && call.name != "socket.getaddrinfo"
                && !call.on_own_object)
    };
    // Code under a lazy-initialization test runs once (starting a server, a thread): a
    // one-time wait, not one on every call.
    let every_time =
        |f: FuncId, site: TextRange| !project.function(f).asyncio().once_calls.contains(&site);
    let first = |f: FuncId| {
        project
            .function(f)
            .asyncio()
            .blocking
            .iter()
            .position(|call| counts(call) && every_time(f, call.range))
            .map(|i| i as u32)
    };
    let callers: Vec<Vec<(FuncId, usize)>> = contexts
        .sync_callers
        .iter()
        .map(|callers| {
            callers
                .iter()
                .copied()
                .filter(|&(f, e)| every_time(f, project.edges[f as usize][e].site))
                .collect()
        })
        .collect();
    let reach = project.sync_reach(&callers, MAX_HELPERS, first);
    for f in 0..project.functions.len() as FuncId {
        if !project.is_coroutine(f)
            || project.is_test_module(project.functions[f as usize].0 as usize)
        {
            continue;
        }
        let function = project.function(f);
        let file = project.file_of(f);
        let name = &function.name;
        for call in function
            .asyncio()
            .blocking
            .iter()
            .filter(|c| counts(c) && every_time(f, c.range))
        {
            let span = Span::new(file, call.range);
            let text = code(files, span);
            out.push(
                Diagnostic::new(
                    Rule::BlockingCallInAsync,
                    span,
                    format!(
                        "`{text}` {} in the coroutine `{name}`: it blocks the event loop's thread, and every other task on the loop waits until it returns",
                        call.kind.describe()
                    ),
                )
                .with_help(help(call.kind)),
            );
        }
        let mut reported: HashSet<Span> = HashSet::new();
        for (e, edge) in project.edges[f as usize].iter().enumerate() {
            let g = edge.callee;
            // `await helper()`: the helper returns an awaitable, it is asyncio-aware.
            if !contexts.runs_in_caller[g as usize]
                || function.asyncio().awaited_calls.contains(&edge.site)
                || !every_time(f, edge.site)
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
            let blocking = &project.function(h).asyncio().blocking[i as usize];
            let blocking_span = Span::new(project.file_of(h), blocking.range);
            let blocking_text = code(files, blocking_span);
            let mut full_chain = vec![(f, e)];
            full_chain.extend(chain.iter().copied());
            let helper = project.function_label(g);
            let through = chain_names(project, &full_chain, h);
            // Past two helpers the path goes through more conditions than the message shows.
            let certain = chain_is_certain(project, &full_chain) && chain.len() <= 1;
            let mut diagnostic = Diagnostic::new(
                Rule::BlockingCallInAsync,
                span,
                format!(
                    "`{}` in the coroutine `{name}` reaches `{blocking_text}`, which {}, through helper {through}: it blocks the event loop's thread, and every other task on the loop waits until it returns",
                    code(files, span),
                    blocking.kind.describe()
                ),
            )
            .with_help(format!(
                "Run the helper off the loop: `await asyncio.to_thread({helper}, ...)` (or `loop.run_in_executor`); or make it a coroutine that awaits the asyncio equivalent. {}",
                help(blocking.kind)
            ))
            .with_confidence(if certain {
                Confidence::High
            } else {
                Confidence::Medium
            })
            .with_related(
                blocking_span,
                format!(
                    "`{}` {} here",
                    project.function_label(h),
                    blocking.kind.describe()
                ),
            );
            if let Some(&(first, e)) = chain.first() {
                let hop = &project.edges[first as usize][e];
                diagnostic = diagnostic.with_related(
                    Span::new(project.file_of(first), hop.site),
                    format!(
                        "`{}` calls `{}`",
                        project.function_label(first),
                        project.function_label(hop.callee)
                    ),
                );
            }
            out.push(diagnostic);
        }
    }
}

/// The asyncio way to do what a blocking call of `kind` does.
fn help(kind: Blocking) -> &'static str {
    match kind {
        Blocking::Sleep => "Use `await asyncio.sleep(...)`.",
        Blocking::Network => {
            "Use an asyncio client (`aiohttp`, `httpx.AsyncClient`, `asyncio.open_connection`), or `await asyncio.to_thread(...)`."
        }
        Blocking::Subprocess => {
            "Use `await asyncio.create_subprocess_exec(...)` and `await proc.wait()`, or `await asyncio.to_thread(...)`."
        }
        Blocking::ThreadJoin | Blocking::ProcessJoin => {
            "Wait without blocking the loop: `await asyncio.to_thread(t.join)`."
        }
        Blocking::FutureResult => {
            "Await it instead: `await asyncio.wrap_future(future)` for a `concurrent.futures` future."
        }
        Blocking::QueueGet | Blocking::QueuePut => {
            "Use an `asyncio.Queue` between coroutines, or `await asyncio.to_thread(q.get)` for a thread's queue."
        }
        Blocking::Wait => {
            "Use the asyncio primitive (`asyncio.Event`, `asyncio.Condition`), or `await asyncio.to_thread(...)`."
        }
        Blocking::LockAcquire => {
            "Use an `asyncio.Lock` (`async with lock:`), or `await asyncio.to_thread(lock.acquire)` for a lock shared with threads."
        }
        Blocking::File => "Use `await asyncio.to_thread(...)` for the file I/O.",
    }
}

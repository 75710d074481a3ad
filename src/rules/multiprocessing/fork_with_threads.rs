//! SN509 `fork-with-threads`.
//!
//! ## What it does
//! Finds a fork — `os.fork()`, or processes started with the `fork` start method (chosen with
//! `get_context("fork")` or `set_start_method("fork")`, or the default on Linux before Python
//! 3.14) — made while a thread the program started may be running: between the thread's start
//! and its join, or on a thread itself.
//!
//! ## Why is this bad?
//! `fork()` copies only the calling thread. Every lock another thread held at that moment (the
//! logging module's, an allocator's, the program's own) stays held in the child, by a thread
//! that does not exist there: the child deadlocks the first time it takes one. CPython 3.12+
//! warns about forking a multi-threaded process for this reason.

use super::Model;
use crate::diagnostic::{Confidence, Diagnostic};
use crate::project::{FuncId, RootId, Thread};
use crate::rules::Rule;
use crate::source::Span;
use crate::summary::processes::Maker;

pub fn check(model: &Model) -> Vec<Diagnostic> {
    let project = model.project;
    let mut out = Vec::new();
    for f in 0..project.functions.len() as FuncId {
        let starts = &project.function(f).processes().starts;
        if starts.is_empty() {
            continue;
        }
        let file = project.file_of(f);
        for start in starts {
            // An executor starts its workers by itself, from a thread of its own.
            if start.maker == Maker::ExecutorTask || start.class.is_some() {
                continue;
            }
            let Some((how, explicit)) = model.methods.forks(file, start.method) else {
                continue;
            };
            let at = start.range.start().to_u32();
            let started_thread = |g: RootId| {
                let root = &project.roots[g as usize];
                root.is_explicit() && !root.process
            };
            let beside: Option<RootId> = project.beside_at(f, at).find(|&g| started_thread(g));
            let on_thread: Option<RootId> =
                project.contexts[f as usize]
                    .threads
                    .iter()
                    .find_map(|t| match t {
                        Thread::Root(g) if started_thread(*g) => Some(*g),
                        _ => None,
                    });
            let (group, on) = match (beside, on_thread) {
                (Some(g), _) => (g, false),
                (None, Some(g)) => (g, true),
                (None, None) => continue,
            };
            let root = &project.roots[group as usize];
            let thread_site = root.site;
            let thread = thread_site
                .map(|s| format!("the thread started at {}", model.place(s)))
                .unwrap_or_else(|| "a thread the program starts".to_string());
            let what = match start.maker {
                Maker::Fork => "`os.fork()` runs".to_string(),
                Maker::Pool => format!("the pool's workers are forked ({how})"),
                Maker::Manager => format!("the manager's process is forked ({how})"),
                _ => format!("the process is forked ({how})"),
            };
            let when = if on {
                format!("on {thread}, while the main thread runs")
            } else {
                format!("while {thread} may be running")
            };
            let mut diagnostic = Diagnostic::new(
                Rule::ForkWithThreads,
                Span::new(file, start.range),
                format!(
                    "Here {what} {when}: the child inherits every lock the other thread holds at that moment, held by a thread that does not exist in the child, and deadlocks when it takes one"
                ),
            )
            .with_help("Start processes before starting threads (or after joining them), or use the `spawn` or `forkserver` start method (`multiprocessing.get_context(\"forkserver\")`).")
            .with_confidence(if explicit || start.maker == Maker::Fork {
                Confidence::High
            } else {
                Confidence::Medium
            });
            if let Some(site) = thread_site {
                diagnostic = diagnostic.with_related(site, "the thread starts here");
            }
            if let Some((_, span)) = model.methods.chosen(file) {
                if start.method.is_none() {
                    diagnostic = diagnostic.with_related(span, "the program chooses `fork` here");
                }
            }
            out.push(diagnostic);
        }
    }
    out
}

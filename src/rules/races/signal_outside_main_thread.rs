//! SN109 `signal-outside-main-thread`.
//!
//! ## What it does
//! Finds `signal.signal(...)` calls reachable from code that runs on a thread the program starts,
//! outside a `try` that handles the `ValueError`.
//!
//! ## Why is this bad?
//! Python only lets the main thread install signal handlers: anywhere else `signal.signal` raises
//! `ValueError: signal only works in main thread of the main interpreter`.

use super::{describe_threads, flow};
use crate::diagnostic::Diagnostic;
use crate::project::{FuncId, Project, Thread};
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};

pub fn check(project: &Project, files: &SourceFiles) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for function in 0..project.functions.len() as FuncId {
        let summary = project.function(function);
        for &range in &summary.signal_calls {
            let mut threads = project.access_threads(function, range, false);
            // The code beside a thread runs on the thread that started it (often the main one).
            threads.threads.retain(
                |t| matches!(t, Thread::Root(g) if project.roots[*g as usize].is_explicit()),
            );
            if threads.threads.is_empty() {
                continue;
            }
            let described = describe_threads(project, files, &threads);
            let mut diagnostic = Diagnostic::new(
                Rule::SignalOutsideMainThread,
                Span::new(project.file_of(function), range),
                format!(
                    "`signal.signal()` runs on {}, not the main thread: it raises ValueError there",
                    described.text
                ),
            )
            .with_help("Install signal handlers in the main thread before starting threads, and let the handler talk to the threads through a `threading.Event` or a queue.");
            diagnostic.related = described.related;
            diagnostic.flow = flow(project, function, &threads);
            out.push(diagnostic);
        }
    }
    out
}

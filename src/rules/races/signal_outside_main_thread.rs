//! SN109 `signal-outside-main-thread`.
//!
//! ## What it does
//! Finds `signal.signal(...)` calls reachable from code that runs on a thread the program starts.
//!
//! ## Why is this bad?
//! Python only lets the main thread install signal handlers: anywhere else `signal.signal` raises
//! `ValueError: signal only works in main thread of the main interpreter`.

use super::{describe_threads, flow};
use crate::diagnostic::Diagnostic;
use crate::project::{FuncId, Project};
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};

pub fn check(project: &Project, files: &SourceFiles) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for function in 0..project.functions.len() as FuncId {
        let ctx = &project.contexts[function as usize];
        let explicit = ctx
            .roots
            .iter()
            .any(|&r| project.roots[r as usize].is_explicit());
        if !explicit {
            continue;
        }
        let summary = project.function(function);
        for &range in &summary.signal_calls {
            let (threads, related, _) = describe_threads(project, files, function);
            let mut diagnostic = Diagnostic::new(
                Rule::SignalOutsideMainThread,
                Span::new(project.file_of(function), range),
                format!(
                    "`signal.signal()` runs on {threads}, not the main thread: it raises ValueError there"
                ),
            )
            .with_help("Install signal handlers in the main thread before starting threads, and let the handler talk to the threads through a `threading.Event` or a queue.");
            diagnostic.related = related;
            diagnostic.flow = flow(project, function);
            out.push(diagnostic);
        }
    }
    out
}

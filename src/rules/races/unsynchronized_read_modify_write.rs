//! SN201 `unsynchronized-read-modify-write`.
//!
//! ## What it does
//! Finds `x += 1`, `x = x + 1`, `d[k] = d.get(k, 0) + 1`, `self.n += len(data)` on shared state
//! in code that runs on several threads at once, with no lock common to the conflicting updates.
//!
//! ## Why is this bad?
//! The read, the computation and the write are separate bytecodes: a thread switch between them
//! (the GIL allows one every few milliseconds, and free-threaded Python at any time) makes two
//! threads read the same old value and one update is lost.

use std::collections::HashSet;

use super::{confidence, describe_threads, flow, may_run_in_parallel, SharedAccess};
use crate::diagnostic::Diagnostic;
use crate::project::Project;
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};
use crate::summary::{AccessKind, Loc};

pub fn check(
    project: &Project,
    files: &SourceFiles,
    loc: &Loc,
    accesses: &[SharedAccess],
    reported: &mut HashSet<Span>,
    out: &mut Vec<Diagnostic>,
) {
    let any_locked = accesses.iter().any(|a| !a.lockset.is_empty());
    for (i, a) in accesses.iter().enumerate() {
        if !matches!(
            a.access.kind,
            AccessKind::ReadModifyWrite | AccessKind::ContentReadModifyWrite
        ) {
            continue;
        }
        // The finding belongs to the update that holds no lock; a guarded update racing with it
        // is related, not reported.
        if !a.lockset.is_empty() {
            continue;
        }
        let races_itself = may_run_in_parallel(project, a, a);
        let partner = accesses.iter().enumerate().find(|(j, b)| {
            *j != i
                && b.access.kind.is_write()
                && b.span != a.span
                && may_run_in_parallel(project, a, b)
                && !a.shares_lock_with(b)
        });
        if !races_itself && partner.is_none() {
            continue;
        }
        if !reported.insert(a.span) {
            continue;
        }
        let (threads, mut related, explicit) = describe_threads(project, files, a.function);
        let text = files
            .get(a.span.file)
            .slice(a.span.range)
            .trim()
            .to_string();
        let what = if a.access.kind == AccessKind::ContentReadModifyWrite {
            format!("an element of `{}`", loc.display())
        } else {
            format!("`{}`", loc.display())
        };
        let mut diagnostic = Diagnostic::new(
            Rule::UnsynchronizedReadModifyWrite,
            a.span,
            format!(
                "{what} is read, changed and written back without a lock by {threads}: concurrent updates are lost"
            ),
        )
        .with_help(format!(
            "Hold one lock around every update of `{}` (e.g. `with self._lock:`), or let each thread keep its own result and merge them after `join()`, or send the updates through a `queue.Queue`.",
            loc.display()
        ))
        .with_confidence(confidence(explicit, any_locked));
        if let Some((_, b)) = partner {
            related.insert(
                0,
                crate::diagnostic::Related {
                    span: b.span,
                    message: format!("`{}` is also written here", loc.display()),
                },
            );
        }
        if !text.is_empty() {
            diagnostic
                .message
                .push_str(&format!(" (`{}`)", shorten(&text)));
        }
        diagnostic.related = related;
        diagnostic.flow = flow(project, a.function);
        out.push(diagnostic);
    }
}

/// The first line of `text`, at most 60 characters.
pub fn shorten(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() > 60 {
        let cut: String = line.chars().take(57).collect();
        format!("{cut}...")
    } else {
        line.to_string()
    }
}

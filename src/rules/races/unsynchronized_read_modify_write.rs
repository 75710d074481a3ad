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

use super::{
    confidence, describe_threads, flow, may_run_in_parallel, place, shorten, SharedAccess,
};
use crate::diagnostic::{Diagnostic, Related};
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
    for a in accesses {
        if !matches!(
            a.access.kind,
            AccessKind::ReadModifyWrite | AccessKind::ContentReadModifyWrite
        ) || a.atomic
        {
            continue;
        }
        // The finding belongs to the update that holds no lock; a guarded update racing with it
        // is related, not reported.
        if !a.lockset.is_empty() {
            continue;
        }
        let races_itself = may_run_in_parallel(project, a, a);
        let partner = accesses.iter().find(|b| {
            b.access.kind.is_write()
                && b.span != a.span
                && !b.atomic
                && !a.shares_lock_with(b)
                && may_run_in_parallel(project, a, b)
        });
        if !races_itself && partner.is_none() {
            continue;
        }
        if !reported.insert(a.span) {
            continue;
        }
        let threads = describe_threads(project, files, &a.threads);
        let text = shorten(files.get(a.span.file).slice(a.span.range));
        let what = if a.access.kind == AccessKind::ContentReadModifyWrite {
            format!("an element of `{}`", loc.display())
        } else {
            format!("`{}`", loc.display())
        };
        let mut message = format!(
            "{what} is read, changed and written back without a lock (`{text}`) by {}",
            threads.text
        );
        let mut related = Vec::new();
        match partner {
            Some(b) if !races_itself => {
                let other = describe_threads(project, files, &b.threads);
                message.push_str(&format!(
                    ", racing with the write at {} by {}: one update can overwrite the other",
                    place(files, b.span),
                    other.text
                ));
                related.push(Related {
                    span: b.span,
                    message: format!("`{}` is also written here", loc.display()),
                });
                related.extend(other.related);
            }
            Some(b) => {
                message
                    .push_str(": two threads can read the same old value and one update is lost");
                related.push(Related {
                    span: b.span,
                    message: format!("`{}` is also written here", loc.display()),
                });
            }
            None => {
                message.push_str(": two threads can read the same old value and one update is lost")
            }
        }
        related.extend(threads.related);
        related.dedup_by(|x, y| x.span == y.span);
        let mut diagnostic = Diagnostic::new(Rule::UnsynchronizedReadModifyWrite, a.span, message)
            .with_help(format!(
                "Hold one lock around every update of `{}` (e.g. `with self._lock:`), or let each thread keep its own result and merge them after `join()`, or send the updates through a `queue.Queue`.",
                loc.display()
            ))
            .with_confidence(confidence(threads.explicit, any_locked));
        diagnostic.related = related;
        diagnostic.flow = flow(project, a.function, &a.threads);
        out.push(diagnostic);
    }
}

//! SN204 `iteration-during-mutation`.
//!
//! ## What it does
//! Finds a shared dict, set or list iterated (`for`, a comprehension, `list(d)`, `sorted(d)`,
//! `d.items()`) by code that runs while another thread may add or remove elements, with no lock
//! common to both.
//!
//! ## Why is this bad?
//! CPython raises `RuntimeError: dictionary changed size during iteration` (or `Set changed size
//! during iteration`) when another thread changes the container mid-loop; lists silently skip or
//! repeat elements.

use std::collections::HashSet;

use super::{confidence, describe_threads, flow, may_run_in_parallel, SharedAccess};
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
    for iteration in accesses
        .iter()
        .filter(|a| a.access.kind == AccessKind::Iterate)
    {
        // A guarded loop racing with an unguarded change: the change is the bug (SN203 reports
        // it), not the loop.
        let mutation = accesses.iter().find(|m| {
            // `d[k] = d.get(k, 0) + 1` inserts new keys too.
            matches!(
                m.access.kind,
                AccessKind::Mutate | AccessKind::ContentReadModifyWrite
            ) && may_run_in_parallel(project, iteration, m)
                && !iteration.shares_lock_with(m)
                && (iteration.lockset.is_empty() || !m.lockset.is_empty())
        });
        let Some(mutation) = mutation else {
            continue;
        };
        if !reported.insert(iteration.span) {
            continue;
        }
        let (threads, related, explicit) = describe_threads(project, files, mutation.function);
        let place = super::place(files, mutation.span);
        let mut diagnostic = Diagnostic::new(
            Rule::IterationDuringMutation,
            iteration.span,
            format!(
                "`{}` is iterated here while {threads} may change its size (at {place}) without a common lock: the loop can fail with \"changed size during iteration\"",
                loc.display()
            ),
        )
        .with_help(format!(
            "Iterate over a snapshot taken under the lock that guards `{0}` (`with lock: items = list({0})`), or hold that lock around both the loop and every change.",
            loc.display()
        ))
        .with_confidence(confidence(explicit, any_locked));
        diagnostic.related.push(Related {
            span: mutation.span,
            message: format!("`{}` is changed here", loc.display()),
        });
        diagnostic.related.extend(related);
        diagnostic.flow = flow(project, iteration.function);
        out.push(diagnostic);
    }
}

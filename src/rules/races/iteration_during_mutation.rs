//! SN204 `iteration-during-mutation`.
//!
//! ## What it does
//! Finds a shared dict, set, deque or list iterated (`for`, a comprehension, `sum(d)`,
//! `d.items()`) by code that runs while another thread may add or remove elements, with no lock
//! common to both.
//!
//! ## Why is this bad?
//! CPython raises `RuntimeError: dictionary changed size during iteration` (or `Set changed size
//! during iteration`, `deque mutated during iteration`) when another thread changes the container
//! mid-loop. A list does not raise: the loop silently skips or repeats elements when another
//! thread removes or inserts before its position (appending at the end only makes it see more).

use std::collections::HashSet;

use super::{confidence, describe_threads, flow, may_run_in_parallel, place, SharedAccess};
use crate::diagnostic::{Diagnostic, Related};
use crate::project::Project;
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};
use crate::summary::{AccessKind, ContainerKind, Loc};

pub fn check(
    project: &Project,
    files: &SourceFiles,
    loc: &Loc,
    accesses: &[SharedAccess],
    reported: &mut HashSet<Span>,
    out: &mut Vec<Diagnostic>,
) {
    let kind = project.container_kind(loc);
    // An object of a class of the project iterates through its own `__iter__` (which may
    // snapshot under its own lock): not a builtin container changing size.
    if kind.is_none() && project.is_object_of_project_class(loc) {
        return;
    }
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
            ) && (kind != Some(ContainerKind::List) || m.access.shifts)
                && (iteration.lockset.is_empty() || !m.lockset.is_empty())
                && !iteration.shares_lock_with(m)
                && may_run_in_parallel(project, iteration, m)
        });
        let Some(mutation) = mutation else {
            continue;
        };
        if !reported.insert(iteration.span) {
            continue;
        }
        let threads = describe_threads(project, files, &mutation.threads);
        let consequence = match kind {
            Some(ContainerKind::List) => {
                "the loop can skip or repeat elements".to_string()
            }
            Some(ContainerKind::Deque) => {
                "the loop can fail with \"deque mutated during iteration\"".to_string()
            }
            Some(ContainerKind::Set) => {
                "the loop can fail with \"Set changed size during iteration\"".to_string()
            }
            Some(ContainerKind::Dict) => {
                "the loop can fail with \"dictionary changed size during iteration\"".to_string()
            }
            _ => "the loop can fail with \"changed size during iteration\" (a dict or set) or skip elements (a list)".to_string(),
        };
        let mut diagnostic = Diagnostic::new(
            Rule::IterationDuringMutation,
            iteration.span,
            format!(
                "`{}` is iterated here while {} may change it (at {}) without a common lock: {consequence}",
                loc.display(),
                threads.text,
                place(files, mutation.span),
            ),
        )
        .with_help(format!(
            "Iterate over a snapshot taken under the lock that guards `{0}` (`with lock: items = list({0})`), or hold that lock around both the loop and every change.",
            loc.display()
        ))
        .with_confidence(confidence(threads.explicit, any_locked));
        diagnostic.related.push(Related {
            span: mutation.span,
            message: format!("`{}` is changed here", loc.display()),
        });
        diagnostic.related.extend(threads.related);
        diagnostic.flow = flow(project, iteration.function, &iteration.threads);
        out.push(diagnostic);
    }
}

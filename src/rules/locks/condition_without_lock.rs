//! SN305 `condition-without-lock`.
//!
//! ## What it does
//! Finds `cond.wait()`, `cond.wait_for(...)`, `cond.notify()` and `cond.notify_all()` where the
//! condition's lock is not held: not inside `with cond:` (or `with` the lock the condition was
//! made over), after no `cond.acquire()`, in a function that no caller calls with it held. A
//! condition is known by its constructor or annotation (`threading.Condition`,
//! `multiprocessing.Condition`), or by a name that says so.
//!
//! ## Why is this bad?
//! These methods check that the calling thread owns the lock and raise `RuntimeError: cannot
//! wait on un-acquired lock` (`cannot notify on un-acquired lock`) otherwise: the waiter never
//! waits, or the notifier fails, typically on an error path that is rarely run.

use super::model::LockModel;
use crate::diagnostic::{Confidence, Diagnostic};
use crate::project::FuncId;
use crate::rules::Rule;
use crate::summary::{Loc, LockRef};

pub fn check(model: &LockModel) -> Vec<Diagnostic> {
    let project = model.project;
    let callers = &model.callers;
    let mut out = Vec::new();
    for f in 0..project.functions.len() as FuncId {
        let summary = project.function(f);
        for op in &summary.locking.condition_ops {
            // A condition passed in that no caller names: snarl cannot tell which lock it is.
            if let LockRef::Param { .. } = op.cond {
                if matches!(project.lock_loc(f, &op.cond), Loc::Cell { .. }) {
                    continue;
                }
            }
            let lock = model.identity(f, &op.cond);
            if let Some(kind) = model.kind(&project.lock_loc(f, &op.cond)) {
                if !matches!(kind, crate::summary::LockKind::Condition { .. }) {
                    continue;
                }
            }
            let held_here = model
                .held_here(f, &op.held, op.range)
                .iter()
                .any(|(l, _)| *l == lock)
                || project
                    .lockset_at(f, &op.held)
                    .iter()
                    .any(|l| model.identity_of_loc(l) == lock);
            if held_here {
                continue;
            }
            // Some caller calls it with the lock held: a helper meant to run under it.
            let held_by_caller = callers[f as usize].iter().any(|&(g, e)| {
                let edge = &project.edges[g as usize][e];
                let call = &project.function(g).calls[edge.call as usize];
                project
                    .lockset_at(g, &call.held)
                    .iter()
                    .any(|l| model.identity_of_loc(l) == lock)
            });
            if held_by_caller {
                continue;
            }
            let name = model.text(f, op.cond_range);
            let error = if matches!(op.method.as_str(), "wait" | "wait_for") {
                "cannot wait on un-acquired lock"
            } else {
                "cannot notify on un-acquired lock"
            };
            out.push(
                Diagnostic::new(
                    Rule::ConditionWithoutLock,
                    model.span(f, op.range),
                    format!(
                        "`{name}.{}()` is called without holding `{name}`'s lock: it raises `RuntimeError: {error}`",
                        op.method
                    ),
                )
                .with_help(format!(
                    "Hold the condition around the call: `with {name}:` then `{name}.{}(...)`.",
                    op.method
                ))
                .with_confidence(Confidence::High),
            );
        }
    }
    out
}

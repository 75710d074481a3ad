//! SN303 `nonreentrant-lock-reacquired`.
//!
//! ## What it does
//! Finds a `threading.Lock` (not an `RLock`; also a `Condition` made over a `Lock`) taken again
//! by the thread that already holds it: a nested `with self._lock:`, or a call made while holding
//! it that takes the same lock, directly or through further calls. The same lock means the same
//! object: a module or class lock anywhere, an instance's lock through calls on that same
//! instance (`self._lock` held, `self.flush()` takes `self._lock`). A `Condition()` has an `RLock`
//! of its own and is quiet; a lock whose kind snarl cannot see is quiet too. A callable from
//! outside called under the lock is SN309's. Calls made by a function that tests the lock with a
//! non-blocking acquire are no re-entry: it goes on only when the lock was free.
//!
//! ## Why is this bad?
//! A `Lock` does not know who holds it: the second `acquire()` waits for a release that only the
//! waiting thread could make. The thread hangs forever, with every other thread that needs the
//! lock behind it.

use super::model::LockModel;
use super::{describe_path, line_of};
use crate::diagnostic::{Confidence, Diagnostic};
use crate::project::FuncId;
use crate::python::TextRange;
use crate::rules::Rule;
use crate::summary::{Loc, Receiver};

pub fn check(model: &LockModel) -> Vec<Diagnostic> {
    let project = model.project;
    let mut out = Vec::new();
    for f in 0..project.functions.len() as FuncId {
        let summary = project.function(f);
        // `with self._lock:` inside `with self._lock:`.
        for acquisition in summary.locking.acquisitions.iter().filter(|a| a.blocking) {
            let lock = model.identity(f, &acquisition.lock);
            if !model.is_non_reentrant(&lock) {
                continue;
            }
            let held = model.held_here(f, &acquisition.held, acquisition.range);
            let Some((_, first)) = held.iter().find(|(l, _)| *l == lock) else {
                continue;
            };
            let name = model.text(f, acquisition.range);
            out.push(
                Diagnostic::new(
                    Rule::NonreentrantLockReacquired,
                    model.span(f, acquisition.range),
                    format!(
                        "`{name}` is a {} this thread already holds (taken at {}): taking it again blocks the thread forever on itself",
                        kind_name(model, &lock),
                        line_of(model, f, f, *first)
                    ),
                )
                .with_help(help(&name))
                .with_related(model.span(f, *first), format!("`{name}` taken here")),
            );
        }
        // A call made while holding it that takes it again.
        let edges = &project.edges[f as usize];
        for (index, call) in summary.calls.iter().enumerate() {
            if !model.holds_any(f, &call.held) {
                continue;
            }
            // Calls of callables from outside are SN309's, even where one takes the lock.
            if model.is_foreign_site(f, call.range) {
                continue;
            }
            let held: Vec<(Loc, TextRange)> = model
                .held_here(f, &call.held, call.range)
                .into_iter()
                .filter(|(l, _)| model.is_non_reentrant(l))
                .collect();
            if held.is_empty() {
                continue;
            }
            let mut reported = false;
            for edge in edges.iter().filter(|e| e.call as usize == index) {
                if reported {
                    break;
                }
                for (lock, taken) in &held {
                    let Some(id) = model.id(lock) else {
                        continue;
                    };
                    // An instance's lock is the same only on the same instance.
                    let own = model.is_instance_lock(lock);
                    if own && (call.receiver != Receiver::Own || !held_via_self(model, f, lock)) {
                        continue;
                    }
                    if !model.takes_via(f, edge, own).contains(&id) {
                        continue;
                    }
                    let mut path = vec![(f, call.range)];
                    path.extend(model.take_path(edge.callee, id, own));
                    let Some(&(last_f, last_range)) = path.last() else {
                        continue;
                    };
                    let name = model.text(f, *taken);
                    let callee_text = model.text(f, call.range);
                    let mut diagnostic = Diagnostic::new(
                        Rule::NonreentrantLockReacquired,
                        model.span(f, call.range),
                        format!(
                            "`{callee_text}` takes `{name}` again ({} at {}) while this thread holds it (taken at {}); `{name}` is a {}, so the thread blocks forever on itself",
                            describe_path(model, &path[1..]),
                            line_of(model, f, last_f, last_range),
                            line_of(model, f, f, *taken),
                            kind_name(model, lock),
                        ),
                    )
                    .with_help(help(&name))
                    .with_confidence(Confidence::High)
                    .with_related(model.span(f, *taken), format!("`{name}` taken here"));
                    for &(g, range) in &path[1..path.len() - 1] {
                        diagnostic = diagnostic.with_related(
                            model.span(g, range),
                            format!("`{}` calls", model.name(g)),
                        );
                    }
                    diagnostic = diagnostic.with_related(
                        model.span(last_f, last_range),
                        format!("`{name}` taken again here"),
                    );
                    diagnostic.flow = path
                        .iter()
                        .map(|&(g, range)| crate::diagnostic::Related {
                            span: model.span(g, range),
                            message: format!("`{}` calls", model.name(g)),
                        })
                        .collect();
                    out.push(diagnostic);
                    reported = true;
                    break;
                }
            }
        }
    }
    out
}

/// Whether `function` holds the instance lock `lock` of its own receiver: taken through `self`,
/// or by its locking decorator.
fn held_via_self(model: &LockModel, function: FuncId, lock: &Loc) -> bool {
    model.project.decorator_locks(function).contains(lock)
        || model
            .project
            .function(function)
            .locking
            .acquisitions
            .iter()
            .any(|a| a.via_self && model.identity(function, &a.lock) == *lock)
}

fn kind_name(model: &LockModel, lock: &Loc) -> String {
    match model.kind(lock) {
        Some(crate::summary::LockKind::Condition { .. }) => "`Condition` over a `Lock`".to_string(),
        Some(kind) => format!("`{}`", kind.describe()),
        None => "lock".to_string(),
    }
}

fn help(name: &str) -> String {
    format!(
        "Do not take `{name}` again while holding it: move the work that needs the lock into a helper that expects it held (`_locked` suffix), or make it a `threading.RLock()` if re-entry is intended."
    )
}

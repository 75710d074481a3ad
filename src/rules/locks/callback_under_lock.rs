//! SN309 `callback-under-lock`.
//!
//! ## What it does
//! Finds a call of a callable that comes from outside the class or module — a parameter
//! (`callback(result)`), an attribute some method sets from a parameter (`self._on_change(v)`),
//! an element of a container that parameters are registered in (`for listener in
//! self._listeners: listener(event)`) — made while a non-reentrant lock (a `threading.Lock`) is
//! held, directly or a few calls down. Where the callable is seen to take the same lock, the
//! finding says so and has high confidence.
//!
//! ## Why is this bad?
//! The callable is user code: it may call back into the object (`cache.get()` from an
//! `on_evict` hook), which takes the lock the thread already holds, and a `Lock` deadlocks on
//! its own holder. It also runs arbitrary work, of unknown length, while every other thread waits
//! for the lock.
//!
//! Coroutines are left to SN704: a callable called there under a thread lock is awaited with the
//! lock held, which SN704 reports.

use super::model::LockModel;
use super::{describe_path, line_of};
use crate::diagnostic::{Confidence, Diagnostic};
use crate::project::FuncId;
use crate::rules::Rule;
use crate::summary::{CallbackSource, ForeignCall};

pub fn check(model: &LockModel) -> Vec<Diagnostic> {
    let project = model.project;
    let mut out = Vec::new();
    for f in 0..project.functions.len() as FuncId {
        if model.in_tests(f) {
            continue;
        }
        let summary = project.function(f);
        if summary.is_async {
            continue;
        }
        for call in &summary.locking.callbacks {
            if !model.holds_any(f, &call.held) {
                continue;
            }
            if !model.is_foreign_site(f, call.range) {
                continue;
            }
            let held: Vec<_> = model
                .held_here(f, &call.held, call.range)
                .into_iter()
                .filter(|(l, _)| model.is_non_reentrant(l))
                .collect();
            let Some((lock, taken)) = held.first().cloned() else {
                continue;
            };
            let name = model.text(f, taken);
            let text = model.text(f, call.range);
            // What the project passes there: a callable that takes the same lock is the deadlock
            // itself; callables that all leave the lock alone, on every call the project makes,
            // are no finding (no caller of this code passes anything else).
            let passed = model.passed_callables(f, call);
            let index = summary.calls.iter().position(|c| c.range == call.range);
            let retakes = model.id(&lock).and_then(|id| {
                project.edges[f as usize]
                    .iter()
                    .filter(|e| Some(e.call as usize) == index)
                    .map(|e| e.callee)
                    .chain(passed.iter().flatten().copied())
                    .find_map(|g| {
                        model.take_step(g, id, false)?;
                        model.take_path(g, id, false).last().copied()
                    })
            });
            if retakes.is_none() && passed.is_some() {
                continue;
            }
            let mut message = format!(
                "`{text}` calls {} while `{name}` (a `Lock`) is held (taken at {})",
                source(call),
                line_of(model, f, f, taken)
            );
            let diagnostic = match retakes {
                Some((g, range)) => {
                    message.push_str(&format!(
                        ", and the callable passed here takes `{name}` again (`{}` at {}): the thread deadlocks on itself",
                        model.name(g),
                        line_of(model, f, g, range)
                    ));
                    Diagnostic::new(Rule::CallbackUnderLock, model.span(f, call.range), message)
                        .with_confidence(Confidence::High)
                        .with_related(model.span(f, taken), format!("`{name}` taken here"))
                        .with_related(model.span(g, range), format!("`{name}` taken again here"))
                }
                None => {
                    message.push_str(&format!(
                        ": if it calls back into this code and takes `{name}`, the thread deadlocks on itself, and every other thread waits while it runs"
                    ));
                    Diagnostic::new(Rule::CallbackUnderLock, model.span(f, call.range), message)
                        .with_confidence(Confidence::Medium)
                        .with_related(model.span(f, taken), format!("`{name}` taken here"))
                }
            };
            out.push(diagnostic.with_help(help(&name)));
        }
        // A call made under the lock that calls back further down.
        let edges = &project.edges[f as usize];
        for (index, call) in summary.calls.iter().enumerate() {
            if !model.holds_any(f, &call.held) {
                continue;
            }
            let held: Vec<_> = model
                .held_here(f, &call.held, call.range)
                .into_iter()
                .filter(|(l, _)| model.is_non_reentrant(l))
                .collect();
            let Some((lock, taken)) = held.first().cloned() else {
                continue;
            };
            if summary
                .locking
                .callbacks
                .iter()
                .any(|c| c.range == call.range)
            {
                continue;
            }
            let Some(edge) = edges
                .iter()
                .filter(|e| e.call as usize == index)
                .find(|e| model.calls_back_via(f, e))
            else {
                continue;
            };
            let mut path = vec![(f, call.range)];
            path.extend(model.callback_path(edge.callee));
            let Some(&(last_f, last_range)) = path.last() else {
                continue;
            };
            let Some(foreign) = project
                .function(last_f)
                .locking
                .callbacks
                .iter()
                .find(|c| c.range == last_range)
            else {
                continue;
            };
            // The project shows every callable that reaches the call, and none takes the lock.
            let leaves_alone = |id| {
                model
                    .passed_callables(last_f, foreign)
                    .is_some_and(|passed| {
                        passed
                            .iter()
                            .all(|&g| model.take_step(g, id, false).is_none())
                    })
            };
            if model.id(&lock).is_some_and(leaves_alone) {
                continue;
            }
            let name = model.text(f, taken);
            let text = model.text(f, call.range);
            let mut diagnostic = Diagnostic::new(
                Rule::CallbackUnderLock,
                model.span(f, call.range),
                format!(
                    "`{text}` calls {} (through {}, at {}) while `{name}` (a `Lock`) is held (taken at {}): if it calls back into this code and takes `{name}`, the thread deadlocks on itself",
                    source(foreign),
                    describe_path(model, &path[1..]),
                    line_of(model, f, last_f, last_range),
                    line_of(model, f, f, taken)
                ),
            )
            .with_help(help(&name))
            .with_confidence(Confidence::Medium)
            .with_related(model.span(f, taken), format!("`{name}` taken here"));
            for &(g, range) in &path[1..path.len() - 1] {
                diagnostic = diagnostic
                    .with_related(model.span(g, range), format!("`{}` calls", model.name(g)));
            }
            diagnostic = diagnostic.with_related(
                model.span(last_f, last_range),
                "the callable from outside is called here",
            );
            out.push(diagnostic);
        }
    }
    out
}

/// What the callable is, for messages.
fn source(call: &ForeignCall) -> String {
    match &call.source {
        CallbackSource::Param { name } => format!("`{name}`, a callable passed in by the caller,"),
        CallbackSource::Attr { name } => {
            format!("`self.{name}`, a callable set from outside,")
        }
        CallbackSource::Element { attr } => {
            format!("a handler registered in `self.{attr}`")
        }
    }
}

fn help(lock: &str) -> String {
    format!(
        "Call it after releasing `{lock}`: under the lock, copy what it needs (and the list of handlers); call it outside. Or make `{lock}` a `threading.RLock()` if callbacks may re-enter."
    )
}

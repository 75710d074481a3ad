//! SN306 `blocking-call-under-lock`.
//!
//! ## What it does
//! Finds a call that blocks the thread — `time.sleep`, network I/O (`socket`, `urllib.request`,
//! `http.client`, `requests`, `httpx`), `subprocess.run`/`call`/`check_output`/`communicate`,
//! `Thread.join`, `Process.join`, `Future.result`, `Queue.get`/`put` without a timeout,
//! `Event.wait`, a wait on another condition — made while a lock is held, directly or a few calls
//! down. The calls come from the shared catalogue (`crate::catalogue`); file I/O is not counted
//! (logging under a lock is routine), and a condition's `wait()` releases its own lock.
//!
//! ## Why is this bad?
//! Every other thread that needs the lock stalls for as long as the call blocks. When what the
//! call waits for needs the lock itself — a joined thread whose loop takes it, a queue whose
//! consumer takes it — the two wait for each other forever: that is reported with high
//! confidence.

use super::model::{LockModel, Step};
use super::{describe_path, line_of};
use crate::catalogue::Blocking;
use crate::diagnostic::{Confidence, Diagnostic};
use crate::project::link::Target;
use crate::project::FuncId;
use crate::python::TextRange;
use crate::rules::Rule;
use crate::summary::{BlockingCall, Loc};

pub fn check(model: &LockModel) -> Vec<Diagnostic> {
    let project = model.project;
    let mut out = Vec::new();
    for f in 0..project.functions.len() as FuncId {
        if model.in_tests(f) {
            continue;
        }
        let summary = project.function(f);
        for op in &summary.locking.blocking {
            let mut held = model.held_here(f, &op.held, op.range);
            if let Some(cond) = &op.waits_on {
                let cond = model.identity(f, cond);
                held.retain(|(l, _)| *l != cond);
            }
            let Some((lock, taken)) = held.first().cloned() else {
                continue;
            };
            let Some(kind) = model.blocking_kind(op) else {
                continue;
            };
            let name = model.text(f, taken);
            let call = model.text(f, op.range);
            let deadlock = thread_taking(model, op, &lock);
            // Some other thread must need the lock for the wait to stall anyone.
            if deadlock.is_none() && !model.contended(f, op.range, &lock) {
                continue;
            }
            let mut message = format!(
                "`{call}` {} while `{name}` is held (taken at {})",
                kind.describe(),
                line_of(model, f, f, taken)
            );
            let diagnostic;
            match deadlock {
                Some((entry, range)) => {
                    message.push_str(&format!(
                        ", and the thread it joins takes `{name}` in `{}` ({}): if that thread is waiting for `{name}`, neither can go on (deadlock)",
                        model.name(entry),
                        line_of(model, f, entry, range)
                    ));
                    diagnostic = Diagnostic::new(
                        Rule::BlockingCallUnderLock,
                        model.span(f, op.range),
                        message,
                    )
                    .with_confidence(Confidence::High)
                    .with_related(model.span(f, taken), format!("`{name}` taken here"))
                    .with_related(
                        model.span(entry, range),
                        format!("the joined thread takes `{name}` here"),
                    );
                }
                None => {
                    message.push_str(&format!(
                        ": every other thread that needs `{name}` waits as long as it does"
                    ));
                    diagnostic = Diagnostic::new(
                        Rule::BlockingCallUnderLock,
                        model.span(f, op.range),
                        message,
                    )
                    .with_confidence(Confidence::Medium)
                    .with_related(model.span(f, taken), format!("`{name}` taken here"));
                }
            }
            out.push(diagnostic.with_help(help(kind, &name)));
        }
        // A call made under the lock that blocks further down.
        let edges = &project.edges[f as usize];
        for (index, call) in summary.calls.iter().enumerate() {
            let held = model.held_here(f, &call.held, call.range);
            let Some((lock, taken)) = held.first().cloned() else {
                continue;
            };
            if !model.contended(f, call.range, &lock) {
                continue;
            }
            let Some(edge) = edges
                .iter()
                .filter(|e| e.call as usize == index)
                .find(|e| model.blocks_via(f, e).is_some())
            else {
                continue;
            };
            let Some(blocks) = model.blocks_via(f, edge) else {
                continue;
            };
            let mut path = vec![(f, call.range)];
            path.extend(model.block_path(edge.callee));
            let Some(&(last_f, last_range)) = path.last() else {
                continue;
            };
            let name = model.text(f, taken);
            let text = model.text(f, call.range);
            let blocking_text = model.text(last_f, last_range);
            let mut diagnostic = Diagnostic::new(
                Rule::BlockingCallUnderLock,
                model.span(f, call.range),
                format!(
                    "`{text}` {} while `{name}` is held (taken at {}): through {} it calls `{blocking_text}` ({}), and every other thread that needs `{name}` waits as long as it does",
                    blocks.kind.describe(),
                    line_of(model, f, f, taken),
                    describe_path(model, &path[1..]),
                    line_of(model, f, last_f, last_range),
                ),
            )
            .with_help(help(blocks.kind, &name))
            .with_confidence(Confidence::Medium)
            .with_related(model.span(f, taken), format!("`{name}` taken here"));
            for &(g, range) in &path[1..path.len() - 1] {
                diagnostic =
                    diagnostic.with_related(model.span(g, range), format!("`{}` calls", model.name(g)));
            }
            diagnostic = diagnostic.with_related(
                model.span(last_f, last_range),
                format!("this {}", short(blocks.kind)),
            );
            out.push(diagnostic);
        }
    }
    out
}

/// For a `join()` of a thread whose code takes `lock`: the thread's function and where it
/// takes the lock.
fn thread_taking(
    model: &LockModel,
    op: &BlockingCall,
    lock: &Loc,
) -> Option<(FuncId, TextRange)> {
    if op.method != "join" {
        return None;
    }
    let id = model.id(lock)?;
    let project = model.project;
    let mut entries: Vec<FuncId> = Vec::new();
    if let Some(target) = &op.joins_target {
        entries.extend(project.resolve(target).0);
    }
    // `self._thread.join()`: the threads stored in that attribute.
    if let Some(Loc::Attr { class, name }) = &op.receiver {
        if let Some(Target::Class(c)) = project.resolve_name(class) {
            for &k in project.mro(c).iter().chain(project.descendants(c)) {
                for (_, method) in &project.class(k).methods {
                    let (m, _) = project.classes[k as usize];
                    let Some(summary) = project.modules[m as usize].functions.get(*method as usize)
                    else {
                        continue;
                    };
                    for (attr, target) in &summary.locking.thread_attrs {
                        if attr == name {
                            entries.extend(project.resolve(target).0);
                        }
                    }
                }
            }
        }
    }
    // A `Thread` subclass: its `run`.
    if let Some(class) = &op.receiver_type {
        if let Some(Target::Class(c)) = project.resolve_name(class) {
            entries.extend(project.lookup_method(c, "run"));
        }
    }
    entries.into_iter().find_map(|entry| {
        model.take_step(entry, id, false)?;
        let path = model.take_path(entry, id, false);
        let &(g, range) = path.last()?;
        match model.take_step(g, id, false) {
            Some(Step::Here(_)) => Some((g, range)),
            _ => None,
        }
    })
}

fn short(kind: Blocking) -> &'static str {
    match kind {
        Blocking::Sleep => "sleep",
        Blocking::Network => "network call",
        Blocking::Subprocess => "subprocess call",
        Blocking::ThreadJoin | Blocking::ProcessJoin => "join",
        Blocking::FutureResult => "wait for a result",
        Blocking::QueueGet | Blocking::QueuePut => "queue call without a timeout",
        Blocking::Wait => "wait",
        Blocking::LockAcquire => "lock acquisition",
        Blocking::File => "file I/O",
    }
}

fn help(kind: Blocking, lock: &str) -> String {
    match kind {
        Blocking::Sleep => format!("Sleep after releasing `{lock}`: keep only the shared-state update under the lock."),
        Blocking::ThreadJoin | Blocking::ProcessJoin => format!(
            "Release `{lock}` before joining: take what you need (`thread = self._thread`) under the lock, then join outside it."
        ),
        _ => format!(
            "Release `{lock}` before the call: copy what the call needs under the lock, make the call outside it, then take the lock again to store the result."
        ),
    }
}

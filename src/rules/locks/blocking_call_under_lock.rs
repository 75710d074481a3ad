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

/// Where what a wait waits for needs the lock the waiting thread holds: (function, range, what
/// happens there).
struct Counterpart {
    function: FuncId,
    range: TextRange,
    what: String,
}

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
            let Some(kind) = model.blocking_kind(op) else {
                continue;
            };
            let call = model.text(f, op.range);
            let diagnostic = if model.propagates(kind) {
                // Slow work under a lock: it stalls the other code that needs the lock.
                let Some((lock, taken)) = held
                    .iter()
                    .find(|(l, _)| model.contended(f, op.range, l))
                    .cloned()
                else {
                    continue;
                };
                let name = model.text(f, taken);
                Diagnostic::new(
                    Rule::BlockingCallUnderLock,
                    model.span(f, op.range),
                    format!(
                        "`{call}` {} while `{name}` is held (taken at {}): every other thread that needs `{name}` waits as long as it does",
                        kind.describe(),
                        line_of(model, f, f, taken)
                    ),
                )
                .with_help(help(kind, &name))
                .with_confidence(Confidence::Medium)
                .with_related(model.span(f, taken), format!("`{name}` taken here"))
                .with_related(
                    model.span(f, model.acquired_at(f, &lock, op.range)),
                    format!("`{name}` held here"),
                )
            } else {
                // A wait under a lock is a deadlock when what it waits for needs that lock.
                let Some(((_, taken), counterpart)) = held.iter().find_map(|(lock, taken)| {
                    counterpart(model, f, op, kind, lock).map(|c| ((lock.clone(), *taken), c))
                }) else {
                    continue;
                };
                let name = model.text(f, taken);
                Diagnostic::new(
                    Rule::BlockingCallUnderLock,
                    model.span(f, op.range),
                    format!(
                        "`{call}` {} while `{name}` is held (taken at {}), and {} ({}): if it is waiting for `{name}`, neither can go on (deadlock)",
                        kind.describe(),
                        line_of(model, f, f, taken),
                        counterpart.what,
                        line_of(model, f, counterpart.function, counterpart.range),
                    ),
                )
                .with_help(help(kind, &name))
                .with_confidence(Confidence::High)
                .with_related(model.span(f, taken), format!("`{name}` taken here"))
                .with_related(
                    model.span(counterpart.function, counterpart.range),
                    format!("`{name}` needed here"),
                )
            };
            out.push(diagnostic);
        }
        // A call made under the lock that blocks further down.
        let edges = &project.edges[f as usize];
        for (index, call) in summary.calls.iter().enumerate() {
            if !model.holds_any(f, &call.held) {
                continue;
            }
            let held = model.held_here(f, &call.held, call.range);
            let Some((_, taken)) = held
                .iter()
                .find(|(l, _)| model.contended(f, call.range, l))
                .cloned()
            else {
                continue;
            };
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
                diagnostic = diagnostic
                    .with_related(model.span(g, range), format!("`{}` calls", model.name(g)));
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

/// What the wait waits for, where it needs `lock`: the joined thread taking it, a `put` on the
/// queue made under it, a `notify` of the condition made under it.
fn counterpart(
    model: &LockModel,
    function: FuncId,
    op: &BlockingCall,
    kind: Blocking,
    lock: &Loc,
) -> Option<Counterpart> {
    let project = model.project;
    match kind {
        Blocking::ThreadJoin => {
            let (entry, range) = thread_taking(model, op, lock)?;
            Some(Counterpart {
                function: entry,
                range,
                what: format!("the thread it joins takes it in `{}`", model.name(entry)),
            })
        }
        Blocking::QueueGet => {
            let queue = project.canonical_loc(op.receiver.as_ref()?);
            // `for _ in range(q.qsize()): q.get()`: a get after a size check finds its items.
            if let Some(Loc::Attr { name, .. }) = &op.receiver {
                let checked = project.function(function).calls.iter().any(|c| {
                    c.range.start() < op.range.start()
                        && matches!(&c.receiver, crate::summary::Receiver::OwnAttr { name: n } if n == name)
                        && matches!(&c.callee, crate::summary::Callee::Method { name: m, .. } if m == "qsize" || m == "empty")
                });
                if checked {
                    return None;
                }
            }
            (0..project.functions.len() as FuncId).find_map(|g| {
                let put = project.function(g).locking.blocking.iter().find(|b| {
                    b.method == "put"
                        && b.receiver
                            .as_ref()
                            .map(|r| project.canonical_loc(r))
                            .as_ref()
                            == Some(&queue)
                        && model
                            .held_here(g, &b.held, b.range)
                            .iter()
                            .any(|(l, _)| l == lock)
                })?;
                Some(Counterpart {
                    function: g,
                    range: put.range,
                    what: format!("`{}` puts into that queue with it held", model.name(g)),
                })
            })
        }
        Blocking::Wait => {
            // `cond.wait()` under another lock: the notifier needs that lock too.
            let cond = model.identity(function, op.waits_on.as_ref()?);
            (0..project.functions.len() as FuncId).find_map(|g| {
                let notify = project.function(g).locking.condition_ops.iter().find(|c| {
                    c.method.starts_with("notify")
                        && model.identity(g, &c.cond) == cond
                        && model
                            .held_here(g, &c.held, c.range)
                            .iter()
                            .any(|(l, _)| l == lock)
                })?;
                Some(Counterpart {
                    function: g,
                    range: notify.range,
                    what: format!("`{}` notifies that condition with it held", model.name(g)),
                })
            })
        }
        _ => None,
    }
}

/// For a `join()` of a thread whose code takes `lock`: the thread's function and where it
/// takes the lock.
fn thread_taking(model: &LockModel, op: &BlockingCall, lock: &Loc) -> Option<(FuncId, TextRange)> {
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

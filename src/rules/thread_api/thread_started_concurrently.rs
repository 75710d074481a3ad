//! SN108 `thread-started-twice`, concurrent form.
//!
//! ## What it does
//! Finds a thread started lazily behind an unsynchronized flag — `if not self._started:
//! self.start(); self._started = True`, or any `.start()` in a block guarded by a test of a flag
//! that the block then sets — in code that runs on several threads at once, where the start
//! raises when it runs a second time: the object is a `Thread` or `Process` (or a project
//! subclass), or a class whose `start()` starts the one thread its constructor made.
//!
//! ## Why is this bad?
//! Two threads can both pass the test before either sets the flag; both call `start()`, and the
//! second raises `RuntimeError: threads can only be started once` in whichever caller lost the
//! race (typically the first request or the first log record after startup).

use crate::diagnostic::{Diagnostic, Related};
use crate::project::{AccessThreads, RootKind, Thread};
use crate::project::{FuncId, Project};
use crate::python::TextRange;
use crate::rules::races::{confidence, describe_threads, flow, shorten};
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};
use crate::summary::thread_api::StartedObject;
use crate::summary::{Callee, Loc};

pub fn check(project: &Project, files: &SourceFiles) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for function in 0..project.functions.len() as FuncId {
        let summary = project.function(function);
        if summary.thread_api.guarded_starts().is_empty()
            || project.is_test_module(project.functions[function as usize].0 as usize)
        {
            continue;
        }
        let file = project.file_of(function);
        let ctx = &project.contexts[function as usize];
        for guarded in summary.thread_api.guarded_starts() {
            let Some(started) = starts_once(project, function, &guarded.object) else {
                continue;
            };
            for pair in &summary.check_acts {
                if !guarded.tests.contains(&pair.check)
                    || !pair.act_is_constant
                    || pair.act.start() < pair.check.end()
                {
                    continue;
                }
                let loc = project.canonical_loc(&pair.loc);
                // The flag, not the thread attribute itself.
                if let (Loc::Attr { name, .. }, StartedObject::Attr { name: thread, .. }) =
                    (&loc, &guarded.object)
                {
                    if name == thread {
                        continue;
                    }
                }
                let owned = pair.via_self && ctx.self_owned == Some(true);
                if owned
                    || !project.lockset_at(function, &pair.held_at_check).is_empty()
                    || !project.lockset_at(function, &pair.held_at_act).is_empty()
                {
                    continue;
                }
                let threads = callers(project, function, pair.check, pair.via_self);
                if !project.may_meet(&threads, &threads) {
                    continue;
                }
                let described = describe_threads(project, files, &threads);
                let source = files.get(file);
                let start_text = shorten(source.slice(guarded.start));
                let test = shorten(source.slice(pair.check));
                let flag = loc.display();
                let mut diagnostic = Diagnostic::new(
                    Rule::ThreadStartedTwice,
                    Span::new(file, guarded.start),
                    format!(
                        "`{start_text}` runs when `{test}` passes, and `{flag}` is set without a lock: {} can both pass the test in `{}()` before either sets it, and the second `start()` {}{}",
                        described.text,
                        summary.name,
                        started.raises,
                        if started.what.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", started.what)
                        }
                    ),
                )
                .with_confidence(confidence(described.explicit, false))
                .with_help(format!(
                    "Hold one lock over the test, the start and the update of `{flag}` (a double-checked `with self._start_lock:`), or start the thread where the object is created."
                ));
                diagnostic.related.push(Related {
                    span: Span::new(file, pair.check),
                    message: "the unsynchronized test".to_string(),
                });
                diagnostic.related.push(Related {
                    span: Span::new(file, pair.act),
                    message: format!("`{flag}` is set here"),
                });
                if let Some(inner) = started.inner {
                    diagnostic.related.push(Related {
                        span: inner,
                        message: "the thread started each time".to_string(),
                    });
                }
                diagnostic.related.extend(described.related);
                diagnostic.flow = flow(project, function, &threads);
                out.push(diagnostic);
                break;
            }
        }
    }
    out
}

/// The threads that run the test at `range` in `function`, as evidence that two of them can
/// meet there: threads the program starts, the `concurrent` setting, and callers inferred from a
/// class that holds or takes a lock or is a module-level singleton (or a module with a lock). A
/// class that "starts a thread of its own" or "is a thread" is no such evidence here: the lazily
/// started thread is that very thread.
fn callers(project: &Project, function: FuncId, range: TextRange, via_self: bool) -> AccessThreads {
    let mut threads = project.access_threads(function, range, via_self);
    threads.threads.retain(|thread| match thread {
        Thread::Beside(_) => true,
        Thread::Root(g) => match &project.roots[*g as usize].kind {
            RootKind::ClassIntent { class, seen_at, .. } => {
                seen_at.is_some()
                    || project.mro(*class).iter().any(|&k| {
                        let summary = project.class(k);
                        !summary.lock_attrs.is_empty() || summary.takes_lock
                    })
            }
            _ => true,
        },
    });
    threads
}

/// What a second `start()` of the object does.
struct StartsOnce {
    /// "raises RuntimeError (threads can only be started once)"
    raises: &'static str,
    /// What it starts, for the message.
    what: String,
    /// The start inside a `start()` method, when it is one.
    inner: Option<Span>,
}

const THREAD_TWICE: &str = "raises RuntimeError (threads can only be started once)";
const PROCESS_TWICE: &str = "raises AssertionError (cannot start a process twice)";

/// Whether starting `object` a second time raises, and how.
fn starts_once(project: &Project, function: FuncId, object: &StartedObject) -> Option<StartsOnce> {
    match object {
        StartedObject::Own => {
            let class = project.function(function).class.as_deref()?;
            let c = *project.class_by_name.get(class)?;
            class_start(project, c, "")
        }
        StartedObject::Attr { name, class } => {
            let what = String::new();
            let _ = name;
            match class.as_str() {
                "threading.Thread" | "threading.Timer" => Some(StartsOnce {
                    raises: THREAD_TWICE,
                    what,
                    inner: None,
                }),
                "multiprocessing.Process" => Some(StartsOnce {
                    raises: PROCESS_TWICE,
                    what,
                    inner: None,
                }),
                _ => {
                    let Some(crate::project::link::Target::Class(c)) = project.resolve_name(class)
                    else {
                        return None;
                    };
                    class_start(project, c, &what)
                }
            }
        }
    }
}

/// A second `start()` on an object of class `c`: a thread or process subclass that keeps the
/// base's `start`, or a `start()` that starts the one thread an attribute holds.
fn class_start(project: &Project, c: u32, what: &str) -> Option<StartsOnce> {
    let thread = project.thread_class(c);
    match project.lookup_method(c, "start") {
        None => thread.map(|process| StartsOnce {
            raises: if process { PROCESS_TWICE } else { THREAD_TWICE },
            what: what.to_string(),
            inner: None,
        }),
        Some(method) => {
            let summary = project.function(method);
            let facts = &summary.thread_api;
            // A start that guards itself is judged on its own.
            if !facts.guarded_starts().is_empty() {
                return None;
            }
            if let Some((attr, at)) = facts.starts_attrs().first() {
                return Some(StartsOnce {
                    raises: THREAD_TWICE,
                    what: format!(
                        "`{}()` starts the one thread `self.{attr}` holds",
                        summary.name
                    ),
                    inner: Some(Span::new(project.file_of(method), *at)),
                });
            }
            let calls_base = summary
                .calls
                .iter()
                .any(|call| matches!(&call.callee, Callee::Super { name, .. } if name == "start"));
            match (thread, calls_base) {
                (Some(process), true) => Some(StartsOnce {
                    raises: if process { PROCESS_TWICE } else { THREAD_TWICE },
                    what: what.to_string(),
                    inner: None,
                }),
                _ => None,
            }
        }
    }
}

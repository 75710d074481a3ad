//! SN307 `busy-wait-on-shared-flag`.
//!
//! ## What it does
//! Finds a `while` loop whose condition (or first `if ...: break`) reads shared state that code
//! on another thread writes, and which spins (`while not self.ready: pass`) or sleeps
//! (`while self.running: work(); time.sleep(interval)`) between checks. The writer must run on a
//! different thread than the loop (a thread the program starts, the code that starts it, the
//! callers of a class's public methods); writes before the loop's thread starts and in
//! constructors do not count. State held in an `Event` or a queue is quiet.
//!
//! ## Why is this bad?
//! A spinning loop burns a CPU core and, under the GIL, slows the very thread it waits for. A
//! sleeping loop notices the change only when the sleep ends: `stop()` and shutdown hang for up
//! to a full interval, and short intervals waste wake-ups. A `threading.Event` wakes the waiter
//! at once: `while not stop.wait(interval): work()`.

use std::collections::{HashMap, HashSet};

use super::model::LockModel;
use crate::diagnostic::{Confidence, Diagnostic};
use crate::project::{AccessThreads, FuncId, Project, Thread};
use crate::rules::races::describe_threads;
use crate::rules::Rule;
use crate::summary::{Access, Loc, Pause};

pub fn check(model: &LockModel) -> Vec<Diagnostic> {
    let project = model.project;
    let mut writers: HashMap<Loc, Vec<(FuncId, &Access)>> = HashMap::new();
    // The names of the polled state: only writes of those are looked up.
    let polled: HashSet<&str> = (0..project.functions.len() as FuncId)
        .flat_map(|f| project.function(f).locking.polls.iter())
        .flat_map(|poll| poll.flags.iter().map(loc_name))
        .collect();
    if polled.is_empty() {
        return Vec::new();
    }
    for g in 0..project.functions.len() as FuncId {
        for access in project
            .accesses_of(g)
            .filter(|a| a.kind.is_write() && polled.contains(loc_name(&a.loc)))
        {
            let loc = project.canonical_loc(&access.loc);
            writers.entry(loc).or_default().push((g, access));
        }
    }
    let mut out = Vec::new();
    for f in 0..project.functions.len() as FuncId {
        if model.in_tests(f) {
            continue;
        }
        for poll in &project.function(f).locking.polls {
            let loop_threads = project.access_threads(f, poll.test, poll.via_self);
            let found = poll.flags.iter().find_map(|flag| {
                if !project.is_project_location(flag) {
                    return None;
                }
                let flag = project.canonical_loc(flag);
                if project.is_unshared_kind(&flag)
                    || project.is_method(&flag)
                    || model.kind(&flag).is_some()
                {
                    return None;
                }
                writers.get(&flag)?.iter().find_map(|&(g, access)| {
                    // Constructors set the state up; they signal nothing.
                    let constructor = matches!(
                        project.function(g).name.as_str(),
                        "__init__" | "__new__" | "__post_init__" | "setUp"
                    );
                    if g == f
                        || constructor
                        || project.is_nested_in(g, f)
                        || project.is_owned(g, access, &flag)
                    {
                        return None;
                    }
                    let threads = project.access_threads(g, access.range, access.via_self);
                    other_thread(project, &loop_threads, &threads)
                        .then(|| (flag.clone(), g, access, threads))
                })
            });
            let Some((flag, writer, access, writer_threads)) = found else {
                continue;
            };
            let test = model.text(f, poll.test);
            let pause_text = model.text(f, poll.pause_range);
            let described = describe_threads(project, model.files, &writer_threads);
            let on = if writer_threads.threads.is_empty() && !writer_threads.crowded {
                "outside the loop's thread".to_string()
            } else {
                format!("on another thread ({})", described.text)
            };
            let (what, why) = match poll.pause {
                Pause::Spin => (
                    "spins between checks".to_string(),
                    "it burns a CPU core, and under the GIL slows the thread it waits for, until the state changes",
                ),
                Pause::Sleep => (
                    format!("sleeps between checks (`{pause_text}`)"),
                    "a change is noticed only when the sleep ends, so a stop or shutdown waits up to a full interval",
                ),
            };
            let mut diagnostic = Diagnostic::new(
                Rule::BusyWaitOnSharedFlag,
                model.span(f, poll.test),
                format!(
                    "this loop polls `{test}`, and `{}` is set by `{}` {on}; the loop {what}: {why}",
                    flag.display(),
                    model.name(writer),
                ),
            )
            .with_help(
                "Wait on a `threading.Event` instead: `while not stop.wait(interval): ...` on this side and `stop.set()` on the other wakes the loop at once.",
            )
            .with_confidence(Confidence::Medium)
            .with_related(
                model.span(writer, access.range),
                format!("`{}` set here", flag.display()),
            );
            if poll.pause == Pause::Sleep {
                diagnostic = diagnostic
                    .with_related(model.span(f, poll.pause_range), "the loop sleeps here");
            }
            out.push(diagnostic);
        }
    }
    out
}

/// The variable or attribute name of a location.
fn loc_name(loc: &Loc) -> &str {
    match loc {
        Loc::Global { name } => name.rsplit('.').next().unwrap_or(name),
        Loc::Attr { name, .. } | Loc::Cell { name, .. } => name,
    }
}

/// Whether code on `writer` runs on a thread other than the loop's (no threads: the main thread).
fn other_thread(project: &Project, polling: &AccessThreads, writer: &AccessThreads) -> bool {
    if polling.crowded || writer.crowded {
        return true;
    }
    // A write before the loop's thread starts sets it up; it signals nothing.
    if polling.threads.iter().any(|t| match t {
        Thread::Root(g) => writer.ordered.contains(g),
        Thread::Beside(_) => false,
    }) {
        return false;
    }
    match (polling.threads.is_empty(), writer.threads.is_empty()) {
        (true, true) => false,
        (true, false) | (false, true) => true,
        // Several threads of one group meet unless each works on an object of its own.
        (false, false) => {
            let per_thread = polling.per_thread_self && writer.per_thread_self;
            polling.threads.iter().any(|&a| {
                writer
                    .threads
                    .iter()
                    .any(|&b| a != b || project.threads_meet(a, b, per_thread))
            })
        }
    }
}

//! SN2xx (and SN109): races on shared state, checked on the linked project model.
//!
//! Every access that runs on some thread (see [`crate::project::contexts`]) is grouped by its
//! canonical location; each rule then looks at one location's accesses, in parallel. A finding
//! needs two accesses that touch the same object, may run at the same time on different threads,
//! hold no common lock and are not ordered by a start, join, hand-off or guard flag. Owned state
//! (an object being constructed or kept by its creator), per-call values (each call of a
//! function has its own closure cells), thread-local storage and code that only runs on the main
//! thread never take part.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use rayon::prelude::*;

use crate::diagnostic::{Confidence, Diagnostic, Related};
use crate::project::{AccessThreads, FuncId, IntentScope, Project, RootId, RootKind, Thread};
use crate::python::TextRange;
use crate::rules::{Rule, RuleSet};
use crate::source::{SourceFiles, Span};
use crate::summary::{Access, ContainerKind, Loc};

mod check_then_act;
mod inconsistent_lock_protection;
mod iteration_during_mutation;
pub mod shared_decorator_state;
mod signal_outside_main_thread;
mod unsynchronized_read_modify_write;

/// One access that takes part in race detection.
pub struct SharedAccess<'p> {
    pub function: FuncId,
    pub access: &'p Access,
    pub span: Span,
    /// Locks held on every path to the access.
    pub lockset: BTreeSet<Loc>,
    /// Locks this function takes itself around the access (or its locking decorator does):
    /// evidence of what a lock guards, where an inherited lock may be a coincidence.
    pub local_locks: BTreeSet<Loc>,
    pub threads: AccessThreads,
    /// One step under the GIL: the access's own atomic step, or `x += y` on a container,
    /// which extends it in place and stores the same object back.
    pub atomic: bool,
}

impl SharedAccess<'_> {
    pub fn shares_lock_with(&self, other: &SharedAccess) -> bool {
        !self.lockset.is_disjoint(&other.lockset)
    }

    /// Whether a thread the program starts (or the code beside it, or the `concurrent` setting)
    /// runs this access, rather than only callers inferred from intent.
    pub fn is_explicit(&self, project: &Project) -> bool {
        is_explicit(project, &self.threads)
    }
}

/// Whether a thread the program starts (or the code beside it, or the `concurrent` setting)
/// is among `threads`, rather than only callers inferred from intent.
pub fn is_explicit(project: &Project, threads: &AccessThreads) -> bool {
    threads
        .threads
        .iter()
        .any(|t| is_explicit_thread(project, t))
}

/// Whether `thread` is a thread the program starts, the code beside one, or named by the
/// `concurrent` setting (not callers inferred from intent).
pub fn is_explicit_thread(project: &Project, thread: &Thread) -> bool {
    match thread {
        Thread::Root(g) => project.roots[*g as usize].is_explicit(),
        Thread::Beside(_) => true,
    }
}

/// Every race finding of the project.
pub fn check(project: &Project, files: &SourceFiles, rules: RuleSet) -> Vec<Diagnostic> {
    // The shared accesses are the costly part; SN109 alone (`--select SN1`) does not need them.
    let groups = if rules.any_in(crate::rules::Family::Races) {
        shared_accesses(project)
    } else {
        BTreeMap::new()
    };
    let mut diagnostics: Vec<Diagnostic> = groups
        .par_iter()
        .flat_map_iter(|(loc, accesses)| {
            let mut out = Vec::new();
            let mut reported: HashSet<Span> = HashSet::new();
            if rules.contains(Rule::UnsynchronizedReadModifyWrite) {
                unsynchronized_read_modify_write::check(
                    project,
                    files,
                    loc,
                    accesses,
                    &mut reported,
                    &mut out,
                );
            }
            if rules.contains(Rule::IterationDuringMutation) {
                iteration_during_mutation::check(
                    project,
                    files,
                    loc,
                    accesses,
                    &mut reported,
                    &mut out,
                );
            }
            if rules.contains(Rule::InconsistentLockProtection) {
                inconsistent_lock_protection::check(
                    project,
                    files,
                    loc,
                    accesses,
                    &mut reported,
                    &mut out,
                );
            }
            out
        })
        .collect();
    if rules.contains(Rule::CheckThenActRace) {
        diagnostics.extend(check_then_act::check(project, files, &groups));
    }
    if rules.contains(Rule::SignalOutsideMainThread) {
        diagnostics.extend(signal_outside_main_thread::check(project, files));
    }
    diagnostics
}

/// The threads code at `range` in `function` runs on, restricted for closure cells to the
/// threads one call of the cell's function starts (each call has its own cells), and for
/// callers inferred from intent to the state they are evidence for: a class meant to be shared
/// says its own attributes (only its class-level ones, when its locks live on the class) are
/// reached from several threads, a module with a lock says so of its globals.
pub fn threads_of(
    project: &Project,
    function: FuncId,
    range: TextRange,
    via_self: bool,
    loc: &Loc,
) -> AccessThreads {
    let mut threads = project.access_threads(function, range, via_self);
    if let Loc::Cell {
        function: owner, ..
    } = loc
    {
        let owner = project.function_by_name.get(owner).copied();
        let started_by_owner = |g: &RootId| {
            project.roots[*g as usize]
                .spawner
                .zip(owner)
                .is_some_and(|((spawner, _), owner)| {
                    spawner == owner || project.is_nested_in(spawner, owner)
                })
        };
        threads.threads.retain(|t| match t {
            Thread::Root(g) | Thread::Beside(g) => started_by_owner(g),
        });
        threads.crowded = false;
    }
    threads.threads.retain(|t| match t {
        Thread::Root(g) => intent_covers(project, *g, loc),
        Thread::Beside(_) => true,
    });
    threads
}

/// Whether the root group `group` reaches `loc` as far as its evidence goes: explicit threads
/// reach everything they call; callers inferred from a class's intent reach that class's state.
fn intent_covers(project: &Project, group: RootId, loc: &Loc) -> bool {
    match &project.roots[group as usize].kind {
        RootKind::ClassIntent { class, scope, .. } => match loc {
            // The state of the objects the evidence is about: attributes of the class, of its
            // bases (the object inherits them) and of its subclasses.
            Loc::Attr { class: owner, .. } => {
                let family = project.class_by_name.get(owner).is_some_and(|&k| {
                    k == *class
                        || project.mro(k).contains(class)
                        || project.mro(*class).contains(&k)
                });
                family && (*scope != IntentScope::ClassLevel || project.is_class_attr(loc))
            }
            Loc::Global { name } => {
                let module = &project.modules[project.classes[*class as usize].0 as usize].module;
                name.rsplit_once('.').is_some_and(|(m, _)| m == module)
            }
            Loc::Cell { .. } => false,
        },
        RootKind::ModuleIntent { module, .. } => match loc {
            Loc::Global { name } => name.rsplit_once('.').is_some_and(|(m, _)| m == module),
            _ => false,
        },
        _ => true,
    }
}

/// The accesses of code that may run on threads, by canonical location, in a deterministic order.
pub fn shared_accesses(project: &Project) -> BTreeMap<Loc, Vec<SharedAccess<'_>>> {
    let mut groups: BTreeMap<Loc, Vec<SharedAccess>> = BTreeMap::new();
    for function in 0..project.functions.len() as FuncId {
        let ctx = &project.contexts[function as usize];
        // Tests run code one test at a time: they are not how it runs.
        if !ctx.is_concurrent() && project.windows[function as usize].is_empty()
            || project.is_test_module(project.functions[function as usize].0 as usize)
        {
            continue;
        }
        let file = project.file_of(function);
        for access in project.accesses_of(function) {
            if !project.is_project_location(&access.loc) {
                continue;
            }
            let loc = project.canonical_loc(&access.loc);
            if project.is_owned(function, access, &loc)
                || project.is_method(&loc)
                || project.is_unshared_kind(&loc)
            {
                continue;
            }
            let threads = threads_of(project, function, access.range, access.via_self, &loc);
            if threads.threads.is_empty() && !threads.crowded {
                continue;
            }
            let mut local_locks: BTreeSet<Loc> = access
                .held
                .iter()
                .map(|l| project.lock_loc(function, l))
                .collect();
            local_locks.extend(project.decorator_locks(function).iter().cloned());
            let kind = project.container_kind(&loc);
            let builtin = matches!(
                kind,
                Some(
                    ContainerKind::List
                        | ContainerKind::Set
                        | ContainerKind::Dict
                        | ContainerKind::Deque
                )
            );
            // `x += y` on a builtin container works in place; `d[k] = v` on a builtin dict or
            // list is one step.
            let in_place_on_container = (access.in_place || access.item) && builtin;
            groups.entry(loc).or_default().push(SharedAccess {
                function,
                access,
                span: Span::new(file, access.range),
                lockset: project.lockset_at(function, &access.held),
                local_locks,
                threads,
                atomic: access.atomic || in_place_on_container,
            });
        }
    }
    // Inferred intent ("the class uses a lock") says the class is shared, not that each of its
    // fields is. Callers inferred from intent count for a location with evidence of its own:
    // some write to it takes a lock that guards it, or it lives on the class or the module.
    // Without it, only the threads the program starts (and the code beside them) take part:
    // state that one thread of the program keeps to itself is not raced by guessed callers.
    for (loc, accesses) in groups.iter_mut() {
        let evidence = project.is_class_attr(loc)
            || accesses.iter().any(|a| {
                a.access.kind.is_write()
                    && (guards_location(project, loc, &a.local_locks)
                        || (on_singleton(project, &a.threads) && is_update(a.access.kind)))
            });
        if !evidence {
            accesses.retain_mut(|a| {
                if !a.is_explicit(project) {
                    return false;
                }
                if !a.threads.crowded {
                    a.threads.threads.retain(|t| is_explicit_thread(project, t));
                }
                true
            });
        }
    }
    groups.retain(|_, accesses| accesses.iter().any(|a| a.access.kind.is_write()));
    groups
}

/// A read-modify-write: the counter on a shared singleton that loses increments.
fn is_update(kind: crate::summary::AccessKind) -> bool {
    matches!(
        kind,
        crate::summary::AccessKind::ReadModifyWrite
            | crate::summary::AccessKind::ContentReadModifyWrite
    )
}

/// Whether code on `threads` runs on the one module-level instance of its class that every
/// importer shares. Its read-modify-writes are shared updates; the rest of its state is
/// usually set up once (options, registries) and is not evidence enough.
pub fn on_singleton(project: &Project, threads: &AccessThreads) -> bool {
    threads.threads.iter().any(|t| {
        matches!(t, Thread::Root(g) if matches!(
            project.roots[*g as usize].kind,
            RootKind::ClassIntent { scope: IntentScope::Singleton, .. }
        ))
    })
}

/// Whether holding `locks` is evidence that `loc` is meant to be guarded. A lock that lives on
/// the class (one lock for every instance, typically serializing output or a class registry)
/// says nothing about the state of each instance.
fn guards_location(project: &Project, loc: &Loc, locks: &BTreeSet<Loc>) -> bool {
    locks.iter().any(|lock| match (loc, lock) {
        (Loc::Attr { .. }, Loc::Attr { .. }) => !project.is_class_attr(lock),
        _ => true,
    })
}

/// Whether `a` and `b` (possibly the same access) may run at the same time on different threads
/// with nothing ordering them.
pub fn may_run_in_parallel(project: &Project, a: &SharedAccess, b: &SharedAccess) -> bool {
    if !project.may_meet(&a.threads, &b.threads) {
        return false;
    }
    if a.span == b.span {
        return true;
    }
    !project.handed_off(a.function, a.access, b.function, b.access)
        && !project.flag_ordered(a.function, a.access, b.function, b.access)
}

/// How the threads that run an access are started, for messages, and where (related spans).
pub struct ThreadsDescription {
    /// "the threads started at app.py:40", "concurrent callers (...)".
    pub text: String,
    pub related: Vec<Related>,
    /// A thread the program starts takes part and several threads meet (high confidence).
    pub explicit: bool,
}

/// Describes `threads` for a message.
pub fn describe_threads(
    project: &Project,
    files: &SourceFiles,
    threads: &AccessThreads,
) -> ThreadsDescription {
    let mut phrases: Vec<String> = Vec::new();
    let mut related = Vec::new();
    let mut explicit = false;
    let mut many = false;
    // The evidence of classes and modules meant to be shared, said once in one phrase.
    let mut intents: Vec<String> = Vec::new();
    for thread in &threads.threads {
        let (group, beside) = match *thread {
            Thread::Root(g) => (g, false),
            Thread::Beside(g) => (g, true),
        };
        let root = &project.roots[group as usize];
        many |= project.group_many[group as usize];
        let site = root.site.map(|s| (s, place(files, s)));
        let phrase = match &root.kind {
            RootKind::Spawn(kind) => {
                explicit = true;
                let what = kind.describe();
                let plural = if project.group_many[group as usize] {
                    "s"
                } else {
                    ""
                };
                match &site {
                    Some((span, at)) => {
                        related.push(Related {
                            span: *span,
                            message: format!("{what}{plural} started here"),
                        });
                        if beside {
                            format!(
                                "the code that starts the {what}{plural} at {at}, while {} run{}",
                                if plural.is_empty() { "it" } else { "they" },
                                if plural.is_empty() { "s" } else { "" }
                            )
                        } else {
                            format!("the {what}{plural} started at {at}")
                        }
                    }
                    None => format!("a {what}"),
                }
            }
            RootKind::ThreadRun => {
                explicit = true;
                let run = project.function(root.entry);
                let class = run.class.as_deref().unwrap_or("");
                let short = class.rsplit('.').next().unwrap_or(class);
                let plural = if project.group_many[group as usize] {
                    "s"
                } else {
                    ""
                };
                if let Some((span, _)) = &site {
                    related.push(Related {
                        span: *span,
                        message: format!("`{short}` thread{plural} started here"),
                    });
                }
                match (&site, beside) {
                    (Some((_, at)), true) => {
                        format!("the code that starts the `{short}` thread at {at}, while it runs")
                    }
                    (Some((_, at)), false) if root.spawner.is_some() => {
                        format!("the `{short}` thread{plural} started at {at}")
                    }
                    _ => format!("the `{short}` thread{plural}"),
                }
            }
            RootKind::ClassIntent {
                evidence, seen_at, ..
            } => {
                if let Some((span, _)) = &site {
                    related.push(Related {
                        span: *span,
                        message: format!("{evidence}: it is meant to be shared between threads"),
                    });
                }
                let mut text = evidence.clone();
                if let Some(seen) = seen_at {
                    text.push_str(&format!(", as at {}", place(files, *seen)));
                    related.push(Related {
                        span: *seen,
                        message: "a thread the package starts".to_string(),
                    });
                }
                if !intents.contains(&text) {
                    intents.push(text);
                }
                continue;
            }
            RootKind::ModuleIntent { evidence, .. } => {
                if !intents.contains(evidence) {
                    intents.push(evidence.clone());
                }
                continue;
            }
            RootKind::Declared { pattern } => {
                explicit = true;
                format!("the threads the `concurrent` setting names (`{pattern}`)")
            }
        };
        if !phrases.contains(&phrase) {
            phrases.push(phrase);
        }
    }
    match intents.as_slice() {
        [] => {}
        [one] => phrases.push(format!("callers on several threads ({one})")),
        [init @ .., last] => phrases.push(format!(
            "callers on several threads ({} and {last})",
            init.join(", ")
        )),
    }
    if threads.crowded {
        phrases.push("many threads".to_string());
        many = true;
    }
    // High confidence needs a thread the program starts and two threads that meet.
    let explicit = explicit && (many || threads.threads.len() > 1);
    let text = match phrases.len() {
        0 => "other threads".to_string(),
        1 => phrases.remove(0),
        _ => {
            let last = phrases.pop().unwrap_or_default();
            format!("{} and {last}", phrases.join(", "))
        }
    };
    related.dedup_by(|a, b| a.span == b.span);
    ThreadsDescription {
        text,
        related,
        explicit,
    }
}

/// `path:row` of a span, for messages.
pub fn place(files: &SourceFiles, span: Span) -> String {
    let file = files.get(span.file);
    format!("{}:{}", file.name, file.row(span.range.start()))
}

/// Confidence of a race finding: high when a thread the program starts runs the code and
/// another thread meets it (`explicit` says so) and no lock guards the location anywhere;
/// medium otherwise.
pub fn confidence(explicit: bool, any_locked: bool) -> Confidence {
    if explicit && !any_locked {
        Confidence::High
    } else {
        Confidence::Medium
    }
}

/// The call path from a thread start to `function`, for SARIF code flows.
/// It starts where the thread is started (when the root has a site) and follows the calls.
pub fn flow(project: &Project, function: FuncId, threads: &AccessThreads) -> Vec<Related> {
    let start = threads
        .threads
        .first()
        .and_then(|t| match t {
            Thread::Root(g) | Thread::Beside(g) => project.roots[*g as usize].site,
        })
        .map(|span| Related {
            span,
            message: "the thread starts here".to_string(),
        });
    start
        .into_iter()
        .chain(
            project
                .path_to(function)
                .into_iter()
                .map(|(caller, site)| Related {
                    span: Span::new(project.file_of(caller), site),
                    message: format!("`{}` calls", project.function(caller).name),
                }),
        )
        .collect()
}

/// The first line of `text`, at most 60 characters.
pub fn shorten(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() > 60 {
        let cut: String = line.chars().take(57).collect();
        format!("{cut}...")
    } else {
        line.to_string()
    }
}

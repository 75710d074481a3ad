//! SN2xx (and SN109): races on shared state, checked on the linked project model.
//!
//! The accesses of every function that may run on a thread (see [`crate::project`]) are grouped by
//! their canonical location; each rule then looks at one location's accesses, in parallel. Owned
//! state (an instance attribute while its object is being built, an object a function created
//! and kept to itself) and code that only runs on the main thread never take part.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use rayon::prelude::*;

use crate::diagnostic::{Confidence, Diagnostic, Related};
use crate::project::{FuncId, Project, RootKind};
use crate::rules::{Rule, RuleSet};
use crate::source::{SourceFiles, Span};
use crate::summary::{Access, Loc};

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
}

impl SharedAccess<'_> {
    pub fn shares_lock_with(&self, other: &SharedAccess) -> bool {
        !self.lockset.is_disjoint(&other.lockset)
    }
}

/// Every race finding of the project.
pub fn check(project: &Project, files: &SourceFiles, rules: RuleSet) -> Vec<Diagnostic> {
    let groups = shared_accesses(project);
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

/// The accesses of code that may run on threads, by canonical location, in a deterministic order.
pub fn shared_accesses(project: &Project) -> BTreeMap<Loc, Vec<SharedAccess<'_>>> {
    let mut groups: BTreeMap<Loc, Vec<SharedAccess>> = BTreeMap::new();
    for function in 0..project.functions.len() as FuncId {
        if !project.contexts[function as usize].is_concurrent() {
            continue;
        }
        let file = project.file_of(function);
        for access in &project.function(function).accesses {
            if !project.is_project_location(&access.loc) {
                continue;
            }
            let loc = project.canonical_loc(&access.loc);
            if project.is_owned(function, access, &loc) || project.is_method(&loc) {
                continue;
            }
            groups.entry(loc).or_default().push(SharedAccess {
                function,
                access,
                span: Span::new(file, access.range),
                lockset: project.lockset_at(function, &access.held),
            });
        }
    }
    // Inferred intent ("the class uses a lock") says the class is shared, not that each of its
    // fields is. Code reached only through intent counts for a location with evidence of its
    // own: some access to it holds a lock, or it lives on the class or the module.
    for (loc, accesses) in groups.iter_mut() {
        let evidence = project.is_class_attr(loc)
            || accesses
                .iter()
                .any(|a| a.access.kind.is_write() && guards_location(project, loc, &a.lockset));
        if !evidence {
            accesses.retain(|a| has_explicit_root(project, a.function));
        }
    }
    groups.retain(|_, accesses| accesses.iter().any(|a| a.access.kind.is_write()));
    groups
}

/// Whether holding `lockset` is evidence that `loc` is meant to be guarded. A lock that lives on
/// the class (one lock for every instance, typically serializing output or a class registry)
/// says nothing about the state of each instance.
fn guards_location(project: &Project, loc: &Loc, lockset: &BTreeSet<Loc>) -> bool {
    lockset.iter().any(|lock| match (loc, lock) {
        (Loc::Attr { .. }, Loc::Attr { .. }) => !project.is_class_attr(lock),
        _ => true,
    })
}

/// Whether `function` may run on a thread the program starts (not only by inferred intent).
pub fn has_explicit_root(project: &Project, function: FuncId) -> bool {
    project.contexts[function as usize]
        .roots
        .iter()
        .any(|&r| project.roots[r as usize].is_explicit())
}

/// Whether `a` and `b` (possibly the same access) may run at the same time on different threads.
pub fn may_run_in_parallel(project: &Project, a: &SharedAccess, b: &SharedAccess) -> bool {
    let ca = &project.contexts[a.function as usize];
    let cb = &project.contexts[b.function as usize];
    if ca.roots.is_empty() || cb.roots.is_empty() {
        return false;
    }
    if ca.many || cb.many || ca.roots.len() > 1 || cb.roots.len() > 1 {
        return true;
    }
    let group = |r: u32| project.roots[r as usize].group;
    group(ca.roots[0]) != group(cb.roots[0])
}

/// How the threads that run `function` are started, for messages, and where (related spans).
pub fn describe_threads(
    project: &Project,
    files: &SourceFiles,
    function: FuncId,
) -> (String, Vec<Related>, bool) {
    let ctx = &project.contexts[function as usize];
    let mut phrases = Vec::new();
    let mut related = Vec::new();
    let mut explicit = false;
    // The evidence of classes and modules meant to be shared, said once in one phrase.
    let mut intents: Vec<String> = Vec::new();
    // Threads the program starts say more than inferred intent: name those when there are any.
    let any_explicit = ctx
        .roots
        .iter()
        .any(|&r| project.roots[r as usize].is_explicit());
    for &r in &ctx.roots {
        let root = &project.roots[r as usize];
        if any_explicit && !root.is_explicit() {
            continue;
        }
        let site = root.site.map(|s| {
            let file = place(files, s);
            (s, file)
        });
        match &root.kind {
            RootKind::Spawn(kind) => {
                explicit = true;
                let what = kind.describe();
                let many = if root.many { "s" } else { "" };
                if let Some((span, place)) = site {
                    phrases.push(format!("the {what}{many} started at {place}"));
                    related.push(Related {
                        span,
                        message: format!("{what}{many} started here"),
                    });
                }
            }
            RootKind::ThreadRun => {
                explicit = true;
                let run = project.function(root.entry);
                let class = run.class.as_deref().unwrap_or("");
                let short = class.rsplit('.').next().unwrap_or(class);
                phrases.push(format!(
                    "the `{short}` thread{}",
                    if root.many { "s" } else { "" }
                ));
                if let Some((span, _)) = site {
                    related.push(Related {
                        span,
                        message: format!("`{short}` runs as a thread"),
                    });
                }
            }
            RootKind::ClassIntent { evidence, .. } | RootKind::ModuleIntent { evidence, .. } => {
                // One piece of evidence per class or module (its name leads the evidence).
                let subject = |e: &str| e.split(' ').next().unwrap_or_default().to_string();
                if !intents.iter().any(|i| subject(i) == subject(evidence)) {
                    intents.push(evidence.clone());
                }
                if let Some((span, _)) = site {
                    related.push(Related {
                        span,
                        message: format!("{evidence}: it is meant to be shared between threads"),
                    });
                }
            }
            RootKind::Declared { pattern } => {
                explicit = true;
                phrases.push(format!(
                    "the threads the `concurrent` setting names (`{pattern}`)"
                ));
            }
        }
    }
    match intents.as_slice() {
        [] => {}
        [one] => phrases.push(format!(
            "concurrent callers ({one}, so it is meant to be used from several threads)"
        )),
        [init @ .., last] => phrases.push(format!(
            "concurrent callers ({} and {last}, so they are meant to be used from several threads)",
            init.join(", ")
        )),
    }
    phrases.dedup();
    // High confidence needs a thread the program starts that runs many times (or two of them).
    let explicit = explicit && (ctx.many || ctx.roots.len() > 1);
    let text = if phrases.is_empty() {
        "other threads".to_string()
    } else {
        phrases.join(" and ")
    };
    (text, related, explicit)
}

/// `path:row` of a span, for messages.
pub fn place(files: &SourceFiles, span: Span) -> String {
    let file = files.get(span.file);
    format!("{}:{}", file.name, file.row(span.range.start()))
}

/// Confidence of a race finding: high when a thread the program starts runs the code many times
/// (or two threads meet: `explicit` says so) and no lock guards the location anywhere; medium
/// otherwise.
pub fn confidence(explicit: bool, any_locked: bool) -> Confidence {
    if explicit && !any_locked {
        Confidence::High
    } else {
        Confidence::Medium
    }
}

/// The call path from a thread start to `function`, for SARIF code flows.
/// It starts where the thread is started (when the root has a site) and follows the calls.
pub fn flow(project: &Project, function: FuncId) -> Vec<Related> {
    let start = project.contexts[function as usize]
        .roots
        .first()
        .and_then(|&r| project.roots[r as usize].site)
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

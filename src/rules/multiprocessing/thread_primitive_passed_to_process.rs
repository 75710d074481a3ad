//! SN505 `thread-primitive-passed-to-process`.
//!
//! ## What it does
//! Finds a `threading.Lock`, `RLock`, `Condition`, `Event`, `Semaphore`, `Barrier` or a
//! `queue.Queue` given to a process: as a `Process` argument, in `initargs`, as a pool or
//! executor task's argument, held by an object that goes to a process, or as a module global
//! that both the parent and code running in the child use.
//!
//! ## Why is this bad?
//! Thread primitives work between the threads of one process. Pickling one fails (`TypeError:
//! cannot pickle '_thread.lock' object`): pool tasks always, a `Process` under `spawn` and
//! `forkserver`. Under `fork` the child gets a copy of its own: it excludes, signals or
//! delivers nothing between the parent and the child.

use std::collections::{BTreeMap, HashSet};

use super::pickling::{Pickled, Problem, ShippedProblem};
use super::unpicklable_process_callable::{capitalize_first, pickled_at, receiver, when};
use super::{receives, Model};
use crate::diagnostic::{Confidence, Diagnostic};
use crate::project::FuncId;
use crate::rules::Rule;
use crate::source::Span;
use crate::summary::Loc;

pub fn check(model: &Model, shipped: &[ShippedProblem]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut held: BTreeMap<(u32, u32, u32), (Span, Vec<&ShippedProblem>)> = BTreeMap::new();
    for problem in shipped {
        match &problem.problem {
            Problem::ThreadPrimitive(class) => {
                out.push(direct(model, problem, class));
            }
            // An object that carries a lock is only a problem where it is pickled.
            Problem::Holds { span, what, .. }
                if what.is_thread_primitive() && problem.pickled != Pickled::Inherited =>
            {
                held.entry((
                    span.file.0,
                    span.range.start().to_u32(),
                    span.range.end().to_u32(),
                ))
                .or_insert_with(|| (*span, Vec::new()))
                .1
                .push(problem);
            }
            _ => {}
        }
    }
    for (span, problems) in held.into_values() {
        out.push(holds(model, span, &problems));
    }
    out.extend(globals(model));
    out
}

/// What the primitive stops doing across processes, and the `multiprocessing` equivalent.
fn primitive(class: &str) -> (&'static str, &'static str) {
    let short = class.rsplit('.').next().unwrap_or(class);
    match short {
        "Event" => ("signals nothing", "multiprocessing.Event"),
        "Barrier" => ("synchronizes nothing", "multiprocessing.Barrier"),
        "Condition" => ("excludes and signals nothing", "multiprocessing.Condition"),
        "RLock" => ("excludes nothing", "multiprocessing.RLock"),
        "Semaphore" => ("excludes nothing", "multiprocessing.Semaphore"),
        "BoundedSemaphore" => ("excludes nothing", "multiprocessing.BoundedSemaphore"),
        "Queue" | "LifoQueue" | "PriorityQueue" => ("delivers nothing", "multiprocessing.Queue"),
        "SimpleQueue" => ("delivers nothing", "multiprocessing.SimpleQueue"),
        _ => ("excludes nothing", "multiprocessing.Lock"),
    }
}

fn direct(model: &Model, problem: &ShippedProblem, class: &str) -> Diagnostic {
    let project = model.project;
    let file = project.file_of(problem.function);
    let call = &project.function(problem.function).processes().calls[problem.call];
    let shipment = &call.sent[problem.shipment];
    let subject = match &shipment.name {
        Some(name) => format!("`{name}` (a `{class}`)"),
        None => format!("A `{class}`"),
    };
    let (nothing, equivalent) = primitive(class);
    let role = receives(shipment.role, call.api);
    let message = match problem.pickled {
        Pickled::Inherited => format!(
            "{subject} is {role} started with `fork`: the child gets a copy of its own, which {nothing} between the parent and the child"
        ),
        Pickled::Always => format!(
            "{subject} is {role}, {}: pickling a thread primitive fails (`TypeError: cannot pickle`)",
            when(model, problem)
        ),
        Pickled::UnderSpawn => format!(
            "{subject} is {role}, {}: pickling a thread primitive fails (`TypeError: cannot pickle`); under `fork` the child's copy {nothing} between the parent and the child",
            when(model, problem)
        ),
    };
    let help = if shipment.role.pickled_always() {
        format!("Use a `Manager()` proxy (`manager.{}()`): pool tasks cannot take `{equivalent}` objects either.", class.rsplit('.').next().unwrap_or(class))
    } else {
        format!("Use `{equivalent}()`, which works between processes.")
    };
    let mut diagnostic = Diagnostic::new(
        Rule::ThreadPrimitivePassedToProcess,
        Span::new(file, shipment.range),
        capitalize_first(&message),
    )
    .with_help(help);
    if call.range != shipment.range {
        diagnostic = diagnostic.with_related(
            Span::new(file, call.range),
            format!("sent to {} here", receiver(shipment.role, call.api)),
        );
    }
    diagnostic
}

fn holds(model: &Model, span: Span, problems: &[&ShippedProblem]) -> Diagnostic {
    let project = model.project;
    let first = problems[0];
    let Problem::Holds {
        class, attr, what, ..
    } = &first.problem
    else {
        unreachable!("grouped by the attribute of a held problem");
    };
    let Problem::ThreadPrimitive(primitive_class) = &**what else {
        unreachable!("a held thread primitive");
    };
    let short = crate::project::roots::short_name(&project.class(*class).qualname);
    let call = &project.function(first.function).processes().calls[first.call];
    let shipment = &call.sent[first.shipment];
    let site = Span::new(project.file_of(first.function), call.range);
    let how = match shipment.role {
        crate::summary::processes::Role::Object => {
            "the `Process` object itself goes to the child".to_string()
        }
        role if role.is_callable() => format!(
            "a bound method of a `{short}` is {}",
            receives(role, call.api)
        ),
        role => format!("a `{short}` is {}", receives(role, call.api)),
    };
    let (_, equivalent) = primitive(primitive_class);
    let message = format!(
        "`{short}.{attr}` holds a `{primitive_class}`, and at {} {how}, {}: pickling it fails (`TypeError: cannot pickle`)",
        model.place(site),
        when(model, first),
    );
    let mut diagnostic = Diagnostic::new(Rule::ThreadPrimitivePassedToProcess, span, message)
        .with_help(format!(
            "Use `{equivalent}()` if the processes share it, or drop `{attr}` from what pickles (`__getstate__`) and make a new one in the child."
        ))
        .with_confidence(Confidence::Medium);
    diagnostic
        .related
        .extend(pickled_at(project, problems, short));
    diagnostic
}

/// The module global a sync use names, with its thread-primitive class.
fn global_primitive(model: &Model, loc: &Loc) -> Option<(String, String)> {
    let Loc::Global { name } = model.project.canonical_loc(loc) else {
        return None;
    };
    let class = model.global_class(&name)?;
    crate::summary::processes::is_thread_primitive(class).then(|| (name.clone(), class.to_string()))
}

/// A module-level thread primitive used both by code running in a child process and by the
/// code that started the process: each process has its own.
fn globals(model: &Model) -> Vec<Diagnostic> {
    let project = model.project;
    let mut out = Vec::new();
    let mut seen: HashSet<(String, FuncId)> = HashSet::new();
    for child in model.reach.reached() {
        for &root in model.reach.roots_of(child) {
            let root = &project.roots[root as usize];
            let Some((spawner, _)) = root.spawner else {
                continue;
            };
            for (loc, range) in &project.function(child).processes().global_syncs {
                let Some((name, class)) = global_primitive(model, loc) else {
                    continue;
                };
                let parent_use = project
                    .function(spawner)
                    .processes()
                    .global_syncs
                    .iter()
                    .find(|(l, _)| global_primitive(model, l).is_some_and(|(n, _)| n == name))
                    .map(|(_, r)| *r);
                let Some(parent_use) = parent_use else {
                    continue;
                };
                if !seen.insert((name.clone(), child)) {
                    continue;
                }
                let short = name.rsplit('.').next().unwrap_or(&name);
                let (nothing, equivalent) = primitive(&class);
                let parent_span = Span::new(project.file_of(spawner), parent_use);
                let mut diagnostic = Diagnostic::new(
                Rule::ThreadPrimitivePassedToProcess,
                Span::new(project.file_of(child), *range),
                format!(
                    "`{short}` (a module-level `{class}`) is used in a child process and by its parent at {}: each process has its own `{short}` (a copy under `fork`, a new one under `spawn`), so it {nothing} between them",
                    model.place(parent_span)
                ),
            )
            .with_help(format!(
                "Make it a `{equivalent}()` created by the parent and given to the children (`args=`, or a pool's `initargs`)."
            ))
            .with_related(parent_span, "the parent uses it here")
            .with_confidence(Confidence::Medium);
                if let Some(site) = root.site {
                    diagnostic = diagnostic.with_related(site, "the process starts here");
                }
                out.push(diagnostic);
            }
        }
    }
    out
}

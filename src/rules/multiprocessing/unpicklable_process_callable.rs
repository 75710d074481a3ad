//! SN502 `unpicklable-process-callable`.
//!
//! ## What it does
//! Finds what goes to a process but cannot be pickled: a lambda, a nested function, a local
//! class or a `functools.partial` of one given as a `Process` target, a pool's or executor's
//! initializer or a pool or executor task; and arguments, `initargs` and task arguments that are
//! (or are objects holding) lambdas, nested functions, open files, modules or generators, or
//! `multiprocessing` locks, queues and shared values given to a pool task. A test's `Process`
//! under the platform's default start method is left alone: it runs where its suite does.
//!
//! ## Why is this bad?
//! Pool and executor tasks are pickled under every start method. A `Process` (its target and
//! arguments) and a pool's initializer are pickled under `spawn` (the default on macOS and
//! Windows) and `forkserver` (the default on Linux from Python 3.14). Pickle finds functions and
//! classes by their module-level name and cannot serialize open files, modules or generators:
//! the start or the task fails (`Can't pickle local object`, `cannot pickle '_io.TextIOWrapper'
//! object`).

use std::collections::BTreeMap;

use super::pickling::{Pickled, Problem, ShippedProblem};
use super::{receives, Model};
use crate::diagnostic::{Confidence, Diagnostic, Related};
use crate::rules::Rule;
use crate::source::Span;
use crate::summary::processes::Role;

pub fn check(model: &Model, shipped: &[ShippedProblem]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // Objects whose attribute is the problem: one finding per attribute, at the attribute.
    let mut held: BTreeMap<(u32, u32, u32), (Span, Vec<&ShippedProblem>)> = BTreeMap::new();
    for problem in shipped {
        if problem.problem.is_thread_primitive()
            || problem.pickled == Pickled::Inherited
            || tests_platform_default(model, problem)
        {
            continue;
        }
        if let Problem::Holds { span, .. } = &problem.problem {
            held.entry((
                span.file.0,
                span.range.start().to_u32(),
                span.range.end().to_u32(),
            ))
            .or_insert_with(|| (*span, Vec::new()))
            .1
            .push(problem);
            continue;
        }
        out.push(direct(model, problem));
    }
    for (span, problems) in held.into_values() {
        out.push(holds(model, span, &problems));
    }
    out
}

/// A test that starts a `Process` with the platform's default start method: it exercises the
/// start method of the platform its suite runs on (tests named for `fork` checking what a forked
/// child inherits), unlike library code, which runs wherever its users do. Pool tasks are pickled
/// under every start method and stay reported.
fn tests_platform_default(model: &Model, problem: &ShippedProblem) -> bool {
    let project = model.project;
    let call = &project.function(problem.function).processes().calls[problem.call];
    problem.pickled == Pickled::UnderSpawn
        && model
            .methods
            .effective(project.file_of(problem.function), call.method)
            .is_none()
        && project.is_test_module(project.functions[problem.function as usize].0 as usize)
}

/// When the value is pickled, for a message.
pub fn when(model: &Model, problem: &ShippedProblem) -> String {
    let project = model.project;
    let call = &project.function(problem.function).processes().calls[problem.call];
    let shipment = &call.sent[problem.shipment];
    if let Some(pickler) = &problem.pickler {
        return format!("which the caller pickles with `{pickler}.dumps`");
    }
    if shipment.role.pickled_always() {
        return "which is pickled under every start method".to_string();
    }
    let file = project.file_of(problem.function);
    let phrase = model
        .methods
        .without_inheritance(file, call.method, model.files)
        .unwrap_or_default();
    format!("which is pickled to reach the child {phrase}")
}

/// Why pickle fails, and what to write instead.
fn failure(problem: &Problem) -> (&'static str, &'static str) {
    let what = problem.describe();
    if let Problem::InheritedOnly(_) = problem {
        return (
            "`multiprocessing` locks, queues and shared values go to a child only by inheritance (a `Process` argument, `initargs`): as a pool task's argument they raise RuntimeError",
            "Give it to the workers through the pool's `initializer`/`initargs` (kept in a module global), or use a `Manager()` proxy.",
        );
    }
    if what.contains("lambda") || what.contains("nested function") || what.contains("local class") {
        (
            "pickle finds functions and classes by their module-level name, which this one lacks",
            "Define it at module level and pass what it uses as arguments (`functools.partial` of a module-level function binds some).",
        )
    } else if what.contains("open file") {
        (
            "open files cannot be pickled",
            "Pass the file's path and open it in the child.",
        )
    } else if what.contains("module") {
        (
            "modules cannot be pickled",
            "Pass the module's name and import it in the child (`importlib.import_module`).",
        )
    } else {
        (
            "generators cannot be pickled",
            "Pass a list, or what the generator is made from.",
        )
    }
}

fn direct(model: &Model, problem: &ShippedProblem) -> Diagnostic {
    let project = model.project;
    let function = problem.function;
    let file = project.file_of(function);
    let call = &project.function(function).processes().calls[problem.call];
    let shipment = &call.sent[problem.shipment];
    let what = problem.problem.describe();
    let subject = match &shipment.name {
        Some(name) if !shipment.role.is_callable() || !what.contains(name.as_str()) => {
            format!("`{name}` ({what})")
        }
        _ => capitalize_first(&what),
    };
    let subject = capitalize_first(&subject);
    let via = if shipment.in_partial {
        " through a `functools.partial`"
    } else {
        ""
    };
    let (why, help) = failure(&problem.problem);
    let message = format!(
        "{subject} is {}{via}, {}: {why}",
        receives(shipment.role, call.api),
        when(model, problem),
    );
    let confidence = if what.contains("returns)") {
        Confidence::Medium
    } else {
        Confidence::High
    };
    let mut diagnostic = Diagnostic::new(
        Rule::UnpicklableProcessCallable,
        Span::new(file, shipment.range),
        message,
    )
    .with_help(help)
    .with_confidence(confidence);
    if call.range != shipment.range {
        diagnostic = diagnostic.with_related(
            Span::new(file, call.range),
            format!("sent to {} here", receiver(shipment.role, call.api)),
        );
    }
    diagnostic
}

/// Objects pickled for processes whose attribute (at `span`) cannot be pickled.
fn holds(model: &Model, span: Span, problems: &[&ShippedProblem]) -> Diagnostic {
    let project = model.project;
    let first = problems[0];
    let Problem::Holds {
        class,
        attr,
        what,
        annotated,
        ..
    } = &first.problem
    else {
        unreachable!("grouped by the attribute of a held problem");
    };
    let short = crate::project::roots::short_name(&project.class(*class).qualname);
    let call = &project.function(first.function).processes().calls[first.call];
    let shipment = &call.sent[first.shipment];
    let site = Span::new(project.file_of(first.function), call.range);
    let how = match shipment.role {
        Role::Object => "the `Process` object itself goes to the child".to_string(),
        _ if shipment.role.is_callable() => format!(
            "a bound method of a `{short}` is {}",
            receives(shipment.role, call.api)
        ),
        _ => format!("a `{short}` is {}", receives(shipment.role, call.api)),
    };
    let by = if *annotated {
        " (so its annotation says)"
    } else {
        ""
    };
    let (why, help) = failure(what);
    let message = format!(
        "`{short}.{attr}` holds {}{by}, and at {} {how}, {}: {why}",
        what.describe(),
        model.place(site),
        when(model, first),
    );
    let mut diagnostic = Diagnostic::new(Rule::UnpicklableProcessCallable, span, message)
        .with_help(format!(
            "Keep only picklable values in `{short}.{attr}`, or leave it out of what pickles with `__getstate__`. {help}"
        ))
        .with_confidence(Confidence::Medium);
    diagnostic
        .related
        .extend(pickled_at(project, problems, short));
    diagnostic
}

/// Who receives what a call ships: "the process", "the pool's workers".
/// Where the first few of `problems` pickle an object of the class `short`, as related locations.
pub fn pickled_at(
    project: &crate::project::Project,
    problems: &[&ShippedProblem],
    short: &str,
) -> Vec<Related> {
    problems
        .iter()
        .take(3)
        .map(|problem| {
            let call = &project.function(problem.function).processes().calls[problem.call];
            let shipment = &call.sent[problem.shipment];
            Related {
                span: Span::new(project.file_of(problem.function), shipment.range),
                message: format!(
                    "a `{short}` is pickled here for {}",
                    receiver(shipment.role, call.api)
                ),
            }
        })
        .collect()
}

pub fn receiver(role: Role, api: crate::summary::processes::Api) -> &'static str {
    let _ = role;
    api.describe()
}

pub fn capitalize_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

//! SN501 `process-start-without-main-guard`.
//!
//! ## What it does
//! Finds processes started when a module is imported: `Process(...).start()`, `Pool()`,
//! `Manager()`, a task given to a process pool or executor, in module-level code or in a
//! function that module-level code calls (up to [`MAX_DEPTH`] calls deep), outside
//! `if __name__ == "__main__":`.
//!
//! ## Why is this bad?
//! Under the `spawn` and `forkserver` start methods (the defaults on macOS and Windows, and on
//! Linux from Python 3.14) each child imports the main module again, and with it the modules it
//! imports. The module-level code runs again in the child and tries to start processes before
//! the child has finished starting: `RuntimeError: An attempt has been made to start a new
//! process before the current process has finished its bootstrapping phase`.

use rustc_hash::FxHashMap;

use super::Model;
use crate::diagnostic::{Confidence, Diagnostic};
use crate::project::link::Target;
use crate::project::{FuncId, Project};
use crate::python::TextRange;
use crate::rules::Rule;
use crate::source::Span;
use crate::summary::processes::{Maker, ProcessStart};

/// How many calls deep a process start may be below module-level code.
pub const MAX_DEPTH: u32 = 3;

pub fn check(model: &Model) -> Vec<Diagnostic> {
    let project = model.project;
    // Distance in calls from each function to a process start: one pass over the call edges per
    // level, no index of callers.
    let mut distance: FxHashMap<FuncId, (u32, FuncId, usize)> = FxHashMap::default();
    for f in 0..project.functions.len() as FuncId {
        let summary = project.function(f);
        if summary.kind == crate::summary::FunctionKind::Module {
            continue;
        }
        let file = project.file_of(f);
        if let Some(i) = summary
            .processes()
            .starts
            .iter()
            .position(|s| breaks_under_spawn(model, file, s))
        {
            distance.insert(f, (0, f, i));
        }
    }
    for depth in 1..MAX_DEPTH {
        if distance.is_empty() {
            break;
        }
        let mut found = Vec::new();
        for (f, edges) in project.edges.iter().enumerate() {
            let f = f as FuncId;
            if distance.contains_key(&f)
                || project.function(f).kind == crate::summary::FunctionKind::Module
            {
                continue;
            }
            let reached = edges.iter().find_map(|edge| {
                distance
                    .get(&edge.callee)
                    .filter(|(d, _, _)| *d == depth - 1)
                    .map(|&(_, at, i)| (depth, at, i))
            });
            if let Some(entry) = reached {
                found.push((f, entry));
            }
        }
        distance.extend(found);
    }
    let mut out = Vec::new();
    for (m, module) in project.modules.iter().enumerate() {
        // `python -m pkg` runs `pkg/__main__.py`; children do not run it again.
        if module.module == "__main__" || module.module.ends_with(".__main__") {
            continue;
        }
        let Some(&body) = project
            .function_by_name
            .get(&format!("{}.<module>", module.module))
        else {
            continue;
        };
        if project.functions[body as usize].0 as usize != m {
            continue;
        }
        let summary = project.function(body);
        let file = module.file;
        for start in &summary.processes().starts {
            if !start.guarded && breaks_under_spawn(model, file, start) {
                out.push(report(model, body, start.range, None, start));
            }
        }
        let guards = &summary.processes().main_guards;
        for edge in &project.edges[body as usize] {
            if guards.iter().any(|g| g.contains_range(edge.site)) {
                continue;
            }
            let Some(&(d, at, i)) = distance.get(&edge.callee) else {
                continue;
            };
            let start = &project.function(at).processes().starts[i];
            let via = (at, d + 1);
            out.push(report(model, body, edge.site, Some(via), start));
        }
    }
    out.sort_by_key(|d| (d.span.file, d.span.range.start()));
    out.dedup_by(|a, b| a.span == b.span);
    out
}

/// Whether a start re-runs in children that import the main module again: not under a `fork`
/// the code or the program chose, and not `os.fork()`.
fn breaks_under_spawn(model: &Model, file: crate::source::FileId, start: &ProcessStart) -> bool {
    if start.maker == Maker::Fork || model.methods.runs_forked(file, start.method) {
        return false;
    }
    match &start.class {
        None => true,
        // `.start()` on a project class: a process only if it derives from `Process`.
        Some(class) => matches!(model.project.resolve_name(class),
            Some(Target::Class(c)) if model.project.thread_class(c) == Some(true)),
    }
}

fn report(
    model: &Model,
    body: FuncId,
    at: TextRange,
    via: Option<(FuncId, u32)>,
    start: &ProcessStart,
) -> Diagnostic {
    let project: &Project = model.project;
    let file = project.file_of(body);
    let what = match start.maker {
        Maker::Process => "starts a process",
        Maker::Pool => "starts a pool's worker processes",
        Maker::ExecutorTask => "gives a task to a process pool executor, which starts its workers",
        Maker::Manager => "starts a manager's server process",
        Maker::Fork => "forks",
    };
    let when = model
        .methods
        .without_inheritance(file, start.method, model.files)
        .unwrap_or_default();
    let (subject, confidence) = match via {
        None => (format!("This {what}"), Confidence::High),
        Some((function, depth)) => (
            format!(
                "This call {what} (in `{}`, {depth} call{} down)",
                project.function(function).name,
                if depth == 1 { "" } else { "s" }
            ),
            Confidence::Medium,
        ),
    };
    let mut diagnostic = Diagnostic::new(
        Rule::ProcessStartWithoutMainGuard,
        Span::new(file, at),
        format!(
            "{subject} when the module is imported, outside `if __name__ == \"__main__\":`: {when}, each child imports the main module again and runs this again before it has finished starting (RuntimeError, or processes without end)"
        ),
    )
    .with_help("Move it under `if __name__ == \"__main__\":` (or into a function that only the main block calls).")
    .with_confidence(confidence);
    if let Some((function, _)) = via {
        diagnostic = diagnostic.with_related(
            Span::new(project.file_of(function), start.range),
            "the process starts here",
        );
    }
    diagnostic
}

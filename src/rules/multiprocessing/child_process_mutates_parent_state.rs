//! SN503 `child-process-mutates-parent-state`.
//!
//! ## What it does
//! Finds code running in a child process (a `Process` target, a pool or executor task, a
//! `Process` subclass's `run`, and what they call) that writes a module global, a class
//! attribute, a variable of the function that started it, or an attribute of the `Process`
//! object itself, which the parent then reads after starting the process.
//!
//! ## Why is this bad?
//! A child process works on its own copy of the parent's memory (a forked copy, or a fresh
//! import under `spawn`). Its writes never reach the parent: the parent reads the value it had
//! before, as if the child had done nothing.

use std::collections::HashSet;

use super::Model;
use crate::diagnostic::Diagnostic;
use crate::project::{FuncId, Project, RootKind};
use crate::rules::Rule;
use crate::source::Span;
use crate::summary::{Access, AccessKind, ContainerKind, Loc, Start};

pub fn check(model: &Model) -> Vec<Diagnostic> {
    let project = model.project;
    let mut out = Vec::new();
    let mut seen: HashSet<(Loc, FuncId)> = HashSet::new();
    for child in model.reach.reached() {
        let roots = model.reach.roots_of(child);
        for access in project.accesses_of(child) {
            if !access.kind.is_write() {
                continue;
            }
            let loc = project.canonical_loc(&access.loc);
            if !lost_in_child(model, child, access, &loc) {
                continue;
            }
            for &r in roots {
                let root = &project.roots[r as usize];
                let Some((spawner, index)) = root.spawner else {
                    continue;
                };
                let spawn = &project.function(spawner).spawns[index as usize];
                let after = match spawn.start {
                    Start::At { range } => range.end(),
                    _ => spawn.range.end(),
                };
                if let Loc::Cell { function, .. } = &loc {
                    if *function != project.function(spawner).qualname {
                        continue;
                    }
                }
                let read = project
                    .function(spawner)
                    .processes()
                    .reads_after
                    .iter()
                    .find(|(l, range)| range.start() >= after && project.canonical_loc(l) == loc);
                let Some((_, read)) = read else {
                    continue;
                };
                if !seen.insert((loc.clone(), child)) {
                    continue;
                }
                let read_span = Span::new(project.file_of(spawner), *read);
                let started = root.site.map(|s| model.place(s)).unwrap_or_default();
                let what = match (&loc, root.kind == RootKind::ThreadRun) {
                    (Loc::Attr { .. }, true) if access.via_self => {
                        "an attribute of the `Process` object"
                    }
                    (Loc::Attr { .. }, false) if access.via_self => {
                        "an attribute of the object whose method the child runs"
                    }
                    (Loc::Attr { .. }, _) => "a class attribute",
                    (Loc::Global { .. }, _) => "a module global",
                    (Loc::Cell { .. }, _) => "a variable of the function that starts the process",
                };
                let changes = if access.kind.on_contents() {
                    "changes"
                } else {
                    "assigns"
                };
                let mut diagnostic = Diagnostic::new(
                    Rule::ChildProcessMutatesParentState,
                    Span::new(project.file_of(child), access.range),
                    format!(
                        "A child process (the {} started at {started}) {changes} `{}`, {what}, and the parent reads it afterwards at {}: the child changes its own copy, and the parent never sees it",
                        describe_root(&root.kind),
                        loc.display(),
                        model.place(read_span),
                    ),
                )
                .with_help(
                    "Send the result back: return it from the task (a pool collects return values), or use a `multiprocessing.Queue`, a `Pipe`, a `Manager()` container or a `Value`/`Array`.",
                )
                .with_related(read_span, "the parent reads it here");
                if let Some(site) = root.site {
                    diagnostic = diagnostic.with_related(site, "the process starts here");
                }
                out.push(diagnostic);
                break;
            }
        }
    }
    out
}

fn describe_root(kind: &RootKind) -> &'static str {
    match kind {
        RootKind::Spawn(kind) => kind.describe(),
        _ => "process",
    }
}

/// Whether a write made in a child process stays there, where the parent could look for it: a
/// rebinding or an update of a plain container (not a `Manager` proxy or a shared `Value`), of
/// a module global, a class attribute, a variable of the starting function, or the process
/// object's own attribute.
fn lost_in_child(model: &Model, child: FuncId, access: &Access, loc: &Loc) -> bool {
    let project: &Project = model.project;
    let plain_container = || {
        matches!(
            project.container_kind(loc),
            Some(
                ContainerKind::Dict
                    | ContainerKind::Set
                    | ContainerKind::List
                    | ContainerKind::Deque
            )
        )
    };
    let rebinds = matches!(access.kind, AccessKind::Write | AccessKind::ReadModifyWrite);
    match loc {
        Loc::Global { name } => {
            project.globals.contains(name)
                && (plain_container() || rebinds && model.global_class(name).is_none())
        }
        Loc::Attr { .. } => {
            let on_object = access.via_self && model.reach.on_process_object(child);
            let on_class = !access.via_self && project.is_class_attr(loc);
            (on_object || on_class) && (rebinds || plain_container())
        }
        Loc::Cell { .. } => true,
    }
}

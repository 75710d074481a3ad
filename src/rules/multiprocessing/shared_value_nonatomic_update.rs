//! SN506 `shared-value-nonatomic-update`.
//!
//! ## What it does
//! Finds `v.value += ...` (or `v.value = v.value + ...`) and `arr[i] += ...` on a
//! `multiprocessing.Value` or `Array` in code that several processes run at once (a process
//! started in a loop or more than once with the same value, or a pool's tasks), without a lock
//! held around the update (`with v.get_lock():`).
//!
//! ## Why is this bad?
//! A `Value` synchronizes each read and each write, not the two together: `+=` reads, adds and
//! writes back, and two processes can read the same value, so one update is lost. The counts come
//! out short, differently on each run.

use std::collections::HashSet;

use super::Model;
use crate::diagnostic::Diagnostic;
use crate::project::FuncId;
use crate::python::TextRange;
use crate::rules::Rule;
use crate::source::Span;
use crate::summary::processes::{is_shared_value, Api, Sent, UpdateBase, ValueUpdate};
use crate::summary::{Callee, FunctionKind};

pub fn check(model: &Model) -> Vec<Diagnostic> {
    let project = model.project;
    let mut out = Vec::new();
    let mut seen: HashSet<(FuncId, TextRange)> = HashSet::new();
    // Values passed as a `Process` argument.
    for function in 0..project.functions.len() as FuncId {
        let calls = &project.function(function).processes().calls;
        for call in calls.iter().filter(|c| c.api == Api::Process) {
            let Some(target) = &call.target else {
                continue;
            };
            for shipment in &call.sent {
                let Sent::Instance { class } = &shipment.sent else {
                    continue;
                };
                let (Some(position), false) = (shipment.position, shipment.in_partial) else {
                    continue;
                };
                if !is_shared_value(class) {
                    continue;
                }
                // Several processes at once: started in a loop, or more than once with it.
                let starts = calls
                    .iter()
                    .filter(|c| {
                        c.api == Api::Process
                            && c.sent
                                .iter()
                                .any(|s| s.name.is_some() && s.name == shipment.name)
                    })
                    .count();
                if !call.many && starts < 2 {
                    continue;
                }
                let (functions, _) = project.resolve(target);
                for f in functions {
                    let offset = u32::from(
                        matches!(target, Callee::Method { .. })
                            && project.function(f).kind == FunctionKind::Method,
                    );
                    for update in &project.function(f).processes().value_updates {
                        if update.locked
                            || update.base
                                != (UpdateBase::Param {
                                    index: position + offset,
                                })
                            || !seen.insert((f, update.range))
                        {
                            continue;
                        }
                        let name = shipment.name.as_deref().unwrap_or("the value");
                        let site = Span::new(project.file_of(function), call.range);
                        out.push(report(model, f, update, name, class, site));
                    }
                }
            }
        }
    }
    // Module-level values updated by code that runs in several processes at once.
    for f in model.reach.reached() {
        let Some(&root) = model.reach.roots_of(f).first() else {
            continue;
        };
        let root = &project.roots[root as usize];
        if !(root.many || project.group_many[root.group as usize]) {
            continue;
        }
        for update in &project.function(f).processes().value_updates {
            let UpdateBase::Global { name } = &update.base else {
                continue;
            };
            if update.locked {
                continue;
            }
            let Some(class) = model.global_class(name) else {
                continue;
            };
            if !is_shared_value(class) || !seen.insert((f, update.range)) {
                continue;
            }
            let Some(site) = root.site else {
                continue;
            };
            let short = name.rsplit('.').next().unwrap_or(name);
            out.push(report(model, f, update, short, class, site));
        }
    }
    out
}

fn report(
    model: &Model,
    function: FuncId,
    update: &ValueUpdate,
    name: &str,
    class: &str,
    site: Span,
) -> Diagnostic {
    let short = class.rsplit('.').next().unwrap_or(class);
    let raw = short.starts_with("Raw");
    let article = if short.starts_with(['A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    };
    let what = if update.element {
        format!("an element of `{name}` ({article} `{short}`)")
    } else {
        format!("`{name}.value` ({article} `{short}`)")
    };
    let message = format!(
        "{} is read, changed and written back without a lock in processes that run at once (started at {}): two of them can read the same value and one update is lost",
        capitalize(&what),
        model.place(site)
    );
    let help = if raw {
        format!("A `{short}` has no lock: share a `multiprocessing.Lock` with the processes and hold it around the update.")
    } else {
        format!("Hold the value's own lock around the update: `with {name}.get_lock(): ...`.")
    };
    Diagnostic::new(
        Rule::SharedValueNonatomicUpdate,
        Span::new(model.project.file_of(function), update.range),
        message,
    )
    .with_help(help)
    .with_related(site, "the processes start here")
}

fn capitalize(text: &str) -> String {
    super::unpicklable_process_callable::capitalize_first(text)
}

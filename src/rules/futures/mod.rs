//! SN6xx: executors and futures, checked on the linked project model.
//!
//! The summaries record, per function, the futures and result iterators it drops and the tasks
//! it gives thread pools ([`crate::summary::futures`]); linking resolves the tasks' functions,
//! so a rule can tell a task that keeps its exceptions to itself from one that loses them, and a
//! task that waits on the pool it runs on through the helpers it calls.

use crate::diagnostic::Diagnostic;
use crate::project::{FuncId, Project};
use crate::rules::{Rule, RuleSet};
use crate::source::SourceFiles;
use crate::summary::Callee;

mod executor_map_result_ignored;
mod future_result_ignored;
mod wait_on_own_executor;

/// Every SN6xx finding of the project.
/// The functions a dropped task runs, when what it raises can be lost: its target is known and
/// is not exactly functions that catch everything.
pub struct LosableTask {
    pub targets: Vec<FuncId>,
    /// The target resolves to exactly these functions (not through what an attribute was seen to
    /// hold, which says nothing of what its users put there).
    pub exact: bool,
}

/// What a dropped future or iterator of `target` can lose, if anything.
pub fn losable_task(project: &Project, target: &Callee) -> Option<LosableTask> {
    let (targets, _) = project.resolve(target);
    // `submit(work(x))` hands the pool what `work(x)` returns, which SN101 reports when it is no
    // callable; an unresolved factory says nothing of the task.
    if matches!(target, Callee::Returned { .. }) && targets.is_empty() {
        return None;
    }
    let exact = resolves_exactly(project, target, &targets);
    if exact
        && targets
            .iter()
            .all(|&t| project.function(t).futures().catches_all)
    {
        return None;
    }
    Some(LosableTask { targets, exact })
}

pub fn check(project: &Project, files: &SourceFiles, rules: RuleSet) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if rules.contains(Rule::FutureResultIgnored) {
        future_result_ignored::check(project, files, &mut out);
    }
    if rules.contains(Rule::ExecutorMapResultIgnored) {
        executor_map_result_ignored::check(project, files, &mut out);
    }
    if rules.contains(Rule::WaitOnOwnExecutor) {
        wait_on_own_executor::check(project, files, &mut out);
    }
    out
}

/// How a message names a task's function: `Sinker.setup` when it resolves to one function,
/// else the name the code uses, else "the task".
pub fn task_label(project: &Project, target: &Callee, resolved: &[FuncId]) -> String {
    if let [one] = resolved {
        if resolves_exactly(project, target, resolved) {
            return format!("`{}`", project.function_label(*one));
        }
    }
    match target {
        Callee::Name { name } | Callee::Method { name, .. } | Callee::Super { name, .. } => {
            format!("`{}`", name.rsplit('.').next().unwrap_or(name))
        }
        _ => "the task".to_string(),
    }
}

/// The source text of `range` in `file`, on one line and at most 60 characters.
pub fn code(files: &SourceFiles, span: crate::source::Span) -> String {
    let text = files.get(span.file).slice(span.range);
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let flat = flat.replace("( ", "(").replace(" )", ")");
    if flat.chars().count() > 60 {
        let cut: String = flat.chars().take(57).collect();
        format!("{cut}...")
    } else {
        flat
    }
}

/// Whether `resolved` are the functions `target` names, rather than what an attribute holding a
/// callable was seen to hold (`self._callback`, which may be anything its users pass).
pub fn resolves_exactly(project: &Project, target: &Callee, resolved: &[FuncId]) -> bool {
    !resolved.is_empty()
        && match target {
            Callee::Method { name, .. } | Callee::Super { name, .. } => {
                resolved.iter().all(|&f| project.function(f).name == *name)
            }
            Callee::Name { .. } => true,
            _ => false,
        }
}

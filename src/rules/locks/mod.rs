//! SN3xx: locks, conditions and deadlocks.
//!
//! What one function's code shows is checked on its AST in the per-file phase, from
//! [`on_function_def`]: an `acquire()` whose `release()` some path skips (SN301), a condition wait
//! outside a loop (SN304), a `release()` where the acquire may not have happened (SN308).
//!
//! What needs the call graph, the threads and the locks held across calls is checked on the
//! linked project by [`check`], through a [`model::LockModel`]: which lock each reference is and
//! of what kind, what each function takes, blocks on and calls back through its calls. From it:
//! lock-order cycles between threads (SN302), a `Lock` taken again by the thread that holds it
//! (SN303), condition operations without the condition's lock (SN305), blocking calls under a lock
//! (SN306), loops polling state another thread sets (SN307), callbacks from outside run under a
//! lock (SN309).

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::project::{FuncId, Project};
use crate::python::ast;
use crate::python::TextRange;
use crate::rules::{Rule, RuleSet};
use crate::source::SourceFiles;

mod blocking_call_under_lock;
mod busy_wait_on_shared_flag;
mod callback_under_lock;
mod condition_wait_outside_loop;
mod condition_without_lock;
mod lock_acquire_without_release;
mod lock_order_inversion;
pub mod model;
mod nonreentrant_lock_reacquired;
mod release_without_acquire;
mod syntax;

use model::LockModel;

/// At every function definition, before its body is walked: the rules that read one function.
pub fn on_function_def(checker: &mut Checker, def: &ast::StmtFunctionDef) {
    if checker.enabled(Rule::LockAcquireWithoutRelease) {
        lock_acquire_without_release::check(checker, def);
    }
    if checker.enabled(Rule::ConditionWaitOutsideLoop) {
        condition_wait_outside_loop::check(checker, def);
    }
    if checker.enabled(Rule::ReleaseWithoutAcquire) {
        release_without_acquire::check(checker, def);
    }
}

/// Every project lock finding.
pub fn check(project: &Project, files: &SourceFiles, rules: RuleSet) -> Vec<Diagnostic> {
    let project_rules = [
        Rule::LockOrderInversion,
        Rule::NonreentrantLockReacquired,
        Rule::ConditionWithoutLock,
        Rule::BlockingCallUnderLock,
        Rule::BusyWaitOnSharedFlag,
        Rule::CallbackUnderLock,
    ];
    if !project_rules.iter().any(|r| rules.contains(*r)) {
        return Vec::new();
    }
    let model = LockModel::build(project, files);
    let mut out = Vec::new();
    if rules.contains(Rule::LockOrderInversion) {
        out.extend(lock_order_inversion::check(&model));
    }
    if rules.contains(Rule::NonreentrantLockReacquired) {
        out.extend(nonreentrant_lock_reacquired::check(&model));
    }
    if rules.contains(Rule::ConditionWithoutLock) {
        out.extend(condition_without_lock::check(&model));
    }
    if rules.contains(Rule::BlockingCallUnderLock) {
        out.extend(blocking_call_under_lock::check(&model));
    }
    if rules.contains(Rule::BusyWaitOnSharedFlag) {
        out.extend(busy_wait_on_shared_flag::check(&model));
    }
    if rules.contains(Rule::CallbackUnderLock) {
        out.extend(callback_under_lock::check(&model));
    }
    out
}

/// "`a` → `b` → `c`": the functions a call path goes through, for messages.
fn describe_path(model: &LockModel, path: &[(FuncId, TextRange)]) -> String {
    let mut names: Vec<String> = Vec::new();
    for (f, _) in path {
        let name = format!("`{}`", model.name(*f));
        if names.last() != Some(&name) {
            names.push(name);
        }
    }
    names.join(" → ")
}

/// "line 12" or "app/cache.py:12" for a place in `function`'s file, seen from `from`'s file.
fn line_of(model: &LockModel, from: FuncId, function: FuncId, range: TextRange) -> String {
    let file = model.files.get(model.project.file_of(function));
    let row = file.row(range.start());
    if model.project.file_of(function) == model.project.file_of(from) {
        format!("line {row}")
    } else {
        format!("{}:{row}", file.name)
    }
}

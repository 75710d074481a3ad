//! SN1xx: thread and process API misuse, checked on each file's AST by the [`Checker`].
//!
//! The checker calls these dispatch functions at each node; each calls the rules that look at that
//! kind of node. One file per rule. The rules that need the linked project (a target's signature
//! in another module, which threads run a lazy start) run from [`check_project`].

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::project::Project;
use crate::python::ast::{self, Stmt};
use crate::rules::{Rule, RuleSet};
use crate::source::SourceFiles;

/// The thread-API rules that run on the linked project.
pub const PROJECT_RULES: &[Rule] = &[
    Rule::ThreadStartedTwice,
    Rule::ThreadTargetArgumentsMismatch,
];

/// The thread-API findings that need the linked project.
pub fn check_project(project: &Project, files: &SourceFiles, rules: RuleSet) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if rules.contains(Rule::ThreadTargetArgumentsMismatch) {
        out.extend(thread_target_arguments_mismatch::check(project, files));
    }
    if rules.contains(Rule::ThreadStartedTwice) {
        out.extend(thread_started_concurrently::check(project, files));
    }
    out
}

mod lock_not_shared;
mod start_flow;
mod thread_args_not_tuple;
mod thread_init_without_super;
mod thread_joined_before_start;
mod thread_positional_group;
mod thread_run_called;
mod thread_start_overridden;
mod thread_started_concurrently;
pub mod thread_started_twice;
mod thread_target_arguments_mismatch;
mod thread_target_called;

/// Once per module, with its top-level statements (scripts start threads there too).
pub fn on_module(checker: &mut Checker, body: &[Stmt]) {
    thread_started_twice::check(checker, body);
    thread_joined_before_start::check_function(checker, None, body);
}

/// At every class definition, before its body is walked.
pub fn on_class_def(checker: &mut Checker, def: &ast::StmtClassDef) {
    thread_joined_before_start::check_class(checker, def);
    // This definition's own bases: a file can define two classes of one name in `if`/`else`.
    let Some(class) = checker.semantic.class_of_def(def) else {
        return;
    };
    if let Some(base) = class
        .bases
        .iter()
        .find_map(|base| checker.semantic.concurrency_base(base))
    {
        thread_init_without_super::check(checker, def, base);
        thread_start_overridden::check(checker, def, base);
        return;
    }
    // A base from another module of the project may be a thread class: decided after linking.
    let qualname = class.qualname.clone();
    if class
        .bases
        .iter()
        .any(|base| checker.is_foreign_class(base))
    {
        checker.deferring(&qualname, |checker, base| {
            thread_init_without_super::check(checker, def, base);
            thread_start_overridden::check(checker, def, base);
        });
    }
}

/// At every function definition, before its body is walked.
pub fn on_function_def(checker: &mut Checker, def: &ast::StmtFunctionDef) {
    lock_not_shared::check_function(checker, def);
    thread_started_twice::check(checker, &def.body);
    thread_joined_before_start::check_function(checker, Some(def), &def.body);
}

/// At every statement other than class and function definitions.
pub fn on_stmt(checker: &mut Checker, stmt: &Stmt) {
    if let Stmt::With(with) = stmt {
        lock_not_shared::check_with(checker, with);
    }
}

/// At every call expression.
pub fn on_call(checker: &mut Checker, call: &ast::ExprCall) {
    let qualified = checker.qualified_name(&call.func);
    if let Some(constructor) = qualified
        .as_deref()
        .and_then(|q| thread_constructor(checker, q))
    {
        thread_args_not_tuple::check(checker, call, constructor);
        thread_positional_group::check(checker, call, constructor);
    }
    thread_target_called::check(checker, call, qualified.as_deref());
    thread_run_called::check(checker, call);
}

/// Which of the thread and process constructors a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constructor {
    /// `threading.Thread` or `multiprocessing.Process` (or a subclass in this file): `group`,
    /// `target`, `name`, `args`, `kwargs`.
    ThreadOrProcess(&'static str),
    /// `threading.Timer`: `interval`, `function`, `args`, `kwargs`.
    Timer,
}

fn thread_constructor(checker: &Checker, qualified: &str) -> Option<Constructor> {
    match qualified {
        "threading.Timer" => Some(Constructor::Timer),
        "threading.Thread" => Some(Constructor::ThreadOrProcess("threading.Thread")),
        "multiprocessing.Process" => Some(Constructor::ThreadOrProcess("multiprocessing.Process")),
        _ => None,
    }
    .or_else(|| {
        // A subclass keeps the base's signature only when no class between it and the base
        // defines its own `__init__` (and every class in between is known).
        let mut current = checker.semantic.class_by_qualname(qualified)?;
        loop {
            if current.methods.iter().any(|m| m == "__init__") {
                return None;
            }
            let base = current.bases.first()?;
            if let Some(standard) = crate::semantic::standard_thread_or_process_class(base) {
                return Some(Constructor::ThreadOrProcess(standard));
            }
            current = checker.semantic.class_by_qualname(base)?;
        }
    })
}

/// The keyword argument `name` of `call`.
pub fn keyword<'a>(call: &'a ast::ExprCall, name: &str) -> Option<&'a ast::Keyword> {
    call.arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
}

/// `Thread` or `Process`, for messages.
pub fn short(qualified: &str) -> &str {
    qualified.rsplit('.').next().unwrap_or(qualified)
}

//! SN105 `thread-start-overridden`.
//!
//! ## What it does
//! Finds a `Thread` or `Process` subclass that overrides `start()` without calling the base
//! class's `start()` (nor starting another object, nor handing its own `run` to a starter).
//!
//! ## Why is this bad?
//! The base `start()` is what creates the new thread or process. An override that does the work
//! itself (or calls `run()`) runs it in the caller: nothing happens in the background.
//!
//! ## Example
//! ```python
//! class Poller(Thread):
//!     def start(self):
//!         self.poll_forever()
//! ```
//!
//! Use instead:
//! ```python
//! class Poller(Thread):
//!     def run(self):
//!         self.poll_forever()
//! ```

use super::short;
use super::thread_init_without_super::{calls_base_method, method, raises};
use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::python::ast;
use crate::python::ast::{Expr, Stmt};
use crate::python::Ranged;
use crate::rules::Rule;

pub fn check(checker: &mut Checker, class: &ast::StmtClassDef, base: &str) {
    if !checker.enabled(Rule::ThreadStartOverridden) {
        return;
    }
    let Some(start) = method(class, "start") else {
        return;
    };
    // Refusing to start (`raise`), starting another thread that runs this one's `run`
    // (`self._inner.start()`), or handing `self.run` to something that starts it
    // (`start_new_thread(self.run, ())`, `executor.submit(self.run)`) is deliberate.
    if calls_base_method(&start.body, "start")
        || raises(&start.body)
        || starts_something(&start.body)
        || hands_on_run(start)
    {
        return;
    }
    let what = if base == "multiprocessing.Process" {
        "process"
    } else {
        "thread"
    };
    checker.report(
        Diagnostic::new(
            Rule::ThreadStartOverridden,
            checker.span(start.name.range()),
            format!(
                "`{}.start` overrides `{}.start` without calling it: no {what} is ever started, the work runs in the caller",
                class.name,
                short(base)
            ),
        )
        .with_help(format!(
            "Put the {what}'s work in `run()` and leave `start()` alone (or call `super().start()` from the override)."
        )),
    );
}

/// Whether `body` calls some `x.start()` at its top level.
fn starts_something(body: &[Stmt]) -> bool {
    body.iter().any(|stmt| match stmt {
        Stmt::Expr(node) => matches!(&*node.value, Expr::Call(call)
            if matches!(&*call.func, Expr::Attribute(a) if a.attr.as_str() == "start")),
        _ => false,
    })
}

/// Whether the method passes its own `run` (`self.run`, bound, not called) as an argument to some
/// call: another mechanism starts the body (gevent's `start_new_thread`, an executor).
fn hands_on_run(def: &ast::StmtFunctionDef) -> bool {
    use crate::python::{visitor, Visitor};
    let Some(receiver) = def
        .parameters
        .posonlyargs
        .iter()
        .chain(&def.parameters.args)
        .next()
        .map(|p| p.parameter.name.as_str())
    else {
        return false;
    };
    struct Find<'r> {
        receiver: &'r str,
        found: bool,
    }
    impl Find<'_> {
        fn is_own_run(&self, expr: &Expr) -> bool {
            matches!(expr, Expr::Attribute(a) if a.attr.as_str() == "run"
                && matches!(&*a.value, Expr::Name(n) if n.id.as_str() == self.receiver))
        }
    }
    impl<'a> Visitor<'a> for Find<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr {
                if call.arguments.args.iter().any(|a| self.is_own_run(a))
                    || call
                        .arguments
                        .keywords
                        .iter()
                        .any(|k| self.is_own_run(&k.value))
                {
                    self.found = true;
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut find = Find {
        receiver,
        found: false,
    };
    for stmt in &def.body {
        find.visit_stmt(stmt);
    }
    find.found
}

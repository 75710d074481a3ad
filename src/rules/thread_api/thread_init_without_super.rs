//! SN104 `thread-init-without-super`.
//!
//! ## What it does
//! Finds a `Thread` or `Process` subclass whose `__init__` never calls the base class's
//! `__init__` (`super().__init__(...)` or `Base.__init__(self, ...)`).
//!
//! ## Why is this bad?
//! The base `__init__` sets up the state `start()` needs. Without it `Thread.start()` raises
//! `RuntimeError: thread.__init__() not called`, and `Process.start()` fails with an
//! `AttributeError` on the missing internals.
//!
//! ## Example
//! ```python
//! class Worker(Thread):
//!     def __init__(self, jobs):
//!         self.jobs = jobs
//! ```
//!
//! Use instead:
//! ```python
//! class Worker(Thread):
//!     def __init__(self, jobs):
//!         super().__init__()
//!         self.jobs = jobs
//! ```

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::python::ast::{self, Stmt};
use crate::python::Ranged;
use crate::rules::Rule;

use super::short;

pub fn check(checker: &mut Checker, class: &ast::StmtClassDef, base: &str) {
    if !checker.enabled(Rule::ThreadInitWithoutSuper) {
        return;
    }
    let Some(init) = method(class, "__init__") else {
        return;
    };
    // An `__init__` that refuses to build the object (`raise NotImplementedError`) is fine.
    if calls_base_method(&init.body, "__init__") || raises(&init.body) {
        return;
    }
    let failure = if base == "multiprocessing.Process" {
        "`start()` fails with an AttributeError on the Process internals it never set up"
    } else {
        "`start()` raises RuntimeError(\"thread.__init__() not called\")"
    };
    checker.report(
        Diagnostic::new(
            Rule::ThreadInitWithoutSuper,
            checker.span(init.name.range()),
            format!(
                "`{}.__init__` never calls `{}.__init__`: {failure}",
                class.name,
                short(base)
            ),
        )
        .with_help("Call `super().__init__()` (with the base's arguments, such as `daemon=True`) at the start of `__init__`."),
    );
}

/// Whether `body` raises at its top level: the method refuses to run.
pub fn raises(body: &[Stmt]) -> bool {
    body.iter().any(|stmt| matches!(stmt, Stmt::Raise(_)))
}

/// The method `name` defined in `class`'s body: the last definition, the one the class keeps
/// (`@overload` stubs before it are signatures, not the code that runs).
pub fn method<'a>(class: &'a ast::StmtClassDef, name: &str) -> Option<&'a ast::StmtFunctionDef> {
    class.body.iter().rev().find_map(|stmt| match stmt {
        Stmt::FunctionDef(def) if def.name.as_str() == name && !is_overload(def) => Some(def),
        _ => None,
    })
}

/// Whether `def` is decorated `@overload` / `@typing.overload`: a signature for type checkers.
fn is_overload(def: &ast::StmtFunctionDef) -> bool {
    use crate::python::ast::Expr;
    def.decorator_list.iter().any(|d| match &d.expression {
        Expr::Name(name) => name.id.as_str() == "overload",
        Expr::Attribute(attribute) => attribute.attr.as_str() == "overload",
        _ => false,
    })
}

/// Whether `body` calls `super().name(...)`, `super(C, self).name(...)` or `Base.name(self, ...)`
/// anywhere (not inside nested functions).
pub fn calls_base_method(body: &[Stmt], name: &str) -> bool {
    use crate::python::ast::Expr;
    use crate::python::{visitor, Visitor};
    struct Find<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'a> Visitor<'a> for Find<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr {
                if let Expr::Attribute(attribute) = &*call.func {
                    if attribute.attr.as_str() == self.name {
                        let through_super = matches!(&*attribute.value,
                            Expr::Call(inner) if crate::semantic::is_super_call(inner));
                        let through_class =
                            matches!(&*attribute.value, Expr::Name(_) | Expr::Attribute(_))
                                && call.arguments.args.first().is_some_and(
                                    |a| matches!(a, Expr::Name(n) if n.id.as_str() == "self"),
                                );
                        if through_super || through_class {
                            self.found = true;
                        }
                    }
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut find = Find { name, found: false };
    for stmt in body {
        find.visit_stmt(stmt);
    }
    find.found
}

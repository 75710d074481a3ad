//! SN105 `thread-start-overridden`.
//!
//! ## What it does
//! Finds a `Thread` or `Process` subclass that overrides `start()` without calling the base
//! class's `start()`.
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
    // Refusing to start (`raise`) or starting another thread that runs this one's `run`
    // (`self._inner.start()`) is deliberate.
    if calls_base_method(&start.body, "start")
        || raises(&start.body)
        || starts_something(&start.body)
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

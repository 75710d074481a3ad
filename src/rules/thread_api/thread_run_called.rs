//! SN103 `thread-run-called`.
//!
//! ## What it does
//! Finds `.run()` called on a `Thread` or `Process` object from outside its class (tests, which
//! run a body in their own thread on purpose, are left alone).
//!
//! ## Why is this bad?
//! `run()` is the body the new thread executes; calling it directly runs that body right here, in
//! the calling thread, and blocks it. No thread is started. `start()` starts the thread, which
//! then calls `run()`.
//!
//! ## Example
//! ```python
//! worker = Thread(target=serve)
//! worker.run()
//! ```
//!
//! Use instead:
//! ```python
//! worker = Thread(target=serve)
//! worker.start()
//! ```

use crate::checker::Checker;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::python::ast::{self, Expr};
use crate::python::Ranged;
use crate::rules::Rule;

pub fn check(checker: &mut Checker, call: &ast::ExprCall) {
    // Tests run a thread's body in the test's own thread on purpose, to check what it does.
    if !checker.enabled(Rule::ThreadRunCalled) || checker.in_test() {
        return;
    }
    let Expr::Attribute(attribute) = &*call.func else {
        return;
    };
    if attribute.attr.as_str() != "run" || !call.arguments.is_empty() {
        return;
    }
    // `self.run()` and `super().run()` inside the class are the class's own business.
    match &*attribute.value {
        Expr::Name(name) if name.id.as_str() == "self" => return,
        Expr::Call(inner) if crate::semantic::is_super_call(inner) => return,
        _ => {}
    }
    let Some(class) = checker.type_of(&attribute.value) else {
        return;
    };
    match checker.semantic.concurrency_base(&class) {
        Some(base) => report(checker, call, attribute, base),
        // A class of another module of the project: a thread if its bases say so.
        None if checker.is_foreign_class(&class) => {
            checker.deferring(&class, |checker, base| {
                report(checker, call, attribute, base)
            });
        }
        None => {}
    }
}

fn report(checker: &mut Checker, call: &ast::ExprCall, attribute: &ast::ExprAttribute, base: &str) {
    let receiver = checker.text(&*attribute.value);
    let what = if base == "multiprocessing.Process" {
        "process"
    } else {
        "thread"
    };
    checker.report(
        Diagnostic::new(
            Rule::ThreadRunCalled,
            checker.span(call.range()),
            format!(
                "`{receiver}.run()` runs the {what}'s body here, in the calling thread; no {what} is started"
            ),
        )
        .with_help(format!("Call `{receiver}.start()` to run it in a new {what}."))
        .with_fix(Fix {
            applicability: Applicability::Unsafe,
            message: "Call `start()` instead".to_string(),
            edits: vec![Edit {
                range: attribute.attr.range(),
                content: "start".to_string(),
            }],
        }),
    );
}

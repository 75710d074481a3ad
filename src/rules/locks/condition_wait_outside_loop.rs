//! SN304 `condition-wait-outside-loop`.
//!
//! ## What it does
//! Finds `cond.wait()` on a condition variable that is not inside a loop of its function: most
//! often guarded by an `if` on the predicate (`if not self._items: self._cond.wait()`), or bare,
//! with no timeout, waiting for one notification. `cond.wait_for(predicate)` rechecks the
//! predicate itself and is quiet; so is a wait inside any `while` or `for`; `Event.wait()` is no
//! condition wait. A bare `wait(timeout)` outside any `if` is a timed pause, and quiet.
//!
//! ## Why is this bad?
//! Waking up says only that someone notified, not that the predicate holds: with several waiters
//! another thread can take the item first (a stolen wake-up), `notify_all()` wakes everyone, and
//! a timeout returns with nothing changed. Code after the `if` then works on a state it never
//! checked. A bare wait also misses a notification sent before it started waiting.

use super::syntax::{method_call, Locals};
use crate::checker::Checker;
use crate::diagnostic::{Confidence, Diagnostic};
use crate::python::ast::{self, Expr, Stmt};
use crate::python::visitor::{self, Visitor};
use crate::python::Ranged;
use crate::rules::Rule;

pub fn check(checker: &mut Checker, def: &ast::StmtFunctionDef) {
    let locals = Locals::of(checker, &def.body);
    let mut finder = Waits {
        checker,
        locals: &locals,
        loops: 0,
        ifs: Vec::new(),
        found: Vec::new(),
    };
    for stmt in &def.body {
        finder.visit_stmt(stmt);
    }
    let found = std::mem::take(&mut finder.found);
    for diagnostic in found {
        checker.report(diagnostic);
    }
}

struct Waits<'c, 'k, 'a> {
    checker: &'c Checker<'k>,
    locals: &'c Locals,
    loops: usize,
    /// The tests of the `if` statements around the current node.
    ifs: Vec<&'a Expr>,
    found: Vec<Diagnostic>,
}

impl<'a> Visitor<'a> for Waits<'_, '_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::While(_) | Stmt::For(_) => {
                self.loops += 1;
                visitor::walk_stmt(self, stmt);
                self.loops -= 1;
            }
            Stmt::If(node) => {
                self.visit_expr(&node.test);
                self.ifs.push(&node.test);
                for s in &node.body {
                    self.visit_stmt(s);
                }
                for clause in &node.elif_else_clauses {
                    if let Some(test) = &clause.test {
                        self.visit_expr(test);
                    }
                    for s in &clause.body {
                        self.visit_stmt(s);
                    }
                }
                self.ifs.pop();
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(_) | Expr::Await(_) => {}
            Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) | Expr::Generator(_) => {
                self.loops += 1;
                visitor::walk_expr(self, expr);
                self.loops -= 1;
            }
            Expr::Call(call) => {
                self.check_call(expr, call);
                visitor::walk_expr(self, expr);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

impl Waits<'_, '_, '_> {
    fn check_call(&mut self, expr: &Expr, call: &ast::ExprCall) {
        if self.loops > 0 {
            return;
        }
        let Some((object, "wait", _)) = method_call(expr) else {
            return;
        };
        if !self.locals.is_condition(self.checker, object) {
            return;
        }
        let cond = self.checker.text(object);
        let timed = !call.arguments.args.is_empty() || !call.arguments.keywords.is_empty();
        // A timed wait is a bounded pause whose caller handles a timeout: it rechecks anyway.
        if timed {
            return;
        }
        // A bare wait may be right: the notifier may need the lock this thread holds until it
        // waits. The `if` on the predicate is the classic bug.
        let Some(test) = self.ifs.last() else {
            return;
        };
        let test = crate::rules::races::shorten(self.checker.text(*test));
        let diagnostic = Diagnostic::new(
            Rule::ConditionWaitOutsideLoop,
            self.checker.span(call.range()),
            format!(
                "`{cond}.wait()` is guarded by `if {test}`, not a `while` loop: after a wake-up the predicate is not checked again, and a stolen or spurious wake-up goes on with it false"
            ),
        )
        .with_confidence(Confidence::High);
        self.found.push(diagnostic.with_help(format!(
            "Wait in a loop on the predicate, `while not ready(): {cond}.wait()`, or use `{cond}.wait_for(ready)`, which rechecks it."
        )));
    }
}

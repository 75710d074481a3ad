//! SN308 `release-without-acquire`.
//!
//! ## What it does
//! Finds `lock.release()` on a path where the acquire did not happen or did not succeed:
//! - `lock.acquire(False)`, `acquire(blocking=False)` or `acquire(timeout=...)` whose result is
//!   ignored, then an unconditional `release()`;
//! - `ok = lock.acquire(timeout=...)`, then a `release()` that no test of `ok` guards;
//! - `try: ... lock.acquire() ... finally: lock.release()`: the `finally` runs even when the
//!   `try` fails before (or in) the acquire, or when a non-blocking acquire fails.
//!
//! ## Why is this bad?
//! Releasing a lock nobody holds raises `RuntimeError: release unlocked lock`, which hides the
//! error that sent the code there. Worse, when another thread holds the lock, a `Lock` is simply
//! released: that thread's critical section is no longer protected.

use super::syntax::{method_call, method_statement, Locals};
use crate::checker::Checker;
use crate::diagnostic::{Confidence, Diagnostic};
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{Ranged, TextRange};
use crate::rules::Rule;

pub fn check(checker: &mut Checker, def: &ast::StmtFunctionDef) {
    // Tests drive acquire and release by hand to exercise a lock's protocol (`assert
    // lock.acquire(False)`); a release there pairs with what the test asserted.
    if checker.in_test() || crate::checker::is_test_name(&def.name) {
        return;
    }
    let locals = Locals::of(checker, &def.body);
    let mut blocks = Vec::new();
    super::syntax::blocks(&def.body, &mut blocks);
    let mut found: Vec<Diagnostic> = Vec::new();
    let mut reported: Vec<TextRange> = Vec::new();
    for block in &blocks {
        for stmt in block.iter() {
            // `try: ... lock.acquire() ... finally: lock.release()`.
            if let Stmt::Try(node) = stmt {
                for (index, inner) in node.body.iter().enumerate() {
                    let Some((object, call, shape)) = acquire_in(inner) else {
                        continue;
                    };
                    if !locals.is_lock(checker, object) {
                        continue;
                    }
                    let lock = checker.text(object);
                    let Some(release) = node
                        .finalbody
                        .iter()
                        .find(|s| super::syntax::is_release_of(checker, s, lock))
                    else {
                        continue;
                    };
                    if reported.contains(&release.range()) {
                        continue;
                    }
                    reported.push(release.range());
                    let may_fail = !crate::summary::acquire_blocks(call) || shape != Shape::Bare;
                    let why = if may_fail {
                        "when the acquire does not succeed"
                    } else if index > 0 {
                        "when the code before the acquire raises"
                    } else {
                        "when the acquire itself is interrupted"
                    };
                    found.push(
                        Diagnostic::new(
                            Rule::ReleaseWithoutAcquire,
                            checker.span(release.range()),
                            format!(
                                "`{lock}.release()` is in the `finally` of a `try` that `{lock}.acquire()` sits inside: it runs {why}, and releasing a lock this thread does not hold raises `RuntimeError` (or frees another thread's lock)"
                            ),
                        )
                        .with_help(format!(
                            "Acquire before the `try`: `{lock}.acquire()` then `try: ... finally: {lock}.release()` (or `with {lock}:`); for a non-blocking acquire, release only if it succeeded."
                        ))
                        .with_related(checker.span(inner.range()), "acquired inside the `try`")
                        .with_confidence(if may_fail || index > 0 {
                            Confidence::High
                        } else {
                            Confidence::Medium
                        }),
                    );
                }
            }
        }
    }
    // A non-blocking acquire whose result is ignored or not tested before the release.
    for block in &blocks {
        for stmt in block.iter() {
            let (object, call, var) = match stmt {
                Stmt::Expr(_) => match method_statement(stmt) {
                    Some((object, "acquire", call)) => (object, call, None),
                    _ => continue,
                },
                Stmt::Assign(assign) => match (&*assign.targets, method_call(&assign.value)) {
                    ([Expr::Name(name)], Some((object, "acquire", call))) => {
                        (object, call, Some(name.id.as_str()))
                    }
                    _ => continue,
                },
                _ => continue,
            };
            if !may_fail_literally(call) || !locals.is_lock(checker, object) {
                continue;
            }
            let lock = checker.text(object);
            let Some(release) =
                unguarded_release(checker, &def.body, lock, var, stmt.range(), false)
            else {
                continue;
            };
            if reported.contains(&release) {
                continue;
            }
            reported.push(release);
            let message = match var {
                None => format!(
                    "`{lock}.release()` runs whether or not `{}` succeeded: its result is ignored, and releasing a lock this thread does not hold raises `RuntimeError` (or frees another thread's lock)",
                    checker.text(call)
                ),
                Some(var) => format!(
                    "`{lock}.release()` is not guarded by `{var}`: when `{}` fails, it releases a lock this thread does not hold (`RuntimeError`, or another thread's lock freed)",
                    checker.text(call)
                ),
            };
            found.push(
                Diagnostic::new(
                    Rule::ReleaseWithoutAcquire,
                    checker.span(release),
                    message,
                )
                .with_help(format!(
                    "Test the result: `if {lock}.acquire(...):` then `try: ... finally: {lock}.release()`."
                ))
                .with_related(checker.span(stmt.range()), "the acquire that may fail")
                .with_confidence(Confidence::High),
            );
        }
    }
    for diagnostic in found {
        checker.report(diagnostic);
    }
}

/// How an acquire appears in a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `lock.acquire(...)` alone.
    Bare,
    /// `ok = lock.acquire(...)` or `if lock.acquire(...):`: its result matters.
    Tested,
}

/// `lock.acquire(...)`, `ok = lock.acquire(...)` or `if [not] lock.acquire(...):` as a statement.
fn acquire_in(stmt: &Stmt) -> Option<(&Expr, &ast::ExprCall, Shape)> {
    let (expr, shape) = match stmt {
        Stmt::Expr(e) => (&*e.value, Shape::Bare),
        Stmt::Assign(assign) => (&*assign.value, Shape::Tested),
        Stmt::If(node) => match &*node.test {
            Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::Not => {
                (&*unary.operand, Shape::Tested)
            }
            other => (other, Shape::Tested),
        },
        _ => return None,
    };
    match method_call(expr)? {
        (object, "acquire", call) => Some((object, call, shape)),
        _ => None,
    }
}

/// `acquire(False)`, `acquire(0)`, `acquire(blocking=False)`, `acquire(timeout=...)`,
/// `acquire(True, 5)`: an acquire that may return without the lock.
fn may_fail_literally(call: &ast::ExprCall) -> bool {
    let args = &call.arguments;
    let falsy = |e: &Expr| match e {
        Expr::BooleanLiteral(b) => !b.value,
        Expr::NumberLiteral(n) => {
            matches!(&n.value, ast::Number::Int(i) if i.as_u8() == Some(0))
        }
        _ => false,
    };
    args.args.first().is_some_and(falsy)
        || args
            .args
            .get(1)
            .is_some_and(|a| !matches!(a, Expr::NoneLiteral(_) | Expr::UnaryOp(_)))
        || args
            .keywords
            .iter()
            .any(|k| match k.arg.as_ref().map(|a| a.as_str()) {
                Some("blocking") => falsy(&k.value),
                Some("timeout") => !matches!(k.value, Expr::NoneLiteral(_) | Expr::UnaryOp(_)),
                _ => false,
            })
}

/// The first `lock.release()` after `after` in `body` that no test of `var` (or of the lock)
/// guards: not inside an `if` (or `while`) that tests it, not after an `if` on it that leaves.
fn unguarded_release(
    checker: &Checker,
    body: &[Stmt],
    lock: &str,
    var: Option<&str>,
    after: TextRange,
    guarded: bool,
) -> Option<TextRange> {
    let mentions = |test: &Expr| {
        let text = checker.text(test);
        match var {
            Some(var) => text
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| word == var),
            None => text.contains(lock),
        }
    };
    let mut guarded = guarded;
    for stmt in body {
        if super::syntax::is_release_of(checker, stmt, lock)
            && stmt.start() > after.end()
            && !guarded
        {
            return Some(stmt.range());
        }
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::If(node) => {
                let tested = mentions(&node.test)
                    || node
                        .elif_else_clauses
                        .iter()
                        .any(|c| c.test.as_ref().is_some_and(&mentions));
                let inner_guard = guarded || tested;
                let mut found =
                    unguarded_release(checker, &node.body, lock, var, after, inner_guard);
                for clause in &node.elif_else_clauses {
                    found = found.or_else(|| {
                        unguarded_release(checker, &clause.body, lock, var, after, inner_guard)
                    });
                }
                if found.is_some() {
                    return found;
                }
                // `if not ok: return` guards what follows.
                if tested && node.elif_else_clauses.is_empty() && leaves(&node.body) {
                    guarded = true;
                }
            }
            Stmt::While(node) => {
                let inner_guard = guarded || mentions(&node.test);
                if let Some(found) =
                    unguarded_release(checker, &node.body, lock, var, after, inner_guard)
                {
                    return Some(found);
                }
            }
            _ => {
                let mut found = None;
                crate::semantic::for_each_nested_body(stmt, |inner| {
                    if found.is_none() {
                        found = unguarded_release(checker, inner, lock, var, after, guarded);
                    }
                });
                if found.is_some() {
                    return found;
                }
            }
        }
    }
    None
}

fn leaves(body: &[Stmt]) -> bool {
    matches!(
        body.last(),
        Some(Stmt::Return(_) | Stmt::Raise(_) | Stmt::Continue(_) | Stmt::Break(_))
    )
}

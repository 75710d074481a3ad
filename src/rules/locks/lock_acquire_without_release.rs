//! SN301 `lock-acquire-without-release`.
//!
//! ## What it does
//! Finds `lock.acquire()` followed, in the same block, by its `lock.release()`, where a path
//! between them leaves with the lock held: a `return`, a `raise` or a `continue` before the
//! release, or a call that can raise between them with no `try`/`finally` around it. The
//! `acquire(); try: ... finally: release()` idiom is quiet, and so is an `if lock.acquire(False):`
//! or `if not lock.acquire(timeout=...): return` whose held part releases in a `finally`. An
//! `acquire()` whose release is in another function (a `lock()`/`unlock()` pair, `__enter__`) is
//! not this rule's concern.
//!
//! ## Why is this bad?
//! The lock stays held after the function leaves: every later `acquire()`, in this thread or
//! another, waits forever. Nothing fails; the program hangs the next time it needs the lock,
//! long after the error that caused it.

use super::syntax::{is_release_of, method_statement, releases, Locals};
use crate::checker::Checker;
use crate::diagnostic::{Confidence, Diagnostic};
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{Ranged, TextRange};
use crate::rules::Rule;
use crate::summary::acquire_blocks;

/// Calls that do not raise in practice: container and logging methods, a few builtins.
const SAFE_METHODS: &[&str] = &[
    "append",
    "appendleft",
    "add",
    "discard",
    "get",
    "setdefault",
    "copy",
    "items",
    "keys",
    "values",
    "notify",
    "notify_all",
    "wait",
    "wait_for",
    "set",
    "clear",
    "is_set",
    "debug",
    "info",
    "warning",
    "warn",
    "error",
    "exception",
    "critical",
    "log",
    "locked",
    "time",
    "monotonic",
    "perf_counter",
    "is_alive",
];
const SAFE_FUNCTIONS: &[&str] = &[
    "len",
    "isinstance",
    "id",
    "bool",
    "callable",
    "print",
    "str",
    "repr",
    "int",
    "float",
    "list",
    "dict",
    "set",
    "tuple",
    "frozenset",
    "sorted",
    "min",
    "max",
    "sum",
    "range",
    "enumerate",
    "zip",
    "hasattr",
    "type",
];
/// Modules whose functions and classes do not raise in practice when called under a lock:
/// constructors of locks, events and threads, the current thread, the clock.
const SAFE_MODULES: &[&str] = &["threading", "multiprocessing", "time", "_thread"];

pub fn check(checker: &mut Checker, def: &ast::StmtFunctionDef) {
    let locals = Locals::of(checker, &def.body);
    let mut blocks = Vec::new();
    super::syntax::blocks(&def.body, &mut blocks);
    let mut found = Vec::new();
    for block in blocks {
        for (i, stmt) in block.iter().enumerate() {
            // `lock.acquire()`: the rest of the block holds it.
            if let Some((object, "acquire", call)) = method_statement(stmt) {
                if acquire_blocks(call) && locals.is_lock(checker, object) {
                    let lock = checker.text(object);
                    found.extend(examine(checker, &block[i + 1..], lock, object.range()));
                }
                continue;
            }
            let Stmt::If(node) = stmt else {
                continue;
            };
            // `if lock.acquire(...):` holds it in the body; `if not lock.acquire(...): return`
            // holds it in the rest of the block.
            let (negated, test) = match &*node.test {
                Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::Not => (true, &*unary.operand),
                other => (false, other),
            };
            let Some((object, "acquire", _)) = super::syntax::method_call(test) else {
                continue;
            };
            if !locals.is_lock(checker, object) {
                continue;
            }
            let lock = checker.text(object);
            if negated {
                if node.elif_else_clauses.is_empty() && exits(&node.body) {
                    found.extend(examine(checker, &block[i + 1..], lock, object.range()));
                }
            } else {
                found.extend(examine(checker, &node.body, lock, object.range()));
            }
        }
    }
    for finding in found {
        checker.report(finding);
    }
}

/// Whether a block ends by leaving (`return`, `raise`, `continue`, `break`).
fn exits(body: &[Stmt]) -> bool {
    matches!(
        body.last(),
        Some(Stmt::Return(_) | Stmt::Raise(_) | Stmt::Continue(_) | Stmt::Break(_))
    )
}

/// What a path through the held part does before the release.
#[derive(Default)]
struct Walk {
    /// The release was reached on some path.
    released: bool,
    /// Still held when the statements end (on some path).
    held: bool,
    /// A `return`/`raise`/`continue` that leaves with the lock held.
    leak: Option<(TextRange, &'static str)>,
    /// A call that may raise with the lock held and nothing to release it.
    risky: Option<TextRange>,
}

/// Walks `rest` (what runs after `lock` is taken) and reports a path that leaves it held.
fn examine(
    checker: &Checker,
    rest: &[Stmt],
    lock: &str,
    acquired: TextRange,
) -> Option<Diagnostic> {
    // `acquire(); try: ... finally: release()`.
    if let Some(Stmt::Try(node)) = rest.first() {
        if releases(checker, &node.finalbody, lock) {
            return None;
        }
    }
    let mut walk = Walk {
        held: true,
        ..Walk::default()
    };
    statements(checker, rest, lock, &mut walk, false, false);
    if !walk.released {
        // Released elsewhere, or handed on: not for this rule.
        return None;
    }
    let span = checker.span(acquired);
    if let Some((at, what)) = walk.leak {
        return Some(
            Diagnostic::new(
                Rule::LockAcquireWithoutRelease,
                span,
                format!(
                    "`{lock}` is acquired but not released on every path: the `{what}` on line {} leaves with it held, and every later `acquire()` waits forever",
                    row(checker, at)
                ),
            )
            .with_help(help(lock))
            .with_related(checker.span(at), format!("leaves here with `{lock}` held"))
            .with_confidence(Confidence::High),
        );
    }
    // A call that may raise in a test, an example or a doc leaves a hung test or demo, not a hung
    // program: only a path the code shows is reported there.
    let at = walk.risky?;
    if checker.non_production
        || crate::project::roots::is_test_module_name(&checker.semantic.module_name)
    {
        return None;
    }
    Some(
        Diagnostic::new(
            Rule::LockAcquireWithoutRelease,
            span,
            format!(
                "`{lock}` is released only if nothing raises: `{}` (line {}) runs between `acquire()` and `release()` with no `try`/`finally`, and an exception there leaves `{lock}` held forever",
                crate::rules::races::shorten(checker.text(&at)),
                row(checker, at)
            ),
        )
        .with_help(help(lock))
        .with_related(checker.span(at), "an exception here skips the release")
        .with_confidence(Confidence::Medium),
    )
}

fn row(checker: &Checker, range: TextRange) -> usize {
    checker.source[..range.start().to_usize()]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

fn help(lock: &str) -> String {
    format!("Use `with {lock}:` so the lock is released on every path, or put the held part in `try:` ... `finally: {lock}.release()`.")
}

/// Walks statements with the lock held; `in_loop`: inside a loop that started after the
/// acquire (its `break`/`continue` stay inside); `caught`: inside a `try` whose handlers catch.
fn statements(
    checker: &Checker,
    body: &[Stmt],
    lock: &str,
    walk: &mut Walk,
    in_loop: bool,
    caught: bool,
) {
    for stmt in body {
        if !walk.held {
            return;
        }
        if is_release_of(checker, stmt, lock) {
            walk.released = true;
            walk.held = false;
            return;
        }
        match stmt {
            Stmt::Return(node) => {
                if let Some(value) = &node.value {
                    note_calls(checker, value, walk, caught);
                }
                walk.leak.get_or_insert((stmt.range(), "return"));
                walk.held = false;
                return;
            }
            Stmt::Raise(_) => {
                if !caught {
                    walk.leak.get_or_insert((stmt.range(), "raise"));
                }
                walk.held = false;
                return;
            }
            Stmt::Continue(_) if !in_loop => {
                walk.leak.get_or_insert((stmt.range(), "continue"));
                walk.held = false;
                return;
            }
            // Leaves the loop the acquire is in: the release may follow the loop.
            Stmt::Break(_) if !in_loop => {
                walk.held = false;
                return;
            }
            Stmt::Break(_) | Stmt::Continue(_) => return,
            Stmt::If(node) => {
                note_calls(checker, &node.test, walk, caught);
                let mut any_held = false;
                let mut branches: Vec<&[Stmt]> = vec![&node.body];
                branches.extend(node.elif_else_clauses.iter().map(|c| c.body.as_slice()));
                let has_else = node.elif_else_clauses.iter().any(|c| c.test.is_none());
                for branch in branches {
                    let mut inner = Walk {
                        held: true,
                        ..Walk::default()
                    };
                    statements(checker, branch, lock, &mut inner, in_loop, caught);
                    merge(walk, &inner);
                    any_held |= inner.held;
                }
                walk.held = any_held || !has_else;
            }
            Stmt::Try(node) => {
                if releases(checker, &node.finalbody, lock) {
                    // Everything in the `try` is covered; the lock is free after it.
                    walk.released = true;
                    walk.held = false;
                    return;
                }
                let catches = !node.handlers.is_empty();
                let mut inner = Walk {
                    held: true,
                    ..Walk::default()
                };
                statements(
                    checker,
                    &node.body,
                    lock,
                    &mut inner,
                    in_loop,
                    caught || catches,
                );
                merge(walk, &inner);
                let mut held = inner.held;
                for handler in &node.handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    let mut inner = Walk {
                        held: true,
                        ..Walk::default()
                    };
                    statements(checker, &handler.body, lock, &mut inner, in_loop, caught);
                    // A release on the error path only says the normal path keeps the lock on
                    // purpose (it is released elsewhere); what handlers do is not a leak here.
                    held |= inner.held;
                }
                if held {
                    statements(checker, &node.orelse, lock, walk, in_loop, caught);
                }
                walk.held = held && walk.held;
            }
            Stmt::With(node) => {
                for item in &node.items {
                    note_calls(checker, &item.context_expr, walk, caught);
                }
                statements(checker, &node.body, lock, walk, in_loop, caught);
            }
            Stmt::For(node) => {
                note_calls(checker, &node.iter, walk, caught);
                let mut inner = Walk {
                    held: true,
                    ..Walk::default()
                };
                statements(checker, &node.body, lock, &mut inner, true, caught);
                merge(walk, &inner);
                if inner.released {
                    // Released in the loop: what follows is not this lock's held part.
                    walk.held = false;
                    return;
                }
            }
            Stmt::While(node) => {
                note_calls(checker, &node.test, walk, caught);
                let mut inner = Walk {
                    held: true,
                    ..Walk::default()
                };
                statements(checker, &node.body, lock, &mut inner, true, caught);
                merge(walk, &inner);
                if inner.released {
                    walk.held = false;
                    return;
                }
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::Assert(_) => {
                if !caught && walk.risky.is_none() {
                    walk.risky = Some(stmt.range());
                }
            }
            other => {
                let mut calls = Vec::new();
                collect_calls(other, &mut calls);
                for call in calls {
                    if !caught && walk.risky.is_none() && may_raise(checker, call) {
                        walk.risky = Some(call.range());
                    }
                }
            }
        }
    }
}

fn merge(walk: &mut Walk, inner: &Walk) {
    walk.released |= inner.released;
    if walk.leak.is_none() {
        walk.leak = inner.leak;
    }
    if walk.risky.is_none() {
        walk.risky = inner.risky;
    }
}

fn note_calls(checker: &Checker, expr: &Expr, walk: &mut Walk, caught: bool) {
    if caught || walk.risky.is_some() {
        return;
    }
    let mut calls = Vec::new();
    collect_expr_calls(expr, &mut calls);
    if let Some(call) = calls.into_iter().find(|c| may_raise(checker, c)) {
        walk.risky = Some(call.range());
    }
}

/// Whether a call may raise, as far as its name says: anything but a few builtins and container
/// or logging methods.
fn may_raise(checker: &Checker, call: &ast::ExprCall) -> bool {
    if let Some(qualified) = checker.qualified_name(&call.func) {
        let module = qualified.split('.').next().unwrap_or(&qualified);
        if SAFE_MODULES.contains(&module) && !qualified.ends_with(".start") {
            return false;
        }
    }
    match &*call.func {
        Expr::Name(name) => !SAFE_FUNCTIONS.contains(&name.id.as_str()),
        Expr::Attribute(attribute) => {
            let method = attribute.attr.as_str();
            if method == "release" || method == "acquire" {
                return false;
            }
            !SAFE_METHODS.contains(&method)
        }
        _ => true,
    }
}

/// The calls in a simple statement, outermost first.
fn collect_calls<'a>(stmt: &'a Stmt, out: &mut Vec<&'a ast::ExprCall>) {
    use crate::python::visitor::{self, Visitor};
    struct Calls<'a, 'b> {
        out: &'b mut Vec<&'a ast::ExprCall>,
    }
    impl<'a> Visitor<'a> for Calls<'a, '_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Lambda(_) => {}
                Expr::Call(call) => {
                    self.out.push(call);
                    visitor::walk_expr(self, expr);
                }
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    Calls { out }.visit_stmt(stmt);
}

fn collect_expr_calls<'a>(expr: &'a Expr, out: &mut Vec<&'a ast::ExprCall>) {
    use crate::python::visitor::{self, Visitor};
    struct Calls<'a, 'b> {
        out: &'b mut Vec<&'a ast::ExprCall>,
    }
    impl<'a> Visitor<'a> for Calls<'a, '_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Lambda(_) => {}
                Expr::Call(call) => {
                    self.out.push(call);
                    visitor::walk_expr(self, expr);
                }
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    Calls { out }.visit_expr(expr);
}

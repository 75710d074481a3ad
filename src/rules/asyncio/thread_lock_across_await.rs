//! SN704 `thread-lock-across-await`.
//!
//! ## What it does
//! Finds a `threading` lock held across a suspension point in a coroutine: a plain `with` on a
//! thread lock (or a `lock.acquire()` statement before its `release()`) whose block contains an
//! `await`, `async with` or `async for`. The lock is a thread lock by its type (`threading.Lock`,
//! `RLock`, `Condition`, `Semaphore`, their `multiprocessing` twins), or, with medium confidence,
//! by its name (`self._lock` taken with a plain `with` inside `async def`).
//!
//! ## Why is this bad?
//! While the coroutine is suspended, the event loop runs other tasks on the same thread. One
//! that takes the same lock blocks the whole loop thread waiting for it — and the coroutine that
//! holds it can never resume to release it: the program deadlocks. Even without a second task,
//! every thread waiting for the lock waits for as long as the coroutine is suspended.

use crate::checker::Checker;
use crate::diagnostic::{Confidence, Diagnostic};
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{visitor, Ranged, TextRange, Visitor};
use crate::rules::Rule;
use crate::summary::{is_thread_lock_type, lock_like_name};

/// `with lock:` in a coroutine, around a suspension point.
pub fn check_with(checker: &mut Checker, with: &ast::StmtWith) {
    if with.is_async || !checker.enabled(Rule::ThreadLockAcrossAwait) {
        return;
    }
    if !checker.functions.last().is_some_and(|f| f.is_async) {
        return;
    }
    for item in &with.items {
        let Some(confidence) = thread_lock(checker, &item.context_expr) else {
            continue;
        };
        let Some(suspension) = first_suspension(&with.body) else {
            return;
        };
        report(checker, &item.context_expr, suspension, confidence);
        return;
    }
}

/// `lock.acquire()` … `await` … `lock.release()` in a coroutine's straight-line code.
pub fn check_acquires(checker: &mut Checker, def: &ast::StmtFunctionDef) {
    if !def.is_async || !checker.enabled(Rule::ThreadLockAcrossAwait) {
        return;
    }
    check_block(checker, &def.body);
}

fn check_block(checker: &mut Checker, body: &[Stmt]) {
    for (i, stmt) in body.iter().enumerate() {
        if let Some(lock) = lock_call(stmt, "acquire") {
            if let Some(confidence) = thread_lock(checker, lock) {
                let text = checker.text(lock);
                let held = body[i + 1..].iter().take_while(|s| {
                    lock_call(s, "release").is_none_or(|l| checker.text(l) != text)
                });
                let mut suspension = None;
                for later in held {
                    suspension = first_suspension(std::slice::from_ref(later));
                    if suspension.is_some() {
                        break;
                    }
                }
                if let Some(suspension) = suspension {
                    report(checker, lock, suspension, confidence);
                }
            }
        }
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => crate::semantic::for_each_nested_body(stmt, |inner| check_block(checker, inner)),
        }
    }
}

/// `X` of an expression statement `X.<method>()`.
fn lock_call<'s>(stmt: &'s Stmt, method: &str) -> Option<&'s Expr> {
    let Stmt::Expr(node) = stmt else {
        return None;
    };
    let Expr::Call(call) = &*node.value else {
        return None;
    };
    let Expr::Attribute(attribute) = &*call.func else {
        return None;
    };
    (attribute.attr.as_str() == method && call.arguments.is_empty()).then_some(&*attribute.value)
}

/// How sure it is that `expr` is a thread lock: by its type, or by its name.
fn thread_lock(checker: &Checker, expr: &Expr) -> Option<Confidence> {
    match checker.type_of(expr) {
        Some(ty) if is_thread_lock_type(&ty) => Some(Confidence::High),
        Some(_) => None,
        None => {
            let name = match expr {
                Expr::Name(name) => name.id.as_str(),
                Expr::Attribute(attribute) => attribute.attr.as_str(),
                _ => return None,
            };
            lock_like_name(name).then_some(Confidence::Medium)
        }
    }
}

fn report(checker: &mut Checker, lock: &Expr, suspension: TextRange, confidence: Confidence) {
    let text = checker.text(lock).to_string();
    let what = match confidence {
        Confidence::High => format!("The `threading` lock `{text}`"),
        _ => format!("The lock `{text}`, taken with a plain `with`,"),
    };
    let at = checker.text(&suspension);
    let at = at
        .lines()
        .next()
        .unwrap_or(at)
        .trim_end_matches(':')
        .to_string();
    let diagnostic = Diagnostic::new(
        Rule::ThreadLockAcrossAwait,
        checker.span(lock.range()),
        format!(
            "{what} is held across `{at}`: while the coroutine is suspended, another task on the loop that takes it blocks the loop's thread, and this coroutine never resumes to release it: deadlock"
        ),
    )
    .with_help("Use an `asyncio.Lock` (`async with lock:`) for state coroutines share; for a lock shared with threads, release it before the `await`.")
    .with_related(
        checker.span(suspension),
        "the coroutine is suspended here with the lock held",
    )
    .with_confidence(confidence);
    checker.report(diagnostic);
}

/// The first `await`, `async with` or `async for` in `body` (not in nested functions).
fn first_suspension(body: &[Stmt]) -> Option<TextRange> {
    struct Finder {
        found: Option<TextRange>,
    }
    impl<'b> Visitor<'b> for Finder {
        fn visit_stmt(&mut self, stmt: &'b Stmt) {
            if self.found.is_some() {
                return;
            }
            match stmt {
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                Stmt::With(with) if with.is_async => {
                    let end = with.items.last().map_or(with.end(), |i| i.end());
                    self.found = Some(TextRange::new(with.start(), end));
                }
                Stmt::For(node) if node.is_async => {
                    self.found = Some(TextRange::new(node.start(), node.iter.end()));
                }
                _ => stacker::maybe_grow(
                    crate::checker::STACK_RED_ZONE,
                    crate::checker::STACK_GROWTH,
                    || visitor::walk_stmt(self, stmt),
                ),
            }
        }

        fn visit_expr(&mut self, expr: &'b Expr) {
            if self.found.is_some() {
                return;
            }
            match expr {
                Expr::Await(_) => self.found = Some(expr.range()),
                Expr::Lambda(_) => {}
                _ => stacker::maybe_grow(
                    crate::checker::STACK_RED_ZONE,
                    crate::checker::STACK_GROWTH,
                    || visitor::walk_expr(self, expr),
                ),
            }
        }
    }
    let mut finder = Finder { found: None };
    finder.visit_body(body);
    finder.found
}

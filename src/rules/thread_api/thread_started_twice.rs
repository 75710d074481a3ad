//! SN108 `thread-started-twice`.
//!
//! ## What it does
//! Finds `.start()` called twice on the same `Thread` or `Process` object — twice in a row with no
//! new object bound in between, or inside a loop on an object created before the loop.
//!
//! ## Why is this bad?
//! A thread or process can be started once: the second `start()` raises
//! `RuntimeError: threads can only be started once` (or `AssertionError` for a process). To run the
//! work again, create a new object.
//!
//! ## Example
//! ```python
//! worker = Thread(target=poll)
//! for _ in range(3):
//!     worker.start()
//! ```
//!
//! Use instead:
//! ```python
//! for _ in range(3):
//!     worker = Thread(target=poll)
//!     worker.start()
//! ```

use std::collections::{HashMap, HashSet};

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::python::ast::{Expr, Stmt};
use crate::python::{Ranged, TextRange};
use crate::rules::Rule;

/// Checks one function body (or the module body).
pub fn check(checker: &mut Checker, body: &[Stmt]) {
    if !checker.enabled(Rule::ThreadStartedTwice) {
        return;
    }
    let mut threads = HashSet::new();
    collect_threads(checker, body, &mut threads);
    collect_typed_attributes(checker, body, &mut threads);
    if threads.is_empty() {
        return;
    }
    let mut walk = Walk {
        threads,
        findings: Vec::new(),
    };
    let mut state = HashMap::new();
    walk.block(body, &mut state);
    for (second, first, name, in_loop) in walk.findings {
        let message = if in_loop {
            format!(
                "`{name}.start()` runs on every pass of the loop, but `{name}` is created before it: the second pass raises RuntimeError (threads can only be started once)"
            )
        } else {
            format!(
                "`{name}.start()` is called a second time on the same object: it raises RuntimeError (threads can only be started once)"
            )
        };
        let mut diagnostic = Diagnostic::new(Rule::ThreadStartedTwice, checker.span(second), message)
            .with_help(format!(
                "Create a new thread or process object for each start (`{name} = Thread(...)` right before `{name}.start()`)."
            ));
        if let Some(first) = first {
            diagnostic = diagnostic.with_related(checker.span(first), "first started here");
        }
        checker.report(diagnostic);
    }
}

/// The text of a start target we track: `t` or `self.t`.
fn key(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(name) => Some(name.id.to_string()),
        Expr::Attribute(attribute) => match &*attribute.value {
            Expr::Name(base) if base.id.as_str() == "self" => {
                Some(format!("self.{}", attribute.attr))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Names bound to a new Thread or Process somewhere in `body`.
fn collect_threads(checker: &Checker, body: &[Stmt], out: &mut HashSet<String>) {
    for stmt in body {
        match stmt {
            Stmt::Assign(assign) => {
                if let (Some(target), Expr::Call(call)) =
                    (assign.targets.first().and_then(key), &*assign.value)
                {
                    let is_thread = checker
                        .qualified_name(&call.func)
                        .is_some_and(|q| checker.semantic.is_thread_or_process_class(&q));
                    if is_thread {
                        out.insert(target);
                    }
                }
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => crate::semantic::for_each_nested_body(stmt, |inner| {
                collect_threads(checker, inner, out)
            }),
        }
    }
}

/// `self.x` started in `body` whose class says it holds a thread (`self.x = Thread()` in a method).
fn collect_typed_attributes(checker: &Checker, body: &[Stmt], out: &mut HashSet<String>) {
    for stmt in body {
        match stmt {
            Stmt::Expr(node) => {
                if let Expr::Call(call) = &*node.value {
                    if let Expr::Attribute(attribute) = &*call.func {
                        if attribute.attr.as_str() == "start" {
                            let is_thread = checker
                                .type_of(&attribute.value)
                                .is_some_and(|ty| checker.semantic.is_thread_or_process_class(&ty));
                            if let (true, Some(name)) = (is_thread, key(&attribute.value)) {
                                out.insert(name);
                            }
                        }
                    }
                }
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => crate::semantic::for_each_nested_body(stmt, |inner| {
                collect_typed_attributes(checker, inner, out)
            }),
        }
    }
}

/// Names assigned anywhere in `body` (the loop variable included).
fn assigned(body: &[Stmt], out: &mut HashSet<String>) {
    for stmt in body {
        match stmt {
            Stmt::Assign(assign) => out.extend(assign.targets.iter().filter_map(key)),
            Stmt::AnnAssign(assign) => out.extend(key(&assign.target)),
            Stmt::For(node) => {
                out.extend(key(&node.target));
                if let Expr::Tuple(tuple) = &*node.target {
                    out.extend(tuple.elts.iter().filter_map(key));
                }
                assigned(&node.body, out);
                assigned(&node.orelse, out);
            }
            Stmt::With(node) => {
                out.extend(
                    node.items
                        .iter()
                        .filter_map(|i| i.optional_vars.as_deref().and_then(key)),
                );
                assigned(&node.body, out);
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => crate::semantic::for_each_nested_body(stmt, |inner| assigned(inner, out)),
        }
    }
}

type Started = HashMap<String, TextRange>;

struct Walk {
    threads: HashSet<String>,
    /// (second start, first start, name, in a loop)
    findings: Vec<(TextRange, Option<TextRange>, String, bool)>,
}

impl Walk {
    /// Walks a block; returns whether it always leaves (return, raise, break, continue).
    fn block(&mut self, body: &[Stmt], state: &mut Started) -> bool {
        for stmt in body {
            if self.stmt(stmt, state) {
                return true;
            }
        }
        false
    }

    /// Walks exclusive branches. Afterwards an object counts as started only if every branch
    /// that goes on started it (precision first: `if flag: t.start()` then `if not flag:
    /// t.start()` is fine).
    fn branches(&mut self, bodies: &[&[Stmt]], has_else: bool, state: &mut Started) -> bool {
        let mut merged: Option<Started> = if has_else { None } else { Some(state.clone()) };
        let mut all_exit = has_else;
        for body in bodies {
            let mut branch = state.clone();
            if !self.block(body, &mut branch) {
                all_exit = false;
                merged = Some(match merged {
                    None => branch,
                    Some(mut so_far) => {
                        so_far.retain(|name, _| branch.contains_key(name));
                        so_far
                    }
                });
            }
        }
        *state = merged.unwrap_or_default();
        all_exit
    }

    fn stmt(&mut self, stmt: &Stmt, state: &mut Started) -> bool {
        match stmt {
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    if let Some(name) = key(target) {
                        state.remove(&name);
                    }
                }
                false
            }
            Stmt::Expr(node) => {
                if let Expr::Call(call) = &*node.value {
                    let is_start = matches!(&*call.func,
                        Expr::Attribute(a) if a.attr.as_str() == "start" && call.arguments.is_empty());
                    if !is_start {
                        // Any other call (`self.reset()`) may rebind `self.worker`.
                        state.retain(|name, _| !name.starts_with("self."));
                    }
                    if let Expr::Attribute(attribute) = &*call.func {
                        if attribute.attr.as_str() == "start" && call.arguments.is_empty() {
                            if let Some(name) =
                                key(&attribute.value).filter(|n| self.threads.contains(n))
                            {
                                match state.get(&name) {
                                    Some(&first) => {
                                        self.findings.push((call.range(), Some(first), name, false))
                                    }
                                    None => {
                                        state.insert(name, call.range());
                                    }
                                }
                            }
                        }
                    }
                }
                false
            }
            Stmt::If(node) => {
                let mut bodies: Vec<&[Stmt]> = vec![&node.body];
                let mut has_else = false;
                for clause in &node.elif_else_clauses {
                    bodies.push(&clause.body);
                    has_else |= clause.test.is_none();
                }
                self.branches(&bodies, has_else, state)
            }
            Stmt::For(_) | Stmt::While(_) => {
                let (body, orelse) = match stmt {
                    Stmt::For(node) => (&node.body, &node.orelse),
                    Stmt::While(node) => (&node.body, &node.orelse),
                    _ => unreachable!(),
                };
                let mut rebound = HashSet::new();
                assigned(std::slice::from_ref(stmt), &mut rebound);
                let mut inner = state.clone();
                let before = self.findings.len();
                self.block(body, &mut inner);
                self.findings.truncate(before);
                // Starts inside the loop on objects the loop never rebinds.
                let mut pass = state.clone();
                let mut starts = Vec::new();
                // A body that always leaves (`start(); break`) makes one pass.
                if !ends_in_exit(body) {
                    self.loop_starts(body, &rebound, &mut starts);
                }
                for (range, name) in starts {
                    if let std::collections::hash_map::Entry::Vacant(entry) = pass.entry(name) {
                        self.findings.push((range, None, entry.key().clone(), true));
                        entry.insert(range);
                    }
                }
                for (name, range) in inner {
                    state.entry(name).or_insert(range);
                }
                self.block(orelse, state);
                false
            }
            Stmt::With(node) => self.block(&node.body, state),
            Stmt::Try(node) => {
                let mut bodies: Vec<&[Stmt]> = vec![&node.body];
                for handler in &node.handlers {
                    let crate::python::ast::ExceptHandler::ExceptHandler(handler) = handler;
                    bodies.push(&handler.body);
                }
                let exits = self.branches(&bodies, true, state);
                self.block(&node.orelse, state);
                self.block(&node.finalbody, state) || exits
            }
            Stmt::Return(_) | Stmt::Raise(_) | Stmt::Break(_) | Stmt::Continue(_) => true,
            _ => false,
        }
    }

    /// `x.start()` statements directly in a loop body (not in nested loops, which report
    /// themselves) on tracked objects the loop does not rebind.
    fn loop_starts(
        &self,
        body: &[Stmt],
        rebound: &HashSet<String>,
        out: &mut Vec<(TextRange, String)>,
    ) {
        for stmt in body {
            match stmt {
                Stmt::Expr(node) => {
                    if let Expr::Call(call) = &*node.value {
                        if let Expr::Attribute(attribute) = &*call.func {
                            if attribute.attr.as_str() == "start" && call.arguments.is_empty() {
                                if let Some(name) = key(&attribute.value) {
                                    if self.threads.contains(&name) && !rebound.contains(&name) {
                                        out.push((call.range(), name));
                                    }
                                }
                            }
                        }
                    }
                }
                // A loop that starts and then leaves (`break`, `return`) starts once.
                Stmt::If(_) | Stmt::With(_) | Stmt::Try(_) | Stmt::Match(_) => {
                    crate::semantic::for_each_nested_body(stmt, |inner| {
                        if !ends_in_exit(inner) {
                            self.loop_starts(inner, rebound, out)
                        }
                    })
                }
                _ => {}
            }
        }
    }
}

pub(super) fn ends_in_exit(body: &[Stmt]) -> bool {
    body.iter()
        .any(|s| matches!(s, Stmt::Return(_) | Stmt::Raise(_) | Stmt::Break(_)))
}

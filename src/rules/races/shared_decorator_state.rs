//! SN205 `shared-decorator-state`.
//!
//! ## What it does
//! Finds context-manager classes that also work as decorators by wrapping each call in
//! `with self:`, while `__enter__` stores per-call state on `self` (a start time, say) that
//! `__exit__` reads back.
//!
//! ## Why is this bad?
//! A decorator instance is created once, when the function is decorated, and shared by every
//! call of that function. Two threads calling it at once overwrite each other's `self.start`, so
//! `__exit__` measures or restores the wrong thing (a recursive call does the same on one thread).
//! Keep per-call state in the wrapper's locals, or create a fresh context manager per call.

use std::collections::HashMap;

use crate::checker::Checker;
use crate::diagnostic::{Confidence, Diagnostic};
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{visitor, Ranged, TextRange, Visitor};
use crate::rules::Rule;
use crate::semantic::self_attribute;

/// Checks one class definition.
pub fn check(checker: &mut Checker, class: &ast::StmtClassDef) {
    if !checker.enabled(Rule::SharedDecoratorState) {
        return;
    }
    let method = |name: &str| {
        class.body.iter().find_map(|stmt| match stmt {
            Stmt::FunctionDef(def) if def.name.as_str() == name => Some(def),
            _ => None,
        })
    };
    let (Some(enter), Some(exit)) = (method("__enter__"), method("__exit__")) else {
        return;
    };
    // Per-call state: attributes `__enter__` writes and `__exit__` reads.
    let written = self_attribute_writes(&enter.body);
    let read = self_attribute_reads(&exit.body);
    let Some((attr, write_range)) = written
        .iter()
        .filter(|(name, _)| read.contains_key(*name))
        .min_by_key(|(_, range)| range.start())
        .map(|(name, range)| (name.clone(), *range))
    else {
        return;
    };
    // A method that returns a wrapper running each call under `with self:`.
    let Some(with_self) = class.body.iter().find_map(|stmt| match stmt {
        Stmt::FunctionDef(def) if def.name.as_str() != "__enter__" => wrapper_with_self(def),
        _ => None,
    }) else {
        return;
    };
    let name = class.name.as_str();
    let diagnostic = Diagnostic::new(
        Rule::SharedDecoratorState,
        checker.span(write_range),
        format!(
            "`{name}.__enter__` stores per-call state in `self.{attr}`, but as a decorator one `{name}` instance serves every call: concurrent calls overwrite each other's `{attr}`"
        ),
    )
    .with_help(format!(
        "Keep `{attr}` in the wrapper's local variables (or a `threading.local()`), or create a new `{name}` for each call inside the wrapper."
    ))
    .with_confidence(Confidence::Medium)
    .with_related(checker.span(with_self), "every call of the decorated function enters the same instance here")
    .with_related(checker.span(read[&attr]), format!("`__exit__` reads `self.{attr}` back here"));
    checker.report(diagnostic);
}

/// `self.x = ...` targets in `body` (not in nested functions), first occurrence each.
fn self_attribute_writes(body: &[Stmt]) -> HashMap<String, TextRange> {
    let mut out = HashMap::new();
    let mut visit = |stmt: &Stmt| {
        let targets: Vec<&Expr> = match stmt {
            Stmt::Assign(assign) => assign.targets.iter().collect(),
            Stmt::AnnAssign(assign) => vec![&*assign.target],
            _ => Vec::new(),
        };
        for target in targets {
            if let Some(attr) = self_attribute(target) {
                out.entry(attr.to_string()).or_insert(stmt.range());
            }
        }
    };
    walk_statements(body, &mut visit);
    out
}

/// `self.x` loads in `body`, first occurrence each.
fn self_attribute_reads(body: &[Stmt]) -> HashMap<String, TextRange> {
    struct Reads(HashMap<String, TextRange>);
    impl<'a> Visitor<'a> for Reads {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Attribute(attribute) = expr {
                if attribute.ctx.is_load() {
                    if let Some(attr) = self_attribute(expr) {
                        self.0.entry(attr.to_string()).or_insert(expr.range());
                    }
                }
            }
            visitor::walk_expr(self, expr);
        }
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                visitor::walk_stmt(self, stmt);
            }
        }
    }
    let mut reads = Reads(HashMap::new());
    for stmt in body {
        reads.visit_stmt(stmt);
    }
    reads.0
}

/// The `with self:` inside a function nested in `def`, when `def` returns something built from
/// that nested function (the wrapper itself, or `decorate(f, wrapper)`, `wraps(f)(wrapper)`).
fn wrapper_with_self(def: &ast::StmtFunctionDef) -> Option<TextRange> {
    for stmt in &def.body {
        let Stmt::FunctionDef(wrapper) = stmt else {
            continue;
        };
        let mut found = None;
        walk_statements(&wrapper.body, &mut |stmt| {
            if let Stmt::With(with) = stmt {
                if !with.is_async
                    && with.items.iter().any(
                        |item| matches!(&item.context_expr, Expr::Name(n) if n.id.as_str() == "self"),
                    )
                {
                    found.get_or_insert(with.range());
                }
            }
        });
        let Some(with_range) = found else {
            continue;
        };
        let returned = def.body.iter().any(|stmt| match stmt {
            Stmt::Return(ret) => ret.value.as_deref().is_some_and(|value| {
                let mut uses = false;
                mentions(value, wrapper.name.as_str(), &mut uses);
                uses
            }),
            _ => false,
        });
        if returned {
            return Some(with_range);
        }
    }
    None
}

fn mentions(expr: &Expr, name: &str, found: &mut bool) {
    struct Mentions<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'a> Visitor<'a> for Mentions<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if matches!(expr, Expr::Name(n) if n.id.as_str() == self.name) {
                self.found = true;
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut visitor = Mentions { name, found: false };
    visitor.visit_expr(expr);
    *found |= visitor.found;
}

/// Calls `f` on every statement of `body`, recursing into blocks but not into nested functions or
/// classes.
fn walk_statements(body: &[Stmt], f: &mut dyn FnMut(&Stmt)) {
    for stmt in body {
        f(stmt);
        if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            crate::semantic::for_each_nested_body(stmt, |inner| walk_statements(inner, f));
        }
    }
}

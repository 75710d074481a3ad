//! What the AST lock rules (SN301, SN304, SN308) need to read one function: which expressions are
//! thread locks or conditions (by type where the file shows it, by a name that says so where it
//! does not), `lock.method(...)` statements, and the function's statements without the bodies of
//! nested functions and classes.

use std::collections::HashMap;

use crate::checker::Checker;
use crate::python::ast::{self, Expr, Stmt};
use crate::summary::{is_thread_lock_type, lock_like_name};

/// What the function's own assignments say its locals hold (`lock = threading.Lock()`).
pub struct Locals {
    types: HashMap<String, String>,
}

impl Locals {
    pub fn of(checker: &Checker, body: &[Stmt]) -> Self {
        let mut types = HashMap::new();
        collect(checker, body, &mut types);
        Locals { types }
    }

    /// The class of the object `expr` holds, where the file shows it.
    pub fn type_of(&self, checker: &Checker, expr: &Expr) -> Option<String> {
        if let Expr::Name(name) = expr {
            if let Some(ty) = self.types.get(name.id.as_str()) {
                return Some(ty.clone());
            }
        }
        checker.type_of(expr)
    }

    /// Whether `expr` is a thread lock (of any kind, a condition included).
    pub fn is_lock(&self, checker: &Checker, expr: &Expr) -> bool {
        match self.type_of(checker, expr) {
            Some(ty) if ty.starts_with("asyncio.") => false,
            Some(ty) => is_thread_lock_type(&ty) || name_of(expr).is_some_and(lock_like_name),
            None => name_of(expr).is_some_and(lock_like_name),
        }
    }

    /// Whether `expr` is a condition variable (not an `Event`, whose `wait` is no condition wait).
    pub fn is_condition(&self, checker: &Checker, expr: &Expr) -> bool {
        match self.type_of(checker, expr) {
            Some(ty) => matches!(
                ty.as_str(),
                "threading.Condition" | "multiprocessing.Condition"
            ),
            None => name_of(expr).is_some_and(|name| {
                let name = name.to_ascii_lowercase();
                name.contains("cond")
                    && !name.contains("event")
                    && !name.contains("evt")
                    && !name.contains("second")
            }),
        }
    }
}

fn collect(checker: &Checker, body: &[Stmt], out: &mut HashMap<String, String>) {
    for stmt in body {
        match stmt {
            Stmt::Assign(assign) => {
                if let [Expr::Name(target)] = &*assign.targets {
                    if let Some(ty) = checker.semantic.type_of(&checker.scopes, &assign.value) {
                        out.insert(target.id.to_string(), ty);
                    }
                }
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => crate::semantic::for_each_nested_body(stmt, |inner| collect(checker, inner, out)),
        }
    }
}

/// The last name of a name or attribute (`_lock` for `self._lock`).
pub fn name_of(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => Some(attribute.attr.as_str()),
        _ => None,
    }
}

/// `object.method(...)` in an expression: (object, method, call).
pub fn method_call(expr: &Expr) -> Option<(&Expr, &str, &ast::ExprCall)> {
    let Expr::Call(call) = expr else {
        return None;
    };
    let Expr::Attribute(attribute) = &*call.func else {
        return None;
    };
    Some((&attribute.value, attribute.attr.as_str(), call))
}

/// `object.method(...)` as a statement of its own.
pub fn method_statement(stmt: &Stmt) -> Option<(&Expr, &str, &ast::ExprCall)> {
    match stmt {
        Stmt::Expr(e) => method_call(&e.value),
        _ => None,
    }
}

/// Whether `stmt` is `<lock>.release()` on the lock whose source text is `lock`.
pub fn is_release_of(checker: &Checker, stmt: &Stmt, lock: &str) -> bool {
    method_statement(stmt)
        .is_some_and(|(object, method, _)| method == "release" && checker.text(object) == lock)
}

/// Whether `body` releases `lock` at its top level or inside an `if` there (`finally:` blocks).
pub fn releases(checker: &Checker, body: &[Stmt], lock: &str) -> bool {
    body.iter().any(|stmt| match stmt {
        Stmt::If(node) => {
            releases(checker, &node.body, lock)
                || node
                    .elif_else_clauses
                    .iter()
                    .any(|c| releases(checker, &c.body, lock))
        }
        Stmt::Try(node) => {
            releases(checker, &node.body, lock) || releases(checker, &node.finalbody, lock)
        }
        other => is_release_of(checker, other, lock),
    })
}

/// Every statement block of a function body (the body itself, and the bodies nested in its
/// compound statements), not entering nested functions and classes.
pub fn blocks<'a>(body: &'a [Stmt], out: &mut Vec<&'a [Stmt]>) {
    out.push(body);
    for stmt in body {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => crate::semantic::for_each_nested_body(stmt, |inner| blocks(inner, out)),
        }
    }
}

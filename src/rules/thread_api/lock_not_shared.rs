//! SN107 `lock-not-shared`.
//!
//! ## What it does
//! Finds a lock created inside a function, used there (`with lock:`, `lock.acquire()`), and never
//! shared: not returned, stored on an object or in a global, passed to a call, or captured by a
//! nested function or thread target. Also `with threading.Lock():`, a lock made for one `with`.
//! Tests (functions named `test*`) make their own locks on purpose and are left alone.
//!
//! ## Why is this bad?
//! Every call makes its own fresh lock, so no two threads ever wait on the same one: the lock
//! excludes nothing and the code it "protects" runs concurrently anyway.
//!
//! ## Example
//! ```python
//! def record(event):
//!     lock = threading.Lock()
//!     with lock:
//!         events.append(event)
//! ```
//!
//! Use instead:
//! ```python
//! events_lock = threading.Lock()
//!
//! def record(event):
//!     with events_lock:
//!         events.append(event)
//! ```

use std::collections::HashMap;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{visitor, Ranged, TextRange, Visitor};
use crate::rules::Rule;

/// Thread and process lock types.
const LOCK_TYPES: &[&str] = &[
    "threading.Lock",
    "threading.RLock",
    "threading.Semaphore",
    "threading.BoundedSemaphore",
    "threading.Condition",
    "multiprocessing.Lock",
    "multiprocessing.RLock",
    "multiprocessing.Semaphore",
    "multiprocessing.BoundedSemaphore",
    "multiprocessing.Condition",
    "_thread.allocate_lock",
];

/// Lock methods that use the lock without letting it escape.
const LOCK_METHODS: &[&str] = &[
    "acquire",
    "release",
    "locked",
    "wait",
    "wait_for",
    "notify",
    "notify_all",
];

fn lock_type(checker: &Checker, expr: &Expr) -> Option<String> {
    let Expr::Call(call) = expr else {
        return None;
    };
    let name = checker.qualified_name(&call.func)?;
    // `Condition(shared_lock)` waits on a lock others hold.
    if name.ends_with(".Condition") && !call.arguments.is_empty() {
        return None;
    }
    LOCK_TYPES.contains(&name.as_str()).then_some(name)
}

/// `with threading.Lock():` — a lock made for this one statement.
pub fn check_with(checker: &mut Checker, with: &ast::StmtWith) {
    if !checker.enabled(Rule::LockNotShared) || with.is_async || checker.in_test_function() {
        return;
    }
    for item in &with.items {
        if let Some(ty) = lock_type(checker, &item.context_expr) {
            let text = checker.text(&item.context_expr);
            checker.report(
                Diagnostic::new(
                    Rule::LockNotShared,
                    checker.span(item.context_expr.range()),
                    format!(
                        "`with {text}:` creates a new `{ty}` for this statement alone: no other thread can hold it, so it excludes nothing"
                    ),
                )
                .with_help("Create the lock once where every thread can reach it (a module global or an attribute of the shared object) and use `with that_lock:`."),
            );
        }
    }
}

/// Locks created in `def` and used only there.
pub fn check_function(checker: &mut Checker, def: &ast::StmtFunctionDef) {
    // A test makes a lock of its own on purpose, to exercise locking code.
    if !checker.enabled(Rule::LockNotShared)
        || crate::checker::is_test_name(&def.name)
        || checker.in_test_function()
    {
        return;
    }
    let mut created: HashMap<String, (TextRange, String)> = HashMap::new();
    collect_created(checker, &def.body, &mut created);
    // `global lock` / `nonlocal lock` anywhere in the function makes it shared.
    for stmt in &def.body {
        if let Stmt::Global(node) = stmt {
            for name in &node.names {
                created.remove(name.as_str());
            }
        }
        if let Stmt::Nonlocal(node) = stmt {
            for name in &node.names {
                created.remove(name.as_str());
            }
        }
    }
    if created.is_empty() {
        return;
    }
    let mut uses = Uses {
        locks: created.keys().cloned().collect(),
        used: HashMap::new(),
        escaped: Vec::new(),
        nested: 0,
    };
    for stmt in &def.body {
        uses.visit_stmt(stmt);
    }
    let mut names: Vec<&String> = created.keys().collect();
    names.sort();
    for name in names {
        if uses.escaped.contains(name) || !uses.used.contains_key(name) {
            continue;
        }
        let (range, ty) = &created[name];
        let used_at = uses.used[name];
        checker.report(
            Diagnostic::new(
                Rule::LockNotShared,
                checker.span(*range),
                format!(
                    "`{name}` is a new `{ty}` on every call of `{}` and never leaves it: no other thread can hold it, so it excludes nothing",
                    def.name
                ),
            )
            .with_help("Create the lock once where every thread can reach it (a module global, or an attribute set in `__init__`) and take that one.")
            .with_related(checker.span(used_at), format!("`{name}` is only ever taken here")),
        );
    }
}

fn collect_created(
    checker: &Checker,
    body: &[Stmt],
    out: &mut HashMap<String, (TextRange, String)>,
) {
    for stmt in body {
        match stmt {
            Stmt::Assign(assign) => {
                if let [Expr::Name(target)] = &*assign.targets {
                    if let Some(ty) = lock_type(checker, &assign.value) {
                        out.insert(target.id.to_string(), (assign.range(), ty));
                    }
                }
            }
            Stmt::Global(node) => {
                for name in &node.names {
                    out.remove(name.as_str());
                }
            }
            Stmt::Nonlocal(node) => {
                for name in &node.names {
                    out.remove(name.as_str());
                }
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => crate::semantic::for_each_nested_body(stmt, |inner| {
                collect_created(checker, inner, out)
            }),
        }
    }
}

/// How the created locks are used: taken (`with`, `acquire`) or escaping (anything else).
struct Uses {
    locks: Vec<String>,
    /// Lock → where it is first taken.
    used: HashMap<String, TextRange>,
    escaped: Vec<String>,
    /// Depth of nested functions and lambdas: any mention there is a capture.
    nested: usize,
}

impl Uses {
    fn lock_name(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Name(name) if self.locks.iter().any(|l| l == name.id.as_str()) => {
                Some(name.id.to_string())
            }
            _ => None,
        }
    }
}

impl<'a> Visitor<'a> for Uses {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {
                self.nested += 1;
                visitor::walk_stmt(self, stmt);
                self.nested -= 1;
            }
            Stmt::With(with) if self.nested == 0 => {
                for item in &with.items {
                    match self.lock_name(&item.context_expr) {
                        Some(name) if !with.is_async => {
                            self.used.entry(name).or_insert(item.context_expr.range());
                        }
                        _ => self.visit_expr(&item.context_expr),
                    }
                    if let Some(vars) = &item.optional_vars {
                        self.visit_expr(vars);
                    }
                }
                self.visit_body(&with.body);
            }
            // Rebinding the name is not a use of the lock.
            Stmt::Assign(assign)
                if assign.targets.len() == 1 && self.lock_name(&assign.targets[0]).is_some() =>
            {
                self.visit_expr(&assign.value);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(_) => {
                self.nested += 1;
                visitor::walk_expr(self, expr);
                self.nested -= 1;
            }
            Expr::Call(call) if self.nested == 0 => {
                if let Expr::Attribute(attribute) = &*call.func {
                    if let Some(name) = self.lock_name(&attribute.value) {
                        if LOCK_METHODS.contains(&attribute.attr.as_str()) {
                            let timed_wait = matches!(attribute.attr.as_str(), "wait" | "wait_for")
                                && !call.arguments.is_empty();
                            if timed_wait {
                                // `cond.wait(5)` on a private condition is a sleep, not a lock.
                                if !self.escaped.contains(&name) {
                                    self.escaped.push(name);
                                }
                            } else if matches!(
                                attribute.attr.as_str(),
                                "acquire" | "wait" | "wait_for"
                            ) {
                                self.used.entry(name).or_insert(call.range());
                            }
                            visitor::walk_arguments(self, &call.arguments);
                            return;
                        }
                    }
                }
                visitor::walk_expr(self, expr);
            }
            Expr::Name(name) if name.ctx.is_load() => {
                if let Some(lock) = self.lock_name(expr) {
                    if !self.escaped.contains(&lock) {
                        self.escaped.push(lock);
                    }
                }
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

//! SN508 `pool-not-closed`.
//!
//! ## What it does
//! Finds a `multiprocessing` `Pool` (or `ThreadPool`) made in a function (into a local, or into
//! an attribute of `self`) without `with`, and never closed: no `close()`, `terminate()` or
//! `with` on it anywhere, and never handed on (returned, passed to a call, stored elsewhere,
//! captured by a nested function) to code that could close it. For an attribute of `self`, no
//! method of the class closes it or uses it other than to give it work. A `ProcessPoolExecutor`
//! or `ThreadPoolExecutor` shuts down by itself once nothing refers to it; one kept on `self` is
//! reported when the class has a method that releases its resources (`close`, `shutdown`,
//! `stop`, `__exit__`, `__del__`...) that forgets the executor and one of its methods gives the
//! executor tasks (an executor starts its workers for its first tasks). Test code is left alone.
//!
//! ## Why is this bad?
//! A pool's workers keep running until it is closed. The `multiprocessing` documentation warns
//! that relying on the garbage collector to finalize a pool can hang the process at exit. A class
//! that releases its resources but not its executor leaves the executor's workers running after
//! it is closed.

use crate::checker::Checker;
use crate::diagnostic::{Confidence, Diagnostic};
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{visitor, Ranged, TextRange, Visitor};
use crate::rules::Rule;

const CLOSING: &[&str] = &["close", "terminate", "shutdown", "__exit__", "__enter__"];

/// The kind of pool `expr` constructs, for messages: (class, is an executor). `shadowed`: names
/// the function binds itself (its parameters), which no import names.
fn pool_made(checker: &Checker, expr: &Expr, shadowed: &[String]) -> Option<(&'static str, bool)> {
    let Expr::Call(call) = expr else {
        return None;
    };
    let mut root = &*call.func;
    while let Expr::Attribute(attribute) = root {
        root = &attribute.value;
    }
    if matches!(root, Expr::Name(n) if shadowed.iter().any(|s| s == n.id.as_str())) {
        return None;
    }
    match checker.qualified_name(&call.func).as_deref() {
        Some("multiprocessing.Pool") => Some(("multiprocessing.Pool", false)),
        Some("multiprocessing.pool.ThreadPool") => Some(("ThreadPool", false)),
        Some("concurrent.futures.ProcessPoolExecutor") => Some(("ProcessPoolExecutor", true)),
        Some("concurrent.futures.ThreadPoolExecutor") => Some(("ThreadPoolExecutor", true)),
        _ => None,
    }
}

/// What a function does with one name (a local, or `self.<attr>`).
#[derive(Default)]
struct Uses {
    closed: bool,
    escapes: bool,
    /// Given tasks (`submit`, `map`): an executor starts its workers only for tasks.
    given_work: bool,
}

/// Walks code noting how `matches` expressions are used.
struct UseWalker<'m> {
    matches: &'m dyn Fn(&Expr) -> bool,
    /// Inside a nested function or lambda: any use there hands the object on.
    nested: usize,
    uses: Uses,
}

impl<'a> Visitor<'a> for UseWalker<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {
                self.nested += 1;
                visitor::walk_stmt(self, stmt);
                self.nested -= 1;
            }
            Stmt::With(node) => {
                for item in &node.items {
                    if (self.matches)(&item.context_expr) {
                        self.uses.closed = true;
                    } else {
                        self.visit_expr(&item.context_expr);
                    }
                    if let Some(target) = &item.optional_vars {
                        self.visit_expr(target);
                    }
                }
                self.visit_body(&node.body);
            }
            Stmt::Assign(assign) => {
                // Assigning to it is no use of it; assigning it elsewhere hands it on.
                for target in &assign.targets {
                    if !(self.matches)(target) {
                        self.visit_expr(target);
                    }
                }
                self.visit_expr(&assign.value);
            }
            Stmt::Delete(_) => {}
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
            Expr::Attribute(attribute) if (self.matches)(&attribute.value) => {
                if self.nested > 0 {
                    self.uses.escapes = true;
                } else if CLOSING.contains(&attribute.attr.as_str()) {
                    self.uses.closed = true;
                } else if matches!(attribute.attr.as_str(), "submit" | "map") {
                    self.uses.given_work = true;
                }
            }
            // `pool is None`: a test, no use.
            Expr::Compare(compare) if (self.matches)(&compare.left) => {
                for comparator in compare.comparators.iter() {
                    self.visit_expr(comparator);
                }
            }
            _ if (self.matches)(expr) => self.uses.escapes = true,
            _ => visitor::walk_expr(self, expr),
        }
    }
}

fn uses_in(body: &[Stmt], matches: &dyn Fn(&Expr) -> bool) -> Uses {
    let mut walker = UseWalker {
        matches,
        nested: 0,
        uses: Uses::default(),
    };
    walker.visit_body(body);
    walker.uses
}

/// Pools assigned to plain names in `body` (not in nested functions), with every name
/// assigned there (a name assigned twice may hold something else by the end).
fn local_pools(
    checker: &Checker,
    body: &[Stmt],
    shadowed: &[String],
    out: &mut Vec<(String, TextRange, &'static str, bool)>,
    assigned: &mut Vec<String>,
) {
    for stmt in body {
        match stmt {
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    assigned.extend(crate::summary::scope_target_names(target));
                }
                if let [Expr::Name(name)] = &*assign.targets {
                    if let Some((class, executor)) = pool_made(checker, &assign.value, shadowed) {
                        out.push((name.id.to_string(), assign.range(), class, executor));
                    }
                }
            }
            Stmt::AugAssign(_) | Stmt::AnnAssign(_) | Stmt::For(_) | Stmt::With(_) => {
                match stmt {
                    Stmt::AnnAssign(a) => {
                        assigned.extend(crate::summary::scope_target_names(&a.target))
                    }
                    Stmt::For(f) => assigned.extend(crate::summary::scope_target_names(&f.target)),
                    Stmt::With(w) => {
                        for item in &w.items {
                            if let Some(v) = &item.optional_vars {
                                assigned.extend(crate::summary::scope_target_names(v));
                            }
                        }
                    }
                    _ => {}
                }
                crate::semantic::for_each_nested_body(stmt, |inner| {
                    local_pools(checker, inner, shadowed, out, assigned)
                });
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => crate::semantic::for_each_nested_body(stmt, |inner| {
                local_pools(checker, inner, shadowed, out, assigned)
            }),
        }
    }
}

fn report(
    checker: &mut Checker,
    name: &str,
    at: TextRange,
    class: &str,
    executor: bool,
    releases: Option<&str>,
) {
    let (message, help) = if executor {
        let method = releases.unwrap_or("close");
        (
            format!("`{name}` (a `{class}`) is never shut down: the class releases its resources in `{method}()` but not this executor, whose workers keep running after it"),
            format!("Call `{name}.shutdown()` in `{method}()`."),
        )
    } else {
        (
            format!("`{name}` (a `{class}`) is never closed: no `close()` and `join()`, `terminate()` or `with` on any path, so its workers outlive the work and relying on the garbage collector to finalize a pool can hang the program at exit"),
            format!("Use `with {class}(...) as {name}:` and read the results inside it, or call `{name}.close()` and `{name}.join()` when done."),
        )
    };
    checker.report(
        Diagnostic::new(Rule::PoolNotClosed, checker.span(at), message)
            .with_help(help)
            .with_confidence(Confidence::Medium),
    );
}

/// Methods through which a class releases what it holds.
const RELEASING_METHODS: &[&str] = &[
    "close",
    "shutdown",
    "stop",
    "terminate",
    "cleanup",
    "dispose",
    "release",
    "__exit__",
    "__aexit__",
    "__del__",
];

/// Test code creates pools to exercise them; leaks there are not the program's.
fn in_tests(checker: &Checker) -> bool {
    crate::project::roots::is_test_module_name(&checker.semantic.module_name) || checker.in_test()
}

/// Checks the pools a function keeps in locals.
pub fn check_function(checker: &mut Checker, def: &ast::StmtFunctionDef) {
    if !checker.enabled(Rule::PoolNotClosed)
        || in_tests(checker)
        || crate::checker::is_test_name(&def.name)
    {
        return;
    }
    let params: Vec<String> = def
        .parameters
        .iter()
        .map(|p| p.name().to_string())
        .collect();
    let mut pools = Vec::new();
    let mut assigned = Vec::new();
    local_pools(checker, &def.body, &params, &mut pools, &mut assigned);
    for (name, at, class, executor) in pools {
        // An executor a function drops shuts down by itself.
        if executor || assigned.iter().filter(|a| **a == name).count() > 1 {
            continue;
        }
        let is_it = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == name);
        let uses = uses_in(&def.body, &is_it);
        if !uses.closed && !uses.escapes {
            report(checker, &name, at, class, executor, None);
        }
    }
}

/// Checks the pools a class keeps in attributes of `self`.
pub fn check_class(checker: &mut Checker, def: &ast::StmtClassDef) {
    if !checker.enabled(Rule::PoolNotClosed) || in_tests(checker) {
        return;
    }
    let methods: Vec<&ast::StmtFunctionDef> = def
        .body
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => Some(f),
            _ => None,
        })
        .collect();
    let receiver =
        |f: &ast::StmtFunctionDef| f.parameters.iter().next().map(|p| p.name().to_string());
    let mut made = Vec::new();
    for method in &methods {
        let Some(this) = receiver(method) else {
            continue;
        };
        let mut assigns = Vec::new();
        let params: Vec<String> = method
            .parameters
            .iter()
            .map(|p| p.name().to_string())
            .collect();
        self_pools(checker, &method.body, &this, &params, &mut assigns);
        made.extend(assigns);
    }
    let releases = methods
        .iter()
        .find(|m| RELEASING_METHODS.contains(&m.name.as_str()))
        .map(|m| m.name.to_string());
    for (attr, at, class, executor) in made {
        if executor && releases.is_none() {
            continue;
        }
        let mut closed = false;
        let mut escapes = false;
        let mut given_work = false;
        for method in &methods {
            let Some(this) = receiver(method) else {
                continue;
            };
            let is_it = |e: &Expr| {
                matches!(e, Expr::Attribute(a) if a.attr.as_str() == attr
                && matches!(&*a.value, Expr::Name(n) if n.id.as_str() == this))
            };
            let uses = uses_in(&method.body, &is_it);
            closed |= uses.closed;
            escapes |= uses.escapes;
            given_work |= uses.given_work;
        }
        // An executor never given a task in its class has started no worker to leak.
        if executor && !given_work {
            continue;
        }
        if !closed && !escapes {
            report(
                checker,
                &format!("self.{attr}"),
                at,
                class,
                executor,
                releases.as_deref(),
            );
        }
    }
}

/// `self.<attr> = Pool(...)` in `body`.
fn self_pools(
    checker: &Checker,
    body: &[Stmt],
    this: &str,
    shadowed: &[String],
    out: &mut Vec<(String, TextRange, &'static str, bool)>,
) {
    for stmt in body {
        match stmt {
            Stmt::Assign(assign) => {
                if let [Expr::Attribute(target)] = &*assign.targets {
                    if matches!(&*target.value, Expr::Name(n) if n.id.as_str() == this) {
                        if let Some((class, executor)) = pool_made(checker, &assign.value, shadowed)
                        {
                            out.push((target.attr.to_string(), assign.range(), class, executor));
                        }
                    }
                }
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => crate::semantic::for_each_nested_body(stmt, |inner| {
                self_pools(checker, inner, this, shadowed, out)
            }),
        }
    }
}

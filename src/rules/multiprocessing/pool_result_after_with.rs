//! SN507 `pool-result-after-with`.
//!
//! ## What it does
//! Finds results of `map_async`, `apply_async`, `starmap_async`, `imap` or `imap_unordered`
//! taken in a `with Pool() as p:` block (or a `ThreadPool`) and first read after the block ends,
//! and `return p.imap(...)` from inside the block; unless the block calls `p.close()` and
//! `p.join()` first, which waits for every task.
//!
//! ## Why is this bad?
//! `Pool.__exit__` calls `terminate()`, not `close()` and `join()`: the workers stop at once,
//! whatever they were doing. Results that were not ready by then never arrive: `get()` and
//! iterating the results hang, or stop short.

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::python::ast::{Expr, Stmt};
use crate::python::{visitor, Ranged, TextRange, TextSize, Visitor};
use crate::rules::Rule;

const ASYNC_METHODS: &[&str] = &[
    "map_async",
    "apply_async",
    "starmap_async",
    "imap",
    "imap_unordered",
];

/// Whether `expr` makes a `multiprocessing` pool (processes or threads), which terminates on
/// `__exit__`.
pub fn is_mp_pool(checker: &Checker, expr: &Expr, shadowed: &[String]) -> bool {
    let Expr::Call(call) = expr else {
        return false;
    };
    let mut root = &*call.func;
    while let Expr::Attribute(attribute) = root {
        root = &attribute.value;
    }
    if matches!(root, Expr::Name(n) if shadowed.iter().any(|s| s == n.id.as_str())) {
        return false;
    }
    match checker.qualified_name(&call.func).as_deref() {
        Some("multiprocessing.Pool" | "multiprocessing.pool.ThreadPool") => true,
        Some(_) => false,
        // `ctx.Pool()` on a context snarl could not type.
        None => matches!(&*call.func, Expr::Attribute(a) if a.attr.as_str() == "Pool"
            && matches!(&*a.value, Expr::Name(n) if n.id.as_str().contains("ctx") || n.id.as_str().contains("context"))),
    }
}

/// A `with` block over a pool.
struct PoolBlock {
    pool: String,
    range: TextRange,
}

/// Results taken from a pool inside its block.
struct Taken {
    name: String,
    block: usize,
    method: String,
    at: TextRange,
}

#[derive(Default)]
struct Scan {
    blocks: Vec<PoolBlock>,
    /// Blocks around the statement being walked.
    open: Vec<usize>,
    taken: Vec<Taken>,
    /// `return p.imap(...)` inside a block: (return, block, method).
    returned: Vec<(TextRange, usize, String)>,
    loads: Vec<(String, TextSize)>,
    stores: Vec<(String, TextSize)>,
    /// `p.close()` / `p.join()` calls: (pool, method, at).
    waits: Vec<(String, String, TextSize)>,
}

impl Scan {
    /// `p.<async method>(...)` on a pool of an enclosing block: (block, method).
    fn async_call(&self, expr: &Expr) -> Option<(usize, String)> {
        let Expr::Call(call) = expr else {
            return None;
        };
        let Expr::Attribute(attribute) = &*call.func else {
            return None;
        };
        let Expr::Name(pool) = &*attribute.value else {
            return None;
        };
        let method = attribute.attr.as_str();
        if !ASYNC_METHODS.contains(&method) {
            return None;
        }
        let block = self
            .open
            .iter()
            .rev()
            .find(|&&b| self.blocks[b].pool == pool.id.as_str())?;
        Some((*block, method.to_string()))
    }

    /// The async call `value` is, or makes a list of.
    fn async_value(&self, value: &Expr) -> Option<(usize, String)> {
        match value {
            Expr::ListComp(comp) => self.async_call(&comp.elt),
            Expr::List(list) => list.elts.iter().find_map(|e| self.async_call(e)),
            other => self.async_call(other),
        }
    }
}

struct Walker<'c, 'a> {
    checker: &'c Checker<'a>,
    /// The function's parameters: they shadow imports.
    shadowed: &'c [String],
    scan: Scan,
}

impl<'a> Visitor<'a> for Walker<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::With(node) => {
                let mut opened = 0;
                for item in &node.items {
                    self.visit_expr(&item.context_expr);
                    if let Some(target) = &item.optional_vars {
                        self.visit_expr(target);
                    }
                    if let Some(Expr::Name(name)) = item.optional_vars.as_deref() {
                        if is_mp_pool(self.checker, &item.context_expr, self.shadowed) {
                            self.scan.blocks.push(PoolBlock {
                                pool: name.id.to_string(),
                                range: node.range(),
                            });
                            self.scan.open.push(self.scan.blocks.len() - 1);
                            opened += 1;
                        }
                    }
                }
                self.visit_body(&node.body);
                for _ in 0..opened {
                    self.scan.open.pop();
                }
            }
            Stmt::Assign(assign) => {
                if let [Expr::Name(name)] = &*assign.targets {
                    if let Some((block, method)) = self.scan.async_value(&assign.value) {
                        self.scan.taken.push(Taken {
                            name: name.id.to_string(),
                            block,
                            method,
                            at: assign.range(),
                        });
                    }
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::Expr(node) => {
                // `results.append(p.apply_async(...))`
                if let Expr::Call(call) = &*node.value {
                    if let (Expr::Attribute(attribute), Some(arg)) =
                        (&*call.func, call.arguments.args.first())
                    {
                        if let (Expr::Name(list), "append") =
                            (&*attribute.value, attribute.attr.as_str())
                        {
                            if let Some((block, method)) = self.scan.async_call(arg) {
                                self.scan.taken.push(Taken {
                                    name: list.id.to_string(),
                                    block,
                                    method,
                                    at: node.range(),
                                });
                            }
                        }
                    }
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::Return(node) => {
                if let Some(value) = &node.value {
                    let lazy = match &**value {
                        Expr::Generator(generator) => generator
                            .generators
                            .first()
                            .and_then(|g| self.scan.async_call(&g.iter)),
                        // `return [pool.apply_async(f, (x,)) for x in xs]`
                        other => self.scan.async_value(other),
                    };
                    if let Some((block, method)) = lazy {
                        if method.starts_with("imap") || method.ends_with("_async") {
                            self.scan.returned.push((node.range(), block, method));
                        }
                    }
                }
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(_) => {}
            Expr::Name(name) => {
                let entry = (name.id.to_string(), name.range().start());
                if name.ctx.is_load() {
                    self.scan.loads.push(entry);
                } else {
                    self.scan.stores.push(entry);
                }
            }
            Expr::Call(call) => {
                if let Expr::Attribute(attribute) = &*call.func {
                    if let (Expr::Name(pool), method @ ("close" | "join" | "terminate")) =
                        (&*attribute.value, attribute.attr.as_str())
                    {
                        self.scan.waits.push((
                            pool.id.to_string(),
                            method.to_string(),
                            call.range().start(),
                        ));
                    }
                }
                visitor::walk_expr(self, expr);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// Checks one function body (or the module's), whose parameters are `params`.
pub fn check(checker: &mut Checker, body: &[Stmt], params: &[String]) {
    if !checker.enabled(Rule::PoolResultAfterWith) {
        return;
    }
    let mut walker = Walker {
        checker: &*checker,
        shadowed: params,
        scan: Scan::default(),
    };
    walker.visit_body(body);
    let scan = walker.scan;
    let mut found = Vec::new();
    for taken in &scan.taken {
        let block = &scan.blocks[taken.block];
        let inside = |at: TextSize| taken.at.end() <= at && at < block.range.end();
        let waited = |method: &str| {
            scan.waits
                .iter()
                .any(|(pool, m, at)| *pool == block.pool && m == method && inside(*at))
        };
        if waited("close") && waited("join") {
            continue;
        }
        if scan
            .loads
            .iter()
            .any(|(name, at)| *name == taken.name && inside(*at))
        {
            continue;
        }
        let Some((_, read)) = scan
            .loads
            .iter()
            .filter(|(name, at)| *name == taken.name && *at >= block.range.end())
            .min_by_key(|(_, at)| *at)
        else {
            continue;
        };
        let rebound = scan
            .stores
            .iter()
            .any(|(name, at)| *name == taken.name && *at >= block.range.end() && at < read);
        if rebound {
            continue;
        }
        let read_range = TextRange::at(
            *read,
            TextSize::try_from(taken.name.len()).unwrap_or_default(),
        );
        found.push(
            Diagnostic::new(
                Rule::PoolResultAfterWith,
                checker.span(read_range),
                format!(
                    "`{}` holds results of `{}.{}()` taken inside the pool's `with` block and is read after it: `Pool.__exit__` calls `terminate()`, which stops the workers at once, so results not ready by then never arrive (`get()` or the iteration hangs, or stops short)",
                    taken.name, block.pool, taken.method
                ),
            )
            .with_help(format!(
                "Read the results inside the `with` block, or call `{p}.close()` and `{p}.join()` at its end to wait for every task.",
                p = block.pool
            ))
            .with_related(checker.span(taken.at), "the results are taken here")
            .with_related(
                checker.span(TextRange::at(block.range.start(), TextSize::from(4))),
                "the `with` block terminates the pool when it ends",
            ),
        );
    }
    for (at, block, method) in &scan.returned {
        let block = &scan.blocks[*block];
        found.push(
            Diagnostic::new(
                Rule::PoolResultAfterWith,
                checker.span(*at),
                format!(
                    "This returns the lazy results of `{}.{method}()` from inside the pool's `with` block: leaving the block calls `terminate()`, so the caller reads results that never arrive (the iteration hangs or stops short)",
                    block.pool
                ),
            )
            .with_help("Collect the results into a list inside the block (`list(...)`), or keep the pool open while the caller reads them.")
            .with_related(
                checker.span(TextRange::at(block.range.start(), TextSize::from(4))),
                "the `with` block terminates the pool when it ends",
            ),
        );
    }
    for diagnostic in found {
        checker.report(diagnostic);
    }
}

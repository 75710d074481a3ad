//! Futures and executors: the futures and result iterators a function drops, the tasks it gives
//! a thread pool and waits for, and whether its body keeps every exception to itself.
//!
//! Recorded per function, for the SN6xx rules:
//! - the futures of `executor.submit`, `loop.run_in_executor` and `pool.apply_async` (without an
//!   `error_callback`) that nothing looks at — an expression statement, or a local nothing reads —
//!   and the `executor.map` / `pool.imap` iterators thrown away the same way (SN601, SN602);
//! - the tasks it gives a thread pool: which pool (a global, an attribute, a closure cell, with a
//!   constant subscript), whether it hands the variable holding the pool to the task, and where
//!   it then blocks on the task — `.result()` on the future, `wait` / `as_completed`, or a
//!   blocking `map` / `apply` (SN603: a task that waits on its own pool);
//! - whether it keeps its exceptions to itself (a top-level `try` whose handler catches every
//!   exception without re-raising, or a body that cannot raise): dropping the future of such a
//!   task loses little.

use std::collections::HashSet;

use serde::Serialize;

use super::builder::Builder;
use super::{Callee, FunctionSummary, Loc};
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{visitor, Ranged, TextRange, Visitor};

/// What made a dropped future or iterator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FutureSource {
    /// `executor.submit(f, ...)`: a `concurrent.futures.Future`.
    Submit,
    /// `loop.run_in_executor(executor, f, ...)` not awaited: an asyncio future.
    RunInExecutor,
    /// `pool.apply_async(f, ...)`, `map_async`, `starmap_async` without an `error_callback`.
    ApplyAsync,
    /// `executor.map(f, ...)`: an iterator that re-raises a task's exception when read.
    ExecutorMap,
    /// `pool.imap(f, ...)`, `imap_unordered`: a lazy iterator over a `multiprocessing` pool.
    Imap,
}

impl FutureSource {
    /// Whether it is a results iterator (SN602) rather than one future (SN601).
    pub fn is_iterator(self) -> bool {
        matches!(self, FutureSource::ExecutorMap | FutureSource::Imap)
    }
}

/// A future or results iterator nothing looks at.
#[derive(Debug, Clone, Serialize)]
pub struct DroppedFuture {
    pub source: FutureSource,
    /// The function the task runs.
    pub target: Callee,
    /// The call that makes it.
    #[serde(skip)]
    pub range: TextRange,
    /// The local it is assigned to and nothing reads; `None` for an expression statement.
    pub name: Option<String>,
}

/// A task this function gives a thread pool.
#[derive(Debug, Clone, Serialize)]
pub struct PoolTask {
    pub target: Callee,
    /// The submit (`pool.submit(...)`, `pool.map(...)`, `pool.apply_async(...)`).
    #[serde(skip)]
    pub range: TextRange,
    /// The pool expression (`self._pool`, `pools[1]`).
    #[serde(skip)]
    pub pool_range: TextRange,
    /// The pool, where it is shared state: a module global, an attribute, a closure cell.
    pub pool: Option<Loc>,
    /// A constant subscript of that location: `self._pools[1]` is `Some("1")`.
    pub subscript: Option<String>,
    /// The pool is a parameter of the function, and the submit hands it on to the task
    /// (`pool.submit(walk, child, pool=pool)`): the task works with the pool it runs on.
    pub passes_pool: bool,
    /// Where this function then blocks on the task.
    #[serde(skip)]
    pub waited_at: Option<TextRange>,
}

/// What one function does with futures and pools.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FutureFacts {
    pub dropped: Vec<DroppedFuture>,
    pub pool_tasks: Vec<PoolTask>,
    /// The body has a top-level `try` whose handler catches every exception and does not
    /// re-raise, or cannot raise at all.
    pub catches_all: bool,
}

static NO_FUTURE_FACTS: FutureFacts = FutureFacts {
    dropped: Vec::new(),
    pool_tasks: Vec::new(),
    catches_all: false,
};

impl FunctionSummary {
    /// What the function does with futures and pools.
    pub fn futures(&self) -> &FutureFacts {
        self.futures.as_deref().unwrap_or(&NO_FUTURE_FACTS)
    }

    fn futures_mut(&mut self) -> &mut FutureFacts {
        self.futures.get_or_insert_with(Default::default)
    }
}

/// Per-function walk state.
#[derive(Debug, Default)]
pub(super) struct FuturesFrame {
    /// Futures assigned to a local: dropped if nothing reads the local.
    assigned: Vec<DroppedFuture>,
    /// Pool tasks whose future went to a local: (local, index in `pool_tasks`).
    holders: Vec<(String, usize)>,
    /// `.result()` / `.exception()` calls on locals.
    results: Vec<(String, TextRange)>,
    /// `concurrent.futures.wait` / `as_completed` calls.
    waits: Vec<TextRange>,
    /// `.result()` / `.exception()` called on a call's value: (that call, the wait).
    chained: Vec<(TextRange, TextRange)>,
}

/// What a pool or executor is, as far as its type or its name tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PoolType {
    /// `concurrent.futures.ThreadPoolExecutor`.
    ThreadExecutor,
    /// `concurrent.futures.ProcessPoolExecutor`.
    ProcessExecutor,
    /// `multiprocessing.pool.ThreadPool`.
    ThreadPool,
    /// `multiprocessing.Pool`.
    ProcessPool,
    /// Untyped, named like an executor (`self._executor`): a `concurrent.futures` executor.
    NamedExecutor,
    /// Untyped, named like a pool (`pool`): an executor or a `multiprocessing` pool.
    NamedPool,
}

impl PoolType {
    fn is_executor(self) -> bool {
        matches!(
            self,
            PoolType::ThreadExecutor | PoolType::ProcessExecutor | PoolType::NamedExecutor
        )
    }

    fn is_multiprocessing(self) -> bool {
        matches!(self, PoolType::ThreadPool | PoolType::ProcessPool)
    }
}

/// Pool methods that run their first argument on a worker.
const TASK_METHODS: &[&str] = &[
    "submit",
    "map",
    "apply",
    "apply_async",
    "imap",
    "imap_unordered",
    "starmap",
    "map_async",
    "starmap_async",
];

/// Pool methods that block until the tasks are done (`map` for `multiprocessing` pools; an
/// executor's `map` blocks as its results are read).
const BLOCKING_TASK_METHODS: &[&str] = &["map", "apply", "starmap"];

/// The name a receiver goes by: `pool`, `self._executor` → `_executor`, `pools[1]` → `pools`.
pub(super) fn receiver_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => Some(attribute.attr.as_str()),
        Expr::Subscript(subscript) => receiver_name(&subscript.value),
        Expr::Call(call) => receiver_name(&call.func),
        _ => None,
    }
}

/// The variable a receiver is held in: `pool`, `pools` of `pools[1]`.
fn holder_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Subscript(subscript) => holder_name(&subscript.value),
        _ => None,
    }
}

fn keyword<'a>(call: &'a ast::ExprCall, name: &str) -> Option<&'a Expr> {
    call.arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
        .map(|k| &k.value)
}

impl<'a> Builder<'a> {
    /// What kind of pool `expr` is, by its type, else by its name.
    pub(super) fn pool_type(&self, expr: &Expr) -> Option<PoolType> {
        let ty = self.value_type(expr);
        let named = |name: &str| {
            let lower = name.to_ascii_lowercase();
            if lower.contains("executor") {
                Some(PoolType::NamedExecutor)
            } else if lower.contains("pool") {
                Some(PoolType::NamedPool)
            } else {
                None
            }
        };
        match ty.as_deref() {
            Some("concurrent.futures.ThreadPoolExecutor") => Some(PoolType::ThreadExecutor),
            Some("concurrent.futures.ProcessPoolExecutor") => Some(PoolType::ProcessExecutor),
            Some("concurrent.futures.Executor") => Some(PoolType::NamedExecutor),
            Some("multiprocessing.pool.ThreadPool") => Some(PoolType::ThreadPool),
            Some("multiprocessing.Pool") => Some(PoolType::ProcessPool),
            // A class of its own named like one (`BoundedExecutor`).
            Some(other) => named(other.rsplit('.').next().unwrap_or(other)),
            None => named(receiver_name(expr)?),
        }
    }

    /// What future or iterator `call` makes, and the task it runs, if it makes one.
    fn future_source(&self, call: &ast::ExprCall) -> Option<(FutureSource, Callee)> {
        let Expr::Attribute(attribute) = &*call.func else {
            return None;
        };
        let args = &call.arguments.args;
        let (source, target) = match attribute.attr.as_str() {
            "submit" => {
                self.pool_type(&attribute.value)?;
                (FutureSource::Submit, args.first()?)
            }
            "run_in_executor" => (FutureSource::RunInExecutor, args.get(1)?),
            "apply_async" | "map_async" | "starmap_async" => {
                let pool = self.pool_type(&attribute.value)?;
                if pool.is_executor() || keyword(call, "error_callback").is_some() {
                    return None;
                }
                (FutureSource::ApplyAsync, args.first()?)
            }
            "map" if self.pool_type(&attribute.value)?.is_executor() => {
                (FutureSource::ExecutorMap, args.first()?)
            }
            "imap" | "imap_unordered" => {
                let pool = self.pool_type(&attribute.value)?;
                if !(pool.is_multiprocessing() || pool == PoolType::NamedPool) {
                    return None;
                }
                (FutureSource::Imap, args.first()?)
            }
            _ => return None,
        };
        Some((source, self.callee_of(target)))
    }

    /// The futures of `pool.submit(...)` and of comprehensions of them: the calls and targets.
    fn futures_in(&self, value: &Expr) -> Vec<(FutureSource, Callee, TextRange)> {
        match value {
            Expr::Call(call) => self
                .future_source(call)
                .map(|(source, target)| vec![(source, target, call.range())])
                .unwrap_or_default(),
            Expr::ListComp(comp) => self.futures_in(&comp.elt),
            Expr::SetComp(comp) => self.futures_in(&comp.elt),
            _ => Vec::new(),
        }
    }

    /// An expression statement: a future or iterator it makes is dropped.
    pub(super) fn dropped_in_statement(&mut self, value: &Expr) {
        for (source, target, range) in self.futures_in(value) {
            self.summary().futures_mut().dropped.push(DroppedFuture {
                source,
                target,
                range,
                name: None,
            });
        }
    }

    /// `f = pool.submit(...)`: dropped unless something reads `f` (a `_` name says it is meant).
    pub(super) fn future_assigned(&mut self, assign: &ast::StmtAssign) {
        let [Expr::Name(target)] = &*assign.targets else {
            return;
        };
        if target.id.starts_with('_') {
            return;
        }
        for (source, callee, range) in self.futures_in(&assign.value) {
            self.frame_mut().futures.assigned.push(DroppedFuture {
                source,
                target: callee,
                range,
                name: Some(target.id.to_string()),
            });
        }
    }

    /// Records the pool task `call` starts and the waits it makes.
    pub(super) fn futures_in_call(&mut self, call: &ast::ExprCall, qualified: Option<&str>) {
        if matches!(
            qualified,
            Some("concurrent.futures.wait" | "concurrent.futures.as_completed")
        ) {
            self.frame_mut().futures.waits.push(call.range());
            return;
        }
        let Expr::Attribute(attribute) = &*call.func else {
            return;
        };
        let method = attribute.attr.as_str();
        if matches!(method, "result" | "exception") {
            match &*attribute.value {
                Expr::Name(name) => {
                    let name = name.id.to_string();
                    self.frame_mut().futures.results.push((name, call.range()));
                }
                // `pool.submit(...).result()` (the submit is seen after this call).
                Expr::Call(inner) => {
                    let wait = (inner.range(), call.range());
                    self.frame_mut().futures.chained.push(wait);
                }
                _ => {}
            }
            return;
        }
        if !TASK_METHODS.contains(&method) {
            return;
        }
        let Some(pool) = self.pool_type(&attribute.value) else {
            return;
        };
        let on_threads = match pool {
            PoolType::ThreadExecutor | PoolType::ThreadPool => true,
            PoolType::ProcessExecutor | PoolType::ProcessPool => false,
            PoolType::NamedExecutor | PoolType::NamedPool => receiver_name(&attribute.value)
                .is_some_and(|n| !n.to_ascii_lowercase().contains("process")),
        };
        let Some(first) = call.arguments.args.first() else {
            return;
        };
        if !on_threads || method == "submit" && pool.is_multiprocessing() {
            return;
        }
        let target = self.callee_of(first);
        if target == Callee::Unknown {
            return;
        }
        let (pool_expr, subscript) = match &*attribute.value {
            Expr::Subscript(subscript) => {
                let key = match &*subscript.slice {
                    Expr::NumberLiteral(n) => n
                        .value
                        .as_int()
                        .and_then(|i| i.as_u64())
                        .map(|i| i.to_string()),
                    Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
                    _ => None,
                };
                (&*subscript.value, key)
            }
            other => (other, None),
        };
        // At module level a global is named as in the functions that use it.
        let location = match pool_expr {
            Expr::Name(name)
                if self.frame().kind == super::FunctionKind::Module
                    && self.globals.contains(name.id.as_str()) =>
            {
                Some(Loc::Global {
                    name: self.semantic.qualify(name.id.as_str()),
                })
            }
            _ => self.location(pool_expr).map(|(loc, _)| loc),
        };
        // The pool the function was handed (a parameter it keeps), handed on to the task.
        let frame = self.frame();
        let holder = holder_name(&attribute.value)
            .filter(|h| frame.params.iter().any(|p| p == h) && !frame.reassigned.contains(*h));
        let passes_pool = holder.is_some_and(|holder| {
            call.arguments
                .args
                .iter()
                .skip(1)
                .chain(call.arguments.keywords.iter().map(|k| &k.value))
                .any(|arg| matches!(arg, Expr::Name(n) if n.id.as_str() == holder))
        });
        let waited_at = BLOCKING_TASK_METHODS
            .contains(&method)
            .then_some(call.range());
        let index = self.summary().futures_mut().pool_tasks.len();
        self.summary().futures_mut().pool_tasks.push(PoolTask {
            target,
            range: call.range(),
            pool_range: attribute.value.range(),
            pool: location,
            subscript,
            passes_pool,
            waited_at,
        });
        if let Some((value, super::builder::Holder::Local(name))) = self.frame().assigning.clone() {
            if value == call.range() {
                self.frame_mut().futures.holders.push((name, index));
            }
        }
    }

    /// At the end of a function: futures assigned to locals nothing reads are dropped; tasks
    /// whose future is waited for later are waited; whether the body catches everything.
    pub(super) fn finish_futures(&mut self, body: &[Stmt]) {
        let state = std::mem::take(&mut self.frame_mut().futures);
        if !state.assigned.is_empty() {
            let read = names_read(body);
            let dropped = state
                .assigned
                .into_iter()
                .filter(|d| d.name.as_ref().is_some_and(|n| !read.contains(n.as_str())));
            self.summary().futures_mut().dropped.extend(dropped);
        }
        if catches_everything(body) {
            self.summary().futures_mut().catches_all = true;
        }
        let Some(facts) = self.summary().futures.as_deref_mut() else {
            return;
        };
        for (inner, wait) in &state.chained {
            if let Some(task) = facts.pool_tasks.iter_mut().find(|t| t.range == *inner) {
                task.waited_at.get_or_insert(*wait);
            }
        }
        for (holder, index) in &state.holders {
            let task = &mut facts.pool_tasks[*index];
            let after = task.range.end();
            let waited = state
                .results
                .iter()
                .find(|(name, at)| name == holder && at.start() >= after)
                .map(|(_, at)| *at);
            if task.waited_at.is_none() {
                task.waited_at = waited;
            }
        }
        for task in &mut facts.pool_tasks {
            if task.waited_at.is_none() {
                let after = task.range.end();
                task.waited_at = state.waits.iter().find(|w| w.start() >= after).copied();
            }
        }
    }
}

/// The names `body` reads anywhere (nested functions included: a closure may read a local).
fn names_read(body: &[Stmt]) -> HashSet<&str> {
    struct Reads<'b> {
        names: HashSet<&'b str>,
    }
    impl<'b> Visitor<'b> for Reads<'b> {
        fn visit_expr(&mut self, expr: &'b Expr) {
            if let Expr::Name(name) = expr {
                if name.ctx == ast::ExprContext::Load || name.ctx == ast::ExprContext::Del {
                    self.names.insert(name.id.as_str());
                }
            }
            stacker::maybe_grow(
                crate::checker::STACK_RED_ZONE,
                crate::checker::STACK_GROWTH,
                || visitor::walk_expr(self, expr),
            );
        }

        fn visit_stmt(&mut self, stmt: &'b Stmt) {
            stacker::maybe_grow(
                crate::checker::STACK_RED_ZONE,
                crate::checker::STACK_GROWTH,
                || visitor::walk_stmt(self, stmt),
            );
        }
    }
    let mut reads = Reads {
        names: HashSet::new(),
    };
    reads.visit_body(body);
    reads.names
}

/// Whether the function keeps its exceptions to itself: its body has a `try` (at the top level)
/// with a handler that catches every exception and does not raise — the author handled the
/// task's errors — or it does nothing that can raise (a docstring, `pass`, a constant).
fn catches_everything(body: &[Stmt]) -> bool {
    // A lambda has no statements here: its expression may raise.
    let trivial = !body.is_empty()
        && body.iter().enumerate().all(|(i, stmt)| match stmt {
            Stmt::Expr(e) => i == 0 && matches!(&*e.value, Expr::StringLiteral(_)),
            Stmt::Pass(_) => true,
            Stmt::Return(ret) => ret.value.as_deref().is_none_or(super::effects::is_literal),
            _ => false,
        });
    trivial
        || body
            .iter()
            .any(|stmt| matches!(stmt, Stmt::Try(node) if handles_everything(node)))
}

fn handles_everything(node: &ast::StmtTry) -> bool {
    node.handlers.iter().any(|handler| {
        let ast::ExceptHandler::ExceptHandler(handler) = handler;
        let broad = match handler.type_.as_deref() {
            None => true,
            Some(Expr::Name(n)) => matches!(n.id.as_str(), "Exception" | "BaseException"),
            Some(Expr::Tuple(t)) => t.elts.iter().any(
                |e| matches!(e, Expr::Name(n) if matches!(n.id.as_str(), "Exception" | "BaseException")),
            ),
            Some(_) => false,
        };
        broad && !raises(&handler.body)
    })
}

/// Whether `body` has a `raise` (outside nested functions and classes).
fn raises(body: &[Stmt]) -> bool {
    body.iter().any(|stmt| match stmt {
        Stmt::Raise(_) => true,
        Stmt::FunctionDef(_) | Stmt::ClassDef(_) => false,
        _ => {
            let mut found = false;
            crate::semantic::for_each_nested_body(stmt, |inner| found |= raises(inner));
            found
        }
    })
}

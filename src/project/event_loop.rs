//! Event-loop contexts: which code runs on an asyncio event loop, and which on a thread that is
//! not a loop's. This module answers "is this call made on the loop's own thread?".
//!
//! A coroutine (`async def`, or a generator-based `@gen.coroutine` / `@asyncio.coroutine`) runs
//! on an event loop, and so does the sync code it calls and the callbacks handed to a loop
//! (`loop.call_soon(cb)`, `call_soon_threadsafe(cb)`, `add_done_callback` on an asyncio future).
//! A plain thread — a thread root ([`super::roots`]: a `Thread` target or `run`, a pool or
//! executor task, `run_in_executor`, `asyncio.to_thread`, a submitted future's callback) or a
//! callback added to a `concurrent.futures` future of a known type — runs the sync code it
//! calls, up to the functions that run on a loop (calling a coroutine function runs nothing; a
//! sync function a coroutine calls belongs to the loop's side, and a call into it from a thread
//! is where the thread crosses over). A thread that makes, sets or runs a loop of its own is a
//! loop thread, not a plain one.
//!
//! These contexts are not those of [`super::contexts`]: there a coroutine runs on whichever
//! thread runs its loop, which is what races need; here what matters is whether that thread is
//! the loop's own. They are computed on demand by the asyncio rules ([`Project::loop_contexts`]),
//! not during linking.
//!
//! [`Project::sync_reach`] gives, for every function, the first way it reaches a site of
//! interest through the sync functions it calls (a coroutine reaching `time.sleep` through a
//! helper): one reverse breadth-first walk over the call edges.

use std::collections::VecDeque;

use super::link::Target;
use super::{FuncId, Project, RootId, RootKind};
use crate::python::TextRange;
use crate::summary::{Callee, FunctionSummary};

/// What started the plain thread a function runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadStart {
    /// A concurrency root that is a thread (not a process, not inferred from intent).
    Root(RootId),
    /// A callback added to a `concurrent.futures` future: the function that adds it and the
    /// index in its [`crate::summary::asyncio::AsyncFacts::future_callbacks`].
    FutureCallback { function: FuncId, index: u32 },
}

/// How a function comes to run on a plain thread.
#[derive(Debug, Clone, Copy)]
pub struct OffLoop {
    pub start: ThreadStart,
    /// The call that first reached it: (caller, call site); `None` where the thread starts.
    pub pred: Option<(FuncId, TextRange)>,
}

/// Which functions run on an event loop and which on a plain thread.
pub struct LoopContexts {
    /// Per function: it runs on an event loop (a coroutine, or sync code one calls).
    pub on_loop: Vec<bool>,
    /// Per function: the plain thread it runs on, as first found.
    pub off_loop: Vec<Option<OffLoop>>,
    /// Per function: the calls into it that run it synchronously, as (caller, edge index).
    pub sync_callers: Vec<Vec<(FuncId, usize)>>,
    /// Per function: calling it runs its body in the caller ([`Project::runs_in_caller`]).
    pub runs_in_caller: Vec<bool>,
}

/// How many sync helpers deep [`Project::sync_reach`] looks: deeper paths go through more
/// conditions than a reader can check, and say less.
pub const MAX_HELPERS: usize = 4;

/// How a function reaches a site of interest through sync calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A site of its own: its index in the function's list of such sites.
    Here(u32),
    /// The call (index in [`Project::edges`] of the function) to a function that reaches one.
    Call(u32),
}

/// A path of calls down to a site: the (caller, edge index) of each call, then the function
/// holding the site and the site's index there.
#[derive(Debug, Clone)]
pub struct Chain {
    pub calls: Vec<(FuncId, usize)>,
    pub function: FuncId,
    pub site: u32,
}

/// Decorators that leave a function running in its caller, when called.
const TRANSPARENT_DECORATORS: &[&str] = &[
    "builtins.staticmethod",
    "builtins.classmethod",
    "builtins.property",
    "functools.wraps",
    "functools.lru_cache",
    "functools.cache",
    "functools.cached_property",
    "contextlib.contextmanager",
    "abc.abstractmethod",
    "typing.overload",
    "typing.final",
    "typing_extensions.override",
    "typing.override",
];

/// Decorators that make a generator function a coroutine run by an event loop.
const COROUTINE_DECORATORS: &[&str] = &[
    "asyncio.coroutine",
    "types.coroutine",
    "tornado.gen.coroutine",
    "tornado.gen.engine",
];

fn decorator_name(callee: &Callee) -> Option<&str> {
    match callee {
        Callee::Name { name } => Some(name),
        // `@functools.lru_cache(maxsize=None)`, `@wraps(f)`
        Callee::Returned { factory } => match &**factory {
            Callee::Name { name } => Some(name),
            _ => None,
        },
        _ => None,
    }
}

impl Project {
    /// Whether `f` is a coroutine function: `async def`, or a generator-based coroutine.
    pub fn is_coroutine(&self, f: FuncId) -> bool {
        let function = self.function(f);
        function.is_async
            || function
                .decorators
                .iter()
                .filter_map(decorator_name)
                .any(|name| COROUTINE_DECORATORS.contains(&name))
    }

    /// Per function: whether calling it runs its body in the caller. It must be no coroutine,
    /// and its decorators must keep it so: standard ones that do, registrations on an object
    /// (`@app.route(...)`), or decorators of the project whose wrapper calls the decorated
    /// function itself (not one that hands it to an executor, as `@run_on_executor` does).
    pub fn runs_in_caller(&self) -> Vec<bool> {
        let n = self.functions.len();
        // Functions that enclose a wrapper calling the function it wraps.
        let mut wrapping = vec![false; n];
        for f in 0..n as FuncId {
            if !self.function(f).asyncio().calls_wrapped {
                continue;
            }
            let qualname = &self.function(f).qualname;
            let mut end = 0;
            while let Some(at) = qualname[end..].find(".<locals>.") {
                end += at;
                if let Some(&outer) = self.function_by_name.get(&qualname[..end]) {
                    wrapping[outer as usize] = true;
                }
                end += ".<locals>.".len();
            }
        }
        (0..n as FuncId)
            .map(|f| {
                !self.is_coroutine(f)
                    && self.function(f).decorators.iter().all(|decorator| {
                        matches!(decorator, Callee::Method { .. })
                            || decorator_name(decorator).is_some_and(|name| {
                                TRANSPARENT_DECORATORS.contains(&name)
                                    || matches!(self.resolve_name(name),
                                        Some(Target::Function(d)) if wrapping[d as usize])
                            })
                    })
            })
            .collect()
    }

    /// Per function, the calls into it that run it in the caller: (caller, edge index).
    pub fn sync_callers(&self, runs_in_caller: &[bool]) -> Vec<Vec<(FuncId, usize)>> {
        let n = self.functions.len();
        let mut sync_callers: Vec<Vec<(FuncId, usize)>> = vec![Vec::new(); n];
        for (f, edges) in self.edges.iter().enumerate() {
            for (e, edge) in edges.iter().enumerate() {
                if runs_in_caller[edge.callee as usize] {
                    sync_callers[edge.callee as usize].push((f as FuncId, e));
                }
            }
        }
        sync_callers
    }

    /// Which functions run on an event loop and which on a plain thread.
    pub fn loop_contexts(&self) -> LoopContexts {
        let n = self.functions.len();
        let runs_in_caller = self.runs_in_caller();
        let sync_callers = self.sync_callers(&runs_in_caller);
        // On the loop: coroutines, loop callbacks, and the sync code they call.
        let mut on_loop = vec![false; n];
        let mut queue: VecDeque<FuncId> = VecDeque::new();
        for f in 0..n as FuncId {
            if self.is_coroutine(f) {
                on_loop[f as usize] = true;
                queue.push_back(f);
            }
            for callback in &self.function(f).asyncio().loop_callbacks {
                for g in self.resolve(callback).0 {
                    if !on_loop[g as usize] {
                        on_loop[g as usize] = true;
                        queue.push_back(g);
                    }
                }
            }
        }
        while let Some(f) = queue.pop_front() {
            for edge in &self.edges[f as usize] {
                let g = edge.callee as usize;
                if runs_in_caller[g] && !on_loop[g] {
                    on_loop[g] = true;
                    queue.push_back(edge.callee);
                }
            }
        }
        // Plain threads: thread roots and future callbacks, unless they make a loop of their own.
        let makes_loop = self.sync_reach(&sync_callers, MAX_HELPERS, |f| {
            self.function(f).asyncio().makes_loop.then_some(0)
        });
        let mut off_loop: Vec<Option<OffLoop>> = vec![None; n];
        let mut start = |f: FuncId, how: ThreadStart, queue: &mut VecDeque<FuncId>| {
            let slot = &mut off_loop[f as usize];
            if slot.is_none() && !self.is_coroutine(f) && makes_loop[f as usize].is_none() {
                *slot = Some(OffLoop {
                    start: how,
                    pred: None,
                });
                queue.push_back(f);
            }
        };
        for (r, root) in self.roots.iter().enumerate() {
            let thread = match &root.kind {
                RootKind::Spawn(kind) => !kind.is_process(),
                RootKind::ThreadRun => true,
                _ => false,
            };
            if thread && !root.process {
                start(root.entry, ThreadStart::Root(r as RootId), &mut queue);
            }
        }
        for f in 0..n as FuncId {
            if self.is_test_module(self.functions[f as usize].0 as usize) {
                continue;
            }
            for (index, callback) in self
                .function(f)
                .asyncio()
                .future_callbacks
                .iter()
                .enumerate()
            {
                if !self.is_thread_future(&callback.future_type) {
                    continue;
                }
                for g in self.resolve(&callback.target).0 {
                    let how = ThreadStart::FutureCallback {
                        function: f,
                        index: index as u32,
                    };
                    start(g, how, &mut queue);
                }
            }
        }
        while let Some(f) = queue.pop_front() {
            let Some(here) = off_loop[f as usize] else {
                continue;
            };
            for edge in &self.edges[f as usize] {
                let g = edge.callee as usize;
                if runs_in_caller[g] && !on_loop[g] && off_loop[g].is_none() {
                    off_loop[g] = Some(OffLoop {
                        start: here.start,
                        pred: Some((f, edge.site)),
                    });
                    queue.push_back(edge.callee);
                }
            }
        }
        LoopContexts {
            on_loop,
            off_loop,
            sync_callers,
            runs_in_caller,
        }
    }

    /// Whether a future of class `ty` is a `concurrent.futures` future (through the project's
    /// aliases and classes): its callbacks run on the thread that completes it.
    pub fn is_thread_future(&self, ty: &str) -> bool {
        const FUTURE: &str = "concurrent.futures.Future";
        if ty == FUTURE {
            return true;
        }
        match self.resolve_name(ty) {
            Some(Target::Class(c)) => self.derives_from(c, &[FUTURE]),
            Some(Target::Function(_)) => false,
            None => self.resolve_alias(ty) == FUTURE,
        }
    }

    /// Where a name outside the project's functions and classes leads through the project's
    /// aliases (`kiwipy.Future` → `concurrent.futures.Future`).
    pub fn resolve_alias(&self, name: &str) -> String {
        let mut current = name.to_string();
        for _ in 0..4 {
            let Some((module, rest)) = current.rsplit_once('.') else {
                break;
            };
            let Some(m) = self.module_index(module) else {
                break;
            };
            let summary = &self.modules[m];
            let next = summary
                .aliases
                .iter()
                .find(|(n, _)| n == rest)
                .map(|(_, target)| target.clone())
                .or_else(|| {
                    summary.star_imports.iter().find_map(|star| {
                        let candidate = format!("{star}.{rest}");
                        let m = self.module_index(star)?;
                        self.modules[m]
                            .aliases
                            .iter()
                            .any(|(n, _)| n == rest)
                            .then_some(candidate)
                    })
                });
            match next {
                Some(next) if next != current => current = crate::semantic::canonical(&next),
                _ => break,
            }
        }
        current
    }

    /// For every function, the first way it reaches a site `direct` reports (the index of one of
    /// its own sites) through the calls `sync_callers` lists, at most `max_depth` functions
    /// deep (itself included). Coroutines reach nothing: what they call runs when awaited, and
    /// they are looked at by the rules themselves.
    pub fn sync_reach(
        &self,
        sync_callers: &[Vec<(FuncId, usize)>],
        max_depth: usize,
        direct: impl Fn(FuncId) -> Option<u32>,
    ) -> Vec<Option<Via>> {
        let n = self.functions.len();
        let mut reach: Vec<Option<Via>> = vec![None; n];
        let mut depth = vec![0usize; n];
        let mut queue: VecDeque<FuncId> = VecDeque::new();
        for f in 0..n as FuncId {
            if self.is_coroutine(f) {
                continue;
            }
            if let Some(site) = direct(f) {
                reach[f as usize] = Some(Via::Here(site));
                depth[f as usize] = 1;
                queue.push_back(f);
            }
        }
        while let Some(g) = queue.pop_front() {
            if depth[g as usize] >= max_depth {
                continue;
            }
            for &(f, e) in &sync_callers[g as usize] {
                if reach[f as usize].is_none() && !self.is_coroutine(f) {
                    reach[f as usize] = Some(Via::Call(e as u32));
                    depth[f as usize] = depth[g as usize] + 1;
                    queue.push_back(f);
                }
            }
        }
        reach
    }

    /// The chain of calls from `f` down to the site it reaches; `None` if it reaches nothing.
    pub fn reach_chain(&self, reach: &[Option<Via>], f: FuncId) -> Option<Chain> {
        let mut chain = Vec::new();
        let mut current = f;
        for _ in 0..64 {
            match reach[current as usize]? {
                Via::Here(site) => {
                    return Some(Chain {
                        calls: chain,
                        function: current,
                        site,
                    })
                }
                Via::Call(e) => {
                    chain.push((current, e as usize));
                    current = self.edges[current as usize][e as usize].callee;
                }
            }
        }
        None
    }

    fn module_index(&self, module: &str) -> Option<usize> {
        self.module_by_name.get(module).map(|&m| m as usize)
    }

    /// A function's name for messages: `Class.method`, `function`.
    pub fn function_label(&self, f: FuncId) -> String {
        label(self.function(f))
    }
}

fn label(function: &FunctionSummary) -> String {
    match &function.class {
        Some(class) if !function.qualname.contains("<locals>") => {
            format!("{}.{}", super::roots::short_name(class), function.name)
        }
        _ => function.name.clone(),
    }
}

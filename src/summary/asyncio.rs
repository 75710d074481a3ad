//! asyncio and threads: what a function does that only an event loop's own thread may do, what
//! blocks the thread it runs on, where it runs an event loop, and which callbacks it hands to a
//! loop or to a `concurrent.futures` future.
//!
//! Recorded per function, for the SN7xx rules:
//! - calls that are not thread-safe on asyncio objects ([`LoopCall`]): `call_soon`, `call_later`,
//!   `call_at`, `create_task` and `stop` on a loop; `asyncio.create_task` / `ensure_future`;
//!   `set_result`, `set_exception` and `cancel` on an asyncio future; `put_nowait` / `get_nowait`
//!   on an asyncio queue; `set` on an asyncio event; `release` / `notify` on an asyncio lock,
//!   semaphore or condition — each with whether the receiver is the function's own (a loop it
//!   made or asked for on its own thread, an object it constructed), which no other thread's loop
//!   owns;
//! - blocking calls from the shared catalogue ([`crate::catalogue`]), except file I/O (short, and
//!   usually accepted), and except calls their arguments make non-blocking (`acquire(False)`,
//!   `get(timeout=0)`, `time.sleep(0)`) or waits on an object the function polls first
//!   (`if f.done(): f.result()`); and the calls made under a lazy-initialization test, which run
//!   once;
//! - where it runs an event loop (`asyncio.run`, `run_until_complete`, `run_forever`), and
//!   whether it asks first if one is running or handles the `RuntimeError`;
//! - whether it makes, sets or runs an event loop for its thread; the callbacks it schedules on a
//!   loop (they run on the loop's thread); the callbacks it adds to a future of a known
//!   non-asyncio type (they run on whichever thread completes that future); and whether it calls
//!   `nest_asyncio.apply()` (which lets loops nest).

use std::collections::HashSet;

use serde::Serialize;

use super::builder::Builder;
use super::{Callee, FunctionSummary};
use crate::catalogue::{self, Blocking};
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{Ranged, TextRange};
use crate::semantic::is_event_loop_type;

/// The asyncio object a call acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AsyncObject {
    Loop,
    Future,
    Queue,
    Event,
    /// An asyncio `Lock`, `Semaphore` or `Condition`.
    Lock,
    /// `asyncio.create_task` / `asyncio.ensure_future`: the current thread's running loop.
    Module,
}

impl AsyncObject {
    /// For messages: "an event loop", "an asyncio future".
    pub fn describe(self) -> &'static str {
        match self {
            AsyncObject::Loop => "an event loop",
            AsyncObject::Future => "an asyncio future",
            AsyncObject::Queue => "an asyncio queue",
            AsyncObject::Event => "an asyncio event",
            AsyncObject::Lock => "an asyncio lock",
            AsyncObject::Module => "the running event loop",
        }
    }
}

/// A call only the thread running the object's event loop may make.
#[derive(Debug, Clone, Serialize)]
pub struct LoopCall {
    pub object: AsyncObject,
    pub method: String,
    #[serde(skip)]
    pub range: TextRange,
    /// The receiver is the function's own: a loop it made or asked for on its own thread, an
    /// object it constructed.
    pub own: bool,
}

/// A call that blocks the calling thread.
#[derive(Debug, Clone, Serialize)]
pub struct BlockingCall {
    pub kind: Blocking,
    /// `time.sleep`, `socket.recv`: for messages.
    pub name: String,
    #[serde(skip)]
    pub range: TextRange,
    /// A method of an object the function made itself (`sock = socket.socket(...)`) and did not
    /// make non-blocking: it blocks whatever the rest of the project does with its objects.
    pub on_own_object: bool,
}

/// A call that runs an event loop on the calling thread.
#[derive(Debug, Clone, Serialize)]
pub struct LoopRun {
    /// `asyncio.run`, `run_until_complete`, `run_forever`.
    pub name: String,
    #[serde(skip)]
    pub range: TextRange,
    /// The function asks whether a loop is running first, or the call is in a `try` that handles
    /// the `RuntimeError`.
    pub guarded: bool,
}

/// A callback added to a future of a non-asyncio type (decided at link time, where aliases such
/// as `kiwipy.Future = concurrent.futures.Future` resolve).
#[derive(Debug, Clone, Serialize)]
pub struct FutureCallback {
    pub future_type: String,
    pub target: Callee,
    #[serde(skip)]
    pub range: TextRange,
}

/// What one function does with event loops and blocking calls.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AsyncFacts {
    pub loop_calls: Vec<LoopCall>,
    pub blocking: Vec<BlockingCall>,
    pub loop_runs: Vec<LoopRun>,
    /// It makes, sets or runs an event loop: the thread it runs on has a loop of its own.
    pub makes_loop: bool,
    /// Callables it schedules on an event loop (`loop.call_soon(cb)`, `call_soon_threadsafe`,
    /// `add_done_callback` on an asyncio future): they run on the loop's thread.
    pub loop_callbacks: Vec<Callee>,
    pub future_callbacks: Vec<FutureCallback>,
    /// It calls `nest_asyncio.apply()`: loops may run inside running loops.
    pub patches_nested_loops: bool,
    /// It makes a socket non-blocking (`sock.setblocking(False)`, `settimeout(0)`): the
    /// project's socket calls may return at once.
    pub sets_nonblocking: bool,
    /// It calls a parameter of an enclosing function (`return func(*args)` in a decorator's
    /// wrapper): a decorator made of it runs the decorated function in the caller.
    pub calls_wrapped: bool,
    /// Calls made under a lazy-initialization test (`if self._server is None:`, `if not
    /// self.running:`, or after `if x is not None: return x`): they run once, not on every call.
    #[serde(skip)]
    pub once_calls: Vec<TextRange>,
    /// Calls whose value it awaits (`await self.acquire()`): what they call returns an
    /// awaitable, so it is asyncio-aware rather than a blocking helper.
    #[serde(skip)]
    pub awaited_calls: Vec<TextRange>,
}

static NO_ASYNC_FACTS: AsyncFacts = AsyncFacts {
    loop_calls: Vec::new(),
    blocking: Vec::new(),
    loop_runs: Vec::new(),
    makes_loop: false,
    loop_callbacks: Vec::new(),
    future_callbacks: Vec::new(),
    patches_nested_loops: false,
    sets_nonblocking: false,
    calls_wrapped: false,
    once_calls: Vec::new(),
    awaited_calls: Vec::new(),
};

impl FunctionSummary {
    /// What the function does with event loops and blocking calls.
    pub fn asyncio(&self) -> &AsyncFacts {
        self.asyncio.as_deref().unwrap_or(&NO_ASYNC_FACTS)
    }

    fn asyncio_mut(&mut self) -> &mut AsyncFacts {
        self.asyncio.get_or_insert_with(Default::default)
    }
}

/// Per-function walk state.
#[derive(Debug, Default)]
pub(super) struct AsyncioFrame {
    /// Locals holding the function's own asyncio objects (see [`LoopCall::own`]).
    own_locals: HashSet<String>,
    /// Locals last assigned an object constructed here (`sock = socket.socket(...)`).
    made_here: HashSet<String>,
    /// Locals holding the future of `asyncio.run_coroutine_threadsafe`: the loop completes it.
    loop_futures: HashSet<String>,
    /// Locals the function polls (`f.done()`, `t.is_alive()`, `e.is_set()`).
    polled: HashSet<String>,
    /// Blocking waits on locals: (local, index in `blocking`).
    waits_on: Vec<(String, usize)>,
    /// It asks whether a loop is running (`get_running_loop()`, `loop.is_running()`).
    asks_running: bool,
}

/// The methods only the loop's thread may call, by object; `typed` adds the ones whose name
/// alone says too little (`stop`).
fn unsafe_method(object: AsyncObject, method: &str, typed: bool) -> bool {
    match object {
        AsyncObject::Loop => {
            matches!(
                method,
                "call_soon" | "call_later" | "call_at" | "create_task"
            ) || typed
                && matches!(
                    method,
                    "stop"
                        | "add_reader"
                        | "add_writer"
                        | "remove_reader"
                        | "remove_writer"
                        | "add_signal_handler"
                )
        }
        AsyncObject::Future => matches!(method, "set_result" | "set_exception" | "cancel"),
        AsyncObject::Queue => matches!(method, "put_nowait" | "get_nowait"),
        AsyncObject::Event => method == "set",
        AsyncObject::Lock => matches!(method, "release" | "notify" | "notify_all"),
        AsyncObject::Module => false,
    }
}

fn keyword<'a>(call: &'a ast::ExprCall, name: &str) -> Option<&'a Expr> {
    call.arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
        .map(|k| &k.value)
}

fn is_false(expr: &Expr) -> bool {
    matches!(expr, Expr::BooleanLiteral(b) if !b.value)
}

fn is_zero(expr: &Expr) -> bool {
    match expr {
        Expr::NumberLiteral(n) => match &n.value {
            ast::Number::Int(i) => i.as_u64() == Some(0),
            ast::Number::Float(f) => *f == 0.0,
            _ => false,
        },
        _ => false,
    }
}

/// Whether an argument names a constant whose name holds `name` (`socket.AI_NUMERICHOST`,
/// `os.WNOHANG`), alone or or-ed with others.
fn passes_flag(call: &ast::ExprCall, name: &str) -> bool {
    fn names(expr: &Expr, name: &str) -> bool {
        match expr {
            Expr::Attribute(a) => a.attr.as_str().contains(name),
            Expr::Name(n) => n.id.as_str().contains(name),
            Expr::BinOp(op) => names(&op.left, name) || names(&op.right, name),
            _ => false,
        }
    }
    call.arguments
        .args
        .iter()
        .chain(call.arguments.keywords.iter().map(|k| &k.value))
        .any(|arg| names(arg, name))
}

/// Whether the arguments make a blocking call return at once (`acquire(False)`,
/// `get(block=False)`, `join(timeout=0)`, `time.sleep(0)`, `waitpid(pid, os.WNOHANG)`, a
/// numeric-only `getaddrinfo`).
fn non_blocking(call: &ast::ExprCall, kind: Blocking) -> bool {
    if passes_flag(call, "WNOHANG") || passes_flag(call, "NUMERIC") {
        return true;
    }
    if keyword(call, "blocking")
        .or_else(|| keyword(call, "block"))
        .is_some_and(is_false)
        || keyword(call, "timeout").is_some_and(is_zero)
    {
        return true;
    }
    let args = &call.arguments.args;
    match kind {
        Blocking::LockAcquire | Blocking::QueueGet => args.first().is_some_and(is_false),
        Blocking::QueuePut => args.get(1).is_some_and(is_false),
        Blocking::Sleep
        | Blocking::ThreadJoin
        | Blocking::ProcessJoin
        | Blocking::Wait
        | Blocking::FutureResult => args.first().is_some_and(is_zero),
        _ => false,
    }
}

/// `Queue` for `queue.Queue`.
fn short(qualname: &str) -> &str {
    qualname.rsplit('.').next().unwrap_or(qualname)
}

impl<'a> Builder<'a> {
    /// Records what `call` does to event loops and whether it blocks.
    pub(super) fn asyncio_in_call(&mut self, call: &ast::ExprCall, qualified: Option<&str>) {
        let range = call.range();
        if self.frame().checks.iter().any(|check| check.lazy) {
            self.summary().asyncio_mut().once_calls.push(range);
        }
        match qualified {
            Some("asyncio.run") => {
                self.summary().asyncio_mut().makes_loop = true;
                self.loop_run("asyncio.run", range);
            }
            Some(name @ ("asyncio.create_task" | "asyncio.ensure_future")) => {
                let method = name.trim_start_matches("asyncio.").to_string();
                self.summary().asyncio_mut().loop_calls.push(LoopCall {
                    object: AsyncObject::Module,
                    method,
                    range,
                    own: false,
                });
            }
            Some(
                "asyncio.new_event_loop"
                | "asyncio.set_event_loop"
                | "uvloop.new_event_loop"
                | "uvloop.install",
            ) => self.summary().asyncio_mut().makes_loop = true,
            Some(
                "asyncio.get_running_loop"
                | "asyncio._get_running_loop"
                | "asyncio.events._get_running_loop",
            ) => self.frame_mut().asyncio.asks_running = true,
            Some("nest_asyncio.apply") => self.summary().asyncio_mut().patches_nested_loops = true,
            Some(name) => {
                if let Some(kind) = catalogue::function(name).and_then(|e| e.blocks) {
                    if kind != Blocking::File && !non_blocking(call, kind) {
                        self.summary().asyncio_mut().blocking.push(BlockingCall {
                            kind,
                            name: name.to_string(),
                            range,
                            on_own_object: false,
                        });
                    }
                }
            }
            None => {}
        }
        let Expr::Attribute(attribute) = &*call.func else {
            if let Expr::Name(name) = &*call.func {
                let id = name.id.as_str();
                let wrapped = !self.frame().locals.contains(id)
                    && self
                        .frames
                        .iter()
                        .rev()
                        .skip(1)
                        .take_while(|f| f.kind != super::FunctionKind::Module)
                        .any(|f| f.params.iter().any(|p| p == id));
                if wrapped {
                    self.summary().asyncio_mut().calls_wrapped = true;
                }
            }
            return;
        };
        let method = attribute.attr.as_str();
        let receiver = &*attribute.value;
        let receiver_local = match receiver {
            Expr::Name(name) => Some(name.id.to_string()),
            _ => None,
        };
        let ty = self.receiver_type(receiver);
        let typed_loop = ty.as_deref().is_some_and(is_event_loop_type);
        let named_loop = ty.is_none()
            && super::futures::receiver_name(receiver)
                .is_some_and(|n| n.to_ascii_lowercase().contains("loop"));
        match method {
            "run_until_complete" => {
                self.summary().asyncio_mut().makes_loop = true;
                self.loop_run("run_until_complete", range);
            }
            "run_forever" if typed_loop || named_loop => {
                self.summary().asyncio_mut().makes_loop = true;
                self.loop_run("run_forever", range);
            }
            "is_running" if typed_loop || named_loop => {
                self.frame_mut().asyncio.asks_running = true;
            }
            "setblocking" | "settimeout"
                if call
                    .arguments
                    .args
                    .first()
                    .is_some_and(|a| is_false(a) || is_zero(a)) =>
            {
                self.summary().asyncio_mut().sets_nonblocking = true;
                if let Some(local) = &receiver_local {
                    self.frame_mut().asyncio.made_here.remove(local);
                }
            }
            "done" | "running" | "cancelled" | "is_alive" | "is_set" => {
                if let Some(local) = receiver_local.clone() {
                    self.frame_mut().asyncio.polled.insert(local);
                }
            }
            _ => {}
        }
        // Blocking methods, by the receiver's type.
        if let Some(ty) = &ty {
            if let Some(kind) = catalogue::method(ty, method).and_then(|e| e.blocks) {
                if kind != Blocking::File && !non_blocking(call, kind) {
                    let index = self.summary().asyncio_mut().blocking.len();
                    let on_own_object = receiver_local
                        .as_ref()
                        .is_some_and(|l| self.frame().asyncio.made_here.contains(l));
                    self.summary().asyncio_mut().blocking.push(BlockingCall {
                        kind,
                        name: format!("{}.{method}", short(ty)),
                        range,
                        on_own_object,
                    });
                    if let Some(local) = receiver_local.clone() {
                        self.frame_mut().asyncio.waits_on.push((local, index));
                    }
                }
            }
        }
        // Calls only the loop's thread may make.
        let object = match ty.as_deref() {
            Some(t) if is_event_loop_type(t) => Some(AsyncObject::Loop),
            Some("asyncio.Future" | "asyncio.Task") => Some(AsyncObject::Future),
            Some("asyncio.Queue" | "asyncio.LifoQueue" | "asyncio.PriorityQueue") => {
                Some(AsyncObject::Queue)
            }
            Some("asyncio.Event") => Some(AsyncObject::Event),
            Some(
                "asyncio.Lock"
                | "asyncio.Semaphore"
                | "asyncio.BoundedSemaphore"
                | "asyncio.Condition",
            ) => Some(AsyncObject::Lock),
            None if named_loop => Some(AsyncObject::Loop),
            _ => None,
        };
        if let Some(object) = object {
            if unsafe_method(object, method, ty.is_some()) {
                let own = self.own_object(receiver);
                self.summary().asyncio_mut().loop_calls.push(LoopCall {
                    object,
                    method: method.to_string(),
                    range,
                    own,
                });
            }
        }
        // Callbacks scheduled on a loop run on its thread.
        let args = &call.arguments.args;
        let loop_callback = match (object, method) {
            (Some(AsyncObject::Loop), "call_soon" | "call_soon_threadsafe") => args.first(),
            (
                Some(AsyncObject::Loop),
                "call_later" | "call_at" | "add_reader" | "add_writer" | "add_signal_handler",
            ) => args.get(1),
            (Some(AsyncObject::Future), "add_done_callback") => args.first(),
            _ => None,
        };
        if let Some(callback) = loop_callback {
            let callee = self.callee_of(callback);
            if callee != Callee::Unknown {
                self.summary().asyncio_mut().loop_callbacks.push(callee);
            }
        }
        // Callbacks on another kind of future run on the thread that completes it. A submitted
        // future's callbacks are thread roots already; `run_coroutine_threadsafe`'s are run by
        // the loop.
        if method == "add_done_callback" && object.is_none() {
            let from_loop = match receiver {
                Expr::Call(inner) => {
                    self.semantic
                        .qualified_name(&self.frame().scopes, &inner.func)
                        .as_deref()
                        == Some("asyncio.run_coroutine_threadsafe")
                }
                Expr::Name(name) => self.frame().asyncio.loop_futures.contains(name.id.as_str()),
                _ => false,
            };
            let typed = self.value_type(receiver);
            if let (Some(future_type), Some(callback), false) = (typed, args.first(), from_loop) {
                if !self.is_submitted_future(receiver) {
                    let target = self.callee_of(callback);
                    if target != Callee::Unknown {
                        self.summary()
                            .asyncio_mut()
                            .future_callbacks
                            .push(FutureCallback {
                                future_type,
                                target,
                                range,
                            });
                    }
                }
            }
        }
    }

    /// `await f(...)`: `f` returns an awaitable.
    pub(super) fn awaited(&mut self, node: &ast::ExprAwait) {
        if let Expr::Call(call) = &*node.value {
            self.summary()
                .asyncio_mut()
                .awaited_calls
                .push(call.range());
        }
    }

    /// The receiver's class, for catalogue lookups: a future an executor's `submit` returned, a
    /// thread class of this file as `threading.Thread`.
    fn receiver_type(&self, receiver: &Expr) -> Option<String> {
        if let Some(ty) = self.value_type(receiver) {
            return Some(match self.semantic.concurrency_base(&ty) {
                Some(base) => base.to_string(),
                None => ty,
            });
        }
        self.is_submitted_future(receiver)
            .then(|| "concurrent.futures.Future".to_string())
    }

    fn loop_run(&mut self, name: &str, range: TextRange) {
        self.summary().asyncio_mut().loop_runs.push(LoopRun {
            name: name.to_string(),
            range,
            guarded: false,
        });
    }

    /// Whether `expr` is an asyncio object of this function's own: a loop it made or asked for
    /// on its thread, an object it constructed without another loop, or a local holding one.
    fn own_object(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Call(_) => self.own_value(expr),
            Expr::Name(name) => {
                let id = name.id.as_str();
                let frame = self.frame();
                frame.locals.contains(id)
                    && !frame.params.iter().any(|p| p == id)
                    && frame.asyncio.own_locals.contains(id)
            }
            _ => false,
        }
    }

    fn own_value(&self, value: &Expr) -> bool {
        let Expr::Call(call) = value else {
            return false;
        };
        match self
            .semantic
            .qualified_name(&self.frame().scopes, &call.func)
            .as_deref()
        {
            Some(
                "asyncio.get_event_loop"
                | "asyncio.get_running_loop"
                | "asyncio.new_event_loop"
                | "uvloop.new_event_loop",
            ) => true,
            Some(q) if q.starts_with("asyncio.") => {
                self.semantic.type_of(&self.frame().scopes, value).is_some()
                    && keyword(call, "loop").is_none()
            }
            _ => match &*call.func {
                Expr::Attribute(a)
                    if matches!(a.attr.as_str(), "create_future" | "create_task") =>
                {
                    self.own_object(&a.value)
                }
                _ => false,
            },
        }
    }

    /// `name = value`: whether `name` now holds an object of the function's own, or the future
    /// of `run_coroutine_threadsafe`.
    pub(super) fn asyncio_assigned(&mut self, assign: &ast::StmtAssign) {
        let [Expr::Name(target)] = &*assign.targets else {
            return;
        };
        let name = target.id.to_string();
        let own = self.own_value(&assign.value);
        let made_here = self
            .semantic
            .value_type(&self.frame().scopes, &assign.value)
            .is_some()
            && matches!(&*assign.value, Expr::Call(_));
        let from_loop = matches!(&*assign.value, Expr::Call(call)
            if self.semantic.qualified_name(&self.frame().scopes, &call.func).as_deref()
                == Some("asyncio.run_coroutine_threadsafe"));
        let state = &mut self.frame_mut().asyncio;
        if own {
            state.own_locals.insert(name.clone());
        } else {
            state.own_locals.remove(&name);
        }
        if made_here {
            state.made_here.insert(name.clone());
        } else {
            state.made_here.remove(&name);
        }
        if from_loop {
            state.loop_futures.insert(name);
        } else {
            state.loop_futures.remove(&name);
        }
    }

    /// At the end of a function: loop runs guarded by a running-loop check or a `try` handling
    /// `RuntimeError`; waits on objects the function polls first are not counted.
    pub(super) fn finish_asyncio(&mut self, body: &[Stmt]) {
        let state = std::mem::take(&mut self.frame_mut().asyncio);
        let Some(facts) = self.summary().asyncio.as_deref_mut() else {
            return;
        };
        if !facts.loop_runs.is_empty() {
            let mut guarded = Vec::new();
            runtime_error_blocks(body, &mut guarded);
            for run in &mut facts.loop_runs {
                run.guarded = state.asks_running
                    || guarded.iter().any(|block| block.contains_range(run.range));
            }
        }
        if !state.polled.is_empty() {
            let dropped: HashSet<usize> = state
                .waits_on
                .iter()
                .filter(|(local, _)| state.polled.contains(local))
                .map(|(_, index)| *index)
                .collect();
            let mut index = 0;
            facts.blocking.retain(|_| {
                let keep = !dropped.contains(&index);
                index += 1;
                keep
            });
        }
    }
}

/// The bodies of `try` statements in `body` that handle `RuntimeError` (or every exception).
fn runtime_error_blocks(body: &[Stmt], out: &mut Vec<TextRange>) {
    for stmt in body {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::Try(node) => {
                let handles = node.handlers.iter().any(|handler| {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    let names = |e: &Expr| match e {
                        Expr::Name(n) => {
                            matches!(
                                n.id.as_str(),
                                "RuntimeError" | "Exception" | "BaseException"
                            )
                        }
                        _ => false,
                    };
                    match handler.type_.as_deref() {
                        None => true,
                        Some(Expr::Tuple(t)) => t.elts.iter().any(names),
                        Some(other) => names(other),
                    }
                });
                if handles {
                    if let (Some(first), Some(last)) = (node.body.first(), node.body.last()) {
                        out.push(TextRange::new(first.start(), last.end()));
                    }
                }
                crate::semantic::for_each_nested_body(stmt, |inner| {
                    runtime_error_blocks(inner, out)
                });
            }
            _ => crate::semantic::for_each_nested_body(stmt, |inner| {
                runtime_error_blocks(inner, out)
            }),
        }
    }
}

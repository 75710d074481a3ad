//! What the lock rules (SN3xx) need of each function, beside the locks held at each access and
//! call that [`super::locks`] tracks:
//! - every lock taken (`with L:`, `L.acquire()`), with the locks already held there and whether
//!   the taking can block (a non-blocking or timed `acquire` cannot deadlock): the project-wide
//!   lock-order graph and re-entry are built from these;
//! - condition operations (`wait`, `wait_for`, `notify`, `notify_all`) with the locks held: they
//!   need the condition's lock;
//! - calls that block the thread, from the shared catalogue (`crate::catalogue`), by qualified
//!   name or by receiver type, with the locks held; a `join()` on an object of a project class is
//!   left for the linker to decide (is it a `Thread` subclass?);
//! - calls of callables that come from outside: a parameter, an attribute set from a parameter,
//!   an element of a container that parameters are registered in;
//! - `while` loops that poll shared state and spin or sleep between checks;
//! - which attributes a method fills from its parameters, and which attribute holds which thread
//!   (`self._thread = Thread(target=self._run)`), to know what a callback or a `join()` runs.
//!
//! Locations and locks are named as elsewhere in the summary; the project phase links them.

use serde::Serialize;

use super::builder::Builder;
use super::{Callee, Loc, LockRef};
use crate::catalogue::{self, Blocking};
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{Ranged, TextRange};
use crate::semantic::Binding;

/// The lock facts of one function: nothing allocated for the many functions that have none.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LockFacts {
    facts: Option<Box<Facts>>,
}

static NO_FACTS: Facts = Facts {
    acquisitions: Vec::new(),
    condition_ops: Vec::new(),
    blocking: Vec::new(),
    callbacks: Vec::new(),
    polls: Vec::new(),
    param_attrs: Vec::new(),
    thread_attrs: Vec::new(),
};

impl std::ops::Deref for LockFacts {
    type Target = Facts;

    fn deref(&self) -> &Facts {
        self.facts.as_deref().unwrap_or(&NO_FACTS)
    }
}

impl std::ops::DerefMut for LockFacts {
    fn deref_mut(&mut self) -> &mut Facts {
        self.facts.get_or_insert_with(Box::default)
    }
}

/// What [`LockFacts`] holds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    pub acquisitions: Vec<Acquisition>,
    pub condition_ops: Vec<ConditionOp>,
    pub blocking: Vec<BlockingCall>,
    pub callbacks: Vec<ForeignCall>,
    pub polls: Vec<PollLoop>,
    /// Attributes this function sets to one of its parameters, or registers one in
    /// (`self._handler = handler`, `self._callbacks.append(callback)`).
    pub param_attrs: Vec<String>,
    /// Attributes this function stores a thread in, with the thread's target.
    pub thread_attrs: Vec<(String, Callee)>,
}

/// A lock taken: `with L:` or `L.acquire()`.
#[derive(Debug, Clone, Serialize)]
pub struct Acquisition {
    pub lock: LockRef,
    /// The lock expression (`self._lock`), to name the lock by its source.
    #[serde(skip)]
    pub range: TextRange,
    /// Locks held here, taken earlier in this function.
    pub held: Vec<LockRef>,
    /// Taken through the function's own receiver (`self._lock`, `cls._lock`): the same object as
    /// the caller's when called as `self.method()`.
    pub via_self: bool,
    /// Waits for the lock (not `acquire(False)`, `acquire(blocking=False)`, `acquire(timeout=n)`).
    pub blocking: bool,
}

/// `cond.wait()`, `cond.wait_for(...)`, `cond.notify()`, `cond.notify_all()`.
#[derive(Debug, Clone, Serialize)]
pub struct ConditionOp {
    pub cond: LockRef,
    pub method: String,
    #[serde(skip)]
    pub range: TextRange,
    /// The condition expression, to name it by its source.
    #[serde(skip)]
    pub cond_range: TextRange,
    pub held: Vec<LockRef>,
}

/// A call that blocks the calling thread (or may: a method of a project class decided later).
#[derive(Debug, Clone, Serialize)]
pub struct BlockingCall {
    #[serde(skip)]
    pub range: TextRange,
    pub held: Vec<LockRef>,
    /// What it waits for, when the catalogue knows it from here.
    pub kind: Option<Blocking>,
    /// The receiver's class, where known: a standard type (`socket.socket`), or a project class
    /// whose standard base decides (a `Thread` subclass's `join()`).
    pub receiver_type: Option<String>,
    pub method: String,
    /// The shared location that holds the receiver (`self._thread`), to find what it runs.
    pub receiver: Option<Loc>,
    /// For a thread's `join()`: the target of the thread this function made and joins here.
    pub joins_target: Option<Callee>,
    /// For `cond.wait()`: the condition, whose lock the wait releases.
    pub waits_on: Option<LockRef>,
    /// It passes a timeout or asks not to block (`get(timeout=1)`, `put(x, block=False)`).
    pub timeout: bool,
    /// It is in an `except` handler (a back-off before a retry).
    pub in_handler: bool,
}

/// Where a callable called here comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallbackSource {
    /// A parameter of this function (`callback(result)`).
    Param { name: String },
    /// An attribute of the receiver (`self._on_change(value)`): from outside when some method
    /// sets it from a parameter.
    Attr { name: String },
    /// An element of a container attribute (`for listener in self._listeners: listener(e)`):
    /// from outside when some method registers parameters in it.
    Element { attr: String },
}

/// A call of a callable that may come from outside the class or module.
#[derive(Debug, Clone, Serialize)]
pub struct ForeignCall {
    #[serde(skip)]
    pub range: TextRange,
    pub held: Vec<LockRef>,
    pub source: CallbackSource,
}

/// How a polling loop waits between checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pause {
    /// The body does nothing: it spins.
    Spin,
    /// It calls `time.sleep(...)`.
    Sleep,
}

/// A `while` loop whose condition (or first `if ...: break`) reads shared state, and which spins
/// or sleeps between checks.
#[derive(Debug, Clone, Serialize)]
pub struct PollLoop {
    /// The test that reads the state.
    #[serde(skip)]
    pub test: TextRange,
    pub flags: Vec<Loc>,
    /// The state is read through `self`.
    pub via_self: bool,
    pub pause: Pause,
    /// The `time.sleep(...)` call, or the loop for a spin.
    #[serde(skip)]
    pub pause_range: TextRange,
}

/// Methods of a condition that need its lock held.
pub const CONDITION_METHODS: &[&str] = &["wait", "wait_for", "notify", "notify_all", "notifyAll"];

/// Methods that may block on an object of a project class whose standard base the linker finds.
const PROJECT_BLOCKING_METHODS: &[&str] = &["join", "result", "get", "put", "wait"];

impl Builder<'_> {
    /// Records that `lock` (the expression `expr`) is taken here, with `also_held` taken by the same
    /// statement before it (`with a, b:`).
    pub(super) fn note_acquisition(
        &mut self,
        lock: LockRef,
        expr: &Expr,
        also_held: &[LockRef],
        blocking: bool,
    ) {
        let via_self = match expr {
            Expr::Attribute(attribute) => self.is_receiver(&attribute.value),
            Expr::Call(call) => {
                matches!(&*call.func, Expr::Attribute(a) if self.is_receiver(&a.value))
            }
            _ => false,
        };
        let mut held = self.frame().held.clone();
        held.extend(also_held.iter().cloned());
        self.summary().locking.acquisitions.push(Acquisition {
            lock,
            range: expr.range(),
            held,
            via_self,
            blocking,
        });
    }

    /// What the lock rules need of a call: a condition operation, a blocking call, a call of a
    /// callable from outside, a parameter registered in an attribute.
    pub(super) fn note_lock_call(&mut self, call: &ast::ExprCall, qualified: Option<&str>) {
        let held = self.frame().held.clone();
        let in_handler = self.frame().in_handler > 0;
        if let Some(qualified) = qualified {
            if let Some(kind) = catalogue::function(qualified).and_then(|e| e.blocks) {
                if !(kind == Blocking::Sleep && sleeps_zero(call)) {
                    self.summary().locking.blocking.push(BlockingCall {
                        range: call.range(),
                        held: held.clone(),
                        kind: Some(kind),
                        receiver_type: None,
                        method: qualified
                            .rsplit('.')
                            .next()
                            .unwrap_or(qualified)
                            .to_string(),
                        receiver: None,
                        joins_target: None,
                        waits_on: None,
                        timeout: has_timeout(call, 0),
                        in_handler,
                    });
                }
            }
        }
        match &*call.func {
            Expr::Attribute(attribute) => {
                let method = attribute.attr.as_str();
                let object = &*attribute.value;
                self.note_method_call(call, object, method, held);
            }
            Expr::Name(name) => {
                let id = name.id.as_str();
                let frame = self.frame();
                let is_receiver =
                    frame.self_name.as_deref() == Some(id) || frame.cls_name.as_deref() == Some(id);
                let source = if !is_receiver
                    && frame.params.iter().any(|p| p == id)
                    && !frame.reassigned.contains(id)
                    && !matches!(
                        self.semantic.binding(&frame.scopes, id),
                        Some(Binding::Instance(_))
                    ) {
                    Some(CallbackSource::Param {
                        name: id.to_string(),
                    })
                } else {
                    frame
                        .loop_elements
                        .iter()
                        .rev()
                        .find(|(local, _)| local == id)
                        .map(|(_, attr)| CallbackSource::Element { attr: attr.clone() })
                };
                if let Some(source) = source {
                    self.summary().locking.callbacks.push(ForeignCall {
                        range: call.range(),
                        held,
                        source,
                    });
                }
            }
            _ => {}
        }
    }

    fn note_method_call(
        &mut self,
        call: &ast::ExprCall,
        object: &Expr,
        method: &str,
        held: Vec<LockRef>,
    ) {
        let in_handler = self.frame().in_handler > 0;
        // `self._callback(x)`: an attribute that may hold a callable from outside.
        if self.is_receiver(object) {
            let is_own_method = self.frame().class.as_ref().is_some_and(|class| {
                self.semantic
                    .class_by_qualname(class)
                    .is_some_and(|info| info.methods.iter().any(|m| m == method))
            });
            if !is_own_method {
                self.summary().locking.callbacks.push(ForeignCall {
                    range: call.range(),
                    held: held.clone(),
                    source: CallbackSource::Attr {
                        name: method.to_string(),
                    },
                });
            }
            return;
        }
        // `self._listeners.append(listener)`: a parameter registered in an attribute.
        if matches!(
            method,
            "append" | "add" | "insert" | "appendleft" | "setdefault"
        ) {
            if let Some(attr) = self.receiver_attr_name(object) {
                let passes_param = call.arguments.args.iter().any(|a| {
                    self.param_index(a)
                        .is_some_and(|i| i > 0 || self.frame().self_name.is_none())
                });
                if passes_param {
                    self.summary().locking.param_attrs.push(attr);
                }
            }
        }
        let ty = self.type_of(object);
        // In a coroutine, an object of unknown type named like a condition is an asyncio one.
        let in_coroutine = self.functions[self.frame().index].is_async;
        if CONDITION_METHODS.contains(&method)
            && self.is_condition(object, ty.as_deref())
            && !(in_coroutine && ty.is_none())
        {
            if let Some(cond) = self.lock_of(object) {
                self.summary().locking.condition_ops.push(ConditionOp {
                    cond: cond.clone(),
                    method: method.to_string(),
                    range: call.range(),
                    cond_range: object.range(),
                    held: held.clone(),
                });
                if matches!(method, "wait" | "wait_for") {
                    let receiver = self.location(object).map(|(loc, _)| loc);
                    self.summary().locking.blocking.push(BlockingCall {
                        range: call.range(),
                        held,
                        kind: Some(Blocking::Wait),
                        receiver_type: None,
                        method: method.to_string(),
                        receiver,
                        joins_target: None,
                        waits_on: Some(cond),
                        timeout: has_timeout(call, usize::from(method == "wait_for")),
                        in_handler,
                    });
                }
            }
            return;
        }
        let (kind, receiver_type) = match ty.as_deref() {
            Some(ty) if ty.starts_with("asyncio.") => return,
            Some(ty) => match catalogue::method(ty, method).and_then(|e| e.blocks) {
                Some(kind) => (Some(kind), Some(ty.to_string())),
                None if PROJECT_BLOCKING_METHODS.contains(&method) && !is_standard(ty) => {
                    (None, Some(ty.to_string()))
                }
                None => return,
            },
            None => match self.blocking_by_name(object, method, call) {
                Some(kind) => (Some(kind), None),
                None => return,
            },
        };
        if matches!(kind, Some(Blocking::LockAcquire | Blocking::File)) {
            return;
        }
        let receiver = self.location(object).map(|(loc, _)| loc);
        let joins_target = (method == "join")
            .then(|| self.joined_thread_target(call))
            .flatten();
        let positional_timeout = match method {
            "get" => 1,
            "put" => 2,
            _ => 0,
        };
        self.summary().locking.blocking.push(BlockingCall {
            range: call.range(),
            held,
            kind,
            receiver_type,
            method: method.to_string(),
            receiver,
            joins_target,
            waits_on: None,
            timeout: has_timeout(call, positional_timeout),
            in_handler,
        });
    }

    /// What a call on an object of unknown type blocks on, where its name and the method say so:
    /// `self._thread.join()`, `worker_process.join()`, `self._stop_event.wait()`,
    /// `future.result()` on a future this function submitted, `self._queue.get()`.
    fn blocking_by_name(
        &self,
        object: &Expr,
        method: &str,
        call: &ast::ExprCall,
    ) -> Option<Blocking> {
        let name = match object {
            Expr::Name(n) => {
                let id = n.id.as_str();
                // A loop variable over `self._threads` is named by the container.
                self.frame()
                    .loop_elements
                    .iter()
                    .rev()
                    .find(|(local, _)| local == id)
                    .map(|(_, attr)| attr.clone())
                    .unwrap_or_else(|| id.to_string())
            }
            Expr::Attribute(a) => a.attr.to_string(),
            _ => return None,
        }
        .to_ascii_lowercase();
        // `", ".join(parts)` and `os.path.join(a, b)` take arguments that are not timeouts.
        let timeout_only = is_timeout_only(&call.arguments);
        match method {
            "join" if timeout_only && name.contains("thread") => Some(Blocking::ThreadJoin),
            "join" if timeout_only && (name.contains("process") || name.ends_with("proc")) => {
                Some(Blocking::ProcessJoin)
            }
            "wait" if timeout_only && name.contains("event") => Some(Blocking::Wait),
            "result"
                if timeout_only
                    && (self.is_submitted_future(object) || name.contains("future")) =>
            {
                Some(Blocking::FutureResult)
            }
            "get"
                if call.arguments.args.is_empty()
                    && call.arguments.keywords.is_empty()
                    && (name.ends_with("queue") || name.ends_with("_q")) =>
            {
                Some(Blocking::QueueGet)
            }
            _ => None,
        }
    }

    /// For `t.join()`: the target of the thread `t` this function made (`t = Thread(target=f)`).
    fn joined_thread_target(&self, call: &ast::ExprCall) -> Option<Callee> {
        let Expr::Attribute(attribute) = &*call.func else {
            return None;
        };
        let Expr::Name(name) = &*attribute.value else {
            return None;
        };
        let frame = self.frame();
        let index = frame.threads.iter().rev().find_map(|(holder, index)| {
            matches!(holder, super::builder::Holder::Local(local) if local == name.id.as_str())
                .then_some(*index)
        })?;
        let functions = &self.functions;
        functions[frame.index]
            .spawns
            .get(index)
            .map(|s| s.target.clone())
    }

    /// Whether `object` is a condition: by its type where known, else by a name that says so.
    pub(super) fn is_condition(&self, object: &Expr, ty: Option<&str>) -> bool {
        match ty {
            Some(ty) => matches!(ty, "threading.Condition" | "multiprocessing.Condition"),
            None => {
                let name = match object {
                    Expr::Name(n) => n.id.as_str(),
                    Expr::Attribute(a) => a.attr.as_str(),
                    _ => return false,
                }
                .to_ascii_lowercase();
                let event_like = name.contains("event") || name.contains("evt");
                name.contains("cond") && !event_like && !name.contains("second")
            }
        }
    }

    /// `attr` when `expr` is `self.attr`.
    fn receiver_attr_name(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Attribute(attribute) if self.is_receiver(&attribute.value) => {
                Some(attribute.attr.to_string())
            }
            _ => None,
        }
    }

    /// `self.x = param` in a method: `x` holds what callers pass; `self.x = Thread(...)`: `x`
    /// holds that thread. Called after the assignment's value was walked.
    pub(super) fn note_lock_assignment(&mut self, assign: &ast::StmtAssign) {
        let [target] = &*assign.targets else {
            return;
        };
        let Some(attr) = self.receiver_attr_name(target) else {
            return;
        };
        let value = &*assign.value;
        let is_param = self.param_index(value).is_some_and(|i| {
            let frame = self.frame();
            frame.self_name.is_none() || i > 0
        });
        if is_param {
            self.summary().locking.param_attrs.push(attr.clone());
        }
        let spawned = self.functions[self.frame().index]
            .spawns
            .iter()
            .rev()
            .find(|s| s.range == value.range())
            .map(|s| s.target.clone());
        if let Some(target) = spawned {
            self.summary().locking.thread_attrs.push((attr, target));
        }
    }

    /// `for x in self._listeners:` (or a copy of it): calls of `x` in the body call elements of
    /// that attribute.
    pub(super) fn loop_element_source(&self, iter: &Expr) -> Option<String> {
        match iter {
            Expr::Attribute(_) => self.receiver_attr_name(iter),
            Expr::Call(call) => {
                if let Expr::Attribute(attribute) = &*call.func {
                    if matches!(attribute.attr.as_str(), "values" | "copy" | "items") {
                        return self.loop_element_source(&attribute.value);
                    }
                }
                let name = self
                    .semantic
                    .qualified_name(&self.frame().scopes, &call.func)?;
                matches!(
                    name.as_str(),
                    "builtins.list"
                        | "builtins.tuple"
                        | "builtins.set"
                        | "builtins.sorted"
                        | "builtins.reversed"
                )
                .then(|| call.arguments.args.first())
                .flatten()
                .and_then(|inner| self.loop_element_source(inner))
            }
            _ => None,
        }
    }

    /// Records the `while` loop `node` if it polls shared state and spins or sleeps.
    pub(super) fn note_poll(&mut self, node: &ast::StmtWhile) {
        // `while True: if self._stopped: break; ...` polls in its first test.
        let test: &Expr = match &*node.test {
            Expr::BooleanLiteral(b) if b.value => match node.body.iter().find_map(|stmt| match stmt
            {
                Stmt::If(inner)
                    if inner.elif_else_clauses.is_empty()
                        && matches!(inner.body.last(), Some(Stmt::Break(_) | Stmt::Return(_))) =>
                {
                    Some(&*inner.test)
                }
                _ => None,
            }) {
                Some(test) => test,
                None => return,
            },
            other => other,
        };
        // Only a test made of shared state alone (`not self._stop`, `self.state == RUN`, `x is
        // None`) is a poll: a loop that also counts, reads or calls is doing work.
        if !self.is_flag_test(test) {
            return;
        }
        let mut found = Vec::new();
        self.collect_checked(test, &mut found);
        let via_self = found.iter().any(|(_, via_self)| *via_self);
        let mut flags: Vec<Loc> = found.into_iter().map(|(loc, _)| loc).collect();
        flags.sort();
        flags.dedup();
        if flags.is_empty() {
            return;
        }
        let pause = if node.body.iter().all(|s| {
            matches!(s, Stmt::Pass(_) | Stmt::Continue(_))
                || matches!(s, Stmt::Expr(e) if matches!(&*e.value, Expr::EllipsisLiteral(_) | Expr::StringLiteral(_)))
        }) {
            Some((Pause::Spin, node.range()))
        } else {
            self.sleep_in(&node.body).map(|range| (Pause::Sleep, range))
        };
        let Some((pause, pause_range)) = pause else {
            return;
        };
        // A loop that waits on sockets or an event each round (`select([...], [], [], 0.5)`)
        // wakes on what it waits for: an `Event` for the flag would not make it stop sooner.
        if pause == Pause::Sleep && self.waits_in(&node.body) {
            return;
        }
        self.summary().locking.polls.push(PollLoop {
            test: test.range(),
            flags,
            via_self,
            pause,
            pause_range,
        });
    }

    /// Whether a loop test reads only shared state: names and attributes of shared locations,
    /// negated, compared with literals or each other, combined with `and`/`or`.
    fn is_flag_test(&self, test: &Expr) -> bool {
        match test {
            Expr::Name(_) | Expr::Attribute(_) => self.location(test).is_some(),
            Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::Not => {
                self.is_flag_test(&unary.operand)
            }
            Expr::BoolOp(node) => node.values.iter().all(|v| self.is_flag_test(v)),
            Expr::Compare(compare) => {
                std::iter::once(&*compare.left)
                    .chain(compare.comparators.iter())
                    .all(|e| self.is_flag_test(e) || super::effects::is_literal(e))
                    && std::iter::once(&*compare.left)
                        .chain(compare.comparators.iter())
                        .any(|e| self.is_flag_test(e))
            }
            _ => false,
        }
    }

    /// Whether `body` (outside nested functions) waits for I/O or another thread each round:
    /// `select.select`, a selector's or poller's `select()` / `poll()`, an `Event` or
    /// `Condition` `wait(...)`.
    fn waits_in(&self, body: &[Stmt]) -> bool {
        use crate::python::visitor::{self, Visitor};
        struct Waits<'b, 'a> {
            builder: &'b Builder<'a>,
            found: bool,
        }
        impl<'x> Visitor<'x> for Waits<'_, '_> {
            fn visit_stmt(&mut self, stmt: &'x Stmt) {
                if !self.found && !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                    visitor::walk_stmt(self, stmt);
                }
            }
            fn visit_expr(&mut self, expr: &'x Expr) {
                if self.found {
                    return;
                }
                if let Expr::Call(call) = expr {
                    let name = self
                        .builder
                        .semantic
                        .qualified_name(&self.builder.frame().scopes, &call.func);
                    let waits = match name.as_deref() {
                        Some("select.select") => true,
                        _ => matches!(
                            &*call.func,
                            Expr::Attribute(a) if matches!(a.attr.as_str(), "select" | "poll" | "wait")
                        ),
                    };
                    if waits {
                        self.found = true;
                        return;
                    }
                }
                if !matches!(expr, Expr::Lambda(_)) {
                    visitor::walk_expr(self, expr);
                }
            }
        }
        let mut waits = Waits {
            builder: self,
            found: false,
        };
        for stmt in body {
            waits.visit_stmt(stmt);
        }
        waits.found
    }

    /// The first `time.sleep(...)` (not `sleep(0)`) in `body`, outside nested loops, functions
    /// and exception handlers (a back-off after an error is no poll).
    fn sleep_in(&self, body: &[Stmt]) -> Option<TextRange> {
        for stmt in body {
            let found = match stmt {
                Stmt::Expr(e) => match &*e.value {
                    Expr::Call(call) => {
                        let name = self
                            .semantic
                            .qualified_name(&self.frame().scopes, &call.func);
                        (name.as_deref() == Some("time.sleep") && !sleeps_zero(call))
                            .then(|| call.range())
                    }
                    _ => None,
                },
                Stmt::If(node) => self.sleep_in(&node.body).or_else(|| {
                    node.elif_else_clauses
                        .iter()
                        .find_map(|c| self.sleep_in(&c.body))
                }),
                Stmt::With(node) => self.sleep_in(&node.body),
                Stmt::Try(node) => self
                    .sleep_in(&node.body)
                    .or_else(|| self.sleep_in(&node.orelse))
                    .or_else(|| self.sleep_in(&node.finalbody)),
                _ => None,
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

/// `time.sleep(0)`: a yield, not a wait.
fn sleeps_zero(call: &ast::ExprCall) -> bool {
    matches!(call.arguments.args.first(), Some(Expr::NumberLiteral(n))
        if matches!(&n.value, ast::Number::Int(i) if i.as_u8() == Some(0))
            || matches!(&n.value, ast::Number::Float(f) if *f == 0.0))
}

/// Whether a call passes a timeout or asks not to block: a `timeout=` that is not `None`,
/// `block=False` / `blocking=False`, a literal `False` anywhere, or a positional argument at
/// `position` (`q.get(True, 5)`: 1, `event.wait(1)`: 0).
fn has_timeout(call: &ast::ExprCall, position: usize) -> bool {
    let args = &call.arguments;
    let keyword = args
        .keywords
        .iter()
        .any(|k| match k.arg.as_ref().map(|a| a.as_str()) {
            Some("timeout") => !matches!(k.value, Expr::NoneLiteral(_)),
            Some("block" | "blocking") => {
                matches!(&k.value, Expr::BooleanLiteral(b) if !b.value)
            }
            _ => false,
        });
    let at_position = args
        .args
        .get(position)
        .is_some_and(|a| !matches!(a, Expr::NoneLiteral(_) | Expr::Starred(_)));
    let non_blocking = args
        .args
        .iter()
        .any(|a| matches!(a, Expr::BooleanLiteral(b) if !b.value));
    keyword || at_position || non_blocking
}

/// Whether a call's arguments are at most a timeout: none, one number or a name that says
/// `timeout`, or `timeout=`.
fn is_timeout_only(args: &ast::Arguments) -> bool {
    let timeout_like = |e: &Expr| match e {
        Expr::NumberLiteral(_) => true,
        Expr::Name(n) => n.id.to_ascii_lowercase().contains("timeout"),
        Expr::Attribute(a) => a.attr.to_ascii_lowercase().contains("timeout"),
        _ => false,
    };
    args.args.len() <= 1
        && args.args.iter().all(timeout_like)
        && args
            .keywords
            .iter()
            .all(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "timeout"))
}

/// Whether `lock.acquire(...)` waits for the lock: not `acquire(False)`, `acquire(0)`,
/// `acquire(blocking=False)` or `acquire(timeout=n)`.
pub fn acquire_blocks(call: &ast::ExprCall) -> bool {
    let args = &call.arguments;
    let falsy = |e: &Expr| match e {
        Expr::BooleanLiteral(b) => !b.value,
        Expr::NumberLiteral(n) => matches!(&n.value, ast::Number::Int(i) if i.as_u8() == Some(0)),
        _ => false,
    };
    // A variable may be `False`: such an acquire may not wait.
    let truthy_literal =
        |e: &Expr| matches!(e, Expr::BooleanLiteral(_) | Expr::NumberLiteral(_)) && !falsy(e);
    let first_falsy = args.args.first().is_some_and(|a| !truthy_literal(a));
    let timed = args
        .args
        .get(1)
        .is_some_and(|a| !matches!(a, Expr::NoneLiteral(_)) && !matches!(a, Expr::UnaryOp(_)));
    let keyword = args
        .keywords
        .iter()
        .any(|k| match k.arg.as_ref().map(|a| a.as_str()) {
            Some("blocking") => !matches!(&k.value, Expr::BooleanLiteral(b) if b.value),
            Some("timeout") => {
                !matches!(k.value, Expr::NoneLiteral(_))
                    && !matches!(&k.value, Expr::UnaryOp(u) if u.op == ast::UnaryOp::USub)
            }
            _ => false,
        });
    !(first_falsy || timed || keyword)
}

/// Whether `ty` is a standard-library or well-known type (not a project class to look up later).
fn is_standard(ty: &str) -> bool {
    let root = ty.split('.').next().unwrap_or(ty);
    matches!(
        root,
        "threading"
            | "multiprocessing"
            | "queue"
            | "concurrent"
            | "asyncio"
            | "subprocess"
            | "socket"
            | "builtins"
            | "collections"
            | "http"
            | "urllib"
            | "requests"
            | "httpx"
    )
}

#[cfg(test)]
mod tests {
    use crate::python;
    use crate::semantic::SemanticModel;
    use crate::source::FileId;
    use crate::summary::{summarize, ConditionLock, Loc, LockKind, ModuleSummary, Pause};

    fn summary(source: &str) -> ModuleSummary {
        let parsed = python::parse_module(source, None);
        let semantic = SemanticModel::build(&parsed.module, "m", false);
        summarize(FileId(0), &parsed.module, &semantic, false)
    }

    fn attr(name: &str) -> Loc {
        Loc::Attr {
            class: "m.C".to_string(),
            name: name.to_string(),
        }
    }

    #[test]
    fn lock_kinds_come_from_constructors() {
        let module = summary(
            "import threading\n\
             glock = threading.RLock()\n\
             class C:\n\
             \x20   def __init__(self):\n\
             \x20       self._lock = threading.Lock()\n\
             \x20       self._cond = threading.Condition(self._lock)\n\
             \x20       self._own = threading.Condition()\n\
             \x20       self._strict = threading.Condition(threading.Lock())\n\
             \x20       self._pool = threading.Semaphore(4)\n",
        );
        let kind = |loc: &Loc| {
            module
                .lock_kinds
                .iter()
                .find(|(l, _)| l == loc)
                .map(|(_, k)| k.clone())
        };
        assert_eq!(kind(&attr("_lock")), Some(LockKind::Lock));
        assert_eq!(
            kind(&attr("_cond")),
            Some(LockKind::Condition {
                over: ConditionLock::Shared(attr("_lock"))
            })
        );
        assert_eq!(
            kind(&attr("_own")),
            Some(LockKind::Condition {
                over: ConditionLock::OwnRLock
            })
        );
        assert!(kind(&attr("_strict")).is_some_and(|k| k.is_non_reentrant()));
        // A semaphore that lets four threads in is no lock.
        assert_eq!(kind(&attr("_pool")), None);
        let global = Loc::Global {
            name: "m.glock".to_string(),
        };
        assert_eq!(kind(&global), Some(LockKind::RLock));
    }

    #[test]
    fn acquisitions_record_what_is_held_and_whether_they_wait() {
        let module = summary(
            "import threading\n\
             a = threading.Lock()\n\
             b = threading.Lock()\n\
             def f():\n\
             \x20   with a:\n\
             \x20       with b:\n\
             \x20           pass\n\
             \x20   if b.acquire(False):\n\
             \x20       b.release()\n",
        );
        let f = module.functions.iter().find(|f| f.name == "f").unwrap();
        let facts = &f.locking.acquisitions;
        assert_eq!(facts.len(), 3);
        assert!(facts[0].held.is_empty() && facts[0].blocking);
        assert_eq!(facts[1].held.len(), 1);
        assert!(!facts[2].blocking, "acquire(False) does not wait");
    }

    #[test]
    fn polls_are_loops_on_shared_state_alone() {
        let module = summary(
            "import time\n\
             class C:\n\
             \x20   def run(self):\n\
             \x20       while not self.stopped:\n\
             \x20           time.sleep(1)\n\
             \x20   def work(self, n):\n\
             \x20       while n and not self.stopped:\n\
             \x20           time.sleep(1)\n\
             \x20   def spin(self):\n\
             \x20       while not self.ready:\n\
             \x20           pass\n",
        );
        let polls = |name: &str| {
            module
                .functions
                .iter()
                .find(|f| f.name == name)
                .unwrap()
                .locking
                .polls
                .clone()
        };
        assert_eq!(polls("run").len(), 1);
        assert_eq!(polls("run")[0].pause, Pause::Sleep);
        assert!(
            polls("work").is_empty(),
            "a test that reads a local is work"
        );
        assert_eq!(polls("spin")[0].pause, Pause::Spin);
    }
}

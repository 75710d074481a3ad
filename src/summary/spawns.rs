//! Where threads and processes start, and where the code that started them stops running beside
//! them.
//!
//! A `Thread(...)` object runs from its `.start()` (chained, or on the local or attribute that holds
//! it), not from its construction; a thread object that is never started nor handed on never runs.
//! `.start()` on an object of a class of the project is recorded too: whether that class is a
//! thread is decided once the project's class hierarchy is known. Pools and executors run a task
//! from the submit. The starter runs beside the new thread from the start (the top of the loop, for
//! a start in a loop) until the `join()`, the end of the pool's `with` block, the `result()` of the
//! future, or the end of the statement that consumes a `map`.

use super::builder::{Builder, Holder};
use super::{Callee, Spawn, SpawnKind, Start};
use crate::python::ast::{self, Expr};
use crate::python::Ranged;

/// Methods of pools and executors that run their first argument on a worker.
const POOL_METHODS: &[&str] = &[
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

/// Pool methods that return only when every task is done (or whose result is consumed at once).
const BLOCKING_POOL_METHODS: &[&str] = &["map", "apply", "starmap"];

impl<'a> Builder<'a> {
    /// Records the spawn `call` makes, if any.
    pub(super) fn spawn_in_call(&mut self, call: &'a ast::ExprCall, qualified: Option<&str>) {
        let args = &call.arguments;
        let keyword = |name: &str| {
            args.keywords
                .iter()
                .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
                .map(|k| &k.value)
        };
        let in_loop = self.frame().loop_depth > 0;
        match qualified {
            Some("threading.Thread") => self.spawn_thread(
                call,
                SpawnKind::Thread,
                keyword("target").or(args.args.get(1)),
            ),
            Some("multiprocessing.Process") => self.spawn_thread(
                call,
                SpawnKind::Process,
                keyword("target").or(args.args.get(1)),
            ),
            Some("threading.Timer") => self.spawn_thread(
                call,
                SpawnKind::Timer,
                args.args.get(1).or(keyword("function")),
            ),
            Some("_thread.start_new_thread") => {
                self.spawn_now(call, SpawnKind::StartNewThread, args.args.first(), in_loop);
            }
            Some("asyncio.to_thread") => {
                self.spawn_now(call, SpawnKind::ToThread, args.args.first(), true);
            }
            Some(
                "socketserver.ThreadingTCPServer"
                | "socketserver.ThreadingUDPServer"
                | "socketserver.ThreadingUnixStreamServer"
                | "socketserver.ThreadingUnixDatagramServer"
                | "http.server.ThreadingHTTPServer",
            ) => {
                self.spawn_now(
                    call,
                    SpawnKind::ThreadingServer,
                    args.args.get(1).or(keyword("RequestHandlerClass")),
                    true,
                );
            }
            _ => {}
        }
        let Expr::Attribute(attribute) = &*call.func else {
            self.project_server(call);
            return;
        };
        let method = attribute.attr.as_str();
        let receiver_type = self.type_of(&attribute.value);
        let receiver_name = match &*attribute.value {
            Expr::Name(n) => Some(n.id.to_string()),
            Expr::Attribute(a) => Some(a.attr.to_string()),
            _ => None,
        };
        let pool_kind = match receiver_type.as_deref() {
            Some("concurrent.futures.ThreadPoolExecutor" | "multiprocessing.pool.ThreadPool") => {
                Some(SpawnKind::ThreadPool)
            }
            Some("concurrent.futures.ProcessPoolExecutor" | "multiprocessing.Pool") => {
                Some(SpawnKind::ProcessPool)
            }
            None if method == "submit"
                && receiver_name.as_deref().is_some_and(|n| {
                    let n = n.to_ascii_lowercase();
                    n.contains("executor") || n.contains("pool")
                }) =>
            {
                Some(SpawnKind::ThreadPool)
            }
            _ => None,
        };
        match (method, pool_kind) {
            (m, Some(kind)) if POOL_METHODS.contains(&m) => {
                // A pool with one worker runs its tasks one at a time, and `pool.map(f, [one])`
                // runs one task: neither races with itself.
                let one_item = m != "submit"
                    && matches!(
                        args.args.get(1),
                        Some(Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }))
                            if elts.len() <= 1
                    );
                let many = !one_item && !self.is_single_worker(&attribute.value);
                let index = self.spawn_now(call, kind, args.args.first(), many);
                if let Some(index) = index {
                    self.bound_pool_task(index, &attribute.value, m);
                }
            }
            // The default executor (`None`) is a thread pool; a given one runs threads or
            // processes as its type says, and one of unknown type decides nothing.
            ("run_in_executor", _) => {
                let kind = match args.args.first() {
                    Some(Expr::NoneLiteral(_)) => Some(SpawnKind::RunInExecutor),
                    Some(executor) => match self.type_of(executor).as_deref() {
                        Some(
                            "concurrent.futures.ThreadPoolExecutor"
                            | "multiprocessing.pool.ThreadPool",
                        ) => Some(SpawnKind::RunInExecutor),
                        Some("concurrent.futures.ProcessPoolExecutor" | "multiprocessing.Pool") => {
                            Some(SpawnKind::ProcessPool)
                        }
                        _ => None,
                    },
                    None => None,
                };
                if let Some(kind) = kind {
                    let many = !args.args.first().is_some_and(|e| self.is_single_worker(e));
                    self.spawn_now(call, kind, args.args.get(1), many);
                }
            }
            // Only a `concurrent.futures` future runs its callbacks on a worker thread (an
            // asyncio one runs them on its loop): the future must come from `submit`.
            ("add_done_callback", _) if self.is_submitted_future(&attribute.value) => {
                self.spawn_now(call, SpawnKind::DoneCallback, args.args.first(), in_loop);
            }
            ("start", _) => self.started(call, &attribute.value),
            ("join", _) => self.joined(call, &attribute.value),
            ("result" | "exception", _) => self.joined(call, &attribute.value),
            ("shutdown" | "close" | "terminate", _) => self.joined(call, &attribute.value),
            _ => {}
        }
        self.project_server(call);
    }

    /// A `Thread`/`Process`/`Timer` object: it runs once started.
    fn spawn_thread(&mut self, call: &ast::ExprCall, kind: SpawnKind, target: Option<&Expr>) {
        let in_loop = self.frame().loop_depth > 0;
        let Some(index) = self.push_spawn(call, kind, target, in_loop, Start::Never) else {
            return;
        };
        let holder = self
            .frame()
            .assigning
            .as_ref()
            .filter(|(value, _)| *value == call.range())
            .map(|(_, holder)| holder.clone());
        match holder {
            Some(holder) => self.frame_mut().threads.push((holder, index)),
            // `Thread(...).start()` is seen by `started`; anything else hands the object on.
            None => self.summary().spawns[index].start = Start::Elsewhere,
        }
    }

    /// A spawn that runs its target from right here.
    fn spawn_now(
        &mut self,
        call: &ast::ExprCall,
        kind: SpawnKind,
        target: Option<&Expr>,
        many: bool,
    ) -> Option<usize> {
        let start = Start::At {
            range: call.range(),
        };
        let index = self.push_spawn(call, kind, target, many, start)?;
        self.begin_beside(index, call.range().start().to_u32());
        Some(index)
    }

    fn push_spawn(
        &mut self,
        call: &ast::ExprCall,
        kind: SpawnKind,
        target: Option<&Expr>,
        many: bool,
        start: Start,
    ) -> Option<usize> {
        let target = target?;
        let callee = self.callee_of(target);
        if callee == Callee::Unknown {
            return None;
        }
        // `Thread(target=worker.loop)` on an object of its own: one made in this very loop pass
        // (or a thread started once), not one shared by every pass.
        let on_other_object = match (target, &callee) {
            (Expr::Attribute(attribute), Callee::Method { .. }) => match &*attribute.value {
                value if self.is_receiver(value) => false,
                Expr::Name(n) => {
                    let frame = self.frame();
                    !many
                        || (frame.loop_depth > 0
                            && frame.assigned_at.get(n.id.as_str()) == Some(&frame.loop_depth))
                }
                _ => !many,
            },
            _ => false,
        };
        let spawns = &mut self.summary().spawns;
        spawns.push(Spawn {
            kind,
            target: callee,
            many,
            on_other_object,
            range: call.range(),
            start,
            beside_from: call.range().start().to_u32(),
            beside_until: None,
        });
        Some(spawns.len() - 1)
    }

    /// The starter runs beside spawn `index` from `at` (or the top of the enclosing loop).
    fn begin_beside(&mut self, index: usize, at: u32) {
        let from = self.frame().loop_starts.last().copied().unwrap_or(at);
        self.summary().spawns[index].beside_from = from.min(at);
    }

    /// Bounds a pool task's beside-window: the end of the pool's `with` block, the end of the
    /// statement for a `map` consumed at once, the future's `result()` later on.
    fn bound_pool_task(&mut self, index: usize, pool: &Expr, method: &str) {
        let key = Holder::of(pool, self);
        let with_end = key.as_ref().and_then(|key| {
            self.frame()
                .with_ends
                .iter()
                .rev()
                .find(|(holder, _)| holder == key)
                .map(|(_, end)| *end)
        });
        let statement_end = BLOCKING_POOL_METHODS
            .contains(&method)
            .then(|| self.frame().statement_end);
        let until = [with_end, statement_end].into_iter().flatten().min();
        self.summary().spawns[index].beside_until = until;
        if let Some(key) = key {
            self.frame_mut().pools.push((key, index));
        }
        // The future a submit returns ends the window at its `result()`.
        if let Some((value, holder)) = self.frame().assigning.clone() {
            if value.start() <= self.summary().spawns[index].range.start()
                && self.summary().spawns[index].range.end() <= value.end()
            {
                self.frame_mut().threads.push((holder, index));
            }
        }
    }

    /// `x.start()`: a thread object held in `x` starts, or an object of a project class that may
    /// be a thread.
    fn started(&mut self, call: &ast::ExprCall, object: &Expr) {
        let at = call.range();
        // `Thread(...).start()`
        if let Expr::Call(inner) = object {
            let pending = self
                .summary()
                .spawns
                .iter()
                .rposition(|s| s.range == inner.range() && s.start != Start::Elsewhere);
            if let Some(index) = pending {
                self.summary().spawns[index].start = Start::At { range: at };
                self.begin_beside(index, at.start().to_u32());
                return;
            }
        }
        if let Some(key) = Holder::of(object, self) {
            let held = self
                .frame()
                .threads
                .iter()
                .rev()
                .find(|(holder, _)| *holder == key)
                .map(|(_, index)| *index);
            if let Some(index) = held {
                if self.summary().spawns[index].start == Start::Never {
                    self.summary().spawns[index].start = Start::At { range: at };
                    self.begin_beside(index, at.start().to_u32());
                }
                return;
            }
        }
        // An object of a project class (maybe a `Thread` subclass), or the thread itself.
        let class = if self.is_receiver(object) {
            self.frame().class.clone()
        } else {
            self.type_of(object)
        };
        let Some(class) = class else {
            return;
        };
        if class.starts_with("threading.") || class.starts_with("multiprocessing.") {
            return;
        }
        let in_loop = self.frame().loop_depth > 0;
        let on_own_object = !self.is_receiver(object);
        self.summary().spawns.push(Spawn {
            kind: SpawnKind::ThreadSubclass,
            target: Callee::Method {
                class,
                name: "run".to_string(),
                is_virtual: true,
            },
            many: in_loop,
            on_other_object: on_own_object,
            range: at,
            start: Start::At { range: at },
            beside_from: at.start().to_u32(),
            beside_until: None,
        });
        let index = self.summary().spawns.len() - 1;
        self.begin_beside(index, at.start().to_u32());
        if let Some(key) = Holder::of(object, self) {
            self.frame_mut().threads.push((key, index));
        }
    }

    /// `x.join()`, `future.result()`, `pool.shutdown()`: the starter stops running beside what
    /// `x` runs.
    fn joined(&mut self, call: &ast::ExprCall, object: &Expr) {
        let Some(key) = Holder::of(object, self) else {
            return;
        };
        let end = call.range().end().to_u32();
        let frame = self.frame();
        let indices: Vec<usize> = frame
            .threads
            .iter()
            .chain(frame.pools.iter())
            .filter(|(holder, _)| *holder == key)
            .map(|(_, index)| *index)
            .collect();
        let loop_depth = frame.loop_depth;
        for index in indices {
            let spawn = &mut self.summary().spawns[index];
            // A join inside the loop that starts many threads ends nothing: the next pass
            // starts another.
            if spawn.many && loop_depth > 0 {
                continue;
            }
            if spawn.beside_until.is_none_or(|until| until > end) {
                spawn.beside_until = Some(end);
            }
        }
    }

    /// Whether `expr` is a future returned by an executor's `submit`: the call itself, or a
    /// local assigned from one.
    pub(super) fn is_submitted_future(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Call(call) => {
                matches!(&*call.func, Expr::Attribute(a) if a.attr.as_str() == "submit")
            }
            Expr::Name(name) => self.frame().submitted.contains(name.id.as_str()),
            _ => false,
        }
    }

    /// A project class deriving from `ThreadingMixIn` given a handler class (`MyServer(addr,
    /// Handler)`): checked in the project phase, where the server's bases are known.
    fn project_server(&mut self, call: &ast::ExprCall) {
        let Some(handler) = call.arguments.args.get(1) else {
            return;
        };
        let Callee::Name { name } = self.callee_of(handler) else {
            return;
        };
        let looks_like_class = name
            .rsplit('.')
            .next()
            .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_uppercase()));
        let Callee::Name { name: server } = self.callee_of(&call.func) else {
            return;
        };
        let is_server = server
            .rsplit('.')
            .next()
            .is_some_and(|n| n.contains("Server"));
        if !looks_like_class || !is_server || server.starts_with("socketserver.") {
            return;
        }
        self.summary().spawns.push(Spawn {
            kind: SpawnKind::ThreadingServer,
            target: Callee::Method {
                class: server,
                name,
                is_virtual: false,
            },
            many: true,
            on_other_object: false,
            range: call.range(),
            start: Start::At {
                range: call.range(),
            },
            beside_from: call.range().start().to_u32(),
            beside_until: None,
        });
    }

    /// At the end of a function: a thread object still waiting for its start was never started
    /// here; it starts elsewhere if the object was stored or handed on, never otherwise.
    pub(super) fn finish_spawns(&mut self) {
        let threads = std::mem::take(&mut self.frame_mut().threads);
        for (holder, index) in threads {
            if self.summary().spawns[index].start != Start::Never {
                continue;
            }
            let kept_here = match &holder {
                Holder::Local(name) => self.frame().owned.contains_key(name.as_str()),
                Holder::Attr(_) => false,
            };
            if !kept_here {
                self.summary().spawns[index].start = Start::Elsewhere;
            }
        }
    }
}

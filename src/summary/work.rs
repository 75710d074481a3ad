//! What a function's own code spends its time on, for the effect inference
//! ([`crate::project::effects`]) and the GIL rules (SN4xx).
//!
//! Records, per function (not its nested functions):
//! - its loops (`for`, `while`, comprehensions), whether their bodies compute in Python
//!   (arithmetic, string building, container work, calls of builtins) and whether they run only
//!   a few times (over a small literal, `range(3)`): a loop that computes and is not known to be
//!   small is pure-Python compute;
//! - whether it does arithmetic at all (a recursive function that does is compute too);
//! - the calls nothing can name (a method of an object of unknown type that is not a method of
//!   the builtin types, a callable parameter): the work they do is unknown, and unknown work
//!   keeps the rules quiet;
//! - the pools and executors it creates, and whether each lives only for the call (a `with`
//!   block, a `shutdown()`/`close()` here), is never shut down, or is kept (stored, returned,
//!   handed on): a pool made per call or per loop pass pays its start-up every time;
//! - `map`/`imap` calls on process pools with the chunk size of one item, and how many items
//!   their iterable has when the code shows it.
//!
//! Calls the summary already records (`FunctionSummary::calls`) are classified in the project
//! phase, where project functions are known and the catalogue names the rest.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::builder::Builder;
use super::Callee;
use crate::checker::{STACK_GROWTH, STACK_RED_ZONE};
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{visitor, Ranged, TextRange, Visitor};

/// How many iterations make a loop over a literal `range(k)` or a literal collection "small".
const SMALL_LOOP: u64 = 16;

/// What a function's own code does with its time. Most functions have no loop, pool or
/// catalogued call: the lists live behind one allocation made only when one has something.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WorkFacts {
    /// It does arithmetic or builds strings somewhere in its body.
    pub arithmetic: bool,
    /// It is a generator (its body yields): calling it runs none of its body.
    pub generator: bool,
    /// The first call nothing can name (or iteration of an object of unknown type): what it does
    /// is unknown. One is evidence enough.
    #[serde(skip)]
    pub opaque: Option<TextRange>,
    details: Option<Box<WorkDetails>>,
}

/// The lists of [`WorkFacts`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct WorkDetails {
    /// Its loops, outermost first in source order.
    pub loops: Vec<LoopFact>,
    /// `return` statements inside loops: a call there ends the loop, it does not repeat.
    #[serde(skip)]
    pub loop_exits: Vec<TextRange>,
    /// Calls the summary has no call site for (builtins, methods of objects of unknown type)
    /// that the catalogue says block or release the GIL: `open(...)`, `f.read()`.
    pub effects: Vec<CallEffect>,
    /// Pools and executors it creates.
    pub pools: Vec<PoolFact>,
    /// `map`-style calls on a process pool.
    pub process_maps: Vec<ProcessMapFact>,
    /// `map`-style calls on any pool or executor: each runs a task per item.
    #[serde(skip)]
    pub map_calls: Vec<TextRange>,
    /// Tasks submitted to a pool and waited for in the same loop pass.
    pub submit_waits: Vec<SubmitWait>,
}

impl WorkDetails {
    fn is_empty(&self) -> bool {
        self.loops.is_empty()
            && self.loop_exits.is_empty()
            && self.effects.is_empty()
            && self.pools.is_empty()
            && self.process_maps.is_empty()
            && self.map_calls.is_empty()
            && self.submit_waits.is_empty()
    }
}

/// A task submitted to a pool and waited for before the loop goes on to the next:
/// `executor.submit(f, x).result()`, `f = pool.apply_async(...)` then `f.get()`, `pool.apply()`.
#[derive(Debug, Clone, Serialize)]
pub struct SubmitWait {
    /// The submit (`executor.submit(...)`, `pool.apply(...)`).
    #[serde(skip)]
    pub submit: TextRange,
    /// The wait (`.result()`, `.get()`); the submit itself for `pool.apply(...)`.
    #[serde(skip)]
    pub wait: TextRange,
    /// The loop's header.
    #[serde(skip)]
    pub header: TextRange,
    /// How the code spells it: `submit(...).result()`, `apply(...)`.
    pub spelling: String,
}

/// One loop of a function.
#[derive(Debug, Clone, Serialize)]
pub struct LoopFact {
    /// The whole loop.
    #[serde(skip)]
    pub range: TextRange,
    /// What in it runs once: a `for` loop's iterable, a comprehension's first iterable.
    #[serde(skip)]
    pub once: Option<TextRange>,
    /// `for x in xs` / `while cond` / the comprehension: what a report points at.
    #[serde(skip)]
    pub header: TextRange,
    /// Its body computes in Python: arithmetic, string building, container work, builtins.
    pub computes: bool,
    /// It runs a few times at most, as the code shows (`for mode in ("r", "w")`, `range(3)`).
    pub small: bool,
}

impl WorkFacts {
    fn details(&self) -> Option<&WorkDetails> {
        self.details.as_deref()
    }

    fn details_mut(&mut self) -> &mut WorkDetails {
        self.details.get_or_insert_with(Default::default)
    }

    /// Its loops, outermost first in source order.
    pub fn loops(&self) -> &[LoopFact] {
        self.details().map_or(&[], |d| &d.loops)
    }

    /// `return` statements inside loops.
    pub fn loop_exits(&self) -> &[TextRange] {
        self.details().map_or(&[], |d| &d.loop_exits)
    }

    /// Calls without a call site that the catalogue knows (`open(...)`, `f.read()`).
    pub fn effects(&self) -> &[CallEffect] {
        self.details().map_or(&[], |d| &d.effects)
    }

    /// Pools and executors it creates.
    pub fn pools(&self) -> &[PoolFact] {
        self.details().map_or(&[], |d| &d.pools)
    }

    /// `map`-style calls on a process pool.
    pub fn process_maps(&self) -> &[ProcessMapFact] {
        self.details().map_or(&[], |d| &d.process_maps)
    }

    /// `map`-style calls on any pool or executor.
    pub fn map_calls(&self) -> &[TextRange] {
        self.details().map_or(&[], |d| &d.map_calls)
    }

    /// Tasks submitted to a pool and waited for in the same loop pass.
    pub fn submit_waits(&self) -> &[SubmitWait] {
        self.details().map_or(&[], |d| &d.submit_waits)
    }

    /// The loop that makes code at `range` run many times: the innermost loop around it that
    /// is not known to be small, unless `range` is in a `return` (it runs once, then the loop
    /// ends).
    pub fn repeating_loop(&self, range: TextRange) -> Option<&LoopFact> {
        if self
            .loop_exits()
            .iter()
            .any(|exit| exit.contains_range(range))
        {
            return None;
        }
        self.loops().iter().rev().find(|l| {
            !l.small
                && l.range.contains_range(range)
                && !l.once.is_some_and(|once| once.contains_range(range))
        })
    }

    /// The first loop that computes and is not known to be small.
    pub fn compute_loop(&self) -> Option<&LoopFact> {
        self.loops().iter().find(|l| l.computes && !l.small)
    }
}

/// A call the catalogue knows, without a call site in the summary.
#[derive(Debug, Clone, Serialize)]
pub struct CallEffect {
    #[serde(skip)]
    pub range: TextRange,
    /// How a message names it: `open`, `.read()`.
    pub call: String,
    pub blocks: Option<crate::catalogue::Blocking>,
    pub releases_gil: bool,
    /// It writes to the console (`print`): output, not computation, and not I/O a process pool
    /// would be wasted on.
    pub console: bool,
}

/// How long a pool made in a function lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolLifetime {
    /// Until the end of its `with` block or its `shutdown()`/`close()`/`terminate()` here.
    Scoped,
    /// It is never shut down nor handed on: its workers outlive the call, until the collector
    /// finds the pool.
    Leaked,
    /// It is stored, returned or handed on: it lives beyond the call, maybe reused.
    Kept,
}

/// A pool or executor a function creates.
#[derive(Debug, Clone, Serialize)]
pub struct PoolFact {
    /// `concurrent.futures.ProcessPoolExecutor`, `multiprocessing.Pool`...
    pub class: String,
    /// The constructor call.
    #[serde(skip)]
    pub range: TextRange,
    /// Index in [`WorkFacts::loops`] of the innermost loop around the constructor.
    pub in_loop: Option<u32>,
    pub lifetime: PoolLifetime,
    /// It runs work the function's callers choose: a callable parameter is submitted or mapped
    /// to it (`pool.imap(func, tasks)`), or its submit method is handed to another function
    /// (`run(pool.apply_async, graph)`). The function is a helper for running parallel jobs.
    pub serves_callers: bool,
    /// Where its life ends here: its `with` item, its `shutdown()`/`close()`.
    #[serde(skip)]
    pub end: Option<TextRange>,
    /// It ends with a `with` block (rather than a shutdown call).
    pub ends_with_block: bool,
    /// It is made only when the caller opts in through a flag parameter that defaults to
    /// `False` (`if multiprocess: pool = Pool()`): callers that repeat the call need not pass it.
    pub opt_in: bool,
}

impl PoolFact {
    /// A process pool: each worker is a process, started (and given the pickled task) anew.
    pub fn is_process(&self) -> bool {
        is_process_pool(&self.class)
    }

    /// `multiprocessing.pool.ThreadPool` starts all its threads (and three helper threads) at
    /// construction; `ThreadPoolExecutor` starts a thread per task up to its size.
    pub fn starts_eagerly(&self) -> bool {
        self.class != "concurrent.futures.ThreadPoolExecutor"
    }

    /// `ProcessPoolExecutor`, `Pool`, `ThreadPool`, for messages.
    pub fn short_name(&self) -> &str {
        self.class.rsplit('.').next().unwrap_or(&self.class)
    }
}

/// `map`, `imap` or `imap_unordered` on a process pool.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessMapFact {
    /// `ProcessPoolExecutor.map`, `Pool.imap`.
    pub method: String,
    #[serde(skip)]
    pub range: TextRange,
    /// The function mapped.
    pub target: Callee,
    /// Each item is sent to a worker on its own: `chunksize` is 1, given or by default.
    pub chunk_of_one: bool,
    /// How many items the iterable has, where the code shows it (`range(100_000)`, a list built
    /// from one in this function).
    pub items: Option<u64>,
    /// The iterable argument.
    #[serde(skip)]
    pub iterable: TextRange,
}

/// The pool and executor classes (canonical names).
pub const POOL_CLASSES: &[&str] = &[
    "concurrent.futures.ThreadPoolExecutor",
    "concurrent.futures.ProcessPoolExecutor",
    "multiprocessing.Pool",
    "multiprocessing.pool.ThreadPool",
];

pub fn is_process_pool(class: &str) -> bool {
    matches!(
        class,
        "concurrent.futures.ProcessPoolExecutor" | "multiprocessing.Pool"
    )
}

/// Builtins that compute holding the GIL and wait on nothing.
const PURE_BUILTINS: &[&str] = &[
    "abs",
    "all",
    "any",
    "ascii",
    "bin",
    "bool",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "complex",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "hex",
    "id",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "ord",
    "pow",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
];

/// Whether `name`, unbound in the module, is a builtin that computes holding the GIL (an
/// exception class too: constructing one is cheap).
fn is_pure_builtin(name: &str) -> bool {
    PURE_BUILTINS.contains(&name)
        || name.ends_with("Error")
        || name.ends_with("Exception")
        || name.ends_with("Warning")
}

/// Pool and executor methods that give it work.
const TASK_METHODS: &[&str] = &[
    "submit",
    "map",
    "imap",
    "imap_unordered",
    "starmap",
    "map_async",
    "starmap_async",
    "apply",
    "apply_async",
];

/// Pool methods that send each item of an iterable to the workers.
const MAP_METHODS: &[&str] = &[
    "map",
    "imap",
    "imap_unordered",
    "starmap",
    "map_async",
    "starmap_async",
];

/// Of [`MAP_METHODS`], those whose default chunk size is one item (`Pool.map` and `starmap`
/// compute one from the iterable's length).
fn defaults_to_one_item(class: &str, method: &str) -> bool {
    class == "concurrent.futures.ProcessPoolExecutor" || matches!(method, "imap" | "imap_unordered")
}

impl Builder<'_> {
    /// A call whose callee nothing can name: unknown work, unless it is a builtin or a method of
    /// the builtin types.
    pub(super) fn note_unknown_call(&mut self, call: &ast::ExprCall) {
        use crate::catalogue;
        let (effect, name) = match &*call.func {
            Expr::Name(name) => {
                let id = name.id.as_str();
                let unbound = self.semantic.binding(&self.frame().scopes, id).is_none();
                if unbound && is_pure_builtin(id) {
                    return;
                }
                if !unbound {
                    (None, String::new())
                } else if id == "print" {
                    self.summary().work.details_mut().effects.push(CallEffect {
                        range: call.range(),
                        call: format!("`{id}()`"),
                        blocks: None,
                        releases_gil: false,
                        console: true,
                    });
                    return;
                } else {
                    match catalogue::function(&format!("builtins.{id}")) {
                        Some(effect) => (Some(effect), format!("`{id}()`")),
                        None => (None, String::new()),
                    }
                }
            }
            Expr::Attribute(attribute) => {
                let method = attribute.attr.as_str();
                // `q.get()` and `t.join()` without arguments are a queue's and a thread's:
                // `dict.get` and `str.join` take one.
                let bare = call.arguments.args.is_empty();
                let waits = match method {
                    "get" if bare => Some(catalogue::Blocking::QueueGet),
                    "join" if bare => Some(catalogue::Blocking::ThreadJoin),
                    "wait" => Some(catalogue::Blocking::Wait),
                    _ => None,
                };
                if let Some(kind) = waits {
                    self.summary().work.details_mut().effects.push(CallEffect {
                        range: call.range(),
                        call: format!("`.{method}()`"),
                        blocks: Some(kind),
                        releases_gil: true,
                        console: false,
                    });
                    return;
                }
                match catalogue::method_by_name(method) {
                    Some(effect) if effect == catalogue::HOLDS_GIL => return,
                    Some(effect) => (Some(effect), format!("`.{method}()`")),
                    // A method of what a catalogued library returned: `response.json()` after
                    // `response = requests.get(...)` is `requests`' code.
                    None => match self.origin_module(&attribute.value) {
                        Some((module, effect)) => {
                            (Some(effect), format!("`{module}` `.{method}()`"))
                        }
                        None => (None, String::new()),
                    },
                }
            }
            _ => (None, String::new()),
        };
        let work = &mut self.summary().work;
        match effect {
            Some(effect) => work.details_mut().effects.push(CallEffect {
                range: call.range(),
                call: name,
                blocks: effect.blocks,
                releases_gil: effect.releases_gil,
                console: false,
            }),
            None => {
                work.opaque.get_or_insert(call.range());
            }
        }
    }

    /// The catalogued module whose call made the object a local holds, and what its calls do:
    /// `("requests", network)` for `response` after `response = requests.get(url)`.
    fn origin_module(&self, expr: &Expr) -> Option<(String, crate::catalogue::Effect)> {
        let Expr::Name(name) = expr else {
            return None;
        };
        let Some(super::scope::Origin::CallResult(callee)) =
            self.frame().owned.get(name.id.as_str())
        else {
            return None;
        };
        let qualified = self.semantic.qualified_name(&self.frame().scopes, callee)?;
        let effect = crate::catalogue::module(&qualified)?;
        let module = qualified
            .split('.')
            .next()
            .unwrap_or(&qualified)
            .to_string();
        Some((module, effect))
    }

    /// Reads `body` (the function just walked) for its loops, pools and process maps.
    pub(super) fn summarize_work(&mut self, body: &[Stmt], flags: &[String]) {
        let mut scan = WorkScan {
            builder: self,
            flags,
            opt_in_depth: 0,
            facts: WorkDetails::default(),
            arithmetic: false,
            generator: false,
            opaque: None,
            open_loops: Vec::new(),
            pool_locals: HashMap::new(),
            scoped: HashSet::new(),
            escaped: HashSet::new(),
            ends: HashMap::new(),
            with_ends: HashSet::new(),
            handled: HashSet::new(),
            sizes: HashMap::new(),
            pending_items: Vec::new(),
            pending_futures: HashMap::new(),
        };
        for stmt in body {
            scan.visit_stmt(stmt);
        }
        let generator = scan.generator;
        let (details, arithmetic, opaque) = scan.finish();
        let work = &mut self.summary().work;
        work.generator = generator;
        if let Some(range) = opaque {
            let first = work.opaque.get_or_insert(range);
            if range.start() < first.start() {
                *first = range;
            }
        }
        work.arithmetic = arithmetic;
        if !details.is_empty() {
            // Keep the catalogued calls the walk recorded.
            let effects = work.details.take().map(|d| d.effects).unwrap_or_default();
            work.details = Some(Box::new(WorkDetails { effects, ..details }));
        }
    }

    /// The pool class a constructor call makes, if it makes one.
    fn pool_class(&self, expr: &Expr) -> Option<String> {
        let Expr::Call(call) = expr else {
            return None;
        };
        // Most calls are no constructor of a pool: say so before resolving names.
        let named_like_a_pool = |name: &str| {
            matches!(
                name.rsplit('.').next().unwrap_or(name),
                "ThreadPoolExecutor" | "ProcessPoolExecutor" | "Pool" | "ThreadPool"
            )
        };
        let maybe = match &*call.func {
            Expr::Attribute(attribute) => named_like_a_pool(attribute.attr.as_str()),
            // An import under another name (`ThreadPoolExecutor as Executor`) keeps a word of it.
            Expr::Name(name) if name.id.contains("Pool") || name.id.contains("Executor") => {
                matches!(
                    self.semantic.binding(&self.frame().scopes, name.id.as_str()),
                    Some(crate::semantic::Binding::Import(q)) if named_like_a_pool(q)
                )
            }
            _ => false,
        };
        if !maybe {
            return None;
        }
        // `multiprocessing.Pool()` where `multiprocessing` is a parameter is not the module's.
        let mut root = &*call.func;
        while let Expr::Attribute(attribute) = root {
            root = &attribute.value;
        }
        if let Expr::Name(name) = root {
            if self.frame().params.iter().any(|p| p == name.id.as_str()) {
                return None;
            }
        }
        let name = self
            .semantic
            .qualified_name(&self.frame().scopes, &call.func)?;
        POOL_CLASSES.contains(&name.as_str()).then_some(name)
    }
}

struct WorkScan<'s, 'b> {
    builder: &'s Builder<'b>,
    /// Parameters that default to `False`: flags a caller sets to opt in.
    flags: &'s [String],
    /// How many `if <flag>:` bodies are around the current node.
    opt_in_depth: usize,
    facts: WorkDetails,
    arithmetic: bool,
    generator: bool,
    opaque: Option<TextRange>,
    /// Indices of the loops around the current node.
    open_loops: Vec<usize>,
    /// Locals holding a pool made here: name → indices in `facts.pools` (several when branches
    /// assign different pools to one name).
    pool_locals: HashMap<String, Vec<usize>>,
    /// Pools whose life ends here (a `with`, a shutdown).
    scoped: HashSet<usize>,
    /// Pools stored, returned or handed on.
    escaped: HashSet<usize>,
    ends: HashMap<usize, TextRange>,
    /// Pools whose end is a `with` block.
    with_ends: HashSet<usize>,
    /// Constructor calls whose context was already read.
    handled: HashSet<TextRange>,
    /// How many items each local holds, where its one assignment shows it (`None`: unknown).
    sizes: HashMap<String, Option<u64>>,
    /// Process maps whose iterable is a local: (index, name).
    pending_items: Vec<(usize, String)>,
    /// Futures submitted in a loop, by the local holding them: (submit call, spelling, the
    /// loop).
    pending_futures: HashMap<String, (TextRange, &'static str, usize)>,
}

impl WorkScan<'_, '_> {
    /// `flag` or `flag and ...`, with `flag` a parameter that defaults to `False`.
    fn is_opt_in_flag(&self, test: &Expr) -> bool {
        match test {
            Expr::Name(name) => self.flags.iter().any(|f| f == name.id.as_str()),
            Expr::BoolOp(op) if op.op == ast::BoolOp::And => {
                op.values.iter().any(|v| self.is_opt_in_flag(v))
            }
            _ => false,
        }
    }

    fn finish(mut self) -> (WorkDetails, bool, Option<TextRange>) {
        let exits = &self.facts.loop_exits;
        self.facts
            .submit_waits
            .retain(|w| !exits.iter().any(|exit| exit.contains_range(w.wait)));
        for (index, name) in std::mem::take(&mut self.pending_items) {
            self.facts.process_maps[index].items = self.sizes.get(&name).copied().flatten();
        }
        for (index, pool) in self.facts.pools.iter_mut().enumerate() {
            if pool.lifetime == PoolLifetime::Kept {
                continue;
            }
            pool.lifetime = if self.scoped.contains(&index) {
                pool.end = self.ends.get(&index).copied();
                pool.ends_with_block = self.with_ends.contains(&index);
                PoolLifetime::Scoped
            } else if self.escaped.contains(&index) {
                PoolLifetime::Kept
            } else {
                PoolLifetime::Leaked
            };
        }
        (self.facts, self.arithmetic, self.opaque)
    }

    /// Marks every loop around the current node as computing.
    fn computes(&mut self) {
        self.arithmetic = true;
        for &index in &self.open_loops {
            self.facts.loops[index].computes = true;
        }
    }

    fn in_loop<T>(
        &mut self,
        (range, once): (TextRange, Option<TextRange>),
        header: TextRange,
        small: bool,
        f: T,
    ) where
        T: FnOnce(&mut Self),
    {
        let index = self.facts.loops.len();
        self.facts.loops.push(LoopFact {
            range,
            once,
            header,
            computes: false,
            small,
        });
        self.open_loops.push(index);
        f(self);
        self.open_loops.pop();
    }

    /// Records the pool `call` makes with the given lifetime; returns its index.
    fn new_pool(&mut self, call: &Expr, class: String, lifetime: PoolLifetime) -> usize {
        self.handled.insert(call.range());
        let in_loop = self.open_loops.last().map(|&i| i as u32);
        self.facts.pools.push(PoolFact {
            class,
            range: call.range(),
            in_loop,
            lifetime,
            end: None,
            ends_with_block: false,
            serves_callers: false,
            opt_in: self.opt_in_depth > 0,
        });
        self.facts.pools.len() - 1
    }

    /// The constructor call of a pool, also inside `contextlib.closing(...)`.
    fn pool_constructor<'e>(&self, expr: &'e Expr) -> Option<(&'e Expr, String)> {
        if let Some(class) = self.builder.pool_class(expr) {
            return Some((expr, class));
        }
        let inner = self.closing_argument(expr)?;
        self.builder.pool_class(inner).map(|class| (inner, class))
    }

    /// `x` in `closing(x)`.
    fn closing_argument<'e>(&self, expr: &'e Expr) -> Option<&'e Expr> {
        let Expr::Call(call) = expr else {
            return None;
        };
        let spelled = match &*call.func {
            Expr::Name(name) => name.id.as_str(),
            Expr::Attribute(attribute) => attribute.attr.as_str(),
            _ => return None,
        };
        if spelled != "closing" {
            return None;
        }
        let name = self
            .builder
            .semantic
            .qualified_name(&self.builder.frame().scopes, &call.func)?;
        (name == "contextlib.closing")
            .then(|| call.arguments.args.first())
            .flatten()
    }

    /// The pools a name may hold, if it is a local holding ones made here.
    fn pool_of(&self, expr: &Expr) -> &[usize] {
        match expr {
            Expr::Name(name) if !self.pool_locals.is_empty() => self
                .pool_locals
                .get(name.id.as_str())
                .map_or(&[], Vec::as_slice),
            _ => &[],
        }
    }

    /// `name` now (also) holds pool `index`.
    fn bind_pool(&mut self, name: &str, index: usize) {
        self.pool_locals
            .entry(name.to_string())
            .or_default()
            .push(index);
    }

    fn mark(set: &mut HashSet<usize>, indices: &[usize]) {
        set.extend(indices.iter().copied());
    }

    /// Whether a local may be seen by other code: a global, a `nonlocal`, a closure cell.
    fn shared_name(&self, name: &str) -> bool {
        let frame = self.builder.frame();
        frame.declared_global.contains(name)
            || frame.captured.contains(name)
            || !frame.locals.contains(name)
            || frame.kind == super::FunctionKind::Module
    }

    fn assign(&mut self, assign: &ast::StmtAssign) {
        let value = &*assign.value;
        if let [target] = &*assign.targets {
            if let Some((call, class)) = self.pool_constructor(value) {
                match target {
                    Expr::Name(name) if !self.shared_name(name.id.as_str()) => {
                        let index = self.new_pool(call, class, PoolLifetime::Leaked);
                        self.bind_pool(name.id.as_str(), index);
                    }
                    _ => {
                        self.new_pool(call, class, PoolLifetime::Kept);
                    }
                }
                self.visit_expr(value);
                self.visit_target(target);
                return;
            }
            if let Expr::Name(name) = target {
                if !self.pending_futures.is_empty() {
                    self.pending_futures.remove(name.id.as_str());
                }
                if let (Some(&innermost), Some(spelling)) =
                    (self.open_loops.last(), self.submitted_task(value))
                {
                    let entry = (value.range(), spelling, innermost);
                    self.pending_futures.insert(name.id.to_string(), entry);
                }
                // Only locals with a known size matter; a second assignment forgets it.
                if let Some(known) = self.sizes.get_mut(name.id.as_str()) {
                    *known = None;
                } else if let Some(size) = size_of(value, &self.sizes) {
                    self.sizes.insert(name.id.to_string(), Some(size));
                }
            }
        }
        self.visit_expr(value);
        for target in &assign.targets {
            self.visit_target(target);
        }
    }

    fn visit_target(&mut self, target: &Expr) {
        match target {
            Expr::Subscript(subscript) => {
                self.computes();
                self.visit_expr(&subscript.value);
                self.visit_expr(&subscript.slice);
            }
            Expr::Attribute(attribute) => self.visit_expr(&attribute.value),
            Expr::Tuple(tuple) => tuple.elts.iter().for_each(|e| self.visit_target(e)),
            Expr::List(list) => list.elts.iter().for_each(|e| self.visit_target(e)),
            Expr::Starred(starred) => self.visit_target(&starred.value),
            _ => {}
        }
    }

    fn with(&mut self, with: &ast::StmtWith) {
        for item in &with.items {
            let context = &item.context_expr;
            if let Some((call, class)) = self.pool_constructor(context) {
                let index = self.new_pool(call, class, PoolLifetime::Scoped);
                self.scoped.insert(index);
                self.ends.insert(index, item.range());
                self.with_ends.insert(index);
                if let Some(Expr::Name(name)) = item.optional_vars.as_deref() {
                    self.bind_pool(name.id.as_str(), index);
                }
                if let Expr::Call(call) = call {
                    self.visit_arguments(&call.arguments);
                }
                continue;
            }
            let mut held = self.pool_of(context).to_vec();
            if held.is_empty() {
                if let Some(inner) = self.closing_argument(context) {
                    held = self.pool_of(inner).to_vec();
                }
            }
            if !held.is_empty() {
                for &index in &held {
                    self.scoped.insert(index);
                    if let std::collections::hash_map::Entry::Vacant(end) = self.ends.entry(index) {
                        end.insert(item.range());
                        self.with_ends.insert(index);
                    }
                    if let Some(Expr::Name(name)) = item.optional_vars.as_deref() {
                        self.bind_pool(name.id.as_str(), index);
                    }
                }
                continue;
            }
            self.visit_expr(context);
        }
        for stmt in &with.body {
            self.visit_stmt(stmt);
        }
    }

    /// Notes the pools `call` gives work its function's callers chose.
    fn note_caller_work(&mut self, call: &ast::ExprCall) {
        let mut serving = Vec::new();
        // `pool.map(func, ...)` with `func` a parameter (or `partial(func, ...)`).
        if let Expr::Attribute(attribute) = &*call.func {
            if TASK_METHODS.contains(&attribute.attr.as_str()) {
                let held = self.pool_of(&attribute.value);
                if !held.is_empty()
                    && call
                        .arguments
                        .args
                        .first()
                        .is_some_and(|first| self.is_callable_parameter(first))
                {
                    serving.extend_from_slice(held);
                }
            }
        }
        // `run(pool.apply_async, ...)`: the pool's submit method handed on.
        for arg in call.arguments.args.iter() {
            if let Expr::Attribute(attribute) = arg {
                if TASK_METHODS.contains(&attribute.attr.as_str()) {
                    serving.extend_from_slice(self.pool_of(&attribute.value));
                }
            }
        }
        for index in serving {
            self.facts.pools[index].serves_callers = true;
        }
    }

    /// A parameter of the function (not reassigned), or `partial(parameter, ...)`.
    fn is_callable_parameter(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Name(name) => {
                let frame = self.builder.frame();
                frame.params.iter().any(|p| p == name.id.as_str())
                    && !frame.reassigned.contains(name.id.as_str())
            }
            Expr::Call(call) => {
                let partial = self
                    .builder
                    .semantic
                    .qualified_name(&self.builder.frame().scopes, &call.func)
                    .is_some_and(|q| q == "functools.partial");
                partial
                    && call
                        .arguments
                        .args
                        .first()
                        .is_some_and(|first| self.is_callable_parameter(first))
            }
            _ => false,
        }
    }

    fn call(&mut self, call: &ast::ExprCall, expr: &Expr) {
        self.note_caller_work(call);
        // A pool made and used in one expression (`Pool().map(f, xs)`) is never shut down; one
        // handed to a call (`stack.enter_context(Pool())`) lives on there.
        // `atexit.register(pool.terminate)`, `self.addCleanup(pool.close)`: the closing is
        // handed to code that runs it later.
        for argument in call.arguments.args.iter() {
            if let Expr::Attribute(method) = argument {
                if matches!(method.attr.as_str(), "shutdown" | "close" | "terminate") {
                    for index in self.pool_of(&method.value).to_vec() {
                        self.scoped.insert(index);
                        self.ends.entry(index).or_insert(call.range());
                    }
                }
            }
        }
        if let Expr::Attribute(attribute) = &*call.func {
            if let Some(class) = self.builder.pool_class(&attribute.value) {
                if !self.handled.contains(&attribute.value.range()) {
                    self.new_pool(&attribute.value, class, PoolLifetime::Leaked);
                }
            }
            self.process_map(call, attribute);
            if MAP_METHODS.contains(&attribute.attr.as_str()) && self.is_pool(&attribute.value) {
                self.facts.map_calls.push(call.range());
            }
            self.submit_wait(call, attribute);
            let held = self.pool_of(&attribute.value).to_vec();
            if !held.is_empty() {
                if matches!(
                    attribute.attr.as_str(),
                    "shutdown" | "close" | "terminate" | "join"
                ) {
                    for index in held {
                        self.scoped.insert(index);
                        self.ends.entry(index).or_insert(call.range());
                    }
                }
            } else if crate::catalogue::builtin_method(attribute.attr.as_str()).is_some() {
                self.computes();
            }
        } else if let Expr::Name(name) = &*call.func {
            if is_pure_builtin(name.id.as_str())
                && self
                    .builder
                    .semantic
                    .binding(&self.builder.frame().scopes, name.id.as_str())
                    .is_none()
            {
                self.computes();
            }
        }
        if let Some(class) = self.builder.pool_class(expr) {
            if !self.handled.contains(&expr.range()) {
                self.new_pool(expr, class, PoolLifetime::Kept);
            }
        }
        // Arguments that are pool locals are handed on.
        for arg in call.arguments.args.iter() {
            let held = self.pool_of(arg).to_vec();
            Self::mark(&mut self.escaped, &held);
        }
        for keyword in call.arguments.keywords.iter() {
            let held = self.pool_of(&keyword.value).to_vec();
            Self::mark(&mut self.escaped, &held);
        }
        match &*call.func {
            Expr::Attribute(attribute) if matches!(&*attribute.value, Expr::Name(_)) => {}
            func => self.visit_expr(func),
        }
        for arg in call.arguments.args.iter() {
            if !matches!(arg, Expr::Name(_)) {
                self.visit_expr(arg);
            }
        }
        for keyword in call.arguments.keywords.iter() {
            if !matches!(keyword.value, Expr::Name(_)) {
                self.visit_expr(&keyword.value);
            }
        }
    }

    /// Iterating an attribute of an object (`for chunk in self.stream`) runs that object's
    /// `__iter__`: a file or a socket reads as it goes. Unless the attribute is known to hold a
    /// builtin container, what the iteration does is unknown.
    fn note_iteration(&mut self, iterable: &Expr) {
        let Expr::Attribute(attribute) = iterable else {
            return;
        };
        let builder = self.builder;
        let own_container = builder.is_receiver(&attribute.value)
            && builder.frame().class.as_ref().is_some_and(|class| {
                builder.classes.iter().any(|c| {
                    &c.qualname == class
                        && c.attr_kinds.iter().any(|(name, kind)| {
                            name == attribute.attr.as_str()
                                && !matches!(
                                    kind,
                                    super::ContainerKind::Synchronized
                                        | super::ContainerKind::ThreadLocal
                                )
                        })
                })
            });
        if !own_container {
            self.opaque.get_or_insert(iterable.range());
        }
    }

    /// Whether `expr` is a pool or executor: one made here, one whose type is known, or one whose
    /// name says so (`self._executor`, `pool`).
    fn is_pool(&self, expr: &Expr) -> bool {
        if !self.pool_of(expr).is_empty() {
            return true;
        }
        if let Some(ty) = self.builder.type_of(expr) {
            return POOL_CLASSES.contains(&ty.as_str());
        }
        let name = match expr {
            Expr::Name(name) => name.id.as_str(),
            Expr::Attribute(attribute) => attribute.attr.as_str(),
            _ => return false,
        };
        let name = name.to_ascii_lowercase();
        name.contains("executor") || name.ends_with("pool")
    }

    /// `executor.submit(...)` / `pool.apply_async(...)`: how the code spells it.
    fn submitted_task(&self, expr: &Expr) -> Option<&'static str> {
        let Expr::Call(call) = expr else {
            return None;
        };
        let Expr::Attribute(attribute) = &*call.func else {
            return None;
        };
        let spelling = match attribute.attr.as_str() {
            "submit" => "submit(...).result()",
            "apply_async" => "apply_async(...).get()",
            _ => return None,
        };
        self.is_pool(&attribute.value).then_some(spelling)
    }

    /// A wait on a task submitted in the same loop pass, or `pool.apply(...)` in a loop.
    fn submit_wait(&mut self, call: &ast::ExprCall, attribute: &ast::ExprAttribute) {
        let Some(&innermost) = self.open_loops.last() else {
            return;
        };
        let header = self.facts.loops[innermost].header;
        if self.facts.loops[innermost].small {
            return;
        }
        let method = attribute.attr.as_str();
        let waits = call.arguments.args.is_empty() && call.arguments.keywords.is_empty();
        let found = match (method, &*attribute.value) {
            ("result" | "get", Expr::Call(_)) if waits => self
                .submitted_task(&attribute.value)
                .map(|spelling| (attribute.value.range(), spelling)),
            ("result" | "get", Expr::Name(name)) if waits => self
                .pending_futures
                .get(name.id.as_str())
                .filter(|(_, _, in_loop)| *in_loop == innermost)
                .map(|(submit, spelling, _)| (*submit, *spelling)),
            ("apply", value) if self.is_pool(value) => Some((call.range(), "apply(...)")),
            _ => None,
        };
        if let Some((submit, spelling)) = found {
            self.facts.submit_waits.push(SubmitWait {
                submit,
                wait: call.range(),
                header,
                spelling: spelling.to_string(),
            });
        }
    }

    /// `pool.map(f, items)` on a process pool.
    fn process_map(&mut self, call: &ast::ExprCall, attribute: &ast::ExprAttribute) {
        let method = attribute.attr.as_str();
        if !MAP_METHODS.contains(&method) {
            return;
        }
        let class = self
            .pool_of(&attribute.value)
            .first()
            .map(|&i| self.facts.pools[i].class.clone())
            .or_else(|| self.builder.type_of(&attribute.value));
        let Some(class) = class.filter(|c| is_process_pool(c)) else {
            return;
        };
        let args = &call.arguments.args;
        let (Some(function), Some(iterable)) = (args.first(), args.get(1)) else {
            return;
        };
        let chunksize = call
            .arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "chunksize"))
            .map(|k| &k.value)
            .or_else(|| {
                // `Pool.map(func, iterable, chunksize)`; the executor's extra positionals are
                // more iterables.
                (class == "multiprocessing.Pool")
                    .then(|| args.get(2))
                    .flatten()
            });
        let chunk_of_one = match chunksize {
            Some(value) => constant_int(value) == Some(1),
            None => defaults_to_one_item(&class, method),
        };
        let items = size_of(iterable, &self.sizes);
        let index = self.facts.process_maps.len();
        if items.is_none() {
            if let Expr::Name(name) = iterable {
                self.pending_items.push((index, name.id.to_string()));
            }
        }
        let short = class.rsplit('.').next().unwrap_or(&class);
        self.facts.process_maps.push(ProcessMapFact {
            method: format!("{short}.{method}"),
            range: call.range(),
            target: self.builder.callee_of(function),
            chunk_of_one,
            items,
            iterable: iterable.range(),
        });
    }

    fn visit_arguments(&mut self, arguments: &ast::Arguments) {
        for arg in arguments.args.iter() {
            self.visit_expr(arg);
        }
        for keyword in arguments.keywords.iter() {
            self.visit_expr(&keyword.value);
        }
    }
}

impl<'e> Visitor<'e> for WorkScan<'_, '_> {
    fn visit_stmt(&mut self, stmt: &'e Stmt) {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::For(node) => {
                self.note_iteration(&node.iter);
                self.visit_expr(&node.iter);
                let header = TextRange::new(node.range().start(), node.iter.range().end());
                let small = is_small_iterable(&node.iter, &self.sizes);
                let parts = (node.range(), Some(node.iter.range()));
                self.in_loop(parts, header, small, |scan| {
                    for stmt in &node.body {
                        scan.visit_stmt(stmt);
                    }
                });
                for stmt in &node.orelse {
                    self.visit_stmt(stmt);
                }
            }
            Stmt::While(node) => {
                self.visit_expr(&node.test);
                let header = TextRange::new(node.range().start(), node.test.range().end());
                self.in_loop((node.range(), None), header, false, |scan| {
                    for stmt in &node.body {
                        scan.visit_stmt(stmt);
                    }
                });
                for stmt in &node.orelse {
                    self.visit_stmt(stmt);
                }
            }
            Stmt::If(node) if self.is_opt_in_flag(&node.test) => {
                self.visit_expr(&node.test);
                self.opt_in_depth += 1;
                for stmt in &node.body {
                    self.visit_stmt(stmt);
                }
                self.opt_in_depth -= 1;
                for clause in &node.elif_else_clauses {
                    if let Some(test) = &clause.test {
                        self.visit_expr(test);
                    }
                    for stmt in &clause.body {
                        self.visit_stmt(stmt);
                    }
                }
            }
            Stmt::With(node) => self.with(node),
            Stmt::Assign(assign) => self.assign(assign),
            Stmt::AugAssign(node) => {
                self.computes();
                self.visit_expr(&node.value);
                self.visit_target(&node.target);
            }
            Stmt::Return(node) => {
                if !self.open_loops.is_empty() {
                    self.facts.loop_exits.push(node.range());
                }
                if let Some(value) = node.value.as_deref() {
                    let held = self.pool_of(value).to_vec();
                    if !held.is_empty() {
                        Self::mark(&mut self.escaped, &held);
                    } else {
                        if let Some((call, class)) = self.pool_constructor(value) {
                            self.new_pool(call, class, PoolLifetime::Kept);
                        }
                        self.visit_expr(value);
                    }
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        })
    }

    fn visit_expr(&mut self, expr: &'e Expr) {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || match expr {
            Expr::Lambda(_) => {}
            Expr::Yield(_) | Expr::YieldFrom(_) => {
                self.generator = true;
                visitor::walk_expr(self, expr);
            }
            Expr::Call(call) => self.call(call, expr),
            Expr::BinOp(_) | Expr::FString(_) => {
                self.computes();
                visitor::walk_expr(self, expr);
            }
            Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) | Expr::Generator(_) => {
                let generators = match expr {
                    Expr::ListComp(c) => &c.generators,
                    Expr::SetComp(c) => &c.generators,
                    Expr::DictComp(c) => &c.generators,
                    Expr::Generator(c) => &c.generators,
                    _ => return,
                };
                for generator in generators {
                    self.note_iteration(&generator.iter);
                }
                let small = generators
                    .iter()
                    .all(|g| is_small_iterable(&g.iter, &self.sizes));
                let parts = (expr.range(), generators.first().map(|g| g.iter.range()));
                // Building the result is container work, unless each element is what a call
                // returns (`[pool.submit(f, x) for x in xs]`): then the call's work decides.
                let element_is_call = match expr {
                    Expr::ListComp(c) => c.elt.is_call_expr(),
                    Expr::SetComp(c) => c.elt.is_call_expr(),
                    Expr::Generator(c) => c.elt.is_call_expr(),
                    _ => false,
                };
                self.in_loop(parts, expr.range(), small, |scan| {
                    if !element_is_call {
                        scan.computes();
                    }
                    visitor::walk_expr(scan, expr);
                });
            }
            Expr::Attribute(attribute) if matches!(&*attribute.value, Expr::Name(_)) => {}
            Expr::Name(name) if name.ctx.is_load() && !self.pool_locals.is_empty() => {
                if let Some(held) = self.pool_locals.get(name.id.as_str()) {
                    self.escaped.extend(held.iter().copied());
                }
            }
            Expr::Compare(compare) => {
                for operand in std::iter::once(&*compare.left).chain(compare.comparators.iter()) {
                    if !matches!(operand, Expr::Name(_)) {
                        self.visit_expr(operand);
                    }
                }
            }
            _ => visitor::walk_expr(self, expr),
        })
    }
}

/// A non-negative integer constant: `1000`, `10**6`, `1_000 * 1_000`.
pub fn constant_int(expr: &Expr) -> Option<u64> {
    match expr {
        Expr::NumberLiteral(number) => match &number.value {
            ast::Number::Int(int) => int.as_u64(),
            _ => None,
        },
        Expr::BinOp(node) => {
            let left = constant_int(&node.left)?;
            let right = constant_int(&node.right)?;
            match node.op {
                ast::Operator::Add => left.checked_add(right),
                ast::Operator::Sub => left.checked_sub(right),
                ast::Operator::Mult => left.checked_mul(right),
                ast::Operator::FloorDiv => left.checked_div(right),
                ast::Operator::Pow => left.checked_pow(u32::try_from(right).ok()?),
                _ => None,
            }
        }
        _ => None,
    }
}

/// How many items iterating `expr` yields, where the code shows it: `range(n)` with a constant
/// `n`, a literal collection, `list(...)`/`tuple(...)`/`enumerate(...)` of one, a comprehension
/// over one, a local assigned one.
fn size_of(expr: &Expr, sizes: &HashMap<String, Option<u64>>) -> Option<u64> {
    match expr {
        Expr::List(list) => Some(list.elts.len() as u64),
        Expr::Tuple(tuple) => Some(tuple.elts.len() as u64),
        Expr::Set(set) => Some(set.elts.len() as u64),
        Expr::StringLiteral(string) => Some(string.value.to_str().chars().count() as u64),
        Expr::Name(name) => sizes.get(name.id.as_str()).copied().flatten(),
        Expr::Call(call) => {
            let Expr::Name(func) = &*call.func else {
                return None;
            };
            let args = &call.arguments.args;
            match (func.id.as_str(), &args[..]) {
                ("range", [stop]) => constant_int(stop),
                ("range", [start, stop, ..]) => {
                    let (start, stop) = (constant_int(start)?, constant_int(stop)?);
                    let step = args.get(2).map_or(Some(1), constant_int)?.max(1);
                    Some(stop.saturating_sub(start).div_ceil(step))
                }
                ("list" | "tuple" | "enumerate" | "reversed" | "sorted", [inner]) => {
                    size_of(inner, sizes)
                }
                _ => None,
            }
        }
        Expr::ListComp(comp) if comp.generators.len() == 1 && comp.generators[0].ifs.is_empty() => {
            size_of(&comp.generators[0].iter, sizes)
        }
        Expr::Generator(comp)
            if comp.generators.len() == 1 && comp.generators[0].ifs.is_empty() =>
        {
            size_of(&comp.generators[0].iter, sizes)
        }
        _ => None,
    }
}

/// Whether a loop over `expr` runs a few times at most.
fn is_small_iterable(expr: &Expr, sizes: &HashMap<String, Option<u64>>) -> bool {
    match expr {
        // A literal or a local assigned one: what the code lists is all there is.
        Expr::List(_)
        | Expr::Tuple(_)
        | Expr::Set(_)
        | Expr::StringLiteral(_)
        | Expr::Name(_)
        | Expr::Call(_) => size_of(expr, sizes).is_some_and(|n| n <= SMALL_LOOP),
        Expr::Dict(dict) => dict.items.len() as u64 <= SMALL_LOOP,
        _ => false,
    }
}

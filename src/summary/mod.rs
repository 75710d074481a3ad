//! Per-file concurrency summaries, built in the parallel per-file phase; the AST is dropped after.
//!
//! For each function, method, lambda and the module body, a [`FunctionSummary`] records what the
//! project phase needs and nothing more: the calls it makes (callee resolved as far as one file
//! allows, the receiver's provenance, the arguments that are shared state or callables, the locks
//! held), its accesses to shared locations with their kind and held locks, the check-then-act
//! pairs it contains, the threads and processes it spawns (with where they start and are joined),
//! its hand-off points (`Event.set`/`wait`, `Queue.put`/`get`), and what it does to its own
//! parameters. Locations and callees are named by qualified strings; the project phase links them.
//!
//! The builder is split by what it records:
//! - [`builder`]: the walk and the per-function state;
//! - [`scope`]: which names are locals, closure cells and objects the function owns;
//! - [`locations`]: which shared location an expression names;
//! - [`effects`]: what an access does (container methods, read-modify-write, atomic steps);
//! - [`calls`]: what a call refers to, its receiver and its arguments;
//! - [`spawns`]: where threads and processes start, and where they are joined;
//! - [`locks`]: which expressions are thread locks, and which are something else;
//! - [`sync`]: hand-off points that order two threads' accesses;
//! - [`futures`]: futures and result iterators dropped, tasks that wait on their own pool;
//! - [`asyncio`]: calls only an event loop's thread may make, blocking calls, loops run, and
//!   callbacks handed to loops and futures;
//! - [`thread_api`]: signatures, spawn arguments and guarded starts, for the thread-API rules.
//! - [`acquisitions`]: what the lock rules need: each lock taken with the locks held there,
//!   condition waits and notifies, blocking calls, calls of callables from outside, polling loops.
//! - [`work`]: what the function spends its time on (loops that compute, calls nothing can name,
//!   the pools it creates), for the effect inference and the GIL rules.
//! - [`processes`]: what goes to processes (and is pickled), where they start and with which
//!   start method, queues joined before they are read, shared `Value` updates.

mod acquisitions;
pub mod asyncio;
mod builder;
mod calls;
mod effects;
pub mod futures;
mod locations;
mod locks;
pub mod processes;
mod scope;
mod spawns;
mod sync;
pub mod thread_api;
pub mod work;

use serde::Serialize;

use crate::python::TextRange;
use crate::source::FileId;

pub use acquisitions::acquire_blocks;
pub use acquisitions::{
    Acquisition, BlockingCall, CallbackSource, ConditionOp, ForeignCall, LockFacts, Pause, PollLoop,
};
pub use builder::summarize;
pub use locks::{is_thread_lock_type, lock_like_name, ConditionLock, LockKind};
pub use scope::target_names as scope_target_names;
pub use work::{
    CallEffect, LoopFact, PoolFact, PoolLifetime, ProcessMapFact, WorkDetails, WorkFacts,
};

/// An abstract shared location.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Loc {
    /// A module-level variable: `pkg.mod.name` (also when reached from another module).
    Global { name: String },
    /// An attribute of a class or of its instances: `self.x`, `cls.x` and `C.x` in class `C`.
    Attr { class: String, name: String },
    /// A variable of `function` captured by a nested function (`nonlocal`, captured containers).
    /// Each call of `function` has its own.
    Cell { function: String, name: String },
}

impl Loc {
    /// How a message names the location: `Cache._data`, `counter`, `hits`.
    pub fn display(&self) -> String {
        match self {
            Loc::Global { name } => name.rsplit('.').next().unwrap_or(name).to_string(),
            Loc::Attr { class, name } => {
                format!("{}.{name}", class.rsplit('.').next().unwrap_or(class))
            }
            Loc::Cell { name, .. } => name.clone(),
        }
    }
}

/// What an access does to its location. "Contents" kinds act on the container the location holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessKind {
    /// Reads the binding (`self.x`, `x`).
    Read,
    /// Reads it in a condition (`if self.x is None`, `if k in d`, `hasattr(self, "x")`).
    Check,
    /// Rebinds it (`self.x = v`, `global x; x = v`, `del self.x`).
    Write,
    /// Reads, computes and writes back (`x += 1`, `self.n = self.n + 1`).
    ReadModifyWrite,
    /// Reads an element (`d[k]`, `d.get(k)`, `k in d`).
    ContentRead,
    /// Iterates the container (`for x in d`, `sum(d)`, `d.items()`).
    Iterate,
    /// Changes the container (`d[k] = v`, `del d[k]`, `lst.append(x)`, `s.add(x)`, `d.clear()`).
    Mutate,
    /// Reads, computes and writes back an element (`d[k] += 1`, `d[k] = d.get(k, 0) + 1`).
    ContentReadModifyWrite,
}

impl AccessKind {
    /// Whether the access changes the location or its contents.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            AccessKind::Write
                | AccessKind::ReadModifyWrite
                | AccessKind::Mutate
                | AccessKind::ContentReadModifyWrite
        )
    }

    /// Whether the access is about the container's contents rather than the binding.
    pub fn on_contents(self) -> bool {
        matches!(
            self,
            AccessKind::ContentRead
                | AccessKind::Iterate
                | AccessKind::Mutate
                | AccessKind::ContentReadModifyWrite
        )
    }
}

/// What a location holds, where its assignments show it: what iterating it while another thread
/// changes it does, and whether it is shared at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerKind {
    /// `dict`, `OrderedDict`, `defaultdict`, `WeakValueDictionary`...: iteration fails on resize.
    Dict,
    /// `set`, `WeakSet`: iteration fails on resize.
    Set,
    /// `deque`: iteration fails on any change.
    Deque,
    /// `list`: iteration skips or repeats elements, it does not fail.
    List,
    /// `threading.local()`: each thread sees its own attributes; never shared.
    ThreadLocal,
    /// A thread-safe object (`queue.Queue`, `threading.Event`...): its methods synchronize.
    Synchronized,
}

/// A lock, named by the location that holds it (`Loc::Attr { C, _lock }`, `Loc::Global`), by a
/// getter method that returns one (`cls.get_lock()`), by a parameter of the function (a lock passed
/// in), or by an attribute of the wrapped method's receiver (in a locking decorator's wrapper).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LockRef {
    At { loc: Loc },
    Getter { class: String, method: String },
    Param { index: u32 },
    OfReceiver { name: String },
}

/// One access to a shared location.
#[derive(Debug, Clone, Serialize)]
pub struct Access {
    pub loc: Loc,
    pub kind: AccessKind,
    #[serde(skip)]
    pub range: TextRange,
    /// Locks held here, taken in this function.
    pub held: Vec<LockRef>,
    /// Made through `self` (so owned while the object is being constructed).
    pub via_self: bool,
    /// One step under the GIL, or harmless to repeat: a call CPython performs atomically on the
    /// builtin containers (`lst.append(x)`, `s.add(x)`, `dq.popleft()`, `d.clear()`), `del d[k]`
    /// with the `KeyError` handled, an idempotent lazy default (`x = x or make()`).
    pub atomic: bool,
    /// An augmented assignment (`x += y`): on a list, set, dict or bytearray the operator works
    /// in place, one step under the GIL, and stores the same object back.
    pub in_place: bool,
    /// A subscript store (`d[k] = v`): one step on a builtin dict or list.
    pub item: bool,
    /// It removes or inserts elements before the end (`lst.remove(x)`, `lst.insert(0, x)`,
    /// `del lst[i]`): a list iterated meanwhile skips or repeats elements.
    pub shifts: bool,
    /// The write stores a literal (`self._closed = True`): a flag.
    pub constant: bool,
    /// Flags tested by an enclosing `if` or an earlier `if ...: return` that guard this access,
    /// with the lock held at the test and still held here, if any (`with lock: if
    /// self._shutdown: raise ...; self._threads.add(t)`, `if not self.ready: raise ...`).
    pub guards: Vec<(Loc, Option<LockRef>)>,
}

/// A test of shared state followed by an update that depends on it.
#[derive(Debug, Clone, Serialize)]
pub struct CheckAct {
    pub loc: Loc,
    #[serde(skip)]
    pub check: TextRange,
    #[serde(skip)]
    pub act: TextRange,
    pub act_kind: AccessKind,
    /// Locks held at the check.
    pub held_at_check: Vec<LockRef>,
    /// Locks held at the update.
    pub held_at_act: Vec<LockRef>,
    /// The update is made through `self`.
    pub via_self: bool,
    /// The update stores a literal (`self.alive = False`): repeating it is harmless.
    pub act_is_constant: bool,
    /// The update stores a newly constructed object (`cls._instance = Registry()`): a lazily
    /// created object, of which two threads can each make one. The class's qualified name, or
    /// `<own class>` for `cls()`.
    pub creates: Option<String>,
    /// The test ends its block in a `return`/`raise`/`continue` (`if url in seen: return`): what
    /// follows runs once per passed test.
    pub check_exits: bool,
    /// The test is `x is None`, `not x` or `hasattr(...)`: a lazy initialization.
    pub lazy_init: bool,
}

/// What a call or a thread target refers to, as far as one file can tell.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Callee {
    /// A function or class by qualified name (`pkg.mod.f`, `pkg.mod.C` for a constructor,
    /// `pkg.mod.f.<locals>.g` for a nested function, `pkg.mod.f.<lambda@12>` for a lambda).
    Name { name: String },
    /// Method `name` looked up on class `class` (and overridden in its subclasses when `virtual`).
    /// Where the class has no such method, an attribute holding a callable (`self.function =
    /// function` in the constructor, `factory = make` in the class body).
    Method {
        class: String,
        name: String,
        #[serde(rename = "virtual")]
        is_virtual: bool,
    },
    /// `super().name()` inside class `class`.
    Super { class: String, name: String },
    /// What calling `factory` returns (`Thread(target=make_worker(items))`).
    Returned { factory: Box<Callee> },
    /// Anything else.
    Unknown,
}

/// Where the object a method is called on comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Receiver {
    /// A plain function or a constructor.
    None,
    /// `self.m()`, `cls.m()`, `super().m()`: the caller's own object.
    Own,
    /// `self.<attr>.m()`: an object the caller's own object holds.
    OwnAttr { name: String },
    /// A local holding an object this function constructed and kept to itself.
    Owned,
    /// A local assigned the result of a call to `callee` and kept to itself: owned when the
    /// callee returns a fresh object.
    ResultOf { callee: Callee },
    /// A parameter of this function: owned when every caller passes an object it owns.
    Param { index: u32 },
    /// Anything else.
    Other,
}

/// Where an argument's object comes from, for deciding whether the callee owns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ArgSource {
    /// A local this function constructed and kept to itself.
    Owned,
    /// This function's own parameter.
    Param { index: u32 },
    /// The function's own receiver (`self`).
    OwnSelf,
    /// An attribute of the receiver (`self.buffer`).
    OwnAttr { name: String },
}

/// An argument worth following into the callee: shared state, a callable, or an object whose
/// ownership passes on.
#[derive(Debug, Clone, Serialize)]
pub struct Arg {
    /// The parameter it binds: a position (0 is the first argument after any receiver) or a name.
    pub position: Option<u32>,
    pub keyword: Option<String>,
    /// The shared location passed (`self._stats`, a global), for helpers that change their
    /// parameter and for locks passed in.
    pub loc: Option<Loc>,
    /// The function passed (`Worker(function=handle)`), for callables stored and called later.
    pub callable: Option<Callee>,
    /// Where the object comes from, when ownership can pass on.
    pub source: Option<ArgSource>,
}

/// One call site.
#[derive(Debug, Clone, Serialize)]
pub struct CallSite {
    pub callee: Callee,
    #[serde(skip)]
    pub range: TextRange,
    /// Locks held at the call, taken in this function.
    pub held: Vec<LockRef>,
    pub receiver: Receiver,
    /// The call is in a loop or comprehension (a constructor of a thread class called many times).
    pub in_loop: bool,
    pub args: Vec<Arg>,
}

/// How a concurrency root is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpawnKind {
    Thread,
    /// `.start()` on an object of a class that may derive from `threading.Thread` (decided when
    /// the project's class hierarchy is known).
    ThreadSubclass,
    Timer,
    StartNewThread,
    ThreadPool,
    RunInExecutor,
    ToThread,
    DoneCallback,
    ThreadingServer,
    Process,
    ProcessPool,
}

impl SpawnKind {
    /// Processes share no memory with their parent: their roots never race with threads.
    pub fn is_process(self) -> bool {
        matches!(self, SpawnKind::Process | SpawnKind::ProcessPool)
    }

    pub fn describe(self) -> &'static str {
        match self {
            SpawnKind::Thread | SpawnKind::ThreadSubclass | SpawnKind::StartNewThread => "thread",
            SpawnKind::Timer => "timer thread",
            SpawnKind::ThreadPool => "thread-pool task",
            SpawnKind::RunInExecutor => "executor task",
            SpawnKind::ToThread => "`asyncio.to_thread` task",
            SpawnKind::DoneCallback => "future callback",
            SpawnKind::ThreadingServer => "request-handler thread",
            SpawnKind::Process => "process",
            SpawnKind::ProcessPool => "process-pool task",
        }
    }
}

/// Whether and where a spawned thread starts running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Start {
    /// Here (the `.start()` call, or the submit itself for pools and executors).
    At {
        #[serde(skip)]
        range: TextRange,
    },
    /// Somewhere this function cannot see: the thread object is stored or handed on.
    Elsewhere,
    /// Never: a local thread object that is neither started nor handed on.
    Never,
}

/// A place that starts code on another thread or process.
#[derive(Debug, Clone, Serialize)]
pub struct Spawn {
    pub kind: SpawnKind,
    pub target: Callee,
    /// Started many times (a loop, a comprehension, a pool, a server), so it races with itself.
    pub many: bool,
    /// The target is a method of another object made for this thread (`Thread(target=w.run)`
    /// with `w` made in this very loop pass), or the thread object itself: that object's
    /// attributes are the thread's own.
    pub on_other_object: bool,
    #[serde(skip)]
    pub range: TextRange,
    pub start: Start,
    /// From here to `until`, the spawning function runs beside the new thread: the start, or the
    /// top of the loop the start is in (a later pass runs after an earlier start).
    #[serde(skip)]
    pub beside_from: u32,
    /// Where the spawning function stops running beside it: the `join()`, the end of the
    /// `with` block of the pool, the `result()` of the future. `None`: the end of the function.
    #[serde(skip)]
    pub beside_until: Option<u32>,
}

/// A hand-off between threads on one shared object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncKind {
    /// `event.set()`, `queue.put(x)`, `cond.notify()`: what came before is published.
    Signal,
    /// `event.wait()`, `queue.get()`, `cond.wait()`: what comes after sees it.
    Wait,
}

/// A hand-off point in a function.
#[derive(Debug, Clone, Serialize)]
pub struct SyncPoint {
    pub kind: SyncKind,
    pub on: Loc,
    #[serde(skip)]
    pub range: TextRange,
}

/// How a function is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionKind {
    Module,
    Function,
    Method,
    ClassMethod,
    StaticMethod,
    Lambda,
}

/// The summary of one function, method, lambda or module body.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionSummary {
    pub qualname: String,
    pub name: String,
    /// The class whose method this is (also for functions nested in a method that use its `self`).
    pub class: Option<String>,
    pub kind: FunctionKind,
    pub is_async: bool,
    #[serde(skip)]
    pub range: TextRange,
    /// Parameter names, in order (`self` included for methods).
    pub params: Vec<String>,
    /// The decorators, as callees (`@synchronized`, `@functools.lru_cache`).
    pub decorators: Vec<Callee>,
    pub calls: Vec<CallSite>,
    pub accesses: Vec<Access>,
    pub check_acts: Vec<CheckAct>,
    pub spawns: Vec<Spawn>,
    pub syncs: Vec<SyncPoint>,
    /// What the function does to the containers its parameters hold: (parameter index, kind).
    pub param_effects: Vec<(u32, AccessKind)>,
    /// `signal.signal(...)` calls not inside a `try` that handles `ValueError`.
    #[serde(skip)]
    pub signal_calls: Vec<TextRange>,
    /// `return self.<attr>` / `return cls.<attr>`: a getter (used to name locks taken through it).
    pub returns_attr: Option<String>,
    /// The callable it returns (a nested function, a lambda, a name): a factory.
    pub returns_callable: Option<Callee>,
    /// It returns an object it constructed and kept to itself.
    pub returns_fresh: bool,
    /// In a wrapper: the lock held around the call of the wrapped function (a parameter of the
    /// enclosing decorator): the decorated function runs under it.
    pub wraps_under: Option<LockRef>,
    /// The docstring says the function is not thread-safe or runs on the event loop only.
    pub not_thread_safe: bool,
    /// A `@property` (or `@cached_property`) getter: read as an attribute.
    pub property: bool,
    /// The docstring says this is the class's only thread-safe method.
    pub sole_thread_safe: bool,
    /// The function raises unless a flag says so (`def check_ready(self): if not self.ready:
    /// raise ...`): what its callers do after calling it is guarded by that flag.
    pub raises_unless: Option<Loc>,
    /// Futures dropped, pool tasks waited for ([`futures`]); `None` when there are none (most
    /// functions), read through [`FunctionSummary::futures`].
    futures: Option<Box<futures::FutureFacts>>,
    /// Event-loop calls, blocking calls, loops run, callbacks ([`asyncio`]); read through
    /// [`FunctionSummary::asyncio`].
    asyncio: Option<Box<asyncio::AsyncFacts>>,
    /// What the thread-API project rules need: signature, spawn arguments, guarded starts.
    #[serde(skip)]
    pub thread_api: thread_api::ThreadApiFacts,
    /// What the lock rules need: locks taken, condition operations, blocking calls, callbacks.
    pub locking: LockFacts,
    /// What its own code spends its time on: loops, unknown calls, pools (see [`work`]).
    pub work: WorkFacts,
    /// What it does with processes (the SN5xx rules), when it does anything: most functions do
    /// not, and the facts stay out of memory for them ([`FunctionSummary::processes`]).
    #[serde(skip)]
    pub process_facts: Option<Box<processes::ProcessFacts>>,
}

/// The facts of a function that does nothing with processes.
static NO_PROCESS_FACTS: std::sync::LazyLock<processes::ProcessFacts> =
    std::sync::LazyLock::new(processes::ProcessFacts::default);

impl FunctionSummary {
    /// What the function does with processes.
    pub fn processes(&self) -> &processes::ProcessFacts {
        self.process_facts.as_deref().unwrap_or(&NO_PROCESS_FACTS)
    }

    /// A summary with nothing recorded yet.
    pub fn new(
        qualname: String,
        name: String,
        class: Option<String>,
        kind: FunctionKind,
        is_async: bool,
        range: TextRange,
    ) -> Self {
        Self {
            qualname,
            name,
            class,
            kind,
            is_async,
            range,
            params: Vec::new(),
            decorators: Vec::new(),
            calls: Vec::new(),
            accesses: Vec::new(),
            check_acts: Vec::new(),
            spawns: Vec::new(),
            syncs: Vec::new(),
            param_effects: Vec::new(),
            signal_calls: Vec::new(),
            returns_attr: None,
            returns_callable: None,
            returns_fresh: false,
            wraps_under: None,
            raises_unless: None,
            not_thread_safe: false,
            property: false,
            sole_thread_safe: false,
            futures: None,
            asyncio: None,
            thread_api: thread_api::ThreadApiFacts::default(),
            locking: LockFacts::default(),
            work: WorkFacts::default(),
            process_facts: None,
        }
    }
}

/// The summary of one class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassSummary {
    pub qualname: String,
    pub bases: Vec<String>,
    #[serde(skip)]
    pub range: TextRange,
    /// The class header (`class Cache(Base):`), for reports that point at the class.
    #[serde(skip)]
    pub header: TextRange,
    /// Method name → index in [`ModuleSummary::functions`].
    pub methods: Vec<(String, u32)>,
    /// Attributes assigned anywhere (`self.x = `, `cls.x = `, class body).
    pub assigned: Vec<String>,
    /// Attributes written through the class (`cls.x = `, `C.x = `): they live on the class.
    pub class_attrs: Vec<String>,
    /// Attributes given a value in the class body (often only a default for instances).
    pub body_attrs: Vec<String>,
    /// Attributes written through `self`: they live on each instance.
    pub instance_attrs: Vec<String>,
    /// Attributes that hold a mutual-exclusion lock (`self._lock = threading.Lock()`; not a
    /// `Semaphore(n)` with `n > 1`).
    pub lock_attrs: Vec<String>,
    /// Whether some method takes a thread lock (its own or a module's).
    pub takes_lock: bool,
    /// What container or object each attribute holds, where its assignments show it.
    pub attr_kinds: Vec<(String, ContainerKind)>,
    /// Attributes holding a known callable or class: `factory = Registry.instance` in the body,
    /// `self.handler = handle` in a method.
    pub attr_callables: Vec<(String, Callee)>,
    /// Attributes `__init__` sets from its parameters: (attribute, parameter index, `self` is 0).
    pub attr_params: Vec<(String, u32)>,
    /// Attributes only ever assigned an object constructed right there (`self.buf = Buffer()`).
    pub fresh_attrs: Vec<String>,
    /// The docstring says the class is not thread-safe: it is not meant to be shared.
    pub not_thread_safe: bool,
    /// Attributes holding a lock of the instance that its own methods take (`with
    /// self._lock:`): evidence the instances are shared, unlike a lock only handed to others.
    pub taken_locks: Vec<String>,
    /// Attributes holding a pool with one worker (`ThreadPoolExecutor(max_workers=1)`).
    pub single_worker_attrs: Vec<String>,
    /// Attributes whose class is known (`self.events = BoundedList()`, `events: BoundedList`):
    /// iterating an object runs its class's `__iter__`, not a builtin container's.
    pub attr_classes: Vec<(String, String)>,
    /// Attributes holding what pickle cannot serialize (a lock, an open file, a module...).
    #[serde(skip)]
    pub held_unpicklable: Vec<processes::HeldAttr>,
}

/// What the project phase needs to know of one module.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleSummary {
    #[serde(skip)]
    pub file: FileId,
    pub module: String,
    /// The file lives under tests, examples, docs, demos or benchmarks: not how the code runs.
    pub non_production: bool,
    /// Module-level variables (assigned at module level, not imports, functions or classes).
    pub globals: Vec<String>,
    /// Module-level variables holding a thread lock.
    pub lock_globals: Vec<String>,
    /// What container or object each module-level variable holds, where its assignment shows it.
    pub global_kinds: Vec<(String, ContainerKind)>,
    /// Module-level names bound to something defined elsewhere (`from .x import f`, `g = C.m`):
    /// name → qualified name, so `pkg.f` reaches `pkg.x.f`.
    pub aliases: Vec<(String, String)>,
    /// Modules whose public names this one re-exports (`from .x import *`).
    pub star_imports: Vec<String>,
    /// Module-level instances (`default = Registry()`): name → class. One object every importer
    /// shares.
    pub instances: Vec<(String, String)>,
    pub functions: Vec<FunctionSummary>,
    pub classes: Vec<ClassSummary>,
    /// Locations holding a lock whose constructor this module shows (class attributes and
    /// module globals), with the kind of lock.
    pub lock_kinds: Vec<(Loc, LockKind)>,
}

//! Per-file concurrency summaries, built in the parallel per-file phase; the AST is dropped after.
//!
//! For each function, method, lambda and the module body, a [`FunctionSummary`] records what the
//! project phase needs and nothing more: the calls it makes (callee resolved as far as one file
//! allows, and the locks held at each), its accesses to shared locations (module globals, class
//! and instance attributes, closure cells, other modules' globals) with their kind and held locks,
//! the check-then-act pairs it contains, the threads and processes it spawns, and its
//! `signal.signal` calls. Locations and callees are named by qualified strings; the project phase
//! links them across modules.

mod builder;

use serde::Serialize;

use crate::python::TextRange;
use crate::source::FileId;

pub use builder::summarize;

/// An abstract shared location.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Loc {
    /// A module-level variable: `pkg.mod.name` (also when reached from another module).
    Global { name: String },
    /// An attribute of a class or of its instances: `self.x`, `cls.x` and `C.x` in class `C`.
    Attr { class: String, name: String },
    /// A variable of `function` captured by a nested function (`nonlocal`, captured containers).
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
    /// Iterates the container (`for x in d`, `list(d)`, `sorted(d)`, `d.items()`).
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

/// A lock, named by the location that holds it (`Loc::Attr { C, _lock }`, `Loc::Global`), or by a
/// getter method that returns one (`cls.get_lock()`, resolved in the project phase).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LockRef {
    At { loc: Loc },
    Getter { class: String, method: String },
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
    /// One call that CPython performs atomically on the builtin containers (`lst.append(x)`,
    /// `s.add(x)`, `dq.popleft()`): not a race on its own.
    pub atomic: bool,
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
}

/// What a call or a thread target refers to, as far as one file can tell.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Callee {
    /// A function or class by qualified name (`pkg.mod.f`, `pkg.mod.C` for a constructor,
    /// `pkg.mod.f.<locals>.g` for a nested function, `pkg.mod.f.<lambda:12:8>` for a lambda).
    Name { name: String },
    /// Method `name` looked up on class `class` (and overridden in its subclasses when `virtual`).
    Method {
        class: String,
        name: String,
        #[serde(rename = "virtual")]
        is_virtual: bool,
    },
    /// `super().name()` inside class `class`.
    Super { class: String, name: String },
    /// Anything else.
    Unknown,
}

/// One call site.
#[derive(Debug, Clone, Serialize)]
pub struct CallSite {
    pub callee: Callee,
    #[serde(skip)]
    pub range: TextRange,
    /// Locks held at the call, taken in this function.
    pub held: Vec<LockRef>,
    /// The receiver is an object this function created and has not let escape.
    pub receiver_owned: bool,
    /// The call is in a loop or comprehension (a constructor of a thread class called many times).
    pub in_loop: bool,
    /// The call is `self.m()` / `cls.m()` / `super().m()`: it runs on the caller's own object.
    pub self_call: bool,
}

/// How a concurrency root is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpawnKind {
    Thread,
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
            SpawnKind::Thread => "thread",
            SpawnKind::Timer => "timer thread",
            SpawnKind::StartNewThread => "thread",
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

/// A place that starts code on another thread or process.
#[derive(Debug, Clone, Serialize)]
pub struct Spawn {
    pub kind: SpawnKind,
    pub target: Callee,
    /// Started many times (a loop, a comprehension, a pool, a server), so it races with itself.
    pub many: bool,
    /// The target is a method of another object (`Thread(target=reactor.run)`), not of `self`:
    /// the thread works on that object's state.
    pub on_other_object: bool,
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
    /// The class whose method this is.
    pub class: Option<String>,
    pub kind: FunctionKind,
    pub is_async: bool,
    #[serde(skip)]
    pub range: TextRange,
    pub calls: Vec<CallSite>,
    pub accesses: Vec<Access>,
    pub check_acts: Vec<CheckAct>,
    pub spawns: Vec<Spawn>,
    /// `signal.signal(...)` calls.
    #[serde(skip)]
    pub signal_calls: Vec<TextRange>,
    /// `return self.<attr>` / `return cls.<attr>`: a getter (used to name locks taken through it).
    pub returns_attr: Option<String>,
}

impl FunctionSummary {
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
            calls: Vec::new(),
            accesses: Vec::new(),
            check_acts: Vec::new(),
            spawns: Vec::new(),
            signal_calls: Vec::new(),
            returns_attr: None,
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
    /// Attributes that hold a thread lock (`self._lock = threading.Lock()`).
    pub lock_attrs: Vec<String>,
    /// Whether some method takes a thread lock (its own or a module's).
    pub takes_lock: bool,
}

/// What the project phase needs to know of one module.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleSummary {
    #[serde(skip)]
    pub file: FileId,
    pub module: String,
    /// Module-level variables (assigned at module level, not imports, functions or classes).
    pub globals: Vec<String>,
    /// Module-level variables holding a thread lock.
    pub lock_globals: Vec<String>,
    pub functions: Vec<FunctionSummary>,
    pub classes: Vec<ClassSummary>,
}

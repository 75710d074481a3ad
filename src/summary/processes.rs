//! Multiprocessing facts, for the SN5xx rules (`rules::multiprocessing`).
//!
//! Processes share no memory: what goes to them is pickled (pool and executor tasks always; a
//! `Process` target, its arguments and a pool's initializer under the `spawn` and `forkserver`
//! start methods), and under those start methods every child re-imports the main module. So,
//! per function, this module records:
//! - where processes start (`Process.start()`, `Pool()`, `Manager()`, pool tasks, `os.fork()`),
//!   with the start method the code chose (`get_context("spawn")`, `mp_context=`) and whether
//!   the module's `if __name__ == "__main__":` guards it;
//! - each call that sends work to processes and what it ships (the target, initializer or task
//!   function, each argument), classified as far as the file tells: a lambda, a function or
//!   class (nested ones are named `<locals>`), what a call returns, an object of a class, a
//!   module, an open file, a generator, a module global, a value the caller pickles itself;
//! - the parameters it calls `put` on (a queue the caller hands in), and the joins of processes
//!   that were given a `multiprocessing` queue the function reads only after the join;
//! - `v.value += ...` and `arr[i] += ...` updates, and whether a lock is held around them;
//! - what it reads after it started processes (the parent looking for the children's work);
//! - `set_start_method(...)` calls and `if __name__ == "__main__":` blocks;
//!
//! and per class, the attributes that hold what pickle cannot serialize (a lock, an open file, a
//! module, a lambda...), from assignments and annotations.

use std::collections::HashMap;

use serde::Serialize;

use super::builder::{Builder, Holder};
use super::{Callee, Loc};
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{Ranged, TextRange};
use crate::semantic::Binding;

/// A `multiprocessing` start method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StartMethod {
    Fork,
    Spawn,
    Forkserver,
}

impl StartMethod {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "fork" => Some(StartMethod::Fork),
            "spawn" => Some(StartMethod::Spawn),
            "forkserver" => Some(StartMethod::Forkserver),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            StartMethod::Fork => "fork",
            StartMethod::Spawn => "spawn",
            StartMethod::Forkserver => "forkserver",
        }
    }
}

/// What makes processes start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Maker {
    /// `p.start()` on a `Process` (or on an object of a project class that may derive from it).
    Process,
    /// `Pool(...)`: its workers start in the constructor.
    Pool,
    /// A task given to a `ProcessPoolExecutor`: it starts its workers then.
    ExecutorTask,
    /// `Manager()`: starts the manager's server process.
    Manager,
    /// `os.fork()`.
    Fork,
}

/// One place that starts processes.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessStart {
    pub maker: Maker,
    #[serde(skip)]
    pub range: TextRange,
    /// The start method the code chose for it (a context's, `mp_context=`), if any.
    pub method: Option<StartMethod>,
    /// Inside an `if __name__ == "__main__":` block.
    pub guarded: bool,
    /// `.start()` on an object of this project class: a process only if the class derives from
    /// `multiprocessing.Process` (decided at link time).
    pub class: Option<String>,
}

/// The kind of call that sends work to processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    /// `Process(target=..., args=..., kwargs=...)`.
    Process,
    /// `Pool(processes, initializer, initargs)`.
    Pool,
    /// `ProcessPoolExecutor(max_workers, mp_context, initializer, initargs)`.
    Executor,
    /// `pool.map(f, ...)`, `pool.apply_async(f, args)`...
    PoolTask,
    /// `executor.submit(f, *args)`, `executor.map(f, ...)`.
    ExecutorTask,
    /// `.start()` on an object of a project class: if it is a `Process`, the object itself goes
    /// to the child.
    ProcessObject,
}

impl Api {
    /// How a message names the call.
    pub fn describe(self) -> &'static str {
        match self {
            Api::Process => "the process",
            Api::Pool => "the pool's workers",
            Api::Executor => "the executor's workers",
            Api::PoolTask => "a pool task",
            Api::ExecutorTask => "an executor task",
            Api::ProcessObject => "the started process",
        }
    }
}

/// What a shipped value is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// `Process(target=...)`.
    Target,
    /// `initializer=` of a pool or executor.
    Initializer,
    /// The function of a pool or executor task.
    Task,
    /// An argument of a `Process` target (`args=`, `kwargs=`).
    Arg,
    /// An element of `initargs=`.
    InitArg,
    /// An argument of a pool or executor task.
    TaskArg,
    /// The `Process` object itself (a subclass's instance, under `spawn`/`forkserver`).
    Object,
}

impl Role {
    /// Pool and executor tasks are pickled under every start method; a `Process` and a pool's
    /// initializer only where the child does not inherit the parent's memory.
    pub fn pickled_always(self) -> bool {
        matches!(self, Role::Task | Role::TaskArg)
    }

    /// The role takes a callable.
    pub fn is_callable(self) -> bool {
        matches!(self, Role::Target | Role::Initializer | Role::Task)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Role::Target => "target",
            Role::Initializer => "initializer",
            Role::Task => "task function",
            Role::Arg => "argument",
            Role::InitArg => "initializer argument",
            Role::TaskArg => "task argument",
            Role::Object => "process object",
        }
    }
}

/// What a value sent to a process is, as far as one file tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Sent {
    Lambda,
    /// A function, a class, or a bound method (`obj.m` pickles `obj` too). Nested functions and
    /// local classes have `<locals>` in their names.
    Callable {
        callee: Callee,
    },
    /// What calling `callee` returns (a factory's closure, a generator).
    Returned {
        callee: Callee,
    },
    /// An object of class `class`.
    Instance {
        class: String,
    },
    /// A module object.
    Module {
        name: String,
    },
    /// An open file or a standard stream: what opened it.
    File {
        what: String,
    },
    /// A generator.
    Generator,
    /// A module-level variable (qualified): what it holds is decided at link time.
    Global {
        name: String,
    },
    /// `dill.dumps(x)`: the caller pickles `x` itself, with `pickler`.
    Pickled {
        pickler: String,
        inner: Box<Sent>,
    },
}

/// One value a call sends to processes.
#[derive(Debug, Clone, Serialize)]
pub struct Shipment {
    pub role: Role,
    pub sent: Sent,
    #[serde(skip)]
    pub range: TextRange,
    /// The parameter position it binds in the callable (arguments), if known.
    pub position: Option<u32>,
    pub keyword: Option<String>,
    /// The local or global name it was passed as.
    pub name: Option<String>,
    /// It is part of a `functools.partial` (its function or one of its bound arguments).
    pub in_partial: bool,
}

/// One call that sends work to processes.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessCall {
    pub api: Api,
    #[serde(skip)]
    pub range: TextRange,
    /// The start method the code chose (a context's), if any.
    pub method: Option<StartMethod>,
    /// The target, initializer or task function.
    pub target: Option<Callee>,
    /// In a loop or comprehension, or a pool: several processes run it at once.
    pub many: bool,
    pub sent: Vec<Shipment>,
}

/// Where an argument binds a parameter: by position or by keyword.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ArgAt {
    Position { index: u32 },
    Keyword { name: String },
}

/// A parameter handed on to another call: `helper(q)` (to follow puts one call deep).
#[derive(Debug, Clone, Serialize)]
pub struct ParamForward {
    pub param: u32,
    pub callee: Callee,
    pub at: ArgAt,
}

/// A process given a `multiprocessing` queue that the function joins before it reads the queue.
#[derive(Debug, Clone, Serialize)]
pub struct QueueJoin {
    pub queue: String,
    pub target: Callee,
    pub at: ArgAt,
    /// The target is a bound method (`self.work`): its first parameter is the receiver.
    pub bound: bool,
    #[serde(skip)]
    pub made: TextRange,
    #[serde(skip)]
    pub process: TextRange,
    #[serde(skip)]
    pub join: TextRange,
    #[serde(skip)]
    pub get: TextRange,
}

/// What a `Value`/`Array` update acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UpdateBase {
    Param { index: u32 },
    Global { name: String },
}

/// `v.value += 1`, `v.value = v.value + 1`, `arr[i] += 1`.
#[derive(Debug, Clone, Serialize)]
pub struct ValueUpdate {
    pub base: UpdateBase,
    /// `arr[i] += ...` rather than `v.value += ...`.
    pub element: bool,
    /// Inside a `with` (`v.get_lock()`, a lock) or between `acquire()` and `release()`.
    pub locked: bool,
    #[serde(skip)]
    pub range: TextRange,
}

/// The multiprocessing facts of one function.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProcessFacts {
    pub starts: Vec<ProcessStart>,
    pub calls: Vec<ProcessCall>,
    /// `set_start_method(...)`.
    #[serde(skip)]
    pub start_methods: Vec<(StartMethod, TextRange)>,
    /// `if __name__ == "__main__":` blocks (module level).
    #[serde(skip)]
    pub main_guards: Vec<TextRange>,
    /// Parameters it calls `put`/`put_nowait` on, and where (the first put).
    #[serde(skip)]
    pub param_puts: Vec<(u32, TextRange)>,
    pub param_forwards: Vec<ParamForward>,
    pub queue_joins: Vec<QueueJoin>,
    pub value_updates: Vec<ValueUpdate>,
    /// Shared locations (and attributes of process objects) read after it started processes.
    #[serde(skip)]
    pub reads_after: Vec<(Loc, TextRange)>,
    /// It contains `yield`: calling it makes a generator.
    pub is_generator: bool,
    /// Uses of module globals as synchronizers: `with G:`, `G.acquire()`, `G.put(x)`, `G.set()`.
    #[serde(skip)]
    pub global_syncs: Vec<(Loc, TextRange)>,
}

/// An attribute of a class that holds something pickle cannot serialize.
#[derive(Debug, Clone, Serialize)]
pub struct HeldAttr {
    pub attr: String,
    pub sent: Sent,
    /// Known from an annotation (`self.plugins: dict[str, ModuleType]`), not a value.
    pub annotated: bool,
    #[serde(skip)]
    pub range: TextRange,
}

/// An event of the walk that the queue-join check orders.
#[derive(Debug, Clone)]
enum Event {
    /// A `Process` made with queue arguments, held in `holder` (or collected in a list).
    Made {
        holder: Option<String>,
        target: Callee,
        bound: bool,
        queues: Vec<(String, ArgAt)>,
        range: TextRange,
    },
    Joined {
        receiver: String,
        range: TextRange,
    },
    Got {
        queue: String,
        range: TextRange,
    },
    /// `procs.append(p)`.
    Collected {
        list: String,
        item: String,
    },
}

/// Per-function walk state for these facts.
#[derive(Debug, Default)]
pub(super) struct ProcessFrame {
    /// Locals bound to `get_context(...)` with an explicit method.
    contexts: HashMap<String, StartMethod>,
    /// Locals bound to something worth knowing when shipped (a lambda, an open file...).
    values: HashMap<String, Sent>,
    /// Locals and attributes holding a `Process` object: its start method.
    processes: HashMap<String, Option<StartMethod>>,
    /// Locals bound to a `multiprocessing` queue, and where it was made.
    queues: HashMap<String, TextRange>,
    events: Vec<Event>,
    /// `for var in over:` loops: (var, over, the loop).
    loops: Vec<(String, String, TextRange)>,
    /// Depth of `with` blocks that may hold a lock.
    lock_withs: usize,
    /// A process has been started or given work: reads from here on are the parent's.
    spawned: bool,
}

const POOL_TASK_METHODS: &[&str] = &[
    "map",
    "imap",
    "imap_unordered",
    "map_async",
    "starmap",
    "starmap_async",
    "apply",
    "apply_async",
];

/// Thread primitives: a process gets a private copy, or a pickling error.
pub fn is_thread_primitive(class: &str) -> bool {
    matches!(
        class,
        "threading.Lock"
            | "threading.RLock"
            | "threading.Condition"
            | "threading.Semaphore"
            | "threading.BoundedSemaphore"
            | "threading.Event"
            | "threading.Barrier"
            | "_thread.allocate_lock"
            | "_thread.LockType"
            | "_thread.RLock"
            | "queue.Queue"
            | "queue.LifoQueue"
            | "queue.PriorityQueue"
            | "queue.SimpleQueue"
    )
}

/// Other objects pickle cannot serialize, by class: how a message names one.
pub fn known_unpicklable(class: &str) -> Option<&'static str> {
    match class {
        "sqlite3.Connection" => Some("a `sqlite3` connection"),
        "sqlite3.Cursor" => Some("a `sqlite3` cursor"),
        "threading.Thread" | "threading.Timer" => Some("a thread object"),
        "ssl.SSLContext" => Some("an `ssl.SSLContext`"),
        _ => None,
    }
}

/// `multiprocessing` synchronization objects: shared with a child only by inheritance (a
/// `Process` argument, `initargs`), never as a pool task's argument.
pub fn is_inherited_only(class: &str) -> bool {
    matches!(
        class,
        "multiprocessing.Lock"
            | "multiprocessing.RLock"
            | "multiprocessing.Condition"
            | "multiprocessing.Semaphore"
            | "multiprocessing.BoundedSemaphore"
            | "multiprocessing.Event"
            | "multiprocessing.Barrier"
            | "multiprocessing.Queue"
            | "multiprocessing.JoinableQueue"
            | "multiprocessing.SimpleQueue"
            | "multiprocessing.Value"
            | "multiprocessing.Array"
    )
}

/// `multiprocessing` shared memory values (`Value`, `Array` and their raw forms).
pub fn is_shared_value(class: &str) -> bool {
    matches!(
        class,
        "multiprocessing.Value"
            | "multiprocessing.Array"
            | "multiprocessing.RawValue"
            | "multiprocessing.RawArray"
            | "multiprocessing.sharedctypes.Value"
            | "multiprocessing.sharedctypes.Array"
            | "multiprocessing.sharedctypes.RawValue"
            | "multiprocessing.sharedctypes.RawArray"
    )
}

fn is_mp_queue(class: &str) -> bool {
    matches!(
        class,
        "multiprocessing.Queue" | "multiprocessing.JoinableQueue" | "multiprocessing.SimpleQueue"
    )
}

/// Types an annotation may name that pickle cannot serialize: what a held value of that type is.
fn unpicklable_annotation(qualified: &str) -> Option<Sent> {
    match qualified {
        "types.ModuleType" => Some(Sent::Module {
            name: String::new(),
        }),
        "typing.IO" | "typing.TextIO" | "typing.BinaryIO" | "io.TextIOWrapper"
        | "io.BufferedReader" | "io.BufferedWriter" | "io.FileIO" => Some(Sent::File {
            what: qualified.to_string(),
        }),
        "typing.Generator" | "collections.abc.Generator" | "types.GeneratorType" => {
            Some(Sent::Generator)
        }
        q if is_thread_primitive(q) => Some(Sent::Instance {
            class: q.to_string(),
        }),
        _ => None,
    }
}

/// The string literal `expr` is, if it is one.
fn string_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
        _ => None,
    }
}

/// The keyword argument `name` of `call`, or its positional argument `index`.
fn argument<'e>(call: &'e ast::ExprCall, index: Option<usize>, name: &str) -> Option<&'e Expr> {
    call.arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
        .map(|k| &k.value)
        .or_else(|| index.and_then(|i| call.arguments.args.get(i)))
        .filter(|e| !matches!(e, Expr::Starred(_)))
}

/// Whether `test` is `__name__ == "__main__"` (either way round).
fn is_main_test(test: &Expr) -> bool {
    let Expr::Compare(compare) = test else {
        return false;
    };
    let [op] = &*compare.ops else {
        return false;
    };
    if !matches!(op, ast::CmpOp::Eq) {
        return false;
    }
    let [right] = &*compare.comparators else {
        return false;
    };
    let is_name = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == "__name__");
    let is_main = |e: &Expr| string_literal(e).as_deref() == Some("__main__");
    (is_name(&compare.left) && is_main(right)) || (is_main(&compare.left) && is_name(right))
}

/// The elements of a tuple or list literal.
fn elements(expr: &Expr) -> Option<&[Expr]> {
    match expr {
        Expr::Tuple(tuple) => Some(&tuple.elts),
        Expr::List(list) => Some(&list.elts),
        _ => None,
    }
}

impl<'a> Builder<'a> {
    fn pframe(&self) -> &ProcessFrame {
        &self.frame().processes
    }

    fn pframe_mut(&mut self) -> &mut ProcessFrame {
        &mut self.frame_mut().processes
    }

    fn facts(&mut self) -> &mut ProcessFacts {
        self.summary()
            .process_facts
            .get_or_insert_with(Default::default)
    }

    /// Whether the statement being walked is inside the module's main guard.
    fn in_main_guard(&self, at: TextRange) -> bool {
        self.frames.first().is_some_and(|module| {
            self.functions[module.index]
                .processes()
                .main_guards
                .iter()
                .any(|g| g.contains_range(at))
        })
    }

    /// The start method a context expression names: `get_context("spawn")`, or a name bound to
    /// one here or in an enclosing scope.
    fn context_method(&self, expr: &Expr) -> Option<StartMethod> {
        match expr {
            Expr::Call(call) => {
                let name = self
                    .semantic
                    .qualified_name(&self.frame().scopes, &call.func)?;
                if name != "multiprocessing.get_context" {
                    return None;
                }
                argument(call, Some(0), "method")
                    .and_then(string_literal)
                    .and_then(|m| StartMethod::parse(&m))
            }
            Expr::Name(name) => self
                .frames
                .iter()
                .rev()
                .find_map(|f| f.processes.contexts.get(name.id.as_str()).copied()),
            _ => None,
        }
    }

    /// The start method of a call through a context: `ctx.Process(...)`, `ctx.Pool(...)`.
    fn method_of_func(&self, func: &Expr) -> Option<StartMethod> {
        match func {
            Expr::Attribute(attribute) => self.context_method(&attribute.value),
            _ => None,
        }
    }

    /// A local, or a name of an enclosing function, bound to something worth knowing.
    fn known_value(&self, name: &str) -> Option<&Sent> {
        self.frames
            .iter()
            .rev()
            .take_while(|f| f.kind != super::FunctionKind::Module)
            .find_map(|f| f.processes.values.get(name))
    }

    /// The qualified name of class `name` defined in this function or an enclosing one.
    fn local_class(&self, name: &str) -> Option<String> {
        self.frames
            .iter()
            .rev()
            .take_while(|f| f.kind != super::FunctionKind::Module)
            .map(|f| format!("{}.<locals>.{name}", f.qualname))
            .find(|q| self.semantic.class_by_qualname(q).is_some())
    }

    /// What `expr` is when it is sent to a process.
    pub(super) fn sent_value(&self, expr: &Expr) -> Option<Sent> {
        let frame = self.frame();
        match expr {
            Expr::Lambda(_) => Some(Sent::Lambda),
            Expr::Generator(_) => Some(Sent::Generator),
            Expr::Name(name) => {
                let id = name.id.as_str();
                if let Some(value) = self.known_value(id) {
                    return Some(value.clone());
                }
                if frame.self_name.as_deref() == Some(id) {
                    return frame.class.clone().map(|class| Sent::Instance { class });
                }
                match self.semantic.binding(&frame.scopes, id) {
                    Some(Binding::Function(q)) => Some(Sent::Callable {
                        callee: Callee::Name { name: q.clone() },
                    }),
                    Some(Binding::Class(i)) => Some(Sent::Callable {
                        callee: Callee::Name {
                            name: self.semantic.classes[*i].qualname.clone(),
                        },
                    }),
                    Some(Binding::Instance(ty)) => Some(Sent::Instance { class: ty.clone() }),
                    // A class defined in this function or an enclosing one.
                    None if self.local_class(id).is_some() => {
                        self.local_class(id).map(|name| Sent::Callable {
                            callee: Callee::Name { name },
                        })
                    }
                    // `import x` binds a module; `from m import x` a dotted name (anything).
                    Some(Binding::Import(q)) if !q.contains('.') => {
                        Some(Sent::Module { name: q.clone() })
                    }
                    Some(Binding::Import(q)) => Some(Sent::Global { name: q.clone() }),
                    _ if frame.locals.contains(id) => None,
                    _ if self.globals.contains(id) => Some(Sent::Global {
                        name: self.semantic.qualify(id),
                    }),
                    _ => None,
                }
            }
            Expr::Attribute(attribute) => {
                let qualified = self.semantic.qualified_name(&frame.scopes, expr);
                if let Some(q @ ("sys.stdout" | "sys.stderr" | "sys.stdin")) = qualified.as_deref()
                {
                    return Some(Sent::File {
                        what: q.to_string(),
                    });
                }
                if self.is_receiver(&attribute.value) {
                    let class = frame.class.as_ref()?;
                    // `self.attr`: an object of a known class, or a bound method.
                    if let Some(ty) = self.attr_type(class, attribute.attr.as_str()) {
                        return Some(Sent::Instance { class: ty });
                    }
                }
                match self.callee_of(expr) {
                    Callee::Unknown => None,
                    callee => Some(Sent::Callable { callee }),
                }
            }
            Expr::Call(call) => {
                let qualified = self.semantic.qualified_name(&frame.scopes, &call.func);
                match qualified.as_deref() {
                    Some(
                        q @ ("builtins.open"
                        | "io.open"
                        | "codecs.open"
                        | "gzip.open"
                        | "bz2.open"
                        | "lzma.open"
                        | "tempfile.TemporaryFile"
                        | "tempfile.NamedTemporaryFile"
                        | "tempfile.SpooledTemporaryFile"),
                    ) => {
                        let short = q.strip_prefix("builtins.").unwrap_or(q);
                        return Some(Sent::File {
                            what: format!("{short}(...)"),
                        });
                    }
                    Some(
                        "importlib.import_module" | "importlib.reload" | "builtins.__import__",
                    ) => {
                        return Some(Sent::Module {
                            name: String::new(),
                        });
                    }
                    Some("sqlite3.connect") => {
                        return Some(Sent::Instance {
                            class: "sqlite3.Connection".to_string(),
                        });
                    }
                    Some(
                        q @ ("pickle.dumps" | "dill.dumps" | "cloudpickle.dumps" | "cPickle.dumps"),
                    ) => {
                        let inner = call.arguments.args.first()?;
                        let pickler = q.split('.').next().unwrap_or(q).to_string();
                        return Some(Sent::Pickled {
                            pickler,
                            inner: Box::new(self.sent_value(inner)?),
                        });
                    }
                    _ => {}
                }
                if let Some(ty) = self.semantic.type_of(&frame.scopes, expr) {
                    if ty != "multiprocessing.context" {
                        return Some(Sent::Instance { class: ty });
                    }
                }
                match self.returned_callee(call) {
                    Callee::Unknown => None,
                    callee => Some(Sent::Returned { callee }),
                }
            }
            _ => None,
        }
    }

    /// What the function a call calls is: `f(x)` → `f`, `make(x)(y)` → what `make` returns.
    fn returned_callee(&self, call: &ast::ExprCall) -> Callee {
        match &*call.func {
            Expr::Call(inner) => match self.returned_callee(inner) {
                Callee::Unknown => Callee::Unknown,
                factory => Callee::Returned {
                    factory: Box::new(factory),
                },
            },
            func => self.callee_of(func),
        }
    }

    /// `functools.partial(f, *args, **kwargs)`: the call, when `expr` is one.
    fn partial_call<'e>(&self, expr: &'e Expr) -> Option<&'e ast::ExprCall> {
        let Expr::Call(call) = expr else {
            return None;
        };
        let name = self
            .semantic
            .qualified_name(&self.frame().scopes, &call.func)?;
        (name == "functools.partial").then_some(call)
    }

    /// The shipments of a callable `expr` in `role` (a `partial` ships its function and its
    /// bound arguments).
    fn ship_callable(&self, expr: &Expr, role: Role, out: &mut Vec<Shipment>) {
        if let Some(partial) = self.partial_call(expr) {
            let Some(func) = partial.arguments.args.first() else {
                return;
            };
            let before = out.len();
            self.ship_callable(func, role, out);
            let arg_role = match role {
                Role::Initializer => Role::InitArg,
                Role::Task => Role::TaskArg,
                _ => Role::Arg,
            };
            for arg in partial.arguments.args.iter().skip(1) {
                self.ship_value(arg, arg_role, None, None, out);
            }
            for keyword in partial.arguments.keywords.iter() {
                let name = keyword.arg.as_ref().map(|a| a.to_string());
                self.ship_value(&keyword.value, arg_role, None, name, out);
            }
            for shipment in &mut out[before..] {
                shipment.in_partial = true;
            }
            return;
        }
        self.ship_value(expr, role, None, None, out);
    }

    fn ship_value(
        &self,
        expr: &Expr,
        role: Role,
        position: Option<u32>,
        keyword: Option<String>,
        out: &mut Vec<Shipment>,
    ) {
        let Some(sent) = self.sent_value(expr) else {
            return;
        };
        let name = match expr {
            Expr::Name(n) => Some(n.id.to_string()),
            _ => None,
        };
        out.push(Shipment {
            role,
            sent,
            range: expr.range(),
            position,
            keyword,
            name,
            in_partial: false,
        });
    }

    /// The elements of an `args=`-like tuple literal, each in `role` at its position.
    fn ship_tuple(&self, expr: Option<&Expr>, role: Role, out: &mut Vec<Shipment>) {
        let Some(expr) = expr else {
            return;
        };
        if let Some(items) = elements(expr) {
            for (i, item) in items.iter().enumerate() {
                if matches!(item, Expr::Starred(_)) {
                    break;
                }
                self.ship_value(item, role, Some(i as u32), None, out);
            }
        }
    }

    /// The values of a `kwargs=`-like dict literal.
    fn ship_dict(&self, expr: Option<&Expr>, role: Role, out: &mut Vec<Shipment>) {
        let Some(Expr::Dict(dict)) = expr else {
            return;
        };
        for item in dict.items.iter() {
            let key = item.key.as_ref().and_then(string_literal);
            if key.is_some() {
                self.ship_value(&item.value, role, None, key, out);
            }
        }
    }

    /// Records what `call` does with processes, if anything.
    pub(super) fn process_call(&mut self, call: &'a ast::ExprCall, qualified: Option<&str>) {
        let range = call.range();
        let many = self.frame().loop_depth > 0;
        match qualified {
            Some("multiprocessing.Process") => {
                let method = self.method_of_func(&call.func);
                let mut sent = Vec::new();
                let target = argument(call, Some(1), "target");
                if let Some(target) = target {
                    self.ship_callable(target, Role::Target, &mut sent);
                }
                self.ship_tuple(argument(call, Some(3), "args"), Role::Arg, &mut sent);
                self.ship_dict(argument(call, Some(4), "kwargs"), Role::Arg, &mut sent);
                let target_callee = target.map(|t| self.callee_of(t));
                self.push_call(Api::Process, range, method, target_callee, many, sent);
                self.note_process_made(call, target, method);
            }
            Some("multiprocessing.Pool") => {
                let method = self.method_of_func(&call.func).or_else(|| {
                    argument(call, Some(4), "context").and_then(|c| self.context_method(c))
                });
                self.push_initializer(call, Api::Pool, (1, 2), method);
                self.push_start(Maker::Pool, range, method, None);
            }
            Some("concurrent.futures.ProcessPoolExecutor") => {
                let method =
                    argument(call, Some(1), "mp_context").and_then(|c| self.context_method(c));
                self.push_initializer(call, Api::Executor, (2, 3), method);
            }
            Some("multiprocessing.Manager") => {
                let method = self.method_of_func(&call.func);
                self.push_start(Maker::Manager, range, method, None);
            }
            Some("os.fork" | "os.forkpty" | "pty.fork") => {
                self.push_start(Maker::Fork, range, Some(StartMethod::Fork), None);
            }
            Some("multiprocessing.set_start_method") => {
                if let Some(method) = argument(call, Some(0), "method")
                    .and_then(string_literal)
                    .and_then(|m| StartMethod::parse(&m))
                {
                    self.facts().start_methods.push((method, range));
                }
            }
            _ => {}
        }
        // A parameter handed on: `helper(q)`.
        self.note_forwards(call);
        let Expr::Attribute(attribute) = &*call.func else {
            return;
        };
        let method = attribute.attr.as_str();
        let receiver = &*attribute.value;
        if matches!(
            method,
            "acquire"
                | "put"
                | "put_nowait"
                | "get"
                | "get_nowait"
                | "set"
                | "wait"
                | "notify"
                | "notify_all"
        ) {
            if let Some(loc) = self.global_of(receiver) {
                self.facts().global_syncs.push((loc, range));
            }
        }
        match method {
            "start" => self.process_started(call, receiver),
            "join" => {
                if let Some(name) = plain_name(receiver) {
                    self.pframe_mut().events.push(Event::Joined {
                        receiver: name,
                        range,
                    });
                }
            }
            "get" | "get_nowait" | "empty" | "qsize" => {
                if let Some(name) = plain_name(receiver) {
                    if self.pframe().queues.contains_key(&name) {
                        self.pframe_mut()
                            .events
                            .push(Event::Got { queue: name, range });
                    }
                }
            }
            "put" | "put_nowait" => {
                if let Some(index) = self.param_index(receiver) {
                    if !self.facts().param_puts.iter().any(|(p, _)| *p == index) {
                        self.facts().param_puts.push((index, range));
                    }
                }
            }
            "append" => {
                if let (Some(list), Some(Expr::Name(item))) =
                    (plain_name(receiver), call.arguments.args.first())
                {
                    self.pframe_mut().events.push(Event::Collected {
                        list,
                        item: item.id.to_string(),
                    });
                }
            }
            _ => {}
        }
        // `loop.run_in_executor(process_pool, f, *args)`
        if method == "run_in_executor" {
            let executor = call.arguments.args.first();
            let is_process_pool = executor.is_some_and(|e| {
                self.type_of(e).as_deref() == Some("concurrent.futures.ProcessPoolExecutor")
            });
            if let (true, Some(func)) = (is_process_pool, call.arguments.args.get(1)) {
                let mut sent = Vec::new();
                self.ship_callable(func, Role::Task, &mut sent);
                for (i, arg) in call.arguments.args.iter().enumerate().skip(2) {
                    if matches!(arg, Expr::Starred(_)) {
                        break;
                    }
                    self.ship_value(arg, Role::TaskArg, Some(i as u32 - 2), None, &mut sent);
                }
                let target = self.callee_of(func);
                self.push_call(Api::ExecutorTask, range, None, Some(target), true, sent);
            }
            return;
        }
        if POOL_TASK_METHODS.contains(&method) || method == "submit" {
            let api = match self.type_of(receiver).as_deref() {
                Some("multiprocessing.Pool") if method != "submit" => Api::PoolTask,
                Some("concurrent.futures.ProcessPoolExecutor")
                    if matches!(method, "submit" | "map") =>
                {
                    Api::ExecutorTask
                }
                _ => return,
            };
            self.push_task(call, api, method);
        }
    }

    fn push_call(
        &mut self,
        api: Api,
        range: TextRange,
        method: Option<StartMethod>,
        target: Option<Callee>,
        many: bool,
        sent: Vec<Shipment>,
    ) -> usize {
        self.pframe_mut().spawned = true;
        let calls = &mut self.facts().calls;
        calls.push(ProcessCall {
            api,
            range,
            method,
            target: target.filter(|t| *t != Callee::Unknown),
            many,
            sent,
        });
        calls.len() - 1
    }

    fn push_start(
        &mut self,
        maker: Maker,
        range: TextRange,
        method: Option<StartMethod>,
        class: Option<String>,
    ) {
        let guarded = self.in_main_guard(range);
        self.pframe_mut().spawned = true;
        self.facts().starts.push(ProcessStart {
            maker,
            range,
            method,
            guarded,
            class,
        });
    }

    /// A pool's or executor's `initializer` and `initargs` (positions `at`).
    fn push_initializer(
        &mut self,
        call: &ast::ExprCall,
        api: Api,
        at: (usize, usize),
        method: Option<StartMethod>,
    ) {
        let mut sent = Vec::new();
        let initializer = argument(call, Some(at.0), "initializer");
        if let Some(initializer) = initializer {
            self.ship_callable(initializer, Role::Initializer, &mut sent);
        }
        self.ship_tuple(
            argument(call, Some(at.1), "initargs"),
            Role::InitArg,
            &mut sent,
        );
        if initializer.is_some() || !sent.is_empty() {
            let target = initializer.map(|i| self.callee_of(i));
            self.push_call(api, call.range(), method, target, true, sent);
        }
    }

    /// `pool.map(f, items)`, `executor.submit(f, x)`...: the task function and its arguments.
    fn push_task(&mut self, call: &ast::ExprCall, api: Api, method: &str) {
        let args = &call.arguments.args;
        let Some(func) = argument(call, Some(0), "func").or_else(|| argument(call, None, "fn"))
        else {
            return;
        };
        let mut sent = Vec::new();
        self.ship_callable(func, Role::Task, &mut sent);
        match method {
            "apply" | "apply_async" => {
                self.ship_tuple(argument(call, Some(1), "args"), Role::TaskArg, &mut sent);
                self.ship_dict(argument(call, Some(2), "kwds"), Role::TaskArg, &mut sent);
            }
            "submit" => {
                for (i, arg) in args.iter().enumerate().skip(1) {
                    if matches!(arg, Expr::Starred(_)) {
                        break;
                    }
                    self.ship_value(arg, Role::TaskArg, Some(i as u32 - 1), None, &mut sent);
                }
                for keyword in call.arguments.keywords.iter() {
                    if let Some(name) = &keyword.arg {
                        self.ship_value(
                            &keyword.value,
                            Role::TaskArg,
                            None,
                            Some(name.to_string()),
                            &mut sent,
                        );
                    }
                }
            }
            "starmap" | "starmap_async" => {
                if let Some(items) = args.get(1).and_then(elements) {
                    for item in items {
                        self.ship_tuple(Some(item), Role::TaskArg, &mut sent);
                    }
                }
            }
            _ => {
                // `map(f, [a, b])`: each element is an argument (the iterable itself stays).
                if let Some(items) = args.get(1).and_then(elements) {
                    for item in items {
                        self.ship_value(item, Role::TaskArg, Some(0), None, &mut sent);
                    }
                }
            }
        }
        let target = self.callee_of(func);
        self.push_call(api, call.range(), None, Some(target), true, sent);
        if api == Api::ExecutorTask {
            self.push_start(Maker::ExecutorTask, call.range(), None, None);
        }
    }

    /// A `Process(...)`: remember its holder (for `start`/`join`) and its queue arguments.
    fn note_process_made(
        &mut self,
        call: &ast::ExprCall,
        target: Option<&Expr>,
        method: Option<StartMethod>,
    ) {
        let holder = self
            .frame()
            .assigning
            .as_ref()
            .filter(|(value, _)| value.contains_range(call.range()))
            .map(|(_, holder)| holder.clone());
        let holder_name = holder.as_ref().map(|h| match h {
            Holder::Local(n) | Holder::Attr(n) => n.clone(),
        });
        if let Some(name) = &holder_name {
            self.pframe_mut().processes.insert(name.clone(), method);
        }
        let Some(target) = target else {
            return;
        };
        let callee = self.callee_of(target);
        if callee == Callee::Unknown {
            return;
        }
        let bound = matches!(callee, Callee::Method { .. });
        let mut queues = Vec::new();
        if let Some(items) = argument(call, Some(3), "args").and_then(elements) {
            for (i, item) in items.iter().enumerate() {
                if let Some(name) = plain_name(item) {
                    if self.pframe().queues.contains_key(&name) {
                        queues.push((name, ArgAt::Position { index: i as u32 }));
                    }
                }
            }
        }
        if let Some(Expr::Dict(dict)) = argument(call, Some(4), "kwargs") {
            for item in dict.items.iter() {
                if let (Some(key), Some(name)) = (
                    item.key.as_ref().and_then(string_literal),
                    plain_name(&item.value),
                ) {
                    if self.pframe().queues.contains_key(&name) {
                        queues.push((name, ArgAt::Keyword { name: key }));
                    }
                }
            }
        }
        if !queues.is_empty() {
            self.pframe_mut().events.push(Event::Made {
                holder: holder_name,
                target: callee,
                bound,
                queues,
                range: call.range(),
            });
        }
    }

    /// `x.start()`: a `Process` held in `x` (or made right there) starts, or an object of a
    /// project class that may be one.
    fn process_started(&mut self, call: &ast::ExprCall, object: &Expr) {
        let range = call.range();
        if let Expr::Call(inner) = object {
            let made_here = self
                .summary()
                .processes()
                .calls
                .iter()
                .rev()
                .find(|c| c.range == inner.range() && c.api == Api::Process)
                .map(|c| c.method);
            if let Some(method) = made_here {
                self.push_start(Maker::Process, range, method, None);
                return;
            }
        }
        if let Some(name) = holder_name(object, self) {
            if let Some(method) = self.pframe().processes.get(&name).copied() {
                self.push_start(Maker::Process, range, method, None);
                return;
            }
        }
        let class = if self.is_receiver(object) {
            None
        } else {
            self.type_of(object)
        };
        match class.as_deref() {
            Some("multiprocessing.Process") => {
                self.push_start(Maker::Process, range, None, None);
            }
            Some(c) if c.starts_with("threading.") || c.starts_with("multiprocessing.") => {}
            Some(c) if !c.starts_with("builtins.") => {
                let class = c.to_string();
                self.push_start(Maker::Process, range, None, Some(class.clone()));
                // The object itself goes to the child under spawn and forkserver.
                let sent = vec![Shipment {
                    role: Role::Object,
                    sent: Sent::Instance {
                        class: class.clone(),
                    },
                    range: object.range(),
                    position: None,
                    keyword: None,
                    name: plain_name(object),
                    in_partial: false,
                }];
                let target = Callee::Method {
                    class,
                    name: "run".to_string(),
                    is_virtual: true,
                };
                self.push_call(Api::ProcessObject, range, None, Some(target), false, sent);
            }
            _ => {}
        }
    }

    /// `helper(q)` with `q` a parameter: where it goes.
    fn note_forwards(&mut self, call: &ast::ExprCall) {
        let mut found = Vec::new();
        for (i, arg) in call.arguments.args.iter().enumerate() {
            if let Some(param) = self.param_index(arg) {
                found.push((param, ArgAt::Position { index: i as u32 }));
            }
        }
        for keyword in call.arguments.keywords.iter() {
            if let (Some(name), Some(param)) = (&keyword.arg, self.param_index(&keyword.value)) {
                found.push((
                    param,
                    ArgAt::Keyword {
                        name: name.to_string(),
                    },
                ));
            }
        }
        if found.is_empty() {
            return;
        }
        let callee = self.callee_of(&call.func);
        if callee == Callee::Unknown {
            return;
        }
        for (param, at) in found {
            self.facts().param_forwards.push(ParamForward {
                param,
                callee: callee.clone(),
                at,
            });
        }
    }

    /// After `name = value` (or `with value as name`): what the local holds, for later calls.
    pub(super) fn process_binding(&mut self, target: &Expr, value: &Expr) {
        let Expr::Name(name) = target else {
            return;
        };
        let id = name.id.to_string();
        let method = self.context_method(value);
        let sent = self.sent_value(value);
        let frame = self.pframe_mut();
        frame.contexts.remove(&id);
        frame.values.remove(&id);
        frame.queues.remove(&id);
        if let Some(method) = method {
            frame.contexts.insert(id, method);
            return;
        }
        match sent {
            Some(Sent::Instance { class }) if is_mp_queue(&class) => {
                frame.queues.insert(id, value.range());
            }
            Some(sent @ Sent::Instance { .. }) if matches!(&sent, Sent::Instance { class } if known_unpicklable(class).is_some()) =>
            {
                frame.values.insert(id, sent);
            }
            Some(
                sent @ (Sent::Lambda
                | Sent::File { .. }
                | Sent::Generator
                | Sent::Module { .. }
                | Sent::Pickled { .. }
                | Sent::Returned { .. }),
            ) => {
                frame.values.insert(id, sent);
            }
            _ => {}
        }
    }

    /// Entering a `with` block: whether it may hold a lock (`v.get_lock()`, a lock object).
    pub(super) fn process_with_enter(&mut self, node: &ast::StmtWith) -> bool {
        for item in &node.items {
            if let Some(target) = item.optional_vars.as_deref() {
                self.process_binding(target, &item.context_expr);
            }
        }
        for item in &node.items {
            if let Some(loc) = self.global_of(&item.context_expr) {
                let range = item.context_expr.range();
                self.facts().global_syncs.push((loc, range));
            }
        }
        let locking = node.items.iter().any(|item| match &item.context_expr {
            Expr::Call(call) => matches!(&*call.func, Expr::Attribute(a)
                if a.attr.as_str() == "get_lock" || super::locks::lock_like_name(a.attr.as_str())),
            Expr::Name(_) | Expr::Attribute(_) => true,
            _ => false,
        });
        if locking {
            self.pframe_mut().lock_withs += 1;
        }
        locking
    }

    pub(super) fn process_with_exit(&mut self, locking: bool) {
        if locking {
            self.pframe_mut().lock_withs -= 1;
        }
    }

    /// `for var in over:` — joins of `var` in the body join what `over` holds.
    pub(super) fn process_for(&mut self, node: &ast::StmtFor) {
        if let (Expr::Name(var), Some(over)) = (&*node.target, plain_name(&node.iter)) {
            self.pframe_mut()
                .loops
                .push((var.id.to_string(), over, node.range()));
        }
    }

    /// `if __name__ == "__main__":` at module level.
    pub(super) fn process_if(&mut self, node: &ast::StmtIf) {
        if self.frame().kind == super::FunctionKind::Module && is_main_test(&node.test) {
            let range = node.range();
            self.facts().main_guards.push(range);
        }
    }

    /// At each expression: `yield`, and what the parent reads after starting processes.
    pub(super) fn process_expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Yield(_) | Expr::YieldFrom(_) => self.facts().is_generator = true,
            Expr::Name(name) if self.pframe().spawned && name.ctx.is_load() => {
                let loc = match self.location(expr) {
                    Some((loc, _)) => Some(loc),
                    None if self.frame().kind == super::FunctionKind::Module
                        && self.globals.contains(name.id.as_str()) =>
                    {
                        Some(Loc::Global {
                            name: self.semantic.qualify(name.id.as_str()),
                        })
                    }
                    None => None,
                };
                if let Some(loc) = loc {
                    self.facts().reads_after.push((loc, expr.range()));
                }
            }
            Expr::Attribute(attribute) if self.pframe().spawned && attribute.ctx.is_load() => {
                let loc = match self.location(expr) {
                    Some((loc, _)) => Some(loc),
                    // `w.result` on a process object the function holds.
                    None => match &*attribute.value {
                        Expr::Name(base) if !self.is_receiver(&attribute.value) => {
                            match self
                                .semantic
                                .binding(&self.frame().scopes, base.id.as_str())
                            {
                                // `Stats.calls`: an attribute of a class.
                                Some(Binding::Class(i)) => Some(Loc::Attr {
                                    class: self.semantic.classes[*i].qualname.clone(),
                                    name: attribute.attr.to_string(),
                                }),
                                Some(Binding::Instance(class))
                                    if !class.starts_with("multiprocessing.") =>
                                {
                                    Some(Loc::Attr {
                                        class: class.clone(),
                                        name: attribute.attr.to_string(),
                                    })
                                }
                                _ => None,
                            }
                        }
                        _ => None,
                    },
                };
                if let Some(loc) = loc {
                    self.facts().reads_after.push((loc, expr.range()));
                }
            }
            _ => {}
        }
    }

    /// The module global `expr` names (also in module-level code).
    fn global_of(&self, expr: &Expr) -> Option<Loc> {
        if let Expr::Name(name) = expr {
            if self.frame().kind == super::FunctionKind::Module {
                return self
                    .globals
                    .contains(name.id.as_str())
                    .then(|| Loc::Global {
                        name: self.semantic.qualify(name.id.as_str()),
                    });
            }
        }
        match self.location(expr) {
            Some((loc @ Loc::Global { .. }, _)) => Some(loc),
            _ => None,
        }
    }

    /// `v.value += ...`, `v.value = v.value + ...`, `arr[i] += ...` on a parameter or global.
    pub(super) fn process_update(&mut self, target: &Expr, value: &Expr, augmented: bool) {
        let (base, element) = match target {
            Expr::Attribute(attribute) if attribute.attr.as_str() == "value" => {
                (&*attribute.value, false)
            }
            Expr::Subscript(subscript) => (&*subscript.value, true),
            _ => return,
        };
        if !augmented && !reads_same(value, target) {
            return;
        }
        let base = if let Some(index) = self.param_index(base) {
            UpdateBase::Param { index }
        } else {
            match self.location(base) {
                Some((Loc::Global { name }, _)) => UpdateBase::Global { name },
                _ => return,
            }
        };
        let locked = !self.frame().held.is_empty() || self.pframe().lock_withs > 0;
        let range = target.range().cover(value.range());
        self.facts().value_updates.push(ValueUpdate {
            base,
            element,
            locked,
            range,
        });
    }

    /// At the end of a function: processes given a queue and joined before the queue is read.
    pub(super) fn finish_processes(&mut self) {
        let frame = std::mem::take(&mut self.frame_mut().processes);
        let mut found = Vec::new();
        for (i, event) in frame.events.iter().enumerate() {
            let Event::Made {
                holder,
                target,
                bound,
                queues,
                range,
            } = event
            else {
                continue;
            };
            // The names the process goes by: its holder, and the lists it is collected in.
            let mut names: Vec<&str> = holder.iter().map(String::as_str).collect();
            for later in &frame.events[i + 1..] {
                if let Event::Collected { list, item } = later {
                    if names.contains(&item.as_str()) {
                        names.push(list);
                    }
                }
            }
            let joins = |receiver: &str, at: TextRange| {
                names.contains(&receiver)
                    || frame.loops.iter().any(|(var, over, body)| {
                        var == receiver && names.contains(&over.as_str()) && body.contains_range(at)
                    })
            };
            let Some(join) = frame.events[i + 1..].iter().find_map(|e| match e {
                Event::Joined { receiver, range } if joins(receiver, *range) => Some(*range),
                _ => None,
            }) else {
                continue;
            };
            for (queue, at) in queues {
                let gets: Vec<TextRange> = frame.events[i + 1..]
                    .iter()
                    .filter_map(|e| match e {
                        Event::Got { queue: q, range } if q == queue => Some(*range),
                        _ => None,
                    })
                    .collect();
                let drained_before = gets.iter().any(|g| g.start() < join.start());
                let Some(get) = gets.iter().find(|g| g.start() > join.end()) else {
                    continue;
                };
                if drained_before {
                    continue;
                }
                let Some(made) = frame.queues.get(queue) else {
                    continue;
                };
                found.push(QueueJoin {
                    queue: queue.clone(),
                    target: target.clone(),
                    at: at.clone(),
                    bound: *bound,
                    made: *made,
                    process: *range,
                    join,
                    get: *get,
                });
            }
        }
        self.facts().queue_joins.extend(found);
    }

    /// The attributes of a class that hold what pickle cannot serialize: from `self.x = value`
    /// in its methods, and annotations of `self.x` or class-body names.
    pub(super) fn held_attrs(&self, def: &ast::StmtClassDef) -> Vec<HeldAttr> {
        let mut out = Vec::new();
        for stmt in &def.body {
            match stmt {
                Stmt::AnnAssign(assign) => {
                    if let Expr::Name(name) = &*assign.target {
                        self.note_annotation(name.id.as_str(), &assign.annotation, stmt, &mut out);
                    }
                }
                Stmt::FunctionDef(method) => {
                    let Some(receiver) = method
                        .parameters
                        .iter()
                        .next()
                        .map(|p| p.name().to_string())
                    else {
                        continue;
                    };
                    self.held_in_body(&method.body, &receiver, &mut out);
                }
                _ => {}
            }
        }
        out
    }

    fn held_in_body(&self, body: &[Stmt], receiver: &str, out: &mut Vec<HeldAttr>) {
        let attr_of = |target: &Expr| match target {
            Expr::Attribute(attribute) => match &*attribute.value {
                Expr::Name(name) if name.id.as_str() == receiver => {
                    Some(attribute.attr.to_string())
                }
                _ => None,
            },
            _ => None,
        };
        for stmt in body {
            match stmt {
                Stmt::Assign(assign) => {
                    for target in &assign.targets {
                        if let Some(attr) = attr_of(target) {
                            if let Some(sent) = self.held_value(&assign.value) {
                                out.push(HeldAttr {
                                    attr,
                                    sent,
                                    annotated: false,
                                    range: stmt.range(),
                                });
                            }
                        }
                    }
                }
                Stmt::AnnAssign(assign) => {
                    if let Some(attr) = attr_of(&assign.target) {
                        let value = assign.value.as_deref().and_then(|v| self.held_value(v));
                        match value {
                            Some(sent) => out.push(HeldAttr {
                                attr,
                                sent,
                                annotated: false,
                                range: stmt.range(),
                            }),
                            None => self.note_annotation(&attr, &assign.annotation, stmt, out),
                        }
                    }
                }
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                _ => crate::semantic::for_each_nested_body(stmt, |inner| {
                    self.held_in_body(inner, receiver, out)
                }),
            }
        }
    }

    /// What an attribute assigned `value` holds, when pickle cannot serialize it. Only what the
    /// value itself shows: a lock or thread queue, an open file, a module, a lambda, a nested
    /// function, a generator.
    fn held_value(&self, value: &Expr) -> Option<Sent> {
        let scopes = crate::semantic::Scopes::default();
        match value {
            Expr::Lambda(_) => Some(Sent::Lambda),
            Expr::Generator(_) => Some(Sent::Generator),
            Expr::Call(call) => {
                let name = self.semantic.qualified_name(&scopes, &call.func)?;
                if is_thread_primitive(&name)
                    || is_inherited_only(&name)
                    || known_unpicklable(&name).is_some()
                {
                    return Some(Sent::Instance { class: name });
                }
                match name.as_str() {
                    "sqlite3.connect" => Some(Sent::Instance {
                        class: "sqlite3.Connection".to_string(),
                    }),
                    "builtins.open" | "io.open" | "codecs.open" => Some(Sent::File {
                        what: format!("{}(...)", name.trim_start_matches("builtins.")),
                    }),
                    "importlib.import_module" => Some(Sent::Module {
                        name: String::new(),
                    }),
                    _ => None,
                }
            }
            Expr::Attribute(_) => {
                let name = self.semantic.qualified_name(&scopes, value)?;
                matches!(name.as_str(), "sys.stdout" | "sys.stderr" | "sys.stdin")
                    .then(|| Sent::File { what: name })
            }
            _ => None,
        }
    }

    /// An annotation that names an unpicklable type, anywhere inside (`dict[str, ModuleType]`).
    fn note_annotation(&self, attr: &str, annotation: &Expr, stmt: &Stmt, out: &mut Vec<HeldAttr>) {
        let mut found = None;
        super::effects::any_subexpr(annotation, &mut |e| {
            if found.is_some() || !matches!(e, Expr::Name(_) | Expr::Attribute(_)) {
                return;
            }
            let scopes = crate::semantic::Scopes::default();
            if let Some(q) = self.semantic.qualified_name(&scopes, e) {
                found = unpicklable_annotation(&q);
            }
        });
        if let Some(sent) = found {
            out.push(HeldAttr {
                attr: attr.to_string(),
                sent,
                annotated: true,
                range: stmt.range(),
            });
        }
    }
}

/// The name `expr` is, when it is a plain name.
fn plain_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(n) => Some(n.id.to_string()),
        _ => None,
    }
}

/// The local or receiver attribute holding an object: `p`, `self.proc` (as `proc`).
fn holder_name(expr: &Expr, builder: &Builder) -> Option<String> {
    Holder::of(expr, builder).map(|h| match h {
        Holder::Local(n) | Holder::Attr(n) => n,
    })
}

/// Whether `value` reads `target` (`v.value = v.value + 1`).
fn reads_same(value: &Expr, target: &Expr) -> bool {
    let text = |e: &Expr| -> Option<String> {
        match e {
            Expr::Name(n) => Some(n.id.to_string()),
            Expr::Attribute(a) => Some(format!("{}.{}", text_of(&a.value)?, a.attr)),
            _ => None,
        }
    };
    fn text_of(e: &Expr) -> Option<String> {
        match e {
            Expr::Name(n) => Some(n.id.to_string()),
            Expr::Attribute(a) => Some(format!("{}.{}", text_of(&a.value)?, a.attr)),
            _ => None,
        }
    }
    let Some(wanted) = (match target {
        Expr::Subscript(s) => text(&s.value).map(|t| format!("{t}[]")),
        other => text(other),
    }) else {
        return false;
    };
    let mut found = false;
    super::effects::any_subexpr(value, &mut |e| {
        if found {
            return;
        }
        let here = match e {
            Expr::Subscript(s) => text(&s.value).map(|t| format!("{t}[]")),
            Expr::Attribute(_) => text(e),
            _ => None,
        };
        found = here.as_deref() == Some(wanted.as_str());
    });
    found
}

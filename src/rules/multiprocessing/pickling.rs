//! What pickle cannot send to a process, decided for every value the project ships (SN502,
//! SN505).
//!
//! A value is a problem when it is, as the code shows: a lambda, a nested function or local
//! class (or an object of one), a module, an open file, a generator, a thread primitive
//! (`threading.Lock`, `queue.Queue`...), a `multiprocessing` lock, queue or shared value given to
//! a pool task (those are shared only by inheritance), or an object of a project class one of
//! whose attributes holds one of these (unless the class controls its pickling with
//! `__getstate__` or `__reduce__`, or derives from a class snarl cannot see). A factory's result
//! is what the factory returns. Values the caller pickles itself with `dill` or `cloudpickle`
//! may be lambdas and nested functions.

use super::Model;
use crate::project::link::Target;
use crate::project::{ClassId, FuncId, Project};
use crate::source::Span;
use crate::summary::processes::{Api, Role, Sent, Shipment};
use crate::summary::{Callee, FunctionKind};

/// Why a value cannot go to a process.
#[derive(Debug, Clone)]
pub enum Problem {
    /// Pickle cannot serialize it: "a lambda", "the nested function `make.<locals>.work`".
    Unpicklable(String),
    /// A thread primitive (qualified class name): pickling fails, and a forked child gets a
    /// private copy.
    ThreadPrimitive(String),
    /// A `multiprocessing` lock, queue or shared value given to a pool task: shared only by
    /// inheritance (`RuntimeError`).
    InheritedOnly(String),
    /// An object of `class` whose attribute `attr` holds `what`.
    Holds {
        class: ClassId,
        attr: String,
        what: Box<Problem>,
        span: Span,
        /// Known from the attribute's annotation.
        annotated: bool,
    },
}

impl Problem {
    /// Whether the problem is a thread primitive, directly or held (SN505's).
    pub fn is_thread_primitive(&self) -> bool {
        match self {
            Problem::ThreadPrimitive(_) => true,
            Problem::Holds { what, .. } => what.is_thread_primitive(),
            _ => false,
        }
    }

    /// How a message names what cannot be pickled.
    pub fn describe(&self) -> String {
        match self {
            Problem::Unpicklable(what) => what.clone(),
            Problem::ThreadPrimitive(class) | Problem::InheritedOnly(class) => {
                format!("a `{class}`")
            }
            Problem::Holds { what, .. } => what.describe(),
        }
    }
}

/// When a shipped value is pickled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pickled {
    /// Under every start method (pool and executor tasks, values the caller pickles itself).
    Always,
    /// Under `spawn` and `forkserver`; under `fork` the child inherits it.
    UnderSpawn,
    /// Never: the code runs under `fork`, and the child inherits a private copy.
    Inherited,
}

/// A shipped value that cannot go to a process.
#[derive(Debug, Clone)]
pub struct ShippedProblem {
    pub function: FuncId,
    /// Index of the call in the function's process calls.
    pub call: usize,
    pub shipment: usize,
    pub problem: Problem,
    pub pickled: Pickled,
    /// The caller pickles the value itself (`dill.dumps(x)`): the pickler.
    pub pickler: Option<String>,
}

/// Every shipped value of the project that cannot go to its process.
pub fn problems(model: &Model) -> Vec<ShippedProblem> {
    let (project, methods) = (model.project, &model.methods);
    let mut out = Vec::new();
    for function in 0..project.functions.len() as FuncId {
        let file = project.file_of(function);
        for (c, call) in project
            .function(function)
            .processes()
            .calls
            .iter()
            .enumerate()
        {
            if call.api == Api::ProcessObject && !is_process_object(project, call) {
                continue;
            }
            if call.api == Api::Process && never_started(project, function, call) {
                continue;
            }
            for (s, shipment) in call.sent.iter().enumerate() {
                let (sent, pickler) = match &shipment.sent {
                    Sent::Pickled { pickler, inner } => (&**inner, Some(pickler.clone())),
                    other => (other, None),
                };
                let lenient = pickler
                    .as_deref()
                    .is_some_and(|p| p != "pickle" && p != "cPickle");
                let Some(problem) = judge(model, sent, shipment, lenient) else {
                    continue;
                };
                let pickled = if pickler.is_some() || shipment.role.pickled_always() {
                    Pickled::Always
                } else {
                    if methods.runs_forked(file, call.method) {
                        Pickled::Inherited
                    } else {
                        Pickled::UnderSpawn
                    }
                };
                out.push(ShippedProblem {
                    function,
                    call: c,
                    shipment: s,
                    problem,
                    pickled,
                    pickler,
                });
            }
        }
    }
    out
}

/// Whether a `Process(...)` is never started: a local that is neither started nor handed on.
fn never_started(
    project: &Project,
    function: FuncId,
    call: &crate::summary::processes::ProcessCall,
) -> bool {
    project.function(function).spawns.iter().any(|s| {
        s.range == call.range
            && s.kind == crate::summary::SpawnKind::Process
            && s.start == crate::summary::Start::Never
    })
}

/// Whether `.start()` was called on an object of a `multiprocessing.Process` subclass.
fn is_process_object(project: &Project, call: &crate::summary::processes::ProcessCall) -> bool {
    let Some(Callee::Method { class, .. }) = &call.target else {
        return false;
    };
    matches!(project.resolve_name(class), Some(Target::Class(c)) if project.thread_class(c) == Some(true))
}

/// What is wrong with sending `sent` in `shipment`'s role, if anything. `lenient`: the caller
/// pickles it with `dill` or `cloudpickle`, which serialize lambdas and nested functions.
pub fn judge(model: &Model, sent: &Sent, shipment: &Shipment, lenient: bool) -> Option<Problem> {
    let problem = judge_value(model, sent, shipment.role, 0)?;
    if lenient && matches!(problem, Problem::Unpicklable(ref w) if is_code(w)) {
        return None;
    }
    Some(problem)
}

/// Lambdas, nested functions and local classes: what `dill` and `cloudpickle` can serialize.
fn is_code(what: &str) -> bool {
    what.starts_with("a lambda")
        || what.starts_with("the nested function")
        || what.starts_with("the local class")
        || what.starts_with("an object of the local class")
}

fn judge_value(model: &Model, sent: &Sent, role: Role, depth: usize) -> Option<Problem> {
    match sent {
        Sent::Lambda => Some(Problem::Unpicklable("a lambda".to_string())),
        Sent::Generator => Some(Problem::Unpicklable("a generator".to_string())),
        Sent::Module { name } if name.is_empty() => {
            Some(Problem::Unpicklable("a module".to_string()))
        }
        Sent::Module { name } => Some(Problem::Unpicklable(format!("the module `{name}`"))),
        Sent::File { what } if what.ends_with("(...)") => Some(Problem::Unpicklable(format!(
            "an open file made by `{what}`"
        ))),
        Sent::File { what } => Some(Problem::Unpicklable(format!("the open file `{what}`"))),
        Sent::Callable { callee } => judge_callable(model, callee, role, depth),
        Sent::Returned { callee } => judge_returned(model, callee, role, depth),
        Sent::Instance { class } => judge_instance(model, class, role, depth),
        Sent::Global { name } => {
            let class = model.global_class(name)?;
            judge_instance(model, class, role, depth)
        }
        Sent::Pickled { .. } => None,
    }
}

/// A function, class or bound method sent as a callable (or as a value).
fn judge_callable(model: &Model, callee: &Callee, role: Role, depth: usize) -> Option<Problem> {
    let project = model.project;
    match callee {
        Callee::Name { name } => {
            if name.contains(".<lambda@") {
                return Some(Problem::Unpicklable("a lambda".to_string()));
            }
            let local = name.contains(".<locals>.");
            match project.resolve_name(name) {
                Some(Target::Class(_)) if local => Some(Problem::Unpicklable(format!(
                    "the local class `{}`",
                    display(name)
                ))),
                Some(Target::Function(f)) if project.function(f).kind == FunctionKind::Lambda => {
                    Some(Problem::Unpicklable("a lambda".to_string()))
                }
                Some(Target::Function(_)) | None if local => Some(Problem::Unpicklable(format!(
                    "the nested function `{}`",
                    display(name)
                ))),
                _ => None,
            }
        }
        // `obj.method`: pickling the bound method pickles `obj`.
        Callee::Method { class, name, .. } => {
            let Some(Target::Class(c)) = project.resolve_name(class) else {
                return None;
            };
            let method = project.lookup_method(c, name)?;
            if project.function(method).kind != FunctionKind::Method {
                return None;
            }
            judge_class(model, c, role, depth)
        }
        Callee::Returned { .. } => {
            // A factory's result used as the callable.
            let (functions, _) = project.resolve(callee);
            returned_problem(project, &functions, callee)
        }
        _ => None,
    }
}

/// What a call of `callee` returns.
fn judge_returned(model: &Model, callee: &Callee, role: Role, depth: usize) -> Option<Problem> {
    let project = model.project;
    let (functions, constructor) = project.resolve(callee);
    if functions.is_empty() {
        return None;
    }
    if constructor {
        let Callee::Name { name } = callee else {
            return None;
        };
        return judge_instance(model, name, role, depth);
    }
    if functions
        .iter()
        .all(|&f| project.function(f).processes().is_generator)
    {
        let name = &project.function(functions[0]).name;
        return Some(Problem::Unpicklable(format!(
            "a generator (what `{name}(...)` returns)"
        )));
    }
    let mut returned = Vec::new();
    for &f in &functions {
        let what = project.function(f).returns_callable.as_ref()?;
        returned.push((f, what));
    }
    // Every function it may be returns a nested function or a lambda.
    let mut first = None;
    for (f, what) in returned {
        let Callee::Name { name } = what else {
            return None;
        };
        if !(name.contains(".<locals>.") || name.contains(".<lambda@")) {
            return None;
        }
        first.get_or_insert((f, name.clone()));
    }
    let (f, name) = first?;
    let factory = &project.function(f).name;
    Some(Problem::Unpicklable(if name.contains(".<lambda@") {
        format!("a lambda (what `{factory}(...)` returns)")
    } else {
        format!(
            "the nested function `{}` (what `{factory}(...)` returns)",
            display(&name)
        )
    }))
}

/// `functions` return nested functions: the problem, named after `callee`'s factory.
fn returned_problem(project: &Project, functions: &[FuncId], callee: &Callee) -> Option<Problem> {
    let Callee::Returned { factory } = callee else {
        return None;
    };
    let first = *functions.first()?;
    let all_local = functions.iter().all(|&f| {
        let q = &project.function(f).qualname;
        q.contains(".<locals>.") || q.contains(".<lambda@")
    });
    if !all_local {
        return None;
    }
    let factory = match &**factory {
        Callee::Name { name } => display(name).to_string(),
        Callee::Method { name, .. } => name.clone(),
        _ => "a factory".to_string(),
    };
    let function = project.function(first);
    Some(Problem::Unpicklable(
        if function.kind == FunctionKind::Lambda {
            format!("a lambda (what `{factory}(...)` returns)")
        } else {
            format!(
                "the nested function `{}` (what `{factory}(...)` returns)",
                display(&function.qualname)
            )
        },
    ))
}

/// An object of `class`.
fn judge_instance(model: &Model, class: &str, role: Role, depth: usize) -> Option<Problem> {
    let project = model.project;
    if let Some(what) = crate::summary::processes::known_unpicklable(class) {
        return Some(Problem::Unpicklable(what.to_string()));
    }
    if crate::summary::processes::is_thread_primitive(class) {
        return Some(Problem::ThreadPrimitive(class.to_string()));
    }
    if crate::summary::processes::is_inherited_only(class) {
        return (role == Role::TaskArg).then(|| Problem::InheritedOnly(class.to_string()));
    }
    if class.contains(".<locals>.") {
        return Some(Problem::Unpicklable(format!(
            "an object of the local class `{}`",
            display(class)
        )));
    }
    let Some(Target::Class(c)) = project.resolve_name(class) else {
        return None;
    };
    judge_class(model, c, role, depth)
}

/// Base classes that add nothing to how an object pickles.
const NEUTRAL_BASES: &[&str] = &[
    "builtins.object",
    "abc.ABC",
    "typing.Generic",
    "typing.Protocol",
    "typing.NamedTuple",
    "multiprocessing.Process",
    "builtins.Exception",
    "enum.Enum",
];

/// Methods through which a class decides how it pickles.
const PICKLING_METHODS: &[&str] = &[
    "__getstate__",
    "__reduce__",
    "__reduce_ex__",
    "__getnewargs__",
    "__getnewargs_ex__",
];

/// An object of project class `c`: one of its attributes holds what pickle cannot serialize.
fn judge_class(model: &Model, c: ClassId, role: Role, depth: usize) -> Option<Problem> {
    let project = model.project;
    if depth > 0 {
        return None;
    }
    let qualname = &project.class(c).qualname;
    if qualname.contains(".<locals>.") {
        return Some(Problem::Unpicklable(format!(
            "an object of the local class `{}`",
            display(qualname)
        )));
    }
    for &k in project.mro(c) {
        let class = project.class(k);
        // A base snarl cannot see may define how the object pickles.
        if class.bases.len() != project.bases[k as usize].len() {
            let unknown = class.bases.iter().any(|b| {
                !NEUTRAL_BASES.contains(&b.as_str())
                    && !matches!(project.resolve_name(b), Some(Target::Class(_)))
            });
            if unknown {
                return None;
            }
        }
        if class
            .methods
            .iter()
            .any(|(name, _)| PICKLING_METHODS.contains(&name.as_str()))
        {
            return None;
        }
    }
    // What the object holds goes where the object goes: a task's object is pickled like a task's
    // argument.
    let held_role = if role.pickled_always() {
        Role::TaskArg
    } else {
        Role::Arg
    };
    for &k in project.mro(c) {
        let class = project.class(k);
        for held in &class.held_unpicklable {
            let Some(what) = judge_value(model, &held.sent, held_role, depth + 1) else {
                continue;
            };
            return Some(Problem::Holds {
                class: c,
                attr: held.attr.clone(),
                what: Box::new(what),
                span: Span::new(project.class_file(k), held.range),
                annotated: held.annotated,
            });
        }
    }
    None
}

/// `outer.<locals>.inner` for `pkg.mod.outer.<locals>.inner`: the name from the function or
/// class that is defined at module level.
pub fn display(qualname: &str) -> &str {
    match qualname.find(".<locals>.") {
        Some(at) => {
            let head = &qualname[..at];
            let start = head.rfind('.').map_or(0, |d| d + 1);
            &qualname[start..]
        }
        None => qualname.rsplit('.').next().unwrap_or(qualname),
    }
}

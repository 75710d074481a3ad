//! SN111 `thread-target-arguments-mismatch`.
//!
//! ## What it does
//! Finds a thread, process, timer or pool task whose target is a function of the project that
//! cannot accept the arguments the spawn passes: `Thread(target=f, args=(...), kwargs={...})`,
//! `Timer(t, f, args)`, `Process(...)`, `executor.submit(f, *args)`,
//! `loop.run_in_executor(None, f, *args)`, `asyncio.to_thread(f, ...)`, `pool.apply_async(f,
//! args)`, `future.add_done_callback(f)` — too many or too few positional arguments, a keyword
//! no parameter has, a required keyword-only argument left out. A bound method's `self` is not
//! counted; `*args` and `**kwargs` accept anything. Arguments that are not literal (`args=params`,
//! `*args` at the spawn) are not counted, and nothing is reported.
//!
//! ## Why is this bad?
//! The call happens on the new thread: it dies at once with `TypeError`, which only its
//! excepthook prints, and the code that started it goes on as if the work were being done (in a
//! pool, the error waits in the future until someone asks for its result).

use crate::diagnostic::Diagnostic;
use crate::project::{FuncId, Project};
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};
use crate::summary::thread_api::{Mismatch, SpawnArgs};
use crate::summary::{Callee, FunctionKind, FunctionSummary, Spawn, SpawnKind};

pub fn check(project: &Project, files: &SourceFiles) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for function in 0..project.functions.len() as FuncId {
        let summary = project.function(function);
        for args in summary.thread_api.spawn_args() {
            let Some(spawn) = summary.spawns.iter().find(|s| s.range == args.spawn) else {
                continue;
            };
            if let Some(diagnostic) = check_spawn(project, files, function, spawn, args) {
                out.push(diagnostic);
            }
        }
    }
    out
}

fn check_spawn(
    project: &Project,
    files: &SourceFiles,
    function: FuncId,
    spawn: &Spawn,
    args: &SpawnArgs,
) -> Option<Diagnostic> {
    let (candidates, constructor) = project.resolve(&spawn.target);
    // Every function the target may be must refuse the arguments (an override may differ).
    let mut refused: Option<(FuncId, Mismatch, bool)> = None;
    for &candidate in &candidates {
        let callee = project.function(candidate);
        let signature = callee.thread_api.signature.as_ref()?;
        let bound = binds_receiver(&spawn.target, callee, constructor)?;
        if !plain_decorators(callee) || redefined(project, candidate) {
            return None;
        }
        match signature.bind(&callee.params, args.positional, &args.keywords, bound) {
            Ok(()) => return None,
            Err(mismatch) => {
                refused.get_or_insert((candidate, mismatch, bound));
            }
        }
    }
    let (callee_id, mismatch, bound) = refused?;
    let callee = project.function(callee_id);
    let signature = callee.thread_api.signature.as_ref()?;
    let file = project.file_of(function);
    let source = files.get(file);
    let target = source.slice(args.target).to_string();
    let name = if callee.kind == FunctionKind::Lambda {
        "lambda".to_string()
    } else if constructor {
        callee
            .class
            .as_deref()
            .map_or(callee.name.as_str(), crate::project::roots::short_name)
            .to_string()
    } else {
        callee.name.clone()
    };
    let shown = signature.display(&callee.params, &name, bound);
    let mut passed = describe_arguments(args);
    if target.contains("partial(") {
        passed.push_str(" (the partial's own included)");
    }
    let problem = match &mismatch {
        Mismatch::TooMany { takes, given } => format!(
            "takes {}, not {given}",
            plural(*takes, "positional argument")
        ),
        Mismatch::Missing(names) => format!(
            "is missing the required argument{} {}",
            if names.len() == 1 { "" } else { "s" },
            quoted(names)
        ),
        Mismatch::Unexpected(keyword) => format!("has no parameter `{keyword}`"),
        Mismatch::Twice(keyword) => {
            format!("gets `{keyword}` both by position and by keyword")
        }
    };
    let (what, consequence) = consequence(spawn.kind);
    let message = format!(
        "the {what} calls `{target}` with {passed}, but `{shown}` {problem}: {consequence}"
    );
    let help = match &mismatch {
        Mismatch::Missing(_) | Mismatch::TooMany { .. } => format!(
            "Pass exactly the arguments `{shown}` takes (a one-element `args` tuple needs its comma: `args=(x,)`), or start the function that is meant to run there."
        ),
        Mismatch::Unexpected(_) | Mismatch::Twice(_) => format!(
            "Pass keyword arguments that `{shown}` has, each once, or start the function that is meant to run there."
        ),
    };
    Some(
        Diagnostic::new(
            Rule::ThreadTargetArgumentsMismatch,
            Span::new(file, args.at),
            message,
        )
        .with_related(
            Span::new(project.file_of(callee_id), callee.range),
            format!("`{name}` is defined here"),
        )
        .with_related(
            Span::new(file, spawn.range),
            format!("the {what} starts here"),
        )
        .with_help(help),
    )
}

/// Whether a call of `callee` through `target` passes the receiver implicitly; `None` when the
/// form says too little to know (a function stored as an attribute may be bound or not).
fn binds_receiver(target: &Callee, callee: &FunctionSummary, constructor: bool) -> Option<bool> {
    if constructor {
        return Some(true);
    }
    match (target, callee.kind) {
        (_, FunctionKind::StaticMethod) => Some(false),
        (_, FunctionKind::ClassMethod) => Some(true),
        (Callee::Name { .. }, FunctionKind::Function | FunctionKind::Lambda) => Some(false),
        // `C.method`: the receiver must be passed explicitly.
        (Callee::Name { .. }, FunctionKind::Method) => Some(false),
        (
            Callee::Method {
                is_virtual: false, ..
            },
            FunctionKind::Method,
        ) => Some(false),
        (
            Callee::Method {
                is_virtual: true, ..
            }
            | Callee::Super { .. },
            FunctionKind::Method,
        ) => Some(true),
        // A factory's nested function or lambda.
        (Callee::Returned { .. }, FunctionKind::Function | FunctionKind::Lambda) => Some(false),
        _ => None,
    }
}

/// Decorators that keep the signature: `staticmethod`, `classmethod`, `abstractmethod`.
fn plain_decorators(callee: &FunctionSummary) -> bool {
    callee.decorators.iter().all(|d| {
        matches!(d, Callee::Name { name } if matches!(name.as_str(),
            "builtins.staticmethod" | "builtins.classmethod" | "abc.abstractmethod"
            | "typing.override" | "typing_extensions.override"))
    })
}

/// Whether another function of the same module has the same qualified name (a definition under
/// `if`/`else` or `try`/`except`): which one runs is not known.
fn redefined(project: &Project, function: FuncId) -> bool {
    let (m, _) = project.functions[function as usize];
    let qualname = &project.function(function).qualname;
    project.modules[m as usize]
        .functions
        .iter()
        .filter(|f| &f.qualname == qualname)
        .count()
        > 1
}

/// "no arguments", "2 positional arguments and the keyword `x`".
fn describe_arguments(args: &SpawnArgs) -> String {
    let positional = (args.positional > 0).then(|| plural(args.positional, "positional argument"));
    let keywords = (!args.keywords.is_empty()).then(|| {
        format!(
            "the keyword{} {}",
            if args.keywords.len() == 1 { "" } else { "s" },
            quoted(&args.keywords)
        )
    });
    match (positional, keywords) {
        (None, None) => "no arguments".to_string(),
        (Some(p), None) => p,
        (None, Some(k)) => k,
        (Some(p), Some(k)) => format!("{p} and {k}"),
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What runs the target, and what happens to the `TypeError`.
fn consequence(kind: SpawnKind) -> (&'static str, &'static str) {
    match kind {
        SpawnKind::Process => (
            "process",
            "the process exits at once with TypeError, and the parent goes on without the work",
        ),
        SpawnKind::ThreadPool
        | SpawnKind::ProcessPool
        | SpawnKind::RunInExecutor
        | SpawnKind::ToThread => (
            "task",
            "the task fails at once with TypeError, which surfaces only where its result is asked for",
        ),
        SpawnKind::DoneCallback => (
            "future",
            "the callback raises TypeError, which the future logs and otherwise ignores",
        ),
        SpawnKind::Timer => (
            "timer thread",
            "the timer thread dies with TypeError when it fires, and nothing else notices",
        ),
        _ => (
            "thread",
            "the thread dies at once with TypeError, and nothing else notices",
        ),
    }
}

//! SN404 `executor-created-per-call`.
//!
//! ## What it does
//! Finds pools and executors created again and again:
//! - inside a loop, used and shut down (or dropped) within the pass;
//! - in a function that runs many times (a loop calls it, directly or through other calls; it is
//!   a pool's task or a request handler), living only for the call: process pools and
//!   `multiprocessing` pools (which start every worker at once), or any executor never shut down;
//! - a `multiprocessing` pool made on every call and never closed, whose workers outlive the
//!   call;
//! - a timer callback that starts a new `Timer` of itself for each interval.
//!
//! ## Why is this bad?
//! Each pool starts its workers (a process each for process pools: an interpreter start and
//! imports, often 100 ms or more) and shuts them down again, so the start-up is paid per item or
//! per call instead of once. A pool that is never shut down leaves its workers running until the
//! garbage collector finds it. A timer that re-creates itself starts a thread per interval and
//! cannot be stopped cleanly.

use super::describe_repetition;
use crate::diagnostic::{Confidence, Diagnostic};
use crate::project::link::Target;
use crate::project::{FuncId, Project};
use crate::rules::races::place;
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};
use crate::summary::{Callee, FunctionKind, PoolFact, PoolLifetime, SpawnKind, Start};

const HELP: &str = "Create the pool once and reuse it: before the loop, in `__init__`, or lazily in a module-level variable; shut it down when the program (or the object) is done with it.";

pub fn check(project: &Project, files: &SourceFiles) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for function in super::checked_functions(project) {
        let summary = project.function(function);
        let file = project.file_of(function);
        for pool in summary.work.pools() {
            if pool.lifetime == PoolLifetime::Kept {
                continue;
            }
            let in_loop = pool
                .in_loop
                .map(|i| &summary.work.loops()[i as usize])
                .filter(|l| !l.small);
            let finding = if let Some(found) = in_loop {
                let loop_span = Span::new(file, found.header);
                Diagnostic::new(
                    Rule::ExecutorCreatedPerCall,
                    Span::new(file, pool.range),
                    format!(
                        "a new `{}` is created on every pass of the loop at {}{}",
                        pool.short_name(),
                        place(files, loop_span),
                        cost(pool)
                    ),
                )
                .with_related(loop_span, "the loop")
                .with_confidence(Confidence::High)
            } else if summary.kind == FunctionKind::Module
                || summary.name.starts_with("test")
                || is_script(project, function)
            {
                continue;
            } else if let Some((why, related)) = (pool.starts_eagerly() && !pool.opt_in)
                .then(|| describe_repetition(project, files, function))
                .flatten()
            {
                let mut diagnostic = Diagnostic::new(
                    Rule::ExecutorCreatedPerCall,
                    Span::new(file, pool.range),
                    format!(
                        "`{}` creates a new `{}` on every call, and it runs many times ({why}){}",
                        summary.name,
                        pool.short_name(),
                        cost(pool)
                    ),
                )
                .with_confidence(Confidence::Medium);
                for (span, message) in related {
                    diagnostic = diagnostic.with_related(span, message);
                }
                diagnostic
            } else if pool.serves_callers && pool.starts_eagerly() && !is_entry_point(&summary.name)
            {
                Diagnostic::new(
                    Rule::ExecutorCreatedPerCall,
                    Span::new(file, pool.range),
                    format!(
                        "`{}` creates a new `{}` on every call to run the work its callers pass in: every parallel job run through it pays the pool's start-up{}",
                        summary.name,
                        pool.short_name(),
                        if pool.lifetime == PoolLifetime::Leaked {
                            ", and the pool is never closed"
                        } else {
                            " and shutdown"
                        }
                    ),
                )
                .with_confidence(Confidence::Medium)
            } else if pool.lifetime == PoolLifetime::Leaked
                && pool.class.starts_with("multiprocessing.")
                && !is_entry_point(&summary.name)
            {
                Diagnostic::new(
                    Rule::ExecutorCreatedPerCall,
                    Span::new(file, pool.range),
                    format!(
                        "`{}` creates a new `{}` on every call and never closes it: its workers keep running after the call until the garbage collector finds the pool, which the `multiprocessing` documentation says not to rely on",
                        summary.name,
                        pool.short_name()
                    ),
                )
                .with_confidence(Confidence::High)
            } else {
                continue;
            };
            let mut finding = finding.with_help(HELP);
            if let Some(end) = pool.end.filter(|_| pool.lifetime == PoolLifetime::Scoped) {
                let message = if pool.ends_with_block {
                    "and shut down when this `with` block ends"
                } else {
                    "and shut down here"
                };
                finding = finding.with_related(Span::new(file, end), message);
            }
            out.push(finding);
        }
        out.extend(self_rescheduling_timers(project, function));
    }
    out
}

/// What each creation costs, for messages.
fn cost(pool: &PoolFact) -> &'static str {
    match (pool.lifetime, pool.is_process()) {
        (PoolLifetime::Leaked, _) if pool.starts_eagerly() => {
            ": each starts its workers and is never closed, so they keep running until the garbage collector finds the pool"
        }
        (PoolLifetime::Leaked, _) => ": each starts its worker threads anew",
        (_, true) => {
            ": each starts its worker processes (an interpreter start and imports each) and shuts them down again"
        }
        (_, false) => ": each starts its worker threads and shuts them down again",
    }
}

/// Whether `function` is in a build or configuration script (`setup.py`, `conftest.py`,
/// `noxfile.py`): it runs once per command.
fn is_script(project: &Project, function: FuncId) -> bool {
    let module = &project.modules[project.functions[function as usize].0 as usize].module;
    let last = module.rsplit('.').next().unwrap_or(module);
    matches!(
        last,
        "setup" | "conftest" | "noxfile" | "fabfile" | "__main__"
    )
}

/// `main()` and friends run once: a pool they leave to the end of the program is the program's.
fn is_entry_point(name: &str) -> bool {
    matches!(name, "main" | "_main" | "cli" | "run_main")
}

/// `def tick(): ...; threading.Timer(5, tick).start()`: a new timer thread per interval.
fn self_rescheduling_timers(project: &Project, function: FuncId) -> Vec<Diagnostic> {
    let summary = project.function(function);
    let file = project.file_of(function);
    let mut out = Vec::new();
    for spawn in &summary.spawns {
        if spawn.kind != SpawnKind::Timer || spawn.start == Start::Never {
            continue;
        }
        let targets_itself = match &spawn.target {
            Callee::Name { name } => {
                matches!(project.resolve_name(name), Some(Target::Function(f)) if f == function)
            }
            callee @ Callee::Method { .. } => project.resolve(callee).0 == vec![function],
            _ => false,
        };
        if !targets_itself {
            continue;
        }
        out.push(
            Diagnostic::new(
                Rule::ExecutorCreatedPerCall,
                Span::new(file, spawn.range),
                format!(
                    "`{}` starts a new `Timer` of itself each time it runs: every interval starts (and ends) a thread, and the chain of timers has no handle to stop it by",
                    summary.name
                ),
            )
            .with_help("Run one thread with a loop that waits on a `threading.Event` (`while not stop.wait(interval): tick()`): one thread for every interval, stopped by `stop.set()`.")
            .with_confidence(Confidence::Medium),
        );
    }
    out
}

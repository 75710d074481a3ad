//! SN4xx: the GIL and the choice between threads and processes, checked on the linked project
//! model.
//!
//! The rules read the effect inference ([`crate::project::effects`]: what the work reachable
//! from a root does), the repetition of functions ([`crate::project::repeats`]) and the facts
//! the summaries record about loops, pools and waits ([`crate::summary::work`]). They claim
//! CPU-bound work only when the computation is visible in the project's own code and nothing
//! reachable does I/O, waits, releases the GIL or is unknown; I/O-bound work only when nothing
//! reachable computes or is unknown. One file per rule.

use crate::diagnostic::Diagnostic;
use crate::project::{FuncId, Project, Repeat, RootKind};
use crate::rules::races::place;
use crate::rules::{Rule, RuleSet};
use crate::source::{SourceFiles, Span};
use crate::summary::SpawnKind;

mod cpu_bound_work_on_threads;
mod executor_created_per_call;
mod io_bound_work_on_processes;
mod process_map_without_chunksize;
mod submit_then_wait;

/// Every SN4xx finding of the project.
pub fn check(project: &Project, files: &SourceFiles, rules: RuleSet) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if rules.contains(Rule::CpuBoundWorkOnThreads) {
        out.extend(cpu_bound_work_on_threads::check(project, files));
    }
    if rules.contains(Rule::IoBoundWorkOnProcesses) {
        out.extend(io_bound_work_on_processes::check(project, files));
    }
    if rules.contains(Rule::SubmitThenWait) {
        out.extend(submit_then_wait::check(project));
    }
    if rules.contains(Rule::ExecutorCreatedPerCall) {
        out.extend(executor_created_per_call::check(project, files));
    }
    if rules.contains(Rule::ProcessMapWithoutChunksize) {
        out.extend(process_map_without_chunksize::check(project));
    }
    out
}

/// The functions of the project outside test modules (tests start pools and threads to
/// exercise code, not as the code runs).
fn checked_functions(project: &Project) -> impl Iterator<Item = FuncId> + '_ {
    (0..project.functions.len() as FuncId)
        .filter(|&f| !project.is_test_module(project.functions[f as usize].0 as usize))
}

/// How a root's threads or processes are named in messages: "thread-pool tasks", "threads".
fn root_noun(kind: &RootKind, process: bool) -> &'static str {
    match kind {
        RootKind::Spawn(SpawnKind::ThreadPool) => "thread-pool tasks",
        RootKind::Spawn(SpawnKind::ProcessPool) => "process-pool tasks",
        RootKind::Spawn(SpawnKind::RunInExecutor) => "executor tasks",
        RootKind::Spawn(SpawnKind::ToThread) => "`asyncio.to_thread` tasks",
        RootKind::Spawn(SpawnKind::Timer) => "timer threads",
        RootKind::Spawn(SpawnKind::ThreadingServer) => "request-handler threads",
        RootKind::Spawn(SpawnKind::Process) => "processes",
        _ if process => "processes",
        _ => "threads",
    }
}

/// Why a function runs many times, for messages ("`evolve` calls it in the loop at
/// hl_api.py:69 (through `step`)"), with the places involved.
fn describe_repetition(
    project: &Project,
    files: &SourceFiles,
    function: FuncId,
) -> Option<(String, Vec<(Span, String)>)> {
    let repetition = project.repetition(function)?;
    let path = project.repetition_path(function);
    let mut related = Vec::new();
    // What the reason is about: the first function of the chain, or this one.
    let subject = match path.first() {
        Some((f, _)) => format!("`{}`", project.function(*f).name),
        None => "it".to_string(),
    };
    let mut text = match repetition.why {
        Repeat::Loop {
            caller,
            site,
            header,
        } => {
            let file = project.file_of(caller);
            let loop_span = Span::new(file, header);
            related.push((loop_span, "this loop runs it on every pass".to_string()));
            related.push((Span::new(file, site), "called here".to_string()));
            format!(
                "`{}` calls {subject} in the loop at {}",
                project.function(caller).name,
                place(files, loop_span)
            )
        }
        Repeat::Root(root) => {
            let root = &project.roots[root as usize];
            let noun = root_noun(&root.kind, root.process);
            match (&root.kind, root.site) {
                (RootKind::Declared { pattern }, _) => {
                    format!("the `concurrent` setting says {subject} runs on many threads (`{pattern}`)")
                }
                (_, Some(site)) => {
                    related.push((site, format!("{noun} started here")));
                    format!("the {noun} started at {} run {subject}", place(files, site))
                }
                (_, None) => format!("{noun} run {subject}"),
            }
        }
    };
    // The chain of calls from the repeated function down to this one.
    let through: Vec<String> = path
        .iter()
        .skip(1)
        .map(|(f, _)| format!("`{}`", project.function(*f).name))
        .collect();
    if !through.is_empty() {
        text.push_str(&format!(", through {}", through.join(", ")));
    }
    Some((text, related))
}

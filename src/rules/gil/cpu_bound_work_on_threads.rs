//! SN401 `cpu-bound-work-on-threads`.
//!
//! ## What it does
//! Finds threads started to run in parallel (a thread pool's tasks, threads started in a loop,
//! `run_in_executor`, `asyncio.to_thread`) whose work is pure-Python computation: a loop of the
//! project's own code that computes, and nothing reachable that does I/O, waits, releases the GIL
//! or is unknown.
//!
//! ## Why is this bad?
//! Under the GIL only one thread runs Python bytecode at a time: the threads take turns on the
//! loop and finish no sooner than one thread would (usually later, from the switching). Processes
//! run it in parallel; a free-threaded CPython build runs the threads in parallel.

use std::collections::HashSet;

use super::root_noun;
use crate::diagnostic::{Confidence, Diagnostic, Related};
use crate::project::{Project, Root, RootKind, Thread};
use crate::rules::races::place;
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};
use crate::summary::SpawnKind;

pub fn check(project: &Project, files: &SourceFiles) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut reported: HashSet<Span> = HashSet::new();
    for root in &project.roots {
        let on_threads = match root.kind {
            RootKind::Spawn(kind) => matches!(
                kind,
                SpawnKind::Thread
                    | SpawnKind::ThreadSubclass
                    | SpawnKind::StartNewThread
                    | SpawnKind::ThreadPool
                    | SpawnKind::RunInExecutor
                    | SpawnKind::ToThread
            ),
            RootKind::ThreadRun => true,
            _ => false,
        };
        // One thread computing beside the main one is a choice for responsiveness, not
        // parallelism: only threads that run many at once are meant to go faster.
        if !on_threads || root.process || !runs_many(project, root) {
            continue;
        }
        let Some(site) = root.site else {
            continue;
        };
        let work = project.work(root.entry);
        let Some(compute) = work.compute.as_ref().filter(|_| work.is_cpu_bound()) else {
            continue;
        };
        if !reported.insert(site) {
            continue;
        }
        let target = project.function(root.entry);
        let noun = root_noun(&root.kind, false);
        let compute_span = project.evidence_span(compute);
        let in_target = compute.function == root.entry;
        let kind = project.evidence_text(compute);
        let what = if in_target {
            format!("its {kind} at {}", place(files, compute_span))
        } else {
            format!(
                "the {kind} of `{}` at {}",
                project.function(compute.function).name,
                place(files, compute_span)
            )
        };
        let threads = match (&root.kind, root.spawner) {
            (RootKind::ThreadRun, None) => {
                let class = target.class.as_deref().unwrap_or("");
                format!(
                    "`{}` threads, created many at once,",
                    class.rsplit('.').next().unwrap_or(class)
                )
            }
            _ => format!("the {noun} started here"),
        };
        let mut diagnostic = Diagnostic::new(
            Rule::CpuBoundWorkOnThreads,
            site,
            format!(
                "{threads} run `{}`, pure-Python computation that does no I/O: under the GIL they will run {what} one at a time, no faster than one thread",
                target.name
            ),
        )
        .with_help("Run it in a `ProcessPoolExecutor` or a `multiprocessing.Pool` (with `chunksize=` for many small items), or on a free-threaded CPython build (`free-threaded = true` in the configuration turns this rule off).")
        .with_related(
            compute_span,
            format!("this {kind} holds the GIL: one thread runs it at a time"),
        )
        .with_confidence(if root.many {
            Confidence::High
        } else {
            Confidence::Medium
        });
        let target_span = Span::new(project.file_of(root.entry), target.range);
        if !in_target {
            diagnostic = diagnostic.with_related(target_span, "the threads run this function");
        }
        diagnostic.flow = vec![
            Related {
                span: site,
                message: "the threads start here".to_string(),
            },
            Related {
                span: compute_span,
                message: format!("and take turns on this {kind}"),
            },
        ];
        out.push(diagnostic);
    }
    out
}

/// Whether the root runs many threads at once as the code shows: started in a loop or a pool, or
/// started by code that itself runs on many threads the program starts (not by code that only
/// intent says is shared: that says nothing of parallel computation).
fn runs_many(project: &Project, root: &Root) -> bool {
    let Some((spawner, _)) = root.spawner else {
        return root.many;
    };
    // A pool runs one task per `submit`: many at once only from a loop or a `map`.
    let one_per_call = matches!(
        root.kind,
        RootKind::Spawn(SpawnKind::ThreadPool | SpawnKind::RunInExecutor | SpawnKind::ToThread)
    );
    if root.many && !one_per_call {
        return true;
    }
    if let (true, Some(site)) = (root.many, root.site) {
        let work = &project.function(spawner).work;
        if work.map_calls().contains(&site.range) || work.repeating_loop(site.range).is_some() {
            return true;
        }
    }
    project.contexts[spawner as usize]
        .threads
        .iter()
        .any(|t| match t {
            Thread::Root(g) => {
                project.group_many[*g as usize] && project.roots[*g as usize].is_explicit()
            }
            Thread::Beside(_) => false,
        })
}

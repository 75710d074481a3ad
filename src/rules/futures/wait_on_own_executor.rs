//! SN603 `wait-on-own-executor`.
//!
//! ## What it does
//! Finds a task running on a thread pool that gives the same pool another task and waits for it
//! (`pool.submit(...).result()`, `wait`, `as_completed`, a blocking `map`), directly or through
//! the functions it calls — also when the task submits itself again, one nesting level inside
//! the other. The pool is the same when it is one shared object (a module global, an attribute)
//! or when the submit hands the task the pool it runs on.
//!
//! ## Why is this bad?
//! A pool has a bounded number of workers. When every worker runs an outer task that waits for
//! an inner one, the inner tasks sit in the queue with no worker to run them, and the outer ones
//! wait forever: the pool deadlocks (how soon depends on the pool size and the load, so it
//! shows up in production rather than in tests).

use std::collections::{HashSet, VecDeque};

use super::{code, task_label};
use crate::diagnostic::Diagnostic;
use crate::project::{Chain, FuncId, Project, Via};
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};
use crate::summary::Loc;

/// At most this many pools are followed through each function.
const MAX_POOLS: usize = 8;

/// Which pool a waited task goes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum PoolKey {
    /// One shared object: a global, an attribute (with a constant subscript).
    Shared(Loc, Option<String>),
    /// Whatever pool this submit (function, task index) uses, when it reaches itself again.
    Site(FuncId, u32),
}

pub fn check(project: &Project, files: &SourceFiles, out: &mut Vec<Diagnostic>) {
    let n = project.functions.len();
    let sync_callers = project.sync_callers(&project.runs_in_caller());
    // The pools each function waits on, directly or through its callees.
    let mut waits: Vec<Vec<(PoolKey, Via)>> = vec![Vec::new(); n];
    let mut queue: VecDeque<FuncId> = VecDeque::new();
    for f in 0..n as FuncId {
        for (i, task) in project.function(f).futures().pool_tasks.iter().enumerate() {
            if task.waited_at.is_none() {
                continue;
            }
            if let Some(loc) = &task.pool {
                let key = PoolKey::Shared(project.canonical_loc(loc), task.subscript.clone());
                push_key(&mut waits[f as usize], key, Via::Here(i as u32));
            }
            if task.pool.is_some() || task.passes_pool {
                push_key(
                    &mut waits[f as usize],
                    PoolKey::Site(f, i as u32),
                    Via::Here(i as u32),
                );
            }
        }
        if !waits[f as usize].is_empty() {
            queue.push_back(f);
        }
    }
    let mut queued: HashSet<FuncId> = queue.iter().copied().collect();
    while let Some(g) = queue.pop_front() {
        queued.remove(&g);
        let keys: Vec<PoolKey> = waits[g as usize].iter().map(|(k, _)| k.clone()).collect();
        for &(f, e) in &sync_callers[g as usize] {
            if project.is_coroutine(f) {
                continue;
            }
            let mut changed = false;
            for key in &keys {
                changed |= push_key(&mut waits[f as usize], key.clone(), Via::Call(e as u32));
            }
            if changed && queued.insert(f) {
                queue.push_back(f);
            }
        }
    }
    // A task given to pool P whose function waits on P.
    let mut reported: HashSet<Span> = HashSet::new();
    for s in 0..n as FuncId {
        for (j, outer) in project.function(s).futures().pool_tasks.iter().enumerate() {
            let own_keys = [
                outer.pool.as_ref().map(|loc| {
                    PoolKey::Shared(project.canonical_loc(loc), outer.subscript.clone())
                }),
                Some(PoolKey::Site(s, j as u32)),
            ];
            let (targets, _) = project.resolve(&outer.target);
            for &t in &targets {
                let Some(key) = own_keys
                    .iter()
                    .flatten()
                    .find(|key| waits[t as usize].iter().any(|(k, _)| k == *key))
                else {
                    continue;
                };
                let Some(Chain {
                    calls: chain,
                    function: w,
                    site: i,
                }) = follow(project, &waits, t, key)
                else {
                    continue;
                };
                let inner = &project.function(w).futures().pool_tasks[i as usize];
                let inner_span = Span::new(project.file_of(w), inner.range);
                if !reported.insert(inner_span) {
                    continue;
                }
                let outer_span = Span::new(project.file_of(s), outer.range);
                let pool = code(files, Span::new(project.file_of(w), inner.pool_range));
                let task = task_label(project, &outer.target, &targets);
                let through = if chain.is_empty() {
                    String::new()
                } else {
                    let names: Vec<String> = chain
                        .iter()
                        .skip(1)
                        .map(|&(f, _)| format!("`{}`", project.function_label(f)))
                        .chain(std::iter::once(format!("`{}`", project.function_label(w))))
                        .collect();
                    format!(" through {}", names.join(" → "))
                };
                let recursive = inner_span == outer_span;
                let message = if recursive {
                    format!(
                        "`{}` runs {task} on `{pool}`, and {task} comes back here{through} to submit to the same pool and wait for the result: when every worker of the pool is running {task} and waiting, the task they wait for never gets a worker, and the pool deadlocks",
                        code(files, inner_span)
                    )
                } else {
                    format!(
                        "`{}` submits to `{pool}` and waits for the result, but it runs on that same pool itself ({task}{through}, submitted at {}): when every worker of the pool waits here, the task they wait for never gets a worker, and the pool deadlocks",
                        code(files, inner_span),
                        crate::rules::races::place(files, outer_span)
                    )
                };
                let mut diagnostic = Diagnostic::new(Rule::WaitOnOwnExecutor, inner_span, message)
                    .with_help("Give the nested tasks a pool of their own (one per nesting level), or run the inner work inline, or let the outer task return without waiting and continue in a done callback.");
                if let Some(wait) = inner.waited_at {
                    let wait = Span::new(project.file_of(w), wait);
                    if wait != inner_span {
                        diagnostic = diagnostic.with_related(
                            wait,
                            "waits here for the task, holding a worker of the pool",
                        );
                    }
                }
                if !recursive {
                    diagnostic = diagnostic.with_related(
                        outer_span,
                        format!("{task} is submitted to the same pool here"),
                    );
                }
                if let Some(&(first, e)) = chain.first() {
                    let edge = &project.edges[first as usize][e];
                    diagnostic = diagnostic.with_related(
                        Span::new(project.file_of(first), edge.site),
                        format!(
                            "`{}` calls `{}`",
                            project.function_label(first),
                            project.function_label(edge.callee)
                        ),
                    );
                }
                out.push(diagnostic);
            }
        }
    }
}

/// Adds `key` to a function's pools unless it is there or the list is full.
fn push_key(keys: &mut Vec<(PoolKey, Via)>, key: PoolKey, via: Via) -> bool {
    if keys.len() >= MAX_POOLS || keys.iter().any(|(k, _)| *k == key) {
        return false;
    }
    keys.push((key, via));
    true
}

/// The calls from `t` down to the waited task on pool `key`.
fn follow(
    project: &Project,
    waits: &[Vec<(PoolKey, Via)>],
    t: FuncId,
    key: &PoolKey,
) -> Option<Chain> {
    let mut chain = Vec::new();
    let mut current = t;
    for _ in 0..64 {
        let (_, via) = waits[current as usize].iter().find(|(k, _)| k == key)?;
        match *via {
            Via::Here(i) => {
                return Some(Chain {
                    calls: chain,
                    function: current,
                    site: i,
                })
            }
            Via::Call(e) => {
                chain.push((current, e as usize));
                current = project.edges[current as usize][e as usize].callee;
            }
        }
    }
    None
}

//! SN504 `join-before-queue-drain`.
//!
//! ## What it does
//! Finds a parent that joins a process which puts items on a `multiprocessing` queue before the
//! parent reads that queue: the queue is handed to the process (`args=`/`kwargs=`), the target
//! (or a function it hands the queue to) calls `put` on it, and the parent's first `get` on the
//! queue comes after the `join()`. Test code is left alone: it puts a few small items, which
//! never fill the pipe.
//!
//! ## Why is this bad?
//! A process that has put items on a queue does not exit until a feeder thread has written them
//! all to the underlying pipe. Once the pipe's buffer is full, the writes wait for a reader; the
//! parent is waiting in `join()` and reads only afterwards: both wait forever (or until the
//! join's timeout, after which the result looks missing). The `multiprocessing` documentation
//! calls this "joining processes that use queues".

use super::Model;
use crate::diagnostic::Diagnostic;
use crate::project::{FuncId, Project};
use crate::python::TextRange;
use crate::rules::Rule;
use crate::source::Span;
use crate::summary::processes::{ArgAt, QueueJoin};
use crate::summary::{Callee, FunctionKind};

pub fn check(model: &Model) -> Vec<Diagnostic> {
    let project = model.project;
    let mut out = Vec::new();
    for function in 0..project.functions.len() as FuncId {
        // Tests put a few small items to check a child's work: far from a full pipe.
        if project.is_test_module(project.functions[function as usize].0 as usize) {
            continue;
        }
        for join in &project.function(function).processes().queue_joins {
            let Some((putter, put)) = puts_on(project, join) else {
                continue;
            };
            let file = project.file_of(function);
            let put_span = Span::new(project.file_of(putter), put);
            let message = format!(
                "The process is joined before the parent reads `{q}`, and its target puts on `{q}` (at {}): a child does not exit until its queued items are written to the pipe, so once the pipe's buffer is full `join()` waits forever (or until its timeout)",
                model.place(put_span),
                q = join.queue,
            );
            out.push(
                Diagnostic::new(Rule::JoinBeforeQueueDrain, Span::new(file, join.join), message)
                    .with_help(format!(
                        "Read the items from `{}` before joining the process (as many `get()` calls as the child puts), then join.",
                        join.queue
                    ))
                    .with_related(put_span, "the child puts on the queue here")
                    .with_related(Span::new(file, join.get), "the parent reads it only here")
                    .with_related(Span::new(file, join.process), "the process is given the queue here")
                    .with_related(Span::new(file, join.made), "the queue"),
            );
        }
    }
    out
}

/// The function that puts on the queue and where: the target, or a function it hands the
/// queue's parameter to.
fn puts_on(project: &Project, join: &QueueJoin) -> Option<(FuncId, TextRange)> {
    let (targets, _) = project.resolve(&join.target);
    for target in targets {
        let function = project.function(target);
        let offset = u32::from(
            join.bound
                && matches!(
                    function.kind,
                    FunctionKind::Method | FunctionKind::ClassMethod
                ),
        );
        let param = match &join.at {
            ArgAt::Position { index } => index + offset,
            ArgAt::Keyword { name } => function.params.iter().position(|p| p == name)? as u32,
        };
        if let Some(found) = puts_param(project, target, param, 1) {
            return Some(found);
        }
    }
    None
}

fn puts_param(
    project: &Project,
    function: FuncId,
    param: u32,
    hops: usize,
) -> Option<(FuncId, TextRange)> {
    let facts = &project.function(function).processes();
    if let Some((_, range)) = facts.param_puts.iter().find(|(p, _)| *p == param) {
        return Some((function, *range));
    }
    if hops == 0 {
        return None;
    }
    for forward in facts.param_forwards.iter().filter(|f| f.param == param) {
        let (callees, _) = project.resolve(&forward.callee);
        for callee in callees {
            let bound = matches!(forward.callee, Callee::Method { .. })
                && project.function(callee).kind == FunctionKind::Method;
            let at = match &forward.at {
                ArgAt::Position { index } => index + u32::from(bound),
                ArgAt::Keyword { name } => {
                    let Some(i) = project
                        .function(callee)
                        .params
                        .iter()
                        .position(|p| p == name)
                    else {
                        continue;
                    };
                    i as u32
                }
            };
            if let Some(found) = puts_param(project, callee, at, hops - 1) {
                return Some(found);
            }
        }
    }
    None
}

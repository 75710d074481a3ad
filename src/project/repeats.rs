//! Repetition: which functions run many times, and why.
//!
//! A function runs many times when a loop calls it (a `for` or `while` of a project function,
//! or a comprehension, not known to be small, the call not in a `return` that ends the loop),
//! when it is the entry of a root that runs many times (a pool's task, a request handler,
//! threads started in a loop, the `concurrent` setting), or when a function that runs many
//! times calls it. Test modules start nothing here: a test calling code in a loop says nothing
//! of how the code runs.
//!
//! Each function keeps the first reason found and the call it inherited it through, so a
//! message can say "`step` calls it, and `evolve` calls `step` in the loop at hl_api.py:69".
//! The propagation visits each function once.

use std::collections::VecDeque;

use super::{FuncId, Project, RootId, RootKind};
use crate::python::TextRange;
use crate::summary::SpawnKind;

/// Why a function runs many times, at the start of the chain of calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// `caller` calls it at `site`, inside the loop whose header is `header`.
    Loop {
        caller: FuncId,
        site: TextRange,
        header: TextRange,
    },
    /// It runs as a root that runs many times.
    Root(RootId),
}

/// Why a function runs many times: the reason, and the call it inherited it through (`None`
/// when the reason is about the function itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repetition {
    pub why: Repeat,
    pub via: Option<(FuncId, TextRange)>,
}

impl Project {
    /// Why `function` runs many times, if it does.
    pub fn repetition(&self, function: FuncId) -> Option<&Repetition> {
        self.repetitions[function as usize].as_ref()
    }

    /// The functions `function` inherited its repetition through, from the one the reason is
    /// about down to its direct caller: `[evolve→step]` for `_compute_fitness`.
    pub fn repetition_path(&self, function: FuncId) -> Vec<(FuncId, TextRange)> {
        let mut path = Vec::new();
        let mut current = function;
        while let Some(Repetition {
            via: Some((caller, site)),
            ..
        }) = self.repetitions[current as usize]
        {
            if path.len() > 32 || path.iter().any(|(f, _)| *f == caller) {
                break;
            }
            path.push((caller, site));
            current = caller;
        }
        path.reverse();
        path
    }

    /// Computes [`Project::repetition`] for every function.
    pub(super) fn find_repetitions(&mut self) {
        let count = self.functions.len();
        let mut found: Vec<Option<Repetition>> = vec![None; count];
        let mut queue: VecDeque<FuncId> = VecDeque::new();
        let mut seed = |found: &mut Vec<Option<Repetition>>, f: FuncId, why: Repeat| {
            if found[f as usize].is_none() {
                found[f as usize] = Some(Repetition { why, via: None });
                queue.push_back(f);
            }
        };
        for (r, root) in self.roots.iter().enumerate() {
            let runs_many = match root.kind {
                RootKind::Spawn(SpawnKind::DoneCallback) => false,
                RootKind::Spawn(_) | RootKind::ThreadRun | RootKind::Declared { .. } => {
                    self.group_many[root.group as usize]
                }
                RootKind::ClassIntent { .. } | RootKind::ModuleIntent { .. } => false,
            };
            if runs_many {
                seed(&mut found, root.entry, Repeat::Root(r as RootId));
            }
        }
        for caller in 0..count as FuncId {
            if self.is_test_module(self.functions[caller as usize].0 as usize) {
                continue;
            }
            let summary = self.function(caller);
            for edge in &self.edges[caller as usize] {
                if edge.callee == caller {
                    continue;
                }
                if let Some(found_loop) = summary.work.repeating_loop(edge.site) {
                    let why = Repeat::Loop {
                        caller,
                        site: edge.site,
                        header: found_loop.header,
                    };
                    seed(&mut found, edge.callee, why);
                }
            }
        }
        while let Some(f) = queue.pop_front() {
            let Some(repetition) = found[f as usize] else {
                continue;
            };
            for edge in &self.edges[f as usize] {
                let g = edge.callee;
                if found[g as usize].is_none() {
                    found[g as usize] = Some(Repetition {
                        why: repetition.why,
                        via: Some((f, edge.site)),
                    });
                    queue.push_back(g);
                }
            }
        }
        self.repetitions = found;
    }
}

//! SN302 `lock-order-inversion`.
//!
//! ## What it does
//! Builds the project-wide lock-order graph: an edge A → B wherever code takes B while holding A,
//! directly or through the calls it makes while holding A. A cycle in the graph (A → B somewhere,
//! B → A elsewhere) is reported once, at one acquisition, with every edge's acquisition and the
//! call path that makes it, when the code of the edges can run at the same time on different
//! threads, and no third lock held at both orders them. Locks taken in two orders by one thread
//! only, or under a common outer lock, are quiet.
//!
//! ## Why is this bad?
//! A thread holding A and waiting for B, while another holds B and waits for A, waits forever:
//! the service stops answering with no error. It happens only when the two threads interleave
//! just so, which is why tests rarely catch it.

use std::collections::{BTreeMap, HashSet, VecDeque};

use super::describe_path;
use super::model::{LockId, LockModel};
use crate::diagnostic::{Confidence, Diagnostic, Related};
use crate::project::{AccessThreads, FuncId};
use crate::python::TextRange;
use crate::rules::races::{describe_threads, is_explicit};
use crate::rules::Rule;
use crate::summary::LockRef;

/// How many places are kept per edge of the graph.
const MAX_WITNESSES: usize = 4;
/// The longest cycle reported.
const MAX_CYCLE: usize = 4;

/// One place that takes `to` while holding `from`.
#[derive(Debug, Clone)]
struct Witness {
    function: FuncId,
    /// Where the function takes the held lock.
    held_at: TextRange,
    /// The acquisition of the other lock, or the call that leads to it.
    site: TextRange,
    /// From `site` down to the acquisition: (function, range) pairs.
    path: Vec<(FuncId, TextRange)>,
    /// The locks the function took itself at `site` (for the locks held in common).
    held: Vec<LockRef>,
}

pub fn check(model: &LockModel) -> Vec<Diagnostic> {
    let graph = edges(model);
    let mut out = Vec::new();
    let mut seen: HashSet<Vec<LockId>> = HashSet::new();
    for cycle in cycles(&graph) {
        if !seen.insert(cycle.clone()) {
            continue;
        }
        if let Some(diagnostic) = report(model, &graph, &cycle) {
            out.push(diagnostic);
        }
    }
    out
}

/// Every edge of the lock-order graph with the places that make it.
fn edges(model: &LockModel) -> BTreeMap<(LockId, LockId), Vec<Witness>> {
    let project = model.project;
    let mut graph: BTreeMap<(LockId, LockId), Vec<Witness>> = BTreeMap::new();
    let mut add = |from: LockId, to: LockId, witness: Witness| {
        if from == to {
            return;
        }
        let list = graph.entry((from, to)).or_default();
        if list.len() < MAX_WITNESSES && !list.iter().any(|w| w.function == witness.function) {
            list.push(witness);
        }
    };
    for f in 0..project.functions.len() as FuncId {
        if model.in_tests(f) {
            continue;
        }
        let summary = project.function(f);
        for acquisition in summary.locking.acquisitions.iter().filter(|a| a.blocking) {
            let Some(to) = model.id(&model.identity(f, &acquisition.lock)) else {
                continue;
            };
            for (held, at) in model.held_here(f, &acquisition.held, acquisition.range) {
                let Some(from) = model.id(&held) else {
                    continue;
                };
                add(
                    from,
                    to,
                    Witness {
                        function: f,
                        held_at: at,
                        site: acquisition.range,
                        path: vec![(f, acquisition.range)],
                        held: acquisition.held.clone(),
                    },
                );
            }
        }
        let edges = &project.edges[f as usize];
        for (index, call) in summary.calls.iter().enumerate() {
            if !model.holds_any(f, &call.held) {
                continue;
            }
            let held = model.held_here(f, &call.held, call.range);
            if held.is_empty() {
                continue;
            }
            for edge in edges.iter().filter(|e| e.call as usize == index) {
                for to in model.takes_via(f, edge, false) {
                    for (lock, at) in &held {
                        let Some(from) = model.id(lock) else {
                            continue;
                        };
                        if from == to {
                            continue;
                        }
                        let mut path = vec![(f, call.range)];
                        path.extend(model.take_path(edge.callee, to, false));
                        add(
                            from,
                            to,
                            Witness {
                                function: f,
                                held_at: *at,
                                site: call.range,
                                path,
                                held: call.held.clone(),
                            },
                        );
                    }
                }
            }
        }
    }
    graph
}

/// The cycles of the graph, each as its locks starting from the smallest id, shortest first:
/// for every edge A → B inside a strongly connected part, the shortest way back from B to A.
fn cycles(graph: &BTreeMap<(LockId, LockId), Vec<Witness>>) -> Vec<Vec<LockId>> {
    let mut next: BTreeMap<LockId, Vec<LockId>> = BTreeMap::new();
    for &(a, b) in graph.keys() {
        next.entry(a).or_default().push(b);
    }
    let mut out = Vec::new();
    for &(a, b) in graph.keys() {
        // Breadth-first from b back to a.
        let mut previous: BTreeMap<LockId, LockId> = BTreeMap::new();
        let mut queue = VecDeque::from([(b, 1usize)]);
        let mut found = false;
        while let Some((node, length)) = queue.pop_front() {
            if node == a {
                found = true;
                break;
            }
            if length >= MAX_CYCLE {
                continue;
            }
            for &n in next.get(&node).into_iter().flatten() {
                if n != b && !previous.contains_key(&n) {
                    previous.insert(n, node);
                    queue.push_back((n, length + 1));
                }
            }
        }
        if !found {
            continue;
        }
        let mut cycle = vec![a];
        let mut node = a;
        while let Some(&p) = previous.get(&node) {
            if p == b {
                break;
            }
            cycle.push(p);
            node = p;
        }
        cycle.push(b);
        // a ← ... ← b read backwards: a → b → ... → a.
        let mut forward = vec![a, b];
        forward.extend(cycle[1..cycle.len() - 1].iter().rev());
        let start = forward
            .iter()
            .enumerate()
            .min_by_key(|(_, id)| **id)
            .map(|(i, _)| i)
            .unwrap_or(0);
        forward.rotate_left(start);
        out.push(forward);
    }
    out.sort_by_key(|c| (c.len(), c.clone()));
    out.dedup();
    out
}

fn report(
    model: &LockModel,
    graph: &BTreeMap<(LockId, LockId), Vec<Witness>>,
    cycle: &[LockId],
) -> Option<Diagnostic> {
    let project = model.project;
    let steps: Vec<&Vec<Witness>> = (0..cycle.len())
        .map(|i| &graph[&(cycle[i], cycle[(i + 1) % cycle.len()])])
        .collect();
    let threads_of = |w: &Witness| model.threads_at(w.function, w.site);
    // One place per edge, such that each two run at the same time with no lock in common.
    let mut choice: Vec<usize> = vec![0; steps.len()];
    let mut chosen: Option<Vec<usize>> = None;
    let total: usize = steps.iter().map(|s| s.len()).product();
    for _ in 0..total.min(256) {
        let picked: Vec<&Witness> = choice.iter().zip(&steps).map(|(&i, s)| &s[i]).collect();
        if compatible(model, cycle, &picked, &threads_of) {
            chosen = Some(choice.clone());
            break;
        }
        // The next combination.
        for (i, c) in choice.iter_mut().enumerate() {
            *c += 1;
            if *c < steps[i].len() {
                break;
            }
            *c = 0;
        }
    }
    let chosen = chosen?;
    let picked: Vec<&Witness> = chosen.iter().zip(&steps).map(|(&i, s)| &s[i]).collect();
    // Each lock is named where its edge's function holds it.
    let names: Vec<String> = picked
        .iter()
        .map(|w| model.text(w.function, w.held_at))
        .collect();
    let name = |i: usize| names[i % names.len()].clone();
    let mut phrases = Vec::new();
    for (i, w) in picked.iter().enumerate() {
        let through = if w.path.len() > 1 {
            format!(" (through {})", describe_path(model, &w.path[1..]))
        } else {
            String::new()
        };
        phrases.push(format!(
            "`{}` takes `{}` while holding `{}`{through}",
            model.name(w.function),
            name(i + 1),
            name(i)
        ));
    }
    let mut all = AccessThreads::default();
    for w in &picked {
        let threads = threads_of(w);
        for t in threads.threads {
            if !all.threads.contains(&t) {
                all.threads.push(t);
            }
        }
        all.crowded |= threads.crowded;
    }
    let described = describe_threads(project, model.files, &all);
    let explicit = picked.iter().all(|w| is_explicit(project, &threads_of(w)));
    // The finding is at the first place in file order.
    let first = (0..picked.len())
        .min_by_key(|&i| {
            let w = picked[i];
            (project.file_of(w.function), w.site.start())
        })
        .unwrap_or(0);
    let primary = picked[first];
    let order: Vec<String> = (0..cycle.len()).map(|i| format!("`{}`", name(i))).collect();
    let mut diagnostic = Diagnostic::new(
        Rule::LockOrderInversion,
        model.span(primary.function, primary.site),
        format!(
            "lock-order inversion: {}; two threads running these at once ({}) can each hold one lock and wait forever for the other",
            phrases.join(", and "),
            described.text
        ),
    )
    .with_help(format!(
        "Take the locks in one order everywhere (here: {}), or release one before calling code that takes the other.",
        order.join(" before ")
    ))
    .with_confidence(if explicit {
        Confidence::High
    } else {
        Confidence::Medium
    });
    let mut flow = Vec::new();
    for k in 0..picked.len() {
        let i = (first + k) % picked.len();
        let w = picked[i];
        diagnostic = diagnostic.with_related(
            model.span(w.function, w.held_at),
            format!("`{}` held here", name(i)),
        );
        let last = w.path.len() - 1;
        for (j, &(g, range)) in w.path.iter().enumerate() {
            let message = if j == last {
                format!("`{}` taken here while `{}` is held", name(i + 1), name(i))
            } else {
                format!("`{}` calls", model.name(g))
            };
            if !(j == 0 && i == first) {
                diagnostic = diagnostic.with_related(model.span(g, range), message.clone());
            }
            flow.push(Related {
                span: model.span(g, range),
                message,
            });
        }
    }
    diagnostic.related.extend(described.related);
    diagnostic.flow = flow;
    Some(diagnostic)
}

/// Whether the places can run at the same time, each two on different threads, and no lock
/// outside the cycle is held at both.
fn compatible(
    model: &LockModel,
    cycle: &[LockId],
    picked: &[&Witness],
    threads_of: &dyn Fn(&Witness) -> AccessThreads,
) -> bool {
    let project = model.project;
    let threads: Vec<AccessThreads> = picked.iter().map(|w| threads_of(w)).collect();
    let locksets: Vec<Vec<LockId>> = picked
        .iter()
        .map(|w| {
            project
                .lockset_at(w.function, &w.held)
                .iter()
                .chain(
                    project.contexts[w.function as usize]
                        .lockset
                        .iter()
                        .flatten(),
                )
                .filter_map(|l| model.id(l))
                .filter(|id| !cycle.contains(id))
                .collect()
        })
        .collect();
    for i in 0..picked.len() {
        for j in i + 1..picked.len() {
            if !project.may_meet(&threads[i], &threads[j]) {
                return false;
            }
            if locksets[i].iter().any(|l| locksets[j].contains(l)) {
                return false;
            }
        }
    }
    true
}

//! Thread contexts: which threads each function may run on. This module answers "why does snarl
//! think these two accesses run in parallel?".
//!
//! A function runs on the threads of the roots that reach it through calls ([`Thread::Root`]), and
//! beside a thread its caller started ([`Thread::Beside`]): the code between a thread's start and
//! its join runs alongside it, and so does what that code calls. Main-thread code that starts no
//! thread is in no context and races with nothing. Two threads may run in parallel when they are
//! different groups of roots, one group that runs many threads, a group and the code beside it,
//! or callers snarl cannot see (a library's users) and anything.
//!
//! The propagation is a worklist fixpoint over the call graph; each function's state only grows
//! (threads, capped: past [`MAX_THREADS`] the function is "crowded" and meets everything) or shrinks
//! (the locks held on every path in, whether its `self` is owned or per thread), so it costs a
//! small constant per call edge.

use std::collections::{BTreeSet, VecDeque};

use super::{FuncId, Project, RootId};
use crate::python::TextRange;
use crate::summary::{Loc, Receiver};

/// How many distinct threads a function's context keeps before it counts as crowded.
pub const MAX_THREADS: usize = 6;

/// A thread a function may run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Thread {
    /// The thread, or threads, of a group of roots.
    Root(RootId),
    /// The code that started a group of roots, between the start and the join.
    Beside(RootId),
}

/// What the propagation knows about one function.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The threads it may run on, sorted, at most [`MAX_THREADS`].
    pub threads: Vec<Thread>,
    /// More threads reach it than are kept: it may run beside anything.
    pub crowded: bool,
    /// Locks held on every path into it; `None` until reached.
    pub lockset: Option<BTreeSet<Loc>>,
    /// Whether it always runs on an object its caller owns (`None` until reached).
    pub self_owned: Option<bool>,
    /// Whether its `self` is always the object a thread was started for (a thread's own `run`,
    /// `Thread(target=w.loop)` with `w` made for it): one object per thread.
    pub self_per_thread: Option<bool>,
    /// Which of its first 64 parameters hold an object the caller owns, on every path in.
    pub owned_params: Option<u64>,
    /// The call that first reached it: (caller, call site), for the path in reports.
    pub pred: Option<(FuncId, TextRange)>,
}

impl Context {
    pub fn is_concurrent(&self) -> bool {
        !self.threads.is_empty() || self.crowded
    }
}

/// The threads one access runs on, and what it knows of itself for the parallel check.
#[derive(Debug, Clone, Default)]
pub struct AccessThreads {
    pub threads: Vec<Thread>,
    pub crowded: bool,
    /// Made through a `self` that is one object per thread.
    pub per_thread_self: bool,
    /// Groups this access is ordered with: it runs before their start or after their join.
    pub ordered: Vec<RootId>,
}

impl Project {
    pub(super) fn propagate(&mut self) {
        let mut queue: VecDeque<FuncId> = VecDeque::new();
        let mut queued = vec![false; self.functions.len()];
        let enqueue = |queue: &mut VecDeque<FuncId>, queued: &mut Vec<bool>, f: FuncId| {
            if !queued[f as usize] {
                queued[f as usize] = true;
                queue.push_back(f);
            }
        };
        for r in 0..self.roots.len() {
            let root = &self.roots[r];
            if root.process {
                continue;
            }
            let entry = root.entry;
            let owned = self.function(entry).name == "__init__";
            let per_thread = root.owns_receiver;
            let thread = Thread::Root(root.group);
            let ctx = &mut self.contexts[entry as usize];
            let mut changed = merge_thread(ctx, thread);
            changed |= merge_lockset(ctx, &BTreeSet::new());
            changed |= merge_flag(&mut ctx.self_owned, owned);
            changed |= merge_flag(&mut ctx.self_per_thread, per_thread);
            changed |= merge_bits(&mut ctx.owned_params, 0);
            if changed {
                enqueue(&mut queue, &mut queued, entry);
            }
        }
        // Code that starts a thread runs calls beside it, even when nothing else reaches it.
        for f in 0..self.functions.len() {
            if !self.windows[f].is_empty() {
                enqueue(&mut queue, &mut queued, f as FuncId);
            }
        }
        while let Some(f) = queue.pop_front() {
            queued[f as usize] = false;
            let ctx = self.contexts[f as usize].clone();
            let mut lockset = ctx.lockset.clone().unwrap_or_default();
            lockset.extend(self.decorator_locks(f).iter().cloned());
            for e in 0..self.edges[f as usize].len() {
                let edge = &self.edges[f as usize][e];
                let site = edge.site;
                let mut incoming: Vec<Thread> = ctx.threads.clone();
                incoming.extend(self.beside_at(f, site.start().to_u32()).map(Thread::Beside));
                if incoming.is_empty() && !ctx.crowded {
                    continue;
                }
                let g = edge.callee;
                let call = &self.function(f).calls[edge.call as usize];
                let mut held = lockset.clone();
                held.extend(call.held.iter().map(|l| self.lock_loc(f, l)));
                let owned = self.edge_owned(f, edge);
                let params = self.owned_arguments(f, edge);
                let per_thread =
                    call.receiver == Receiver::Own && ctx.self_per_thread == Some(true);
                let target = &mut self.contexts[g as usize];
                let mut changed = false;
                for thread in incoming {
                    changed |= merge_thread(target, thread);
                }
                if ctx.crowded && !target.crowded {
                    target.crowded = true;
                    changed = true;
                }
                changed |= merge_lockset(target, &held);
                changed |= merge_flag(&mut target.self_owned, owned);
                changed |= merge_flag(&mut target.self_per_thread, per_thread);
                changed |= merge_bits(&mut target.owned_params, params);
                if target.pred.is_none() && g != f {
                    target.pred = Some((f, site));
                }
                if changed {
                    enqueue(&mut queue, &mut queued, g);
                }
            }
        }
    }

    /// The threads an access at `range` in `function` runs on, and what orders it.
    pub fn access_threads(
        &self,
        function: FuncId,
        range: TextRange,
        via_self: bool,
    ) -> AccessThreads {
        let ctx = &self.contexts[function as usize];
        let at = range.start().to_u32();
        let mut threads = ctx.threads.clone();
        for group in self.beside_at(function, at) {
            let thread = Thread::Beside(group);
            if !threads.contains(&thread) {
                threads.push(thread);
            }
        }
        threads.sort_unstable();
        AccessThreads {
            threads,
            crowded: ctx.crowded,
            per_thread_self: via_self && ctx.self_per_thread == Some(true),
            ordered: self.ordered_at(function, at),
        }
    }

    /// Whether two threads may run at the same time.
    pub fn threads_meet(&self, a: Thread, b: Thread, per_thread_self: bool) -> bool {
        match (a, b) {
            (Thread::Root(x), Thread::Root(y)) => {
                // Two threads that each work on an object of their own never share `self`.
                let own_objects = per_thread_self
                    && self.roots[x as usize].owns_receiver
                    && self.roots[y as usize].owns_receiver;
                if own_objects {
                    return false;
                }
                x != y || self.group_many[x as usize] || self.group_external[x as usize]
            }
            (Thread::Root(g), Thread::Beside(h)) | (Thread::Beside(h), Thread::Root(g)) => {
                g == h || self.group_external[g as usize]
            }
            (Thread::Beside(_), Thread::Beside(_)) => false,
        }
    }

    /// Whether accesses running on `a` and `b` may run at the same time on different threads,
    /// leaving out the threads each is ordered with.
    pub fn may_meet(&self, a: &AccessThreads, b: &AccessThreads) -> bool {
        if a.crowded && (b.crowded || !b.threads.is_empty()) || b.crowded && !a.threads.is_empty() {
            return true;
        }
        let per_thread = a.per_thread_self && b.per_thread_self;
        a.threads.iter().any(|&ta| {
            b.threads.iter().any(|&tb| {
                !ordered_with(ta, &b.ordered)
                    && !ordered_with(tb, &a.ordered)
                    && self.threads_meet(ta, tb, per_thread)
            })
        })
    }

    /// The call path from the root that first reached `function` down to it, outermost first.
    pub fn path_to(&self, function: FuncId) -> Vec<(FuncId, TextRange)> {
        let mut path = Vec::new();
        let mut current = function;
        let mut seen = vec![current];
        while let Some((caller, site)) = self.contexts[current as usize].pred {
            if seen.contains(&caller) || path.len() > 32 {
                break;
            }
            path.push((caller, site));
            seen.push(caller);
            current = caller;
        }
        path.reverse();
        path
    }
}

/// Whether `thread` is a group the access is ordered with.
fn ordered_with(thread: Thread, ordered: &[RootId]) -> bool {
    matches!(thread, Thread::Root(g) if ordered.contains(&g))
}

/// Adds `thread` to the context (sorted, capped); past the cap the context is crowded.
fn merge_thread(ctx: &mut Context, thread: Thread) -> bool {
    match ctx.threads.binary_search(&thread) {
        Ok(_) => false,
        Err(_) if ctx.threads.len() >= MAX_THREADS => {
            let changed = !ctx.crowded;
            ctx.crowded = true;
            changed
        }
        Err(at) => {
            ctx.threads.insert(at, thread);
            true
        }
    }
}

fn merge_lockset(ctx: &mut Context, incoming: &BTreeSet<Loc>) -> bool {
    match &mut ctx.lockset {
        None => {
            ctx.lockset = Some(incoming.clone());
            true
        }
        Some(current) => {
            let before = current.len();
            current.retain(|l| incoming.contains(l));
            current.len() != before
        }
    }
}

/// A fact that holds only if it holds on every path: `None` until reached, then `and`-ed.
fn merge_flag(flag: &mut Option<bool>, incoming: bool) -> bool {
    match *flag {
        None => {
            *flag = Some(incoming);
            true
        }
        Some(true) if !incoming => {
            *flag = Some(false);
            true
        }
        _ => false,
    }
}

/// Bits that hold only if they hold on every path: `None` until reached, then `and`-ed.
fn merge_bits(bits: &mut Option<u64>, incoming: u64) -> bool {
    match *bits {
        None => {
            *bits = Some(incoming);
            true
        }
        Some(current) if current & incoming != current => {
            *bits = Some(current & incoming);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locksets_intersect_over_paths_and_threads_are_capped() {
        let lock = |name: &str| Loc::Attr {
            class: "m.C".to_string(),
            name: name.to_string(),
        };
        let mut ctx = Context::default();
        assert!(merge_lockset(
            &mut ctx,
            &[lock("a"), lock("b")].into_iter().collect()
        ));
        assert!(merge_lockset(&mut ctx, &[lock("b")].into_iter().collect()));
        assert!(!merge_lockset(
            &mut ctx,
            &[lock("b"), lock("c")].into_iter().collect()
        ));
        assert_eq!(ctx.lockset, Some([lock("b")].into_iter().collect()));
        for r in 0..MAX_THREADS as RootId {
            assert!(merge_thread(&mut ctx, Thread::Root(r)));
        }
        assert!(!merge_thread(&mut ctx, Thread::Root(0)));
        assert!(!ctx.crowded);
        assert!(merge_thread(&mut ctx, Thread::Beside(0)));
        assert!(ctx.crowded);
        assert_eq!(ctx.threads.len(), MAX_THREADS);
        let mut owned = None;
        assert!(merge_flag(&mut owned, true));
        assert!(merge_flag(&mut owned, false));
        assert!(!merge_flag(&mut owned, true));
        assert_eq!(owned, Some(false));
    }
}

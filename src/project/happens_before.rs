//! Happens-before: what orders two accesses that run on different threads.
//!
//! - Start and join: code before a thread's `.start()` (publication) and after its `join()`, the
//!   end of its pool's `with` block or its future's `result()` is ordered with that thread; code
//!   between them runs beside it (the windows [`Project::beside_at`] reads).
//! - Hand-off: what a function does before `event.set()` / `queue.put()` happens before what
//!   another does after `event.wait()` / `queue.get()` on the same object.
//! - Guard flags: an access guarded by a flag tested under a lock (`with lock: if self._closed:
//!   return; ...`) is ordered with what another function does after setting that flag under the
//!   same lock (`with lock: self._closed = True`).

use super::{FuncId, Project, RootId};
use crate::summary::{Access, AccessKind, Loc, LockRef, Receiver, Start, SyncKind};

/// Where a spawning function runs beside a group of roots it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub group: RootId,
    pub from: u32,
    pub until: Option<u32>,
}

impl Window {
    fn contains(&self, at: u32) -> bool {
        self.from <= at && self.until.is_none_or(|until| at <= until)
    }
}

impl Project {
    /// Each function's windows, from the roots it starts here.
    pub(super) fn compute_windows(&mut self) {
        let mut windows = vec![Vec::new(); self.functions.len()];
        for root in &self.roots {
            if root.process {
                continue;
            }
            let Some((spawner, index)) = root.spawner else {
                continue;
            };
            let spawn = &self.function(spawner).spawns[index as usize];
            if !matches!(spawn.start, Start::At { .. }) {
                continue;
            }
            let window = Window {
                group: root.group,
                from: spawn.beside_from,
                until: spawn.beside_until,
            };
            let list: &mut Vec<Window> = &mut windows[spawner as usize];
            if !list.contains(&window) {
                list.push(window);
            }
        }
        self.windows = windows;
    }

    /// The groups whose start-to-join window in `function` contains offset `at`.
    pub fn beside_at(&self, function: FuncId, at: u32) -> impl Iterator<Item = RootId> + '_ {
        self.windows[function as usize]
            .iter()
            .filter(move |w| w.contains(at))
            .map(|w| w.group)
    }

    /// The groups `function` starts after offset `at` (in a loop: after the loop) or joins before
    /// it: an access there is ordered with their threads.
    pub fn ordered_at(&self, function: FuncId, at: u32) -> Vec<RootId> {
        self.windows[function as usize]
            .iter()
            .filter(|w| !w.contains(at))
            .map(|w| w.group)
            .collect()
    }

    /// Whether a hand-off orders `a` (in `fa`) and `b` (in `fb`): one comes before a signal on an
    /// object the other waits on before it.
    pub fn handed_off(&self, fa: FuncId, a: &Access, fb: FuncId, b: &Access) -> bool {
        self.signals_to(fa, a, fb, b) || self.signals_to(fb, b, fa, a)
    }

    fn signals_to(&self, fa: FuncId, a: &Access, fb: FuncId, b: &Access) -> bool {
        if fa == fb {
            return false;
        }
        let signals = &self.function(fa).syncs;
        let waits = &self.function(fb).syncs;
        signals.iter().any(|signal| {
            signal.kind == SyncKind::Signal
                && a.range.end() <= signal.range.start()
                && waits.iter().any(|wait| {
                    wait.kind == SyncKind::Wait
                        && wait.range.end() <= b.range.start()
                        && self.canonical_loc(&wait.on) == self.canonical_loc(&signal.on)
                })
        })
    }

    /// Whether a guard flag orders `a` and `b`: one is guarded by a flag the other's function
    /// sets to a constant — under the lock the guard was tested under, before the other access
    /// (a shutdown flag: nothing passes the guard once it is set), or with no lock, after the
    /// other access (a ready flag: what was done before it is set is done when it reads set).
    pub fn flag_ordered(&self, fa: FuncId, a: &Access, fb: FuncId, b: &Access) -> bool {
        self.flag_guards(fa, a, fb, b) || self.flag_guards(fb, b, fa, a)
    }

    fn flag_guards(&self, fa: FuncId, a: &Access, fb: FuncId, b: &Access) -> bool {
        self.guards_of(fa, a).into_iter().any(|(flag, lock)| {
            let flag = self.canonical_loc(&flag);
            let lock = lock.map(|l| self.lock_loc(fa, &l));
            self.function(fb).accesses.iter().any(|w| {
                let sets_flag =
                    w.kind == AccessKind::Write && w.constant && self.canonical_loc(&w.loc) == flag;
                sets_flag
                    && match &lock {
                        Some(lock) => {
                            w.range.end() <= b.range.start()
                                && w.held.iter().any(|l| self.lock_loc(fb, l) == *lock)
                        }
                        None => b.range.end() <= w.range.start(),
                    }
            })
        })
    }

    /// The flags guarding `access` in `function`: tested around it, or insisted on by a helper
    /// called before it on the same object (`self.check_ready()`).
    fn guards_of(&self, function: FuncId, access: &Access) -> Vec<(Loc, Option<LockRef>)> {
        let mut out = access.guards.clone();
        let summary = self.function(function);
        for edge in &self.edges[function as usize] {
            let call = &summary.calls[edge.call as usize];
            if call.receiver != Receiver::Own || call.range.end() > access.range.start() {
                continue;
            }
            if let Some(flag) = &self.function(edge.callee).raises_unless {
                out.push((flag.clone(), None));
            }
        }
        out
    }
}

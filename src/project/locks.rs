//! Locks across calls: which lock a [`LockRef`] names, the locks held on every path into a
//! function (computed by the propagation in [`super::contexts`]), the lock a locking decorator
//! holds around the method it wraps, locks passed in as arguments, and what kind of lock each
//! location holds (`Lock`, `RLock`, `Condition` over which lock, `Semaphore`).

use std::collections::BTreeSet;

use rustc_hash::FxHashMap as HashMap;

use super::{FuncId, Project};
use crate::summary::{ConditionLock, Loc, LockKind, LockRef};

impl Project {
    /// The lock a [`LockRef`] in `function` names, canonically.
    pub fn lock_loc(&self, function: FuncId, lock: &LockRef) -> Loc {
        match lock {
            LockRef::At { loc } => self.canonical_loc(loc),
            LockRef::Getter { class, method } => {
                let attr = self
                    .class_by_name
                    .get(class)
                    .and_then(|&c| self.lookup_method(c, method))
                    .and_then(|f| self.function(f).returns_attr.clone());
                match attr {
                    Some(name) => self.canonical_loc(&Loc::Attr {
                        class: class.clone(),
                        name,
                    }),
                    None => Loc::Attr {
                        class: class.clone(),
                        name: format!("{method}()"),
                    },
                }
            }
            LockRef::Param { index } => self
                .param_locks
                .get(&(function, *index))
                .cloned()
                .unwrap_or_else(|| Loc::Cell {
                    function: self.function(function).qualname.clone(),
                    name: self
                        .function(function)
                        .params
                        .get(*index as usize)
                        .cloned()
                        .unwrap_or_default(),
                }),
            LockRef::OfReceiver { name } => Loc::Attr {
                class: self.function(function).class.clone().unwrap_or_default(),
                name: name.clone(),
            },
        }
    }

    /// The kind of lock each location holds, by canonical location, where a constructor shows it.
    pub fn lock_kinds(&self) -> std::collections::HashMap<Loc, LockKind> {
        let mut out = std::collections::HashMap::new();
        for module in &self.modules {
            for (loc, kind) in &module.lock_kinds {
                let kind = match kind {
                    LockKind::Condition {
                        over: ConditionLock::Shared(inner),
                    } => LockKind::Condition {
                        over: ConditionLock::Shared(self.canonical_loc(inner)),
                    },
                    other => other.clone(),
                };
                out.entry(self.canonical_loc(loc)).or_insert(kind);
            }
        }
        out
    }

    /// The effective locks held at an access: those on every path in, those a locking decorator
    /// holds, plus those taken locally.
    pub fn lockset_at(&self, function: FuncId, held: &[LockRef]) -> BTreeSet<Loc> {
        let mut out = self.contexts[function as usize]
            .lockset
            .clone()
            .unwrap_or_default();
        out.extend(self.decorator_locks(function).iter().cloned());
        out.extend(held.iter().map(|l| self.lock_loc(function, l)));
        out
    }

    /// The locks a locking decorator of `function` holds around it.
    pub fn decorator_locks(&self, function: FuncId) -> &[Loc] {
        self.decorator_locks
            .get(&function)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// `@synchronized` where the decorator returns a wrapper that calls the function with a lock
    /// held: the decorated function runs under that lock (the receiver's, for a method).
    pub(super) fn compute_decorator_locks(&mut self) {
        let mut out: HashMap<FuncId, Vec<Loc>> = HashMap::default();
        for f in 0..self.functions.len() as FuncId {
            let function = self.function(f);
            for decorator in &function.decorators {
                for d in self.resolve(decorator).0 {
                    let Some(returned) = &self.function(d).returns_callable else {
                        continue;
                    };
                    for wrapper in self.resolve(returned).0 {
                        let Some(lock) = &self.function(wrapper).wraps_under else {
                            continue;
                        };
                        let loc = match lock {
                            LockRef::OfReceiver { name } => match &function.class {
                                Some(class) => self.canonical_loc(&Loc::Attr {
                                    class: class.clone(),
                                    name: name.clone(),
                                }),
                                None => continue,
                            },
                            other => self.lock_loc(wrapper, other),
                        };
                        out.entry(f).or_default().push(loc);
                    }
                }
            }
        }
        self.decorator_locks = out;
    }

    /// Locks passed in as arguments: a parameter used as a lock names the lock every caller passes
    /// (when they all pass the same one).
    pub(super) fn compute_param_locks(&mut self) {
        let mut wanted: Vec<(FuncId, u32)> = Vec::new();
        for f in 0..self.functions.len() as FuncId {
            let function = self.function(f);
            let helds = function
                .accesses
                .iter()
                .map(|a| &a.held)
                .chain(function.calls.iter().map(|c| &c.held));
            for held in helds {
                for lock in held {
                    if let LockRef::Param { index } = lock {
                        if !wanted.contains(&(f, *index)) {
                            wanted.push((f, *index));
                        }
                    }
                }
            }
        }
        if wanted.is_empty() {
            return;
        }
        let callers = self.callers();
        let mut out = HashMap::default();
        for (f, index) in wanted {
            let mut agreed: Option<Option<Loc>> = None;
            for &(caller, e) in &callers[f as usize] {
                let edge = &self.edges[caller as usize][e];
                let call = &self.function(caller).calls[edge.call as usize];
                let passed = self
                    .argument_for(call, f, index, edge.bound)
                    .and_then(|arg| arg.loc.as_ref())
                    .map(|loc| self.canonical_loc(loc));
                agreed = match agreed {
                    None => Some(passed),
                    Some(previous) if previous == passed => Some(previous),
                    Some(_) => Some(None),
                };
            }
            if let Some(Some(loc)) = agreed {
                out.insert((f, index), loc);
            }
        }
        self.param_locks = out;
    }
}

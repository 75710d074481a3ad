//! Ownership: which accesses touch state no other thread can reach (Infer's RacerD rule).
//!
//! An object is owned while its creator has not let it escape: a constructor runs on an object
//! nobody else has yet, so does a method called on a local the function constructed (or got from
//! a function that returns a fresh object), on its own `self` while that is owned, or on an
//! attribute its owned `self` only ever fills with fresh objects. Accesses through an owned `self`
//! are owned. Thread-local storage and synchronized objects (`queue.Queue`, `Event`) are never
//! shared state either.

use super::{Edge, FuncId, Project};
use crate::summary::{Access, AccessKind, ArgSource, ContainerKind, Loc, Receiver};

impl Project {
    /// Whether the callee of `edge` runs on an object `caller` owns.
    pub fn edge_owned(&self, caller: FuncId, edge: &Edge) -> bool {
        if edge.constructor {
            return true;
        }
        let call = &self.function(caller).calls[edge.call as usize];
        let caller_owned = self.contexts[caller as usize].self_owned == Some(true);
        match &call.receiver {
            Receiver::Owned => true,
            Receiver::Own => caller_owned,
            Receiver::OwnAttr { name } => caller_owned && self.is_fresh_attr(caller, name),
            Receiver::ResultOf { callee } => {
                let (functions, constructor) = self.resolve(callee);
                constructor
                    || (!functions.is_empty()
                        && functions.iter().all(|&f| self.function(f).returns_fresh))
            }
            Receiver::Param { index } => self.param_owned(caller, *index),
            Receiver::None | Receiver::Other => false,
        }
    }

    /// Whether parameter `index` of `function` holds an object its callers own, on every path.
    fn param_owned(&self, function: FuncId, index: u32) -> bool {
        index < 64
            && self.contexts[function as usize]
                .owned_params
                .is_some_and(|bits| bits & (1 << index) != 0)
    }

    /// Which parameters of the callee of `edge` receive objects `caller` owns (RacerD's
    /// ownership through arguments: a helper given a fresh object works on an owned object).
    pub(super) fn owned_arguments(&self, caller: FuncId, edge: &Edge) -> u64 {
        let call = &self.function(caller).calls[edge.call as usize];
        let callee = self.function(edge.callee);
        let caller_owned = self.contexts[caller as usize].self_owned == Some(true);
        let mut bits = 0u64;
        for (index, _) in callee.params.iter().enumerate().take(64) {
            let index = index as u32;
            let Some(arg) = self.argument_for(call, edge.callee, index, edge.bound) else {
                continue;
            };
            let owned = match &arg.source {
                Some(ArgSource::Owned) => true,
                Some(ArgSource::Param { index }) => self.param_owned(caller, *index),
                Some(ArgSource::OwnSelf) => caller_owned,
                Some(ArgSource::OwnAttr { name }) => {
                    caller_owned && self.is_fresh_attr(caller, name)
                }
                None => false,
            };
            if owned {
                bits |= 1 << index;
            }
        }
        bits
    }

    /// Whether the class of `function` only ever fills attribute `name` with fresh objects.
    fn is_fresh_attr(&self, function: FuncId, name: &str) -> bool {
        let Some(class) = &self.function(function).class else {
            return false;
        };
        let Some(&c) = self.class_by_name.get(class) else {
            return false;
        };
        self.class_fact(c, |k| {
            k.assigned
                .iter()
                .any(|a| a == name)
                .then(|| k.fresh_attrs.iter().any(|a| a == name))
        })
        .unwrap_or(false)
    }

    /// Whether an access is to state the running code owns: an instance attribute reached
    /// through `self` while the object is still private to its creator.
    pub fn is_owned(&self, function: FuncId, access: &Access, loc: &Loc) -> bool {
        // `self.x = v` binds an instance attribute even where the class has an `x`; other
        // accesses through `self` reach a class attribute when there is one.
        access.via_self
            && self.contexts[function as usize].self_owned == Some(true)
            && (binds_instance(access.kind) || !self.is_class_attr(loc))
    }

    /// Whether the location holds per-thread or self-synchronizing state: `threading.local()`
    /// attributes, a `queue.Queue`, an `Event`.
    pub fn is_unshared_kind(&self, loc: &Loc) -> bool {
        matches!(
            self.container_kind(loc),
            Some(ContainerKind::ThreadLocal | ContainerKind::Synchronized)
        )
    }
}

/// `self.x = ...` and `self.x += ...` bind an attribute of the instance, never of the class.
pub fn binds_instance(kind: AccessKind) -> bool {
    matches!(kind, AccessKind::Write | AccessKind::ReadModifyWrite)
}

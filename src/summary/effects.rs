//! What an access does: the container methods that change, iterate or copy a container, the
//! builtins that iterate or snapshot their argument, which updates read what they write back, and
//! which steps are atomic under the GIL.

use super::builder::Builder;
use super::{AccessKind, ContainerKind, Loc};
use crate::checker::{STACK_GROWTH, STACK_RED_ZONE};
use crate::python::ast::Expr;
use crate::python::{visitor, TextRange, Visitor};

/// Methods that change a container in place.
const MUTATING_METHODS: &[&str] = &[
    "append",
    "appendleft",
    "extend",
    "extendleft",
    "insert",
    "remove",
    "pop",
    "popleft",
    "popitem",
    "clear",
    "update",
    "setdefault",
    "add",
    "discard",
    "sort",
    "reverse",
    "rotate",
    "difference_update",
    "intersection_update",
    "symmetric_difference_update",
    "__setitem__",
    "__delitem__",
];

/// Container methods that are one atomic step on the builtin types: under the GIL no other
/// thread sees them half done.
const ATOMIC_METHODS: &[&str] = &[
    "append",
    "appendleft",
    "popleft",
    "add",
    "pop",
    "popitem",
    "clear",
    "discard",
    "remove",
];

/// Methods that remove or insert in the middle: a list iterated meanwhile skips or repeats.
const REORDERING_METHODS: &[&str] = &["remove", "pop", "insert", "clear", "sort", "reverse"];

/// Methods that iterate a container. (Not `copy()`: a copy is made in one C call, the usual fix
/// for iterating shared state.)
const ITERATING_METHODS: &[&str] = &[
    "items",
    "keys",
    "values",
    "iteritems",
    "iterkeys",
    "itervalues",
];

/// Builtins that iterate their argument.
pub const ITERATING_BUILTINS: &[&str] = &[
    "builtins.sum",
    "builtins.min",
    "builtins.max",
    "builtins.any",
    "builtins.all",
    "builtins.enumerate",
    "builtins.zip",
    "six.iteritems",
    "six.itervalues",
    "six.iterkeys",
];

/// Builtins that copy their argument in one C call: `list(d)`, `sorted(d.items())` take a snapshot,
/// the usual fix for iterating shared state, and do not fail when another thread changes `d`.
pub const SNAPSHOT_BUILTINS: &[&str] = &[
    "builtins.list",
    "builtins.tuple",
    "builtins.set",
    "builtins.frozenset",
    "builtins.dict",
    "builtins.sorted",
];

/// What kind of container or object a value makes, when it shows.
pub fn container_kind(qualified_callee: Option<&str>, value: &Expr) -> Option<ContainerKind> {
    match value {
        Expr::Dict(_) | Expr::DictComp(_) => return Some(ContainerKind::Dict),
        Expr::Set(_) | Expr::SetComp(_) => return Some(ContainerKind::Set),
        Expr::List(_) | Expr::ListComp(_) => return Some(ContainerKind::List),
        // `reporters or []`, `x if x is not None else {}`: the default shows the kind.
        Expr::BoolOp(node) => {
            return node.values.last().and_then(|v| container_kind(None, v));
        }
        Expr::If(node) => {
            return container_kind(None, &node.body).or_else(|| container_kind(None, &node.orelse));
        }
        _ => {}
    }
    // `ctx.Array(...)`, `mp.get_context("spawn").Value(...)`: a multiprocessing context's
    // shared ctypes (`Optional[mp.Array]` annotations name them too).
    if let Expr::Call(call) = value {
        if let Expr::Attribute(attribute) = &*call.func {
            let receiver = match &*attribute.value {
                Expr::Name(n) => n.id.as_str(),
                Expr::Attribute(a) => a.attr.as_str(),
                Expr::Call(_) => "get_context",
                _ => "",
            };
            if matches!(attribute.attr.as_str(), "Array" | "Value")
                && (receiver.contains("ctx") || receiver.contains("context"))
            {
                return Some(ContainerKind::Synchronized);
            }
        }
    }
    let name = qualified_callee?;
    Some(match name {
        "builtins.dict"
        | "collections.OrderedDict"
        | "collections.defaultdict"
        | "collections.Counter"
        | "weakref.WeakValueDictionary"
        | "weakref.WeakKeyDictionary" => ContainerKind::Dict,
        "builtins.set" | "weakref.WeakSet" => ContainerKind::Set,
        "builtins.list" | "builtins.bytearray" => ContainerKind::List,
        "collections.deque" => ContainerKind::Deque,
        "threading.local" | "_threading_local.local" => ContainerKind::ThreadLocal,
        "queue.Queue"
        | "queue.SimpleQueue"
        | "queue.LifoQueue"
        | "queue.PriorityQueue"
        | "multiprocessing.Queue"
        | "multiprocessing.SimpleQueue"
        | "multiprocessing.JoinableQueue"
        | "threading.Event"
        | "threading.Barrier"
        | "multiprocessing.Event"
        // Shared ctypes with their own lock: item stores take it, their size never changes.
        // Their `value += 1` races are the multiprocessing rules' business.
        | "multiprocessing.Array"
        | "multiprocessing.Value"
        | "multiprocessing.sharedctypes.Array"
        | "multiprocessing.sharedctypes.Value"
        | "multiprocessing.sharedctypes.synchronized" => ContainerKind::Synchronized,
        _ => return None,
    })
}

impl Builder<'_> {
    /// Records what `container.method(...)` does to the container at `loc`.
    pub(super) fn container_call(
        &mut self,
        loc: Loc,
        via_self: bool,
        method: &str,
        range: TextRange,
        in_snapshot: bool,
    ) {
        if method == "setdefault" {
            // Insert-if-absent in one step: it completes no check-then-act.
            let checks = std::mem::take(&mut self.frame_mut().checks);
            self.record(loc, AccessKind::Mutate, range, via_self);
            self.frame_mut().checks = checks;
            self.mark_last_atomic();
        } else if MUTATING_METHODS.contains(&method) {
            self.record(loc, AccessKind::Mutate, range, via_self);
            let atomic = ATOMIC_METHODS.contains(&method);
            if let Some(access) = self.summary().accesses.last_mut() {
                access.atomic = atomic;
                access.shifts = REORDERING_METHODS.contains(&method);
            }
        } else if ITERATING_METHODS.contains(&method) && self.frame().in_test == 0 && !in_snapshot {
            // `d.items()` is iterated by whoever consumes it: count it as iteration.
            self.record(loc, AccessKind::Iterate, range, via_self);
        }
    }

    /// What a function does to its own parameter's container: a helper that changes or
    /// iterates what it is given acts on the caller's shared state.
    pub(super) fn param_call(&mut self, index: u32, method: &str, in_snapshot: bool) {
        let kind = if MUTATING_METHODS.contains(&method) && !ATOMIC_METHODS.contains(&method) {
            Some(AccessKind::Mutate)
        } else if ITERATING_METHODS.contains(&method) && !in_snapshot {
            Some(AccessKind::Iterate)
        } else {
            None
        };
        if let Some(kind) = kind {
            self.param_effect(index, kind);
        }
    }

    pub(super) fn param_effect(&mut self, index: u32, kind: AccessKind) {
        let effects = &mut self.summary().param_effects;
        if !effects.contains(&(index, kind)) {
            effects.push((index, kind));
        }
    }

    pub(super) fn mark_last_atomic(&mut self) {
        if let Some(access) = self.summary().accesses.last_mut() {
            access.atomic = true;
        }
    }

    /// Whether `expr` reads the binding at `loc` (`self.n + 1` reads `self.n`).
    pub(super) fn reads_location(&self, expr: &Expr, loc: &Loc) -> bool {
        let mut found = false;
        any_subexpr(expr, &mut |e| {
            if matches!(e, Expr::Name(_) | Expr::Attribute(_))
                && self.location(e).is_some_and(|(l, _)| &l == loc)
            {
                found = true;
            }
        });
        found
    }

    /// Whether `expr` reads an element of the container at `loc` (`d.get(k, 0) + 1`, `d[k] + 1`).
    pub(super) fn reads_contents(&self, expr: &Expr, loc: &Loc) -> bool {
        let mut found = false;
        any_subexpr(expr, &mut |e| {
            let base = match e {
                Expr::Subscript(s) => Some(&*s.value),
                Expr::Call(c) => match &*c.func {
                    Expr::Attribute(a) if matches!(a.attr.as_str(), "get" | "setdefault") => {
                        Some(&*a.value)
                    }
                    _ => None,
                },
                _ => None,
            };
            if base.is_some_and(|b| self.container(b).is_some_and(|(l, _)| &l == loc)) {
                found = true;
            }
        });
        found
    }

    /// `x = x or make()` / `x = make() or x` / `x = x if x else make()`: every thread stores a
    /// value as good as the other's (a lazy default), harmless under the GIL.
    pub(super) fn is_lazy_default(&self, value: &Expr, loc: &Loc) -> bool {
        let is_loc = |e: &Expr| self.location(e).is_some_and(|(l, _)| &l == loc);
        match value {
            Expr::BoolOp(node) if node.op == crate::python::ast::BoolOp::Or => {
                node.values.iter().any(&is_loc)
            }
            Expr::If(node) => is_loc(&node.body) || is_loc(&node.orelse),
            _ => false,
        }
    }
}

/// `None`, `True`, a number, a string: storing it twice is the same as storing it once.
pub fn is_literal(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::NoneLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
    )
}

/// Calls `f` on `expr` and every expression inside it (not inside lambdas).
pub fn any_subexpr(expr: &Expr, f: &mut dyn FnMut(&Expr)) {
    struct Walk<'f> {
        f: &'f mut dyn FnMut(&Expr),
    }
    impl<'e> Visitor<'e> for Walk<'_> {
        fn visit_expr(&mut self, expr: &'e Expr) {
            if matches!(expr, Expr::Lambda(_)) {
                return;
            }
            (self.f)(expr);
            stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
                visitor::walk_expr(self, expr)
            });
        }
    }
    Walk { f }.visit_expr(expr);
}

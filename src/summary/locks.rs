//! Which expressions are thread locks: `with self._lock:`, `lock.acquire()`, a lock returned by a
//! getter (`with self.locked():`), a lock passed in as a parameter, the receiver's lock inside a
//! locking decorator's wrapper. A `Semaphore(n)` with `n > 1` lets n threads in: it excludes
//! nothing and is not a lock here; `asyncio.Lock` is not a thread lock.
//!
//! Also what kind of lock a constructor makes ([`LockKind`]): a `Lock` deadlocks the thread that
//! takes it twice, an `RLock` does not, a `Condition` works over a lock of its own (an `RLock`
//! unless it is given one) or over the lock it is given. The lock rules read the kinds from the
//! module summaries ([`super::ModuleSummary::lock_kinds`]) rather than guessing from names.

use serde::Serialize;

use super::builder::Builder;
use super::{Loc, LockRef};
use crate::python::ast::{Expr, ExprCall};
use crate::semantic::Binding;

/// What kind of lock a location holds, where its constructor shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LockKind {
    /// `threading.Lock()`, `multiprocessing.Lock()`, `_thread.allocate_lock()`: the thread that
    /// holds it blocks forever taking it again.
    Lock,
    /// `threading.RLock()`: its owner may take it again.
    RLock,
    /// `threading.Condition(...)`: waits and notifies over the lock it works on.
    Condition { over: ConditionLock },
    /// A semaphore that lets one thread in (`Semaphore()`, `BoundedSemaphore(1)`): any thread
    /// may release it, so taking it twice is often a hand-off rather than a bug.
    Semaphore,
}

impl LockKind {
    /// Whether the thread holding it blocks on taking it again (a `Lock`, or a `Condition` over
    /// one).
    pub fn is_non_reentrant(&self) -> bool {
        matches!(
            self,
            LockKind::Lock
                | LockKind::Condition {
                    over: ConditionLock::OwnLock
                }
        )
    }

    /// `Lock`, `RLock`, `Condition`, `Semaphore`: for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            LockKind::Lock => "Lock",
            LockKind::RLock => "RLock",
            LockKind::Condition { .. } => "Condition",
            LockKind::Semaphore => "Semaphore",
        }
    }
}

/// The lock a `Condition` works over.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConditionLock {
    /// `Condition()` or `Condition(RLock())`: an `RLock` of its own.
    OwnRLock,
    /// `Condition(Lock())`: a `Lock` of its own.
    OwnLock,
    /// `Condition(self._lock)`: taking the condition takes that lock.
    Shared(Loc),
    /// A lock snarl cannot name.
    Unknown,
}

/// The kind of lock `call` (a call of `qualname`) makes: `qualified` resolves a callee expression,
/// `shared` names the location an argument holds (`Condition(self._lock)`). `None` for anything
/// but a mutual-exclusion lock.
pub fn lock_kind(
    qualname: &str,
    call: &ExprCall,
    qualified: &dyn Fn(&Expr) -> Option<String>,
    shared: &dyn Fn(&Expr) -> Option<Loc>,
) -> Option<LockKind> {
    if !is_mutex_constructor(qualname, call) {
        return None;
    }
    let short = qualname.rsplit('.').next().unwrap_or(qualname);
    Some(match short {
        "Lock" | "allocate_lock" | "LockType" => LockKind::Lock,
        "RLock" => LockKind::RLock,
        "Condition" => {
            let over = call.arguments.args.first().or_else(|| {
                call.arguments
                    .keywords
                    .iter()
                    .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "lock"))
                    .map(|k| &k.value)
            });
            let over = match over {
                None | Some(Expr::NoneLiteral(_)) => ConditionLock::OwnRLock,
                Some(Expr::Call(inner)) => match qualified(&inner.func).as_deref() {
                    Some("threading.Lock" | "multiprocessing.Lock" | "_thread.allocate_lock") => {
                        ConditionLock::OwnLock
                    }
                    Some("threading.RLock" | "multiprocessing.RLock") => ConditionLock::OwnRLock,
                    _ => ConditionLock::Unknown,
                },
                Some(other) => shared(other)
                    .map(ConditionLock::Shared)
                    .unwrap_or(ConditionLock::Unknown),
            };
            LockKind::Condition { over }
        }
        _ if short.ends_with("Semaphore") => LockKind::Semaphore,
        _ => return None,
    })
}

/// Whether `qualname` is a thread (or multiprocessing) lock type; `asyncio.Lock` is not.
pub fn is_thread_lock_type(qualname: &str) -> bool {
    matches!(
        qualname,
        "threading.Lock"
            | "threading.RLock"
            | "threading.Condition"
            | "threading.Semaphore"
            | "threading.BoundedSemaphore"
            | "multiprocessing.Lock"
            | "multiprocessing.RLock"
            | "multiprocessing.Condition"
            | "multiprocessing.Semaphore"
            | "multiprocessing.BoundedSemaphore"
            | "_thread.allocate_lock"
            | "_thread.LockType"
            | "_thread.RLock"
    )
}

/// Whether a constructor call makes a lock that excludes: every lock type except a semaphore
/// that lets more than one thread in (`Semaphore(4)`, `BoundedSemaphore(n)`).
pub fn is_mutex_constructor(qualname: &str, call: &ExprCall) -> bool {
    if !is_thread_lock_type(qualname) {
        return false;
    }
    if !qualname.ends_with("Semaphore") {
        return true;
    }
    let value = call.arguments.args.first().or_else(|| {
        call.arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "value"))
            .map(|k| &k.value)
    });
    match value {
        None => true,
        Some(Expr::NumberLiteral(number)) => matches!(
            &number.value,
            crate::python::ast::Number::Int(i) if i.as_u8() == Some(1)
        ),
        Some(_) => false,
    }
}

/// Whether a variable or attribute name reads as a lock (`_lock`, `write_lock`, `mutex`).
pub fn lock_like_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.contains("lock") && !lower.contains("block") && !lower.contains("clock"))
        || lower.contains("mutex")
        || lower.contains("cond")
        || lower == "guard"
}

impl Builder<'_> {
    /// The lock `expr` denotes in a `with` item or an `acquire()` call, if it is a thread lock.
    pub(super) fn lock_of(&self, expr: &Expr) -> Option<LockRef> {
        let frame = self.frame();
        match expr {
            Expr::Call(call) => {
                // `with cls.get_lock():`
                let Expr::Attribute(attribute) = &*call.func else {
                    return None;
                };
                let method = attribute.attr.as_str();
                let on_self = frame.class.as_ref().filter(|class| {
                    self.is_receiver(&attribute.value)
                        || matches!(&*attribute.value, Expr::Name(base)
                            if class.rsplit('.').next() == Some(base.id.as_str()))
                });
                // `with self.send_context():` where `send_context` holds `self._mutex` around
                // its `yield`.
                let lock_context = on_self.is_some_and(|class| {
                    self.lock_contexts
                        .iter()
                        .any(|(c, m)| c == class && m == method)
                });
                if !lock_like_name(method) && !lock_context {
                    return None;
                }
                if let Some(class) = on_self {
                    return Some(LockRef::Getter {
                        class: class.clone(),
                        method: method.to_string(),
                    });
                }
                // `with self.counter.get_lock():` (a `multiprocessing.Value`): the lock that
                // object hands out, named by the object and the method.
                let (loc, _) = self.location(&attribute.value)?;
                let named = match loc {
                    Loc::Attr { class, name } => Loc::Attr {
                        class,
                        name: format!("{name}.{method}()"),
                    },
                    Loc::Global { name } => Loc::Global {
                        name: format!("{name}.{method}()"),
                    },
                    Loc::Cell { function, name } => Loc::Cell {
                        function,
                        name: format!("{name}.{method}()"),
                    },
                };
                Some(LockRef::At { loc: named })
            }
            Expr::Name(_) | Expr::Attribute(_) => {
                // Inside a decorator's wrapper: `with self._lock:` on the wrapped method's receiver.
                if let Some(name) = self.wrapper_receiver_attr(expr) {
                    return lock_like_name(&name).then_some(LockRef::OfReceiver { name });
                }
                if let Some(index) = self.param_index(expr) {
                    let name = &frame.params[index as usize];
                    let typed = matches!(self.semantic.binding(&frame.scopes, name),
                        Some(Binding::Instance(ty)) if is_thread_lock_type(ty));
                    return (typed || lock_like_name(name)).then_some(LockRef::Param { index });
                }
                if let Some(lock) = self.lock_of_held_object(expr) {
                    return Some(lock);
                }
                let (loc, _) = self.location(expr).or_else(|| self.local_lock(expr))?;
                let (name, ty) = match (&loc, expr) {
                    (Loc::Attr { class, name }, _) => (name.clone(), self.attr_type(class, name)),
                    (_, Expr::Name(n)) => (
                        n.id.to_string(),
                        match self.semantic.binding(&frame.scopes, n.id.as_str()) {
                            Some(Binding::Instance(ty)) => Some(ty.clone()),
                            _ => None,
                        },
                    ),
                    (_, Expr::Attribute(a)) => (a.attr.to_string(), None),
                    _ => return None,
                };
                if let Loc::Attr { class, name } = &loc {
                    if self.counting_attr(class, name) {
                        return None;
                    }
                }
                let is_lock = match &ty {
                    Some(ty) if ty.starts_with("asyncio.") => false,
                    Some(ty) => is_thread_lock_type(ty) || lock_like_name(&name),
                    None => lock_like_name(&name),
                };
                is_lock.then_some(LockRef::At { loc })
            }
            _ => None,
        }
    }

    /// `self.live._lock` where `self.live` holds an object of a known class of the project: that
    /// class's lock (`Live._lock`), taken on another object than the receiver.
    fn lock_of_held_object(&self, expr: &Expr) -> Option<LockRef> {
        let Expr::Attribute(outer) = expr else {
            return None;
        };
        let Expr::Attribute(inner) = &*outer.value else {
            return None;
        };
        if !self.is_receiver(&inner.value) || !lock_like_name(outer.attr.as_str()) {
            return None;
        }
        let class = self.frame().class.as_ref()?;
        let ty = self.attr_type(class, inner.attr.as_str())?;
        // Standard objects (`self.sock._lock`) are not the project's classes.
        if ty.starts_with("asyncio.") || is_thread_lock_type(&ty) || !ty.contains('.') {
            return None;
        }
        Some(LockRef::At {
            loc: Loc::Attr {
                class: ty,
                name: outer.attr.to_string(),
            },
        })
    }

    /// The class of `class.name` (`self.name = C()` in a method of `class` or of one of its bases
    /// in this file).
    pub(super) fn attr_type(&self, class: &str, name: &str) -> Option<String> {
        let mut pending = vec![class.to_string()];
        let mut seen = Vec::new();
        while let Some(current) = pending.pop() {
            if seen.contains(&current) {
                continue;
            }
            let info = self.semantic.class_by_qualname(&current)?;
            if let Some(ty) = info.attr_types.get(name) {
                return Some(ty.clone());
            }
            pending.extend(info.bases.iter().cloned());
            seen.push(current);
        }
        None
    }

    /// Whether `class.name` holds a counting semaphore (it lets several threads in).
    fn counting_attr(&self, class: &str, name: &str) -> bool {
        self.counting.iter().any(|(c, n)| c == class && n == name)
    }

    /// A lock held in a local variable (taken from somewhere shared): named by the expression.
    fn local_lock(&self, expr: &Expr) -> Option<(Loc, bool)> {
        match expr {
            Expr::Name(name) => Some((
                Loc::Cell {
                    function: self.frame().qualname.clone(),
                    name: name.id.to_string(),
                },
                false,
            )),
            _ => None,
        }
    }

    /// In a wrapper nested in a decorator, `self.<name>` where `self` is the wrapper's first
    /// parameter and the wrapper is not a method: the decorated method's receiver.
    fn wrapper_receiver_attr(&self, expr: &Expr) -> Option<String> {
        let frame = self.frame();
        if frame.class.is_some() || !frame.is_nested {
            return None;
        }
        let Expr::Attribute(attribute) = expr else {
            return None;
        };
        let Expr::Name(base) = &*attribute.value else {
            return None;
        };
        (frame.params.first().map(String::as_str) == Some(base.id.as_str())
            && base.id.as_str() == "self")
            .then(|| attribute.attr.to_string())
    }
}

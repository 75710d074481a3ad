//! What a call refers to, as far as one file can tell: a function, a constructor, a method on a
//! typed receiver (`self`, a typed local or attribute, a parameter with an annotation), an
//! attribute holding a callable, what a factory returns; where its receiver comes from; and which
//! arguments carry shared state or callables into the callee.

use super::builder::Builder;
use super::scope::Origin;
use super::{Arg, ArgSource, CallSite, Callee, FunctionKind, Receiver};
use crate::python::ast::{self, Expr};
use crate::python::Ranged;
use crate::semantic::{is_super_call, Binding};

impl Builder<'_> {
    /// What `expr` (a callable) refers to.
    pub(super) fn callee_of(&self, expr: &Expr) -> Callee {
        let frame = self.frame();
        match expr {
            Expr::Name(name) => match self.semantic.binding(&frame.scopes, name.id.as_str()) {
                Some(Binding::Function(q)) | Some(Binding::Import(q)) => {
                    Callee::Name { name: q.clone() }
                }
                Some(Binding::Class(i)) => Callee::Name {
                    name: self.semantic.classes[*i].qualname.clone(),
                },
                _ => Callee::Unknown,
            },
            Expr::Attribute(attribute) => {
                let method = attribute.attr.to_string();
                if self.is_receiver(&attribute.value) {
                    if let Some(class) = &frame.class {
                        return Callee::Method {
                            class: class.clone(),
                            name: method,
                            is_virtual: true,
                        };
                    }
                }
                match &*attribute.value {
                    Expr::Name(base) if frame.class.is_some() => {
                        let class = frame.class.clone().unwrap_or_default();
                        if class.rsplit('.').next() == Some(base.id.as_str()) {
                            return Callee::Method {
                                class,
                                name: method,
                                is_virtual: false,
                            };
                        }
                    }
                    Expr::Call(call) if is_super_call(call) => {
                        if let Some(class) = &frame.class {
                            return Callee::Super {
                                class: class.clone(),
                                name: method,
                            };
                        }
                    }
                    _ => {}
                }
                if let Some(ty) = self.type_of(&attribute.value) {
                    return Callee::Method {
                        class: ty,
                        name: method,
                        is_virtual: true,
                    };
                }
                match self.semantic.qualified_name(&frame.scopes, expr) {
                    Some(q) => Callee::Name { name: q },
                    None => Callee::Unknown,
                }
            }
            Expr::Call(call) => {
                let name = self.semantic.qualified_name(&frame.scopes, &call.func);
                if name.as_deref() == Some("functools.partial") {
                    if let Some(first) = call.arguments.args.first() {
                        return self.callee_of(first);
                    }
                }
                // `make_worker(items)` used as a callable: what the factory returns (one level:
                // `f()()()` chains say nothing and would cost a walk down the chain per call).
                if !matches!(&*call.func, Expr::Name(_) | Expr::Attribute(_)) {
                    return Callee::Unknown;
                }
                match self.callee_of(&call.func) {
                    Callee::Unknown => Callee::Unknown,
                    factory => Callee::Returned {
                        factory: Box::new(factory),
                    },
                }
            }
            Expr::Lambda(lambda) => Callee::Name {
                name: super::builder::lambda_qualname(&frame.qualname, lambda.range()),
            },
            _ => Callee::Unknown,
        }
    }

    /// The class of the object `expr` evaluates to, as far as local reasoning knows.
    pub(super) fn type_of(&self, expr: &Expr) -> Option<String> {
        let frame = self.frame();
        if let Expr::Attribute(attribute) = expr {
            if self.is_receiver(&attribute.value) {
                let class = frame.class.as_ref()?;
                return self.attr_type(class, attribute.attr.as_str());
            }
        }
        self.semantic.type_of(&frame.scopes, expr)
    }

    /// The class of the object `expr` evaluates to, with what known factories and methods
    /// return: `asyncio.get_event_loop()` is an event loop, `self._loop.create_future()` an
    /// asyncio future, `executor.submit(...)` a `concurrent.futures` future.
    pub(super) fn value_type(&self, expr: &Expr) -> Option<String> {
        self.value_type_within(expr, 4)
    }

    fn value_type_within(&self, expr: &Expr, hops: usize) -> Option<String> {
        if let Some(ty) = self.type_of(expr) {
            return Some(ty);
        }
        if let Some(ty) = self.semantic.value_type(&self.frame().scopes, expr) {
            return Some(ty);
        }
        let Expr::Call(call) = expr else {
            return None;
        };
        let Expr::Attribute(attribute) = &*call.func else {
            return None;
        };
        if hops == 0 {
            return None;
        }
        let receiver = self.value_type_within(&attribute.value, hops - 1)?;
        crate::semantic::method_result(&receiver, attribute.attr.as_str()).map(str::to_string)
    }

    /// Where the receiver of `func` (a call's callee expression) comes from.
    fn receiver_of(&self, func: &Expr, callee: &Callee) -> Receiver {
        let frame = self.frame();
        match func {
            Expr::Attribute(attribute) => match &*attribute.value {
                value if self.is_receiver(value) => Receiver::Own,
                Expr::Call(inner) if is_super_call(inner) => Receiver::Own,
                Expr::Name(n) => match frame.owned.get(n.id.as_str()) {
                    Some(Origin::Constructed) => Receiver::Owned,
                    Some(Origin::CallResult(origin)) => match self.callee_of(origin) {
                        Callee::Unknown => Receiver::Other,
                        callee => Receiver::ResultOf { callee },
                    },
                    None => match self.param_index(&attribute.value) {
                        Some(index) => Receiver::Param { index },
                        None => Receiver::Other,
                    },
                },
                Expr::Attribute(inner) if self.is_receiver(&inner.value) => Receiver::OwnAttr {
                    name: inner.attr.to_string(),
                },
                _ => Receiver::Other,
            },
            // A nested function that uses its enclosing method's `self` runs on that object.
            Expr::Name(_) if frame.self_name.is_some() => match callee {
                Callee::Name { name }
                    if name.starts_with(&format!("{}.<locals>.", frame.qualname)) =>
                {
                    Receiver::Own
                }
                _ => Receiver::None,
            },
            _ => Receiver::None,
        }
    }

    /// The arguments worth following into the callee.
    fn args_of(&self, call: &ast::ExprCall) -> Vec<Arg> {
        let mut out = Vec::new();
        // Callables matter where a constructor may store them (`Worker(function=handle)`), and
        // where a function is passed on to be called.
        let constructs = self.constructs(call);
        let mut describe = |position: Option<u32>, keyword: Option<String>, value: &Expr| {
            if matches!(value, Expr::Starred(_)) {
                return false;
            }
            let loc = self.container(value).map(|(loc, _)| loc);
            let source = self.arg_source(value);
            // Other calls pass functions and lambdas on (`queue.remove(matching)`): the lock
            // rules ask what reaches a callable parameter.
            let callable = match value {
                Expr::Name(_) | Expr::Lambda(_) => match self.callee_of(value) {
                    Callee::Unknown => None,
                    callee => Some(callee),
                },
                Expr::Attribute(_) if constructs => match self.callee_of(value) {
                    Callee::Unknown => None,
                    callee => Some(callee),
                },
                _ => None,
            };
            if loc.is_some() || callable.is_some() || source.is_some() {
                out.push(Arg {
                    position,
                    keyword,
                    loc,
                    callable,
                    source,
                });
            }
            true
        };
        for (i, arg) in call.arguments.args.iter().enumerate() {
            // After `*args` positions are unknown.
            if !describe(Some(i as u32), None, arg) {
                break;
            }
        }
        for keyword in call.arguments.keywords.iter() {
            if let Some(name) = &keyword.arg {
                describe(None, Some(name.to_string()), &keyword.value);
            }
        }
        out
    }

    /// Where the object `value` evaluates to comes from, when its ownership can pass on.
    fn arg_source(&self, value: &Expr) -> Option<ArgSource> {
        if self.is_receiver(value) {
            return Some(ArgSource::OwnSelf);
        }
        match value {
            Expr::Name(name) => {
                if matches!(
                    self.frame().owned.get(name.id.as_str()),
                    Some(Origin::Constructed)
                ) {
                    return Some(ArgSource::Owned);
                }
                self.param_index(value)
                    .map(|index| ArgSource::Param { index })
            }
            Expr::Attribute(attribute) if self.is_receiver(&attribute.value) => {
                Some(ArgSource::OwnAttr {
                    name: attribute.attr.to_string(),
                })
            }
            _ => None,
        }
    }

    /// Whether `call` constructs an object (calls a class).
    fn constructs(&self, call: &ast::ExprCall) -> bool {
        let Some(callee) = self
            .semantic
            .qualified_name(&self.frame().scopes, &call.func)
        else {
            return false;
        };
        callee
            .rsplit('.')
            .next()
            .is_some_and(|last| last.starts_with(|c: char| c.is_ascii_uppercase()))
            || self.semantic.class_by_qualname(&callee).is_some()
    }

    /// Records the call edge of `call`.
    pub(super) fn record_call(&mut self, call: &ast::ExprCall) {
        let callee = self.callee_of(&call.func);
        if callee == Callee::Unknown {
            self.note_unknown_call(call);
            // A call of a parameter while a lock is held, in a wrapper: the decorated function
            // runs under that lock.
            self.note_wrapped_call(&call.func);
            return;
        }
        let receiver = self.receiver_of(&call.func, &callee);
        let args = self.args_of(call);
        let held = self.frame().held.clone();
        let in_loop = self.frame().loop_depth > 0;
        self.summary().calls.push(CallSite {
            callee,
            range: call.range(),
            held,
            receiver,
            in_loop,
            args,
        });
    }

    /// `func(*args)` inside a wrapper, where `func` is a parameter of the enclosing decorator and
    /// a lock is held: the wrapper runs the decorated function under it.
    fn note_wrapped_call(&mut self, func: &Expr) {
        let Expr::Name(name) = func else {
            return;
        };
        let frame = self.frame();
        if frame.held.is_empty() || frame.kind == FunctionKind::Module {
            return;
        }
        let enclosing_param = self
            .frames
            .iter()
            .rev()
            .skip(1)
            .take_while(|f| f.kind != FunctionKind::Module)
            .any(|f| f.params.iter().any(|p| p == name.id.as_str()));
        if enclosing_param && !frame.locals.contains(name.id.as_str()) {
            let lock = frame.held[0].clone();
            self.summary().wraps_under = Some(lock);
        }
    }
}

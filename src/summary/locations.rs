//! Which shared location an expression names: `self.x` and `cls.x` (also through a `self` that a
//! nested function captures), `C.x` inside class `C`, a module global, a closure cell, another
//! module's global, or a local alias of one of those (`pending = self._pending`).

use super::builder::Builder;
use super::{FunctionKind, Loc};
use crate::python::ast::Expr;
use crate::semantic::Binding;

impl Builder<'_> {
    /// The location `expr` denotes, if it is shared. The flag says whether it was reached through
    /// `self`.
    pub(super) fn location(&self, expr: &Expr) -> Option<(Loc, bool)> {
        let frame = self.frame();
        match expr {
            Expr::Name(name) => {
                let id = name.id.as_str();
                if frame.kind == FunctionKind::Module {
                    return None;
                }
                if frame.declared_global.contains(id) {
                    return Some((self.global(id), false));
                }
                if frame.captured.contains(id) {
                    return Some((
                        Loc::Cell {
                            function: frame.qualname.clone(),
                            name: id.to_string(),
                        },
                        false,
                    ));
                }
                if frame.locals.contains(id) {
                    return None;
                }
                // A free name: an enclosing function's local, or a module global, or an import.
                for outer in self.frames.iter().rev().skip(1) {
                    if outer.kind == FunctionKind::Module {
                        break;
                    }
                    if outer.locals.contains(id) {
                        return Some((
                            Loc::Cell {
                                function: outer.qualname.clone(),
                                name: id.to_string(),
                            },
                            false,
                        ));
                    }
                }
                if self.globals.contains(id) {
                    return Some((self.global(id), false));
                }
                match self.semantic.binding(&frame.scopes, id) {
                    // `from shop.inventory import stock`: maybe another module's global.
                    Some(Binding::Import(qualified)) if qualified.contains('.') => Some((
                        Loc::Global {
                            name: qualified.clone(),
                        },
                        false,
                    )),
                    _ => None,
                }
            }
            Expr::Attribute(attribute) => {
                let attr = attribute.attr.as_str();
                let Expr::Name(base) = &*attribute.value else {
                    return None;
                };
                let base_id = base.id.as_str();
                if let Some(found) = self.attr_location(base_id, attr) {
                    return Some(found);
                }
                if let Some(class) = &frame.class {
                    if class.rsplit('.').next() == Some(base_id) && !frame.locals.contains(base_id)
                    {
                        return Some((
                            Loc::Attr {
                                class: class.clone(),
                                name: attr.to_string(),
                            },
                            false,
                        ));
                    }
                }
                if frame.locals.contains(base_id) || frame.kind == FunctionKind::Module {
                    return None;
                }
                // `inventory.stock` where `inventory` is an imported module.
                match self.semantic.binding(&frame.scopes, base_id) {
                    Some(Binding::Import(_)) => {
                        let qualified = self.semantic.qualified_name(&frame.scopes, expr)?;
                        Some((Loc::Global { name: qualified }, false))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `self.attr` / `cls.attr` where `base` is this function's (or its enclosing method's)
    /// receiver.
    pub(super) fn attr_location(&self, base: &str, attr: &str) -> Option<(Loc, bool)> {
        let frame = self.frame();
        let class = frame.class.as_ref()?;
        let is_self = frame.self_name.as_deref() == Some(base);
        let is_cls = frame.cls_name.as_deref() == Some(base);
        (is_self || is_cls).then(|| {
            (
                Loc::Attr {
                    class: class.clone(),
                    name: attr.to_string(),
                },
                is_self,
            )
        })
    }

    /// The container location whose contents `expr` (a subscript or method base) refers to: a
    /// local alias (`pending = self._pending`) names the same container, not the same binding.
    pub(super) fn container(&self, expr: &Expr) -> Option<(Loc, bool)> {
        match expr {
            Expr::Name(name) => match self.frame().aliases.get(name.id.as_str()) {
                Some(alias) => Some(alias.clone()),
                None => self.location(expr),
            },
            Expr::Attribute(_) => self.location(expr),
            _ => None,
        }
    }

    /// The index of the parameter `expr` names, when it is one of this function's own.
    pub(super) fn param_index(&self, expr: &Expr) -> Option<u32> {
        let Expr::Name(name) = expr else {
            return None;
        };
        let frame = self.frame();
        if frame.aliases.contains_key(name.id.as_str())
            || frame.reassigned.contains(name.id.as_str())
        {
            return None;
        }
        frame
            .params
            .iter()
            .position(|p| p == name.id.as_str())
            .map(|i| i as u32)
    }

    /// Whether `expr` is this function's receiver (`self`, or `cls` in a class method).
    pub(super) fn is_receiver(&self, expr: &Expr) -> bool {
        let frame = self.frame();
        matches!(expr, Expr::Name(n) if frame.self_name.as_deref() == Some(n.id.as_str())
            || frame.cls_name.as_deref() == Some(n.id.as_str()))
    }

    fn global(&self, name: &str) -> Loc {
        Loc::Global {
            name: self.semantic.qualify(name),
        }
    }
}

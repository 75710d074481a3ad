//! Linking: the per-file summaries indexed project-wide and every call resolved.
//!
//! Decides what a qualified name refers to (through re-exports `from .x import f` and
//! `from .x import *` in `__init__`, and module-level aliases), the class hierarchy (bases, MRO,
//! descendants), and which functions a call may reach: a function, a constructor's `__init__`, a
//! method along the MRO (and its overrides for calls on `self`), `super()`, a callable stored in
//! an attribute (by the constructor from its parameter, or in the class body), what a factory
//! returns. It also turns what a helper does to its parameters into accesses of the caller's
//! shared state passed to it.

use rustc_hash::FxHashMap as HashMap;

use super::{ClassId, Edge, FuncId, Project};
use crate::summary::{Access, Callee, ClassSummary, FunctionKind, Loc, Receiver};

/// How many alias and factory hops a resolution follows.
const MAX_HOPS: usize = 4;

/// What a qualified name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Function(FuncId),
    Class(ClassId),
}

impl Project {
    pub(super) fn index(&mut self) {
        for (m, module) in self.modules.iter().enumerate() {
            self.module_by_name
                .entry(module.module.clone())
                .or_insert(m as u32);
            let package = module.module.split('.').next().unwrap_or(&module.module);
            if !self.packages.contains(package) {
                self.packages.insert(package.to_string());
            }
            let mut kinds = HashMap::default();
            for (name, kind) in &module.global_kinds {
                kinds.entry(name.clone()).or_insert(*kind);
            }
            self.global_kinds.push(kinds);
            self.first_function.push(self.functions.len() as FuncId);
            for (f, function) in module.functions.iter().enumerate() {
                let id = self.functions.len() as FuncId;
                self.functions.push((m as u32, f as u32));
                self.function_by_name
                    .entry(function.qualname.clone())
                    .or_insert(id);
            }
            for (c, class) in module.classes.iter().enumerate() {
                let id = self.classes.len() as ClassId;
                self.classes.push((m as u32, c as u32));
                self.class_by_name
                    .entry(class.qualname.clone())
                    .or_insert(id);
            }
        }
        self.bases = vec![Vec::new(); self.classes.len()];
        self.subclasses = vec![Vec::new(); self.classes.len()];
        for id in 0..self.classes.len() as ClassId {
            let bases: Vec<ClassId> = self
                .class(id)
                .bases
                .clone()
                .iter()
                .filter_map(|b| match self.resolve_name(b) {
                    Some(Target::Class(c)) => Some(c),
                    _ => None,
                })
                .filter(|&b| b != id)
                .collect();
            for &b in &bases {
                self.subclasses[b as usize].push(id);
            }
            self.bases[id as usize] = bases;
        }
        self.mros = (0..self.classes.len() as ClassId)
            .map(|c| self.compute_mro(c))
            .collect();
        self.descendant_lists = (0..self.classes.len() as ClassId)
            .map(|c| self.compute_descendants(c))
            .collect();
        self.globals = self
            .modules
            .iter()
            .flat_map(|m| m.globals.iter().map(move |g| format!("{}.{g}", m.module)))
            .collect();
        let mut instances = HashMap::default();
        for (m, module) in self.modules.iter().enumerate() {
            for (i, (name, class)) in module.instances.iter().enumerate() {
                if name.starts_with('_') {
                    continue;
                }
                if let Some(Target::Class(c)) = self.resolve_name(class) {
                    instances.entry(c).or_insert((m as u32, i as u32));
                }
            }
        }
        self.module_instances = instances;
    }

    /// What `name` refers to: a function or class of the project, found directly or through the
    /// re-exports and aliases of the modules on its path.
    pub fn resolve_name(&self, name: &str) -> Option<Target> {
        self.resolve_name_hops(name, MAX_HOPS)
    }

    fn resolve_name_hops(&self, name: &str, hops: usize) -> Option<Target> {
        if let Some(&f) = self.function_by_name.get(name) {
            return Some(Target::Function(f));
        }
        if let Some(&c) = self.class_by_name.get(name) {
            return Some(Target::Class(c));
        }
        // Only names inside the project's own packages can be re-exports of its code.
        let package = name.split('.').next().unwrap_or(name);
        if hops == 0 || !self.packages.contains(package) {
            return None;
        }
        // The longest prefix that is a module of the project: its aliases and star imports
        // say where the rest lives.
        let mut split = name.len();
        while let Some(dot) = name[..split].rfind('.') {
            split = dot;
            let (module, rest) = (&name[..dot], &name[dot + 1..]);
            let Some(&m) = self.module_by_name.get(module) else {
                continue;
            };
            let summary = &self.modules[m as usize];
            let (first, tail) = match rest.split_once('.') {
                Some((first, tail)) => (first, Some(tail)),
                None => (rest, None),
            };
            let join = |base: &str| match tail {
                Some(tail) => format!("{base}.{tail}"),
                None => base.to_string(),
            };
            if let Some((_, target)) = summary.aliases.iter().find(|(n, _)| n == first) {
                let next = join(target);
                if next != name {
                    return self.resolve_name_hops(&next, hops - 1);
                }
            }
            for star in &summary.star_imports {
                if let Some(found) = self.resolve_name_hops(&format!("{star}.{rest}"), hops - 1) {
                    return Some(found);
                }
            }
            return None;
        }
        None
    }

    /// The qualified name `name` stands for after following aliases, when it is not a project
    /// function or class (`from shop.inventory import stock` names the global `stock`).
    pub fn resolve_global(&self, name: &str) -> String {
        if self.globals.contains(name) {
            return name.to_string();
        }
        if let Some((module, rest)) = name.rsplit_once('.') {
            if let Some(&m) = self.module_by_name.get(module) {
                let summary = &self.modules[m as usize];
                if let Some((_, target)) = summary.aliases.iter().find(|(n, _)| n == rest) {
                    if self.globals.contains(target) {
                        return target.clone();
                    }
                }
                for star in &summary.star_imports {
                    let candidate = format!("{star}.{rest}");
                    if self.globals.contains(&candidate) {
                        return candidate;
                    }
                }
            }
        }
        name.to_string()
    }

    fn compute_mro(&self, class: ClassId) -> Vec<ClassId> {
        let mut out = Vec::new();
        let mut stack = vec![class];
        while let Some(c) = stack.pop() {
            if out.contains(&c) {
                continue;
            }
            out.push(c);
            for &b in self.bases[c as usize].iter().rev() {
                stack.push(b);
            }
        }
        out
    }

    fn compute_descendants(&self, class: ClassId) -> Vec<ClassId> {
        let mut out = Vec::new();
        let mut stack = self.subclasses[class as usize].clone();
        while let Some(c) = stack.pop() {
            if out.contains(&c) {
                continue;
            }
            out.push(c);
            stack.extend(self.subclasses[c as usize].iter().copied());
        }
        out
    }

    /// The classes in `class`'s method resolution order (depth-first, left to right, no repeats).
    pub fn mro(&self, class: ClassId) -> &[ClassId] {
        &self.mros[class as usize]
    }

    /// Every class deriving from `class`, transitively.
    pub fn descendants(&self, class: ClassId) -> &[ClassId] {
        &self.descendant_lists[class as usize]
    }

    /// The method `name` of `class`, looked up along its MRO.
    pub fn lookup_method(&self, class: ClassId, name: &str) -> Option<FuncId> {
        self.mro(class)
            .iter()
            .find_map(|&c| self.own_method(c, name))
    }

    pub(super) fn own_method(&self, class: ClassId, name: &str) -> Option<FuncId> {
        let module = self.classes[class as usize].0 as usize;
        self.class(class)
            .methods
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, index)| self.first_function[module] + index)
    }

    /// Whether `class` derives (through project classes) from one of the standard `bases`.
    pub fn derives_from(&self, class: ClassId, bases: &[&str]) -> bool {
        self.mro(class).iter().any(|&c| {
            self.class(c)
                .bases
                .iter()
                .any(|b| bases.contains(&b.as_str()))
        })
    }

    /// The first class along `class`'s MRO whose summary `has` says something of.
    pub fn class_fact<T>(
        &self,
        class: ClassId,
        has: impl Fn(&ClassSummary) -> Option<T>,
    ) -> Option<T> {
        self.mro(class).iter().find_map(|&c| has(self.class(c)))
    }

    /// The functions a callee may be, and whether the call constructs an object (so the callee
    /// runs on an object nobody else has yet).
    pub fn resolve(&self, callee: &Callee) -> (Vec<FuncId>, bool) {
        self.resolve_hops(callee, MAX_HOPS)
    }

    fn resolve_hops(&self, callee: &Callee, hops: usize) -> (Vec<FuncId>, bool) {
        match callee {
            Callee::Name { name } => match self.resolve_name(name) {
                Some(Target::Function(f)) => (vec![f], false),
                // A constructor: `__init__` runs on the new (owned) object.
                Some(Target::Class(c)) => (
                    self.lookup_method(c, "__init__").into_iter().collect(),
                    true,
                ),
                None => (Vec::new(), false),
            },
            Callee::Method {
                class,
                name,
                is_virtual,
            } => {
                let Some(Target::Class(c)) = self.resolve_name(class) else {
                    return (Vec::new(), false);
                };
                let mut out: Vec<FuncId> = self.lookup_method(c, name).into_iter().collect();
                if *is_virtual {
                    for &d in self.descendants(c) {
                        if let Some(m) = self.own_method(d, name) {
                            if !out.contains(&m) {
                                out.push(m);
                            }
                        }
                    }
                }
                if out.is_empty() && hops > 0 {
                    out = self.attribute_callables(c, name, hops - 1);
                }
                (out, false)
            }
            Callee::Super { class, name } => {
                let Some(Target::Class(c)) = self.resolve_name(class) else {
                    return (Vec::new(), false);
                };
                let found = self
                    .mro(c)
                    .iter()
                    .skip(1)
                    .find_map(|&b| self.own_method(b, name));
                (found.into_iter().collect(), false)
            }
            Callee::Returned { factory } if hops > 0 => {
                let (factories, _) = self.resolve_hops(factory, hops - 1);
                let mut out = Vec::new();
                for f in factories {
                    if let Some(returned) = &self.function(f).returns_callable {
                        for g in self.resolve_hops(returned, hops - 1).0 {
                            if !out.contains(&g) {
                                out.push(g);
                            }
                        }
                    }
                }
                (out, false)
            }
            Callee::Returned { .. } | Callee::Unknown => (Vec::new(), false),
        }
    }

    /// The callables attribute `name` of `class` holds: set in the class body or a method to a
    /// known function or class, or by `__init__` from a parameter, to what its constructor calls
    /// pass.
    fn attribute_callables(&self, class: ClassId, name: &str, hops: usize) -> Vec<FuncId> {
        let mut out = Vec::new();
        for &k in self.mro(class) {
            let summary = self.class(k);
            for (_, callee) in summary.attr_callables.iter().filter(|(a, _)| a == name) {
                out.extend(self.resolve_hops(callee, hops).0);
            }
            for &(_, param) in summary.attr_params.iter().filter(|(a, _)| a == name) {
                let init = self.own_method(k, "__init__");
                for &(caller, call) in self.constructions.get(&k).into_iter().flatten() {
                    let site = &self.function(caller).calls[call as usize];
                    if let Some(callable) = init
                        .and_then(|init| self.argument_for(site, init, param, true))
                        .and_then(|arg| arg.callable.as_ref())
                    {
                        out.extend(self.resolve_hops(callable, hops).0);
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The argument of `call` bound to parameter `param` of `callee` (`bound`: the call passes
    /// the receiver implicitly, as a method call or a constructor does).
    pub fn argument_for<'s>(
        &self,
        call: &'s crate::summary::CallSite,
        callee: FuncId,
        param: u32,
        bound: bool,
    ) -> Option<&'s crate::summary::Arg> {
        let function = self.function(callee);
        let name = function.params.get(param as usize)?;
        let offset = u32::from(bound);
        call.args.iter().find(|arg| {
            arg.keyword.as_deref() == Some(name.as_str())
                || arg.position.is_some_and(|p| p + offset == param)
        })
    }

    /// Whether a call of `callee` passes the receiver implicitly (`obj.m(x)`, `C(x)`), so the
    /// first argument binds the second parameter.
    fn binds_receiver(
        &self,
        call: &crate::summary::CallSite,
        callee: FuncId,
        constructor: bool,
    ) -> bool {
        constructor
            || (matches!(
                self.function(callee).kind,
                FunctionKind::Method | FunctionKind::ClassMethod
            ) && call.receiver != Receiver::None)
            || matches!(call.callee, Callee::Method { .. } | Callee::Super { .. })
                && self.function(callee).kind != FunctionKind::StaticMethod
    }

    pub(super) fn resolve_edges(&mut self) {
        // Constructor calls per class first: attributes set from `__init__` parameters resolve
        // through them.
        let mut constructions: HashMap<ClassId, Vec<(FuncId, u32)>> = HashMap::default();
        for id in 0..self.functions.len() as FuncId {
            for (i, call) in self.function(id).calls.iter().enumerate() {
                if call.args.iter().all(|a| a.callable.is_none()) {
                    continue;
                }
                if let Callee::Name { name } = &call.callee {
                    if let Some(Target::Class(c)) = self.resolve_name(name) {
                        // The constructor of `c` binds the attributes of `c` and its bases.
                        for &k in self.mro(c) {
                            constructions.entry(k).or_default().push((id, i as u32));
                        }
                    }
                }
            }
        }
        self.constructions = constructions;
        let mut edges = Vec::with_capacity(self.functions.len());
        let mut synthetic: Vec<Vec<Access>> = vec![Vec::new(); self.functions.len()];
        for id in 0..self.functions.len() as FuncId {
            let mut out = Vec::new();
            for (i, call) in self.function(id).calls.iter().enumerate() {
                let (callees, constructor) = self.resolve(&call.callee);
                for callee in callees {
                    let bound = self.binds_receiver(call, callee, constructor);
                    synthetic[id as usize].extend(self.parameter_effects(call, callee, bound));
                    out.push(Edge {
                        callee,
                        call: i as u32,
                        site: call.range,
                        constructor,
                        bound,
                    });
                }
            }
            edges.push(out);
        }
        self.edges = edges;
        self.synthetic = synthetic;
    }

    /// What `callee` does to the containers its parameters hold, as accesses of the shared
    /// state `call` passes in (`_add(self._stats, key)` changes `self._stats`).
    fn parameter_effects(
        &self,
        call: &crate::summary::CallSite,
        callee: FuncId,
        bound: bool,
    ) -> Vec<Access> {
        let function = self.function(callee);
        let mut out = Vec::new();
        for &(param, kind) in &function.param_effects {
            let Some(loc) = self
                .argument_for(call, callee, param, bound)
                .and_then(|arg| arg.loc.clone())
            else {
                continue;
            };
            out.push(Access {
                loc,
                kind,
                range: call.range,
                held: call.held.clone(),
                via_self: false,
                atomic: false,
                in_place: false,
                item: false,
                shifts: kind == crate::summary::AccessKind::Mutate,
                constant: false,
                guards: Vec::new(),
            });
        }
        out
    }

    /// The canonical form of a location: an attribute belongs to the topmost class in the MRO
    /// that assigns it, so `self.x` in a subclass and in its base are one location; a global
    /// reached through a re-export is the module variable itself.
    pub fn canonical_loc(&self, loc: &Loc) -> Loc {
        match loc {
            Loc::Attr { class, name } => {
                if let Some(&c) = self.class_by_name.get(class) {
                    let owner = self
                        .mro(c)
                        .iter()
                        .rev()
                        .find(|&&k| self.class(k).assigned.iter().any(|a| a == name));
                    if let Some(&owner) = owner {
                        return Loc::Attr {
                            class: self.class(owner).qualname.clone(),
                            name: name.clone(),
                        };
                    }
                }
                loc.clone()
            }
            Loc::Global { name } => Loc::Global {
                name: self.resolve_global(name),
            },
            Loc::Cell { .. } => loc.clone(),
        }
    }

    /// Whether an attribute location names a method or property of its class (`self._buffer`
    /// behind `@property`): calling code, not a data location.
    pub fn is_method(&self, loc: &Loc) -> bool {
        match loc {
            Loc::Attr { class, name } => self
                .class_by_name
                .get(class)
                .is_some_and(|&c| self.lookup_method(c, name).is_some()),
            _ => false,
        }
    }

    /// Whether an attribute location lives on the class (shared by all instances).
    ///
    /// A name written through `cls.` / `C.` lives on the class; a name set only in the class body
    /// does too unless methods assign it through `self` (then the body value is a default and the
    /// state is per instance).
    pub fn is_class_attr(&self, loc: &Loc) -> bool {
        let Loc::Attr { class, name } = loc else {
            return false;
        };
        let Some(&c) = self.class_by_name.get(class) else {
            return false;
        };
        let has = |list: fn(&ClassSummary) -> &Vec<String>| {
            self.mro(c)
                .iter()
                .chain(self.descendants(c))
                .any(|&k| list(self.class(k)).iter().any(|a| a == name))
        };
        has(|k| &k.class_attrs) || (has(|k| &k.body_attrs) && !has(|k| &k.instance_attrs))
    }

    /// Whether `loc` is shared state of this project: a global must be a module-level variable
    /// of one of its modules (an import of `os.environ` names no project state).
    pub fn is_project_location(&self, loc: &Loc) -> bool {
        match loc {
            Loc::Global { name } => self.globals.contains(name),
            _ => true,
        }
    }

    /// What the location holds, where its assignments show it.
    pub fn container_kind(&self, loc: &Loc) -> Option<crate::summary::ContainerKind> {
        match loc {
            Loc::Attr { class, name } => {
                let &c = self.class_by_name.get(class)?;
                self.class_fact(c, |k| {
                    k.attr_kinds
                        .iter()
                        .find(|(a, _)| a == name)
                        .map(|(_, kind)| *kind)
                })
            }
            Loc::Global { name } => {
                let (module, var) = name.rsplit_once('.')?;
                let &m = self.module_by_name.get(module)?;
                self.global_kinds[m as usize].get(var).copied()
            }
            Loc::Cell { .. } => None,
        }
    }

    /// Whether the attribute at `loc` holds an object of a class of the project.
    pub fn is_object_of_project_class(&self, loc: &Loc) -> bool {
        let Loc::Attr { class, name } = loc else {
            return false;
        };
        let Some(&c) = self.class_by_name.get(class) else {
            return false;
        };
        self.class_fact(c, |k| {
            k.attr_classes
                .iter()
                .find(|(a, _)| a == name)
                .map(|(_, ty)| ty.clone())
        })
        .is_some_and(|ty| matches!(self.resolve_name(&ty), Some(Target::Class(_))))
    }

    /// Functions nested in `function` (its `<locals>`, lambdas), by qualified-name prefix.
    pub fn is_nested_in(&self, inner: FuncId, outer: FuncId) -> bool {
        let outer = &self.function(outer).qualname;
        let inner = &self.function(inner).qualname;
        inner.len() > outer.len()
            && inner.starts_with(outer.as_str())
            && (inner[outer.len()..].starts_with(".<locals>.")
                || inner[outer.len()..].starts_with(".<lambda@"))
    }

    /// Every (caller, edge) into each function, for analyses that look at callers.
    pub fn callers(&self) -> Vec<Vec<(FuncId, usize)>> {
        let mut out = vec![Vec::new(); self.functions.len()];
        for (f, edges) in self.edges.iter().enumerate() {
            for (e, edge) in edges.iter().enumerate() {
                out[edge.callee as usize].push((f as FuncId, e));
            }
        }
        out
    }
}

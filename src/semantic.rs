//! The per-file semantic model: what names mean.
//!
//! Built by a quick pre-pass over a module before the rules and the summary builder walk it. It
//! resolves imports to qualified names (`import threading as th` makes `th.Thread` mean
//! `threading.Thread`), knows the file's classes and their bases (a subclass of a subclass of
//! `threading.Thread` is a thread class), and the simple local types the rules need (`t = Thread()`,
//! `self.t = Thread()` in a method). Function-local bindings are tracked by [`Scopes`] while a
//! visitor walks the function bodies.

use rustc_hash::FxHashMap as HashMap;

use crate::python::ast::{self, Expr, Stmt};
use crate::python::{Ranged, TextRange};

/// What a name is bound to, as far as a static reading can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// An imported module or object: its qualified name (`threading.Thread`).
    Import(String),
    /// A class defined in this file: its index in [`SemanticModel::classes`].
    Class(usize),
    /// A function defined in this file: its qualified name (`pkg.mod.f`).
    Function(String),
    /// An object constructed from the class with this qualified name (`t = Thread(...)`).
    Instance(String),
    /// Anything else.
    Value,
}

/// A class defined in the file.
#[derive(Debug, Clone)]
pub struct ClassInfo {
    pub name: String,
    /// `pkg.mod.Outer.Name`
    pub qualname: String,
    /// The qualified names of the bases, where they resolve (an unresolvable base is left out).
    pub bases: Vec<String>,
    pub range: TextRange,
    /// Names of the methods defined in the class body.
    pub methods: Vec<String>,
    /// `self.attr = C(...)` in a method (or `attr: C` in the class body): attribute name to the
    /// qualified name of `C`.
    pub attr_types: HashMap<String, String>,
    /// `name = something.qualified` in the class body: `_thread_class = threading.Thread`.
    pub body_aliases: HashMap<String, String>,
    /// Methods read as attributes: `@property`, `@cached_property`.
    pub properties: Vec<String>,
}

/// Bindings of one scope while a visitor walks the code.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    pub bindings: HashMap<String, Binding>,
    pub is_class: bool,
}

/// The stack of function and class scopes a visitor is in; module bindings live in the model.
#[derive(Debug, Default, Clone)]
pub struct Scopes {
    stack: Vec<Scope>,
}

impl Scopes {
    pub fn push(&mut self, is_class: bool) {
        self.stack.push(Scope {
            bindings: HashMap::default(),
            is_class,
        });
    }

    pub fn pop(&mut self) {
        self.stack.pop();
    }

    /// Binds `name` in the innermost scope (no-op at module level: the pre-pass did those).
    pub fn bind(&mut self, name: &str, binding: Binding) {
        if let Some(scope) = self.stack.last_mut() {
            scope.bindings.insert(name.to_string(), binding);
        }
    }

    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    /// Python's lookup from the innermost scope out: class scopes are seen only from directly
    /// inside the class body, not from its methods.
    fn lookup(&self, name: &str) -> Option<&Binding> {
        for (i, scope) in self.stack.iter().enumerate().rev() {
            if scope.is_class && i + 1 != self.stack.len() {
                continue;
            }
            if let Some(binding) = scope.bindings.get(name) {
                return Some(binding);
            }
        }
        None
    }
}

/// The semantic model of one module.
#[derive(Debug, Default)]
pub struct SemanticModel {
    /// The dotted module name (`pkg.sub.mod`; `pkg` for `pkg/__init__.py`).
    pub module_name: String,
    pub is_package: bool,
    module_bindings: HashMap<String, Binding>,
    pub classes: Vec<ClassInfo>,
    class_by_range: HashMap<TextRange, usize>,
    /// The first class of each qualified name: a lookup by name per call must not scan them all.
    class_by_qualname: HashMap<String, usize>,
    /// Functions and methods of the file (`pkg.mod.f`, `pkg.mod.C.m`) that may return something
    /// callable (a nested function, a lambda, a `partial`, a name or attribute): factories.
    factories: HashMap<String, bool>,
}

const BUILTINS: &[&str] = &[
    "list",
    "dict",
    "set",
    "frozenset",
    "tuple",
    "sorted",
    "len",
    "sum",
    "min",
    "max",
    "any",
    "all",
    "iter",
    "next",
    "enumerate",
    "zip",
    "map",
    "filter",
    "reversed",
    "print",
    "open",
    "getattr",
    "setattr",
    "hasattr",
    "isinstance",
    "super",
    "object",
    "str",
    "int",
    "float",
    "bytes",
    "type",
    "callable",
    "range",
    "repr",
    "id",
    "hash",
    "vars",
    "property",
    "staticmethod",
    "classmethod",
];

impl SemanticModel {
    /// Builds the model of `module` named `module_name`.
    pub fn build(module: &ast::ModModule, module_name: &str, is_package: bool) -> Self {
        let mut model = SemanticModel {
            module_name: module_name.to_string(),
            is_package,
            ..Default::default()
        };
        model.collect_module_bindings(&module.body);
        let mut prefix = Vec::new();
        model.collect_classes(&module.body, &mut prefix);
        for stmt in &module.body {
            match stmt {
                Stmt::FunctionDef(def) => {
                    let name = model.qualify(def.name.as_str());
                    model.factories.insert(name, returns_callable(&def.body));
                }
                Stmt::ClassDef(def) => {
                    let Some(class) = model.class_of_def(def).map(|c| c.qualname.clone()) else {
                        continue;
                    };
                    for stmt in &def.body {
                        if let Stmt::FunctionDef(method) = stmt {
                            let name = format!("{class}.{}", method.name);
                            model.factories.insert(name, returns_callable(&method.body));
                        }
                    }
                }
                _ => {}
            }
        }
        model
    }

    /// For a function or method defined in this file: whether it may return something callable.
    /// `None` when the function is not known here.
    pub fn returns_callable(&self, qualname: &str) -> Option<bool> {
        self.factories.get(qualname).copied()
    }

    fn collect_module_bindings(&mut self, body: &[Stmt]) {
        for stmt in body {
            match stmt {
                Stmt::Import(_) | Stmt::ImportFrom(_) => {
                    for (name, binding) in self.import_bindings(stmt) {
                        self.module_bindings.insert(name, binding);
                    }
                }
                Stmt::FunctionDef(def) => {
                    let qualname = self.qualify(def.name.as_str());
                    self.module_bindings
                        .insert(def.name.to_string(), Binding::Function(qualname));
                }
                Stmt::Assign(assign) => {
                    if let [Expr::Name(target)] = &*assign.targets {
                        let binding = self.binding_for_value(&Scopes::default(), &assign.value);
                        self.module_bindings.insert(target.id.to_string(), binding);
                    }
                }
                Stmt::AnnAssign(assign) => {
                    if let Expr::Name(target) = &*assign.target {
                        let binding = match &assign.value {
                            Some(value) => self.binding_for_value(&Scopes::default(), value),
                            None => Binding::Value,
                        };
                        self.module_bindings.insert(target.id.to_string(), binding);
                    }
                }
                Stmt::If(node) => {
                    self.collect_module_bindings(&node.body);
                    for clause in &node.elif_else_clauses {
                        self.collect_module_bindings(&clause.body);
                    }
                }
                Stmt::Try(node) => {
                    self.collect_module_bindings(&node.body);
                    // `try: import x` / `except ImportError: x = None`: the fallback does not
                    // hide what the import binds.
                    let mut imported = Vec::new();
                    for handler in &node.handlers {
                        let ast::ExceptHandler::ExceptHandler(handler) = handler;
                        for stmt in &handler.body {
                            if let Stmt::Assign(assign) = stmt {
                                for target in &assign.targets {
                                    if let Expr::Name(name) = target {
                                        if let Some(b @ Binding::Import(_)) =
                                            self.module_bindings.get(name.id.as_str())
                                        {
                                            imported.push((name.id.to_string(), b.clone()));
                                        }
                                    }
                                }
                            }
                        }
                        self.collect_module_bindings(&handler.body);
                    }
                    for (name, binding) in imported {
                        if self.module_bindings.get(&name) == Some(&Binding::Value) {
                            self.module_bindings.insert(name, binding);
                        }
                    }
                    self.collect_module_bindings(&node.orelse);
                    self.collect_module_bindings(&node.finalbody);
                }
                Stmt::With(node) => self.collect_module_bindings(&node.body),
                _ => {}
            }
        }
    }

    /// Records every class in `body`, at any depth, with its bases resolved at module level.
    fn collect_classes(&mut self, body: &[Stmt], prefix: &mut Vec<String>) {
        for stmt in body {
            match stmt {
                Stmt::ClassDef(def) => {
                    let qualname = if prefix.is_empty() {
                        self.qualify(def.name.as_str())
                    } else {
                        format!("{}.{}.{}", self.module_name, prefix.join("."), def.name)
                    };
                    let bases = def
                        .bases()
                        .iter()
                        .filter_map(|base| self.qualified_name(&Scopes::default(), base))
                        .collect();
                    let methods = def
                        .body
                        .iter()
                        .filter_map(|stmt| match stmt {
                            Stmt::FunctionDef(f) => Some(f.name.to_string()),
                            _ => None,
                        })
                        .collect();
                    let properties = def
                        .body
                        .iter()
                        .filter_map(|stmt| match stmt {
                            Stmt::FunctionDef(f)
                                if f.decorator_list.iter().any(|d| {
                                    let name = match &d.expression {
                                        Expr::Name(n) => n.id.as_str(),
                                        Expr::Attribute(a) => a.attr.as_str(),
                                        _ => "",
                                    };
                                    matches!(name, "property" | "cached_property")
                                }) =>
                            {
                                Some(f.name.to_string())
                            }
                            _ => None,
                        })
                        .collect();
                    let index = self.classes.len();
                    self.class_by_qualname
                        .entry(qualname.clone())
                        .or_insert(index);
                    self.classes.push(ClassInfo {
                        name: def.name.to_string(),
                        qualname,
                        bases,
                        range: def.range(),
                        methods,
                        attr_types: HashMap::default(),
                        body_aliases: HashMap::default(),
                        properties,
                    });
                    self.class_by_range.insert(def.range(), index);
                    if prefix.is_empty() {
                        self.module_bindings
                            .insert(def.name.to_string(), Binding::Class(index));
                    }
                    let mut attr_types = HashMap::default();
                    for stmt in &def.body {
                        if let Stmt::FunctionDef(method) = stmt {
                            // `self.cond = cond` where the parameter is annotated `Condition`.
                            let params: HashMap<String, String> = method
                                .parameters
                                .iter()
                                .filter_map(|p| {
                                    let ty =
                                        self.annotation_type(&Scopes::default(), p.annotation()?)?;
                                    Some((p.name().to_string(), ty))
                                })
                                .collect();
                            self.collect_attr_types(&method.body, &params, &mut attr_types);
                        }
                    }
                    let mut body_aliases = HashMap::default();
                    for stmt in &def.body {
                        match stmt {
                            // `pool: ThreadPool` declares what the instances hold.
                            Stmt::AnnAssign(assign) => {
                                if let Expr::Name(name) = &*assign.target {
                                    let ty = assign
                                        .value
                                        .as_deref()
                                        .and_then(|v| self.value_type(&Scopes::default(), v))
                                        .or_else(|| {
                                            self.annotation_type(
                                                &Scopes::default(),
                                                &assign.annotation,
                                            )
                                        });
                                    if let Some(ty) = ty {
                                        attr_types.entry(name.id.to_string()).or_insert(ty);
                                    }
                                }
                            }
                            Stmt::Assign(assign) => {
                                if let ([Expr::Name(name)], Expr::Name(_) | Expr::Attribute(_)) =
                                    (&*assign.targets, &*assign.value)
                                {
                                    if let Some(q) =
                                        self.qualified_name(&Scopes::default(), &assign.value)
                                    {
                                        body_aliases.insert(name.id.to_string(), q);
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                    self.classes[index].attr_types = attr_types;
                    self.classes[index].body_aliases = body_aliases;
                    prefix.push(def.name.to_string());
                    self.collect_classes(&def.body, prefix);
                    prefix.pop();
                }
                Stmt::FunctionDef(def) => {
                    prefix.push(format!("{}.<locals>", def.name));
                    self.collect_classes(&def.body, prefix);
                    prefix.pop();
                }
                _ => {
                    for_each_nested_body(stmt, |body| self.collect_classes(body, prefix));
                }
            }
        }
    }

    fn collect_attr_types(
        &self,
        body: &[Stmt],
        params: &HashMap<String, String>,
        out: &mut HashMap<String, String>,
    ) {
        for stmt in body {
            match stmt {
                Stmt::Assign(assign) => {
                    for target in &assign.targets {
                        if let Some(attr) = self_attribute(target) {
                            let ty =
                                self.value_type(&Scopes::default(), &assign.value)
                                    .or_else(|| {
                                        match &*assign.value {
                                            Expr::Name(name) => {
                                                params.get(name.id.as_str()).cloned()
                                            }
                                            // `self.done = loop.create_future()`, `loop` annotated.
                                            Expr::Call(call) => match &*call.func {
                                                Expr::Attribute(method) => match &*method.value {
                                                    Expr::Name(name) => method_result(
                                                        params.get(name.id.as_str())?,
                                                        method.attr.as_str(),
                                                    )
                                                    .map(str::to_string),
                                                    _ => None,
                                                },
                                                _ => None,
                                            },
                                            _ => None,
                                        }
                                    });
                            if let Some(ty) = ty {
                                out.entry(attr.to_string()).or_insert(ty);
                            }
                        }
                    }
                }
                Stmt::AnnAssign(assign) => {
                    if let Some(attr) = self_attribute(&assign.target) {
                        let ty = assign
                            .value
                            .as_deref()
                            .and_then(|value| self.value_type(&Scopes::default(), value))
                            .or_else(|| {
                                self.annotation_type(&Scopes::default(), &assign.annotation)
                            });
                        if let Some(ty) = ty {
                            out.entry(attr.to_string()).or_insert(ty);
                        }
                    }
                }
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                _ => for_each_nested_body(stmt, |body| self.collect_attr_types(body, params, out)),
            }
        }
    }

    /// `pkg.mod.name`
    pub fn qualify(&self, name: &str) -> String {
        if self.module_name.is_empty() {
            name.to_string()
        } else {
            format!("{}.{}", self.module_name, name)
        }
    }

    /// The bindings an `import` or `from ... import` statement makes.
    pub fn import_bindings(&self, stmt: &Stmt) -> Vec<(String, Binding)> {
        let mut out = Vec::new();
        match stmt {
            Stmt::Import(import) => {
                for alias in &import.names {
                    let full = alias.name.to_string();
                    match &alias.asname {
                        Some(asname) => out.push((asname.to_string(), Binding::Import(full))),
                        None => {
                            let first = full.split('.').next().unwrap_or(&full).to_string();
                            out.push((first.clone(), Binding::Import(first)));
                        }
                    }
                }
            }
            Stmt::ImportFrom(import) => {
                let Some(base) = self
                    .resolve_from_module(import.module.as_ref().map(|m| m.as_str()), import.level)
                else {
                    return out;
                };
                for alias in &import.names {
                    if alias.name.as_str() == "*" {
                        continue;
                    }
                    let local = alias.asname.as_ref().unwrap_or(&alias.name).to_string();
                    let full = if base.is_empty() {
                        alias.name.to_string()
                    } else {
                        format!("{base}.{}", alias.name)
                    };
                    out.push((local, Binding::Import(full)));
                }
            }
            _ => {}
        }
        out
    }

    /// The absolute module a `from` import names, resolving relative levels against this module.
    pub fn resolve_from_module(&self, module: Option<&str>, level: u32) -> Option<String> {
        if level == 0 {
            return module.map(str::to_string);
        }
        let mut parts: Vec<&str> = if self.module_name.is_empty() {
            Vec::new()
        } else {
            self.module_name.split('.').collect()
        };
        // `from . import x` in a plain module names its package; in `__init__` the package itself.
        let drop = if self.is_package { level - 1 } else { level };
        for _ in 0..drop {
            parts.pop()?;
        }
        let mut base = parts.join(".");
        if let Some(module) = module {
            if !base.is_empty() {
                base.push('.');
            }
            base.push_str(module);
        }
        Some(base)
    }

    fn lookup<'a>(&'a self, scopes: &'a Scopes, name: &str) -> Option<&'a Binding> {
        scopes
            .lookup(name)
            .or_else(|| self.module_bindings.get(name))
    }

    /// The binding of a module-level name.
    pub fn module_binding(&self, name: &str) -> Option<&Binding> {
        self.module_bindings.get(name)
    }

    /// The binding of `name` seen from `scopes`.
    pub fn binding<'a>(&'a self, scopes: &'a Scopes, name: &str) -> Option<&'a Binding> {
        self.lookup(scopes, name)
    }

    /// The qualified name `expr` refers to, canonicalized: `th.Thread` → `threading.Thread`,
    /// `mp.get_context("spawn").Process` → `multiprocessing.Process`, a local class → `pkg.mod.C`,
    /// an unbound builtin → `builtins.len`.
    pub fn qualified_name(&self, scopes: &Scopes, expr: &Expr) -> Option<String> {
        let raw = match expr {
            Expr::Name(name) => match self.lookup(scopes, name.id.as_str()) {
                Some(Binding::Import(qualified)) | Some(Binding::Function(qualified)) => {
                    qualified.clone()
                }
                // A class of this file is itself, never a spelling of a standard one.
                Some(Binding::Class(index)) => return Some(self.classes[*index].qualname.clone()),
                Some(Binding::Instance(_)) | Some(Binding::Value) => return None,
                None if BUILTINS.contains(&name.id.as_str()) => format!("builtins.{}", name.id),
                None => return None,
            },
            Expr::Attribute(attribute) => {
                let base = match &*attribute.value {
                    Expr::Call(call) => {
                        let callee = self.qualified_name(scopes, &call.func)?;
                        if is_context_factory(&callee) {
                            "multiprocessing".to_string()
                        } else {
                            return None;
                        }
                    }
                    Expr::Name(name)
                        if matches!(
                            self.lookup(scopes, name.id.as_str()),
                            Some(Binding::Instance(ty)) if ty == "multiprocessing.context"
                        ) =>
                    {
                        "multiprocessing".to_string()
                    }
                    value => self.qualified_name(scopes, value)?,
                };
                format!("{base}.{}", attribute.attr)
            }
            _ => return None,
        };
        Some(canonical(&raw))
    }

    /// The qualified name of the class of the object `expr` evaluates to, where simple local
    /// reasoning knows it: a constructor call, a name bound to one, `self.attr` set to one.
    pub fn type_of(&self, scopes: &Scopes, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Call(call) => {
                // `Chan[int]()` makes a `Chan`.
                let func = match &*call.func {
                    Expr::Subscript(generic) => &*generic.value,
                    func => func,
                };
                let callee = self.qualified_name(scopes, func)?;
                if is_context_factory(&callee) {
                    return Some("multiprocessing.context".to_string());
                }
                let last = callee.rsplit('.').next().unwrap_or(&callee);
                let is_class = last.starts_with(|c: char| c.is_ascii_uppercase())
                    || self.class_by_qualname(&callee).is_some();
                is_class.then_some(callee)
            }
            Expr::Name(name) => match self.lookup(scopes, name.id.as_str()) {
                Some(Binding::Instance(ty)) => Some(ty.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// The class of the object `value` evaluates to: what [`Self::type_of`] knows, what a known
    /// factory returns (`asyncio.get_event_loop()` is an event loop, though not a new one), or
    /// either side of `loop or asyncio.get_event_loop()`.
    pub fn value_type(&self, scopes: &Scopes, value: &Expr) -> Option<String> {
        if let Some(ty) = self.type_of(scopes, value) {
            return Some(ty);
        }
        match value {
            Expr::Call(call) => {
                factory_result(&self.qualified_name(scopes, &call.func)?).map(str::to_string)
            }
            Expr::BoolOp(node) => node.values.iter().find_map(|v| self.value_type(scopes, v)),
            _ => None,
        }
    }

    /// The class an annotation names: `Lock`, `Optional[Lock]`, `Lock | None`, `"Live"` (a
    /// forward reference, also to a class defined further down this module).
    pub fn annotation_type(&self, scopes: &Scopes, annotation: &Expr) -> Option<String> {
        match annotation {
            Expr::StringLiteral(text) => self.forward_reference(text.value.to_str()),
            Expr::Subscript(subscript) => {
                let outer = self.qualified_name(scopes, &subscript.value)?;
                matches!(
                    outer.as_str(),
                    "typing.Optional" | "typing_extensions.Optional"
                )
                .then(|| self.annotation_type(scopes, &subscript.slice))
                .flatten()
            }
            Expr::BinOp(node) if node.op == ast::Operator::BitOr => {
                match (&*node.left, &*node.right) {
                    (Expr::NoneLiteral(_), other) | (other, Expr::NoneLiteral(_)) => {
                        self.annotation_type(scopes, other)
                    }
                    _ => None,
                }
            }
            // A class defined further down this module (`from __future__ import annotations`).
            Expr::Name(name)
                if scopes.lookup(name.id.as_str()).is_none()
                    && !self.module_bindings.contains_key(name.id.as_str())
                    && !BUILTINS.contains(&name.id.as_str())
                    && name.id.starts_with(|c: char| c.is_ascii_uppercase()) =>
            {
                Some(self.qualify(name.id.as_str()))
            }
            _ => self.qualified_name(scopes, annotation),
        }
    }

    /// The class a string annotation names: `"Live"`, `"pkg.mod.Live"`.
    fn forward_reference(&self, text: &str) -> Option<String> {
        let text = text.trim();
        let dotted = !text.is_empty()
            && text
                .split('.')
                .all(|part| part.chars().all(|c| c.is_alphanumeric() || c == '_'));
        if !dotted {
            return None;
        }
        let (first, rest) = match text.split_once('.') {
            Some((first, rest)) => (first, Some(rest)),
            None => (text, None),
        };
        let base = match self.module_bindings.get(first) {
            Some(Binding::Import(q)) | Some(Binding::Function(q)) => q.clone(),
            Some(Binding::Class(i)) => self.classes[*i].qualname.clone(),
            Some(_) => return None,
            None => self.qualify(first),
        };
        Some(canonical(&match rest {
            Some(rest) => format!("{base}.{rest}"),
            None => base,
        }))
    }

    /// The binding an assignment `name = value` makes.
    pub fn binding_for_value(&self, scopes: &Scopes, value: &Expr) -> Binding {
        match self.value_type(scopes, value) {
            Some(ty) => Binding::Instance(ty),
            None => Binding::Value,
        }
    }

    pub fn class_by_qualname(&self, qualname: &str) -> Option<&ClassInfo> {
        self.class_by_qualname
            .get(qualname)
            .map(|&index| &self.classes[index])
    }

    /// The model's record of the class defined by `def`.
    pub fn class_of_def(&self, def: &ast::StmtClassDef) -> Option<&ClassInfo> {
        self.class_by_range
            .get(&def.range())
            .map(|&i| &self.classes[i])
    }

    /// The standard base (`threading.Thread`, `multiprocessing.Process`) that class `qualname`
    /// derives from, following bases through classes of this file.
    pub fn concurrency_base(&self, qualname: &str) -> Option<&'static str> {
        let mut seen = Vec::new();
        self.concurrency_base_inner(qualname, &mut seen)
    }

    fn concurrency_base_inner<'a>(
        &'a self,
        qualname: &'a str,
        seen: &mut Vec<&'a str>,
    ) -> Option<&'static str> {
        if let Some(base) = standard_thread_or_process_class(qualname) {
            return Some(base);
        }
        if seen.contains(&qualname) {
            return None;
        }
        seen.push(qualname);
        let class = self.class_by_qualname(qualname)?;
        class
            .bases
            .iter()
            .find_map(|base| self.concurrency_base_inner(base, seen))
    }

    /// Whether `qualname` is a Thread or Process class (standard, or a subclass in this file).
    pub fn is_thread_or_process_class(&self, qualname: &str) -> bool {
        self.concurrency_base(qualname).is_some()
    }
}

/// Whether a function body may return something callable: it returns a name, an attribute, a
/// lambda, a call of `partial`, or a conditional of those. A body that only returns literals,
/// other calls or nothing (or is a generator) returns no callable.
pub fn returns_callable(body: &[Stmt]) -> bool {
    fn callable_value(expr: &Expr) -> bool {
        match expr {
            Expr::Name(_) | Expr::Attribute(_) | Expr::Lambda(_) | Expr::Subscript(_) => true,
            // `partial(...)`, or an instance of a class (which may define `__call__`).
            Expr::Call(call) => match &*call.func {
                Expr::Name(name) => {
                    name.id.as_str() == "partial"
                        || name.id.starts_with(|c: char| c.is_ascii_uppercase())
                }
                Expr::Attribute(attribute) => {
                    attribute.attr.as_str() == "partial"
                        || attribute.attr.starts_with(|c: char| c.is_ascii_uppercase())
                }
                _ => false,
            },
            Expr::If(node) => callable_value(&node.body) || callable_value(&node.orelse),
            Expr::BoolOp(node) => node.values.iter().any(callable_value),
            _ => false,
        }
    }
    fn scan(body: &[Stmt]) -> bool {
        body.iter().any(|stmt| match stmt {
            Stmt::Return(ret) => ret.value.as_deref().is_some_and(callable_value),
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => false,
            _ => {
                let mut found = false;
                for_each_nested_body(stmt, |inner| found |= scan(inner));
                found
            }
        })
    }
    scan(body)
}

/// `threading.Thread` or `multiprocessing.Process` when `qualname` is one of the standard thread
/// or process classes.
pub fn standard_thread_or_process_class(qualname: &str) -> Option<&'static str> {
    match qualname {
        "threading.Thread" | "threading.Timer" => Some("threading.Thread"),
        "multiprocessing.Process" => Some("multiprocessing.Process"),
        _ => None,
    }
}

/// What a call of the factory function `qualname` returns, for the factories the rules need:
/// event loops, and the futures asyncio hands out.
pub fn factory_result(qualname: &str) -> Option<&'static str> {
    Some(match qualname {
        "asyncio.get_event_loop"
        | "asyncio.get_running_loop"
        | "asyncio.new_event_loop"
        | "uvloop.new_event_loop" => "asyncio.AbstractEventLoop",
        "asyncio.run_coroutine_threadsafe" => "concurrent.futures.Future",
        "asyncio.ensure_future" | "asyncio.create_task" => "asyncio.Task",
        "asyncio.wrap_future" => "asyncio.Future",
        "socket.socket" | "socket.create_connection" | "socket.create_server" => "socket.socket",
        _ => return None,
    })
}

/// What calling `method` on an object of class `receiver` returns, for the methods the rules
/// need: a loop's futures and tasks, an executor's futures.
pub fn method_result(receiver: &str, method: &str) -> Option<&'static str> {
    if is_event_loop_type(receiver) {
        return match method {
            "create_future" | "run_in_executor" => Some("asyncio.Future"),
            "create_task" => Some("asyncio.Task"),
            _ => None,
        };
    }
    match (receiver, method) {
        (
            "concurrent.futures.ThreadPoolExecutor"
            | "concurrent.futures.ProcessPoolExecutor"
            | "concurrent.futures.Executor",
            "submit",
        ) => Some("concurrent.futures.Future"),
        _ => None,
    }
}

/// Whether `qualname` is an asyncio event loop class.
pub fn is_event_loop_type(qualname: &str) -> bool {
    matches!(
        qualname,
        "asyncio.AbstractEventLoop"
            | "asyncio.BaseEventLoop"
            | "asyncio.SelectorEventLoop"
            | "asyncio.ProactorEventLoop"
            | "uvloop.Loop"
    )
}

fn is_context_factory(qualname: &str) -> bool {
    matches!(qualname, "multiprocessing.get_context")
}

/// Maps the many spellings of the standard concurrency APIs to one name each.
pub fn canonical(qualname: &str) -> String {
    let name = qualname
        .strip_prefix("billiard.")
        .map(|rest| format!("multiprocessing.{rest}"));
    let name = name.as_deref().unwrap_or(qualname);
    let mapped = match name {
        "multiprocessing.context.Process"
        | "multiprocessing.process.BaseProcess"
        | "multiprocessing.context.SpawnProcess"
        | "multiprocessing.context.ForkProcess"
        | "multiprocessing.context.ForkServerProcess" => "multiprocessing.Process",
        "multiprocessing.dummy.Process" => "threading.Thread",
        "multiprocessing.pool.Pool" => "multiprocessing.Pool",
        "multiprocessing.dummy.Pool" => "multiprocessing.pool.ThreadPool",
        "concurrent.futures.thread.ThreadPoolExecutor" => "concurrent.futures.ThreadPoolExecutor",
        "concurrent.futures.process.ProcessPoolExecutor" => {
            "concurrent.futures.ProcessPoolExecutor"
        }
        "_thread.start_new" | "thread.start_new_thread" | "thread.start_new" => {
            "_thread.start_new_thread"
        }
        "multiprocessing.synchronize.Lock" => "multiprocessing.Lock",
        "multiprocessing.synchronize.RLock" => "multiprocessing.RLock",
        "multiprocessing.synchronize.Condition" => "multiprocessing.Condition",
        "multiprocessing.synchronize.Semaphore" => "multiprocessing.Semaphore",
        "multiprocessing.synchronize.BoundedSemaphore" => "multiprocessing.BoundedSemaphore",
        "multiprocessing.synchronize.Event" => "multiprocessing.Event",
        "threading._RLock" => "threading.RLock",
        "concurrent.futures._base.Future" => "concurrent.futures.Future",
        "asyncio.events.AbstractEventLoop" => "asyncio.AbstractEventLoop",
        "asyncio.base_events.BaseEventLoop" => "asyncio.BaseEventLoop",
        "asyncio.futures.Future" => "asyncio.Future",
        "asyncio.tasks.Task" => "asyncio.Task",
        "asyncio.queues.Queue" => "asyncio.Queue",
        "asyncio.queues.LifoQueue" => "asyncio.LifoQueue",
        "asyncio.queues.PriorityQueue" => "asyncio.PriorityQueue",
        "asyncio.locks.Event" => "asyncio.Event",
        "asyncio.locks.Lock" => "asyncio.Lock",
        "asyncio.locks.Condition" => "asyncio.Condition",
        "asyncio.locks.Semaphore" => "asyncio.Semaphore",
        "asyncio.locks.BoundedSemaphore" => "asyncio.BoundedSemaphore",
        "asyncio.events.get_event_loop" => "asyncio.get_event_loop",
        "asyncio.events.new_event_loop" => "asyncio.new_event_loop",
        "asyncio.events.get_running_loop" => "asyncio.get_running_loop",
        "asyncio.runners.run" => "asyncio.run",
        other => other,
    };
    mapped.to_string()
}

/// Whether `call` is `super()` (or `super(Cls, self)`).
pub fn is_super_call(call: &ast::ExprCall) -> bool {
    matches!(&*call.func, Expr::Name(n) if n.id.as_str() == "super")
}

/// `attr` when `expr` is `self.attr`.
pub fn self_attribute(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Attribute(attribute) => match &*attribute.value {
            Expr::Name(name) if name.id.as_str() == "self" => Some(attribute.attr.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// Calls `f` with each statement block nested directly in `stmt` (if/elif/else, loops, with,
/// try/except/else/finally, match cases), not with function or class bodies.
pub fn for_each_nested_body<'a>(stmt: &'a Stmt, mut f: impl FnMut(&'a [Stmt])) {
    match stmt {
        Stmt::If(node) => {
            f(&node.body);
            for clause in &node.elif_else_clauses {
                f(&clause.body);
            }
        }
        Stmt::For(node) => {
            f(&node.body);
            f(&node.orelse);
        }
        Stmt::While(node) => {
            f(&node.body);
            f(&node.orelse);
        }
        Stmt::With(node) => f(&node.body),
        Stmt::Try(node) => {
            f(&node.body);
            for handler in &node.handlers {
                let ast::ExceptHandler::ExceptHandler(handler) = handler;
                f(&handler.body);
            }
            f(&node.orelse);
            f(&node.finalbody);
        }
        Stmt::Match(node) => {
            for case in &node.cases {
                f(&case.body);
            }
        }
        _ => {}
    }
}

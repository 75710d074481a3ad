//! Builds a [`ModuleSummary`] from one module's AST and semantic model.

use std::collections::HashSet;

use super::{
    Access, AccessKind, CallSite, Callee, CheckAct, ClassSummary, FunctionKind, FunctionSummary,
    Loc, LockRef, ModuleSummary, Spawn, SpawnKind,
};
use crate::checker::{STACK_GROWTH, STACK_RED_ZONE};
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{visitor, Ranged, TextRange, Visitor};
use crate::semantic::{for_each_nested_body, is_super_call, Binding, Scopes, SemanticModel};
use crate::source::FileId;

/// Summarizes `module`.
pub fn summarize(file: FileId, module: &ast::ModModule, semantic: &SemanticModel) -> ModuleSummary {
    let mut globals = Vec::new();
    collect_module_globals(&module.body, &mut globals);
    let global_set: HashSet<String> = globals.iter().cloned().collect();
    let lock_globals = globals
        .iter()
        .filter(|name| match semantic.module_binding(name) {
            Some(Binding::Instance(ty)) => is_thread_lock_type(ty),
            _ => false,
        })
        .cloned()
        .collect();
    let mut builder = Builder {
        semantic,
        globals: global_set,
        functions: Vec::new(),
        classes: Vec::new(),
        frames: Vec::new(),
    };
    let qualname = semantic.qualify("<module>");
    builder.function(
        qualname,
        "<module>".to_string(),
        None,
        FunctionKind::Module,
        false,
        module.range,
        &module.body,
        None,
    );
    ModuleSummary {
        file,
        module: semantic.module_name.clone(),
        globals,
        lock_globals,
        functions: builder.functions,
        classes: builder.classes,
    }
}

fn collect_module_globals(body: &[Stmt], out: &mut Vec<String>) {
    for stmt in body {
        let mut add = |target: &Expr| {
            for name in target_names(target) {
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        };
        match stmt {
            Stmt::Assign(assign) => assign.targets.iter().for_each(&mut add),
            Stmt::AnnAssign(assign) if assign.value.is_some() => add(&assign.target),
            Stmt::AugAssign(assign) => add(&assign.target),
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => for_each_nested_body(stmt, |body| collect_module_globals(body, out)),
        }
    }
}

fn target_names(target: &Expr) -> Vec<String> {
    match target {
        Expr::Name(name) => vec![name.id.to_string()],
        Expr::Tuple(tuple) => tuple.elts.iter().flat_map(target_names).collect(),
        Expr::List(list) => list.elts.iter().flat_map(target_names).collect(),
        Expr::Starred(starred) => target_names(&starred.value),
        _ => Vec::new(),
    }
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

/// Whether a variable or attribute name reads as a lock (`_lock`, `write_lock`, `mutex`).
fn lock_like_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.contains("lock") && !lower.contains("block") && !lower.contains("clock"))
        || lower.contains("mutex")
        || lower.contains("cond")
}

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

/// Container methods that are one atomic step on the builtin types.
const ATOMIC_METHODS: &[&str] = &["append", "appendleft", "popleft", "add", "pop", "popitem"];

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
const ITERATING_BUILTINS: &[&str] = &[
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
const SNAPSHOT_BUILTINS: &[&str] = &[
    "builtins.list",
    "builtins.tuple",
    "builtins.set",
    "builtins.frozenset",
    "builtins.dict",
    "builtins.sorted",
];

/// How deeply functions, classes and lambdas are followed into each other.
const MAX_NESTED_FUNCTIONS: usize = 64;

/// Per-function walk state.
struct Frame {
    index: usize,
    class: Option<String>,
    kind: FunctionKind,
    scopes: Scopes,
    declared_global: HashSet<String>,
    /// Names assigned in this function (its locals).
    locals: HashSet<String>,
    /// Locals captured by nested functions: accesses to them are closure-cell accesses.
    captured: HashSet<String>,
    /// Locals bound to objects created here that never escape.
    owned: HashSet<String>,
    held: Vec<LockRef>,
    loop_depth: usize,
    /// Checks in force: (location, check range, locks held at the check).
    checks: Vec<(Loc, TextRange, Vec<LockRef>, bool)>,
    /// Nesting depth of conditions being walked (accesses in them are checks).
    in_test: usize,
    /// `d.items()` calls that are the argument of `list(...)` and friends: copied, not iterated.
    snapshots: HashSet<TextRange>,
    /// Locals assigned the future an executor's `submit` returned.
    submitted: HashSet<String>,
    /// The loop depth at which each local was last assigned.
    assigned_at: std::collections::HashMap<String, usize>,
    /// The qualname of this function, for naming nested functions and cells.
    qualname: String,
}

struct Builder<'a> {
    semantic: &'a SemanticModel,
    globals: HashSet<String>,
    functions: Vec<FunctionSummary>,
    classes: Vec<ClassSummary>,
    frames: Vec<Frame>,
}

impl<'a> Builder<'a> {
    #[allow(clippy::too_many_arguments)]
    fn function(
        &mut self,
        qualname: String,
        name: String,
        class: Option<String>,
        kind: FunctionKind,
        is_async: bool,
        range: TextRange,
        body: &'a [Stmt],
        parameters: Option<&'a ast::Parameters>,
    ) -> usize {
        let index = self.functions.len();
        self.functions.push(FunctionSummary::new(
            qualname.clone(),
            name,
            class.clone(),
            kind,
            is_async,
            range,
        ));
        let mut locals = HashSet::new();
        let mut declared_global = HashSet::new();
        let mut declared_nonlocal = HashSet::new();
        if kind != FunctionKind::Module {
            if let Some(parameters) = parameters {
                for parameter in parameters.iter() {
                    locals.insert(parameter.name().to_string());
                }
            }
            collect_locals(
                body,
                &mut locals,
                &mut declared_global,
                &mut declared_nonlocal,
            );
            for name in declared_global.iter().chain(&declared_nonlocal) {
                locals.remove(name);
            }
        }
        let mut captured = HashSet::new();
        if kind != FunctionKind::Module {
            let mut free = HashSet::new();
            collect_nested_free_names(body, &mut free);
            captured = locals.intersection(&free).cloned().collect();
        }
        let owned = if kind == FunctionKind::Module {
            HashSet::new()
        } else {
            owned_locals(self.semantic, body, &locals, &captured)
        };
        // A function sees its enclosing functions' scopes; module-level names come from the
        // semantic model (copying the module's own scope into each function would be quadratic
        // on big modules).
        let mut scopes = self
            .frames
            .last()
            .filter(|frame| frame.kind != FunctionKind::Module)
            .map(|frame| frame.scopes.clone())
            .unwrap_or_default();
        scopes.push(false);
        // Annotated parameters have a known class.
        if let Some(parameters) = parameters {
            for parameter in parameters.iter() {
                if let Some(annotation) = parameter.annotation() {
                    if let Some(ty) = self.semantic.qualified_name(&scopes, annotation) {
                        scopes.bind(parameter.name().as_str(), Binding::Instance(ty));
                    }
                }
            }
        }
        self.frames.push(Frame {
            index,
            class,
            kind,
            scopes,
            declared_global,
            locals,
            captured,
            owned,
            held: Vec::new(),
            loop_depth: 0,
            checks: Vec::new(),
            in_test: 0,
            snapshots: HashSet::new(),
            submitted: HashSet::new(),
            assigned_at: std::collections::HashMap::new(),
            qualname,
        });
        self.body(body);
        self.frames.pop();
        index
    }

    fn frame(&self) -> &Frame {
        self.frames.last().expect("a frame")
    }

    fn frame_mut(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("a frame")
    }

    fn summary(&mut self) -> &mut FunctionSummary {
        let index = self.frame().index;
        &mut self.functions[index]
    }

    fn body(&mut self, body: &'a [Stmt]) {
        let checks_before = self.frame().checks.len();
        for stmt in body {
            self.visit_stmt(stmt);
            // `if k in seen: return` — the check guards the rest of the block.
            if let Stmt::If(node) = stmt {
                if node.elif_else_clauses.is_empty() && ends_in_exit(&node.body) {
                    let checks = self.checks_of(&node.test);
                    self.frame_mut().checks.extend(checks);
                }
            }
        }
        self.frame_mut().checks.truncate(checks_before);
    }

    /// The location `expr` denotes, if it is shared: `self.x`, `cls.x`, `C.x`, a global, a cell,
    /// another module's global. The flag says whether it was reached through `self`.
    fn location(&self, expr: &Expr) -> Option<(Loc, bool)> {
        let frame = self.frame();
        match expr {
            Expr::Name(name) => {
                let id = name.id.as_str();
                if frame.kind == FunctionKind::Module {
                    return None;
                }
                if frame.declared_global.contains(id) {
                    return Some((
                        Loc::Global {
                            name: self.semantic.qualify(id),
                        },
                        false,
                    ));
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
                    return Some((
                        Loc::Global {
                            name: self.semantic.qualify(id),
                        },
                        false,
                    ));
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
                match &*attribute.value {
                    Expr::Name(base) => {
                        let base_id = base.id.as_str();
                        if let Some(class) = &frame.class {
                            let is_self = base_id == "self" && frame.kind == FunctionKind::Method;
                            let is_cls = base_id == "cls"
                                && frame.kind == FunctionKind::ClassMethod
                                || class.rsplit('.').next() == Some(base_id);
                            if is_self || is_cls {
                                return Some((
                                    Loc::Attr {
                                        class: class.clone(),
                                        name: attr.to_string(),
                                    },
                                    is_self,
                                ));
                            }
                        }
                        if frame.locals.contains(base_id) || frame.kind == FunctionKind::Module {
                            return None;
                        }
                        // `inventory.stock` where `inventory` is an imported module.
                        match self.semantic.binding(&frame.scopes, base_id) {
                            Some(Binding::Import(_)) => {
                                let qualified =
                                    self.semantic.qualified_name(&frame.scopes, expr)?;
                                Some((Loc::Global { name: qualified }, false))
                            }
                            _ => None,
                        }
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The container location whose contents `expr` (a subscript or method base) refers to.
    fn container(&self, expr: &Expr) -> Option<(Loc, bool)> {
        match expr {
            Expr::Name(_) | Expr::Attribute(_) => self.location(expr),
            _ => None,
        }
    }

    fn record(&mut self, loc: Loc, kind: AccessKind, range: TextRange, via_self: bool) {
        self.record_with(loc, kind, range, via_self, false);
    }

    /// [`Self::record`] for a write that stores a literal constant (when `constant`).
    fn record_with(
        &mut self,
        loc: Loc,
        kind: AccessKind,
        range: TextRange,
        via_self: bool,
        constant: bool,
    ) {
        let held = self.frame().held.clone();
        if kind.is_write() {
            let pairs: Vec<CheckAct> = self
                .frame()
                .checks
                .iter()
                .filter(|(checked, ..)| *checked == loc)
                .map(|(_, check, held_at_check, _)| CheckAct {
                    loc: loc.clone(),
                    check: *check,
                    act: range,
                    act_kind: kind,
                    held_at_check: held_at_check.clone(),
                    held_at_act: held.clone(),
                    via_self,
                    act_is_constant: constant,
                })
                .collect();
            self.summary().check_acts.extend(pairs);
        }
        self.summary().accesses.push(Access {
            loc,
            kind,
            range,
            held,
            via_self,
            atomic: false,
        });
    }

    /// The checks a condition makes: every shared location it reads.
    fn checks_of(&self, test: &Expr) -> Vec<(Loc, TextRange, Vec<LockRef>, bool)> {
        let mut found = Vec::new();
        self.collect_checked(test, &mut found);
        let held = self.frame().held.clone();
        found
            .into_iter()
            .map(|(loc, via)| (loc, test.range(), held.clone(), via))
            .collect()
    }

    fn collect_checked(&self, expr: &Expr, out: &mut Vec<(Loc, bool)>) {
        match expr {
            Expr::Name(_) | Expr::Attribute(_) => {
                if let Some(found) = self.location(expr) {
                    out.push(found);
                } else if let Expr::Attribute(attribute) = expr {
                    // `self.monitor.report()` checks `self.monitor` too.
                    self.collect_checked(&attribute.value, out);
                }
            }
            Expr::Call(call) => {
                // hasattr(self, "x") / getattr(self, "x", None)
                let name = self
                    .semantic
                    .qualified_name(&self.frame().scopes, &call.func);
                if matches!(
                    name.as_deref(),
                    Some("builtins.hasattr" | "builtins.getattr")
                ) {
                    if let [object, Expr::StringLiteral(attr), ..] = &*call.arguments.args {
                        let synthetic = match object {
                            Expr::Name(base) => {
                                self.attr_location(base.id.as_str(), attr.value.to_str())
                            }
                            _ => None,
                        };
                        if let Some(found) = synthetic {
                            out.push(found);
                            return;
                        }
                    }
                }
                if let Expr::Attribute(attribute) = &*call.func {
                    self.collect_checked(&attribute.value, out);
                }
                for arg in call.arguments.args.iter() {
                    self.collect_checked(arg, out);
                }
            }
            Expr::Subscript(subscript) => {
                self.collect_checked(&subscript.value, out);
                self.collect_checked(&subscript.slice, out);
            }
            Expr::BoolOp(node) => node
                .values
                .iter()
                .for_each(|v| self.collect_checked(v, out)),
            Expr::UnaryOp(node) => self.collect_checked(&node.operand, out),
            Expr::Compare(node) => {
                self.collect_checked(&node.left, out);
                node.comparators
                    .iter()
                    .for_each(|v| self.collect_checked(v, out));
            }
            Expr::BinOp(node) => {
                self.collect_checked(&node.left, out);
                self.collect_checked(&node.right, out);
            }
            Expr::Named(node) => self.collect_checked(&node.value, out),
            _ => {}
        }
    }

    fn attr_location(&self, base: &str, attr: &str) -> Option<(Loc, bool)> {
        let frame = self.frame();
        let class = frame.class.as_ref()?;
        let is_self = base == "self" && frame.kind == FunctionKind::Method;
        let is_cls = base == "cls" && frame.kind == FunctionKind::ClassMethod;
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

    /// The lock `expr` denotes in a `with` item or an `acquire()` call, if it is a thread lock.
    fn lock_of(&self, expr: &Expr) -> Option<LockRef> {
        let frame = self.frame();
        match expr {
            Expr::Call(call) => {
                // `with cls.get_lock():`
                let Expr::Attribute(attribute) = &*call.func else {
                    return None;
                };
                let method = attribute.attr.as_str();
                if !lock_like_name(method) {
                    return None;
                }
                match (&*attribute.value, &frame.class) {
                    (Expr::Name(base), Some(class))
                        if matches!(base.id.as_str(), "self" | "cls")
                            || class.rsplit('.').next() == Some(base.id.as_str()) =>
                    {
                        Some(LockRef::Getter {
                            class: class.clone(),
                            method: method.to_string(),
                        })
                    }
                    _ => None,
                }
            }
            Expr::Name(_) | Expr::Attribute(_) => {
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

    /// The class of `class.name` (`self.name = C()` in a method of `class` or of one of its bases
    /// in this file).
    fn attr_type(&self, class: &str, name: &str) -> Option<String> {
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

    /// What `expr` (a callable) refers to.
    fn callee_of(&self, expr: &Expr) -> Callee {
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
                match &*attribute.value {
                    Expr::Name(base) if frame.class.is_some() => {
                        let class = frame.class.clone().unwrap_or_default();
                        match base.id.as_str() {
                            "self" | "cls" => {
                                return Callee::Method {
                                    class,
                                    name: method,
                                    is_virtual: true,
                                }
                            }
                            id if class.rsplit('.').next() == Some(id) => {
                                return Callee::Method {
                                    class,
                                    name: method,
                                    is_virtual: false,
                                }
                            }
                            _ => {}
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
                Callee::Unknown
            }
            Expr::Lambda(lambda) => Callee::Name {
                name: lambda_qualname(&frame.qualname, lambda.range()),
            },
            _ => Callee::Unknown,
        }
    }

    /// Whether `expr` is a future returned by an executor's `submit`: the call itself, or a
    /// local assigned from one.
    fn is_submitted_future(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Call(call) => {
                matches!(&*call.func, Expr::Attribute(a) if a.attr.as_str() == "submit")
            }
            Expr::Name(name) => self.frame().submitted.contains(name.id.as_str()),
            _ => false,
        }
    }

    /// The class of the object `expr` evaluates to, as far as local reasoning knows.
    fn type_of(&self, expr: &Expr) -> Option<String> {
        let frame = self.frame();
        if let Some(attr) = crate::semantic::self_attribute(expr) {
            let class = frame.class.as_ref()?;
            return self
                .semantic
                .class_by_qualname(class)
                .and_then(|c| c.attr_types.get(attr).cloned());
        }
        self.semantic.type_of(&frame.scopes, expr)
    }

    fn call(&mut self, call: &'a ast::ExprCall) {
        let range = call.range();
        let in_loop = self.frame().loop_depth > 0;
        let qualified = self
            .semantic
            .qualified_name(&self.frame().scopes, &call.func);
        let args = &call.arguments;
        let keyword = |name: &str| {
            args.keywords
                .iter()
                .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
                .map(|k| &k.value)
        };
        let spawn = |builder: &mut Self, kind: SpawnKind, target: Option<&Expr>, many: bool| {
            if let Some(target) = target {
                let callee = builder.callee_of(target);
                // `Thread(target=worker.loop)` on an object of its own: one made in this very
                // loop pass (or a thread started once), not one shared by every pass.
                let on_other_object = match (target, &callee) {
                    (Expr::Attribute(attribute), Callee::Method { .. }) => {
                        match &*attribute.value {
                            Expr::Name(n) if matches!(n.id.as_str(), "self" | "cls") => false,
                            Expr::Name(n) => {
                                let frame = builder.frame();
                                !many
                                    || (frame.loop_depth > 0
                                        && frame.assigned_at.get(n.id.as_str())
                                            == Some(&frame.loop_depth))
                            }
                            _ => !many,
                        }
                    }
                    _ => false,
                };
                if callee != Callee::Unknown {
                    builder.summary().spawns.push(Spawn {
                        kind,
                        target: callee,
                        many,
                        on_other_object,
                        range,
                    });
                }
            }
        };
        match qualified.as_deref() {
            Some("threading.Thread") => spawn(
                self,
                SpawnKind::Thread,
                keyword("target").or(args.args.get(1)),
                in_loop,
            ),
            Some("multiprocessing.Process") => spawn(
                self,
                SpawnKind::Process,
                keyword("target").or(args.args.get(1)),
                in_loop,
            ),
            Some("threading.Timer") => spawn(
                self,
                SpawnKind::Timer,
                args.args.get(1).or(keyword("function")),
                in_loop,
            ),
            Some("_thread.start_new_thread") => {
                spawn(self, SpawnKind::StartNewThread, args.args.first(), in_loop)
            }
            Some("asyncio.to_thread") => spawn(self, SpawnKind::ToThread, args.args.first(), true),
            Some("signal.signal") => self.summary().signal_calls.push(range),
            Some(
                "socketserver.ThreadingTCPServer"
                | "socketserver.ThreadingUDPServer"
                | "socketserver.ThreadingUnixStreamServer"
                | "socketserver.ThreadingUnixDatagramServer"
                | "http.server.ThreadingHTTPServer",
            ) => spawn(
                self,
                SpawnKind::ThreadingServer,
                args.args.get(1).or(keyword("RequestHandlerClass")),
                true,
            ),
            _ => {}
        }
        if let Expr::Attribute(attribute) = &*call.func {
            let method = attribute.attr.as_str();
            let receiver_type = self.type_of(&attribute.value);
            let receiver_name = match &*attribute.value {
                Expr::Name(n) => Some(n.id.to_string()),
                Expr::Attribute(a) => Some(a.attr.to_string()),
                _ => None,
            };
            let pool_kind = match receiver_type.as_deref() {
                Some(
                    "concurrent.futures.ThreadPoolExecutor" | "multiprocessing.pool.ThreadPool",
                ) => Some(SpawnKind::ThreadPool),
                Some("concurrent.futures.ProcessPoolExecutor" | "multiprocessing.Pool") => {
                    Some(SpawnKind::ProcessPool)
                }
                None if method == "submit"
                    && receiver_name.as_deref().is_some_and(|n| {
                        let n = n.to_ascii_lowercase();
                        n.contains("executor") || n.contains("pool")
                    }) =>
                {
                    Some(SpawnKind::ThreadPool)
                }
                _ => None,
            };
            match (method, pool_kind) {
                (
                    "submit" | "map" | "apply" | "apply_async" | "imap" | "imap_unordered"
                    | "starmap" | "map_async" | "starmap_async",
                    Some(kind),
                ) => spawn(self, kind, args.args.first(), true),
                ("run_in_executor", _) => {
                    spawn(self, SpawnKind::RunInExecutor, args.args.get(1), true)
                }
                // Only a `concurrent.futures` future runs its callbacks on a worker thread (an
                // asyncio one runs them on its loop): the future must come from `submit`.
                ("add_done_callback", _) if self.is_submitted_future(&attribute.value) => {
                    spawn(self, SpawnKind::DoneCallback, args.args.first(), in_loop)
                }
                _ => {}
            }
            // Container effects: `d.append(x)`, `d.items()`.
            if let Some((loc, via_self)) = self.container(&attribute.value) {
                if method == "setdefault" {
                    // Insert-if-absent in one step: it completes no check-then-act.
                    let checks = std::mem::take(&mut self.frame_mut().checks);
                    self.record(loc, AccessKind::Mutate, range, via_self);
                    self.frame_mut().checks = checks;
                } else if MUTATING_METHODS.contains(&method) {
                    self.record(loc, AccessKind::Mutate, range, via_self);
                    if ATOMIC_METHODS.contains(&method) {
                        if let Some(access) = self.summary().accesses.last_mut() {
                            access.atomic = true;
                        }
                    }
                } else if ITERATING_METHODS.contains(&method)
                    && self.frame().in_test == 0
                    && !self.frame().snapshots.contains(&range)
                {
                    // `d.items()` is iterated by whoever consumes it: count it as iteration.
                    self.record(loc, AccessKind::Iterate, range, via_self);
                }
            }
        }
        // `list(d.items())`: the inner call is copied, not iterated.
        if qualified
            .as_deref()
            .is_some_and(|q| SNAPSHOT_BUILTINS.contains(&q))
        {
            if let Some(Expr::Call(inner)) = args.args.first() {
                self.frame_mut().snapshots.insert(inner.range());
            }
        }
        // `sum(d)`, `six.itervalues(d)`.
        if qualified
            .as_deref()
            .is_some_and(|q| ITERATING_BUILTINS.contains(&q))
        {
            if let Some(first) = args.args.first() {
                if let Some((loc, via_self)) = self.container(first) {
                    self.record(loc, AccessKind::Iterate, first.range(), via_self);
                }
            }
        }
        // The call edge itself.
        let callee = self.callee_of(&call.func);
        if callee != Callee::Unknown {
            let receiver_owned = match &*call.func {
                Expr::Attribute(attribute) => match &*attribute.value {
                    Expr::Name(n) => self.frame().owned.contains(n.id.as_str()),
                    _ => false,
                },
                _ => false,
            };
            let self_call = match &*call.func {
                Expr::Attribute(attribute) => match &*attribute.value {
                    Expr::Name(n) => matches!(n.id.as_str(), "self" | "cls"),
                    Expr::Call(inner) => is_super_call(inner),
                    _ => false,
                },
                _ => false,
            };
            let held = self.frame().held.clone();
            self.summary().calls.push(CallSite {
                callee,
                range,
                held,
                receiver_owned,
                in_loop,
                self_call,
            });
        }
        // Project classes deriving from ThreadingMixIn, given a handler class: checked later.
        if let (Some(handler), Some(_)) = (args.args.get(1), qualified.as_ref()) {
            if let Callee::Name { name } = self.callee_of(handler) {
                let looks_like_class = name
                    .rsplit('.')
                    .next()
                    .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_uppercase()));
                if looks_like_class && self.callee_of(&call.func) != Callee::Unknown {
                    if let Callee::Name { name: server } = self.callee_of(&call.func) {
                        if server
                            .rsplit('.')
                            .next()
                            .is_some_and(|n| n.contains("Server"))
                        {
                            self.summary().spawns.push(Spawn {
                                kind: SpawnKind::ThreadingServer,
                                target: Callee::Method {
                                    class: server,
                                    name: name.clone(),
                                    is_virtual: false,
                                },
                                many: true,
                                on_other_object: false,
                                range,
                            });
                        }
                    }
                }
            }
        }
    }

    /// Records the accesses an assignment target makes; `value` decides read-modify-write.
    fn target(
        &mut self,
        target: &'a Expr,
        value: Option<&Expr>,
        augmented: bool,
        statement: TextRange,
    ) {
        match target {
            Expr::Name(_) | Expr::Attribute(_) => {
                if let Some((loc, via_self)) = self.location(target) {
                    let rmw = augmented || value.is_some_and(|v| self.reads_location(v, &loc));
                    let (kind, range) = if rmw {
                        (AccessKind::ReadModifyWrite, statement)
                    } else {
                        (AccessKind::Write, target.range())
                    };
                    let constant = !augmented && value.is_some_and(is_literal);
                    self.record_with(loc, kind, range, via_self, constant);
                } else if let Expr::Attribute(attribute) = target {
                    // `config.value = 1` on a shared object mutates it.
                    if let Some((loc, via_self)) = self.container(&attribute.value) {
                        self.record(loc, AccessKind::Mutate, target.range(), via_self);
                    } else {
                        self.visit_expr(&attribute.value);
                    }
                }
            }
            Expr::Subscript(subscript) => {
                if let Some((loc, via_self)) = self.container(&subscript.value) {
                    let rmw = augmented || value.is_some_and(|v| self.reads_contents(v, &loc));
                    let (kind, range) = if rmw {
                        (AccessKind::ContentReadModifyWrite, statement)
                    } else {
                        (AccessKind::Mutate, target.range())
                    };
                    self.record(loc, kind, range, via_self);
                } else {
                    self.visit_expr(&subscript.value);
                }
                self.visit_expr(&subscript.slice);
            }
            Expr::Tuple(tuple) => tuple
                .elts
                .iter()
                .for_each(|e| self.target(e, None, false, e.range())),
            Expr::List(list) => list
                .elts
                .iter()
                .for_each(|e| self.target(e, None, false, e.range())),
            Expr::Starred(starred) => self.target(&starred.value, None, false, starred.range()),
            _ => self.visit_expr(target),
        }
    }

    /// Whether `expr` reads the binding at `loc` (`self.n + 1` reads `self.n`).
    fn reads_location(&self, expr: &Expr, loc: &Loc) -> bool {
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
    fn reads_contents(&self, expr: &Expr, loc: &Loc) -> bool {
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

    fn with_locks(&mut self, locks: Vec<LockRef>, body: &'a [Stmt]) {
        let depth = self.frame().held.len();
        self.frame_mut().held.extend(locks);
        self.body(body);
        self.frame_mut().held.truncate(depth);
    }

    fn class(&mut self, def: &'a ast::StmtClassDef) {
        let Some(info) = self.semantic.class_of_def(def) else {
            return;
        };
        let qualname = info.qualname.clone();
        let mut summary = ClassSummary {
            qualname: qualname.clone(),
            bases: info.bases.clone(),
            range: def.range(),
            methods: Vec::new(),
            assigned: Vec::new(),
            class_attrs: Vec::new(),
            body_attrs: Vec::new(),
            instance_attrs: Vec::new(),
            lock_attrs: info
                .attr_types
                .iter()
                .filter(|(_, ty)| is_thread_lock_type(ty))
                .map(|(name, _)| name.clone())
                .collect(),
            takes_lock: false,
        };
        summary.lock_attrs.sort();
        for stmt in &def.body {
            match stmt {
                Stmt::Assign(assign) => {
                    for target in &assign.targets {
                        for name in target_names(target) {
                            summary.body_attrs.push(name.clone());
                            summary.assigned.push(name);
                        }
                    }
                }
                Stmt::AnnAssign(assign) if assign.value.is_some() => {
                    for name in target_names(&assign.target) {
                        summary.body_attrs.push(name.clone());
                        summary.assigned.push(name);
                    }
                }
                _ => {}
            }
        }
        let class_index = self.classes.len();
        self.classes.push(summary);
        for stmt in &def.body {
            match stmt {
                Stmt::FunctionDef(method) => {
                    let kind = method_kind(self.semantic, method);
                    let name = method.name.to_string();
                    let index = self.function(
                        format!("{qualname}.{name}"),
                        name.clone(),
                        Some(qualname.clone()),
                        kind,
                        method.is_async,
                        method.name.range(),
                        &method.body,
                        Some(&method.parameters),
                    );
                    self.classes[class_index]
                        .methods
                        .push((name, u32::try_from(index).unwrap_or(u32::MAX)));
                    let function = &self.functions[index];
                    let mut assigned = Vec::new();
                    let mut class_attrs = Vec::new();
                    let mut instance_attrs = Vec::new();
                    let mut takes_lock = false;
                    for access in &function.accesses {
                        if let Loc::Attr { class, name } = &access.loc {
                            if class == &qualname && access.kind == AccessKind::Write {
                                assigned.push(name.clone());
                                if access.via_self {
                                    instance_attrs.push(name.clone());
                                } else {
                                    class_attrs.push(name.clone());
                                }
                            }
                        }
                        takes_lock |= !access.held.is_empty();
                    }
                    takes_lock |= function.calls.iter().any(|c| !c.held.is_empty());
                    let class = &mut self.classes[class_index];
                    class.assigned.extend(assigned);
                    class.class_attrs.extend(class_attrs);
                    class.instance_attrs.extend(instance_attrs);
                    class.takes_lock |= takes_lock;
                }
                Stmt::ClassDef(inner) => self.class(inner),
                _ => {}
            }
        }
        let class = &mut self.classes[class_index];
        for list in [
            &mut class.assigned,
            &mut class.class_attrs,
            &mut class.body_attrs,
            &mut class.instance_attrs,
        ] {
            list.sort();
            list.dedup();
        }
    }
}

fn method_kind(semantic: &SemanticModel, def: &ast::StmtFunctionDef) -> FunctionKind {
    for decorator in &def.decorator_list {
        let name = semantic.qualified_name(&Scopes::default(), &decorator.expression);
        match name.as_deref() {
            Some("builtins.classmethod") => return FunctionKind::ClassMethod,
            Some("builtins.staticmethod") => return FunctionKind::StaticMethod,
            _ => {}
        }
    }
    if def.name.as_str() == "__new__" || def.name.as_str() == "__init_subclass__" {
        return FunctionKind::ClassMethod;
    }
    FunctionKind::Method
}

fn lambda_qualname(outer: &str, range: TextRange) -> String {
    format!("{outer}.<lambda@{}>", range.start().to_u32())
}

/// `None`, `True`, a number, a string: storing it twice is the same as storing it once.
fn is_literal(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::NoneLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
    )
}

fn ends_in_exit(body: &[Stmt]) -> bool {
    matches!(
        body.last(),
        Some(Stmt::Return(_) | Stmt::Raise(_) | Stmt::Continue(_) | Stmt::Break(_))
    )
}

/// Calls `f` on `expr` and every expression inside it (not inside lambdas).
fn any_subexpr(expr: &Expr, f: &mut dyn FnMut(&Expr)) {
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

/// Names a function body assigns (its locals), and its `global` / `nonlocal` declarations.
fn collect_locals(
    body: &[Stmt],
    locals: &mut HashSet<String>,
    globals: &mut HashSet<String>,
    nonlocals: &mut HashSet<String>,
) {
    struct Collect<'s> {
        locals: &'s mut HashSet<String>,
        globals: &'s mut HashSet<String>,
        nonlocals: &'s mut HashSet<String>,
    }
    impl<'e> Visitor<'e> for Collect<'_> {
        fn visit_stmt(&mut self, stmt: &'e Stmt) {
            match stmt {
                Stmt::FunctionDef(def) => {
                    self.locals.insert(def.name.to_string());
                }
                Stmt::ClassDef(def) => {
                    self.locals.insert(def.name.to_string());
                }
                Stmt::Global(node) => {
                    self.globals
                        .extend(node.names.iter().map(|n| n.to_string()));
                }
                Stmt::Nonlocal(node) => {
                    self.nonlocals
                        .extend(node.names.iter().map(|n| n.to_string()));
                }
                Stmt::Import(_) | Stmt::ImportFrom(_) => {
                    let names: Vec<String> = match stmt {
                        Stmt::Import(i) => i
                            .names
                            .iter()
                            .map(|a| {
                                a.asname.as_ref().map(|n| n.to_string()).unwrap_or_else(|| {
                                    a.name.split('.').next().unwrap_or("").to_string()
                                })
                            })
                            .collect(),
                        Stmt::ImportFrom(i) => i
                            .names
                            .iter()
                            .map(|a| a.asname.as_ref().unwrap_or(&a.name).to_string())
                            .collect(),
                        _ => Vec::new(),
                    };
                    self.locals.extend(names);
                }
                _ => stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
                    visitor::walk_stmt(self, stmt)
                }),
            }
        }
        fn visit_expr(&mut self, expr: &'e Expr) {
            match expr {
                Expr::Name(name) if name.ctx.is_store() || name.ctx.is_del() => {
                    self.locals.insert(name.id.to_string());
                }
                Expr::Lambda(_) => {}
                Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) | Expr::Generator(_) => {
                    // Comprehension variables are local to the comprehension; walrus targets
                    // are rare enough to ignore.
                }
                _ => stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
                    visitor::walk_expr(self, expr)
                }),
            }
        }
    }
    let mut collect = Collect {
        locals,
        globals,
        nonlocals,
    };
    for stmt in body {
        collect.visit_stmt(stmt);
    }
}

/// The free variables of the functions and lambdas nested in `body`: names they load (or declare
/// `nonlocal`) without binding them themselves. Those of `body`'s own locals are closure cells.
fn collect_nested_free_names(body: &[Stmt], out: &mut HashSet<String>) {
    /// Walks one scope's code: loads and nested scopes, not the nested scopes' bodies.
    struct Scan<'s> {
        loads: &'s mut HashSet<String>,
        nested: &'s mut HashSet<String>,
    }
    impl<'e> Visitor<'e> for Scan<'_> {
        fn visit_stmt(&mut self, stmt: &'e Stmt) {
            stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || match stmt {
                Stmt::FunctionDef(def) => {
                    for decorator in &def.decorator_list {
                        self.visit_expr(&decorator.expression);
                    }
                    let params: Vec<String> = def
                        .parameters
                        .iter()
                        .map(|p| p.name().to_string())
                        .collect();
                    self.nested.extend(function_free_names(&params, &def.body));
                }
                Stmt::ClassDef(def) => {
                    // Methods see the enclosing function's names, not the class body's.
                    let mut inner = HashSet::new();
                    collect_nested_free_names(&def.body, &mut inner);
                    self.nested.extend(inner);
                }
                _ => visitor::walk_stmt(self, stmt),
            })
        }
        fn visit_expr(&mut self, expr: &'e Expr) {
            stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || match expr {
                Expr::Lambda(lambda) => {
                    let params: HashSet<String> = lambda
                        .parameters
                        .iter()
                        .flat_map(|p| p.iter().map(|p| p.name().to_string()))
                        .collect();
                    let mut loads = HashSet::new();
                    let mut nested = HashSet::new();
                    Scan {
                        loads: &mut loads,
                        nested: &mut nested,
                    }
                    .visit_expr(&lambda.body);
                    self.nested.extend(
                        loads
                            .into_iter()
                            .chain(nested)
                            .filter(|n| !params.contains(n)),
                    );
                }
                Expr::Name(name) if name.ctx.is_load() => {
                    self.loads.insert(name.id.to_string());
                }
                Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) | Expr::Generator(_) => {
                    // The comprehension's own targets are local to it.
                    let generators = match expr {
                        Expr::ListComp(c) => &c.generators,
                        Expr::SetComp(c) => &c.generators,
                        Expr::DictComp(c) => &c.generators,
                        Expr::Generator(c) => &c.generators,
                        _ => return,
                    };
                    let bound: HashSet<String> = generators
                        .iter()
                        .flat_map(|g| target_names(&g.target))
                        .collect();
                    let mut loads = HashSet::new();
                    Scan {
                        loads: &mut loads,
                        nested: &mut *self.nested,
                    }
                    .walk(expr);
                    self.loads
                        .extend(loads.into_iter().filter(|n| !bound.contains(n)));
                }
                _ => visitor::walk_expr(self, expr),
            })
        }
    }

    impl Scan<'_> {
        fn walk(&mut self, expr: &Expr) {
            visitor::walk_expr(self, expr);
        }
    }

    /// The free variables of a function with these parameters and body.
    fn function_free_names(params: &[String], body: &[Stmt]) -> HashSet<String> {
        let mut locals: HashSet<String> = params.iter().cloned().collect();
        let mut globals = HashSet::new();
        let mut nonlocals = HashSet::new();
        collect_locals(body, &mut locals, &mut globals, &mut nonlocals);
        let mut loads = HashSet::new();
        let mut nested = HashSet::new();
        let mut scan = Scan {
            loads: &mut loads,
            nested: &mut nested,
        };
        for stmt in body {
            scan.visit_stmt(stmt);
        }
        loads
            .into_iter()
            .chain(nested)
            .filter(|name| !locals.contains(name) || nonlocals.contains(name))
            .filter(|name| !globals.contains(name))
            .chain(nonlocals.iter().cloned())
            .collect()
    }

    let mut loads = HashSet::new();
    let mut scan = Scan {
        loads: &mut loads,
        nested: out,
    };
    for stmt in body {
        scan.visit_stmt(stmt);
    }
}

/// Locals bound to a newly constructed object that is only ever used as `name.attr`: objects this
/// function owns, whose methods cannot race while it holds them.
fn owned_locals(
    semantic: &SemanticModel,
    body: &[Stmt],
    locals: &HashSet<String>,
    captured: &HashSet<String>,
) -> HashSet<String> {
    struct Scan<'s> {
        semantic: &'s SemanticModel,
        constructed: HashSet<String>,
        escaped: HashSet<String>,
    }
    impl<'e> Visitor<'e> for Scan<'_> {
        fn visit_stmt(&mut self, stmt: &'e Stmt) {
            stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
                if let Stmt::Assign(assign) = stmt {
                    if let [Expr::Name(target)] = &*assign.targets {
                        let constructed = matches!(&*assign.value, Expr::Call(_))
                            && self
                                .semantic
                                .type_of(&Scopes::default(), &assign.value)
                                .is_some();
                        if constructed {
                            self.constructed.insert(target.id.to_string());
                        } else {
                            self.escaped.insert(target.id.to_string());
                        }
                        self.visit_expr(&assign.value);
                        return;
                    }
                }
                visitor::walk_stmt(self, stmt)
            })
        }
        fn visit_expr(&mut self, expr: &'e Expr) {
            stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || match expr {
                Expr::Attribute(attribute) if matches!(&*attribute.value, Expr::Name(_)) => {}
                Expr::Name(name) if name.ctx.is_load() => {
                    self.escaped.insert(name.id.to_string());
                }
                _ => visitor::walk_expr(self, expr),
            })
        }
    }
    let mut scan = Scan {
        semantic,
        constructed: HashSet::new(),
        escaped: HashSet::new(),
    };
    for stmt in body {
        scan.visit_stmt(stmt);
    }
    scan.constructed
        .into_iter()
        .filter(|name| {
            !scan.escaped.contains(name) && locals.contains(name) && !captured.contains(name)
        })
        .collect()
}

impl<'a> Visitor<'a> for Builder<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || self.stmt(stmt));
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || self.expr(expr));
    }
}

impl<'a> Builder<'a> {
    fn stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(def) if self.frames.len() >= MAX_NESTED_FUNCTIONS => {
                // Generated code nests functions thousands deep; real code never needs this many
                // levels, and each level costs a copy of the scopes above it.
                let _ = def;
            }
            Stmt::FunctionDef(def) => {
                for decorator in &def.decorator_list {
                    self.visit_expr(&decorator.expression);
                }
                let outer = self.frame().qualname.clone();
                let qualname = if self.frame().kind == FunctionKind::Module {
                    self.semantic.qualify(def.name.as_str())
                } else {
                    format!("{outer}.<locals>.{}", def.name)
                };
                self.frame_mut()
                    .scopes
                    .bind(def.name.as_str(), Binding::Function(qualname.clone()));
                self.function(
                    qualname,
                    def.name.to_string(),
                    None,
                    FunctionKind::Function,
                    def.is_async,
                    def.name.range(),
                    &def.body,
                    Some(&def.parameters),
                );
            }
            Stmt::ClassDef(_) if self.frames.len() >= MAX_NESTED_FUNCTIONS => {}
            Stmt::ClassDef(def) => {
                for decorator in &def.decorator_list {
                    self.visit_expr(&decorator.expression);
                }
                self.class(def);
            }
            Stmt::Import(_) | Stmt::ImportFrom(_) => {
                for (name, binding) in self.semantic.import_bindings(stmt) {
                    self.frame_mut().scopes.bind(&name, binding);
                }
            }
            Stmt::Assign(assign) => {
                if let [Expr::Name(target)] = &*assign.targets {
                    if self.is_submitted_future(&assign.value) {
                        self.frame_mut().submitted.insert(target.id.to_string());
                    }
                    let depth = self.frame().loop_depth;
                    self.frame_mut()
                        .assigned_at
                        .insert(target.id.to_string(), depth);
                }
                self.visit_expr(&assign.value);
                for target in &assign.targets {
                    self.target(target, Some(&assign.value), false, assign.range());
                }
                let binding = self
                    .semantic
                    .binding_for_value(&self.frame().scopes, &assign.value);
                for target in &assign.targets {
                    if let Expr::Name(name) = target {
                        self.frame_mut()
                            .scopes
                            .bind(name.id.as_str(), binding.clone());
                    }
                }
            }
            Stmt::AugAssign(assign) => {
                self.visit_expr(&assign.value);
                self.target(&assign.target, Some(&assign.value), true, assign.range());
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    self.visit_expr(value);
                    self.target(&assign.target, Some(value), false, assign.range());
                }
            }
            Stmt::Delete(node) => {
                for target in &node.targets {
                    self.target(target, None, false, node.range());
                }
            }
            Stmt::Return(node) => {
                if let Some(value) = &node.value {
                    if let Some(attr) = self_or_cls_attribute(value) {
                        self.summary().returns_attr = Some(attr.to_string());
                    }
                    self.visit_expr(value);
                }
            }
            Stmt::If(node) => {
                self.test(&node.test);
                let checks = self.checks_of(&node.test);
                let depth = self.frame().checks.len();
                self.frame_mut().checks.extend(checks);
                self.body(&node.body);
                for clause in &node.elif_else_clauses {
                    if let Some(test) = &clause.test {
                        self.test(test);
                        let more = self.checks_of(test);
                        self.frame_mut().checks.extend(more);
                    }
                    self.body(&clause.body);
                }
                self.frame_mut().checks.truncate(depth);
            }
            Stmt::While(node) => {
                self.test(&node.test);
                self.frame_mut().loop_depth += 1;
                self.body(&node.body);
                self.frame_mut().loop_depth -= 1;
                self.body(&node.orelse);
            }
            Stmt::For(node) => {
                if let Some((loc, via_self)) = self.container(&node.iter) {
                    self.record(loc, AccessKind::Iterate, node.iter.range(), via_self);
                } else {
                    self.visit_expr(&node.iter);
                }
                if let Expr::Name(target) = &*node.target {
                    let element = match &*node.iter {
                        Expr::List(list) => list.elts.first(),
                        Expr::Tuple(tuple) => tuple.elts.first(),
                        _ => None,
                    };
                    let binding = element
                        .map(|e| self.semantic.binding_for_value(&self.frame().scopes, e))
                        .unwrap_or(Binding::Value);
                    self.frame_mut().scopes.bind(target.id.as_str(), binding);
                }
                self.frame_mut().loop_depth += 1;
                self.body(&node.body);
                self.frame_mut().loop_depth -= 1;
                self.body(&node.orelse);
            }
            Stmt::With(node) => {
                let mut locks = Vec::new();
                for item in &node.items {
                    if !node.is_async {
                        if let Some(lock) = self.lock_of(&item.context_expr) {
                            locks.push(lock);
                            continue;
                        }
                    }
                    self.visit_expr(&item.context_expr);
                    if let Some(Expr::Name(name)) = item.optional_vars.as_deref() {
                        let binding = self
                            .semantic
                            .binding_for_value(&self.frame().scopes, &item.context_expr);
                        self.frame_mut().scopes.bind(name.id.as_str(), binding);
                    }
                }
                self.with_locks(locks, &node.body);
            }
            Stmt::Try(node) => {
                self.body(&node.body);
                for handler in &node.handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    self.body(&handler.body);
                }
                self.body(&node.orelse);
                self.body(&node.finalbody);
            }
            Stmt::Expr(node) => {
                // `lock.acquire()` … `lock.release()` in straight-line code.
                if let Expr::Call(call) = &*node.value {
                    if let Expr::Attribute(attribute) = &*call.func {
                        match attribute.attr.as_str() {
                            "acquire" => {
                                if let Some(lock) = self.lock_of(&attribute.value) {
                                    self.frame_mut().held.push(lock);
                                    return;
                                }
                            }
                            "release" => {
                                if let Some(lock) = self.lock_of(&attribute.value) {
                                    let held = &mut self.frame_mut().held;
                                    if let Some(i) = held.iter().rposition(|l| *l == lock) {
                                        held.remove(i);
                                    }
                                    return;
                                }
                            }
                            _ => {}
                        }
                    }
                }
                self.visit_expr(&node.value);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    /// A condition: its accesses are checks (for SN202), and `if lock.acquire(...)` takes a lock.
    fn test(&mut self, test: &'a Expr) {
        // `if not lock.acquire(False): ...` holds the lock after the test too (where it goes on).
        // `if ready and lock.acquire(blocking=False):` takes it too.
        let test_call = match test {
            Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::Not => &*unary.operand,
            other => other,
        };
        let operands: Vec<&Expr> = match test_call {
            Expr::BoolOp(node) if node.op == ast::BoolOp::And => node.values.iter().collect(),
            other => vec![other],
        };
        for operand in operands {
            if let Expr::Call(call) = operand {
                if let Expr::Attribute(attribute) = &*call.func {
                    if attribute.attr.as_str() == "acquire" {
                        if let Some(lock) = self.lock_of(&attribute.value) {
                            self.frame_mut().held.push(lock);
                            return;
                        }
                    }
                }
            }
        }
        self.frame_mut().in_test += 1;
        let mut checked = Vec::new();
        self.collect_checked(test, &mut checked);
        for (loc, via_self) in checked {
            self.record(loc, AccessKind::Check, test.range(), via_self);
        }
        self.visit_expr(test);
        self.frame_mut().in_test -= 1;
    }

    fn expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => {
                self.call(call);
                visitor::walk_expr(self, expr);
            }
            // A read under a lock is evidence of what the lock guards; other plain reads are
            // never racy on their own and are not recorded.
            Expr::Attribute(_) | Expr::Name(_)
                if !self.frame().held.is_empty() && self.frame().in_test == 0 =>
            {
                if let Some((loc, via_self)) = self.location(expr) {
                    self.record(loc, AccessKind::Read, expr.range(), via_self);
                } else {
                    visitor::walk_expr(self, expr);
                }
            }
            // `@contextmanager def locked(self): with self._lock: yield` hands out that lock:
            // `with self.locked():` holds `_lock`.
            Expr::Yield(_) if !self.frame().held.is_empty() => {
                if let Some(LockRef::At {
                    loc: Loc::Attr { name, .. },
                }) = self.frame().held.first().cloned()
                {
                    let summary = self.summary();
                    if summary.returns_attr.is_none() {
                        summary.returns_attr = Some(name);
                    }
                }
                visitor::walk_expr(self, expr);
            }
            Expr::Lambda(_) if self.frames.len() >= MAX_NESTED_FUNCTIONS => {}
            Expr::Lambda(lambda) => {
                let qualname = lambda_qualname(&self.frame().qualname, lambda.range());
                let index = self.functions.len();
                self.functions.push(FunctionSummary::new(
                    qualname.clone(),
                    "<lambda>".to_string(),
                    None,
                    FunctionKind::Lambda,
                    false,
                    lambda.range(),
                ));
                let mut locals: HashSet<String> = HashSet::new();
                if let Some(parameters) = &lambda.parameters {
                    for parameter in parameters.iter() {
                        locals.insert(parameter.name().to_string());
                    }
                }
                let scopes = self.frame().scopes.clone();
                self.frames.push(Frame {
                    index,
                    class: None,
                    kind: FunctionKind::Lambda,
                    scopes,
                    declared_global: HashSet::new(),
                    locals,
                    captured: HashSet::new(),
                    owned: HashSet::new(),
                    held: Vec::new(),
                    loop_depth: 0,
                    checks: Vec::new(),
                    in_test: 0,
                    snapshots: HashSet::new(),
                    submitted: HashSet::new(),
                    assigned_at: std::collections::HashMap::new(),
                    qualname,
                });
                self.visit_expr(&lambda.body);
                self.frames.pop();
            }
            Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) | Expr::Generator(_) => {
                let generators = match expr {
                    Expr::ListComp(c) => &c.generators,
                    Expr::SetComp(c) => &c.generators,
                    Expr::DictComp(c) => &c.generators,
                    Expr::Generator(c) => &c.generators,
                    _ => unreachable!(),
                };
                for generator in generators.iter() {
                    if let Some((loc, via_self)) = self.container(&generator.iter) {
                        self.record(loc, AccessKind::Iterate, generator.iter.range(), via_self);
                    }
                }
                self.frame_mut().loop_depth += 1;
                visitor::walk_expr(self, expr);
                self.frame_mut().loop_depth -= 1;
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

fn self_or_cls_attribute(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Attribute(attribute) => match &*attribute.value {
            Expr::Name(name) if matches!(name.id.as_str(), "self" | "cls") => {
                Some(attribute.attr.as_str())
            }
            _ => None,
        },
        _ => None,
    }
}

//! The walk that builds a [`ModuleSummary`] from one module's AST and semantic model: one frame
//! per function, method and lambda, with what the recorders in the sibling modules need.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::effects::{container_kind, is_literal, ITERATING_BUILTINS, SNAPSHOT_BUILTINS};
use super::locks::{is_mutex_constructor, lock_kind, LockKind};
use super::scope::{
    collect_locals, collect_module_globals, collect_nested_free_names, owned_locals, returns_fresh,
    target_names, Origin,
};
use super::{
    Access, AccessKind, Callee, CheckAct, ClassSummary, ContainerKind, FunctionKind,
    FunctionSummary, Loc, LockRef, ModuleSummary,
};
use crate::checker::{STACK_GROWTH, STACK_RED_ZONE};
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{visitor, Ranged, TextRange, Visitor};
use crate::semantic::{Binding, Scopes, SemanticModel};
use crate::source::FileId;

/// How deeply functions, classes and lambdas are followed into each other.
const MAX_NESTED_FUNCTIONS: usize = 64;

/// Summarizes `module`; `non_production` says its file is a test, an example, documentation, a
/// demo or a benchmark.
pub fn summarize(
    file: FileId,
    module: &ast::ModModule,
    semantic: &SemanticModel,
    non_production: bool,
) -> ModuleSummary {
    let mut globals = Vec::new();
    collect_module_globals(&module.body, &mut globals);
    let global_set: HashSet<String> = globals.iter().cloned().collect();
    let lock_globals = globals
        .iter()
        .filter(|name| match semantic.module_binding(name) {
            Some(Binding::Instance(ty)) => super::is_thread_lock_type(ty),
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
        counting: Vec::new(),
        single_workers: Vec::new(),
        lock_contexts: Vec::new(),
        lock_kinds: Vec::new(),
    };
    let qualname = semantic.qualify("<module>");
    builder.function(FunctionDef {
        qualname,
        name: "<module>".to_string(),
        class: None,
        kind: FunctionKind::Module,
        is_async: false,
        range: module.range,
        body: &module.body,
        parameters: None,
    });
    let mut summary = ModuleSummary {
        file,
        module: semantic.module_name.clone(),
        non_production,
        globals,
        lock_globals,
        global_kinds: Vec::new(),
        aliases: Vec::new(),
        star_imports: Vec::new(),
        instances: Vec::new(),
        functions: builder.functions,
        classes: builder.classes,
        lock_kinds: builder.lock_kinds,
    };
    module_bindings(semantic, &module.body, &mut summary);
    summary
}

/// What the module's top level binds: container kinds, aliases, star imports, instances.
fn module_bindings(semantic: &SemanticModel, body: &[Stmt], out: &mut ModuleSummary) {
    let scopes = Scopes::default();
    for stmt in body {
        match stmt {
            Stmt::Assign(assign) => {
                let [Expr::Name(target)] = &*assign.targets else {
                    continue;
                };
                let name = target.id.to_string();
                let value = &*assign.value;
                let callee = match value {
                    Expr::Call(call) => semantic.qualified_name(&scopes, &call.func),
                    _ => None,
                };
                if let Some(kind) = container_kind(callee.as_deref(), value) {
                    out.global_kinds.push((name.clone(), kind));
                }
                if let (Expr::Call(call), Some(callee)) = (value, callee.as_deref()) {
                    let qualified = |e: &Expr| semantic.qualified_name(&scopes, e);
                    let shared = |arg: &Expr| match arg {
                        Expr::Name(n) => Some(Loc::Global {
                            name: semantic.qualify(n.id.as_str()),
                        }),
                        _ => None,
                    };
                    if let Some(kind) = lock_kind(callee, call, &qualified, &shared) {
                        out.lock_kinds.push((
                            Loc::Global {
                                name: semantic.qualify(&name),
                            },
                            kind,
                        ));
                    }
                }
                match value {
                    Expr::Name(_) | Expr::Attribute(_) => {
                        if let Some(qualified) = semantic.qualified_name(&scopes, value) {
                            out.aliases.push((name, qualified));
                        } else if let Expr::Attribute(attribute) = value {
                            // `makegateway = default_group.makegateway`: a bound method of a
                            // module-level instance.
                            if let Expr::Name(base) = &*attribute.value {
                                if let Some(Binding::Instance(class)) =
                                    semantic.module_binding(base.id.as_str())
                                {
                                    out.aliases
                                        .push((name, format!("{class}.{}", attribute.attr)));
                                }
                            }
                        }
                    }
                    Expr::Call(_) => {
                        if let Some(class) = semantic.type_of(&scopes, value) {
                            if semantic.class_by_qualname(&class).is_some()
                                || !class.starts_with("builtins.")
                            {
                                out.instances.push((name, class));
                            }
                        }
                    }
                    _ => {}
                }
            }
            Stmt::ImportFrom(import) => {
                if import.names.iter().any(|a| a.name.as_str() == "*") {
                    if let Some(module) = semantic.resolve_from_module(
                        import.module.as_ref().map(|m| m.as_str()),
                        import.level,
                    ) {
                        out.star_imports.push(module);
                    }
                }
                for (name, binding) in semantic.import_bindings(stmt) {
                    if let Binding::Import(qualified) = binding {
                        out.aliases.push((name, qualified));
                    }
                }
            }
            // What a script makes under `if __name__ == "__main__":` is nobody's import.
            Stmt::If(node) if is_main_guard(&node.test) => {}
            Stmt::If(_) | Stmt::Try(_) => {
                crate::semantic::for_each_nested_body(stmt, |inner| {
                    module_bindings(semantic, inner, out)
                });
            }
            _ => {}
        }
    }
}

/// `__name__ == "__main__"`.
fn is_main_guard(test: &Expr) -> bool {
    let Expr::Compare(compare) = test else {
        return false;
    };
    let names_main = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == "__name__");
    let is_main = |e: &Expr| matches!(e, Expr::StringLiteral(s) if s.value.to_str() == "__main__");
    compare.comparators.len() == 1
        && ((names_main(&compare.left) && is_main(&compare.comparators[0]))
            || (is_main(&compare.left) && names_main(&compare.comparators[0])))
}

/// What holds a thread, pool or future: a local, or an attribute of the receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Holder {
    Local(String),
    Attr(String),
}

impl Holder {
    pub(super) fn of(expr: &Expr, builder: &Builder) -> Option<Holder> {
        match expr {
            Expr::Name(name) if !builder.is_receiver(expr) => {
                Some(Holder::Local(name.id.to_string()))
            }
            Expr::Attribute(attribute) if builder.is_receiver(&attribute.value) => {
                Some(Holder::Attr(attribute.attr.to_string()))
            }
            _ => None,
        }
    }
}

/// A test in force: (location, the test's range, locks held at it, through `self`, whether the
/// test is a lazy-initialization test).
#[derive(Debug, Clone)]
pub(super) struct Check {
    pub loc: Loc,
    pub range: TextRange,
    pub held: Vec<LockRef>,
    pub lazy: bool,
    /// The test's block ends in `return`/`raise`/`continue`/`break`.
    pub exits: bool,
}

/// Per-function walk state.
pub(super) struct Frame {
    pub index: usize,
    pub class: Option<String>,
    pub kind: FunctionKind,
    /// Defined inside another function.
    pub is_nested: bool,
    pub scopes: Scopes,
    pub declared_global: HashSet<String>,
    /// Names assigned in this function (its locals), parameters included.
    pub locals: HashSet<String>,
    /// Locals captured by nested functions: accesses to them are closure-cell accesses.
    pub captured: HashSet<String>,
    /// Locals bound to objects made here that never escape.
    pub owned: HashMap<String, Origin>,
    pub params: Vec<String>,
    /// Parameters the body assigns (they no longer hold what the caller passed).
    pub reassigned: HashSet<String>,
    /// The name of the receiver (`self`), in a method or a function nested in one.
    pub self_name: Option<String>,
    /// The name of the class receiver (`cls`), in a class method or a function nested in one.
    pub cls_name: Option<String>,
    /// Locals bound to a shared location (`pending = self._pending`).
    pub aliases: HashMap<String, (Loc, bool)>,
    pub held: Vec<LockRef>,
    pub loop_depth: usize,
    /// Where each enclosing loop starts.
    pub loop_starts: Vec<u32>,
    /// Checks in force.
    pub checks: Vec<Check>,
    /// Nesting depth of conditions being walked (accesses in them are checks).
    pub in_test: usize,
    /// `d.items()` calls that are the argument of `list(...)` and friends: copied, not iterated.
    pub snapshots: HashSet<TextRange>,
    /// Locals assigned the future an executor's `submit` returned.
    pub submitted: HashSet<String>,
    /// Loop variables over a container attribute (`for cb in self._callbacks:`): (local, attr).
    pub loop_elements: Vec<(String, String)>,
    /// Nesting depth of `except` handlers being walked.
    pub in_handler: usize,
    /// The loop depth at which each local was last assigned.
    pub assigned_at: HashMap<String, usize>,
    /// The qualname of this function, for naming nested functions and cells.
    pub qualname: String,
    /// The value being assigned and what it is assigned to (for thread and future holders).
    pub assigning: Option<(TextRange, Holder)>,
    /// Thread objects and futures, by holder: index in the summary's spawns.
    pub threads: Vec<(Holder, usize)>,
    /// Pool tasks, by the pool's holder.
    pub pools: Vec<(Holder, usize)>,
    /// The `with` blocks of pools around here: the pool's holder and where the block ends.
    pub with_ends: Vec<(Holder, u32)>,
    /// Where the statement being walked ends.
    pub statement_end: u32,
    /// Locals bound to a pool with a single worker.
    pub single_worker_locals: HashSet<String>,
    /// Nesting depth of `if` blocks that run only on the main thread.
    pub main_thread_only: usize,
    /// Nesting depth of `try` blocks that handle `ValueError` / `KeyError`.
    pub catches_value_error: usize,
    pub catches_key_error: usize,
    /// What [`super::futures`] tracks while walking the function.
    pub futures: super::futures::FuturesFrame,
    /// What [`super::asyncio`] tracks while walking the function.
    pub asyncio: super::asyncio::AsyncioFrame,
    /// What the multiprocessing facts need while walking.
    pub processes: super::processes::ProcessFrame,
}

pub(super) struct Builder<'a> {
    pub semantic: &'a SemanticModel,
    pub globals: HashSet<String>,
    pub functions: Vec<FunctionSummary>,
    pub classes: Vec<ClassSummary>,
    pub frames: Vec<Frame>,
    /// Attributes holding a counting semaphore: (class, attribute).
    pub counting: Vec<(String, String)>,
    /// Attributes holding a pool with a single worker: (class, attribute).
    pub single_workers: Vec<(String, String)>,
    /// `@contextmanager` methods that yield inside `with self.<lock>:`: (class, method).
    pub lock_contexts: Vec<(String, String)>,
    /// Class attributes holding a lock, with its kind.
    pub lock_kinds: Vec<(Loc, LockKind)>,
}

/// What [`Builder::function`] needs to know of a definition.
struct FunctionDef<'a> {
    qualname: String,
    name: String,
    class: Option<String>,
    kind: FunctionKind,
    is_async: bool,
    range: TextRange,
    body: &'a [Stmt],
    parameters: Option<&'a ast::Parameters>,
}

pub(super) fn lambda_qualname(outer: &str, range: TextRange) -> String {
    format!("{outer}.<lambda@{}>", range.start().to_u32())
}

impl<'a> Builder<'a> {
    fn function(&mut self, def: FunctionDef<'a>) -> usize {
        let FunctionDef {
            qualname,
            name,
            class,
            kind,
            is_async,
            range,
            body,
            parameters,
        } = def;
        let index = self.functions.len();
        self.functions.push(FunctionSummary::new(
            qualname.clone(),
            name,
            class.clone(),
            kind,
            is_async,
            range,
        ));
        let params: Vec<String> = parameters
            .map(|p| p.iter().map(|p| p.name().to_string()).collect())
            .unwrap_or_default();
        let mut locals: HashSet<String> = params.iter().cloned().collect();
        let mut declared_global = HashSet::default();
        let mut declared_nonlocal = HashSet::default();
        let mut captured = HashSet::default();
        let mut owned = HashMap::default();
        let mut reassigned = HashSet::default();
        if kind != FunctionKind::Module {
            let mut assigned = HashSet::default();
            collect_locals(
                body,
                &mut assigned,
                &mut declared_global,
                &mut declared_nonlocal,
            );
            reassigned = params
                .iter()
                .filter(|p| assigned.contains(*p))
                .cloned()
                .collect();
            locals.extend(assigned);
            for name in declared_global.iter().chain(&declared_nonlocal) {
                locals.remove(name);
            }
            let mut free = HashSet::default();
            collect_nested_free_names(body, &mut free);
            captured = locals.intersection(&free).cloned().collect();
            owned = owned_locals(self.semantic, body, &locals, &captured);
        }
        // The receiver: a method's first parameter; a nested function sees its enclosing
        // method's receiver unless it binds the name itself.
        let outer = self
            .frames
            .last()
            .filter(|frame| frame.kind != FunctionKind::Module);
        let inherit = |name: &Option<String>| {
            name.clone()
                .filter(|n| !locals.contains(n) && !declared_global.contains(n))
        };
        let (self_name, cls_name, class) = match (kind, outer) {
            (FunctionKind::Method, _) => (params.first().cloned(), None, class),
            (FunctionKind::ClassMethod, _) => (None, params.first().cloned(), class),
            (FunctionKind::Function | FunctionKind::Lambda, Some(outer))
                if outer.class.is_some() =>
            {
                let self_name = inherit(&outer.self_name);
                let cls_name = inherit(&outer.cls_name);
                let class = (self_name.is_some() || cls_name.is_some())
                    .then(|| outer.class.clone())
                    .flatten();
                (self_name, cls_name, class)
            }
            _ => (None, None, class),
        };
        self.functions[index].class = class.clone();
        self.functions[index].params = params.clone();
        self.functions[index].thread_api.signature =
            parameters.map(super::thread_api::Signature::of);
        // A function sees its enclosing functions' scopes; module-level names come from the
        // semantic model (copying the module's own scope into each function would be quadratic
        // on big modules).
        let mut scopes = outer.map(|frame| frame.scopes.clone()).unwrap_or_default();
        scopes.push(false);
        // Annotated parameters have a known class.
        if let Some(parameters) = parameters {
            for parameter in parameters.iter() {
                if let Some(annotation) = parameter.annotation() {
                    if let Some(ty) = self.semantic.annotation_type(&scopes, annotation) {
                        scopes.bind(parameter.name().as_str(), Binding::Instance(ty));
                    }
                }
            }
        }
        let is_nested = outer.is_some();
        self.frames.push(Frame {
            index,
            class,
            kind,
            is_nested,
            scopes,
            declared_global,
            locals,
            captured,
            owned,
            params,
            reassigned,
            self_name,
            cls_name,
            aliases: HashMap::default(),
            held: Vec::new(),
            loop_depth: 0,
            loop_starts: Vec::new(),
            checks: Vec::new(),
            in_test: 0,
            snapshots: HashSet::default(),
            submitted: HashSet::default(),
            assigned_at: HashMap::default(),
            loop_elements: Vec::new(),
            in_handler: 0,
            qualname,
            assigning: None,
            threads: Vec::new(),
            pools: Vec::new(),
            with_ends: Vec::new(),
            statement_end: range.end().to_u32(),
            single_worker_locals: HashSet::default(),
            main_thread_only: 0,
            catches_value_error: 0,
            catches_key_error: 0,
            futures: Default::default(),
            asyncio: Default::default(),
            processes: Default::default(),
        });
        self.body(body);
        self.finish_spawns();
        self.finish_futures(body);
        self.finish_asyncio(body);
        let flags: Vec<String> = parameters
            .map(|p| {
                p.iter()
                    .filter(|p| matches!(p.default(), Some(Expr::BooleanLiteral(b)) if !b.value))
                    .map(|p| p.name().to_string())
                    .collect()
            })
            .unwrap_or_default();
        self.summarize_work(body, &flags);
        self.finish_processes();
        if kind != FunctionKind::Module {
            let fresh = returns_fresh(self.semantic, body, &self.frame().owned);
            self.functions[index].returns_fresh = fresh;
            self.functions[index].raises_unless = self.raises_unless(body);
            self.functions[index].not_thread_safe = says_not_thread_safe(body);
            self.functions[index].sole_thread_safe =
                docstring_says(body, &["only thread safe method", "only threadsafe method"]);
        }
        self.frames.pop();
        index
    }

    pub(super) fn frame(&self) -> &Frame {
        self.frames.last().expect("a frame")
    }

    pub(super) fn frame_mut(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("a frame")
    }

    pub(super) fn summary(&mut self) -> &mut FunctionSummary {
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
                    let mut checks = self.checks_of(&node.test);
                    for check in &mut checks {
                        check.exits = true;
                    }
                    self.frame_mut().checks.extend(checks);
                }
            }
        }
        self.frame_mut().checks.truncate(checks_before);
    }

    pub(super) fn record(&mut self, loc: Loc, kind: AccessKind, range: TextRange, via_self: bool) {
        self.record_with(loc, kind, range, via_self, Stored::Other);
    }

    /// [`Self::record`] for a write that stores `stored`.
    fn record_with(
        &mut self,
        loc: Loc,
        kind: AccessKind,
        range: TextRange,
        via_self: bool,
        stored: Stored,
    ) {
        let frame = self.frame();
        let held = frame.held.clone();
        if kind.is_write() {
            let pairs: Vec<CheckAct> = frame
                .checks
                .iter()
                .filter(|check| check.loc == loc)
                .map(|check| CheckAct {
                    loc: loc.clone(),
                    check: check.range,
                    act: range,
                    act_kind: kind,
                    held_at_check: check.held.clone(),
                    held_at_act: held.clone(),
                    via_self,
                    act_is_constant: stored == Stored::Constant,
                    creates: match &stored {
                        Stored::Created(class) => Some(class.clone()),
                        _ => None,
                    },
                    check_exits: check.exits,
                    lazy_init: check.lazy,
                })
                .collect();
            self.summary().check_acts.extend(pairs);
        }
        // Flags tested around here guard this access (under the lock held at the test, when it
        // is still held).
        let guards: Vec<(Loc, Option<LockRef>)> = self
            .frame()
            .checks
            .iter()
            .filter(|check| check.loc != loc)
            .map(|check| {
                let lock = check.held.iter().find(|l| held.contains(l)).cloned();
                (check.loc.clone(), lock)
            })
            .collect();
        self.summary().accesses.push(Access {
            loc,
            kind,
            range,
            held,
            via_self,
            atomic: false,
            in_place: false,
            item: false,
            shifts: false,
            constant: stored == Stored::Constant,
            guards,
        });
    }

    /// The checks a condition makes: every shared location it reads.
    fn checks_of(&self, test: &Expr) -> Vec<Check> {
        let mut found = Vec::new();
        self.collect_checked(test, &mut found);
        let held = self.frame().held.clone();
        let lazy = is_lazy_test(test);
        found
            .into_iter()
            .map(|(loc, _)| Check {
                loc,
                range: test.range(),
                held: held.clone(),
                lazy,
                exits: false,
            })
            .collect()
    }

    pub(super) fn collect_checked(&self, expr: &Expr, out: &mut Vec<(Loc, bool)>) {
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
                    if let [Expr::Name(base), Expr::StringLiteral(attr), ..] = &*call.arguments.args
                    {
                        if let Some(found) =
                            self.attr_location(base.id.as_str(), attr.value.to_str())
                        {
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

    /// The qualified name a callee expression refers to: through imports, or through a class
    /// attribute that aliases one (`self._thread_class(...)` with `_thread_class =
    /// threading.Thread` in the class body).
    fn qualified_callee(&self, func: &Expr) -> Option<String> {
        if let Some(name) = self.semantic.qualified_name(&self.frame().scopes, func) {
            return Some(name);
        }
        let Expr::Attribute(attribute) = func else {
            return None;
        };
        if !self.is_receiver(&attribute.value) {
            return None;
        }
        let mut pending = vec![self.frame().class.clone()?];
        let mut seen = Vec::new();
        while let Some(class) = pending.pop() {
            if seen.contains(&class) {
                continue;
            }
            let info = self.semantic.class_by_qualname(&class)?;
            if let Some(alias) = info.body_aliases.get(attribute.attr.as_str()) {
                return Some(crate::semantic::canonical(alias));
            }
            pending.extend(info.bases.iter().cloned());
            seen.push(class);
        }
        None
    }

    fn call(&mut self, call: &'a ast::ExprCall) {
        let range = call.range();
        let qualified = self.qualified_callee(&call.func);
        if qualified.as_deref() == Some("signal.signal")
            && self.frame().catches_value_error == 0
            && self.frame().main_thread_only == 0
        {
            self.summary().signal_calls.push(range);
        }
        self.spawn_in_call(call, qualified.as_deref());
        self.futures_in_call(call, qualified.as_deref());
        self.asyncio_in_call(call, qualified.as_deref());
        self.note_lock_call(call, qualified.as_deref());
        self.process_call(call, qualified.as_deref());
        if let Expr::Attribute(attribute) = &*call.func {
            let method = attribute.attr.as_str();
            self.sync_in_call(call, &attribute.value, method);
            let in_snapshot = self.frame().snapshots.contains(&range);
            // Container effects: `d.append(x)`, `d.items()`.
            if let Some((loc, via_self)) = self.container(&attribute.value) {
                self.container_call(loc, via_self, method, range, in_snapshot);
            } else if let Some(index) = self.param_index(&attribute.value) {
                self.param_call(index, method, in_snapshot);
            }
        }
        // `list(d.items())`: the inner call is copied, not iterated.
        if qualified
            .as_deref()
            .is_some_and(|q| SNAPSHOT_BUILTINS.contains(&q))
        {
            if let Some(Expr::Call(inner)) = call.arguments.args.first() {
                self.frame_mut().snapshots.insert(inner.range());
            }
        }
        // `sum(d)`, `six.itervalues(d)`.
        if qualified
            .as_deref()
            .is_some_and(|q| ITERATING_BUILTINS.contains(&q))
        {
            if let Some(first) = call.arguments.args.first() {
                if let Some((loc, via_self)) = self.container(first) {
                    self.record(loc, AccessKind::Iterate, first.range(), via_self);
                } else if let Some(index) = self.param_index(first) {
                    self.param_effect(index, AccessKind::Iterate);
                }
            }
        }
        self.record_call(call);
        self.note_thread_api_call(call);
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
                    let lazy_default =
                        !augmented && value.is_some_and(|v| self.is_lazy_default(v, &loc));
                    let (kind, range) = if rmw {
                        (AccessKind::ReadModifyWrite, statement)
                    } else {
                        (AccessKind::Write, target.range())
                    };
                    let stored = self.stored(value, augmented);
                    self.record_with(loc, kind, range, via_self, stored);
                    if lazy_default {
                        self.mark_last_atomic();
                    }
                    if augmented {
                        // `x += [item]`: only a list (or set, with `|=`) takes that in place.
                        let container_value = value.is_some_and(|v| {
                            matches!(
                                v,
                                Expr::List(_) | Expr::ListComp(_) | Expr::Set(_) | Expr::SetComp(_)
                            )
                        });
                        if let Some(access) = self.summary().accesses.last_mut() {
                            access.in_place = true;
                            access.atomic |= container_value;
                        }
                    }
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
                    let stored = self.stored(value, augmented);
                    self.record_with(loc, kind, range, via_self, stored);
                    // `d[k] = v` stores one item in one step (a deletion may raise KeyError).
                    if kind == AccessKind::Mutate && value.is_some() {
                        if let Some(access) = self.summary().accesses.last_mut() {
                            access.item = true;
                        }
                    }
                    if value.is_none() && !augmented {
                        // `del d[k]` with the `KeyError` handled: one atomic step.
                        let atomic = self.frame().catches_key_error > 0;
                        if let Some(access) = self.summary().accesses.last_mut() {
                            access.shifts = true;
                            access.atomic |= atomic;
                        }
                    }
                } else {
                    if let Some(index) = self.param_index(&subscript.value) {
                        let kind = if augmented {
                            AccessKind::ContentReadModifyWrite
                        } else {
                            AccessKind::Mutate
                        };
                        self.param_effect(index, kind);
                    }
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

    /// What storing `value` stores (`None`: a deletion; `augmented`: `x += value`).
    fn stored(&self, value: Option<&Expr>, augmented: bool) -> Stored {
        match value {
            Some(v) if !augmented && is_literal(v) => Stored::Constant,
            // A module-level object (a class, a function, an import): every thread
            // stores the same one.
            Some(v @ (Expr::Name(_) | Expr::Attribute(_)))
                if !augmented && self.is_module_reference(v) =>
            {
                Stored::Constant
            }
            Some(Expr::Call(call)) if !augmented && self.is_receiver(&call.func) => {
                Stored::Created("<own class>".to_string())
            }
            // A fresh container: whoever keeps the other one loses what it adds.
            Some(Expr::Dict(_) | Expr::List(_) | Expr::Set(_)) if !augmented => {
                Stored::Created("builtins.dict".to_string())
            }
            Some(v @ Expr::Call(call)) if !augmented => {
                match self.semantic.type_of(&self.frame().scopes, v) {
                    Some(class) => Stored::Created(class),
                    // A factory of the standard library (`ssl.create_default_context()`,
                    // `socket.create_connection()`): what it makes is decided by its module.
                    None => match self
                        .semantic
                        .qualified_name(&self.frame().scopes, &call.func)
                    {
                        Some(name) if name.contains('.') && !name.starts_with("builtins.") => {
                            Stored::Created(name)
                        }
                        _ => Stored::Other,
                    },
                }
            }
            _ => Stored::Other,
        }
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
        let info = info.clone();
        let qualname = info.qualname.clone();
        let facts = class_facts(self.semantic, def, &qualname);
        self.lock_kinds
            .extend(facts.lock_kinds.iter().map(|(name, kind)| {
                (
                    Loc::Attr {
                        class: qualname.clone(),
                        name: name.clone(),
                    },
                    kind.clone(),
                )
            }));
        self.counting.extend(
            facts
                .counting
                .iter()
                .map(|name| (qualname.clone(), name.clone())),
        );
        self.single_workers.extend(
            facts
                .single_worker
                .iter()
                .map(|name| (qualname.clone(), name.clone())),
        );
        self.lock_contexts.extend(
            facts
                .lock_contexts
                .iter()
                .map(|name| (qualname.clone(), name.clone())),
        );
        let mut summary = ClassSummary {
            qualname: qualname.clone(),
            bases: info.bases.clone(),
            range: def.range(),
            header: TextRange::new(def.range().start(), def.name.range().end()),
            methods: Vec::new(),
            assigned: Vec::new(),
            class_attrs: Vec::new(),
            body_attrs: Vec::new(),
            instance_attrs: Vec::new(),
            lock_attrs: info
                .attr_types
                .iter()
                .filter(|(name, ty)| {
                    super::is_thread_lock_type(ty) && !facts.counting.contains(*name)
                })
                .map(|(name, _)| name.clone())
                .chain(facts.body_locks.iter().cloned())
                .collect(),
            takes_lock: false,
            attr_kinds: facts.kinds,
            attr_callables: facts.callables,
            attr_params: facts.params,
            fresh_attrs: facts.fresh,
            not_thread_safe: says_not_thread_safe(&def.body),
            taken_locks: Vec::new(),
            single_worker_attrs: facts.single_worker.clone(),
            attr_classes: info
                .attr_types
                .iter()
                .filter(|(_, ty)| {
                    !ty.starts_with("builtins.")
                        && container_kind(Some(ty.as_str()), &Expr::NoneLiteral(Default::default()))
                            .is_none()
                })
                .map(|(a, t)| (a.clone(), t.clone()))
                .collect(),
            held_unpicklable: self.held_attrs(def),
        };
        summary.lock_attrs.sort();
        summary.lock_attrs.dedup();
        for stmt in &def.body {
            let targets: Vec<&Expr> = match stmt {
                Stmt::Assign(assign) => assign.targets.iter().collect(),
                Stmt::AnnAssign(assign) if assign.value.is_some() => vec![&*assign.target],
                _ => Vec::new(),
            };
            for name in targets.into_iter().flat_map(target_names) {
                summary.body_attrs.push(name.clone());
                summary.assigned.push(name);
            }
        }
        let class_index = self.classes.len();
        self.classes.push(summary);
        for stmt in &def.body {
            match stmt {
                Stmt::FunctionDef(method) => {
                    for decorator in &method.decorator_list {
                        self.visit_expr(&decorator.expression);
                    }
                    let kind = method_kind(self.semantic, method);
                    let name = method.name.to_string();
                    let index = self.function(FunctionDef {
                        qualname: format!("{qualname}.{name}"),
                        name: name.clone(),
                        class: Some(qualname.clone()),
                        kind,
                        is_async: method.is_async,
                        range: method.name.range(),
                        body: &method.body,
                        parameters: Some(&method.parameters),
                    });
                    self.functions[index].decorators = self.decorators(method);
                    self.functions[index].property = info.properties.contains(&name);
                    self.classes[class_index]
                        .methods
                        .push((name, u32::try_from(index).unwrap_or(u32::MAX)));
                    self.note_method_writes(class_index, index);
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

    /// What a method's writes say about its class's attributes.
    fn note_method_writes(&mut self, class_index: usize, function: usize) {
        let qualname = self.classes[class_index].qualname.clone();
        let summary = &self.functions[function];
        let mut assigned = Vec::new();
        let mut class_attrs = Vec::new();
        let mut instance_attrs = Vec::new();
        let mut takes_lock = false;
        let mut taken = Vec::new();
        // The object's own locks (`self._lock`, `self.get_lock()`): a lock another object
        // hands out (`self._array.get_lock()`) guards that object, not this one.
        let own = |lock: &LockRef| match lock {
            LockRef::At {
                loc: Loc::Attr { class, name },
            } if *class == qualname && !name.contains('.') => Some(name.clone()),
            LockRef::Getter { class, method } if *class == qualname => Some(format!("{method}()")),
            _ => None,
        };
        for held in summary
            .accesses
            .iter()
            .map(|a| &a.held)
            .chain(summary.calls.iter().map(|c| &c.held))
        {
            taken.extend(held.iter().filter_map(own));
            // A module-level lock taken in a method guards what the method touches.
            takes_lock |= held.iter().any(|lock| {
                matches!(
                    lock,
                    LockRef::At {
                        loc: Loc::Global { .. }
                    }
                )
            });
        }
        for access in &summary.accesses {
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
        }
        takes_lock |= !taken.is_empty();
        let class = &mut self.classes[class_index];
        class.assigned.extend(assigned);
        class.class_attrs.extend(class_attrs);
        class.instance_attrs.extend(instance_attrs);
        class.takes_lock |= takes_lock;
        for name in taken {
            if !class.taken_locks.contains(&name) {
                class.taken_locks.push(name);
            }
        }
    }

    fn decorators(&self, def: &ast::StmtFunctionDef) -> Vec<Callee> {
        def.decorator_list
            .iter()
            .map(|d| self.callee_of(&d.expression))
            .filter(|c| *c != Callee::Unknown)
            .collect()
    }

    fn lambda(&mut self, lambda: &'a ast::ExprLambda) {
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
        let params: Vec<String> = lambda
            .parameters
            .iter()
            .flat_map(|p| p.iter().map(|p| p.name().to_string()))
            .collect();
        let outer = self.frame();
        let inherit = |name: &Option<String>| name.clone().filter(|n| !params.contains(n));
        let self_name = inherit(&outer.self_name);
        let cls_name = inherit(&outer.cls_name);
        let class = (self_name.is_some() || cls_name.is_some())
            .then(|| outer.class.clone())
            .flatten();
        let scopes = outer.scopes.clone();
        self.functions[index].class = class.clone();
        self.functions[index].params = params.clone();
        self.functions[index].thread_api.signature = Some(
            lambda
                .parameters
                .as_deref()
                .map(super::thread_api::Signature::of)
                .unwrap_or_default(),
        );
        let end = lambda.range().end().to_u32();
        self.frames.push(Frame {
            index,
            class,
            kind: FunctionKind::Lambda,
            is_nested: true,
            scopes,
            declared_global: HashSet::default(),
            locals: params.iter().cloned().collect(),
            captured: HashSet::default(),
            owned: HashMap::default(),
            params,
            reassigned: HashSet::default(),
            self_name,
            cls_name,
            aliases: HashMap::default(),
            held: Vec::new(),
            loop_depth: 0,
            loop_starts: Vec::new(),
            checks: Vec::new(),
            in_test: 0,
            snapshots: HashSet::default(),
            submitted: HashSet::default(),
            assigned_at: HashMap::default(),
            loop_elements: Vec::new(),
            in_handler: 0,
            qualname,
            assigning: None,
            threads: Vec::new(),
            pools: Vec::new(),
            with_ends: Vec::new(),
            statement_end: end,
            single_worker_locals: HashSet::default(),
            main_thread_only: 0,
            catches_value_error: 0,
            catches_key_error: 0,
            futures: Default::default(),
            asyncio: Default::default(),
            processes: Default::default(),
        });
        self.visit_expr(&lambda.body);
        self.finish_spawns();
        self.finish_futures(&[]);
        self.finish_asyncio(&[]);
        self.finish_processes();
        self.frames.pop();
    }
}

/// What a write stores.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stored {
    /// A literal (`None`, `True`, a number, a string).
    Constant,
    /// A newly constructed object of this class.
    Created(String),
    Other,
}

/// What a class's assignments say about its attributes.
#[derive(Default)]
struct ClassFacts {
    kinds: Vec<(String, ContainerKind)>,
    callables: Vec<(String, Callee)>,
    params: Vec<(String, u32)>,
    fresh: Vec<String>,
    /// Attributes holding a `Semaphore(n)` that lets several threads in.
    counting: Vec<String>,
    /// Locks assigned in the class body: one lock for every instance.
    body_locks: Vec<String>,
    /// Attributes holding a pool with one worker.
    single_worker: Vec<String>,
    /// `@contextmanager` methods that hold a lock of the object around their `yield`
    /// (`with self._mutex: ... yield`): entering them takes that lock.
    lock_contexts: Vec<String>,
    /// The class these facts are about.
    class: String,
    /// Attributes holding a lock, with its kind.
    lock_kinds: Vec<(String, LockKind)>,
    made_fresh: HashSet<String>,
    not_fresh: HashSet<String>,
}

impl ClassFacts {
    /// Notes that `attr` is assigned `value` (in `__init__` when `init`, whose parameters are
    /// `params`).
    fn note(
        &mut self,
        semantic: &SemanticModel,
        attr: &str,
        value: &Expr,
        params: &[String],
        init: bool,
    ) {
        let scopes = Scopes::default();
        let callee = match value {
            Expr::Call(call) => semantic.qualified_name(&scopes, &call.func),
            _ => None,
        };
        if let Some(kind) = container_kind(callee.as_deref(), value) {
            if !self.kinds.iter().any(|(a, _)| a == attr) {
                self.kinds.push((attr.to_string(), kind));
            }
        }
        if let (Expr::Call(call), Some(name)) = (value, callee.as_deref()) {
            if super::is_thread_lock_type(name) && !is_mutex_constructor(name, call) {
                self.counting.push(attr.to_string());
            }
            if is_single_worker_pool(name, call) {
                self.single_worker.push(attr.to_string());
            }
            let receiver = params.first().map(String::as_str);
            let class = self.class.clone();
            let shared = |arg: &Expr| match arg {
                Expr::Attribute(a) => match &*a.value {
                    Expr::Name(base) if Some(base.id.as_str()) == receiver => Some(Loc::Attr {
                        class: class.clone(),
                        name: a.attr.to_string(),
                    }),
                    _ => None,
                },
                Expr::Name(n) if !params.iter().any(|p| p == n.id.as_str()) => Some(Loc::Global {
                    name: semantic.qualify(n.id.as_str()),
                }),
                _ => None,
            };
            let qualified = |e: &Expr| semantic.qualified_name(&scopes, e);
            if let Some(kind) = lock_kind(name, call, &qualified, &shared) {
                if !self.lock_kinds.iter().any(|(a, _)| a == attr) {
                    self.lock_kinds.push((attr.to_string(), kind));
                }
            }
        }
        match value {
            Expr::Call(_) if semantic.type_of(&scopes, value).is_some() => {
                self.made_fresh.insert(attr.to_string());
            }
            Expr::Name(name) if init && params.iter().any(|p| p == name.id.as_str()) => {
                let index = params
                    .iter()
                    .position(|p| p == name.id.as_str())
                    .unwrap_or(0);
                self.params.push((attr.to_string(), index as u32));
                self.not_fresh.insert(attr.to_string());
            }
            Expr::Name(_) | Expr::Attribute(_) => {
                if let Some(name) = semantic.qualified_name(&scopes, value) {
                    self.callables
                        .push((attr.to_string(), Callee::Name { name }));
                }
                self.not_fresh.insert(attr.to_string());
            }
            _ => {
                self.not_fresh.insert(attr.to_string());
            }
        }
    }
}

/// The factory of `dataclasses.field(default_factory=...)` (or attrs' `factory=`).
fn default_factory(value: &Expr) -> Option<&Expr> {
    let Expr::Call(call) = value else {
        return None;
    };
    let callee = match &*call.func {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.as_str(),
        _ => return None,
    };
    if !matches!(callee, "field" | "ib" | "attrib") {
        return None;
    }
    call.arguments
        .keywords
        .iter()
        .find(|k| {
            k.arg
                .as_ref()
                .is_some_and(|a| matches!(a.as_str(), "default_factory" | "factory"))
        })
        .map(|k| &k.value)
}

/// Reads a class's body and methods for what its attributes hold.
fn class_facts(semantic: &SemanticModel, def: &ast::StmtClassDef, class: &str) -> ClassFacts {
    let mut facts = ClassFacts {
        class: class.to_string(),
        ..ClassFacts::default()
    };
    for stmt in &def.body {
        match stmt {
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    if let Expr::Name(name) = target {
                        facts.note(semantic, name.id.as_str(), &assign.value, &[], false);
                        if let Expr::Call(call) = &*assign.value {
                            let callee = semantic.qualified_name(&Scopes::default(), &call.func);
                            if callee
                                .as_deref()
                                .is_some_and(|c| is_mutex_constructor(c, call))
                            {
                                facts.body_locks.push(name.id.to_string());
                            }
                        }
                    }
                }
            }
            Stmt::AnnAssign(assign) => {
                if let (Expr::Name(name), Some(value)) = (&*assign.target, &assign.value) {
                    facts.note(semantic, name.id.as_str(), value, &[], false);
                    // `items: list = field(default_factory=list)`: a fresh object per instance.
                    if let Some(factory) = default_factory(value) {
                        facts.made_fresh.insert(name.id.to_string());
                        facts.not_fresh.remove(name.id.as_str());
                        let kind = semantic
                            .qualified_name(&Scopes::default(), factory)
                            .and_then(|q| container_kind(Some(&q), factory));
                        if let Some(kind) = kind {
                            facts.kinds.push((name.id.to_string(), kind));
                        }
                    }
                }
            }
            Stmt::FunctionDef(method) => {
                let params: Vec<String> = method
                    .parameters
                    .iter()
                    .map(|p| p.name().to_string())
                    .collect();
                let init = method.name.as_str() == "__init__";
                let Some(receiver) = params.first().cloned() else {
                    continue;
                };
                let context_manager = method.decorator_list.iter().any(|d| {
                    semantic
                        .qualified_name(&Scopes::default(), &d.expression)
                        .is_some_and(|q| q.ends_with("contextmanager"))
                });
                if context_manager && yields_under_own_lock(&method.body, &receiver, false) {
                    facts.lock_contexts.push(method.name.to_string());
                }
                let mut writes = Vec::new();
                self_writes(&method.body, &receiver, &mut writes);
                for (attr, value) in writes {
                    match value {
                        Some(value) => facts.note(semantic, &attr, value, &params, init),
                        None => {
                            facts.not_fresh.insert(attr);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut fresh: Vec<String> = facts
        .made_fresh
        .iter()
        .filter(|a| !facts.not_fresh.contains(*a))
        .cloned()
        .collect();
    fresh.sort();
    facts.fresh = fresh;
    facts
}

/// Whether `body` yields inside `with receiver.<lock>:` (a lock by its name: `_lock`,
/// `mutex`, `cond`...), outside nested functions.
fn yields_under_own_lock(body: &[Stmt], receiver: &str, locked: bool) -> bool {
    use ruff_python_ast::visitor::{self, Visitor};
    struct Yields(bool);
    impl<'b> Visitor<'b> for Yields {
        fn visit_stmt(&mut self, _: &'b Stmt) {}
        fn visit_expr(&mut self, expr: &'b Expr) {
            match expr {
                Expr::Yield(_) | Expr::YieldFrom(_) => self.0 = true,
                Expr::Lambda(_) => {}
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    body.iter().any(|stmt| match stmt {
        Stmt::With(with) => {
            let on_lock = with.items.iter().any(|item| {
                matches!(&item.context_expr, Expr::Attribute(a)
                    if matches!(&*a.value, Expr::Name(n) if n.id.as_str() == receiver)
                        && super::locks::lock_like_name(a.attr.as_str()))
            });
            yields_under_own_lock(&with.body, receiver, locked || on_lock)
        }
        Stmt::If(node) => {
            yields_under_own_lock(&node.body, receiver, locked)
                || node
                    .elif_else_clauses
                    .iter()
                    .any(|c| yields_under_own_lock(&c.body, receiver, locked))
        }
        Stmt::Try(node) => {
            [&node.body, &node.orelse, &node.finalbody]
                .into_iter()
                .any(|b| yields_under_own_lock(b, receiver, locked))
                || node.handlers.iter().any(|h| match h {
                    ast::ExceptHandler::ExceptHandler(h) => {
                        yields_under_own_lock(&h.body, receiver, locked)
                    }
                })
        }
        Stmt::For(node) => yields_under_own_lock(&node.body, receiver, locked),
        Stmt::While(node) => yields_under_own_lock(&node.body, receiver, locked),
        Stmt::Expr(node) if locked => {
            let mut yields = Yields(false);
            yields.visit_expr(&node.value);
            yields.0
        }
        _ => false,
    })
}

/// `receiver.attr = value` assignments in `body` (not in nested functions); `None` for other
/// writes (augmented, tuple targets).
fn self_writes<'b>(body: &'b [Stmt], receiver: &str, out: &mut Vec<(String, Option<&'b Expr>)>) {
    let attr_of = |target: &Expr| match target {
        Expr::Attribute(attribute) => match &*attribute.value {
            Expr::Name(name) if name.id.as_str() == receiver => Some(attribute.attr.to_string()),
            _ => None,
        },
        _ => None,
    };
    for stmt in body {
        match stmt {
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    if let Some(attr) = attr_of(target) {
                        out.push((attr, Some(&*assign.value)));
                    } else if let Expr::Tuple(tuple) = target {
                        out.extend(tuple.elts.iter().filter_map(attr_of).map(|a| (a, None)));
                    }
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(attr) = attr_of(&assign.target) {
                    out.push((attr, assign.value.as_deref()));
                }
            }
            Stmt::AugAssign(assign) => {
                if let Some(attr) = attr_of(&assign.target) {
                    out.push((attr, None));
                }
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => crate::semantic::for_each_nested_body(stmt, |inner| {
                self_writes(inner, receiver, out)
            }),
        }
    }
}

/// Whether `qualname(args)` makes a pool with a single worker: its tasks run one at a time.
fn is_single_worker_pool(qualname: &str, call: &ast::ExprCall) -> bool {
    let pool = matches!(
        qualname,
        "concurrent.futures.ThreadPoolExecutor"
            | "multiprocessing.pool.ThreadPool"
            | "concurrent.futures.ProcessPoolExecutor"
            | "multiprocessing.Pool"
    );
    let workers = call.arguments.args.first().or_else(|| {
        call.arguments
            .keywords
            .iter()
            .find(|k| {
                k.arg
                    .as_ref()
                    .is_some_and(|a| matches!(a.as_str(), "max_workers" | "processes"))
            })
            .map(|k| &k.value)
    });
    pool && matches!(workers, Some(Expr::NumberLiteral(n))
        if matches!(&n.value, ast::Number::Int(i) if i.as_u8() == Some(1)))
}

/// Whether a class's (or function's) docstring says it is not thread-safe.
fn says_not_thread_safe(body: &[Stmt]) -> bool {
    docstring_says(
        body,
        &[
            "not thread safe",
            "not threadsafe",
            "non thread safe",
            "isn't thread safe",
            "not safe to share",
            "event loop only",
            "only from the event loop",
            "must be called from the event loop",
        ],
    )
}

/// Whether the docstring opening `body` says one of `phrases` (lower case, hyphens and line
/// breaks read as spaces).
fn docstring_says(body: &[Stmt], phrases: &[&str]) -> bool {
    let Some(Stmt::Expr(first)) = body.first() else {
        return false;
    };
    let Expr::StringLiteral(doc) = &*first.value else {
        return false;
    };
    let text = doc
        .value
        .to_str()
        .to_ascii_lowercase()
        .replace(['\n', '-'], " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    phrases.iter().any(|phrase| text.contains(phrase))
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

fn ends_in_exit(body: &[Stmt]) -> bool {
    matches!(
        body.last(),
        Some(Stmt::Return(_) | Stmt::Raise(_) | Stmt::Continue(_) | Stmt::Break(_))
    )
}

/// `x is None`, `x is not None`, `not x`, `hasattr(...)`, `getattr(..., None) is None`: the test
/// of a lazy initialization.
fn is_lazy_test(test: &Expr) -> bool {
    match test {
        Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::Not => {
            matches!(&*unary.operand, Expr::Name(_) | Expr::Attribute(_))
                || is_lazy_test(&unary.operand)
        }
        Expr::Compare(compare) => compare
            .comparators
            .iter()
            .any(|c| matches!(c, Expr::NoneLiteral(_))),
        Expr::Call(call) => matches!(&*call.func, Expr::Name(n) if n.id.as_str() == "hasattr"),
        Expr::BoolOp(node) => node.values.iter().any(is_lazy_test),
        _ => false,
    }
}

/// Whether a test asks whether this is the main thread (`current_thread() is main_thread()`,
/// `in_main_thread()`).
fn mentions_main_thread(test: &Expr) -> bool {
    let mut found = false;
    super::effects::any_subexpr(test, &mut |e| {
        let name = match e {
            Expr::Name(n) => n.id.as_str(),
            Expr::Attribute(a) => a.attr.as_str(),
            _ => return,
        };
        found |= name.contains("main_thread");
    });
    found
}

/// Whether an `except` clause catches `names` (or everything).
fn handler_catches(handler: &ast::ExceptHandlerExceptHandler, names: &[&str]) -> bool {
    let Some(ty) = handler.type_.as_deref() else {
        return true;
    };
    let matches = |e: &Expr| {
        let name = match e {
            Expr::Name(n) => n.id.as_str(),
            Expr::Attribute(a) => a.attr.as_str(),
            _ => return false,
        };
        names.contains(&name) || matches!(name, "Exception" | "BaseException")
    };
    match ty {
        Expr::Tuple(tuple) => tuple.elts.iter().any(matches),
        other => matches(other),
    }
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
        let previous_end = self.frame().statement_end;
        self.frame_mut().statement_end = stmt.range().end().to_u32();
        self.statement(stmt);
        self.frame_mut().statement_end = previous_end;
    }

    fn statement(&mut self, stmt: &'a Stmt) {
        match stmt {
            // Generated code nests functions thousands deep; real code never needs this many
            // levels, and each level costs a copy of the scopes above it.
            Stmt::FunctionDef(_) | Stmt::ClassDef(_)
                if self.frames.len() >= MAX_NESTED_FUNCTIONS => {}
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
                let index = self.function(FunctionDef {
                    qualname,
                    name: def.name.to_string(),
                    class: None,
                    kind: FunctionKind::Function,
                    is_async: def.is_async,
                    range: def.name.range(),
                    body: &def.body,
                    parameters: Some(&def.parameters),
                });
                self.functions[index].decorators = self.decorators(def);
            }
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
            Stmt::Assign(assign) => self.assign(assign),
            Stmt::AugAssign(assign) => {
                self.visit_expr(&assign.value);
                self.target(&assign.target, Some(&assign.value), true, assign.range());
                self.process_update(&assign.target, &assign.value, true);
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
                    if let Some(attr) = self.receiver_attribute(value) {
                        self.summary().returns_attr = Some(attr);
                    }
                    if matches!(
                        &**value,
                        Expr::Name(_) | Expr::Attribute(_) | Expr::Lambda(_)
                    ) || matches!(&**value, Expr::Call(call) if self.semantic.qualified_name(&self.frame().scopes, &call.func).as_deref() == Some("functools.partial"))
                    {
                        let callee = self.callee_of(value);
                        if callee != Callee::Unknown {
                            self.summary().returns_callable = Some(callee);
                        }
                    }
                    self.visit_expr(value);
                }
            }
            Stmt::If(node) => {
                // The locks held after the `if` are those held at the end of every branch that
                // goes on (`if x: lock.release(); return` keeps it held after): a release or an
                // acquire in one branch only is not a lock held on every path.
                let before = self.frame().held.clone();
                self.process_if(node);
                self.test(&node.test);
                let after_test = self.frame().held.clone();
                // `if not lock.acquire(False): return`: the lock is held where the test fails.
                let negated = matches!(&*node.test, Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not);
                let (in_body, in_else) = if negated {
                    (before.clone(), after_test.clone())
                } else {
                    (after_test.clone(), before.clone())
                };
                let checks = self.checks_of(&node.test);
                let depth = self.frame().checks.len();
                self.frame_mut().checks.extend(checks);
                // `if threading.current_thread() is threading.main_thread():` guards its block;
                // `if not in_main_thread(): handle_sigint = False` shows the function knows.
                let main_only = mentions_main_thread(&node.test);
                let guards_block = main_only
                    && !matches!(&*node.test, Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not);
                if main_only && !guards_block {
                    self.frame_mut().main_thread_only += 1;
                }
                self.frame_mut().main_thread_only += guards_block as usize;
                let mut ends: Vec<Vec<LockRef>> = Vec::new();
                self.frame_mut().held = in_body;
                self.body(&node.body);
                self.frame_mut().main_thread_only -= guards_block as usize;
                if !ends_in_exit(&node.body) {
                    ends.push(self.frame().held.clone());
                }
                self.frame_mut().held = in_else.clone();
                for clause in &node.elif_else_clauses {
                    if let Some(test) = &clause.test {
                        self.test(test);
                        let more = self.checks_of(test);
                        self.frame_mut().checks.extend(more);
                    }
                    self.body(&clause.body);
                    if !ends_in_exit(&clause.body) {
                        ends.push(self.frame().held.clone());
                    }
                    self.frame_mut().held = in_else.clone();
                }
                if !node.elif_else_clauses.iter().any(|c| c.test.is_none()) {
                    ends.push(in_else);
                }
                let held = match ends.split_first() {
                    None => after_test,
                    Some((first, rest)) => first
                        .iter()
                        .filter(|lock| rest.iter().all(|end| end.contains(lock)))
                        .cloned()
                        .collect(),
                };
                self.frame_mut().held = held;
                self.frame_mut().checks.truncate(depth);
            }
            Stmt::While(node) => {
                self.note_poll(node);
                self.test(&node.test);
                self.in_loop(node.range(), &node.body);
                self.body(&node.orelse);
            }
            Stmt::For(node) => {
                if let Some((loc, via_self)) = self.container(&node.iter) {
                    self.record(loc, AccessKind::Iterate, node.iter.range(), via_self);
                } else {
                    if let Some(index) = self.param_index(&node.iter) {
                        self.param_effect(index, AccessKind::Iterate);
                    }
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
                    self.frame_mut().aliases.remove(target.id.as_str());
                }
                let element = match &*node.target {
                    Expr::Name(target) => self
                        .loop_element_source(&node.iter)
                        .map(|attr| (target.id.to_string(), attr)),
                    _ => None,
                };
                let pushed = element.is_some();
                self.frame_mut().loop_elements.extend(element);
                self.process_for(node);
                self.in_loop(node.range(), &node.body);
                if pushed {
                    self.frame_mut().loop_elements.pop();
                }
                self.body(&node.orelse);
            }
            Stmt::With(node) => {
                let mut locks = Vec::new();
                let mut pools = 0;
                for item in &node.items {
                    if !node.is_async {
                        if let Some(lock) = self.lock_of(&item.context_expr) {
                            self.note_acquisition(lock.clone(), &item.context_expr, &locks, true);
                            locks.push(lock);
                            continue;
                        }
                    }
                    self.visit_expr(&item.context_expr);
                    if let Some(Expr::Name(name)) = item.optional_vars.as_deref() {
                        self.note_single_worker(name.id.as_str(), &item.context_expr);
                        let binding = self
                            .semantic
                            .binding_for_value(&self.frame().scopes, &item.context_expr);
                        self.frame_mut().scopes.bind(name.id.as_str(), binding);
                    }
                    // `with ThreadPoolExecutor() as pool:` waits for its tasks at the end.
                    let holder = item
                        .optional_vars
                        .as_deref()
                        .and_then(|v| Holder::of(v, self))
                        .or_else(|| Holder::of(&item.context_expr, self));
                    if let Some(holder) = holder {
                        let end = node.range().end().to_u32();
                        self.frame_mut().with_ends.push((holder, end));
                        pools += 1;
                    }
                }
                let locking = self.process_with_enter(node);
                self.with_locks(locks, &node.body);
                self.process_with_exit(locking);
                let frame = self.frame_mut();
                let keep = frame.with_ends.len() - pools;
                frame.with_ends.truncate(keep);
            }
            Stmt::Try(node) => {
                let handlers: Vec<&ast::ExceptHandlerExceptHandler> = node
                    .handlers
                    .iter()
                    .map(|h| {
                        let ast::ExceptHandler::ExceptHandler(h) = h;
                        h
                    })
                    .collect();
                let value_error =
                    handlers.iter().any(|h| handler_catches(h, &["ValueError"])) as usize;
                let key_error = handlers
                    .iter()
                    .any(|h| handler_catches(h, &["KeyError", "LookupError"]))
                    as usize;
                self.frame_mut().catches_value_error += value_error;
                self.frame_mut().catches_key_error += key_error;
                // A handler runs after some part of the body: it holds the locks held before
                // the `try` that the body still holds at its end. After the statement, the locks
                // held on every path that goes on.
                let before = self.frame().held.clone();
                self.body(&node.body);
                self.frame_mut().catches_value_error -= value_error;
                self.frame_mut().catches_key_error -= key_error;
                let body_end = self.frame().held.clone();
                let in_handler: Vec<LockRef> = before
                    .iter()
                    .filter(|l| body_end.contains(l))
                    .cloned()
                    .collect();
                let mut ends: Vec<Vec<LockRef>> = Vec::new();
                for handler in handlers {
                    self.frame_mut().held = in_handler.clone();
                    self.frame_mut().in_handler += 1;
                    self.body(&handler.body);
                    self.frame_mut().in_handler -= 1;
                    if !ends_in_exit(&handler.body) {
                        ends.push(self.frame().held.clone());
                    }
                }
                self.frame_mut().held = body_end;
                self.body(&node.orelse);
                let normal = self.frame().held.clone();
                self.frame_mut().held = normal
                    .iter()
                    .filter(|l| ends.iter().all(|end| end.contains(l)))
                    .cloned()
                    .collect();
                self.body(&node.finalbody);
            }
            Stmt::Expr(node) => {
                self.dropped_in_statement(&node.value);
                // `lock.acquire()` … `lock.release()` in straight-line code.
                if let Expr::Call(call) = &*node.value {
                    if let Expr::Attribute(attribute) = &*call.func {
                        match attribute.attr.as_str() {
                            "acquire" => {
                                if let Some(lock) = self.lock_of(&attribute.value) {
                                    let blocks = super::acquisitions::acquire_blocks(call);
                                    self.note_acquisition(
                                        lock.clone(),
                                        &attribute.value,
                                        &[],
                                        blocks,
                                    );
                                    self.frame_mut().held.push(lock);
                                    // A blocking call all the same.
                                    self.asyncio_in_call(call, None);
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

    fn assign(&mut self, assign: &'a ast::StmtAssign) {
        let value = &*assign.value;
        let holder = match &*assign.targets {
            [target] => Holder::of(target, self),
            _ => None,
        };
        if let [Expr::Name(target)] = &*assign.targets {
            let name = target.id.to_string();
            self.note_single_worker(&name, value);
            if self.is_submitted_future(value) {
                self.frame_mut().submitted.insert(name.clone());
            }
            let depth = self.frame().loop_depth;
            self.frame_mut().assigned_at.insert(name, depth);
        }
        self.future_assigned(assign);
        self.asyncio_assigned(assign);
        let previous = std::mem::replace(
            &mut self.frame_mut().assigning,
            holder.map(|h| (value.range(), h)),
        );
        self.visit_expr(value);
        self.frame_mut().assigning = previous;
        for target in &assign.targets {
            self.target(target, Some(value), false, assign.range());
            self.process_update(target, value, false);
        }
        self.note_lock_assignment(assign);
        // `pending = self._pending`: the local is another name for the shared location.
        if let [Expr::Name(target)] = &*assign.targets {
            let frame = self.frame();
            let plain_local = frame.locals.contains(target.id.as_str())
                && !frame.captured.contains(target.id.as_str())
                && frame.kind != FunctionKind::Module;
            let alias = match value {
                Expr::Name(_) | Expr::Attribute(_) if plain_local => self.location(value),
                _ => None,
            };
            let frame = self.frame_mut();
            match alias {
                Some(alias) => {
                    frame.aliases.insert(target.id.to_string(), alias);
                }
                None => {
                    frame.aliases.remove(target.id.as_str());
                }
            }
        }
        for target in &assign.targets {
            self.process_binding(target, value);
        }
        let binding = match self.value_type(value) {
            Some(ty) => Binding::Instance(ty),
            None => Binding::Value,
        };
        for target in &assign.targets {
            if let Expr::Name(name) = target {
                self.frame_mut()
                    .scopes
                    .bind(name.id.as_str(), binding.clone());
            }
        }
    }

    fn in_loop(&mut self, range: TextRange, body: &'a [Stmt]) {
        let frame = self.frame_mut();
        frame.loop_depth += 1;
        frame.loop_starts.push(range.start().to_u32());
        self.body(body);
        let frame = self.frame_mut();
        frame.loop_depth -= 1;
        frame.loop_starts.pop();
    }

    /// Remembers that local `name` holds a pool with one worker, when `value` makes one.
    fn note_single_worker(&mut self, name: &str, value: &Expr) {
        let single = match value {
            Expr::Call(call) => self
                .semantic
                .qualified_name(&self.frame().scopes, &call.func)
                .is_some_and(|q| is_single_worker_pool(&q, call)),
            _ => false,
        };
        let frame = self.frame_mut();
        if single {
            frame.single_worker_locals.insert(name.to_string());
        } else {
            frame.single_worker_locals.remove(name);
        }
    }

    /// Whether `pool` (a pool's receiver expression) has a single worker.
    pub(super) fn is_single_worker(&self, pool: &Expr) -> bool {
        match pool {
            // A local here, or one of an enclosing function the pool's name refers to.
            Expr::Name(name) => {
                let id = name.id.as_str();
                for frame in self.frames.iter().rev() {
                    if frame.single_worker_locals.contains(id) {
                        return true;
                    }
                    if frame.locals.contains(id) || frame.kind == FunctionKind::Module {
                        return false;
                    }
                }
                false
            }
            Expr::Attribute(attribute) if self.is_receiver(&attribute.value) => {
                self.frame().class.as_ref().is_some_and(|class| {
                    self.single_workers
                        .iter()
                        .any(|(c, a)| c == class && a == attribute.attr.as_str())
                })
            }
            _ => false,
        }
    }

    /// `if not self.ready: raise ...` (after an optional docstring) as the first statement: the
    /// flag the function insists on.
    fn raises_unless(&self, body: &[Stmt]) -> Option<Loc> {
        let first = match body {
            [Stmt::Expr(doc), rest @ ..] if matches!(&*doc.value, Expr::StringLiteral(_)) => {
                rest.first()
            }
            _ => body.first(),
        }?;
        let Stmt::If(node) = first else {
            return None;
        };
        if !node.elif_else_clauses.is_empty() || !matches!(node.body.last(), Some(Stmt::Raise(_))) {
            return None;
        }
        let mut checked = Vec::new();
        self.collect_checked(&node.test, &mut checked);
        match checked.as_slice() {
            [(loc, _)] => Some(loc.clone()),
            _ => None,
        }
    }

    /// Whether `expr` names a module-level object: an import, a function or class of this module
    /// (not a local, not shared mutable state).
    fn is_module_reference(&self, expr: &Expr) -> bool {
        if self.location(expr).is_some() {
            return false;
        }
        let root = match expr {
            Expr::Name(name) => name,
            Expr::Attribute(attribute) => match &*attribute.value {
                Expr::Name(name) => name,
                _ => return false,
            },
            _ => return false,
        };
        !self.frame().locals.contains(root.id.as_str())
            && matches!(
                self.semantic
                    .binding(&self.frame().scopes, root.id.as_str()),
                Some(Binding::Import(_) | Binding::Function(_) | Binding::Class(_))
            )
    }

    /// Records the getter call of `self.<property>`.
    fn property_read(&mut self, attribute: &ast::ExprAttribute) {
        let Some(class) = self.frame().class.clone() else {
            return;
        };
        let name = attribute.attr.as_str();
        let mut pending = vec![class.clone()];
        let mut seen = Vec::new();
        let mut found = false;
        while let Some(current) = pending.pop() {
            if seen.contains(&current) {
                continue;
            }
            let Some(info) = self.semantic.class_by_qualname(&current) else {
                continue;
            };
            if info.properties.iter().any(|p| p == name) {
                found = true;
                break;
            }
            pending.extend(info.bases.iter().cloned());
            seen.push(current);
        }
        if !found {
            return;
        }
        let held = self.frame().held.clone();
        let in_loop = self.frame().loop_depth > 0;
        self.summary().calls.push(super::CallSite {
            callee: Callee::Method {
                class,
                name: name.to_string(),
                is_virtual: true,
            },
            range: attribute.range(),
            held,
            receiver: super::Receiver::Own,
            in_loop,
            args: Vec::new(),
        });
    }

    /// `self.x` / `cls.x` on this function's receiver: `x`.
    fn receiver_attribute(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Attribute(attribute) if self.is_receiver(&attribute.value) => {
                Some(attribute.attr.to_string())
            }
            _ => None,
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
                            let blocks = super::acquisitions::acquire_blocks(call);
                            self.note_acquisition(lock.clone(), &attribute.value, &[], blocks);
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
        // `self.conn` where `conn` is a property: a call of its getter, under the locks held.
        if let Expr::Attribute(attribute) = expr {
            if attribute.ctx.is_load() && self.is_receiver(&attribute.value) {
                self.property_read(attribute);
            }
        }
        self.process_expr(expr);
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
            Expr::Lambda(lambda) => self.lambda(lambda),
            Expr::Await(node) => {
                self.awaited(node);
                visitor::walk_expr(self, expr);
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
                    } else if let Some(index) = self.param_index(&generator.iter) {
                        self.param_effect(index, AccessKind::Iterate);
                    }
                }
                let frame = self.frame_mut();
                frame.loop_depth += 1;
                frame.loop_starts.push(expr.range().start().to_u32());
                visitor::walk_expr(self, expr);
                let frame = self.frame_mut();
                frame.loop_depth -= 1;
                frame.loop_starts.pop();
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

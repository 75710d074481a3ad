//! Which names of a function are its own: locals, `global`/`nonlocal` declarations, the closure
//! cells nested functions capture, and the objects it constructs and keeps to itself.
//!
//! Ownership follows Infer's RacerD: an object the function constructed (or got from a call) is
//! owned while no reference to it is stored where another thread could reach it — returned,
//! assigned anywhere, put in a container, captured by a closure, handed to a thread. Passing it to
//! an ordinary call keeps it owned (the callee borrows it), the precision-first choice.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::checker::{STACK_GROWTH, STACK_RED_ZONE};
use crate::python::ast::{Expr, Stmt};
use crate::python::{visitor, Visitor};
use crate::semantic::{for_each_nested_body, Scopes, SemanticModel};

pub fn collect_module_globals(body: &[Stmt], out: &mut Vec<String>) {
    // A set beside the list: asking the list whether it holds a name made a module with many
    // globals quadratic.
    let mut seen: HashSet<String> = out.iter().cloned().collect();
    collect_module_globals_into(body, out, &mut seen);
}

fn collect_module_globals_into(body: &[Stmt], out: &mut Vec<String>, seen: &mut HashSet<String>) {
    for stmt in body {
        let mut add = |target: &Expr| {
            for name in target_names(target) {
                if seen.insert(name.clone()) {
                    out.push(name);
                }
            }
        };
        match stmt {
            Stmt::Assign(assign) => assign.targets.iter().for_each(&mut add),
            Stmt::AnnAssign(assign) if assign.value.is_some() => add(&assign.target),
            Stmt::AugAssign(assign) => add(&assign.target),
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => for_each_nested_body(stmt, |body| collect_module_globals_into(body, out, seen)),
        }
    }
}

pub fn target_names(target: &Expr) -> Vec<String> {
    match target {
        Expr::Name(name) => vec![name.id.to_string()],
        Expr::Tuple(tuple) => tuple.elts.iter().flat_map(target_names).collect(),
        Expr::List(list) => list.elts.iter().flat_map(target_names).collect(),
        Expr::Starred(starred) => target_names(&starred.value),
        _ => Vec::new(),
    }
}

/// Names a function body assigns (its locals), and its `global` / `nonlocal` declarations.
pub fn collect_locals(
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
                Stmt::Import(import) => {
                    self.locals.extend(import.names.iter().map(|a| {
                        a.asname
                            .as_ref()
                            .map(|n| n.to_string())
                            .unwrap_or_else(|| a.name.split('.').next().unwrap_or("").to_string())
                    }));
                }
                Stmt::ImportFrom(import) => {
                    self.locals.extend(
                        import
                            .names
                            .iter()
                            .map(|a| a.asname.as_ref().unwrap_or(&a.name).to_string()),
                    );
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
                // Comprehension variables are local to the comprehension; walrus targets in them
                // are rare enough to ignore. Lambdas have scopes of their own.
                Expr::Lambda(_)
                | Expr::ListComp(_)
                | Expr::SetComp(_)
                | Expr::DictComp(_)
                | Expr::Generator(_) => {}
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
pub fn collect_nested_free_names(body: &[Stmt], out: &mut HashSet<String>) {
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
                    let mut inner = HashSet::default();
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
                    let mut loads = HashSet::default();
                    let mut nested = HashSet::default();
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
                    let mut loads = HashSet::default();
                    let mut scan = Scan {
                        loads: &mut loads,
                        nested: &mut *self.nested,
                    };
                    visitor::walk_expr(&mut scan, expr);
                    self.loads
                        .extend(loads.into_iter().filter(|n| !bound.contains(n)));
                }
                _ => visitor::walk_expr(self, expr),
            })
        }
    }

    /// The free variables of a function with these parameters and body.
    fn function_free_names(params: &[String], body: &[Stmt]) -> HashSet<String> {
        let mut locals: HashSet<String> = params.iter().cloned().collect();
        let mut globals = HashSet::default();
        let mut nonlocals = HashSet::default();
        collect_locals(body, &mut locals, &mut globals, &mut nonlocals);
        let mut loads = HashSet::default();
        let mut nested = HashSet::default();
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

    let mut loads = HashSet::default();
    let mut scan = Scan {
        loads: &mut loads,
        nested: out,
    };
    for stmt in body {
        scan.visit_stmt(stmt);
    }
}

/// How a local came by the object it holds, for the ones the function keeps to itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// Constructed here (`p = Parser()`).
    Constructed,
    /// The result of calling `callee` (`conn = make_connection()`): owned if it returns a fresh
    /// object.
    CallResult(Expr),
}

/// The locals of `body` bound to an object made here that never escapes, with where it came from.
/// A local counts only when every assignment to it makes a new object.
pub fn owned_locals(
    semantic: &SemanticModel,
    body: &[Stmt],
    locals: &HashSet<String>,
    captured: &HashSet<String>,
) -> HashMap<String, Origin> {
    struct Scan<'s> {
        semantic: &'s SemanticModel,
        made: HashMap<String, Origin>,
        escaped: HashSet<String>,
    }
    impl Scan<'_> {
        fn assigned(&mut self, name: &str, value: &Expr) {
            let origin = match value {
                Expr::Call(call) if self.semantic.type_of(&Scopes::default(), value).is_some() => {
                    let _ = call;
                    Some(Origin::Constructed)
                }
                Expr::Call(call) if matches!(&*call.func, Expr::Name(_) | Expr::Attribute(_)) => {
                    Some(Origin::CallResult((*call.func).clone()))
                }
                _ => None,
            };
            match origin {
                Some(origin) if !self.made.contains_key(name) => {
                    self.made.insert(name.to_string(), origin);
                }
                Some(origin) if self.made.get(name) == Some(&origin) => {}
                _ => {
                    self.escaped.insert(name.to_string());
                }
            }
        }

        /// Arguments of a call that hands them on: to a thread, a pool, a container.
        fn hands_on(call: &crate::python::ast::ExprCall) -> bool {
            let name = match &*call.func {
                Expr::Name(name) => name.id.as_str(),
                Expr::Attribute(attribute) => attribute.attr.as_str(),
                _ => return true,
            };
            matches!(
                name,
                "Thread"
                    | "Timer"
                    | "Process"
                    | "submit"
                    | "map"
                    | "apply_async"
                    | "run_in_executor"
                    | "to_thread"
                    | "start_new_thread"
                    | "append"
                    | "appendleft"
                    | "extend"
                    | "insert"
                    | "add"
                    | "put"
                    | "put_nowait"
                    | "setdefault"
                    | "update"
                    | "register"
                    | "__setitem__"
                    | "setattr"
                    | "partial"
            )
        }
    }
    impl<'e> Visitor<'e> for Scan<'_> {
        fn visit_stmt(&mut self, stmt: &'e Stmt) {
            stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || match stmt {
                Stmt::Assign(assign) => {
                    if let [Expr::Name(target)] = &*assign.targets {
                        self.assigned(target.id.as_str(), &assign.value);
                        self.visit_expr(&assign.value);
                        return;
                    }
                    visitor::walk_stmt(self, stmt)
                }
                // Returning hands the object to the caller, who owns it next.
                Stmt::Return(node) => match node.value.as_deref() {
                    Some(Expr::Name(_)) | None => {}
                    Some(value) => self.visit_expr(value),
                },
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                _ => visitor::walk_stmt(self, stmt),
            })
        }
        fn visit_expr(&mut self, expr: &'e Expr) {
            stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || match expr {
                Expr::Attribute(attribute) if matches!(&*attribute.value, Expr::Name(_)) => {}
                Expr::Name(name) if name.ctx.is_load() => {
                    self.escaped.insert(name.id.to_string());
                }
                Expr::Call(call) if !Self::hands_on(call) => {
                    self.visit_expr(&call.func);
                    for arg in call.arguments.args.iter() {
                        if !matches!(arg, Expr::Name(_)) {
                            self.visit_expr(arg);
                        }
                    }
                    for keyword in call.arguments.keywords.iter() {
                        if !matches!(keyword.value, Expr::Name(_)) {
                            self.visit_expr(&keyword.value);
                        }
                    }
                }
                // `p is None`, `if p:`: tests do not hand the object on.
                Expr::Compare(compare) => {
                    for operand in std::iter::once(&*compare.left).chain(compare.comparators.iter())
                    {
                        if !matches!(operand, Expr::Name(_)) {
                            self.visit_expr(operand);
                        }
                    }
                }
                Expr::Lambda(_) => {}
                _ => visitor::walk_expr(self, expr),
            })
        }
    }
    let mut scan = Scan {
        semantic,
        made: HashMap::default(),
        escaped: HashSet::default(),
    };
    for stmt in body {
        scan.visit_stmt(stmt);
    }
    scan.made
        .into_iter()
        .filter(|(name, _)| {
            !scan.escaped.contains(name) && locals.contains(name) && !captured.contains(name)
        })
        .collect()
}

/// Whether `body` returns an object it constructed: `return Parser()`, or a local it built and
/// kept to itself until then.
pub fn returns_fresh(
    semantic: &SemanticModel,
    body: &[Stmt],
    owned: &HashMap<String, Origin>,
) -> bool {
    fn scan(
        semantic: &SemanticModel,
        body: &[Stmt],
        owned: &HashMap<String, Origin>,
        any: &mut bool,
        all: &mut bool,
    ) {
        for stmt in body {
            match stmt {
                Stmt::Return(node) => {
                    let fresh = match node.value.as_deref() {
                        Some(value @ Expr::Call(_)) => {
                            semantic.type_of(&Scopes::default(), value).is_some()
                        }
                        Some(Expr::Name(name)) => {
                            owned.get(name.id.as_str()) == Some(&Origin::Constructed)
                        }
                        _ => false,
                    };
                    *any |= fresh;
                    *all &= fresh;
                }
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                _ => for_each_nested_body(stmt, |inner| scan(semantic, inner, owned, any, all)),
            }
        }
    }
    let (mut any, mut all) = (false, true);
    scan(semantic, body, owned, &mut any, &mut all);
    any && all
}

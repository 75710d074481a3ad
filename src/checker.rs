//! The per-file AST walk that runs the AST rules (SN1xx).
//!
//! One traversal per file, in the parallel per-file phase: the [`Checker`] keeps the scope stack and
//! the enclosing classes and functions, and at each node hands itself to the rule family's
//! dispatch functions (`rules::thread_api::on_*`, `rules::locks::on_function_def`), which call the
//! rules enabled for the run. Rules
//! never walk the module themselves except inside the one function they are looking at.

use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{visitor, Ranged, TextRange, Visitor};
use crate::rules::{locks, thread_api, Rule, RuleSet};
use crate::semantic::{Binding, Scopes, SemanticModel};
use crate::source::{FileId, Span};

/// Red zone and growth step for the stack while walking deeply nested code: a generated file with
/// a 100,000-term expression must not overflow the thread's stack.
pub const STACK_RED_ZONE: usize = 128 * 1024;
pub const STACK_GROWTH: usize = 4 * 1024 * 1024;

/// A finding that holds only if a class turns out to be a `Thread` (or `Process`) subclass
/// through a base in another module: decided once the project's class hierarchy is known.
#[derive(Debug, Clone)]
pub struct Deferred {
    pub diagnostic: Diagnostic,
    /// The class that must derive from the base.
    pub class: String,
    /// From `multiprocessing.Process` (rather than `threading.Thread`).
    pub process: bool,
}

pub struct Checker<'a> {
    pub file: FileId,
    pub source: &'a str,
    pub semantic: &'a SemanticModel,
    pub scopes: Scopes,
    rules: RuleSet,
    diagnostics: Vec<Diagnostic>,
    deferred: Vec<Deferred>,
    /// While set, findings are deferred on this condition (class, process).
    pending: Option<(String, bool)>,
    /// The classes around the current node, innermost last.
    pub classes: Vec<&'a ast::StmtClassDef>,
    /// The functions around the current node, innermost last.
    pub functions: Vec<&'a ast::StmtFunctionDef>,
    /// How many loops (`for`, `while`, comprehensions) enclose the current node in its function.
    pub loop_depth: usize,
    /// Nested functions seen so far, by name: whether each may return something callable.
    pub local_factories: HashMap<String, bool>,
    /// The file lies under tests, examples or docs: code that exercises a library on purpose
    /// (a test runs a thread's body with `run()` to test it).
    pub non_production: bool,
    /// The module's top-level statements (a rule looking at a class may need a module function).
    pub module_body: &'a [Stmt],
}

impl<'a> Checker<'a> {
    pub fn new(file: FileId, source: &'a str, semantic: &'a SemanticModel, rules: RuleSet) -> Self {
        Self {
            file,
            source,
            semantic,
            scopes: Scopes::default(),
            rules,
            diagnostics: Vec::new(),
            deferred: Vec::new(),
            pending: None,
            classes: Vec::new(),
            functions: Vec::new(),
            loop_depth: 0,
            local_factories: HashMap::new(),
            non_production: false,
            module_body: &[],
        }
    }

    /// Marks the file as test, example or documentation code.
    pub fn non_production(mut self, non_production: bool) -> Self {
        self.non_production = non_production;
        self
    }

    /// Whether the current code is a test: in a test, example or documentation file, or in a
    /// `test_*` function or a `Test*` class.
    pub fn in_test(&self) -> bool {
        self.non_production
            || self
                .functions
                .iter()
                .any(|f| f.name.as_str().starts_with("test"))
            || self
                .classes
                .iter()
                .any(|c| c.name.as_str().starts_with("Test"))
    }

    /// Runs every enabled AST rule over `module` and returns the findings, and those that wait
    /// for the project's class hierarchy.
    pub fn check_module(mut self, module: &'a ast::ModModule) -> (Vec<Diagnostic>, Vec<Deferred>) {
        if self.rules.any_in(crate::rules::Family::ThreadApi)
            || self.rules.any_in(crate::rules::Family::Locks)
            || self.rules.contains(Rule::SharedDecoratorState)
            || self.rules.contains(Rule::ThreadLockAcrossAwait)
            || self.rules.contains(Rule::PoolResultAfterWith)
            || self.rules.contains(Rule::PoolNotClosed)
        {
            self.module_body = &module.body;
            thread_api::on_module(&mut self, &module.body);
            crate::rules::multiprocessing::pool_result_after_with::check(
                &mut self,
                &module.body,
                &[],
            );
            self.visit_body(&module.body);
        }
        (self.diagnostics, self.deferred)
    }

    /// Runs `check` twice with its findings deferred on `class` deriving from `Thread` and from
    /// `Process` (whichever the project shows holds); `check` gets the base's name.
    pub fn deferring(&mut self, class: &str, mut check: impl FnMut(&mut Self, &'static str)) {
        for (base, process) in [
            ("threading.Thread", false),
            ("multiprocessing.Process", true),
        ] {
            self.pending = Some((class.to_string(), process));
            check(self, base);
        }
        self.pending = None;
    }

    /// Whether `qualname` may be a class of another module of the project (not defined here, not
    /// a standard or builtin one): whether it is a thread is known after linking.
    pub fn is_foreign_class(&self, qualname: &str) -> bool {
        self.semantic.class_by_qualname(qualname).is_none()
            && !qualname.starts_with("builtins.")
            && crate::semantic::standard_thread_or_process_class(qualname).is_none()
            && qualname.contains('.')
            && qualname
                .rsplit('.')
                .next()
                .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_uppercase()))
    }

    /// Whether the current node is inside a test (a function named `test*`, as pytest and
    /// unittest collect them): tests drive threads and locks by hand on purpose, to exercise them.
    pub fn in_test_function(&self) -> bool {
        self.functions.iter().any(|def| is_test_name(&def.name))
    }

    pub fn enabled(&self, rule: Rule) -> bool {
        self.rules.contains(rule)
    }

    pub fn report(&mut self, diagnostic: Diagnostic) {
        if !self.rules.contains(diagnostic.rule) {
            return;
        }
        match &self.pending {
            Some((class, process)) => self.deferred.push(Deferred {
                diagnostic,
                class: class.clone(),
                process: *process,
            }),
            None => self.diagnostics.push(diagnostic),
        }
    }

    pub fn span(&self, range: TextRange) -> Span {
        Span::new(self.file, range)
    }

    /// The source text of `node`.
    pub fn text(&self, node: &impl Ranged) -> &'a str {
        self.source
            .get(node.start().to_usize()..node.end().to_usize())
            .unwrap_or("")
    }

    /// The canonical qualified name `expr` refers to in the current scope.
    pub fn qualified_name(&self, expr: &Expr) -> Option<String> {
        self.semantic.qualified_name(&self.scopes, expr)
    }

    /// The class of the object `expr` evaluates to, where local reasoning knows it.
    pub fn type_of(&self, expr: &Expr) -> Option<String> {
        if let Some(attr) = crate::semantic::self_attribute(expr) {
            let class = self.classes.last()?;
            let info = self.semantic.class_of_def(class)?;
            return info.attr_types.get(attr).cloned();
        }
        self.semantic.type_of(&self.scopes, expr)
    }

    fn bind_target(&mut self, target: &Expr, binding: Binding) {
        if let Expr::Name(name) = target {
            self.scopes.bind(name.id.as_str(), binding);
        }
    }
}

impl<'a> Visitor<'a> for Checker<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || match stmt {
            Stmt::ClassDef(def) => {
                thread_api::on_class_def(self, def);
                crate::rules::multiprocessing::pool_not_closed::check_class(self, def);
                crate::rules::races::shared_decorator_state::check(self, def);
                for decorator in &def.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(arguments) = &def.arguments {
                    self.visit_arguments(arguments);
                }
                self.scopes.bind(def.name.as_str(), Binding::Value);
                self.classes.push(def);
                self.scopes.push(true);
                let loop_depth = std::mem::take(&mut self.loop_depth);
                self.visit_body(&def.body);
                self.loop_depth = loop_depth;
                self.scopes.pop();
                self.classes.pop();
            }
            Stmt::FunctionDef(def) => {
                thread_api::on_function_def(self, def);
                crate::rules::asyncio::on_function_def(self, def);
                locks::on_function_def(self, def);
                let params: Vec<String> = def
                    .parameters
                    .iter()
                    .map(|p| p.name().to_string())
                    .collect();
                crate::rules::multiprocessing::pool_result_after_with::check(
                    self, &def.body, &params,
                );
                crate::rules::multiprocessing::pool_not_closed::check_function(self, def);
                for decorator in &def.decorator_list {
                    self.visit_decorator(decorator);
                }
                self.visit_parameters(&def.parameters);
                if let Some(returns) = &def.returns {
                    self.visit_annotation(returns);
                }
                if !self.functions.is_empty() {
                    self.local_factories.insert(
                        def.name.to_string(),
                        crate::semantic::returns_callable(&def.body),
                    );
                }
                let qualname = self.semantic.qualify(def.name.as_str());
                self.scopes
                    .bind(def.name.as_str(), Binding::Function(qualname));
                self.functions.push(def);
                self.scopes.push(false);
                // Annotated parameters have a known class.
                for parameter in def.parameters.iter() {
                    let ty = parameter.annotation().and_then(|annotation| {
                        self.semantic.annotation_type(&self.scopes, annotation)
                    });
                    let binding = ty.map_or(Binding::Value, Binding::Instance);
                    self.scopes.bind(parameter.name().as_str(), binding);
                }
                let loop_depth = std::mem::take(&mut self.loop_depth);
                self.visit_body(&def.body);
                self.loop_depth = loop_depth;
                self.scopes.pop();
                self.functions.pop();
            }
            Stmt::Import(_) | Stmt::ImportFrom(_) => {
                for (name, binding) in self.semantic.import_bindings(stmt) {
                    self.scopes.bind(&name, binding);
                }
            }
            Stmt::Assign(assign) => {
                visitor::walk_stmt(self, stmt);
                let binding = self.semantic.binding_for_value(&self.scopes, &assign.value);
                for target in &assign.targets {
                    self.bind_target(target, binding.clone());
                }
            }
            Stmt::For(node) => {
                thread_api::on_stmt(self, stmt);
                self.visit_expr(&node.iter);
                // `for t in [Thread(...), ...]` / `for t in (Thread(...) for ...)`: `t` is a Thread.
                let element = match &*node.iter {
                    Expr::List(list) => list.elts.first(),
                    Expr::Tuple(tuple) => tuple.elts.first(),
                    Expr::ListComp(comp) => Some(&*comp.elt),
                    Expr::Generator(comp) => Some(&*comp.elt),
                    _ => None,
                };
                let binding = element
                    .map(|e| self.semantic.binding_for_value(&self.scopes, e))
                    .unwrap_or(Binding::Value);
                self.bind_target(&node.target, binding);
                self.visit_expr(&node.target);
                self.loop_depth += 1;
                self.visit_body(&node.body);
                self.loop_depth -= 1;
                self.visit_body(&node.orelse);
            }
            Stmt::With(node) => {
                thread_api::on_stmt(self, stmt);
                crate::rules::asyncio::on_stmt(self, stmt);
                for item in &node.items {
                    self.visit_expr(&item.context_expr);
                    // `with ThreadPoolExecutor() as ex:`: `ex` is the executor.
                    if let Some(target) = &item.optional_vars {
                        let binding = self
                            .semantic
                            .binding_for_value(&self.scopes, &item.context_expr);
                        self.bind_target(target, binding);
                        self.visit_expr(target);
                    }
                }
                self.visit_body(&node.body);
            }
            Stmt::While(node) => {
                thread_api::on_stmt(self, stmt);
                self.visit_expr(&node.test);
                self.loop_depth += 1;
                self.visit_body(&node.body);
                self.loop_depth -= 1;
                self.visit_body(&node.orelse);
            }
            _ => {
                thread_api::on_stmt(self, stmt);
                visitor::walk_stmt(self, stmt);
            }
        });
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
            if let Expr::Call(call) = expr {
                thread_api::on_call(self, call);
            }
            match expr {
                Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) | Expr::Generator(_) => {
                    self.loop_depth += 1;
                    visitor::walk_expr(self, expr);
                    self.loop_depth -= 1;
                }
                _ => visitor::walk_expr(self, expr),
            }
        });
    }
}

/// Whether a function's name marks it as a test (`test_x`, `testX`, `test`).
pub fn is_test_name(name: &str) -> bool {
    name.starts_with("test")
}

//! SN110 `thread-joined-before-start`.
//!
//! ## What it does
//! Finds `.join()` on a `Thread` or `Process` object (or a project subclass) at a point where it
//! may never have been started:
//! - in one function, a path from its creation to the join that skips the start: the start is
//!   under an `if` the join does not repeat, in a loop that may make no pass, or after a call
//!   that may raise into the `except`/`finally` that joins;
//! - across a class, a thread attribute created in one method whose start is conditional there
//!   (and nowhere else), joined unguarded in another method; or created in one method, started
//!   only by another, and joined by a cleanup that runs regardless (registered with `atexit` or
//!   `weakref.finalize` before any start, `__del__`);
//! - (medium confidence) a thread attribute published before its `.start()` outside `__init__`,
//!   whose join elsewhere is guarded only by a truthiness or `None` test of the attribute: the
//!   test takes "set" to mean "started", which a failed start, a raise in between, or another
//!   thread in between breaks.
//!
//! A join guarded by `is_alive()`, `ident`, a started or running flag, the start's own condition,
//! or a `try` that catches `RuntimeError` is left alone.
//!
//! ## Why is this bad?
//! `join()` on a thread that was never started raises `RuntimeError: cannot join thread before
//! it is started` (`AssertionError: can only join a started process` for a process). In cleanup
//! code it masks the error that led there, or fails at interpreter exit.

use std::collections::{HashMap, HashSet};

use super::start_flow::{
    self, Flow, Join, MethodEffect, Methods, Outcome, ThreadClass, Value, Why, CREATED, ENTRY,
    STARTED,
};
use crate::checker::Checker;
use crate::diagnostic::{Confidence, Diagnostic};
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{Ranged, TextRange};
use crate::rules::Rule;

/// The local form, in a function that is not a method of the class around it (or the module).
pub fn check_function(checker: &mut Checker, def: Option<&ast::StmtFunctionDef>, body: &[Stmt]) {
    if !checker.enabled(Rule::ThreadJoinedBeforeStart) {
        return;
    }
    let text = match def {
        Some(def) => checker.text(def),
        None => checker.source,
    };
    if !text.contains("join") {
        return;
    }
    if let Some(def) = def {
        if is_direct_method(checker, def) {
            return; // checked with its class
        }
    }
    let flow = Flow::new(checker, body, None, &[], None);
    let keys = flow.keys.clone();
    let outcome = flow.run(body);
    report_local(checker, &keys, &outcome);
}

/// Whether `def` is a method of the innermost class being walked (not a function nested in one).
fn is_direct_method(checker: &Checker, def: &ast::StmtFunctionDef) -> bool {
    let Some(class) = checker.classes.last() else {
        return false;
    };
    class
        .body
        .binary_search_by(|s| s.range().start().cmp(&def.range().start()))
        .is_ok()
}

/// The methods of a class, and what each does to its thread attributes.
struct ClassMethods {
    effects: HashMap<String, MethodEffect>,
}

impl Methods for ClassMethods {
    fn effect(&self, name: &str) -> Option<&MethodEffect> {
        self.effects.get(name)
    }
}

/// One method's walk.
struct MethodWalk<'a> {
    def: &'a ast::StmtFunctionDef,
    keys: Vec<String>,
    outcome: Outcome,
}

/// The local form in every method of `def`, and the class form.
pub fn check_class(checker: &mut Checker, def: &ast::StmtClassDef) {
    if !checker.enabled(Rule::ThreadJoinedBeforeStart) || !checker.text(def).contains("join") {
        return;
    }
    let methods: Vec<&ast::StmtFunctionDef> = def
        .body
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => Some(f),
            _ => None,
        })
        .collect();
    // Thread attributes: `self.x = Thread(...)` in some method.
    let mut attributes: Vec<String> = Vec::new();
    for method in &methods {
        if let Some(receiver) = receiver_of(method) {
            thread_attributes(checker, &method.body, receiver, &mut attributes);
        }
    }
    let table = ClassMethods {
        effects: method_effects(checker, &methods, &attributes),
    };
    let mut walks = Vec::new();
    for method in &methods {
        if !checker.text(*method).contains("join") && !checker.text(*method).contains("start") {
            // Nothing to judge here, but its creations and registrations still count.
            if attributes.is_empty() {
                continue;
            }
        }
        let receiver = receiver_of(method);
        let flow = Flow::new(checker, &method.body, receiver, &attributes, Some(&table));
        let keys = flow.keys.clone();
        let outcome = flow.run(&method.body);
        walks.push(MethodWalk {
            def: method,
            keys,
            outcome,
        });
    }
    for walk in &walks {
        report_local(checker, &walk.keys, &walk.outcome);
    }
    if !attributes.is_empty() {
        check_attributes(checker, &walks, &attributes, &table);
    }
}

/// The first parameter of a method that is not a static or class method.
fn receiver_of(method: &ast::StmtFunctionDef) -> Option<&str> {
    let decorated = method.decorator_list.iter().any(|d| {
        matches!(&d.expression, Expr::Name(n) if matches!(n.id.as_str(), "staticmethod" | "classmethod"))
    });
    if decorated {
        return None;
    }
    method
        .parameters
        .posonlyargs
        .iter()
        .chain(&method.parameters.args)
        .next()
        .map(|p| p.parameter.name.as_str())
}

/// Attributes a method assigns a thread constructor to (`self.x = Thread(...)`).
fn thread_attributes(checker: &Checker, body: &[Stmt], receiver: &str, out: &mut Vec<String>) {
    for stmt in body {
        match stmt {
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    if let Expr::Attribute(attribute) = target {
                        let on_receiver =
                            matches!(&*attribute.value, Expr::Name(n) if n.id.as_str() == receiver);
                        if on_receiver
                            && start_flow::thread_class(checker, &assign.value).is_some()
                            && !out.iter().any(|a| a == attribute.attr.as_str())
                        {
                            out.push(attribute.attr.to_string());
                        }
                    }
                }
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => crate::semantic::for_each_nested_body(stmt, |inner| {
                thread_attributes(checker, inner, receiver, out)
            }),
        }
    }
}

/// What each method does to the thread attributes, following the calls between methods.
fn method_effects(
    checker: &Checker,
    methods: &[&ast::StmtFunctionDef],
    attributes: &[String],
) -> HashMap<String, MethodEffect> {
    let names: HashSet<&str> = methods.iter().map(|m| m.name.as_str()).collect();
    let mut direct: HashMap<String, (MethodEffect, Vec<String>)> = HashMap::new();
    for method in methods {
        let mut effect = MethodEffect::default();
        let mut calls = Vec::new();
        if let Some(receiver) = receiver_of(method) {
            let mut scanner = EffectScanner {
                checker,
                receiver,
                attributes,
                names: &names,
                effect: &mut effect,
                calls: &mut calls,
            };
            for stmt in &method.body {
                crate::python::Visitor::visit_stmt(&mut scanner, stmt);
            }
        }
        direct.insert(method.name.to_string(), (effect, calls));
    }
    // Close over the calls between methods (a few rounds: call chains in a class are short).
    let mut effects: HashMap<String, MethodEffect> = direct
        .iter()
        .map(|(name, (effect, _))| (name.clone(), effect.clone()))
        .collect();
    for _ in 0..4 {
        let mut changed = false;
        for (name, (_, calls)) in &direct {
            let mut merged = effects[name].clone();
            for callee in calls {
                if let Some(other) = effects.get(callee) {
                    let before = (merged.starts.len(), merged.touches.len(), merged.opaque);
                    merged.starts.extend(other.starts.iter().cloned());
                    merged.touches.extend(other.touches.iter().cloned());
                    merged.opaque |= other.opaque;
                    changed |= before != (merged.starts.len(), merged.touches.len(), merged.opaque);
                }
            }
            effects.insert(name.clone(), merged);
        }
        if !changed {
            break;
        }
    }
    effects
}

struct EffectScanner<'s, 'c, 'a> {
    checker: &'s Checker<'a>,
    receiver: &'s str,
    attributes: &'s [String],
    names: &'s HashSet<&'c str>,
    effect: &'s mut MethodEffect,
    calls: &'s mut Vec<String>,
}

impl EffectScanner<'_, '_, '_> {
    fn is_receiver(&self, expr: &Expr) -> bool {
        matches!(expr, Expr::Name(n) if n.id.as_str() == self.receiver)
    }
}

impl<'e> crate::python::Visitor<'e> for EffectScanner<'_, '_, '_> {
    fn visit_expr(&mut self, expr: &'e Expr) {
        match expr {
            Expr::Call(call) => {
                if let Expr::Attribute(attribute) = &*call.func {
                    // `self.x.start()`
                    if let Expr::Attribute(inner) = &*attribute.value {
                        if self.is_receiver(&inner.value)
                            && attribute.attr.as_str() == "start"
                            && self.attributes.iter().any(|a| a == inner.attr.as_str())
                        {
                            self.effect.starts.insert(inner.attr.to_string());
                        }
                    }
                    // `self.m()`
                    if self.is_receiver(&attribute.value) {
                        let name = attribute.attr.as_str();
                        if self.names.contains(name) {
                            self.calls.push(name.to_string());
                        } else if !self.attributes.iter().any(|a| a == name) {
                            self.effect.opaque = true;
                        }
                    }
                }
                let safe = self
                    .checker
                    .qualified_name(&call.func)
                    .is_some_and(|n| n.starts_with("builtins.") || n.starts_with("logging."));
                if !safe
                    && call
                        .arguments
                        .args
                        .iter()
                        .chain(call.arguments.keywords.iter().map(|k| &k.value))
                        .any(|a| self.is_receiver(a))
                {
                    self.effect.opaque = true;
                }
                crate::python::visitor::walk_expr(self, expr);
            }
            Expr::Attribute(attribute) if self.is_receiver(&attribute.value) => {
                let name = attribute.attr.as_str();
                if self.attributes.iter().any(|a| a == name) && !self.effect.starts.contains(name) {
                    self.effect.touches.insert(name.to_string());
                }
            }
            _ => crate::python::visitor::walk_expr(self, expr),
        }
    }
}

/// The 1-based line of an offset, for messages.
fn line(checker: &Checker, range: TextRange) -> usize {
    let end = range.start().to_usize().min(checker.source.len());
    checker.source.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The first line of a node's text, shortened.
fn shown(checker: &Checker, range: TextRange) -> String {
    let text = checker
        .source
        .get(range.start().to_usize()..range.end().to_usize());
    crate::rules::races::shorten(text.unwrap_or(""))
}

/// What `join()` on an unstarted object raises.
fn raises(process: bool) -> &'static str {
    if process {
        "joining a process that was never started raises AssertionError (can only join a started process)"
    } else {
        "joining a thread that was never started raises RuntimeError (cannot join thread before it is started)"
    }
}

fn noun(process: bool) -> &'static str {
    if process {
        "process"
    } else {
        "thread"
    }
}

/// Reports `make(process)` now, or once the project says whether the foreign class is a thread
/// or a process.
fn emit(checker: &mut Checker, class: &ThreadClass, make: impl Fn(&Checker, bool) -> Diagnostic) {
    match class {
        ThreadClass::Known { process } => {
            let diagnostic = make(checker, *process);
            checker.report(diagnostic);
        }
        ThreadClass::Foreign(qualname) => {
            let qualname = qualname.clone();
            checker.deferring(&qualname, |checker, base| {
                let diagnostic = make(checker, base == "multiprocessing.Process");
                checker.report(diagnostic);
            });
        }
    }
}

/// Whether the join repeats a test the start depends on.
fn repeats_condition(join: &Join, why: &Why) -> bool {
    let names = match why {
        Why::Branch { names, .. } | Why::Loop { names, .. } => names,
        _ => return false,
    };
    names.iter().any(|n| join.guard.names.contains(n))
}

/// Joins in one function of threads it created and may not have started.
fn report_local(checker: &mut Checker, keys: &[String], outcome: &Outcome) {
    let mut seen = HashSet::new();
    for join in &outcome.joins {
        let value = &join.value;
        if !value.has(CREATED)
            || join.guard.alive
            || join.guard.caught
            || repeats_condition(join, &value.why)
            || !seen.insert(join.range)
        {
            continue;
        }
        let (Some(class), Some(created)) = (value.class.clone(), value.created_at) else {
            continue;
        };
        let key = keys[join.key].clone();
        let start = outcome
            .starts
            .iter()
            .find(|(k, _, _)| *k == join.key)
            .map(|(_, at, _)| *at);
        let join = join.clone();
        let value = value.clone();
        emit(checker, &class, move |checker, process| {
            local_diagnostic(checker, &key, &join, &value, created, start, process)
        });
    }
}

fn local_diagnostic(
    checker: &Checker,
    key: &str,
    join: &Join,
    value: &Value,
    created: TextRange,
    start: Option<TextRange>,
    process: bool,
) -> Diagnostic {
    let what = noun(process);
    let (reason, related) = match &value.why {
        Why::NoStart => (
            format!(
                "on some path from its creation (line {}) nothing starts `{key}`",
                line(checker, created)
            ),
            None,
        ),
        Why::Branch { test, .. } => (
            format!(
                "`{key}` is started only on some paths through `{}:` (line {})",
                shown(checker, *test),
                line(checker, *test)
            ),
            Some((*test, "the start depends on this test")),
        ),
        Why::Loop { header, .. } => (
            format!(
                "`{key}` is started inside the loop at line {}, which may make no pass",
                line(checker, *header)
            ),
            Some((*header, "the start is inside this loop")),
        ),
        Why::Raised { at } => (
            format!(
                "if `{}` (line {}) raises, the handler joins `{key}` before it was started",
                shown(checker, *at),
                line(checker, *at)
            ),
            Some((*at, "this may raise before the start")),
        ),
    };
    let mut diagnostic = Diagnostic::new(
        Rule::ThreadJoinedBeforeStart,
        checker.span(join.range),
        format!(
            "`{key}.join()` can run before `{key}.start()`: {reason}; {}",
            raises(process)
        ),
    )
    .with_related(checker.span(created), format!("the {what} is created here"));
    if let Some((range, label)) = related {
        diagnostic = diagnostic.with_related(checker.span(range), label);
    }
    if let Some(start) = start {
        diagnostic = diagnostic.with_related(checker.span(start), "started here");
    }
    diagnostic.with_help(format!(
        "Join `{key}` only where it was started: on the same path as the start (or under the same condition), or after checking `{key}.is_alive()`."
    ))
}

/// A method that runs whether or not the threads were started, and why.
#[derive(Debug, Clone)]
struct Cleanup {
    /// "is registered with `atexit`", "is `__del__`", "is called by `__del__`".
    how: String,
    /// The registration, if any.
    at: Option<TextRange>,
    /// The method that registers it (a start there comes first, or not at all).
    registered_in: Option<String>,
}

/// The class form: joins in one method of thread attributes another method creates.
fn check_attributes(
    checker: &mut Checker,
    walks: &[MethodWalk],
    attributes: &[String],
    table: &ClassMethods,
) {
    let cleanups = cleanups(checker, walks, table);
    let mut reported = HashSet::new();
    for attribute in attributes {
        // Per method: its key for this attribute.
        let key_of = |walk: &MethodWalk| {
            walk.keys
                .iter()
                .position(|k| k.split_once('.').is_some_and(|(_, a)| a == attribute))
        };
        let starters: Vec<&str> = walks
            .iter()
            .filter(|w| key_of(w).is_some_and(|k| w.outcome.starts.iter().any(|s| s.0 == k)))
            .map(|w| w.def.name.as_str())
            .collect();
        for walk in walks {
            let Some(key) = key_of(walk) else {
                continue;
            };
            for join in walk.outcome.joins.iter().filter(|j| j.key == key) {
                // Only joins of what the method found on entry: the rest is the local form's.
                if join.value.bits != ENTRY
                    || join.guard.alive
                    || join.guard.caught
                    || reported.contains(&join.range)
                {
                    continue;
                }
                let joiner = walk.def.name.as_str();
                let cleanup = cleanups.get(joiner);
                let finding = called_unstarted(walks, attribute, joiner, join)
                    .or_else(|| conditional_start(walks, attribute, &starters, joiner, join))
                    .or_else(|| started_elsewhere(walks, attribute, &starters, joiner, cleanup?))
                    .or_else(|| published_early(walks, attribute, joiner, join));
                let Some(finding) = finding else {
                    continue;
                };
                reported.insert(join.range);
                let receiver = walk.keys[key]
                    .split_once('.')
                    .map_or("self", |(r, _)| r)
                    .to_string();
                let join = join.clone();
                let joiner = joiner.to_string();
                let cleanup = cleanup.cloned();
                let attribute = attribute.clone();
                let class = finding.class.clone();
                emit(checker, &class, move |checker, process| {
                    class_diagnostic(
                        checker,
                        &finding,
                        &receiver,
                        &attribute,
                        &join,
                        &joiner,
                        cleanup.as_ref(),
                        process,
                    )
                });
            }
        }
    }
}

/// Why a join in another method may meet an unstarted thread.
#[derive(Debug, Clone)]
enum Form {
    /// The creating method calls the joining method while the thread is not started yet.
    CalledUnstarted { call: TextRange, why: Why },
    /// The creating method starts it only on some paths (and no other method starts it).
    Conditional { why: Why },
    /// Only another method starts it, and the joining method is a cleanup that runs anyway.
    StartedElsewhere { starter: String },
    /// The creating method publishes it before starting it; the join trusts a truthiness test.
    PublishedEarly {
        start: TextRange,
        raises: Option<TextRange>,
        test: TextRange,
    },
}

#[derive(Debug, Clone)]
struct Finding {
    form: Form,
    creator: String,
    created: TextRange,
    class: ThreadClass,
}

/// The creation of `attribute` in `walk`, with the state its exits leave it in.
fn creation_in(walk: &MethodWalk, attribute: &str) -> Option<(usize, TextRange, ThreadClass)> {
    let key = walk
        .keys
        .iter()
        .position(|k| k.split_once('.').is_some_and(|(_, a)| a == attribute))?;
    walk.outcome
        .creations
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(k, at, class)| (*k, *at, class.clone()))
}

fn called_unstarted(
    walks: &[MethodWalk],
    attribute: &str,
    joiner: &str,
    join: &Join,
) -> Option<Finding> {
    for walk in walks {
        let Some((key, created, class)) = creation_in(walk, attribute) else {
            continue;
        };
        let call = walk
            .outcome
            .unstarted_calls
            .iter()
            .find(|(method, k, _, value)| {
                method == joiner && *k == key && !repeats_condition(join, &value.why)
            });
        if let Some((_, _, at, value)) = call {
            return Some(Finding {
                form: Form::CalledUnstarted {
                    call: *at,
                    why: value.why.clone(),
                },
                creator: walk.def.name.to_string(),
                created,
                class,
            });
        }
    }
    None
}

fn conditional_start(
    walks: &[MethodWalk],
    attribute: &str,
    starters: &[&str],
    joiner: &str,
    join: &Join,
) -> Option<Finding> {
    for walk in walks {
        let creator = walk.def.name.as_str();
        if creator == joiner
            || starters.iter().any(|s| *s != creator)
            || !starters.contains(&creator)
        {
            continue;
        }
        let Some((key, created, class)) = creation_in(walk, attribute) else {
            continue;
        };
        let Some(exit) = walk.outcome.exit.as_ref() else {
            continue;
        };
        let value = &exit[key];
        if !value.has(CREATED) || !value.has(STARTED) {
            continue;
        }
        if !matches!(value.why, Why::Branch { .. } | Why::Loop { .. })
            || repeats_condition(join, &value.why)
        {
            continue;
        }
        return Some(Finding {
            form: Form::Conditional {
                why: value.why.clone(),
            },
            creator: creator.to_string(),
            created,
            class,
        });
    }
    None
}

fn started_elsewhere(
    walks: &[MethodWalk],
    attribute: &str,
    starters: &[&str],
    joiner: &str,
    cleanup: &Cleanup,
) -> Option<Finding> {
    if starters.is_empty() || starters.contains(&joiner) {
        return None;
    }
    if let Some(registered_in) = &cleanup.registered_in {
        if starters.contains(&registered_in.as_str()) {
            return None;
        }
    }
    for walk in walks {
        let creator = walk.def.name.as_str();
        if starters.contains(&creator) || creator == joiner {
            continue;
        }
        let Some((key, created, class)) = creation_in(walk, attribute) else {
            continue;
        };
        let Some(exit) = walk.outcome.exit.as_ref() else {
            continue;
        };
        if !exit[key].has(CREATED) || exit[key].has(STARTED) {
            continue;
        }
        return Some(Finding {
            form: Form::StartedElsewhere {
                starter: starters[0].to_string(),
            },
            creator: creator.to_string(),
            created,
            class,
        });
    }
    None
}

fn published_early(
    walks: &[MethodWalk],
    attribute: &str,
    joiner: &str,
    join: &Join,
) -> Option<Finding> {
    let test = join.guard.truthy?;
    for walk in walks {
        let creator = walk.def.name.as_str();
        if creator == "__init__" || (creator == joiner && join.value.bits != ENTRY) {
            continue;
        }
        let Some((key, created, class)) = creation_in(walk, attribute) else {
            continue;
        };
        // Started later in the same method, by that method itself.
        let Some(start) = walk
            .outcome
            .starts
            .iter()
            .find(|(k, at, waiting)| *k == key && *waiting && at.start() > created.start())
            .map(|(_, at, _)| *at)
        else {
            continue;
        };
        return Some(Finding {
            form: Form::PublishedEarly {
                start,
                raises: walk.outcome.raises_unstarted[key],
                test,
            },
            creator: creator.to_string(),
            created,
            class,
        });
    }
    None
}

/// Methods that run whether or not the threads were started: registered with `atexit` or
/// `weakref.finalize`, `__del__`, and the methods those call.
fn cleanups(
    checker: &Checker,
    walks: &[MethodWalk],
    table: &ClassMethods,
) -> HashMap<String, Cleanup> {
    let mut out: HashMap<String, Cleanup> = HashMap::new();
    let methods: HashSet<&str> = walks.iter().map(|w| w.def.name.as_str()).collect();
    for walk in walks {
        for registration in &walk.outcome.registrations {
            let mut targets = Vec::new();
            if let Some(method) = &registration.method {
                targets.push(method.clone());
            }
            if let Some(function) = &registration.function {
                // `atexit.register(partial(_cleanup, weakref.ref(self)))` with a module function
                // that calls `loop._cleanup()`.
                targets.extend(
                    module_function_calls(checker, function)
                        .into_iter()
                        .filter(|m| methods.contains(m.as_str())),
                );
            }
            for target in targets {
                out.entry(target).or_insert_with(|| Cleanup {
                    how: format!("is registered with `{}`", registration.how),
                    at: Some(registration.range),
                    registered_in: Some(walk.def.name.to_string()),
                });
            }
        }
    }
    if methods.contains("__del__") {
        out.entry("__del__".to_string()).or_insert(Cleanup {
            how: "runs whenever an instance is collected".to_string(),
            at: None,
            registered_in: None,
        });
    }
    // One level down: what a cleanup calls on `self` runs at cleanup too.
    let direct: Vec<(String, Cleanup)> = out.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for (name, cleanup) in direct {
        let Some(walk) = walks.iter().find(|w| w.def.name.as_str() == name) else {
            continue;
        };
        let _ = table;
        for callee in self_calls(walk.def) {
            if methods.contains(callee.as_str()) {
                out.entry(callee).or_insert_with(|| Cleanup {
                    how: format!("is called by `{name}()`, which {}", cleanup.how),
                    at: cleanup.at,
                    registered_in: cleanup.registered_in.clone(),
                });
            }
        }
    }
    out
}

/// The methods `def` calls on its receiver.
fn self_calls(def: &ast::StmtFunctionDef) -> Vec<String> {
    let Some(receiver) = receiver_of(def) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for stmt in &def.body {
        calls_on(stmt, Some(receiver), &mut out);
    }
    out
}

/// The method names a module-level function calls on any object (`loop._cleanup()`).
fn module_function_calls(checker: &Checker, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for stmt in checker.module_body {
        if let Stmt::FunctionDef(def) = stmt {
            if def.name.as_str() == name {
                for stmt in &def.body {
                    calls_on(stmt, None, &mut out);
                }
            }
        }
    }
    out
}

/// Method names called in `stmt` on `receiver` (or on anything when `None`).
fn calls_on(stmt: &Stmt, receiver: Option<&str>, out: &mut Vec<String>) {
    struct Calls<'o, 'r> {
        receiver: Option<&'r str>,
        out: &'o mut Vec<String>,
    }
    impl<'e> crate::python::Visitor<'e> for Calls<'_, '_> {
        fn visit_expr(&mut self, expr: &'e Expr) {
            if let Expr::Call(call) = expr {
                if let Expr::Attribute(attribute) = &*call.func {
                    let on = match (&*attribute.value, self.receiver) {
                        (Expr::Name(n), Some(r)) => n.id.as_str() == r,
                        (_, None) => true,
                        _ => false,
                    };
                    if on {
                        self.out.push(attribute.attr.to_string());
                    }
                }
            }
            crate::python::visitor::walk_expr(self, expr);
        }
    }
    let mut calls = Calls { receiver, out };
    crate::python::Visitor::visit_stmt(&mut calls, stmt);
}

#[allow(clippy::too_many_arguments)]
fn class_diagnostic(
    checker: &Checker,
    finding: &Finding,
    receiver: &str,
    attribute: &str,
    join: &Join,
    joiner: &str,
    cleanup: Option<&Cleanup>,
    process: bool,
) -> Diagnostic {
    let what = noun(process);
    let object = format!("{receiver}.{attribute}");
    let creator = &finding.creator;
    let created_line = line(checker, finding.created);
    let cleanup_phrase = |cleanup: &Cleanup| match cleanup.at {
        Some(at) => format!("`{joiner}()` {} (line {})", cleanup.how, line(checker, at)),
        None => format!("`{joiner}()` {}", cleanup.how),
    };
    let mut related = vec![(finding.created, format!("the {what} is created here"))];
    let (message, confidence) = match &finding.form {
        Form::CalledUnstarted { call, why } => {
            related.push((*call, format!("`{joiner}()` is called here")));
            let when = match why {
                Why::Raised { at } => {
                    related.push((*at, "this may raise before the start".to_string()));
                    format!(
                        "when `{}` (line {}) raises before the start",
                        shown(checker, *at),
                        line(checker, *at)
                    )
                }
                Why::Branch { test, .. } => {
                    related.push((*test, "the start depends on this test".to_string()));
                    format!(
                        "on a path through `{}:` (line {}) that skips the start",
                        shown(checker, *test),
                        line(checker, *test)
                    )
                }
                Why::Loop { header, .. } => format!(
                    "when the loop at line {} makes no pass",
                    line(checker, *header)
                ),
                Why::NoStart => "before starting it".to_string(),
            };
            (
                format!(
                    "`{object}.join()` in `{joiner}()` may join a {what} that was never started: `{creator}()` creates `{object}` (line {created_line}) and calls `{joiner}()` (line {}) {when}; {}",
                    line(checker, *call),
                    raises(process)
                ),
                Confidence::High,
            )
        }
        Form::Conditional { why } => {
            let condition = match why {
                Why::Branch { test, .. } => {
                    related.push((*test, "the start depends on this test".to_string()));
                    format!(
                        "`{creator}()` starts `{object}` only on some paths through `{}:` (line {})",
                        shown(checker, *test),
                        line(checker, *test)
                    )
                }
                Why::Loop { header, .. } => {
                    related.push((*header, "the start is inside this loop".to_string()));
                    format!(
                        "`{creator}()` starts `{object}` inside a loop that may make no pass (line {})",
                        line(checker, *header)
                    )
                }
                _ => format!("`{creator}()` may not start `{object}`"),
            };
            match cleanup {
                Some(cleanup) => {
                    if let Some(at) = cleanup.at {
                        related.push((at, format!("`{joiner}()` is registered here")));
                    }
                    (
                        format!(
                            "`{object}.join()` in `{joiner}()` may join a {what} that was never started: {condition}, and {}, so it runs even when the start was skipped; {}",
                            cleanup_phrase(cleanup),
                            raises(process)
                        ),
                        Confidence::High,
                    )
                }
                None => (
                    format!(
                        "`{object}.join()` in `{joiner}()` may join a {what} that was never started: {condition}, and `{joiner}()` joins it without that condition; {}",
                        raises(process)
                    ),
                    Confidence::Medium,
                ),
            }
        }
        Form::StartedElsewhere { starter } => {
            let cleanup = cleanup.cloned().unwrap_or(Cleanup {
                how: String::new(),
                at: None,
                registered_in: None,
            });
            if let Some(at) = cleanup.at {
                related.push((at, format!("`{joiner}()` is registered here")));
            }
            (
                format!(
                    "`{object}.join()` in `{joiner}()` may join a {what} that was never started: `{creator}()` creates `{object}` (line {created_line}) but only `{starter}()` starts it, and {}, whether or not `{starter}()` was called; {}",
                    cleanup_phrase(&cleanup),
                    raises(process)
                ),
                Confidence::High,
            )
        }
        Form::PublishedEarly {
            start,
            raises: raising,
            test,
        } => {
            related.push((*start, "started here, after it was published".to_string()));
            related.push((
                *test,
                format!("`{joiner}()` takes a set `{object}` to mean a started {what}"),
            ));
            let mut ways = Vec::new();
            if let Some(at) = raising {
                related.push((*at, "this may raise before the start".to_string()));
                ways.push(format!(
                    "`{}` (line {}) may raise in between",
                    shown(checker, *at),
                    line(checker, *at)
                ));
            }
            ways.push(
                "`start()` itself may fail (RuntimeError: can't start new thread)".to_string(),
            );
            // A cleanup registered by the publishing method after its start cannot run between.
            let registered_after = cleanup.is_some_and(|c| {
                c.registered_in.as_deref() == Some(creator.as_str())
                    && c.at.is_some_and(|at| at.start() > start.start())
            });
            if let Some(cleanup) = cleanup.filter(|_| !registered_after) {
                if let Some(at) = cleanup.at {
                    related.push((at, format!("`{joiner}()` is registered here")));
                }
                ways.push(format!(
                    "{}, so it may run while another thread is between the assignment and the start",
                    cleanup_phrase(cleanup)
                ));
            }
            (
                format!(
                    "`{object}` is set (line {created_line}) before `{creator}()` starts it (line {}), and `{joiner}()` joins it whenever it is set; it can be set and not started: {}; {}",
                    line(checker, *start),
                    ways.join(", "),
                    raises(process)
                ),
                Confidence::Medium,
            )
        }
    };
    let help = match &finding.form {
        Form::PublishedEarly { .. } => format!(
            "Publish the {what} only once it is started (`{attribute} = Thread(...)`, `{attribute}.start()`, then `{object} = {attribute}`), or check `{object}.is_alive()` before joining."
        ),
        _ => format!(
            "Join `{object}` only if it was started: check `{object}.is_alive()` (or a flag set right after the start), or start it wherever it is created."
        ),
    };
    let mut diagnostic = Diagnostic::new(
        Rule::ThreadJoinedBeforeStart,
        checker.span(join.range),
        message,
    )
    .with_confidence(confidence)
    .with_help(help);
    for (range, label) in related {
        diagnostic = diagnostic.with_related(checker.span(range), label);
    }
    diagnostic
}

//! Where a thread object may still be unstarted: a forward walk over one function body.
//!
//! The walk follows the thread objects the function binds (`t = Thread(...)`, `self.t =
//! Worker(...)`) and, for a method, the thread attributes its class creates anywhere. At each
//! point it knows what each may hold: a thread created here and not started yet, one started
//! here, whatever it held on entry (attributes), or something else. Branches merge by union; a
//! loop may make no pass; a statement that may raise hands the state to the enclosing handlers
//! (and `finally`). `.start()` is taken not to raise (a failing start is a resource exhaustion,
//! not a path the code chose). Anything the walk cannot follow — the object passed to a call,
//! stored, aliased, captured by a nested function, a method of the class that touches it, `self`
//! handed out — makes it "something else": the walk stops judging it.
//!
//! What comes out: every `.join()` on a tracked object with the state there and the tests in
//! force (a guard `is_alive()`, `ident`, a started flag, a `try` that catches `RuntimeError`),
//! every creation and start, the state at the function's normal exits, and for attributes the
//! first statement that may raise while a created thread is not started yet.

use std::collections::HashSet;

use crate::checker::{Checker, STACK_GROWTH, STACK_RED_ZONE};
use crate::python::ast::{self, Expr, Stmt};
use crate::python::{Ranged, TextRange};

/// May hold a thread created in this function and not started yet.
pub const CREATED: u8 = 1;
/// May hold a thread started in this function.
pub const STARTED: u8 = 2;
/// May hold what it held on entry (attributes only).
pub const ENTRY: u8 = 4;
/// May hold something the walk does not follow.
pub const OTHER: u8 = 8;

/// The class of a created thread object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreadClass {
    /// `threading.Thread` (or `Timer`) or a subclass in this file (`process`: a
    /// `multiprocessing.Process`).
    Known { process: bool },
    /// A class of another module of the project: a thread if the project's hierarchy says so.
    Foreign(String),
}

/// Why a created thread may not be started at some point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// No start on the way.
    NoStart,
    /// Only some branches of the `if` (or `match`) start it: its header (`if send`), the test's
    /// names.
    Branch { test: TextRange, names: Vec<String> },
    /// The start is in a loop that may make no pass.
    Loop {
        header: TextRange,
        names: Vec<String>,
    },
    /// The statement at `at` may raise before the start.
    Raised { at: TextRange },
}

/// What one tracked object may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub bits: u8,
    /// The creation (the assignment), when `CREATED` may hold.
    pub created_at: Option<TextRange>,
    pub class: Option<ThreadClass>,
    pub why: Why,
}

impl Value {
    fn of(bits: u8) -> Self {
        Value {
            bits,
            created_at: None,
            class: None,
            why: Why::NoStart,
        }
    }

    pub fn has(&self, bit: u8) -> bool {
        self.bits & bit != 0
    }

    fn union(&mut self, other: &Value) {
        if other.has(CREATED) {
            let keep_why = self.has(CREATED) && self.why != Why::NoStart;
            if !keep_why {
                self.why = other.why.clone();
            }
            if self.created_at.is_none() {
                self.created_at = other.created_at;
                self.class = other.class.clone();
            }
        }
        self.bits |= other.bits;
    }

    fn start(&mut self) {
        if self.has(CREATED) {
            self.bits = (self.bits & !CREATED) | STARTED;
        }
    }
}

/// One state per tracked key (same order as [`Flow::keys`]); `None`: unreachable.
type State = Option<Vec<Value>>;

fn union(a: State, b: &State) -> State {
    match (a, b) {
        (None, b) => b.clone(),
        (a, None) => a,
        (Some(mut a), Some(b)) => {
            for (x, y) in a.iter_mut().zip(b) {
                x.union(y);
            }
            Some(a)
        }
    }
}

/// What guards a `.join()`.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// A test in force mentions `is_alive`, `ident`, a started or running flag.
    pub alive: bool,
    /// A `try` around it catches `RuntimeError` (or `Exception`), or `suppress(...)` does.
    pub caught: bool,
    /// A test in force is a truthiness or `None` test of the object itself: that test.
    pub truthy: Option<TextRange>,
    /// The names the tests in force mention.
    pub names: Vec<String>,
}

/// A `.join()` on a tracked object.
#[derive(Debug, Clone)]
pub struct Join {
    pub key: usize,
    pub range: TextRange,
    pub value: Value,
    pub guard: Guard,
}

/// A cleanup registered in this function: `atexit.register(self.close)`,
/// `weakref.finalize(self, self.close)`, `atexit.register(partial(_cleanup, weakref.ref(self)))`.
#[derive(Debug, Clone)]
pub struct Registration {
    pub range: TextRange,
    /// `self.<method>` or the name of a module-level function.
    pub method: Option<String>,
    pub function: Option<String>,
    /// `atexit` or `weakref.finalize`.
    pub how: &'static str,
}

/// What the walk of one function found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub joins: Vec<Join>,
    /// (key, assignment, class)
    pub creations: Vec<(usize, TextRange, ThreadClass)>,
    /// (key, the start call, whether a thread created here may have been waiting for it)
    pub starts: Vec<(usize, TextRange, bool)>,
    /// The state at the normal exits (returns and the end of the body).
    pub exit: Option<Vec<Value>>,
    /// Per key, the first statement that may raise out of the function while a thread created
    /// here is not started.
    pub raises_unstarted: Vec<Option<TextRange>>,
    pub registrations: Vec<Registration>,
    /// Calls of the class's methods made while a thread attribute may hold a thread created here
    /// and not started yet: (method, key, the call, what the key held).
    pub unstarted_calls: Vec<(String, usize, TextRange, Value)>,
}

/// What calling a method of the class does to the tracked attributes.
#[derive(Debug, Clone, Default)]
pub struct MethodEffect {
    /// Attributes it (or a method it calls) starts.
    pub starts: HashSet<String>,
    /// Attributes it mentions otherwise.
    pub touches: HashSet<String>,
    /// It hands `self` out or calls methods the class does not define here: anything may happen.
    pub opaque: bool,
}

/// The class around a method: what its other methods do.
pub trait Methods {
    fn effect(&self, name: &str) -> Option<&MethodEffect>;
}

pub struct Flow<'c, 'a> {
    checker: &'c Checker<'a>,
    /// `t` for a local, `self.t` for an attribute.
    pub keys: Vec<String>,
    /// The receiver's name in a method (`self`), when attributes are tracked.
    receiver: Option<String>,
    methods: Option<&'c dyn Methods>,
    out: Outcome,
    tests: Vec<&'a Expr>,
    caught: usize,
    sinks: Vec<State>,
    breaks: Vec<State>,
    continues: Vec<State>,
    returns: State,
    try_depth: usize,
    /// Statements walked so far: loops and `finally` blocks are walked twice, so nesting could
    /// multiply the work; past [`MAX_STEPS`] the walk gives up and judges nothing.
    steps: usize,
}

/// How many statements one function's walk may visit.
const MAX_STEPS: usize = 200_000;

/// Whether `call` constructs a thread or process, and of which class.
pub fn thread_class(checker: &Checker, value: &Expr) -> Option<ThreadClass> {
    let Expr::Call(call) = value else {
        return None;
    };
    let qualified = crate::semantic::canonical(&checker.qualified_name(&call.func)?);
    match checker.semantic.concurrency_base(&qualified) {
        Some(base) => Some(ThreadClass::Known {
            process: base == "multiprocessing.Process",
        }),
        None if checker.is_foreign_class(&qualified) => Some(ThreadClass::Foreign(qualified)),
        None => None,
    }
}

/// The key an expression names: `t`, or `self.t` on the method's receiver.
fn key_text(expr: &Expr, receiver: Option<&str>) -> Option<String> {
    match expr {
        Expr::Name(name) => Some(name.id.to_string()),
        Expr::Attribute(attribute) => match &*attribute.value {
            Expr::Name(base) if Some(base.id.as_str()) == receiver => {
                Some(format!("{}.{}", base.id, attribute.attr))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Calls that may receive `self` without doing anything to its threads now.
const SELF_SAFE_CALLS: &[&str] = &[
    "builtins.super",
    "builtins.isinstance",
    "builtins.id",
    "builtins.type",
    "builtins.getattr",
    "builtins.hasattr",
    "builtins.repr",
    "builtins.str",
    "weakref.ref",
    "weakref.proxy",
    "weakref.finalize",
    "atexit.register",
];

/// Identifiers that say a test is about the thread having started: `is_alive`, `ident`,
/// `native_id`, a `started`, `running` or `launched` flag.
fn says_started(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(lower.as_str(), "isalive" | "ident" | "native_id")
        || lower.split('_').any(|word| {
            matches!(
                word,
                "alive" | "ident" | "start" | "started" | "running" | "launched"
            )
        })
}

/// The names an expression mentions (names and attribute names), without `self` and literals.
pub fn names_in(expr: &Expr, receiver: Option<&str>, out: &mut Vec<String>) {
    struct Names<'o> {
        out: &'o mut Vec<String>,
        receiver: Option<String>,
    }
    impl<'e> crate::python::Visitor<'e> for Names<'_> {
        fn visit_expr(&mut self, expr: &'e Expr) {
            match expr {
                Expr::Name(name) => {
                    if Some(name.id.as_str()) != self.receiver.as_deref() {
                        self.out.push(name.id.to_string());
                    }
                }
                Expr::Attribute(attribute) => {
                    self.out.push(attribute.attr.to_string());
                    self.visit_expr(&attribute.value);
                }
                _ => crate::python::visitor::walk_expr(self, expr),
            }
        }
    }
    let mut names = Names {
        out,
        receiver: receiver.map(str::to_string),
    };
    crate::python::Visitor::visit_expr(&mut names, expr);
}

impl<'c, 'a> Flow<'c, 'a> {
    /// A walk of one function; `receiver` and `methods` for a method whose class's thread
    /// attributes are tracked (`attributes`: their names).
    pub fn new(
        checker: &'c Checker<'a>,
        body: &'a [Stmt],
        receiver: Option<&str>,
        attributes: &[String],
        methods: Option<&'c dyn Methods>,
    ) -> Self {
        let mut keys: Vec<String> = Vec::new();
        collect_local_keys(checker, body, &mut keys);
        // A name a nested function or lambda mentions may be started there, at any time.
        let mut captured = Vec::new();
        nested_names(body, &mut captured);
        keys.retain(|k| !captured.contains(k));
        if let Some(receiver) = receiver {
            keys.retain(|k| k != receiver);
            for attribute in attributes {
                let key = format!("{receiver}.{attribute}");
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        let n = keys.len();
        Flow {
            checker,
            keys,
            receiver: receiver.map(str::to_string),
            methods,
            out: Outcome {
                raises_unstarted: vec![None; n],
                ..Outcome::default()
            },
            tests: Vec::new(),
            caught: 0,
            sinks: Vec::new(),
            breaks: Vec::new(),
            continues: Vec::new(),
            returns: None,
            try_depth: 0,
            steps: 0,
        }
    }

    /// Walks `body` and returns what it found (nothing when no key is tracked).
    pub fn run(mut self, body: &'a [Stmt]) -> Outcome {
        if self.keys.is_empty() {
            return self.out;
        }
        let initial: Vec<Value> = self
            .keys
            .iter()
            .map(|k| Value::of(if k.contains('.') { ENTRY } else { OTHER }))
            .collect();
        let end = self.block(body, Some(initial));
        if self.steps > MAX_STEPS {
            return Outcome {
                raises_unstarted: vec![None; self.keys.len()],
                ..Outcome::default()
            };
        }
        let returns = self.returns.take();
        self.out.exit = union(end, &returns);
        self.out
    }

    fn key(&self, expr: &Expr) -> Option<usize> {
        let text = key_text(expr, self.receiver.as_deref())?;
        self.keys.iter().position(|k| *k == text)
    }

    fn is_receiver(&self, expr: &Expr) -> bool {
        matches!(expr, Expr::Name(n) if Some(n.id.as_str()) == self.receiver.as_deref())
    }

    fn block(&mut self, body: &'a [Stmt], mut state: State) -> State {
        let tests = self.tests.len();
        for stmt in body {
            if state.is_none() {
                break;
            }
            state = self.stmt(stmt, state);
            // `if not t.is_alive(): return` guards the rest of the block.
            if let Stmt::If(node) = stmt {
                if super::thread_started_twice::ends_in_exit(&node.body) {
                    self.tests.push(&node.test);
                }
            }
        }
        self.tests.truncate(tests);
        state
    }

    /// The statement may raise here: its state reaches the enclosing handlers.
    fn sink(&mut self, at: TextRange, state: &State) {
        let Some(values) = state else {
            return;
        };
        let mut values = values.clone();
        for value in &mut values {
            if value.has(CREATED) && value.why == Why::NoStart {
                value.why = Why::Raised { at };
            }
        }
        match self.sinks.last_mut() {
            Some(sink) => {
                let merged = union(sink.take(), &Some(values));
                *sink = merged;
            }
            None => {
                for (i, value) in values.iter().enumerate() {
                    if value.has(CREATED) && self.out.raises_unstarted[i].is_none() {
                        self.out.raises_unstarted[i] = Some(at);
                    }
                }
            }
        }
    }

    fn stmt(&mut self, stmt: &'a Stmt, state: State) -> State {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return None;
        }
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || self.statement(stmt, state))
    }

    fn statement(&mut self, stmt: &'a Stmt, state: State) -> State {
        let mut state = state;
        match stmt {
            Stmt::Assign(assign) => {
                if contains_call(&assign.value) {
                    self.sink(stmt.range(), &state);
                }
                self.scan(&assign.value, &mut state);
                let class = thread_class(self.checker, &assign.value);
                for target in &assign.targets {
                    self.bind(target, class.clone(), stmt.range(), &mut state);
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    if contains_call(value) {
                        self.sink(stmt.range(), &state);
                    }
                    self.scan(value, &mut state);
                    let class = thread_class(self.checker, value);
                    self.bind(&assign.target, class, stmt.range(), &mut state);
                }
            }
            Stmt::AugAssign(assign) => {
                if contains_call(&assign.value) {
                    self.sink(stmt.range(), &state);
                }
                self.scan(&assign.value, &mut state);
                self.bind(&assign.target, None, stmt.range(), &mut state);
            }
            Stmt::Delete(node) => {
                for target in &node.targets {
                    self.bind(target, None, stmt.range(), &mut state);
                }
            }
            Stmt::Expr(node) => {
                if let Expr::Call(call) = &*node.value {
                    if let Expr::Attribute(attribute) = &*call.func {
                        if let Some(key) = self.key(&attribute.value) {
                            match attribute.attr.as_str() {
                                "start" => {
                                    self.start(key, call.range(), &mut state);
                                    return state;
                                }
                                "join" => {
                                    self.join(key, call.range(), &mut state);
                                    return state;
                                }
                                "setDaemon" | "setName" => return state,
                                _ => {}
                            }
                        }
                    }
                }
                if contains_call(&node.value) {
                    self.sink(stmt.range(), &state);
                }
                self.note_registration(&node.value);
                self.scan(&node.value, &mut state);
            }
            Stmt::If(node) => {
                if contains_call(&node.test) {
                    self.sink(node.test.range(), &state);
                }
                self.scan_test(&node.test, &mut state);
                let mut branches: Vec<(Option<&'a Expr>, &'a [Stmt])> =
                    vec![(Some(&node.test), &node.body)];
                let mut has_else = false;
                for clause in &node.elif_else_clauses {
                    if let Some(test) = &clause.test {
                        self.scan_test(test, &mut state);
                    }
                    has_else |= clause.test.is_none();
                    branches.push((clause.test.as_ref(), &clause.body));
                }
                let header = TextRange::new(stmt.range().start(), node.test.range().end());
                return self.branches(&node.test, header, &branches, has_else, state);
            }
            Stmt::Match(node) => {
                self.scan(&node.subject, &mut state);
                let branches: Vec<(Option<&'a Expr>, &'a [Stmt])> = node
                    .cases
                    .iter()
                    .map(|case| (None, &case.body[..]))
                    .collect();
                let header = TextRange::new(stmt.range().start(), node.subject.range().end());
                return self.branches(&node.subject, header, &branches, false, state);
            }
            Stmt::While(node) => {
                if contains_call(&node.test) {
                    self.sink(node.test.range(), &state);
                }
                self.scan_test(&node.test, &mut state);
                let forever = matches!(&*node.test, Expr::BooleanLiteral(b) if b.value);
                let mut names = Vec::new();
                names_in(&node.test, self.receiver.as_deref(), &mut names);
                let after = self.looped(
                    Some(&node.test),
                    &node.body,
                    node.test.range(),
                    names,
                    forever,
                    state,
                );
                return self.block(&node.orelse, after);
            }
            Stmt::For(node) => {
                if contains_call(&node.iter) {
                    self.sink(node.iter.range(), &state);
                }
                self.scan(&node.iter, &mut state);
                self.bind(&node.target, None, node.target.range(), &mut state);
                let mut names = Vec::new();
                names_in(&node.iter, self.receiver.as_deref(), &mut names);
                let header = TextRange::new(node.range().start(), node.iter.range().end());
                let after = self.looped(None, &node.body, header, names, false, state);
                return self.block(&node.orelse, after);
            }
            Stmt::With(node) => {
                let mut suppresses = false;
                for item in &node.items {
                    if let Expr::Call(call) = &item.context_expr {
                        let name = self.checker.qualified_name(&call.func);
                        if name.as_deref() == Some("contextlib.suppress")
                            && call.arguments.args.iter().any(catches_runtime_error)
                        {
                            suppresses = true;
                        }
                    }
                    self.scan(&item.context_expr, &mut state);
                    if let Some(target) = &item.optional_vars {
                        self.bind(target, None, target.range(), &mut state);
                    }
                }
                self.caught += usize::from(suppresses);
                let state = self.block(&node.body, state);
                self.caught -= usize::from(suppresses);
                return state;
            }
            Stmt::Try(node) => return self.try_stmt(node, state),
            Stmt::Raise(node) => {
                if let Some(exc) = &node.exc {
                    self.scan(exc, &mut state);
                }
                self.sink(stmt.range(), &state);
                return None;
            }
            Stmt::Return(node) => {
                if let Some(value) = &node.value {
                    self.scan(value, &mut state);
                }
                let returns = self.returns.take();
                self.returns = union(returns, &state);
                return None;
            }
            Stmt::Break(_) => {
                if let Some(breaks) = self.breaks.last_mut() {
                    let merged = union(breaks.take(), &state);
                    *breaks = merged;
                }
                return None;
            }
            Stmt::Continue(_) => {
                if let Some(continues) = self.continues.last_mut() {
                    let merged = union(continues.take(), &state);
                    *continues = merged;
                }
                return None;
            }
            Stmt::FunctionDef(def) => {
                // A nested function that mentions a tracked object may start it later.
                let mut names = Vec::new();
                for stmt in &def.body {
                    stmt_names(stmt, &mut names);
                }
                self.forget_mentioned(&names, &mut state);
            }
            Stmt::ClassDef(def) => {
                let mut names = Vec::new();
                for stmt in &def.body {
                    stmt_names(stmt, &mut names);
                }
                self.forget_mentioned(&names, &mut state);
            }
            Stmt::Global(node) => {
                let names: Vec<String> = node.names.iter().map(|n| n.to_string()).collect();
                self.forget_mentioned(&names, &mut state);
            }
            Stmt::Nonlocal(node) => {
                let names: Vec<String> = node.names.iter().map(|n| n.to_string()).collect();
                self.forget_mentioned(&names, &mut state);
            }
            Stmt::Assert(node) => {
                self.scan(&node.test, &mut state);
                self.sink(stmt.range(), &state);
            }
            _ => {
                let mut names = Vec::new();
                stmt_names(stmt, &mut names);
                self.forget_mentioned(&names, &mut state);
            }
        }
        state
    }

    /// Exclusive branches (the `if` body, `elif`s, `else`; `match` cases). `test` is the `if`
    /// test (or the `match` subject): when some branch starts an object and another leaves it
    /// unstarted, that is why it may be unstarted after.
    fn branches(
        &mut self,
        test: &'a Expr,
        header: TextRange,
        branches: &[(Option<&'a Expr>, &'a [Stmt])],
        has_else: bool,
        state: State,
    ) -> State {
        let before = state.clone();
        let mut merged: State = if has_else { None } else { state.clone() };
        let mut outcomes = Vec::new();
        let depth = self.tests.len();
        for (branch_test, body) in branches {
            if let Some(t) = branch_test {
                self.tests.push(t);
            }
            let out = self.block(body, state.clone());
            outcomes.push(out.clone());
            merged = union(merged, &out);
        }
        self.tests.truncate(depth);
        let (Some(merged_values), Some(before)) = (merged.as_mut(), before.as_ref()) else {
            return merged;
        };
        let mut names = Vec::new();
        names_in(test, self.receiver.as_deref(), &mut names);
        for (i, value) in merged_values.iter_mut().enumerate() {
            let some_started = outcomes
                .iter()
                .flatten()
                .any(|o| o[i].has(STARTED) && !before[i].has(STARTED));
            if !(value.has(CREATED) && some_started) {
                continue;
            }
            // `if not t.is_alive(): t.start()`: the test is about the object itself.
            let key = &self.keys[i];
            let attr = key.rsplit('.').next().unwrap_or(key);
            if names.iter().any(|n| n == attr) {
                value.bits &= !CREATED;
                continue;
            }
            if value.why == Why::NoStart {
                value.why = Why::Branch {
                    test: header,
                    names: names.iter().filter(|n| *n != attr).cloned().collect(),
                };
            }
        }
        merged
    }

    /// A loop body that may run any number of times (at least once when `forever`).
    fn looped(
        &mut self,
        test: Option<&'a Expr>,
        body: &'a [Stmt],
        header: TextRange,
        names: Vec<String>,
        forever: bool,
        state: State,
    ) -> State {
        let depth = self.tests.len();
        if let Some(test) = test {
            self.tests.push(test);
        }
        self.breaks.push(None);
        self.continues.push(None);
        let first = self.block(body, state.clone());
        let continued = self.continues.last_mut().and_then(Option::take);
        let again = union(union(state.clone(), &first), &continued);
        let second = self.block(body, again.clone());
        let continued = self.continues.pop().flatten();
        let breaks = self.breaks.pop().flatten();
        self.tests.truncate(depth);
        let mut after = if forever {
            None
        } else {
            union(union(again, &second), &continued)
        };
        after = union(after, &breaks);
        if let (Some(values), Some(before)) = (after.as_mut(), state.as_ref()) {
            for (i, value) in values.iter_mut().enumerate() {
                if value.has(CREATED)
                    && value.has(STARTED)
                    && !before[i].has(STARTED)
                    && value.why == Why::NoStart
                {
                    value.why = Why::Loop {
                        header,
                        names: names.clone(),
                    };
                }
            }
        }
        after
    }

    fn try_stmt(&mut self, node: &'a ast::StmtTry, state: State) -> State {
        let handlers: Vec<&'a ast::ExceptHandlerExceptHandler> = node
            .handlers
            .iter()
            .map(|h| {
                let ast::ExceptHandler::ExceptHandler(h) = h;
                h
            })
            .collect();
        let catches_runtime = handlers
            .iter()
            .any(|h| h.type_.as_deref().is_none_or(catches_runtime_error));
        let catches_all = handlers.iter().any(|h| {
            h.type_
                .as_deref()
                .is_none_or(|t| catches_named(t, &["Exception", "BaseException"]))
        });
        self.sinks.push(None);
        self.caught += usize::from(catches_runtime);
        self.try_depth += 1;
        let body = self.block(&node.body, state);
        self.caught -= usize::from(catches_runtime);
        let raised = self.sinks.pop().flatten();
        let mut normal = self.block(&node.orelse, body);
        if raised.is_some() {
            for handler in &handlers {
                let out = self.block(&handler.body, raised.clone());
                normal = union(normal, &out);
            }
        }
        let escaping = if catches_all { None } else { raised };
        let after = if node.finalbody.is_empty() {
            normal
        } else {
            // The `finally` block runs on every path: judge its joins on all of them, go on
            // with the normal ones.
            let every = union(normal.clone(), &escaping);
            if normal.is_some() && every != normal && self.try_depth <= 8 {
                self.block(&node.finalbody, every);
                self.block(&node.finalbody, normal)
            } else {
                self.block(&node.finalbody, every)
            }
        };
        self.try_depth -= 1;
        if escaping.is_some() {
            // Still raising after the handlers: on to the enclosing ones.
            if let Some(sink) = self.sinks.last_mut() {
                let merged = union(sink.take(), &escaping);
                *sink = merged;
            } else if let Some(values) = &escaping {
                for (i, value) in values.iter().enumerate() {
                    if let (true, Why::Raised { at }) = (value.has(CREATED), &value.why) {
                        if self.out.raises_unstarted[i].is_none() {
                            self.out.raises_unstarted[i] = Some(*at);
                        }
                    }
                }
            }
        }
        after
    }

    fn bind(
        &mut self,
        target: &Expr,
        class: Option<ThreadClass>,
        at: TextRange,
        state: &mut State,
    ) {
        match target {
            Expr::Tuple(tuple) => {
                for element in &tuple.elts {
                    self.bind(element, None, at, state);
                }
                return;
            }
            Expr::List(list) => {
                for element in &list.elts {
                    self.bind(element, None, at, state);
                }
                return;
            }
            Expr::Starred(starred) => return self.bind(&starred.value, None, at, state),
            _ => {}
        }
        let Some(key) = self.key(target) else {
            return;
        };
        let Some(values) = state else {
            return;
        };
        values[key] = match class {
            Some(class) => {
                self.out.creations.push((key, at, class.clone()));
                Value {
                    bits: CREATED,
                    created_at: Some(at),
                    class: Some(class),
                    why: Why::NoStart,
                }
            }
            None => Value::of(OTHER),
        };
    }

    fn start(&mut self, key: usize, at: TextRange, state: &mut State) {
        let Some(values) = state else {
            return;
        };
        let waiting = values[key].has(CREATED);
        self.out.starts.push((key, at, waiting));
        values[key].start();
    }

    fn join(&mut self, key: usize, at: TextRange, state: &mut State) {
        let Some(values) = state else {
            return;
        };
        let guard = self.guard(key);
        self.out.joins.push(Join {
            key,
            range: at,
            value: values[key].clone(),
            guard,
        });
        // Past a join that did not raise, the object was started.
        values[key].start();
    }

    /// What guards a join of `key` here.
    fn guard(&self, key: usize) -> Guard {
        let mut guard = Guard {
            caught: self.caught > 0,
            ..Guard::default()
        };
        let own = self.keys[key].rsplit('.').next().unwrap_or_default();
        for test in &self.tests {
            let mut names = Vec::new();
            names_in(test, self.receiver.as_deref(), &mut names);
            guard.alive |= names.iter().any(|n| n != own && says_started(n));
            if guard.truthy.is_none() && self.tests_truthiness(test, key) {
                guard.truthy = Some(test.range());
            }
            guard.names.extend(names);
        }
        guard
    }

    /// Whether `test` tests the object `key` holds for truthiness or `None`.
    fn tests_truthiness(&self, test: &Expr, key: usize) -> bool {
        match test {
            Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::Not => {
                self.tests_truthiness(&unary.operand, key)
            }
            Expr::BoolOp(node) => node.values.iter().any(|v| self.tests_truthiness(v, key)),
            Expr::Compare(compare) => {
                self.key(&compare.left) == Some(key)
                    && compare
                        .comparators
                        .iter()
                        .all(|c| matches!(c, Expr::NoneLiteral(_)))
            }
            Expr::Call(call) => {
                // hasattr(self, "t") / getattr(self, "t", None)
                let name = self.checker.qualified_name(&call.func);
                matches!(
                    name.as_deref(),
                    Some("builtins.hasattr" | "builtins.getattr")
                ) && matches!(&*call.arguments.args,
                    [base, Expr::StringLiteral(attr), ..]
                        if self.is_receiver(base)
                            && self.keys[key] == format!("{}.{}", self.receiver.as_deref().unwrap_or(""), attr.value.to_str()))
            }
            other => self.key(other) == Some(key),
        }
    }

    /// Forgets the tracked objects `names` mention (as a name, or `self.<name>`).
    fn forget_mentioned(&mut self, names: &[String], state: &mut State) {
        let Some(values) = state else {
            return;
        };
        for (i, key) in self.keys.iter().enumerate() {
            let last = key.rsplit('.').next().unwrap_or(key);
            if names.iter().any(|n| n == last) {
                values[i] = Value::of(OTHER);
            }
        }
    }

    /// `atexit.register(...)` / `weakref.finalize(self, ...)` in a method.
    fn note_registration(&mut self, expr: &Expr) {
        let Expr::Call(call) = expr else {
            return;
        };
        let name = self.checker.qualified_name(&call.func);
        let (how, callable) = match name.as_deref() {
            Some("atexit.register") => ("atexit", call.arguments.args.first()),
            Some("weakref.finalize") => ("weakref.finalize", call.arguments.args.get(1)),
            _ => return,
        };
        let Some(callable) = callable else {
            return;
        };
        let callable = match callable {
            Expr::Call(inner)
                if self.checker.qualified_name(&inner.func).as_deref()
                    == Some("functools.partial") =>
            {
                match inner.arguments.args.first() {
                    Some(first) => first,
                    None => return,
                }
            }
            other => other,
        };
        let registration = match callable {
            Expr::Attribute(attribute) if self.is_receiver(&attribute.value) => Registration {
                range: call.range(),
                method: Some(attribute.attr.to_string()),
                function: None,
                how,
            },
            Expr::Name(function) => Registration {
                range: call.range(),
                method: None,
                function: Some(function.id.to_string()),
                how,
            },
            _ => return,
        };
        self.out.registrations.push(registration);
    }

    /// A condition: testing a tracked object (`if t:`, `if self.t is not None:`) keeps it here.
    fn scan_test(&mut self, expr: &'a Expr, state: &mut State) {
        match expr {
            _ if self.key(expr).is_some() => {}
            Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::Not => {
                self.scan_test(&unary.operand, state)
            }
            Expr::BoolOp(node) => {
                for value in &node.values {
                    self.scan_test(value, state);
                }
            }
            Expr::Compare(compare)
                if self.key(&compare.left).is_some()
                    && compare
                        .comparators
                        .iter()
                        .all(|c| matches!(c, Expr::NoneLiteral(_))) => {}
            other => self.scan(other, state),
        }
    }

    /// Follows an expression's uses of the tracked objects.
    fn scan(&mut self, expr: &'a Expr, state: &mut State) {
        if state.is_none() {
            return;
        }
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || self.scan_expr(expr, state));
    }

    fn scan_expr(&mut self, expr: &'a Expr, state: &mut State) {
        match expr {
            Expr::Call(call) => {
                let mut self_safe = false;
                match &*call.func {
                    Expr::Attribute(attribute) if self.key(&attribute.value).is_some() => {
                        let key = self.key(&attribute.value).unwrap_or_default();
                        if is_start_like(attribute.attr.as_str()) {
                            self.start(key, call.range(), state);
                        }
                    }
                    Expr::Attribute(attribute) if self.is_receiver(&attribute.value) => {
                        self.call_method(attribute.attr.as_str(), call.range(), state);
                    }
                    func => {
                        let name = self.checker.qualified_name(func);
                        self_safe = name.as_deref().is_some_and(|n| {
                            SELF_SAFE_CALLS.contains(&n) || n.starts_with("logging.")
                        });
                        self.scan(func, state);
                    }
                }
                for arg in call.arguments.args.iter() {
                    if self_safe && self.is_receiver(arg) {
                        continue;
                    }
                    self.scan(arg, state);
                }
                for keyword in call.arguments.keywords.iter() {
                    self.scan(&keyword.value, state);
                }
            }
            // `t.name`, `self.t.daemon`: reading an attribute of the object keeps it here; its
            // bound `start` handed on (`add_callback(t.start)`) may start it any time.
            Expr::Attribute(attribute) if self.key(&attribute.value).is_some() => {
                if is_start_like(attribute.attr.as_str()) {
                    let key = self.key(&attribute.value).unwrap_or_default();
                    if let Some(values) = state {
                        values[key] = Value::of(OTHER);
                    }
                }
            }
            Expr::Attribute(_) | Expr::Name(_) if self.key(expr).is_some() => {
                let key = self.key(expr).unwrap_or_default();
                if let Some(values) = state {
                    values[key] = Value::of(OTHER);
                }
            }
            Expr::Name(_) if self.is_receiver(expr) => {
                // `self` handed out: anything may start its threads.
                if let Some(values) = state {
                    for (i, key) in self.keys.iter().enumerate() {
                        if key.contains('.') {
                            values[i] = Value::of(OTHER);
                        }
                    }
                }
            }
            Expr::Attribute(attribute) if self.is_receiver(&attribute.value) => {}
            Expr::Lambda(lambda) => {
                let mut names = Vec::new();
                names_in(&lambda.body, None, &mut names);
                self.forget_mentioned(&names, state);
            }
            _ => {
                struct Children<'x, 'c, 'a> {
                    flow: &'x mut Flow<'c, 'a>,
                    state: &'x mut State,
                }
                impl<'a> crate::python::Visitor<'a> for Children<'_, '_, 'a> {
                    fn visit_expr(&mut self, expr: &'a Expr) {
                        self.flow.scan(expr, self.state);
                    }
                }
                let mut children = Children { flow: self, state };
                crate::python::visitor::walk_expr(&mut children, expr);
            }
        }
    }

    /// `self.<method>(...)`: what the class's method does to the tracked attributes.
    fn call_method(&mut self, method: &str, at: TextRange, state: &mut State) {
        let Some(values) = state else {
            return;
        };
        for (i, value) in values.iter().enumerate() {
            if value.has(CREATED) && self.keys[i].contains('.') {
                self.out
                    .unstarted_calls
                    .push((method.to_string(), i, at, value.clone()));
            }
        }
        let effect = self.methods.and_then(|m| m.effect(method));
        for (i, key) in self.keys.iter().enumerate() {
            let Some(attr) = key.split_once('.').map(|(_, a)| a) else {
                continue;
            };
            match effect {
                None => values[i] = Value::of(OTHER),
                Some(effect) if effect.starts.contains(attr) => values[i].start(),
                Some(effect) if effect.opaque || effect.touches.contains(attr) => {
                    values[i] = Value::of(OTHER)
                }
                Some(_) => {}
            }
        }
    }
}

/// Methods that may start the object they are called on.
fn is_start_like(method: &str) -> bool {
    method == "start"
        || method.starts_with("start_")
        || matches!(method, "restart" | "launch" | "spawn")
}

/// Names bound to a thread constructor in `body` (not in nested functions or classes).
fn collect_local_keys(checker: &Checker, body: &[Stmt], out: &mut Vec<String>) {
    for stmt in body {
        match stmt {
            Stmt::Assign(assign) => {
                if let [Expr::Name(name)] = &*assign.targets {
                    if thread_class(checker, &assign.value).is_some()
                        && !out.iter().any(|k| k == name.id.as_str())
                    {
                        out.push(name.id.to_string());
                    }
                }
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => crate::semantic::for_each_nested_body(stmt, |inner| {
                collect_local_keys(checker, inner, out)
            }),
        }
    }
}

/// The names that functions, classes and lambdas nested in `body` mention.
fn nested_names(body: &[Stmt], out: &mut Vec<String>) {
    struct Nested<'o> {
        out: &'o mut Vec<String>,
    }
    impl<'e> crate::python::Visitor<'e> for Nested<'_> {
        fn visit_stmt(&mut self, stmt: &'e Stmt) {
            match stmt {
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => stmt_names(stmt, self.out),
                _ => crate::python::visitor::walk_stmt(self, stmt),
            }
        }
        fn visit_expr(&mut self, expr: &'e Expr) {
            match expr {
                Expr::Lambda(lambda) => names_in(&lambda.body, None, self.out),
                _ => crate::python::visitor::walk_expr(self, expr),
            }
        }
    }
    let mut nested = Nested { out };
    for stmt in body {
        crate::python::Visitor::visit_stmt(&mut nested, stmt);
    }
}

/// Every name and attribute name a statement mentions.
pub fn stmt_names(stmt: &Stmt, out: &mut Vec<String>) {
    struct Names<'o> {
        out: &'o mut Vec<String>,
    }
    impl<'e> crate::python::Visitor<'e> for Names<'_> {
        fn visit_expr(&mut self, expr: &'e Expr) {
            match expr {
                Expr::Name(name) => self.out.push(name.id.to_string()),
                Expr::Attribute(attribute) => {
                    self.out.push(attribute.attr.to_string());
                    self.visit_expr(&attribute.value);
                }
                _ => crate::python::visitor::walk_expr(self, expr),
            }
        }
    }
    let mut names = Names { out };
    crate::python::Visitor::visit_stmt(&mut names, stmt);
}

/// Whether evaluating `expr` calls something (and so may raise).
fn contains_call(expr: &Expr) -> bool {
    struct Finder {
        found: bool,
    }
    impl<'e> crate::python::Visitor<'e> for Finder {
        fn visit_expr(&mut self, expr: &'e Expr) {
            if self.found {
                return;
            }
            match expr {
                Expr::Call(_) | Expr::Await(_) => self.found = true,
                Expr::Lambda(_) => {}
                _ => crate::python::visitor::walk_expr(self, expr),
            }
        }
    }
    let mut finder = Finder { found: false };
    crate::python::Visitor::visit_expr(&mut finder, expr);
    finder.found
}

/// Whether an `except` clause's type catches `RuntimeError`.
fn catches_runtime_error(expr: &Expr) -> bool {
    catches_named(expr, &["RuntimeError", "Exception", "BaseException"])
}

fn catches_named(expr: &Expr, names: &[&str]) -> bool {
    match expr {
        Expr::Tuple(tuple) => tuple.elts.iter().any(|e| catches_named(e, names)),
        Expr::Name(name) => names.contains(&name.id.as_str()),
        Expr::Attribute(attribute) => names.contains(&attribute.attr.as_str()),
        _ => false,
    }
}

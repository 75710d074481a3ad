//! Facts the thread-API project rules need beside each function's summary:
//! - its signature (SN111: can a thread's target accept the arguments the spawn passes?);
//! - the literal arguments each spawn hands its target (`Thread(target=f, args=(1, 2))`,
//!   `executor.submit(f, x)`), where they can be counted: a non-literal `args`, `*args` or
//!   `**kwargs` leaves the spawn out;
//! - the `.start()` calls it makes under a test of shared state (SN108's concurrent form:
//!   `if not self._started: self._thread.start(); self._started = True`), and the attributes
//!   holding a thread that it starts without creating them (a `start()` method that starts the
//!   one thread `__init__` made: calling it twice raises).
//!
//! Recorded by the summary builder as it walks each function; compact, no AST.

use super::builder::Builder;
use super::{AccessKind, Loc, SpawnKind};
use crate::python::ast::{self, Expr};
use crate::python::{Ranged, TextRange};

/// The standard pools and executors, whose methods' signatures are known.
const STANDARD_POOLS: &[&str] = &[
    "concurrent.futures.ThreadPoolExecutor",
    "concurrent.futures.ProcessPoolExecutor",
    "multiprocessing.Pool",
    "multiprocessing.pool.ThreadPool",
];

/// The thread-API facts of one function: its signature, and the rarer facts boxed (most
/// functions spawn and start nothing).
#[derive(Debug, Clone, Default)]
pub struct ThreadApiFacts {
    /// `None` for the module body.
    pub signature: Option<Signature>,
    pub more: Option<Box<StartFacts>>,
}

/// What a function spawns and starts.
#[derive(Debug, Clone, Default)]
pub struct StartFacts {
    pub spawn_args: Vec<SpawnArgs>,
    pub guarded_starts: Vec<GuardedStart>,
    /// Attributes of `self` holding a thread (or process) that this function starts without
    /// assigning them first (with the start): each call starts the same object again.
    pub starts_attrs: Vec<(String, TextRange)>,
}

impl ThreadApiFacts {
    pub fn spawn_args(&self) -> &[SpawnArgs] {
        self.more.as_ref().map_or(&[], |m| &m.spawn_args)
    }

    pub fn guarded_starts(&self) -> &[GuardedStart] {
        self.more.as_ref().map_or(&[], |m| &m.guarded_starts)
    }

    pub fn starts_attrs(&self) -> &[(String, TextRange)] {
        self.more.as_ref().map_or(&[], |m| &m.starts_attrs)
    }

    fn more(&mut self) -> &mut StartFacts {
        self.more.get_or_insert_with(Box::default)
    }
}

/// What arguments a function accepts. The names of the positional parameters are the first
/// `positional` of [`super::FunctionSummary::params`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signature {
    /// How many positional parameters (positional-only first; `self` included for methods).
    pub positional: u16,
    /// How many of them are positional-only.
    pub positional_only: u16,
    /// How many trailing positional parameters have a default.
    pub defaults: u16,
    /// `*args`.
    pub varargs: bool,
    /// `**kwargs`.
    pub varkw: bool,
    /// Keyword-only parameters, each with whether it has a default.
    pub keyword_only: Box<[(String, bool)]>,
}

/// Why a call cannot bind a signature: what Python's `TypeError` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// More positional arguments than positional parameters (counting what the caller passes,
    /// the implicit receiver left out).
    TooMany { takes: usize, given: usize },
    /// Required parameters nobody passes.
    Missing(Vec<String>),
    /// A keyword no parameter has.
    Unexpected(String),
    /// A keyword that names a parameter already passed by position.
    Twice(String),
}

impl Signature {
    pub fn of(parameters: &ast::Parameters) -> Self {
        let count = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        let defaults = parameters
            .posonlyargs
            .iter()
            .chain(&parameters.args)
            .filter(|p| p.default.is_some())
            .count();
        Signature {
            positional: count(parameters.posonlyargs.len() + parameters.args.len()),
            positional_only: count(parameters.posonlyargs.len()),
            defaults: count(defaults),
            varargs: parameters.vararg.is_some(),
            varkw: parameters.kwarg.is_some(),
            keyword_only: parameters
                .kwonlyargs
                .iter()
                .map(|p| (p.parameter.name.to_string(), p.default.is_some()))
                .collect(),
        }
    }

    /// The positional parameters' names among the function's parameter `names`.
    fn positional_names<'n>(&self, names: &'n [String]) -> &'n [String] {
        &names[..usize::from(self.positional).min(names.len())]
    }

    /// Whether a call passing `positional` arguments and the `keywords` binds this signature
    /// (whose parameters are `names`); `bound`: the receiver is passed implicitly, before the
    /// positional arguments.
    pub fn bind(
        &self,
        names: &[String],
        positional: usize,
        keywords: &[String],
        bound: bool,
    ) -> Result<(), Mismatch> {
        let all = self.positional_names(names);
        let skip = usize::from(bound);
        if skip > all.len() {
            // `def m(*args)` as a method: the receiver goes into `*args`.
            return Ok(());
        }
        let params = &all[skip..];
        let positional_only = usize::from(self.positional_only);
        let defaults = usize::from(self.defaults);
        if positional > params.len() && !self.varargs {
            return Err(Mismatch::TooMany {
                takes: params.len(),
                given: positional,
            });
        }
        let by_position = positional.min(params.len());
        let own_positional_only = positional_only.saturating_sub(skip);
        for keyword in keywords {
            if let Some(index) = params.iter().position(|p| p == keyword) {
                if index < own_positional_only {
                    // A positional-only name goes to `**kwargs`, or nowhere.
                    if !self.varkw {
                        return Err(Mismatch::Unexpected(keyword.clone()));
                    }
                } else if index < by_position {
                    return Err(Mismatch::Twice(keyword.clone()));
                }
            } else if !self.keyword_only.iter().any(|(k, _)| k == keyword) && !self.varkw {
                return Err(Mismatch::Unexpected(keyword.clone()));
            }
        }
        let required = all.len().saturating_sub(defaults);
        let mut missing: Vec<String> = params
            .iter()
            .enumerate()
            .skip(by_position)
            .filter(|(i, name)| {
                i + skip < required && (i + skip < positional_only || !keywords.contains(name))
            })
            .map(|(_, name)| name.clone())
            .collect();
        missing.extend(
            self.keyword_only
                .iter()
                .filter(|(name, has_default)| !has_default && !keywords.contains(name))
                .map(|(name, _)| name.clone()),
        );
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Mismatch::Missing(missing))
        }
    }

    /// `f(a, b=..., *args, c, **kwargs)` without the receiver when `bound`, for messages.
    pub fn display(&self, names: &[String], name: &str, bound: bool) -> String {
        let all = self.positional_names(names);
        let skip = usize::from(bound).min(all.len());
        let required = all.len().saturating_sub(usize::from(self.defaults));
        let mut parts: Vec<String> = Vec::new();
        for (i, param) in all.iter().enumerate().skip(skip) {
            parts.push(if i >= required {
                format!("{param}=...")
            } else {
                param.clone()
            });
            if i + 1 == usize::from(self.positional_only) {
                parts.push("/".to_string());
            }
        }
        if self.varargs {
            parts.push("*args".to_string());
        } else if !self.keyword_only.is_empty() {
            parts.push("*".to_string());
        }
        for (param, has_default) in self.keyword_only.iter() {
            parts.push(if *has_default {
                format!("{param}=...")
            } else {
                param.clone()
            });
        }
        if self.varkw {
            parts.push("**kwargs".to_string());
        }
        format!("{name}({})", parts.join(", "))
    }
}

/// The arguments a spawn passes its target, counted from literals.
#[derive(Debug, Clone)]
pub struct SpawnArgs {
    /// The spawn's range (as in [`super::Spawn::range`]).
    pub spawn: TextRange,
    /// Positional arguments the target is called with (a `functools.partial` target's own
    /// included).
    pub positional: usize,
    /// Keyword arguments the target is called with.
    pub keywords: Vec<String>,
    /// Where the arguments are written (`args=(...)`, or the call), for the message.
    pub at: TextRange,
    /// The target expression, for the message.
    pub target: TextRange,
}

/// A `.start()` made inside a block that tests shared state.
#[derive(Debug, Clone)]
pub struct GuardedStart {
    /// The start call.
    pub start: TextRange,
    /// The tests in force (their ranges, as in [`super::CheckAct::check`]).
    pub tests: Vec<TextRange>,
    pub object: StartedObject,
}

/// What a guarded `.start()` starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartedObject {
    /// `self.start()`: the object itself (a thread subclass, or a class whose `start` starts its
    /// thread).
    Own,
    /// `self.<attr>.start()` on an attribute holding an object of `class`, not assigned in the
    /// block before the start.
    Attr { name: String, class: String },
}

impl Builder<'_> {
    /// Records what the thread-API rules need of `call`: the arguments of the spawn it is (the
    /// spawn recorders ran first), and whether it starts a thread under a test of shared state.
    pub(super) fn note_thread_api_call(&mut self, call: &ast::ExprCall) {
        let range = call.range();
        let spawned = self
            .summary()
            .spawns
            .iter()
            .rev()
            .find(|s| s.range == range)
            .map(|s| s.kind);
        if let Some(kind) = spawned {
            if let Some(mut args) = self.spawn_args(call, kind) {
                args.spawn = range;
                self.summary().thread_api.more().spawn_args.push(args);
            }
        }
        if let Expr::Attribute(attribute) = &*call.func {
            if attribute.attr.as_str() == "start" && call.arguments.is_empty() {
                self.note_start(range, &attribute.value);
            }
        }
    }

    /// The arguments a spawn of `kind` made by `call` passes its target.
    fn spawn_args(&self, call: &ast::ExprCall, kind: SpawnKind) -> Option<SpawnArgs> {
        let args = &call.arguments;
        let keyword = |name: &str| {
            args.keywords
                .iter()
                .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
                .map(|k| &k.value)
        };
        if args.keywords.iter().any(|k| k.arg.is_none())
            || args.args.iter().any(|a| matches!(a, Expr::Starred(_)))
        {
            return None;
        }
        let (method, receiver) = match &*call.func {
            Expr::Attribute(attribute) => (attribute.attr.as_str(), Some(&*attribute.value)),
            _ => ("", None),
        };
        // A pool found by its name only may be a project class with a `submit` of its own.
        if matches!(kind, SpawnKind::ThreadPool | SpawnKind::ProcessPool) {
            let known = receiver
                .and_then(|r| self.type_of(r))
                .is_some_and(|ty| STANDARD_POOLS.contains(&ty.as_str()));
            if !known {
                return None;
            }
        }
        // (target, positional arguments, keyword arguments)
        let (target, tuple, mapping): (&Expr, Option<&Expr>, Option<&Expr>) = match kind {
            SpawnKind::Thread | SpawnKind::Process => (
                keyword("target").or(args.args.get(1))?,
                keyword("args").or(args.args.get(3)),
                keyword("kwargs").or(args.args.get(4)),
            ),
            SpawnKind::Timer => (
                args.args.get(1).or(keyword("function"))?,
                keyword("args").or(args.args.get(2)),
                keyword("kwargs").or(args.args.get(3)),
            ),
            SpawnKind::StartNewThread => (args.args.first()?, args.args.get(1), args.args.get(2)),
            SpawnKind::ThreadPool | SpawnKind::ProcessPool
                if matches!(method, "apply" | "apply_async") =>
            {
                (
                    args.args.first()?,
                    args.args.get(1).or(keyword("args")),
                    args.args.get(2).or(keyword("kwds")),
                )
            }
            SpawnKind::ThreadPool | SpawnKind::ProcessPool | SpawnKind::ToThread
                if method == "submit" || kind == SpawnKind::ToThread =>
            {
                let target = args.args.first()?;
                let keywords = args
                    .keywords
                    .iter()
                    .filter_map(|k| k.arg.as_ref().map(|a| a.to_string()))
                    .collect();
                return self.with_partial(target, args.args.len() - 1, keywords, call.range());
            }
            SpawnKind::RunInExecutor => {
                let target = args.args.get(1)?;
                if !args.keywords.is_empty() {
                    return None;
                }
                return self.with_partial(target, args.args.len() - 2, Vec::new(), call.range());
            }
            SpawnKind::DoneCallback => {
                return self.with_partial(args.args.first()?, 1, Vec::new(), call.range());
            }
            _ => return None,
        };
        let positional = match tuple {
            None | Some(Expr::NoneLiteral(_)) => 0,
            Some(Expr::Tuple(tuple)) if !tuple.elts.iter().any(|e| e.is_starred_expr()) => {
                tuple.elts.len()
            }
            Some(Expr::List(list)) if !list.elts.iter().any(|e| e.is_starred_expr()) => {
                list.elts.len()
            }
            _ => return None,
        };
        let keywords = match mapping {
            None | Some(Expr::NoneLiteral(_)) => Vec::new(),
            Some(Expr::Dict(dict)) => {
                let mut names = Vec::new();
                for item in dict.items.iter() {
                    match &item.key {
                        Some(Expr::StringLiteral(key)) => names.push(key.value.to_string()),
                        _ => return None,
                    }
                }
                names
            }
            Some(Expr::Call(inner))
                if matches!(&*inner.func, Expr::Name(n) if n.id.as_str() == "dict")
                    && inner.arguments.args.is_empty()
                    && inner.arguments.keywords.iter().all(|k| k.arg.is_some()) =>
            {
                inner
                    .arguments
                    .keywords
                    .iter()
                    .filter_map(|k| k.arg.as_ref().map(|a| a.to_string()))
                    .collect()
            }
            _ => return None,
        };
        let at = tuple.or(mapping).map_or(call.range(), Ranged::range);
        self.with_partial(target, positional, keywords, at)
    }

    /// The arguments the function behind `target` gets: a `functools.partial(f, ...)` target
    /// adds its own.
    fn with_partial(
        &self,
        target: &Expr,
        mut positional: usize,
        mut keywords: Vec<String>,
        at: TextRange,
    ) -> Option<SpawnArgs> {
        let mut function = target;
        if let Expr::Call(call) = target {
            let name = self
                .semantic
                .qualified_name(&self.frame().scopes, &call.func);
            if name.as_deref() != Some("functools.partial") {
                return None;
            }
            let inner = &call.arguments;
            if inner.keywords.iter().any(|k| k.arg.is_none())
                || inner.args.iter().any(|a| a.is_starred_expr())
            {
                return None;
            }
            function = inner.args.first()?;
            // A partial's keywords can be overridden by the call's: only the names matter.
            positional += inner.args.len() - 1;
            for k in inner.keywords.iter() {
                if let Some(arg) = &k.arg {
                    if !keywords.iter().any(|n| n == arg.as_str()) {
                        keywords.push(arg.to_string());
                    }
                }
            }
        }
        if !matches!(
            function,
            Expr::Name(_) | Expr::Attribute(_) | Expr::Lambda(_)
        ) {
            return None;
        }
        Some(SpawnArgs {
            spawn: TextRange::default(),
            positional,
            keywords,
            at,
            target: target.range(),
        })
    }

    /// `object.start()`: a start under a test of shared state, or a start of a thread an
    /// attribute holds.
    fn note_start(&mut self, start: TextRange, object: &Expr) {
        let started = if self.is_receiver(object) {
            Some(StartedObject::Own)
        } else if let Expr::Attribute(attribute) = object {
            let class = self.frame().class.clone();
            match (self.is_receiver(&attribute.value), class) {
                (true, Some(class)) => {
                    self.attr_type(&class, attribute.attr.as_str())
                        .map(|ty| StartedObject::Attr {
                            name: attribute.attr.to_string(),
                            class: ty,
                        })
                }
                _ => None,
            }
        } else {
            None
        };
        let Some(started) = started else {
            return;
        };
        let tests: Vec<TextRange> = {
            let mut tests: Vec<TextRange> = self.frame().checks.iter().map(|c| c.range).collect();
            tests.dedup();
            tests
        };
        if let StartedObject::Attr { name, class } = &started {
            // A thread this function created itself is a new object each call.
            let since = self.frame_start();
            if self.assigns_attr_between(name, since, start) {
                return;
            }
            if crate::semantic::standard_thread_or_process_class(class).is_some()
                || self
                    .semantic
                    .class_by_qualname(class)
                    .is_some_and(|_| self.semantic.is_thread_or_process_class(class))
            {
                let name = name.clone();
                let facts = self.summary().thread_api.more();
                if !facts.starts_attrs.iter().any(|(n, _)| *n == name) {
                    facts.starts_attrs.push((name, start));
                }
            }
        }
        if tests.is_empty() {
            return;
        }
        self.summary()
            .thread_api
            .more()
            .guarded_starts
            .push(GuardedStart {
                start,
                tests,
                object: started,
            });
    }

    /// Where the function being summarized starts.
    fn frame_start(&self) -> u32 {
        let index = self.frame().index;
        self.functions[index].range.start().to_u32()
    }

    /// Whether this function writes `self.<name>` between `from` and `start`.
    fn assigns_attr_between(&self, name: &str, from: u32, start: TextRange) -> bool {
        let index = self.frame().index;
        let class = self.frame().class.as_deref();
        self.functions[index].accesses.iter().any(|access| {
            access.kind == AccessKind::Write
                && access.range.start().to_u32() >= from
                && access.range.start() < start.start()
                && matches!(&access.loc, Loc::Attr { class: c, name: n }
                    if n == name && Some(c.as_str()) == class)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature(source: &str) -> (Signature, Vec<String>) {
        let parsed = crate::python::parse_module(source, None);
        let Some(ast::Stmt::FunctionDef(def)) = parsed.module.body.first() else {
            panic!("a function");
        };
        let names = def
            .parameters
            .iter()
            .map(|p| p.name().to_string())
            .collect();
        (Signature::of(&def.parameters), names)
    }

    fn kw(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn binding_follows_python() {
        let (f, names) = signature("def f(self, data, flag=False, *, mode, level=1): pass\n");
        let bind = |p, k: &[&str], b| f.bind(&names, p, &kw(k), b);
        let missing = |n: &[&str]| Err(Mismatch::Missing(kw(n)));
        assert_eq!(bind(0, &["mode"], true), missing(&["data"]));
        assert_eq!(bind(1, &["mode"], true), Ok(()));
        assert_eq!(bind(0, &["data", "mode"], true), Ok(()));
        assert_eq!(bind(1, &[], true), missing(&["mode"]));
        assert_eq!(
            bind(3, &["mode"], true),
            Err(Mismatch::TooMany { takes: 2, given: 3 })
        );
        assert_eq!(
            bind(1, &["data", "mode"], true),
            Err(Mismatch::Twice("data".to_string()))
        );
        assert_eq!(
            bind(1, &["mode", "colour"], true),
            Err(Mismatch::Unexpected("colour".to_string()))
        );
        // Unbound, `self` is an ordinary parameter.
        assert_eq!(bind(2, &["mode"], false), Ok(()));
        assert_eq!(
            f.display(&names, "f", true),
            "f(data, flag=..., *, mode, level=...)"
        );
        let (g, g_names) = signature("def g(a, /, b, *args, **kwargs): pass\n");
        assert_eq!(g.bind(&g_names, 5, &kw(&["x"]), false), Ok(()));
        assert_eq!(
            g.bind(&g_names, 0, &kw(&["a", "b"]), false),
            Err(Mismatch::Missing(kw(&["a"])))
        );
        assert_eq!(
            g.display(&g_names, "g", false),
            "g(a, /, b, *args, **kwargs)"
        );
    }
}

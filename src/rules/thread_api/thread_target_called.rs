//! SN101 `thread-target-called`.
//!
//! ## What it does
//! Finds a thread, process, timer, executor or pool given the result of calling the function it
//! should run: `Thread(target=work(x))`, `executor.submit(work(x))`, `pool.map(work(x), items)`,
//! `loop.run_in_executor(None, work(x))`, `asyncio.to_thread(work(x))`.
//!
//! ## Why is this bad?
//! `work(x)` runs right there, in the calling thread, and blocks it; the thread then gets
//! `work`'s return value (usually `None`) as its target and fails or does nothing.
//!
//! ## Example
//! ```python
//! Thread(target=work(item)).start()
//! ```
//!
//! Use instead:
//! ```python
//! Thread(target=work, args=(item,)).start()
//! ```

use crate::checker::Checker;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::python::ast::{self, Expr};
use crate::python::{Ranged, TextRange};
use crate::rules::Rule;

use super::keyword;

/// Builtins whose result is never callable.
const NON_CALLABLE_BUILTINS: &[&str] = &[
    "builtins.print",
    "builtins.len",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.list",
    "builtins.dict",
    "builtins.set",
    "builtins.tuple",
    "builtins.sorted",
    "builtins.sum",
    "builtins.repr",
    "builtins.open",
];

/// Executor and pool types, and the methods whose first argument is the callable.
const POOL_METHODS: &[(&str, &[&str])] = &[
    ("concurrent.futures.ThreadPoolExecutor", &["submit", "map"]),
    ("concurrent.futures.ProcessPoolExecutor", &["submit", "map"]),
    ("concurrent.futures.Executor", &["submit", "map"]),
    (
        "multiprocessing.Pool",
        &[
            "apply",
            "apply_async",
            "map",
            "map_async",
            "imap",
            "imap_unordered",
            "starmap",
            "starmap_async",
        ],
    ),
    (
        "multiprocessing.pool.ThreadPool",
        &[
            "apply",
            "apply_async",
            "map",
            "map_async",
            "imap",
            "imap_unordered",
            "starmap",
            "starmap_async",
        ],
    ),
];

pub fn check(checker: &mut Checker, call: &ast::ExprCall, qualified: Option<&str>) {
    if !checker.enabled(Rule::ThreadTargetCalled) {
        return;
    }
    let args = &call.arguments.args;
    let (callable, what) = match qualified {
        Some("threading.Thread" | "multiprocessing.Process") => {
            match keyword(call, "target").map(|k| &k.value).or(args.get(1)) {
                Some(target) => (target, "target"),
                None => return,
            }
        }
        Some("threading.Timer") => {
            match args.get(1).or(keyword(call, "function").map(|k| &k.value)) {
                Some(function) => (function, "function"),
                None => return,
            }
        }
        Some("_thread.start_new_thread" | "asyncio.to_thread") => match args.first() {
            Some(function) => (function, "function"),
            None => return,
        },
        _ => {
            let Expr::Attribute(attribute) = &*call.func else {
                return;
            };
            let method = attribute.attr.as_str();
            if method == "run_in_executor" {
                match args.get(1) {
                    Some(function) => (function, "function"),
                    None => return,
                }
            } else {
                let Some(receiver) = checker.type_of(&attribute.value) else {
                    return;
                };
                let known = POOL_METHODS
                    .iter()
                    .any(|(ty, methods)| *ty == receiver && methods.contains(&method));
                match (known, args.first()) {
                    (true, Some(function)) => (function, "function"),
                    _ => return,
                }
            }
        }
    };
    let Expr::Call(inner) = callable else {
        return;
    };
    if !runs_a_non_factory(checker, inner) {
        return;
    }
    let called = checker.text(inner);
    let function = checker.text(&*inner.func);
    let mut diagnostic = Diagnostic::new(
        Rule::ThreadTargetCalled,
        checker.span(inner.range()),
        format!(
            "`{called}` runs here, in the calling thread, and only its return value is passed on as the {what}"
        ),
    )
    .with_help(format!(
        "Pass the function itself and its arguments separately, e.g. `target={function}, args=(...)`, `submit({function}, ...)`."
    ));
    if let Some(fix) = fix(checker, call, inner) {
        diagnostic = diagnostic.with_fix(fix);
    }
    checker.report(diagnostic);
}

/// Whether `inner` calls a function of this file that returns nothing callable: a call of an
/// unknown function (maybe a factory) or of a class is given the benefit of the doubt.
fn runs_a_non_factory(checker: &Checker, inner: &ast::ExprCall) -> bool {
    let qualname = match &*inner.func {
        Expr::Attribute(attribute) => match &*attribute.value {
            Expr::Name(base) if base.id.as_str() == "self" => {
                let Some(class) = checker.classes.last() else {
                    return false;
                };
                let Some(info) = checker.semantic.class_of_def(class) else {
                    return false;
                };
                format!("{}.{}", info.qualname, attribute.attr)
            }
            _ => return false,
        },
        Expr::Name(_) => {
            if let Some(&is_factory) = checker.local_factories.get(checker.text(&*inner.func)) {
                return !is_factory;
            }
            match checker.qualified_name(&inner.func) {
                Some(q) if NON_CALLABLE_BUILTINS.contains(&q.as_str()) => return true,
                Some(q) => q,
                None => return false,
            }
        }
        _ => return false,
    };
    checker.semantic.returns_callable(&qualname) == Some(false)
}

/// `target=f(x, y)` → `target=f, args=(x, y)`, for Thread/Process keywords without `args=`.
fn fix(checker: &Checker, call: &ast::ExprCall, inner: &ast::ExprCall) -> Option<Fix> {
    let target = keyword(call, "target")?;
    if keyword(call, "args").is_some()
        || !inner.arguments.keywords.is_empty()
        || inner
            .arguments
            .args
            .iter()
            .any(|a| matches!(a, Expr::Starred(_)))
    {
        return None;
    }
    let function = checker.text(&*inner.func);
    // `f(x for x in y)` is the one call whose argument's parentheses belong to the call: in a
    // tuple the generator needs its own.
    let args: Vec<String> = inner
        .arguments
        .args
        .iter()
        .map(|a| match a {
            Expr::Generator(generator) if !generator.parenthesized => {
                format!("({})", checker.text(a))
            }
            _ => checker.text(a).to_string(),
        })
        .collect();
    let tuple = match args.len() {
        0 => String::new(),
        1 => format!(", args=({},)", args[0]),
        _ => format!(", args=({})", args.join(", ")),
    };
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: format!("Pass `{function}` as the target and its arguments as `args`"),
        edits: vec![Edit {
            range: TextRange::new(target.start(), target.end()),
            content: format!("target={function}{tuple}"),
        }],
    })
}

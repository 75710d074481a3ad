//! SN102 `thread-args-not-tuple`.
//!
//! ## What it does
//! Finds `args=` given something other than a sequence of arguments — `args=(x)` (parentheses but
//! no comma), a string, a set or a dict — and `kwargs=` given something other than a mapping, in
//! `Thread`, `Process` and `Timer`.
//!
//! ## Why is this bad?
//! `args` is unpacked into the target's parameters: `(url)` is just `url`, so a string is spread
//! into one argument per character and anything else raises `TypeError` in the new thread, where
//! nobody sees it. A set has no order, so the arguments arrive shuffled.
//!
//! ## Example
//! ```python
//! Thread(target=fetch, args=(url)).start()
//! ```
//!
//! Use instead:
//! ```python
//! Thread(target=fetch, args=(url,)).start()
//! ```

use super::{keyword, short, Constructor};
use crate::checker::Checker;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::python::ast::{self, Expr};
use crate::python::Ranged;
use crate::rules::Rule;

pub fn check(checker: &mut Checker, call: &ast::ExprCall, constructor: Constructor) {
    if !checker.enabled(Rule::ThreadArgsNotTuple) {
        return;
    }
    let (args_index, kwargs_index, name) = match constructor {
        Constructor::ThreadOrProcess(base) => (3, 4, short(base)),
        Constructor::Timer => (2, 3, "Timer"),
    };
    let positional = &call.arguments.args;
    let args = keyword(call, "args")
        .map(|k| &k.value)
        .or(positional.get(args_index));
    let kwargs = keyword(call, "kwargs")
        .map(|k| &k.value)
        .or(positional.get(kwargs_index));
    if let Some(args) = args {
        check_args(checker, args, name);
    }
    if let Some(kwargs) = kwargs {
        check_kwargs(checker, kwargs, name);
    }
}

fn check_args(checker: &mut Checker, args: &Expr, name: &str) {
    let text = checker.text(args);
    let problem = match args {
        Expr::StringLiteral(_) | Expr::BytesLiteral(_) | Expr::FString(_) => {
            Some("a string, so each character becomes a separate argument")
        }
        Expr::Set(_) | Expr::SetComp(_) => Some("a set, so the arguments arrive in no fixed order"),
        Expr::Dict(_) | Expr::DictComp(_) => {
            Some("a dict, so the target gets its keys as arguments (use `kwargs=` for keyword arguments)")
        }
        // `(x)` is `x`: the parentheses make no tuple. Calls may well return a tuple.
        Expr::Name(_) | Expr::Attribute(_) | Expr::Subscript(_) | Expr::NumberLiteral(_)
            if is_parenthesized(checker, args) =>
        {
            Some("not a tuple: `(x)` is just `x`, a one-element tuple needs a trailing comma")
        }
        Expr::NumberLiteral(_) | Expr::BooleanLiteral(_) => {
            Some("not a sequence: the thread fails with TypeError when it unpacks it")
        }
        _ => None,
    };
    let Some(problem) = problem else {
        return;
    };
    let shown = if is_parenthesized(checker, args) {
        format!("({text})")
    } else {
        text.to_string()
    };
    let mut diagnostic = Diagnostic::new(
        Rule::ThreadArgsNotTuple,
        checker.span(args.range()),
        format!("`args={shown}` passed to `{name}` is {problem}"),
    )
    .with_help(
        "Pass the arguments as a tuple: `args=(x,)` for one argument, `args=(x, y)` for two.",
    );
    if is_parenthesized(checker, args) {
        let inner = text.to_string();
        diagnostic = diagnostic.with_fix(Fix {
            applicability: Applicability::Safe,
            message: "Add the trailing comma that makes a one-element tuple".to_string(),
            edits: vec![Edit {
                range: args.range(),
                content: format!("{inner},"),
            }],
        });
    }
    checker.report(diagnostic);
}

fn check_kwargs(checker: &mut Checker, kwargs: &Expr, name: &str) {
    let is_mapping = !matches!(
        kwargs,
        Expr::List(_)
            | Expr::Tuple(_)
            | Expr::Set(_)
            | Expr::ListComp(_)
            | Expr::SetComp(_)
            | Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::FString(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
    );
    if is_mapping {
        return;
    }
    let text = checker.text(kwargs);
    checker.report(
        Diagnostic::new(
            Rule::ThreadArgsNotTuple,
            checker.span(kwargs.range()),
            format!("`kwargs={text}` passed to `{name}` is not a mapping of keyword arguments"),
        )
        .with_help("Pass keyword arguments as a dict: `kwargs={\"timeout\": 5}`; positional ones go in `args=(...)`."),
    );
}

/// Whether `expr` is written inside its own parentheses (`(x)`), which the AST does not keep.
fn is_parenthesized(checker: &Checker, expr: &Expr) -> bool {
    let before = &checker.source[..expr.start().to_usize()];
    let after = &checker.source[expr.end().to_usize()..];
    before.trim_end().ends_with('(')
        && after.trim_start().starts_with(')')
        && !before
            .trim_end()
            .trim_end_matches('(')
            .trim_end()
            .ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ')' || c == ']')
}

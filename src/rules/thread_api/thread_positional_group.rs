//! SN106 `thread-positional-group`.
//!
//! ## What it does
//! Finds `Thread(work)` / `Process(work)`: the function passed as the first positional argument.
//!
//! ## Why is this bad?
//! The first parameter of `Thread` and `Process` is `group` (reserved, must be `None`), not
//! `target`: the call raises `AssertionError: group argument must be None for now`.
//!
//! ## Example
//! ```python
//! Thread(work).start()
//! ```
//!
//! Use instead:
//! ```python
//! Thread(target=work).start()
//! ```

use super::{keyword, short, Constructor};
use crate::checker::Checker;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::python::ast::{self, Expr};
use crate::python::{Ranged, TextRange};
use crate::rules::Rule;

pub fn check(checker: &mut Checker, call: &ast::ExprCall, constructor: Constructor) {
    if !checker.enabled(Rule::ThreadPositionalGroup) {
        return;
    }
    let Constructor::ThreadOrProcess(base) = constructor else {
        return;
    };
    let Some(first) = call.arguments.args.first() else {
        return;
    };
    if matches!(first, Expr::NoneLiteral(_) | Expr::Starred(_)) {
        return;
    }
    let text = checker.text(first);
    let name = short(base);
    let mut diagnostic = Diagnostic::new(
        Rule::ThreadPositionalGroup,
        checker.span(first.range()),
        format!(
            "`{text}` is passed as `{name}`'s first positional parameter, which is `group`, not `target`: the call raises AssertionError"
        ),
    )
    .with_help(format!("Pass the function by keyword: `{name}(target={text})`."));
    if call.arguments.args.len() == 1 && keyword(call, "target").is_none() {
        diagnostic = diagnostic.with_fix(Fix {
            applicability: Applicability::Safe,
            message: format!("Pass `{text}` as `target=`"),
            edits: vec![Edit {
                range: TextRange::empty(first.start()),
                content: "target=".to_string(),
            }],
        });
    }
    checker.report(diagnostic);
}

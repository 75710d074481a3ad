//! SN1xx: thread and process API misuse, checked on each file's AST by the [`Checker`].
//!
//! The checker calls these dispatch functions at each node; each calls the rules that look at that
//! kind of node. One file per rule.

use crate::checker::Checker;
use crate::python::ast::{self, Stmt};

/// At every class definition, before its body is walked.
pub fn on_class_def(_checker: &mut Checker, _def: &ast::StmtClassDef) {}

/// At every function definition, before its body is walked.
pub fn on_function_def(_checker: &mut Checker, _def: &ast::StmtFunctionDef) {}

/// At every statement other than class and function definitions.
pub fn on_stmt(_checker: &mut Checker, _stmt: &Stmt) {}

/// At every call expression.
pub fn on_call(_checker: &mut Checker, _call: &ast::ExprCall) {}

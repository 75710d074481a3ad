//! snarl: a static analyzer for threading and multiprocessing misuse in Python.
//!
//! The pipeline, one module per stage (see `ARCHITECTURE.md`):
//! [`discover`] → per file in parallel: [`python`] (parse), [`semantic`], [`checker`] (AST rules),
//! [`summary`] → [`project`] (link) → [`rules`] (project rules) → [`pipeline`] (sort, suppress)
//! → [`report`].

pub mod add_noqa;
pub mod baseline;
pub mod catalogue;
pub mod checker;
pub mod cli;
pub mod config;
pub mod context;
pub mod debug;
pub mod diagnostic;
pub mod discover;
pub mod encoding;
pub mod fix;
pub mod map;
pub mod pipeline;
pub mod project;
pub mod python;
pub mod report;
pub mod rules;
pub mod semantic;
pub mod server;
pub mod source;
pub mod summary;
pub mod suppress;
pub mod workspace;

//! Per-file concurrency summaries, built in the parallel per-file phase; the AST is dropped after.

use crate::python::ast;
use crate::semantic::SemanticModel;
use crate::source::FileId;

/// What the project phase needs to know of one module.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ModuleSummary {
    pub module: String,
}

/// Summarizes `module`.
pub fn summarize(
    _file: FileId,
    _module: &ast::ModModule,
    semantic: &SemanticModel,
) -> ModuleSummary {
    ModuleSummary {
        module: semantic.module_name.clone(),
    }
}

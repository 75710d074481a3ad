//! The project phase: the per-file summaries linked into one model.

use crate::summary::ModuleSummary;

/// The linked project.
#[derive(Debug, Default)]
pub struct Project {
    pub modules: Vec<ModuleSummary>,
}

impl Project {
    pub fn link(modules: Vec<ModuleSummary>) -> Self {
        Self { modules }
    }
}

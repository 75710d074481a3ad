//! SN2xx (and SN109): races on shared state, checked on the linked project model.

use crate::diagnostic::Diagnostic;
use crate::project::Project;
use crate::rules::RuleSet;

/// Every race finding of the project.
pub fn check(_project: &Project, _rules: RuleSet) -> Vec<Diagnostic> {
    Vec::new()
}

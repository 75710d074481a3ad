//! SN202 `check-then-act-race`.
//!
//! ## What it does
//! Finds a test of shared state followed by an update that depends on it — `if k not in d:
//! d[k] = ...`, `if self._instance is None: self._instance = create()`, `if url in seen: return`
//! then `seen.add(url)` — in code that runs on several threads, with no lock held over both.
//!
//! ## Why is this bad?
//! Two threads can both pass the test before either updates: both create the singleton, both
//! process the URL, the second overwrites the first's entry.

use std::collections::HashSet;

use std::collections::BTreeMap;

use super::{confidence, describe_threads, flow, has_explicit_root, SharedAccess};
use crate::diagnostic::{Diagnostic, Related};
use crate::project::{FuncId, Project};
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};
use crate::summary::Loc;

pub fn check(
    project: &Project,
    files: &SourceFiles,
    shared: &BTreeMap<Loc, Vec<SharedAccess>>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut seen: HashSet<(Span, Loc)> = HashSet::new();
    for function in 0..project.functions.len() as FuncId {
        let ctx = &project.contexts[function as usize];
        if !ctx.is_concurrent() || !(ctx.many || ctx.roots.len() > 1) {
            continue;
        }
        let summary = project.function(function);
        let file = project.file_of(function);
        for pair in &summary.check_acts {
            if !project.is_project_location(&pair.loc) {
                continue;
            }
            let loc = project.canonical_loc(&pair.loc);
            let owned = pair.via_self
                && ctx.self_owned == Some(true)
                && (crate::project::binds_instance(pair.act_kind) || !project.is_class_attr(&loc));
            // Two threads both storing `False` after both saw `True` is harmless.
            if owned
                || pair.act_is_constant
                || project.is_method(&loc)
                || !project.lockset_at(function, &pair.held_at_act).is_empty()
                || !project.lockset_at(function, &pair.held_at_check).is_empty()
            {
                continue;
            }
            // Without a thread the program starts, the location needs evidence of sharing of its
            // own (see `shared_accesses`).
            if !has_explicit_root(project, function) && !shared.contains_key(&loc) {
                continue;
            }
            let check = Span::new(file, pair.check);
            if !seen.insert((check, loc.clone())) {
                continue;
            }
            let (threads, related, explicit) = describe_threads(project, files, function);
            let test =
                super::unsynchronized_read_modify_write::shorten(files.get(file).slice(pair.check));
            let mut diagnostic = Diagnostic::new(
                Rule::CheckThenActRace,
                check,
                format!(
                    "`{}` is tested (`{test}`) and then updated without a lock by {threads}: two threads can both pass the test before either updates it",
                    loc.display()
                ),
            )
            .with_help(format!(
                "Hold one lock over the test and the update of `{}`; for a cache use `dict.setdefault`, for one-time setup create the object eagerly or under a lock.",
                loc.display()
            ))
            .with_confidence(confidence(explicit, false));
            diagnostic.related.push(Related {
                span: Span::new(file, pair.act),
                message: format!("`{}` is updated here", loc.display()),
            });
            diagnostic.related.extend(related);
            diagnostic.flow = flow(project, function);
            out.push(diagnostic);
        }
    }
    out
}

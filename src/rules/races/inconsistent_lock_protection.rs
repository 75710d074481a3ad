//! SN203 `inconsistent-lock-protection`.
//!
//! ## What it does
//! Finds shared state that is changed under a lock in some places and changed without that lock
//! (or under a different one) in others, in code that runs on several threads.
//!
//! ## Why is this bad?
//! A lock only excludes code that takes it. The guarded writes show the state needs the lock; the
//! unguarded one can interleave with them and corrupt the state, whatever the others hold.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::{confidence, describe_threads, flow, may_run_in_parallel, SharedAccess};
use crate::diagnostic::{Diagnostic, Related};
use crate::project::Project;
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};
use crate::summary::{AccessKind, Loc};

pub fn check(
    project: &Project,
    files: &SourceFiles,
    loc: &Loc,
    accesses: &[SharedAccess],
    reported: &mut HashSet<Span>,
    out: &mut Vec<Diagnostic>,
) {
    // A single atomic step (`lst.append(x)`, `d[k] = v`, `del d[k]` on a builtin container)
    // races with nothing on its own; it still counts as evidence when guarded. It breaks
    // guarded code only where that code tests the state and then changes it under the lock,
    // relying on nothing coming in between.
    let compound = guarded_check_then_act(project, loc, accesses);
    for write in accesses
        .iter()
        .filter(|a| a.access.kind.is_write() && (!a.atomic || compound))
    {
        let contents = write.access.kind.on_contents();
        // The places that take a lock themselves around a change say which lock guards it; a
        // lock a caller happens to hold says nothing about this state.
        let protected: Vec<&SharedAccess> = accesses
            .iter()
            .filter(|p| {
                p.access.kind.is_write()
                    && p.access.kind.on_contents() == contents
                    && !p.local_locks.is_empty()
                    && p.span != write.span
            })
            .collect();
        if protected.is_empty() {
            continue;
        }
        // Rebinding an attribute is one atomic store; it only loses data against a guarded
        // read-modify-write of the same attribute. Containers are different: their methods are
        // not atomic in general (`cachetools`, `WeakSet`), so any guarded change counts.
        if !contents
            && !protected
                .iter()
                .any(|p| p.access.kind == AccessKind::ReadModifyWrite)
        {
            continue;
        }
        // The guard is the lock most of the guarded changes take. A change under another lock
        // is the odd one out only when that lock guards fewer of them (a tie proves nothing).
        let mut uses: BTreeMap<&Loc, usize> = BTreeMap::new();
        for lock in protected.iter().flat_map(|p| p.local_locks.iter()) {
            *uses.entry(lock).or_default() += 1;
        }
        let best = uses.values().copied().max().unwrap_or(0);
        let held_best = write
            .lockset
            .iter()
            .map(|l| uses.get(l).copied().unwrap_or(0) + 1)
            .max()
            .unwrap_or(0);
        if held_best >= best {
            continue;
        }
        let guards: BTreeSet<&Loc> = uses
            .iter()
            .filter(|(_, &n)| n == best)
            .map(|(l, _)| *l)
            .collect();
        let racing: Vec<&&SharedAccess> = protected
            .iter()
            .filter(|p| may_run_in_parallel(project, write, p))
            .collect();
        if racing.is_empty() {
            continue;
        }
        if !reported.insert(write.span) {
            continue;
        }
        let guard = guards
            .iter()
            .next()
            .map(|l| l.display())
            .unwrap_or_default();
        let holding = match write.lockset.iter().next() {
            Some(other) => format!(" (it holds `{}` instead)", other.display()),
            None => String::new(),
        };
        let what = if contents {
            format!("`{}` is changed", loc.display())
        } else {
            format!("`{}` is assigned", loc.display())
        };
        let threads = describe_threads(project, files, &write.threads);
        let mut diagnostic = Diagnostic::new(
            Rule::InconsistentLockProtection,
            write.span,
            format!(
                "{what} here without `{guard}`{holding}, which guards it in {} other place{}; {} can interleave with those",
                protected.len(),
                if protected.len() == 1 { "" } else { "s" },
                threads.text
            ),
        )
        .with_help(format!(
            "Take `{guard}` here too, so every change of `{}` happens under the same lock.",
            loc.display()
        ))
        .with_confidence(confidence(threads.explicit, true));
        for p in racing.iter().take(3) {
            diagnostic.related.push(Related {
                span: p.span,
                message: format!("changed under `{guard}` here"),
            });
        }
        diagnostic.related.extend(threads.related);
        diagnostic.flow = flow(project, write.function, &write.threads);
        out.push(diagnostic);
    }
}

/// Whether some function tests `loc` and then changes it with a lock held over both: a
/// compound step that an unguarded change, however atomic, can interleave with.
fn guarded_check_then_act(project: &Project, loc: &Loc, accesses: &[SharedAccess]) -> bool {
    let mut functions: Vec<crate::project::FuncId> = accesses.iter().map(|a| a.function).collect();
    functions.sort_unstable();
    functions.dedup();
    functions.into_iter().any(|f| {
        project.function(f).check_acts.iter().any(|pair| {
            project.canonical_loc(&pair.loc) == *loc
                && !project.lockset_at(f, &pair.held_at_check).is_empty()
                && !project.lockset_at(f, &pair.held_at_act).is_empty()
        })
    })
}

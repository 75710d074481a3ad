//! SN402 `io-bound-work-on-processes`.
//!
//! ## What it does
//! Finds process pools' tasks and processes started many at once whose work only waits on I/O
//! (files, the network, subprocesses, sleeps): nothing reachable computes in Python, releases the
//! GIL for native work, or is unknown.
//!
//! ## Why is this bad?
//! Waiting on I/O releases the GIL, so threads (or asyncio) overlap it as well as processes do,
//! without starting an interpreter per worker and pickling every argument and result across
//! process boundaries.

use std::collections::HashSet;

use super::root_noun;
use crate::diagnostic::{Confidence, Diagnostic, Related};
use crate::project::{Project, RootKind};
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};
use crate::summary::SpawnKind;

pub fn check(project: &Project, _files: &SourceFiles) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut reported: HashSet<Span> = HashSet::new();
    for root in &project.roots {
        let pool = matches!(root.kind, RootKind::Spawn(SpawnKind::ProcessPool));
        let processes = matches!(
            root.kind,
            RootKind::Spawn(SpawnKind::Process) | RootKind::ThreadRun
        ) && root.process;
        // A single process is often there for isolation (a crash, a leak, a server to test):
        // only pools and processes started many at once are there for parallelism.
        if !(pool || processes && project.group_many[root.group as usize]) {
            continue;
        }
        let Some(site) = root.site else {
            continue;
        };
        let work = project.work(root.entry);
        let Some((io, kind)) = work.io.as_ref().filter(|_| work.is_io_bound()) else {
            continue;
        };
        if !reported.insert(site) {
            continue;
        }
        let target = project.function(root.entry);
        let noun = root_noun(&root.kind, true);
        let io_span = project.evidence_span(io);
        let mut diagnostic = Diagnostic::new(
            Rule::IoBoundWorkOnProcesses,
            site,
            format!(
                "the {noun} started here run `{}`, which only waits on I/O ({} {}): each pays process start-up and the pickling of its arguments and result for work that threads overlap as well",
                target.name,
                project.evidence_text(io),
                kind.describe()
            ),
        )
        .with_help("Run it on a `ThreadPoolExecutor` (or with asyncio): waiting on I/O releases the GIL, so threads overlap it without starting processes or pickling.")
        .with_related(
            io_span,
            format!("{} {}", project.evidence_text(io), kind.describe()),
        )
        .with_confidence(Confidence::Medium);
        diagnostic.flow = vec![
            Related {
                span: site,
                message: "the processes start here".to_string(),
            },
            Related {
                span: io_span,
                message: "and wait on I/O here".to_string(),
            },
        ];
        out.push(diagnostic);
    }
    out
}

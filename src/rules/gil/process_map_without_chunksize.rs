//! SN405 `process-map-without-chunksize`.
//!
//! ## What it does
//! Finds `ProcessPoolExecutor.map`, `Pool.imap` and `Pool.imap_unordered` (or any process pool
//! map with `chunksize=1`) over an iterable the code shows is large (1,000 items or more) of a
//! function that does cheap work: no loop, no call anyone could not name.
//!
//! ## Why is this bad?
//! With a chunk size of one, every item is pickled and sent to a worker in its own message and
//! its result sent back in another. For cheap work the messages cost far more than the work:
//! the pool is slower than a plain loop. `Pool.map` picks a chunk size from the iterable's length
//! by itself; these do not.

use crate::diagnostic::{Confidence, Diagnostic};
use crate::project::Project;
use crate::rules::Rule;
use crate::source::Span;

/// The number of items from which one message per item costs more than cheap work.
const MANY_ITEMS: u64 = 1000;

pub fn check(project: &Project) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for function in super::checked_functions(project) {
        let file = project.file_of(function);
        for map in project.function(function).work.process_maps() {
            let Some(items) = map.items.filter(|&n| n >= MANY_ITEMS) else {
                continue;
            };
            if !map.chunk_of_one {
                continue;
            }
            let (targets, _) = project.resolve(&map.target);
            let Some(&target) = targets.first() else {
                continue;
            };
            if !targets.iter().all(|&t| project.work(t).is_cheap()) {
                continue;
            }
            let name = &project.function(target).name;
            out.push(
                Diagnostic::new(
                    Rule::ProcessMapWithoutChunksize,
                    Span::new(file, map.range),
                    format!(
                        "`{}` sends each of the {items} items to a worker process in a message of its own (chunksize 1), and `{name}` is cheap: pickling and inter-process messages will cost more than the work",
                        map.method
                    ),
                )
                .with_help("Pass `chunksize=` so each message carries many items (`Pool.map` picks one from the length: about `len(items) // (4 * workers)`), or do work this cheap in the parent process.")
                .with_related(Span::new(file, map.iterable), format!("{items} items"))
                .with_related(
                    Span::new(project.file_of(target), project.function(target).range),
                    format!("`{name}` does little work per item"),
                )
                .with_confidence(Confidence::High),
            );
        }
    }
    out
}

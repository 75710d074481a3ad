//! Effect inference: what the work reachable from a function does with its time.
//!
//! Each function's own effects come from its summary ([`crate::summary::work`]) and from the
//! calls that reach no project function, named by the catalogue ([`crate::catalogue`]):
//! - **compute**: a loop of the project's own code that computes in Python and is not known to
//!   be small, or a recursive function that does arithmetic: pure-Python work that holds the GIL;
//! - **I/O**: a call that waits on files, the network, a subprocess or a timer (`open`,
//!   `requests.get`, `subprocess.run`, `time.sleep`);
//! - **waits**: a call that waits for another thread or process (`queue.get()`, `event.wait()`,
//!   `future.result()`, `thread.join()`), or code that takes a lock;
//! - **native**: a call into native code that releases the GIL while it works (hashing,
//!   compression, `numpy`);
//! - **output**: writing to the console (`print`): neither computation nor I/O worth a thread;
//! - **unknown**: a call nothing can name (library code no table knows, a method of an object of
//!   unknown type): its work could be any of the above.
//!
//! [`Project::work`] joins them over the call graph: a function's [`Work`] is its own effects
//! and those of every project function it may call, transitively (calls resolve as
//! [`super::link`] resolves them; threads and pools a function starts are not its work). Each
//! effect keeps one piece of evidence, the first found, for messages. The join is a worklist
//! over callers whose per-function state only fills in (five slots, each set once), so it costs
//! a small constant per call edge.
//!
//! How rules read it: work is **CPU-bound** ([`Work::is_cpu_bound`]) when it computes and
//! nothing reachable does I/O, waits, releases the GIL or is unknown; it is **I/O-bound**
//! ([`Work::is_io_bound`]) when it does I/O and nothing reachable computes, releases the GIL or
//! is unknown. Anything else is mixed or unknown, and the GIL rules stay quiet on it.

use std::collections::{HashMap, VecDeque};

use super::link::Target;
use super::{FuncId, Project};
use crate::catalogue::{self, Blocking, Effect};
use crate::python::TextRange;
use crate::semantic::canonical;
use crate::source::Span;
use crate::summary::{CallSite, Callee};

/// One piece of evidence for an effect: where it happens, and for a call, how to name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The function whose code shows it.
    pub function: FuncId,
    /// The loop header, the call, or the recursive function's name.
    pub range: TextRange,
    /// How a message names the call (`` `requests.get` ``); for compute, `loop` or
    /// `recursion`: an index into the project's evidence names ([`Project::evidence_text`]),
    /// so the join copies a number to every caller, not a string.
    pub what: u32,
}

/// What the work reachable from a function does (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Work {
    /// Pure-Python computation in the project's own code.
    pub compute: Option<Evidence>,
    /// I/O or sleeping, and what it waits for.
    pub io: Option<(Evidence, Blocking)>,
    /// Waiting for another thread or process, and how.
    pub waits: Option<(Evidence, Blocking)>,
    /// Native work that releases the GIL.
    pub native: Option<Evidence>,
    /// Writing to the console (`print`).
    pub output: Option<Evidence>,
    /// A call whose work nothing knows.
    pub unknown: Option<Evidence>,
}

/// What a call that reaches no project function is, for the join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Noted {
    Known(Effect),
    Console,
    Unknown,
}

impl Work {
    /// Computes in Python and does nothing else anyone can see: threads running it take turns
    /// on the GIL.
    pub fn is_cpu_bound(&self) -> bool {
        self.compute.is_some()
            && self.io.is_none()
            && self.waits.is_none()
            && self.native.is_none()
            && self.output.is_none()
            && self.unknown.is_none()
    }

    /// Does I/O and no computation anyone can see: threads (or asyncio) overlap it as well as
    /// processes do.
    pub fn is_io_bound(&self) -> bool {
        self.io.is_some()
            && self.compute.is_none()
            && self.native.is_none()
            && self.unknown.is_none()
    }

    /// Does nothing costly that anyone can see: no loop that computes, no I/O, no waiting, no
    /// native work, nothing unknown.
    pub fn is_cheap(&self) -> bool {
        *self == Work::default()
    }

    /// Fills the empty slots from `other`; whether anything changed.
    fn absorb(&mut self, other: &Work) -> bool {
        fn fill<T: Clone>(slot: &mut Option<T>, from: &Option<T>) -> bool {
            match (slot.is_none(), from) {
                (true, Some(value)) => {
                    *slot = Some(value.clone());
                    true
                }
                _ => false,
            }
        }
        let mut changed = fill(&mut self.compute, &other.compute);
        changed |= fill(&mut self.io, &other.io);
        changed |= fill(&mut self.waits, &other.waits);
        changed |= fill(&mut self.native, &other.native);
        changed |= fill(&mut self.output, &other.output);
        changed |= fill(&mut self.unknown, &other.unknown);
        changed
    }

    /// Records what a call that reaches no project function does.
    fn note(&mut self, evidence: Evidence, noted: Noted) {
        let effect = match noted {
            Noted::Unknown => {
                self.unknown.get_or_insert(evidence);
                return;
            }
            Noted::Console => {
                self.output.get_or_insert(evidence);
                return;
            }
            Noted::Known(effect) => effect,
        };
        match effect {
            Effect {
                blocks: Some(kind), ..
            } => {
                let slot = if is_io(kind) {
                    &mut self.io
                } else {
                    &mut self.waits
                };
                slot.get_or_insert((evidence, kind));
            }
            Effect {
                releases_gil: true, ..
            } => {
                self.native.get_or_insert(evidence);
            }
            _ => {}
        }
    }
}

/// Whether waiting for `kind` is I/O (files, network, subprocesses, time) rather than waiting
/// for another thread or process of the program.
pub fn is_io(kind: Blocking) -> bool {
    matches!(
        kind,
        Blocking::Sleep | Blocking::Network | Blocking::Subprocess | Blocking::File
    )
}

impl Project {
    /// What the work reachable from `function` does.
    pub fn work(&self, function: FuncId) -> &Work {
        &self.work[function as usize]
    }

    /// How a message names an effect's evidence: `` `requests.get` ``, `loop`, `recursion`.
    pub fn evidence_text(&self, evidence: &Evidence) -> &str {
        self.evidence_names
            .get(evidence.what as usize)
            .map_or("", |name| name)
    }

    /// Where an effect's evidence is.
    pub fn evidence_span(&self, evidence: &Evidence) -> Span {
        Span::new(self.file_of(evidence.function), evidence.range)
    }

    /// Computes [`Project::work`] for every function: own effects, then the join over callers.
    pub(super) fn infer_work(&mut self) {
        let count = self.functions.len();
        let mut names = Names::default();
        let mut work: Vec<Work> = (0..count as FuncId)
            .map(|f| self.own_work(f, &mut names))
            .collect();
        self.evidence_names = names.list;
        let callers = self.callers();
        let mut queue: VecDeque<FuncId> = (0..count as FuncId).collect();
        let mut queued = vec![true; count];
        while let Some(f) = queue.pop_front() {
            queued[f as usize] = false;
            let from = work[f as usize].clone();
            for &(caller, _) in &callers[f as usize] {
                if caller == f {
                    continue;
                }
                if work[caller as usize].absorb(&from) && !queued[caller as usize] {
                    queued[caller as usize] = true;
                    queue.push_back(caller);
                }
            }
        }
        self.work = work;
    }

    /// What `function`'s own code does: its loops, and the calls that reach no project function.
    fn own_work(&self, function: FuncId, names: &mut Names) -> Work {
        let summary = self.function(function);
        let facts = &summary.work;
        let mut work = Work::default();
        let mut evidence = |range: TextRange, what: String| Evidence {
            function,
            range,
            what: names.intern(what),
        };
        if let Some(found) = facts.compute_loop() {
            work.compute = Some(evidence(found.header, "loop".to_string()));
        } else if facts.arithmetic
            && self.edges[function as usize]
                .iter()
                .any(|e| e.callee == function)
        {
            work.compute = Some(evidence(summary.range, "recursion".to_string()));
        }
        // Code that takes a lock waits for the threads holding it: the lock, not only the GIL,
        // decides how it runs beside them.
        let locked = summary
            .accesses
            .iter()
            .filter(|a| !a.held.is_empty())
            .map(|a| a.range)
            .chain(
                summary
                    .calls
                    .iter()
                    .filter(|c| !c.held.is_empty())
                    .map(|c| c.range),
            )
            .min_by_key(|range| range.start());
        if let Some(range) = locked {
            work.waits = Some((
                evidence(range, "code under a lock".to_string()),
                Blocking::LockAcquire,
            ));
        }
        // The calls nothing in the project answers for, in source order: the first of each
        // kind is the evidence.
        let mut notes: Vec<(TextRange, String, Noted)> = facts
            .effects()
            .iter()
            .map(|known| {
                let noted = if known.console {
                    Noted::Console
                } else {
                    Noted::Known(Effect {
                        blocks: known.blocks,
                        releases_gil: known.releases_gil,
                    })
                };
                (known.range, known.call.clone(), noted)
            })
            .collect();
        let mut resolved = vec![false; summary.calls.len()];
        for edge in &self.edges[function as usize] {
            resolved[edge.call as usize] = true;
        }
        for (call, done) in summary.calls.iter().zip(resolved) {
            if done {
                continue;
            }
            if let Some((what, effect)) = self.unresolved_call_effect(call) {
                notes.push((call.range, what, effect));
            }
        }
        notes.sort_by_key(|(range, _, _)| range.start());
        for (range, what, effect) in notes {
            work.note(evidence(range, what), effect);
        }
        if let Some(range) = facts.opaque {
            work.unknown
                .get_or_insert(evidence(range, "a call of unknown code".to_string()));
        }
        work
    }

    /// What a call that reaches no project function does: `None` when it does nothing worth
    /// noting (a project class without `__init__`, `super().__init__()` of a library base).
    fn unresolved_call_effect(&self, call: &CallSite) -> Option<(String, Noted)> {
        let known = |effect: Option<Effect>| effect.map_or(Noted::Unknown, Noted::Known);
        match &call.callee {
            Callee::Name { name } => {
                if let Some(Target::Class(_)) = self.resolve_name(name) {
                    return None;
                }
                let name = canonical(name);
                let noted = if catalogue::writes_console(&name) {
                    Noted::Console
                } else {
                    known(catalogue::lookup(&name, None))
                };
                Some((format!("`{name}`"), noted))
            }
            Callee::Method { class, name, .. } => {
                let shown = format!("`{}.{name}`", short(class));
                match self.resolve_name(class) {
                    Some(Target::Class(c)) => {
                        // A method the project class inherits from a library base.
                        let effect = self.mro(c).iter().find_map(|&k| {
                            self.class(k)
                                .bases
                                .iter()
                                .filter(|b| self.resolve_name(b).is_none())
                                .find_map(|b| catalogue::lookup(&canonical(b), Some(name)))
                        });
                        let effect = effect.or_else(|| catalogue::method_by_name(name));
                        Some((shown, known(effect)))
                    }
                    _ => {
                        let class = canonical(class);
                        let effect = catalogue::lookup(&class, Some(name))
                            .or_else(|| catalogue::method_by_name(name));
                        Some((shown, known(effect)))
                    }
                }
            }
            Callee::Super { name, .. } if name.starts_with("__") => None,
            Callee::Super { name, .. } => Some((format!("`super().{name}`"), Noted::Unknown)),
            Callee::Returned { .. } | Callee::Unknown => {
                Some(("a call of unknown code".to_string(), Noted::Unknown))
            }
        }
    }
}

/// The distinct names evidence uses, each stored once.
#[derive(Default)]
struct Names {
    list: Vec<Box<str>>,
    index: HashMap<String, u32>,
}

impl Names {
    fn intern(&mut self, name: String) -> u32 {
        if let Some(&at) = self.index.get(&name) {
            return at;
        }
        let at = self.list.len() as u32;
        self.list.push(name.clone().into_boxed_str());
        self.index.insert(name, at);
        at
    }
}

/// `Session` for `requests.Session`.
fn short(qualified: &str) -> &str {
    qualified.rsplit('.').next().unwrap_or(qualified)
}

//! What the project lock rules share: which lock each [`LockRef`] is (a condition made over a
//! lock is that lock), what kind of lock it is, and, for every function, what it does through the
//! calls it makes: the locks it takes (on any object, and on its own receiver only), whether it
//! blocks, whether it calls a callable from outside. Each fact keeps the first step towards it
//! (taken here, or through this call), so a finding can show the whole call path.
//!
//! The facts only grow, one step per call edge: a worklist over the callers costs a small
//! constant per edge (the lock sets are capped), and the blocking and callback facts are a
//! breadth-first search from the functions that block or call back, a few calls deep.

use std::collections::{HashMap, VecDeque};

use crate::catalogue::{self, Blocking};
use crate::project::link::Target;
use crate::project::{AccessThreads, FuncId, Project, Thread};
use crate::rules::races::is_explicit;
use crate::python::TextRange;
use crate::source::{SourceFiles, Span};
use crate::summary::{
    BlockingCall, CallbackSource, ConditionLock, ForeignCall, Loc, LockKind, LockRef, Receiver,
};

/// Index of a lock in [`LockModel::locks`].
pub type LockId = u32;

/// How many locks a function's "takes" facts keep.
const MAX_LOCKS_PER_FUNCTION: usize = 32;
/// How many calls deep a blocking call or a callback is followed.
pub const MAX_CALL_DEPTH: u32 = 3;

/// The first step towards a fact of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Here, at this range of the function.
    Here(TextRange),
    /// Through the call at `site` of `callee`.
    Call { site: TextRange, callee: FuncId },
}

/// A blocking call a function makes, directly or through calls.
#[derive(Debug, Clone, Copy)]
pub struct Blocks {
    pub kind: Blocking,
    pub step: Step,
    pub depth: u32,
}

pub struct LockModel<'p> {
    pub project: &'p Project,
    pub files: &'p SourceFiles,
    pub kinds: HashMap<Loc, LockKind>,
    pub locks: Vec<Loc>,
    ids: HashMap<Loc, LockId>,
    /// Per function: the locks it waits for, directly or through calls.
    pub takes: Vec<Vec<(LockId, Step)>>,
    /// Per function: the locks of its own receiver (and module and class locks) it waits for,
    /// directly or through calls on that same receiver (`self.m()`).
    pub takes_own: Vec<Vec<(LockId, Step)>>,
    /// Per function: a call that blocks the thread, directly or a few calls down.
    pub blocks: Vec<Option<Blocks>>,
    /// Per function: a call of a callable from outside, directly or a few calls down.
    pub calls_back: Vec<Option<(Step, u32)>>,
}

impl<'p> LockModel<'p> {
    pub fn build(project: &'p Project, files: &'p SourceFiles) -> Self {
        let n = project.functions.len();
        let mut model = LockModel {
            project,
            files,
            kinds: project.lock_kinds(),
            locks: Vec::new(),
            ids: HashMap::new(),
            takes: vec![Vec::new(); n],
            takes_own: vec![Vec::new(); n],
            blocks: vec![None; n],
            calls_back: vec![None; n],
        };
        model.compute_takes();
        model.compute_blocks();
        model.compute_calls_back();
        model
    }

    /// The lock a [`LockRef`] in `function` names: its canonical location, or for a condition
    /// made over a lock, that lock.
    pub fn identity(&self, function: FuncId, lock: &LockRef) -> Loc {
        self.identity_of_loc(&self.project.lock_loc(function, lock))
    }

    /// A canonical lock location, or for a condition made over a lock, that lock.
    pub fn identity_of_loc(&self, loc: &Loc) -> Loc {
        let mut loc = loc.clone();
        for _ in 0..4 {
            match self.kinds.get(&loc) {
                Some(LockKind::Condition {
                    over: ConditionLock::Shared(inner),
                }) if *inner != loc => loc = inner.clone(),
                _ => break,
            }
        }
        loc
    }

    /// The kind of the lock at `loc` (after [`Self::identity`]), where a constructor shows it.
    pub fn kind(&self, loc: &Loc) -> Option<&LockKind> {
        self.kinds.get(loc)
    }

    /// Whether the thread holding the lock at `loc` blocks forever taking it again.
    pub fn is_non_reentrant(&self, loc: &Loc) -> bool {
        self.kind(loc).is_some_and(LockKind::is_non_reentrant)
    }

    pub fn id(&self, loc: &Loc) -> Option<LockId> {
        self.ids.get(loc).copied()
    }

    fn intern(&mut self, loc: Loc) -> LockId {
        if let Some(&id) = self.ids.get(&loc) {
            return id;
        }
        let id = self.locks.len() as LockId;
        self.ids.insert(loc.clone(), id);
        self.locks.push(loc);
        id
    }

    /// Whether a lock belongs to each object (an instance attribute): only calls on the same
    /// receiver take the same one.
    pub fn is_instance_lock(&self, loc: &Loc) -> bool {
        matches!(loc, Loc::Attr { .. }) && !self.project.is_class_attr(loc)
    }

    /// The locks held at a point of `function` that it took itself (`held`) or that its locking
    /// decorator holds, with where each is taken (the decorator: the function's name).
    pub fn held_here(&self, function: FuncId, held: &[LockRef]) -> Vec<(Loc, TextRange)> {
        let summary = self.project.function(function);
        let mut out: Vec<(Loc, TextRange)> = Vec::new();
        for loc in self.project.decorator_locks(function) {
            if !out.iter().any(|(l, _)| l == loc) {
                out.push((loc.clone(), summary.range));
            }
        }
        for lock in held {
            let loc = self.identity(function, lock);
            if out.iter().any(|(l, _)| *l == loc) {
                continue;
            }
            // The acquisition that took it: the last one of that lock before this point.
            let range = summary
                .locking
                .acquisitions
                .iter()
                .filter(|a| a.lock == *lock)
                .map(|a| a.range)
                .next_back()
                .unwrap_or(summary.range);
            out.push((loc, range));
        }
        out
    }

    /// Where `function` takes `held` (a lock it holds at `before`): its acquisition before that
    /// point.
    pub fn acquired_at(&self, function: FuncId, lock: &Loc, before: TextRange) -> TextRange {
        let summary = self.project.function(function);
        summary
            .locking
            .acquisitions
            .iter()
            .filter(|a| a.range.start() <= before.start())
            .filter(|a| self.identity(function, &a.lock) == *lock)
            .map(|a| a.range)
            .next_back()
            .unwrap_or(summary.range)
    }

    fn compute_takes(&mut self) {
        let project = self.project;
        let n = project.functions.len();
        let mut queue: VecDeque<FuncId> = VecDeque::new();
        let mut queued = vec![false; n];
        for f in 0..n as FuncId {
            let summary = project.function(f);
            let mut own: Vec<(LockId, Step)> = Vec::new();
            let mut any: Vec<(LockId, Step)> = Vec::new();
            for loc in project.decorator_locks(f).to_vec() {
                let id = self.intern(loc);
                push_new(&mut any, id, Step::Here(summary.range));
                push_new(&mut own, id, Step::Here(summary.range));
            }
            for acquisition in summary.locking.acquisitions.iter().filter(|a| a.blocking) {
                let loc = self.identity(f, &acquisition.lock);
                let instance = self.is_instance_lock(&loc);
                let id = self.intern(loc);
                push_new(&mut any, id, Step::Here(acquisition.range));
                if acquisition.via_self || !instance {
                    push_new(&mut own, id, Step::Here(acquisition.range));
                }
            }
            if !any.is_empty() {
                queue.push_back(f);
                queued[f as usize] = true;
            }
            self.takes[f as usize] = any;
            self.takes_own[f as usize] = own;
        }
        let callers = project.callers();
        while let Some(f) = queue.pop_front() {
            queued[f as usize] = false;
            for &(g, e) in &callers[f as usize] {
                if g == f {
                    continue;
                }
                let edge = &project.edges[g as usize][e];
                let call = &project.function(g).calls[edge.call as usize];
                let step = Step::Call {
                    site: edge.site,
                    callee: f,
                };
                let mut changed = false;
                let incoming: Vec<LockId> = self.takes[f as usize].iter().map(|(l, _)| *l).collect();
                for id in incoming {
                    changed |= push_capped(&mut self.takes[g as usize], id, step);
                }
                if call.receiver == Receiver::Own {
                    let incoming: Vec<LockId> =
                        self.takes_own[f as usize].iter().map(|(l, _)| *l).collect();
                    for id in incoming {
                        changed |= push_capped(&mut self.takes_own[g as usize], id, step);
                    }
                }
                if changed && !queued[g as usize] {
                    queued[g as usize] = true;
                    queue.push_back(g);
                }
            }
        }
    }

    /// What a blocking call waits for, now that the project's classes are known: a `join()` on
    /// an object of a `Thread` subclass waits for a thread.
    pub fn blocking_kind(&self, call: &BlockingCall) -> Option<Blocking> {
        let kind = match call.kind {
            Some(kind) => Some(kind),
            None => {
                let class = call.receiver_class.as_deref()?;
                let Some(Target::Class(c)) = self.project.resolve_name(class) else {
                    return None;
                };
                // The project's own method: its calls are followed instead.
                if self.project.lookup_method(c, &call.method).is_some() {
                    return None;
                }
                self.project.mro(c).iter().find_map(|&k| {
                    self.project.class(k).bases.iter().find_map(|base| {
                        let base = match base.as_str() {
                            "threading.Timer" => "threading.Thread",
                            other => other,
                        };
                        catalogue::method(base, &call.method).and_then(|e| e.blocks)
                    })
                })
            }
        }?;
        let exempt = match kind {
            // A timed or non-blocking `get`/`put` does not wait for long.
            Blocking::QueueGet | Blocking::QueuePut => call.timeout,
            Blocking::LockAcquire | Blocking::File => true,
            _ => false,
        };
        (!exempt).then_some(kind)
    }

    fn compute_blocks(&mut self) {
        let project = self.project;
        let mut queue = VecDeque::new();
        for f in 0..project.functions.len() as FuncId {
            let direct = project
                .function(f)
                .locking
                .blocking
                .iter()
                .filter(|b| b.waits_on.is_none())
                .find_map(|b| self.blocking_kind(b).map(|kind| (kind, b.range)));
            if let Some((kind, range)) = direct {
                self.blocks[f as usize] = Some(Blocks {
                    kind,
                    step: Step::Here(range),
                    depth: 0,
                });
                queue.push_back(f);
            }
        }
        let callers = project.callers();
        while let Some(f) = queue.pop_front() {
            let Some(found) = self.blocks[f as usize] else {
                continue;
            };
            if found.depth >= MAX_CALL_DEPTH {
                continue;
            }
            for &(g, e) in &callers[f as usize] {
                if self.blocks[g as usize].is_some() {
                    continue;
                }
                let edge = &project.edges[g as usize][e];
                self.blocks[g as usize] = Some(Blocks {
                    kind: found.kind,
                    step: Step::Call {
                        site: edge.site,
                        callee: f,
                    },
                    depth: found.depth + 1,
                });
                queue.push_back(g);
            }
        }
    }

    /// Whether the callable a [`ForeignCall`] in `function` calls comes from outside: a
    /// parameter, an attribute some method sets from a parameter (and no method of that name),
    /// an element of an attribute that parameters are registered in.
    pub fn is_foreign(&self, function: FuncId, call: &ForeignCall) -> bool {
        let summary = self.project.function(function);
        let attr_from_param = |attr: &str| -> bool {
            let Some(class) = &summary.class else {
                return false;
            };
            let Some(&c) = self.project.class_by_name.get(class) else {
                return false;
            };
            self.project
                .mro(c)
                .iter()
                .chain(self.project.descendants(c))
                .any(|&k| {
                    let class = self.project.class(k);
                    class.attr_params.iter().any(|(a, _)| a == attr)
                        || class.methods.iter().any(|(_, index)| {
                            let (m, _) = self.project.classes[k as usize];
                            self.project.modules[m as usize]
                                .functions
                                .get(*index as usize)
                                .is_some_and(|f| f.locking.param_attrs.iter().any(|a| a == attr))
                        })
                })
        };
        match &call.source {
            CallbackSource::Param { .. } => true,
            CallbackSource::Attr { name } => {
                let is_method = summary.class.as_ref().is_some_and(|class| {
                    self.project
                        .class_by_name
                        .get(class)
                        .is_some_and(|&c| self.project.lookup_method(c, name).is_some())
                });
                !is_method && attr_from_param(name)
            }
            CallbackSource::Element { attr } => attr_from_param(attr),
        }
    }

    fn compute_calls_back(&mut self) {
        let project = self.project;
        let mut queue = VecDeque::new();
        for f in 0..project.functions.len() as FuncId {
            let direct = project
                .function(f)
                .locking
                .callbacks
                .iter()
                .find(|c| self.is_foreign(f, c));
            if let Some(call) = direct {
                self.calls_back[f as usize] = Some((Step::Here(call.range), 0));
                queue.push_back(f);
            }
        }
        let callers = project.callers();
        while let Some(f) = queue.pop_front() {
            let Some((_, depth)) = self.calls_back[f as usize] else {
                continue;
            };
            if depth >= MAX_CALL_DEPTH {
                continue;
            }
            for &(g, e) in &callers[f as usize] {
                if self.calls_back[g as usize].is_some() {
                    continue;
                }
                let edge = &project.edges[g as usize][e];
                self.calls_back[g as usize] = Some((
                    Step::Call {
                        site: edge.site,
                        callee: f,
                    },
                    depth + 1,
                ));
                queue.push_back(g);
            }
        }
    }

    /// The step `function` takes towards lock `id` (through its own receiver only when `own`).
    pub fn take_step(&self, function: FuncId, id: LockId, own: bool) -> Option<Step> {
        let list = if own {
            &self.takes_own[function as usize]
        } else {
            &self.takes[function as usize]
        };
        list.iter().find(|(l, _)| *l == id).map(|(_, s)| *s)
    }

    /// The calls from `function` down to where it takes lock `id`: each call site, then the
    /// acquisition, as (function, range) pairs.
    pub fn take_path(&self, function: FuncId, id: LockId, own: bool) -> Vec<(FuncId, TextRange)> {
        self.follow(function, |f| self.take_step(f, id, own))
    }

    /// The calls from `function` down to the blocking call it makes.
    pub fn block_path(&self, function: FuncId) -> Vec<(FuncId, TextRange)> {
        self.follow(function, |f| self.blocks[f as usize].map(|b| b.step))
    }

    /// The calls from `function` down to the callback it makes.
    pub fn callback_path(&self, function: FuncId) -> Vec<(FuncId, TextRange)> {
        self.follow(function, |f| self.calls_back[f as usize].map(|(s, _)| s))
    }

    fn follow(
        &self,
        function: FuncId,
        step: impl Fn(FuncId) -> Option<Step>,
    ) -> Vec<(FuncId, TextRange)> {
        let mut out = Vec::new();
        let mut current = function;
        while out.len() < 16 {
            match step(current) {
                Some(Step::Here(range)) => {
                    out.push((current, range));
                    break;
                }
                Some(Step::Call { site, callee }) => {
                    out.push((current, site));
                    current = callee;
                }
                None => break,
            }
        }
        out
    }

    /// The threads code at `range` in `function` runs on. Threads the program starts say more
    /// than inferred intent: where some run the code, callers inferred from intent (a class or
    /// module that keeps a lock) are left out, so code one started thread runs is that thread's.
    pub fn threads_at(&self, function: FuncId, range: TextRange) -> AccessThreads {
        let mut threads = self.project.access_threads(function, range, false);
        if is_explicit(self.project, &threads) {
            threads.threads.retain(|t| match t {
                Thread::Root(g) => self.project.roots[*g as usize].is_explicit(),
                Thread::Beside(_) => true,
            });
        }
        threads
    }

    pub fn span(&self, function: FuncId, range: TextRange) -> Span {
        Span::new(self.project.file_of(function), range)
    }

    /// The source text of `range` in `function`'s file, on one line.
    pub fn text(&self, function: FuncId, range: TextRange) -> String {
        let file = self.files.get(self.project.file_of(function));
        crate::rules::races::shorten(file.slice(range))
    }

    /// `Class.method` or `function`, for messages.
    pub fn name(&self, function: FuncId) -> String {
        let summary = self.project.function(function);
        match &summary.class {
            Some(class) if summary.name != "<lambda>" => format!(
                "{}.{}",
                class.rsplit('.').next().unwrap_or(class),
                summary.name
            ),
            _ => summary.name.clone(),
        }
    }
}

fn push_new(list: &mut Vec<(LockId, Step)>, id: LockId, step: Step) {
    if !list.iter().any(|(l, _)| *l == id) {
        list.push((id, step));
    }
}

fn push_capped(list: &mut Vec<(LockId, Step)>, id: LockId, step: Step) -> bool {
    if list.len() >= MAX_LOCKS_PER_FUNCTION || list.iter().any(|(l, _)| *l == id) {
        return false;
    }
    list.push((id, step));
    true
}

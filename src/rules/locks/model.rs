//! What the project lock rules share: which lock each [`LockRef`] is (a condition made over a
//! lock is that lock), what kind of lock it is, and, for every function, what it does through the
//! calls it makes: the locks it takes (on any object, and on its own receiver only), whether it
//! blocks, whether it calls a callable from outside. Each fact keeps the first step towards it
//! (taken here, or through this call), so a finding can show the whole call path.
//!
//! The facts only grow, one step per call edge: a worklist over the callers costs a small
//! constant per edge (the lock sets are capped), and the blocking and callback facts are a
//! breadth-first search from the functions that block or call back, a few calls deep.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::catalogue::{self, Blocking};
use crate::project::link::Target;
use crate::project::{AccessThreads, ClassId, Edge, FuncId, Project, Thread};
use crate::python::TextRange;
use crate::rules::races::is_explicit;
use crate::source::{SourceFiles, Span};
use crate::summary::{
    ArgSource, BlockingCall, CallbackSource, ConditionLock, ForeignCall, Loc, LockKind, LockRef,
    Receiver,
};

/// Index of a lock in [`LockModel::locks`].
pub type LockId = u32;

/// How many locks a function's "takes" facts keep.
const MAX_LOCKS_PER_FUNCTION: usize = 32;
/// How many places taking each lock are kept (to find another thread that needs it).
const MAX_SITES_PER_LOCK: usize = 16;
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

/// A fact a function has through its calls: its first step, how many calls down it is, and the
/// class its receiver must be for the fact to hold (a `self.hook()` that reaches one subclass's
/// override holds only for that subclass's objects).
#[derive(Debug, Clone, Copy)]
pub struct Fact {
    pub step: Step,
    pub depth: u32,
    pub receiver: Option<ClassId>,
}

/// A blocking call a function makes, directly or through calls.
#[derive(Debug, Clone, Copy)]
pub struct Blocks {
    pub kind: Blocking,
    pub fact: Fact,
}

pub struct LockModel<'p> {
    pub project: &'p Project,
    pub files: &'p SourceFiles,
    pub kinds: HashMap<Loc, LockKind>,
    pub locks: Vec<Loc>,
    ids: HashMap<Loc, LockId>,
    /// Per function: the locks it waits for, directly or through calls.
    takes: HashMap<FuncId, Vec<(LockId, Fact)>>,
    /// Per function: the locks of its own receiver (and module and class locks) it waits for,
    /// directly or through calls on that same receiver (`self.m()`).
    takes_own: HashMap<FuncId, Vec<(LockId, Fact)>>,
    /// Per function: a call that blocks the thread, directly or a few calls down.
    blocks: HashMap<FuncId, Blocks>,
    /// Per lock: the places that take it (a few).
    sites: Vec<Vec<(FuncId, TextRange)>>,
    /// Per function: a call of a callable from outside, directly or a few calls down on the
    /// same object or in plain functions.
    calls_back: HashMap<FuncId, Fact>,
    /// The calls of callables from outside, by function and call range.
    foreign: HashSet<(FuncId, TextRange)>,
    /// Per class: the attributes its methods fill from parameters.
    param_attrs: HashMap<ClassId, HashSet<String>>,
    /// Every (caller, edge index) into each function.
    pub callers: Vec<Vec<(FuncId, usize)>>,
}

impl<'p> LockModel<'p> {
    pub fn build(project: &'p Project, files: &'p SourceFiles) -> Self {
        let mut model = LockModel {
            project,
            files,
            kinds: project.lock_kinds(),
            locks: Vec::new(),
            ids: HashMap::new(),
            takes: HashMap::new(),
            takes_own: HashMap::new(),
            blocks: HashMap::new(),
            sites: Vec::new(),
            calls_back: HashMap::new(),
            foreign: HashSet::new(),
            param_attrs: HashMap::new(),
            callers: project.callers(),
        };
        model.compute_param_attrs();
        model.compute_foreign();
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

    /// Whether `function` holds any lock at a point whose own held locks are `held`: cheap, to
    /// skip the many calls made with none.
    pub fn holds_any(&self, function: FuncId, held: &[LockRef]) -> bool {
        !held.is_empty() || !self.project.decorator_locks(function).is_empty()
    }

    /// The locks held at `at` in `function` that it took itself (`held`) or that its locking
    /// decorator holds, with where each is taken (the decorator: the function's name).
    pub fn held_here(
        &self,
        function: FuncId,
        held: &[LockRef],
        at: TextRange,
    ) -> Vec<(Loc, TextRange)> {
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
                .filter(|a| a.lock == *lock && a.range.start() <= at.start())
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

    /// The class of `function`'s receiver, for a method (or a function nested in one).
    fn class_of(&self, function: FuncId) -> Option<ClassId> {
        let class = self.project.function(function).class.as_ref()?;
        self.project.class_by_name.get(class).copied()
    }

    /// Whether two classes can be the same object's: one derives from the other.
    fn related(&self, a: ClassId, b: ClassId) -> bool {
        self.project.mro(a).contains(&b) || self.project.mro(b).contains(&a)
    }

    /// The receiver class a fact of `callee` (needing `needs`) requires of `caller` through
    /// `edge`; `None` when the edge cannot carry it (a subclass override the caller's object
    /// cannot be).
    fn carry(
        &self,
        caller: FuncId,
        edge: &Edge,
        needs: Option<ClassId>,
    ) -> Option<Option<ClassId>> {
        let call = &self.project.function(caller).calls[edge.call as usize];
        if call.receiver != Receiver::Own {
            // Another object (or none): its class does not constrain the caller's.
            return Some(None);
        }
        let (Some(mine), Some(theirs)) = (self.class_of(caller), self.class_of(edge.callee)) else {
            return Some(needs);
        };
        // `self.m()` reaching an override in a subclass holds only for that subclass.
        let mut required = needs;
        if theirs != mine && self.project.mro(theirs).contains(&mine) {
            required = match required {
                Some(r) if self.related(r, theirs) => {
                    Some(if self.project.mro(r).contains(&theirs) {
                        r
                    } else {
                        theirs
                    })
                }
                Some(_) => return None,
                None => Some(theirs),
            };
        }
        match required {
            Some(r) if !self.related(r, mine) => None,
            other => Some(other),
        }
    }

    fn compute_takes(&mut self) {
        let project = self.project;
        let n = project.functions.len();
        let mut queue: VecDeque<FuncId> = VecDeque::new();
        let mut queued = vec![false; n];
        // Functions that test a lock with a non-blocking acquire (`if lock.acquire(False):`)
        // call on knowing whether it is free: what their calls take of it is no re-entry.
        let mut tries: HashMap<FuncId, Vec<LockId>> = HashMap::new();
        for f in 0..n as FuncId {
            let summary = project.function(f);
            for acquisition in summary.locking.acquisitions.iter().filter(|a| !a.blocking) {
                let loc = self.identity(f, &acquisition.lock);
                let id = self.intern(loc);
                tries.entry(f).or_default().push(id);
            }
        }
        for f in 0..n as FuncId {
            let summary = project.function(f);
            let mut own: Vec<(LockId, Fact)> = Vec::new();
            let mut any: Vec<(LockId, Fact)> = Vec::new();
            let here = |range| Fact {
                step: Step::Here(range),
                depth: 0,
                receiver: None,
            };
            for loc in project.decorator_locks(f).to_vec() {
                let id = self.intern(loc);
                if self.sites.len() <= id as usize {
                    self.sites.resize(id as usize + 1, Vec::new());
                }
                if self.sites[id as usize].len() < MAX_SITES_PER_LOCK {
                    self.sites[id as usize].push((f, summary.range));
                }
                push_capped(&mut any, id, here(summary.range));
                push_capped(&mut own, id, here(summary.range));
            }
            for acquisition in summary.locking.acquisitions.iter().filter(|a| a.blocking) {
                let loc = self.identity(f, &acquisition.lock);
                let instance = self.is_instance_lock(&loc);
                let id = self.intern(loc);
                push_capped(&mut any, id, here(acquisition.range));
                if self.sites.len() <= id as usize {
                    self.sites.resize(id as usize + 1, Vec::new());
                }
                if self.sites[id as usize].len() < MAX_SITES_PER_LOCK {
                    self.sites[id as usize].push((f, acquisition.range));
                }
                if acquisition.via_self || !instance {
                    push_capped(&mut own, id, here(acquisition.range));
                }
            }
            if !any.is_empty() {
                queue.push_back(f);
                queued[f as usize] = true;
            }
            if !any.is_empty() {
                self.takes.insert(f, any);
            }
            if !own.is_empty() {
                self.takes_own.insert(f, own);
            }
        }
        let callers = std::mem::take(&mut self.callers);
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
                let tried = tries.get(&g).map(Vec::as_slice).unwrap_or_default();
                let incoming: Vec<(LockId, Fact)> = self.takes.get(&f).cloned().unwrap_or_default();
                for (id, fact) in incoming {
                    if tried.contains(&id) {
                        continue;
                    }
                    if let Some(receiver) = self.carry(g, edge, fact.receiver) {
                        let fact = Fact {
                            step,
                            depth: fact.depth + 1,
                            receiver,
                        };
                        changed |= push_capped(self.takes.entry(g).or_default(), id, fact);
                    }
                }
                if call.receiver == Receiver::Own {
                    let incoming: Vec<(LockId, Fact)> =
                        self.takes_own.get(&f).cloned().unwrap_or_default();
                    for (id, fact) in incoming {
                        if tried.contains(&id) {
                            continue;
                        }
                        if let Some(receiver) = self.carry(g, edge, fact.receiver) {
                            let fact = Fact {
                                step,
                                depth: fact.depth + 1,
                                receiver,
                            };
                            changed |= push_capped(self.takes_own.entry(g).or_default(), id, fact);
                        }
                    }
                }
                if changed && !queued[g as usize] {
                    queued[g as usize] = true;
                    queue.push_back(g);
                }
            }
        }
        self.callers = callers;
    }

    /// What a blocking call waits for, now that the project's classes are known: a `join()` on
    /// an object of a `Thread` subclass waits for a thread.
    pub fn blocking_kind(&self, call: &BlockingCall) -> Option<Blocking> {
        let kind = match call.kind {
            Some(kind) => kind,
            None => {
                let class = call.receiver_type.as_deref()?;
                let Some(Target::Class(c)) = self.project.resolve_name(class) else {
                    return None;
                };
                // The project's own method: its calls are followed instead.
                if self.project.lookup_method(c, &call.method).is_some() {
                    return None;
                }
                self.project.mro(c).iter().find_map(|&k| {
                    self.project.class(k).bases.iter().find_map(|base| {
                        catalogue::method(base, &call.method).and_then(|e| e.blocks)
                    })
                })?
            }
        };
        let exempt = match kind {
            // A timed or non-blocking `get` does not wait for long; whether a `put` can wait at
            // all depends on the queue's bound, which snarl does not know. A timed join or wait
            // under a lock is a bounded stall, usually a deliberate shutdown step.
            Blocking::QueueGet
            | Blocking::ThreadJoin
            | Blocking::ProcessJoin
            | Blocking::Wait
            | Blocking::FutureResult => call.timeout,
            Blocking::QueuePut => true,
            // Reads and writes on a socket under a lock are how a shared connection is kept in
            // order: the lock is the connection's.
            Blocking::Network => call.receiver_type.as_deref() == Some("socket.socket"),
            // A back-off in an error handler before a retry.
            Blocking::Sleep => call.in_handler,
            Blocking::LockAcquire | Blocking::File => true,
            _ => false,
        };
        (!exempt).then_some(kind)
    }

    /// Whether a blocking call is slow work that stalls a lock's other users wherever it runs
    /// under it (and so counts through calls): a sleep, network I/O, a subprocess. Waits for
    /// other threads count only where what they wait for needs the lock.
    pub fn propagates(&self, kind: Blocking) -> bool {
        matches!(
            kind,
            Blocking::Sleep | Blocking::Network | Blocking::Subprocess
        )
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
                .filter_map(|b| self.blocking_kind(b).map(|kind| (kind, b.range)))
                .find(|(kind, _)| self.propagates(*kind));
            if let Some((kind, range)) = direct {
                self.blocks.insert(
                    f,
                    Blocks {
                        kind,
                        fact: Fact {
                            step: Step::Here(range),
                            depth: 0,
                            receiver: None,
                        },
                    },
                );
                queue.push_back(f);
            }
        }
        let callers = std::mem::take(&mut self.callers);
        while let Some(f) = queue.pop_front() {
            let Some(&found) = self.blocks.get(&f) else {
                continue;
            };
            if found.fact.depth >= MAX_CALL_DEPTH {
                continue;
            }
            for &(g, e) in &callers[f as usize] {
                if self.blocks.contains_key(&g) {
                    continue;
                }
                let edge = &project.edges[g as usize][e];
                let Some(receiver) = self.carry(g, edge, found.fact.receiver) else {
                    continue;
                };
                self.blocks.insert(
                    g,
                    Blocks {
                        kind: found.kind,
                        fact: Fact {
                            step: Step::Call {
                                site: edge.site,
                                callee: f,
                            },
                            depth: found.fact.depth + 1,
                            receiver,
                        },
                    },
                );
                queue.push_back(g);
            }
        }
        self.callers = callers;
    }

    /// Whether the callable a [`ForeignCall`] in `function` calls comes from outside: a
    /// parameter, an attribute some method sets from a parameter (and no method of that name),
    /// an element of an attribute that parameters are registered in.
    pub fn is_foreign(&self, function: FuncId, call: &ForeignCall) -> bool {
        let name = match &call.source {
            CallbackSource::Param { name } | CallbackSource::Attr { name } => name,
            CallbackSource::Element { attr } => attr,
        };
        // A class or factory passed in makes an object; it is no callback.
        if names_a_class(name) {
            return false;
        }
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
                .any(|k| {
                    self.param_attrs
                        .get(k)
                        .is_some_and(|attrs| attrs.contains(attr))
                })
        };
        match &call.source {
            CallbackSource::Param { .. } => true,
            CallbackSource::Attr { name } => {
                attr_from_param(name)
                    && !summary.class.as_ref().is_some_and(|class| {
                        self.project
                            .class_by_name
                            .get(class)
                            .is_some_and(|&c| self.project.lookup_method(c, name).is_some())
                    })
            }
            CallbackSource::Element { attr } => attr_from_param(attr),
        }
    }

    /// The project's functions that a [`ForeignCall`] in `function` calls, as far as the project
    /// shows them: what every call of `function` passes for the parameter (following parameters
    /// passed on, a few calls up), or what every construction passes for the constructor
    /// parameter the attribute keeps. `None` when some call passes something else, or the
    /// project makes no such call (then the callers are the library's users).
    pub fn passed_callables(&self, function: FuncId, call: &ForeignCall) -> Option<Vec<FuncId>> {
        let project = self.project;
        match &call.source {
            CallbackSource::Param { name } => {
                let index = project
                    .function(function)
                    .params
                    .iter()
                    .position(|p| p == name)?;
                self.passed_for(function, index as u32, MAX_CALL_DEPTH)
            }
            CallbackSource::Attr { name } => {
                let class = project.function(function).class.as_ref()?;
                let &c = project.class_by_name.get(class)?;
                // Set from a parameter of a method other than the constructor: any caller's.
                let set_elsewhere = project.mro(c).iter().any(|&k| {
                    let (m, _) = project.classes[k as usize];
                    project.class(k).methods.iter().any(|(method, index)| {
                        method != "__init__"
                            && project.modules[m as usize]
                                .functions
                                .get(*index as usize)
                                .is_some_and(|f| f.locking.param_attrs.contains(name))
                    })
                });
                if set_elsewhere {
                    return None;
                }
                project.mro(c).iter().find_map(|&k| {
                    let &(_, index) = project
                        .class(k)
                        .attr_params
                        .iter()
                        .find(|(a, _)| a == name)?;
                    let init = project.lookup_method(k, "__init__")?;
                    self.passed_for(init, index, MAX_CALL_DEPTH)
                })
            }
            CallbackSource::Element { .. } => None,
        }
    }

    /// What every call of `function` outside tests passes as its parameter `index`; tests call
    /// code with stand-ins, not with what it runs with.
    fn passed_for(&self, function: FuncId, index: u32, hops: u32) -> Option<Vec<FuncId>> {
        let callers: Vec<(FuncId, usize)> = self.callers[function as usize]
            .iter()
            .copied()
            .filter(|&(g, _)| !self.in_tests(g))
            .collect();
        if callers.is_empty() || hops == 0 {
            return None;
        }
        let mut out = Vec::new();
        for (g, e) in callers {
            let edge = &self.project.edges[g as usize][e];
            let site = self.project.function(g).calls.get(edge.call as usize)?;
            let arg = self
                .project
                .argument_for(site, function, index, edge.bound)?;
            if let Some(ArgSource::Param { index: outer }) = arg.source {
                out.extend(self.passed_for(g, outer, hops - 1)?);
            } else {
                let (found, _) = self.project.resolve(arg.callable.as_ref()?);
                if found.is_empty() {
                    return None;
                }
                out.extend(found);
            }
        }
        out.sort_unstable();
        out.dedup();
        Some(out)
    }

    /// Whether the call at `range` in `function` calls a callable from outside.
    pub fn is_foreign_site(&self, function: FuncId, range: TextRange) -> bool {
        self.foreign.contains(&(function, range))
    }

    fn compute_param_attrs(&mut self) {
        let project = self.project;
        for k in 0..project.classes.len() as ClassId {
            let class = project.class(k);
            let (m, _) = project.classes[k as usize];
            let mut attrs: HashSet<String> =
                class.attr_params.iter().map(|(a, _)| a.clone()).collect();
            for (_, index) in &class.methods {
                if let Some(f) = project.modules[m as usize].functions.get(*index as usize) {
                    attrs.extend(f.locking.param_attrs.iter().cloned());
                }
            }
            if !attrs.is_empty() {
                self.param_attrs.insert(k, attrs);
            }
        }
    }

    fn compute_foreign(&mut self) {
        let project = self.project;
        let mut foreign = HashSet::new();
        for f in 0..project.functions.len() as FuncId {
            for call in &project.function(f).locking.callbacks {
                if self.is_foreign(f, call) {
                    foreign.insert((f, call.range));
                }
            }
        }
        self.foreign = foreign;
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
                .find(|c| self.foreign.contains(&(f, c.range)));
            if let Some(call) = direct {
                self.calls_back.insert(
                    f,
                    Fact {
                        step: Step::Here(call.range),
                        depth: 0,
                        receiver: None,
                    },
                );
                queue.push_back(f);
            }
        }
        let callers = std::mem::take(&mut self.callers);
        while let Some(f) = queue.pop_front() {
            let Some(&found) = self.calls_back.get(&f) else {
                continue;
            };
            if found.depth >= MAX_CALL_DEPTH {
                continue;
            }
            for &(g, e) in &callers[f as usize] {
                if self.calls_back.contains_key(&g) {
                    continue;
                }
                let edge = &project.edges[g as usize][e];
                if !self.carries_callbacks(g, edge) {
                    continue;
                }
                let Some(receiver) = self.carry(g, edge, found.receiver) else {
                    continue;
                };
                self.calls_back.insert(
                    g,
                    Fact {
                        step: Step::Call {
                            site: edge.site,
                            callee: f,
                        },
                        depth: found.depth + 1,
                        receiver,
                    },
                );
                queue.push_back(g);
            }
        }
        self.callers = callers;
    }

    /// The locks `edge`'s callee takes, as the caller sees them (`own`: through calls on the
    /// same receiver only).
    pub fn takes_via(&self, caller: FuncId, edge: &Edge, own: bool) -> Vec<LockId> {
        let list = if own {
            self.takes_own.get(&edge.callee)
        } else {
            self.takes.get(&edge.callee)
        };
        list.into_iter()
            .flatten()
            .filter(|(_, fact)| self.carry(caller, edge, fact.receiver).is_some())
            .map(|(id, _)| *id)
            .collect()
    }

    /// The blocking call `edge`'s callee makes, as the caller sees it.
    pub fn blocks_via(&self, caller: FuncId, edge: &Edge) -> Option<Blocks> {
        let found = *self.blocks.get(&edge.callee)?;
        self.carry(caller, edge, found.fact.receiver)?;
        Some(found)
    }

    /// Whether `edge`'s callee calls a callable from outside, as the caller sees it.
    pub fn calls_back_via(&self, caller: FuncId, edge: &Edge) -> bool {
        self.carries_callbacks(caller, edge)
            && self
                .calls_back
                .get(&edge.callee)
                .is_some_and(|fact| self.carry(caller, edge, fact.receiver).is_some())
    }

    /// Callbacks count through calls on the same object and through plain functions: a
    /// callable another object keeps is that object's business.
    fn carries_callbacks(&self, caller: FuncId, edge: &Edge) -> bool {
        let call = &self.project.function(caller).calls[edge.call as usize];
        call.receiver == Receiver::Own
            || (call.receiver == Receiver::None
                && !edge.constructor
                && self.project.function(edge.callee).class.is_none())
    }

    /// The step `function` takes towards lock `id` (through its own receiver only when `own`).
    pub fn take_step(&self, function: FuncId, id: LockId, own: bool) -> Option<Step> {
        let list = if own {
            self.takes_own.get(&function)
        } else {
            self.takes.get(&function)
        };
        list.into_iter()
            .flatten()
            .find(|(l, _)| *l == id)
            .map(|(_, fact)| fact.step)
    }

    /// The calls from `function` down to where it takes lock `id`: each call site, then the
    /// acquisition, as (function, range) pairs.
    pub fn take_path(&self, function: FuncId, id: LockId, own: bool) -> Vec<(FuncId, TextRange)> {
        self.follow(function, |f| self.take_step(f, id, own))
    }

    /// The calls from `function` down to the blocking call it makes.
    pub fn block_path(&self, function: FuncId) -> Vec<(FuncId, TextRange)> {
        self.follow(function, |f| self.blocks.get(&f).map(|b| b.fact.step))
    }

    /// The calls from `function` down to the callback it makes.
    pub fn callback_path(&self, function: FuncId) -> Vec<(FuncId, TextRange)> {
        self.follow(function, |f| self.calls_back.get(&f).map(|fact| fact.step))
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

    /// Whether `function` is test code: tests block under locks and poll on purpose, to
    /// orchestrate the threads they test.
    pub fn in_tests(&self, function: FuncId) -> bool {
        self.project
            .is_test_module(self.project.functions[function as usize].0 as usize)
    }

    /// Whether other code, that may run at the same time as `at` in `function` on another
    /// thread, takes `lock` too: some thread would wait for it. A lock only this function takes
    /// serializes this function, which is what it is for.
    pub fn contended(&self, function: FuncId, at: TextRange, lock: &Loc) -> bool {
        let Some(id) = self.id(lock) else {
            return false;
        };
        let here = self.threads_at(function, at);
        self.sites.get(id as usize).is_some_and(|sites| {
            sites.iter().any(|&(g, range)| {
                g != function && self.project.may_meet(&here, &self.threads_at(g, range))
            })
        })
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

/// Whether a callable's name says it is a class or a factory (`cls`, `_wrappedClass`,
/// `node_factory`, `Handler`).
fn names_a_class(name: &str) -> bool {
    let lower = name.trim_start_matches('_').to_ascii_lowercase();
    name.trim_start_matches('_')
        .starts_with(|c: char| c.is_ascii_uppercase())
        || ["class", "cls", "type", "factory", "constructor", "klass"]
            .iter()
            .any(|suffix| lower.ends_with(suffix))
}

fn push_capped(list: &mut Vec<(LockId, Fact)>, id: LockId, fact: Fact) -> bool {
    if list.len() >= MAX_LOCKS_PER_FUNCTION || list.iter().any(|(l, _)| *l == id) {
        return false;
    }
    list.push((id, fact));
    true
}

//! Concurrency roots: the code that runs on threads other than the one that reached it.
//!
//! Decides, from the spawns in the summaries and the class hierarchy, which functions start
//! threads (a `Thread` target that is started, a pool task, a timer, a server's handlers, the `run`
//! of a `Thread` subclass started somewhere), how many run at once (a start in a loop, a pool, a
//! start from code that itself runs many times), and which code is called from threads the
//! program does not show: the public methods of classes meant to be shared (they hold or take a
//! lock, run a thread of their own, or are a module-level instance in a package that starts
//! threads), the public functions of modules that keep a lock, and what the `concurrent` setting
//! names. Roots that run as one thread of control share a group.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::link::Target;
use super::{ClassId, FuncId, Project, RootId};
use crate::python::TextRange;
use crate::source::Span;
use crate::summary::{Callee, FunctionKind, SpawnKind, Start};

/// How a concurrency root came to be.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RootKind {
    /// Started explicitly: `Thread(target=...)`, a pool, a timer, a server...
    Spawn(SpawnKind),
    /// The `run` method of a `threading.Thread` subclass.
    ThreadRun,
    /// A public method of a class meant to be used from several threads; `evidence` says why,
    /// `seen_at` is a thread start it cites, `scope` which of its state the evidence covers.
    ClassIntent {
        class: ClassId,
        evidence: String,
        seen_at: Option<Span>,
        scope: IntentScope,
    },
    /// A public function of a module that keeps a module-level lock.
    ModuleIntent { module: String, evidence: String },
    /// Named by the `concurrent` setting.
    Declared { pattern: String },
}

/// Which state of a class its intent says is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntentScope {
    /// Its instances are shared (it holds a lock of its own, runs a thread of its own).
    Instances,
    /// Only its class-level state: every lock it has lives on the class (one for all instances,
    /// typically serializing a class-level cache or output).
    ClassLevel,
    /// There is one module-level instance every importer uses: all of its state is shared.
    Singleton,
}

/// A concurrency root: code that runs on threads other than the main one.
#[derive(Debug, Clone)]
pub struct Root {
    pub kind: RootKind,
    pub entry: FuncId,
    /// Runs as several threads at once (a loop, a pool, a server, any caller for intent roots).
    pub many: bool,
    /// Where it is started (the `.start()` call, the submit, the class the intent comes from).
    pub site: Option<Span>,
    /// Runs in another process (kept apart: processes share no memory with threads).
    pub process: bool,
    /// The thread works on an object of its own (`Thread(target=w.run)` with `w` made for it, a
    /// thread's own `run`): that object's instance attributes belong to that one thread.
    pub owns_receiver: bool,
    /// Roots with the same group are one thread of control (or one pool); a group is named by
    /// its first root.
    pub group: RootId,
    /// The function that starts it and the index of the spawn there.
    pub spawner: Option<(FuncId, u32)>,
}

impl Root {
    /// Whether the root is explicit in the code (a thread the program starts) rather than
    /// inferred from intent.
    pub fn is_explicit(&self) -> bool {
        matches!(
            self.kind,
            RootKind::Spawn(_) | RootKind::ThreadRun | RootKind::Declared { .. }
        )
    }

    /// Whether the root stands for callers snarl cannot see (users of a library's API, a
    /// framework): they may call at any time, beside anything.
    pub fn is_external(&self) -> bool {
        matches!(
            self.kind,
            RootKind::ClassIntent { .. }
                | RootKind::ModuleIntent { .. }
                | RootKind::Declared { .. }
        )
    }
}

const CONCURRENT_DUNDERS: &[&str] = &[
    "__init__",
    "__new__",
    "__call__",
    "__enter__",
    "__exit__",
    "__getitem__",
    "__setitem__",
    "__delitem__",
    "__contains__",
    "__iter__",
    "__next__",
    "__len__",
];

/// Set-up methods: the owner calls them once, before it shares the object.
const SETUP_METHODS: &[&str] = &[
    "start",
    "open",
    "connect",
    "setup",
    "set_up",
    "initialize",
    "configure",
    "prepare",
    "load",
    "restart",
    "graceful",
    "reload",
];

/// Whether `name` is a set-up method: called once, by the owner, before the object is shared.
pub fn is_setup_method(name: &str) -> bool {
    SETUP_METHODS.contains(&name)
}

const THREAD_BASES: &[&str] = &["threading.Thread", "threading.Timer"];
const PROCESS_BASES: &[&str] = &["multiprocessing.Process"];

impl Project {
    /// Adds `root` unless it is there already; returns its id. A `group` of `RootId::MAX` puts
    /// the root in a group of its own.
    fn add_root(&mut self, mut root: Root) -> RootId {
        let key = (root.entry, root.kind.clone(), root.site);
        if let Some(&existing) = self.root_keys.get(&key) {
            return existing;
        }
        let id = self.roots.len() as RootId;
        if root.group == RootId::MAX {
            root.group = id;
        }
        self.root_keys.insert(key, id);
        self.roots.push(root);
        id
    }

    /// Whether module `m` is test code (`tests/…`, `test_*.py`, `*_test.py`, `conftest.py`) or
    /// lives with examples, docs, demos or benchmarks. Tests start threads to exercise code, one
    /// test at a time, and examples show one way to use it: neither is how the code runs.
    pub fn is_test_module(&self, m: usize) -> bool {
        self.modules[m].non_production || is_test_module_name(&self.modules[m].module)
    }

    /// Whether class `c` is a thread (`Some(false)`) or process (`Some(true)`) class.
    pub fn thread_class(&self, c: ClassId) -> Option<bool> {
        if self.derives_from(c, THREAD_BASES) {
            Some(false)
        } else if self.derives_from(c, PROCESS_BASES) {
            Some(true)
        } else {
            None
        }
    }

    /// The `run` methods a `.start()` on an object of `class` runs: its own (and, on `self`, its
    /// subclasses' overrides).
    fn run_methods(&self, c: ClassId, is_virtual: bool) -> Vec<FuncId> {
        let mut out: Vec<FuncId> = self.lookup_method(c, "run").into_iter().collect();
        if is_virtual {
            for &d in self.descendants(c) {
                if let Some(m) = self.own_method(d, "run") {
                    if !out.contains(&m) {
                        out.push(m);
                    }
                }
            }
        }
        out
    }

    pub(super) fn find_roots(&mut self, declared: &[String]) {
        let started_classes = self.explicit_roots();
        self.unstarted_thread_classes(&started_classes);
        // A thread's own loop is a root of its own. A module's public function, or a property,
        // that the project itself calls with a lock held is a helper meant to run under it: its
        // callers, not their users, are the entry points; so is a method the project calls only
        // with a lock held. A class's other public methods are its users' API.
        let explicit_entries: HashSet<FuncId> = self.roots.iter().map(|r| r.entry).collect();
        let mut under_lock = explicit_entries.clone();
        for (f, edges) in self.edges.iter().enumerate() {
            let calls = &self.function(f as FuncId).calls;
            under_lock.extend(
                edges
                    .iter()
                    .filter(|edge| !calls[edge.call as usize].held.is_empty())
                    .map(|edge| edge.callee),
            );
        }
        // A method the project calls only with a lock held (every call site it has) is run
        // under that lock by design, whoever its users are.
        let mut callers = vec![(0u32, 0u32); self.functions.len()];
        for (f, edges) in self.edges.iter().enumerate() {
            let calls = &self.function(f as FuncId).calls;
            for edge in edges {
                let entry = &mut callers[edge.callee as usize];
                entry.0 += 1;
                entry.1 += u32::from(!calls[edge.call as usize].held.is_empty());
            }
        }
        let class_entries: HashSet<FuncId> = under_lock
            .iter()
            .copied()
            .filter(|&f| {
                let (all, locked) = callers[f as usize];
                explicit_entries.contains(&f) || self.function(f).property || all == locked
            })
            .collect();
        self.intent_roots(&class_entries);
        self.module_intent_roots(&under_lock);
        self.declared_roots(declared);
        // A thread started from code that runs on many threads runs many times too.
        self.group_many = vec![false; self.roots.len()];
        self.group_external = vec![false; self.roots.len()];
        for root in &self.roots {
            let g = root.group as usize;
            self.group_many[g] |= root.many;
            self.group_external[g] |= root.is_external();
        }
    }

    /// Roots the program starts; returns the thread classes started somewhere.
    fn explicit_roots(&mut self) -> HashSet<ClassId> {
        let mut started = HashSet::default();
        for id in 0..self.functions.len() as FuncId {
            if self.is_test_module(self.functions[id as usize].0 as usize) {
                continue;
            }
            let spawns = self.function(id).spawns.clone();
            for (index, spawn) in spawns.iter().enumerate() {
                if spawn.start == Start::Never {
                    continue;
                }
                let site = Some(Span::new(self.file_of(id), spawn.range));
                let mut kind = RootKind::Spawn(spawn.kind);
                let mut process = spawn.kind.is_process();
                let entries: Vec<FuncId> = match (&spawn.kind, &spawn.target) {
                    (SpawnKind::ThreadSubclass, Callee::Method { class, .. }) => {
                        let Some(Target::Class(c)) = self.resolve_name(class) else {
                            continue;
                        };
                        let Some(is_process) = self.thread_class(c) else {
                            continue;
                        };
                        started.insert(c);
                        kind = RootKind::ThreadRun;
                        process = is_process;
                        self.run_methods(c, !spawn.on_other_object)
                    }
                    (SpawnKind::ThreadingServer, Callee::Name { name }) => {
                        self.handler_entries(name)
                    }
                    (SpawnKind::ThreadingServer, Callee::Method { class, name, .. }) => {
                        // `MyServer(addr, Handler)`: only when MyServer is a threading server.
                        let threading = matches!(self.resolve_name(class), Some(Target::Class(c))
                        if self.derives_from(c, &[
                            "socketserver.ThreadingMixIn",
                            "socketserver.ThreadingTCPServer",
                            "http.server.ThreadingHTTPServer",
                        ]));
                        if threading {
                            self.handler_entries(name)
                        } else {
                            Vec::new()
                        }
                    }
                    (_, target) => self.resolve(target).0,
                };
                // A thread a constructor starts on its own object gets a new object each time.
                let on_new_self = self.function(id).name == "__init__"
                    && matches!(spawn.target, Callee::Method { .. });
                let mut group = RootId::MAX;
                for entry in entries {
                    let owns_receiver =
                        spawn.on_other_object || kind == RootKind::ThreadRun || on_new_self;
                    let id = self.add_root(Root {
                        kind: kind.clone(),
                        entry,
                        many: spawn.many,
                        site,
                        process,
                        owns_receiver,
                        group,
                        spawner: Some((id, index as u32)),
                    });
                    group = self.roots[id as usize].group;
                }
            }
        }
        started
    }

    /// `Thread` subclasses never seen started (a library's, started by its users): their `run`
    /// is a root of its own, at the class.
    fn unstarted_thread_classes(&mut self, started: &HashSet<ClassId>) {
        let constructed_in_loops: HashSet<String> = (0..self.functions.len() as FuncId)
            .flat_map(|f| self.function(f).calls.iter())
            .filter(|call| call.in_loop)
            .filter_map(|call| match &call.callee {
                Callee::Name { name } => Some(name.clone()),
                _ => None,
            })
            .collect();
        for c in 0..self.classes.len() as ClassId {
            if self.is_test_module(self.classes[c as usize].0 as usize) {
                continue;
            }
            let Some(is_process) = self.thread_class(c) else {
                continue;
            };
            let started_here = std::iter::once(c)
                .chain(self.mro(c).iter().copied())
                .chain(self.descendants(c).iter().copied())
                .any(|k| started.contains(&k));
            if started_here {
                continue;
            }
            let Some(run) = self.own_method(c, "run") else {
                continue;
            };
            let many = std::iter::once(c)
                .chain(self.descendants(c).iter().copied())
                .any(|k| constructed_in_loops.contains(self.class(k).qualname.as_str()));
            let site = Some(Span::new(self.class_file(c), self.class(c).header));
            self.add_root(Root {
                kind: RootKind::ThreadRun,
                entry: run,
                many,
                site,
                process: is_process,
                owns_receiver: true,
                group: RootId::MAX,
                spawner: None,
            });
        }
    }

    /// Intent: the public methods of classes meant to be shared.
    fn intent_roots(&mut self, explicit_entries: &HashSet<FuncId>) {
        // The entries by the class owning them, once: each class asks for its family's.
        let mut entries_by_class: HashMap<ClassId, Vec<FuncId>> = HashMap::default();
        for &f in explicit_entries {
            if let Some(&k) = self
                .function(f)
                .class
                .as_deref()
                .and_then(|owner| self.class_by_name.get(owner))
            {
                entries_by_class.entry(k).or_default().push(f);
            }
        }
        for entries in entries_by_class.values_mut() {
            entries.sort_unstable();
        }
        for c in 0..self.classes.len() as ClassId {
            if self.is_test_module(self.classes[c as usize].0 as usize) {
                continue;
            }
            let Some((owner, evidence, seen_at)) = self.intent_of(c) else {
                continue;
            };
            let site = Some(Span::new(self.class_file(owner), self.class(owner).header));
            let scope = if seen_at.is_some() {
                IntentScope::Singleton
            } else if self.locks_only_on_class(c) {
                IntentScope::ClassLevel
            } else {
                IntentScope::Instances
            };
            let mut methods: Vec<(String, FuncId)> = Vec::new();
            for &k in self.mro(c) {
                for (name, _) in &self.class(k).methods {
                    if methods.iter().any(|(n, _)| n == name) {
                        continue;
                    }
                    if let Some(f) = self.own_method(k, name) {
                        methods.push((name.clone(), f));
                    }
                }
            }
            // "This is the only thread-safe method": the class's users call it from other
            // threads, and nothing else.
            let sole = methods
                .iter()
                .find(|(_, f)| self.function(*f).sole_thread_safe)
                .map(|(_, f)| *f);
            // What the class's own threads run on the object (their loop and the methods it
            // calls on `self`) is the threads' code, not its users' API.
            let internal = self.reached_on_self(&entries_by_class, c);
            let mut group = RootId::MAX;
            for (name, entry) in methods {
                if sole.is_some_and(|sole| sole != entry) || internal.contains(&entry) {
                    continue;
                }
                // A thread's own loop (`run`, a thread target) is a root of its own, with its own
                // multiplicity; intent does not make it run twice.
                if explicit_entries.contains(&entry) {
                    continue;
                }
                let public = !name.starts_with('_') || CONCURRENT_DUNDERS.contains(&name.as_str());
                let function = self.function(entry);
                if !public
                    || SETUP_METHODS.contains(&name.as_str())
                    || function.not_thread_safe
                    || function.is_async
                    || function.kind == FunctionKind::StaticMethod && name.starts_with('_')
                    || (self.thread_class(c).is_some() && matches!(name.as_str(), "run" | "start"))
                {
                    continue;
                }
                let id = self.add_root(Root {
                    kind: RootKind::ClassIntent {
                        class: owner,
                        evidence: evidence.clone(),
                        seen_at,
                        scope,
                    },
                    entry,
                    many: true,
                    site,
                    process: false,
                    owns_receiver: false,
                    group,
                    spawner: None,
                });
                group = self.roots[id as usize].group;
            }
        }
    }

    /// The methods of `class` (or its family) that the explicit roots of its family (by class)
    /// on it reach through calls on `self`.
    fn reached_on_self(
        &self,
        entries_by_class: &HashMap<ClassId, Vec<FuncId>>,
        class: ClassId,
    ) -> HashSet<FuncId> {
        let mut family: Vec<ClassId> = vec![class];
        family.extend(self.mro(class).iter().copied().filter(|&k| k != class));
        let mut stack: Vec<FuncId> = family
            .iter()
            .filter_map(|k| entries_by_class.get(k))
            .flatten()
            .copied()
            .collect();
        let mut seen: HashSet<FuncId> = stack.iter().copied().collect();
        while let Some(f) = stack.pop() {
            let calls = &self.function(f).calls;
            for edge in &self.edges[f as usize] {
                if calls[edge.call as usize].receiver == crate::summary::Receiver::Own
                    && seen.insert(edge.callee)
                {
                    stack.push(edge.callee);
                }
            }
        }
        seen
    }

    /// Intent: modules with a module-level lock.
    fn module_intent_roots(&mut self, explicit_entries: &HashSet<FuncId>) {
        for m in 0..self.modules.len() {
            let module = &self.modules[m];
            if module.lock_globals.is_empty() || self.is_test_module(m) {
                continue;
            }
            let evidence = format!(
                "`{}` keeps the module-level lock `{}`",
                module.module, module.lock_globals[0]
            );
            let file = module.file;
            let entries: Vec<(FuncId, TextRange)> = module
                .functions
                .iter()
                .filter(|f| {
                    f.kind == FunctionKind::Function
                        && !f.name.starts_with('_')
                        && !f.is_async
                        && f.qualname == format!("{}.{}", module.module, f.name)
                })
                .filter_map(|f| {
                    self.function_by_name
                        .get(&f.qualname)
                        .map(|&id| (id, f.range))
                })
                .filter(|(id, _)| !explicit_entries.contains(id))
                .collect();
            let module_name = module.module.clone();
            let mut group = RootId::MAX;
            for (entry, range) in entries {
                let id = self.add_root(Root {
                    kind: RootKind::ModuleIntent {
                        module: module_name.clone(),
                        evidence: evidence.clone(),
                    },
                    entry,
                    many: true,
                    site: Some(Span::new(file, range)),
                    process: false,
                    owns_receiver: false,
                    group,
                    spawner: None,
                });
                group = self.roots[id as usize].group;
            }
        }
    }

    /// Entry points the user declared.
    fn declared_roots(&mut self, declared: &[String]) {
        for pattern in declared {
            let regex = declared_matcher(pattern);
            let matches: Vec<FuncId> = (0..self.functions.len() as FuncId)
                .filter(|&f| regex(&self.function(f).qualname))
                .collect();
            let mut group = RootId::MAX;
            for entry in matches {
                let site = Some(Span::new(self.file_of(entry), self.function(entry).range));
                let id = self.add_root(Root {
                    kind: RootKind::Declared {
                        pattern: pattern.clone(),
                    },
                    entry,
                    many: true,
                    site,
                    process: false,
                    owns_receiver: false,
                    group,
                    spawner: None,
                });
                group = self.roots[id as usize].group;
            }
        }
    }

    /// Entry points of a request-handler class: `handle`, `setup`, `finish`, `do_*` and its other
    /// public methods.
    fn handler_entries(&self, class: &str) -> Vec<FuncId> {
        let Some(Target::Class(c)) = self.resolve_name(class) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for &k in self.mro(c) {
            for (name, _) in &self.class(k).methods {
                if name.starts_with('_') {
                    continue;
                }
                if let Some(f) = self.lookup_method(c, name) {
                    if !out.contains(&f) {
                        out.push(f);
                    }
                }
            }
        }
        out
    }

    /// Why class `c` is meant to be used from several threads, and which class says so: it (or a
    /// base) takes a lock of its own (or a module-level one) in a method, or has a module-level
    /// instance in a package that starts threads. Running a thread of its own is not evidence:
    /// on three sets of projects nobody tuned on, the races it implied between the class's
    /// users were false three times in four (one owner thread drives such classes). A class whose
    /// docstring says it is not thread-safe is not meant to be shared, whatever it holds.
    pub fn intent_of(&self, c: ClassId) -> Option<(ClassId, String, Option<Span>)> {
        if self.mro(c).iter().any(|&k| self.class(k).not_thread_safe) {
            return None;
        }
        for &k in self.mro(c) {
            let class = self.class(k);
            let short = short_name(&class.qualname);
            if let Some(lock) = class.taken_locks.first() {
                return Some((k, format!("`{short}` takes its lock `{lock}`"), None));
            }
            if class.takes_lock {
                return Some((k, format!("`{short}` takes a lock in its methods"), None));
            }
        }
        self.module_instance(c)
            .map(|(evidence, site)| (c, evidence, Some(site)))
    }

    /// Whether every lock the class holds or takes lives on the class itself (shared by all
    /// instances, typically serializing a class-level cache or output): then only class-level
    /// state is meant to be shared, and the class starts no thread of its own.
    fn locks_only_on_class(&self, c: ClassId) -> bool {
        let mut any = false;
        for &k in self.mro(c) {
            if self.starts_own_thread(k) {
                return false;
            }
            let class = self.class(k);
            let on_class = |name: &str| {
                self.is_class_attr(&crate::summary::Loc::Attr {
                    class: class.qualname.clone(),
                    name: name.to_string(),
                })
            };
            for lock in &class.lock_attrs {
                any = true;
                if !on_class(lock) {
                    return false;
                }
            }
            // The locks its methods take: the class's own, on the class, or none of its own.
            for (name, _) in &class.methods {
                let Some(f) = self.own_method(k, name) else {
                    continue;
                };
                let function = self.function(f);
                let held = function
                    .accesses
                    .iter()
                    .flat_map(|a| a.held.iter())
                    .chain(function.calls.iter().flat_map(|c| c.held.iter()));
                for lock in held {
                    any = true;
                    match self.lock_loc(f, lock) {
                        crate::summary::Loc::Attr { .. }
                            if self.is_class_attr(&self.lock_loc(f, lock)) => {}
                        _ => return false,
                    }
                }
            }
        }
        any
    }

    /// Whether a method of class `k` starts a thread (not a process, not a pool task) that
    /// outlives the call (one joined before the method returns is the method's own business).
    fn starts_own_thread(&self, k: ClassId) -> bool {
        self.class(k).methods.iter().any(|(name, _)| {
            self.own_method(k, name).is_some_and(|f| {
                self.function(f).spawns.iter().any(|s| {
                    s.start != Start::Never
                        && s.beside_until.is_none()
                        && match s.kind {
                            SpawnKind::Thread | SpawnKind::Timer | SpawnKind::StartNewThread => {
                                true
                            }
                            SpawnKind::ThreadSubclass => match &s.target {
                                Callee::Method { class, .. } => matches!(
                                    self.resolve_name(class),
                                    Some(Target::Class(t)) if self.thread_class(t) == Some(false)
                                ),
                                _ => false,
                            },
                            _ => false,
                        }
                })
            })
        })
    }

    /// "`default` is a module-level `Group` every importer shares, in a package that starts
    /// threads": evidence that class `c`'s methods are called from several threads.
    fn module_instance(&self, c: ClassId) -> Option<(String, Span)> {
        let qualname = &self.class(c).qualname;
        let &(m, i) = self.module_instances.get(&c)?;
        let module = &self.modules[m as usize];
        let name = &module.instances[i as usize].0;
        // A private instance, or one in test code, is nobody's shared object.
        if name.starts_with('_') || self.is_test_module(m as usize) {
            return None;
        }
        let package = module.module.split('.').next().unwrap_or(&module.module);
        let thread_site = self.package_thread_start(package)?;
        Some((
            format!(
                "`{name}` is a module-level `{}` that every importer of `{}` shares, and `{package}` starts threads",
                short_name(qualname),
                module.module
            ),
            thread_site,
        ))
    }

    /// Where package `package` starts a thread, if it does anywhere outside tests.
    pub fn package_thread_start(&self, package: &str) -> Option<Span> {
        self.roots.iter().find_map(|root| {
            let (spawner, _) = root.spawner?;
            if root.process {
                return None;
            }
            let module = &self.modules[self.functions[spawner as usize].0 as usize].module;
            let in_package = module == package || module.starts_with(&format!("{package}."));
            in_package.then_some(root.site).flatten()
        })
    }
}

/// Whether a module of this dotted name is test code (`tests/…`, `test_*.py`, `*_test.py`,
/// `conftest.py`).
pub fn is_test_module_name(module: &str) -> bool {
    let parts: Vec<&str> = module.split('.').collect();
    // `t/unit/...`, `t/integration/...`: the celery family's test layout.
    let t_layout = parts.len() > 1 && parts[0] == "t" && matches!(parts[1], "unit" | "integration");
    t_layout
        || parts.iter().any(|part| {
            *part == "test"
                || *part == "tests"
                || *part == "testing"
                || *part == "conftest"
                || part.starts_with("test_")
                || part.ends_with("_test")
                || part.ends_with("_tests")
        })
}

/// `Cache` for `pkg.mod.Cache`.
pub fn short_name(qualname: &str) -> &str {
    qualname.rsplit('.').next().unwrap_or(qualname)
}

/// A matcher for a `concurrent` pattern: `pkg.views.*` (a `*` is one name part) or
/// `pkg.worker:Worker.handle`.
pub fn declared_matcher(pattern: &str) -> impl Fn(&str) -> bool {
    let dotted = pattern.replacen(':', ".", 1);
    let parts: Vec<String> = dotted.split('.').map(str::to_string).collect();
    move |qualname: &str| {
        let names: Vec<&str> = qualname.split('.').collect();
        names.len() == parts.len()
            && names
                .iter()
                .zip(&parts)
                .all(|(name, part)| glob_part(part, name))
    }
}

fn glob_part(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((prefix, rest)) => name.strip_prefix(prefix).is_some_and(|tail| {
            (0..=tail.len())
                .filter(|&i| tail.is_char_boundary(i))
                .any(|i| glob_part(rest, &tail[i..]))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_patterns_match_one_name_part_per_star() {
        let views = declared_matcher("pkg.views.*");
        assert!(views("pkg.views.index"));
        assert!(!views("pkg.views.Admin.get"));
        assert!(!views("pkg.other.index"));
        let method = declared_matcher("pkg.worker:Worker.handle");
        assert!(method("pkg.worker.Worker.handle"));
        assert!(!method("pkg.worker.Worker.run"));
        let handlers = declared_matcher("app.api.handle_*");
        assert!(handlers("app.api.handle_get"));
        assert!(handlers("app.api.handle_"));
        assert!(!handlers("app.api.dispatch"));
    }
}

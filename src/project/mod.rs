//! The project phase: the per-file summaries linked into one model.
//!
//! Linking resolves every call and thread target to the project's functions (across modules,
//! through class hierarchies), finds the concurrency roots — threads, pools, timers, servers, the
//! public methods of classes that guard themselves with a lock, user-declared entry points — and
//! then propagates, over the call graph, which roots each function may run under, whether it
//! always runs on an object its caller owns, and which locks are held on every path into it
//! (the intersection over paths). Each function's state only grows or shrinks monotonically and
//! is capped (two distinct roots are enough to know two threads meet), so the fixpoint costs a
//! small constant per call edge: near-linear in the size of the project.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use crate::config::Settings;
use crate::python::TextRange;
use crate::source::{FileId, Span};
use crate::summary::{
    Access, CallSite, Callee, FunctionKind, FunctionSummary, Loc, LockRef, ModuleSummary, SpawnKind,
};

/// Index of a function in [`Project::functions`].
pub type FuncId = u32;
/// Index of a class in [`Project::classes`].
pub type ClassId = u32;
/// Index of a root in [`Project::roots`].
pub type RootId = u32;

/// How a concurrency root came to be.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RootKind {
    /// Started explicitly: `Thread(target=...)`, a pool, a timer, a server...
    Spawn(SpawnKind),
    /// The `run` method of a `threading.Thread` subclass.
    ThreadRun,
    /// A public method of a class that guards its state with a lock or runs its own thread.
    ClassIntent { class: ClassId, evidence: String },
    /// A public function of a module that keeps a module-level lock.
    ModuleIntent { module: String, evidence: String },
    /// Named by the `concurrent` setting.
    Declared { pattern: String },
}

/// A concurrency root: code that runs on threads other than the main one.
#[derive(Debug, Clone)]
pub struct Root {
    pub kind: RootKind,
    pub entry: FuncId,
    /// Runs as several threads at once (a loop, a pool, a server, any thread for intent roots).
    pub many: bool,
    /// Where it is started (the `Thread(...)` call, the lock the intent comes from).
    pub site: Option<Span>,
    /// Runs in another process (kept apart: processes share no memory with threads).
    pub process: bool,
    /// The thread works on an object of its own (`Thread(target=obj.run)`, a thread's `run`):
    /// that object's instance attributes are not shared with other roots of the same code.
    pub owns_receiver: bool,
    /// Roots with the same group are one thread of control: the methods of a class that runs a
    /// background thread are called by its user, one call at a time, beside that thread.
    pub group: RootId,
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
}

/// What the propagation knows about one function.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Up to two distinct thread roots it may run under.
    pub roots: Vec<RootId>,
    /// Whether any of them runs as many threads at once.
    pub many: bool,
    /// Locks held on every path into it; `None` until reached.
    pub lockset: Option<BTreeSet<Loc>>,
    /// Whether it always runs on an object its caller owns (`None` until reached).
    pub self_owned: Option<bool>,
    /// The call that first reached it: (caller, call site), for the path in reports.
    pub pred: Option<(FuncId, TextRange)>,
}

impl Context {
    pub fn is_concurrent(&self) -> bool {
        !self.roots.is_empty()
    }
}

/// A resolved call edge.
#[derive(Debug, Clone)]
pub struct Edge {
    pub callee: FuncId,
    pub site: TextRange,
    pub held: Vec<Loc>,
    /// The callee runs on an object the caller owns (a constructor, an owned receiver, or a
    /// `self.` call from a function whose `self` is owned).
    pub owned_receiver: bool,
    pub self_call: bool,
}

/// The linked project.
pub struct Project {
    pub modules: Vec<ModuleSummary>,
    /// Every function: (module index, function index in the module).
    pub functions: Vec<(u32, u32)>,
    pub function_by_name: HashMap<String, FuncId>,
    /// Every class: (module index, class index in the module).
    pub classes: Vec<(u32, u32)>,
    pub class_by_name: HashMap<String, ClassId>,
    /// Project bases of each class.
    pub bases: Vec<Vec<ClassId>>,
    /// Direct subclasses of each class.
    pub subclasses: Vec<Vec<ClassId>>,
    /// Each class's method resolution order (project classes only).
    mros: Vec<Vec<ClassId>>,
    /// Each class's subclasses, transitively.
    descendant_lists: Vec<Vec<ClassId>>,
    pub edges: Vec<Vec<Edge>>,
    pub roots: Vec<Root>,
    /// Every module-level variable of the project (`pkg.mod.name`).
    pub globals: HashSet<String>,
    /// (entry, kind, site) of every root, so each is added once.
    root_keys: HashSet<(FuncId, RootKind, Option<Span>)>,
    pub contexts: Vec<Context>,
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

impl Project {
    /// Links `modules` and runs the propagation.
    pub fn link(modules: Vec<ModuleSummary>, settings: &Settings) -> Self {
        let mut project = Project {
            modules,
            functions: Vec::new(),
            function_by_name: HashMap::new(),
            classes: Vec::new(),
            class_by_name: HashMap::new(),
            bases: Vec::new(),
            subclasses: Vec::new(),
            mros: Vec::new(),
            descendant_lists: Vec::new(),
            edges: Vec::new(),
            roots: Vec::new(),
            globals: HashSet::new(),
            root_keys: HashSet::new(),
            contexts: Vec::new(),
        };
        project.index();
        project.resolve_edges();
        project.find_roots(&settings.concurrent);
        project.propagate();
        project
    }

    pub fn function(&self, id: FuncId) -> &FunctionSummary {
        let (m, f) = self.functions[id as usize];
        &self.modules[m as usize].functions[f as usize]
    }

    pub fn file_of(&self, id: FuncId) -> FileId {
        self.modules[self.functions[id as usize].0 as usize].file
    }

    pub fn class(&self, id: ClassId) -> &crate::summary::ClassSummary {
        let (m, c) = self.classes[id as usize];
        &self.modules[m as usize].classes[c as usize]
    }

    pub fn class_file(&self, id: ClassId) -> FileId {
        self.modules[self.classes[id as usize].0 as usize].file
    }

    fn index(&mut self) {
        for (m, module) in self.modules.iter().enumerate() {
            for (f, function) in module.functions.iter().enumerate() {
                let id = self.functions.len() as FuncId;
                self.functions.push((m as u32, f as u32));
                self.function_by_name
                    .entry(function.qualname.clone())
                    .or_insert(id);
            }
            for (c, class) in module.classes.iter().enumerate() {
                let id = self.classes.len() as ClassId;
                self.classes.push((m as u32, c as u32));
                self.class_by_name
                    .entry(class.qualname.clone())
                    .or_insert(id);
            }
        }
        self.bases = vec![Vec::new(); self.classes.len()];
        self.subclasses = vec![Vec::new(); self.classes.len()];
        for id in 0..self.classes.len() as ClassId {
            let bases: Vec<ClassId> = self
                .class(id)
                .bases
                .iter()
                .filter_map(|b| self.class_by_name.get(b).copied())
                .filter(|&b| b != id)
                .collect();
            for &b in &bases {
                self.subclasses[b as usize].push(id);
            }
            self.bases[id as usize] = bases;
        }
        self.mros = (0..self.classes.len() as ClassId)
            .map(|c| self.compute_mro(c))
            .collect();
        self.descendant_lists = (0..self.classes.len() as ClassId)
            .map(|c| self.compute_descendants(c))
            .collect();
        self.globals = self
            .modules
            .iter()
            .flat_map(|m| m.globals.iter().map(move |g| format!("{}.{g}", m.module)))
            .collect();
        self.contexts = vec![Context::default(); self.functions.len()];
    }

    /// Whether `loc` is shared state of this project: a global must be a module-level variable
    /// of one of its modules (an import of `os.environ` names no project state).
    pub fn is_project_location(&self, loc: &Loc) -> bool {
        match loc {
            Loc::Global { name } => self.globals.contains(name),
            _ => true,
        }
    }

    /// The classes in `class`'s method resolution order (depth-first, left to right, no repeats).
    pub fn mro(&self, class: ClassId) -> Vec<ClassId> {
        self.mros[class as usize].clone()
    }

    /// Every class deriving from `class`, transitively.
    pub fn descendants(&self, class: ClassId) -> Vec<ClassId> {
        self.descendant_lists[class as usize].clone()
    }

    fn compute_mro(&self, class: ClassId) -> Vec<ClassId> {
        let mut out = Vec::new();
        let mut stack = vec![class];
        while let Some(c) = stack.pop() {
            if out.contains(&c) {
                continue;
            }
            out.push(c);
            for &b in self.bases[c as usize].iter().rev() {
                stack.push(b);
            }
        }
        out
    }

    fn compute_descendants(&self, class: ClassId) -> Vec<ClassId> {
        let mut out = Vec::new();
        let mut stack = self.subclasses[class as usize].clone();
        while let Some(c) = stack.pop() {
            if out.contains(&c) {
                continue;
            }
            out.push(c);
            stack.extend(self.subclasses[c as usize].iter().copied());
        }
        out
    }

    /// The method `name` of `class`, looked up along its MRO.
    pub fn lookup_method(&self, class: ClassId, name: &str) -> Option<FuncId> {
        self.mro(class)
            .into_iter()
            .find_map(|c| self.own_method(c, name))
    }

    fn own_method(&self, class: ClassId, name: &str) -> Option<FuncId> {
        let summary = self.class(class);
        summary
            .methods
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|_| {
                self.function_by_name
                    .get(&format!("{}.{name}", summary.qualname))
                    .copied()
            })
    }

    /// Whether `class` derives (through project classes) from one of the standard `bases`.
    pub fn derives_from(&self, class: ClassId, bases: &[&str]) -> bool {
        self.mro(class).into_iter().any(|c| {
            self.class(c)
                .bases
                .iter()
                .any(|b| bases.contains(&b.as_str()))
        })
    }

    /// The functions a callee may be.
    pub fn resolve(&self, callee: &Callee) -> (Vec<FuncId>, bool) {
        match callee {
            Callee::Name { name } => {
                if let Some(&f) = self.function_by_name.get(name) {
                    return (vec![f], false);
                }
                if let Some(&c) = self.class_by_name.get(name) {
                    // A constructor: `__init__` runs on the new (owned) object.
                    return (
                        self.lookup_method(c, "__init__").into_iter().collect(),
                        true,
                    );
                }
                (Vec::new(), false)
            }
            Callee::Method {
                class,
                name,
                is_virtual,
            } => {
                let Some(&c) = self.class_by_name.get(class) else {
                    return (Vec::new(), false);
                };
                let mut out: Vec<FuncId> = self.lookup_method(c, name).into_iter().collect();
                if *is_virtual {
                    for d in self.descendants(c) {
                        if let Some(m) = self.own_method(d, name) {
                            if !out.contains(&m) {
                                out.push(m);
                            }
                        }
                    }
                }
                (out, false)
            }
            Callee::Super { class, name } => {
                let Some(&c) = self.class_by_name.get(class) else {
                    return (Vec::new(), false);
                };
                let found = self
                    .mro(c)
                    .into_iter()
                    .skip(1)
                    .find_map(|b| self.own_method(b, name));
                (found.into_iter().collect(), false)
            }
            Callee::Unknown => (Vec::new(), false),
        }
    }

    /// The canonical form of a location: an attribute belongs to the topmost class in the MRO
    /// that assigns it, so `self.x` in a subclass and in its base are one location.
    pub fn canonical_loc(&self, loc: &Loc) -> Loc {
        if let Loc::Attr { class, name } = loc {
            if let Some(&c) = self.class_by_name.get(class) {
                let owner = self
                    .mro(c)
                    .into_iter()
                    .rev()
                    .find(|&k| self.class(k).assigned.iter().any(|a| a == name));
                if let Some(owner) = owner {
                    return Loc::Attr {
                        class: self.class(owner).qualname.clone(),
                        name: name.clone(),
                    };
                }
            }
        }
        loc.clone()
    }

    /// Whether an attribute location names a method or property of its class (`self._buffer`
    /// behind `@property`): calling code, not a data location.
    pub fn is_method(&self, loc: &Loc) -> bool {
        match loc {
            Loc::Attr { class, name } => self
                .class_by_name
                .get(class)
                .is_some_and(|&c| self.lookup_method(c, name).is_some()),
            _ => false,
        }
    }

    /// Whether an attribute location lives on the class (shared by all instances).
    ///
    /// A name written through `cls.` / `C.` lives on the class; a name set only in the class body
    /// does too unless methods assign it through `self` (then the body value is a default and the
    /// state is per instance).
    pub fn is_class_attr(&self, loc: &Loc) -> bool {
        let Loc::Attr { class, name } = loc else {
            return false;
        };
        let Some(&c) = self.class_by_name.get(class) else {
            return false;
        };
        let has = |list: fn(&crate::summary::ClassSummary) -> &Vec<String>| {
            self.mro(c)
                .into_iter()
                .chain(self.descendants(c))
                .any(|k| list(self.class(k)).iter().any(|a| a == name))
        };
        has(|k| &k.class_attrs) || (has(|k| &k.body_attrs) && !has(|k| &k.instance_attrs))
    }

    /// The lock a [`LockRef`] names, canonically.
    pub fn lock_loc(&self, lock: &LockRef) -> Loc {
        match lock {
            LockRef::At { loc } => self.canonical_loc(loc),
            LockRef::Getter { class, method } => {
                let attr = self
                    .class_by_name
                    .get(class)
                    .and_then(|&c| self.lookup_method(c, method))
                    .and_then(|f| self.function(f).returns_attr.clone());
                match attr {
                    Some(name) => self.canonical_loc(&Loc::Attr {
                        class: class.clone(),
                        name,
                    }),
                    None => Loc::Attr {
                        class: class.clone(),
                        name: format!("{method}()"),
                    },
                }
            }
        }
    }

    fn resolve_edges(&mut self) {
        let mut edges = Vec::with_capacity(self.functions.len());
        for id in 0..self.functions.len() as FuncId {
            let mut out = Vec::new();
            for call in &self.function(id).calls {
                let (callees, constructor) = self.resolve(&call.callee);
                for callee in callees {
                    out.push(self.edge(id, call, callee, constructor));
                }
            }
            edges.push(out);
        }
        self.edges = edges;
    }

    fn edge(&self, _caller: FuncId, call: &CallSite, callee: FuncId, constructor: bool) -> Edge {
        let self_call = call.self_call;
        Edge {
            callee,
            site: call.range,
            held: call.held.iter().map(|l| self.lock_loc(l)).collect(),
            owned_receiver: constructor || call.receiver_owned,
            self_call,
        }
    }

    fn spawn_site(&self, id: FuncId, range: TextRange) -> Span {
        Span::new(self.file_of(id), range)
    }

    /// Adds `root` unless it is there already; returns its id. A `group` of `RootId::MAX` puts
    /// the root in a group of its own.
    fn add_root(&mut self, mut root: Root) -> RootId {
        let id = self.roots.len() as RootId;
        if self
            .root_keys
            .insert((root.entry, root.kind.clone(), root.site))
        {
            if root.group == RootId::MAX {
                root.group = id;
            }
            self.roots.push(root);
        }
        id
    }

    /// Whether module `m` is test code (`tests/…`, `test_*.py`, `*_test.py`, `conftest.py`). Tests
    /// start threads to exercise code, one test at a time: they are not how the code runs.
    fn is_test_module(&self, m: usize) -> bool {
        self.modules[m].module.split('.').any(|part| {
            part == "test"
                || part == "tests"
                || part == "testing"
                || part == "conftest"
                || part.starts_with("test_")
                || part.ends_with("_test")
                || part.ends_with("_tests")
        })
    }

    fn find_roots(&mut self, declared: &[String]) {
        // Explicit spawns.
        for id in 0..self.functions.len() as FuncId {
            if self.is_test_module(self.functions[id as usize].0 as usize) {
                continue;
            }
            let spawns = self.function(id).spawns.clone();
            for spawn in spawns {
                let site = Some(self.spawn_site(id, spawn.range));
                let entries: Vec<FuncId> = match (&spawn.kind, &spawn.target) {
                    (SpawnKind::ThreadingServer, Callee::Name { name }) => {
                        self.handler_entries(name)
                    }
                    (SpawnKind::ThreadingServer, Callee::Method { class, name, .. }) => {
                        // `MyServer(addr, Handler)`: only when MyServer is a threading server.
                        let threading = self.class_by_name.get(class).is_some_and(|&c| {
                            self.derives_from(
                                c,
                                &[
                                    "socketserver.ThreadingMixIn",
                                    "socketserver.ThreadingTCPServer",
                                    "http.server.ThreadingHTTPServer",
                                ],
                            )
                        });
                        if threading {
                            self.handler_entries(name)
                        } else {
                            Vec::new()
                        }
                    }
                    (_, target) => self.resolve(target).0,
                };
                for entry in entries {
                    self.add_root(Root {
                        kind: RootKind::Spawn(spawn.kind),
                        entry,
                        many: spawn.many,
                        site,
                        process: spawn.kind.is_process(),
                        group: RootId::MAX,
                        owns_receiver: spawn.on_other_object,
                    });
                }
            }
        }
        // Thread and Process subclasses: `run` is a root; many when constructed in a loop.
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
            let is_thread = self.derives_from(c, &["threading.Thread", "threading.Timer"]);
            let is_process = self.derives_from(c, &["multiprocessing.Process"]);
            if !(is_thread || is_process) {
                continue;
            }
            let Some(run) = self.own_method(c, "run") else {
                continue;
            };
            // Many when the class, or a subclass that inherits this `run`, is built in a loop.
            let many = std::iter::once(c)
                .chain(self.descendants(c))
                .any(|k| constructed_in_loops.contains(self.class(k).qualname.as_str()));
            let site = Some(Span::new(self.class_file(c), self.class(c).range));
            self.add_root(Root {
                kind: RootKind::ThreadRun,
                entry: run,
                many,
                site,
                process: is_process && !is_thread,
                group: RootId::MAX,
                owns_receiver: false,
            });
        }
        // Intent: classes that guard their state with a lock or run their own thread.
        let mut explicit_entries: HashSet<FuncId> = self.roots.iter().map(|r| r.entry).collect();
        // Helpers the project calls with a lock held are meant to run under it: their callers,
        // not their callers' users, are the entry points.
        explicit_entries.extend(
            self.edges
                .iter()
                .flatten()
                .filter(|edge| !edge.held.is_empty())
                .map(|edge| edge.callee),
        );
        for c in 0..self.classes.len() as ClassId {
            if self.is_test_module(self.classes[c as usize].0 as usize) {
                continue;
            }
            let Some((owner, evidence, locked)) = self.intent_of(c) else {
                continue;
            };
            // A class that locks is used from many threads at once; one that only runs a
            // background thread is used by one caller beside that thread: one group, not many.
            let mut group = RootId::MAX;
            let site = Some(Span::new(self.class_file(owner), self.class(owner).range));
            let mut methods: Vec<(String, FuncId)> = Vec::new();
            for k in self.mro(c) {
                for (name, _) in &self.class(k).methods {
                    if methods.iter().any(|(n, _)| n == name) {
                        continue;
                    }
                    if let Some(f) = self.own_method(k, name) {
                        methods.push((name.clone(), f));
                    }
                }
            }
            for (name, entry) in methods {
                // A thread's own loop (`run`, a thread target) is a root of its own, with its own
                // multiplicity; intent does not make it run twice.
                if explicit_entries.contains(&entry) {
                    continue;
                }
                let public = !name.starts_with('_') || CONCURRENT_DUNDERS.contains(&name.as_str());
                let kind = self.function(entry).kind;
                if !public
                    || self.function(entry).is_async
                    || kind == FunctionKind::StaticMethod && name.starts_with('_')
                {
                    continue;
                }
                let id = self.add_root(Root {
                    kind: RootKind::ClassIntent {
                        class: owner,
                        evidence: evidence.clone(),
                    },
                    entry,
                    many: locked,
                    site,
                    process: false,
                    group,
                    owns_receiver: false,
                });
                if !locked && group == RootId::MAX {
                    group = id;
                }
            }
        }
        // Intent: modules with a module-level lock.
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
            for (entry, range) in entries {
                self.add_root(Root {
                    kind: RootKind::ModuleIntent {
                        module: module_name.clone(),
                        evidence: evidence.clone(),
                    },
                    entry,
                    many: true,
                    site: Some(Span::new(file, range)),
                    process: false,
                    group: RootId::MAX,
                    owns_receiver: false,
                });
            }
        }
        // Declared by the user.
        for pattern in declared {
            let regex = declared_matcher(pattern);
            let matches: Vec<FuncId> = (0..self.functions.len() as FuncId)
                .filter(|&f| regex(&self.function(f).qualname))
                .collect();
            for entry in matches {
                let site = Some(Span::new(self.file_of(entry), self.function(entry).range));
                self.add_root(Root {
                    kind: RootKind::Declared {
                        pattern: pattern.clone(),
                    },
                    entry,
                    many: true,
                    site,
                    process: false,
                    group: RootId::MAX,
                    owns_receiver: false,
                });
            }
        }
    }

    /// Entry points of a request-handler class: `handle`, `setup`, `finish`, `do_*` and its other
    /// public methods.
    fn handler_entries(&self, class: &str) -> Vec<FuncId> {
        let Some(&c) = self.class_by_name.get(class) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for k in self.mro(c) {
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
    /// base) holds a thread lock, takes a lock in a method, or starts a thread of its own.
    /// The flag says whether the evidence is a lock (rather than a thread of its own).
    pub fn intent_of(&self, c: ClassId) -> Option<(ClassId, String, bool)> {
        for k in self.mro(c) {
            let class = self.class(k);
            let short = class.qualname.rsplit('.').next().unwrap_or(&class.qualname);
            if let Some(lock) = class.lock_attrs.first() {
                return Some((k, format!("`{short}` holds the lock `{lock}`"), true));
            }
            if class.takes_lock {
                return Some((k, format!("`{short}` takes a lock in its methods"), true));
            }
            let starts_thread = class.methods.iter().any(|(name, _)| {
                self.own_method(k, name).is_some_and(|f| {
                    self.function(f)
                        .spawns
                        .iter()
                        .any(|s| !s.kind.is_process() && s.kind != SpawnKind::DoneCallback)
                })
            });
            if starts_thread {
                return Some((k, format!("`{short}` starts a thread of its own"), false));
            }
        }
        None
    }

    fn propagate(&mut self) {
        let groups: Vec<RootId> = self.roots.iter().map(|r| r.group).collect();
        let mut queue: VecDeque<FuncId> = VecDeque::new();
        let mut queued = vec![false; self.functions.len()];
        for (r, root) in self.roots.iter().enumerate() {
            if root.process {
                continue;
            }
            let entry = root.entry as usize;
            // A constructor runs on an object nobody else has yet; a thread's own `run` runs on
            // its thread object, one thread per instance: `self`'s attributes are its own.
            let owned = self.function(root.entry).name == "__init__"
                || root.kind == RootKind::ThreadRun
                || root.owns_receiver;
            let ctx = &mut self.contexts[entry];
            let mut changed = merge_root(ctx, r as RootId, root.many, &groups);
            changed |= merge_lockset(ctx, &BTreeSet::new());
            changed |= merge_owned(ctx, owned);
            if changed && !queued[entry] {
                queued[entry] = true;
                queue.push_back(root.entry);
            }
        }
        while let Some(f) = queue.pop_front() {
            queued[f as usize] = false;
            let ctx = self.contexts[f as usize].clone();
            let lockset = ctx.lockset.clone().unwrap_or_default();
            let owned_self = ctx.self_owned.unwrap_or(false);
            for e in 0..self.edges[f as usize].len() {
                let edge = &self.edges[f as usize][e];
                let g = edge.callee as usize;
                let mut incoming = lockset.clone();
                incoming.extend(edge.held.iter().cloned());
                let owned = edge.owned_receiver || (edge.self_call && owned_self);
                let site = edge.site;
                let target = &mut self.contexts[g];
                let mut changed = false;
                for &r in &ctx.roots {
                    changed |= merge_root(target, r, ctx.many, &groups);
                }
                if ctx.many && !target.many {
                    target.many = true;
                    changed = true;
                }
                changed |= merge_lockset(target, &incoming);
                changed |= merge_owned(target, owned);
                if target.pred.is_none() && g != f as usize {
                    target.pred = Some((f, site));
                }
                if changed && !queued[g] {
                    queued[g] = true;
                    queue.push_back(g as FuncId);
                }
            }
        }
    }

    /// The effective locks held at an access: those on every path in, plus those taken locally.
    pub fn lockset_at(&self, function: FuncId, held: &[LockRef]) -> BTreeSet<Loc> {
        let mut out = self.contexts[function as usize]
            .lockset
            .clone()
            .unwrap_or_default();
        out.extend(held.iter().map(|l| self.lock_loc(l)));
        out
    }

    /// Whether an access is to state the running code owns: an instance attribute reached
    /// through `self` while the object is still private to its creator.
    pub fn is_owned(&self, function: FuncId, access: &Access, loc: &Loc) -> bool {
        // `self.x = v` binds an instance attribute even where the class has an `x`; other
        // accesses through `self` reach a class attribute when there is one.
        access.via_self
            && self.contexts[function as usize].self_owned == Some(true)
            && (binds_instance(access.kind) || !self.is_class_attr(loc))
    }

    /// The call path from the root that first reached `function` down to it, outermost first.
    pub fn path_to(&self, function: FuncId) -> Vec<(FuncId, TextRange)> {
        let mut path = Vec::new();
        let mut current = function;
        let mut seen = vec![current];
        while let Some((caller, site)) = self.contexts[current as usize].pred {
            if seen.contains(&caller) || path.len() > 32 {
                break;
            }
            path.push((caller, site));
            seen.push(caller);
            current = caller;
        }
        path.reverse();
        path
    }
}

/// `self.x = ...` and `self.x += ...` bind an attribute of the instance, never of the class.
pub fn binds_instance(kind: crate::summary::AccessKind) -> bool {
    matches!(
        kind,
        crate::summary::AccessKind::Write | crate::summary::AccessKind::ReadModifyWrite
    )
}

/// Adds `root` to the context, one root per group (`groups[r]` is the group of root `r`), at most
/// two: two distinct groups are all it takes to know two threads meet.
fn merge_root(ctx: &mut Context, root: RootId, many: bool, groups: &[RootId]) -> bool {
    let mut changed = false;
    let group = groups.get(root as usize).copied().unwrap_or(root);
    let represented = ctx
        .roots
        .iter()
        .any(|&r| groups.get(r as usize).copied().unwrap_or(r) == group);
    if !represented && ctx.roots.len() < 2 {
        ctx.roots.push(root);
        changed = true;
    }
    if many && !ctx.many {
        ctx.many = true;
        changed = true;
    }
    changed
}

fn merge_lockset(ctx: &mut Context, incoming: &BTreeSet<Loc>) -> bool {
    match &mut ctx.lockset {
        None => {
            ctx.lockset = Some(incoming.clone());
            true
        }
        Some(current) => {
            let before = current.len();
            current.retain(|l| incoming.contains(l));
            current.len() != before
        }
    }
}

fn merge_owned(ctx: &mut Context, owned: bool) -> bool {
    match ctx.self_owned {
        None => {
            ctx.self_owned = Some(owned);
            true
        }
        Some(true) if !owned => {
            ctx.self_owned = Some(false);
            true
        }
        _ => false,
    }
}

/// A matcher for a `concurrent` pattern: `pkg.views.*` (a `*` is one name part) or
/// `pkg.worker:Worker.handle`.
fn declared_matcher(pattern: &str) -> impl Fn(&str) -> bool {
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

    #[test]
    fn locksets_intersect_over_paths_and_roots_are_capped() {
        let lock = |name: &str| Loc::Attr {
            class: "m.C".to_string(),
            name: name.to_string(),
        };
        let mut ctx = Context::default();
        assert!(merge_lockset(
            &mut ctx,
            &[lock("a"), lock("b")].into_iter().collect()
        ));
        assert!(merge_lockset(&mut ctx, &[lock("b")].into_iter().collect()));
        assert!(!merge_lockset(
            &mut ctx,
            &[lock("b"), lock("c")].into_iter().collect()
        ));
        assert_eq!(ctx.lockset, Some([lock("b")].into_iter().collect()));
        // Roots 0 and 1 are one group; 2 and 3 are groups of their own.
        let groups = [0, 0, 2, 3];
        assert!(merge_root(&mut ctx, 0, false, &groups));
        assert!(!merge_root(&mut ctx, 1, false, &groups));
        assert!(merge_root(&mut ctx, 2, false, &groups));
        assert!(!merge_root(&mut ctx, 3, false, &groups));
        assert!(merge_root(&mut ctx, 3, true, &groups));
        assert_eq!(ctx.roots, vec![0, 2]);
        assert!(ctx.many);
        assert!(merge_owned(&mut ctx, true));
        assert!(merge_owned(&mut ctx, false));
        assert!(!merge_owned(&mut ctx, true));
        assert_eq!(ctx.self_owned, Some(false));
    }
}

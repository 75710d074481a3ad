//! The project phase: the per-file summaries linked into one model of who runs alongside whom.
//!
//! [`Project::link`] runs the stages in order, each in its own module:
//! 1. [`link`]: index every function and class, resolve names through re-exports, build the class
//!    hierarchy, resolve every call (and turn helpers' effects on their parameters into accesses);
//! 2. [`roots`]: find the concurrency roots — threads, pools, servers, thread subclasses, classes
//!    and modules meant to be shared, the `concurrent` setting — and how many threads each runs;
//! 3. [`happens_before`]: where each spawning function runs beside the threads it started, and
//!    what orders accesses (start/join, hand-offs, guard flags);
//! 4. [`locks`]: locks passed as arguments and held by decorators;
//! 5. [`contexts`]: propagate thread contexts, entry locksets and ownership over the call graph;
//!    [`ownership`] decides which calls run on objects their caller owns;
//! 6. [`effects`]: what the work reachable from each function does (compute, I/O, waits, native
//!    work, unknown), joined over the call graph;
//! 7. [`repeats`]: which functions run many times (called in a loop, a root that runs many
//!    times), and why.
//!
//! On demand, for the asyncio rules: [`event_loop`] tells code that runs on an event loop from
//! code that runs on a plain thread, and what each function reaches through sync calls.
//!
//! The rules ask the model: which threads run an access ([`Project::access_threads`]), whether
//! two may meet ([`Project::may_meet`]), which locks are held ([`Project::lockset_at`]), whether
//! an access is owned ([`Project::is_owned`]), whether a hand-off or flag orders two accesses,
//! what the work reachable from a function does ([`Project::work`]), and why a function runs
//! many times ([`Project::repetition`]).

pub mod contexts;
pub mod effects;
pub mod event_loop;
pub mod happens_before;
pub mod link;
pub mod locks;
pub mod ownership;
pub mod repeats;
pub mod roots;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::config::Settings;
use crate::python::TextRange;
use crate::source::{FileId, Span};
use crate::summary::{Access, ClassSummary, FunctionSummary, Loc, ModuleSummary};

pub use contexts::{AccessThreads, Context, Thread};
pub use effects::{Evidence, Work};
pub use event_loop::{Chain, LoopContexts, OffLoop, ThreadStart, Via, MAX_HELPERS};
pub use happens_before::Window;
pub use ownership::binds_instance;
pub use repeats::{Repeat, Repetition};
pub use roots::{IntentScope, Root, RootKind};

/// Index of a function in [`Project::functions`].
pub type FuncId = u32;
/// Index of a class in [`Project::classes`].
pub type ClassId = u32;
/// Index of a root in [`Project::roots`].
pub type RootId = u32;

/// A resolved call edge.
#[derive(Debug, Clone)]
pub struct Edge {
    pub callee: FuncId,
    /// Index of the call in the caller's summary.
    pub call: u32,
    pub site: TextRange,
    /// The call constructs the object the callee (`__init__`) runs on.
    pub constructor: bool,
    /// The call passes the receiver implicitly: its first argument binds the second parameter.
    pub bound: bool,
}

/// The linked project.
pub struct Project {
    pub modules: Vec<ModuleSummary>,
    module_by_name: HashMap<String, u32>,
    /// Per module, the container kind of each global (the first the summary gives): looked up
    /// once per access, so it must not scan the module's globals.
    global_kinds: Vec<HashMap<String, crate::summary::ContainerKind>>,
    /// The top-level packages (and top-level modules) of the project.
    packages: HashSet<String>,
    /// A module-level instance of each class that has one: (module, index in its instances).
    module_instances: HashMap<ClassId, (u32, u32)>,
    /// Every function: (module index, function index in the module).
    pub functions: Vec<(u32, u32)>,
    /// The id of each module's first function: its functions' ids follow in order.
    first_function: Vec<FuncId>,
    pub function_by_name: HashMap<String, FuncId>,
    /// Every class: (module index, class index in the module).
    pub classes: Vec<(u32, u32)>,
    pub class_by_name: HashMap<String, ClassId>,
    /// Project bases of each class.
    pub bases: Vec<Vec<ClassId>>,
    /// Direct subclasses of each class.
    pub subclasses: Vec<Vec<ClassId>>,
    mros: Vec<Vec<ClassId>>,
    descendant_lists: Vec<Vec<ClassId>>,
    /// Constructor calls that pass callables, by the classes whose attributes they bind:
    /// (caller, call index).
    constructions: HashMap<ClassId, Vec<(FuncId, u32)>>,
    pub edges: Vec<Vec<Edge>>,
    /// Accesses made through helpers: what a callee does to the shared state passed to it,
    /// recorded at the call, per caller.
    pub synthetic: Vec<Vec<Access>>,
    pub roots: Vec<Root>,
    /// Per group (indexed by the group's first root): whether it runs many threads at once, and
    /// whether it stands for callers snarl cannot see.
    pub group_many: Vec<bool>,
    pub group_external: Vec<bool>,
    /// Every module-level variable of the project (`pkg.mod.name`).
    pub globals: HashSet<String>,
    root_keys: HashMap<(FuncId, RootKind, Option<Span>), RootId>,
    pub windows: Vec<Vec<Window>>,
    param_locks: HashMap<(FuncId, u32), Loc>,
    decorator_locks: HashMap<FuncId, Vec<Loc>>,
    pub contexts: Vec<Context>,
    /// What the work reachable from each function does ([`Project::work`]).
    work: Vec<Work>,
    /// The names evidence of work uses ([`Project::evidence_text`]).
    evidence_names: Vec<Box<str>>,
    /// Why each function runs many times, if it does ([`Project::repetition`]).
    repetitions: Vec<Option<Repetition>>,
}

impl Project {
    /// Links `modules` and runs the propagation.
    pub fn link(modules: Vec<ModuleSummary>, settings: &Settings) -> Self {
        let mut project = Self::hierarchy(modules);
        project.resolve_edges();
        project.find_roots(&settings.concurrent);
        project.compute_windows();
        project.compute_param_locks();
        project.compute_decorator_locks();
        project.contexts = vec![Context::default(); project.functions.len()];
        project.propagate();
        project.spread_multiplicity();
        project.infer_work();
        project.find_repetitions();
        project
    }

    /// The summaries indexed by name, with the class hierarchy, and nothing else: no call edges,
    /// roots or contexts. Enough to decide the AST findings that wait for a base class in another
    /// module, when no project rule runs.
    pub fn hierarchy(modules: Vec<ModuleSummary>) -> Self {
        let mut project = Project {
            modules,
            module_by_name: HashMap::default(),
            global_kinds: Vec::new(),
            packages: HashSet::default(),
            module_instances: HashMap::default(),
            functions: Vec::new(),
            first_function: Vec::new(),
            function_by_name: HashMap::default(),
            classes: Vec::new(),
            class_by_name: HashMap::default(),
            bases: Vec::new(),
            subclasses: Vec::new(),
            mros: Vec::new(),
            descendant_lists: Vec::new(),
            constructions: HashMap::default(),
            edges: Vec::new(),
            synthetic: Vec::new(),
            roots: Vec::new(),
            group_many: Vec::new(),
            group_external: Vec::new(),
            globals: HashSet::default(),
            root_keys: HashMap::default(),
            windows: Vec::new(),
            param_locks: HashMap::default(),
            decorator_locks: HashMap::default(),
            contexts: Vec::new(),
            work: Vec::new(),
            evidence_names: Vec::new(),
            repetitions: Vec::new(),
        };
        project.index();
        project
    }

    /// A thread started from code that runs on many threads at once runs many times too. Callers
    /// inferred from intent do not count: they say the code may be called concurrently, not
    /// that it is called many times (a lazily started helper thread is started once).
    fn spread_multiplicity(&mut self) {
        for r in 0..self.roots.len() {
            let Some((spawner, _)) = self.roots[r].spawner else {
                continue;
            };
            let ctx = &self.contexts[spawner as usize];
            let from_many = ctx.crowded
                || ctx.threads.iter().any(|t| match t {
                    Thread::Root(g) => {
                        self.group_many[*g as usize] && !self.group_external[*g as usize]
                    }
                    Thread::Beside(_) => false,
                });
            if from_many {
                let group = self.roots[r].group as usize;
                self.group_many[group] = true;
            }
        }
    }

    pub fn function(&self, id: FuncId) -> &FunctionSummary {
        let (m, f) = self.functions[id as usize];
        &self.modules[m as usize].functions[f as usize]
    }

    pub fn file_of(&self, id: FuncId) -> FileId {
        self.modules[self.functions[id as usize].0 as usize].file
    }

    pub fn class(&self, id: ClassId) -> &ClassSummary {
        let (m, c) = self.classes[id as usize];
        &self.modules[m as usize].classes[c as usize]
    }

    pub fn class_file(&self, id: ClassId) -> FileId {
        self.modules[self.classes[id as usize].0 as usize].file
    }

    /// The accesses of `function`: its own, then those made through helpers it calls.
    pub fn accesses_of(&self, function: FuncId) -> impl Iterator<Item = &Access> {
        self.function(function)
            .accesses
            .iter()
            .chain(self.synthetic[function as usize].iter())
    }
}

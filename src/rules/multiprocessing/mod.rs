//! SN5xx: multiprocessing, checked on the linked project model (and, for SN507 and SN508, on
//! each function's AST).
//!
//! Processes share no memory with their parent. What goes to a child is pickled: pool and
//! executor tasks under every start method, a `Process` (its target and arguments) and a pool's
//! initializer under `spawn` and `forkserver`, where the child does not inherit the parent's
//! memory and re-imports the main module. Which start method applies is the code's choice where
//! it makes one (`get_context("spawn")`, `mp_context=`, `set_start_method`), else the platform's
//! default: `spawn` on macOS and Windows, `fork` on Linux before Python 3.14 and `forkserver`
//! from 3.14 — the file's `target-version` says which Linux default applies. Messages say which
//! start methods break the code ([`StartMethods`]).
//!
//! The rules read the facts of `summary::processes`, the project's process roots (kept apart
//! from thread roots by the engine) and what each root reaches through calls ([`ProcessReach`]).

use rustc_hash::{FxHashMap, FxHashSet};

use crate::diagnostic::Diagnostic;
use crate::project::{FuncId, Project, RootId};
use crate::python::PythonVersion;
use crate::rules::{Rule, RuleSet};
use crate::source::{FileId, SourceFiles, Span};
use crate::summary::processes::StartMethod;

mod child_process_mutates_parent_state;
mod fork_with_threads;
mod join_before_queue_drain;
pub mod pickling;
pub mod pool_not_closed;
pub mod pool_result_after_with;
mod process_start_without_main_guard;
mod shared_value_nonatomic_update;
mod thread_primitive_passed_to_process;
mod unpicklable_process_callable;

/// Whether any SN5xx project rule is in `rules`.
pub fn any_project_rule(rules: RuleSet) -> bool {
    rules.iter().any(|rule| {
        rule.family() == crate::rules::Family::Multiprocessing
            && !matches!(rule, Rule::PoolResultAfterWith | Rule::PoolNotClosed)
    })
}

/// Every SN5xx project finding. `target_version` gives each file's configured target version.
pub fn check(
    project: &Project,
    files: &SourceFiles,
    rules: RuleSet,
    target_version: &dyn Fn(FileId) -> Option<PythonVersion>,
) -> Vec<Diagnostic> {
    let model = Model::new(project, files, target_version);
    let mut out = Vec::new();
    if rules.contains(Rule::ProcessStartWithoutMainGuard) {
        out.extend(process_start_without_main_guard::check(&model));
    }
    if rules.contains(Rule::UnpicklableProcessCallable)
        || rules.contains(Rule::ThreadPrimitivePassedToProcess)
    {
        let shipped = pickling::problems(&model);
        if rules.contains(Rule::UnpicklableProcessCallable) {
            out.extend(unpicklable_process_callable::check(&model, &shipped));
        }
        if rules.contains(Rule::ThreadPrimitivePassedToProcess) {
            out.extend(thread_primitive_passed_to_process::check(&model, &shipped));
        }
    }
    if rules.contains(Rule::ChildProcessMutatesParentState) {
        out.extend(child_process_mutates_parent_state::check(&model));
    }
    if rules.contains(Rule::JoinBeforeQueueDrain) {
        out.extend(join_before_queue_drain::check(&model));
    }
    if rules.contains(Rule::SharedValueNonatomicUpdate) {
        out.extend(shared_value_nonatomic_update::check(&model));
    }
    if rules.contains(Rule::ForkWithThreads) {
        out.extend(fork_with_threads::check(&model));
    }
    out
}

/// What the SN5xx project rules share: the project, the start methods, which functions run in
/// child processes, and what module-level variables hold.
pub struct Model<'p> {
    pub project: &'p Project,
    pub files: &'p SourceFiles,
    pub methods: StartMethods,
    pub reach: ProcessReach,
    /// Module-level variables assigned an object (`LOCK = threading.Lock()`): qualified name →
    /// class.
    instances: std::collections::HashMap<String, String>,
}

impl<'p> Model<'p> {
    fn new(
        project: &'p Project,
        files: &'p SourceFiles,
        target_version: &dyn Fn(FileId) -> Option<PythonVersion>,
    ) -> Self {
        let instances = project
            .modules
            .iter()
            .flat_map(|m| {
                m.instances
                    .iter()
                    .map(move |(name, class)| (format!("{}.{name}", m.module), class.clone()))
            })
            .collect();
        Model {
            project,
            files,
            methods: StartMethods::new(project, target_version),
            reach: ProcessReach::new(project),
            instances,
        }
    }

    /// The class of the object module-level variable `name` holds, where its assignment shows it.
    pub fn global_class(&self, name: &str) -> Option<&str> {
        let name = self.project.resolve_global(name);
        self.instances.get(&name).map(String::as_str)
    }

    /// `path:row` of a span.
    pub fn place(&self, span: Span) -> String {
        place(self.files, span)
    }
}

/// Which start method applies where: the code's choice, the program's `set_start_method`, or the
/// platform default for the file's target version.
pub struct StartMethods {
    /// Per top-level package (or top-level module, for scripts): the start method its code sets
    /// with `set_start_method` (outside tests), when it sets one and only one.
    chosen: std::collections::HashMap<String, Option<(StartMethod, Span)>>,
    /// Per file: its top-level package, and its target version.
    packages: Vec<Option<String>>,
    targets: Vec<Option<PythonVersion>>,
}

/// The top-level package of a module (`pkg` for `pkg.sub.mod`).
fn package(module: &str) -> &str {
    module.split('.').next().unwrap_or(module)
}

impl StartMethods {
    fn new(project: &Project, target_version: &dyn Fn(FileId) -> Option<PythonVersion>) -> Self {
        let mut chosen: std::collections::HashMap<String, Option<(StartMethod, Span)>> =
            std::collections::HashMap::new();
        for f in 0..project.functions.len() as FuncId {
            let m = project.functions[f as usize].0 as usize;
            if project.is_test_module(m) {
                continue;
            }
            let package = package(&project.modules[m].module).to_string();
            for &(method, range) in &project.function(f).processes().start_methods {
                let span = Span::new(project.file_of(f), range);
                chosen
                    .entry(package.clone())
                    .and_modify(|c| {
                        // Two different choices: none is the program's.
                        if c.is_some_and(|(m, _)| m != method) {
                            *c = None;
                        }
                    })
                    .or_insert(Some((method, span)));
            }
        }
        let files = project
            .modules
            .iter()
            .map(|m| m.file.0 as usize)
            .max()
            .map_or(0, |m| m + 1);
        let mut targets = vec![None; files];
        let mut packages = vec![None; files];
        for module in &project.modules {
            targets[module.file.0 as usize] = target_version(module.file);
            packages[module.file.0 as usize] = Some(package(&module.module).to_string());
        }
        StartMethods {
            chosen,
            packages,
            targets,
        }
    }

    /// The start method the code of `file`'s package sets with `set_start_method`, and where.
    pub fn chosen(&self, file: FileId) -> Option<(StartMethod, Span)> {
        let package = self.packages.get(file.0 as usize)?.as_ref()?;
        self.chosen.get(package).copied().flatten()
    }

    fn target(&self, file: FileId) -> Option<PythonVersion> {
        self.targets.get(file.0 as usize).copied().flatten()
    }

    /// Whether the file targets Python 3.14 or later, where Linux defaults to `forkserver`.
    pub fn targets_314(&self, file: FileId) -> bool {
        self.target(file)
            .is_some_and(|v| (v.major, v.minor) >= (3, 14))
    }

    /// The start method code in `file` runs with when it chose `explicit` (or nothing): `None`
    /// for the platform default.
    pub fn effective(&self, file: FileId, explicit: Option<StartMethod>) -> Option<StartMethod> {
        explicit.or(self.chosen(file).map(|(m, _)| m))
    }

    /// Whether code in `file` that chose `explicit` (or nothing) runs under `fork` for sure: the
    /// code's or the program's choice. The platform default is never sure.
    pub fn runs_forked(&self, file: FileId, explicit: Option<StartMethod>) -> bool {
        self.effective(file, explicit) == Some(StartMethod::Fork)
    }

    /// Where the child does not inherit the parent's memory (it gets pickled copies and
    /// re-imports the main module): the start methods that applies under, for a message, or
    /// `None` when the code runs under `fork`.
    pub fn without_inheritance(
        &self,
        file: FileId,
        explicit: Option<StartMethod>,
        files: &SourceFiles,
    ) -> Option<String> {
        if let Some(method) = explicit {
            return match method {
                StartMethod::Fork => None,
                m => Some(format!(
                    "under the `{}` start method this code chose",
                    m.name()
                )),
            };
        }
        if let Some((method, span)) = self.chosen(file) {
            return match method {
                StartMethod::Fork => None,
                m => Some(format!(
                    "under the `{}` start method the program sets at {}",
                    m.name(),
                    crate::rules::races::place(files, span)
                )),
            };
        }
        Some(if self.targets_314(file) {
            "under `forkserver`, the default start method on Linux from Python 3.14 (the target \
             version), and `spawn`, the default on macOS and Windows"
                .to_string()
        } else {
            "under `spawn`, the default start method on macOS and Windows, and `forkserver`, the \
             default on Linux from Python 3.14 (only Linux's `fork` before 3.14 hides it)"
                .to_string()
        })
    }

    /// Whether processes made with `explicit` in `file` fork the parent, and how a message says
    /// so: the code's choice, the program's, or the Linux default before Python 3.14.
    pub fn forks(&self, file: FileId, explicit: Option<StartMethod>) -> Option<(String, bool)> {
        match self.effective(file, explicit) {
            Some(StartMethod::Fork) if explicit.is_some() => {
                Some(("the `fork` start method this code chose".to_string(), true))
            }
            Some(StartMethod::Fork) => {
                Some(("the `fork` start method the program sets".to_string(), true))
            }
            Some(_) => None,
            None if self.targets_314(file) => None,
            None => Some((
                "`fork`, the default start method on Linux before Python 3.14".to_string(),
                false,
            )),
        }
    }
}

/// Whether a process root runs a method on (a copy of) an object the parent holds: a `Process`
/// subclass's `run`, or `self.method` given to a process by another method of the same object.
fn runs_on_copy_of_self(project: &Project, root: &crate::project::Root) -> bool {
    if root.kind == crate::project::RootKind::ThreadRun {
        return true;
    }
    let Some((spawner, index)) = root.spawner else {
        return false;
    };
    let spawn = &project.function(spawner).spawns[index as usize];
    let spawner_class = project.function(spawner).class.as_deref();
    !spawn.on_other_object
        && spawner_class.is_some()
        && matches!(&spawn.target, crate::summary::Callee::Method { class, .. }
            if Some(class.as_str()) == spawner_class)
        && project.function(root.entry).kind == crate::summary::FunctionKind::Method
}

/// How many process roots a function keeps.
const MAX_ROOTS: usize = 4;

/// Which functions run in a child process: those process roots reach through calls (up to
/// [`MAX_ROOTS`] roots each), and those that run on a copy of an object the parent holds (a
/// `Process` subclass's `run`, `self.method` given to a process, and the methods they call on
/// `self`). Only the functions reached are stored: most of a project runs in no child.
pub struct ProcessReach {
    roots: FxHashMap<FuncId, Vec<RootId>>,
    on_object: FxHashSet<FuncId>,
}

impl ProcessReach {
    fn new(project: &Project) -> Self {
        let mut roots: FxHashMap<FuncId, Vec<RootId>> = FxHashMap::default();
        let mut on_object: FxHashSet<FuncId> = FxHashSet::default();
        let mut queue = std::collections::VecDeque::new();
        let mut object_queue = std::collections::VecDeque::new();
        for (r, root) in project.roots.iter().enumerate() {
            if !root.process {
                continue;
            }
            let list = roots.entry(root.entry).or_default();
            if list.len() < MAX_ROOTS && !list.contains(&(r as RootId)) {
                list.push(r as RootId);
                queue.push_back(root.entry);
            }
            if runs_on_copy_of_self(project, root) && on_object.insert(root.entry) {
                object_queue.push_back(root.entry);
            }
        }
        // Each function gains at most MAX_ROOTS roots: it is queued at most that many times.
        while let Some(f) = queue.pop_front() {
            let from = roots.get(&f).cloned().unwrap_or_default();
            for edge in &project.edges[f as usize] {
                let list = roots.entry(edge.callee).or_default();
                let mut changed = false;
                for &r in &from {
                    if list.len() < MAX_ROOTS && !list.contains(&r) {
                        list.push(r);
                        changed = true;
                    }
                }
                if changed {
                    queue.push_back(edge.callee);
                }
            }
        }
        while let Some(f) = object_queue.pop_front() {
            let calls = &project.function(f).calls;
            for edge in &project.edges[f as usize] {
                let own = calls[edge.call as usize].receiver == crate::summary::Receiver::Own;
                if own && !edge.constructor && on_object.insert(edge.callee) {
                    object_queue.push_back(edge.callee);
                }
            }
        }
        ProcessReach { roots, on_object }
    }

    /// The process roots that reach `function` (at most [`MAX_ROOTS`]).
    pub fn roots_of(&self, function: FuncId) -> &[RootId] {
        self.roots.get(&function).map_or(&[], Vec::as_slice)
    }

    /// Whether `function` runs on a copy of an object the parent holds.
    pub fn on_process_object(&self, function: FuncId) -> bool {
        self.on_object.contains(&function)
    }

    /// The functions some process root reaches, in a deterministic order.
    pub fn reached(&self) -> Vec<FuncId> {
        let mut out: Vec<FuncId> = self.roots.keys().copied().collect();
        out.sort_unstable();
        out
    }
}

/// `path:row` of a span, for messages.
fn place(files: &SourceFiles, span: Span) -> String {
    crate::rules::races::place(files, span)
}

/// What a shipped value is to the call that ships it: "the target of a `Process`".
pub fn receives(
    role: crate::summary::processes::Role,
    api: crate::summary::processes::Api,
) -> String {
    use crate::summary::processes::{Api, Role};
    let owner = match api {
        Api::Process | Api::ProcessObject => "a `Process`",
        Api::Pool => "a `Pool`",
        Api::Executor => "a `ProcessPoolExecutor`",
        Api::PoolTask => "a process-pool task",
        Api::ExecutorTask => "a `ProcessPoolExecutor` task",
    };
    match role {
        Role::Target => format!("the target of {owner}"),
        Role::Initializer => format!("the initializer of {owner}"),
        Role::Task => format!("the function of {owner}"),
        Role::Arg => format!("an argument of {owner}"),
        Role::InitArg => format!("an `initargs` element of {owner}"),
        Role::TaskArg => format!("an argument of {owner}"),
        Role::Object => "a started `Process` object".to_string(),
    }
}

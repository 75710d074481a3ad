//! SN202 `check-then-act-race`.
//!
//! ## What it does
//! Finds a test of shared state followed by an update that depends on it — `if k not in d:
//! d[k] = ...`, `if self._instance is None: self._instance = create()`, `if url in seen: return`
//! then `seen.add(url)` — in code that runs on several threads, with no lock held over both.
//! Lazy singleton accessors (`if _client is None: _client = Client()` in a public function or
//! class method) with no lock anywhere are reported too when their package starts threads:
//! their callers are the package's users, on any thread.
//!
//! ## Why is this bad?
//! Two threads can both pass the test before either updates: both create the singleton, both
//! process the URL, the second overwrites the first's entry.

use std::collections::{BTreeMap, HashSet};

use super::{
    confidence, describe_threads, flow, is_explicit, is_explicit_thread, on_singleton, place,
    shorten, threads_of, SharedAccess,
};
use crate::diagnostic::{Confidence, Diagnostic, Related};
use crate::project::{binds_instance, FuncId, Project};
use crate::rules::Rule;
use crate::source::{SourceFiles, Span};
use crate::summary::{AccessKind, CheckAct, FunctionKind, Loc};

pub fn check(
    project: &Project,
    files: &SourceFiles,
    shared: &BTreeMap<Loc, Vec<SharedAccess>>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut seen: HashSet<(Span, Loc)> = HashSet::new();
    for function in 0..project.functions.len() as FuncId {
        let summary = project.function(function);
        if summary.check_acts.is_empty()
            || project.is_test_module(project.functions[function as usize].0 as usize)
        {
            continue;
        }
        let ctx = &project.contexts[function as usize];
        let file = project.file_of(function);
        for pair in &summary.check_acts {
            if !project.is_project_location(&pair.loc) {
                continue;
            }
            let loc = project.canonical_loc(&pair.loc);
            let owned = pair.via_self
                && ctx.self_owned == Some(true)
                && (binds_instance(pair.act_kind) || !project.is_class_attr(&loc));
            // Two threads both storing `False` after both saw `True` is harmless.
            if owned
                || pair.act_is_constant
                || project.is_method(&loc)
                || project.is_unshared_kind(&loc)
                || !project.lockset_at(function, &pair.held_at_act).is_empty()
                || !project.lockset_at(function, &pair.held_at_check).is_empty()
            {
                continue;
            }
            let check = Span::new(file, pair.check);
            // Two threads passing the test does harm when the update makes a resource or an
            // object whose identity matters (two clients, two threads, two singletons), when
            // what follows an exiting test runs twice (`if url in seen: return`), or when the
            // state is guarded by a lock elsewhere. A cache filled twice with equal values is
            // only work done twice.
            let creates_resource = pair
                .creates
                .as_deref()
                .is_some_and(|class| is_resource(project, class));
            let mut threads = threads_of(project, function, pair.check, pair.via_self, &loc);
            let guarded_elsewhere = shared
                .get(&loc)
                .is_some_and(|accesses| accesses.iter().any(|a| !a.local_locks.is_empty()));
            // Callers inferred from intent need evidence on the location itself (see
            // `shared_accesses`); a member made lazily by a shared object is its own evidence.
            if !(guarded_elsewhere
                || project.is_class_attr(&loc)
                || pair.lazy_init && creates_resource
                || threads.crowded)
            {
                threads.threads.retain(|t| is_explicit_thread(project, t));
            }
            // An update that computes from the tested value (`if stock[k] > 0: stock[k] -= 1`)
            // is wrong for the thread whose test went stale.
            let updates = matches!(
                pair.act_kind,
                AccessKind::ReadModifyWrite | AccessKind::ContentReadModifyWrite
            );
            let harmful = creates_resource || guarded_elsewhere || pair.check_exits || updates;
            let concurrent = harmful
                && project.may_meet(&threads, &threads)
                // Without a thread the program starts, the location needs evidence of sharing
                // of its own (see `shared_accesses`), or the update creates an object two
                // threads would each make (a lazily built member of a shared object).
                && (is_explicit(project, &threads)
                    || shared.contains_key(&loc)
                    || (pair.lazy_init && creates_resource && !on_singleton(project, &threads)));
            let diagnostic = if concurrent {
                if !seen.insert((check, loc.clone())) {
                    continue;
                }
                let described = describe_threads(project, files, &threads);
                let test = shorten(files.get(file).slice(pair.check));
                let mut diagnostic = Diagnostic::new(
                    Rule::CheckThenActRace,
                    check,
                    format!(
                        "`{}` is tested (`{test}`) and then updated without a lock by {}: two threads can both pass the test before either updates it",
                        loc.display(),
                        described.text
                    ),
                )
                .with_confidence(confidence(described.explicit, false));
                diagnostic.related.push(Related {
                    span: Span::new(file, pair.act),
                    message: format!("`{}` is updated here", loc.display()),
                });
                diagnostic.related.extend(described.related);
                diagnostic.flow = flow(project, function, &threads);
                diagnostic
            } else {
                let Some(diagnostic) = lazy_singleton(project, files, shared, function, pair, &loc)
                else {
                    continue;
                };
                if !seen.insert((check, loc.clone())) {
                    continue;
                }
                diagnostic
            };
            out.push(diagnostic.with_help(format!(
                "Hold one lock over the test and the update of `{}`; for a cache use `dict.setdefault`, for one-time setup create the object eagerly or under a lock.",
                loc.display()
            )));
        }
    }
    out
}

/// A lazy singleton accessor that is public API of a package that starts threads, with no lock
/// anywhere on the singleton: its callers are the package's users, on any thread.
fn lazy_singleton(
    project: &Project,
    files: &SourceFiles,
    shared: &BTreeMap<Loc, Vec<SharedAccess>>,
    function: FuncId,
    pair: &CheckAct,
    loc: &Loc,
) -> Option<Diagnostic> {
    let summary = project.function(function);
    let module = &project.modules[project.functions[function as usize].0 as usize];
    // A coroutine runs on its event loop's one thread.
    let creates_resource = pair
        .creates
        .as_deref()
        .is_some_and(|class| is_resource(project, class));
    if !pair.lazy_init || !creates_resource || summary.is_async {
        return None;
    }
    let public_api = match summary.kind {
        FunctionKind::Function => {
            summary.qualname == format!("{}.{}", module.module, summary.name)
                && !summary.name.starts_with('_')
        }
        FunctionKind::ClassMethod | FunctionKind::StaticMethod | FunctionKind::Method => {
            !summary.name.starts_with('_') || summary.name == "__new__"
        }
        _ => false,
    } && !crate::project::roots::is_setup_method(&summary.name);
    let singleton = match loc {
        Loc::Global { .. } => true,
        Loc::Attr { .. } => project.is_class_attr(loc),
        Loc::Cell { .. } => false,
    };
    let guarded_somewhere = shared
        .get(loc)
        .is_some_and(|accesses| accesses.iter().any(|a| !a.lockset.is_empty()));
    if !public_api
        || !singleton
        || guarded_somewhere
        || project.is_test_module(project.functions[function as usize].0 as usize)
    {
        return None;
    }
    let package = module.module.split('.').next().unwrap_or(&module.module);
    let thread_site = project.package_thread_start(package)?;
    let file = project.file_of(function);
    let test = shorten(files.get(file).slice(pair.check));
    let mut diagnostic = Diagnostic::new(
        Rule::CheckThenActRace,
        Span::new(file, pair.check),
        format!(
            "`{}()` creates `{}` lazily (`{test}`) without a lock; it is public API of `{package}`, which starts threads (as at {}), so two threads calling it at once can both create it",
            summary.name,
            loc.display(),
            place(files, thread_site)
        ),
    )
    .with_confidence(Confidence::Medium);
    diagnostic.related.push(Related {
        span: Span::new(file, pair.act),
        message: format!("`{}` is created here", loc.display()),
    });
    diagnostic.related.push(Related {
        span: thread_site,
        message: format!("`{package}` starts a thread here"),
    });
    Some(diagnostic)
}

/// Whether making two objects of `class` (where one was meant) does harm: the class's own
/// singleton, a thread, lock, pool, socket or connection, or a project class that holds locks or
/// runs threads of its own.
fn is_resource(project: &Project, class: &str) -> bool {
    if class == "<own class>" {
        return true;
    }
    if let Some(crate::project::link::Target::Class(c)) = project.resolve_name(class) {
        if project.intent_of(c).is_some() || project.thread_class(c).is_some() {
            return true;
        }
    }
    let standard = [
        "builtins.dict",
        "builtins.list",
        "builtins.set",
        "collections.",
        "threading.",
        "multiprocessing.",
        "concurrent.futures.",
        "queue.",
        "socket.",
        "ssl.",
        "sqlite3.",
        "asyncio.",
        "selectors.",
        "subprocess.Popen",
    ];
    if standard.iter().any(|prefix| class.starts_with(prefix)) {
        return true;
    }
    let last = class.rsplit('.').next().unwrap_or(class);
    [
        "Client",
        "Connection",
        "Session",
        "Pool",
        "Executor",
        "Engine",
        "Loop",
        "Server",
        "Socket",
        "Thread",
        "Lock",
        "Queue",
        "Manager",
        "Channel",
        "Pipe",
        "Process",
        "Context",
        "Registry",
        "Writer",
        "Producer",
        "Consumer",
        "Driver",
        "Transport",
        "Cursor",
    ]
    .iter()
    .any(|kind| last.ends_with(kind))
}

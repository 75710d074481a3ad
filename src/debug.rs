//! `snarl debug`: the engine's intermediate results, for tests and for users asking why a finding
//! was or was not made.

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::{json, Value};

use crate::cli::{DebugArgs, DebugCommand};
use crate::config::Overrides;
use crate::pipeline::{self, Input};
use crate::project::{FuncId, Project, RootKind, Thread};
use crate::source::{SourceFiles, Span};

pub fn run(command: DebugCommand) -> Result<ExitCode, String> {
    match command {
        DebugCommand::Parse(args) => parse(args),
        DebugCommand::Roots(args) => emit(args, roots),
        DebugCommand::Calls(args) => emit(args, calls),
        DebugCommand::Accesses(args) => emit(args, accesses),
        DebugCommand::Work(args) => emit(args, work),
    }
}

fn emit(args: DebugArgs, render: fn(&Project, &SourceFiles) -> Value) -> Result<ExitCode, String> {
    crate::cli::configure_threads(args.threads)?;
    let run = crate::cli::inputs(&args.paths, args.config, Overrides::default(), None)?;
    let (files, project) = pipeline::link(run.inputs, &run.resolver);
    let value = render(&project, &files);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = serde_json::to_writer_pretty(&mut out, &value)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out));
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn place(files: &SourceFiles, span: Span) -> Value {
    let file = files.get(span.file);
    let location = file.location(span.range.start());
    json!({ "filename": file.name, "row": location.row, "column": location.column })
}

fn root_kind(project: &Project, files: &SourceFiles, kind: &RootKind) -> Value {
    match kind {
        RootKind::Spawn(spawn) => json!({ "kind": "spawn", "spawn": spawn }),
        RootKind::ThreadRun => json!({ "kind": "thread-run" }),
        RootKind::ClassIntent {
            class,
            evidence,
            seen_at,
            scope,
        } => json!({
            "kind": "class-intent",
            "class": project.class(*class).qualname,
            "evidence": evidence,
            "seen_at": seen_at.map(|s| place(files, s)),
            "scope": format!("{scope:?}").to_lowercase(),
        }),
        RootKind::ModuleIntent { module, evidence } => {
            json!({ "kind": "module-intent", "module": module, "evidence": evidence })
        }
        RootKind::Declared { pattern } => json!({ "kind": "declared", "pattern": pattern }),
    }
}

/// Every concurrency root: how it starts, its entry function, its group and multiplicity, site.
fn roots(project: &Project, files: &SourceFiles) -> Value {
    Value::Array(
        project
            .roots
            .iter()
            .map(|root| {
                let group = root.group as usize;
                json!({
                    "root": root_kind(project, files, &root.kind),
                    "entry": project.function(root.entry).qualname,
                    "group": root.group,
                    "multiplicity": if project.group_many[group] { "many" } else { "once" },
                    "external": project.group_external[group],
                    "process": root.process,
                    "owns_receiver": root.owns_receiver,
                    "site": root.site.map(|s| place(files, s)),
                    "spawner": root.spawner.map(|(f, _)| project.function(f).qualname.clone()),
                })
            })
            .collect(),
    )
}

/// A thread of a context: which group, whether the code runs on it or beside it.
fn thread(project: &Project, files: &SourceFiles, thread: Thread) -> Value {
    let (relation, group) = match thread {
        Thread::Root(g) => ("on", g),
        Thread::Beside(g) => ("beside", g),
    };
    let root = &project.roots[group as usize];
    json!({
        "relation": relation,
        "group": group,
        "entry": project.function(root.entry).qualname,
        "site": root.site.map(|s| place(files, s)),
    })
}

fn context(project: &Project, files: &SourceFiles, function: FuncId) -> Value {
    let ctx = &project.contexts[function as usize];
    json!({
        "threads": ctx.threads.iter().map(|&t| thread(project, files, t)).collect::<Vec<_>>(),
        "crowded": ctx.crowded,
        "locks_on_entry": ctx.lockset.iter().flatten().map(|l| l.display()).collect::<Vec<_>>(),
        "decorator_locks": project.decorator_locks(function).iter().map(|l| l.display()).collect::<Vec<_>>(),
        "self_owned": ctx.self_owned,
        "self_per_thread": ctx.self_per_thread,
    })
}

/// The call graph: every function with its thread context, the windows in which it runs beside
/// threads it started, its hand-off points and its resolved calls.
fn calls(project: &Project, files: &SourceFiles) -> Value {
    Value::Array(
        (0..project.functions.len() as FuncId)
            .map(|f| {
                let file = project.file_of(f);
                let summary = project.function(f);
                let edges: Vec<Value> = project.edges[f as usize]
                    .iter()
                    .map(|edge| {
                        let call = &summary.calls[edge.call as usize];
                        json!({
                            "callee": project.function(edge.callee).qualname,
                            "at": place(files, Span::new(file, edge.site)),
                            "locks_held": call.held.iter().map(|l| project.lock_loc(f, l).display()).collect::<Vec<_>>(),
                            "owned_receiver": project.edge_owned(f, edge),
                            "beside": project.beside_at(f, edge.site.start().to_u32()).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                let at = |offset: u32| {
                    place(files, Span::new(file, crate::python::TextRange::empty(offset.into())))
                };
                let windows: Vec<Value> = project.windows[f as usize]
                    .iter()
                    .map(|w| {
                        json!({
                            "group": w.group,
                            "from": at(w.from),
                            "until": w.until.map(at),
                        })
                    })
                    .collect();
                let syncs: Vec<Value> = summary
                    .syncs
                    .iter()
                    .map(|s| {
                        json!({
                            "kind": s.kind,
                            "on": project.canonical_loc(&s.on).display(),
                            "at": place(files, Span::new(file, s.range)),
                        })
                    })
                    .collect();
                json!({
                    "function": summary.qualname,
                    "context": context(project, files, f),
                    "windows": windows,
                    "syncs": syncs,
                    "calls": edges,
                })
            })
            .collect(),
    )
}

/// Every access to shared state, with its kind, locks, threads and what orders it.
fn accesses(project: &Project, files: &SourceFiles) -> Value {
    let mut out = Vec::new();
    for f in 0..project.functions.len() as FuncId {
        let file = project.file_of(f);
        for access in project.accesses_of(f) {
            let loc = project.canonical_loc(&access.loc);
            let threads =
                crate::rules::races::threads_of(project, f, access.range, access.via_self, &loc);
            out.push(json!({
                "function": project.function(f).qualname,
                "location": loc,
                "kind": access.kind,
                "at": place(files, Span::new(file, access.range)),
                "locks": project.lockset_at(f, &access.held).iter().map(|l| l.display()).collect::<Vec<_>>(),
                "owned": project.is_owned(f, access, &loc),
                "unshared": project.is_unshared_kind(&loc),
                "atomic": access.atomic,
                "threads": threads.threads.iter().map(|&t| thread(project, files, t)).collect::<Vec<_>>(),
                "crowded": threads.crowded,
                "ordered_with": threads.ordered,
                "guards": access.guards.iter().map(|(flag, lock)| json!({"flag": project.canonical_loc(flag).display(), "lock": lock.as_ref().map(|l| project.lock_loc(f, l).display())})).collect::<Vec<_>>(),
                "context": context(project, files, f),
            }));
        }
    }
    Value::Array(out)
}

/// What the work reachable from each function does (the effect inference), and why it runs many
/// times: every function with something to say.
fn work(project: &Project, files: &SourceFiles) -> Value {
    use crate::project::{Evidence, Repeat};
    let evidence = |e: &Evidence| json!({ "what": project.evidence_text(e), "at": place(files, project.evidence_span(e)) });
    let waiting = |slot: &Option<(Evidence, crate::catalogue::Blocking)>| {
        slot.as_ref().map(|(e, kind)| {
            json!({ "what": project.evidence_text(e), "waits": kind.describe(), "at": place(files, project.evidence_span(e)) })
        })
    };
    Value::Array(
        (0..project.functions.len() as FuncId)
            .filter_map(|f| {
                let work = project.work(f);
                let repetition = project.repetition(f);
                if work.is_cheap() && repetition.is_none() {
                    return None;
                }
                let repeats = repetition.map(|r| match r.why {
                    Repeat::Loop { caller, header, .. } => json!({
                        "called_in_loop_of": project.function(caller).qualname,
                        "loop": place(files, Span::new(project.file_of(caller), header)),
                        "through": project.repetition_path(f).iter().map(|(g, _)| project.function(*g).qualname.clone()).collect::<Vec<_>>(),
                    }),
                    Repeat::Root(root) => json!({
                        "root": project.function(project.roots[root as usize].entry).qualname,
                        "site": project.roots[root as usize].site.map(|s| place(files, s)),
                        "through": project.repetition_path(f).iter().map(|(g, _)| project.function(*g).qualname.clone()).collect::<Vec<_>>(),
                    }),
                });
                Some(json!({
                    "function": project.function(f).qualname,
                    "cpu_bound": work.is_cpu_bound(),
                    "io_bound": work.is_io_bound(),
                    "compute": work.compute.as_ref().map(evidence),
                    "io": waiting(&work.io),
                    "waits": waiting(&work.waits),
                    "native": work.native.as_ref().map(evidence),
                    "output": work.output.as_ref().map(evidence),
                    "unknown": work.unknown.as_ref().map(evidence),
                    "repeats": repeats,
                }))
            })
            .collect(),
    )
}

/// Reads and parses every file, nothing else, and prints counts: the benchmark's baseline.
fn parse(args: DebugArgs) -> Result<ExitCode, String> {
    use rayon::prelude::*;
    crate::cli::configure_threads(args.threads)?;
    let crate::cli::Inputs {
        resolver, inputs, ..
    } = crate::cli::inputs(&args.paths, args.config, Overrides::default(), None)?;
    let start = Instant::now();
    let (bytes, errors): (usize, usize) = inputs
        .par_iter()
        .map(|input| match input {
            Input::File(file) => match pipeline::read_source(&file.path) {
                Ok(text) => {
                    let version = resolver.settings_for(&file.path).target_version;
                    let parsed = crate::python::parse_module(&text, version);
                    let errors = parsed.syntax_errors.len();
                    pipeline::drop_ast(parsed);
                    (text.len(), errors)
                }
                Err(_) => (0, 0),
            },
            Input::Stdin { text, .. } => (text.len(), 0),
            Input::Buffer { text, .. } => (text.len(), 0),
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let plural = crate::report::plural;
    println!(
        "parsed {} {}, {} {}, {} syntax {} in {:.3}s",
        inputs.len(),
        plural(inputs.len(), "file"),
        bytes,
        plural(bytes, "byte"),
        errors,
        plural(errors, "error"),
        start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

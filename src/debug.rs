//! `snarl debug`: the engine's intermediate results, for tests and for users asking why a finding
//! was or was not made.

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::{json, Value};

use crate::cli::{DebugArgs, DebugCommand};
use crate::config::Overrides;
use crate::pipeline::{self, Input};
use crate::project::{FuncId, Project, RootKind};
use crate::source::{SourceFiles, Span};

pub fn run(command: DebugCommand) -> Result<ExitCode, String> {
    match command {
        DebugCommand::Parse(args) => parse(args),
        DebugCommand::Roots(args) => emit(args, roots),
        DebugCommand::Calls(args) => emit(args, calls),
        DebugCommand::Accesses(args) => emit(args, accesses),
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

fn root_kind(project: &Project, kind: &RootKind) -> Value {
    match kind {
        RootKind::Spawn(spawn) => json!({ "kind": "spawn", "spawn": spawn }),
        RootKind::ThreadRun => json!({ "kind": "thread-run" }),
        RootKind::ClassIntent { class, evidence } => json!({
            "kind": "class-intent",
            "class": project.class(*class).qualname,
            "evidence": evidence,
        }),
        RootKind::ModuleIntent { module, evidence } => {
            json!({ "kind": "module-intent", "module": module, "evidence": evidence })
        }
        RootKind::Declared { pattern } => json!({ "kind": "declared", "pattern": pattern }),
    }
}

/// Every concurrency root: how it starts, its entry function, multiplicity and site.
fn roots(project: &Project, files: &SourceFiles) -> Value {
    Value::Array(
        project
            .roots
            .iter()
            .map(|root| {
                json!({
                    "root": root_kind(project, &root.kind),
                    "entry": project.function(root.entry).qualname,
                    "multiplicity": if root.many { "many" } else { "once" },
                    "process": root.process,
                    "site": root.site.map(|s| place(files, s)),
                })
            })
            .collect(),
    )
}

fn context(project: &Project, function: FuncId) -> Value {
    let ctx = &project.contexts[function as usize];
    json!({
        "roots": ctx.roots.iter().map(|&r| project.function(project.roots[r as usize].entry).qualname.clone()).collect::<Vec<_>>(),
        "many": ctx.many,
        "locks_on_entry": ctx.lockset.iter().flatten().map(|l| l.display()).collect::<Vec<_>>(),
        "self_owned": ctx.self_owned,
    })
}

/// The call graph: every function with its thread context and resolved calls.
fn calls(project: &Project, files: &SourceFiles) -> Value {
    Value::Array(
        (0..project.functions.len() as FuncId)
            .map(|f| {
                let file = project.file_of(f);
                let edges: Vec<Value> = project.edges[f as usize]
                    .iter()
                    .map(|edge| {
                        json!({
                            "callee": project.function(edge.callee).qualname,
                            "at": place(files, Span::new(file, edge.site)),
                            "locks_held": edge.held.iter().map(|l| l.display()).collect::<Vec<_>>(),
                            "owned_receiver": edge.owned_receiver,
                        })
                    })
                    .collect();
                json!({
                    "function": project.function(f).qualname,
                    "context": context(project, f),
                    "calls": edges,
                })
            })
            .collect(),
    )
}

/// Every access to shared state, with its kind, locks and thread context.
fn accesses(project: &Project, files: &SourceFiles) -> Value {
    let mut out = Vec::new();
    for f in 0..project.functions.len() as FuncId {
        let file = project.file_of(f);
        for access in &project.function(f).accesses {
            let loc = project.canonical_loc(&access.loc);
            out.push(json!({
                "function": project.function(f).qualname,
                "location": loc,
                "kind": access.kind,
                "at": place(files, Span::new(file, access.range)),
                "locks": project.lockset_at(f, &access.held).iter().map(|l| l.display()).collect::<Vec<_>>(),
                "owned": project.is_owned(f, access, &loc),
                "context": context(project, f),
            }));
        }
    }
    Value::Array(out)
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

//! `snarl map`: the engine's model of a project, made for people — each thread the project runs
//! (where it starts, how many run), the functions it reaches, and the shared state those touch,
//! under which locks, grouped so that a reviewer sees which state is touched by which threads and
//! where the locking disagrees. Text, JSON, Mermaid and Graphviz DOT.
//!
//! The facts are those of `snarl debug` ([`crate::project`]): thread contexts, locksets,
//! ownership. Owned state and code on no thread are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::project::{FuncId, Project, RootKind, Thread};
use crate::rules::races::{place, threads_of};
use crate::source::{SourceFiles, Span};
use crate::summary::{AccessKind, Loc};

/// One thread of the map: a group of roots.
#[derive(Debug, Serialize)]
pub struct MapThread {
    /// `T1`, `T2`...: the name the other parts of the map use.
    pub id: String,
    /// What runs it: "thread", "thread-pool task", "callers of `Cache`"...
    pub kind: String,
    /// Why snarl counts it (the evidence, for callers inferred from a class or module).
    pub why: Option<String>,
    /// Where it starts (`path:row`).
    pub started_at: Option<String>,
    /// `once` or `many`.
    pub multiplicity: &'static str,
    /// The functions it starts in.
    pub entries: Vec<String>,
    /// How many functions it reaches.
    pub reaches: usize,
}

/// One access of a shared location, by one thread.
#[derive(Debug, Serialize)]
pub struct MapUse {
    /// The thread (`T1`), or the code beside it that started it (`beside T1`).
    pub thread: String,
    pub kind: &'static str,
    /// The locks held, by their source name; empty when none.
    pub locks: Vec<String>,
    pub function: String,
    pub at: String,
}

/// One shared location and who touches it.
#[derive(Debug, Serialize)]
pub struct MapState {
    pub location: String,
    pub uses: Vec<MapUse>,
    /// The locks every change holds, when they agree; `None` when some change holds none of
    /// the locks the others hold (the locking disagrees).
    pub guarded_by: Option<Vec<String>>,
    /// Whether several threads touch it and one of them changes it.
    pub contended: bool,
}

/// The whole map.
#[derive(Debug, Serialize)]
pub struct ConcurrencyMap {
    pub threads: Vec<MapThread>,
    pub state: Vec<MapState>,
}

/// How `snarl map` prints the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MapFormat {
    Text,
    Json,
    Mermaid,
    Dot,
}

/// Builds the map of `project`.
pub fn build(project: &Project, files: &SourceFiles) -> ConcurrencyMap {
    // Threads: one per group of roots that runs in this process (processes share no state).
    let mut groups: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (r, root) in project.roots.iter().enumerate() {
        if !root.process {
            groups.entry(root.group).or_default().push(r);
        }
    }
    let mut reach: BTreeMap<u32, usize> = BTreeMap::new();
    for ctx in &project.contexts {
        for thread in &ctx.threads {
            if let Thread::Root(g) = thread {
                *reach.entry(*g).or_default() += 1;
            }
        }
    }
    let names: BTreeMap<u32, String> = groups
        .keys()
        .enumerate()
        .map(|(i, &g)| (g, format!("T{}", i + 1)))
        .collect();
    let threads = groups
        .iter()
        .map(|(&group, members)| {
            let root = &project.roots[group as usize];
            let (kind, why) = describe(project, &root.kind);
            let mut entries: Vec<String> = members
                .iter()
                .map(|&r| project.function(project.roots[r].entry).qualname.clone())
                .collect();
            entries.sort();
            entries.dedup();
            MapThread {
                id: names[&group].clone(),
                kind,
                why,
                started_at: root.site.map(|s| place(files, s)),
                multiplicity: if project.group_many[group as usize] {
                    "many"
                } else {
                    "once"
                },
                entries,
                reaches: reach.get(&group).copied().unwrap_or(0),
            }
        })
        .collect();
    ConcurrencyMap {
        threads,
        state: shared_state(project, files, &names),
    }
}

/// What a root group is, and the evidence for callers snarl infers.
fn describe(project: &Project, kind: &RootKind) -> (String, Option<String>) {
    match kind {
        RootKind::Spawn(spawn) => (spawn.describe().to_string(), None),
        RootKind::ThreadRun => ("thread (a `Thread` subclass's `run`)".to_string(), None),
        RootKind::ClassIntent {
            class, evidence, ..
        } => (
            format!(
                "callers of `{}`",
                crate::project::roots::short_name(&project.class(*class).qualname)
            ),
            Some(evidence.clone()),
        ),
        RootKind::ModuleIntent { module, evidence } => {
            (format!("callers of `{module}`"), Some(evidence.clone()))
        }
        RootKind::Declared { pattern } => (
            "threads the `concurrent` setting names".to_string(),
            Some(format!("`{pattern}`")),
        ),
    }
}

fn kind_name(kind: AccessKind) -> &'static str {
    match kind {
        AccessKind::Read => "read",
        AccessKind::Check => "test",
        AccessKind::Write => "write",
        AccessKind::ReadModifyWrite => "read-modify-write",
        AccessKind::ContentRead => "read element",
        AccessKind::Iterate => "iterate",
        AccessKind::Mutate => "change",
        AccessKind::ContentReadModifyWrite => "update element",
    }
}

/// Every shared location some thread changes, with each thread's uses of it.
fn shared_state(
    project: &Project,
    files: &SourceFiles,
    names: &BTreeMap<u32, String>,
) -> Vec<MapState> {
    let mut by_loc: BTreeMap<Loc, Vec<(MapUse, BTreeSet<String>, bool)>> = BTreeMap::new();
    for f in 0..project.functions.len() as FuncId {
        let module = project.functions[f as usize].0 as usize;
        if project.is_test_module(module) {
            continue;
        }
        for access in project.accesses_of(f) {
            if !project.is_project_location(&access.loc) {
                continue;
            }
            let loc = project.canonical_loc(&access.loc);
            if project.is_owned(f, access, &loc)
                || project.is_method(&loc)
                || project.is_unshared_kind(&loc)
            {
                continue;
            }
            let threads = threads_of(project, f, access.range, access.via_self, &loc);
            let locks: BTreeSet<String> = project
                .lockset_at(f, &access.held)
                .iter()
                .map(Loc::display)
                .collect();
            for thread in &threads.threads {
                let (group, beside) = match *thread {
                    Thread::Root(g) => (g, false),
                    Thread::Beside(g) => (g, true),
                };
                let Some(name) = names.get(&group) else {
                    continue;
                };
                let use_ = MapUse {
                    thread: if beside {
                        format!("beside {name}")
                    } else {
                        name.clone()
                    },
                    kind: kind_name(access.kind),
                    locks: locks.iter().cloned().collect(),
                    function: project.function(f).qualname.clone(),
                    at: place(files, Span::new(project.file_of(f), access.range)),
                };
                by_loc.entry(loc.clone()).or_default().push((
                    use_,
                    locks.clone(),
                    access.kind.is_write(),
                ));
            }
        }
    }
    by_loc
        .into_iter()
        .filter(|(_, uses)| uses.iter().any(|(_, _, write)| *write))
        .map(|(loc, uses)| {
            let writes: Vec<&BTreeSet<String>> = uses
                .iter()
                .filter(|(_, _, write)| *write)
                .map(|(_, locks, _)| locks)
                .collect();
            let common = writes.iter().skip(1).fold(writes[0].clone(), |acc, locks| {
                acc.intersection(locks).cloned().collect()
            });
            let any_locked = writes.iter().any(|locks| !locks.is_empty());
            let guarded_by = if common.is_empty() && any_locked {
                None
            } else {
                Some(common.into_iter().collect())
            };
            let distinct: BTreeSet<String> = uses
                .iter()
                .map(|(u, _, _)| u.thread.trim_start_matches("beside ").to_string())
                .collect();
            let many = uses.iter().any(|(u, _, _)| {
                names
                    .iter()
                    .find(|(_, n)| **n == u.thread)
                    .is_some_and(|(&g, _)| project.group_many[g as usize])
            });
            let mut uses: Vec<MapUse> = uses.into_iter().map(|(u, _, _)| u).collect();
            uses.sort_by(|a, b| (&a.thread, &a.at).cmp(&(&b.thread, &b.at)));
            uses.dedup_by(|a, b| a.thread == b.thread && a.at == b.at);
            MapState {
                location: loc.display(),
                contended: distinct.len() > 1 || many,
                uses,
                guarded_by,
            }
        })
        .collect()
}

/// `snarl map`: links the project as `snarl check` does and prints its map.
pub fn run(args: crate::cli::MapArgs) -> Result<std::process::ExitCode, String> {
    use std::io::Write as _;
    crate::cli::configure_threads(args.threads)?;
    let run = crate::cli::inputs(
        &args.paths,
        args.config,
        crate::config::Overrides::default(),
        None,
    )?;
    let (files, project) = crate::pipeline::link(run.inputs, &run.resolver);
    let rendered = render(&build(&project, &files), args.format);
    match std::io::stdout().lock().write_all(rendered.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(std::process::ExitCode::SUCCESS),
    }
}

/// Renders the map in `format`.
pub fn render(map: &ConcurrencyMap, format: MapFormat) -> String {
    match format {
        MapFormat::Json => serde_json::to_string_pretty(map).unwrap_or_default() + "\n",
        MapFormat::Text => text(map),
        MapFormat::Mermaid => mermaid(map),
        MapFormat::Dot => dot(map),
    }
}

fn text(map: &ConcurrencyMap) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Threads");
    if map.threads.is_empty() {
        let _ = writeln!(
            out,
            "  (none: no code runs on threads other than the main one)"
        );
    }
    for thread in &map.threads {
        let _ = write!(
            out,
            "  {}  {} ({})",
            thread.id, thread.kind, thread.multiplicity
        );
        if let Some(at) = &thread.started_at {
            let _ = write!(out, ", started at {at}");
        }
        let _ = writeln!(out);
        if let Some(why) = &thread.why {
            let _ = writeln!(out, "      because {why}");
        }
        let shown: Vec<&str> = thread.entries.iter().take(5).map(String::as_str).collect();
        let more = thread.entries.len().saturating_sub(shown.len());
        let _ = write!(out, "      runs {}", shown.join(", "));
        if more > 0 {
            let _ = write!(out, " and {more} more");
        }
        let _ = writeln!(out, "; reaches {} functions", thread.reaches);
    }
    let _ = writeln!(out, "\nShared state changed by threads");
    if map.state.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for state in &map.state {
        let verdict = match (&state.guarded_by, state.contended) {
            (None, _) => "the locking disagrees".to_string(),
            (Some(locks), _) if !locks.is_empty() => format!("guarded by {}", locks.join(", ")),
            (Some(_), true) => "no lock, several threads".to_string(),
            (Some(_), false) => "one thread".to_string(),
        };
        let _ = writeln!(out, "  {}  ({verdict})", state.location);
        for u in &state.uses {
            let locks = if u.locks.is_empty() {
                "no lock".to_string()
            } else {
                format!("under {}", u.locks.join(", "))
            };
            let _ = writeln!(
                out,
                "      {:<10} {:<18} {:<22} {}  ({})",
                u.thread, u.kind, locks, u.at, u.function
            );
        }
    }
    out
}

/// A node id safe in Mermaid and DOT.
fn node(prefix: &str, text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}_{clean}")
}

/// One edge of the graph forms, its ends as node ids.
struct GraphEdge {
    from: String,
    to: String,
    /// The function an edge from a thread leads to: a node the graph declares there.
    function: Option<String>,
    label: String,
}

/// The edges of the graph forms: thread → entry function → state, labelled with locks.
fn edges(map: &ConcurrencyMap) -> Vec<GraphEdge> {
    // (from, to, label, whether `to` is state), sorted by name.
    let mut out = BTreeSet::new();
    for state in &map.state {
        for u in &state.uses {
            let thread = u.thread.trim_start_matches("beside ").to_string();
            let label = if u.locks.is_empty() {
                u.kind.to_string()
            } else {
                format!("{} under {}", u.kind, u.locks.join(", "))
            };
            out.insert((thread, u.function.clone(), String::new(), false));
            out.insert((u.function.clone(), state.location.clone(), label, true));
        }
    }
    out.into_iter()
        .map(|(from, to, label, to_state)| {
            if to_state {
                GraphEdge {
                    from: node("f", &from),
                    to: node("s", &to),
                    function: None,
                    label,
                }
            } else {
                GraphEdge {
                    from: node("t", &from),
                    to: node("f", &to),
                    function: Some(to),
                    label,
                }
            }
        })
        .collect()
}

fn mermaid(map: &ConcurrencyMap) -> String {
    let mut out = String::from("graph LR\n");
    for thread in &map.threads {
        let _ = writeln!(
            out,
            "  {}[\"{}: {} ({})\"]",
            node("t", &thread.id),
            thread.id,
            thread.kind.replace('`', "").replace('"', "'"),
            thread.multiplicity
        );
    }
    for state in &map.state {
        let _ = writeln!(
            out,
            "  {}[(\"{}\")]",
            node("s", &state.location),
            state.location
        );
    }
    for GraphEdge {
        from,
        to,
        function,
        label,
    } in edges(map)
    {
        if let Some(function) = function {
            let _ = writeln!(out, "  {to}[\"{function}\"]");
        }
        if label.is_empty() {
            let _ = writeln!(out, "  {from} --> {to}");
        } else {
            let _ = writeln!(out, "  {from} -- \"{label}\" --> {to}");
        }
    }
    out
}

fn dot(map: &ConcurrencyMap) -> String {
    let mut out = String::from("digraph snarl {\n  rankdir=LR;\n");
    for thread in &map.threads {
        let _ = writeln!(
            out,
            "  {} [shape=box, label=\"{}: {} ({})\"];",
            node("t", &thread.id),
            thread.id,
            thread.kind.replace('"', "'"),
            thread.multiplicity
        );
    }
    for state in &map.state {
        let color = if state.guarded_by.is_none() {
            ", color=red"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {} [shape=cylinder, label=\"{}\"{color}];",
            node("s", &state.location),
            state.location
        );
    }
    for GraphEdge {
        from,
        to,
        function,
        label,
    } in edges(map)
    {
        if let Some(function) = function {
            let _ = writeln!(out, "  {to} [label=\"{function}\"];");
        }
        let _ = writeln!(out, "  {from} -> {to} [label=\"{label}\"];");
    }
    out.push_str("}\n");
    out
}

//! The command line: `snarl check`, `snarl rule`, `snarl rules`, `snarl server`, `snarl debug`;
//! what goes to standard output (the report, the closing summary of human formats) and to
//! standard error (warnings, errors), and the exit code.

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::baseline::{self, Baseline};
use crate::config::{normalize, Overrides, Resolver};
use crate::context;
use crate::discover::{self, DiscoveredFile, ModuleNamer};
use crate::fix;
use crate::pipeline::{self, CheckResult, Input};
use crate::report::{self, FixSummary, OutputFormat, ReportOptions};
use crate::rules::Rule;
use crate::source::absolute;
use crate::workspace::{path_key, Workspace};

/// snarl: finds threading and multiprocessing misuse in Python code.
#[derive(Debug, Parser)]
#[command(name = "snarl", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check files and directories (default: the current directory).
    Check(CheckArgs),
    /// Print a rule's documentation, or every rule's with `--all`.
    Rule(RuleArgs),
    /// List every rule.
    Rules {
        #[arg(long, value_enum, default_value = "text")]
        output_format: ListFormat,
    },
    /// Run the language server (LSP over standard input and output), for editors.
    Server,
    /// Map a project's concurrency: its threads, what they reach, the shared state they touch
    /// and under which locks.
    Map(MapArgs),
    /// Inspect the engine: what snarl sees in a project.
    #[command(subcommand)]
    Debug(DebugCommand),
}

#[derive(Debug, Args)]
pub struct MapArgs {
    /// Files or directories (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// `text` (for reading), `json`, `mermaid` or `dot` (graphs: threads → functions → state).
    #[arg(long, value_enum, default_value = "text")]
    pub format: crate::map::MapFormat,
    /// Use this configuration file instead of searching for one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// A rule code (`SN101`) or name (`thread-target-called`).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub rule: Option<String>,
    /// Print the documentation of every rule.
    #[arg(long)]
    pub all: bool,
    /// `text` (the Markdown documentation) or `json` (code, name, family, summary, fix, doc).
    #[arg(long, value_enum, default_value = "text")]
    pub output_format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to check; `-` reads source from standard input.
    pub paths: Vec<PathBuf>,
    /// How to print findings.
    #[arg(long, value_enum, default_value = "full")]
    pub output_format: OutputFormat,
    /// Rules to enable (codes, prefixes such as `SN2`, names, or `ALL`); replaces the configured set.
    #[arg(long, value_delimiter = ',')]
    pub select: Option<Vec<String>>,
    /// Rules to enable on top of the selected ones.
    #[arg(long, value_delimiter = ',')]
    pub extend_select: Vec<String>,
    /// Rules to disable.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Use this configuration file instead of searching for one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Exit 0 even when there are findings.
    #[arg(long)]
    pub exit_zero: bool,
    /// Print how many findings each rule made instead of the findings (`full`, `concise` and
    /// `json` formats).
    #[arg(long)]
    pub statistics: bool,
    /// Print the settings the first file found under the paths is checked with, and where they
    /// come from, instead of checking.
    #[arg(long, conflicts_with = "show_files")]
    pub show_settings: bool,
    /// List the files that would be checked, instead of checking them.
    #[arg(long)]
    pub show_files: bool,
    /// Print findings only: no summary line.
    #[arg(long, short)]
    pub quiet: bool,
    /// Worker threads for the parallel phases (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Do not read or write the cache.
    #[arg(long)]
    pub no_cache: bool,
    /// When to use colors; `NO_COLOR` in the environment means never for `auto`.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// The file name to report source read from standard input (path `-`) under.
    #[arg(long)]
    pub stdin_filename: Option<PathBuf>,
    /// Apply the safe fixes (and the unsafe ones with `--unsafe-fixes`), then report what is left.
    #[arg(long, conflicts_with = "add_noqa")]
    pub fix: bool,
    /// Apply unsafe fixes too (with `--fix` or `--diff`); they may change what the code does.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the fixes as a unified diff instead of writing them; exit 1 if there are any.
    #[arg(long, conflicts_with = "add_noqa")]
    pub diff: bool,
    /// Add `# noqa: CODE` comments that silence every current finding.
    #[arg(long, conflicts_with_all = ["write_baseline", "baseline"])]
    pub add_noqa: bool,
    /// Analyse only the given paths, not the rest of the project they belong to.
    #[arg(long)]
    pub no_project_context: bool,
    /// Skip files that the excludes match even when they are named on the command line
    /// (for pre-commit, which names every changed file).
    #[arg(long)]
    pub force_exclude: bool,
    /// Record the current findings in FILE, so that `--baseline FILE` reports only new ones.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Hide the findings recorded in FILE (written by `--write-baseline`): report only new ones.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum DebugCommand {
    /// Read and parse every file, and nothing else (the benchmark's baseline).
    Parse(DebugArgs),
    /// The concurrency roots found, their multiplicity and spawn sites (JSON).
    Roots(DebugArgs),
    /// The call graph: every call site with its resolved callee and held locks (JSON).
    Calls(DebugArgs),
    /// Every access to shared state with its kind, locks and thread contexts (JSON).
    Accesses(DebugArgs),
    /// What the work reachable from each function does, and why it runs many times (JSON).
    Work(DebugArgs),
}

#[derive(Debug, Args)]
pub struct DebugArgs {
    /// Files or directories (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Use this configuration file instead of searching for one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Exit code 2: usage errors, bad configuration, internal errors.
pub(crate) const EXIT_ERROR: u8 = 2;

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { EXIT_ERROR } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("snarl: error: {message}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Rule(args) => {
            let rules: Vec<Rule> = match &args.rule {
                Some(rule) => vec![Rule::from_code_or_name(rule).ok_or_else(|| {
                    format!("unknown rule `{rule}`; `snarl rules` lists every rule")
                })?],
                None => Rule::ALL.to_vec(),
            };
            ignore_broken_pipe(explain_rules(
                &rules,
                args.rule.is_none(),
                args.output_format,
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules { output_format } => {
            ignore_broken_pipe(list_rules(output_format))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Server => crate::server::run(),
        Command::Map(args) => crate::map::run(args),
        Command::Debug(command) => crate::debug::run(command),
    }
}

pub fn configure_threads(threads: Option<usize>) -> Result<(), String> {
    // Deeply nested code recurses deeply; big (virtual, lazily committed) stacks keep it safe.
    let mut builder = rayon::ThreadPoolBuilder::new().stack_size(64 * 1024 * 1024);
    if let Some(threads) = threads {
        if threads == 0 {
            return Err("--threads must be at least 1".to_string());
        }
        builder = builder.num_threads(threads);
    }
    builder.build_global().map_err(|e| e.to_string())
}

/// What a run checks: the settings of each file and the inputs, plus what discovery wants the
/// user to hear about.
pub struct Inputs {
    pub resolver: Resolver,
    pub inputs: Vec<Input>,
    pub warnings: Vec<String>,
}

/// Resolves settings and turns the command-line paths into pipeline inputs.
pub fn inputs(
    paths: &[PathBuf],
    config: Option<PathBuf>,
    overrides: Overrides,
    stdin_filename: Option<&PathBuf>,
) -> Result<Inputs, String> {
    let overrides = Overrides {
        config,
        ..overrides
    };
    let mut resolver = Resolver::new(&overrides).map_err(|e| e.to_string())?;
    // Like ruff: `--stdin-filename` without paths reads standard input too.
    let paths: Vec<PathBuf> = match (paths.is_empty(), stdin_filename) {
        (false, _) => paths.to_vec(),
        (true, Some(_)) => vec![PathBuf::from("-")],
        (true, None) => vec![PathBuf::from(".")],
    };
    let mut inputs = Vec::new();
    let mut warnings = Vec::new();
    let file_paths: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    if file_paths.len() != paths.len() {
        let mut bytes = Vec::new();
        io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        let (text, unreadable) = match pipeline::decode_source(bytes) {
            Ok(text) => (text, None),
            Err(reason) => (String::new(), Some(reason)),
        };
        let path = stdin_filename
            .cloned()
            .unwrap_or_else(|| PathBuf::from("-"));
        if stdin_filename.is_some() {
            resolver.add_ancestors(&path).map_err(|e| e.to_string())?;
        }
        let (module, is_package) = ModuleNamer::new(&resolver).module_name(&path);
        inputs.push(Input::Stdin {
            file: DiscoveredFile {
                path,
                module,
                is_package,
            },
            text,
            unreadable,
        });
    }
    if !file_paths.is_empty() {
        let (found, discovery) =
            discover::discover_with(&file_paths, resolver).map_err(|e| e.to_string())?;
        resolver = found;
        warnings.extend(discovery.warnings);
        inputs.extend(discovery.files.into_iter().map(Input::File));
    }
    Ok(Inputs {
        resolver,
        inputs,
        warnings,
    })
}

/// The inputs of `snarl check` as a workspace: the named paths reported on, the rest of their
/// project as context (unless `--no-project-context`), every file with its own settings; and
/// what the user should hear about the context.
fn workspace(
    args: &CheckArgs,
    mut resolver: Resolver,
    inputs: Vec<Input>,
) -> (Workspace, Vec<String>) {
    // Nothing to report on (`--force-exclude` may have dropped every file): no context to build.
    if args.no_project_context || inputs.is_empty() {
        return (Workspace::new(resolver, inputs, Vec::new()), Vec::new());
    }
    let mut named: Vec<PathBuf> = args
        .paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    if args.paths.is_empty() && args.stdin_filename.is_none() {
        named.push(PathBuf::from("."));
    }
    let reads_stdin = args.paths.iter().any(|p| p.as_os_str() == "-")
        || args.paths.is_empty() && args.stdin_filename.is_some();
    if let (true, Some(name)) = (reads_stdin, &args.stdin_filename) {
        named.push(name.clone());
    }
    let checked = inputs.iter().map(|i| path_key(&i.file().path)).collect();
    let context = context::context_files(&named, &checked, &mut resolver);
    let files = context.files.into_iter().map(Input::File).collect();
    (Workspace::new(resolver, inputs, files), context.warnings)
}

/// `--force-exclude`: whether the excludes match `path` or a directory above it, each judged as
/// the walk would judge it, by the settings of the directory holding it, up to the root of those
/// settings (a project under a directory named `build` is not excluded for that).
fn force_excluded(resolver: &Resolver, path: &Path) -> bool {
    let key = path_key(path);
    for entry in key.ancestors() {
        let Some(parent) = entry.parent() else {
            break;
        };
        let settings = resolver.settings_for(parent);
        let inside = entry.starts_with(&settings.root) && entry != settings.root;
        if entry != key && !inside {
            break;
        }
        if settings.is_excluded(entry) {
            return true;
        }
    }
    false
}

fn check(args: CheckArgs) -> Result<ExitCode, String> {
    configure_threads(args.threads)?;
    let overrides = Overrides {
        config: None,
        select: args.select.clone(),
        extend_select: args.extend_select.clone(),
        ignore: args.ignore.clone(),
    };
    let Inputs {
        resolver,
        inputs,
        warnings,
    } = inputs(
        &args.paths,
        args.config.clone(),
        overrides,
        args.stdin_filename.as_ref(),
    )?;
    for warning in &warnings {
        eprintln!("snarl: warning: {warning}");
    }
    // Like ruff: `--fix` on standard input writes the fixed source to standard output, so the
    // report goes to standard error.
    let fixes_stdin = args.fix && inputs.iter().any(|i| matches!(i, Input::Stdin { .. }));
    let inputs: Vec<Input> = if args.force_exclude {
        let (excluded, kept): (Vec<Input>, Vec<Input>) = inputs
            .into_iter()
            .partition(|input| force_excluded(&resolver, &input.file().path));
        // As ruff: `--fix` on an excluded standard input passes the source through unchanged.
        for input in &excluded {
            if let (Input::Stdin { text, .. }, true) = (input, args.fix) {
                ignore_broken_pipe(io::stdout().lock().write_all(text.as_bytes()))?;
            }
        }
        kept
    } else {
        inputs
    };
    if inputs.is_empty() {
        // As ruff: nothing to check is worth saying, not an error.
        eprintln!("snarl: warning: No Python files found under the given path(s)");
    }
    if args.show_files {
        return write_stdout(|out| show_files(&inputs, out));
    }
    if args.show_settings {
        // The first file that exists (a missing path has no settings worth showing).
        let first = inputs
            .iter()
            .map(|input| input.file().path.as_path())
            .filter(|path| path.as_os_str() == "-" || std::fs::symlink_metadata(path).is_ok())
            .min()
            .ok_or("no files found under the given paths")?;
        return write_stdout(|out| show_settings(first, &resolver, out));
    }
    if args.statistics
        && !matches!(
            args.output_format,
            OutputFormat::Full | OutputFormat::Concise | OutputFormat::Json
        )
    {
        return Err(format!(
            "--statistics prints the `full`, `concise` and `json` formats, not `{}`",
            args.output_format
                .to_possible_value()
                .map_or(String::new(), |v| v.get_name().to_string())
        ));
    }
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let (mut workspace, context_warnings) = workspace(&args, resolver, inputs);
    for warning in &context_warnings {
        eprintln!("snarl: warning: {warning}");
    }
    if args.add_noqa {
        return crate::add_noqa::run(workspace);
    }
    let mut errors = Vec::new();
    let (mut result, fixed) = if args.fix || args.diff {
        let outcome = fix::fix_workspace(&mut workspace, args.unsafe_fixes);
        for rejected in &outcome.rejected {
            let codes: Vec<&str> = rejected.rules.iter().map(|r| r.code()).collect();
            eprintln!(
                "snarl: warning: the fixes for {} in {} would leave the file with a syntax error, so it was left unchanged. This is a bug in snarl; please report it.",
                codes.join(", "),
                rejected.name
            );
        }
        if args.diff {
            for warning in &outcome.result.warnings {
                eprintln!("snarl: warning: {warning}");
            }
            return print_diffs(&outcome);
        }
        if let Some(source) = fix::write_all(&workspace, &outcome, &mut errors) {
            ignore_broken_pipe(io::stdout().lock().write_all(&source))?;
        }
        (outcome.result, outcome.fixed)
    } else {
        (workspace.check_once(), 0)
    };
    if let Some(path) = &args.write_baseline {
        for warning in &result.warnings {
            eprintln!("snarl: warning: {warning}");
        }
        let count = baseline::write(path, &result.diagnostics, &result.files)?;
        eprintln!(
            "Wrote a baseline of {count} {} to {}.",
            report::plural(count, "finding"),
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let hidden = match (&baseline, &args.baseline) {
        (Some(baseline), Some(path)) => {
            Some(baseline.filter(path, &mut result.diagnostics, &result.files))
        }
        _ => None,
    };
    let report = Report {
        fixed,
        hidden,
        errors,
    };
    if fixes_stdin {
        return finish_report(&args, result, report, &mut io::stderr());
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    finish_report(&args, result, report, &mut out)
}

/// `--diff`: the diffs on standard output, a count on standard error; exit 1 when there is any.
fn print_diffs(outcome: &fix::FixOutcome) -> Result<ExitCode, String> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let written = outcome
        .changed
        .iter()
        .try_for_each(|file| out.write_all(fix::unified_diff(file).as_bytes()))
        .and_then(|()| out.flush());
    ignore_broken_pipe(written)?;
    if outcome.fixed == 0 {
        eprintln!("No findings would be fixed.");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "Would fix {} {}.",
            outcome.fixed,
            report::plural(outcome.fixed, "finding")
        );
        Ok(ExitCode::from(1))
    }
}

/// What a run did besides finding: fixes applied, findings a baseline hid, files that could not
/// be written.
struct Report {
    fixed: usize,
    hidden: Option<usize>,
    errors: Vec<String>,
}

/// Prints the warnings, the report and its closing summary (to `out`: standard output, or
/// standard error when the fixed source of standard input took standard output), and decides the
/// exit code.
fn finish_report(
    args: &CheckArgs,
    result: CheckResult,
    run: Report,
    out: &mut dyn Write,
) -> Result<ExitCode, String> {
    for warning in &result.warnings {
        eprintln!("snarl: warning: {warning}");
    }
    let color = use_color(
        args.color,
        std::env::var_os("NO_COLOR").as_deref(),
        io::stdout().is_terminal(),
    );
    let options = ReportOptions {
        color,
        unsafe_fixes: args.unsafe_fixes,
    };
    let human = matches!(
        args.output_format,
        OutputFormat::Full | OutputFormat::Concise
    );
    let written = (|| {
        if args.statistics {
            report::write_statistics(&result.diagnostics, args.output_format, options, out)?;
        } else {
            report::write(
                args.output_format,
                &result.diagnostics,
                &result.files,
                options,
                out,
            )?;
        }
        // As ruff: the closing line goes with the human formats, after the report.
        if human && !args.quiet {
            let fixes = FixSummary {
                fixed: run.fixed,
                unsafe_fixes: args.unsafe_fixes,
            };
            report::write_summary_after_fixes(&result.diagnostics, fixes, color, out)?;
        }
        out.flush()
    })();
    match written {
        Ok(()) => {}
        // A closed pipe (`snarl check | head`) is not an error of ours.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(format!("cannot write the report: {e}")),
    }
    if let Some(hidden) = run.hidden.filter(|&h| h > 0 && !args.quiet) {
        eprintln!(
            "{hidden} {} recorded in the baseline {} hidden.",
            report::plural(hidden, "finding"),
            if hidden == 1 { "was" } else { "were" }
        );
    }
    for error in &run.errors {
        eprintln!("snarl: error: {error}");
    }
    if !run.errors.is_empty() {
        Ok(ExitCode::from(EXIT_ERROR))
    } else if result.diagnostics.is_empty() || args.exit_zero {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(1))
    }
}

/// Writes to standard output through a buffer; a closed pipe (`snarl check | head`) ends the
/// writing quietly.
fn write_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<ExitCode, String> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(format!("cannot write the report: {e}")),
    }
}

/// `--show-files`: the absolute path of every file that would be checked, sorted (as ruff
/// prints them); paths that do not exist are left out.
fn show_files(inputs: &[Input], out: &mut dyn Write) -> io::Result<()> {
    let mut paths: Vec<PathBuf> = inputs
        .iter()
        .filter_map(|input| match input {
            Input::File(file) if std::fs::symlink_metadata(&file.path).is_err() => None,
            Input::File(file) => Some(normalize(&absolute(&file.path))),
            Input::Buffer { file, .. } => Some(normalize(&absolute(&file.path))),
            Input::Stdin { file, .. } => Some(file.path.clone()),
        })
        .collect();
    paths.sort();
    for path in paths {
        writeln!(out, "{}", path.display())?;
    }
    Ok(())
}

/// `--show-settings`: the settings `path` is checked with, each with where it comes from.
fn show_settings(path: &Path, resolver: &Resolver, out: &mut dyn Write) -> io::Result<()> {
    let settings = resolver.settings_for(path);
    writeln!(
        out,
        "Resolved settings for: \"{}\"",
        normalize(&absolute(path)).display()
    )?;
    match &settings.config_path {
        Some(config) => writeln!(out, "Settings path: \"{}\"", config.display())?,
        None => writeln!(out, "Settings path: none (defaults)")?,
    }
    for extended in &settings.extends {
        writeln!(out, "Extends: \"{}\"", extended.display())?;
    }
    writeln!(out)?;
    for shown in &settings.shown {
        writeln!(out, "{} = {}  # {}", shown.key, shown.value, shown.origin)?;
    }
    let rules: Vec<&str> = settings.rules_for(path).iter().map(Rule::code).collect();
    writeln!(
        out,
        "# this file, after per-file-ignores:\nrules-for-file = [{}]",
        rules
            .iter()
            .map(|code| format!("{code:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    Ok(())
}

/// A closed pipe (`snarl rules | head`) is not an error of ours: the reader has what it wanted.
pub(crate) fn ignore_broken_pipe(written: io::Result<()>) -> Result<(), String> {
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(()),
    }
}

/// Whether to color the report: `--color always|never` decide; `auto` colors a terminal unless
/// `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
fn use_color(choice: ColorChoice, no_color: Option<&std::ffi::OsStr>, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

fn list_rules(format: ListFormat) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match format {
        ListFormat::Text => {
            for rule in Rule::ALL {
                writeln!(
                    out,
                    "{:6} {:34} {:16} {:8} {}",
                    rule.code(),
                    rule.name(),
                    rule.family().as_str(),
                    rule.severity().as_str(),
                    rule.summary()
                )?;
            }
        }
        ListFormat::Json => {
            let rules: Vec<serde_json::Value> = Rule::ALL
                .iter()
                .map(|rule| {
                    serde_json::json!({
                        "code": rule.code(),
                        "name": rule.name(),
                        "family": rule.family().as_str(),
                        "severity": rule.severity().as_str(),
                        "summary": rule.summary(),
                        "fix_availability": rule.fix_availability(),
                        "opt_in": rule.is_opt_in(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rules)?;
            writeln!(out)?;
        }
    }
    out.flush()
}

/// `snarl rule`: each rule's Markdown documentation, or as JSON (ruff's field names, with
/// snarl's `family` for ruff's `linter`): one object for one rule, an array for `--all`.
fn explain_rules(rules: &[Rule], all: bool, format: ListFormat) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match format {
        ListFormat::Text => {
            for (i, rule) in rules.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                out.write_all(rule.doc().as_bytes())?;
            }
        }
        ListFormat::Json => {
            let explain = |rule: &Rule| {
                serde_json::json!({
                    "code": rule.code(),
                    "name": rule.name(),
                    "family": rule.family().as_str(),
                    "severity": rule.severity().as_str(),
                    "summary": rule.summary(),
                    "fix": rule.fix_availability().to_string(),
                    "fix_availability": rule.fix_availability(),
                    "opt_in": rule.is_opt_in(),
                    "explanation": rule.doc(),
                })
            };
            let value = if all {
                serde_json::Value::Array(rules.iter().map(explain).collect())
            } else {
                explain(&rules[0])
            };
            serde_json::to_writer_pretty(&mut out, &value)?;
            writeln!(out)?;
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn color_follows_the_flag_then_no_color_then_the_terminal() {
        assert!(use_color(ColorChoice::Always, Some(OsStr::new("1")), false));
        assert!(!use_color(ColorChoice::Never, None, true));
        assert!(use_color(ColorChoice::Auto, None, true));
        assert!(use_color(ColorChoice::Auto, Some(OsStr::new("")), true));
        assert!(!use_color(ColorChoice::Auto, Some(OsStr::new("1")), true));
        assert!(!use_color(ColorChoice::Auto, None, false));
    }
}

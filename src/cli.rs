//! The command line: `snarl check`, `snarl rule`, `snarl rules`, `snarl debug`.

use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{Overrides, Settings};
use crate::discover::{self, DiscoveredFile, ModuleNamer};
use crate::pipeline::{self, Input};
use crate::report::{self, OutputFormat, ReportOptions};
use crate::rules::Rule;

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
    /// Print a rule's documentation.
    Rule {
        /// A rule code (`SN101`) or name (`thread-target-called`).
        rule: String,
    },
    /// List every rule.
    Rules {
        #[arg(long, value_enum, default_value = "text")]
        output_format: ListFormat,
    },
    /// Inspect the engine: what snarl sees in a project.
    #[command(subcommand)]
    Debug(DebugCommand),
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
    /// Print how many findings each rule made instead of the findings.
    #[arg(long)]
    pub statistics: bool,
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

/// Exit code 2: usage errors, bad configuration, missing paths, internal errors.
const EXIT_ERROR: u8 = 2;

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
        Command::Rule { rule } => {
            let rule = Rule::from_code_or_name(&rule)
                .ok_or_else(|| format!("unknown rule `{rule}`; `snarl rules` lists every rule"))?;
            ignore_broken_pipe(io::stdout().lock().write_all(rule.doc().as_bytes()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules { output_format } => {
            ignore_broken_pipe(list_rules(output_format))?;
            Ok(ExitCode::SUCCESS)
        }
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

/// Resolves settings and turns the command-line paths into pipeline inputs.
pub fn inputs(
    paths: &[PathBuf],
    config: Option<PathBuf>,
    overrides: Overrides,
    stdin_filename: Option<&PathBuf>,
) -> Result<(Settings, Vec<Input>), String> {
    let overrides = Overrides {
        config,
        ..overrides
    };
    let settings = Settings::resolve(&overrides).map_err(|e| e.to_string())?;
    // Like ruff: `--stdin-filename` without paths reads standard input too.
    let paths: Vec<PathBuf> = match (paths.is_empty(), stdin_filename) {
        (false, _) => paths.to_vec(),
        (true, Some(_)) => vec![PathBuf::from("-")],
        (true, None) => vec![PathBuf::from(".")],
    };
    let mut inputs = Vec::new();
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
        let (module, is_package) = ModuleNamer::new(&settings).module_name(&path);
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
        let files = discover::discover(&file_paths, &settings)
            .map_err(|missing| format!("{}: no such file or directory", missing.0.display()))?;
        inputs.extend(files.into_iter().map(Input::File));
    }
    Ok((settings, inputs))
}

fn check(args: CheckArgs) -> Result<ExitCode, String> {
    configure_threads(args.threads)?;
    let overrides = Overrides {
        config: None,
        select: args.select.clone(),
        extend_select: args.extend_select.clone(),
        ignore: args.ignore.clone(),
    };
    let (settings, inputs) = inputs(
        &args.paths,
        args.config.clone(),
        overrides,
        args.stdin_filename.as_ref(),
    )?;
    let result = pipeline::check(inputs, &settings);

    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let color = use_color(
        args.color,
        std::env::var_os("NO_COLOR").as_deref(),
        io::stdout().is_terminal(),
    );
    let written = if args.statistics {
        report::write_statistics(&result.diagnostics, &mut out)
    } else {
        report::write(
            args.output_format,
            &result.diagnostics,
            &result.files,
            ReportOptions { color },
            &mut out,
        )
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => {}
        // A closed pipe (`snarl check | head`) is not an error of ours.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(format!("cannot write the report: {e}")),
    }
    let human = matches!(
        args.output_format,
        OutputFormat::Full | OutputFormat::Concise
    );
    if human && !args.quiet && !args.statistics {
        let n = result.diagnostics.len();
        if n == 0 {
            eprintln!("All checks passed ({} files).", result.files.len());
        } else {
            eprintln!(
                "Found {n} finding{} in {} files.",
                if n == 1 { "" } else { "s" },
                result.files.len()
            );
        }
    }
    if result.diagnostics.is_empty() || args.exit_zero {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(1))
    }
}

/// A closed pipe (`snarl rules | head`) is not an error of ours: the reader has what it wanted.
fn ignore_broken_pipe(written: io::Result<()>) -> Result<(), String> {
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
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rules)?;
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

//! `snarl debug`: the engine's intermediate results, for tests and for users asking why.

use std::process::ExitCode;
use std::time::Instant;

use crate::cli::{DebugArgs, DebugCommand};
use crate::config::Overrides;
use crate::pipeline::{self, Input};

pub fn run(command: DebugCommand) -> Result<ExitCode, String> {
    match command {
        DebugCommand::Parse(args) => parse(args),
        DebugCommand::Roots(_) | DebugCommand::Calls(_) | DebugCommand::Accesses(_) => {
            Err("not available yet".to_string())
        }
    }
}

/// Reads and parses every file, nothing else, and prints counts: the benchmark's baseline.
fn parse(args: DebugArgs) -> Result<ExitCode, String> {
    use rayon::prelude::*;
    let (settings, inputs) =
        crate::cli::inputs(&args.paths, args.config, Overrides::default(), None)?;
    let start = Instant::now();
    let (bytes, errors): (usize, usize) = inputs
        .par_iter()
        .map(|input| match input {
            Input::File(file) => match pipeline::read_source(&file.path) {
                Ok(text) => {
                    let parsed = crate::python::parse_module(&text, settings.target_version);
                    (text.len(), parsed.syntax_errors.len())
                }
                Err(_) => (0, 0),
            },
            Input::Stdin { text, .. } => (text.len(), 0),
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    println!(
        "parsed {} files, {} bytes, {} syntax errors in {:.3}s",
        inputs.len(),
        bytes,
        errors,
        start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

//! `snarl server`: the language server.

use std::process::ExitCode;

pub fn run() -> Result<ExitCode, String> {
    Err("not yet".to_string())
}

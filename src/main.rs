use std::process::ExitCode;

fn main() -> ExitCode {
    snarl::cli::main()
}

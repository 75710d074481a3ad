//! Writing to a closed standard output (`snarl rules | head -1`) ends quietly: no error message,
//! no panic.

use std::io::pipe;
use std::process::{Command, Output};

/// Runs snarl with `args`, its standard output a pipe whose reading end is already closed, so
/// the first write fails with a broken pipe.
fn run_into_closed_pipe(args: &[&str]) -> Output {
    let (reader, writer) = pipe().unwrap();
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_snarl"))
        .args(args)
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .stdout(writer)
        .output()
        .unwrap()
}

fn assert_quiet_success(output: &Output) {
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert!(output.status.success(), "{:?}", output.status);
}

#[test]
fn rules_into_a_closed_pipe() {
    assert_quiet_success(&run_into_closed_pipe(&["rules"]));
    assert_quiet_success(&run_into_closed_pipe(&["rules", "--output-format", "json"]));
}

#[test]
fn rule_into_a_closed_pipe() {
    assert_quiet_success(&run_into_closed_pipe(&["rule", "SN101"]));
}

#[test]
fn check_into_a_closed_pipe() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report_cli_broken_pipe");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("broken.py"), "def f(:\n    pass\n").unwrap();
    for format in [
        "full",
        "concise",
        "json",
        "json-lines",
        "github",
        "gitlab",
        "junit",
        "sarif",
    ] {
        let output = run_into_closed_pipe(&[
            "check",
            "--no-cache",
            "--output-format",
            format,
            "report_cli_broken_pipe/broken.py",
        ]);
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "{format}");
        // Not a panic (101) nor an error (2): the findings' exit code, or 0.
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{format}: {:?}",
            output.status
        );
    }
}

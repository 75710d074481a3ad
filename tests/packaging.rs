//! The ways users install and run snarl outside cargo, each tested with the real tool:
//! `pip install .` (maturin builds the binary) and the pre-commit hook (`pre-commit try-repo`).
//!
//! Both build snarl in release mode and fetch from PyPI and crates.io, so they take minutes and
//! are ignored in the default run: `cargo test --test packaging -- --ignored` runs them.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{repo_root, Project};

const BUGGY: &str =
    "import threading\n\n\ndef work():\n    pass\n\n\nthreading.Thread(work).start()\n";

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    output
}

fn succeed(command: &mut Command) -> Output {
    let output = run(command);
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A fresh virtual environment under `dir`; returns its `bin` directory.
fn venv(dir: &Path) -> PathBuf {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    succeed(Command::new(python).args(["-m", "venv"]).arg(dir));
    dir.join("bin")
}

#[test]
#[ignore = "builds snarl in release mode with maturin from PyPI (minutes)"]
fn pip_install_gives_the_snarl_command() {
    let project = Project::new("pip-install");
    let bin = venv(&project.path("venv"));
    succeed(
        Command::new(bin.join("pip"))
            .args(["install", "--quiet"])
            .arg(repo_root()),
    );
    project.write("app/buggy.py", BUGGY);
    let output = run(Command::new(bin.join("snarl"))
        .args(["check", "--output-format", "concise", "buggy.py"])
        .current_dir(project.path("app")));
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("buggy.py:8:18: SN106 "), "{stdout}");
    let output = succeed(Command::new(bin.join("snarl")).arg("--version"));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("snarl {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
#[ignore = "installs pre-commit from PyPI and builds snarl in release mode (minutes)"]
fn pre_commit_hook_fails_on_a_buggy_file() {
    let project = Project::new("pre-commit");
    let bin = venv(&project.path("venv"));
    succeed(Command::new(bin.join("pip")).args(["install", "--quiet", "pre-commit"]));
    let repo = project.path("repo");
    project.write("repo/buggy.py", BUGGY);
    project.write("repo/clean.py", "x = 1\n");
    let git = |args: &[&str]| {
        succeed(
            Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(args)
                .current_dir(&repo),
        );
    };
    git(&["init", "--quiet"]);
    git(&["add", "."]);
    git(&["commit", "--quiet", "-m", "buggy"]);
    let output = run(Command::new(bin.join("pre-commit"))
        .args(["try-repo"])
        .arg(repo_root())
        .args(["snarl", "--all-files", "--verbose"])
        .env("PRE_COMMIT_HOME", project.path("pre-commit-home"))
        .current_dir(&repo));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("snarl"), "{stdout}");
    assert!(stdout.contains("Failed"), "{stdout}");
    assert!(stdout.contains("buggy.py:8:18"), "{stdout}");
    assert!(stdout.contains("SN106"), "{stdout}");
    assert!(!stdout.contains("clean.py"), "{stdout}");
}

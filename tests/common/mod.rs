//! Helpers for the integration tests: throwaway project directories and the `snarl` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use assert_cmd::Command;

/// A directory under the system's temporary directory, removed when dropped.
pub struct Project {
    pub root: PathBuf,
}

impl Project {
    /// A fresh, empty directory; `name` only makes it easy to recognize.
    pub fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let root =
            std::env::temp_dir().join(format!("snarl-test-{}-{unique}-{name}", std::process::id()));
        if root.exists() {
            std::fs::remove_dir_all(&root).unwrap();
        }
        std::fs::create_dir_all(&root).unwrap();
        // Canonical, so paths the binary prints (it resolves the working directory) match ours.
        let root = root.canonicalize().unwrap();
        Self { root }
    }

    /// Writes `contents` to `relative`, creating directories as needed.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// `snarl` with `args`, run in the project's root.
    pub fn snarl(&self, args: &[&str]) -> Command {
        self.snarl_in(".", args)
    }

    /// `snarl` with `args`, run in `relative` under the project's root.
    pub fn snarl_in(&self, relative: &str, args: &[&str]) -> Command {
        let mut command = Command::cargo_bin("snarl").unwrap();
        command
            .current_dir(self.path(relative))
            .env_remove("NO_COLOR")
            .env_remove("SNARL_TEST_PANIC_ON")
            .env_remove("SNARL_TEST_BREAK_FIXES")
            .args(args);
        command
    }

    /// Runs `snarl check --output-format concise <args>` and returns (exit code, findings as
    /// `path CODE` pairs in report order, stderr).
    pub fn check(&self, args: &[&str]) -> (i32, Vec<String>, String) {
        self.check_in(".", args)
    }

    /// Runs `snarl <args>` and returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let output = self.snarl(args).output().unwrap();
        (
            output.status.code().expect("snarl exited with a code"),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    }

    pub fn check_in(&self, relative: &str, args: &[&str]) -> (i32, Vec<String>, String) {
        let mut all = vec!["check", "--output-format", "concise"];
        all.extend_from_slice(args);
        let output = self.snarl_in(relative, &all).output().unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        (
            output.status.code().expect("snarl exited with a code"),
            findings(&stdout),
            stderr,
        )
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The `path CODE` of each finding line of a concise report (`path:row:col: CODE message`); the
/// closing summary (`Found 2 findings.`, `All checks passed!`) is not a finding.
pub fn findings(concise: &str) -> Vec<String> {
    concise
        .lines()
        .filter(|line| !is_summary(line))
        .map(|line| {
            let (location, rest) = line.split_once(": ").expect("a concise report line");
            let path = location.rsplitn(3, ':').nth(2).expect("path:row:col");
            let code = rest.split_whitespace().next().unwrap();
            format!("{path} {code}")
        })
        .collect()
}

/// Whether `line` is the closing line of a human report.
pub fn is_summary(line: &str) -> bool {
    line == "All checks passed!" || (line.starts_with("Found ") && line.ends_with('.'))
}

/// A line that does not parse and makes exactly one SN001 finding.
pub const BROKEN: &str = "x = 1 +\n";
/// A file with no findings under any rule.
pub const CLEAN: &str = "x = 1\n";

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

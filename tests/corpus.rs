//! snarl over real projects: every project of `../shared/corpus` (unpacked once into the
//! target's temporary folder). Exit code 0 or 1, no internal error (SN003), no read error (SN002)
//! on a file CPython reads, and the count of findings per rule printed, so that a change that
//! floods a rule shows in the test's output.
//!
//! The corpus is not part of the repository: where it is absent (a CI without it), the test
//! prints why and passes. `SNARL_CORPUS` names another folder of tarballs with an `unpack` script.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus_source() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SNARL_CORPUS") {
        return Some(PathBuf::from(dir));
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Beside the checkout, or beside the folder of worktrees.
    [
        manifest.join("../shared/corpus"),
        manifest.join("../../shared/corpus"),
    ]
    .into_iter()
    .find(|dir| dir.join("unpack").is_file())
}

/// Whether CPython decodes the file (its PEP 263 declaration, or UTF-8) and tokenizes it.
fn cpython_reads(path: &Path) -> Option<bool> {
    let status = Command::new("python3")
        .args([
            "-c",
            "import sys, tokenize\nwith tokenize.open(sys.argv[1]) as f: f.read()",
        ])
        .arg(path)
        .status()
        .ok()?;
    Some(status.success())
}

#[test]
fn real_projects_are_checked_without_internal_or_read_errors() {
    let Some(source) = corpus_source() else {
        println!("note: no corpus (../shared/corpus or SNARL_CORPUS): skipped");
        return;
    };
    let unpacked = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus");
    let status = Command::new("bash")
        .arg(source.join("unpack"))
        .arg(&unpacked)
        .status()
        .expect("run the corpus's unpack script");
    assert!(status.success(), "unpacking the corpus failed");

    let output = assert_cmd::Command::cargo_bin("snarl")
        .unwrap()
        .args(["check", "--no-cache", "--output-format", "json-lines"])
        .arg(&unpacked)
        .output()
        .unwrap();
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "exit code {code:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut internal = Vec::new();
    let mut unreadable = Vec::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let finding: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let rule = finding["code"].as_str().unwrap_or("?").to_string();
        let file = finding["filename"].as_str().unwrap_or("?").to_string();
        match rule.as_str() {
            "SN003" => internal.push(format!("{file}: {}", finding["message"])),
            "SN002" => unreadable.push(file),
            _ => {}
        }
        *per_rule.entry(rule).or_default() += 1;
    }
    println!("findings per rule over the corpus:");
    for (rule, count) in &per_rule {
        println!("  {rule}: {count}");
    }
    assert!(
        internal.is_empty(),
        "internal errors:\n{}",
        internal.join("\n")
    );
    let readable: Vec<&String> = unreadable
        .iter()
        .filter(|file| cpython_reads(Path::new(file)) == Some(true))
        .collect();
    assert!(
        readable.is_empty(),
        "snarl cannot read files CPython reads: {readable:?}"
    );
}

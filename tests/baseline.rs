//! Baselines: `--write-baseline FILE` records today's findings, `--baseline FILE` reports only new
//! ones, and recorded findings stay recognised when the lines around them move.

mod common;

use common::{findings, Project};

const LEGACY: &str =
    "import threading\n\nthreading.Thread(print).start()\nthreading.Thread(print).start()\n";

#[test]
fn a_baseline_hides_recorded_findings_and_shows_new_ones() {
    let project = Project::new("baseline");
    project.write("legacy.py", LEGACY);
    let output = project
        .snarl(&["check", "--write-baseline", "snarl-baseline.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "Wrote a baseline of 2 findings to snarl-baseline.json.\n"
    );
    let baseline: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project.path("snarl-baseline.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(baseline["snarl_baseline"], 1);
    assert_eq!(baseline["findings"][0]["code"], "SN106");
    assert_eq!(baseline["findings"][0]["file"], "legacy.py");
    // Two identical lines: two distinct fingerprints (the occurrence index).
    assert_ne!(
        baseline["findings"][0]["fingerprint"],
        baseline["findings"][1]["fingerprint"]
    );

    let (code, stdout, stderr) = project.run(&["check", "--baseline", "snarl-baseline.json"]);
    assert_eq!((code, stdout.as_str()), (0, "All checks passed!\n"));
    assert_eq!(stderr, "2 findings recorded in the baseline were hidden.\n");

    // Lines inserted above, indentation changed: still the same findings. A third copy of the
    // line and a new file are new.
    project.write(
        "legacy.py",
        "import threading\n\n# a comment\n\nif True:\n    threading.Thread(print).start()\nthreading.Thread(print).start()\nthreading.Thread(print).start()\n",
    );
    project.write(
        "new.py",
        "import threading\nthreading.Thread(print).start()\n",
    );
    let (code, stdout, stderr) = project.run(&[
        "check",
        "--output-format",
        "concise",
        "--baseline",
        "snarl-baseline.json",
    ]);
    assert_eq!(
        (code, findings(&stdout)),
        (
            1,
            vec!["legacy.py SN106".to_string(), "new.py SN106".to_string()]
        )
    );
    assert!(
        stdout.ends_with("\nFound 2 findings (2 fixable with --fix).\n"),
        "{stdout}"
    );
    assert_eq!(stderr, "2 findings recorded in the baseline were hidden.\n");
}

#[test]
fn a_baseline_is_found_from_another_working_directory() {
    let project = Project::new("baseline-cwd");
    project.write("pkg/legacy.py", LEGACY);
    project
        .snarl(&["check", "--write-baseline", "baseline.json"])
        .assert()
        .code(0);
    let (code, found, _) = project.check_in("pkg", &["--baseline", "../baseline.json", "."]);
    assert_eq!((code, found), (0, vec![]));
}

#[test]
fn a_bad_baseline_is_an_error() {
    let project = Project::new("baseline-bad");
    project.write("legacy.py", LEGACY);
    project.write("bad.json", "{\"findings\": 3}");
    let (code, _, stderr) = project.check(&["--baseline", "bad.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("snarl: error: bad.json: not a snarl baseline"),
        "{stderr}"
    );
    let (code, _, stderr) = project.check(&["--baseline", "missing.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("snarl: error: missing.json: cannot read the baseline"),
        "{stderr}"
    );
}

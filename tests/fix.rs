//! `--fix`, `--unsafe-fixes`, `--diff` and `--add-noqa` on real files, through the binary.

mod common;

use common::{findings, Project};
use serde_json::json;

/// One finding of each fixable rule: SN102 and SN106 have safe fixes, SN101 and SN103 unsafe ones.
/// (`work` takes an optional argument, so `Thread(target=work)` is no SN111 mismatch.)
const BUGGY: &str = "\
import threading


def work(n=0):
    print(n)


def main(items):
    for item in items:
        threading.Thread(target=work(item)).start()
    a = threading.Thread(work)
    a.start()
    b = threading.Thread(target=work, args=(1))
    b.run()
";

const SAFE_FIXED: &str = "\
import threading


def work(n=0):
    print(n)


def main(items):
    for item in items:
        threading.Thread(target=work(item)).start()
    a = threading.Thread(target=work)
    a.start()
    b = threading.Thread(target=work, args=(1,))
    b.run()
";

const ALL_FIXED: &str = "\
import threading


def work(n=0):
    print(n)


def main(items):
    for item in items:
        threading.Thread(target=work, args=(item,)).start()
    a = threading.Thread(target=work)
    a.start()
    b = threading.Thread(target=work, args=(1,))
    b.start()
";

fn text(output: &[u8]) -> String {
    String::from_utf8(output.to_vec()).unwrap()
}

#[test]
fn fix_applies_the_safe_fixes_and_reports_what_is_left() {
    let project = Project::new("fix-safe");
    project.write("app.py", BUGGY);
    let output = project
        .snarl(&["check", "--output-format", "concise", "--fix"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(project.path("app.py")).unwrap(),
        SAFE_FIXED
    );
    let stdout = text(&output.stdout);
    assert_eq!(findings(&stdout), ["app.py SN101", "app.py SN103"]);
    assert!(
        stdout.ends_with(
            "\nFound 4 findings (2 fixed, 2 remaining; 2 fixable with --unsafe-fixes).\n"
        ),
        "{stdout}"
    );
    assert_eq!(text(&output.stderr), "");
}

#[test]
fn unsafe_fixes_apply_the_rest_and_the_file_is_then_clean() {
    let project = Project::new("fix-unsafe");
    project.write("app.py", BUGGY);
    let output = project
        .snarl(&["check", "--fix", "--unsafe-fixes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "Found 4 findings (4 fixed, 0 remaining).\n"
    );
    assert_eq!(
        std::fs::read_to_string(project.path("app.py")).unwrap(),
        ALL_FIXED
    );
    let (code, found, _) = project.check(&[]);
    assert_eq!((code, found), (0, vec![]));
}

#[test]
fn unsafe_fixes_alone_only_say_what_fix_would_do() {
    let project = Project::new("unsafe-alone");
    project.write("app.py", BUGGY);
    let output = project
        .snarl(&["check", "--output-format", "concise", "--unsafe-fixes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(project.path("app.py")).unwrap(),
        BUGGY
    );
    // Every finding is marked fixable, as `--fix --unsafe-fixes` would fix them all.
    let stdout = text(&output.stdout);
    assert_eq!(stdout.matches(" [*] ").count(), 4, "{stdout}");
    assert!(
        stdout.ends_with("\nFound 4 findings (4 fixable with --fix --unsafe-fixes).\n"),
        "{stdout}"
    );
    assert_eq!(text(&output.stderr), "");
}

#[test]
fn diff_prints_the_fixes_without_writing_them() {
    let project = Project::new("diff");
    project.write("app.py", BUGGY);
    let output = project.snarl(&["check", "--diff"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(project.path("app.py")).unwrap(),
        BUGGY
    );
    assert_eq!(
        text(&output.stdout),
        "\
--- app.py
+++ app.py
@@ -8,7 +8,7 @@
 def main(items):
     for item in items:
         threading.Thread(target=work(item)).start()
-    a = threading.Thread(work)
+    a = threading.Thread(target=work)
     a.start()
-    b = threading.Thread(target=work, args=(1))
+    b = threading.Thread(target=work, args=(1,))
     b.run()
"
    );
    assert_eq!(text(&output.stderr), "Would fix 2 findings.\n");

    project.write("app.py", SAFE_FIXED);
    let output = project.snarl(&["check", "--diff"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stdout), "");
    assert_eq!(text(&output.stderr), "No findings would be fixed.\n");
}

#[test]
fn a_fix_that_enables_another_is_applied_in_a_later_pass() {
    // `Thread(work(1))`: SN106 first puts the call under `target=`, then SN101 reports it and
    // splits it into the function and its arguments.
    let project = Project::new("fix-passes");
    project.write(
        "app.py",
        "import threading\n\n\ndef work(n):\n    print(n)\n\n\nthreading.Thread(work(1)).start()\n",
    );
    let output = project
        .snarl(&["check", "--fix", "--unsafe-fixes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        std::fs::read_to_string(project.path("app.py")).unwrap(),
        "import threading\n\n\ndef work(n):\n    print(n)\n\n\nthreading.Thread(target=work, args=(1,)).start()\n"
    );
    assert_eq!(
        text(&output.stdout),
        "Found 2 findings (2 fixed, 0 remaining).\n"
    );
}

#[test]
fn fixes_keep_the_file_s_permissions_and_leave_no_temporary_files() {
    use std::os::unix::fs::PermissionsExt;
    let project = Project::new("fix-atomic");
    project.write("app.py", BUGGY);
    let path = project.path("app.py");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o750)).unwrap();
    project.snarl(&["check", "--fix"]).assert().code(1);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o750);
    let names: Vec<String> = std::fs::read_dir(&project.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names, ["app.py"]);
}

#[test]
fn a_fix_through_a_symlink_writes_the_target() {
    let project = Project::new("fix-symlink");
    project.write("real/app.py", BUGGY);
    std::os::unix::fs::symlink(project.path("real/app.py"), project.path("link.py")).unwrap();
    project
        .snarl(&["check", "--fix", "link.py"])
        .assert()
        .code(1);
    assert!(std::fs::symlink_metadata(project.path("link.py"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(project.path("real/app.py")).unwrap(),
        SAFE_FIXED
    );
}

// The hook that breaks fixes exists only in debug builds.
#[cfg(debug_assertions)]
#[test]
fn a_fix_that_would_break_the_syntax_is_not_written() {
    let project = Project::new("fix-broken");
    project.write("app.py", BUGGY);
    let output = project
        .snarl(&["check", "--output-format", "concise", "--fix"])
        .env("SNARL_TEST_BREAK_FIXES", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(project.path("app.py")).unwrap(),
        BUGGY
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with(
            "snarl: warning: the fixes for SN102, SN106 in app.py would leave the file with a \
             syntax error, so it was left unchanged."
        ),
        "{stderr}"
    );
    assert_eq!(
        findings(&text(&output.stdout)),
        [
            "app.py SN101",
            "app.py SN106",
            "app.py SN102",
            "app.py SN103"
        ]
    );
}

#[test]
fn fix_on_standard_input_prints_the_fixed_source() {
    let project = Project::new("fix-stdin");
    let output = project
        .snarl(&[
            "check",
            "--output-format",
            "concise",
            "--fix",
            "--stdin-filename",
            "app.py",
        ])
        .write_stdin(BUGGY)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(text(&output.stdout), SAFE_FIXED);
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with("app.py:10:33: SN101 "), "{stderr}");
    assert!(!project.path("app.py").exists());
}

#[test]
fn add_noqa_silences_every_current_finding() {
    let project = Project::new("add-noqa");
    project.write("app.py", BUGGY);
    project.write(
        "other.py",
        "import threading\nt = threading.Thread(target=print)\nt.run()  # noqa: E501\n",
    );
    let output = project.snarl(&["check", "--add-noqa"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stderr), "Added 5 noqa directives.\n");
    assert_eq!(
        std::fs::read_to_string(project.path("app.py")).unwrap(),
        BUGGY
            .replace("(item)).start()", "(item)).start()  # noqa: SN101")
            .replace("Thread(work)", "Thread(work)  # noqa: SN106")
            .replace("args=(1))", "args=(1))  # noqa: SN102")
            .replace("b.run()", "b.run()  # noqa: SN103")
    );
    assert_eq!(
        std::fs::read_to_string(project.path("other.py")).unwrap(),
        "import threading\nt = threading.Thread(target=print)\nt.run()  # noqa: E501, SN103\n"
    );
    let (code, found, _) = project.check(&[]);
    assert_eq!((code, found), (0, vec![]));
    // Nothing left to add.
    let output = project.snarl(&["check", "--add-noqa"]).output().unwrap();
    assert_eq!(text(&output.stderr), "Added 0 noqa directives.\n");
}

#[test]
fn fix_and_add_noqa_do_not_go_together() {
    let project = Project::new("fix-add-noqa");
    project.write("app.py", BUGGY);
    project
        .snarl(&["check", "--fix", "--add-noqa"])
        .assert()
        .code(2);
    assert_eq!(
        std::fs::read_to_string(project.path("app.py")).unwrap(),
        BUGGY
    );
}

#[test]
fn fix_removes_an_unused_noqa_with_sn004_s_fix() {
    let project = Project::new("fix-unused-noqa");
    project.write(
        "app.py",
        "import threading\n\nt = threading.Thread(target=print)  # noqa: SN101\nt.start()  # noqa: SN103, E501\n",
    );
    let (code, stdout, stderr) = project.run(&["check", "--select", "SN004", "--fix"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(stdout, "Found 2 findings (2 fixed, 0 remaining).\n");
    // The whole directive goes; from a list, only snarl's unused code (E501 is another tool's).
    assert_eq!(
        std::fs::read_to_string(project.path("app.py")).unwrap(),
        "import threading\n\nt = threading.Thread(target=print)\nt.start()  # noqa: E501\n"
    );
    let (code, found, _) = project.check(&["--select", "SN004"]);
    assert_eq!((code, found), (0, vec![]));
}

#[test]
fn fix_and_add_noqa_follow_each_file_s_configuration() {
    // The root configuration turns SN102 off for keep.py; legacy/ has its own, which ignores
    // SN106 and selects SN004.
    let setup = |name: &str| {
        let project = Project::new(name);
        project
            .write(
                "pyproject.toml",
                "[tool.snarl]\nper-file-ignores = { \"keep.py\" = [\"SN102\"] }\n",
            )
            .write("app.py", BUGGY)
            .write("keep.py", BUGGY)
            .write(
                "legacy/snarl.toml",
                "ignore = [\"SN106\"]\nextend-select = [\"SN004\"]\n",
            )
            .write("legacy/app.py", format!("{BUGGY}x = 1  # noqa: SN201\n"));
        project
    };
    let project = setup("fix-per-file");
    let (code, stdout, _) = project.run(&["check", "--fix"]);
    assert_eq!(code, 1);
    assert!(
        stdout.ends_with(
            "\nFound 11 findings (5 fixed, 6 remaining; 6 fixable with --unsafe-fixes).\n"
        ),
        "{stdout}"
    );
    let read = |path: &str| std::fs::read_to_string(project.path(path)).unwrap();
    assert_eq!(read("app.py"), SAFE_FIXED);
    assert_eq!(
        read("keep.py"),
        BUGGY.replace("Thread(work)", "Thread(target=work)")
    );
    assert_eq!(
        read("legacy/app.py"),
        BUGGY.replace("args=(1))", "args=(1,))") + "x = 1\n"
    );

    let project = setup("add-noqa-per-file");
    let (code, _, stderr) = project.run(&["check", "--add-noqa"]);
    assert_eq!((code, stderr.as_str()), (0, "Added 10 noqa directives.\n"));
    let read = |path: &str| std::fs::read_to_string(project.path(path)).unwrap();
    assert!(!read("keep.py").contains("SN102"), "{}", read("keep.py"));
    let legacy = read("legacy/app.py");
    assert!(!legacy.contains("SN106"), "{legacy}");
    // SN004 is not silenced with another suppression: the unused one stays for its fix.
    assert!(legacy.ends_with("x = 1  # noqa: SN201\n"), "{legacy}");
    let (code, found, _) = project.check(&[]);
    assert_eq!((code, found), (1, vec!["legacy/app.py SN004".to_string()]));
}

#[test]
fn statistics_after_fix_count_what_is_left() {
    let project = Project::new("fix-statistics");
    project.write("app.py", BUGGY);
    let (code, stdout, _) =
        project.run(&["check", "--fix", "--statistics", "--output-format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(
        std::fs::read_to_string(project.path("app.py")).unwrap(),
        SAFE_FIXED
    );
    let statistics: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        statistics,
        serde_json::json!({
            "rules": [
                { "code": "SN101", "name": "thread-target-called", "count": 1, "fixable": false, "fixable_count": 0 },
                { "code": "SN103", "name": "thread-run-called", "count": 1, "fixable": false, "fixable_count": 0 },
            ],
            "total": 2,
            "fixable": 0,
        })
    );
    // Under `--unsafe-fixes` the unsafe fixes count as fixable.
    project.write("app.py", BUGGY);
    let (_, stdout, _) = project.run(&[
        "check",
        "--unsafe-fixes",
        "--statistics",
        "--output-format",
        "json",
    ]);
    let statistics: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (&statistics["total"], &statistics["fixable"]),
        (&json!(4), &json!(4))
    );
}

#[test]
fn force_exclude_passes_excluded_standard_input_through_fix_unchanged() {
    let project = Project::new("fix-stdin-excluded");
    let (code, stdout) = {
        let output = project
            .snarl(&[
                "check",
                "--fix",
                "--force-exclude",
                "--stdin-filename",
                "build/gen.py",
            ])
            .write_stdin(BUGGY)
            .output()
            .unwrap();
        (output.status.code(), text(&output.stdout))
    };
    assert_eq!((code, stdout.as_str()), (Some(0), BUGGY));
}

#[test]
fn fixes_and_noqa_comments_are_written_in_the_file_s_declared_encoding() {
    // Latin-1 bytes: `é` is one byte, 0xe9, which is not UTF-8.
    let latin1 = |text: &str| -> Vec<u8> { text.chars().map(|c| c as u8).collect() };
    let source = "# -*- coding: latin-1 -*-\nimport threading\nname = 'été'\nthreading.Thread(print).start()\n";
    let project = Project::new("fix-latin-1");
    project.write("app.py", latin1(source));
    let (code, stdout, stderr) = project.run(&["check", "--fix"]);
    assert_eq!((code, stderr.as_str()), (0, ""), "{stdout}");
    assert_eq!(
        std::fs::read(project.path("app.py")).unwrap(),
        latin1(&source.replace("Thread(print)", "Thread(target=print)"))
    );

    project.write("app.py", latin1(source));
    let (code, _, stderr) = project.run(&["check", "--add-noqa"]);
    assert_eq!((code, stderr.as_str()), (0, "Added 1 noqa directive.\n"));
    assert_eq!(
        std::fs::read(project.path("app.py")).unwrap(),
        latin1(&source.replace(".start()\n", ".start()  # noqa: SN106\n"))
    );

    // Standard input comes back in its encoding too.
    let output = project
        .snarl(&["check", "--fix", "--stdin-filename", "other.py"])
        .write_stdin(latin1(source))
        .output()
        .unwrap();
    assert_eq!(
        output.stdout,
        latin1(&source.replace("Thread(print)", "Thread(target=print)"))
    );
}

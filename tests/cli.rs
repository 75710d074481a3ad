//! The `snarl check`, `snarl rule` and `snarl rules` command lines: flags, exit codes, discovery.
//!
//! The findings used are SN001 (syntax errors) and SN002 (unreadable files), which do not depend
//! on the analysis rules.

mod common;

use common::{Project, BROKEN, CLEAN};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn exit_code_is_0_without_findings_and_1_with_them() {
    let project = Project::new("exit-codes");
    project.write("clean.py", CLEAN);
    let (code, stdout, stderr) = project.run(&["check", "--output-format", "concise"]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (0, "All checks passed!\n", "")
    );

    project.write("broken.py", BROKEN);
    let (code, stdout, stderr) = project.run(&["check", "--output-format", "concise"]);
    assert_eq!(code, 1);
    assert_eq!(common::findings(&stdout), strings(&["broken.py SN001"]));
    assert!(stdout.ends_with("\nFound 1 finding.\n"), "{stdout}");
    assert_eq!(stderr, "");
    project.write("broken2.py", BROKEN);
    let (_, stdout, _) = project.run(&["check"]);
    assert!(stdout.ends_with("\n\nFound 2 findings.\n"), "{stdout}");
}

#[test]
fn exit_zero_reports_findings_but_exits_0() {
    let project = Project::new("exit-zero");
    project.write("broken.py", BROKEN);
    let (code, findings, _) = project.check(&["--exit-zero"]);
    assert_eq!((code, findings), (0, strings(&["broken.py SN001"])));
}

#[test]
fn usage_errors_exit_2() {
    let project = Project::new("usage");
    project.write("broken.py", BROKEN);
    for args in [
        &["check", "--no-such-flag"][..],
        &["check", "--output-format", "xml"],
        &["check", "--threads", "many"],
        &["check", "--color", "sometimes"],
        &["frobnicate"],
    ] {
        project.snarl(args).assert().code(2).stdout("");
    }
    let output = project
        .snarl(&["check", "--threads", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "snarl: error: --threads must be at least 1\n"
    );
}

#[test]
fn a_missing_path_is_an_sn002_finding_and_the_others_are_checked() {
    let project = Project::new("missing");
    project.write("broken.py", BROKEN).write("clean.py", CLEAN);
    let (code, stdout, stderr) = project.run(&[
        "check",
        "--output-format",
        "concise",
        "broken.py",
        "nope.py",
        "gone/",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        common::findings(&stdout),
        strings(&["broken.py SN001", "gone SN002", "nope.py SN002"])
    );
    assert!(
        stdout.contains("nope.py:1:1: SN002 cannot read `nope.py`: No such file or directory"),
        "{stdout}"
    );
    assert_eq!(stderr, "");
    // Alone, it is still a finding, not an abort.
    let (code, findings, _) = project.check(&["nope.py"]);
    assert_eq!((code, findings), (1, strings(&["nope.py SN002"])));
}

#[test]
fn no_python_file_is_a_warning_and_exit_0() {
    let project = Project::new("no-python");
    project
        .write("README.md", "# nothing here\n")
        .write("sub/data.txt", "");
    for args in [
        &["check"][..],
        &["check", "sub"],
        &["check", "--output-format", "json"],
    ] {
        let (code, stdout, stderr) = project.run(args);
        assert_eq!(code, 0, "{args:?}");
        assert_eq!(
            stderr, "snarl: warning: No Python files found under the given path(s)\n",
            "{args:?}"
        );
        assert!(
            stdout == "All checks passed!\n" || stdout == "[]\n",
            "{args:?}: {stdout}"
        );
    }
}

#[test]
fn default_path_is_the_working_directory() {
    let project = Project::new("default-path");
    project.write("pkg/broken.py", BROKEN);
    let (code, findings, _) = project.check_in("pkg", &[]);
    assert_eq!((code, findings), (1, strings(&["broken.py SN001"])));
    let (_, findings, _) = project.check(&["pkg"]);
    assert_eq!(findings, strings(&["pkg/broken.py SN001"]));
}

#[test]
fn every_output_format_reports_the_finding() {
    let project = Project::new("formats");
    project.write("broken.py", BROKEN);
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
        let output = project
            .snarl(&["check", "--output-format", format])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{format}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(stdout.contains("SN001"), "{format}: {stdout}");
        assert!(stdout.contains("broken.py"), "{format}: {stdout}");
        match format {
            // SARIF's shape is the report module's to test.
            "json" => {
                serde_json::from_str::<serde_json::Value>(&stdout)
                    .unwrap_or_else(|e| panic!("{format} is not JSON: {e}"));
            }
            "json-lines" => {
                assert_eq!(stdout.lines().count(), 1);
                serde_json::from_str::<serde_json::Value>(stdout.trim_end()).unwrap();
            }
            _ => {}
        }
        // The summary line is for people reading the human formats only, on stdout as ruff has
        // it; machine formats get nothing but their document.
        let human = matches!(format, "full" | "concise");
        assert_eq!(stdout.ends_with("\nFound 1 finding.\n"), human, "{format}");
        assert_eq!(String::from_utf8(output.stderr).unwrap(), "", "{format}");
    }
}

#[test]
fn select_ignore_and_extend_select_take_codes_prefixes_and_names() {
    let project = Project::new("selection");
    project.write("broken.py", BROKEN);
    let reported = |args: &[&str]| {
        let (code, findings, stderr) = project.check(args);
        assert!(code == 0 || code == 1, "{args:?}: {stderr}");
        !findings.is_empty()
    };
    assert!(reported(&[]));
    for ignore in ["SN001", "SN0", "SN00", "syntax-error", "ALL"] {
        assert!(!reported(&["--ignore", ignore]), "--ignore {ignore}");
    }
    assert!(reported(&["--ignore", "SN002,SN1"]));
    for select in ["SN001", "SN0", "SN00", "syntax-error", "ALL", "SN1,SN001"] {
        assert!(reported(&["--select", select]), "--select {select}");
    }
    assert!(!reported(&["--select", "SN1"]));
    assert!(!reported(&["--select", "SN002"]));
    assert!(reported(&["--select", "SN1", "--extend-select", "SN001"]));
    assert!(reported(&[
        "--select",
        "SN1",
        "--extend-select",
        "syntax-error"
    ]));
    // A more specific selector wins over a broader ignore, and an equally specific ignore wins.
    assert!(reported(&["--select", "SN001", "--ignore", "SN0"]));
    assert!(!reported(&["--select", "SN0", "--ignore", "SN001"]));
    assert!(!reported(&["--select", "SN001", "--ignore", "SN001"]));
}

#[test]
fn an_unknown_rule_selector_is_a_usage_error() {
    let project = Project::new("bad-selector");
    project.write("broken.py", BROKEN);
    let (code, _, stderr) = project.check(&["--select", "SN9"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "snarl: error: --select: unknown rule selector `SN9`: expected `ALL`, a rule code (`SN101`), \
         a code prefix (`SN1`, `SN10`) or a rule name (`thread-target-called`); `snarl rules` lists them\n"
    );
    let (code, _, stderr) = project.check(&["--ignore", "no-such-rule"]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("snarl: error: --ignore: unknown rule selector `no-such-rule`"));
}

#[test]
fn statistics_counts_findings_per_rule() {
    let project = Project::new("statistics");
    project.write("a.py", BROKEN).write("b.py", "x = (\n");
    let output = project.snarl(&["check", "--statistics"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout, "2\tSN001\tsyntax-error\nFound 2 findings.\n");
    assert_eq!(String::from_utf8(output.stderr).unwrap(), "");
    let (code, stdout, _) = project.run(&["check", "--statistics", "-q"]);
    assert_eq!((code, stdout.as_str()), (1, "2\tSN001\tsyntax-error\n"));

    // As JSON: ruff's fields per rule, and the totals.
    let (code, stdout, stderr) = project.run(&["check", "--statistics", "--output-format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        value,
        serde_json::json!({
            "rules": [{
                "code": "SN001",
                "name": "syntax-error",
                "count": 2,
                "fixable": false,
                "fixable_count": 0,
            }],
            "total": 2,
            "fixable": 0,
        })
    );
    // Formats that have no statistics form say so.
    let (code, _, stderr) = project.run(&["check", "--statistics", "--output-format", "sarif"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--statistics prints the `full`, `concise` and `json` formats"),
        "{stderr}"
    );
}

#[test]
fn quiet_prints_findings_only() {
    let project = Project::new("quiet");
    project.write("broken.py", BROKEN);
    for flag in ["--quiet", "-q"] {
        let (code, findings, stderr) = project.check(&[flag]);
        assert_eq!((code, findings), (1, strings(&["broken.py SN001"])));
        assert_eq!(stderr, "");
        let (_, stdout, _) = project.run(&["check", flag]);
        assert!(!stdout.contains("Found"), "{stdout}");
    }
}

#[test]
fn threads_no_cache_and_color_are_accepted() {
    let project = Project::new("flags");
    project.write("broken.py", BROKEN);
    let baseline = project.check(&[]);
    for args in [
        &["--threads", "1"][..],
        &["--threads", "3"],
        &["--no-cache"],
        &["--color", "never"],
        &["--color", "auto"],
    ] {
        assert_eq!(project.check(args), baseline, "{args:?}");
    }
    let (code, findings, _) = project.check(&["--color", "always"]);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1);
}

#[test]
fn no_color_turns_auto_color_off() {
    let project = Project::new("no-color");
    project.write("broken.py", BROKEN);
    let run = |color: &str, no_color: bool| {
        let mut command = project.snarl(&["check", "--color", color]);
        if no_color {
            command.env("NO_COLOR", "1");
        }
        command.output().unwrap().stdout
    };
    // Without a terminal, `auto` means no color; `NO_COLOR` keeps it that way.
    assert_eq!(run("auto", true), run("never", false));
    assert_eq!(run("auto", false), run("never", false));
}

#[test]
fn output_is_identical_across_runs_and_thread_counts() {
    let project = Project::new("determinism");
    for i in 0..12 {
        let source = match i % 3 {
            0 => BROKEN.to_string(),
            1 => format!("def f{i}(:\n    pass\nx = (\n"),
            _ => "y = 2\nz = ]\n".to_string(),
        };
        project.write(&format!("pkg{}/mod{i}.py", i % 4), source);
    }
    project.write("bad.py", [0xff, 0xfe, b'\n']);
    for format in ["full", "concise", "json", "sarif"] {
        let run = |threads: &str| {
            let output = project
                .snarl(&["check", "--output-format", format, "--threads", threads])
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(1));
            (output.stdout, output.stderr)
        };
        let one = run("1");
        assert!(one.0.len() > 100);
        assert_eq!(run("2"), one, "{format}");
        assert_eq!(run("2"), one, "{format}");
        assert_eq!(run("1"), one, "{format}");
    }
}

#[test]
fn findings_are_sorted_by_path_then_position() {
    let project = Project::new("sorted");
    project
        .write("b.py", "x = (\n")
        .write("a/z.py", "y = 1\nx = 1 +\nz = ]\n")
        .write("a.py", BROKEN);
    let (_, findings, _) = project.check(&[]);
    assert_eq!(
        findings,
        // Paths compare component by component: `a/z.py` (under `a`) before `a.py`.
        strings(&[
            "a/z.py SN001",
            "a/z.py SN001",
            "a/z.py SN001",
            "a.py SN001",
            "b.py SN001"
        ])
    );
}

#[test]
fn stdin_is_read_for_the_dash_path_under_the_stdin_filename() {
    let project = Project::new("stdin");
    project.write("on_disk.py", BROKEN);
    let run = |args: &[&str]| {
        let mut all = vec!["check", "--output-format", "concise"];
        all.extend_from_slice(args);
        let output = project.snarl(&all).write_stdin(BROKEN).output().unwrap();
        (
            output.status.code().unwrap(),
            common::findings(&String::from_utf8(output.stdout).unwrap()),
        )
    };
    assert_eq!(run(&["-"]), (1, strings(&["- SN001"])));
    assert_eq!(
        run(&["-", "--stdin-filename", "pkg/mod.py"]),
        (1, strings(&["pkg/mod.py SN001"]))
    );
    // `--stdin-filename` alone reads standard input too, as ruff does.
    assert_eq!(
        run(&["--stdin-filename", "pkg/mod.py"]),
        (1, strings(&["pkg/mod.py SN001"]))
    );
    // Standard input and files together.
    assert_eq!(
        run(&["-", "on_disk.py", "--stdin-filename", "in.py"]),
        (1, strings(&["in.py SN001", "on_disk.py SN001"]))
    );
    let output = project
        .snarl(&["check", "-", "--stdin-filename", "clean.py"])
        .write_stdin(CLEAN)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn rule_prints_the_documentation_by_code_or_name() {
    let project = Project::new("rule");
    let doc =
        std::fs::read_to_string(common::repo_root().join("rules/SN001-syntax-error.md")).unwrap();
    for rule in ["SN001", "sn001", "syntax-error"] {
        project
            .snarl(&["rule", rule])
            .assert()
            .code(0)
            .stdout(doc.clone());
    }
    project
        .snarl(&["rule", "SN999"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("snarl: error: unknown rule `SN999`; `snarl rules` lists every rule\n");
}

#[test]
fn rules_lists_every_rule_as_text_and_json() {
    let project = Project::new("rules");
    let mut documented: Vec<String> = std::fs::read_dir(common::repo_root().join("rules"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.ends_with(".md"))
        .map(|name| name.trim_end_matches(".md").to_string())
        .collect();
    documented.sort();

    let output = project.snarl(&["rules"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    let listed: Vec<String> = text
        .lines()
        .map(|line| {
            let mut words = line.split_whitespace();
            format!("{}-{}", words.next().unwrap(), words.next().unwrap())
        })
        .collect();
    assert_eq!(listed, documented);
    assert!(text.starts_with("SN001  syntax-error"));
    assert!(text.lines().next().unwrap().contains(" meta "));
    assert!(text.lines().next().unwrap().contains(" error "));

    let output = project
        .snarl(&["rules", "--output-format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let rules: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules = rules.as_array().unwrap();
    let listed: Vec<String> = rules
        .iter()
        .map(|rule| {
            format!(
                "{}-{}",
                rule["code"].as_str().unwrap(),
                rule["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(listed, documented);
    assert_eq!(rules[0]["family"], "meta");
    assert_eq!(rules[0]["severity"], "error");
    assert!(rules
        .iter()
        .all(|rule| rule["summary"].as_str().is_some_and(|s| !s.is_empty())));
}

#[test]
fn version_prints_the_package_version() {
    let project = Project::new("version");
    project
        .snarl(&["--version"])
        .assert()
        .code(0)
        .stdout(format!("snarl {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn discovery_respects_gitignore_outside_a_git_repository() {
    let project = Project::new("gitignore");
    project
        .write(".gitignore", "generated/\nskip_*.py\n")
        .write("generated/gen.py", BROKEN)
        .write("skip_me.py", BROKEN)
        .write("pkg/skip_too.py", BROKEN)
        .write("pkg/.gitignore", "local.py\n")
        .write("pkg/local.py", BROKEN)
        .write("pkg/kept.py", BROKEN)
        .write("kept.py", BROKEN);
    let (_, findings, _) = project.check(&[]);
    assert_eq!(findings, strings(&["kept.py SN001", "pkg/kept.py SN001"]));
    // The `.gitignore` of a parent directory applies when checking a subdirectory.
    let (_, findings, _) = project.check(&["pkg"]);
    assert_eq!(findings, strings(&["pkg/kept.py SN001"]));
}

#[test]
fn discovery_skips_hidden_and_default_excluded_directories() {
    let project = Project::new("excludes");
    let excluded = [
        ".git",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "build",
        "dist",
        "node_modules",
        "site-packages",
        "__pypackages__",
        ".mypy_cache",
        ".ruff_cache",
        ".hidden",
        "pkg/build",
        "pkg/.cache",
    ];
    for dir in excluded {
        project.write(&format!("{dir}/bad.py"), BROKEN);
    }
    project.write("pkg/kept.py", BROKEN);
    let (code, findings, _) = project.check(&[]);
    assert_eq!((code, findings), (1, strings(&["pkg/kept.py SN001"])));
}

#[test]
fn discovery_checks_python_files_only() {
    let project = Project::new("python-only");
    project
        .write("notes.txt", BROKEN)
        .write("script", BROKEN)
        .write("stub.pyi", BROKEN)
        .write("data.pyc", BROKEN)
        .write("mod.py", BROKEN);
    let (_, findings, _) = project.check(&[]);
    assert_eq!(findings, strings(&["mod.py SN001"]));
}

#[test]
fn a_file_named_on_the_command_line_is_always_checked() {
    let project = Project::new("explicit");
    project
        .write(".gitignore", "ignored.py\n")
        .write("ignored.py", BROKEN)
        .write("build/generated.py", BROKEN)
        .write(".hidden/secret.py", BROKEN)
        .write("script", BROKEN)
        .write("notes.txt", BROKEN);
    let (code, findings, _) = project.check(&[
        "ignored.py",
        "build/generated.py",
        ".hidden/secret.py",
        "script",
        "notes.txt",
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        findings,
        strings(&[
            ".hidden/secret.py SN001",
            "build/generated.py SN001",
            "ignored.py SN001",
            "notes.txt SN001",
            "script SN001",
        ])
    );
    // A directory named explicitly is walked even if its name is excluded by default or hidden;
    // hidden directories below it are still skipped.
    let (_, findings, _) = project.check(&["build"]);
    assert_eq!(findings, strings(&["build/generated.py SN001"]));
    project.write(".hidden/.inner/deeper.py", BROKEN);
    let (_, findings, _) = project.check(&[".hidden"]);
    assert_eq!(findings, strings(&[".hidden/secret.py SN001"]));
}

#[test]
fn the_same_file_twice_is_checked_once() {
    let project = Project::new("dedup");
    project.write("pkg/a.py", BROKEN);
    let (_, findings, _) = project.check(&["pkg", "pkg/a.py", "./pkg/a.py"]);
    assert_eq!(findings, strings(&["pkg/a.py SN001"]));
}

#[test]
fn noqa_comments_silence_findings_on_their_line() {
    let project = Project::new("noqa");
    project
        .write("exact.py", "x = 1 +  # noqa: SN001\n")
        .write("listed.py", "x = 1 +  # noqa: SN101, SN001\n")
        .write("bare.py", "x = 1 +  # noqa\n")
        .write("upper.py", "x = 1 +  # NOQA:SN001\n")
        .write("other_code.py", "x = 1 +  # noqa: SN002\n")
        .write("other_line.py", "# noqa\nx = 1 +\n")
        .write("prefix_on_line.py", "x = 1 +  # noqa: SN0\n")
        .write("in_string.py", "x = '# noqa'; y = 1 +\n")
        .write(
            "in_docstring.py",
            "\"\"\"\n# snarl: noqa\n\"\"\"\nx = 1 +\n",
        );
    let (_, findings, _) = project.check(&[]);
    assert_eq!(
        findings,
        strings(&[
            "in_docstring.py SN001",
            "in_string.py SN001",
            "other_code.py SN001",
            "other_line.py SN001",
            "prefix_on_line.py SN001",
        ])
    );
}

#[test]
fn file_level_noqa_silences_the_whole_file() {
    let project = Project::new("file-noqa");
    project
        .write("all.py", "import os\n\n# snarl: noqa\nx = 1 +\n")
        .write("prefix.py", "# snarl: noqa: SN0\nx = 1 +\n")
        .write("code.py", "# snarl: noqa: SN001\nx = 1 +\n")
        .write("other.py", "# snarl: noqa: SN1, SN2\nx = 1 +\n")
        .write("trailing.py", "x = 2  # snarl: noqa\ny = 1 +\n");
    let (_, findings, _) = project.check(&[]);
    assert_eq!(findings, strings(&["other.py SN001", "trailing.py SN001"]));
}

#[cfg(debug_assertions)]
#[test]
fn a_panic_while_analyzing_a_file_is_an_sn003_finding_not_a_crash() {
    let project = Project::new("panic");
    project.write("boom.py", CLEAN).write("other.py", BROKEN);
    let output = project
        .snarl(&["check", "--output-format", "concise"])
        .env("SNARL_TEST_PANIC_ON", "boom.py")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        common::findings(&stdout),
        strings(&["boom.py SN003", "other.py SN001"])
    );
    assert!(
        stdout.contains("snarl failed while analyzing this file: SNARL_TEST_PANIC_ON asked for a panic here (at src/pipeline.rs:"),
        "{stdout}"
    );
    // The panic is reported once, as the finding: no "thread panicked" message, no backtrace note.
    assert_eq!(String::from_utf8(output.stderr).unwrap(), "");
    assert!(stdout.ends_with("Found 2 findings.\n"), "{stdout}");
}

#[test]
fn noqa_codes_that_are_not_snarl_codes_are_warned_about() {
    let project = Project::new("noqa-warnings");
    project
        .write("a.py", "x = 1  # noqa: SN999, E501\ny = 2  # noqa: SN2\n")
        .write("b.py", "# snarl: noqa: SN9\nz = 3  # noqa: F401, SN201\n");
    let (code, findings, stderr) = project.check(&[]);
    assert_eq!((code, findings), (0, vec![]));
    assert_eq!(
        stderr,
        "snarl: warning: invalid rule code in `# noqa` at a.py:1: SN999 (no snarl rule has this code)\n\
         snarl: warning: invalid rule code in `# noqa` at a.py:2: SN2 (a `# noqa` on a line needs whole codes, such as SN201)\n\
         snarl: warning: invalid rule code in `# snarl: noqa` at b.py:1: SN9 (no snarl rule has this code or prefix)\n"
    );
}

#[test]
fn unused_noqa_is_opt_in_and_carries_a_fix() {
    let project = Project::new("unused-noqa");
    project.write(
        "m.py",
        "import threading\n\nt = threading.Thread(target=print)\nt.run()  # noqa: SN103, SN201\nx = 1  # noqa: SN201\ny = 2  # noqa\n",
    );
    let (code, findings, _) = project.check(&[]);
    assert_eq!((code, findings), (0, vec![]));
    for selection in [
        &["--extend-select", "SN004"][..],
        &["--select", "ALL"],
        &["--select", "unused-noqa,SN1,SN2"],
    ] {
        let mut args = vec!["check", "--output-format", "json"];
        args.extend_from_slice(selection);
        let (code, stdout, stderr) = project.run(&args);
        assert_eq!(code, 1, "{selection:?}: {stderr}");
        let findings: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let findings = findings.as_array().unwrap();
        assert_eq!(findings.len(), 2, "{selection:?}: {stdout}");
        assert_eq!(findings[0]["code"], "SN004");
        assert_eq!(findings[0]["location"]["row"], 4);
        assert_eq!(
            findings[0]["message"],
            "unused `noqa` directive (unused: `SN201`)"
        );
        assert_eq!(
            findings[0]["fix"],
            serde_json::json!({
                "applicability": "safe",
                "message": "Remove the unused codes",
                "edits": [{
                    "content": "SN103",
                    "location": { "row": 4, "column": 18 },
                    "end_location": { "row": 4, "column": 30 },
                }],
            })
        );
        assert_eq!(findings[1]["location"]["row"], 5);
        assert_eq!(findings[1]["fix"]["edits"][0]["content"], "");
        assert_eq!(findings[1]["fix"]["edits"][0]["location"]["column"], 6);
    }
    // Codes of rules that are not enabled suppress nothing either (ruff's "non-enabled").
    let (_, stdout, _) = project.run(&["check", "--output-format", "concise", "--select", "SN004"]);
    assert!(
        stdout.contains(
            "m.py:4:10: SN004 [*] unused `noqa` directive (non-enabled: `SN103`, `SN201`)\n"
        ),
        "{stdout}"
    );
    // Marked fixable in the human formats and counted in the summary.
    let (_, stdout, _) = project.run(&[
        "check",
        "--output-format",
        "concise",
        "--extend-select",
        "SN004",
    ]);
    assert!(
        stdout.contains("m.py:5:8: SN004 [*] unused `noqa` directive (unused: `SN201`)\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("Found 2 findings (2 fixable with --fix).\n"),
        "{stdout}"
    );
}

#[test]
fn gitlab_paths_are_relative_to_the_ci_project_dir() {
    let project = Project::new("gitlab");
    project.write("sub/pkg/broken.py", BROKEN);
    let path_of = |output: std::process::Output| {
        let issues: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        issues[0]["location"]["path"].as_str().unwrap().to_string()
    };
    let args = ["check", "--output-format", "gitlab"];
    let from_sub = project
        .snarl_in("sub", &args)
        .env_remove("CI_PROJECT_DIR")
        .output()
        .unwrap();
    assert_eq!(path_of(from_sub), "pkg/broken.py");
    let in_ci = project
        .snarl_in("sub", &args)
        .env("CI_PROJECT_DIR", &project.root)
        .output()
        .unwrap();
    assert_eq!(path_of(in_ci), "sub/pkg/broken.py");
}

/// With only the thread-subclass rules selected, no project rule runs: the project phase links
/// the class hierarchy alone, and subclasses of `Thread` subclasses from other modules are still
/// recognised, as with every rule selected.
#[test]
fn subclass_rules_alone_still_see_bases_in_other_modules() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/projects/subclasses");
    let run = |select: &str| {
        let output = assert_cmd::Command::cargo_bin("snarl")
            .unwrap()
            .current_dir(&dir)
            .args(["check", "--no-cache", "--output-format", "concise"])
            .args(["--select", select])
            .output()
            .unwrap();
        let found: Vec<String> = common::findings(&String::from_utf8(output.stdout).unwrap())
            .into_iter()
            .filter(|f| f.ends_with("SN103") || f.ends_with("SN104") || f.ends_with("SN105"))
            .collect();
        found
    };
    let expected = strings(&[
        "subclasses/main.py SN103",
        "subclasses/workers.py SN104",
        "subclasses/workers.py SN105",
        "subclasses/workers.py SN104",
    ]);
    for select in ["SN103,SN104,SN105", "SN1", "ALL"] {
        assert_eq!(run(select), expected, "--select {select}");
    }
}

/// The project phase (linking, races grouped and checked in parallel) gives the same bytes
/// whatever the number of threads, run after run: every project fixture, in every format that
/// carries related locations.
#[test]
fn project_findings_are_identical_across_runs_and_thread_counts() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/projects");
    for format in ["full", "json", "sarif"] {
        let run = |threads: &str| {
            let output = assert_cmd::Command::cargo_bin("snarl")
                .unwrap()
                .current_dir(&dir)
                .args(["check", "--no-cache", "--output-format", format])
                .args(["--threads", threads])
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(1), "{format}");
            (output.stdout, output.stderr)
        };
        let one = run("1");
        assert!(one.0.len() > 1000, "{format}");
        for threads in ["2", "4", "1", "4"] {
            assert!(run(threads) == one, "{format} with --threads {threads}");
        }
    }
}

//! Configuration: discovery of `pyproject.toml` / `snarl.toml` / `.snarl.toml`, `--config`, every
//! key, and the errors for unknown keys and bad values.

mod common;

use common::{Project, BROKEN, CLEAN};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Whether the SN001 of a broken file is reported with this configuration.
fn sn001_reported(project: &Project, dir: &str) -> bool {
    let (code, findings, stderr) = project.check_in(dir, &[]);
    assert!(code == 0 || code == 1, "{stderr}");
    !findings.is_empty()
}

#[test]
fn pyproject_tool_snarl_is_found_by_walking_up() {
    let project = Project::new("pyproject");
    project
        .write(
            "pyproject.toml",
            "[project]\nname = \"x\"\n\n[tool.snarl]\nignore = [\"SN001\"]\n",
        )
        .write("pkg/sub/broken.py", BROKEN);
    assert!(!sn001_reported(&project, "."));
    assert!(!sn001_reported(&project, "pkg/sub"));
}

#[test]
fn a_pyproject_without_tool_snarl_is_passed_over() {
    let project = Project::new("pyproject-without");
    project
        .write("snarl.toml", "ignore = [\"SN001\"]\n")
        .write(
            "pkg/pyproject.toml",
            "[project]\nname = \"pkg\"\n\n[tool.ruff]\nline-length = 100\n",
        )
        .write("pkg/broken.py", BROKEN);
    assert!(!sn001_reported(&project, "pkg"));
}

#[test]
fn snarl_toml_and_dot_snarl_toml_are_found_by_walking_up() {
    for name in ["snarl.toml", ".snarl.toml"] {
        let project = Project::new("snarl-toml");
        project
            .write(name, "ignore = [\"SN0\"]\n")
            .write("a/b/c/broken.py", BROKEN);
        assert!(!sn001_reported(&project, "."), "{name}");
        assert!(!sn001_reported(&project, "a/b/c"), "{name}");
    }
}

#[test]
fn the_nearest_configuration_wins_and_dot_snarl_toml_first_in_a_directory() {
    let project = Project::new("nearest");
    project
        .write("snarl.toml", "ignore = [\"SN001\"]\n")
        .write("inner/pyproject.toml", "[tool.snarl]\nselect = [\"ALL\"]\n")
        .write("inner/broken.py", BROKEN);
    // The file's closest configuration decides, wherever snarl runs from (as in ruff).
    assert!(sn001_reported(&project, "."));
    assert!(sn001_reported(&project, "inner"));
    // In one directory: `.snarl.toml`, then `snarl.toml`, then `pyproject.toml`.
    project.write("inner/snarl.toml", "ignore = [\"SN001\"]\n");
    assert!(!sn001_reported(&project, "inner"));
    project.write("inner/.snarl.toml", "select = [\"SN0\"]\n");
    assert!(sn001_reported(&project, "inner"));
}

#[test]
fn the_config_flag_replaces_the_search() {
    let project = Project::new("config-flag");
    project
        .write("snarl.toml", "select = [\"ALL\"]\n")
        .write("elsewhere/custom.toml", "ignore = [\"SN001\"]\n")
        .write(
            "elsewhere/pyproject.toml",
            "[tool.snarl]\nignore = [\"SN001\"]\n",
        )
        .write("broken.py", BROKEN);
    assert!(sn001_reported(&project, "."));
    for config in ["elsewhere/custom.toml", "elsewhere/pyproject.toml"] {
        let (code, findings, _) = project.check(&["--config", config]);
        assert_eq!((code, findings), (0, vec![]), "{config}");
    }
    let (code, _, stderr) = project.check(&["--config", "nope.toml"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "snarl: error: nope.toml: configuration file not found\n"
    );
}

#[test]
fn command_line_selection_overrides_the_configuration() {
    let project = Project::new("cli-over-config");
    project
        .write("snarl.toml", "ignore = [\"SN0\"]\n")
        .write("broken.py", BROKEN);
    assert!(!sn001_reported(&project, "."));
    let reported = |args: &[&str]| !project.check(args).1.is_empty();
    assert!(reported(&["--select", "SN001"]));
    assert!(reported(&["--extend-select", "SN001"]));
    assert!(reported(&["--extend-select", "syntax-error"]));
    project.write("snarl.toml", "select = [\"SN1\"]\n");
    assert!(!reported(&[]));
    assert!(reported(&["--select", "ALL"]));
    project.write(
        "snarl.toml",
        "select = [\"SN0\"]\nextend-select = [\"SN1\"]\n",
    );
    assert!(reported(&[]));
    assert!(!reported(&["--ignore", "SN001"]));
}

#[test]
fn an_unknown_key_names_the_file_line_and_key() {
    let project = Project::new("unknown-key");
    project
        .write(
            "pyproject.toml",
            "[tool.snarl]\nselect = [\"SN1\"]\nbogus-key = 1\n",
        )
        .write("broken.py", BROKEN);
    let path = project.path("pyproject.toml");
    let (code, findings, stderr) = project.check(&[]);
    assert_eq!((code, findings), (2, vec![]));
    assert_eq!(
        stderr,
        format!(
            "snarl: error: {}:3: unknown key `bogus-key` in [tool.snarl]; expected one of `select`, \
             `extend-select`, `ignore`, `per-file-ignores`, `exclude`, `extend-exclude`, \
             `target-version`, `free-threaded`, `src`, `concurrent`, `extend`\n",
            path.display()
        )
    );

    project.write("sub/snarl.toml", "\n\nextend_select = [\"SN1\"]\n");
    let (code, _, stderr) = project.check_in("sub", &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with(&format!(
            "snarl: error: {}:3: unknown key `extend_select`; expected one of `select`",
            project.path("sub/snarl.toml").display()
        )),
        "{stderr}"
    );
}

#[test]
fn a_bad_value_names_the_file_line_key_and_expectation() {
    let project = Project::new("bad-value");
    project.write("broken.py", BROKEN);
    let path = project.path("snarl.toml");
    let cases = [
        (
            "select = \"SN1\"\n",
            ":1: `select` must be a list of rule codes, code prefixes or rule names, such as \
             [\"SN1\", \"SN201\"], not the string \"SN1\"",
        ),
        (
            "# comment\nignore = [\"SN1\", 3]\n",
            ":2: `ignore` must be a list of rule codes, code prefixes or rule names, such as \
             [\"SN1\", \"SN201\"], not a list whose item 2 is the integer 3",
        ),
        (
            "exclude = true\n",
            ":1: `exclude` must be a list of globs, such as [\"generated/*\"], not `true`",
        ),
        (
            "per-file-ignores = 3\n",
            ":1: `per-file-ignores` must be a table from glob to a list of codes, such as \
             { \"tests/*\" = [\"SN2\"] }, not the integer 3",
        ),
        (
            "[per-file-ignores]\n\"tests/*\" = \"SN2\"\n",
            ":1: `per-file-ignores` entry \"tests/*\" must be a list of codes, such as [\"SN2\"], \
             not the string \"SN2\"",
        ),
        (
            "target-version = 312\n",
            ":1: `target-version` must be a string: one of \"py38\", \"py39\", … \"py314\", or \
             \"py313t\"/\"py314t\" for free-threaded builds, not the integer 312",
        ),
        (
            "target-version = \"py27\"\n",
            ":1: `target-version`: expected one of `py38`, `py39`, `py310`, `py311`, `py312`, \
             `py313`, `py314`, or the free-threaded `py313t`, `py314t`, got `py27`",
        ),
        (
            "target-version = \"py312t\"\n",
            ":1: `target-version`: expected one of `py38`, `py39`, `py310`, `py311`, `py312`, \
             `py313`, `py314`, or the free-threaded `py313t`, `py314t`, got `py312t`",
        ),
        (
            "free-threaded = \"yes\"\n",
            ":1: `free-threaded` must be a boolean: `true` when the code runs on a free-threaded \
             build (no GIL), not the string \"yes\"",
        ),
        (
            "select = [\"SN9\"]\n",
            ":1: `select`: unknown rule selector `SN9`: expected `ALL`, a rule code (`SN101`), a \
             code prefix (`SN1`, `SN10`) or a rule name (`thread-target-called`); `snarl rules` \
             lists them",
        ),
        (
            "[per-file-ignores]\n\"tests/*\" = [\"no-such-rule\"]\n",
            ":1: `per-file-ignores`: unknown rule selector `no-such-rule`",
        ),
        (
            "src = \"src\"\n",
            ":1: `src` must be a list of directories, such as [\"src\", \".\"], not the string \"src\"",
        ),
        (
            "concurrent = [\"pkg.views.*\", \"pkg..handler\"]\n",
            ":1: `concurrent`: `pkg..handler` is not a function pattern: expected a dotted path \
             such as `pkg.views.*` or `pkg.worker:Worker.handle`",
        ),
        (
            "concurrent = [\"pkg.worker:\"]\n",
            ":1: `concurrent`: `pkg.worker:` is not a function pattern",
        ),
    ];
    for (config, message) in cases {
        project.write("snarl.toml", config);
        let (code, findings, stderr) = project.check(&[]);
        assert_eq!((code, findings), (2, vec![]), "{config}");
        let expected = format!("snarl: error: {}{message}", path.display());
        assert!(
            stderr.starts_with(&expected),
            "{config}\n{stderr}\n{expected}"
        );
    }
}

#[test]
fn a_toml_syntax_error_is_a_configuration_error() {
    let project = Project::new("toml-syntax");
    project
        .write("snarl.toml", "select = [\n")
        .write("broken.py", BROKEN);
    let (code, _, stderr) = project.check(&[]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with(&format!(
            "snarl: error: {}: TOML parse error at line 1",
            project.path("snarl.toml").display()
        )),
        "{stderr}"
    );
}

#[test]
fn valid_values_of_every_key_are_accepted() {
    let project = Project::new("every-key");
    project
        .write(
            "pyproject.toml",
            r#"[tool.snarl]
select = ["ALL"]
extend-select = ["SN1"]
ignore = ["SN2"]
per-file-ignores = { "tests/*" = ["SN001"] }
exclude = ["build"]
extend-exclude = ["generated"]
target-version = "py38"
src = ["src", "lib", "."]
concurrent = ["pkg.views.*", "pkg.worker:Worker.handle", "app.*:*.run", "_private.mod"]
"#,
        )
        .write("src/pkg/ok.py", CLEAN);
    let (code, findings, stderr) = project.check(&[]);
    assert_eq!((code, findings), (0, vec![]), "{stderr}");
    for version in ["py38", "py39", "py310", "py311", "py312", "py313", "py314"] {
        project.write(
            "pyproject.toml",
            format!("[tool.snarl]\ntarget-version = \"{version}\"\n"),
        );
        assert_eq!(project.check(&[]).0, 0, "{version}");
    }
}

#[test]
fn target_version_rejects_newer_syntax() {
    let project = Project::new("target-version");
    project.write("m.py", "match x:\n    case 1:\n        pass\n");
    project.write("snarl.toml", "target-version = \"py39\"\n");
    let (code, findings, _) = project.check(&[]);
    assert_eq!((code, findings), (1, strings(&["m.py SN001"])));
    project.write("snarl.toml", "target-version = \"py310\"\n");
    assert_eq!(project.check(&[]).0, 0);
}

#[test]
fn per_file_ignores_match_paths_relative_to_the_config_and_base_names() {
    let project = Project::new("per-file-ignores");
    project
        .write(
            "snarl.toml",
            r#"[per-file-ignores]
"tests/*" = ["SN001"]
"legacy_*.py" = ["SN0"]
"pkg/generated.py" = ["syntax-error"]
"pkg/other.py" = ["SN1"]
"#,
        )
        .write("tests/test_a.py", BROKEN)
        .write("tests/deep/test_b.py", BROKEN)
        .write("pkg/legacy_mod.py", BROKEN)
        .write("pkg/generated.py", BROKEN)
        .write("pkg/other.py", BROKEN)
        .write("pkg/tests/kept.py", BROKEN)
        .write("kept.py", BROKEN);
    let expected = strings(&[
        "kept.py SN001",
        "pkg/other.py SN001",
        "pkg/tests/kept.py SN001",
    ]);
    assert_eq!(project.check(&[]).1, expected);
    // Relative to the configuration file, not to the working directory.
    let (_, findings, _) = project.check_in("pkg", &[]);
    assert_eq!(
        findings,
        strings(&["other.py SN001", "tests/kept.py SN001"])
    );
}

#[test]
fn per_file_ignores_apply_to_the_stdin_filename() {
    let project = Project::new("per-file-ignores-stdin");
    project.write(
        "snarl.toml",
        "[per-file-ignores]\n\"tests/*\" = [\"SN001\"]\n",
    );
    let run = |name: &str| {
        let output = project
            .snarl(&["check", "-", "--stdin-filename", name])
            .write_stdin(BROKEN)
            .output()
            .unwrap();
        output.status.code().unwrap()
    };
    assert_eq!(run("tests/test_x.py"), 0);
    assert_eq!(run("src/x.py"), 1);
}

#[test]
fn exclude_and_extend_exclude_match_paths_and_base_names() {
    let project = Project::new("exclude");
    project
        .write(
            "snarl.toml",
            "extend-exclude = [\"generated\", \"*_pb2.py\", \"pkg/legacy\"]\n",
        )
        .write("generated/a.py", BROKEN)
        .write("pkg/generated/b.py", BROKEN)
        .write("pkg/api_pb2.py", BROKEN)
        .write("pkg/legacy/c.py", BROKEN)
        .write("legacy/d.py", BROKEN)
        .write("build/e.py", BROKEN)
        .write("pkg/kept.py", BROKEN);
    // `extend-exclude` keeps the defaults (`build`); `pkg/legacy` is anchored at the config file.
    assert_eq!(
        project.check(&[]).1,
        strings(&["legacy/d.py SN001", "pkg/kept.py SN001"])
    );
    let (_, findings, _) = project.check_in("pkg", &[]);
    assert_eq!(findings, strings(&["kept.py SN001"]));
    // An excluded file named on the command line is checked all the same.
    assert_eq!(
        project.check(&["pkg/api_pb2.py"]).1,
        strings(&["pkg/api_pb2.py SN001"])
    );

    // `exclude` replaces the defaults.
    project.write("snarl.toml", "exclude = [\"legacy\"]\n");
    assert_eq!(
        project.check(&[]).1,
        strings(&[
            "build/e.py SN001",
            "generated/a.py SN001",
            "pkg/api_pb2.py SN001",
            "pkg/generated/b.py SN001",
            "pkg/kept.py SN001",
        ])
    );
}

#[test]
fn exclude_globs_are_relative_to_the_config_flag_file() {
    let project = Project::new("exclude-config-flag");
    project
        .write("conf/snarl.toml", "extend-exclude = [\"../app/skip\"]\n")
        .write("app/skip/a.py", BROKEN)
        .write("app/kept.py", BROKEN);
    let (_, findings, _) = project.check(&["--config", "conf/snarl.toml", "app"]);
    assert_eq!(findings, strings(&["app/kept.py SN001"]));
}

/// A project whose configuration ignores SN001 in `tests/`, excludes `generated/`, and declares a
/// concurrent entry point, with one file of each kind; checked from elsewhere, it must behave as
/// checked from inside.
fn nested_project(project: &Project, dir: &str) {
    project
        .write(
            &format!("{dir}/pyproject.toml"),
            r#"[tool.snarl]
per-file-ignores = { "tests/*" = ["SN001"] }
extend-exclude = ["generated"]
concurrent = ["app.views.*"]
"#,
        )
        .write(&format!("{dir}/tests/test_x.py"), BROKEN)
        .write(&format!("{dir}/generated/out.py"), BROKEN)
        .write(&format!("{dir}/app/__init__.py"), "")
        .write(
            &format!("{dir}/app/views.py"),
            "hits = 0\n\n\ndef index():\n    global hits\n    hits += 1\n",
        );
}

#[test]
fn each_file_uses_its_closest_configuration_wherever_snarl_runs_from() {
    let project = Project::new("closest");
    // The working directory's configuration ignores what the project's reports.
    project
        .write("snarl.toml", "ignore = [\"SN2\"]\n")
        .write("broken.py", BROKEN);
    nested_project(&project, "work/proj");
    let expected = strings(&["work/proj/app/views.py SN201"]);
    assert_eq!(project.check(&["work/proj"]), (1, expected, String::new()));
    // From inside, the same findings (named from there).
    let (code, findings, _) = project.check_in("work/proj", &[]);
    assert_eq!((code, findings), (1, strings(&["app/views.py SN201"])));
    // A file named directly uses its project's configuration too.
    let (_, findings, _) = project.check(&["work/proj/tests/test_x.py", "broken.py"]);
    assert_eq!(findings, strings(&["broken.py SN001"]));
    // Files under no project configuration use the working directory's.
    let (_, findings, _) = project.check(&[]);
    assert_eq!(
        findings,
        strings(&["broken.py SN001", "work/proj/app/views.py SN201"])
    );
}

#[test]
fn nested_projects_each_use_their_own_configuration() {
    let project = Project::new("nested");
    project
        .write("pyproject.toml", "[tool.snarl]\nignore = [\"SN001\"]\n")
        .write("top.py", BROKEN)
        .write("libs/one/snarl.toml", "select = [\"SN0\"]\n")
        .write("libs/one/broken.py", BROKEN)
        .write("libs/two/.snarl.toml", "exclude = [\"skipped\"]\n")
        .write("libs/two/skipped/broken.py", BROKEN)
        .write("libs/two/kept/broken.py", BROKEN);
    let (code, findings, stderr) = project.check(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        findings,
        strings(&["libs/one/broken.py SN001", "libs/two/kept/broken.py SN001"])
    );
    // `--config` still decides for every file.
    let (_, findings, _) = project.check(&["--config", "pyproject.toml"]);
    assert_eq!(findings, Vec::<String>::new());
    // The command line applies over every project's configuration.
    let (_, findings, _) = project.check(&["--ignore", "SN001"]);
    assert_eq!(findings, Vec::<String>::new());
}

#[test]
fn extend_inherits_a_base_configuration() {
    let project = Project::new("extend");
    project
        .write(
            "snarl.toml",
            "ignore = [\"SN001\"]\nper-file-ignores = { \"legacy/*\" = [\"SN2\"] }\nextend-exclude = [\"vendored\"]\n",
        )
        .write("proj/pyproject.toml", "[tool.snarl]\nextend = \"../snarl.toml\"\nextend-select = [\"SN004\"]\n")
        .write("proj/broken.py", BROKEN)
        .write("proj/vendored/broken.py", BROKEN)
        .write("proj/noqa.py", "x = 1  # noqa: SN201\n")
        .write("vendored/broken.py", BROKEN);
    // The base's `ignore` holds, the child's `extend-select` adds SN004, and the base's
    // `extend-exclude` applies, relative to nothing but names.
    let (code, findings, stderr) = project.check(&["proj"]);
    assert_eq!(
        (code, findings),
        (1, strings(&["proj/noqa.py SN004"])),
        "{stderr}"
    );
    let (_, stdout, _) = project.run(&["check", "--show-settings", "proj/noqa.py"]);
    assert!(
        stdout.contains(&format!(
            "Extends: \"{}\"",
            project.path("snarl.toml").display()
        )),
        "{stdout}"
    );
    // The rules come from both files, base first.
    assert!(
        stdout.contains(&format!(
            "# {}:1 (ignore), {}:3 (extend-select)\n",
            project.path("snarl.toml").display(),
            project.path("proj/pyproject.toml").display()
        )),
        "{stdout}"
    );
    // A cycle and a missing file are configuration errors naming the chain.
    project.write("snarl.toml", "extend = \"proj/pyproject.toml\"\n");
    let (code, _, stderr) = project.check(&["proj"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("circular `extend`"), "{stderr}");
    assert!(stderr.contains(" extends "), "{stderr}");
    project.write("snarl.toml", "extend = \"nope.toml\"\n");
    let (code, _, stderr) = project.check(&["proj"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`extend`: ") && stderr.contains("nope.toml: configuration file not found"),
        "{stderr}"
    );
}

#[test]
fn a_tool_snarl_table_in_snarl_toml_gets_a_clear_message() {
    let project = Project::new("tool-table");
    project
        .write(
            "snarl.toml",
            "# settings\n[tool.snarl]\nignore = [\"SN001\"]\n",
        )
        .write("broken.py", BROKEN);
    let (code, _, stderr) = project.check(&[]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        format!(
            "snarl: error: {}:2: `[tool.snarl]` is for pyproject.toml; in snarl.toml write the keys at the top level, without the table header\n",
            project.path("snarl.toml").display()
        )
    );
}

#[test]
fn show_settings_names_the_file_its_configuration_and_each_origin() {
    let project = Project::new("show-settings");
    nested_project(&project, "proj");
    project.write("proj/app/other.py", CLEAN);
    let (code, stdout, stderr) = project.run(&["check", "--show-settings", "proj/app"]);
    assert_eq!(code, 0, "{stderr}");
    let config = project.path("proj/pyproject.toml");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "Resolved settings for: \"{}\"",
            project.path("proj/app/__init__.py").display()
        )
    );
    assert_eq!(lines[1], format!("Settings path: \"{}\"", config.display()));
    assert!(
        stdout.contains(&format!(
            "concurrent = [\"app.views.*\"]  # {}:4",
            config.display()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("\nexclude = [\".git\","), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "extend-exclude = [\"generated\"]  # {}:3",
            config.display()
        )),
        "{stdout}"
    );
    insta::assert_snapshot!(stdout.replace(&project.root.display().to_string(), "[ROOT]"));
    // Per-file rules for the file shown.
    let (_, stdout, _) = project.run(&["check", "--show-settings", "proj/tests/test_x.py"]);
    let for_file = stdout.lines().last().unwrap();
    assert!(
        for_file.starts_with("rules-for-file = [\"SN002\""),
        "{for_file}"
    );
    // Nothing to show is an error, as in ruff.
    project.write("empty/README", "");
    let (code, _, stderr) = project.run(&["check", "--show-settings", "empty"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn show_files_lists_what_would_be_checked() {
    let project = Project::new("show-files");
    nested_project(&project, "proj");
    let (code, stdout, stderr) = project.run(&["check", "--show-files", "proj", "missing.py"]);
    assert_eq!(code, 0, "{stderr}");
    let expected: Vec<String> = [
        "proj/app/__init__.py",
        "proj/app/views.py",
        "proj/tests/test_x.py",
    ]
    .iter()
    .map(|p| project.path(p).display().to_string())
    .collect();
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected);
}

/// Threads that only compute (SN401) and a dict written under a lock in one place and without it
/// in another (SN203, a warning by default).
const GIL_AND_RACE: &str = r#"import threading
from concurrent.futures import ThreadPoolExecutor


def count_primes(limit):
    found = 0
    for n in range(2, limit):
        if all(n % d for d in range(2, int(n**0.5) + 1)):
            found += 1
    return found


class Registry:
    def __init__(self):
        self._lock = threading.Lock()
        self._items = {}

    def add(self, key, value):
        with self._lock:
            self._items[key] = value

    def remove(self, key):
        del self._items[key]


with ThreadPoolExecutor(max_workers=4) as executor:
    totals = list(executor.map(count_primes, [50_000, 60_000]))
"#;

/// (code, severity) of each finding `snarl check` makes in `project`.
fn codes_and_severities(project: &Project) -> Vec<(String, String)> {
    let output = project
        .snarl(&["check", "--output-format", "json", "--exit-zero"])
        .output()
        .unwrap();
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn free_threaded_turns_sn401_off_and_raises_race_severity() {
    let project = Project::new("free-threaded");
    project.write("app.py", GIL_AND_RACE);
    let with_gil = codes_and_severities(&project);
    assert!(with_gil.contains(&("SN401".to_string(), "warning".to_string())));
    assert!(with_gil.contains(&("SN203".to_string(), "warning".to_string())));

    for config in ["free-threaded = true\n", "target-version = \"py314t\"\n"] {
        project.write("snarl.toml", config);
        let without_gil = codes_and_severities(&project);
        assert!(
            !without_gil.iter().any(|(code, _)| code == "SN401"),
            "{config}: {without_gil:?}"
        );
        assert!(
            without_gil.contains(&("SN203".to_string(), "error".to_string())),
            "{config}: {without_gil:?}"
        );
    }
    // An explicit `free-threaded = false` wins over the target version.
    project.write(
        "snarl.toml",
        "target-version = \"py313t\"\nfree-threaded = false\n",
    );
    assert!(codes_and_severities(&project).contains(&("SN401".to_string(), "warning".to_string())));
}

#[test]
fn free_threaded_applies_per_file_from_the_closest_configuration() {
    let project = Project::new("free-threaded-per-file");
    project
        .write("app.py", GIL_AND_RACE)
        .write("nogil/app.py", GIL_AND_RACE)
        .write("nogil/snarl.toml", "free-threaded = true\n");
    let (_, findings, _) = project.check(&["--exit-zero"]);
    let sn401: Vec<&String> = findings.iter().filter(|f| f.ends_with("SN401")).collect();
    assert_eq!(sn401, vec!["app.py SN401"], "{findings:?}");
    let shown = project
        .snarl_in("nogil", &["check", "--show-settings", "app.py"])
        .output()
        .unwrap();
    let shown = String::from_utf8(shown.stdout).unwrap();
    assert!(shown.contains("free-threaded = true"), "{shown}");
}

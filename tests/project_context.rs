//! Named files are analysed with their whole project as context: `snarl check a.py` reports on
//! `a.py` only, but sees the thread in another module that calls into it.

mod common;

use common::{findings, Project};

const MAIN: &str = "import threading\n\nfrom pkg import counter\n\n\ndef main():\n    for _ in range(4):\n        threading.Thread(target=counter.bump).start()\n";
const COUNTER: &str = "hits = 0\n\n\ndef bump():\n    global hits\n    hits += 1\n";
/// A finding of its own, to show that context files are not reported on.
const NOISY: &str = "import threading\nthreading.Thread(print).start()\n";

fn project(marker: &str) -> Project {
    let project = Project::new("context");
    project
        .write(marker, "")
        .write("pkg/__init__.py", "")
        .write("pkg/main.py", MAIN)
        .write("pkg/counter.py", COUNTER)
        .write("pkg/noisy.py", NOISY);
    project
}

#[test]
fn a_named_file_is_checked_in_its_project_s_context() {
    for marker in ["pyproject.toml", "snarl.toml", ".git/HEAD"] {
        let project = project(marker);
        let (code, stdout, stderr) =
            project.run(&["check", "--output-format", "concise", "pkg/counter.py"]);
        assert_eq!(
            (code, findings(&stdout)),
            (1, vec!["pkg/counter.py SN201".to_string()]),
            "root marked by {marker}"
        );
        // The context files' findings (pkg/noisy.py has one) are not counted either.
        assert!(stdout.ends_with("\nFound 1 finding.\n"), "{stdout}");
        assert_eq!(stderr, "");
    }
}

#[test]
fn context_reaches_up_from_a_subdirectory() {
    let project = project("pyproject.toml");
    let (code, found, _) = project.check_in("pkg", &["counter.py"]);
    assert_eq!((code, found), (1, vec!["counter.py SN201".to_string()]));
}

#[test]
fn related_locations_may_point_into_context_files() {
    let project = project("pyproject.toml");
    let output = project
        .snarl(&["check", "--output-format", "json", "pkg/counter.py"])
        .output()
        .unwrap();
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let related = &findings[0]["related"][0];
    assert_eq!(
        related["filename"],
        project.path("pkg/main.py").display().to_string()
    );
    assert_eq!(related["location"]["row"], 8);
}

#[test]
fn no_project_context_analyses_the_named_files_alone() {
    let project = project("pyproject.toml");
    let (code, found, _) = project.check(&["--no-project-context", "pkg/counter.py"]);
    assert_eq!((code, found), (0, vec![]));
    let (code, found, _) =
        project.check(&["--no-project-context", "pkg/counter.py", "pkg/main.py"]);
    assert_eq!((code, found), (1, vec!["pkg/counter.py SN201".to_string()]));
}

#[test]
fn without_a_root_marker_there_is_no_context() {
    let project = Project::new("no-root");
    project
        .write("pkg/__init__.py", "")
        .write("pkg/main.py", MAIN)
        .write("pkg/counter.py", COUNTER);
    let (code, found, _) = project.check(&["pkg/counter.py"]);
    assert_eq!((code, found), (0, vec![]));
}

#[test]
fn standard_input_is_checked_in_the_context_of_the_file_it_stands_for() {
    let project = project("pyproject.toml");
    // The buffer replaces the file on disk: the disk version's finding is not reported twice,
    // and the buffer's own text is what is checked.
    let output = project
        .snarl(&[
            "check",
            "--output-format",
            "concise",
            "--stdin-filename",
            "pkg/counter.py",
            "-",
        ])
        .write_stdin(format!("# unsaved edit\n{COUNTER}"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(findings(&stdout), ["pkg/counter.py SN201"], "{stdout}");
    assert!(stdout.starts_with("pkg/counter.py:7:5: SN201 "), "{stdout}");
}

#[test]
fn context_files_follow_the_excludes_and_gitignore() {
    let project = project("pyproject.toml");
    project.write(".gitignore", "pkg/main.py\n");
    let (code, found, _) = project.check(&["pkg/counter.py"]);
    assert_eq!(
        (code, found),
        (0, vec![]),
        "main.py is ignored, so no thread"
    );
}

#[test]
fn force_exclude_skips_excluded_files_even_when_named() {
    let project = project("pyproject.toml");
    project.write("build/gen.py", NOISY);
    let (_, found, _) = project.check(&["build/gen.py", "pkg/noisy.py"]);
    assert_eq!(found, ["build/gen.py SN106", "pkg/noisy.py SN106"]);
    let (_, found, _) = project.check(&["--force-exclude", "build/gen.py", "pkg/noisy.py"]);
    assert_eq!(found, ["pkg/noisy.py SN106"]);
}

#[test]
fn context_discovery_applies_each_directory_s_configuration() {
    // The threads start in pkg/app/main.py; the walk for context loads pkg/app's configuration on
    // the way, and that excludes main.py, as a plain `snarl check .` would.
    let setup = |app_config: Option<&str>| {
        let project = Project::new("context-nested");
        project
            .write("pyproject.toml", "")
            .write("pkg/__init__.py", "")
            .write("pkg/counter.py", COUNTER)
            .write("pkg/app/__init__.py", "")
            .write("pkg/app/main.py", MAIN);
        if let Some(config) = app_config {
            project.write("pkg/app/snarl.toml", config);
        }
        project
    };
    let project = setup(None);
    let (_, found, _) = project.check(&["pkg/counter.py"]);
    assert_eq!(found, ["pkg/counter.py SN201"]);
    let project = setup(Some("extend-exclude = [\"main.py\"]\n"));
    let (_, found, _) = project.check(&["pkg/counter.py"]);
    assert_eq!(found, Vec::<String>::new());
    let (_, found, _) = project.check(&["."]);
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn a_named_file_keeps_its_own_configuration_with_context() {
    // The working directory's configuration ignores SN201; pkg's own turns it on for its files.
    let project = project("pyproject.toml");
    project
        .write("pyproject.toml", "[tool.snarl]\nignore = [\"SN201\"]\n")
        .write("pkg/snarl.toml", "select = [\"SN2\"]\n");
    let (_, found, _) = project.check(&["pkg/counter.py"]);
    assert_eq!(found, ["pkg/counter.py SN201"]);
    project.write("pkg/snarl.toml", "select = [\"SN1\"]\n");
    let (_, found, _) = project.check(&["pkg/counter.py"]);
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn force_exclude_follows_the_configuration_of_each_directory() {
    let project = project("pyproject.toml");
    project
        .write("tools/snarl.toml", "extend-exclude = [\"gen.py\"]\n")
        .write("tools/gen.py", NOISY)
        .write("tools/keep.py", NOISY);
    let (_, found, _) = project.check(&["tools/gen.py", "tools/keep.py"]);
    assert_eq!(found, ["tools/gen.py SN106", "tools/keep.py SN106"]);
    let (_, found, _) = project.check(&["--force-exclude", "tools/gen.py", "tools/keep.py"]);
    assert_eq!(found, ["tools/keep.py SN106"]);
    let (_, stdout, _) = project.run(&["check", "--force-exclude", "--show-files", "tools/gen.py"]);
    assert_eq!(stdout, "");
}

//! The fixture harness: every Python file under `fixtures/` states the findings it must produce
//! with trailing `# expect: SN101` (or `# expect: SN101, SN107`) comments on the line where each
//! finding starts. A file is checked alone; a directory under `fixtures/projects/` is checked as one
//! project. The findings must be exactly the expected ones: none missing, none extra.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use snarl::config::{Options, Overrides, Settings};
use snarl::discover;
use snarl::pipeline::{self, Input};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn settings() -> Settings {
    let overrides = Overrides {
        select: Some(vec!["ALL".to_string()]),
        ..Overrides::default()
    };
    Settings::from_options(Options::default(), &overrides, fixtures_dir(), None)
        .expect("default settings")
}

/// (file, line, code) expected by the `# expect:` comments of `path`.
fn expectations(path: &Path) -> BTreeSet<(PathBuf, u32, String)> {
    let text = std::fs::read_to_string(path).expect("a readable fixture");
    let mut out = BTreeSet::new();
    for (index, line) in text.lines().enumerate() {
        let Some(at) = line.find("# expect:") else {
            continue;
        };
        for code in line[at + "# expect:".len()..].split(',') {
            let code = code.trim();
            if !code.is_empty() {
                out.insert((path.to_path_buf(), index as u32 + 1, code.to_string()));
            }
        }
    }
    out
}

/// (file, line, code) of what snarl reports for `paths` checked together.
fn findings(paths: &[PathBuf]) -> BTreeSet<(PathBuf, u32, String)> {
    let settings = settings();
    let files = discover::discover(paths, &settings).expect("fixture paths exist");
    let result = pipeline::check(files.into_iter().map(Input::File).collect(), &settings);
    result
        .diagnostics
        .iter()
        .map(|d| {
            let file = result.files.get(d.span.file);
            (
                file.path.clone(),
                file.row(d.span.range.start()),
                d.rule.code().to_string(),
            )
        })
        .collect()
}

fn python_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a fixtures directory")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            python_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "py") {
            out.push(path);
        }
    }
}

/// Compares one run; returns the differences as lines.
fn compare(
    expected: &BTreeSet<(PathBuf, u32, String)>,
    found: &BTreeSet<(PathBuf, u32, String)>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (path, line, code) in expected.difference(found) {
        out.push(format!("missing    {}:{line}: {code}", path.display()));
    }
    for (path, line, code) in found.difference(expected) {
        out.push(format!("unexpected {}:{line}: {code}", path.display()));
    }
    out
}

#[test]
fn single_file_fixtures_report_exactly_what_they_expect() {
    let root = fixtures_dir();
    let mut files = Vec::new();
    python_files(&root, &mut files);
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|p| !p.starts_with(root.join("projects")))
        .collect();
    assert!(files.len() >= 10, "the fixtures are there");
    let mut failures = Vec::new();
    for file in &files {
        failures.extend(compare(
            &expectations(file),
            &findings(std::slice::from_ref(file)),
        ));
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn project_fixtures_report_exactly_what_they_expect() {
    let root = fixtures_dir().join("projects");
    let mut projects: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures/projects")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();
    assert!(!projects.is_empty(), "the project fixtures are there");
    let mut failures = Vec::new();
    for project in &projects {
        let mut files = Vec::new();
        python_files(project, &mut files);
        let expected: BTreeSet<_> = files.iter().flat_map(|f| expectations(f)).collect();
        failures.extend(compare(&expected, &findings(std::slice::from_ref(project))));
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_rule_has_positive_fixtures() {
    let mut files = Vec::new();
    python_files(&fixtures_dir(), &mut files);
    let expected: BTreeSet<String> = files
        .iter()
        .flat_map(|f| expectations(f))
        .map(|(_, _, code)| code)
        .collect();
    for rule in snarl::rules::Rule::ALL {
        if matches!(rule.code(), "SN002" | "SN003") {
            continue; // not expressible as Python source; tested in tests/robustness.rs
        }
        assert!(
            expected.contains(rule.code()),
            "no fixture expects {}",
            rule.code()
        );
    }
}

/// The report of `fixture` (relative to `fixtures/`) in `format`, with the checkout's path
/// replaced so the snapshot is the same on every machine.
fn report(fixture: &str, format: snarl::report::OutputFormat) -> String {
    let settings = settings();
    let path = fixtures_dir().join(fixture);
    let files = discover::discover(&[path], &settings).expect("the fixture exists");
    let result = pipeline::check(files.into_iter().map(Input::File).collect(), &settings);
    let mut out = Vec::new();
    snarl::report::write(
        format,
        &result.diagnostics,
        &result.files,
        snarl::report::ReportOptions::default(),
        &mut out,
    )
    .expect("a report");
    String::from_utf8(out)
        .expect("UTF-8")
        .replace(&fixtures_dir().display().to_string(), "[FIXTURES]")
}

#[test]
fn full_and_json_reports_of_fixtures() {
    use snarl::report::OutputFormat;
    insta::assert_snapshot!("SN108_full", report("SN108/twice.py", OutputFormat::Full));
    insta::assert_snapshot!(
        "SN201_full",
        report("SN201/counters.py", OutputFormat::Full)
    );
    insta::assert_snapshot!(
        "SN203_json",
        report("SN203/protection.py", OutputFormat::Json)
    );
    insta::assert_snapshot!("SN102_json", report("SN102/args.py", OutputFormat::Json));
    insta::assert_snapshot!(
        "SN603_full",
        report("SN603/nested_on_one_pool.py", OutputFormat::Full)
    );
    insta::assert_snapshot!(
        "SN701_full",
        report("SN701/through_loop_side_helper.py", OutputFormat::Full)
    );
    insta::assert_snapshot!(
        "SN702_json",
        report("SN702/through_wrapping_decorator.py", OutputFormat::Json)
    );
    insta::assert_snapshot!(
        "SN302_full",
        report("SN302/through_calls.py", OutputFormat::Full)
    );
    insta::assert_snapshot!(
        "SN306_json",
        report("SN306/join_under_lock.py", OutputFormat::Json)
    );
}

/// Every run the fixtures make: each file alone, each project together.
fn fixture_runs() -> Vec<PathBuf> {
    let root = fixtures_dir();
    let mut files = Vec::new();
    python_files(&root, &mut files);
    let mut runs: Vec<PathBuf> = files
        .into_iter()
        .filter(|p| !p.starts_with(root.join("projects")))
        .collect();
    let mut projects: Vec<PathBuf> = std::fs::read_dir(root.join("projects"))
        .expect("fixtures/projects")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();
    runs.extend(projects);
    runs
}

#[test]
fn no_finding_prints_more_than_30_lines_in_full_nor_repeats_itself() {
    let settings = settings();
    let mut longest = (0, String::new());
    let mut failures = Vec::new();
    for run in fixture_runs() {
        let files = discover::discover(std::slice::from_ref(&run), &settings).expect("exists");
        let result = pipeline::check(files.into_iter().map(Input::File).collect(), &settings);
        for diagnostic in &result.diagnostics {
            // Message polish: each phrase and each related place once.
            if diagnostic.message.matches("concurrent callers").count() > 1 {
                failures.push(format!("a phrase repeats: {}", diagnostic.message));
            }
            for (i, related) in diagnostic.related.iter().enumerate() {
                if diagnostic.related[..i].contains(related) || related.span == diagnostic.span {
                    failures.push(format!("related `{}` repeats", related.message));
                }
            }
            let mut out = Vec::new();
            snarl::report::write(
                snarl::report::OutputFormat::Full,
                std::slice::from_ref(diagnostic),
                &result.files,
                snarl::report::ReportOptions::default(),
                &mut out,
            )
            .expect("a report");
            let text = String::from_utf8(out).expect("UTF-8");
            // The blank line after a finding separates it from the next; it is not its own.
            let lines = text.trim_end_matches('\n').lines().count();
            if lines > longest.0 {
                longest = (lines, text.clone());
            }
            if lines > 30 {
                failures.push(format!("{} lines:\n{text}", lines));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The check has teeth: some finding has related locations in several places.
    assert!(
        longest.0 >= 12,
        "the longest finding is short:\n{}",
        longest.1
    );
}

#[test]
fn full_and_json_reports_of_gil_fixtures() {
    use snarl::report::OutputFormat;
    insta::assert_snapshot!(
        "SN401_full",
        report("SN401/compute_on_thread_pools.py", OutputFormat::Full)
    );
    insta::assert_snapshot!(
        "SN404_full",
        report("SN404/pools_per_call.py", OutputFormat::Full)
    );
    insta::assert_snapshot!(
        "SN402_json",
        report("SN402/io_on_processes.py", OutputFormat::Json)
    );
}

//! Every rule has a doc in `rules/` with the four sections and a header saying its family,
//! severity, whether it has a fix and what confidence its findings carry; its Example triggers
//! the rule and its Use-instead does not. `snarl rule` prints the docs as text and JSON.

use std::path::PathBuf;

use snarl::config::{Options, Overrides, Settings};
use snarl::diagnostic::Confidence;
use snarl::discover::DiscoveredFile;
use snarl::pipeline::{self, Input};
use snarl::rules::{FixAvailability, Rule};

/// Rules whose example cannot be written as Python text: an unreadable file, a bug in snarl.
const NOT_TRIGGERED_BY_TEXT: &[Rule] = &[Rule::IoError, Rule::InternalError];

fn settings() -> Settings {
    let overrides = Overrides {
        select: Some(vec!["ALL".to_string()]),
        ..Overrides::default()
    };
    Settings::from_options(Options::default(), &overrides, std::env::temp_dir(), None)
        .expect("default settings")
}

/// The codes snarl reports for `source`, checked as a single file.
fn codes(source: &str) -> Vec<&'static str> {
    let input = Input::Stdin {
        file: DiscoveredFile {
            path: PathBuf::from("example.py"),
            module: "example".to_string(),
            is_package: false,
        },
        text: source.to_string(),
        unreadable: None,
    };
    pipeline::check(vec![input], &settings())
        .diagnostics
        .iter()
        .map(|d| d.rule.code())
        .collect()
}

/// The body of the first ```python block after `heading`.
fn python_block<'a>(doc: &'a str, heading: &str) -> Option<&'a str> {
    let section = &doc[doc.find(heading)? + heading.len()..];
    let start = section.find("```python\n")? + "```python\n".len();
    let end = section[start..].find("```")?;
    Some(&section[start..start + end])
}

#[test]
fn every_rule_has_a_doc_with_the_four_sections() {
    for rule in Rule::ALL {
        let doc = rule.doc();
        for heading in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
        ] {
            assert!(
                doc.contains(heading),
                "rules/{}-{}.md lacks `{heading}`",
                rule.code(),
                rule.name()
            );
        }
        assert!(
            doc.contains(rule.name()) && doc.contains(rule.code()),
            "the doc of {} names its rule in its title",
            rule.code()
        );
    }
}

#[test]
fn every_example_triggers_its_rule_and_every_fix_does_not() {
    let mut failures = Vec::new();
    for &rule in Rule::ALL {
        let doc = rule.doc();
        let example = python_block(doc, "## Example").expect("an Example block");
        let fixed = python_block(doc, "## Use instead").expect("a Use-instead block");
        if !NOT_TRIGGERED_BY_TEXT.contains(&rule) && !codes(example).contains(&rule.code()) {
            failures.push(format!("{}: the Example does not trigger it", rule.code()));
        }
        let after = codes(fixed);
        if after.contains(&rule.code()) {
            failures.push(format!(
                "{}: the Use-instead block triggers it",
                rule.code()
            ));
        }
        if !after.is_empty() && rule != Rule::SyntaxError {
            failures.push(format!(
                "{}: the Use-instead block has other findings: {after:?}",
                rule.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn snarl_rule_prints_the_doc_by_code_and_by_name() {
    let by_code = assert_cmd::Command::cargo_bin("snarl")
        .unwrap()
        .args(["rule", "SN201"])
        .output()
        .unwrap();
    let by_name = assert_cmd::Command::cargo_bin("snarl")
        .unwrap()
        .args(["rule", "unsynchronized-read-modify-write"])
        .output()
        .unwrap();
    assert!(by_code.status.success());
    assert_eq!(by_code.stdout, by_name.stdout);
    assert_eq!(
        String::from_utf8(by_code.stdout).unwrap(),
        Rule::UnsynchronizedReadModifyWrite.doc()
    );
}

/// The `Key: value` fields of a doc's header line (`Family: races · Default severity: error ·
/// Fix: not available · Confidence: high or medium`).
fn header(doc: &str) -> std::collections::HashMap<&str, &str> {
    let line = doc
        .lines()
        .find(|line| line.starts_with("Family: "))
        .expect("a header line");
    line.split(" · ")
        .map(|field| field.split_once(": ").expect("`Key: value`"))
        .collect()
}

#[test]
fn every_doc_header_states_family_severity_fix_and_confidence() {
    for &rule in Rule::ALL {
        let fields = header(rule.doc());
        let code = rule.code();
        assert_eq!(fields["Family"], rule.family().as_str(), "{code}");
        assert_eq!(
            fields["Default severity"],
            rule.severity().as_str(),
            "{code}"
        );
        let fix = match rule.fix_availability() {
            FixAvailability::Always => "always available",
            FixAvailability::Sometimes => "sometimes available",
            FixAvailability::None => "not available",
        };
        // `always available (unsafe)`: the parenthesis says how safe the fix is.
        let stated = fields["Fix"].split(" (").next().unwrap();
        assert_eq!(stated, fix, "{code}: the doc and the registry disagree");
        let confidence = fields["Confidence"];
        assert!(
            ["high", "medium", "high or medium", "low"].contains(&confidence),
            "{code}: `{confidence}`"
        );
        if confidence.contains(" or ") {
            assert!(
                rule.doc().contains("## Confidence"),
                "{code}: say when each confidence applies"
            );
        }
    }
}

/// Every finding the fixtures make (each file alone, each project together), as (rule,
/// confidence, whether it has a fix and whether that fix is safe).
fn fixture_findings() -> std::collections::BTreeSet<(Rule, Confidence, Option<bool>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut runs: Vec<Vec<PathBuf>> = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        // `fixtures/CODE/*.py` are checked one by one, `fixtures/projects/*` one project each.
        let dir = entry.unwrap().path();
        if dir.is_dir() {
            for run in std::fs::read_dir(&dir).unwrap() {
                runs.push(vec![run.unwrap().path()]);
            }
        }
    }
    let settings = settings();
    let mut out = std::collections::BTreeSet::new();
    for paths in runs {
        let files = snarl::discover::discover(&paths, &settings).unwrap();
        let result = pipeline::check(files.into_iter().map(Input::File).collect(), &settings);
        out.extend(result.diagnostics.iter().map(|d| {
            let safe = d
                .fix
                .as_ref()
                .map(|fix| fix.applicability == snarl::diagnostic::Applicability::Safe);
            (d.rule, d.confidence, safe)
        }));
    }
    out
}

#[test]
fn every_confidence_a_rule_reports_is_in_its_doc() {
    let mut failures = Vec::new();
    for (rule, confidence, _) in fixture_findings() {
        let stated = header(rule.doc())["Confidence"];
        if !stated.split(" or ").any(|c| c == confidence.as_str()) {
            failures.push(format!(
                "{}: reports {} confidence, its doc says `{stated}`",
                rule.code(),
                confidence.as_str()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fix_a_rule_makes_is_in_its_doc_and_the_registry() {
    let mut failures = Vec::new();
    for (rule, _, fix) in fixture_findings() {
        let stated = header(rule.doc())["Fix"];
        match (fix, rule.fix_availability()) {
            (Some(_), FixAvailability::None) => {
                failures.push(format!("{}: has fixes, registered as none", rule.code()))
            }
            (None, FixAvailability::Always) => {
                failures.push(format!("{}: a finding without a fix", rule.code()))
            }
            (Some(false), _) if !stated.contains("unsafe") => failures.push(format!(
                "{}: makes unsafe fixes, its doc says `{stated}`",
                rule.code()
            )),
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn snarl_rule_all_prints_every_doc() {
    let output = assert_cmd::Command::cargo_bin("snarl")
        .unwrap()
        .args(["rule", "--all"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let docs: Vec<&str> = Rule::ALL.iter().map(|rule| rule.doc()).collect();
    assert_eq!(text, docs.join("\n"));
}

#[test]
fn snarl_rule_json_has_ruff_fields_and_the_doc() {
    let run = |args: &[&str]| {
        let output = assert_cmd::Command::cargo_bin("snarl")
            .unwrap()
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}");
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let one = run(&["rule", "SN004", "--output-format", "json"]);
    assert_eq!(
        one,
        serde_json::json!({
            "code": "SN004",
            "name": "unused-noqa",
            "family": "meta",
            "severity": "warning",
            "summary": Rule::UnusedNoqa.summary(),
            "fix": "Fix is always available.",
            "fix_availability": "Always",
            "opt_in": true,
            "explanation": Rule::UnusedNoqa.doc(),
        })
    );
    let all = run(&["rule", "--all", "--output-format", "json"]);
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), Rule::ALL.len());
    for (value, rule) in all.iter().zip(Rule::ALL) {
        assert_eq!(value["code"], rule.code());
        assert_eq!(value["explanation"], rule.doc());
    }
    assert_eq!(all[0]["fix"], "Fix is not available.");
    // A rule or `--all`, not both, not neither.
    for args in [&["rule"][..], &["rule", "SN201", "--all"]] {
        let output = assert_cmd::Command::cargo_bin("snarl")
            .unwrap()
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn the_readme_rule_table_lists_every_rule_with_its_fix() {
    let readme = include_str!("../README.md");
    for &rule in Rule::ALL {
        let row = readme
            .lines()
            .find(|line| line.starts_with(&format!("| {} | {} |", rule.code(), rule.name())))
            .unwrap_or_else(|| panic!("README lists no {}", rule.code()));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // `| code | name | what it finds | fix |`: the cell before the closing bar.
        let fix = cells[cells.len() - 2];
        let expected = match rule.fix_availability() {
            FixAvailability::Always => "always",
            FixAvailability::Sometimes => "sometimes",
            FixAvailability::None => "",
        };
        assert!(
            fix.split(',').next() == Some(expected),
            "{}: README says `{fix}`",
            rule.code()
        );
    }
}

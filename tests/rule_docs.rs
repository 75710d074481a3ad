//! Every rule has a doc in `rules/` with the four sections; its Example triggers the rule and its
//! Use-instead does not.

use std::path::PathBuf;

use snarl::config::{Options, Overrides, Settings};
use snarl::discover::DiscoveredFile;
use snarl::pipeline::{self, Input};
use snarl::rules::Rule;

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

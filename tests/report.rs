//! The output formats, on findings built by hand: related locations in the same file and in
//! another, a fix, a call-path flow, every severity, a medium-confidence finding, a multi-line span,
//! non-ASCII text before a finding, an empty span at the end of a file, a file with no text, and
//! an empty result.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use snarl::diagnostic::{Applicability, Confidence, Diagnostic, Edit, Fix, Related, Severity};
use snarl::python::{TextRange, TextSize};
use snarl::report::{self, OutputFormat, ReportOptions};
use snarl::rules::Rule;
use snarl::source::{FileId, SourceFile, SourceFiles, Span};

const WORKER: &str = r#"import threading

from pkg import state


def work():
    # Grüße, 世界: columns count characters
    for item in state.items:
        state.items.append(item)


def bump():
    with state.lock:
        state.counter += 1
    state.counter += 1


t = threading.Thread(target=work())
t.run()
étiquette = "ü"; threading.Thread(target=bump).run()
"#;

const STATE: &str = r#"import threading

counter = 0
items = []
lock = threading.Lock()
"#;

const BROKEN: &str = "def f(:\n    pass\n";

const WORKER_ID: FileId = FileId(0);
const STATE_ID: FileId = FileId(1);
const BROKEN_ID: FileId = FileId(2);
const UNREADABLE_ID: FileId = FileId(3);

fn files() -> SourceFiles {
    let file = |id: FileId, name: &str, text: &str| {
        SourceFile::new(id, PathBuf::from(name), name.to_string(), Arc::from(text))
    };
    SourceFiles::new(vec![
        file(WORKER_ID, "pkg/worker.py", WORKER),
        file(STATE_ID, "pkg/state.py", STATE),
        file(BROKEN_ID, "broken.py", BROKEN),
        file(UNREADABLE_ID, "unreadable.py", ""),
    ])
}

/// The span of the `nth` (0-based) occurrence of `needle` in `text`.
fn find(file: FileId, text: &str, needle: &str, nth: usize) -> Span {
    let start = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("`{needle}` occurs fewer than {} times", nth + 1))
        .0;
    let range = TextRange::at(
        TextSize::try_from(start).unwrap(),
        TextSize::try_from(needle.len()).unwrap(),
    );
    Span::new(file, range)
}

fn worker(needle: &str, nth: usize) -> Span {
    find(WORKER_ID, WORKER, needle, nth)
}

/// The findings, in the order the pipeline sorts them (file, then position).
fn diagnostics() -> Vec<Diagnostic> {
    let iteration = Diagnostic::new(
        Rule::IterationDuringMutation,
        worker(
            "for item in state.items:\n        state.items.append(item)",
            0,
        ),
        "`state.items` is iterated while a thread may change its size",
    )
    .with_related(
        worker("state.items.append(item)", 0),
        "changed here, inside the loop",
    )
    .with_related(
        find(STATE_ID, STATE, "items = []", 0),
        "`items` is defined here",
    )
    .with_help("Iterate over a copy: `for item in list(state.items):`.");

    let mut race = Diagnostic::new(
        Rule::UnsynchronizedReadModifyWrite,
        worker("state.counter += 1", 1),
        "`state.counter` is incremented without `state.lock`",
    )
    .with_related(
        worker("state.counter += 1", 0),
        "incremented here with `state.lock` held",
    )
    .with_related(
        find(STATE_ID, STATE, "counter = 0", 0),
        "`counter` is defined here",
    )
    .with_help("Hold `state.lock` around every update of `state.counter`.")
    .with_confidence(Confidence::Medium);
    race.flow = vec![
        Related {
            span: worker("threading.Thread(target=bump)", 0),
            message: "a thread runs `bump`".to_string(),
        },
        Related {
            span: worker("state.counter += 1", 1),
            message: "`bump` increments `state.counter`".to_string(),
        },
    ];

    let target_called = Diagnostic::new(
        Rule::ThreadTargetCalled,
        worker("work()", 1),
        "`work()` is called here; the thread is given its result, `None`",
    )
    .with_help("Pass the function itself: `target=work`.")
    .with_fix(Fix {
        applicability: Applicability::Unsafe,
        message: "Pass `work` instead of calling it".to_string(),
        edits: vec![Edit {
            range: worker("work()", 1).range,
            content: "work".to_string(),
        }],
    });

    let run_called = Diagnostic::new(
        Rule::ThreadRunCalled,
        worker("t.run()", 0),
        "`t.run()` runs `work` in this thread",
    )
    .with_help("Call `t.start()` to run it in a new thread.");

    // After non-ASCII text on the same line: the column counts characters, not bytes.
    let mut run_called_info = Diagnostic::new(
        Rule::ThreadRunCalled,
        worker(".run()", 1),
        "`.run()` runs `bump` in this thread",
    )
    .with_confidence(Confidence::Low);
    run_called_info.severity = Severity::Info;

    let end = TextSize::try_from(BROKEN.len()).unwrap();
    let syntax_error = Diagnostic::new(
        Rule::SyntaxError,
        Span::new(BROKEN_ID, TextRange::empty(end)),
        "Expected a parameter or `)`",
    );

    let io_error = Diagnostic::new(
        Rule::IoError,
        Span::new(UNREADABLE_ID, TextRange::empty(TextSize::new(0))),
        "cannot read `unreadable.py`: stream did not contain valid UTF-8",
    );

    vec![
        iteration,
        race,
        target_called,
        run_called,
        run_called_info,
        syntax_error,
        io_error,
    ]
}

fn render(format: OutputFormat, color: bool, diagnostics: &[Diagnostic]) -> String {
    let mut out = Vec::new();
    report::write(
        format,
        diagnostics,
        &files(),
        ReportOptions {
            color,
            ..ReportOptions::default()
        },
        &mut out,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

/// `text` with the working directory (the absolute paths' prefix) replaced by `[CWD]`.
fn without_cwd(text: &str) -> String {
    let cwd = std::env::current_dir().unwrap();
    let cwd = serde_json::to_string(&cwd.to_string_lossy()).unwrap();
    text.replace(cwd.trim_matches('"'), "[CWD]")
}

/// `text` without ANSI color and style sequences.
fn strip_ansi(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

#[test]
fn full() {
    insta::assert_snapshot!(render(OutputFormat::Full, false, &diagnostics()));
}

#[test]
fn full_with_color_is_full_without_color_plus_styles() {
    let colored = render(OutputFormat::Full, true, &diagnostics());
    let plain = render(OutputFormat::Full, false, &diagnostics());
    assert!(colored.contains('\x1b'));
    assert!(!plain.contains('\x1b'));
    assert_eq!(strip_ansi(&colored), plain);
}

#[test]
fn full_shows_rows_and_columns_in_characters() {
    let full = render(OutputFormat::Full, false, &diagnostics());
    let concise = render(OutputFormat::Concise, false, &diagnostics());
    // `étiquette = "ü"; threading.Thread(target=bump).run()`: `.run()` is at character 47.
    assert!(concise.contains("pkg/worker.py:20:47: SN103"), "{concise}");
    assert!(full.contains("--> pkg/worker.py:20:47\n"), "{full}");
}

#[test]
fn concise() {
    insta::assert_snapshot!(render(OutputFormat::Concise, false, &diagnostics()));
}

#[test]
fn concise_with_color() {
    let colored = render(OutputFormat::Concise, true, &diagnostics());
    let first = colored.lines().nth(2).unwrap();
    assert_eq!(
        first,
        "\x1b[1mpkg/worker.py\x1b[0m\x1b[36m:\x1b[0m18\x1b[36m:\x1b[0m29\x1b[36m:\x1b[0m \
         \x1b[1;31mSN101\x1b[0m `work()` is called here; the thread is given its result, `None`"
    );
    assert_eq!(
        strip_ansi(&colored),
        render(OutputFormat::Concise, false, &diagnostics())
    );
}

#[test]
fn json() {
    let json = render(OutputFormat::Json, false, &diagnostics());
    insta::assert_snapshot!(without_cwd(&json));
}

#[test]
fn json_lines() {
    let lines = render(OutputFormat::JsonLines, false, &diagnostics());
    insta::assert_snapshot!(without_cwd(&lines));
}

#[test]
fn json_lines_are_the_json_array_elements() {
    let json: Value =
        serde_json::from_str(&render(OutputFormat::Json, false, &diagnostics())).unwrap();
    let lines: Vec<Value> = render(OutputFormat::JsonLines, false, &diagnostics())
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(json, Value::Array(lines));
}

#[test]
fn github() {
    insta::assert_snapshot!(render(OutputFormat::Github, false, &diagnostics()));
}

#[test]
fn github_escapes_messages_and_properties() {
    let files = SourceFiles::new(vec![SourceFile::new(
        FileId(0),
        PathBuf::from("a,b:c.py"),
        "a,b:c.py".to_string(),
        Arc::from("t.run()\n"),
    )]);
    let diagnostic = Diagnostic::new(
        Rule::ThreadRunCalled,
        Span::new(FileId(0), TextRange::at(TextSize::new(0), TextSize::new(7))),
        "100% in this thread,\nnot another: see",
    );
    let mut out = Vec::new();
    report::write(
        OutputFormat::Github,
        &[diagnostic],
        &files,
        ReportOptions::default(),
        &mut out,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "::warning title=snarl (SN103),file=a%2Cb%3Ac.py,line=1,col=1,endLine=1,endColumn=8::\
         SN103 100%25 in this thread,%0Anot another: see\n"
    );
}

/// The SARIF log with its machine- and release-dependent parts replaced by placeholders: the
/// working directory, the version, and the rules (checked by `sarif_rules_and_indices`).
fn sarif_for_snapshot(sarif: &str) -> String {
    let log: Value = serde_json::from_str(sarif).unwrap();
    let srcroot = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(srcroot.starts_with("file:///") && srcroot.ends_with('/'));
    // The rules array: from its key to the bracket that closes it, at the key's indentation.
    let key = "\n          \"rules\": [";
    let start = sarif.find(key).unwrap() + 1;
    let end = start + sarif[start..].find("\n          ]").unwrap() + "\n          ]".len();
    let mut redacted = sarif.to_string();
    redacted.replace_range(start..end, "          \"rules\": \"[every rule]\"");
    redacted.replace(srcroot, "file://[CWD]/").replacen(
        &format!(
            "\"snarl\",\n          \"version\": \"{}\"",
            env!("CARGO_PKG_VERSION")
        ),
        "\"snarl\",\n          \"version\": \"[VERSION]\"",
        1,
    )
}

#[test]
fn sarif() {
    let sarif = render(OutputFormat::Sarif, false, &diagnostics());
    let redacted = sarif_for_snapshot(&sarif);
    assert!(
        redacted.contains("\"rules\": \"[every rule]\""),
        "{redacted}"
    );
    insta::assert_snapshot!(redacted);
}

#[test]
fn sarif_rules_and_indices() {
    let log: Value =
        serde_json::from_str(&render(OutputFormat::Sarif, false, &diagnostics())).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"]
        .as_str()
        .unwrap()
        .contains("sarif-schema-2.1.0"));
    let run = &log["runs"][0];
    assert_eq!(log["runs"].as_array().unwrap().len(), 1);
    assert_eq!(run["tool"]["driver"]["name"], "snarl");
    assert_eq!(run["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(run["columnKind"], "unicodeCodePoints");

    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), Rule::ALL.len());
    for (descriptor, rule) in rules.iter().zip(Rule::ALL) {
        assert_eq!(descriptor["id"], rule.code());
        assert_eq!(descriptor["name"], rule.name());
        assert_eq!(descriptor["shortDescription"]["text"], rule.summary());
        assert!(!descriptor["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .is_empty());
        assert_eq!(descriptor["help"]["markdown"], rule.doc());
        let level = match rule.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        assert_eq!(descriptor["defaultConfiguration"]["level"], level);
    }

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), diagnostics().len());
    for (result, diagnostic) in results.iter().zip(diagnostics()) {
        let index = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert_eq!(result["ruleId"], diagnostic.rule.code());
    }
}

#[test]
fn statistics() {
    let mut out = Vec::new();
    report::write_statistics(
        &diagnostics(),
        OutputFormat::Full,
        ReportOptions::default(),
        &mut out,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "2\tSN103\tthread-run-called\n\
         1\tSN001\tsyntax-error\n\
         1\tSN002\tio-error\n\
         1\tSN101\tthread-target-called\n\
         1\tSN201\tunsynchronized-read-modify-write\n\
         1\tSN204\titeration-during-mutation\n"
    );
}

#[test]
fn statistics_mark_rules_all_some_or_none_fixable() {
    // As ruff: `[*]` every finding has a fix `--fix` applies, `[-]` some, `[ ]` none; an unsafe
    // fix is not one `--fix` applies.
    let span = worker("t.run()", 0);
    let fix = |applicability| Fix {
        applicability,
        message: "fix".to_string(),
        edits: Vec::new(),
    };
    let mut diagnostics = vec![Diagnostic::new(Rule::ThreadRunCalled, span, "run"); 3];
    diagnostics[0].fix = Some(fix(Applicability::Safe));
    diagnostics
        .push(Diagnostic::new(Rule::UnusedNoqa, span, "noqa").with_fix(fix(Applicability::Safe)));
    diagnostics.push(
        Diagnostic::new(Rule::ThreadStartedTwice, span, "twice")
            .with_fix(fix(Applicability::Unsafe)),
    );
    let mut out = Vec::new();
    report::write_statistics(
        &diagnostics,
        OutputFormat::Full,
        ReportOptions::default(),
        &mut out,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "3\tSN103\t[-] thread-run-called\n\
         1\tSN004\t[*] unused-noqa\n\
         1\tSN108\t[ ] thread-started-twice\n"
    );
    let mut out = Vec::new();
    report::write_statistics(
        &diagnostics,
        OutputFormat::Json,
        ReportOptions::default(),
        &mut out,
    )
    .unwrap();
    let value: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(value["total"], 5);
    assert_eq!(value["fixable"], 2);
    assert_eq!(value["rules"][0]["fixable_count"], 1);
    assert_eq!(value["rules"][0]["fixable"], false);
    assert_eq!(value["rules"][1]["fixable"], true);

    let mut summary = Vec::new();
    report::write_summary(&diagnostics, false, &mut summary).unwrap();
    assert_eq!(
        String::from_utf8(summary).unwrap(),
        "Found 5 findings (2 fixable with --fix, 1 more with --unsafe-fixes).\n"
    );
}

#[test]
fn statistics_align_counts_and_mark_fixes_only_when_any() {
    let span = worker("t.run()", 0);
    let mut diagnostics = vec![Diagnostic::new(Rule::ThreadRunCalled, span, "run"); 12];
    diagnostics.push(Diagnostic::new(Rule::ThreadStartedTwice, span, "twice"));
    let mut out = Vec::new();
    report::write_statistics(
        &diagnostics,
        OutputFormat::Concise,
        ReportOptions::default(),
        &mut out,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "12\tSN103\tthread-run-called\n 1\tSN108\tthread-started-twice\n"
    );
}

#[test]
fn empty_result() {
    for format in [
        OutputFormat::Full,
        OutputFormat::Concise,
        OutputFormat::JsonLines,
        OutputFormat::Github,
    ] {
        assert_eq!(render(format, true, &[]), "", "{format:?}");
    }
    assert_eq!(render(OutputFormat::Json, false, &[]), "[]\n");
    let log: Value = serde_json::from_str(&render(OutputFormat::Sarif, false, &[])).unwrap();
    assert_eq!(log["runs"][0]["results"], Value::Array(Vec::new()));
    assert!(log["runs"][0].get("originalUriBaseIds").is_none());
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        Rule::ALL.len()
    );
    let mut out = Vec::new();
    report::write_statistics(&[], OutputFormat::Full, ReportOptions::default(), &mut out).unwrap();
    assert!(out.is_empty());
}

#[test]
fn full_handles_crlf_and_tabs() {
    let text = "import threading\r\n\r\nif True:\r\n\tt = threading.Thread()\r\n\tt.run()\r\n";
    let files = SourceFiles::new(vec![SourceFile::new(
        FileId(0),
        PathBuf::from("crlf.py"),
        "crlf.py".to_string(),
        Arc::from(text),
    )]);
    let diagnostic = Diagnostic::new(
        Rule::ThreadRunCalled,
        find(FileId(0), text, "t.run()", 0),
        "`t.run()` runs in this thread",
    );
    let mut out = Vec::new();
    report::write(
        OutputFormat::Full,
        &[diagnostic],
        &files,
        ReportOptions::default(),
        &mut out,
    )
    .unwrap();
    let full = String::from_utf8(out).unwrap();
    assert!(!full.contains('\r'), "{full:?}");
    insta::assert_snapshot!(full);
}

/// A decorated class of many lines, a method of it far below the class line.
const SCHEDULER: &str = r#"import threading


@register
class Scheduler:
    """Runs jobs.

    Many lines of documentation
    that nobody needs to see
    in a report about one line.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._jobs = {}

    def add(self, job):
        with self._lock:
            self._jobs[job.id] = job

    def remove(self, job):
        with self._lock:
            del self._jobs[job.id]

    def clear(self):
        self._jobs.clear()
"#;

fn scheduler_files() -> SourceFiles {
    SourceFiles::new(vec![
        SourceFile::new(
            FileId(0),
            PathBuf::from("sched.py"),
            "sched.py".to_string(),
            Arc::from(SCHEDULER),
        ),
        SourceFile::new(
            FileId(1),
            PathBuf::from("pkg/state.py"),
            "pkg/state.py".to_string(),
            Arc::from(STATE),
        ),
    ])
}

fn full_of(diagnostics: &[Diagnostic], files: &SourceFiles) -> String {
    let mut out = Vec::new();
    report::write(
        OutputFormat::Full,
        diagnostics,
        files,
        ReportOptions::default(),
        &mut out,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn full_cuts_a_long_related_span_to_its_header_line() {
    let sched = |needle: &str, nth: usize| find(FileId(0), SCHEDULER, needle, nth);
    let class_start = SCHEDULER.find("@register").unwrap();
    let whole_class = Span::new(
        FileId(0),
        TextRange::new(
            TextSize::try_from(class_start).unwrap(),
            TextSize::try_from(SCHEDULER.len() - 1).unwrap(),
        ),
    );
    let with_block = sched("with self._lock:\n            self._jobs[job.id] = job", 0);
    let diagnostic = Diagnostic::new(
        Rule::InconsistentLockProtection,
        sched("self._jobs.clear()", 0),
        "`Scheduler._jobs` is changed here without `Scheduler._lock`",
    )
    .with_related(whole_class, "`Scheduler` takes a lock in its methods")
    .with_related(with_block, "changed under `Scheduler._lock` here")
    .with_related(with_block, "changed under `Scheduler._lock` here")
    .with_confidence(Confidence::Medium);
    let full = full_of(&[diagnostic], &scheduler_files());
    insta::assert_snapshot!(full);
    // The class is shown by its `class` line, not its decorator, docstring or body.
    assert!(full.contains(" 5 | class Scheduler:\n"), "{full}");
    assert!(!full.contains("@register"), "{full}");
    assert!(!full.contains("Many lines"), "{full}");
    // The headline is said once: the primary underline has no label.
    assert_eq!(full.matches("is changed here without").count(), 1, "{full}");
}

#[test]
fn full_counts_the_related_locations_it_does_not_show() {
    let mut diagnostic = Diagnostic::new(
        Rule::UnsynchronizedReadModifyWrite,
        worker("state.counter += 1", 1),
        "`state.counter` is incremented without a lock",
    );
    for line in [
        "counter = 0",
        "items = []",
        "lock = threading.Lock()",
        "import threading",
    ] {
        diagnostic = diagnostic.with_related(find(STATE_ID, STATE, line, 0), format!("`{line}`"));
    }
    let full = render(OutputFormat::Full, false, &[diagnostic]);
    assert_eq!(
        full.matches("\n   | -").count() + full.matches("\n  | -").count(),
        MAX_RELATED_SHOWN
    );
    assert!(
        full.contains("note: 1 more related location (`--output-format json` lists them all)\n"),
        "{full}"
    );
}

const MAX_RELATED_SHOWN: usize = report::MAX_RELATED;

#[test]
fn human_formats_escape_control_characters_in_messages() {
    let diagnostic = Diagnostic::new(
        Rule::SyntaxError,
        worker("t.run()", 0),
        "Got unexpected token \0\x1b[31m\nnext",
    );
    for format in [
        OutputFormat::Full,
        OutputFormat::Concise,
        OutputFormat::Github,
    ] {
        let text = render(format, false, std::slice::from_ref(&diagnostic));
        // GitHub's runner decodes `%0A` into the annotation's line break.
        let newline = if format == OutputFormat::Github {
            "%0A"
        } else {
            r"\n"
        };
        assert!(
            text.contains(&format!(r"Got unexpected token \0\x1b[31m{newline}next")),
            "{format:?}: {text:?}"
        );
        assert!(
            !text.contains('\0') && !text.contains('\x1b'),
            "{format:?}: {text:?}"
        );
    }
}

#[test]
fn gitlab() {
    insta::assert_snapshot!(render(OutputFormat::Gitlab, false, &diagnostics()));
}

/// GitLab's Code Quality report format (the Code Climate issue subset GitLab reads): an array of
/// issues, each with a string `description`, `check_name` and `fingerprint`, a `severity` from
/// GitLab's five, and a `location` with a relative `path` and a `positions.begin.line` (or
/// `lines.begin`) that is a positive integer. Fingerprints must be unique.
fn validate_gitlab(report: &str) -> Result<usize, String> {
    let value: Value = serde_json::from_str(report).map_err(|e| format!("not JSON: {e}"))?;
    let issues = value.as_array().ok_or("not an array")?;
    let mut fingerprints = std::collections::HashSet::new();
    for (i, issue) in issues.iter().enumerate() {
        let string = |key: &str| {
            issue[key]
                .as_str()
                .filter(|s| !s.is_empty())
                .ok_or(format!("issue {i}: `{key}` is not a non-empty string"))
        };
        string("description")?;
        string("check_name")?;
        let fingerprint = string("fingerprint")?;
        if !fingerprints.insert(fingerprint.to_string()) {
            return Err(format!("issue {i}: fingerprint {fingerprint} repeats"));
        }
        let severity = string("severity")?;
        if !["info", "minor", "major", "critical", "blocker"].contains(&severity) {
            return Err(format!("issue {i}: severity `{severity}`"));
        }
        let location = &issue["location"];
        let path = location["path"]
            .as_str()
            .ok_or(format!("issue {i}: no location.path"))?;
        if path.starts_with('/') {
            return Err(format!("issue {i}: path `{path}` is not relative"));
        }
        let begin = location["positions"]["begin"]["line"]
            .as_u64()
            .or_else(|| location["lines"]["begin"].as_u64())
            .ok_or(format!("issue {i}: no begin line"))?;
        if begin == 0 {
            return Err(format!("issue {i}: lines count from 1"));
        }
        for end in ["begin", "end"] {
            let position = &location["positions"][end];
            if position["line"].as_u64().is_none() || position["column"].as_u64().is_none() {
                return Err(format!("issue {i}: positions.{end} needs line and column"));
            }
        }
    }
    Ok(issues.len())
}

#[test]
fn gitlab_is_a_valid_code_quality_report() {
    let report = render(OutputFormat::Gitlab, false, &diagnostics());
    assert_eq!(validate_gitlab(&report), Ok(diagnostics().len()));
    assert_eq!(
        validate_gitlab(&render(OutputFormat::Gitlab, false, &[])),
        Ok(0)
    );
    // Two findings of one rule on identical lines still get different fingerprints.
    let twice = vec![
        Diagnostic::new(Rule::ThreadRunCalled, worker("t.run()", 0), "a"),
        Diagnostic::new(Rule::ThreadRunCalled, worker("t.run()", 0), "a"),
    ];
    assert_eq!(
        validate_gitlab(&render(OutputFormat::Gitlab, false, &twice)),
        Ok(2)
    );
    // The validator has teeth.
    assert!(validate_gitlab(r#"[{"description": "x"}]"#).is_err());
    assert!(validate_gitlab(&report.replace("\"major\"", "\"severe\"")).is_err());
}

#[test]
fn junit() {
    insta::assert_snapshot!(without_cwd(&render(
        OutputFormat::Junit,
        false,
        &diagnostics()
    )));
}

/// The JUnit XML structure CI systems read (Jenkins' `junit.xsd`, as ruff writes it):
/// well-formed XML, a `testsuites` root with counts, `testsuite` children with `name`, `tests`
/// and `failures` that match their `testcase`s, each test case with `name` and `classname`, and
/// a `failure` with a `message` for each finding.
fn validate_junit(report: &str) -> Result<(usize, usize), String> {
    let document = roxmltree::Document::parse(report).map_err(|e| format!("not XML: {e}"))?;
    let root = document.root_element();
    if root.tag_name().name() != "testsuites" {
        return Err(format!("root is <{}>", root.tag_name().name()));
    }
    let number = |node: roxmltree::Node, attribute: &str| {
        node.attribute(attribute)
            .and_then(|v| v.parse::<usize>().ok())
            .ok_or(format!(
                "<{}> lacks a numeric `{attribute}`",
                node.tag_name().name()
            ))
    };
    let (mut tests, mut failures) = (0, 0);
    for suite in root.children().filter(|n| n.is_element()) {
        if suite.tag_name().name() != "testsuite" || suite.attribute("name").is_none() {
            return Err("a child of <testsuites> is not a named <testsuite>".to_string());
        }
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let failed = cases
            .iter()
            .filter(|case| case.children().any(|n| n.has_tag_name("failure")))
            .count();
        if number(suite, "tests")? != cases.len() || number(suite, "failures")? != failed {
            return Err(format!(
                "suite {:?}: counts do not match",
                suite.attribute("name")
            ));
        }
        for case in &cases {
            if case.attribute("name").is_none() || case.attribute("classname").is_none() {
                return Err("a <testcase> lacks name or classname".to_string());
            }
            for failure in case.children().filter(|n| n.has_tag_name("failure")) {
                if failure.attribute("message").is_none() {
                    return Err("a <failure> lacks a message".to_string());
                }
            }
        }
        tests += cases.len();
        failures += failed;
    }
    if number(root, "tests")? != tests || number(root, "failures")? != failures {
        return Err("the <testsuites> counts do not match".to_string());
    }
    Ok((tests, failures))
}

#[test]
fn junit_is_well_formed_with_the_junit_structure() {
    let n = diagnostics().len();
    assert_eq!(
        validate_junit(&render(OutputFormat::Junit, false, &diagnostics())),
        Ok((n, n))
    );
    // No findings: one passing test case.
    assert_eq!(
        validate_junit(&render(OutputFormat::Junit, false, &[])),
        Ok((1, 0))
    );
    // Markup and control characters in a message stay text.
    let nasty = Diagnostic::new(
        Rule::SyntaxError,
        worker("t.run()", 0),
        "<failure message=\"x\"> & \0 ]]> '",
    );
    let report = render(OutputFormat::Junit, false, &[nasty]);
    assert_eq!(validate_junit(&report), Ok((1, 1)));
    let document = roxmltree::Document::parse(&report).unwrap();
    let failure = document
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(
        failure.attribute("message"),
        Some("<failure message=\"x\"> & \\0 ]]> '")
    );
    // The validator has teeth.
    assert!(validate_junit(
        "<testsuites><testsuite name=\"a\" tests=\"2\" failures=\"0\"/></testsuites>"
    )
    .is_err());
    assert!(validate_junit("<testsuites>").is_err());
}

//! Bad input never crashes snarl: every unreadable, undecodable, unparsable, huge or absurdly deep
//! file gives a finding for that file (or is analyzed), and the run goes on with the other files.

mod common;

use common::{Project, BROKEN, CLEAN};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The full concise report of a run, with its exit code and stderr.
fn report(project: &Project, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["check", "--output-format", "concise"];
    all.extend_from_slice(args);
    let output = project.snarl(&all).output().unwrap();
    (
        output
            .status
            .code()
            .expect("snarl exited with a code, not a signal"),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[cfg(unix)]
#[test]
fn a_dangling_symlink_is_an_sn002_finding() {
    let project = Project::new("dangling");
    project.write("broken.py", BROKEN).write("pkg/ok.py", CLEAN);
    std::os::unix::fs::symlink(project.path("missing.py"), project.path("pkg/x.py")).unwrap();
    let (code, stdout, _) = report(&project, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        common::findings(&stdout),
        strings(&["broken.py SN001", "pkg/x.py SN002"])
    );
    assert!(
        stdout.contains("pkg/x.py:1:1: SN002 cannot read `pkg/x.py`: No such file or directory"),
        "{stdout}"
    );
    // Named on the command line, it is reported the same way, not as a missing path.
    let (code, stdout, _) = report(&project, &["pkg/x.py", "pkg/ok.py"]);
    assert_eq!(code, 1);
    assert_eq!(common::findings(&stdout), strings(&["pkg/x.py SN002"]));
}

#[cfg(unix)]
#[test]
fn a_symlink_to_a_python_file_is_checked_through_it() {
    let project = Project::new("symlink");
    project.write("real/target.py", BROKEN);
    std::os::unix::fs::symlink(project.path("real/target.py"), project.path("link.py")).unwrap();
    std::os::unix::fs::symlink(project.path("real"), project.path("linked_dir")).unwrap();
    // The link is checked; the symlinked directory is not walked twice.
    assert_eq!(
        project.check(&[]).1,
        strings(&["link.py SN001", "real/target.py SN001"])
    );
}

#[test]
fn invalid_utf8_is_an_sn002_finding() {
    let project = Project::new("utf8");
    project
        .write("latin1.py", b"name = '\xe9t\xe9'\n")
        .write("broken.py", BROKEN);
    let (code, stdout, _) = report(&project, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        common::findings(&stdout),
        strings(&["broken.py SN001", "latin1.py SN002"])
    );
    assert!(stdout.contains(
        "latin1.py:1:1: SN002 cannot read `latin1.py`: not valid UTF-8 (first bad byte at offset 8)"
    ));
}

#[test]
fn syntax_errors_are_findings_and_the_rest_is_analyzed() {
    let project = Project::new("syntax");
    project
        .write("a.py", "def f(:\n    pass\n")
        .write("b.py", "class\n")
        .write("c.py", "x = 'unterminated\n")
        .write("d.py", "\t  if x:\n  pass\n")
        .write("e.py", "\0\0\0")
        .write("f.py", "")
        .write("g.py", "\u{feff}x = 1\n")
        .write("h.py", "x = 1\r\ny = 2\rz = 3\n");
    let (code, findings, stderr) = project.check(&[]);
    assert_eq!(code, 1, "{stderr}");
    let files: std::collections::BTreeSet<&str> = findings
        .iter()
        .map(|f| f.split_once(' ').unwrap().0)
        .collect();
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        vec!["a.py", "b.py", "c.py", "d.py", "e.py"]
    );
    assert!(findings.iter().all(|f| f.ends_with(" SN001")));
}

#[test]
fn a_large_file_is_analyzed() {
    // About 6 MB; `try 100 MB by hand` is in the report, not in the test suite.
    let mut source = String::new();
    let mut i = 0;
    while source.len() < 6_000_000 {
        source.push_str(&format!(
            "def f{i}(a, b):\n    x = [a + b * {i} for _ in range(3)]\n    return {{'k': x}}\n\n"
        ));
        i += 1;
    }
    let lines = source.lines().count();
    source.push_str(BROKEN);
    let project = Project::new("large");
    project.write("big.py", &source).write("other.py", BROKEN);
    let (code, stdout, _) = report(&project, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        common::findings(&stdout),
        strings(&["big.py SN001", "other.py SN001"])
    );
    assert!(
        stdout.starts_with(&format!("big.py:{}:8: SN001", lines + 1)),
        "{stdout}"
    );
}

/// Generated files that nest far deeper than any hand-written code.
fn deep_sources() -> Vec<(&'static str, String)> {
    let indented_ifs: String = (0..2_000)
        .map(|depth| format!("{}if x:\n", "\t".repeat(depth)))
        .chain(std::iter::once(format!("{}pass\n", "\t".repeat(2_000))))
        .collect();
    let nested_defs: String = (0..1_000)
        .map(|depth| format!("{}def f(self):\n", " ".repeat(depth)))
        .chain(std::iter::once(format!("{}return 1\n", " ".repeat(1_000))))
        .collect();
    let nested_classes: String = (0..1_000)
        .map(|depth| format!("{}class C:\n", " ".repeat(depth)))
        .chain(std::iter::once(format!("{}x = 1\n", " ".repeat(1_000))))
        .collect();
    vec![
        (
            "parens.py",
            format!("x = {}1{}\n", "(".repeat(100_000), ")".repeat(100_000)),
        ),
        ("sum.py", format!("x = 1{}\n", "+1".repeat(199_999))),
        ("nots.py", format!("x = {}y\n", "not ".repeat(100_000))),
        (
            "lists.py",
            format!("x = {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
        ),
        ("attributes.py", format!("a{}()\n", ".b".repeat(100_000))),
        ("calls.py", format!("f{}\n", "()".repeat(100_000))),
        (
            "lambdas.py",
            format!("f = {}0\n", "lambda: ".repeat(50_000)),
        ),
        (
            "ternaries.py",
            format!("x = {}0\n", "1 if c else ".repeat(50_000)),
        ),
        ("indented_ifs.py", indented_ifs),
        ("nested_defs.py", nested_defs),
        ("nested_classes.py", nested_classes),
    ]
}

#[test]
fn deeply_nested_code_does_not_overflow_the_stack() {
    let project = Project::new("deep");
    let sources = deep_sources();
    for (name, source) in &sources {
        project.write(&format!("deep/{name}"), source);
    }
    project.write("deep/zz_broken.py", BROKEN);
    // Together, on one worker thread.
    let (code, findings, stderr) = project.check(&["--threads", "1"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(findings, strings(&["deep/zz_broken.py SN001"]));
    // Alone: one file is analyzed on whatever thread rayon picks for a one-element job.
    for (name, _) in &sources {
        let path = format!("deep/{name}");
        let (code, findings, stderr) = project.check(&["--threads", "1", &path]);
        assert_eq!((code, findings), (0, vec![]), "{name}: {stderr}");
    }
}

#[test]
fn deeply_nested_code_with_syntax_errors_is_a_finding() {
    let project = Project::new("deep-broken");
    project
        .write("unclosed.py", "x = ".to_string() + &"(".repeat(100_000))
        .write("dangling.py", format!("x = {}\n", "not ".repeat(100_000)))
        .write(
            "half.py",
            format!("x = {}{}\n", "[".repeat(100_000), "]".repeat(50_000)),
        );
    let (code, findings, stderr) = project.check(&["--threads", "1"]);
    assert_eq!(code, 1, "{stderr}");
    let files: std::collections::BTreeSet<&str> = findings
        .iter()
        .map(|f| f.split_once(' ').unwrap().0)
        .collect();
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        vec!["dangling.py", "half.py", "unclosed.py"]
    );
}

#[test]
fn deeply_nested_code_on_stdin_does_not_overflow_the_stack() {
    let project = Project::new("deep-stdin");
    let source = format!("x = 1{}\ny = 1 +\n", "+1".repeat(199_999));
    let output = project
        .snarl(&[
            "check",
            "--output-format",
            "concise",
            "-",
            "--stdin-filename",
            "deep.py",
        ])
        .write_stdin(source)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        common::findings(&String::from_utf8(output.stdout).unwrap()),
        strings(&["deep.py SN001"])
    );
}

#[test]
fn invalid_utf8_on_stdin_is_an_sn002_finding() {
    let project = Project::new("stdin-utf8");
    let output = project
        .snarl(&[
            "check",
            "--output-format",
            "concise",
            "-",
            "--stdin-filename",
            "in.py",
        ])
        .write_stdin(b"x = '\xff'\n".to_vec())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "in.py:1:1: SN002 cannot read `in.py`: not valid UTF-8 (first bad byte at offset 5)\n\
         Found 1 finding.\n"
    );
}

#[test]
fn a_noqa_comment_followed_by_non_ascii_text_is_read_not_a_crash() {
    let project = Project::new("noqa-utf8");
    project.write(
        "m.py",
        "import threading\n\
         def run(): pass\n\
         threading.Thread(target=run()).start()  # noqa: SN101 — called on purpose\n\
         threading.Thread(target=run()).start()  # noqa: A002 — keep the name\n",
    );
    let (code, stdout, _) = report(&project, &[]);
    assert_eq!(code, 1);
    // The first line is suppressed, the second (another tool's code) is reported; no SN003.
    assert_eq!(common::findings(&stdout), strings(&["m.py SN101"]));
    assert!(stdout.contains("m.py:4:"), "{stdout}");
}

#[test]
fn control_characters_in_messages_and_source_are_shown_escaped() {
    let project = Project::new("nul");
    project.write("nul.py", "x = 1\n\0\0\n");
    for format in ["concise", "full"] {
        let (code, stdout, _) = report_in(&project, format);
        assert_eq!(code, 1);
        assert!(!stdout.contains('\0'), "{format}: {stdout:?}");
        assert!(
            stdout.contains(r"unexpected token \0"),
            "{format}: {stdout:?}"
        );
    }
    // In the snippet, the NUL bytes are their visible pictures.
    assert!(report_in(&project, "full").1.contains("2 | ␀␀\n"));
}

fn report_in(project: &Project, format: &str) -> (i32, String, String) {
    let output = project
        .snarl(&["check", "--output-format", format])
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn files_with_a_coding_declaration_are_decoded_as_cpython_does() {
    let project = Project::new("pep263");
    project
        .write(
            "latin.py",
            b"# -*- coding: latin-1 -*-\nimport threading\nname = '\xe9t\xe9'\n\ndef run(): pass\n\nthreading.Thread(target=run()).start()\n".as_slice(),
        )
        .write("cyrillic.py", b"#!/usr/bin/env python\n# coding: koi8-r\ns = '\xd0\xd2\xc9\xd7\xc5\xd4'\n".as_slice())
        .write("unknown.py", b"# coding: klingon\nx = 1\n".as_slice());
    let (code, stdout, _) = report(&project, &[]);
    assert_eq!(code, 1);
    // The latin-1 file is analyzed (its SN101 is found); the unknown codec is a read error.
    assert_eq!(
        common::findings(&stdout),
        strings(&["latin.py SN101", "unknown.py SN002"])
    );
    assert!(
        stdout.contains("declares the encoding `klingon`"),
        "{stdout}"
    );
}

/// Hostile files side by side: each becomes a clear finding or is checked like any other, and the
/// run goes on to the next. A NUL byte is a syntax error (CPython rejects it too), random bytes are
/// unreadable, a lone BOM is an empty module, a 10 MB line is a line, a directory named `x.py` is
/// a directory (its files are checked), and a symlink loop is not followed.
#[test]
fn hostile_files_in_one_tree_each_get_their_finding() {
    let project = Project::new("hostile-tree");
    project.write("nul.py", b"x = 1\0\ny = 2\n");
    // Bytes that are not UTF-8 at offset 5, whatever follows.
    let mut random: Vec<u8> = b"x = 1".to_vec();
    random.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 0x80));
    project.write("random.py", random);
    project.write("bom.py", b"\xef\xbb\xbf");
    project.write("long.py", format!("x = \"{}\"\n", "a".repeat(10_000_000)));
    project.write("x.py/inner.py", "y = (\n");
    std::fs::create_dir_all(project.path("loop")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("../loop", project.path("loop/self")).unwrap();
    let (code, findings, stderr) = project.check(&["--no-cache"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        findings,
        strings(&[
            "nul.py SN001",
            "nul.py SN001",
            "random.py SN002",
            "x.py/inner.py SN001"
        ])
    );
    assert_eq!(stderr, "");
}

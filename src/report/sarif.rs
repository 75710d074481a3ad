//! `sarif`: SARIF 2.1.0, for code-scanning services (GitHub code scanning, IDE viewers).
//!
//! The driver lists every rule snarl has, in code order, so `ruleIndex` is stable across runs
//! whatever was found. Paths are URIs relative to `%SRCROOT%` (the working directory, the same base
//! the other formats' relative names use); columns are counted in Unicode code points, as snarl
//! counts them everywhere, and `columnKind` says so (SARIF's default is UTF-16 code units).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Related, Severity};
use crate::python::TextRange;
use crate::rules::Rule;
use crate::source::{absolute, Location, SourceFile, SourceFiles, Span};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base the relative URIs resolve against.
const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<RuleDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Message,
    full_description: Message,
    help: MarkdownMessage,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct MarkdownMessage {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: [SarifLocation; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    code_flows: Vec<CodeFlow>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
    properties: Properties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation {
    id: usize,
    physical_location: PhysicalLocation,
    message: Message,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CodeFlow {
    thread_flows: [ThreadFlow; 1],
}

#[derive(Serialize)]
struct ThreadFlow {
    locations: Vec<ThreadFlowLocation>,
}

#[derive(Serialize)]
struct ThreadFlowLocation {
    location: SarifLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Message,
    artifact_changes: [ArtifactChange; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: InsertedContent,
}

#[derive(Serialize)]
struct InsertedContent {
    text: String,
}

/// snarl's own facts about a result, in SARIF's property bag.
#[derive(Serialize)]
struct Properties<'a> {
    name: &'static str,
    severity: &'static str,
    confidence: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

pub fn write(
    diagnostics: &[Diagnostic],
    files: &SourceFiles,
    out: &mut dyn Write,
) -> io::Result<()> {
    let results: Vec<SarifResult> = diagnostics
        .iter()
        .map(|diagnostic| result(diagnostic, files))
        .collect();
    let mut original_uri_base_ids = BTreeMap::new();
    if diagnostics.iter().any(|d| uses_srcroot(files, d)) {
        if let Ok(cwd) = std::env::current_dir() {
            let mut uri = file_uri(&cwd);
            if !uri.ends_with('/') {
                uri.push('/');
            }
            original_uri_base_ids.insert(
                SRCROOT,
                ArtifactLocation {
                    uri,
                    uri_base_id: None,
                },
            );
        }
    }
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool { driver: driver() },
            original_uri_base_ids,
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

fn driver() -> Driver {
    let information_uri = [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|uri| !uri.is_empty());
    Driver {
        name: "snarl",
        version: env!("CARGO_PKG_VERSION"),
        information_uri,
        rules: Rule::ALL
            .iter()
            .map(|&rule| RuleDescriptor {
                id: rule.code(),
                name: rule.name(),
                short_description: Message {
                    text: rule.summary().to_string(),
                },
                full_description: Message {
                    text: what_it_does(rule.doc()).unwrap_or_else(|| rule.summary().to_string()),
                },
                help: MarkdownMessage {
                    text: rule.doc(),
                    markdown: rule.doc(),
                },
                default_configuration: Configuration {
                    level: level(rule.severity()),
                },
            })
            .collect(),
    }
}

fn result<'a>(diagnostic: &'a Diagnostic, files: &SourceFiles) -> SarifResult<'a> {
    let rule = diagnostic.rule;
    let text = match &diagnostic.help {
        Some(help) => format!("{}\n\nhelp: {help}", diagnostic.message),
        None => diagnostic.message.clone(),
    };
    let related_locations = diagnostic
        .related
        .iter()
        .enumerate()
        .map(|(id, related)| RelatedLocation {
            id,
            physical_location: physical_location(files, related.span),
            message: Message {
                text: related.message.clone(),
            },
        })
        .collect();
    let code_flows = if diagnostic.flow.is_empty() {
        Vec::new()
    } else {
        vec![CodeFlow {
            thread_flows: [ThreadFlow {
                locations: diagnostic
                    .flow
                    .iter()
                    .map(|Related { span, message }| ThreadFlowLocation {
                        location: SarifLocation {
                            physical_location: physical_location(files, *span),
                            message: Some(Message {
                                text: message.clone(),
                            }),
                        },
                    })
                    .collect(),
            }],
        }]
    };
    let file = files.get(diagnostic.span.file);
    let fixes = diagnostic
        .fix
        .iter()
        .map(|fix| SarifFix {
            description: Message {
                text: fix.message.clone(),
            },
            artifact_changes: [ArtifactChange {
                artifact_location: artifact_location(file),
                replacements: fix
                    .edits
                    .iter()
                    .map(|edit| Replacement {
                        deleted_region: region(file, edit.range),
                        inserted_content: InsertedContent {
                            text: edit.content.clone(),
                        },
                    })
                    .collect(),
            }],
        })
        .collect();
    SarifResult {
        rule_id: rule.code(),
        rule_index: rule_index(rule),
        level: level(diagnostic.severity),
        message: Message { text },
        locations: [SarifLocation {
            physical_location: physical_location(files, diagnostic.span),
            message: None,
        }],
        related_locations,
        code_flows,
        fixes,
        properties: Properties {
            name: rule.name(),
            severity: diagnostic.severity.as_str(),
            confidence: diagnostic.confidence.as_str(),
            help: diagnostic.help.as_deref(),
        },
    }
}

fn rule_index(rule: Rule) -> usize {
    Rule::ALL
        .iter()
        .position(|&r| r == rule)
        .expect("every rule is in Rule::ALL")
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn physical_location(files: &SourceFiles, span: Span) -> PhysicalLocation {
    let file = files.get(span.file);
    PhysicalLocation {
        artifact_location: artifact_location(file),
        region: region(file, span.range),
    }
}

fn region(file: &SourceFile, range: TextRange) -> Region {
    let Location {
        row: start_line,
        column: start_column,
    } = file.location(range.start());
    let Location {
        row: end_line,
        column: end_column,
    } = file.location(range.end());
    Region {
        start_line,
        start_column,
        end_line,
        end_column,
    }
}

/// Whether any location of `diagnostic` is written relative to `%SRCROOT%`.
fn uses_srcroot(files: &SourceFiles, diagnostic: &Diagnostic) -> bool {
    std::iter::once(diagnostic.span)
        .chain(diagnostic.related.iter().map(|r| r.span))
        .chain(diagnostic.flow.iter().map(|r| r.span))
        .any(|span| !Path::new(&files.get(span.file).name).is_absolute())
}

/// The file's URI: its relative name against `%SRCROOT%`, or a `file:` URI when the name is
/// absolute (a file outside the working directory).
fn artifact_location(file: &SourceFile) -> ArtifactLocation {
    let name = Path::new(&file.name);
    if name.is_absolute() {
        ArtifactLocation {
            uri: file_uri(name),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: encode_path(&forward_slashes(&file.name), false),
            uri_base_id: Some(SRCROOT),
        }
    }
}

/// `file:///...` for an absolute path.
fn file_uri(path: &Path) -> String {
    let path = forward_slashes(&absolute(path).to_string_lossy());
    // Windows paths (`C:/x`) need a slash before the drive letter.
    let slash = if path.starts_with('/') { "" } else { "/" };
    format!("file://{slash}{}", encode_path(&path, true))
}

fn forward_slashes(path: &str) -> String {
    if std::path::MAIN_SEPARATOR == '\\' {
        path.replace('\\', "/")
    } else {
        path.to_string()
    }
}

/// Percent-encodes what may not appear in a URI path. A `:` is kept only in absolute URIs: in a
/// relative reference it could be read as a scheme.
fn encode_path(path: &str, keep_colon: bool) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || b"-._~/!$&'()*+,;=@".contains(&byte)
            || (keep_colon && byte == b':');
        if keep {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The first paragraph under the doc's `## What it does` heading, on one line.
fn what_it_does(doc: &str) -> Option<String> {
    let mut lines = doc
        .lines()
        .skip_while(|line| line.trim() != "## What it does");
    lines.next()?;
    let paragraph: Vec<&str> = lines
        .skip_while(|line| line.trim().is_empty())
        .take_while(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(str::trim)
        .collect();
    (!paragraph.is_empty()).then(|| paragraph.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_it_does_is_the_first_paragraph_of_its_section() {
        let doc = "# SN101 (thread-target-called)\n\nIntro.\n\n## What it does\n\nChecks for a\ncall.\n\nMore.\n\n## Why is this bad?\n";
        assert_eq!(what_it_does(doc).as_deref(), Some("Checks for a call."));
        assert_eq!(
            what_it_does("## What it does\nFirst.\n## Example\n").as_deref(),
            Some("First.")
        );
        assert_eq!(what_it_does("# SN101 (doc to be written)\n"), None);
        assert_eq!(what_it_does("## What it does\n\n## Example\n"), None);
    }

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(encode_path("src/my file%.py", false), "src/my%20file%25.py");
        assert_eq!(encode_path("a:b/ü.py", false), "a%3Ab/%C3%BC.py");
        assert_eq!(encode_path("C:/x.py", true), "C:/x.py");
    }

    #[test]
    fn absolute_paths_become_file_uris() {
        if cfg!(unix) {
            assert_eq!(file_uri(Path::new("/tmp/a b.py")), "file:///tmp/a%20b.py");
        }
    }
}

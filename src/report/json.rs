//! `json` and `json-lines`: ruff's field names, plus snarl's `name`, `severity`, `confidence`,
//! `help` and `related`.

use std::io::{self, Write};

use serde::Serialize;

use super::locations;
use crate::diagnostic::{Applicability, Diagnostic};
use crate::source::{Location, SourceFiles};

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    message: &'a str,
    filename: String,
    location: Location,
    end_location: Location,
    fix: Option<JsonFix<'a>>,
    noqa_row: u32,
    url: Option<String>,
    name: &'static str,
    severity: &'static str,
    confidence: &'static str,
    help: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    applicability: Applicability,
    message: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    content: &'a str,
    location: Location,
    end_location: Location,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    filename: String,
    location: Location,
    end_location: Location,
    message: &'a str,
}

fn to_json<'a>(diagnostic: &'a Diagnostic, files: &SourceFiles) -> JsonDiagnostic<'a> {
    let file = files.get(diagnostic.span.file);
    let (location, end_location) = locations(files, diagnostic.span);
    JsonDiagnostic {
        code: diagnostic.rule.code(),
        message: &diagnostic.message,
        filename: file.absolute_path().to_string_lossy().to_string(),
        location,
        end_location,
        fix: diagnostic.fix.as_ref().map(|fix| JsonFix {
            applicability: fix.applicability,
            message: &fix.message,
            edits: fix
                .edits
                .iter()
                .map(|edit| JsonEdit {
                    content: &edit.content,
                    location: file.location(edit.range.start()),
                    end_location: file.location(edit.range.end()),
                })
                .collect(),
        }),
        noqa_row: location.row,
        url: None,
        name: diagnostic.rule.name(),
        severity: diagnostic.severity.as_str(),
        confidence: diagnostic.confidence.as_str(),
        help: diagnostic.help.as_deref(),
        related: diagnostic
            .related
            .iter()
            .map(|related| {
                let (location, end_location) = locations(files, related.span);
                JsonRelated {
                    filename: files
                        .get(related.span.file)
                        .absolute_path()
                        .to_string_lossy()
                        .to_string(),
                    location,
                    end_location,
                    message: &related.message,
                }
            })
            .collect(),
    }
}

pub fn write(
    diagnostics: &[Diagnostic],
    files: &SourceFiles,
    out: &mut dyn Write,
) -> io::Result<()> {
    let values: Vec<JsonDiagnostic> = diagnostics.iter().map(|d| to_json(d, files)).collect();
    serde_json::to_writer_pretty(&mut *out, &values)?;
    writeln!(out)
}

pub fn write_lines(
    diagnostics: &[Diagnostic],
    files: &SourceFiles,
    out: &mut dyn Write,
) -> io::Result<()> {
    for diagnostic in diagnostics {
        serde_json::to_writer(&mut *out, &to_json(diagnostic, files))?;
        writeln!(out)?;
    }
    Ok(())
}

//! `gitlab`: a GitLab Code Quality report, the JSON array of Code Climate issues GitLab reads
//! from a `codequality` artifact, as ruff writes it: `check_name`, `description` (the code first,
//! since GitLab shows no `check_name`), `severity`, `fingerprint`, and `location` with `path` and
//! `positions`.
//!
//! Paths are relative to `CI_PROJECT_DIR` when GitLab sets it (the repository root), else to the
//! working directory. The fingerprint must stay the same while the finding does, so that GitLab
//! can tell new findings from old ones: it hashes the code, the path and the text of the flagged
//! line (not its number, which moves with every edit above it), and a counter for repeats.

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::locations;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{display_name, Location, SourceFiles};

#[derive(Serialize)]
struct Issue {
    check_name: &'static str,
    description: String,
    severity: &'static str,
    fingerprint: String,
    location: IssueLocation,
}

#[derive(Serialize)]
struct IssueLocation {
    path: String,
    positions: Positions,
}

#[derive(Serialize)]
struct Positions {
    begin: Position,
    end: Position,
}

#[derive(Serialize)]
struct Position {
    line: u32,
    column: u32,
}

impl From<Location> for Position {
    fn from(location: Location) -> Self {
        Self {
            line: location.row,
            column: location.column,
        }
    }
}

pub fn write(
    diagnostics: &[Diagnostic],
    files: &SourceFiles,
    out: &mut dyn Write,
) -> io::Result<()> {
    let project_dir = std::env::var_os("CI_PROJECT_DIR");
    let mut fingerprints = HashSet::new();
    let issues: Vec<Issue> = diagnostics
        .iter()
        .map(|diagnostic| {
            let file = files.get(diagnostic.span.file);
            let path = match &project_dir {
                Some(dir) => {
                    let absolute = file.absolute_path();
                    absolute
                        .strip_prefix(Path::new(dir))
                        .map(|p| p.to_string_lossy().to_string())
                        .unwrap_or_else(|_| absolute.to_string_lossy().to_string())
                }
                None => display_name(&file.path),
            };
            let (begin, end) = locations(files, diagnostic.span);
            let code = diagnostic.rule.code();
            let line_text = file
                .text
                .lines()
                .nth(begin.row.saturating_sub(1) as usize)
                .unwrap_or("")
                .trim();
            let mut salt = 0u64;
            let mut fingerprint = fnv1a(&[code, &path, line_text], salt);
            while !fingerprints.insert(fingerprint) {
                salt += 1;
                fingerprint = fnv1a(&[code, &path, line_text], salt);
            }
            Issue {
                check_name: code,
                description: format!("{code}: {}", diagnostic.message),
                severity: match diagnostic.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                    Severity::Info => "info",
                },
                fingerprint: format!("{fingerprint:016x}"),
                location: IssueLocation {
                    path,
                    positions: Positions {
                        begin: begin.into(),
                        end: end.into(),
                    },
                },
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}

/// FNV-1a over `parts` (each followed by a separator) and `salt`: a hash that is the same on
/// every platform and with every Rust version, unlike the standard library's.
fn fnv1a(parts: &[&str], salt: u64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |byte: u8| {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    };
    for part in parts {
        part.bytes().for_each(&mut feed);
        feed(0);
    }
    salt.to_le_bytes().into_iter().for_each(feed);
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_salted() {
        assert_eq!(fnv1a(&[], 0), fnv1a(&[], 0));
        assert_ne!(fnv1a(&["SN201", "a.py"], 0), fnv1a(&["SN201", "a.py"], 1));
        assert_ne!(fnv1a(&["SN201a", ".py"], 0), fnv1a(&["SN201", "a.py"], 0));
        // Pinned: the fingerprint of a finding must not change between snarl versions.
        assert_eq!(
            fnv1a(&["SN201", "a.py", "x += 1"], 0),
            0x9189_289b_d912_9aae
        );
    }
}

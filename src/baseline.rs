//! Baselines: `--write-baseline FILE` records today's findings; `--baseline FILE` then hides those
//! and reports only new ones, so a big codebase can adopt snarl without fixing everything first.
//!
//! A finding is recognised by a fingerprint that survives edits elsewhere in the file: its code,
//! its file (relative to the baseline's directory), the text of the line it starts on with
//! whitespace runs collapsed, and its occurrence index among the findings sharing those three.
//! Line numbers are not part of it. The baseline is a multiset: a fingerprint recorded once hides
//! one finding.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::source::SourceFiles;
use crate::workspace::path_key;

/// The format version written in the file; a file of another version is refused.
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct BaselineFile {
    snarl_baseline: u32,
    findings: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    code: String,
    file: String,
    fingerprint: String,
    /// For people reading the file; not part of the match.
    #[serde(default)]
    message: String,
}

/// Findings recorded in a baseline file, by fingerprint, with how many times each was recorded.
#[derive(Debug, Default)]
pub struct Baseline {
    counts: HashMap<String, usize>,
}

/// 64-bit FNV-1a: stable across platforms and Rust versions (the standard hasher is not).
fn fnv1a(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// `path` relative to `base` with `/` separators, or absolute when it is not under `base`.
fn relative_name(path: &Path, base: &Path) -> String {
    let key = path_key(path);
    let shown = key.strip_prefix(base).unwrap_or(&key);
    shown
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The line `offset` is on, whitespace runs collapsed to one space, trimmed.
fn normalized_line(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The (code, file, fingerprint) of each finding, in the order given.
fn fingerprints(
    diagnostics: &[Diagnostic],
    files: &SourceFiles,
    base: &Path,
) -> Vec<(String, String, String)> {
    let mut occurrences: HashMap<(String, String, String), usize> = HashMap::new();
    // Occurrences count in source order, whatever order the findings come in.
    let mut order: Vec<usize> = (0..diagnostics.len()).collect();
    order.sort_by_key(|&i| (diagnostics[i].span.file, diagnostics[i].span.range.start()));
    let mut out = vec![(String::new(), String::new(), String::new()); diagnostics.len()];
    for i in order {
        let diagnostic = &diagnostics[i];
        let source = files.get(diagnostic.span.file);
        let file = relative_name(&source.path, base);
        let line = normalized_line(&source.text, diagnostic.span.range.start().to_usize());
        let code = diagnostic.rule.code().to_string();
        let seen = occurrences
            .entry((code.clone(), file.clone(), line.clone()))
            .or_default();
        let occurrence = seen.to_string();
        *seen += 1;
        let hash = fnv1a(&[&code, &file, &line, &occurrence]);
        out[i] = (code, file, format!("{hash:016x}"));
    }
    out
}

/// The directory fingerprints' file names are relative to: the baseline file's.
fn base_dir(path: &Path) -> PathBuf {
    path_key(path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Writes the baseline of `diagnostics` to `path`; returns how many findings it records.
pub fn write(
    path: &Path,
    diagnostics: &[Diagnostic],
    files: &SourceFiles,
) -> Result<usize, String> {
    let base = base_dir(path);
    let mut findings: Vec<Entry> = fingerprints(diagnostics, files, &base)
        .into_iter()
        .zip(diagnostics)
        .map(|((code, file, fingerprint), d)| Entry {
            code,
            file,
            fingerprint,
            message: d.message.clone(),
        })
        .collect();
    findings.sort_by(|a, b| {
        (&a.file, &a.code, &a.fingerprint).cmp(&(&b.file, &b.code, &b.fingerprint))
    });
    let count = findings.len();
    let contents = serde_json::to_string_pretty(&BaselineFile {
        snarl_baseline: VERSION,
        findings,
    })
    .map_err(|e| e.to_string())?;
    std::fs::write(path, contents + "\n")
        .map_err(|e| format!("{}: cannot write the baseline: {e}", path.display()))?;
    Ok(count)
}

impl Baseline {
    /// Reads a baseline file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read the baseline: {e}", path.display()))?;
        let file: BaselineFile = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}: not a snarl baseline ({e}); write one with `snarl check --write-baseline FILE`",
                path.display()
            )
        })?;
        if file.snarl_baseline != VERSION {
            return Err(format!(
                "{}: baseline version {} is not supported (expected {VERSION})",
                path.display(),
                file.snarl_baseline
            ));
        }
        let mut counts = HashMap::new();
        for entry in file.findings {
            *counts.entry(entry.fingerprint).or_default() += 1;
        }
        Ok(Baseline { counts })
    }

    /// Removes from `diagnostics` the findings the baseline (read from `path`) records; returns
    /// how many were removed.
    pub fn filter(
        &self,
        path: &Path,
        diagnostics: &mut Vec<Diagnostic>,
        files: &SourceFiles,
    ) -> usize {
        let prints = fingerprints(diagnostics, files, &base_dir(path));
        let mut left = self.counts.clone();
        let mut keep = Vec::with_capacity(diagnostics.len());
        for (_, _, fingerprint) in &prints {
            let known = left.get_mut(fingerprint).filter(|n| **n > 0);
            keep.push(match known {
                Some(n) => {
                    *n -= 1;
                    false
                }
                None => true,
            });
        }
        let before = diagnostics.len();
        let mut keep = keep.into_iter();
        diagnostics.retain(|_| keep.next().unwrap_or(true));
        before - diagnostics.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_compared_without_their_whitespace() {
        assert_eq!(normalized_line("a\n    x  +=   1\nb", 8), "x += 1");
        assert_eq!(normalized_line("x", 1), "x");
    }

    #[test]
    fn the_hash_is_stable() {
        // A fixed value: baselines written by one build must match in every later one.
        assert_eq!(
            fnv1a(&["SN201", "a.py", "x += 1", "0"]),
            fnv1a(&["SN201", "a.py", "x += 1", "0"])
        );
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
        assert_eq!(format!("{:016x}", fnv1a(&[])), "cbf29ce484222325");
    }
}

//! A workspace: the files a run reports on, plus the other files of their project that give them
//! context, analysed together.
//!
//! It decides which findings a run shows (those in reported files; a project-phase finding may
//! still point into a context file) and which files need analysing again: a file's per-file
//! outcome is kept until its text changes (held in memory by an editor or a fix pass) or, for a
//! file read from disk, until its modification time does. So re-checking after one edit parses one
//! file and links the project again, which is what `--fix` passes and the language server need.
//!
//! Each file is analysed with its own settings (the [`Resolver`]'s, as in a plain run); only the
//! reported files' suppression warnings are passed on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::config::{normalize, Resolver, SettingsFor};
use crate::discover::DiscoveredFile;
use crate::pipeline::{self, CheckResult, FileOutcome, Input};
use crate::source::{absolute, FileId};

/// One file of the workspace.
struct Entry {
    input: Input,
    /// The normalized absolute path, to find the file by path.
    key: PathBuf,
    /// Whether the run reports this file's findings (or only uses it as context).
    reported: bool,
    /// The last per-file outcome, while it is still valid.
    outcome: Option<FileOutcome>,
    /// The modification time of a disk file when `outcome` was computed.
    stamp: Option<SystemTime>,
}

/// The files of a run, analysed together. A file's [`FileId`] is its index here.
pub struct Workspace {
    /// Which settings each file uses; the project phase runs with its union.
    resolver: Resolver,
    entries: Vec<Entry>,
}

/// The key a file is found under: its absolute path without `.` and `..`.
pub fn path_key(path: &Path) -> PathBuf {
    normalize(&absolute(path))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Workspace {
    /// A workspace reporting on `reported` with `context` for the project phase only.
    pub fn new(resolver: Resolver, reported: Vec<Input>, context: Vec<Input>) -> Self {
        let mut workspace = Workspace {
            resolver,
            entries: Vec::with_capacity(reported.len() + context.len()),
        };
        for input in reported {
            workspace.add(input, true);
        }
        for input in context {
            workspace.add(input, false);
        }
        workspace
    }

    /// The settings of each file.
    pub fn resolver(&self) -> &Resolver {
        &self.resolver
    }

    /// Replaces the settings (configurations found since): files whose outcome the change may
    /// affect are analysed again. What a file's own analysis uses is its rules and target
    /// version, and whether the project phase needs summaries, which the project rules decide.
    pub fn set_resolver(&mut self, resolver: Resolver) {
        let old = std::mem::replace(&mut self.resolver, resolver);
        let project_changed =
            old.project_settings().rules != self.resolver.project_settings().rules;
        for entry in &mut self.entries {
            let path = &entry.input.file().path;
            let before = old.settings_for(path);
            let after = self.resolver.settings_for(path);
            if project_changed
                || before.rules_for(path) != after.rules_for(path)
                || before.target_version != after.target_version
            {
                entry.outcome = None;
            }
        }
    }

    /// Adds a file; returns its index.
    pub fn add(&mut self, input: Input, reported: bool) -> usize {
        let key = path_key(&input.file().path);
        self.entries.push(Entry {
            input,
            key,
            reported,
            outcome: None,
            stamp: None,
        });
        self.entries.len() - 1
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn is_reported(&self, index: usize) -> bool {
        self.entries[index].reported
    }

    pub fn set_reported(&mut self, index: usize, reported: bool) {
        self.entries[index].reported = reported;
    }

    pub fn input(&self, index: usize) -> &Input {
        &self.entries[index].input
    }

    /// The index of the file at `path`, if it is in the workspace.
    pub fn index_of(&self, path: &Path) -> Option<usize> {
        let key = path_key(path);
        self.entries.iter().position(|e| e.key == key)
    }

    /// Holds `text` in memory as the file's content (standard input stays standard input).
    pub fn set_text(&mut self, index: usize, text: Arc<str>) {
        let entry = &mut self.entries[index];
        entry.input = match &entry.input {
            Input::Stdin { file, .. } => Input::Stdin {
                file: file.clone(),
                text: text.to_string(),
                unreadable: None,
            },
            Input::File(file) | Input::Buffer { file, .. } => Input::Buffer {
                file: file.clone(),
                text,
            },
        };
        entry.outcome = None;
    }

    /// Reads the file from disk again (an editor closed its buffer).
    pub fn use_disk(&mut self, index: usize) {
        let entry = &mut self.entries[index];
        if let Input::Buffer { file, .. } = &entry.input {
            entry.input = Input::File(file.clone());
            entry.outcome = None;
        }
    }

    /// Analyses what is not up to date, links the project and returns the findings of the
    /// reported files. The outcomes are kept for the next call.
    pub fn check(&mut self) -> CheckResult {
        self.refresh();
        let outcomes = self
            .entries
            .iter()
            .map(|e| e.outcome.clone().expect("refreshed"))
            .collect();
        self.finish(outcomes)
    }

    /// [`Workspace::check`] for a run that checks once: nothing is kept.
    pub fn check_once(mut self) -> CheckResult {
        self.refresh();
        let outcomes = self
            .entries
            .iter_mut()
            .map(|e| e.outcome.take().expect("refreshed"))
            .collect();
        self.finish(outcomes)
    }

    fn finish(&self, mut outcomes: Vec<FileOutcome>) -> CheckResult {
        // A context file's suppression comments are not the run's business.
        for (outcome, entry) in outcomes.iter_mut().zip(&self.entries) {
            if !entry.reported {
                outcome.noqa.warnings.clear();
            }
        }
        let mut result = pipeline::finish(outcomes, &self.resolver);
        result
            .diagnostics
            .retain(|d| self.entries[d.span.file.0 as usize].reported);
        result
    }

    /// Re-analyses every file without a valid outcome.
    fn refresh(&mut self) {
        let mut stale = Vec::new();
        for (index, entry) in self.entries.iter_mut().enumerate() {
            if let (Input::File(file), Some(_)) = (&entry.input, &entry.outcome) {
                if modified(&file.path) != entry.stamp {
                    entry.outcome = None;
                }
            }
            if entry.outcome.is_none() {
                let id = FileId(u32::try_from(index).expect("fewer than 2^32 files"));
                stale.push((id, entry.input.clone()));
            }
        }
        if stale.is_empty() {
            return;
        }
        let stamps: Vec<Option<SystemTime>> = stale
            .iter()
            .map(|(_, input)| match input {
                Input::File(file) => modified(&file.path),
                _ => None,
            })
            .collect();
        let outcomes = pipeline::analyze_numbered(stale, &self.resolver);
        for (outcome, stamp) in outcomes.into_iter().zip(stamps) {
            let entry = &mut self.entries[outcome.source.id.0 as usize];
            entry.stamp = stamp;
            entry.outcome = Some(outcome);
        }
    }

    /// The discovered file at `index`.
    pub fn file(&self, index: usize) -> &DiscoveredFile {
        self.entries[index].input.file()
    }
}

//! Discovery: which files a run checks, and the module name each one has.
//!
//! Walks the given paths with `ignore` (so `.gitignore` is respected and hidden directories are
//! skipped), drops the configured excludes, keeps `.py` files, and always keeps a file named
//! explicitly on the command line. The result is sorted, so everything downstream is deterministic.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::{normalize, Settings};

/// A file to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredFile {
    pub path: PathBuf,
    /// `pkg.sub.mod` (`pkg` for `pkg/__init__.py`), from the package structure around the file.
    pub module: String,
    /// Whether the file is a package's `__init__.py`.
    pub is_package: bool,
}

/// Why discovery failed: a path that does not exist. Exit code 2.
#[derive(Debug)]
pub struct MissingPath(pub PathBuf);

/// The files under `paths` that the run checks, sorted by path.
pub fn discover(
    paths: &[PathBuf],
    settings: &Settings,
) -> Result<Vec<DiscoveredFile>, MissingPath> {
    let mut files = Vec::new();
    for path in paths {
        if !path.exists() {
            return Err(MissingPath(path.clone()));
        }
        if path.is_file() {
            files.push(path.clone());
            continue;
        }
        let walker = ignore::WalkBuilder::new(path)
            .hidden(true)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .require_git(false)
            .parents(true)
            .ignore(false)
            .filter_entry({
                let settings = settings.clone();
                move |entry| entry.depth() == 0 || !settings.is_excluded(entry.path())
            })
            .build();
        for entry in walker.flatten() {
            let is_file = entry.file_type().is_some_and(|t| t.is_file());
            if is_file && entry.path().extension().is_some_and(|ext| ext == "py") {
                files.push(entry.into_path());
            }
        }
    }
    let mut files: Vec<PathBuf> = files
        .into_iter()
        .map(|p| {
            let text = p.to_string_lossy();
            match text.strip_prefix("./") {
                Some(rest) if !rest.is_empty() => PathBuf::from(rest),
                _ => p,
            }
        })
        .collect();
    files.sort();
    files.dedup();
    let mut names = ModuleNamer::new(settings);
    Ok(files
        .into_iter()
        .map(|path| {
            let (module, is_package) = names.module_name(&path);
            DiscoveredFile {
                path,
                module,
                is_package,
            }
        })
        .collect())
}

/// Computes module names from the package structure: the chain of directories holding an
/// `__init__.py` above a file; where there is none, the path below the deepest configured `src`
/// directory that holds the file (namespace packages, `src/` layouts).
pub struct ModuleNamer<'a> {
    settings: &'a Settings,
    has_init: HashMap<PathBuf, bool>,
}

impl<'a> ModuleNamer<'a> {
    pub fn new(settings: &'a Settings) -> Self {
        Self {
            settings,
            has_init: HashMap::new(),
        }
    }

    fn is_package_dir(&mut self, dir: &Path) -> bool {
        if let Some(&known) = self.has_init.get(dir) {
            return known;
        }
        let known = dir.join("__init__.py").is_file();
        self.has_init.insert(dir.to_path_buf(), known);
        known
    }

    /// The module name of `path`, and whether it is a package `__init__`.
    pub fn module_name(&mut self, path: &Path) -> (String, bool) {
        let absolute = normalize(&crate::source::absolute(path));
        let stem = absolute
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let is_package = stem == "__init__";
        let mut parts: Vec<String> = Vec::new();
        if !is_package {
            parts.push(stem);
        }
        let mut dir = absolute.parent();
        let mut top = dir;
        while let Some(current) = dir {
            if !self.is_package_dir(current) {
                break;
            }
            if let Some(name) = current.file_name() {
                parts.push(name.to_string_lossy().to_string());
            }
            top = current.parent();
            dir = current.parent();
        }
        // No package above (a script, or a namespace package): name it from the deepest src
        // root that holds it. Inside a regular package the chain of `__init__.py` decides.
        let in_package = top != absolute.parent();
        if let Some(top) = top.filter(|_| !in_package) {
            let root = self
                .settings
                .src
                .iter()
                .filter(|root| top.starts_with(root) && top != root.as_path())
                .max_by_key(|root| root.components().count());
            if let Some(root) = root {
                if let Ok(rest) = top.strip_prefix(root) {
                    for part in rest.components().rev() {
                        parts.push(part.as_os_str().to_string_lossy().to_string());
                    }
                }
            }
        }
        parts.reverse();
        (parts.join("."), is_package)
    }
}

//! Discovery: which files a run checks, and the module name each one has.
//!
//! Walks the given paths with `ignore` (so `.gitignore` is respected and hidden directories are
//! skipped), drops the configured excludes, keeps `.py` files, and always keeps a file named
//! explicitly on the command line. Symlinks named `*.py` are kept (a dangling one becomes an SN002
//! finding, as does a path given on the command line that does not exist); a directory that
//! cannot be read is a warning; symlinked directories are not followed. Each directory's own
//! configuration is loaded as the walk enters it ([`Resolver`]), so a nested project's `exclude`
//! applies inside it. The result is sorted, so everything downstream is deterministic.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use std::sync::{Arc, Mutex, PoisonError};

use crate::config::{normalize, ConfigError, Resolver, Settings, SettingsFor};

/// A file to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredFile {
    pub path: PathBuf,
    /// `pkg.sub.mod` (`pkg` for `pkg/__init__.py`), from the package structure around the file.
    pub module: String,
    /// Whether the file is a package's `__init__.py`.
    pub is_package: bool,
}

/// Why discovery failed: a path that does not exist (for [`discover`], which has no way to report
/// it as a finding).
#[derive(Debug)]
pub struct MissingPath(pub PathBuf);

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// The files to check, sorted by path. A path given on the command line that does not exist
    /// is among them: reading it fails, and the report says so (SN002), as ruff reports E902.
    pub files: Vec<DiscoveredFile>,
    /// Paths given on the command line that do not exist.
    pub missing: Vec<PathBuf>,
    /// What the user should hear about on standard error: directories that cannot be read.
    pub warnings: Vec<String>,
}

/// The files under `paths` that the run checks with `settings`, sorted by path.
pub fn discover(
    paths: &[PathBuf],
    settings: &Settings,
) -> Result<Vec<DiscoveredFile>, MissingPath> {
    let (_, discovery) = discover_with(paths, Resolver::fixed(settings.clone()))
        .expect("fixed settings read no configuration file");
    match discovery.missing.into_iter().next() {
        Some(missing) => Err(MissingPath(missing)),
        None => Ok(discovery.files),
    }
}

/// The files under `paths`, and `resolver` with every project configuration found on the way:
/// in the ancestors of each path, and in each directory the walk enters (before its entries, so
/// its `exclude` applies to them).
pub fn discover_with(
    paths: &[PathBuf],
    mut resolver: Resolver,
) -> Result<(Resolver, Discovery), ConfigError> {
    let mut files = Vec::new();
    let mut missing = Vec::new();
    let mut warnings = Vec::new();
    for path in paths {
        // A dangling symlink does not `exist()`, but it was named: it is reported as unreadable.
        if std::fs::symlink_metadata(path).is_err() {
            missing.push(path.clone());
            files.push(path.clone());
            continue;
        }
        resolver.add_ancestors(path)?;
        if !path.is_dir() {
            // Named on the command line: checked whatever its name or the excludes say.
            files.push(path.clone());
            continue;
        }
        // The walk's filter runs on each entry before the walk enters it: it skips excluded
        // entries and loads a directory's configuration before the directory's entries are seen.
        let shared = Arc::new(Mutex::new((resolver, None::<ConfigError>)));
        let walker = ignore::WalkBuilder::new(path)
            .hidden(true)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .require_git(false)
            .parents(true)
            .ignore(false)
            .follow_links(false)
            .filter_entry({
                let shared = Arc::clone(&shared);
                move |entry| {
                    if entry.depth() == 0 {
                        return true;
                    }
                    let mut guard = shared.lock().unwrap_or_else(PoisonError::into_inner);
                    let (resolver, error) = &mut *guard;
                    if error.is_some()
                        || resolver
                            .settings_for(entry.path())
                            .is_excluded(entry.path())
                    {
                        return false;
                    }
                    if entry.file_type().is_some_and(|t| t.is_dir()) {
                        if let Err(e) = resolver.add_dir(entry.path()) {
                            *error = Some(e);
                            return false;
                        }
                    }
                    true
                }
            })
            .build();
        for entry in walker {
            match entry {
                Ok(entry) => {
                    let is_python = entry.path().extension().is_some_and(|ext| ext == "py");
                    // A symlink named `*.py` is checked through its target, and reported as
                    // unreadable if the target is missing; a symlinked directory is not walked.
                    let is_file = entry
                        .file_type()
                        .is_some_and(|t| t.is_file() || (t.is_symlink() && !entry.path().is_dir()));
                    if is_python && is_file {
                        files.push(entry.into_path());
                    }
                }
                Err(error) => warnings.push(walk_warning(&error)),
            }
        }
        let (back, error) = Arc::try_unwrap(shared)
            .map_err(|_| ())
            .expect("the walk is over: its filter is dropped")
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(error) = error {
            return Err(error);
        }
        resolver = back;
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
    let mut names = ModuleNamer::new(&resolver);
    let files = files
        .into_iter()
        .map(|path| {
            let (module, is_package) = names.module_name(&path);
            DiscoveredFile {
                path,
                module,
                is_package,
            }
        })
        .collect();
    Ok((
        resolver,
        Discovery {
            files,
            missing,
            warnings,
        },
    ))
}

/// What to tell the user about a walk error: a directory that cannot be read is named with the
/// reason; it is not a file, so it is not reported as a finding at `dir:1:1`.
fn walk_warning(error: &ignore::Error) -> String {
    match unreadable_path(error) {
        Some((path, reason)) => format!(
            "cannot read directory `{}`: {reason}; the files in it are not checked",
            crate::source::display_name(&path)
        ),
        None => error.to_string(),
    }
}

/// The path and the I/O error of a walk error that is an I/O error on a directory.
fn unreadable_path(error: &ignore::Error) -> Option<(PathBuf, String)> {
    match error {
        ignore::Error::WithPath { path, err } => {
            err.io_error().map(|io| (path.clone(), io.to_string()))
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            unreadable_path(err)
        }
        _ => None,
    }
}

/// Computes module names from the package structure: the chain of directories holding an
/// `__init__.py` above a file; where there is none, the path below the deepest configured `src`
/// directory that holds the file (namespace packages, `src/` layouts).
pub struct ModuleNamer<'a> {
    settings: &'a dyn SettingsFor,
    has_init: HashMap<PathBuf, bool>,
}

impl<'a> ModuleNamer<'a> {
    pub fn new(settings: &'a dyn SettingsFor) -> Self {
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
                .settings_for(&absolute)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_directory_is_a_warning_naming_it() {
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let error = ignore::Error::WithDepth {
            depth: 1,
            err: Box::new(ignore::Error::WithPath {
                path: PathBuf::from("pkg/private"),
                err: Box::new(ignore::Error::Io(denied)),
            }),
        };
        assert_eq!(
            walk_warning(&error),
            "cannot read directory `pkg/private`: permission denied; the files in it are not checked"
        );
    }
}

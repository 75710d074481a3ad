//! Project context: `snarl check a.py` reports on `a.py` only, but the thread that calls into it
//! may start in another module. So the run also analyses the rest of the project the named paths
//! belong to, and keeps those files' findings to itself.
//!
//! A path's project root is the nearest directory, from the path upwards, holding a
//! `pyproject.toml`, `snarl.toml`, `.snarl.toml` or `.git`; its files are discovered as a
//! directory named on the command line would be (`.gitignore`, excludes), each directory's own
//! configuration loaded on the way as for the checked files, so a context file is analysed with
//! the settings it would have if it were checked (its `src`, its `concurrent`). No root found
//! means no context. `--no-project-context` turns this off.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::config::Resolver;
use crate::discover::{self, DiscoveredFile};
use crate::workspace::path_key;

/// What marks a project's root directory.
pub const ROOT_MARKERS: &[&str] = &["pyproject.toml", "snarl.toml", ".snarl.toml", ".git"];

/// The root of the project `path` belongs to: the nearest directory at or above it (above, for a
/// file) that holds one of [`ROOT_MARKERS`].
pub fn project_root(path: &Path) -> Option<PathBuf> {
    let path = path_key(path);
    let start = if path.is_dir() {
        path.as_path()
    } else {
        path.parent()?
    };
    start
        .ancestors()
        .find(|dir| ROOT_MARKERS.iter().any(|marker| dir.join(marker).exists()))
        .map(Path::to_path_buf)
}

/// Context files found, and what the user should hear about.
pub struct Context {
    pub files: Vec<DiscoveredFile>,
    /// Project roots whose walk failed (a configuration in them does not load): the run goes on
    /// without their context.
    pub warnings: Vec<String>,
}

/// The files of the projects that `paths` belong to, other than `checked` (the files the run
/// reports on, by [`path_key`]); `resolver` learns the configurations found on the way.
pub fn context_files(
    paths: &[PathBuf],
    checked: &HashSet<PathBuf>,
    resolver: &mut Resolver,
) -> Context {
    let named_dirs: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.is_dir())
        .map(|p| path_key(p))
        .collect();
    // A path that does not exist is reported as such (SN002); it has no project to analyse.
    let mut roots: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.exists())
        .filter_map(|p| project_root(p))
        .collect();
    roots.sort();
    roots.dedup();
    // A root already walked because a directory at or above it was named adds nothing.
    roots.retain(|root| !named_dirs.iter().any(|dir| root.starts_with(dir)));
    let mut seen = checked.clone();
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    for root in roots {
        // The walk takes the resolver and gives it back only when it succeeds.
        match discover::discover_with(std::slice::from_ref(&root), resolver.clone()) {
            Ok((found, discovery)) => {
                *resolver = found;
                for file in discovery.files {
                    if seen.insert(path_key(&file.path)) {
                        files.push(file);
                    }
                }
            }
            Err(error) => warnings.push(format!(
                "the rest of the project in `{}` is not analysed as context: {error}",
                root.display()
            )),
        }
    }
    Context { files, warnings }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_marker_wins() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("outer/inner/pkg")).unwrap();
        std::fs::write(root.join("outer/.git"), "gitdir: elsewhere\n").unwrap();
        std::fs::write(root.join("outer/inner/pyproject.toml"), "").unwrap();
        std::fs::write(root.join("outer/inner/pkg/a.py"), "").unwrap();
        std::fs::write(root.join("outer/b.py"), "").unwrap();
        assert_eq!(
            project_root(&root.join("outer/inner/pkg/a.py")),
            Some(root.join("outer/inner"))
        );
        assert_eq!(
            project_root(&root.join("outer/inner/pkg")),
            Some(root.join("outer/inner"))
        );
        assert_eq!(
            project_root(&root.join("outer/b.py")),
            Some(root.join("outer"))
        );
    }
}

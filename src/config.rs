//! Configuration: `[tool.snarl]` in `pyproject.toml`, or the top level of `snarl.toml` /
//! `.snarl.toml`, found by walking up from the working directory (or named by `--config`), merged
//! with the command line into the [`Settings`] a run uses.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::python::PythonVersion;
use crate::rules::{Rule, RuleSelector, RuleSet};

/// A configuration problem: the file, the key and what was expected. Exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The options as written in a configuration file; every key is optional.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Rules to enable (codes, prefixes, names, `ALL`); default all.
    pub select: Option<Vec<String>>,
    /// Rules to enable on top of `select`.
    pub extend_select: Option<Vec<String>>,
    /// Rules to disable.
    pub ignore: Option<Vec<String>>,
    /// Glob → rules to disable in the files it matches.
    pub per_file_ignores: Option<BTreeMap<String, Vec<String>>>,
    /// Globs of files and directories not to check (replaces the defaults).
    pub exclude: Option<Vec<String>>,
    /// Globs of files and directories not to check, on top of `exclude`.
    pub extend_exclude: Option<Vec<String>>,
    /// The oldest Python the project supports: `py38` … `py314`.
    pub target_version: Option<String>,
    /// Directories that hold top-level packages (default `["src", "."]`).
    pub src: Option<Vec<String>>,
    /// Functions and methods the user knows run on many threads: `pkg.views.*`, `pkg.mod:Class.method`.
    pub concurrent: Option<Vec<String>>,
    /// Where each key was written (`path:line`, with the table for `pyproject.toml`), so that
    /// errors found later, when the values are interpreted, still point at the line.
    pub origins: BTreeMap<&'static str, String>,
}

/// Every key of the configuration, in the order the documentation lists them.
pub const KEYS: &[&str] = &[
    "select",
    "extend-select",
    "ignore",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
    "target-version",
    "src",
    "concurrent",
];

/// What each key expects, for error messages.
fn expected(key: &str) -> &'static str {
    match key {
        "select" | "extend-select" | "ignore" => {
            "a list of rule codes, code prefixes or rule names, such as [\"SN1\", \"SN201\"]"
        }
        "per-file-ignores" => {
            "a table from glob to a list of codes, such as { \"tests/*\" = [\"SN2\"] }"
        }
        "exclude" | "extend-exclude" => "a list of globs, such as [\"generated/*\"]",
        "target-version" => "a string: one of \"py38\", \"py39\", … \"py314\"",
        "src" => "a list of directories, such as [\"src\", \".\"]",
        "concurrent" => {
            "a list of function patterns, such as [\"pkg.views.*\", \"pkg.worker:Worker.handle\"]"
        }
        _ => "nothing: the key is unknown",
    }
}

/// How a TOML value is described in an error: its type and, for short scalars, the value.
fn describe(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) if s.chars().count() <= 40 => format!("the string {s:?}"),
        toml::Value::String(_) => "a string".to_string(),
        toml::Value::Integer(i) => format!("the integer {i}"),
        toml::Value::Float(f) => format!("the number {f}"),
        toml::Value::Boolean(b) => format!("`{b}`"),
        toml::Value::Datetime(_) => "a date".to_string(),
        toml::Value::Array(_) => "a list".to_string(),
        toml::Value::Table(_) => "a table".to_string(),
    }
}

fn string_list(value: &toml::Value) -> Result<Vec<String>, String> {
    let toml::Value::Array(items) = value else {
        return Err(describe(value));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            toml::Value::String(s) => Ok(s.clone()),
            other => Err(format!(
                "a list whose item {} is {}",
                i + 1,
                describe(other)
            )),
        })
        .collect()
}

impl Options {
    /// Reads the options from the entries of a configuration table. `origin` names the file (and
    /// table); `text` is the file's text, to turn spans into line numbers.
    fn from_entries(
        entries: BTreeMap<String, toml::Spanned<toml::Value>>,
        origin: &str,
        table: &str,
        text: &str,
    ) -> Result<Self, ConfigError> {
        let mut entries: Vec<(String, toml::Spanned<toml::Value>)> = entries.into_iter().collect();
        entries.sort_by_key(|(_, value)| value.span().start);
        let mut options = Options::default();
        for (key, value) in entries {
            let line = text[..value.span().start.min(text.len())]
                .bytes()
                .filter(|&b| b == b'\n')
                .count()
                + 1;
            let Some(&known) = KEYS.iter().find(|k| **k == key) else {
                return Err(ConfigError(format!(
                    "{origin}:{line}: unknown key `{key}`{table}; expected one of `{}`",
                    KEYS.join("`, `")
                )));
            };
            let value = value.into_inner();
            let bad = |got: String| {
                ConfigError(format!(
                    "{origin}:{line}: `{known}` must be {}, not {got}",
                    expected(known)
                ))
            };
            match known {
                "select" => options.select = Some(string_list(&value).map_err(bad)?),
                "extend-select" => options.extend_select = Some(string_list(&value).map_err(bad)?),
                "ignore" => options.ignore = Some(string_list(&value).map_err(bad)?),
                "exclude" => options.exclude = Some(string_list(&value).map_err(bad)?),
                "extend-exclude" => {
                    options.extend_exclude = Some(string_list(&value).map_err(bad)?);
                }
                "src" => options.src = Some(string_list(&value).map_err(bad)?),
                "concurrent" => options.concurrent = Some(string_list(&value).map_err(bad)?),
                "target-version" => match value {
                    toml::Value::String(version) => options.target_version = Some(version),
                    other => return Err(bad(describe(&other))),
                },
                "per-file-ignores" => {
                    let toml::Value::Table(table) = &value else {
                        return Err(bad(describe(&value)));
                    };
                    let mut map = BTreeMap::new();
                    for (glob, codes) in table {
                        let codes = string_list(codes).map_err(|got| {
                            ConfigError(format!(
                                "{origin}:{line}: `per-file-ignores` entry {glob:?} must be a list of codes, such as [\"SN2\"], not {got}"
                            ))
                        })?;
                        map.insert(glob.clone(), codes);
                    }
                    options.per_file_ignores = Some(map);
                }
                _ => unreachable!("every key in KEYS is handled"),
            }
            options.origins.insert(known, format!("{origin}:{line}"));
        }
        Ok(options)
    }
}

#[derive(Deserialize)]
struct Pyproject {
    tool: Option<PyprojectTool>,
}

#[derive(Deserialize)]
struct PyprojectTool {
    snarl: Option<BTreeMap<String, toml::Spanned<toml::Value>>>,
}

/// What the command line says about settings; it wins over the configuration file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
}

/// Directories and files skipped unless named on the command line.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "__pypackages__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "__pycache__",
];

/// The settings of a run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub rules: RuleSet,
    pub per_file_ignores: Vec<(GlobMatcher, GlobMatcher, RuleSet)>,
    pub exclude: GlobSet,
    pub target_version: Option<PythonVersion>,
    /// Absolute directories holding top-level packages, in order.
    pub src: Vec<PathBuf>,
    pub concurrent: Vec<String>,
    /// The directory of the configuration file, or the working directory: globs are relative to it.
    pub root: PathBuf,
    pub config_path: Option<PathBuf>,
}

impl Settings {
    /// Finds and reads the configuration and applies the command line over it.
    pub fn resolve(overrides: &Overrides) -> Result<Self, ConfigError> {
        let cwd = std::env::current_dir()
            .map_err(|e| ConfigError(format!("cannot read the working directory: {e}")))?;
        let (options, config_path) = match &overrides.config {
            Some(path) => {
                if !path.is_file() {
                    return Err(ConfigError(format!(
                        "{}: configuration file not found",
                        path.display()
                    )));
                }
                let options = load_file(path)?.unwrap_or_default();
                (options, Some(crate::source::absolute(path)))
            }
            None => match find_config(&cwd)? {
                Some((options, path)) => (options, Some(path)),
                None => (Options::default(), None),
            },
        };
        let root = config_path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or(cwd);
        Self::from_options(options, overrides, root, config_path)
    }

    /// Settings from already-read `options`, with `root` the directory globs are relative to.
    pub fn from_options(
        options: Options,
        overrides: &Overrides,
        root: PathBuf,
        config_path: Option<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let origin = config_path
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "command line".to_string());
        let in_file = |key: &str, e: String| {
            let origin = options.origins.get(key).unwrap_or(&origin);
            ConfigError(format!("{origin}: `{key}`: {e}"))
        };
        let on_cli = |flag: &str, e: String| ConfigError(format!("{flag}: {e}"));

        let selectors = |items: &[String], err: &dyn Fn(String) -> ConfigError| {
            items
                .iter()
                .map(|s| s.parse::<RuleSelector>().map_err(err))
                .collect::<Result<Vec<_>, _>>()
        };
        // Two layers, the file's then the command line's, each applied like ruff applies one:
        // a `select` starts the set afresh, `extend-select` adds, `ignore` removes what no more
        // specific selector of the same layer enables. So `--select SN001` overrides a
        // configured `ignore = ["SN0"]`, and `--extend-select` re-enables what the file ignored.
        let file_select = match &options.select {
            Some(items) => selectors(items, &|e| in_file("select", e))?,
            None => vec![RuleSelector::All],
        };
        let file_extend = selectors(options.extend_select.as_deref().unwrap_or_default(), &|e| {
            in_file("extend-select", e)
        })?;
        let file_ignore = selectors(options.ignore.as_deref().unwrap_or_default(), &|e| {
            in_file("ignore", e)
        })?;
        let cli_select = overrides
            .select
            .as_deref()
            .map(|items| selectors(items, &|e| on_cli("--select", e)))
            .transpose()?;
        let cli_extend = selectors(&overrides.extend_select, &|e| on_cli("--extend-select", e))?;
        let cli_ignore = selectors(&overrides.ignore, &|e| on_cli("--ignore", e))?;
        let mut rules = RuleSet::empty();
        apply_selection(&mut rules, Some(&file_select), &file_extend, &file_ignore);
        apply_selection(&mut rules, cli_select.as_deref(), &cli_extend, &cli_ignore);

        let mut per_file_ignores = Vec::new();
        for (pattern, codes) in options.per_file_ignores.iter().flatten() {
            let (absolute, basename) =
                compile_path_glob(&root, pattern).map_err(|e| in_file("per-file-ignores", e))?;
            let set: RuleSet = selectors(codes, &|e| in_file("per-file-ignores", e))?
                .iter()
                .flat_map(|s| s.rules().collect::<Vec<Rule>>())
                .collect();
            per_file_ignores.push((absolute, basename, set));
        }

        let mut exclude = GlobSetBuilder::new();
        let excludes: Vec<String> = match &options.exclude {
            Some(items) => items.clone(),
            None => DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect(),
        };
        for pattern in excludes
            .iter()
            .chain(options.extend_exclude.iter().flatten())
        {
            let key = if options
                .exclude
                .as_ref()
                .is_some_and(|e| e.contains(pattern))
            {
                "exclude"
            } else {
                "extend-exclude"
            };
            let (absolute, basename) = glob_pair(&root, pattern).map_err(|e| in_file(key, e))?;
            exclude.add(absolute);
            exclude.add(basename);
        }
        let exclude = exclude
            .build()
            .map_err(|e| in_file("exclude", e.to_string()))?;

        let target_version = options
            .target_version
            .as_deref()
            .map(|v| parse_target_version(v).map_err(|e| in_file("target-version", e)))
            .transpose()?;

        let src = options
            .src
            .clone()
            .unwrap_or_else(|| vec!["src".to_string(), ".".to_string()])
            .iter()
            .map(|dir| normalize(&root.join(dir)))
            .collect();

        let concurrent = options.concurrent.clone().unwrap_or_default();
        for pattern in &concurrent {
            validate_concurrent_pattern(pattern).map_err(|e| in_file("concurrent", e))?;
        }

        Ok(Settings {
            rules,
            per_file_ignores,
            exclude,
            target_version,
            src,
            concurrent,
            root,
            config_path,
        })
    }

    /// Whether the discovery walk should skip `path` (a file or a directory).
    pub fn is_excluded(&self, path: &Path) -> bool {
        let absolute = normalize(&crate::source::absolute(path));
        self.exclude.is_match(&absolute)
            || absolute
                .file_name()
                .is_some_and(|name| self.exclude.is_match(Path::new(name)))
    }

    /// The rules enabled for `path`, after `per-file-ignores`.
    pub fn rules_for(&self, path: &Path) -> RuleSet {
        let mut rules = self.rules;
        if self.per_file_ignores.is_empty() {
            return rules;
        }
        let absolute = normalize(&crate::source::absolute(path));
        let name = absolute.file_name().map(Path::new);
        for (full, basename, ignored) in &self.per_file_ignores {
            if full.is_match(&absolute) || name.is_some_and(|n| basename.is_match(n)) {
                for rule in ignored.iter() {
                    rules.remove(rule);
                }
            }
        }
        rules
    }
}

/// Applies one layer of rule selection to `rules`.
fn apply_selection(
    rules: &mut RuleSet,
    select: Option<&[RuleSelector]>,
    extend: &[RuleSelector],
    ignore: &[RuleSelector],
) {
    if select.is_some() {
        *rules = RuleSet::empty();
    }
    let enabling: Vec<&RuleSelector> = select.unwrap_or_default().iter().chain(extend).collect();
    for selector in &enabling {
        for rule in selector.rules() {
            rules.insert(rule);
        }
    }
    for selector in ignore {
        for rule in selector.rules() {
            // A rule enabled by a more specific selector than the ignore stays on.
            let kept = enabling
                .iter()
                .any(|s| s.specificity() > selector.specificity() && s.rules().any(|r| r == rule));
            if !kept {
                rules.remove(rule);
            }
        }
    }
}

/// `pattern` as a glob over absolute paths (anchored at `root`) and as a glob over base names.
fn glob_pair(root: &Path, pattern: &str) -> Result<(Glob, Glob), String> {
    let anchored = normalize(&root.join(pattern.trim_start_matches("./")));
    let absolute = Glob::new(&anchored.to_string_lossy()).map_err(|e| e.to_string())?;
    let basename = Glob::new(pattern).map_err(|e| e.to_string())?;
    Ok((absolute, basename))
}

fn compile_path_glob(root: &Path, pattern: &str) -> Result<(GlobMatcher, GlobMatcher), String> {
    let (absolute, basename) = glob_pair(root, pattern)?;
    Ok((absolute.compile_matcher(), basename.compile_matcher()))
}

/// Removes `.` and resolves `..` components lexically.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn parse_target_version(text: &str) -> Result<PythonVersion, String> {
    let minor = text
        .strip_prefix("py3")
        .and_then(|m| m.parse::<u8>().ok())
        .filter(|m| (8..=14).contains(m))
        .ok_or_else(|| {
            format!("expected one of `py38`, `py39`, `py310`, `py311`, `py312`, `py313`, `py314`, got `{text}`")
        })?;
    Ok(PythonVersion { major: 3, minor })
}

/// A `concurrent` entry: a dotted module path with an optional `:Qual.name` part, where a `*`
/// may stand for any one name part.
fn validate_concurrent_pattern(pattern: &str) -> Result<(), String> {
    let valid_part = |part: &str| {
        part == "*"
            || (!part.is_empty()
                && part
                    .chars()
                    .all(|c| c == '_' || c == '*' || c.is_alphanumeric())
                && !part.starts_with(|c: char| c.is_ascii_digit()))
    };
    let (module, qual) = match pattern.split_once(':') {
        Some((module, qual)) => (module, Some(qual)),
        None => (pattern, None),
    };
    let ok = !module.is_empty()
        && module.split('.').all(valid_part)
        && qual.is_none_or(|q| !q.is_empty() && q.split('.').all(valid_part));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{pattern}` is not a function pattern: expected a dotted path such as `pkg.views.*` or `pkg.worker:Worker.handle`"
        ))
    }
}

/// Reads a configuration file: `pyproject.toml` (its `[tool.snarl]` table, `None` without one) or
/// a `snarl.toml` / `.snarl.toml`.
pub fn load_file(path: &Path) -> Result<Option<Options>, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("{}: cannot read: {e}", path.display())))?;
    let origin = path.display().to_string();
    let located =
        |e: toml::de::Error| ConfigError(format!("{origin}: {}", e.to_string().trim_end()));
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    if is_pyproject {
        let pyproject: Pyproject = toml::from_str(&text).map_err(located)?;
        match pyproject.tool.and_then(|tool| tool.snarl) {
            Some(entries) => {
                Options::from_entries(entries, &origin, " in [tool.snarl]", &text).map(Some)
            }
            None => Ok(None),
        }
    } else {
        let entries = toml::from_str(&text).map_err(located)?;
        Options::from_entries(entries, &origin, "", &text).map(Some)
    }
}

/// Walks up from `start` to the first directory with `.snarl.toml`, `snarl.toml` or a
/// `pyproject.toml` that has a `[tool.snarl]` table.
pub fn find_config(start: &Path) -> Result<Option<(Options, PathBuf)>, ConfigError> {
    for dir in start.ancestors() {
        for name in [".snarl.toml", "snarl.toml", "pyproject.toml"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                if let Some(options) = load_file(&candidate)? {
                    return Ok(Some((options, candidate)));
                }
            }
        }
    }
    Ok(None)
}

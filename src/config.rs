//! Configuration: `[tool.snarl]` in `pyproject.toml`, or the top level of `snarl.toml` /
//! `.snarl.toml`, with the files their `extend` names, merged with the command line into
//! [`Settings`]. Which settings a file uses is the [`Resolver`]'s decision, as ruff makes it: the
//! closest configuration above the file, else the one above the working directory (or the
//! defaults); `--config` names one for every file.

use std::collections::{BTreeMap, HashMap, HashSet};
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
    /// The oldest Python the project supports: `py38` … `py314`, or `py313t`/`py314t` for a
    /// free-threaded build.
    pub target_version: Option<String>,
    /// The code runs on a free-threaded CPython build (no GIL).
    pub free_threaded: Option<bool>,
    /// Directories that hold top-level packages (default `["src", "."]`).
    pub src: Option<Vec<String>>,
    /// Functions and methods the user knows run on many threads: `pkg.views.*`, `pkg.mod:Class.method`.
    pub concurrent: Option<Vec<String>>,
    /// Another configuration file whose options this one inherits (relative to this file).
    pub extend: Option<String>,
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
    "free-threaded",
    "src",
    "concurrent",
    "extend",
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
        "target-version" => {
            "a string: one of \"py38\", \"py39\", … \"py314\", or \"py313t\"/\"py314t\" for free-threaded builds"
        }
        "free-threaded" => "a boolean: `true` when the code runs on a free-threaded build (no GIL)",
        "src" => "a list of directories, such as [\"src\", \".\"]",
        "concurrent" => {
            "a list of function patterns, such as [\"pkg.views.*\", \"pkg.worker:Worker.handle\"]"
        }
        "extend" => "a path to another configuration file, such as \"../snarl.toml\"",
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
                "extend" => match value {
                    toml::Value::String(path) => options.extend = Some(path),
                    other => return Err(bad(describe(&other))),
                },
                "free-threaded" => match value {
                    toml::Value::Boolean(on) => options.free_threaded = Some(on),
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

/// One configuration file of an `extend` chain: its options, the file, and the directory its
/// relative paths (`exclude`, `per-file-ignores`, `src`, `extend`) are written against.
#[derive(Debug, Clone)]
pub struct Layer {
    pub options: Options,
    pub dir: PathBuf,
    pub path: Option<PathBuf>,
}

/// A setting as `--show-settings` prints it: its key, its value written as TOML, and where it
/// came from (`path:line`, `default`, `command line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownSetting {
    pub key: &'static str,
    pub value: String,
    pub origin: String,
}

/// The settings of the files under one configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub rules: RuleSet,
    pub per_file_ignores: Vec<(GlobMatcher, GlobMatcher, RuleSet)>,
    pub exclude: GlobSet,
    pub target_version: Option<PythonVersion>,
    /// The code runs without a GIL (`free-threaded = true`, or a `py313t`/`py314t` target):
    /// SN401 is off and the race rules report errors.
    pub free_threaded: bool,
    /// Absolute directories holding top-level packages, in order.
    pub src: Vec<PathBuf>,
    pub concurrent: Vec<String>,
    /// The directory of the configuration file, or the working directory: globs are relative to it.
    pub root: PathBuf,
    pub config_path: Option<PathBuf>,
    /// The files `config_path` extends, nearest first.
    pub extends: Vec<PathBuf>,
    /// Every setting with its value and origin, for `--show-settings`.
    pub shown: Vec<ShownSetting>,
}

impl Settings {
    /// The settings of files under no configuration of their own: the configuration found by
    /// walking up from the working directory (or named by `--config`), with the command line
    /// applied over it.
    pub fn resolve(overrides: &Overrides) -> Result<Self, ConfigError> {
        let cwd = std::env::current_dir()
            .map_err(|e| ConfigError(format!("cannot read the working directory: {e}")))?;
        let (layers, config_path) = match &overrides.config {
            Some(path) => {
                if !path.is_file() {
                    return Err(ConfigError(format!(
                        "{}: configuration file not found",
                        path.display()
                    )));
                }
                let path = normalize(&crate::source::absolute(path));
                (load_chain(&path)?, Some(path))
            }
            None => match find_config(&cwd)? {
                Some((layers, path)) => (layers, Some(path)),
                None => (Vec::new(), None),
            },
        };
        let root = config_path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or(cwd);
        Self::from_chain(&layers, overrides, root, config_path)
    }

    /// Settings from already-read `options`, with `root` the directory globs are relative to.
    pub fn from_options(
        options: Options,
        overrides: &Overrides,
        root: PathBuf,
        config_path: Option<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let layer = Layer {
            options,
            dir: root.clone(),
            path: config_path.clone(),
        };
        Self::from_chain(&[layer], overrides, root, config_path)
    }

    /// Settings from a chain of configuration files, the most derived first (as `extend` links
    /// them), with the command line over them all.
    ///
    /// As ruff combines an `extend` chain: a key takes the value of the nearest file that sets
    /// it, with paths relative to that file; `extend-exclude` collects every file's entries; rule
    /// selection applies each file's `select`, `extend-select` and `ignore` in turn, from the
    /// base to the most derived, then the command line's.
    pub fn from_chain(
        layers: &[Layer],
        overrides: &Overrides,
        root: PathBuf,
        config_path: Option<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let file_origin = |layer: &Layer, key: &str| -> String {
            layer.options.origins.get(key).cloned().unwrap_or_else(|| {
                layer
                    .path
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "default".to_string())
            })
        };
        let in_file = |layer: &Layer, key: &str, e: String| {
            ConfigError(format!("{}: `{key}`: {e}", file_origin(layer, key)))
        };
        let on_cli = |flag: &str, e: String| ConfigError(format!("{flag}: {e}"));
        // The nearest layer that sets a key.
        let nearest = |key: &str| {
            layers
                .iter()
                .find(|layer| layer.options.origins.contains_key(key))
        };
        let mut shown = Vec::new();
        let mut show = |key: &'static str, value: String, origin: String| {
            shown.push(ShownSetting { key, value, origin });
        };

        let selectors = |items: &[String], err: &dyn Fn(String) -> ConfigError| {
            items
                .iter()
                .map(|s| s.parse::<RuleSelector>().map_err(err))
                .collect::<Result<Vec<_>, _>>()
        };
        // One layer per file, then the command line's, each applied like ruff applies one:
        // a `select` starts the set afresh, `extend-select` adds, `ignore` removes what no more
        // specific selector of the same layer enables. So `--select SN001` overrides a
        // configured `ignore = ["SN0"]`, and `--extend-select` re-enables what the file ignored.
        let mut rules = RuleSet::defaults();
        let mut rule_origins = Vec::new();
        for layer in layers.iter().rev() {
            let options = &layer.options;
            let select = options
                .select
                .as_deref()
                .map(|items| selectors(items, &|e| in_file(layer, "select", e)))
                .transpose()?;
            let extend = selectors(options.extend_select.as_deref().unwrap_or_default(), &|e| {
                in_file(layer, "extend-select", e)
            })?;
            let ignore = selectors(options.ignore.as_deref().unwrap_or_default(), &|e| {
                in_file(layer, "ignore", e)
            })?;
            apply_selection(&mut rules, select.as_deref(), &extend, &ignore);
            for key in ["select", "extend-select", "ignore"] {
                if options.origins.contains_key(key) {
                    rule_origins.push(format!("{} ({key})", file_origin(layer, key)));
                }
            }
        }
        let cli_select = overrides
            .select
            .as_deref()
            .map(|items| selectors(items, &|e| on_cli("--select", e)))
            .transpose()?;
        let cli_extend = selectors(&overrides.extend_select, &|e| on_cli("--extend-select", e))?;
        let cli_ignore = selectors(&overrides.ignore, &|e| on_cli("--ignore", e))?;
        apply_selection(&mut rules, cli_select.as_deref(), &cli_extend, &cli_ignore);
        if cli_select.is_some() || !cli_extend.is_empty() || !cli_ignore.is_empty() {
            rule_origins.push("command line".to_string());
        }
        show(
            "rules",
            toml_list(rules.iter().map(Rule::code)),
            if rule_origins.is_empty() {
                "default: every rule but the opt-in SN004 and SN703".to_string()
            } else {
                rule_origins.join(", ")
            },
        );

        let mut per_file_ignores = Vec::new();
        match nearest("per-file-ignores") {
            Some(layer) => {
                let table = layer.options.per_file_ignores.iter().flatten();
                for (pattern, codes) in table.clone() {
                    let (absolute, basename) = compile_path_glob(&layer.dir, pattern)
                        .map_err(|e| in_file(layer, "per-file-ignores", e))?;
                    let set: RuleSet =
                        selectors(codes, &|e| in_file(layer, "per-file-ignores", e))?
                            .iter()
                            .flat_map(|s| s.rules().collect::<Vec<Rule>>())
                            .collect();
                    per_file_ignores.push((absolute, basename, set));
                }
                let entries: Vec<String> = table
                    .map(|(pattern, codes)| format!("{pattern:?} = {}", toml_list(codes)))
                    .collect();
                show(
                    "per-file-ignores",
                    format!("{{ {} }}", entries.join(", ")),
                    file_origin(layer, "per-file-ignores"),
                );
            }
            None => show("per-file-ignores", "{}".to_string(), "default".to_string()),
        }

        // Each pattern with the directory it is relative to.
        let mut excludes: Vec<(String, PathBuf, &Layer)> = Vec::new();
        let default_layer = Layer {
            options: Options::default(),
            dir: root.clone(),
            path: None,
        };
        match nearest("exclude") {
            Some(layer) => {
                for pattern in layer.options.exclude.iter().flatten() {
                    excludes.push((pattern.clone(), layer.dir.clone(), layer));
                }
                show(
                    "exclude",
                    toml_list(layer.options.exclude.iter().flatten()),
                    file_origin(layer, "exclude"),
                );
            }
            None => {
                for pattern in DEFAULT_EXCLUDES {
                    excludes.push((pattern.to_string(), root.clone(), &default_layer));
                }
                show(
                    "exclude",
                    toml_list(DEFAULT_EXCLUDES),
                    "default".to_string(),
                );
            }
        }
        let exclude_count = excludes.len();
        let mut extend_origins = Vec::new();
        for layer in layers {
            for pattern in layer.options.extend_exclude.iter().flatten() {
                excludes.push((pattern.clone(), layer.dir.clone(), layer));
            }
            if layer.options.origins.contains_key("extend-exclude") {
                extend_origins.push(file_origin(layer, "extend-exclude"));
            }
        }
        show(
            "extend-exclude",
            toml_list(excludes[exclude_count..].iter().map(|(p, _, _)| p)),
            if extend_origins.is_empty() {
                "default".to_string()
            } else {
                extend_origins.join(", ")
            },
        );
        let mut exclude = GlobSetBuilder::new();
        for (index, (pattern, dir, layer)) in excludes.iter().enumerate() {
            let key = if index < exclude_count {
                "exclude"
            } else {
                "extend-exclude"
            };
            let (absolute, basename) =
                glob_pair(dir, pattern).map_err(|e| in_file(layer, key, e))?;
            exclude.add(absolute);
            exclude.add(basename);
        }
        let exclude = exclude
            .build()
            .map_err(|e| ConfigError(format!("`exclude`: {e}")))?;

        let (target_version, free_target) = match nearest("target-version") {
            Some(layer) => {
                let text = layer.options.target_version.as_deref().unwrap_or_default();
                let (version, free) =
                    parse_target_version(text).map_err(|e| in_file(layer, "target-version", e))?;
                show(
                    "target-version",
                    format!("{text:?}"),
                    file_origin(layer, "target-version"),
                );
                (Some(version), free)
            }
            None => {
                show(
                    "target-version",
                    "none".to_string(),
                    "default: every syntax the parser knows".to_string(),
                );
                (None, false)
            }
        };
        // An explicit `free-threaded` wins over what the target version says.
        let free_threaded = match nearest("free-threaded") {
            Some(layer) => {
                let on = layer.options.free_threaded.unwrap_or_default();
                show(
                    "free-threaded",
                    on.to_string(),
                    file_origin(layer, "free-threaded"),
                );
                on
            }
            None => {
                show(
                    "free-threaded",
                    free_target.to_string(),
                    if free_target {
                        "target-version".to_string()
                    } else {
                        "default".to_string()
                    },
                );
                free_target
            }
        };

        let (src, src_origin): (Vec<PathBuf>, String) = match nearest("src") {
            Some(layer) => (
                layer
                    .options
                    .src
                    .iter()
                    .flatten()
                    .map(|dir| normalize(&layer.dir.join(dir)))
                    .collect(),
                file_origin(layer, "src"),
            ),
            None => (
                ["src", "."]
                    .iter()
                    .map(|dir| normalize(&root.join(dir)))
                    .collect(),
                "default".to_string(),
            ),
        };
        show(
            "src",
            toml_list(src.iter().map(|p| p.display().to_string())),
            src_origin,
        );

        let concurrent = match nearest("concurrent") {
            Some(layer) => {
                let concurrent = layer.options.concurrent.clone().unwrap_or_default();
                for pattern in &concurrent {
                    validate_concurrent_pattern(pattern)
                        .map_err(|e| in_file(layer, "concurrent", e))?;
                }
                show(
                    "concurrent",
                    toml_list(&concurrent),
                    file_origin(layer, "concurrent"),
                );
                concurrent
            }
            None => {
                show("concurrent", "[]".to_string(), "default".to_string());
                Vec::new()
            }
        };

        Ok(Settings {
            rules,
            per_file_ignores,
            exclude,
            target_version,
            free_threaded,
            src,
            concurrent,
            root,
            config_path,
            extends: layers
                .iter()
                .skip(1)
                .filter_map(|l| l.path.clone())
                .collect(),
            shown,
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

/// Items as a TOML list of strings.
fn toml_list<T: AsRef<str>>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items
        .into_iter()
        .map(|item| format!("{:?}", item.as_ref()))
        .collect();
    format!("[{}]", items.join(", "))
}

/// Which settings each checked file uses, as ruff resolves them.
///
/// Without `--config` (hierarchical): a file uses the closest configuration in a directory above
/// it (`.snarl.toml`, `snarl.toml`, or a `pyproject.toml` with `[tool.snarl]`), found among the
/// ancestors of each path given on the command line and in every directory the walk enters; a
/// file under none uses the base settings, those found from the working directory (or the
/// defaults). With `--config`, every file uses the base settings.
#[derive(Clone)]
pub struct Resolver {
    base: Settings,
    overrides: Overrides,
    hierarchical: bool,
    /// The settings of each directory holding a configuration file.
    scoped: HashMap<PathBuf, Settings>,
    /// Directories already searched for a configuration file.
    searched: HashSet<PathBuf>,
    /// Every rule some file's settings enable, and every `concurrent` entry: what the project
    /// phase runs with (findings are then filtered per file).
    project: Settings,
}

impl Resolver {
    /// The base settings from the command line (`--config`, or a search up from the working
    /// directory); project configurations are added as discovery finds them.
    pub fn new(overrides: &Overrides) -> Result<Self, ConfigError> {
        let base = Settings::resolve(overrides)?;
        Ok(Self {
            project: base.clone(),
            hierarchical: overrides.config.is_none(),
            base,
            overrides: overrides.clone(),
            scoped: HashMap::new(),
            searched: HashSet::new(),
        })
    }

    /// One set of settings for every file (no search for project configurations).
    pub fn fixed(settings: Settings) -> Self {
        Self {
            project: settings.clone(),
            base: settings,
            overrides: Overrides::default(),
            hierarchical: false,
            scoped: HashMap::new(),
            searched: HashSet::new(),
        }
    }

    /// Loads the configuration of `dir` itself, if it has one and was not searched before.
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), ConfigError> {
        if !self.hierarchical {
            return Ok(());
        }
        let dir = normalize(&crate::source::absolute(dir));
        if !self.searched.insert(dir.clone()) {
            return Ok(());
        }
        if let Some((layers, path)) = config_in(&dir)? {
            let settings = if self.base.config_path.as_deref() == Some(path.as_path()) {
                self.base.clone()
            } else {
                Settings::from_chain(&layers, &self.overrides, dir.clone(), Some(path))?
            };
            for rule in settings.rules.iter() {
                self.project.rules.insert(rule);
            }
            for pattern in &settings.concurrent {
                if !self.project.concurrent.contains(pattern) {
                    self.project.concurrent.push(pattern.clone());
                }
            }
            self.scoped.insert(dir, settings);
        }
        Ok(())
    }

    /// Loads the closest configuration above `path` (or in it, for a directory).
    pub fn add_ancestors(&mut self, path: &Path) -> Result<(), ConfigError> {
        if !self.hierarchical {
            return Ok(());
        }
        let absolute = normalize(&crate::source::absolute(path));
        for dir in absolute.ancestors() {
            if self.searched.contains(dir) {
                break;
            }
            self.add_dir(dir)?;
            if self.scoped.contains_key(dir) {
                break;
            }
        }
        Ok(())
    }

    /// The settings `path` is checked with.
    pub fn settings_for(&self, path: &Path) -> &Settings {
        if self.scoped.is_empty() {
            return &self.base;
        }
        let absolute = normalize(&crate::source::absolute(path));
        absolute
            .ancestors()
            .find_map(|dir| self.scoped.get(dir))
            .unwrap_or(&self.base)
    }

    /// The settings of files under no project configuration.
    pub fn base(&self) -> &Settings {
        &self.base
    }
}

/// Settings per file, for the stages that need them: [`Settings`] gives the same to every file,
/// [`Resolver`] the closest configuration's.
pub trait SettingsFor: Sync {
    /// The settings `path` is checked with.
    fn settings_for(&self, path: &Path) -> &Settings;
    /// The settings of the project phase: every rule some file enables, every `concurrent` entry.
    fn project_settings(&self) -> &Settings;
}

impl SettingsFor for Settings {
    fn settings_for(&self, _path: &Path) -> &Settings {
        self
    }

    fn project_settings(&self) -> &Settings {
        self
    }
}

impl SettingsFor for Resolver {
    fn settings_for(&self, path: &Path) -> &Settings {
        Resolver::settings_for(self, path)
    }

    fn project_settings(&self) -> &Settings {
        &self.project
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

/// `py311` → 3.11 with the GIL; `py313t` → 3.13, free-threaded (builds without the GIL exist
/// from 3.13 on).
fn parse_target_version(text: &str) -> Result<(PythonVersion, bool), String> {
    let (number, free) = match text.strip_suffix('t') {
        Some(number) => (number, true),
        None => (text, false),
    };
    let minor = number
        .strip_prefix("py3")
        .and_then(|m| m.parse::<u8>().ok())
        .filter(|m| (8..=14).contains(m) && (!free || *m >= 13))
        .ok_or_else(|| {
            format!("expected one of `py38`, `py39`, `py310`, `py311`, `py312`, `py313`, `py314`, or the free-threaded `py313t`, `py314t`, got `{text}`")
        })?;
    Ok((PythonVersion { major: 3, minor }, free))
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
        // `[tool.snarl]` is pyproject.toml's table; here the keys go at the top level. Say so
        // rather than let the table fail to deserialize with serde's words.
        let table: toml::Table = toml::from_str(&text).map_err(located)?;
        if table.contains_key("tool") {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with("[tool"))
                .map_or(1, |i| i + 1);
            return Err(ConfigError(format!(
                "{origin}:{line}: `[tool.snarl]` is for pyproject.toml; in {} write the keys at the top level, without the table header",
                path.file_name().map_or("this file".into(), |n| n.to_string_lossy())
            )));
        }
        let entries = toml::from_str(&text).map_err(located)?;
        Options::from_entries(entries, &origin, "", &text).map(Some)
    }
}

/// Reads `path` and the files its `extend` chain names: the most derived first. A
/// `pyproject.toml` without `[tool.snarl]` gives empty options.
pub fn load_chain(path: &Path) -> Result<Vec<Layer>, ConfigError> {
    let mut layers: Vec<Layer> = Vec::new();
    let mut next = Some(normalize(&crate::source::absolute(path)));
    while let Some(path) = next.take() {
        let chain = |path: &Path| {
            layers
                .iter()
                .filter_map(|l| l.path.as_deref())
                .chain([path])
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(" extends ")
        };
        if layers
            .iter()
            .any(|l| l.path.as_deref() == Some(path.as_path()))
        {
            return Err(ConfigError(format!("circular `extend`: {}", chain(&path))));
        }
        if let Some(child) = layers.last() {
            if !path.is_file() {
                let origin = child
                    .options
                    .origins
                    .get("extend")
                    .cloned()
                    .unwrap_or_default();
                return Err(ConfigError(format!(
                    "{origin}: `extend`: {}: configuration file not found",
                    path.display()
                )));
            }
        }
        // An extended pyproject.toml without `[tool.snarl]` contributes nothing.
        let options = load_file(&path)?.unwrap_or_default();
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        next = options
            .extend
            .as_deref()
            .map(|extend| normalize(&dir.join(extend)));
        layers.push(Layer {
            options,
            dir,
            path: Some(path),
        });
    }
    Ok(layers)
}

/// The configuration file of `dir` itself, with its `extend` chain: `.snarl.toml`, then
/// `snarl.toml`, then a `pyproject.toml` that has a `[tool.snarl]` table.
pub fn config_in(dir: &Path) -> Result<Option<(Vec<Layer>, PathBuf)>, ConfigError> {
    for name in [".snarl.toml", "snarl.toml", "pyproject.toml"] {
        let candidate = dir.join(name);
        if candidate.is_file() {
            if name == "pyproject.toml" && load_file(&candidate)?.is_none() {
                continue;
            }
            return Ok(Some((load_chain(&candidate)?, candidate)));
        }
    }
    Ok(None)
}

/// Walks up from `start` to the first directory with a configuration file.
pub fn find_config(start: &Path) -> Result<Option<(Vec<Layer>, PathBuf)>, ConfigError> {
    for dir in start.ancestors() {
        if let Some(found) = config_in(dir)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

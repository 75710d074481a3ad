//! Source files as the rest of the pipeline sees them: a stable id, the names a report prints, the
//! text, and the mapping from byte offsets to 1-based rows and character columns (as ruff counts them).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::python::{LineIndex, TextRange, TextSize};

/// Index of a file in the run's [`SourceFiles`] table; spans in diagnostics refer to files by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A place in a file: 1-based row, 1-based column counted in characters (Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Location {
    pub row: u32,
    pub column: u32,
}

/// A range of text in one file of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub range: TextRange,
}

impl Span {
    pub fn new(file: FileId, range: TextRange) -> Self {
        Self { file, range }
    }
}

/// One file of the run. The text is kept (shared, not copied) after the AST is dropped so reports
/// can show snippets and convert offsets of findings made in the project phase.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub id: FileId,
    /// The path used to read the file (as discovered, or the `--stdin-filename`).
    pub path: PathBuf,
    /// The name reports print: relative to the working directory when the file is under it.
    pub name: String,
    pub text: Arc<str>,
    line_index: LineIndex,
}

impl SourceFile {
    pub fn new(id: FileId, path: PathBuf, name: String, text: Arc<str>) -> Self {
        let line_index = LineIndex::from_source_text(&text);
        Self {
            id,
            path,
            name,
            text,
            line_index,
        }
    }

    /// The 1-based row and character column of `offset`.
    pub fn location(&self, offset: TextSize) -> Location {
        let offset =
            offset.min(TextSize::try_from(self.text.len()).unwrap_or(TextSize::new(u32::MAX)));
        let lc = self.line_index.line_column(offset, &self.text);
        Location {
            row: u32::try_from(lc.line.get()).unwrap_or(u32::MAX),
            column: u32::try_from(lc.column.get()).unwrap_or(u32::MAX),
        }
    }

    /// The 1-based row of `offset`.
    pub fn row(&self, offset: TextSize) -> u32 {
        u32::try_from(self.line_index.line_index(offset).get()).unwrap_or(u32::MAX)
    }

    /// The text of `range`.
    pub fn slice(&self, range: TextRange) -> &str {
        self.text
            .get(range.start().to_usize()..range.end().to_usize())
            .unwrap_or("")
    }

    /// The absolute path of the file, for output formats that want one (JSON, SARIF).
    pub fn absolute_path(&self) -> PathBuf {
        absolute(&self.path)
    }
}

/// `path` made absolute against the working directory, without touching the file system further.
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// The name a report prints for `path`: relative to the working directory when under it.
pub fn display_name(path: &Path) -> String {
    let relative = std::env::current_dir().ok().and_then(|cwd| {
        absolute(path)
            .strip_prefix(&cwd)
            .ok()
            .map(Path::to_path_buf)
    });
    let shown = relative.as_deref().unwrap_or(path);
    let text = shown.to_string_lossy();
    text.strip_prefix("./").unwrap_or(&text).to_string()
}

/// Every file of the run, indexed by [`FileId`].
#[derive(Debug, Default)]
pub struct SourceFiles {
    files: Vec<SourceFile>,
}

impl SourceFiles {
    pub fn new(files: Vec<SourceFile>) -> Self {
        debug_assert!(files.iter().enumerate().all(|(i, f)| f.id.0 as usize == i));
        Self { files }
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

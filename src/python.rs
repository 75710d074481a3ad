//! The one place snarl touches the ruff parser crates.
//!
//! `ruff_python_parser`, `ruff_python_ast`, `ruff_text_size` and `ruff_source_file` are 0.x internal
//! APIs of ruff, pinned to an exact version. Every other module imports AST types, text ranges and
//! the parse entry point from here, so an upgrade of those crates touches this file (and the visitors
//! that match on node shapes) and nothing else.

pub use ruff_python_ast as ast;
pub use ruff_python_ast::token::{TokenKind, Tokens};
pub use ruff_python_ast::visitor::{self, Visitor};
pub use ruff_python_ast::PythonVersion;
use ruff_python_parser::ParseOptions;
pub use ruff_source_file::{LineIndex, OneIndexed};
pub use ruff_text_size::{Ranged, TextLen, TextRange, TextSize};

/// A parsed module: the (possibly error-recovered) AST, its comment ranges and its syntax errors.
pub struct ParsedModule {
    pub module: ast::ModModule,
    /// Ranges of every `#` comment, in source order (for `noqa` handling).
    pub comments: Vec<TextRange>,
    pub syntax_errors: Vec<SyntaxError>,
    /// How many tokens the source has: a bound on how deep the tree can be.
    pub token_count: usize,
}

impl ParsedModule {
    /// Drops the tree. Dropping recurses once per level of nesting, and generated code can nest
    /// millions of levels (`1+1+...+1`), so a large tree is dropped on a stack sized for its worst
    /// case (mapped lazily: only the depth actually reached is touched).
    pub fn dispose(self) {
        const SHALLOW: usize = 100_000;
        const BYTES_PER_LEVEL: usize = 256;
        if self.token_count <= SHALLOW {
            drop(self);
        } else {
            let size = self.token_count.saturating_mul(BYTES_PER_LEVEL);
            stacker::grow(size, move || drop(self));
        }
    }
}

/// A syntax error reported by the parser, with the parser's own message.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub message: String,
    pub range: TextRange,
}

/// Parses `source` as a Python module with error recovery: the AST holds whatever parsed, and every
/// syntax error is returned beside it.
///
/// With a `target_version`, syntax that version does not support (a `match` before 3.10, say) is an
/// error too; without one, any syntax the parser knows is accepted.
pub fn parse_module(source: &str, target_version: Option<PythonVersion>) -> ParsedModule {
    let options = ParseOptions::from(ast::PySourceType::Python)
        .with_target_version(target_version.unwrap_or(PythonVersion::latest()));
    let parsed = ruff_python_parser::parse_unchecked(source, options)
        .try_into_module()
        .expect("a Python source type always parses to a module");
    let token_count = parsed.tokens().len();
    let comments = parsed
        .tokens()
        .iter()
        .filter(|token| token.kind() == TokenKind::Comment)
        .map(|token| token.range())
        .collect();
    let mut syntax_errors: Vec<SyntaxError> = parsed
        .errors()
        .iter()
        .map(|error| SyntaxError {
            message: error.error.to_string(),
            range: error.location,
        })
        .collect();
    if target_version.is_some() {
        syntax_errors.extend(
            parsed
                .unsupported_syntax_errors()
                .iter()
                .map(|error| SyntaxError {
                    message: error.to_string(),
                    range: error.range,
                }),
        );
    }
    ParsedModule {
        module: parsed.into_syntax(),
        comments,
        syntax_errors,
        token_count,
    }
}

//! The one finding model every rule produces and every output format reads.

use serde::Serialize;

use crate::python::TextRange;
use crate::rules::Rule;
use crate::source::Span;

/// How bad a finding is when it is real; each rule has a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// How sure the rule is that the finding is a real bug, given what it could see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    High,
    Medium,
    Low,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

/// Whether a fix keeps the program's meaning for sure (`Safe`) or needs a human's look (`Unsafe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    Safe,
    Unsafe,
}

/// Replace `range` (in the finding's file) with `content`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: TextRange,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub applicability: Applicability,
    pub message: String,
    pub edits: Vec<Edit>,
}

/// A secondary location of a finding: the other access, the lock, the thread start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

/// One finding.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub rule: Rule,
    /// What is wrong, concretely, naming the variable or call.
    pub message: String,
    /// What to write instead.
    pub help: Option<String>,
    /// Where the problem is.
    pub span: Span,
    /// Every other location involved.
    pub related: Vec<Related>,
    /// The call path from a thread start to the access, outermost first (SARIF `codeFlows`).
    pub flow: Vec<Related>,
    pub severity: Severity,
    pub confidence: Confidence,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// A finding of `rule` at `span` with the rule's default severity and high confidence.
    pub fn new(rule: Rule, span: Span, message: impl Into<String>) -> Self {
        Self {
            rule,
            message: message.into(),
            help: None,
            span,
            related: Vec::new(),
            flow: Vec::new(),
            severity: rule.severity(),
            confidence: Confidence::High,
            fix: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Related {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_confidence(mut self, confidence: Confidence) -> Self {
        self.confidence = confidence;
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }
}

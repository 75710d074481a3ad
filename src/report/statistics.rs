//! `--statistics`: how many findings each rule made, as ruff prints it. As text:
//! `COUNT<TAB>CODE<TAB>name`, the counts right-aligned, the most frequent rule first (ties in code
//! order); when any finding has a fix, each line says whether its rule's findings are all
//! fixable (`[*]`), some (`[-]`) or none (`[ ]`). As JSON (`--output-format json`): ruff's fields
//! per rule (`code`, `name`, `count`, `fixable`, `fixable_count`) under `rules`, and the totals.
//! Fixable means what `--fix` would fix: a safe fix, or any fix under `--unsafe-fixes`.

use std::io::{self, Write};

use serde::Serialize;

use super::{OutputFormat, ReportOptions};
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;

/// The findings of one rule.
#[derive(Serialize)]
struct Statistic {
    #[serde(serialize_with = "code")]
    code: Rule,
    name: &'static str,
    count: usize,
    /// Whether every finding of the rule is fixable (ruff's meaning).
    fixable: bool,
    fixable_count: usize,
}

fn code<S: serde::Serializer>(rule: &Rule, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(rule.code())
}

#[derive(Serialize)]
struct Statistics {
    rules: Vec<Statistic>,
    total: usize,
    fixable: usize,
}

fn statistics(diagnostics: &[Diagnostic], unsafe_fixes: bool) -> Vec<Statistic> {
    let mut statistics: Vec<Statistic> = Vec::new();
    for diagnostic in diagnostics {
        let fixable = super::fixable(diagnostic, unsafe_fixes);
        let index = match statistics.iter().position(|s| s.code == diagnostic.rule) {
            Some(index) => index,
            None => {
                statistics.push(Statistic {
                    code: diagnostic.rule,
                    name: diagnostic.rule.name(),
                    count: 0,
                    fixable: false,
                    fixable_count: 0,
                });
                statistics.len() - 1
            }
        };
        let statistic = &mut statistics[index];
        statistic.count += 1;
        statistic.fixable_count += usize::from(fixable);
        statistic.fixable = statistic.fixable_count == statistic.count;
    }
    statistics.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(&b.code)));
    statistics
}

/// Writes the statistics in `format` (`json`; any other format gets the text table).
pub fn write_statistics(
    diagnostics: &[Diagnostic],
    format: OutputFormat,
    options: ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let color = options.color;
    let statistics = statistics(diagnostics, options.unsafe_fixes);
    if format == OutputFormat::Json {
        let fixable = statistics.iter().map(|s| s.fixable_count).sum();
        let value = Statistics {
            rules: statistics,
            total: diagnostics.len(),
            fixable,
        };
        serde_json::to_writer_pretty(&mut *out, &value)?;
        return writeln!(out);
    }
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let count_width = statistics
        .iter()
        .map(|s| s.count.to_string().len())
        .max()
        .unwrap_or(0);
    let code_width = statistics
        .iter()
        .map(|s| s.code.code().len())
        .max()
        .unwrap_or(0);
    let any_fixable = statistics.iter().any(|s| s.fixable_count > 0);
    for statistic in &statistics {
        let marker = match (any_fixable, statistic.fixable, statistic.fixable_count) {
            (false, _, _) => String::new(),
            (true, true, _) => format!("[{}] ", paint("36", "*")),
            (true, false, 0) => "[ ] ".to_string(),
            (true, false, _) => format!("[{}] ", paint("36", "-")),
        };
        let count = format!("{:>count_width$}", statistic.count);
        let code = format!("{:<code_width$}", statistic.code.code());
        writeln!(
            out,
            "{}\t{}\t{marker}{}",
            paint("1", &count),
            paint("1;31", &code),
            statistic.name,
        )?;
    }
    Ok(())
}

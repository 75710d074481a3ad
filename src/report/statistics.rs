//! `--statistics`: how many findings each rule made, as ruff prints it:
//! `COUNT<TAB>CODE<TAB>name`, the counts right-aligned, the most frequent rule first (ties in code
//! order). When any finding has a fix, each line says whether its rule's findings are fixable
//! (`[*]`) or not (`[ ]`).

use std::io::{self, Write};

use crate::diagnostic::Diagnostic;
use crate::rules::Rule;

/// The findings of one rule.
struct Statistic {
    rule: Rule,
    count: usize,
    fixable: bool,
}

pub fn write_statistics(diagnostics: &[Diagnostic], out: &mut dyn Write) -> io::Result<()> {
    let mut statistics: Vec<Statistic> = Vec::new();
    for diagnostic in diagnostics {
        let fixable = diagnostic.fix.is_some();
        match statistics.iter_mut().find(|s| s.rule == diagnostic.rule) {
            Some(statistic) => {
                statistic.count += 1;
                statistic.fixable |= fixable;
            }
            None => statistics.push(Statistic {
                rule: diagnostic.rule,
                count: 1,
                fixable,
            }),
        }
    }
    statistics.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule.cmp(&b.rule)));

    let count_width = statistics
        .iter()
        .map(|s| s.count.to_string().len())
        .max()
        .unwrap_or(0);
    let code_width = statistics
        .iter()
        .map(|s| s.rule.code().len())
        .max()
        .unwrap_or(0);
    let any_fixable = statistics.iter().any(|s| s.fixable);
    for statistic in &statistics {
        let marker = match (any_fixable, statistic.fixable) {
            (false, _) => "",
            (true, true) => "[*] ",
            (true, false) => "[ ] ",
        };
        writeln!(
            out,
            "{:>count_width$}\t{:<code_width$}\t{marker}{}",
            statistic.count,
            statistic.rule.code(),
            statistic.rule.name(),
        )?;
    }
    Ok(())
}

//! `--statistics`: how many findings each rule made.

use std::io::{self, Write};

use crate::diagnostic::Diagnostic;

pub fn write_statistics(diagnostics: &[Diagnostic], out: &mut dyn Write) -> io::Result<()> {
    let mut counts: Vec<(crate::rules::Rule, usize)> = Vec::new();
    for diagnostic in diagnostics {
        match counts.iter_mut().find(|(rule, _)| *rule == diagnostic.rule) {
            Some((_, n)) => *n += 1,
            None => counts.push((diagnostic.rule, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (rule, count) in counts {
        writeln!(out, "{count:5}\t{}\t{}", rule.code(), rule.name())?;
    }
    Ok(())
}

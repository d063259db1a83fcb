//! Human diagnostics through codespan-reporting.

use crate::diag::{Finding, Level};
use crate::engine::Report;
use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Chars, Config};
use std::collections::HashMap;
use std::path::PathBuf;
use termcolor::WriteColor;

pub fn diagnostic(f: &Finding, ids: &HashMap<PathBuf, usize>) -> Diagnostic<usize> {
    let d = match f.level {
        Level::Deny => Diagnostic::error(),
        _ => Diagnostic::warning(),
    };
    let mut labels = Vec::new();
    if let Some(&id) = ids.get(&f.path) {
        labels.push(Label::primary(id, f.span.range()));
    }
    for l in &f.labels {
        if let Some(&id) = ids.get(&l.path) {
            labels.push(Label::secondary(id, l.span.range()).with_message(&l.message));
        }
    }
    let mut notes: Vec<String> = f.notes.iter().map(|n| format!("note: {n}")).collect();
    notes.push(format!("help: {}", f.help));
    notes.push(format!(
        "example: `{}` prints the buggy and fixed pair",
        crate::diag::explain_command(f.lint)
    ));
    if let Some(fix) = &f.fix {
        notes.push(format!(
            "fix ({}): {}",
            match fix.applicability {
                crate::diag::Applicability::MachineApplicable => "automatic with --fix",
                crate::diag::Applicability::MaybeIncorrect => "suggestion, not applied",
            },
            fix.description
        ));
    }
    d.with_code(f.lint)
        .with_message(&f.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// The report's sources as codespan files, and each path's file id.
pub fn files(report: &Report) -> (SimpleFiles<String, String>, HashMap<PathBuf, usize>) {
    let mut files = SimpleFiles::new();
    let mut ids = HashMap::new();
    let mut paths: Vec<&PathBuf> = report.sources.keys().collect();
    paths.sort();
    for p in paths {
        let id = files.add(p.display().to_string(), report.sources[p].to_string());
        ids.insert(p.clone(), id);
    }
    (files, ids)
}

/// rustc's layout: ` --> path:line:col` headers and ASCII gutters (as
/// clippy prints them), which VS Code's `$rustc` problem matcher and other
/// rustc-output parsers read; codespan's default box characters they do not.
pub fn config() -> Config {
    Config {
        chars: Chars::ascii(),
        ..Config::default()
    }
}

/// Writes every finding.
pub fn render(report: &Report, out: &mut dyn WriteColor) -> std::io::Result<()> {
    let (files, ids) = files(report);
    let config = config();
    for f in &report.findings {
        let d = diagnostic(f, &ids);
        term::emit_to_write_style(out, &config, &files, &d)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    Ok(())
}

pub fn summary(report: &Report) -> String {
    let errors = report
        .findings
        .iter()
        .filter(|f| f.level == Level::Deny)
        .count();
    let warnings = report.findings.len() - errors;
    let mut s = format!(
        "synclint: {} error{}, {} warning{} in {} file{} ({} skipped, {} ms)",
        errors,
        if errors == 1 { "" } else { "s" },
        warnings,
        if warnings == 1 { "" } else { "s" },
        report.files,
        if report.files == 1 { "" } else { "s" },
        report.skipped.len(),
        report.elapsed_ms
    );
    if report.internal_errors > 0 {
        s.push_str(&format!("; {} internal error(s)", report.internal_errors));
    }
    s
}

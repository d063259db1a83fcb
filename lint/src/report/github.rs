//! `--format github`: GitHub Actions workflow commands, one annotation per
//! finding (`::error file=..,line=..::message`), escaped as the actions
//! toolkit escapes them (`packages/core/src/command.ts`).
//!
//! Errors come first: GitHub shows only the first 10 annotations of each
//! kind per step, so the deny-level findings must not be crowded out.

use super::{long_message, Context};
use crate::diag::Level;
use crate::engine::Report;
use std::fmt::Write;

/// Message data: `%`, CR and LF.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Property values: as data, plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report, cx: &Context) -> String {
    let mut out = String::new();
    let mut order: Vec<&crate::diag::Finding> = report.findings.iter().collect();
    // Stable: within a level, the report's (path, position) order.
    order.sort_by_key(|f| std::cmp::Reverse(f.level == Level::Deny));
    for f in order {
        let cmd = match f.level {
            Level::Deny => "error",
            _ => "warning",
        };
        let s = f.span;
        let mut props = vec![
            ("file", cx.repo_path(&f.path)),
            ("line", s.start.line.to_string()),
            ("col", s.start.column.to_string()),
            ("endLine", s.end.line.to_string()),
        ];
        // GitHub's columns are inclusive; ours end one past the last character.
        if s.end.line == s.start.line && s.end.column > s.start.column {
            props.push(("endColumn", (s.end.column - 1).to_string()));
        }
        props.push(("title", format!("synclint({})", f.lint)));
        let props: Vec<String> = props
            .into_iter()
            .map(|(k, v)| format!("{k}={}", escape_property(&v)))
            .collect();
        let _ = writeln!(
            out,
            "::{cmd} {}::{}",
            props.join(","),
            escape_data(&long_message(f, cx))
        );
    }
    for sk in &report.skipped {
        let _ = writeln!(
            out,
            "::warning file={},title={}::{}",
            escape_property(&cx.repo_path(&sk.path)),
            escape_property("synclint: file skipped"),
            escape_data(&sk.reason)
        );
    }
    out
}

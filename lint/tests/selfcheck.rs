//! runtime-demo is every diagnostic's example fix. synclint run over it must
//! report exactly the buggy examples: every `//~ lint` mark in
//! `runtime-demo/src`, nothing in the fixed modules, nothing in `Conn`.

mod common;

use common::{compare, marks, repo, rs_files};
use std::collections::BTreeSet;
use synclint::config::Config;
use synclint::engine::{run, Options};
use synclint::rules::LINTS;

#[test]
fn synclint_reports_exactly_the_buggy_examples() {
    let root = repo();
    let config = Config::defaults(&root);
    let opts = Options {
        paths: vec![root.join("runtime-demo")],
        cwd: root.clone(),
        config,
        jobs: 2,
        prefilter: true,
        parse_only: false,
    };
    let report = run(&opts);
    assert!(report.skipped.is_empty(), "skipped: {:?}", report.skipped);
    assert_eq!(report.internal_errors, 0);
    let mut failures = Vec::new();
    for p in rs_files(&root.join("runtime-demo")) {
        let rel = p.strip_prefix(&root).unwrap().to_path_buf();
        let expected = marks(&std::fs::read_to_string(&p).unwrap());
        let found: BTreeSet<(u32, String)> = report
            .findings
            .iter()
            .filter(|f| f.path == rel)
            .map(|f| (f.span.start.line, f.lint.to_string()))
            .collect();
        if let Some(e) = compare(&rel.display().to_string(), &expected, &found) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every lint's diagnostics name an example file that exists and holds a
/// buggy module marked for that lint and a fixed module.
#[test]
fn every_lint_has_its_example_pair() {
    for lint in LINTS {
        let path = repo().join(lint.example);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            text.contains("pub mod buggy"),
            "{}: no buggy module",
            lint.example
        );
        assert!(
            text.contains("pub mod fixed"),
            "{}: no fixed module",
            lint.example
        );
        let m = marks(&text);
        assert!(
            m.iter().any(|(_, l)| l == lint.name),
            "{}: no `//~ {}` mark in the buggy example",
            lint.example,
            lint.name
        );
        let docs = lint.docs;
        assert!(
            docs.contains(lint.example),
            "docs/lints/{}.md does not show {}",
            lint.name,
            lint.example
        );
    }
}

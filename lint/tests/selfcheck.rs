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

/// Every lint carries (compiled in, for `explain`) its runtime-demo example
/// file, holding a buggy module marked for that lint and a fixed module.
#[test]
fn every_lint_has_its_example_pair() {
    for lint in LINTS {
        let file = format!("runtime-demo/src/examples/{}.rs", lint.name);
        let text =
            std::fs::read_to_string(repo().join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(lint.example, text, "{file}: not the compiled-in pair");
        assert!(text.contains("pub mod buggy"), "{file}: no buggy module");
        assert!(text.contains("pub mod fixed"), "{file}: no fixed module");
        let m = marks(&text);
        assert!(
            m.iter().any(|(_, l)| l == lint.name),
            "{file}: no `//~ {}` mark in the buggy example",
            lint.name
        );
        assert!(
            lint.docs.contains(&file),
            "docs/lints/{}.md does not show {file}",
            lint.name
        );
    }
}

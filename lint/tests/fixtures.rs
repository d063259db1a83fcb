//! The fixture harness: every `fixtures/<lint>/<case>.rs` is linted as its
//! own unit with every lint on; every finding must start on a line marked
//! `//~ lint_name` and every mark must be found. A directory
//! `fixtures/<lint>/<case>/` is one package of several files.

mod common;

use common::{cases, compare, marks};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use synclint::config::Config;
use synclint::rules::LINTS;

fn config() -> Config {
    Config::defaults(Path::new("."))
}

fn check_case(files: &[PathBuf], prefilter: bool) -> Result<usize, String> {
    let sources: Vec<(PathBuf, String)> = files
        .iter()
        .map(|p| (p.clone(), std::fs::read_to_string(p).unwrap()))
        .collect();
    let report = synclint::lint_sources(&sources, &config(), prefilter);
    if !report.skipped.is_empty() {
        return Err(format!("skipped: {:?}", report.skipped));
    }
    let mut errors = Vec::new();
    let mut n = 0;
    for (p, text) in &sources {
        let expected = marks(text);
        n += expected.len();
        let found: BTreeSet<(u32, String)> = report
            .findings
            .iter()
            .filter(|f| f.path == *p)
            .map(|f| (f.span.start.line, f.lint.to_string()))
            .collect();
        if let Some(e) = compare(&p.display().to_string(), &expected, &found) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(n)
    } else {
        Err(errors.join("\n"))
    }
}

#[test]
fn every_fixture_matches_its_marks() {
    let mut failures = Vec::new();
    let mut total = 0;
    for lint in LINTS {
        for case in cases(lint.name) {
            total += 1;
            if let Err(e) = check_case(&case, true) {
                failures.push(e);
            }
        }
    }
    assert!(total > 0, "no fixtures found");
    assert!(
        failures.is_empty(),
        "{} of {total} fixture cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn prefilter_changes_nothing_on_fixtures() {
    for lint in LINTS {
        for case in cases(lint.name) {
            let a = check_case(&case, true);
            let b = check_case(&case, false);
            assert_eq!(
                a.is_ok(),
                b.is_ok(),
                "{case:?}: with prefilter {a:?}, without {b:?}"
            );
        }
    }
}

/// Minimum counts: positive cases (with a mark of the lint) and lookalike
/// negatives (no mark at all) per lint.
#[test]
fn every_lint_has_enough_fixtures() {
    let mut problems = Vec::new();
    for lint in LINTS {
        let (min_pos, min_neg) = if lint.name == "deferred_wait_before_closed_check" {
            (12, 10)
        } else {
            (8, 8)
        };
        let (mut pos, mut neg) = (0, 0);
        for case in cases(lint.name) {
            let mut m = BTreeSet::new();
            for p in &case {
                m.extend(marks(&std::fs::read_to_string(p).unwrap()));
            }
            let own = m.iter().filter(|(_, l)| l == lint.name).count();
            if own > 0 {
                pos += own;
            } else if m.is_empty() {
                neg += 1;
            }
        }
        if pos < min_pos || neg < min_neg {
            problems.push(format!(
                "{}: {pos} positive marks (need {min_pos}), {neg} negative cases (need {min_neg})",
                lint.name
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A case that must fire proves the harness can fail: an unmarked buggy
/// source is reported as "found but not marked".
#[test]
fn harness_detects_unmarked_findings() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("case.rs");
    std::fs::write(
        &p,
        "impl C { fn close(&self) { let _ = scopeguard::guard((), |_| { self.h.join(); }); } }\n",
    )
    .unwrap();
    let err = check_case(&[p], true).unwrap_err();
    assert!(err.contains("found but not marked"), "{err}");
}

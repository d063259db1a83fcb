//! The CLI as a process.

mod common;

use common::{marks, repo, rs_files};
use std::collections::BTreeSet;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cargo-synclint"))
}

/// `cargo-synclint --format json fixtures/`: SPEC §5 shape, a finding on
/// every marked line and nowhere else.
#[test]
fn json_over_fixtures_matches_marks() {
    let out = bin()
        .args(["--format", "json", "fixtures/"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "synclint");
    for key in ["findings", "skipped", "summary"] {
        assert!(!v[key].is_null(), "missing {key}");
    }
    let mut found = BTreeSet::new();
    for f in v["findings"].as_array().unwrap() {
        for key in [
            "lint", "severity", "message", "path", "span", "labels", "notes", "help", "example",
            "fix",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
        let start = &f["span"]["start"];
        assert!(start["line"].as_u64().unwrap() >= 1 && start["column"].as_u64().unwrap() >= 1);
        found.insert((
            f["path"].as_str().unwrap().to_string(),
            start["line"].as_u64().unwrap() as u32,
            f["lint"].as_str().unwrap().to_string(),
        ));
    }
    let mut expected = BTreeSet::new();
    for p in rs_files(&repo().join("fixtures")) {
        let rel = p
            .strip_prefix(repo())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for (line, lint) in marks(&std::fs::read_to_string(&p).unwrap()) {
            expected.insert((rel.clone(), line, lint));
        }
    }
    let missing: Vec<_> = expected.difference(&found).collect();
    let extra: Vec<_> = found.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nextra: {extra:#?}"
    );
    assert_eq!(
        v["summary"]["findings"].as_u64().unwrap() as usize,
        found.len()
    );
}

#[test]
fn list_and_explain_read_the_registry() {
    let out = bin().arg("list").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for l in synclint::rules::LINTS {
        assert!(text.contains(l.name), "list lacks {}", l.name);
        let e = bin().args(["explain", l.name]).output().unwrap();
        assert!(e.status.success());
        let text = String::from_utf8(e.stdout).unwrap();
        // The docs page, then the buggy and fixed pair from the binary
        // itself (a user's repository has no runtime-demo).
        assert!(text.starts_with(l.docs.trim_end()), "{}", l.name);
        let pair = &text[l.docs.trim_end().len()..];
        assert!(
            pair.contains("pub mod buggy") && pair.contains("pub mod fixed"),
            "explain {} lacks the pair:\n{pair}",
            l.name
        );
        assert!(
            pair.contains(&format!("// <- {}", l.name)) && !pair.contains("//~"),
            "explain {}: the finding's line is marked in plain words",
            l.name
        );
    }
    let bad = bin().args(["explain", "no_such_lint"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn leading_synclint_argument_is_dropped() {
    let out = bin().args(["synclint", "list"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clean.rs"), "fn main() {}\n").unwrap();
    let ok = bin()
        .arg("clean.rs")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    std::fs::write(
        dir.path().join("bug.rs"),
        "impl C { fn close(&self) -> R { let _g = scopeguard::guard((), |_| self.t.join()); if self.is_closed() { return Err(E); } Ok(()) } }\n",
    )
    .unwrap();
    let bug = bin()
        .arg("bug.rs")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(bug.status.code(), Some(1));
    let zero = bin()
        .args(["--exit-zero", "bug.rs"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(zero.status.code(), Some(0));
    let usage = bin().arg("--no-such-flag").output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
    let missing = bin()
        .arg("nope.rs")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    std::fs::write(dir.path().join("synclint.toml"), "bogus_key = 1\n").unwrap();
    let bad_cfg = bin()
        .args(["--config", "synclint.toml", "bug.rs"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(bad_cfg.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_cfg.stderr).contains("bogus_key"));
}

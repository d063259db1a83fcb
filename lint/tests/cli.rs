//! The CLI as a process.

mod common;

use common::{marks, repo, rs_files};
use std::collections::BTreeSet;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cargo-synclint"))
}

/// `cargo-synclint ARGS` run in `dir`.
fn run_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    bin().args(args).current_dir(dir).output().unwrap()
}

/// `cargo-synclint --format json fixtures/`: SPEC §5 shape, a finding on
/// every marked line and nowhere else.
#[test]
fn json_over_fixtures_matches_marks() {
    let out = run_in(&repo(), &["--format", "json", "fixtures/"]);
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
    let ok = run_in(dir.path(), &["clean.rs"]);
    assert_eq!(ok.status.code(), Some(0));
    std::fs::write(
        dir.path().join("bug.rs"),
        "impl C { fn close(&self) -> R { let _g = scopeguard::guard((), |_| self.t.join()); if self.is_closed() { return Err(E); } Ok(()) } }\n",
    )
    .unwrap();
    let bug = run_in(dir.path(), &["bug.rs"]);
    assert_eq!(bug.status.code(), Some(1));
    let zero = run_in(dir.path(), &["--exit-zero", "bug.rs"]);
    assert_eq!(zero.status.code(), Some(0));
    let usage = bin().arg("--no-such-flag").output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
    let missing = run_in(dir.path(), &["nope.rs"]);
    assert_eq!(missing.status.code(), Some(2));
    std::fs::write(dir.path().join("synclint.toml"), "bogus_key = 1\n").unwrap();
    let bad_cfg = run_in(dir.path(), &["--config", "synclint.toml", "bug.rs"]);
    assert_eq!(bad_cfg.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_cfg.stderr).contains("bogus_key"));
}

// ---- baselines ----

const CONN: &str = "pub struct Conn {\n    worker: Option<std::thread::JoinHandle<()>>,\n}\n\n\
impl Conn {\n    pub fn close(&mut self) {\n        self.worker.take().unwrap().join().ok();\n    }\n}\n";

const PUMP: &str = "pub struct Pump {\n    thread: Option<std::thread::JoinHandle<()>>,\n}\n\n\
impl Pump {\n    pub fn shutdown(&mut self) {\n        self.thread.take().unwrap().join().ok();\n    }\n}\n";

const SINK: &str = "pub struct Sink {\n    flusher: Option<std::thread::JoinHandle<()>>,\n}\n\n\
impl Sink {\n    pub fn stop(&mut self) {\n        self.flusher.take().unwrap().join().ok();\n    }\n}\n";

fn package(dir: &std::path::Path, lib: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"old-code\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
}

/// (exit code, findings as (lint, line), stderr) of a JSON run.
fn json_run(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, Vec<(String, u64)>, String) {
    let out = bin()
        .args(["--format", "json"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{err}", String::from_utf8_lossy(&out.stdout)));
    let found = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["lint"].as_str().unwrap().to_string(),
                f["span"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    (out.status.code(), found, err)
}

fn baseline_fingerprints(file: &std::path::Path) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

/// `--write-baseline` records today's findings; `--baseline` then reports
/// only new ones (CI fails on new bugs only), moved lines do not resurrect
/// baselined findings, and a fixed finding leaves the next baseline.
#[test]
fn baseline_reports_only_new_findings() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    package(root, &format!("{CONN}\n{PUMP}"));
    let base = root.join("synclint-baseline.json");

    // Before: two findings, exit 1.
    let (code, found, _) = json_run(root, &[]);
    assert_eq!((code, found.len()), (Some(1), 2), "{found:?}");

    // Record them: exit 0, nothing on stdout, both in the file.
    let out = run_in(root, &["--write-baseline", "synclint-baseline.json"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote 2 finding(s)"));
    let first = baseline_fingerprints(&base);
    assert_eq!(first.len(), 2);

    // With the baseline: nothing to report, exit 0, in every format.
    let (code, found, err) = json_run(root, &["--baseline", "synclint-baseline.json"]);
    assert_eq!((code, found.len()), (Some(0), 0), "{found:?}");
    assert!(
        err.contains("2 finding(s) in the baseline not shown"),
        "{err}"
    );
    for format in ["human", "sarif", "github", "gitlab", "rdjson"] {
        let out = run_in(
            root,
            &["--format", format, "--baseline", "synclint-baseline.json"],
        );
        assert_eq!(out.status.code(), Some(0), "{format}");
    }
    // From a subdirectory too (fingerprints use repository-relative paths).
    let (code, _, err) = json_run(
        &root.join("src"),
        &["--baseline", "../synclint-baseline.json"],
    );
    assert_eq!(code, Some(0), "{err}");

    // Lines move (a header, and the two types swapped): still nothing new.
    package(root, &format!("//! Moved.\n\n// More.\n{PUMP}\n\n{CONN}"));
    let (code, found, _) = json_run(root, &[]);
    assert_eq!(found.len(), 2);
    assert_ne!(code, Some(0));
    let (code, found, _) = json_run(root, &["--baseline", "synclint-baseline.json"]);
    assert_eq!(
        (code, found.len()),
        (Some(0), 0),
        "moved lines resurrected {found:?}"
    );

    // A new bug is reported, and only it: CI fails on it.
    package(
        root,
        &format!("//! Moved.\n\n// More.\n{PUMP}\n\n{CONN}\n{SINK}"),
    );
    let (code, found, _) = json_run(root, &["--baseline", "synclint-baseline.json"]);
    assert_eq!(code, Some(1));
    let sink_line = format!("//! Moved.\n\n// More.\n{PUMP}\n\n{CONN}\n")
        .lines()
        .count() as u64
        + 7;
    assert_eq!(found, vec![("non_idempotent_close".to_string(), sink_line)]);

    // Fix one old bug and write the baseline again: the fixed one is gone,
    // the new one is in.
    let fixed_pump = PUMP.replace(
        "self.thread.take().unwrap().join().ok();",
        "if let Some(t) = self.thread.take() { t.join().ok(); }",
    );
    package(root, &format!("{fixed_pump}\n{CONN}\n{SINK}"));
    let out = run_in(root, &["--write-baseline", "synclint-baseline.json"]);
    assert_eq!(out.status.code(), Some(0));
    let second = baseline_fingerprints(&base);
    assert_eq!(second.len(), 2, "{second:?}");
    let kept: Vec<&String> = second.iter().filter(|f| first.contains(f)).collect();
    assert_eq!(
        kept.len(),
        1,
        "one old finding (Conn::close) stays: {second:?}"
    );
    let (code, found, _) = json_run(root, &["--baseline", "synclint-baseline.json"]);
    assert_eq!((code, found.len()), (Some(0), 0));

    // A baseline that is not one: a clear error naming the file, exit 2.
    std::fs::write(root.join("bad.json"), "{\"findings\": 3}").unwrap();
    let (code, err) = {
        let out = run_in(root, &["--baseline", "bad.json"]);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, Some(2));
    assert!(
        err.contains("bad.json") && err.contains("not a synclint baseline"),
        "{err}"
    );
    let out = run_in(root, &["--baseline", "missing.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.json"));
}

// ---- --jobs ----

/// More jobs than the machine can start is clamped, never a panic (101):
/// under a 4 GB address-space limit `--jobs 100000` runs or exits with a
/// clear error.
#[cfg(unix)]
#[test]
fn jobs_are_clamped_to_what_the_machine_can_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("conn.rs"), CONN).unwrap();
    for limit_kb in ["4194304", "300000"] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -v {limit_kb} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_cargo-synclint"))
            .args(["--jobs", "100000", "conn.rs"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(1) | Some(2)),
            "limit {limit_kb} KB: {:?}\n{err}",
            out.status
        );
        assert!(!err.contains("panicked"), "{err}");
        if out.status.code() == Some(2) {
            assert!(err.contains("cannot start an analysis thread"), "{err}");
        } else {
            assert!(String::from_utf8_lossy(&out.stdout).contains("non_idempotent_close"));
        }
    }
    let zero = run_in(dir.path(), &["--jobs", "0", "conn.rs"]);
    assert_eq!(zero.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&zero.stderr).contains("--jobs"));
}

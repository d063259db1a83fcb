//! The prefilter must never change a finding: every fixture case, every
//! fixture together as one package, and runtime-demo give identical findings
//! (path, span, lint, message, labels) with and without it. And it must
//! actually skip files that cannot matter.

mod common;

use common::{all_cases, repo, rs_files};
use std::path::{Path, PathBuf};
use synclint::config::Config;
use synclint::engine::{self, Options, Report};

fn config() -> Config {
    Config::defaults(Path::new("."))
}

/// What must not change: everything a user sees of a finding.
fn key(r: &Report) -> Vec<String> {
    r.findings
        .iter()
        .map(|f| {
            let labels: Vec<String> = f
                .labels
                .iter()
                .map(|l| format!("{}:{:?}:{}", l.path.display(), l.span, l.message))
                .collect();
            format!(
                "{}:{:?}:{}:{}:{labels:?}:{:?}",
                f.path.display(),
                f.span,
                f.lint,
                f.message,
                f.notes
            )
        })
        .collect()
}

fn read(files: &[PathBuf]) -> Vec<(PathBuf, String)> {
    files
        .iter()
        .map(|p| (p.clone(), std::fs::read_to_string(p).unwrap()))
        .collect()
}

fn assert_same(what: &str, sources: &[(PathBuf, String)]) -> (usize, usize) {
    let on = synclint::lint_sources(sources, &config(), true);
    let off = synclint::lint_sources(sources, &config(), false);
    assert_eq!(
        key(&on),
        key(&off),
        "{what}: findings differ with the prefilter"
    );
    assert_eq!(
        on.skipped.len(),
        off.skipped.len(),
        "{what}: skipped differ"
    );
    (on.syn_parsed, off.syn_parsed)
}

#[test]
fn identical_findings_on_every_fixture_case() {
    let cases = all_cases();
    assert!(cases.len() > 30, "fixtures not found");
    for case in cases {
        assert_same(&format!("{case:?}"), &read(&case));
    }
}

#[test]
fn identical_findings_on_all_fixtures_as_one_package() {
    // Cross-file demand: names collide across cases, definitions live in
    // other files than their callers.
    let all = rs_files(&repo().join("fixtures"));
    let (on, off) = assert_same("all fixtures", &read(&all));
    assert!(on <= off);
}

fn run(path: &Path, prefilter: bool) -> Report {
    engine::run(&Options {
        paths: vec![path.to_path_buf()],
        cwd: repo(),
        config: config(),
        jobs: 2,
        prefilter,
        parse_only: false,
    })
}

#[test]
fn identical_findings_on_runtime_demo() {
    let dir = repo().join("runtime-demo");
    let on = run(&dir, true);
    let off = run(&dir, false);
    assert!(!off.findings.is_empty(), "runtime-demo has buggy examples");
    assert_eq!(key(&on), key(&off));
    assert_eq!(on.files, off.files);
    assert_eq!(on.parsed + on.prefiltered, off.parsed);
    assert_eq!(off.prefiltered, 0);
    assert!(on.syn_parsed <= off.syn_parsed);
}

#[test]
fn skips_a_file_without_relevant_vocabulary() {
    let buggy = "use std::sync::atomic::{AtomicBool, Ordering};\n\
                 pub struct C { closed: AtomicBool }\n\
                 impl C { pub fn close(&self) { if self.closed.load(Ordering::Acquire) { return; }\n\
                 self.closed.store(true, Ordering::Release); } }\n";
    let plain = "pub fn add(a: u32, b: u32) -> u32 { a + b }\n\
                 pub struct Point { pub x: i32, pub y: i32 }\n";
    let sources = vec![
        (PathBuf::from("src/conn.rs"), buggy.to_string()),
        (PathBuf::from("src/math.rs"), plain.to_string()),
    ];
    let on = synclint::lint_sources(&sources, &config(), true);
    let off = synclint::lint_sources(&sources, &config(), false);
    assert_eq!(key(&on), key(&off));
    assert_eq!(on.findings.len(), 1, "{:?}", key(&on));
    assert_eq!(off.syn_parsed, 2);
    assert_eq!(
        on.syn_parsed, 1,
        "the file without vocabulary is not parsed"
    );
    assert_eq!(
        (on.parsed, on.prefiltered),
        (1, 1),
        "a file the prefilter skipped is not counted as parsed"
    );
}

#[test]
fn a_waiting_helper_in_another_file_is_parsed_on_demand() {
    // The candidate has no wait vocabulary itself: the helper's file does.
    let caller = "pub struct S;\nimpl S { pub async fn run(&self) { crate::util::settle(); } }\n";
    let helper = "pub fn settle() { finish_all(); }\nfn finish_all() { std::thread::sleep(std::time::Duration::from_millis(1)); }\n";
    let unrelated = "pub fn settle_not() -> u8 { 1 }\n";
    let sources = vec![
        (PathBuf::from("src/a.rs"), caller.to_string()),
        (PathBuf::from("src/util.rs"), helper.to_string()),
        (PathBuf::from("src/b.rs"), unrelated.to_string()),
    ];
    let on = synclint::lint_sources(&sources, &config(), true);
    let off = synclint::lint_sources(&sources, &config(), false);
    assert_eq!(key(&on), key(&off));
    assert_eq!(on.findings.len(), 1, "{:?}", key(&on));
    assert_eq!(on.syn_parsed, 2);
}

/// Lints `files` with and without the prefilter; returns the findings' lint
/// names (identical both ways) and how many files the prefilter parsed.
fn package(files: &[(&str, &str)]) -> (Vec<&'static str>, usize) {
    let sources: Vec<(PathBuf, String)> = files
        .iter()
        .map(|(p, t)| (PathBuf::from(p), t.to_string()))
        .collect();
    let on = synclint::lint_sources(&sources, &config(), true);
    let off = synclint::lint_sources(&sources, &config(), false);
    assert_eq!(key(&on), key(&off), "{files:?}");
    (on.findings.iter().map(|f| f.lint).collect(), on.syn_parsed)
}

#[test]
fn answers_that_depend_on_other_files_are_parsed_on_demand() {
    // A cfg stub without any vocabulary vetoes the waiting definition.
    let (lints, parsed) = package(&[
        ("src/a.rs", "pub async fn run() { crate::d::debug_delay(); }\n"),
        (
            "src/d/real.rs",
            "#[cfg(feature = \"x\")]\npub fn debug_delay() { std::thread::sleep(std::time::Duration::from_millis(1)); }\n",
        ),
        ("src/d/stub.rs", "#[cfg(not(feature = \"x\"))]\npub fn debug_delay() {}\n"),
        ("src/e.rs", "pub fn unrelated() -> u8 { 2 }\n"),
    ]);
    assert!(lints.is_empty(), "{lints:?}");
    assert_eq!(parsed, 3, "the stub is parsed, the unrelated file not");

    // The lock held across the wait is also taken in a file without waits.
    let (lints, _) = package(&[
        (
            "src/a.rs",
            "impl Pool { pub fn stop(&self) { let g = self.state.lock().unwrap(); std::thread::sleep(std::time::Duration::from_millis(1)); drop(g); } }\n",
        ),
        ("src/b.rs", "impl Pool { pub fn add(&self) { *self.state.lock().unwrap() += 1; } }\n"),
    ]);
    assert_eq!(lints, ["wait_while_holding_lock"]);

    // A private close called from another file's non-Drop method runs twice.
    let close = "pub struct Conn { h: Option<std::thread::JoinHandle<()>> }\n\
                 impl Conn { fn close(&mut self) { self.h.take().unwrap().join().unwrap(); } }\n\
                 impl Drop for Conn { fn drop(&mut self) { self.close(); } }\n";
    let (lints, _) = package(&[
        ("src/a.rs", close),
        (
            "src/b.rs",
            "impl Conn { pub fn reset(&mut self) { self.close(); } }\n",
        ),
    ]);
    assert_eq!(lints, ["non_idempotent_close"]);
    let (lints, _) = package(&[("src/a.rs", close)]);
    assert!(lints.is_empty(), "only Drop calls it: {lints:?}");

    // A Drop takes a field another file's method also takes.
    let (lints, _) = package(&[
        (
            "src/a.rs",
            "pub struct W { h: Option<std::thread::JoinHandle<()>> }\n\
             impl Drop for W { fn drop(&mut self) { self.h.take().unwrap().join().unwrap(); } }\n",
        ),
        (
            "src/b.rs",
            "impl W { pub fn detach(&mut self) { let _ = self.h.take(); } }\n",
        ),
    ]);
    assert_eq!(lints, ["non_idempotent_close"]);

    // A closed check through a close-state method defined in another file
    // (`Index::close_method`): that file is parsed, the check is real.
    let (lints, parsed) = package(&[
        (
            "src/a.rs",
            "use std::sync::atomic::{AtomicBool, Ordering::SeqCst};\n\
             pub struct Conn { closed: AtomicBool }\n\
             impl Conn { pub fn close(&self) { if self.is_shut() { return; } self.drain(); self.closed.store(true, SeqCst); }\n\
             fn drain(&self) {} }\n",
        ),
        (
            "src/b.rs",
            "impl Conn { fn is_shut(&self) -> bool { self.closed.load(std::sync::atomic::Ordering::SeqCst) } }\n",
        ),
        ("src/c.rs", "pub fn unrelated() -> u8 { 3 }\n"),
    ]);
    assert_eq!(lints, ["closed_flag_check_then_set"]);
    assert_eq!(parsed, 2);
}

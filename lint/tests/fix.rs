//! `--fix` / `--diff`: every fixable fixture case against its `<case>.fixed`
//! byte for byte (LF, CRLF and BOM copies), idempotence, exit statuses,
//! refused and interrupted writes, and the runtime-demo crate still building
//! after its buggy examples are fixed.

mod common;

use common::repo;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use synclint::config::Config;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cargo-synclint"))
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = bin();
    c.current_dir(dir)
        .args(args)
        .env_remove("SYNCLINT_TEST_FAIL_FIX");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run cargo-synclint")
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

/// Every `fixtures/<lint>/<case>.fixed`, with its case and lint.
fn fixed_cases() -> Vec<(String, PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for lint in synclint::rules::LINTS {
        let dir = repo().join("fixtures").join(lint.name);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut v: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
        v.sort();
        for p in v {
            // A `.fixed` whose case is not there (yet) is not a case.
            if p.extension().is_some_and(|x| x == "fixed") && p.with_extension("rs").is_file() {
                out.push((lint.name.to_string(), p.with_extension("rs"), p));
            }
        }
    }
    out
}

fn crlf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// Fixes `source` as file `name` in a fresh temp dir; returns the result and
/// the exit status.
fn fix_text(name: &str, source: &str) -> (String, i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, source).unwrap();
    let o = run(dir.path(), &["--fix", "--color", "never", name], &[]);
    let got = std::fs::read_to_string(&p).unwrap();
    (got, o.status.code().unwrap_or(-1), text(&o.stderr))
}

#[test]
fn every_fixed_fixture_matches_byte_for_byte() {
    let cases = fixed_cases();
    assert!(cases.len() >= 20, "only {} .fixed files", cases.len());
    let mut failures = Vec::new();
    for (lint, case, fixed) in &cases {
        let src = std::fs::read_to_string(case).unwrap();
        let want = std::fs::read_to_string(fixed).unwrap();
        let name = case.file_name().unwrap().to_str().unwrap();
        // As stored, with CRLF line endings, and with a BOM: the same fix,
        // and every untouched byte (CRLF in the inserted lines too).
        for (variant, s, w) in [
            ("lf", src.clone(), want.clone()),
            ("crlf", crlf(&src), crlf(&want)),
            ("bom", format!("\u{feff}{src}"), format!("\u{feff}{want}")),
        ] {
            let (got, _, err) = fix_text(name, &s);
            if got != w {
                failures.push(format!(
                    "{} ({variant}): fixed text differs\n{}\nstderr: {err}",
                    case.display(),
                    synclint::fix::diff::unified("want", "got", &w, &got)
                ));
            }
        }
        // The fixed text parses and is clean for the lint it fixes.
        synclint::fix::parses(&want).unwrap_or_else(|e| panic!("{}: {e}", fixed.display()));
        let report = synclint::lint_source(case, &want, &Config::defaults(Path::new(".")));
        let left: Vec<_> = report.findings.iter().filter(|f| f.lint == lint).collect();
        if !left.is_empty() {
            failures.push(format!(
                "{}: still reports {lint} at lines {:?}",
                fixed.display(),
                left.iter().map(|f| f.span.start.line).collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_second_fix_changes_nothing_and_exit_status_follows_what_remains() {
    let case = repo().join("fixtures/closed_flag_check_then_set/atomic_early_return.rs");
    let src = std::fs::read_to_string(&case).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.rs");
    std::fs::write(&p, &src).unwrap();
    // --diff: shows the change, writes nothing, exits 1.
    let o = run(dir.path(), &["--diff", "c.rs"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let d = text(&o.stdout);
    assert!(d.starts_with("--- a/c.rs\n+++ b/c.rs\n@@ "), "{d}");
    assert!(
        d.contains("+        if self.closed.swap(true, Ordering::AcqRel) {"),
        "{d}"
    );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), src);
    // --fix: every finding fixed, exit 0.
    let o = run(dir.path(), &["--fix", "c.rs"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("fixed 1 finding(s) in 1 file(s)"));
    let once = std::fs::read(&p).unwrap();
    // Again: nothing to do, nothing changes; --diff is empty and exits 0.
    let o = run(dir.path(), &["--fix", "c.rs"], &[]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read(&p).unwrap(), once);
    let o = run(dir.path(), &["--diff", "c.rs"], &[]);
    assert_eq!((o.status.code(), o.stdout.len()), (Some(0), 0));
}

#[test]
fn suggestions_are_shown_but_never_applied() {
    // `let h = x.take().unwrap();` only gets a maybe-incorrect suggestion.
    let case = repo().join("fixtures/non_idempotent_close/take_unwrap.rs");
    let src = std::fs::read_to_string(&case).unwrap();
    let (got, code, _) = fix_text("t.rs", &src);
    assert_eq!(got, src);
    assert_eq!(code, 1, "a finding remains");
    let r = synclint::lint_source(&case, &src, &Config::defaults(Path::new(".")));
    let fix = r.findings[0].fix.as_ref().expect("a suggestion");
    assert_eq!(
        fix.applicability,
        synclint::diag::Applicability::MaybeIncorrect
    );
    // The Mutex<bool> form of lint 2 too.
    let case = repo().join("fixtures/closed_flag_check_then_set/mutex_relock.rs");
    let src = std::fs::read_to_string(&case).unwrap();
    let (got, code, _) = fix_text("m.rs", &src);
    assert_eq!((got == src, code), (true, 1));
}

#[test]
fn overlapping_fixes_converge_over_rounds() {
    // Naming the `let _` guard makes it a live guard armed before a closed
    // check: round two moves it after the check.
    let src = concat!(
        "use std::thread::JoinHandle;\n",
        "struct C { closed: bool, h: JoinHandle<()> }\n",
        "impl C {\n",
        "    pub fn close(&self) -> Result<(), ()> {\n",
        "        let _ = scopeguard::guard((), |()| { let _ = self.h.join(); });\n",
        "        if self.closed {\n",
        "            return Err(());\n",
        "        }\n",
        "        Ok(())\n",
        "    }\n",
        "}\n",
    );
    let (got, code, err) = fix_text("r.rs", src);
    assert_eq!(code, 0, "{err}\n{got}");
    assert!(
        got.contains("        }\n        let _guard = scopeguard::guard"),
        "{got}"
    );
    assert!(err.contains("fixed 2 finding(s)"), "{err}");
}

fn fixable_copy() -> (tempfile::TempDir, PathBuf, String) {
    let src = std::fs::read_to_string(
        repo().join("fixtures/closed_flag_check_then_set/atomic_early_return.rs"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("victim.rs");
    std::fs::write(&p, &src).unwrap();
    (dir, p, src)
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "victim.rs")
        .collect()
}

#[test]
fn a_refused_rename_leaves_the_original_intact() {
    let (dir, p, src) = fixable_copy();
    let o = run(
        dir.path(),
        &["--fix", "victim.rs"],
        &[("SYNCLINT_TEST_FAIL_FIX", "rename:victim.rs")],
    );
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: victim.rs: not fixed: cannot replace the file: Read-only file system"),
        "{err}"
    );
    assert!(err.contains("the original is unchanged"), "{err}");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), src);
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
}

#[test]
fn a_full_disk_leaves_the_original_intact() {
    let (dir, p, src) = fixable_copy();
    let o = run(
        dir.path(),
        &["--fix", "victim.rs"],
        &[("SYNCLINT_TEST_FAIL_FIX", "write:victim.rs")],
    );
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("victim.rs: not fixed: cannot write: No space left on device"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), src);
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
}

#[test]
fn a_file_changed_since_it_was_read_is_left_alone() {
    let (_dir, p, src) = fixable_copy();
    std::fs::write(&p, "// edited meanwhile\n").unwrap();
    let r = synclint::fix::write::write_fixed(&p, &src, "fn fixed() {}\n");
    assert_eq!(r, Err(synclint::fix::write::WriteError::Changed));
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "// edited meanwhile\n"
    );
}

#[cfg(unix)]
#[test]
fn permissions_and_symlinks_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, p, src) = fixable_copy();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("victim.rs", dir.path().join("link.rs")).unwrap();
    let o = run(dir.path(), &["--fix", "link.rs"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let meta = std::fs::metadata(&p).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert!(std::fs::symlink_metadata(dir.path().join("link.rs"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_ne!(std::fs::read_to_string(&p).unwrap(), src);
}

fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_entry(|e| e.file_name() != "target")
    {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// runtime-demo's buggy examples, fixed on a copy of the crate, still build
/// (`cargo check --offline`, reusing the repo's target dir for dependencies).
#[test]
fn fixed_runtime_demo_still_builds() {
    let tmp = tempfile::tempdir().unwrap();
    let crate_dir = tmp.path().join("runtime-demo");
    copy_dir(&repo().join("runtime-demo"), &crate_dir);
    std::fs::copy(repo().join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();
    let before: Vec<(PathBuf, String)> = common::rs_files(&crate_dir.join("src/examples"))
        .into_iter()
        .map(|p| {
            let t = std::fs::read_to_string(&p).unwrap();
            (p, t)
        })
        .collect();
    let o = run(&crate_dir, &["--fix", "--color", "never", "src"], &[]);
    let err = text(&o.stderr);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{err}");
    let changed = before
        .iter()
        .filter(|(p, t)| std::fs::read_to_string(p).unwrap() != *t)
        .count();
    assert!(changed >= 3, "only {changed} example files fixed\n{err}");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let o = Command::new(cargo)
        .current_dir(&crate_dir)
        .args(["check", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", target.join("fix-check"))
        .output()
        .expect("run cargo check");
    assert!(
        o.status.success(),
        "the fixed crate does not build:\n{}",
        text(&o.stderr)
    );
}

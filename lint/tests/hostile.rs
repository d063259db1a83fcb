//! Hostile input (issue 8): never crash, never lose a finding, say what was
//! skipped. Most checks run the real binary as a process, since a stack
//! overflow aborts the whole process and cannot be caught in-process.

mod common;

use common::mutate::{mutate, Rng};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use synclint::engine::{self, MAX_CHAIN, MAX_NESTING, TEST_PANIC_ENV};
use synclint::Config;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cargo-synclint"))
}

/// A close path that reports one `non_idempotent_close` finding.
const BUGGY: &str = "struct C { h: Option<std::thread::JoinHandle<()>> }\n\
impl C {\n    fn close(&mut self) {\n        self.h.take().unwrap().join().ok();\n    }\n}\n";

/// `cargo-synclint --format json ARGS` in `dir`: exit code and JSON document.
fn run_json(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Option<i32>, serde_json::Value, Output) {
    let mut cmd = bin();
    cmd.args(["--format", "json", "--no-prefilter"])
        .args(args)
        .current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}); status {:?}; stderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), v, out)
}

fn finding_paths(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

/// The skip reason for `path`, if it was skipped.
fn skipped(v: &serde_json::Value, path: &str) -> Option<String> {
    v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == path)
        .map(|s| s["reason"].as_str().unwrap().to_string())
}

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

// 1. Per-file isolation.

#[test]
fn a_panic_in_one_file_is_an_internal_error_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bug.rs", BUGGY);
    write(
        dir.path(),
        "boom.rs",
        format!("// inject-panic-here\n{BUGGY}"),
    );
    let env = [(TEST_PANIC_ENV, "inject-panic-here")];
    let (code, v, out) = run_json(dir.path(), &["bug.rs", "boom.rs"], &env);
    assert_eq!(code, Some(2), "internal errors exit 2");
    assert_eq!(
        finding_paths(&v),
        ["bug.rs"],
        "the other file's finding is kept"
    );
    let reason = skipped(&v, "boom.rs").expect("boom.rs reported");
    assert!(
        reason.starts_with("internal error") && reason.contains("injected panic"),
        "{reason}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("panicked"));

    let (code, ..) = run_json(dir.path(), &["--exit-zero", "bug.rs", "boom.rs"], &env);
    assert_eq!(code, Some(0), "--exit-zero");

    // Human mode names the file on stderr and still prints the finding.
    let out = bin()
        .args(["bug.rs", "boom.rs"])
        .env(env[0].0, env[0].1)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("boom.rs") && stderr.contains("internal error"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("non_idempotent_close"));

    // Without the variable nothing is injected.
    let (code, v, _) = run_json(dir.path(), &["bug.rs", "boom.rs"], &[]);
    assert_eq!((code, finding_paths(&v).len()), (Some(1), 2));
}

// 2. Deep nesting.

/// Shapes that make syn (or a walk over its tree) recurse once per repeat:
/// (name, prefix, repeated, middle, repeated closer, suffix).
const SHAPES: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("parens", "fn f() { let x = ", "(", "1", ")", "; }"),
    ("blocks", "fn f() ", "{", "", "}", ""),
    ("brackets", "fn f() { let x = ", "[", "1", "]", "; }"),
    ("generics", "fn f() { let x: ", "Vec<", "u8", ">", " = 0; }"),
    ("generic_args", "type T = ", "A<u8, ", "u8", ">", ";"),
    ("turbofish", "fn f() { x::<", "Vec<", "u8", ">", ">(); }"),
    ("not", "fn f() { let x = ", "!", "x", "", "; }"),
    ("refs", "fn f() { let x = ", "&", "x", "", "; }"),
    ("neg", "fn f() { let x = ", "- ", "x", "", "; }"),
    ("deref", "fn f() { let x = ", "*", "x", "", "; }"),
    ("ref_types", "fn f(x: ", "&'a ", "u8", "", ") {}"),
    ("ptr_types", "fn f(x: ", "*const ", "u8", "", ") {}"),
    (
        "impl_bounds",
        "fn f(x: impl ",
        "Fn() -> impl ",
        "Copy",
        "",
        ") {}",
    ),
    ("assign", "fn f() { ", "a = ", "1", "", "; }"),
    ("returns", "fn f() { ", "return ", "1", "", "; }"),
    ("breaks", "fn f() { loop { ", "break ", "", "", "; } }"),
    ("closures", "fn f() { let x = ", "|| ", "1", "", "; }"),
    ("else_if", "fn f() { if a {} ", "else if a {} ", "", "", "}"),
    ("methods", "fn f() { x", ".m()", "", "", "; }"),
    ("fields", "fn f() { x", ".a", "", "", "; }"),
    ("binops", "fn f() { let x = 1", " + 1", "", "", "; }"),
    ("tries", "fn f() { x", "?", "", "", "; }"),
    ("awaits", "async fn f() { x", ".await", "", "", "; }"),
    ("calls", "fn f() { x", "()", "", "", "; }"),
    ("casts", "fn f() { let x = 1", " as u8", "", "", "; }"),
];

fn shape(s: &(&str, &str, &str, &str, &str, &str), n: usize) -> String {
    let (_, pre, open, mid, close, post) = *s;
    format!("{pre}{}{mid}{}{post}\n", open.repeat(n), close.repeat(n))
}

/// 50,000 repeats of every shape, as a process: no crash, each file either
/// analysed or skipped with a depth reason.
#[test]
fn fifty_thousand_levels_of_every_shape_never_crash() {
    let dir = tempfile::tempdir().unwrap();
    for s in SHAPES {
        write(dir.path(), &format!("{}.rs", s.0), shape(s, 50_000));
    }
    // A few megabytes of one prefix operator.
    write(
        dir.path(),
        "bangs.rs",
        format!("fn f() {{ let x = {}x; }}\n", "!".repeat(3 << 20)),
    );
    let (code, v, out) = run_json(dir.path(), &["."], &[]);
    assert_eq!(
        code,
        Some(0),
        "stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for s in SHAPES.iter().map(|s| s.0).chain(["bangs"]) {
        let reason =
            skipped(&v, &format!("{s}.rs")).unwrap_or_else(|| panic!("{s} was not refused"));
        assert!(
            reason.contains("nested too deeply") || reason.contains("chain too long"),
            "{s}: {reason}"
        );
    }
}

/// Just under the limits every shape is accepted and analysed without
/// overflowing the (debug build's) stacks: the limits leave a margin.
#[test]
fn every_shape_just_under_the_limits_is_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for s in SHAPES {
        // The largest repeat count the estimate accepts.
        let fits = |n: usize| {
            let d = engine::nesting_depth(&shape(s, n));
            d.nest <= MAX_NESTING && d.chain <= MAX_CHAIN
        };
        let (mut lo, mut hi) = (1usize, 50_000usize);
        assert!(fits(lo) && !fits(hi), "{}", s.0);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if fits(mid) {
                lo = mid
            } else {
                hi = mid
            }
        }
        write(dir.path(), &format!("{}.rs", s.0), shape(s, lo));
        names.push(s.0);
    }
    let (code, v, out) = run_json(dir.path(), &["."], &[]);
    assert_eq!(
        code,
        Some(0),
        "stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in names {
        let reason = skipped(&v, &format!("{name}.rs"));
        // Some shapes are not valid Rust; a parse error is a correct answer.
        assert!(
            reason
                .as_deref()
                .is_none_or(|r| r.starts_with("parse error")),
            "{name}: {reason:?}"
        );
    }
}

// 3. Files that are not what they seem.

#[test]
fn encodings_sizes_and_broken_text_are_skipped_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "bug.rs", BUGGY);
    write(d, "latin1.rs", b"fn f() { let s = \"caf\xe9\"; }\n");
    write(d, "binary.rs", b"\x7fELF\x00\x00\x01\x02fn close() {}");
    write(d, "empty.rs", "");
    write(d, "string.rs", "fn close() { let s = \"unterminated; }\n");
    write(
        d,
        "comment.rs",
        "fn close() { /* unterminated /* nested */ }\n",
    );
    write(d, "char.rs", "fn close() { let c = 'x; }\n");
    write(
        d,
        "raw.rs",
        "fn close() { let s = r##\"unterminated\"#; }\n",
    );
    // Over the size limit: skipped from its length alone.
    let huge = std::fs::File::create(d.join("huge.rs")).unwrap();
    huge.set_len(20 << 20).unwrap();
    write(
        d,
        "ten_mb.rs",
        "fn close() {}\n".repeat((10 << 20) / 14 + 1),
    );
    // One long line of valid code: analysed, in linear time.
    write(
        d,
        "one_line.rs",
        format!("fn f() {{ {} }}\n", "let x = 1; ".repeat(100_000)),
    );
    let (code, v, out) = run_json(d, &["."], &[]);
    assert_eq!(
        code,
        Some(1),
        "skipped files do not change the exit status: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(finding_paths(&v), ["bug.rs"]);
    let expect = [
        ("latin1.rs", "not valid UTF-8"),
        ("binary.rs", "binary file"),
        ("string.rs", "parse error"),
        ("comment.rs", "parse error"),
        ("raw.rs", "parse error"),
        ("huge.rs", "file too large (20.0 MB"),
        ("ten_mb.rs", "file too large (10.0 MB"),
    ];
    for (file, why) in expect {
        let reason = skipped(&v, file).unwrap_or_else(|| panic!("{file} not skipped: {v}"));
        assert!(reason.contains(why), "{file}: {reason}");
    }
    for file in ["empty.rs", "one_line.rs", "bug.rs", "char.rs"] {
        assert_eq!(skipped(&v, file), None, "{file}");
    }
    // A syntax error inside a function body leaves out that body only: the
    // file is analysed, and the error is reported with it.
    let partly = v["partly_analysed"].as_array().expect("partly_analysed");
    assert_eq!(partly.len(), 1, "{v}");
    assert_eq!(partly[0]["path"], "char.rs");
    let reason = partly[0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("parse error at 1:"), "{reason}");
    assert_eq!(v["summary"]["files"], 11);
    assert_eq!(v["summary"]["parsed"], 4);
}

/// SPEC §5: lines, columns (Unicode scalar values) and bytes (BOM and CRLF
/// included) of a finding in a BOM + CRLF file with a non-ASCII identifier.
#[test]
fn bom_and_crlf_spans_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\u{feff}// é\r\nstruct C { h: Option<std::thread::JoinHandle<()>> }\r\nimpl C {\r\n    fn close(&mut self) {\r\n        let _é = self.h.take().unwrap();\r\n    }\r\n}\r\n";
    write(dir.path(), "bom.rs", text);
    let (code, v, _) = run_json(dir.path(), &["bom.rs"], &[]);
    assert_eq!(code, Some(1));
    let f = &v["findings"][0];
    assert_eq!(f["lint"], "non_idempotent_close");
    // Lines 1-4 take 3 (BOM) + 7 + 53 + 10 + 27 bytes; on line 5,
    // `        let _é = self.h.take()`, 24 chars (25 bytes: `é` is two)
    // come before `take`.
    let take = text.find("take").unwrap();
    assert_eq!(take, 3 + 7 + 53 + 10 + 27 + 25);
    let span = serde_json::json!({
        "start": {"line": 5, "column": 25, "byte": 125},
        "end": {"line": 5, "column": 29, "byte": 129},
    });
    assert_eq!(f["span"], span, "{f}");
    assert_eq!(&text.as_bytes()[take..take + 4], b"take");
}

/// A shebang line is blanked, not cut: spans after it stay right.
#[test]
fn shebang_keeps_offsets() {
    let text = format!("#!/usr/bin/env run-cargo-script\n{BUGGY}");
    let r = synclint::lint_source(Path::new("s.rs"), &text, &Config::defaults(Path::new(".")));
    assert_eq!(r.findings.len(), 1, "{:?}", r.skipped);
    let s = r.findings[0].span;
    assert_eq!(&text[s.range()], "take");
    assert_eq!(s.start.line, 5);
}

#[test]
fn vanished_and_odd_paths_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    // Discovered, then deleted before it is read.
    let gone = write(dir.path(), "gone.rs", BUGGY);
    std::fs::remove_file(&gone).unwrap();
    assert_eq!(
        engine::read_file(&gone).unwrap_err(),
        "file vanished before it could be read"
    );
    // A directory that looks like a source file.
    std::fs::create_dir(dir.path().join("dir.rs")).unwrap();
    assert_eq!(
        engine::read_file(&dir.path().join("dir.rs")).unwrap_err(),
        "not a regular file"
    );
    // Unreadable: as root, permissions do not stop reading.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = write(dir.path(), "locked.rs", BUGGY);
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        match std::fs::read(&locked) {
            Ok(_) => eprintln!("note: running as root; chmod 000 does not stop reading, permission case not asserted"),
            Err(_) => assert_eq!(engine::read_file(&locked).unwrap_err(), "permission denied"),
        }
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    // Spaces and non-ASCII names: found, analysed, named exactly.
    let sub = dir.path().join("my dir");
    std::fs::create_dir(&sub).unwrap();
    write(&sub, "größe datei.rs", BUGGY);
    let (code, v, _) = run_json(dir.path(), &["."], &[]);
    assert_eq!(code, Some(1));
    assert!(
        finding_paths(&v).contains(&"my dir/größe datei.rs".to_string()),
        "{v}"
    );
    assert!(
        skipped(&v, "dir.rs").is_none(),
        "a directory named x.rs is not a file to lint"
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links_are_skipped() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "bug.rs", BUGGY);
    symlink("nowhere.rs", d.join("dangling.rs")).unwrap();
    symlink("self.rs", d.join("self.rs")).unwrap();
    symlink("b.rs", d.join("a.rs")).unwrap();
    symlink("a.rs", d.join("b.rs")).unwrap();
    std::fs::create_dir(d.join("sub")).unwrap();
    symlink("..", d.join("sub/up")).unwrap(); // a directory loop
    symlink("../bug.rs", d.join("sub/link.rs")).unwrap();
    let (code, v, _) = run_json(d, &["."], &[]);
    assert_eq!(code, Some(1));
    for f in ["dangling.rs", "self.rs", "a.rs", "b.rs"] {
        let reason = skipped(&v, f).unwrap_or_else(|| panic!("{f} not skipped: {v}"));
        assert!(reason.contains("broken symbolic link"), "{f}: {reason}");
    }
    let paths = finding_paths(&v);
    assert!(
        paths.contains(&"bug.rs".into()) && paths.contains(&"sub/link.rs".into()),
        "{paths:?}"
    );
}

// 4. Mutated fixtures never panic the analyzer.

#[test]
fn mutated_fixtures_never_panic_the_analyzer() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut sources: Vec<(PathBuf, String)> = walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .filter_map(|e| {
            Some((
                e.path().to_path_buf(),
                std::fs::read_to_string(e.path()).ok()?,
            ))
        })
        .collect();
    sources.retain(|(_, t)| t.len() < 20_000);
    assert!(!sources.is_empty());
    let config = Config::defaults(Path::new("."));
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    // A fixed number of mutants (no time budget: the count never depends
    // on how loaded the machine is).
    let (mut done, mut parsed) = (0usize, 0usize);
    while done < 600 {
        // Mutants of two files linted together, so the index and the rules
        // (not only the parser) see broken models.
        let a = &sources[rng.below(sources.len())];
        let b = &sources[rng.below(sources.len())];
        let files = vec![
            (a.0.clone(), mutate(&a.1, &mut rng)),
            (PathBuf::from("other.rs"), mutate(&b.1, &mut rng)),
        ];
        let report = synclint::lint_sources(&files, &config, false);
        for s in &report.skipped {
            assert!(
                !s.reason.starts_with("internal error"),
                "{}: {}\n--- mutant ---\n{}",
                a.0.display(),
                s.reason,
                files[0].1
            );
        }
        assert_eq!(report.internal_errors, 0);
        assert_eq!(report.parsed + report.skipped.len(), 2);
        parsed += report.parsed;
        done += 1;
    }
    eprintln!(
        "{done} mutant pairs ({} files), {parsed} parsed, the rest skipped with a parse error",
        done * 2
    );
    assert!(parsed > 0, "no mutant parsed: the rules never ran");
}

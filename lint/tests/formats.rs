//! Where users run synclint: every output format against blessed golden
//! files, the invariants CI services rely on (stable fingerprints, escaping,
//! SARIF structure), and `cargo synclint` as a Cargo subcommand.
//!
//! Regenerate the golden files with `SYNCLINT_BLESS=1 cargo test --test formats`.

mod common;

use common::repo;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use synclint::diag::{Applicability, Edit, Fix};
use synclint::report::{self, Context};
use synclint::rules::LINTS;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cargo-synclint"))
}

fn golden_dir() -> PathBuf {
    repo().join("lint/tests/golden")
}

const INPUT: &str = "lint/tests/golden/input";

fn run(args: &[&str], cwd: &Path) -> Output {
    let out = bin().args(args).current_dir(cwd).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?} should find the golden input's bugs; stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Replaces what varies between machines and commits: the checkout's
/// absolute path, timings, and the lint docs pages (edited on their own;
/// they are compared with the registry instead).
fn normalize_value(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Some(l) = LINTS.iter().find(|l| l.docs == s.as_str()) {
                *s = format!("<docs/lints/{}.md>", l.name);
            } else {
                *s = normalize_text(s);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(normalize_value),
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                if k == "elapsed_ms" {
                    *x = Value::from(0);
                } else {
                    normalize_value(x);
                }
            }
        }
        _ => {}
    }
}

fn normalize_text(s: &str) -> String {
    let root = repo().to_string_lossy().replace('\\', "/");
    s.replace(&format!("file://{root}"), "file://$ROOT")
        .replace(&root, "$ROOT")
}

fn normalize_json(text: &str) -> String {
    let mut v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    normalize_value(&mut v);
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

fn normalize_json_lines(text: &str) -> String {
    text.lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            normalize_value(&mut v);
            serde_json::to_string(&v).unwrap() + "\n"
        })
        .collect()
}

/// Compares with the checked-in file, or writes it under `SYNCLINT_BLESS=1`.
fn golden(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if std::env::var_os("SYNCLINT_BLESS").is_some_and(|v| v != "0") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `SYNCLINT_BLESS=1 cargo test --test formats`",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output (first at line {}):\n--- expected\n{}\n+++ actual\n{}\n\
             (if the change is intended: SYNCLINT_BLESS=1 cargo test --test formats)",
            path.display(),
            first + 1,
            expected.lines().nth(first).unwrap_or("<end>"),
            actual.lines().nth(first).unwrap_or("<end>")
        );
    }
}

fn format_output(format: &str) -> String {
    let out = run(&["--format", format, INPUT], &repo());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn golden_json() {
    golden("expected.json", &normalize_json(&format_output("json")));
}

/// rustc's layout (` --> path:line:col`, ASCII gutters), which VS Code's
/// `$rustc` problem matcher reads; no box-drawing characters.
#[test]
fn golden_human() {
    let out = run(&["--color", "never", INPUT], &repo());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('┌') && !text.contains('│') && !text.contains('─'),
        "{text}"
    );
    let headers = text.lines().filter(|l| l.contains(" --> ")).count();
    let findings = text
        .lines()
        .filter(|l| l.starts_with("error[") || l.starts_with("warning["))
        .count();
    assert!(findings > 0 && headers >= findings, "{text}");
    golden("expected.human.txt", &normalize_text(&text));
}

#[test]
fn golden_sarif() {
    golden("expected.sarif", &normalize_json(&format_output("sarif")));
}

#[test]
fn golden_github() {
    golden(
        "expected.github.txt",
        &normalize_text(&format_output("github")),
    );
}

#[test]
fn golden_gitlab() {
    golden(
        "expected.gitlab.json",
        &normalize_json(&format_output("gitlab")),
    );
}

#[test]
fn golden_rdjson() {
    golden("expected.rdjson", &normalize_json(&format_output("rdjson")));
}

/// `--message-format json` as rust-analyzer runs it: in the package, no
/// paths, so the package comes from `cargo metadata`.
#[test]
fn golden_message_format_json() {
    let out = run(&["--message-format", "json"], &repo().join(INPUT));
    let text = String::from_utf8(out.stdout).unwrap();
    golden(
        "expected.message-format.jsonl",
        &normalize_json_lines(&text),
    );
}

#[test]
fn golden_input_covers_what_the_formats_render() {
    let v: Value = serde_json::from_str(&format_output("json")).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let lints: std::collections::BTreeSet<&str> = findings
        .iter()
        .map(|f| f["lint"].as_str().unwrap())
        .collect();
    assert!(lints.len() >= 2, "{lints:?}");
    assert!(findings.iter().any(|f| f["severity"] == "error"));
    assert!(findings.iter().any(|f| f["severity"] == "warning"));
    assert!(findings
        .iter()
        .any(|f| !f["labels"].as_array().unwrap().is_empty()));
    let files: std::collections::BTreeSet<&str> = findings
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(files.len() >= 2, "{files:?}");
}

#[test]
fn sarif_structure() {
    let v: Value = serde_json::from_str(&format_output("sarif")).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), LINTS.len());
    for (r, l) in rules.iter().zip(LINTS) {
        assert_eq!(r["id"], l.name);
        assert_eq!(r["shortDescription"]["text"], l.summary);
        assert_eq!(r["help"]["markdown"], l.docs);
        assert!(r["fullDescription"]["text"].as_str().unwrap().len() > l.summary.len());
        // A link only to a page that exists: the docs page in the declared
        // repository, or none (the docs travel in `help.markdown`).
        match synclint::report::repository_url() {
            Some(repo) => assert_eq!(
                r["helpUri"].as_str().unwrap(),
                format!("{repo}/blob/main/docs/lints/{}.md", l.name)
            ),
            None => assert!(r.get("helpUri").is_none(), "{r}"),
        }
        let level = match l.default_level {
            synclint::Level::Deny => "error",
            synclint::Level::Warn => "warning",
            synclint::Level::Allow => "none",
        };
        assert_eq!(r["defaultConfiguration"]["level"], level);
    }
    let text = serde_json::to_string(&v).unwrap();
    assert!(
        !text.contains("example.invalid"),
        "placeholder URL in SARIF"
    );
    let results = run["results"].as_array().unwrap();
    assert!(
        !serde_json::to_string(results)
            .unwrap()
            .contains("runtime-demo/src/examples"),
        "a result names a file that is not in the user's repository"
    );
    assert!(!results.is_empty());
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(r["ruleId"], rules[i]["id"]);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.starts_with(INPUT) && !uri.starts_with('/'), "{uri}");
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(loc["region"][k].as_u64().unwrap() >= 1, "{k}");
        }
        assert!(!r["partialFingerprints"]["synclint/v1"]
            .as_str()
            .unwrap()
            .is_empty());
        for rl in r["relatedLocations"].as_array().into_iter().flatten() {
            assert!(!rl["message"]["text"].as_str().unwrap().is_empty());
            // GitHub shows a related location only when the message links it.
            let link = format!("]({})", rl["id"].as_u64().unwrap());
            assert!(
                r["message"]["text"].as_str().unwrap().contains(&link),
                "message does not link related location {link}: {r}"
            );
            assert_eq!(
                rl["physicalLocation"]["artifactLocation"]["uriBaseId"],
                "%SRCROOT%"
            );
        }
    }
    assert!(results.iter().any(|r| r["relatedLocations"].is_array()));
}

fn sarif_fingerprints(dir: &Path) -> Vec<(String, String, u64)> {
    let out = run(&["--format", "sarif", "."], dir);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["partialFingerprints"]["synclint/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect()
}

/// Fingerprints name the code, not the line: code scanning keeps an alert
/// open (not "fixed" and "new") when edits above it move it.
#[test]
fn fingerprints_survive_shifted_lines_and_are_unique() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["Cargo.toml", "conn.rs", "worker.rs"] {
        std::fs::copy(repo().join(INPUT).join(f), dir.path().join(f)).unwrap();
    }
    let before = sarif_fingerprints(dir.path());
    let conn = dir.path().join("conn.rs");
    let text = std::fs::read_to_string(&conn).unwrap();
    std::fs::write(&conn, format!("// one\n// two\n\n{text}")).unwrap();
    let after = sarif_fingerprints(dir.path());
    assert_eq!(before.len(), after.len());
    let mut moved = 0;
    for (b, a) in before.iter().zip(&after) {
        assert_eq!((&b.0, &b.1), (&a.0, &a.1));
        if a.2 != b.2 {
            moved += 1;
        }
    }
    assert!(moved > 0, "the edit should have moved some findings");
    let mut fps: Vec<&String> = before.iter().map(|x| &x.1).collect();
    fps.sort();
    fps.dedup();
    assert_eq!(
        fps.len(),
        before.len(),
        "fingerprints must be unique: {before:?}"
    );
}

#[test]
fn github_escaping_follows_the_actions_toolkit() {
    use report::github::{escape_data, escape_property};
    assert_eq!(escape_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
    assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    let text = format_output("github");
    let lines: Vec<&str> = text.lines().collect();
    let first_warning = lines.iter().position(|l| l.starts_with("::warning"));
    let last_error = lines.iter().rposition(|l| l.starts_with("::error"));
    assert!(first_warning.is_some() && last_error.is_some());
    assert!(
        last_error < first_warning,
        "errors must come before warnings"
    );
    for l in lines {
        let (props, msg) = l.split_once("::").unwrap().1.split_once("::").unwrap();
        assert!(!msg.contains('\n') && !msg.contains('\r'));
        let props = props.split_once(' ').unwrap().1;
        for kv in props.split(',') {
            let (k, _) = kv.split_once('=').unwrap();
            assert!(
                ["file", "line", "col", "endLine", "endColumn", "title"].contains(&k),
                "{k}"
            );
        }
    }
}

/// A report with a fix (no lint makes one in the golden input): every
/// format that carries fixes renders its edits.
#[test]
fn fixes_become_suggestions() {
    let path = Path::new("src/lib.rs");
    let text = "impl C {\n    pub fn close(&mut self) {\n        self.w.take().unwrap().join().ok();\n    }\n}\n";
    let mut rep = synclint::lint_source(path, text, &synclint::Config::defaults(Path::new(".")));
    assert_eq!(rep.findings.len(), 1, "{:?}", rep.findings);
    let start = text.find("self.w.take().unwrap()").unwrap() as u32;
    let end = start + "self.w.take().unwrap()".len() as u32;
    rep.findings[0].fix = Some(Fix {
        applicability: Applicability::MaybeIncorrect,
        description: "tolerate a second close".into(),
        edits: vec![Edit {
            path: path.into(),
            start_byte: start,
            end_byte: end,
            replacement: "REPLACED".into(),
        }],
    });
    let cwd = std::env::temp_dir();
    let cx = Context::new(&cwd, Some(&cwd), Vec::new());
    let rd: Value = serde_json::from_str(&report::rdjson::render(&rep, &cx)).unwrap();
    // One line-based suggestion: the whole edited line, with its new text.
    assert_eq!(
        rd["diagnostics"][0]["suggestions"],
        serde_json::json!([{
            "range": {"start": {"line": 3}, "end": {"line": 3}},
            "text": "        REPLACED.join().ok();"
        }])
    );
    let sarif: Value = serde_json::from_str(&report::sarif::render(&rep, &cx)).unwrap();
    let rep0 = &sarif["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(rep0["deletedRegion"]["byteOffset"], start);
    assert_eq!(rep0["deletedRegion"]["byteLength"], end - start);
    // Lines and columns too: reviewdog's SARIF reader drops fixes without.
    assert_eq!(rep0["deletedRegion"]["startLine"], 3);
    assert_eq!(rep0["deletedRegion"]["startColumn"], 9);
    assert_eq!(rep0["deletedRegion"]["endLine"], 3);
    assert_eq!(rep0["deletedRegion"]["endColumn"], 31);
    assert_eq!(rep0["insertedContent"]["text"], "REPLACED");
    let mf = report::message_format::render(&rep, &cx, false, false);
    let first: Value = serde_json::from_str(mf.lines().next().unwrap()).unwrap();
    let sugg = first["message"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["spans"].as_array().unwrap().clone())
        .find(|s| !s["suggested_replacement"].is_null())
        .expect("a child span with the fix");
    assert_eq!(sugg["suggested_replacement"], "REPLACED");
    assert_eq!(sugg["suggestion_applicability"], "MaybeIncorrect");
    assert_eq!(
        (sugg["byte_start"].as_u64(), sugg["byte_end"].as_u64()),
        (Some(start as u64), Some(end as u64))
    );
    assert_eq!(
        (sugg["line_start"].as_u64(), sugg["column_start"].as_u64()),
        (Some(3), Some(9))
    );
}

/// rdjson columns are UTF-8 byte counts; SARIF's are code points.
#[test]
fn columns_per_format() {
    let rd: Value = serde_json::from_str(&format_output("rdjson")).unwrap();
    let sarif: Value = serde_json::from_str(&format_output("sarif")).unwrap();
    let d = rd["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"]["value"] == "non_idempotent_close")
        .unwrap();
    let r = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "non_idempotent_close")
        .unwrap();
    let bytes = d["location"]["range"]["start"]["column"].as_u64().unwrap();
    let chars = r["locations"][0]["physicalLocation"]["region"]["startColumn"]
        .as_u64()
        .unwrap();
    // The line has four two-byte characters (ü ï ö é) before the span.
    assert_eq!(bytes, chars + 4);
}

// ---- `cargo synclint`: the Cargo subcommand flow ----

const BUGGY: &str = "pub struct Conn {\n    worker: Option<std::thread::JoinHandle<()>>,\n}\n\n\
impl Conn {\n    pub fn close(&mut self) {\n        self.worker.take().unwrap().join().ok();\n    }\n}\n";

fn cargo_package(dir: &Path, name: &str, buggy: bool) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
    )
    .unwrap();
    let body = if buggy { BUGGY } else { "pub fn ok() {}\n" };
    std::fs::write(dir.join("src/lib.rs"), body).unwrap();
}

/// As cargo runs it: `cargo-synclint synclint` with no paths, inside a
/// package: lints the package found by `cargo metadata`.
#[test]
fn subcommand_lints_the_package_around_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    cargo_package(dir.path(), "buggy", true);
    for args in [&[][..], &["synclint"][..]] {
        let out = bin()
            .args(args)
            .current_dir(dir.path().join("src"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("non_idempotent_close"), "{stdout}");
    }
}

#[test]
fn subcommand_workspace_package_and_manifest_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nmembers = [\"good\", \"bad\"]\nresolver = \"2\"\n",
    )
    .unwrap();
    cargo_package(&root.join("good"), "good", false);
    cargo_package(&root.join("bad"), "bad", true);
    let lint = |args: &[&str], cwd: &Path| {
        let out = bin().args(args).current_dir(cwd).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Every member, from a member's directory.
    let (code, out, _) = lint(&["--format", "json"], &root.join("good"));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("non_idempotent_close"));
    // -p limits to one package.
    let (code, out, err) = lint(&["-p", "good"], root);
    assert_eq!(code, Some(0), "{out}{err}");
    let (code, _, _) = lint(&["--package", "bad"], root);
    assert_eq!(code, Some(1));
    // With paths, -p keeps only the paths inside the package.
    let (code, _, _) = lint(&["-p", "good", "bad/src/lib.rs", "good/src/lib.rs"], root);
    assert_eq!(code, Some(0));
    let (code, _, err) = lint(&["-p", "nope"], root);
    assert_eq!(code, Some(2));
    assert!(err.contains("nope") && err.contains("good"), "{err}");
    // --manifest-path from elsewhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let manifest = root.join("Cargo.toml");
    let (code, out, _) = lint(
        &["--manifest-path", manifest.to_str().unwrap()],
        elsewhere.path(),
    );
    assert_eq!(code, Some(1), "{out}");
    // A member's manifest still names the whole workspace; -p narrows it.
    let good = root.join("good/Cargo.toml");
    let (code, _, _) = lint(
        &["--manifest-path", good.to_str().unwrap()],
        elsewhere.path(),
    );
    assert_eq!(code, Some(1));
    let (code, _, _) = lint(
        &["--manifest-path", good.to_str().unwrap(), "-p", "good"],
        elsewhere.path(),
    );
    assert_eq!(code, Some(0));
    let (code, _, err) = lint(&["--manifest-path", "no/Cargo.toml"], elsewhere.path());
    assert_eq!(code, Some(2), "{err}");
}

/// No Cargo.toml anywhere: `cargo metadata` fails and the current directory
/// is linted as plain files.
#[test]
fn subcommand_falls_back_to_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("conn.rs"), BUGGY).unwrap();
    let out = bin().current_dir(dir.path()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("non_idempotent_close"));
}

// ---- rust-analyzer: `check.command = "synclint"` ----

/// The exact arguments rust-analyzer's flycheck gives its check command
/// (recorded from rust-analyzer 1.95 with `rust-analyzer.check.command =
/// "synclint"` by `.ci/rust-analyzer-recipe.py`: `synclint --workspace
/// --message-format=json --manifest-path M --keep-going --all-targets`;
/// editors that render colour, as VS Code does, get
/// `json-diagnostic-rendered-ansi`), read back with the `cargo_metadata`
/// crate that rust-analyzer itself parses cargo's JSON with.
#[test]
fn rust_analyzer_check_command_is_accepted_and_parsed_by_cargo_metadata() {
    use cargo_metadata::diagnostic::DiagnosticLevel;
    use cargo_metadata::Message;
    let input = repo().join(INPUT);
    let manifest = input.join("Cargo.toml");
    let out = bin()
        .args([
            "synclint",
            "--workspace",
            "--message-format=json-diagnostic-rendered-ansi",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--keep-going",
            "--all-targets",
        ])
        .current_dir(&input)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut diagnostics = 0;
    let mut finished = None;
    for m in Message::parse_stream(&out.stdout[..]) {
        match m.unwrap() {
            Message::CompilerMessage(cm) => {
                diagnostics += 1;
                let d = &cm.message;
                // rust-analyzer splits a scoped code on `::`: the source shows
                // as "synclint", not "rustc".
                let code = &d.code.as_ref().expect("a code").code;
                let (tool, lint) = code.split_once("::").expect("a tool prefix");
                assert_eq!(tool, "synclint");
                assert!(synclint::rules::find(lint).is_some(), "{code}");
                assert!(matches!(
                    d.level,
                    DiagnosticLevel::Error | DiagnosticLevel::Warning
                ));
                let primary = d.spans.iter().find(|s| s.is_primary).expect("primary");
                // rust-analyzer joins file names to the workspace root.
                assert!(input.join(&primary.file_name).is_file(), "{primary:?}");
                let rendered = d.rendered.as_deref().unwrap();
                assert!(rendered.contains("\u{1b}["), "not ANSI: {rendered}");
                assert!(rendered.contains("-->"), "{rendered}");
                assert!(
                    cm.package_id.repr.contains("golden-input"),
                    "{:?}",
                    cm.package_id
                );
            }
            Message::BuildFinished(b) => finished = Some(b.success),
            other => panic!("unexpected message {other:?}"),
        }
    }
    assert!(diagnostics >= 3, "{diagnostics}");
    assert_eq!(finished, Some(false));
    // Plain `json` has no colours.
    let plain = bin()
        .args(["--message-format", "json"])
        .current_dir(&input)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("\u{1b}["));
    let bad = bin()
        .args(["--message-format", "xml"])
        .current_dir(&input)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("xml"));
}

// ---- reviewdog: what `github-pr-review` does with the suggestions ----

fn edit(path: &str, text: &str, find: &str, replacement: &str) -> Edit {
    let start = text.find(find).unwrap() as u32;
    Edit {
        path: path.into(),
        start_byte: start,
        end_byte: start + find.len() as u32,
        replacement: replacement.into(),
    }
}

/// A fix of several edits becomes one suggestion: the whole lines from the
/// first to the last edited one, with their new text — so committing it
/// applies the whole fix (a move stays a move, never a bare delete).
#[test]
fn rdjson_one_line_based_suggestion_per_fix() {
    use report::rdjson::line_suggestion;
    let text = "fn close() {\n    let _g = guard();\n    if closed() {\n        return;\n    }\n    work();\n}\n";
    let p = Path::new("src/lib.rs");
    // Delete the guard line, re-insert it after the check.
    let guard = "    let _g = guard();\n";
    let del = edit("src/lib.rs", text, guard, "");
    let at = text.find("    work();").unwrap() as u32;
    let ins = Edit {
        path: p.into(),
        start_byte: at,
        end_byte: at,
        replacement: guard.into(),
    };
    let s = line_suggestion(text, p, &[ins.clone(), del.clone()]).unwrap();
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(
        v["range"],
        serde_json::json!({"start": {"line": 2}, "end": {"line": 6}})
    );
    assert_eq!(
        s.text,
        "    if closed() {\n        return;\n    }\n    let _g = guard();\n    work();"
    );
    // Replacing lines 2..=6 by the suggestion gives the fixed file.
    let lines: Vec<&str> = text.lines().collect();
    let fixed = [&lines[..1], &[s.text.as_str()][..], &lines[6..]]
        .concat()
        .join("\n")
        + "\n";
    let mut expected = text.replacen(guard, "", 1);
    let w = expected.find("    work();").unwrap();
    expected.insert_str(w, guard);
    assert_eq!(fixed, expected);
    // One edit inside a line: that line.
    let one = line_suggestion(text, p, &[edit("src/lib.rs", text, "work", "rest")]).unwrap();
    assert_eq!(one.text, "    rest();");
    // CRLF: the `\r` stays out of the text.
    let crlf = text.replace('\n', "\r\n");
    let c = line_suggestion(&crlf, p, &[edit("src/lib.rs", &crlf, "work", "rest")]).unwrap();
    assert_eq!(c.text, "    rest();");
    // Another file, or overlapping edits: no suggestion.
    let other = edit("src/other.rs", text, "work", "rest");
    assert!(line_suggestion(text, p, &[del.clone(), other]).is_none());
    let overlap = edit("src/lib.rs", text, "let _g", "x");
    assert!(line_suggestion(text, p, &[del, overlap]).is_none());
    assert!(line_suggestion(text, p, &[]).is_none());
}

/// rdjson paths are relative to the directory synclint ran in, which is
/// where reviewdog (reading the pipe) runs: from a subdirectory, files
/// outside it get `../`; reviewdog joins them to its own directory.
#[test]
fn rdjson_paths_are_relative_to_the_run_directory() {
    // From docs/: the input is outside the run's directory.
    let cwd = repo().join("docs");
    let out = run(&["--format", "rdjson", "../lint/tests/golden/input"], &cwd);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut n = 0;
    for d in v["diagnostics"].as_array().unwrap() {
        let mut locs = vec![&d["location"]];
        locs.extend(
            d["related_locations"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| &r["location"]),
        );
        for l in locs {
            let p = l["path"].as_str().unwrap();
            assert!(p.starts_with("../lint/tests/golden/input/"), "{p}");
            assert!(cwd.join(p).is_file(), "{p}");
            n += 1;
        }
    }
    assert!(n > 3);
    let up = report::rdjson::cwd_relative(Path::new("/a/b/c.rs"), Path::new("/a/x/y"));
    assert_eq!(up, "../../b/c.rs");
}

/// No output names runtime-demo's example files (they are not in a user's
/// repository); each points to `cargo synclint explain <lint>` instead.
#[test]
fn outputs_point_to_explain_not_to_example_files() {
    for format in ["human", "json", "github", "gitlab", "rdjson"] {
        let text = format_output(format);
        assert!(
            !text.contains("runtime-demo/src/examples"),
            "{format} names an example file"
        );
        if format != "github" && format != "rdjson" {
            assert!(
                text.contains("cargo synclint explain "),
                "{format} does not point to explain"
            );
        }
    }
    let v: Value = serde_json::from_str(&format_output("json")).unwrap();
    for f in v["findings"].as_array().unwrap() {
        assert_eq!(
            f["example"],
            format!("cargo synclint explain {}", f["lint"].as_str().unwrap())
        );
    }
}

//! The prefilter is an optimisation, never a filter on findings: over every
//! fixture case and the runtime-demo crate, and thousands of mutants of them
//! (the structural mutator of `hostile.rs`, plus spelling mutations: leading
//! `::`, `(self).`, char and byte literals with escapes, comments inside
//! calls), a run with the prefilter and one without report identical
//! findings, every field compared: with every lint enabled, and with each
//! lint alone (so that no lint's trigger hides a gap in another's).

mod common;

use common::mutate::{any_mutation, Rng};
use common::{all_cases, repo, rs_files};
use std::path::{Path, PathBuf};
use synclint::config::Config;
use synclint::rules::LINTS;
use synclint::{Level, Report};

/// Every field of every finding (`Debug` prints them all).
fn key(r: &Report) -> Vec<String> {
    r.findings.iter().map(|f| format!("{f:?}")).collect()
}

fn read(files: &[PathBuf]) -> Vec<(PathBuf, String)> {
    files
        .iter()
        .map(|p| (p.clone(), std::fs::read_to_string(p).unwrap()))
        .collect()
}

/// Lints `sources` both ways; panics with the sources when they differ.
/// Returns the number of findings and whether every file parsed.
fn same(what: &str, sources: &[(PathBuf, String)], config: &Config) -> (usize, bool) {
    let on = synclint::lint_sources(sources, config, true);
    let off = synclint::lint_sources(sources, config, false);
    if key(&on) != key(&off) {
        let files: String = sources
            .iter()
            .map(|(p, t)| format!("--- {} ---\n{t}\n", p.display()))
            .collect();
        panic!(
            "{what}: findings differ with the prefilter\n  on:  {:#?}\n  off: {:#?}\n{files}",
            key(&on),
            key(&off)
        );
    }
    (off.findings.len(), off.skipped.is_empty())
}

/// The packages to mutate: every fixture case, and runtime-demo's sources
/// as one package.
fn packages() -> Vec<Vec<(PathBuf, String)>> {
    let mut out: Vec<Vec<(PathBuf, String)>> = all_cases().iter().map(|c| read(c)).collect();
    let demo = rs_files(&repo().join("runtime-demo/src"));
    assert!(demo.len() > 5, "runtime-demo sources not found");
    out.push(read(&demo));
    out
}

/// Only `lint` enabled: its trigger alone must keep every file it reports
/// in (with all lints on, another lint's trigger could hide a gap).
fn only(lint: usize) -> Config {
    let mut c = Config::defaults(Path::new("."));
    for (i, (_, level)) in c.levels.iter_mut().enumerate() {
        if i != lint {
            *level = Level::Allow;
        }
    }
    c
}

#[test]
fn each_lint_alone_agrees_on_fixtures_and_runtime_demo() {
    let pkgs = packages();
    for (i, lint) in LINTS.iter().enumerate() {
        let config = only(i);
        let found: usize = pkgs
            .iter()
            .enumerate()
            .map(|(pi, p)| same(&format!("{} alone, package {pi}", lint.name), p, &config).0)
            .sum();
        assert!(found > 3, "{}: only {found} findings", lint.name);
    }
}

#[test]
fn unmutated_fixtures_and_runtime_demo_agree() {
    let config = Config::defaults(Path::new("."));
    let pkgs = packages();
    assert!(pkgs.len() > 30, "fixtures not found");
    let found: usize = pkgs
        .iter()
        .enumerate()
        .map(|(i, p)| same(&format!("package {i}"), p, &config).0)
        .sum();
    assert!(
        found > 50,
        "only {found} findings: the comparison is vacuous"
    );
}

/// A pre-commit run: each file of a multi-file package asked alone, the rest
/// of the package read for the index. The prefilter then parses what that
/// file's findings need (a lock-order cycle's other edges only once the file
/// has an edge), never less.
#[test]
fn each_file_asked_alone_agrees() {
    let config = Config::defaults(Path::new("."));
    let mut found = 0;
    let mut runs = 0;
    for (pi, pkg) in packages().iter().enumerate().filter(|(_, p)| p.len() > 1) {
        for i in 0..pkg.len() {
            let asked: Vec<bool> = (0..pkg.len()).map(|j| j == i).collect();
            let on = synclint::lint_sources_asked(pkg, &asked, &config, true);
            let off = synclint::lint_sources_asked(pkg, &asked, &config, false);
            assert_eq!(
                key(&on),
                key(&off),
                "package {pi}, only {} asked: findings differ with the prefilter",
                pkg[i].0.display()
            );
            assert!(
                on.findings.iter().all(|f| f.path == pkg[i].0),
                "a finding outside the asked file"
            );
            found += off.findings.len();
            runs += 1;
        }
    }
    assert!(
        runs > 20 && found > 10,
        "{runs} runs, {found} findings: vacuous"
    );
}

/// The deepest directory holding every file of `pkg` (a package's `src`
/// counts as its parent, so `tests/` and `Cargo.toml` stay beside it).
fn package_base(pkg: &[(PathBuf, String)]) -> PathBuf {
    let mut base = pkg[0].0.parent().unwrap().to_path_buf();
    while !pkg.iter().all(|(p, _)| p.starts_with(&base)) {
        base.pop();
    }
    if base.ends_with("src") {
        base.pop();
    }
    base
}

/// A pre-commit run on disk: each file of a multi-file package named alone
/// on the command line, the rest of the package read (lazily, from disk)
/// for the index. The package's plan may keep more of the named file than a
/// plan for it alone would (a body calling a function that waits in another
/// file): a named file parsed ahead by its own plan is then given those
/// bodies after the package's plan.
#[test]
fn each_file_named_alone_on_disk_agrees() {
    let (mut found, mut runs, mut ahead) = (0, 0, 0);
    for (pi, pkg) in packages().iter().enumerate().filter(|(_, p)| p.len() > 1) {
        let dir = tempfile::tempdir().unwrap();
        let base = package_base(pkg);
        for (p, text) in pkg {
            let to = dir.path().join(p.strip_prefix(&base).unwrap());
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::write(&to, text).unwrap();
        }
        let manifest = std::fs::read_to_string(base.join("Cargo.toml")).unwrap_or_else(|_| {
            "[package]\nname = \"case\"\nversion = \"0.1.0\"\nedition = \"2021\"\n".into()
        });
        std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
        for (p, _) in pkg {
            let named = dir.path().join(p.strip_prefix(&base).unwrap());
            let run = |prefilter: bool| {
                synclint::run(&synclint::Options {
                    paths: vec![named.clone()],
                    cwd: dir.path().to_path_buf(),
                    config: Config::defaults(dir.path()),
                    jobs: 2,
                    prefilter,
                    parse_only: false,
                })
            };
            let (on, off) = (run(true), run(false));
            assert_eq!(
                key(&on),
                key(&off),
                "package {pi}, only {} named: findings differ with the prefilter",
                p.display()
            );
            found += off.findings.len();
            ahead += on.parsed_ahead;
            runs += 1;
        }
    }
    // Not vacuous: findings, and named files modelled while their package
    // was scanned (`parse_ahead`), some given more bodies after the plan.
    assert!(
        runs > 20 && found > 10 && ahead > 5,
        "{runs} runs, {found} findings, {ahead} parsed ahead: vacuous"
    );
}

/// Mutants per package; with the packages this makes thousands of files.
const MUTANTS: usize = 30;

#[test]
fn mutants_agree_with_and_without_the_prefilter() {
    let all = Config::defaults(Path::new("."));
    let alone: Vec<Config> = (0..LINTS.len()).map(only).collect();
    let pkgs = packages();
    let mut rng = Rng(0x0e9a_11ce_5eed_0001);
    let (mut files, mut parsed, mut with_findings) = (0usize, 0usize, 0usize);
    for (pi, pkg) in pkgs.iter().enumerate() {
        for m in 0..MUTANTS {
            // Mutate one file of the package (two, now and then).
            let mut sources = pkg.clone();
            for _ in 0..1 + usize::from(rng.below(4) == 0) {
                let i = rng.below(sources.len());
                sources[i].1 = any_mutation(&sources[i].1, &mut rng);
            }
            files += sources.len();
            // Every lint's trigger at once, or one lint's alone.
            let pick = rng.below(2 * LINTS.len());
            let (config, which) = match alone.get(pick) {
                Some(c) => (c, LINTS[pick].name),
                None => (&all, "all lints"),
            };
            let what = format!("package {pi} mutant {m} ({which})");
            let (found, all_parsed) = same(&what, &sources, config);
            parsed += usize::from(all_parsed);
            with_findings += usize::from(found > 0);
        }
    }
    let total = pkgs.len() * MUTANTS;
    eprintln!(
        "{files} files in {total} mutated packages: {parsed} parse entirely, {with_findings} have findings"
    );
    assert!(files >= 2_000, "{files}");
    // Not vacuous: many mutants still parse, and many still hold a bug.
    assert!(parsed * 3 > total, "only {parsed} of {total} mutants parse");
    assert!(
        with_findings * 8 > total,
        "only {with_findings} of {total} mutants have findings"
    );
}

/// A file parsed with bodies left out, then given some of them by
/// `model::add_bodies` (only the functions owning them parsed), is the model
/// a parse with those bodies kept gives, every field compared; over the
/// fixtures, the runtime-demo crate and the linter's own source, with
/// random kept sets. Most additions must take this path (not `false`, which
/// makes the engine parse the file again), or the test shows nothing.
#[test]
fn bodies_added_to_a_model_match_a_parse_with_them() {
    let config = Config::defaults(&repo());
    let prefilter = synclint::prefilter::Prefilter::new(&config);
    let mut files = rs_files(&repo().join("fixtures"));
    files.extend(rs_files(&repo().join("runtime-demo")));
    files.extend(rs_files(&repo().join("lint/src")));
    let mut rng = Rng(0x5eed_b0d1e5);
    // Additions whose bodies declare items (structs, statics, consts,
    // aliases the file's lists take in source order).
    let (mut spliced, mut refused, mut with_items) = (0, 0, 0);
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let scan = prefilter.scan(&text);
        let n = scan.fn_count();
        if n == 0 {
            continue;
        }
        let plain_docs = synclint::engine::survey(&text).plain_docs;
        let build = |blank: &[(u32, u32)]| {
            synclint::model::build_file_model_blanked(
                &text,
                &config.vocab,
                blank,
                &plain_docs,
                None,
                &|| scan.bodies(),
            )
        };
        for _ in 0..4 {
            let k1: Vec<bool> = (0..n).map(|_| rng.below(4) == 0).collect();
            let k2: Vec<bool> = k1.iter().map(|&k| k || rng.below(3) == 0).collect();
            let (b1, b2) = (scan.blank_ranges(Some(&k1)), scan.blank_ranges(Some(&k2)));
            assert!(b2.iter().all(|r| b1.contains(r)), "{}", path.display());
            let add: Vec<(u32, u32)> = b1.iter().filter(|r| !b2.contains(r)).copied().collect();
            let (Ok(mut m1), Ok(m2)) = (build(&b1), build(&b2)) else {
                continue;
            };
            if add.is_empty() {
                continue;
            }
            let noted = |m: &synclint::model::FileModel| {
                m.structs.len()
                    + m.locks.fields.len()
                    + m.locks.statics.len()
                    + m.locks.aliases.len()
            };
            let before = noted(&m1);
            match synclint::model::add_bodies(&text, &config.vocab, &mut m1, &add) {
                true => {
                    spliced += 1;
                    with_items += usize::from(noted(&m1) > before);
                    assert_eq!(
                        format!("{m1:#?}"),
                        format!("{m2:#?}"),
                        "{}: bodies {add:?} added",
                        path.display()
                    );
                }
                false => refused += 1,
            }
        }
    }
    assert!(
        spliced > 200 && refused * 10 < spliced && with_items >= 10,
        "{spliced} added ({with_items} with items declared in them), {refused} refused"
    );
}

//! The flow: discover -> read -> prefilter -> parse and model -> index ->
//! rules -> suppression -> sort. I/O happens only in `read_file` and in the
//! callers; `analyze_unit` is pure over file texts.

use crate::config::Config;
use crate::diag::{Finding, Label, Level, Skipped};
use crate::discover::{self, Unit};
use crate::index::Index;
use crate::model::{build_file_model_blanked, FileModel};
use crate::prefilter::{FileScan, Plan, Prefilter};
use crate::rules::{Cx, Lint, RawFinding};
use rayon::prelude::*;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Files larger than this are skipped, not parsed. syn's tree takes about
/// 170 bytes of memory per byte of source and a 10 MB file took 87 s in
/// release (the largest file of the benchmark corpus is 2.5 MB), so an 8 MB
/// limit keeps a run within memory and seconds.
pub const MAX_FILE_BYTES: u64 = 8 << 20;
/// Recursive nesting (brackets, generics, prefix operators, `=`, `else if`;
/// see `nesting_depth`) beyond this is refused before syn could overflow a
/// stack. Real code stays far below it.
pub const MAX_NESTING: usize = 400;
/// Left-deep chains (binary operators, method calls, fields, `?`, `as`) in
/// one expression beyond this are refused: `syn::visit` and `Drop` recurse
/// once per link.
pub const MAX_CHAIN: usize = 10_000;
/// Stack for analysis threads: syn recurses per nesting level.
const STACK_BYTES: usize = 256 << 20;

#[derive(Clone, Debug)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    pub cwd: PathBuf,
    pub config: Config,
    pub jobs: usize,
    pub prefilter: bool,
    /// Read and parse every file, run nothing (the benchmark baseline).
    pub parse_only: bool,
}

#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    /// Files asked for.
    pub files: usize,
    /// Files asked for that syn parsed and the rules ran on.
    pub parsed: usize,
    /// Files asked for that the prefilter proved cannot hold a finding: not
    /// parsed (so a syntax error in one goes unreported), not skipped.
    pub prefiltered: usize,
    /// Files syn actually parsed (for the benchmark and `--no-prefilter` checks).
    pub syn_parsed: usize,
    /// Times a later round gave a parsed file more bodies by parsing only
    /// the functions owning them (`model::add_bodies`), not the whole file.
    pub bodies_added: usize,
    /// Staged files whose model was made while their package was scanned
    /// (`parse_ahead`) and used.
    pub parsed_ahead: usize,
    pub elapsed_ms: u128,
    /// Sources of every file a finding or label points into.
    pub sources: HashMap<PathBuf, Arc<str>>,
    /// Panics caught while analysing a file.
    pub internal_errors: usize,
    /// Command-line paths that do not exist.
    pub missing: Vec<PathBuf>,
    /// Files analysed except for function bodies with a syntax error
    /// (each body left out, the rest of the file analysed), one per error.
    pub partly: Vec<Skipped>,
}

/// One file's text, or why it has none.
pub fn read_file(path: &Path) -> Result<String, String> {
    read_stamped(path).map(|(t, _)| t)
}

/// `read_file`, with the stamp (`Stamp`) of the metadata it checked.
fn read_stamped(path: &Path) -> Result<(String, Stamp), String> {
    let meta = std::fs::metadata(path).map_err(|e| io_reason(&e))?;
    let stamp = (meta.len(), meta.modified().ok());
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "file too large ({:.1} MB; the limit is {} MB)",
            meta.len() as f64 / (1 << 20) as f64,
            MAX_FILE_BYTES >> 20
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| io_reason(&e))?;
    if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some() {
        return Err("binary file (contains NUL bytes)".into());
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok((text, stamp))
}

/// What a file looked like when it was first read: its length and
/// modification time. A file whose text was dropped after the prefilter's
/// scan is read again only if it is to be parsed; a different stamp then
/// means it changed during the run.
type Stamp = (u64, Option<std::time::SystemTime>);

/// Reads a file again (its text was dropped after the scan), refusing it if it
/// changed since: the scan that planned the run saw the old text.
fn reread_file(path: &Path, was: Stamp) -> Result<String, String> {
    match read_stamped(path) {
        Ok((t, now)) if now == was => Ok(t),
        Ok(_) => Err("file changed while it was being linted; run again".into()),
        Err(e) => Err(e),
    }
}

/// The Rust edition of the package at `root` (or, without a root, of the
/// nearest package above `file`): `[package] edition`, following
/// `edition.workspace = true` to `[workspace.package]`. Cargo's default when
/// it is not set is 2015; only `>= 2024` changes anything (`if let`
/// temporaries), so an unreadable manifest counts as 2021.
pub fn package_edition(root: Option<&Path>, file: Option<&Path>) -> u16 {
    let read = |dir: &Path| -> Option<toml::Value> {
        let text = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
        toml::from_str(&text).ok()
    };
    let num = |v: &toml::Value| v.as_str().and_then(|s| s.parse::<u16>().ok());
    let dirs: Vec<&Path> = match (root, file) {
        (Some(r), _) => vec![r],
        (None, Some(f)) => f.ancestors().skip(1).collect(),
        (None, None) => Vec::new(),
    };
    for dir in dirs {
        let Some(m) = read(dir) else { continue };
        let Some(pkg) = m.get("package") else {
            continue;
        };
        let Some(ed) = pkg.get("edition") else {
            return 2015;
        };
        if let Some(n) = num(ed) {
            return n;
        }
        // `edition.workspace = true`
        for up in dir.ancestors().skip(1) {
            if let Some(ws) = read(up).and_then(|w| w.get("workspace").cloned()) {
                return ws
                    .get("package")
                    .and_then(|p| p.get("edition"))
                    .and_then(num)
                    .unwrap_or(2021);
            }
        }
        return 2021;
    }
    2021
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "file vanished before it could be read".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

mod depth;
pub use depth::{nesting_depth, survey, Depth, Survey};

/// Parse and model one file, never panicking out: a file nested or chained
/// beyond the limits is refused with a reason, a panic is caught and reported
/// as an internal error, and parsing always runs on a deep stack.
/// `blank`: insides of function bodies left out (`FileScan::blank_ranges`); the
/// prefilter's lexer delimits a body with a syntax error, which is then
/// left out too (`build_file_model_blanked`).
pub fn model_file(
    text: &str,
    config: &Config,
    blank: &[(u32, u32)],
    prefilter: &Prefilter,
) -> Result<FileModel, String> {
    let survey = survey(text);
    let depth = survey.depth;
    if depth.nest > MAX_NESTING {
        return Err(format!(
            "nested too deeply ({} levels; the limit is {MAX_NESTING})",
            depth.nest
        ));
    }
    if depth.chain > MAX_CHAIN {
        return Err(format!(
            "expression chain too long ({} operators, calls or fields in one expression; the limit is {MAX_CHAIN})",
            depth.chain
        ));
    }
    let analyse = || {
        catch_unwind(AssertUnwindSafe(|| {
            test_panic_hook(text);
            build_file_model_blanked(
                text,
                &config.vocab,
                blank,
                &survey.plain_docs,
                Some(survey.balanced),
                &|| prefilter.scan(text).bodies(),
            )
        }))
    };
    // The pool's threads have deep stacks; library callers (`lint_sources`
    // on rayon's global pool, tests, editors) may not.
    let on_pool = std::thread::current()
        .name()
        .is_some_and(|n| n.starts_with("synclint-"));
    let result = if on_pool {
        analyse()
    } else {
        std::thread::scope(|sc| {
            std::thread::Builder::new()
                .name("synclint-model".into())
                .stack_size(STACK_BYTES)
                .spawn_scoped(sc, analyse)
                .map_err(|e| format!("cannot start an analysis thread: {e}"))
                .map(|h| h.join().unwrap_or_else(Err))
        })?
    };
    match result {
        Ok(Ok(m)) => Ok(m),
        Ok(Err(e)) => Err(e.to_string()),
        Err(p) => {
            proc_macro2::extra::invalidate_current_thread_spans();
            Err(format!(
                "internal error: the analyzer panicked: {}",
                panic_text(&p)
            ))
        }
    }
}

/// The benchmark baseline (`--parse-only`): what any syn-based tool pays
/// per file, `syn::parse_file` and nothing else (no depth check, no model).
fn syn_parse_only(text: &str) -> Result<FileModel, String> {
    let src = text.strip_prefix('\u{feff}').unwrap_or(text);
    let r = catch_unwind(AssertUnwindSafe(|| syn::parse_file(src).map(drop)));
    proc_macro2::extra::invalidate_current_thread_spans();
    match r {
        Ok(Ok(())) => Ok(FileModel::default()),
        Ok(Err(e)) => Err(format!("parse error: {e}")),
        Err(p) => Err(format!("internal error: syn panicked: {}", panic_text(&p))),
    }
}

/// Test hook, not a feature: with `SYNCLINT_TEST_PANIC_ON=<text>` in the
/// environment, modelling any file whose source contains `<text>` panics, so
/// process tests can prove per-file isolation. Unset (always, for users), it
/// costs one cached lookup.
#[doc(hidden)]
pub const TEST_PANIC_ENV: &str = "SYNCLINT_TEST_PANIC_ON";

fn test_panic_hook(text: &str) {
    static MARKER: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let marker =
        MARKER.get_or_init(|| std::env::var(TEST_PANIC_ENV).ok().filter(|m| !m.is_empty()));
    if let Some(m) = marker {
        if text.contains(m.as_str()) {
            panic!("{TEST_PANIC_ENV}: injected panic");
        }
    }
}

pub fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// One file within a unit.
struct Slot {
    path: PathBuf,
    requested: bool,
    text: Option<String>,
    /// `Some` for a file on disk whose text is read for the prefilter's scan,
    /// dropped, and read again only if the plan parses it: a package's texts
    /// never all sit in memory (the largest package of the application
    /// corpus holds 120 MB of `.rs`).
    lazy: Option<Option<Stamp>>,
    model: Option<FileModel>,
    error: Option<String>,
}

/// Lints a set of files already read: the pure core of a unit.
fn analyze_unit(
    slots: &mut [Slot],
    root: Option<&Path>,
    opts: &Options,
    prefilter: &Prefilter,
    report: &mut Report,
) {
    let config = &opts.config;
    let edition = package_edition(root, slots.first().map(|s| s.path.as_path()));
    // Which files to parse: all of them, or the prefilter's candidates and
    // then, round by round, what the rules' questions to the index demand.
    let filtered = opts.prefilter && !opts.parse_only;
    let phase = |name: &str, t: &mut Instant| {
        phase_done(name, *t);
        *t = Instant::now();
    };
    let mut t = Instant::now();
    // One file asked about in a larger package (a staged file): while the
    // package is scanned, the file is parsed as its own plan would have it,
    // if that plan parses it (see `Ahead`).
    let mut ahead: Option<Ahead> = None;
    let scans: Vec<Option<FileScan>> = if filtered {
        match solo_request(slots) {
            Some(r) => {
                let test_target = crate::index::is_test_target(&path_parts(&slots[r].path, root));
                let (before, rest) = slots.split_at_mut(r);
                let (me, after) = rest.split_first_mut().expect("r < len");
                let ((scan, a), (mut scans, after)) = rayon::join(
                    || parse_ahead(me, r, test_target, config, prefilter),
                    || {
                        rayon::join(
                            || scan_all(before, prefilter),
                            || scan_all(after, prefilter),
                        )
                    },
                );
                ahead = a;
                scans.push(scan);
                scans.extend(after);
                scans
            }
            None => scan_all(slots, prefilter),
        }
    } else {
        slots.par_iter_mut().for_each(load_text);
        Vec::new()
    };
    phase("scan", &mut t);
    let mut plan = if filtered {
        let requested: Vec<bool> = slots.iter().map(|s| s.requested).collect();
        let test_target: Vec<bool> = slots
            .iter()
            .map(|s| crate::index::is_test_target(&path_parts(&s.path, root)))
            .collect();
        prefilter.plan(&scans, &requested, &test_target)
    } else {
        Plan::default()
    };
    // Per file, the functions whose bodies its parse keeps (`None`: all;
    // the plan's first round, then what later rounds demand), and the
    // insides of the bodies it leaves out.
    let mut keep: Vec<Option<Vec<bool>>> = if filtered {
        std::mem::take(&mut plan.keep)
    } else {
        vec![None; slots.len()]
    };
    let blank_of = |keep: &Option<Vec<bool>>, scan: &Option<FileScan>| match scan {
        Some(s) => s.blank_ranges(keep.as_deref()),
        None => Vec::new(),
    };
    let mut blank: Vec<Vec<(u32, u32)>> = if filtered {
        keep.iter()
            .zip(&scans)
            .map(|(k, s)| blank_of(k, s))
            .collect()
    } else {
        vec![Vec::new(); slots.len()]
    };
    phase("plan", &mut t);
    let mut want: Vec<bool> = slots
        .iter()
        .enumerate()
        .map(|(i, s)| s.error.is_none() && (!filtered || plan.parse[i]))
        .collect();
    // The file parsed ahead is used if the package's plan keeps every body
    // it kept: the bodies the package's plan keeps besides are added (only
    // the functions owning them parsed). Else it is parsed as usual.
    if let Some(a) = ahead {
        let i = a.slot;
        let add = bodies_to_add(&a.blank, &blank[i]).filter(|_| want[i]);
        if let (Some(add), None) = (add, &slots[i].model) {
            let mut m = a.model;
            let text = slots[i].text.as_deref().unwrap_or_default();
            if add.is_empty() || add_bodies_guarded(text, config, &mut m, &add) {
                report.syn_parsed += 1;
                report.parsed_ahead += 1;
                report.bodies_added += usize::from(!add.is_empty());
                install(&mut slots[i], Ok(m), root, report);
            }
        }
    }
    // Per file, how often a parse with bodies left out was redone with more.
    let mut reparsed: Vec<u8> = vec![0; slots.len()];
    let enabled: Vec<(&'static Lint, Level)> = config
        .levels
        .iter()
        .filter(|(_, lv)| *lv != Level::Allow)
        .copied()
        .collect();
    // Parse, index, run the rules; then parse what the rules' questions to
    // the index demand (files that could answer differently) and run again.
    let per_file = loop {
        parse_wanted(slots, &want, &blank, root, opts, prefilter, report);
        phase("parse", &mut t);
        if opts.parse_only {
            return;
        }
        let all_models: Vec<&FileModel> = slots
            .iter()
            .map(|s| s.model.as_ref().unwrap_or(&EMPTY))
            .collect();
        let index = Index::build_for(&all_models, edition);
        phase("index", &mut t);
        index.start_rules();
        let per_file = run_rules(slots, &index, config, &enabled);
        phase("rules", &mut t);
        if filtered {
            let models: Vec<Option<&FileModel>> = slots.iter().map(|s| s.model.as_ref()).collect();
            let demand = index.demand();
            let reach = index.reach(&all_models, &demand);
            let paths: Vec<&Path> = slots.iter().map(|s| s.path.as_path()).collect();
            let parsed: Vec<Option<&[(u32, u32)]>> = (0..slots.len())
                .map(|i| want[i].then_some(blank[i].as_slice()))
                .collect();
            let mut more =
                prefilter.demanded(&plan, &demand, &reach, &models, &parsed, &scans, &paths);
            more.retain(|&(i, _)| slots[i].error.is_none() && !(want[i] && blank[i].is_empty()));
            phase("demand", &mut t);
            if !more.is_empty() {
                let mut add: Vec<Option<Vec<(u32, u32)>>> = vec![None; slots.len()];
                for (i, fns) in more {
                    // The functions needed: added to those a parse of the
                    // file kept (then parsed again), or the first ones kept.
                    // A round that adds no function parses it whole (every
                    // round makes progress), and so does the third demand
                    // of a file (`PARTIAL_REPARSES`).
                    keep[i] = match (fns, keep[i].take()) {
                        (Some(fns), Some(mut k))
                            if want[i]
                                && reparsed[i] < PARTIAL_REPARSES
                                && fns.iter().any(|&j| !k[j]) =>
                        {
                            reparsed[i] += 1;
                            fns.iter().for_each(|&j| k[j] = true);
                            Some(k)
                        }
                        (Some(fns), _) if !want[i] => {
                            let n = scans[i].as_ref().map_or(0, |s| s.fn_count());
                            let mut k = vec![false; n];
                            fns.iter().for_each(|&j| k[j] = true);
                            Some(k)
                        }
                        _ => None,
                    };
                    let now = blank_of(&keep[i], &scans[i]);
                    // A model with bodies left out gets those now needed
                    // (only the functions owning them parsed, below); else
                    // the file is parsed again.
                    add[i] = bodies_to_add(&blank[i], &now)
                        .filter(|_| want[i] && slots[i].model.is_some() && slots[i].text.is_some());
                    if add[i].is_none() && want[i] && slots[i].model.take().is_some() {
                        report.syn_parsed -= 1;
                    }
                    want[i] = true;
                    blank[i] = now;
                }
                // The additions, in parallel (a file's own work).
                let added: Vec<(usize, bool)> = slots
                    .par_iter_mut()
                    .zip(add.par_iter())
                    .enumerate()
                    .filter_map(|(i, (s, add))| {
                        let add = add.as_ref()?;
                        let (m, text) = (s.model.as_mut()?, s.text.as_deref()?);
                        Some((i, add_bodies_guarded(text, config, m, add)))
                    })
                    .collect();
                for (i, ok) in added {
                    if ok {
                        report.bodies_added += 1;
                    } else if slots[i].model.take().is_some() {
                        report.syn_parsed -= 1;
                    }
                }
                continue;
            }
        }
        break per_file;
    };
    drop(scans);
    let mut findings = Vec::new();
    let requested_with_model: Vec<usize> = (0..slots.len())
        .filter(|&i| slots[i].requested && slots[i].model.is_some())
        .collect();
    for (k, (f, err)) in per_file.into_iter().enumerate() {
        if let Some(e) = err {
            report.internal_errors += 1;
            slots[requested_with_model[k]].error = Some(e);
        }
        findings.extend(f);
    }
    // Keep the sources that findings point into.
    for f in &findings {
        for p in std::iter::once(&f.path).chain(f.labels.iter().map(|l| &l.path)) {
            if !report.sources.contains_key(p) {
                if let Some(s) = slots.iter().find(|s| &s.path == p) {
                    if let Some(t) = &s.text {
                        report.sources.insert(p.clone(), Arc::from(t.as_str()));
                    }
                }
            }
        }
    }
    report.findings.extend(findings);
}

fn stats_on() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("SYNCLINT_STATS").is_some())
}

/// With `SYNCLINT_STATS` set, prints how long a phase took since `since`.
fn phase_done(name: &str, since: Instant) {
    if stats_on() {
        eprintln!(
            "synclint phase: {name} {:.1} ms",
            since.elapsed().as_secs_f64() * 1e3
        );
    }
}

/// Runs the enabled rules over every requested file with a model (in
/// parallel): per such file, its findings and an internal error if a rule
/// panicked.
fn run_rules(
    slots: &[Slot],
    index: &Index,
    config: &Config,
    enabled: &[(&'static Lint, Level)],
) -> Vec<(Vec<Finding>, Option<String>)> {
    let paths: Vec<&Path> = slots.iter().map(|s| s.path.as_path()).collect();
    slots
        .par_iter()
        .enumerate()
        .filter(|(_, s)| s.requested && s.model.is_some())
        .map(|(fi, s)| {
            let model = s.model.as_ref().expect("filtered");
            let run = catch_unwind(AssertUnwindSafe(|| {
                let mut out = Vec::new();
                for (i, f) in model.fns.iter().enumerate() {
                    let cx = Cx {
                        fid: (fi, i),
                        index,
                        vocab: &config.vocab,
                        path: &s.path,
                        text: s.text.as_deref().unwrap_or_default(),
                    };
                    for (lint, level) in enabled {
                        if f.allows.iter().any(|a| a == lint.name) {
                            continue;
                        }
                        let mut raw = Vec::new();
                        (lint.check)(&cx, f, &mut raw);
                        for r in raw {
                            if suppressed_by_comment(model, lint.name, r.span.start.line) {
                                continue;
                            }
                            out.push(finish(lint, *level, r, &paths, fi));
                        }
                    }
                }
                out
            }));
            match run {
                Ok(v) => (v, None),
                Err(p) => (
                    Vec::new(),
                    Some(format!(
                        "internal error: a rule panicked: {}",
                        panic_text(&p)
                    )),
                ),
            }
        })
        .collect()
}

/// Parses (in parallel) the wanted files that have no model yet.
fn parse_wanted(
    slots: &mut [Slot],
    want: &[bool],
    blank: &[Vec<(u32, u32)>],
    root: Option<&Path>,
    opts: &Options,
    prefilter: &Prefilter,
    report: &mut Report,
) {
    let config = &opts.config;
    let todo: Vec<usize> = (0..slots.len())
        .filter(|&i| want[i] && slots[i].model.is_none() && slots[i].error.is_none())
        .collect();
    // Texts dropped after the scan are read again, in parallel.
    let mut lazy: Vec<&mut Slot> = slots
        .iter_mut()
        .enumerate()
        .filter(|(i, s)| want[*i] && s.text.is_none() && s.error.is_none())
        .map(|(_, s)| s)
        .collect();
    lazy.par_iter_mut().for_each(|s| load_text(s));
    let todo: Vec<usize> = todo
        .into_iter()
        .filter(|&i| slots[i].error.is_none())
        .collect();
    let results: Vec<(usize, Result<FileModel, String>)> = todo
        .par_iter()
        .map(|&i| {
            let text = slots[i].text.as_ref().expect("wanted files have text");
            if opts.parse_only {
                return (i, syn_parse_only(text));
            }
            (i, model_file(text, config, &blank[i], prefilter))
        })
        .collect();
    report.syn_parsed += results.len();
    for (i, r) in results {
        install(&mut slots[i], r, root, report);
    }
}

/// Stores a file's model, or why it has none.
fn install(s: &mut Slot, r: Result<FileModel, String>, root: Option<&Path>, report: &mut Report) {
    match r {
        Ok(mut m) => {
            m.parts = path_parts(&s.path, root);
            s.model = Some(m);
        }
        Err(e) => {
            if e.starts_with("internal error") {
                report.internal_errors += 1;
            }
            s.error = Some(e);
        }
    }
}

/// A file parsed with bodies left out is parsed again with more of them at
/// most this often; the next demand parses it whole. Each round's reach
/// (`Index::reach`) follows the calls of the bodies the last one added, so
/// a long call chain through one file would otherwise parse it once per
/// link (a 250 KB `lib.rs` seven times, 4.5 times its size).
const PARTIAL_REPARSES: u8 = 1;

/// The bodies a model parsed with the insides `had` left out must be given
/// to be the model of a parse leaving out `now`: `None` if `now` leaves
/// out something `had` kept (then the file is parsed again).
fn bodies_to_add(had: &[(u32, u32)], now: &[(u32, u32)]) -> Option<Vec<(u32, u32)>> {
    now.iter()
        .all(|r| had.contains(r))
        .then(|| had.iter().filter(|r| !now.contains(r)).copied().collect())
}

/// `model::add_bodies`, a panic in it counted as a refusal (`model` is
/// then dropped by the caller and the file parsed again).
fn add_bodies_guarded(text: &str, config: &Config, m: &mut FileModel, add: &[(u32, u32)]) -> bool {
    catch_unwind(AssertUnwindSafe(|| {
        crate::model::add_bodies(text, &config.vocab, m, add)
    }))
    .unwrap_or(false)
}

/// The prefilter's scan of some slots, in parallel.
fn scan_all(slots: &mut [Slot], prefilter: &Prefilter) -> Vec<Option<FileScan>> {
    slots
        .par_iter_mut()
        .map(|s| scan_slot(s, prefilter))
        .collect()
}

/// The only file asked about in a package of others (a staged file), when
/// the pool has a second thread to scan the package meanwhile.
fn solo_request(slots: &[Slot]) -> Option<usize> {
    let mut asked = slots.iter().enumerate().filter(|(_, s)| s.requested);
    let (r, _) = asked.next()?;
    (asked.next().is_none() && slots.len() > 1 && rayon::current_num_threads() > 1).then_some(r)
}

/// A staged file's model made while its package is scanned: parsed with
/// the bodies its own plan (the file alone) keeps, the insides of the
/// others left out (`blank`).
struct Ahead {
    slot: usize,
    blank: Vec<(u32, u32)>,
    model: FileModel,
}

/// Scans a staged file (keeping its text) and, if the file's own plan
/// parses it, parses it so. Its own plan keeps fewer bodies than its
/// package's, never more, in practice (the package's plan adds callers and
/// callees): the bodies the package's plan adds are added to the model
/// afterwards, and a model the package's plan does not cover is dropped.
fn parse_ahead(
    s: &mut Slot,
    slot: usize,
    test_target: bool,
    config: &Config,
    prefilter: &Prefilter,
) -> (Option<FileScan>, Option<Ahead>) {
    if s.text.is_none() {
        s.text = read_for_scan(s);
    }
    let Some(text) = s.text.as_deref() else {
        return (None, None);
    };
    let scan = Some(prefilter.scan(text));
    let own = prefilter.plan(std::slice::from_ref(&scan), &[true], &[test_target]);
    let ahead = own.parse[0]
        .then(|| {
            let blank = scan
                .as_ref()
                .map_or_else(Vec::new, |sc| sc.blank_ranges(own.keep[0].as_deref()));
            let model = model_file(text, config, &blank, prefilter).ok()?;
            Some(Ahead { slot, blank, model })
        })
        .flatten();
    (scan, ahead)
}

/// The prefilter's scan of one slot. A lazy slot's text is read here and
/// dropped after the scan (read again by `load_text` if the plan parses it).
fn scan_slot(s: &mut Slot, prefilter: &Prefilter) -> Option<FileScan> {
    if s.lazy.is_none() {
        return s.text.as_ref().map(|t| prefilter.scan(t));
    }
    read_for_scan(s).map(|t| prefilter.scan(&t))
}

/// A lazy slot's text, read for its scan: the stamp is kept to check a
/// later read against (`None`, and the reason in `error`, if unreadable).
fn read_for_scan(s: &mut Slot) -> Option<String> {
    let stamp = s.lazy?;
    if s.error.is_some() {
        return None;
    }
    match read_stamped(&s.path) {
        Ok((t, was)) => {
            s.lazy = Some(Some(stamp.unwrap_or(was)));
            Some(t)
        }
        Err(e) => {
            s.error = Some(e);
            None
        }
    }
}

/// Makes sure a wanted slot holds its text (a lazy one is read again).
fn load_text(s: &mut Slot) {
    if s.text.is_some() || s.error.is_some() {
        return;
    }
    let Some(stamp) = s.lazy else { return };
    let r = match stamp {
        Some(was) => reread_file(&s.path, was),
        None => read_file(&s.path),
    };
    match r {
        Ok(t) => s.text = Some(t),
        Err(e) => s.error = Some(e),
    }
}

/// A file's path components relative to its package root, from the first
/// `src`/`tests`/`examples`/`benches` component on (the Cargo target dirs).
fn path_parts(path: &Path, root: Option<&Path>) -> Vec<String> {
    let rel = root.and_then(|r| path.strip_prefix(r).ok()).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let from = parts
        .iter()
        .position(|p| matches!(p.as_str(), "src" | "tests" | "examples" | "benches"))
        .unwrap_or(parts.len().saturating_sub(1));
    parts[from..].to_vec()
}

static EMPTY: FileModel = FileModel {
    parts: Vec::new(),
    broken: Vec::new(),
    structs: Vec::new(),
    uses: Vec::new(),
    fns: Vec::new(),
    allow_comments: Vec::new(),
    locks: crate::model::locks::TypeLocks {
        fields: Vec::new(),
        statics: Vec::new(),
        aliases: Vec::new(),
        at: [Vec::new(), Vec::new(), Vec::new()],
    },
    mod_decls: Vec::new(),
    left_out: Vec::new(),
    impl_methods: Vec::new(),
    plain_docs: Vec::new(),
};

fn suppressed_by_comment(m: &FileModel, lint: &str, line: u32) -> bool {
    m.allow_comments.iter().any(|(l, names)| {
        (*l == line || *l + 1 == line) && names.iter().any(|n| n == lint || n == "all")
    })
}

fn finish(lint: &'static Lint, level: Level, r: RawFinding, paths: &[&Path], fi: usize) -> Finding {
    Finding {
        lint: lint.name,
        level,
        message: r.message,
        path: paths[fi].to_path_buf(),
        span: r.span,
        labels: r
            .labels
            .into_iter()
            .map(|(f, span, message)| Label {
                path: paths[f].to_path_buf(),
                span,
                message,
            })
            .collect(),
        notes: r.notes,
        help: lint.help.to_string(),
        example: lint.example,
        fix: r.fix,
    }
}

/// Builds the analysis thread pool: `jobs` threads with deep stacks.
pub fn pool(jobs: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .stack_size(STACK_BYTES)
        .thread_name(|i| format!("synclint-{i}"))
        .build()
        .expect("thread pool")
}

/// Lints the paths of `opts`: the whole run.
pub fn run(opts: &Options) -> Report {
    let start = Instant::now();
    let ex = discover::build_excludes(&opts.config.exclude).unwrap_or_default();
    let pool = pool(opts.jobs);
    let disc = pool.install(|| discover::discover(&opts.paths, &opts.cwd, &opts.config.root, &ex));
    phase_done("discover", start);
    let mut report = Report {
        missing: disc.missing,
        ..Default::default()
    };
    report.skipped.extend(disc.skipped);
    let prefilter = Prefilter::new(&opts.config);
    // Units run in parallel too (each also parallel inside), so many small
    // packages keep every thread busy; each builds its own partial report,
    // merged afterwards (no shared lock in the hot path), then sorted.
    // Every thread takes the next unit from one queue, largest (in bytes)
    // first: a thread never runs a whole run of units in sequence while the
    // other idles in a unit's serial steps (plan, index, demand), and no
    // large package is left for the end (on the application corpus
    // `lightning`, 134 files and 9 MB, was the last unit, run alone).
    let mut units: Vec<(u64, discover::Unit)> = pool.install(|| {
        disc.units
            .into_par_iter()
            .map(|u| {
                let bytes = u
                    .files
                    .iter()
                    .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
                    .sum();
                (bytes, u)
            })
            .collect()
    });
    units.sort_by_key(|(bytes, _)| std::cmp::Reverse(*bytes));
    let queue: Vec<std::sync::Mutex<Option<discover::Unit>>> = units
        .into_iter()
        .map(|(_, u)| std::sync::Mutex::new(Some(u)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(Vec::new());
    pool.install(|| {
        rayon::broadcast(|_| loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(slot) = queue.get(i) else { break };
            let Some(unit) = slot.lock().unwrap_or_else(|e| e.into_inner()).take() else {
                continue;
            };
            let mut part = Report::default();
            // The schedule: which thread ran which package when.
            let shown = stats_on().then(|| {
                let t0 = start.elapsed().as_secs_f64();
                (t0, unit.files.len(), unit.root.clone())
            });
            run_unit(unit, opts, &prefilter, &mut part);
            if let Some((t0, n, root)) = shown {
                eprintln!(
                    "synclint unit: thread {} {t0:.3}-{:.3} s {n} files {}",
                    rayon::current_thread_index().unwrap_or(0),
                    start.elapsed().as_secs_f64(),
                    root.as_deref().unwrap_or(Path::new("-")).display()
                );
            }
            done.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((i, part));
        });
    });
    let mut parts = done.into_inner().unwrap_or_else(|e| e.into_inner());
    parts.sort_by_key(|(i, _)| *i);
    let parts = parts.into_iter().map(|(_, p)| p);
    for part in parts {
        report.findings.extend(part.findings);
        report.skipped.extend(part.skipped);
        report.partly.extend(part.partly);
        report.files += part.files;
        report.parsed += part.parsed;
        report.prefiltered += part.prefiltered;
        report.syn_parsed += part.syn_parsed;
        report.bodies_added += part.bodies_added;
        report.parsed_ahead += part.parsed_ahead;
        report.internal_errors += part.internal_errors;
        report.sources.extend(part.sources);
    }
    finalize(&mut report, &opts.cwd);
    report.elapsed_ms = start.elapsed().as_millis();
    if stats_on() {
        eprintln!(
            "synclint stats: files {} parsed-by-syn {} bodies-added {} parsed-ahead {} findings {} elapsed {} ms",
            report.files,
            report.syn_parsed,
            report.bodies_added,
            report.parsed_ahead,
            report.findings.len(),
            report.elapsed_ms
        );
        let count =
            |i: usize| crate::prefilter::STATS[i].load(std::sync::atomic::Ordering::Relaxed);
        for (i, lint) in crate::rules::LINTS.iter().enumerate() {
            eprint!("{} {} ", lint.name, count(i));
        }
        eprint!(
            "close-defs {} demanded {}",
            count(crate::prefilter::STAT_CLOSE_DEFS),
            count(crate::prefilter::STAT_DEMANDED)
        );
        eprintln!();
    }
    report
}

fn run_unit(unit: Unit, opts: &Options, prefilter: &Prefilter, report: &mut Report) {
    // Texts are read by the scan (or, without the prefilter, all at once
    // before parsing): see `Slot::lazy`.
    let mut slots: Vec<Slot> = unit
        .files
        .into_iter()
        .zip(unit.requested)
        .map(|(path, requested)| Slot {
            path,
            requested,
            text: None,
            lazy: Some(None),
            model: None,
            error: None,
        })
        .collect();
    report.files += slots.iter().filter(|s| s.requested).count();
    analyze_unit(&mut slots, unit.root.as_deref(), opts, prefilter, report);
    for s in &slots {
        if !s.requested {
            continue;
        }
        tally(s, report);
    }
}

/// Counts a requested file as skipped, parsed or prefiltered, and lists
/// the function bodies its parse left out for a syntax error.
fn tally(s: &Slot, report: &mut Report) {
    match &s.error {
        Some(e) => report.skipped.push(Skipped {
            path: s.path.clone(),
            reason: e.clone(),
        }),
        None if s.model.is_some() => report.parsed += 1,
        None => report.prefiltered += 1,
    }
    for e in s.model.iter().flat_map(|m| &m.broken) {
        report.partly.push(Skipped {
            path: s.path.clone(),
            reason: e.clone(),
        });
    }
}

/// Display paths relative to the working directory, and a stable order.
fn finalize(report: &mut Report, cwd: &Path) {
    let rel = |p: &Path| -> PathBuf {
        match p.strip_prefix(cwd) {
            Ok(r) if !r.as_os_str().is_empty() => r.to_path_buf(),
            _ => p.to_path_buf(),
        }
    };
    for f in &mut report.findings {
        f.path = rel(&f.path);
        for l in &mut f.labels {
            l.path = rel(&l.path);
        }
        if let Some(fix) = &mut f.fix {
            for e in &mut fix.edits {
                e.path = rel(&e.path);
            }
        }
    }
    for s in report.skipped.iter_mut().chain(&mut report.partly) {
        s.path = rel(&s.path);
    }
    report.sources = std::mem::take(&mut report.sources)
        .into_iter()
        .map(|(p, t)| (rel(&p), t))
        .collect();
    report.findings.sort_by(|a, b| {
        (&a.path, a.span.start.byte, a.lint).cmp(&(&b.path, b.span.start.byte, b.lint))
    });
    report
        .findings
        .dedup_by(|a, b| a.path == b.path && a.span == b.span && a.lint == b.lint);
    report.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    report.skipped.dedup_by(|a, b| a.path == b.path);
    report.partly.sort_by(|a, b| a.path.cmp(&b.path));
}

/// Lints one source string as a single-file unit (tests, editors).
pub fn lint_source(path: &Path, text: &str, config: &Config) -> Report {
    lint_sources(&[(path.to_path_buf(), text.to_string())], config, true)
}

/// Lints several in-memory files as one package.
pub fn lint_sources(files: &[(PathBuf, String)], config: &Config, prefilter: bool) -> Report {
    lint_sources_asked(files, &vec![true; files.len()], config, prefilter)
}

/// `lint_sources`, reporting only in the files `asked` marks (the others are
/// the rest of the package, read for the index: a pre-commit hook's run on
/// its staged files).
pub fn lint_sources_asked(
    files: &[(PathBuf, String)],
    asked: &[bool],
    config: &Config,
    prefilter: bool,
) -> Report {
    let opts = Options {
        paths: Vec::new(),
        cwd: PathBuf::new(),
        config: config.clone(),
        jobs: 1,
        prefilter,
        parse_only: false,
    };
    let mut slots: Vec<Slot> = files
        .iter()
        .zip(asked.iter().chain(std::iter::repeat(&true)))
        .map(|((p, t), &requested)| Slot {
            path: p.clone(),
            requested,
            text: Some(t.clone()),
            lazy: None,
            model: None,
            error: None,
        })
        .collect();
    let mut report = Report {
        files: slots.iter().filter(|s| s.requested).count(),
        ..Default::default()
    };
    let prefilter = Prefilter::new(config);
    analyze_unit(&mut slots, None, &opts, &prefilter, &mut report);
    for s in slots.iter().filter(|s| s.requested) {
        tally(s, &mut report);
    }
    finalize(&mut report, Path::new(""));
    report
}

#[cfg(test)]
mod lazy_tests {
    use super::*;

    /// A text dropped after the scan is read again only if the file is
    /// unchanged; a file that changed in between is refused with a reason
    /// (the plan was made from the old text), not parsed as if nothing
    /// happened.
    #[test]
    fn reread_refuses_a_file_changed_since_the_scan() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.rs");
        std::fs::write(&p, "fn a() {}\n").expect("write");
        let (_, was) = read_stamped(&p).expect("read");
        assert_eq!(reread_file(&p, was).as_deref(), Ok("fn a() {}\n"));
        std::fs::write(&p, "fn a() { b() }\n").expect("write");
        let err = reread_file(&p, was).expect_err("changed");
        assert!(err.contains("changed while it was being linted"), "{err}");
        std::fs::remove_file(&p).expect("rm");
        assert!(reread_file(&p, was).is_err());
    }

    /// A lazy slot holds no text after its scan; the parse step reads it back.
    #[test]
    fn lazy_slot_drops_its_text_after_the_scan_and_reads_it_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.rs");
        std::fs::write(&p, "fn a() { std::thread::sleep(d); }\n").expect("write");
        let mut s = Slot {
            path: p,
            requested: true,
            text: None,
            lazy: Some(None),
            model: None,
            error: None,
        };
        let prefilter = Prefilter::new(&Config::defaults(Path::new(".")));
        assert!(scan_slot(&mut s, &prefilter).is_some());
        assert!(s.text.is_none() && s.error.is_none());
        load_text(&mut s);
        assert_eq!(
            s.text.as_deref(),
            Some("fn a() { std::thread::sleep(d); }\n")
        );
    }
}

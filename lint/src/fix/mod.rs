//! `--fix` and `--diff`: fixes as text edits, applied without losing a byte.
//!
//! - Each rule's fix generator lives next to its rule (`rules/<lint>.rs`);
//!   [`support`] holds what they share. New code is made with `quote` from
//!   the user's own nodes and printed so that reused nodes keep their source
//!   text ([`print`]); edits touch only changing bytes.
//! - [`plan`]: applies machine-applicable fixes in memory, in rounds: per
//!   round the fixes of a file that do not overlap are applied one at a time,
//!   each kept only if the file still parses; then the changed files are
//!   linted again (with their package) and the next round runs, until nothing
//!   applies or [`MAX_ROUNDS`] is reached.
//! - [`diff::unified`] shows a plan; [`write::write_fixed`] writes it.

pub mod diff;
mod print;
pub(crate) mod support;
pub(crate) mod text;
pub mod write;

pub(crate) use print::{render, Layout};

use crate::diag::{Applicability, Edit, Finding, Fix};
use crate::discover;
use crate::engine::{self, Options, Report};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Rounds of fix-then-relint before giving up on convergence.
pub const MAX_ROUNDS: usize = 8;

/// One file's fixed text.
#[derive(Debug, Clone)]
pub struct FilePlan {
    /// As findings show it (relative to the working directory when under it).
    pub path: PathBuf,
    pub abs: PathBuf,
    /// The text that was linted.
    pub original: String,
    pub fixed: String,
    /// Fixes applied, over all rounds.
    pub applied: usize,
}

/// A fix that was not applied because its result does not parse.
#[derive(Debug, Clone)]
pub struct Dropped {
    pub path: PathBuf,
    pub lint: &'static str,
    pub line: u32,
    pub description: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Plan {
    /// Files whose text changes, by path.
    pub files: Vec<FilePlan>,
    pub dropped: Vec<Dropped>,
    pub rounds: usize,
}

impl Plan {
    pub fn applied(&self) -> usize {
        self.files.iter().map(|f| f.applied).sum()
    }

    /// The unified diff of every changed file, `a/` and `b/` prefixed.
    pub fn diff(&self) -> String {
        self.files
            .iter()
            .map(|f| {
                let p = f.path.display().to_string().replace('\\', "/");
                diff::unified(&format!("a/{p}"), &format!("b/{p}"), &f.original, &f.fixed)
            })
            .collect()
    }
}

/// Does the text parse as a Rust file?
pub fn parses(text: &str) -> Result<(), String> {
    let r = syn::parse_file(text).map(drop).map_err(|e| {
        let lc = e.span().start();
        format!("{}:{}: {e}", lc.line, lc.column + 1)
    });
    proc_macro2::extra::invalidate_current_thread_spans();
    r
}

/// `edits` applied to `text` (they must not overlap).
pub fn apply_edits(text: &str, edits: &[&Edit]) -> Option<String> {
    let mut es: Vec<&Edit> = edits.to_vec();
    es.sort_by_key(|e| (e.start_byte, e.end_byte));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0usize;
    for e in es {
        let (s, t) = (e.start_byte as usize, e.end_byte as usize);
        if s < at
            || t < s
            || !text.is_char_boundary(s)
            || !text.is_char_boundary(t)
            || t > text.len()
        {
            return None;
        }
        out.push_str(&text[at..s]);
        out.push_str(&e.replacement);
        at = t;
    }
    out.push_str(&text[at..]);
    Some(out)
}

fn overlaps(a: &Edit, b: &Edit) -> bool {
    let (a0, a1, b0, b1) = (a.start_byte, a.end_byte, b.start_byte, b.end_byte);
    a0 == b0
        || (a0 < b1 && b0 < a1)
        || (a0 == a1 && b0 < a0 && a0 < b1)
        || (b0 == b1 && a0 < b0 && b0 < a1)
}

/// The outcome of one round on one file.
#[derive(Debug, Default)]
pub struct Round {
    pub text: String,
    pub applied: usize,
    /// Overlapping a fix applied before it: left for the next round.
    pub deferred: usize,
    /// Indices (into the input) of fixes whose result does not parse, with why.
    pub broken: Vec<(usize, String)>,
}

/// Applies the fixes that do not overlap, in order of position, one at a
/// time: a fix is kept only if the file still parses with it.
pub fn apply_round(text: &str, fixes: &[&Fix]) -> Round {
    let mut order: Vec<usize> = (0..fixes.len())
        .filter(|&i| !fixes[i].edits.is_empty())
        .collect();
    order.sort_by_key(|&i| fixes[i].edits.iter().map(|e| e.start_byte).min());
    let mut kept: Vec<&Edit> = Vec::new();
    let mut round = Round {
        text: text.to_string(),
        ..Default::default()
    };
    for i in order {
        let f = fixes[i];
        if f.edits.iter().any(|e| kept.iter().any(|k| overlaps(e, k))) {
            round.deferred += 1;
            continue;
        }
        let mut trial = kept.clone();
        trial.extend(f.edits.iter());
        let Some(candidate) = apply_edits(text, &trial) else {
            round
                .broken
                .push((i, "its edits overlap or fall outside the file".into()));
            continue;
        };
        match parses(&candidate) {
            Ok(()) => {
                kept = trial;
                round.text = candidate;
                round.applied += 1;
            }
            Err(e) => round
                .broken
                .push((i, format!("the fixed file would not parse ({e})"))),
        }
    }
    round
}

/// A machine-applicable fix whose edits all fall in one file.
fn applicable(f: &Finding) -> Option<&Fix> {
    let fix = f.fix.as_ref()?;
    (fix.applicability == Applicability::MachineApplicable
        && !fix.edits.is_empty()
        && fix.edits.iter().all(|e| e.path == fix.edits[0].path))
    .then_some(fix)
}

/// Fixes the findings of `first` (the report of a run with `opts`) in memory.
pub fn plan(opts: &Options, first: &Report) -> Plan {
    let cwd = &opts.cwd;
    let mut plan = Plan::default();
    let mut files: BTreeMap<PathBuf, FilePlan> = BTreeMap::new();
    let mut findings: Vec<Finding> = first.findings.clone();
    let pool = engine::pool(opts.jobs);
    for round in 0..MAX_ROUNDS {
        let mut by_file: BTreeMap<PathBuf, Vec<(&Finding, &Fix)>> = BTreeMap::new();
        for f in &findings {
            if let Some(fix) = applicable(f) {
                let abs = discover::absolute(&fix.edits[0].path, cwd);
                by_file.entry(abs).or_default().push((f, fix));
            }
        }
        let mut changed = BTreeSet::new();
        for (abs, list) in by_file {
            let entry = match files.get_mut(&abs) {
                Some(e) => e,
                None => {
                    let shown = list[0].1.edits[0].path.clone();
                    let original = match source_of(first, &shown, &abs) {
                        Some(t) => t,
                        None => continue,
                    };
                    files.entry(abs.clone()).or_insert(FilePlan {
                        path: shown,
                        abs: abs.clone(),
                        fixed: original.clone(),
                        original,
                        applied: 0,
                    })
                }
            };
            let fixes: Vec<&Fix> = list.iter().map(|(_, x)| *x).collect();
            let r = apply_round(&entry.fixed, &fixes);
            for (i, reason) in r.broken {
                let (f, x) = list[i];
                plan.dropped.push(Dropped {
                    path: entry.path.clone(),
                    lint: f.lint,
                    line: f.span.start.line,
                    description: x.description.clone(),
                    reason,
                });
            }
            if r.applied > 0 {
                entry.fixed = r.text;
                entry.applied += r.applied;
                changed.insert(abs);
            }
        }
        plan.rounds = round + 1;
        if changed.is_empty() {
            break;
        }
        findings = pool.install(|| relint(opts, &files, &changed));
    }
    plan.files = files
        .into_values()
        .filter(|f| f.fixed != f.original)
        .collect();
    plan
}

fn source_of(first: &Report, shown: &Path, abs: &Path) -> Option<String> {
    first
        .sources
        .get(shown)
        .or_else(|| first.sources.get(abs))
        .map(|t| t.to_string())
        .or_else(|| engine::read_file(abs).ok())
}

/// Lints the changed files again, each with its whole package, with the
/// fixed texts in place of the files on disk.
fn relint(
    opts: &Options,
    files: &BTreeMap<PathBuf, FilePlan>,
    changed: &BTreeSet<PathBuf>,
) -> Vec<Finding> {
    let ex = discover::build_excludes(&opts.config.exclude).unwrap_or_default();
    let paths: Vec<PathBuf> = changed.iter().cloned().collect();
    let disc = discover::discover(&paths, &opts.cwd, &opts.config.root, &ex);
    let mut out = Vec::new();
    for unit in disc.units {
        let sources: Vec<(PathBuf, String)> = unit
            .files
            .iter()
            .filter_map(|p| {
                let t = match files.get(p) {
                    Some(f) => Some(f.fixed.clone()),
                    None => engine::read_file(p).ok(),
                };
                t.map(|t| (p.clone(), t))
            })
            .collect();
        let r = engine::lint_sources(&sources, &opts.config, opts.prefilter);
        for mut f in r.findings {
            let abs = discover::absolute(&f.path, &opts.cwd);
            if !changed.contains(&abs) {
                continue;
            }
            // Edits point at the path the first run showed.
            let shown = files[&abs].path.clone();
            f.path = shown.clone();
            if let Some(fix) = &mut f.fix {
                for e in &mut fix.edits {
                    if discover::absolute(&e.path, &opts.cwd) == abs {
                        e.path = shown.clone();
                    }
                }
            }
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fx(edits: &[(u32, u32, &str)]) -> Fix {
        Fix {
            applicability: Applicability::MachineApplicable,
            description: String::new(),
            edits: edits
                .iter()
                .map(|&(s, e, r)| Edit {
                    path: "x.rs".into(),
                    start_byte: s,
                    end_byte: e,
                    replacement: r.into(),
                })
                .collect(),
        }
    }

    #[test]
    fn overlapping_fixes_wait_and_broken_ones_are_dropped() {
        let text = "fn a() {}\nfn b() {}\n";
        let ok = fx(&[(3, 4, "A")]);
        let overlapping = fx(&[(3, 4, "Z")]);
        let broken = fx(&[(13, 14, "(")]);
        let r = apply_round(text, &[&ok, &overlapping, &broken]);
        assert_eq!(r.text, "fn A() {}\nfn b() {}\n");
        assert_eq!((r.applied, r.deferred), (1, 1));
        assert_eq!(r.broken.len(), 1);
        assert_eq!(r.broken[0].0, 2);
    }

    #[test]
    fn insertions_at_one_point_overlap() {
        let a = fx(&[(3, 3, "x")]);
        let b = fx(&[(3, 3, "y")]);
        assert!(overlaps(&a.edits[0], &b.edits[0]));
        let c = fx(&[(4, 4, "y")]);
        assert!(!overlaps(&a.edits[0], &c.edits[0]));
    }
}

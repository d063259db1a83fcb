//! Baselines: adopting synclint on a codebase that already has findings.
//!
//! `--write-baseline FILE` records today's findings by the stable
//! fingerprints SARIF (`partialFingerprints["synclint/v1"]`) and GitLab
//! (`fingerprint`) already carry: the lint, the repository-relative path,
//! the finding's source text and its enclosing function, never the line, so
//! edits that move code do not resurrect a baselined finding.
//! `--baseline FILE` then reports only findings whose fingerprint is not in
//! the file, and CI fails on new bugs only. A finding that was fixed is
//! simply absent from the next written baseline.
//!
//! The file is JSON, sorted by path, so that it diffs well in review:
//!
//! ```json
//! {"synclint_baseline": 1, "fingerprint": "synclint/v1",
//!  "findings": [{"fingerprint": "9c1f..", "lint": "non_idempotent_close",
//!                "path": "src/conn.rs", "message": "..."}]}
//! ```
//!
//! Only `fingerprint` is matched; `lint`, `path` and `message` are for the
//! reader (no line number: it would change whenever code above moves).

use crate::engine::Report;
use crate::report::{fingerprints, sarif::FINGERPRINT_KEY, Context};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The file format's version.
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub synclint_baseline: u32,
    /// The fingerprint recipe (`synclint/v1`): a file written with another
    /// recipe would match nothing, so it is refused rather than ignored.
    pub fingerprint: String,
    pub findings: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub path: String,
    pub lint: String,
    pub fingerprint: String,
    pub message: String,
}

/// The baseline of a report: every finding, by fingerprint.
pub fn of_report(report: &Report, cx: &Context) -> Baseline {
    let mut findings: Vec<Entry> = report
        .findings
        .iter()
        .zip(fingerprints(report, cx))
        .map(|(f, fingerprint)| Entry {
            path: cx.repo_path(&f.path),
            lint: f.lint.to_string(),
            fingerprint,
            message: f.message.clone(),
        })
        .collect();
    findings.sort();
    Baseline {
        synclint_baseline: VERSION,
        fingerprint: FINGERPRINT_KEY.to_string(),
        findings,
    }
}

pub fn render(b: &Baseline) -> String {
    serde_json::to_string_pretty(b).expect("JSON of plain data") + "\n"
}

/// Writes the baseline of `report` to `path` (through a temporary file in
/// the same directory, so an interrupted write leaves the old file whole).
pub fn write(report: &Report, cx: &Context, path: &Path) -> Result<usize, String> {
    let b = of_report(report, cx);
    let text = render(&b);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "baseline".into());
    let tmp = dir.join(format!(".{name}.synclint-tmp"));
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write the baseline {}: {e}", path.display())
        })?;
    Ok(b.findings.len())
}

/// Reads a baseline file; the error names the file and the cause.
pub fn read(path: &Path) -> Result<Baseline, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the baseline {}: {e}", path.display()))?;
    let b: Baseline = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: not a synclint baseline ({e}); write one with --write-baseline",
            path.display()
        )
    })?;
    if b.synclint_baseline != VERSION || b.fingerprint != FINGERPRINT_KEY {
        return Err(format!(
            "{}: baseline version {} with fingerprints `{}`; this synclint reads version {VERSION} \
             with `{FINGERPRINT_KEY}`: write it again with --write-baseline",
            path.display(),
            b.synclint_baseline,
            b.fingerprint
        ));
    }
    Ok(b)
}

/// Drops the findings the baseline holds (each baseline entry absorbs one
/// finding with its fingerprint); returns how many were dropped.
pub fn apply(report: &mut Report, cx: &Context, b: &Baseline) -> usize {
    let mut known: HashMap<&str, usize> = HashMap::new();
    for e in &b.findings {
        *known.entry(e.fingerprint.as_str()).or_default() += 1;
    }
    let fps = fingerprints(report, cx);
    let before = report.findings.len();
    let mut keep = fps.iter().map(|fp| match known.get_mut(fp.as_str()) {
        Some(n) if *n > 0 => {
            *n -= 1;
            false
        }
        _ => true,
    });
    report.findings.retain(|_| keep.next().unwrap_or(true));
    before - report.findings.len()
}

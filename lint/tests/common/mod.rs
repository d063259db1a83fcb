//! Shared by the test binaries: the `//~ lint_name` annotation convention.

#![allow(dead_code)]

pub mod mutate;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// (line, lint) for every `//~ lint_name` mark in `text`.
pub fn marks(text: &str) -> BTreeSet<(u32, String)> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("//~") {
            // A mark is a comment of its own, not `//~` quoted in prose.
            let quoted = at > 0 && !rest[..at].ends_with(char::is_whitespace);
            rest = &rest[at + 3..];
            if quoted {
                continue;
            }
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert((i as u32 + 1, name));
            }
        }
    }
    out
}

/// Every `.rs` file under `dir`, sorted.
pub fn rs_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| e.path().to_path_buf())
        .collect();
    v.sort();
    v
}

/// Compares found (line, lint) pairs against marks; a readable diff on mismatch.
pub fn compare(
    what: &str,
    expected: &BTreeSet<(u32, String)>,
    found: &BTreeSet<(u32, String)>,
) -> Option<String> {
    if expected == found {
        return None;
    }
    let missing: Vec<_> = expected.difference(found).collect();
    let extra: Vec<_> = found.difference(expected).collect();
    Some(format!(
        "{what}:\n  marked but not found: {missing:?}\n  found but not marked: {extra:?}"
    ))
}

/// The fixture cases of one lint directory: single files, and directories
/// (each one multi-file package).
pub fn cases(lint: &str) -> Vec<Vec<PathBuf>> {
    let dir = repo().join("fixtures").join(lint);
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return out;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.push(rs_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(vec![p]);
        }
    }
    out
}

/// The cases of every lint directory under `fixtures/`.
pub fn all_cases() -> Vec<Vec<PathBuf>> {
    let mut dirs: Vec<String> = std::fs::read_dir(repo().join("fixtures"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    dirs.iter().flat_map(|d| cases(d)).collect()
}

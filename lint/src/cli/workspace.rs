//! The Cargo workspace as `cargo metadata` describes it: which packages
//! `cargo synclint` lints, and their ids for `--message-format json`.

use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use synclint::discover;
use synclint::report::Package;

pub struct Workspace {
    pub root: PathBuf,
    /// Workspace members, in `cargo metadata`'s order.
    pub packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<MetaPackage>,
    workspace_members: Vec<String>,
    workspace_root: PathBuf,
}

#[derive(Deserialize)]
struct MetaPackage {
    name: String,
    id: String,
    manifest_path: PathBuf,
    #[serde(default)]
    targets: Vec<serde_json::Value>,
}

/// The target findings are attributed to: the library if there is one, else
/// the first target.
fn main_target(targets: &[serde_json::Value]) -> serde_json::Value {
    let is_lib = |t: &&serde_json::Value| {
        t["kind"].as_array().is_some_and(|k| {
            k.iter()
                .any(|k| k.as_str().is_some_and(|s| s.ends_with("lib")))
        })
    };
    targets
        .iter()
        .find(is_lib)
        .or(targets.first())
        .cloned()
        .unwrap_or(serde_json::Value::Null)
}

/// Runs `cargo metadata --no-deps --format-version 1` (with the manifest if
/// given) in `cwd`: `$CARGO` when cargo started us, else `cargo` from PATH.
pub fn metadata(manifest: Option<&Path>, cwd: &Path) -> Result<Workspace, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.args(["metadata", "--no-deps", "--format-version", "1"]);
    if let Some(m) = manifest {
        cmd.arg("--manifest-path").arg(m);
    }
    let out = cmd
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{} metadata`: {e}", cargo.to_string_lossy()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let err = err.trim();
        return Err(format!(
            "`cargo metadata` failed{}{err}",
            if err.is_empty() { "" } else { ": " }
        ));
    }
    let meta: Metadata = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("cannot read `cargo metadata` output: {e}"))?;
    let members: BTreeSet<&str> = meta.workspace_members.iter().map(String::as_str).collect();
    let packages = meta
        .packages
        .iter()
        .filter(|p| members.contains(p.id.as_str()))
        .map(|p| Package {
            name: p.name.clone(),
            id: p.id.clone(),
            manifest_path: p.manifest_path.clone(),
            target: main_target(&p.targets),
        })
        .collect();
    Ok(Workspace {
        root: meta.workspace_root,
        packages,
    })
}

impl Workspace {
    /// The packages named by `-p` (all when none is named).
    pub fn select(&self, names: &[String]) -> Result<Vec<&Package>, String> {
        if names.is_empty() {
            return Ok(self.packages.iter().collect());
        }
        let mut out = Vec::new();
        for n in names {
            match self.packages.iter().find(|p| &p.name == n) {
                Some(p) => out.push(p),
                None => {
                    let all: Vec<&str> = self.packages.iter().map(|p| p.name.as_str()).collect();
                    return Err(format!(
                        "package `{n}` is not a member of the workspace at {}; its packages are: {}",
                        self.root.display(),
                        all.join(", ")
                    ));
                }
            }
        }
        Ok(out)
    }
}

fn skip_dir(name: &std::ffi::OsStr) -> bool {
    let s = name.to_string_lossy();
    s.starts_with('.') || s == "target"
}

/// The package directory a directory belongs to (itself if it is one).
fn owner(dir: &Path, cache: &mut HashMap<PathBuf, Option<PathBuf>>) -> Option<PathBuf> {
    if let Some(hit) = cache.get(dir) {
        return hit.clone();
    }
    let found = if discover::is_package_dir(dir) {
        Some(dir.to_path_buf())
    } else {
        dir.parent().and_then(|p| owner(p, cache))
    };
    cache.insert(dir.to_path_buf(), found.clone());
    found
}

/// The `.rs` files that belong to the selected packages (not to packages
/// nested in them): every file of each package when `paths` is empty, else
/// the files among `paths` (directories walked) that belong to one.
pub fn files_in_packages(selected: &[&Package], paths: &[PathBuf], cwd: &Path) -> Vec<PathBuf> {
    let dirs: BTreeSet<PathBuf> = selected.iter().map(|p| p.dir().to_path_buf()).collect();
    let roots: Vec<PathBuf> = if paths.is_empty() {
        dirs.iter().cloned().collect()
    } else {
        paths.iter().map(|p| discover::absolute(p, cwd)).collect()
    };
    let mut out = BTreeSet::new();
    let mut cache = HashMap::new();
    for r in roots {
        if r.is_file() {
            if r.parent()
                .and_then(|d| owner(d, &mut cache))
                .is_some_and(|o| dirs.contains(&o))
            {
                out.insert(r);
            }
            continue;
        }
        let walk = walkdir::WalkDir::new(&r)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0 || !(e.file_type().is_dir() && skip_dir(e.file_name()))
            });
        for e in walk.filter_map(Result::ok) {
            let p = e.path();
            if e.file_type().is_file()
                && p.extension().is_some_and(|x| x == "rs")
                && p.parent()
                    .and_then(|d| owner(d, &mut cache))
                    .is_some_and(|o| dirs.contains(&o))
            {
                out.insert(p.to_path_buf());
            }
        }
    }
    out.into_iter().collect()
}

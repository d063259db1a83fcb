//! What the run lints: the paths given, or the Cargo workspace's packages
//! (`cargo metadata`), and the [`Context`] renderers need (repository and
//! workspace roots, packages).

use super::config::Settings;
use super::workspace;
use crate::Cli;
use std::path::PathBuf;
use synclint::discover;
use synclint::report::{self, Context, Package};

pub struct Targets {
    pub paths: Vec<PathBuf>,
    pub context: Context,
}

pub fn resolve(cli: &Cli, s: &Settings) -> Result<Targets, String> {
    let cwd = &s.cwd;
    let message_json = super::render::message_format(cli)?.is_some();
    // `cargo metadata` names the workspace's packages; it is asked only when
    // needed (no paths, -p, --manifest-path, or package ids for JSON messages),
    // so pre-commit's file lists do not pay for it.
    let needs_metadata =
        cli.paths.is_empty() || !cli.package.is_empty() || s.manifest.is_some() || message_json;
    let workspace = if needs_metadata {
        match workspace::metadata(s.manifest.as_deref(), cwd) {
            Ok(w) => Some(w),
            // An explicit manifest or package must be found; otherwise a
            // directory without Cargo.toml is linted as plain files.
            Err(e) if s.manifest.is_some() || !cli.package.is_empty() => return Err(e),
            Err(e) => {
                // No Cargo.toml is the expected case; a broken one deserves a word.
                if cwd.ancestors().any(|a| a.join("Cargo.toml").is_file()) {
                    eprintln!("warning: {e}; linting the current directory instead");
                }
                None
            }
        }
    } else {
        None
    };
    let selected: Vec<&Package> = match &workspace {
        Some(w) => w.select(&cli.package)?,
        None => Vec::new(),
    };
    let paths = match (&workspace, cli.paths.is_empty(), cli.package.is_empty()) {
        (Some(w), true, true) => w.packages.iter().map(|p| p.dir().to_path_buf()).collect(),
        (Some(_), true, false) => workspace::files_in_packages(&selected, &[], cwd),
        (Some(_), false, false) => workspace::files_in_packages(&selected, &cli.paths, cwd),
        (_, false, _) => cli.paths.clone(),
        (None, true, _) => {
            let (ws, pkg) = discover::roots(cwd);
            vec![ws.or(pkg).unwrap_or_else(|| cwd.clone())]
        }
    };
    if paths.is_empty() && !cli.package.is_empty() {
        eprintln!("warning: no files of the selected package(s) to lint");
    }
    let context = report::Context::new(
        cwd,
        workspace.as_ref().map(|w| w.root.as_path()),
        workspace
            .as_ref()
            .map(|w| w.packages.clone())
            .unwrap_or_default(),
    );
    Ok(Targets { paths, context })
}

//! The run's settings: where it starts, the configuration with the command
//! line's lint selection applied, and how many worker threads it can have.

use crate::Cli;
use std::path::{Path, PathBuf};
use synclint::config::Config;
use synclint::diag::Level;
use synclint::discover;
use synclint::rules::{self, LINTS};

pub struct Settings {
    pub cwd: PathBuf,
    /// `--manifest-path`, absolute and checked to exist.
    pub manifest: Option<PathBuf>,
    pub config: Config,
    pub jobs: usize,
}

pub fn unknown_lint(name: &str) -> String {
    let names: Vec<&str> = LINTS.iter().map(|l| l.name).collect();
    format!("unknown lint `{name}`; the lints are: {}", names.join(", "))
}

pub fn resolve(cli: &Cli) -> Result<Settings, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let manifest = match &cli.manifest_path {
        Some(m) => {
            let m = discover::absolute(m, &cwd);
            if !m.is_file() {
                return Err(format!("manifest path `{}` does not exist", m.display()));
            }
            Some(m)
        }
        None => None,
    };
    // Configuration is looked up from the manifest's directory when one is given.
    let config_dir = manifest
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| cwd.clone());
    let mut config = Config::load(cli.config.as_deref(), &config_dir)?;
    select(&mut config, &cli.select, &cli.ignore)?;
    let jobs = jobs(cli.jobs)?;
    Ok(Settings {
        cwd,
        manifest,
        config,
        jobs,
    })
}

/// `--select` / `--ignore` over the configured levels.
fn select(config: &mut Config, select: &[String], ignore: &[String]) -> Result<(), String> {
    for name in select.iter().chain(ignore) {
        rules::find(name).ok_or_else(|| unknown_lint(name))?;
    }
    for (lint, level) in &mut config.levels {
        if !select.is_empty() {
            if select.iter().any(|s| s == lint.name) {
                if *level == Level::Allow {
                    *level = lint.default_level.max(Level::Warn);
                }
            } else {
                *level = Level::Allow;
            }
        }
        if ignore.iter().any(|s| s == lint.name) {
            *level = Level::Allow;
        }
    }
    Ok(())
}

/// The stack each analysis thread reserves (the engine's pool gives its
/// threads deep stacks for deeply nested code; keep in step with
/// `engine::STACK_BYTES`).
const THREAD_STACK: usize = 256 << 20;

/// The worker count: what was asked (default: the CPUs), at most the CPUs
/// (more threads only add memory to CPU-bound work), and no more than the
/// process can start: each reserves a deep stack, so an address-space limit
/// (`ulimit -v`) caps it. Halves until the threads start; if even one cannot,
/// that is a clear error, not a panic.
pub fn jobs(asked: Option<usize>) -> Result<usize, String> {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut n = match asked {
        Some(0) => return Err("--jobs must be at least 1".into()),
        Some(n) if n > cpus => {
            eprintln!("warning: --jobs {n} is more than the {cpus} CPU(s) here; using {cpus}");
            cpus
        }
        Some(n) => n,
        None => cpus,
    };
    loop {
        match can_start(n) {
            Ok(()) => return Ok(n),
            Err(e) if n == 1 => {
                return Err(format!(
                    "cannot start an analysis thread with a {} MB stack: {e} \
                     (is the address-space limit, `ulimit -v`, too low?)",
                    THREAD_STACK >> 20
                ))
            }
            Err(e) => {
                let fewer = n / 2;
                eprintln!("warning: cannot start {n} analysis threads ({e}); using {fewer}");
                n = fewer;
            }
        }
    }
}

/// Starts `n` threads with the pool's stack size, alive at once (each waits
/// on a gate held shut until all are started), then ends and joins them all,
/// so their stacks are released before the real pool starts.
fn can_start(n: usize) -> Result<(), String> {
    let gate = std::sync::Arc::new(std::sync::RwLock::new(()));
    let shut = gate.write().unwrap_or_else(|e| e.into_inner());
    let mut handles = Vec::with_capacity(n);
    let mut failed = None;
    for _ in 0..n {
        let g = std::sync::Arc::clone(&gate);
        let spawned = std::thread::Builder::new()
            .stack_size(THREAD_STACK)
            .spawn(move || drop(g.read()));
        match spawned {
            Ok(h) => handles.push(h),
            Err(e) => {
                failed = Some(e.to_string());
                break;
            }
        }
    }
    drop(shut);
    for h in handles {
        let _ = h.join();
    }
    failed.map_or(Ok(()), Err)
}

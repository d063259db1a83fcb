//! `cargo synclint` / `cargo-synclint`: the command line, and nothing else.

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use synclint::config::Config;
use synclint::diag::Level;
use synclint::discover;
use synclint::engine::{self, Options};
use synclint::report::{self, Format, Package};
use synclint::rules::{self, LINTS};
use termcolor::{ColorChoice, StandardStream};

#[path = "cli/workspace.rs"]
mod workspace;

#[derive(Parser, Debug)]
#[command(
    name = "cargo-synclint",
    bin_name = "cargo synclint",
    version,
    about = "Lint synchronization misuse in Rust close and shutdown paths",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// Files or directories to lint (default: the Cargo workspace around the current directory).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// `json`: cargo's JSON message stream (`compiler-message` lines, then
    /// `build-finished`), for rust-analyzer's `check.overrideCommand`.
    #[arg(long, value_enum, value_name = "FMT", conflicts_with = "format")]
    message_format: Option<MessageFormat>,
    /// Lint the workspace of this Cargo.toml (default: the one around the current directory).
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// Lint only this workspace package (repeatable); with paths, only the paths inside it.
    #[arg(long, short = 'p', value_name = "NAME")]
    package: Vec<String>,
    /// Colour in human output.
    #[arg(long, value_enum, default_value = "auto")]
    color: Color,
    /// Run only these lints (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "LINT,..")]
    select: Vec<String>,
    /// Do not run these lints (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "LINT,..")]
    ignore: Vec<String>,
    /// Configuration file (default: synclint.toml or Cargo metadata).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Worker threads (default: the number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Exit 0 even when there are findings.
    #[arg(long)]
    exit_zero: bool,
    /// Parse every file instead of skipping files the vocabulary scan proves clean.
    #[arg(long)]
    no_prefilter: bool,
    /// Only read and parse every file (benchmark baseline).
    #[arg(long, hide = true)]
    parse_only: bool,
    /// Apply machine-applicable fixes in place (exit 0 only if no finding remains).
    #[arg(long, conflicts_with = "diff")]
    fix: bool,
    /// Print machine-applicable fixes as a unified diff, write nothing (exit 1 if any).
    #[arg(long)]
    diff: bool,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Print a lint's documentation.
    Explain { lint: String },
    /// List the lints and their default levels.
    List,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum MessageFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "synclint") {
        args.remove(1);
    }
    let cli = Cli::parse_from(args);
    match real_main(cli) {
        Ok(code) => ExitCode::from(code),
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn real_main(cli: Cli) -> Result<u8, String> {
    match &cli.cmd {
        Some(Cmd::List) => {
            for l in LINTS {
                println!(
                    "{:<36} {:<5} {}",
                    l.name,
                    l.default_level.as_str(),
                    l.summary
                );
            }
            return Ok(0);
        }
        Some(Cmd::Explain { lint }) => {
            let l = rules::find(lint).ok_or_else(|| unknown_lint(lint))?;
            print!("{}", l.docs);
            return Ok(0);
        }
        None => {}
    }
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
    for name in cli.select.iter().chain(&cli.ignore) {
        rules::find(name).ok_or_else(|| unknown_lint(name))?;
    }
    for (lint, level) in &mut config.levels {
        if !cli.select.is_empty() {
            if cli.select.iter().any(|s| s == lint.name) {
                if *level == Level::Allow {
                    *level = lint.default_level.max(Level::Warn);
                }
            } else {
                *level = Level::Allow;
            }
        }
        if cli.ignore.iter().any(|s| s == lint.name) {
            *level = Level::Allow;
        }
    }
    let message_json = cli.message_format == Some(MessageFormat::Json);
    // `cargo metadata` names the workspace's packages; it is asked only when
    // needed (no paths, -p, --manifest-path, or package ids for JSON messages),
    // so pre-commit's file lists do not pay for it.
    let needs_metadata =
        cli.paths.is_empty() || !cli.package.is_empty() || manifest.is_some() || message_json;
    let workspace = if needs_metadata {
        match workspace::metadata(manifest.as_deref(), &cwd) {
            Ok(w) => Some(w),
            // An explicit manifest or package must be found; otherwise a
            // directory without Cargo.toml is linted as plain files.
            Err(e) if manifest.is_some() || !cli.package.is_empty() => return Err(e),
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
        (Some(_), true, false) => workspace::files_in_packages(&selected, &[], &cwd),
        (Some(_), false, false) => workspace::files_in_packages(&selected, &cli.paths, &cwd),
        (_, false, _) => cli.paths.clone(),
        (None, true, _) => {
            let (ws, pkg) = discover::roots(&cwd);
            vec![ws.or(pkg).unwrap_or_else(|| cwd.clone())]
        }
    };
    if paths.is_empty() && !cli.package.is_empty() {
        eprintln!("warning: no files of the selected package(s) to lint");
    }
    let context = report::Context::new(
        &cwd,
        workspace.as_ref().map(|w| w.root.as_path()),
        workspace
            .as_ref()
            .map(|w| w.packages.clone())
            .unwrap_or_default(),
    );
    let jobs = cli.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let opts = Options {
        paths,
        cwd,
        config,
        jobs,
        prefilter: !cli.no_prefilter,
        parse_only: cli.parse_only,
    };
    let report = engine::run(&opts);
    for m in &report.missing {
        eprintln!("error: {}: no such file or directory", m.display());
    }
    let (report, fix_failed) = if cli.fix || cli.diff {
        match fix_files(&opts, report, cli.diff) {
            Ok(r) => r,
            Err(code) => return Ok(code),
        }
    } else {
        (report, false)
    };
    let code = exit_code(&report, cli.exit_zero).max(if fix_failed { 2 } else { 0 });
    let format = if message_json { None } else { Some(cli.format) };
    let mut out = std::io::stdout().lock();
    let text = match format {
        None => report::message_format::render(&report, &context, code == 0),
        Some(Format::Json) => report::json::render(&report) + "\n",
        Some(Format::Sarif) => report::sarif::render(&report, &context) + "\n",
        Some(Format::Github) => report::github::render(&report, &context),
        Some(Format::Gitlab) => report::gitlab::render(&report, &context) + "\n",
        Some(Format::Rdjson) => report::rdjson::render(&report, &context) + "\n",
        Some(Format::Human) => {
            drop(out);
            let choice = match cli.color {
                Color::Always => ColorChoice::Always,
                Color::Never => ColorChoice::Never,
                Color::Auto if std::io::stdout().is_terminal() => ColorChoice::Auto,
                Color::Auto => ColorChoice::Never,
            };
            let mut out = StandardStream::stdout(choice);
            report::human::render(&report, &mut out).map_err(|e| e.to_string())?;
            for s in &report.skipped {
                eprintln!("warning: skipped {}: {}", s.path.display(), s.reason);
            }
            eprintln!("{}", report::human::summary(&report));
            return Ok(code);
        }
    };
    if format != Some(Format::Json) {
        // Machine formats keep stdout clean; skipped files still get a word.
        for s in &report.skipped {
            eprintln!("warning: skipped {}: {}", s.path.display(), s.reason);
        }
    }
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| format!("cannot write the report: {e}"))?;
    Ok(code)
}

/// 0 no findings, 1 findings, 2 errors (SPEC §4); `--exit-zero` makes it 0.
fn exit_code(report: &engine::Report, exit_zero: bool) -> u8 {
    if exit_zero {
        0
    } else if report.internal_errors > 0 || !report.missing.is_empty() {
        2
    } else if !report.findings.is_empty() {
        1
    } else {
        0
    }
}

fn unknown_lint(name: &str) -> String {
    let names: Vec<&str> = LINTS.iter().map(|l| l.name).collect();
    format!("unknown lint `{name}`; the lints are: {}", names.join(", "))
}

/// `--diff` prints the fixes and ends the run (`Err(exit code)`: 1 if it
/// would change anything); `--fix` writes them and lints again, so the report
/// shows what remains (`true`: a file could not be written).
fn fix_files(
    opts: &Options,
    report: engine::Report,
    diff_only: bool,
) -> Result<(engine::Report, bool), u8> {
    let plan = synclint::fix::plan(opts, &report);
    for d in &plan.dropped {
        eprintln!(
            "warning: {}:{}: fix for {} not applied: {}",
            d.path.display(),
            d.line,
            d.lint,
            d.reason
        );
    }
    let (n, files) = (plan.applied(), plan.files.len());
    if diff_only {
        let mut out = std::io::stdout().lock();
        let _ = out
            .write_all(plan.diff().as_bytes())
            .and_then(|_| out.flush());
        eprintln!("would fix {n} finding(s) in {files} file(s)");
        let broken = report.internal_errors > 0 || !report.missing.is_empty();
        return Err(if broken { 2 } else { u8::from(files > 0) });
    }
    let mut failed = false;
    let (mut written, mut fixed) = (0, 0);
    for f in &plan.files {
        match synclint::fix::write::write_fixed(&f.abs, &f.original, &f.fixed) {
            Ok(()) => {
                written += 1;
                fixed += f.applied;
            }
            Err(e) => {
                failed = true;
                eprintln!("error: {}: not fixed: {e}", f.path.display());
            }
        }
    }
    eprintln!("fixed {fixed} finding(s) in {written} file(s)");
    Ok((engine::run(opts), failed))
}

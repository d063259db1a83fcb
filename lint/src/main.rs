//! `cargo synclint` / `cargo-synclint`: the command line, and nothing else.
//!
//! The run reads as its three steps: the settings ([`cli::config`]: the
//! configuration, lint selection, worker count), the targets
//! ([`cli::targets`]: which files, in which workspace), then the engine, the
//! fixer and the baseline, and the rendering ([`cli::render`]).

mod cli;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use synclint::engine;
use synclint::report::Format;
use synclint::rules::{self, LINTS};

#[derive(Parser, Debug)]
#[command(
    name = "cargo-synclint",
    bin_name = "cargo synclint",
    version,
    about = "Lint synchronization misuse in Rust close and shutdown paths",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// Files or directories to lint (default: the Cargo workspace around the current directory).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Cargo's message formats: `json` (or any `json-*` value, comma-separated
    /// as cargo takes them) prints cargo's JSON message stream
    /// (`compiler-message` lines, then `build-finished`) for rust-analyzer;
    /// `json-diagnostic-rendered-ansi` colours the `rendered` text.
    #[arg(long, value_name = "FMT", conflicts_with = "format")]
    pub message_format: Option<String>,
    /// Lint the workspace of this Cargo.toml (default: the one around the current directory).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Lint only this workspace package (repeatable); with paths, only the paths inside it.
    #[arg(long, short = 'p', value_name = "NAME")]
    pub package: Vec<String>,
    /// Every workspace member (the default; accepted as `cargo check` takes it).
    #[arg(long, conflicts_with = "package")]
    pub workspace: bool,
    /// Accepted as `cargo check` takes them (rust-analyzer passes them):
    /// synclint always reads every target and never stops at a finding.
    #[arg(long, hide = true)]
    pub all_targets: bool,
    #[arg(long, hide = true)]
    pub keep_going: bool,
    /// Cargo build options rust-analyzer may pass; synclint does not build,
    /// so they change nothing.
    #[arg(long, hide = true)]
    pub all_features: bool,
    #[arg(long, hide = true)]
    pub no_default_features: bool,
    #[arg(long, hide = true, value_name = "FEATURES")]
    pub features: Vec<String>,
    #[arg(long, hide = true, value_name = "TRIPLE")]
    pub target: Vec<String>,
    #[arg(long, hide = true, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
    /// Colour in human output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// Run only these lints (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "LINT,..")]
    pub select: Vec<String>,
    /// Do not run these lints (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "LINT,..")]
    pub ignore: Vec<String>,
    /// Configuration file (default: synclint.toml or Cargo metadata).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads (default and maximum: the number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Exit 0 even when there are findings.
    #[arg(long)]
    pub exit_zero: bool,
    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record every current finding in this baseline file, report nothing, exit 0.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["fix", "diff"])]
    pub write_baseline: Option<PathBuf>,
    /// Parse every file instead of skipping files the vocabulary scan proves clean.
    #[arg(long)]
    pub no_prefilter: bool,
    /// Only read and parse every file (benchmark baseline).
    #[arg(long, hide = true)]
    pub parse_only: bool,
    /// Apply machine-applicable fixes in place (exit 0 only if no finding remains).
    #[arg(long, conflicts_with = "diff")]
    pub fix: bool,
    /// Print machine-applicable fixes as a unified diff, write nothing (exit 1 if any).
    #[arg(long)]
    pub diff: bool,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Print a lint's documentation and its buggy and fixed example pair.
    Explain { lint: String },
    /// List the lints and their default levels.
    List,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Color {
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
            let l = rules::find(lint).ok_or_else(|| cli::config::unknown_lint(lint))?;
            print!("{}", cli::render::explain(l));
            return Ok(0);
        }
        None => {}
    }
    let settings = cli::config::resolve(&cli)?;
    let targets = cli::targets::resolve(&cli, &settings)?;
    let opts = engine::Options {
        paths: targets.paths,
        cwd: settings.cwd.clone(),
        config: settings.config,
        jobs: settings.jobs,
        prefilter: !cli.no_prefilter,
        parse_only: cli.parse_only,
    };
    let report = engine::run(&opts);
    for m in &report.missing {
        eprintln!("error: {}: no such file or directory", m.display());
    }
    if let Some(file) = &cli.write_baseline {
        let n = synclint::baseline::write(&report, &targets.context, file)?;
        eprintln!(
            "synclint: wrote {n} finding(s) to the baseline {}",
            file.display()
        );
        cli::render::skipped(&report);
        return Ok(if exit_broken(&report) { 2 } else { 0 });
    }
    let (mut report, fix_failed) = if cli.fix || cli.diff {
        match cli::render::fix_files(&opts, report, cli.diff) {
            Ok(r) => r,
            Err(code) => return Ok(code),
        }
    } else {
        (report, false)
    };
    let baselined = match &cli.baseline {
        Some(file) => {
            let b = synclint::baseline::read(file)?;
            synclint::baseline::apply(&mut report, &targets.context, &b)
        }
        None => 0,
    };
    let code = exit_code(&report, cli.exit_zero).max(if fix_failed { 2 } else { 0 });
    cli::render::render(&cli, &report, &targets.context, code, baselined)?;
    Ok(code)
}

fn exit_broken(report: &engine::Report) -> bool {
    report.internal_errors > 0 || !report.missing.is_empty()
}

/// 0 no findings, 1 findings, 2 errors (SPEC §4); `--exit-zero` makes it 0.
fn exit_code(report: &engine::Report, exit_zero: bool) -> u8 {
    if exit_zero {
        0
    } else if exit_broken(report) {
        2
    } else if !report.findings.is_empty() {
        1
    } else {
        0
    }
}

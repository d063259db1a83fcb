//! `cargo synclint` / `cargo-synclint`: the command line, and nothing else.

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use synclint::config::Config;
use synclint::diag::Level;
use synclint::engine::{self, Options};
use synclint::report::{self, Format};
use synclint::rules::{self, LINTS};
use termcolor::{ColorChoice, StandardStream};

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
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Print a lint's documentation.
    Explain { lint: String },
    /// List the lints and their default levels.
    List,
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
    let mut config = Config::load(cli.config.as_deref(), &cwd)?;
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
    let paths = if cli.paths.is_empty() {
        let (ws, pkg) = synclint::discover::roots(&cwd);
        vec![ws.or(pkg).unwrap_or_else(|| cwd.clone())]
    } else {
        cli.paths.clone()
    };
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
    match cli.format {
        Format::Human => {
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
        }
        Format::Json => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", report::json::render(&report)).map_err(|e| e.to_string())?;
        }
    }
    if report.internal_errors > 0 || !report.missing.is_empty() {
        return Ok(if cli.exit_zero { 0 } else { 2 });
    }
    if !report.findings.is_empty() && !cli.exit_zero {
        return Ok(1);
    }
    Ok(0)
}

fn unknown_lint(name: &str) -> String {
    let names: Vec<&str> = LINTS.iter().map(|l| l.name).collect();
    format!("unknown lint `{name}`; the lints are: {}", names.join(", "))
}

//! Writing the run's result: the chosen format on stdout, messages about
//! skipped files on stderr; `--fix`/`--diff`; `explain`.

use crate::{Cli, Color};
use std::io::{IsTerminal, Write};
use synclint::engine::{self, Options, Report};
use synclint::report::{self, Context, Format};
use synclint::rules::Lint;
use termcolor::{ColorChoice, StandardStream};

/// What `--message-format` asks for: `None` (not given, or `human`/`short`),
/// or cargo's JSON stream, with ANSI colours in `rendered` or not. Takes
/// cargo's comma-separated values (`json-diagnostic-rendered-ansi`, as
/// rust-analyzer passes it, implies `json`).
pub fn message_format(cli: &Cli) -> Result<Option<MessageFormat>, String> {
    let Some(v) = &cli.message_format else {
        return Ok(None);
    };
    let mut json = false;
    let mut ansi = false;
    for item in v.split(',').map(str::trim) {
        match item {
            "human" | "short" => {}
            "json" | "json-diagnostic-short" | "json-render-diagnostics" => json = true,
            "json-diagnostic-rendered-ansi" => {
                json = true;
                ansi = true;
            }
            other => {
                return Err(format!(
                    "--message-format: unknown value `{other}`; the values are human, short, \
                     json, json-diagnostic-short, json-diagnostic-rendered-ansi, json-render-diagnostics"
                ))
            }
        }
    }
    Ok(json.then_some(MessageFormat { ansi }))
}

#[derive(Clone, Copy, Debug)]
pub struct MessageFormat {
    pub ansi: bool,
}

/// `explain`: the docs page, then the buggy and fixed pair compiled in.
pub fn explain(l: &Lint) -> String {
    let pair = l
        .example
        .lines()
        .map(|line| match line.find("//~ ") {
            // The fixture harness's marks read as the finding they stand for.
            Some(i) => format!(
                "{}// <- {}",
                &line[..i],
                line[i + 4..].trim().trim_start_matches("synclint::")
            ),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let docs = l.docs.trim_end();
    format!("{docs}\n\n## The buggy and fixed pair\n\n```rust\n{pair}\n```\n")
}

/// Messages about files that were not analysed (stderr).
pub fn skipped(report: &Report) {
    for s in &report.skipped {
        eprintln!("warning: skipped {}: {}", s.path.display(), s.reason);
    }
    for s in &report.partly {
        eprintln!(
            "warning: {}: {} (that function body was left out; the rest of the file was analysed)",
            s.path.display(),
            s.reason
        );
    }
}

pub fn render(
    cli: &Cli,
    report: &Report,
    context: &Context,
    code: u8,
    baselined: usize,
) -> Result<(), String> {
    let baseline_note = || {
        if baselined > 0 {
            eprintln!("synclint: {baselined} finding(s) in the baseline not shown");
        }
    };
    let text = match (message_format(cli)?, cli.format) {
        (Some(mf), _) => report::message_format::render(report, context, code == 0, mf.ansi),
        (None, Format::Json) => report::json::render(report) + "\n",
        (None, Format::Sarif) => report::sarif::render(report, context) + "\n",
        (None, Format::Github) => report::github::render(report, context),
        (None, Format::Gitlab) => report::gitlab::render(report, context) + "\n",
        (None, Format::Rdjson) => report::rdjson::render(report, context) + "\n",
        (None, Format::Human) => {
            let choice = match cli.color {
                Color::Always => ColorChoice::Always,
                Color::Never => ColorChoice::Never,
                Color::Auto if std::io::stdout().is_terminal() => ColorChoice::Auto,
                Color::Auto => ColorChoice::Never,
            };
            let mut out = StandardStream::stdout(choice);
            report::human::render(report, &mut out).map_err(|e| e.to_string())?;
            skipped(report);
            baseline_note();
            eprintln!("{}", report::human::summary(report));
            return Ok(());
        }
    };
    if cli.format != Format::Json || cli.message_format.is_some() {
        // Machine formats keep stdout clean; skipped files still get a word
        // (synclint's JSON lists them under `skipped`).
        skipped(report);
    }
    baseline_note();
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| format!("cannot write the report: {e}"))
}

/// `--diff` prints the fixes and ends the run (`Err(exit code)`: 1 if it
/// would change anything); `--fix` writes them and lints again, so the report
/// shows what remains (`true`: a file could not be written).
pub fn fix_files(
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

//! Renderers. Each takes the finished report and writes one format.
//!
//! The CI formats (SARIF, GitHub, GitLab, reviewdog, cargo's JSON messages)
//! need a little more than the report: where the repository root is (their
//! paths are relative to it), and which Cargo package each file belongs to.
//! That is [`Context`], built by the CLI and by the golden tests.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod message_format;
pub mod rdjson;
pub mod sarif;

use crate::diag::Finding;
use crate::engine::Report;
use crate::span::Pos;
use clap::ValueEnum;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Gitlab,
    Rdjson,
}

/// A Cargo package as `cargo metadata` describes it (the parts renderers use).
#[derive(Clone, Debug)]
pub struct Package {
    pub name: String,
    pub id: String,
    /// Absolute.
    pub manifest_path: PathBuf,
    /// The target findings are attributed to (cargo's `target` object), as
    /// `cargo metadata` gave it.
    pub target: serde_json::Value,
}

impl Package {
    pub fn dir(&self) -> &Path {
        self.manifest_path.parent().unwrap_or(Path::new(""))
    }
}

/// Where the run happened, for formats whose paths are repository-relative.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// The directory report paths are relative to (absolute).
    pub cwd: PathBuf,
    /// The repository root (the nearest ancestor holding `.git`, else the
    /// Cargo workspace root, else `cwd`): SARIF, GitHub, GitLab and reviewdog
    /// paths are relative to it.
    pub repo_root: PathBuf,
    /// The Cargo workspace root: cargo's JSON messages name files relative to
    /// it, as rustc does under cargo (rust-analyzer joins them to it).
    pub workspace_root: PathBuf,
    /// Workspace packages, for `--message-format json`.
    pub packages: Vec<Package>,
}

impl Context {
    /// A context for a run in `cwd` with the given roots (`None`: look for
    /// `.git` / a workspace above `cwd`).
    pub fn new(cwd: &Path, workspace_root: Option<&Path>, packages: Vec<Package>) -> Context {
        let workspace_root = workspace_root.map(Path::to_path_buf).unwrap_or_else(|| {
            let (ws, pkg) = crate::discover::roots(cwd);
            ws.or(pkg).unwrap_or_else(|| cwd.to_path_buf())
        });
        let repo_root = workspace_root
            .ancestors()
            .chain(cwd.ancestors())
            .find(|a| a.join(".git").exists())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| workspace_root.clone());
        Context {
            cwd: cwd.to_path_buf(),
            repo_root,
            workspace_root,
            packages,
        }
    }

    fn absolute(&self, p: &Path) -> PathBuf {
        crate::discover::absolute(p, &self.cwd)
    }

    /// `p` (as the report holds it) relative to the repository root, with `/`.
    pub fn repo_path(&self, p: &Path) -> String {
        rel_to(&self.absolute(p), &self.repo_root)
    }

    /// `p` relative to the workspace root, as rustc under cargo names files.
    pub fn workspace_path(&self, p: &Path) -> String {
        rel_to(&self.absolute(p), &self.workspace_root)
    }

    /// The package whose directory holds `p` (the deepest one).
    pub fn package_of(&self, p: &Path) -> Option<&Package> {
        let abs = self.absolute(p);
        self.packages
            .iter()
            .filter(|k| abs.starts_with(k.dir()))
            .max_by_key(|k| k.dir().components().count())
    }
}

fn rel_to(abs: &Path, root: &Path) -> String {
    let p = match abs.strip_prefix(root) {
        Ok(r) if !r.as_os_str().is_empty() => r,
        _ => abs,
    };
    json::path_str(p)
}

/// The repository synclint is published from (`repository` in Cargo.toml),
/// if one is declared: links are made only to targets that exist.
pub fn repository_url() -> Option<&'static str> {
    let r = env!("CARGO_PKG_REPOSITORY").trim_end_matches('/');
    (!r.is_empty()).then_some(r)
}

/// The lint's docs page in the repository (SARIF `helpUri`, reviewdog and
/// GitLab links), when a repository is declared; the docs also travel inside
/// the binary (`cargo synclint explain`, SARIF `help.markdown`).
pub fn docs_url(lint: &str) -> Option<String> {
    repository_url().map(|r| format!("{r}/blob/main/docs/lints/{lint}.md"))
}

/// The source text of a file a finding points into.
pub fn source<'r>(report: &'r Report, p: &Path) -> Option<&'r str> {
    report.sources.get(p).map(|s| &**s)
}

/// 1-based column of `pos` counted in UTF-8 bytes (reviewdog's columns).
pub fn byte_column(text: &str, pos: Pos) -> u32 {
    let b = (pos.byte as usize).min(text.len());
    let line_start = text.as_bytes()[..b]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    (b - line_start) as u32 + 1
}

/// Line and column (in Unicode scalar values, 1-based) of a byte offset.
pub fn pos_of(text: &str, byte: u32) -> Pos {
    let mut b = (byte as usize).min(text.len());
    while b > 0 && !text.is_char_boundary(b) {
        b -= 1;
    }
    let before = &text[..b];
    let line = before.bytes().filter(|&c| c == b'\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Pos {
        line,
        column: before[line_start..].chars().count() as u32 + 1,
        byte: b as u32,
    }
}

/// FNV-1a, 64 bits: a hash whose value is fixed forever (std's hashers make
/// no such promise), for fingerprints that must survive tool upgrades.
pub fn fnv1a64(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            // A separator no part can contain, so ("ab","c") != ("a","bc").
            h ^= 0xff;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        for &b in p.as_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Stable identities of findings: for each finding, a hex fingerprint made
/// of the lint, the repository-relative path, the primary span's source text
/// (whitespace-collapsed) and the enclosing function's name — never the line,
/// so it survives edits above the finding. Findings that would collide (the
/// same text twice in one function) are told apart by their order.
pub fn fingerprints(report: &Report, cx: &Context) -> Vec<String> {
    let mut fn_spans: HashMap<&Path, Vec<(u32, u32, String)>> = HashMap::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    report
        .findings
        .iter()
        .map(|f| {
            let text = source(report, &f.path).unwrap_or("");
            let fns = fn_spans
                .entry(f.path.as_path())
                .or_insert_with(|| function_spans(text));
            let snippet = span_text(text, f);
            let func = enclosing_fn(fns, f.span.start.byte);
            let path = cx.repo_path(&f.path);
            let base = format!(
                "{:016x}",
                fnv1a64(&[f.lint, &path, &snippet, func.unwrap_or("")])
            );
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                base
            } else {
                format!("{:016x}", fnv1a64(&[&base, &n.to_string()]))
            }
        })
        .collect()
}

/// The primary span's text with whitespace runs collapsed to one space.
pub fn span_text(text: &str, f: &Finding) -> String {
    let r = f.span.range();
    text.get(r)
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// (start byte, end byte, `Type::name`) of every function of a file.
fn function_spans(text: &str) -> Vec<(u32, u32, String)> {
    match crate::model::build_file_model(text, &crate::vocab::Vocab::default()) {
        Ok(m) => m
            .fns
            .iter()
            .map(|f| {
                let name = match &f.self_ty {
                    Some(t) => format!("{t}::{}", f.name),
                    None => f.name.clone(),
                };
                (f.span.start.byte, f.span.end.byte, name)
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn enclosing_fn(fns: &[(u32, u32, String)], byte: u32) -> Option<&str> {
    fns.iter()
        .filter(|(s, e, _)| *s <= byte && byte < *e)
        .min_by_key(|(s, e, _)| e - s)
        .map(|(_, _, n)| n.as_str())
}

/// The lint's one-line message plus its secondary labels and help, as plain
/// text (formats with a single message field).
pub fn long_message(f: &Finding, cx: &Context) -> String {
    let mut m = f.message.clone();
    for l in &f.labels {
        m.push_str(&format!(
            "\n{}:{}:{}: {}",
            cx.repo_path(&l.path),
            l.span.start.line,
            l.span.start.column,
            l.message
        ));
    }
    for n in &f.notes {
        m.push_str(&format!("\nnote: {n}"));
    }
    m.push_str(&format!("\nhelp: {}", f.help));
    m
}

//! Developer tasks for synclint (run as `cargo xtask ...`, an alias in
//! `.cargo/config.toml`):
//!
//! - `new-lint NAME`: scaffolds a lint: the rule file with its declaration
//!   (registered in `lint/src/rules/mod.rs`), its docs page, a positive and
//!   a negative fixture, and the runtime-demo example pair (registered in
//!   `runtime-demo/src/examples/mod.rs`); then regenerates the docs.
//! - `gen-docs [--check]`: writes the README's lint table and the docs
//!   pages' level lines from the registry (`--check`: only say if stale).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository")
        .to_path_buf();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["new-lint", name] => new_lint(&root, name).and_then(|created| {
            for p in &created {
                println!("created {}", p.display());
            }
            // The registry now holds the new lint: regenerate with it compiled in.
            let status = std::process::Command::new(env!("CARGO"))
                .args(["run", "--quiet", "--package", "xtask", "--", "gen-docs"])
                .current_dir(&root)
                .status()
                .map_err(|e| format!("cannot run cargo: {e}"))?;
            if !status.success() {
                return Err("gen-docs failed (does the new rule compile?)".into());
            }
            println!(
                "next: write the check and the trigger in lint/src/rules/{name}.rs, the docs page, \
                 the fixtures (positive cases marked `//~ {name}`, lookalike negatives) and the \
                 runtime-demo pair; `cargo test` runs them"
            );
            Ok(())
        }),
        ["gen-docs"] => gen_docs(&root, false),
        ["gen-docs", "--check"] => gen_docs(&root, true),
        _ => Err("usage: cargo xtask new-lint NAME | cargo xtask gen-docs [--check]".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::from(2)
        }
    }
}

fn read(p: &Path) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
}

fn write(p: &Path, text: &str) -> Result<(), String> {
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    std::fs::write(p, text).map_err(|e| format!("{}: {e}", p.display()))
}

/// Writes (or with `check`, compares) the generated README table and docs
/// level lines.
fn gen_docs(root: &Path, check: bool) -> Result<(), String> {
    use synclint::rules::{docs, LINTS};
    let mut stale = Vec::new();
    let readme_path = root.join("README.md");
    let readme = read(&readme_path)?;
    let new = docs::update_readme(&readme).ok_or("README.md lacks the lint table markers")?;
    if new != readme {
        stale.push((readme_path, new));
    }
    for lint in LINTS {
        let p = root.join("docs/lints").join(format!("{}.md", lint.name));
        let page = read(&p)?;
        let new = docs::update_doc(&page, lint);
        if new != page {
            stale.push((p, new));
        }
    }
    if check {
        if stale.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = stale.iter().map(|(p, _)| p.display().to_string()).collect();
        return Err(format!(
            "stale (run `cargo xtask gen-docs`): {}",
            names.join(", ")
        ));
    }
    for (p, text) in stale {
        write(&p, &text)?;
        println!("updated {}", p.display());
    }
    Ok(())
}

fn valid_name(name: &str) -> bool {
    name.len() > 2
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Writes the new lint's files and registers it; returns the files created.
fn new_lint(root: &Path, name: &str) -> Result<Vec<PathBuf>, String> {
    if !valid_name(name) {
        return Err(format!(
            "`{name}` is not a lint name (snake_case, like `double_lock`)"
        ));
    }
    let rule = root.join("lint/src/rules").join(format!("{name}.rs"));
    if rule.exists() {
        return Err(format!("{} exists already", rule.display()));
    }
    let files = [
        (rule, rule_file(name)),
        (root.join("docs/lints").join(format!("{name}.md")), docs_page(name)),
        (
            root.join("fixtures").join(name).join("positive_basic.rs"),
            format!(
                "// TODO: the bug in its most common form; mark the line where the finding starts.\n\
                 fn example() {{\n    todo_bug(); //~ {name}\n}}\n\nfn todo_bug() {{}}\n"
            ),
        ),
        (
            root.join("fixtures").join(name).join("neg_fixed.rs"),
            "// TODO: the fixed form and lookalikes that must stay silent.\nfn example() {}\n"
                .to_string(),
        ),
        (
            root.join("runtime-demo/src/examples").join(format!("{name}.rs")),
            example_pair(name),
        ),
    ];
    for (p, _) in &files {
        if p.exists() {
            return Err(format!("{} exists already", p.display()));
        }
    }
    // Registration first: if it fails nothing is half-written.
    let mod_rs = root.join("lint/src/rules/mod.rs");
    let registered = register_rule(&read(&mod_rs)?, name)?;
    let ex_mod = root.join("runtime-demo/src/examples/mod.rs");
    let ex_registered = register_example(&read(&ex_mod)?, name);
    for (p, text) in &files {
        write(p, text)?;
    }
    write(&mod_rs, &registered)?;
    write(&ex_mod, &ex_registered)?;
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// `mod NAME;` among the rule modules and `NAME::LINT,` at the end of `LINTS`.
fn register_rule(mod_rs: &str, name: &str) -> Result<String, String> {
    let mut lines: Vec<String> = mod_rs.lines().map(str::to_string).collect();
    let last_mod = lines
        .iter()
        .rposition(|l| l.starts_with("mod ") && l.ends_with(';'))
        .ok_or("rules/mod.rs: no `mod x;` lines")?;
    lines.insert(last_mod + 1, format!("mod {name};"));
    let start = lines
        .iter()
        .position(|l| l.starts_with("pub static LINTS: &[Lint] = &["))
        .ok_or("rules/mod.rs: no `pub static LINTS` list")?;
    let end = start
        + lines[start..]
            .iter()
            .position(|l| l == "];")
            .ok_or("rules/mod.rs: the LINTS list does not end with `];`")?;
    lines.insert(end, format!("    {name}::LINT,"));
    Ok(lines.join("\n") + "\n")
}

fn register_example(mod_rs: &str, name: &str) -> String {
    let mut out = mod_rs.trim_end().to_string();
    out.push_str(&format!("\npub mod {name};\n"));
    out
}

fn rule_file(name: &str) -> String {
    format!(
        r#"//! TODO: what `{name}` flags, in one sentence.

use super::{{declare_lint, Cx, Lint, RawFinding}};
use crate::model::FnModel;
use crate::prefilter::Trigger;

pub const LINT: Lint = declare_lint! {{
    name: {name},
    level: Warn,
    summary: "TODO: what it flags, in one line",
    help: "TODO: the fix, in one sentence",
    // What the prefilter must keep: the lexical facts (`prefilter::Fact`)
    // that every finding's function holds, e.g.
    // `Trigger::in_fn(&[Fact::Lock, Fact::Wait]).skipping_test_code()`.
    // EVERY_FILE (parse everything) is always correct, and slow.
    trigger: Trigger::EVERY_FILE,
    check: check,
}};

pub fn check(_cx: &Cx, _f: &FnModel, _out: &mut Vec<RawFinding>) {{
    // TODO: a short query over the model (`f.events`, `cx.index`).
}}
"#
    )
}

fn docs_page(name: &str) -> String {
    format!(
        "# {name}\n\n**Default level:** warn (reported as a warning)\n\n## What it does\n\nTODO\n\n\
         ## Why is this bad?\n\nTODO\n\n## Example\n\n```rust\n// TODO: the buggy form\n```\n\n\
         Use instead:\n\n```rust\n// TODO: the fixed form\n```\n\n## Runtime demo\n\n\
         `runtime-demo/src/examples/{name}.rs`\n"
    )
}

fn example_pair(name: &str) -> String {
    format!(
        "//! `{name}`: TODO: the bug as it is really written, and what goes wrong.\n//!\n\
         //! The fix: TODO.\n\n/// Buggy: TODO.\npub mod buggy {{}}\n\n/// Fixed: TODO.\npub mod fixed {{}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of the files the scaffold edits, in a temporary tree.
    fn tree() -> tempfile::TempDir {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let t = tempfile::tempdir().unwrap();
        for f in [
            "lint/src/rules/mod.rs",
            "runtime-demo/src/examples/mod.rs",
            "README.md",
        ] {
            let to = t.path().join(f);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(root.join(f), to).unwrap();
        }
        t
    }

    #[test]
    fn scaffolds_and_registers_a_lint() {
        let t = tree();
        let created = new_lint(t.path(), "double_lock").unwrap();
        assert_eq!(created.len(), 5);
        for p in &created {
            assert!(p.exists(), "{}", p.display());
        }
        let m = std::fs::read_to_string(t.path().join("lint/src/rules/mod.rs")).unwrap();
        assert!(m.contains("\nmod double_lock;\n"), "{m}");
        assert!(m.contains("    double_lock::LINT,\n];"), "{m}");
        let ex =
            std::fs::read_to_string(t.path().join("runtime-demo/src/examples/mod.rs")).unwrap();
        assert!(ex.ends_with("pub mod double_lock;\n"));
        let rule = std::fs::read_to_string(&created[0]).unwrap();
        assert!(rule.contains("name: double_lock,"));
        // Twice is refused, and nothing changes.
        assert!(new_lint(t.path(), "double_lock").is_err());
        assert_eq!(
            m,
            std::fs::read_to_string(t.path().join("lint/src/rules/mod.rs")).unwrap()
        );
    }

    #[test]
    fn refuses_bad_names() {
        let t = tree();
        for bad in ["", "X", "Double", "double-lock", "a b", "../x"] {
            assert!(new_lint(t.path(), bad).is_err(), "{bad}");
        }
    }

    /// The scaffolded rule file compiles in the registry's macro shape: the
    /// docs page it writes has the level line the generator writes.
    #[test]
    fn scaffolded_docs_page_has_the_generated_level_line() {
        let page = docs_page("x_lint");
        assert!(page.contains("**Default level:** warn (reported as a warning)\n"));
    }
}

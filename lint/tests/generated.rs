//! The README's lint table and the docs pages' level lines are generated
//! from the registry (`rules::docs`); this fails when they are stale. Run
//! `cargo xtask gen-docs` to regenerate them.

use std::path::PathBuf;
use synclint::rules::{docs, LINTS};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn readme_lint_table_is_current() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let want = docs::update_readme(&readme).expect("README.md lacks the lint table markers");
    assert!(
        readme == want,
        "README.md's lint table is stale: run `cargo xtask gen-docs`"
    );
}

#[test]
fn docs_level_lines_are_current() {
    let mut stale = Vec::new();
    for lint in LINTS {
        let path = repo().join("docs/lints").join(format!("{}.md", lint.name));
        let page = std::fs::read_to_string(&path).unwrap();
        if docs::update_doc(&page, lint) != page {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale level lines (run `cargo xtask gen-docs`): {stale:?}"
    );
}

/// Every docs page and runtime-demo example belongs to a registered lint.
#[test]
fn no_orphan_pages_or_examples() {
    let names: Vec<&str> = LINTS.iter().map(|l| l.name).collect();
    for (dir, ext) in [("docs/lints", "md"), ("runtime-demo/src/examples", "rs")] {
        for e in std::fs::read_dir(repo().join(dir)).unwrap().flatten() {
            let p = e.path();
            let stem = p.file_stem().unwrap().to_string_lossy().to_string();
            if p.extension().is_some_and(|x| x == ext) && stem != "mod" {
                assert!(
                    names.contains(&stem.as_str()),
                    "{} has no lint",
                    p.display()
                );
            }
        }
    }
}

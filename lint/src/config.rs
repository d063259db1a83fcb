//! Configuration: `--config FILE`, `synclint.toml` at the workspace root,
//! `[workspace.metadata.synclint]`, `[package.metadata.synclint]`; the first
//! found wins. Unknown keys are an error naming the key.

use crate::diag::Level;
use crate::rules::{self, Lint};
use crate::vocab::Vocab;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    /// Lint name -> "allow" | "warn" | "deny".
    #[serde(default)]
    pub lints: BTreeMap<String, String>,
    /// Globs of paths (relative to the config's directory) never linted.
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub wait_methods: Vec<String>,
    #[serde(default)]
    pub wait_functions: Vec<String>,
    #[serde(default)]
    pub close_state_methods: Vec<String>,
    #[serde(default)]
    pub close_state_fields: Vec<String>,
    #[serde(default)]
    pub close_paths: Vec<String>,
    #[serde(default)]
    pub offload_functions: Vec<String>,
    #[serde(default)]
    pub ensure_open_methods: Vec<String>,
}

/// The resolved configuration of a run.
#[derive(Debug, Clone)]
pub struct Config {
    pub levels: Vec<(&'static Lint, Level)>,
    pub vocab: Vocab,
    pub exclude: Vec<String>,
    /// The directory excludes are relative to.
    pub root: PathBuf,
    /// Where it came from, for messages.
    pub source: Option<String>,
}

impl Config {
    pub fn defaults(root: &Path) -> Config {
        Config {
            levels: rules::LINTS.iter().map(|l| (l, l.default_level)).collect(),
            vocab: Vocab::default(),
            exclude: Vec::new(),
            root: root.to_path_buf(),
            source: None,
        }
    }

    fn apply(&mut self, file: ConfigFile, source: &str) -> Result<(), String> {
        for (name, level) in &file.lints {
            let name = name.trim_start_matches("synclint::");
            let Some(lint) = rules::find(name) else {
                return Err(format!("{source}: unknown lint `{name}` in [lints]"));
            };
            let Some(level) = Level::parse(level) else {
                return Err(format!(
                    "{source}: lint `{name}`: level must be \"allow\", \"warn\" or \"deny\", not {level:?}"
                ));
            };
            for entry in &mut self.levels {
                if entry.0.name == lint.name {
                    entry.1 = level;
                }
            }
        }
        let v = &mut self.vocab;
        v.wait_methods.extend(file.wait_methods);
        v.wait_functions.extend(file.wait_functions);
        v.close_state_methods.extend(file.close_state_methods);
        v.close_state_fields.extend(file.close_state_fields);
        v.close_paths.extend(file.close_paths);
        v.offload_functions.extend(file.offload_functions);
        v.ensure_open_methods.extend(file.ensure_open_methods);
        self.exclude.extend(file.exclude);
        self.source = Some(source.to_string());
        Ok(())
    }

    /// Finds and reads the configuration for a run started in `cwd`.
    pub fn load(explicit: Option<&Path>, cwd: &Path) -> Result<Config, String> {
        if let Some(p) = explicit {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read config {}: {e}", p.display()))?;
            let root = p
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| cwd.to_path_buf());
            let root = if root.as_os_str().is_empty() {
                cwd.to_path_buf()
            } else {
                root
            };
            let mut c = Config::defaults(&root);
            let file = parse_table(&text, &p.display().to_string())?;
            c.apply(file, &p.display().to_string())?;
            return Ok(c);
        }
        let (ws_root, pkg_root) = crate::discover::roots(cwd);
        if let Some(ws) = &ws_root {
            let p = ws.join("synclint.toml");
            if p.is_file() {
                return Config::load(Some(&p), cwd).map(|mut c| {
                    c.root = ws.clone();
                    c
                });
            }
        }
        for (root, key) in [
            (ws_root.as_ref(), "workspace"),
            (pkg_root.as_ref(), "package"),
        ] {
            let Some(root) = root else { continue };
            let manifest = root.join("Cargo.toml");
            let Ok(text) = std::fs::read_to_string(&manifest) else {
                continue;
            };
            let value: toml::Value = toml::from_str(&text)
                .map_err(|e| format!("{}: invalid TOML: {e}", manifest.display()))?;
            if let Some(meta) = value
                .get(key)
                .and_then(|w| w.get("metadata"))
                .and_then(|m| m.get("synclint"))
            {
                let source = format!("{} [{key}.metadata.synclint]", manifest.display());
                let file: ConfigFile = meta
                    .clone()
                    .try_into()
                    .map_err(|e| format!("{source}: {}", clean(e.to_string())))?;
                let mut c = Config::defaults(root);
                c.apply(file, &source)?;
                return Ok(c);
            }
        }
        Ok(Config::defaults(
            ws_root.as_deref().or(pkg_root.as_deref()).unwrap_or(cwd),
        ))
    }
}

fn clean(s: String) -> String {
    s.trim().replace('\n', " ")
}

pub fn parse_table(text: &str, source: &str) -> Result<ConfigFile, String> {
    toml::from_str(text).map_err(|e| format!("{source}: {}", clean(e.message().to_string())))
}

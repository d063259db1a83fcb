//! The lint registry. Each lint is one unit, declared in its own rule file
//! (`declare_lint!`: name, level, summary, help, prefilter trigger, check;
//! docs and example found by name) and listed once in `LINTS`. `list`,
//! `explain`, SARIF rule descriptors, the prefilter, the README table, the
//! docs' level lines and the fixture harness all read it.

pub mod docs;

mod blocking_wait_in_async;
mod closed_flag_check_then_set;
mod condvar_wait_without_loop;
mod deferred_wait_before_closed_check;
mod double_lock;
mod lock_order_inversion;
mod non_idempotent_close;
mod wait_guard_dropped_immediately;
mod wait_while_holding_lock;

use crate::diag::{Fix, Level};
use crate::index::{FnId, Index, Witness};
use crate::model::{EventKind, FnModel};
use crate::prefilter::Trigger;
use crate::span::Span;
use crate::vocab::Vocab;
use std::path::Path;

pub struct Lint {
    pub name: &'static str,
    pub default_level: Level,
    /// One line: what it flags.
    pub summary: &'static str,
    /// The docs page, `docs/lints/<name>.md`, compiled in for `explain`.
    pub docs: &'static str,
    /// The buggy and fixed pair (runtime-demo's example file), compiled in
    /// for `explain`.
    pub example: &'static str,
    /// The fix, in one sentence (the help line).
    pub help: &'static str,
    /// What the prefilter must keep for this lint (see `prefilter::trigger`).
    pub trigger: Trigger,
    /// The check (it attaches its fix, generated in the same rule file).
    pub(crate) check: fn(&Cx, &FnModel, &mut Vec<RawFinding>),
}

impl std::fmt::Debug for Lint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lint").field("name", &self.name).finish()
    }
}

/// Declares a lint in its rule file: `pub const LINT: Lint = declare_lint! {..};`
/// (the docs page and the runtime-demo example are found by its name).
macro_rules! declare_lint {
    (
        name: $name:ident,
        level: $level:ident,
        summary: $summary:expr,
        help: $help:expr,
        trigger: $trigger:expr,
        check: $check:path $(,)?
    ) => {
        Lint {
            name: stringify!($name),
            default_level: crate::diag::Level::$level,
            summary: $summary,
            docs: include_str!(concat!("../../../docs/lints/", stringify!($name), ".md")),
            example: include_str!(concat!(
                "../../../runtime-demo/src/examples/",
                stringify!($name),
                ".rs"
            )),
            help: $help,
            trigger: $trigger,
            check: $check,
        }
    };
}
pub(crate) use declare_lint;

/// The registry, in the order `list`, SARIF rule indices and the docs use.
pub static LINTS: &[Lint] = &[
    deferred_wait_before_closed_check::LINT,
    closed_flag_check_then_set::LINT,
    non_idempotent_close::LINT,
    blocking_wait_in_async::LINT,
    wait_while_holding_lock::LINT,
    wait_guard_dropped_immediately::LINT,
    double_lock::LINT,
    lock_order_inversion::LINT,
    condvar_wait_without_loop::LINT,
];

pub fn find(name: &str) -> Option<&'static Lint> {
    LINTS.iter().find(|l| l.name == name)
}

/// What a rule sees besides the function.
pub struct Cx<'a> {
    pub fid: FnId,
    pub index: &'a Index,
    pub vocab: &'a Vocab,
    pub path: &'a Path,
    /// The file's source as stored (BOM and CRLF included): fixes slice it.
    pub text: &'a str,
}

/// A finding before the driver attaches level, paths and suppression.
#[derive(Debug, Clone)]
pub struct RawFinding {
    pub span: Span,
    pub message: String,
    /// (file index in the package, span, message)
    pub labels: Vec<(usize, Span, String)>,
    pub notes: Vec<String>,
    pub fix: Option<Fix>,
}

/// A blocking wait at this event: a vocabulary wait that is not awaited, or a
/// call of a crate function that waits.
pub(crate) fn blocking_wait(cx: &Cx, f: &FnModel, kind: &EventKind) -> Option<(Span, Witness)> {
    match kind {
        // The crate's own `wait` of the receiver's type decides (a builder
        // step does not wait).
        EventKind::Wait(w) if !w.awaited || w.always_blocking => {
            Some((w.span, cx.index.wait_witness(cx.fid, f, w)?))
        }
        EventKind::Call(c) if !c.awaited => {
            let w = cx.index.call_waits(cx.fid, f, &c.target)?;
            Some((c.span, w))
        }
        _ => None,
    }
}

/// The label on the wait a guard runs, naming the chain of calls to it.
pub(crate) fn wait_label(w: &Witness) -> (usize, Span, String) {
    let msg = if w.via.is_empty() {
        format!("this `{}` waits", w.name)
    } else {
        format!("this `{}` waits (reached through {})", w.name, w.via_text())
    };
    (w.file, w.span, msg)
}

//! The lint registry: every lint is declared here once. `list`, `explain`,
//! SARIF rule descriptors, the docs and the fixture harness all read it.

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
    /// The runtime-demo file holding the buggy and fixed pair.
    pub example: &'static str,
    /// The fix, in one sentence (the help line).
    pub help: &'static str,
    pub(crate) check: fn(&Cx, &FnModel, &mut Vec<RawFinding>),
}

impl std::fmt::Debug for Lint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lint").field("name", &self.name).finish()
    }
}

impl Lint {
    pub fn docs_path(&self) -> String {
        format!("docs/lints/{}.md", self.name)
    }
}

macro_rules! lint {
    ($name:ident, $level:ident, $summary:expr, $help:expr) => {
        Lint {
            name: stringify!($name),
            default_level: Level::$level,
            summary: $summary,
            docs: include_str!(concat!("../../../docs/lints/", stringify!($name), ".md")),
            example: concat!("runtime-demo/src/examples/", stringify!($name), ".rs"),
            help: $help,
            check: $name::check,
        }
    };
}

pub static LINTS: &[Lint] = &[
    lint!(
        deferred_wait_before_closed_check,
        Deny,
        "a guard that waits is armed before an is-closed early return, so the already-closed path runs the wait",
        "arm the guard after the closed check, or better, claim close ownership first with `swap`/`compare_exchange` and arm the guard only on the winning path"
    ),
    lint!(
        closed_flag_check_then_set,
        Deny,
        "a close flag is checked and later set in separate steps, so concurrent closers both pass the check",
        "check and set in one atomic step: `if flag.swap(true, Ordering::AcqRel) { return ..; }`, or hold one lock guard across both"
    ),
    lint!(
        non_idempotent_close,
        Deny,
        "`.take().unwrap()` in a close path panics when the close runs a second time",
        "tolerate the second close: `if let Some(x) = self.field.take() { .. }`"
    ),
    lint!(
        blocking_wait_in_async,
        Warn,
        "a blocking wait in async code stalls the runtime worker (or panics, for tokio's `blocking_*` and nested `block_on`)",
        "await the async equivalent, or move the blocking wait into `tokio::task::spawn_blocking`"
    ),
    lint!(
        wait_while_holding_lock,
        Warn,
        "a blocking wait while a lock guard is alive stalls every other user of that lock, and deadlocks if the waited-on work needs it",
        "release the guard before waiting: take what you need in a block or call `drop(guard)` first"
    ),
    lint!(
        wait_guard_dropped_immediately,
        Deny,
        "`let _ = <guard that waits>` drops the guard at once, so the wait runs here and not at the end of the scope",
        "bind the guard to a named variable such as `_guard` so it lives to the end of the scope"
    ),
    lint!(
        double_lock,
        Deny,
        "a lock is acquired again while a guard of it is still alive in the same function (directly or through a call): the thread deadlocks on itself",
        "bind what you need from the first guard and drop it before locking again, or pass the guard to the callee instead of locking there"
    ),
    lint!(
        lock_order_inversion,
        Warn,
        "two locks are taken in opposite orders by different functions (a cycle in the package's lock-order graph): threads running them can deadlock",
        "take the locks in one global order everywhere, or release the first before taking the second"
    ),
    lint!(
        condvar_wait_without_loop,
        Warn,
        "a Condvar `wait`/`wait_timeout` whose condition is tested by an `if` or not at all: a spurious wakeup or a notify for another condition lets the thread go on with the condition false",
        "wait with `wait_while(guard, |state| !ready(state))`, or re-test the condition in a `while` loop around the wait"
    ),
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
        EventKind::Wait(w) if !w.awaited || w.always_blocking => {
            Some((w.span, Witness::direct(cx.fid.0, w.span, &w.name)))
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

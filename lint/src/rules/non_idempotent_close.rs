//! `.take().unwrap()` in a close path: panics on the second close.

use super::{declare_lint, Cx, Lint, RawFinding};
use crate::model::{EventKind, FnModel, Receiver};
use crate::prefilter::{Fact, Trigger};

pub const LINT: Lint = declare_lint! {
    name: non_idempotent_close,
    level: Deny,
    summary: "`.take().unwrap()` in a close path panics when the close runs a second time",
    help: "tolerate the second close: `if let Some(x) = self.field.take() { .. }`",
    trigger: Trigger::in_fn(&[Fact::TakeUnwrap, Fact::ClosePathName]).reading_close_state(),
    check: check,
};

pub fn check(cx: &Cx, f: &FnModel, out: &mut Vec<RawFinding>) {
    let is_drop = f.trait_name.as_deref() == Some("Drop") && f.name == "drop";
    if !is_drop && (!cx.vocab.is_close_path(&f.name) || f.receiver == Receiver::Value) {
        return;
    }
    if !is_drop && !runs_repeatedly(cx, f) {
        return;
    }
    for te in &f.events {
        let EventKind::Take(t) = &te.kind else {
            continue;
        };
        if !t.unwrapped || t.guarded || !t.path.contains('.') || !f.frames[te.frame].runs_inline {
            continue;
        }
        if !outlives_call(f, &t.path, is_drop) {
            continue;
        }
        // Dominated by a closed check that leaves: a second close returns early.
        let after_check = f.events.iter().any(|ce| match &ce.kind {
            EventKind::Check(c) => {
                ce.pos < te.pos
                    && c.leaves
                    && c.open.iter().any(|&(s, e)| s <= te.pos && te.pos < e)
                    && c.reads.iter().any(|r| cx.index.read_is_close(f, r))
            }
            _ => false,
        });
        if after_check {
            continue;
        }
        let mut notes = Vec::new();
        if is_drop {
            let other = cx
                .index
                .takers(cx.fid, f, &t.path)
                .iter()
                .copied()
                .find(|id| *id != cx.fid);
            let Some(other) = other else { continue };
            notes.push(format!(
                "`{}` also takes `{}`: after it ran, this drop panics",
                cx.index.name(other),
                t.path
            ));
        } else {
            notes.push(
                "the first close leaves `None` behind; the second close unwraps it and panics"
                    .into(),
            );
        }
        out.push(RawFinding {
            span: t.span,
            message: format!(
                "`{}.take()` is unwrapped in close path `{}`",
                t.path, f.name
            ),
            labels: Vec::new(),
            notes,
            fix: crate::fix::tolerate_second_take(cx, f, te.block, t),
        });
    }
}

/// Can this close path run a second time on the same value?
///
/// Not when its double-call panic is the documented contract (`# Panics`),
/// for a `finish` that hands back what it built (`Hasher::finish`, an
/// encoder's `finish() -> W`: a use-once finalizer, not a close), or for a
/// private helper whose only callers are this type's `Drop::drop`.
fn runs_repeatedly(cx: &Cx, f: &FnModel) -> bool {
    if f.doc_panics {
        return false;
    }
    let finalizer = f.name.split('_').any(|p| p == "finish")
        && f.returns_value
        && f.receiver != Receiver::Shared;
    if finalizer {
        return false;
    }
    if !f.is_pub {
        let callers = cx.index.self_callers(cx.fid);
        if !callers.is_empty() && callers.iter().all(|&(_, from_drop)| from_drop) {
            return false;
        }
    }
    true
}

/// Does the taken place outlive one call: a field of `self`, of a parameter
/// passed by reference (or `Arc`), or a static? A field of a local (or of a
/// parameter moved in) is fresh on every call.
fn outlives_call(f: &FnModel, path: &str, is_drop: bool) -> bool {
    let root = path.split(['.', ':']).next().unwrap_or(path);
    if root == "self" {
        return true;
    }
    if is_drop {
        return false;
    }
    if let Some((_, kind)) = f.params.iter().find(|(n, _)| n == root) {
        return *kind != Receiver::Value;
    }
    root.chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

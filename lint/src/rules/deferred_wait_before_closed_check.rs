//! A guard that waits, armed before a closed check that leaves the function,
//! while the guard is still alive.

use super::{wait_label, Cx, RawFinding};
use crate::model::{Binding, BlockId, CloseRead, CloseReadKind, ClosedCheck, EventKind, FnModel};

pub fn check(cx: &Cx, f: &FnModel, out: &mut Vec<RawFinding>) {
    // The seed bug: a close path (where a second closer can arrive) checks
    // the receiver's own close state. A `start` that arms a kill-and-wait
    // guard for its error paths, then matches a remote status, is not it.
    let is_drop = f.trait_name.as_deref() == Some("Drop") && f.name == "drop";
    if !is_drop && !cx.vocab.is_close_path(&f.name) {
        return;
    }
    for ge in &f.events {
        let EventKind::Guard(g) = &ge.kind else {
            continue;
        };
        if matches!(g.binding, Binding::Underscore | Binding::Returned) {
            continue; // dropped at once: wait_guard_dropped_immediately
        }
        let Some(w) = cx.index.guard_waits(cx.fid, f, g) else {
            continue;
        };
        let mut end = f.blocks[ge.block].end;
        if let Binding::Named(name) = &g.binding {
            if let Some(d) = f.dropped_at(name, ge.block, g.stmt.end.byte) {
                end = end.min(d);
            }
        }
        let check = f.events.iter().find_map(|ce| match &ce.kind {
            EventKind::Check(c)
                if ce.pos >= g.stmt.end.byte
                    && ce.pos < end
                    && ce.frame == ge.frame
                    && c.leaves
                    && f.block_within(ce.block, ge.block)
                    && !defused_on_closed_path(f, &g.binding, c)
                    && !(c.by_break && loop_between(f, ce.block, ge.block))
                    && c.reads
                        .iter()
                        .any(|r| cx.index.read_is_close(f, r) && own_state(f, r)) =>
            {
                Some(c)
            }
            _ => None,
        });
        let Some(c) = check else { continue };
        out.push(RawFinding {
            span: g.stmt,
            message: "guard that waits is armed before the closed check".into(),
            labels: vec![
                (cx.fid.0, c.span, "the already-closed path leaves here, running the guard's wait".into()),
                wait_label(&w),
            ],
            notes: vec![
                "a second or concurrent close takes the early return with the guard armed: it waits again on work that is finished or owned by the first closer (a hang, or a panic)".into(),
            ],
            fix: crate::fix::move_guard_after_check(cx, f, ge.block, g, c),
        });
    }
}

/// Is this read about the receiver's own close state: `self.is_closed()`,
/// `self.state == Closed`, `self.ensure_open()?`, or the same through the
/// shared parameter a free close function is handed?
fn own_state(f: &FnModel, r: &CloseRead) -> bool {
    match &r.kind {
        CloseReadKind::SelfMethod(_) | CloseReadKind::EnsureOpen(_) => true,
        _ => r.path.as_deref().is_some_and(|p| {
            let root = p.split(['.', ':', '(']).next().unwrap_or(p);
            root == "self"
                || f.params
                    .iter()
                    .any(|(n, k)| n == root && *k != crate::model::Receiver::Value)
        }),
    }
}

/// The closed branch itself drops or defuses the guard before leaving
/// (`if closed { ScopeGuard::into_inner(g); return; }`): its wait never runs
/// on that path.
fn defused_on_closed_path(f: &FnModel, binding: &Binding, c: &ClosedCheck) -> bool {
    let Binding::Named(name) = binding else {
        return false;
    };
    f.events.iter().any(|e| {
        matches!(&e.kind, EventKind::Drop { name: n } if n == name)
            && e.pos >= c.stmt.start.byte
            && e.pos < c.stmt.end.byte
            && !c.open.iter().any(|&(s, t)| e.pos >= s && e.pos < t)
    })
}

/// Is a loop body on the way from `inner` up to (not including) `outer`? A
/// `break` there leaves that inner loop; the guard outlives it.
fn loop_between(f: &FnModel, mut inner: BlockId, outer: BlockId) -> bool {
    while inner != outer {
        if f.blocks[inner].loop_body {
            return true;
        }
        match f.blocks[inner].parent {
            Some(p) => inner = p,
            None => return false,
        }
    }
    false
}

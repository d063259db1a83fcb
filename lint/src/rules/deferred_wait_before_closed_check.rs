//! A guard that waits, armed before a closed check that leaves the function,
//! while the guard is still alive.

use super::{declare_lint, wait_label, Cx, Lint, RawFinding};
use crate::model::{Binding, BlockId, ClosedCheck, EventKind, FnModel};
use crate::prefilter::{Fact, Trigger};

pub const LINT: Lint = declare_lint! {
    name: deferred_wait_before_closed_check,
    level: Deny,
    summary: "a guard that waits is armed before an is-closed early return, so the already-closed path runs the wait",
    help: "arm the guard after the closed check, or better, claim close ownership first with `swap`/`compare_exchange` and arm the guard only on the winning path",
    trigger: Trigger::in_fn(&[Fact::Wait, Fact::WaitGuard, Fact::CloseState]).reading_close_state(),
    check: check,
};

pub fn check(cx: &Cx, f: &FnModel, out: &mut Vec<RawFinding>) {
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
                    && c.reads.iter().any(|r| cx.index.read_is_close(f, r)) =>
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

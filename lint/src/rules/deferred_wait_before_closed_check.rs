//! A guard that waits, armed before a closed check that leaves the function,
//! while the guard is still alive.

use super::{declare_lint, wait_label, Cx, Lint, RawFinding};
use crate::diag::Fix;
use crate::fix::support::{cut_range, edit, fix, let_names, mentions, with_block};
use crate::fix::text::{eol_at, line_end_incl, rest_is_blank_or_comment};
use crate::model::{
    Binding, BlockId, CloseRead, CloseReadKind, ClosedCheck, EventKind, FnModel, GuardArm,
};
use crate::prefilter::{Fact, Trigger};
use quote::ToTokens;
use syn::Stmt;

pub const LINT: Lint = declare_lint! {
    name: deferred_wait_before_closed_check,
    level: Deny,
    summary: "a guard that waits is armed before an is-closed early return, so the already-closed path runs the wait",
    help: "arm the guard after the closed check, or better, claim close ownership first with `swap`/`compare_exchange` and arm the guard only on the winning path",
    trigger: Trigger::in_fn(&[Fact::Wait, Fact::WaitGuard, Fact::CloseState, Fact::ClosePathName])
        .reading_close_state(),
    check: check,
};

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
            fix: move_guard_after_check(cx, f, ge.block, g, c),
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

// The fix (`crate::fix::support` holds what fix generators share).

/// Lint 1: move the guard statement to just after the closed check.
fn move_guard_after_check(
    cx: &Cx,
    f: &FnModel,
    block: BlockId,
    g: &GuardArm,
    c: &ClosedCheck,
) -> Option<Fix> {
    with_block(cx.text, f, block, |p| {
        let gi = p.stmt_at(g.stmt.start.byte as usize)?;
        let ci = p.stmt_containing(c.stmt.start.byte as usize)?;
        if ci <= gi {
            return None;
        }
        let check = &p.block.stmts[ci];
        if let Binding::Named(name) = &g.binding {
            if p.block.stmts[gi + 1..=ci]
                .iter()
                .any(|s| mentions(s.to_token_stream(), name))
            {
                return None; // the guard is used before or by the check
            }
        }
        let (cs, ce) = p.range(check);
        let is_tail = ci + 1 == p.block.stmts.len() && matches!(check, Stmt::Expr(_, None));
        if is_tail {
            return None;
        }
        let guard_tokens = p.block.stmts[gi].to_token_stream();
        let shadowed = p.block.stmts[gi + 1..=ci]
            .iter()
            .flat_map(let_names)
            .any(|n| mentions(guard_tokens.clone(), &n));
        // Same block, the check is the statement itself, nothing rebinds what
        // the guard reads: moving it is exactly the documented fix.
        let machine = cs == c.stmt.start.byte as usize && !shadowed;
        let (gs, ge) = p.range(&p.block.stmts[gi]);
        let (cut_s, cut_e, whole_lines) = cut_range(p.text, gs, ge, true);
        let edits = if whole_lines && rest_is_blank_or_comment(p.text, ce) {
            let at = line_end_incl(p.text, ce);
            let mut moved = p.text[cut_s..cut_e].to_string();
            if !moved.ends_with('\n') {
                moved.push_str(eol_at(p.text, ce));
            }
            if at == p.text.len() && !p.text.ends_with('\n') {
                return None;
            }
            vec![edit(cx, cut_s, cut_e, ""), edit(cx, at, at, moved)]
        } else {
            let (s, e, _) = cut_range(p.text, gs, ge, false);
            let moved = format!(" {}", &p.text[gs..ge]);
            vec![edit(cx, s, e, ""), edit(cx, ce, ce, moved)]
        };
        fix(
            machine,
            "move the guard to just after the closed check, so the already-closed path does not arm it",
            edits,
        )
    })
}

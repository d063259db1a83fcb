//! Check-then-set on a close flag in a shared-receiver function.

use super::{declare_lint, Cx, Lint, RawFinding};
use crate::model::{EventKind, FnModel, Receiver};
use crate::prefilter::{Fact, Trigger};

pub const LINT: Lint = declare_lint! {
    name: closed_flag_check_then_set,
    level: Deny,
    summary: "a close flag is checked and later set in separate steps, so concurrent closers both pass the check",
    help: "check and set in one atomic step: `if flag.swap(true, Ordering::AcqRel) { return ..; }`, or hold one lock guard across both",
    trigger: Trigger::in_fn(&[Fact::FlagWrite, Fact::CloseState]).reading_close_state(),
    check: check,
};

pub fn check(cx: &Cx, f: &FnModel, out: &mut Vec<RawFinding>) {
    if !f.is_shared() {
        return;
    }
    let mut reported = Vec::new();
    for ce in &f.events {
        let EventKind::Check(c) = &ce.kind else {
            continue;
        };
        for r in &c.reads {
            if r.claim {
                continue;
            }
            let Some(path) = cx.index.read_path(f, r) else {
                continue;
            };
            let write = f.events.iter().find(|we| match &we.kind {
                EventKind::Write(w) => {
                    w.path == path
                        && we.pos > ce.pos
                        && we.frame == ce.frame
                        && c.open.iter().any(|&(s, e)| s <= we.pos && we.pos < e)
                        && !serialized(f, ce.pos, ce.block, we.pos, we.block)
                }
                _ => false,
            });
            let Some(we) = write else { continue };
            if !shared_place(f, &path) {
                continue;
            }
            if reported.contains(&we.pos) {
                continue;
            }
            reported.push(we.pos);
            let EventKind::Write(w) = &we.kind else {
                continue;
            };
            out.push(RawFinding {
                span: w.span,
                message: format!("close flag `{path}` is set after a separate check: concurrent closers can both pass the check"),
                labels: vec![(cx.fid.0, r.span, format!("`{path}` is checked here, without claiming it"))],
                notes: vec!["between the check and the write another caller can run the same check and also see the flag unset: both go on to close".into()],
                fix: crate::fix::claim_with_swap(cx, f, ce.block, c, w),
            });
        }
    }
}

/// Is one named lock guard alive across both points?
fn serialized(f: &FnModel, a: u32, a_block: usize, b: u32, b_block: usize) -> bool {
    f.events.iter().any(|le| {
        let EventKind::Lock(l) = &le.kind else {
            return false;
        };
        let Some(name) = &l.binding else { return false };
        if le.pos >= a || !f.block_within(a_block, le.block) || !f.block_within(b_block, le.block) {
            return false;
        }
        let end = f
            .dropped_at(name, le.block, le.pos)
            .unwrap_or(l.live_end)
            .min(l.live_end);
        end > b
    })
}

/// Can two callers reach this flag at once? Not through a `&mut` parameter
/// or a value moved in: those are exclusive to this call (a `&self` method
/// handed `synced: &mut Synced` by a caller that holds its lock).
fn shared_place(f: &FnModel, path: &str) -> bool {
    let root = path.split(['.', ':']).next().unwrap_or(path);
    match f.params.iter().find(|(n, _)| n == root) {
        Some((_, kind)) => *kind == Receiver::Shared,
        None => true,
    }
}

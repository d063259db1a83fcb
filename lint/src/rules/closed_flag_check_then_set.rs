//! Check-then-set on a close flag in a shared-receiver function.

use super::{Cx, RawFinding};
use crate::model::{EventKind, FnModel, Receiver};

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
                        && !under_one_borrow(f, &path, ce.pos, we.pos)
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

/// Are the check and the write both made through one `RefCell` borrow
/// (`let mut st = self.state.borrow_mut(); if st.closed { .. } st.closed =
/// true;`)? A `RefCell` is not `Sync`: no concurrent closer exists.
fn under_one_borrow(f: &FnModel, path: &str, check: u32, write: u32) -> bool {
    let root = path.split(['.', ':']).next().unwrap_or(path);
    f.cell_borrows
        .iter()
        .any(|(name, at, end)| name == root && *at < check && write < *end)
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

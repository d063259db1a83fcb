//! A blocking wait while a lock guard is alive, when the same lock is also
//! acquired elsewhere in the package.

use super::{blocking_wait, declare_lint, wait_label, Cx, Lint, RawFinding};
use crate::model::{EventKind, FnModel};
use crate::prefilter::{Fact, Trigger};
use crate::vocab::CONDVAR_WAITS;

pub const LINT: Lint = declare_lint! {
    name: wait_while_holding_lock,
    level: Warn,
    summary: "a blocking wait while a lock guard is alive stalls every other user of that lock, and deadlocks if the waited-on work needs it",
    help: "release the guard before waiting: take what you need in a block or call `drop(guard)` first",
    trigger: Trigger::in_fn(&[Fact::Lock, Fact::Wait]).skipping_test_code(),
    check: check,
};

/// Does the wait work on the lock's own contents: the lock call is part of
/// the waited-on expression, or the expression names the guard (or what a
/// pattern bound from it)?
fn waits_on_contents(f: &FnModel, kind: &EventKind, lock_pos: u32) -> bool {
    let EventKind::Wait(w) = kind else {
        return false;
    };
    let (a, b) = w.operand;
    if a <= lock_pos && lock_pos < b {
        return true;
    }
    f.lock_contents
        .iter()
        .any(|(at, name)| *at == lock_pos && w.operand_idents.contains(name))
}

pub fn check(cx: &Cx, f: &FnModel, out: &mut Vec<RawFinding>) {
    // Tests hold a global lock on purpose to serialise themselves.
    if cx.index.is_test_code(cx.fid) {
        return;
    }
    // A `#[cfg(test)]` statement's wait or lock is test code too.
    for we in f.events.iter().filter(|e| !e.test) {
        let Some((span, w)) = blocking_wait(cx, f, &we.kind) else {
            continue;
        };
        let condvar = match &we.kind {
            EventKind::Wait(wc)
                if CONDVAR_WAITS.contains(&wc.name.as_str()) && !wc.arg_idents.is_empty() =>
            {
                Some(wc)
            }
            EventKind::Wait(wc) if CONDVAR_WAITS.contains(&wc.name.as_str()) => Some(wc),
            _ => None,
        };
        let held = f.events.iter().find_map(|le| {
            let EventKind::Lock(l) = &le.kind else {
                return None;
            };
            if le.test {
                return None;
            }
            if le.pos >= we.pos && condvar.is_none() {
                return None;
            }
            if le.pos >= we.pos {
                // A lock taken in the wait's own arguments is handed to it.
                return None;
            }
            if !cx.index.frame_inline_within(cx.fid, f, we.frame, le.frame) {
                return None;
            }
            if waits_on_contents(f, &we.kind, le.pos) {
                // `rx.lock().unwrap().recv()`, `let rx = m.lock()..; rx.recv()`,
                // `block_on(exporter.export(..))` under `exporter`'s lock: the
                // lock is held in order to wait on what it guards.
                return None;
            }
            let mut end = l.live_end;
            if let Some(b) = &l.binding {
                if condvar.is_some_and(|c| c.arg_idents.contains(b)) {
                    return None; // `cv.wait(guard)` releases this lock
                }
                if !f.block_within(we.block, le.block) {
                    return None;
                }
                if let Some(d) = f.dropped_at(b, le.block, le.pos) {
                    end = end.min(d);
                }
            }
            if we.pos >= end {
                return None;
            }
            let other = cx
                .index
                .lock_elsewhere(cx.fid, f, le.frame, &l.path, le.pos)?;
            Some((l, other))
        });
        let Some((l, other)) = held else { continue };
        let mut labels = vec![(
            cx.fid.0,
            l.span,
            format!("lock on `{}` acquired here and still held", l.path),
        )];
        if !w.via.is_empty() {
            labels.push(wait_label(&w));
        }
        out.push(RawFinding {
            span,
            message: format!("blocking wait `{}` while holding the lock on `{}`", w.via.first().unwrap_or(&w.name), l.path),
            labels,
            notes: vec![format!(
                "`{}` also acquires this lock: it stalls for the whole wait, and deadlocks if the waited-on work needs the lock",
                cx.index.name(other)
            )],
            fix: None,
        });
    }
}

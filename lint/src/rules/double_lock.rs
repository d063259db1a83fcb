//! A lock acquired while a guard of the same lock is alive in the same
//! function, directly or by calling a crate function that acquires it.

use super::{declare_lint, Cx, Lint, RawFinding};
use crate::prefilter::{Fact, Trigger};

pub const LINT: Lint = declare_lint! {
    name: double_lock,
    level: Deny,
    summary: "a lock is acquired again while a guard of it is still alive in the same function (directly or through a call): the thread deadlocks on itself",
    help: "bind what you need from the first guard and drop it before locking again, or pass the guard to the callee instead of locking there",
    trigger: Trigger::in_fn(&[Fact::LockEdge, Fact::LockSame]).skipping_test_code(),
    check: check,
};
use crate::fxhash::HashSet;
use crate::index::Inner;
use crate::model::locks::LockKind;
use crate::model::FnModel;

pub fn check(cx: &Cx, f: &FnModel, out: &mut Vec<RawFinding>) {
    let _ = f;
    // Test code is skipped, as for `wait_while_holding_lock` (the index
    // resolves no acquisitions there).
    // The callees of calls under a guard, and declarations in files not
    // parsed yet, could add acquisitions.
    cx.index.ask_fn_lock_facts(cx.fid);
    let (acqs, pairs) = cx.index.lock_pairs(cx.fid);
    if acqs.is_empty() {
        return;
    }
    let mut seen = HashSet::default();
    for p in pairs {
        let a = &acqs[p.outer];
        let shown = a.lock.shown();
        let (span, kind, mut labels) = match &p.inner {
            Inner::Direct(b) => {
                let b = &acqs[*b];
                if b.lock.key != a.lock.key {
                    continue;
                }
                (b.span, b.kind, Vec::new())
            }
            Inner::Via {
                span,
                lock,
                kind,
                witness,
            } => {
                if !a.lock.package || *lock != a.lock.key {
                    continue;
                }
                let msg = format!(
                    "`{shown}` {} again here (reached through {})",
                    kind.verb(),
                    witness.via_text()
                );
                (*span, *kind, vec![(witness.file, witness.span, msg)])
            }
        };
        if !a.kind.conflicts(kind) || !seen.insert(span.start.byte) {
            continue;
        }
        labels.insert(
            0,
            (
                cx.fid.0,
                a.span,
                format!("`{shown}` {} here; its guard is still alive", a.kind.verb()),
            ),
        );
        let message = match &p.inner {
            Inner::Direct(_) => format!(
                "`{shown}` is {} again while a guard of it is still alive",
                kind.verb()
            ),
            Inner::Via { witness, .. } => format!(
                "this call {} `{shown}` while a guard of it is still alive (through {})",
                match kind {
                    LockKind::Read => "read-locks",
                    LockKind::Write => "write-locks",
                    _ => "locks",
                },
                witness.via_text()
            ),
        };
        let note = if a.kind == LockKind::Mutex && kind == LockKind::Mutex {
            "a Mutex is not reentrant: the second acquisition waits for the guard this thread holds, so it never returns (std may also panic)".to_string()
        } else {
            format!(
                "an RwLock cannot be {} while this thread holds a {} guard of it: the thread waits for itself",
                kind.verb(),
                if a.kind == LockKind::Read { "read" } else { "write" }
            )
        };
        out.push(RawFinding {
            span,
            message,
            labels,
            notes: vec![note],
            fix: None,
        });
    }
}

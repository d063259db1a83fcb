//! `.take().unwrap()` in a close path: panics on the second close.

use super::{Cx, RawFinding};
use crate::model::{EventKind, FnModel, Receiver};

pub fn check(cx: &Cx, f: &FnModel, out: &mut Vec<RawFinding>) {
    let is_drop = f.trait_name.as_deref() == Some("Drop") && f.name == "drop";
    if !is_drop && (!cx.vocab.is_close_path(&f.name) || f.receiver == Receiver::Value) {
        return;
    }
    for te in &f.events {
        let EventKind::Take(t) = &te.kind else {
            continue;
        };
        if !t.unwrapped || t.guarded || !t.path.contains('.') || !f.frames[te.frame].runs_inline {
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
            let Some(ty) = &f.self_ty else { continue };
            let other = cx
                .index
                .takers(ty, &t.path)
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
            fix: None,
        });
    }
}

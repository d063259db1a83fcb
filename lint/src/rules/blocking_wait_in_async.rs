//! A blocking wait in async context.

use super::{blocking_wait, wait_label, Cx, RawFinding};
use crate::model::FnModel;

pub fn check(cx: &Cx, f: &FnModel, out: &mut Vec<RawFinding>) {
    // Tests block on purpose (to provoke the panic, to sequence threads).
    if cx.index.is_test_code(cx.fid) {
        return;
    }
    for e in &f.events {
        if !cx.index.frame_is_async(cx.fid, f, e.frame) {
            continue;
        }
        let Some((span, w)) = blocking_wait(cx, f, &e.kind) else {
            continue;
        };
        let mut labels = Vec::new();
        let what = if w.via.is_empty() {
            format!("`{}`", w.name)
        } else {
            labels.push(wait_label(&w));
            format!("`{}` (which waits)", w.via[0])
        };
        out.push(RawFinding {
            span,
            message: format!("blocking wait {what} in async code"),
            labels,
            notes: vec!["a blocking call parks the runtime worker thread: other tasks on it stall until it returns; tokio's `blocking_*` methods and a nested `block_on` panic inside a runtime".into()],
            fix: None,
        });
    }
}

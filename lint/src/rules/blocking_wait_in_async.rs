//! A blocking wait in async context.

use super::{blocking_wait, declare_lint, wait_label, Cx, Lint, RawFinding};
use crate::model::FnModel;
use crate::prefilter::{Fact, Trigger};

pub const LINT: Lint = declare_lint! {
    name: blocking_wait_in_async,
    level: Warn,
    summary: "a blocking wait in async code stalls the runtime worker (or panics, for tokio's `blocking_*` and nested `block_on`)",
    help: "await the async equivalent, or move the blocking wait into `tokio::task::spawn_blocking`",
    trigger: Trigger::in_async_code(&[Fact::Wait]).skipping_test_code(),
    check: check,
};

pub fn check(cx: &Cx, f: &FnModel, out: &mut Vec<RawFinding>) {
    // Tests block on purpose (to provoke the panic, to sequence threads).
    if cx.index.is_test_code(cx.fid) {
        return;
    }
    for e in &f.events {
        // `#[cfg(test)] { .. }` inside a fn is test code too.
        if e.test || !cx.index.frame_is_async(cx.fid, f, e.frame) {
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

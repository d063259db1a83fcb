//! `let _ = <wait guard>`: the guard drops at once and waits here.

use super::{declare_lint, wait_label, Cx, Lint, RawFinding};
use crate::model::{Binding, EventKind, FnModel};
use crate::prefilter::{Fact, Trigger};

pub const LINT: Lint = declare_lint! {
    name: wait_guard_dropped_immediately,
    level: Deny,
    summary: "`let _ = <guard that waits>` drops the guard at once, so the wait runs here and not at the end of the scope",
    help: "bind the guard to a named variable such as `_guard` so it lives to the end of the scope",
    trigger: Trigger::in_fn(&[Fact::LetUnderscore, Fact::Wait, Fact::WaitGuard]),
    check: check,
};

pub fn check(cx: &Cx, f: &FnModel, out: &mut Vec<RawFinding>) {
    for ge in &f.events {
        let EventKind::Guard(g) = &ge.kind else {
            continue;
        };
        if g.binding != Binding::Underscore {
            continue;
        }
        let Some(w) = cx.index.guard_waits(cx.fid, f, g) else {
            continue;
        };
        out.push(RawFinding {
            span: g.stmt,
            message: "`let _ =` drops this wait guard immediately, so it waits here".into(),
            labels: vec![wait_label(&w)],
            notes: vec!["`_` is not a binding: the value is dropped at the end of the statement, not at the end of the scope".into()],
            fix: crate::fix::name_the_guard(cx, f, g),
        });
    }
}

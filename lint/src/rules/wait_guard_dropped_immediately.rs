//! `let _ = <wait guard>`: the guard drops at once and waits here.

use super::{declare_lint, wait_label, Cx, Lint, RawFinding};
use crate::diag::Fix;
use crate::fix::support::{edit, fix};
use crate::fix::text::{fresh, words};
use crate::model::{Binding, EventKind, FnModel, GuardArm};
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
            fix: name_the_guard(cx, f, g),
        });
    }
}

// The fix (`crate::fix::support` holds what fix generators share).

/// Lint 6: `let _ = guard` becomes `let _guard = guard` (a name the
/// function does not use yet).
fn name_the_guard(cx: &Cx, f: &FnModel, g: &GuardArm) -> Option<Fix> {
    let text = cx.text;
    let (ps, pe) = (g.pat.start.byte as usize, g.pat.end.byte as usize);
    if text.get(ps..pe) != Some("_") {
        return None;
    }
    let body = text.get(f.span.start.byte as usize..f.span.end.byte as usize)?;
    let used = words(body);
    // Each `let _ =` guard of the function gets a name of its own.
    let earlier = f
        .events
        .iter()
        .filter(|e| matches!(&e.kind, crate::model::EventKind::Guard(o) if o.binding == Binding::Underscore && o.stmt.start.byte < g.stmt.start.byte))
        .count();
    let mut taken: Vec<String> = Vec::new();
    for _ in 0..=earlier {
        let n = fresh("_guard", &|n| {
            used.contains(n) || taken.iter().any(|t| t == n)
        });
        taken.push(n);
    }
    let name = taken.pop().expect("one name");
    // `_ = guard(..);` (an assignment) needs a `let` to bind.
    let assign = g.stmt.start.byte as usize == ps;
    let replacement = if assign {
        format!("let {name}")
    } else {
        name.clone()
    };
    fix(
        true,
        format!("bind the guard to `{name}` so it lives to the end of the scope"),
        vec![edit(cx, ps, pe, replacement)],
    )
}

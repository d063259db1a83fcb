//! A `Condvar` `wait`/`wait_timeout` whose condition is tested by an `if`
//! or not at all, instead of a loop that re-tests it after every wakeup.

use super::{declare_lint, Cx, Lint, RawFinding};
use crate::prefilter::{Fact, Trigger};

pub const LINT: Lint = declare_lint! {
    name: condvar_wait_without_loop,
    level: Warn,
    summary: "a Condvar `wait`/`wait_timeout` whose condition is tested by an `if` or not at all: a spurious wakeup or a notify for another condition lets the thread go on with the condition false",
    help: "wait with `wait_while(guard, |state| !ready(state))`, or re-test the condition in a `while` loop around the wait",
    trigger: Trigger::in_fn(&[Fact::CondvarWait, Fact::Lock]).skipping_test_code(),
    check: check,
};
use crate::diag::{Applicability, Edit, Fix};
use crate::model::{BlockId, EventKind, FnModel, WaitCall};

pub fn check(cx: &Cx, f: &FnModel, out: &mut Vec<RawFinding>) {
    // Tests of a Condvar wait once on purpose, as for the other warn lints.
    if cx.index.is_test_code(cx.fid) {
        return;
    }
    // A `#[cfg(test)]` statement's wait is test code too.
    for e in f.events.iter().filter(|e| !e.test) {
        let EventKind::Wait(w) = &e.kind else {
            continue;
        };
        if !matches!(w.name.as_str(), "wait" | "wait_timeout") || !handed_a_guard(f, e.pos, w) {
            continue;
        }
        if in_retesting_loop(f, e.block) || !maybe_condvar(cx, f, e.pos) {
            continue;
        }
        let fix = wait_while_fix(cx, f, e.pos);
        out.push(RawFinding {
            span: w.span,
            message: format!("Condvar `{}` is not in a loop that re-tests its condition", w.name),
            labels: Vec::new(),
            notes: vec![
                "a Condvar may wake spuriously, and a `notify_all` meant for another condition wakes this waiter too: after one `wait` the condition may still be false, and the code goes on as if it held".into(),
            ],
            fix,
        });
    }
}

/// A Condvar wait is handed the guard it releases: a named guard of this
/// function (`cv.wait(g)`, parking_lot's `cv.wait(&mut g)`) or a lock taken
/// in its own arguments (`cv.wait(m.lock().unwrap())`). `Barrier::wait()`,
/// `WaitGroup::wait()`, `Child::wait()` take no guard; a custom `wait(x)`
/// handed something else is not a Condvar.
fn handed_a_guard(f: &FnModel, pos: u32, w: &WaitCall) -> bool {
    let end = f.locks.call_end(pos);
    f.events.iter().any(|le| {
        let EventKind::Lock(l) = &le.kind else {
            return false;
        };
        match &l.binding {
            Some(b) if le.pos < pos => w.arg_idents.first() == Some(b),
            _ => end.is_some_and(|end| le.pos > pos && le.pos < end),
        }
    })
}

/// The receiver is a Condvar, or its type is not declared where we can see
/// it: `self.wait(&mut g)` (a method of the impl's own type) and a field
/// declared with another type are not Condvar waits.
fn maybe_condvar(cx: &Cx, f: &FnModel, pos: u32) -> bool {
    let Some(recv) = f.locks.call_receiver(pos) else {
        return true;
    };
    // A declaration in a file not parsed yet could change this answer.
    let names = cx.index.place_type_names_asked(f, recv, pos);
    names.is_none_or(|n| n.iter().any(|x| x.to_ascii_lowercase().contains("condvar")))
}

/// Is the wait inside a loop body of its own frame? A loop (`while`,
/// `loop`, or a bounded `for` retry with a `break` test) runs again after
/// the wakeup and re-tests what it tests.
fn in_retesting_loop(f: &FnModel, mut b: BlockId) -> bool {
    let frame = f.blocks[b].frame;
    loop {
        let blk = &f.blocks[b];
        if blk.frame != frame {
            return false;
        }
        if blk.loop_body {
            return true;
        }
        match blk.parent {
            Some(p) => b = p,
            None => return false,
        }
    }
}

/// `if COND { G = CV.wait(G).unwrap(); }` -> `G = CV.wait_while(G, |G| COND).unwrap();`
/// when the condition reads the guard (the closure is handed `&mut T`, so
/// `*G` and `G.field` keep their meaning).
fn wait_while_fix(cx: &Cx, f: &FnModel, pos: u32) -> Option<Fix> {
    let c = f.locks.cv_ifs.iter().find(|c| c.wait_pos == pos)?;
    let text = |s: crate::span::Span| cx.text.get(s.range());
    let cond = text(c.cond)?;
    let mentions = cond
        .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
        .any(|w| w == c.guard);
    if !mentions || cond.contains('\n') && cond.contains("let ") {
        return None;
    }
    let g = &c.guard;
    let replacement = format!(
        "{g} = {}.wait_while({g}, |{g}| {cond}){};",
        text(c.recv)?,
        text(c.tail)?
    );
    Some(Fix {
        applicability: Applicability::MachineApplicable,
        description: "wait with `wait_while`, which re-tests the condition after every wakeup"
            .into(),
        edits: vec![Edit {
            path: cx.path.to_path_buf(),
            start_byte: c.stmt.start.byte,
            end_byte: c.stmt.end.byte,
            replacement,
        }],
    })
}

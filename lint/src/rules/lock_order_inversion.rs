//! A cycle in the package's lock-order graph: B taken while a guard of A is
//! alive in one function, A while a guard of B is alive in another (or a
//! longer cycle across functions).

use super::{declare_lint, Cx, Lint, RawFinding};
use crate::prefilter::{Fact, Trigger};

pub const LINT: Lint = declare_lint! {
    name: lock_order_inversion,
    level: Warn,
    summary: "two locks are taken in opposite orders by different functions (a cycle in the package's lock-order graph): threads running them can deadlock",
    help: "take the locks in one global order everywhere, or release the first before taking the second",
    // The cycle's other edges may sit in files not asked for.
    trigger: Trigger::in_fn(&[Fact::LockEdge, Fact::LockCycle])
        .skipping_test_code()
        .across_the_package(),
    check: check,
};
use crate::index::shown_key;
use crate::model::FnModel;

pub fn check(cx: &Cx, f: &FnModel, out: &mut Vec<RawFinding>) {
    let _ = f;
    // A cycle is reported at an edge of its own function: its callees under
    // a guard and the declarations its acquisitions read could add one.
    cx.index.ask_fn_lock_facts(cx.fid);
    let (acqs, pairs) = cx.index.lock_pairs(cx.fid);
    if acqs.is_empty() || pairs.is_empty() {
        return;
    }
    // With an edge, every edge of the package counts: the callees of calls
    // made under a guard, anywhere, and the declarations identity read.
    cx.index.ask_lock_graph();
    for c in cx.index.cycles_in(cx.fid) {
        let last = c.reported();
        let mut labels = Vec::new();
        for e in &c.edges {
            labels.push((
                e.fid.0,
                e.outer,
                format!("`{}` locked here", shown_key(&e.from)),
            ));
            if e.fid == last.fid && e.inner == last.inner {
                continue;
            }
            labels.push((
                e.fid.0,
                e.inner,
                format!(
                    "then `{}` while `{}` is held (in `{}`)",
                    shown_key(&e.to),
                    shown_key(&e.from),
                    cx.index.name(e.fid)
                ),
            ));
            if let Some(w) = &e.via {
                labels.push((
                    w.file,
                    w.span,
                    format!(
                        "`{}` locked here (reached through {})",
                        shown_key(&e.to),
                        w.via_text()
                    ),
                ));
            }
        }
        if let Some(w) = &last.via {
            labels.push((
                w.file,
                w.span,
                format!(
                    "`{}` locked here (reached through {})",
                    shown_key(&last.to),
                    w.via_text()
                ),
            ));
        }
        let message = if c.edges.len() == 2 {
            let other = &c.edges[1 - c.report];
            format!(
                "`{}` is locked while `{}` is held, but `{}` takes them in the opposite order",
                shown_key(&last.to),
                shown_key(&last.from),
                cx.index.name(other.fid)
            )
        } else {
            // The cycle, starting after the reported edge and ending with it.
            let n = c.edges.len();
            let mut order: Vec<&str> = (1..=n)
                .map(|k| shown_key(&c.edges[(c.report + k) % n].from))
                .collect();
            order.push(order[0]);
            format!(
                "`{}` is locked while `{}` is held, closing the lock-order cycle {}",
                shown_key(&last.to),
                shown_key(&last.from),
                order
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(" -> ")
            )
        };
        out.push(RawFinding {
            span: last.inner,
            message,
            labels,
            notes: vec![
                "threads that take these locks in different orders can each hold one and wait for the next forever: a deadlock that shows only under contention".into(),
            ],
            fix: None,
        });
    }
}

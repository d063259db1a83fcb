//! Check-then-set on a close flag in a shared-receiver function.

use super::{declare_lint, Cx, Lint, RawFinding};
use crate::diag::Fix;
use crate::fix::support::{cut_range, edit, find_stmt, fix, mentions, same, with_block};
use crate::fix::text::{
    blank, eol_at, indent_at, line_end_incl, line_start, rest_is_blank_or_comment,
};
use crate::fix::{render, Layout};
use crate::model::{BlockId, ClosedCheck, EventKind, FlagWrite, FnModel, Receiver};
use crate::prefilter::{Fact, Trigger};
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{Expr, Stmt};

pub const LINT: Lint = declare_lint! {
    name: closed_flag_check_then_set,
    level: Deny,
    summary: "a close flag is checked and later set in separate steps, so concurrent closers both pass the check",
    help: "check and set in one atomic step: `if flag.swap(true, Ordering::AcqRel) { return ..; }`, or hold one lock guard across both",
    trigger: Trigger::in_fn(&[Fact::FlagWrite, Fact::CloseState]).reading_close_state(),
    check: check,
};

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
                fix: claim_with_swap(cx, f, ce.block, c, w),
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

// The fix (`crate::fix::support` holds what fix generators share).

/// The ordering for the swap: at least as strong as both originals.
fn swap_ordering(load: Option<&Expr>, store: &Expr) -> (TokenStream, bool) {
    let last = |e: &Expr| match e {
        Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    };
    let known = [load, Some(store)]
        .into_iter()
        .flatten()
        .all(|e| last(e).is_some());
    let seq = [load, Some(store)]
        .into_iter()
        .flatten()
        .any(|e| last(e).as_deref() == Some("SeqCst"));
    let want = if seq || !known { "SeqCst" } else { "AcqRel" };
    // Reuse the user's own path to `Ordering` (`Ordering::`, `atomic::Ordering::`).
    for e in [load, Some(store)].into_iter().flatten() {
        if let Expr::Path(p) = e {
            if p.path.segments.len() >= 2 {
                let mut path = p.path.clone();
                let lastseg = path.segments.last_mut().expect("two segments");
                lastseg.ident = syn::Ident::new(want, proc_macro2::Span::call_site());
                return (path.to_token_stream(), known);
            }
            if seq && last(e).as_deref() == Some("SeqCst") {
                return (p.to_token_stream(), known);
            }
        }
    }
    let id = syn::Ident::new(want, proc_macro2::Span::call_site());
    (quote!(::std::sync::atomic::Ordering::#id), known)
}

fn strip_not(e: &Expr) -> (&Expr, bool) {
    match e {
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => (&u.expr, true),
        Expr::Paren(p) => strip_not(&p.expr),
        other => (other, false),
    }
}

fn is_true(e: &Expr) -> bool {
    matches!(e, Expr::Lit(l) if matches!(&l.lit, syn::Lit::Bool(b) if b.value))
}

/// Lint 2: check and set in one step. Atomic `load` + later `store(true)`
/// becomes `swap(true, ..)` in the condition; the `Mutex<bool>` form gets
/// `std::mem::replace(&mut *guard, true)` as a suggestion.
fn claim_with_swap(
    cx: &Cx,
    f: &FnModel,
    block: BlockId,
    c: &ClosedCheck,
    w: &FlagWrite,
) -> Option<Fix> {
    with_block(cx.text, f, block, |p| {
        let ci = p.stmt_at(c.stmt.start.byte as usize)?;
        let Stmt::Expr(Expr::If(i), _) = &p.block.stmts[ci] else {
            return None;
        };
        let (cond, negated) = strip_not(&i.cond);
        let (ws, we) = (w.span.start.byte as usize, w.span.end.byte as usize);
        let (store_stmt, direct_after) = match find_stmt(p, &p.block.stmts[ci + 1..], ws, we) {
            Some(hit) => hit,
            None => {
                let (s, d) = find_stmt(p, &i.then_branch.stmts, ws, we)?;
                (s, d && negated)
            }
        };
        let Stmt::Expr(store, _) = store_stmt else {
            return None;
        };
        let load = match cond {
            Expr::MethodCall(m) if m.method == "load" && m.args.len() == 1 => Some(m),
            _ => None,
        };
        let not = if negated { quote!(!) } else { quote!() };
        let (new_cond, machine, what) = match store {
            Expr::MethodCall(m)
                if m.method == "store" && m.args.len() == 2 && is_true(&m.args[0]) =>
            {
                let recv = &m.receiver;
                let (ord, known) = swap_ordering(load.map(|l| &l.args[0]), &m.args[1]);
                let same_flag = load.is_some_and(|l| same(&l.receiver, recv));
                let flag = match &**recv {
                    Expr::Field(fl) => fl.member.to_token_stream().to_string(),
                    other => other.to_token_stream().to_string(),
                };
                // Between the check and the store nothing may read the flag:
                // it is set earlier now.
                let between: Vec<&Stmt> = if negated {
                    i.then_branch
                        .stmts
                        .iter()
                        .take_while(|s| !std::ptr::eq(*s, store_stmt))
                        .collect()
                } else {
                    p.block.stmts[ci + 1..]
                        .iter()
                        .take_while(|s| !std::ptr::eq(*s, store_stmt))
                        .collect()
                };
                let quiet = between
                    .iter()
                    .all(|s| !mentions(s.to_token_stream(), &flag));
                let early_return = !negated && c.leaves && i.else_branch.is_none();
                let if_not = negated && i.else_branch.is_none();
                let machine =
                    same_flag && known && quiet && direct_after && (early_return || if_not);
                (
                    quote!(#not #recv.swap(true, #ord)),
                    machine,
                    "claim the flag with `swap` in the check and drop the later `store`",
                )
            }
            Expr::Assign(a)
                if is_true(&a.right)
                    && matches!(&*a.left, Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_))) =>
            {
                let lhs = &a.left;
                (
                    quote!(#not ::std::mem::replace(&mut #lhs, true)),
                    false,
                    "check and set under one lock acquisition with `std::mem::replace`, and drop the later write",
                )
            }
            _ => return None,
        };
        let (cs, ce) = p.range(&*i.cond);
        let layout = Layout {
            indent: indent_at(p.text, cs),
            unit: "    ",
            eol: eol_at(p.text, cs),
        };
        let new_text = render(new_cond, p.src, &layout);
        let (ss, se) = p.range(store_stmt);
        let (ds, de, _) = cut_range(p.text, ss, se, false);
        let del =
            if rest_is_blank_or_comment(p.text, se) && blank(p.text, line_start(p.text, ss), ss) {
                let rest = p.text[se..line_end_incl(p.text, se)].trim();
                if rest.is_empty() {
                    edit(cx, line_start(p.text, ss), line_end_incl(p.text, se), "")
                } else {
                    // Keep the trailing comment on its line.
                    let mut e = se;
                    while matches!(p.text.as_bytes().get(e), Some(b' ' | b'\t')) {
                        e += 1;
                    }
                    edit(cx, ss, e, "")
                }
            } else {
                edit(cx, ds, de, "")
            };
        fix(machine, what, vec![edit(cx, cs, ce, new_text), del])
    })
}

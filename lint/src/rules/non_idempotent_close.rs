//! `.take().unwrap()` in a close path: panics on the second close.

use super::{declare_lint, Cx, Lint, RawFinding};
use crate::diag::Fix;
use crate::fix::support::{edit, fix, mentions, same, with_block, Parsed};
use crate::fix::text::{eol_at, fresh, indent_at, indent_unit};
use crate::fix::{render, Layout};
use crate::model::{BlockId, EventKind, FnModel, Receiver, Take};
use crate::prefilter::{Fact, Trigger};
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{Expr, Stmt};

pub const LINT: Lint = declare_lint! {
    name: non_idempotent_close,
    level: Deny,
    summary: "`.take().unwrap()` in a close path panics when the close runs a second time",
    help: "tolerate the second close: `if let Some(x) = self.field.take() { .. }`",
    trigger: Trigger::in_fn(&[Fact::TakeUnwrap, Fact::ClosePathName]).reading_close_state(),
    check: check,
};

pub fn check(cx: &Cx, f: &FnModel, out: &mut Vec<RawFinding>) {
    let is_drop = f.trait_name.as_deref() == Some("Drop") && f.name == "drop";
    if !is_drop && (!cx.vocab.is_close_path(&f.name) || f.receiver == Receiver::Value) {
        return;
    }
    if !is_drop && !runs_repeatedly(cx, f) {
        return;
    }
    for te in &f.events {
        let EventKind::Take(t) = &te.kind else {
            continue;
        };
        if !t.unwrapped
            || t.guarded
            || !t.path.contains('.')
            || !cx.index.frame_runs_inline(cx.fid, f, te.frame)
        {
            continue;
        }
        if !outlives_call(f, &t.path, is_drop) {
            continue;
        }
        // Only a value that owns a thread, task, channel, socket or child
        // process is closed (a parser's `finish_value` taking its prefix is
        // not); an owner the file does not define is not known to.
        if !owner_holds_resource(cx, f, t) {
            continue;
        }
        // Put back before the function returns (`self.h = Some(h)`): the
        // next call finds it again.
        let put_back = f.puts.iter().any(|(p, at)| *p == t.path && *at > te.pos);
        if put_back {
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
            let other = cx
                .index
                .takers(cx.fid, f, &t.path)
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
            fix: tolerate_second_take(cx, f, te.block, t),
        });
    }
}

/// Can this close path run a second time on the same value?
///
/// Not when its double-call panic is the documented contract (`# Panics`),
/// for a `finish` that hands back what it built (`Hasher::finish`, an
/// encoder's `finish() -> W`: a use-once finalizer, not a close), or for a
/// private helper whose only callers are this type's `Drop::drop`.
fn runs_repeatedly(cx: &Cx, f: &FnModel) -> bool {
    if f.doc_panics {
        return false;
    }
    let finalizer = f.name.split('_').any(|p| p == "finish")
        && f.returns_value
        && f.receiver != Receiver::Shared;
    if finalizer {
        return false;
    }
    if !f.is_pub {
        let callers = cx.index.self_callers(cx.fid);
        if !callers.is_empty() && callers.iter().all(|&(_, from_drop)| from_drop) {
            return false;
        }
        // A private `&mut self` method runs only where this crate calls it.
        // Called only on values its callers own (tokio's `Core::shutdown`,
        // run once per core drained from a list; its file is parsed with
        // it), never through `self.m()` nor on a field or reference: nothing
        // shows a second call on the same value.
        if f.receiver == Receiver::Exclusive && callers.is_empty() {
            let (owned, other) = cx.index.close_calls_in_file(cx.fid, &f.name);
            if owned > 0 && other == 0 {
                return false;
            }
        }
    }
    true
}

/// Does the value the taken field belongs to own a resource: `self`'s type,
/// or the declared type of the parameter the path starts from?
fn owner_holds_resource(cx: &Cx, f: &FnModel, t: &Take) -> bool {
    let path = t.path.as_str();
    let root = path.split(['.', ':']).next().unwrap_or(path);
    let ty = if root == "self" {
        f.self_ty.clone()
    } else {
        f.param_types
            .iter()
            .find(|(n, _)| n == root)
            .map(|(_, t)| t.clone())
    };
    match ty.and_then(|t| cx.index.owns_resource(cx.fid, &t)) {
        Some(owns) => owns,
        // The owner is defined elsewhere: what the taken value is used for
        // tells (`self.h.take().unwrap().join()` takes a thread handle).
        None => consumed_as_resource(t),
    }
}

/// The unwrapped value is joined, waited on, killed, aborted or sent on.
fn consumed_as_resource(t: &Take) -> bool {
    t.consumed_by.as_deref().is_some_and(|m| {
        matches!(
            m,
            "join"
                | "wait"
                | "kill"
                | "abort"
                | "send"
                | "shutdown"
                | "close"
                | "cancel"
                | "terminate"
                | "disconnect"
        )
    })
}

/// Does the taken place outlive one call: a field of `self`, of a parameter
/// passed by reference (or `Arc`), or a static? A field of a local (or of a
/// parameter moved in) is fresh on every call.
fn outlives_call(f: &FnModel, path: &str, is_drop: bool) -> bool {
    let root = path.split(['.', ':']).next().unwrap_or(path);
    if root == "self" {
        return true;
    }
    if is_drop {
        return false;
    }
    if let Some((_, kind)) = f.params.iter().find(|(n, _)| n == root) {
        return *kind != Receiver::Value;
    }
    root.chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

// The fix (`crate::fix::support` holds what fix generators share).

use crate::lex::comments;
/// The receiver chain of `e` down to `x.take().unwrap()` whose `take` name
/// starts at `take_at`: returns that unwrap call.
fn find_unwrap(p: &Parsed, e: &Expr, take_at: usize) -> Option<syn::ExprMethodCall> {
    let Expr::MethodCall(m) = e else { return None };
    if matches!(m.method.to_string().as_str(), "unwrap" | "expect") {
        if let Expr::MethodCall(t) = &*m.receiver {
            if t.method == "take" && p.range(&t.method).0 == take_at {
                return Some(m.clone());
            }
        }
    }
    find_unwrap(p, &m.receiver, take_at)
}

/// `e` with the receiver `x.take().unwrap()` replaced by `v`.
fn replace_unwrap(e: &Expr, target: &syn::ExprMethodCall, v: &syn::Ident) -> Expr {
    match e {
        Expr::MethodCall(m) if p_eq(m, target) => syn::parse_quote!(#v),
        Expr::MethodCall(m) => {
            let mut m = m.clone();
            m.receiver = Box::new(replace_unwrap(&m.receiver, target, v));
            Expr::MethodCall(m)
        }
        other => other.clone(),
    }
}

fn p_eq(a: &syn::ExprMethodCall, b: &syn::ExprMethodCall) -> bool {
    a.method.span().byte_range() == b.method.span().byte_range()
}

/// Lint 3: `x.take().unwrap().f(..);` becomes `if let Some(v) = x.take() { v.f(..); }`.
fn tolerate_second_take(cx: &Cx, f: &FnModel, block: BlockId, t: &Take) -> Option<Fix> {
    let take_at = t.span.start.byte as usize;
    with_block(cx.text, f, block, |p| {
        let si = p.stmt_containing(take_at)?;
        let stmt = &p.block.stmts[si];
        let (ss, se) = p.range(stmt);
        let (init, wild_let, named_let) = match stmt {
            Stmt::Expr(e, Some(_)) => (e, false, None),
            Stmt::Local(l) if l.init.as_ref().is_some_and(|i| i.diverge.is_none()) => {
                let init = &l.init.as_ref().expect("checked").expr;
                match &l.pat {
                    syn::Pat::Wild(_) => (&**init, true, None),
                    syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                        (&**init, false, Some(pi))
                    }
                    _ => return None,
                }
            }
            _ => return None,
        };
        let unwrap = find_unwrap(p, init, take_at)?;
        let take = &*unwrap.receiver;
        let indent = indent_at(p.text, ss);
        let unit = indent_unit(p.text, f.blocks[block].start as usize, indent);
        let layout = Layout {
            indent,
            unit: &unit,
            eol: eol_at(p.text, ss),
        };
        if let Some(pi) = named_let {
            // `let h = x.take().unwrap();` and later uses of `h`: a let-else
            // that returns early, if the function can return `()` there.
            if !same(init, &Expr::MethodCall(unwrap.clone())) {
                return None;
            }
            let name = &pi.ident;
            let m = &pi.mutability;
            let new = quote!(let Some(#m #name) = #take else { return; };);
            let text = render(new, p.src, &layout);
            return fix(
                false,
                "return early when the value was already taken",
                vec![edit(cx, ss, se, text)],
            );
        }
        let new = if same(init, &Expr::MethodCall(unwrap.clone())) {
            quote!(drop(#take);)
        } else {
            let base = match &*take_receiver(take) {
                Expr::Field(fl) => match &fl.member {
                    syn::Member::Named(id) if !id.to_string().starts_with("r#") => id.to_string(),
                    _ => "taken".into(),
                },
                _ => "taken".into(),
            };
            // `v` is visible only in the new block: only the arguments of
            // the calls after the unwrap could mean another `v`.
            let after = chain_after(init, &unwrap);
            let v = fresh(&base, &|n| {
                n == "self" || after.iter().any(|ts| mentions(ts.clone(), n))
            });
            let v = syn::Ident::new(&v, proc_macro2::Span::call_site());
            let body = replace_unwrap(init, &unwrap, &v);
            if wild_let {
                quote!(if let Some(#v) = #take { let _ = #body; })
            } else {
                quote!(if let Some(#v) = #take { #body; })
            }
        };
        let text = render(new, p.src, &layout);
        // Never lose a comment: every comment inside the old statement must
        // be in the new text, or the fix is only a suggestion.
        let old = &p.text[ss..se];
        let machine = comments(old).iter().all(|c| text.contains(c));
        fix(
            machine,
            "tolerate a second close: act only if the value is still there",
            vec![edit(cx, ss, se, text)],
        )
    })
}

/// What `.take()` is called on, through lock and borrow calls
/// (`self.h.lock().unwrap().take()` -> `self.h`).
fn take_receiver(take: &Expr) -> Box<Expr> {
    let mut e = match take {
        Expr::MethodCall(m) => &m.receiver,
        other => return Box::new(other.clone()),
    };
    loop {
        match &**e {
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "lock"
                        | "read"
                        | "write"
                        | "unwrap"
                        | "expect"
                        | "borrow_mut"
                        | "get_mut"
                        | "as_mut"
                ) =>
            {
                e = &m.receiver
            }
            Expr::Try(t) => e = &t.expr,
            Expr::Paren(p) => e = &p.expr,
            _ => return e.clone(),
        }
    }
}

/// The argument lists of the calls after the unwrap.
fn chain_after(e: &Expr, target: &syn::ExprMethodCall) -> Vec<TokenStream> {
    let mut out = Vec::new();
    let mut cur = e;
    while let Expr::MethodCall(m) = cur {
        if p_eq(m, target) {
            break;
        }
        out.push(m.args.to_token_stream());
        if let Some(t) = &m.turbofish {
            out.push(t.to_token_stream());
        }
        cur = &m.receiver;
    }
    out
}

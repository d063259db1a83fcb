//! Fix generation, called by the rules. Each function re-parses the source
//! slice of one block with syn, checks that the finding has the shape the fix
//! is proven for (then the fix is machine-applicable), builds the new code
//! with `quote` from the user's own nodes, and returns text edits that touch
//! only the bytes that change.

use super::print::{render, Layout};
use super::text::{
    blank, eol_at, fresh, indent_at, indent_unit, line_end_incl, line_start,
    rest_is_blank_or_comment, words,
};
use crate::diag::{Applicability, Edit, Fix};
use crate::model::{Binding, BlockId, ClosedCheck, FlagWrite, FnModel, GuardArm, Take};
use crate::rules::Cx;
use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Stmt};

/// One block of the file, parsed on its own.
struct Parsed<'t> {
    text: &'t str,
    off: usize,
    src: &'t str,
    block: syn::Block,
}

impl Parsed<'_> {
    /// File byte range of a node.
    fn range(&self, n: &impl Spanned) -> (usize, usize) {
        let r = n.span().byte_range();
        (self.off + r.start, self.off + r.end)
    }
    fn stmt_at(&self, start: usize) -> Option<usize> {
        self.block
            .stmts
            .iter()
            .position(|s| self.range(s).0 == start)
    }
    fn stmt_containing(&self, pos: usize) -> Option<usize> {
        self.block.stmts.iter().position(|s| {
            let (a, b) = self.range(s);
            a <= pos && pos < b
        })
    }
}

/// Parses the block `b` of `f` and runs `go` over it; the span map is
/// cleared afterwards (DESIGN.md: spans are only valid while their source is
/// the latest one on the thread).
fn with_block<R>(
    text: &str,
    f: &FnModel,
    b: BlockId,
    go: impl FnOnce(&Parsed) -> Option<R>,
) -> Option<R> {
    let blk = f.blocks.get(b)?;
    let (start, end) = (blk.start as usize, blk.end as usize);
    let src = text.get(start..end)?;
    let r = match syn::parse_str::<syn::Block>(src) {
        Ok(block) => go(&Parsed {
            text,
            off: start,
            src,
            block,
        }),
        Err(_) => None,
    };
    proc_macro2::extra::invalidate_current_thread_spans();
    r
}

fn edit(cx: &Cx, start: usize, end: usize, replacement: impl Into<String>) -> Edit {
    Edit {
        path: cx.path.to_path_buf(),
        start_byte: start as u32,
        end_byte: end as u32,
        replacement: replacement.into(),
    }
}

fn fix(machine: bool, description: impl Into<String>, edits: Vec<Edit>) -> Option<Fix> {
    Some(Fix {
        applicability: if machine {
            Applicability::MachineApplicable
        } else {
            Applicability::MaybeIncorrect
        },
        description: description.into(),
        edits,
    })
}

/// Does a token stream mention identifier `name` (anywhere, macros too)?
fn mentions(ts: TokenStream, name: &str) -> bool {
    ts.into_iter().any(|t| match t {
        TokenTree::Ident(i) => i == name,
        TokenTree::Group(g) => mentions(g.stream(), name),
        _ => false,
    })
}

/// Identifiers a statement introduces with `let` (a later guard would see
/// these instead of the outer ones it saw before the move).
fn let_names(s: &Stmt) -> Vec<String> {
    let Stmt::Local(l) = s else { return Vec::new() };
    let mut out = Vec::new();
    fn walk(ts: TokenStream, out: &mut Vec<String>) {
        for t in ts {
            match t {
                TokenTree::Ident(i) => out.push(i.to_string()),
                TokenTree::Group(g) => walk(g.stream(), out),
                _ => {}
            }
        }
    }
    walk(l.pat.to_token_stream(), &mut out);
    out
}

/// The range to cut when a statement leaves its place: whole lines (with the
/// comment lines right above it at the same indent) when it stands on lines
/// of its own, else just its text and the blanks after it.
fn cut_range(text: &str, start: usize, end: usize, with_comments: bool) -> (usize, usize, bool) {
    let ls = line_start(text, start);
    if blank(text, ls, start) && rest_is_blank_or_comment(text, end) {
        let mut from = ls;
        if with_comments {
            let indent = indent_at(text, start);
            while from > 0 {
                let prev = line_start(text, from - 1);
                let line = &text[prev..from];
                let t = line.trim();
                if t.starts_with("//") && !t.starts_with("///") && indent_at(text, prev) == indent {
                    from = prev;
                } else {
                    break;
                }
            }
        }
        (from, line_end_incl(text, end), true)
    } else {
        let mut e = end;
        while e < text.len() && matches!(text.as_bytes()[e], b' ' | b'\t') {
            e += 1;
        }
        (start, e, false)
    }
}

/// Lint 1: move the guard statement to just after the closed check.
pub fn move_guard_after_check(
    cx: &Cx,
    f: &FnModel,
    block: BlockId,
    g: &GuardArm,
    c: &ClosedCheck,
) -> Option<Fix> {
    with_block(cx.text, f, block, |p| {
        let gi = p.stmt_at(g.stmt.start.byte as usize)?;
        let ci = p.stmt_containing(c.stmt.start.byte as usize)?;
        if ci <= gi {
            return None;
        }
        let check = &p.block.stmts[ci];
        if let Binding::Named(name) = &g.binding {
            if p.block.stmts[gi + 1..=ci]
                .iter()
                .any(|s| mentions(s.to_token_stream(), name))
            {
                return None; // the guard is used before or by the check
            }
        }
        let (cs, ce) = p.range(check);
        let is_tail = ci + 1 == p.block.stmts.len() && matches!(check, Stmt::Expr(_, None));
        if is_tail {
            return None;
        }
        let guard_tokens = p.block.stmts[gi].to_token_stream();
        let shadowed = p.block.stmts[gi + 1..=ci]
            .iter()
            .flat_map(let_names)
            .any(|n| mentions(guard_tokens.clone(), &n));
        // Same block, the check is the statement itself, nothing rebinds what
        // the guard reads: moving it is exactly the documented fix.
        let machine = cs == c.stmt.start.byte as usize && !shadowed;
        let (gs, ge) = p.range(&p.block.stmts[gi]);
        let (cut_s, cut_e, whole_lines) = cut_range(p.text, gs, ge, true);
        let edits = if whole_lines && rest_is_blank_or_comment(p.text, ce) {
            let at = line_end_incl(p.text, ce);
            let mut moved = p.text[cut_s..cut_e].to_string();
            if !moved.ends_with('\n') {
                moved.push_str(eol_at(p.text, ce));
            }
            if at == p.text.len() && !p.text.ends_with('\n') {
                return None;
            }
            vec![edit(cx, cut_s, cut_e, ""), edit(cx, at, at, moved)]
        } else {
            let (s, e, _) = cut_range(p.text, gs, ge, false);
            let moved = format!(" {}", &p.text[gs..ge]);
            vec![edit(cx, s, e, ""), edit(cx, ce, ce, moved)]
        };
        fix(
            machine,
            "move the guard to just after the closed check, so the already-closed path does not arm it",
            edits,
        )
    })
}

/// The statement `stmt_range` is exactly the expression `span` plus `;`.
fn expr_stmt<'a>(p: &Parsed, s: &'a Stmt, start: usize, end: usize) -> Option<&'a Expr> {
    match s {
        Stmt::Expr(e, Some(_)) if p.range(e) == (start, end) => Some(e),
        _ => None,
    }
}

/// Finds the statement (anywhere inside `stmts`) that is the expression at
/// `start..end`; `direct` says whether it is one of `stmts` itself.
fn find_stmt<'a>(
    p: &Parsed,
    stmts: &'a [Stmt],
    start: usize,
    end: usize,
) -> Option<(&'a Stmt, bool)> {
    if let Some(s) = stmts.iter().find(|s| expr_stmt(p, s, start, end).is_some()) {
        return Some((s, true));
    }
    struct Finder<'p, 'a, 't> {
        p: &'p Parsed<'t>,
        want: (usize, usize),
        hit: Option<&'a Stmt>,
    }
    impl<'a> syn::visit::Visit<'a> for Finder<'_, 'a, '_> {
        fn visit_stmt(&mut self, s: &'a Stmt) {
            if self.hit.is_none() && expr_stmt(self.p, s, self.want.0, self.want.1).is_some() {
                self.hit = Some(s);
            }
            syn::visit::visit_stmt(self, s);
        }
    }
    let mut fnd = Finder {
        p,
        want: (start, end),
        hit: None,
    };
    for s in stmts {
        syn::visit::Visit::visit_stmt(&mut fnd, s);
    }
    fnd.hit.map(|s| (s, false))
}

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

fn same(a: &impl ToTokens, b: &impl ToTokens) -> bool {
    a.to_token_stream().to_string() == b.to_token_stream().to_string()
}

fn is_true(e: &Expr) -> bool {
    matches!(e, Expr::Lit(l) if matches!(&l.lit, syn::Lit::Bool(b) if b.value))
}

/// Lint 2: check and set in one step. Atomic `load` + later `store(true)`
/// becomes `swap(true, ..)` in the condition; the `Mutex<bool>` form gets
/// `std::mem::replace(&mut *guard, true)` as a suggestion.
pub fn claim_with_swap(
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
pub fn tolerate_second_take(cx: &Cx, f: &FnModel, block: BlockId, t: &Take) -> Option<Fix> {
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

use crate::lex::comments;

/// Lint 6: `let _ = guard` becomes `let _guard = guard` (a name the
/// function does not use yet).
pub fn name_the_guard(cx: &Cx, f: &FnModel, g: &GuardArm) -> Option<Fix> {
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

#[cfg(test)]
mod tests {
    use super::comments;

    #[test]
    fn finds_comments_not_strings() {
        assert_eq!(
            comments("a(\"//x\") // c\n/* d */"),
            vec!["// c", "/* d */"]
        );
    }
}

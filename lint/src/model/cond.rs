//! Close-state reads in conditions, and "does this branch leave the function".

use super::path::{expr_path, is_self, state_path};
use super::{CloseRead, CloseReadKind};
use crate::span::LineIndex;
use crate::vocab::Vocab;
use syn::visit::Visit;
use syn::{Expr, Pat};

pub struct Reads<'a, 'v> {
    pub vocab: &'v Vocab,
    pub li: &'a LineIndex<'a>,
    /// Local bindings known to hold a close-state read (`let closed = self.closed.load(..)`).
    pub aliases: &'a [(String, CloseRead)],
    /// Named lock guards in scope: (binding, lock path).
    pub guards: &'a [(String, String)],
    pub out: Vec<CloseRead>,
}

use crate::vocab::CLAIMS;

impl<'a, 'v> Reads<'a, 'v> {
    fn push(
        &mut self,
        kind: CloseReadKind,
        path: Option<String>,
        via_lock: bool,
        claim: bool,
        span: proc_macro2::Span,
    ) {
        self.out.push(CloseRead {
            kind,
            path,
            via_lock,
            claim,
            span: self.li.span(span),
        });
    }

    fn is_close_field(&self, path: &str) -> bool {
        self.vocab
            .close_state_fields
            .contains(super::path::last_field(path))
    }

    /// A pattern naming a Closed-like path (`State::Closed`, `CLOSED`).
    pub fn pat_is_closed(&self, p: &Pat) -> bool {
        let mut v = PatClosed {
            vocab: self.vocab,
            found: false,
        };
        v.visit_pat(p);
        v.found
    }

    fn variant_path(&self, e: &Expr) -> Option<String> {
        match e {
            Expr::Path(p) => {
                let last = p.path.segments.last()?.ident.to_string();
                // `CLOSED`, `State::Closed`: a const or variant, not a local.
                let looks_const = p.path.segments.len() > 1
                    || last.chars().next().is_some_and(|c| c.is_uppercase());
                (looks_const && self.vocab.is_close_variant(&last)).then_some(last)
            }
            Expr::Paren(p) => self.variant_path(&p.expr),
            Expr::Reference(r) => self.variant_path(&r.expr),
            _ => None,
        }
    }

    pub fn matches_macro(&mut self, m: &syn::Macro) {
        if m.path.segments.last().map(|s| s.ident == "matches") != Some(true) {
            return;
        }
        let parser = |input: syn::parse::ParseStream| -> syn::Result<(Expr, Pat)> {
            let e: Expr = input.parse()?;
            let _: syn::Token![,] = input.parse()?;
            let p = Pat::parse_multi_with_leading_vert(input)?;
            let _: proc_macro2::TokenStream = input.parse()?;
            Ok((e, p))
        };
        if let Ok((e, p)) = syn::parse::Parser::parse2(parser, m.tokens.clone()) {
            self.visit_expr(&e);
            if self.pat_is_closed(&p) {
                let path = state_path(&e);
                let (path, via_lock) = match path {
                    Some((p, l)) => (Some(p), l),
                    None => (None, false),
                };
                self.push(
                    CloseReadKind::Variant("matches!".into()),
                    path,
                    via_lock,
                    false,
                    m.path.segments.last().unwrap().ident.span(),
                );
            }
        }
    }
}

struct PatClosed<'v> {
    vocab: &'v Vocab,
    found: bool,
}

impl<'ast> Visit<'ast> for PatClosed<'_> {
    /// `SHUTDOWN | SHUTTING_DOWN => return`: a const in a pattern parses as
    /// an identifier pattern.
    fn visit_pat_ident(&mut self, i: &'ast syn::PatIdent) {
        let s = i.ident.to_string();
        let const_like = s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && !s.chars().any(|c| c.is_ascii_lowercase());
        if const_like && i.subpat.is_none() && self.vocab.is_close_variant(&s) {
            self.found = true;
        }
        syn::visit::visit_pat_ident(self, i);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        if let Some(last) = p.segments.last() {
            let s = last.ident.to_string();
            if (p.segments.len() > 1 || s.chars().next().is_some_and(|c| c.is_uppercase()))
                && self.vocab.is_close_variant(&s)
            {
                self.found = true;
            }
        }
    }
}

impl<'ast> Visit<'ast> for Reads<'_, '_> {
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_block(&mut self, _: &'ast syn::Block) {}

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let name = m.method.to_string();
        if m.args.is_empty() && self.vocab.close_state_methods.contains(&name) {
            let path = is_self(&m.receiver).then(|| format!("self.{name}()"));
            self.push(
                CloseReadKind::Method(name.clone()),
                path,
                false,
                false,
                m.method.span(),
            );
        } else if is_self(&m.receiver) && m.args.is_empty() {
            self.push(
                CloseReadKind::SelfMethod(name.clone()),
                None,
                false,
                false,
                m.method.span(),
            );
        }
        if CLAIMS.contains(&name.as_str()) {
            if let Some(p) = expr_path(&m.receiver) {
                if self.is_close_field(&p) {
                    self.push(CloseReadKind::Field, Some(p), false, true, m.method.span());
                    for a in &m.args {
                        self.visit_expr(a);
                    }
                    return;
                }
            }
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_field(&mut self, f: &'ast syn::ExprField) {
        if let Some(p) = expr_path(&Expr::Field(f.clone())) {
            if self.is_close_field(&p) {
                self.push(
                    CloseReadKind::Field,
                    Some(p),
                    false,
                    false,
                    syn::spanned::Spanned::span(&f.member),
                );
                return;
            }
        }
        syn::visit::visit_expr_field(self, f);
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        if let Some(id) = p.path.get_ident() {
            let id = id.to_string();
            if let Some((_, r)) = self.aliases.iter().rev().find(|(n, _)| *n == id) {
                let mut r = r.clone();
                r.span = self.li.span(p.path.segments[0].ident.span());
                self.out.push(r);
            } else if let Some((_, lock)) = self.guards.iter().rev().find(|(n, _)| *n == id) {
                if self.is_close_field(lock) {
                    let lock = lock.clone();
                    self.push(
                        CloseReadKind::Field,
                        Some(lock),
                        true,
                        false,
                        p.path.segments[0].ident.span(),
                    );
                }
            }
        }
    }

    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        use syn::BinOp::*;
        if matches!(b.op, Eq(_) | Ne(_)) {
            for (v, other) in [(&b.right, &b.left), (&b.left, &b.right)] {
                if let Some(var) = self.variant_path(v) {
                    let (path, via_lock) = match state_path(other) {
                        Some((p, l)) => (Some(p), l),
                        None => (None, false),
                    };
                    let span = syn::spanned::Spanned::span(&**v);
                    self.push(CloseReadKind::Variant(var), path, via_lock, false, span);
                    self.visit_expr(other);
                    return;
                }
            }
        }
        syn::visit::visit_expr_binary(self, b);
    }

    fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
        if self.pat_is_closed(&l.pat) {
            let (path, via_lock) = match state_path(&l.expr) {
                Some((p, lk)) => (Some(p), lk),
                None => (None, false),
            };
            let span = syn::spanned::Spanned::span(&*l.pat);
            self.push(
                CloseReadKind::Variant("pattern".into()),
                path,
                via_lock,
                false,
                span,
            );
        }
        self.visit_expr(&l.expr);
    }

    fn visit_expr_macro(&mut self, m: &'ast syn::ExprMacro) {
        self.matches_macro(&m.mac);
    }
}

/// For a condition: does `true` mean "closed"? (`!x.is_closed()` -> false.)
pub fn closed_when_true(e: &Expr) -> bool {
    match e {
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => !closed_when_true(&u.expr),
        Expr::Paren(p) => closed_when_true(&p.expr),
        Expr::Binary(b) => match b.op {
            syn::BinOp::Ne(_) => false,
            syn::BinOp::And(_) | syn::BinOp::Or(_) => closed_when_true(&b.left),
            _ => true,
        },
        Expr::MethodCall(m) => match m.method.to_string().as_str() {
            "is_ok" => false,
            "is_err" => true,
            "not" => !closed_when_true(&m.receiver),
            _ => true,
        },
        _ => true,
    }
}

/// Does this code leave the function: `return`, `Err(..)?`, `bail!`, or a
/// `break` that is not inside a loop nested in it?
pub fn leaves_block(b: &syn::Block) -> bool {
    let mut v = Leaves {
        found: false,
        loop_depth: 0,
        count_break: true,
        panics: false,
    };
    v.visit_block(b);
    v.found
}

/// Like `leaves_block`, but a `panic!`/`unreachable!`/`unimplemented!`/`todo!`
/// also ends the path (code after it only runs when it was not taken).
pub fn diverges_block(b: &syn::Block) -> bool {
    let mut v = Leaves {
        found: false,
        loop_depth: 0,
        count_break: true,
        panics: true,
    };
    v.visit_block(b);
    v.found
}

pub fn leaves_expr(e: &Expr) -> bool {
    let mut v = Leaves {
        found: false,
        loop_depth: 0,
        count_break: true,
        panics: false,
    };
    v.visit_expr(e);
    v.found
}

/// Like `leaves_expr`, but only `return`/`Err(..)?`/`bail!`, not `break`.
pub fn returns_expr(e: &Expr) -> bool {
    let mut v = Leaves {
        found: false,
        loop_depth: 0,
        panics: false,
        count_break: false,
    };
    v.visit_expr(e);
    v.found
}

pub fn returns_block(b: &syn::Block) -> bool {
    let mut v = Leaves {
        found: false,
        loop_depth: 0,
        panics: false,
        count_break: false,
    };
    v.visit_block(b);
    v.found
}

struct Leaves {
    found: bool,
    loop_depth: u32,
    /// Count panicking macros as leaving.
    panics: bool,
    /// Count a `break` out of the enclosing loop as leaving.
    count_break: bool,
}

impl<'ast> Visit<'ast> for Leaves {
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
    fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
        self.found = true;
    }
    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        if self.count_break && self.loop_depth == 0 && b.label.is_none() {
            self.found = true;
        }
    }
    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.loop_depth += 1;
        syn::visit::visit_expr_loop(self, l);
        self.loop_depth -= 1;
    }
    fn visit_expr_while(&mut self, l: &'ast syn::ExprWhile) {
        self.loop_depth += 1;
        syn::visit::visit_expr_while(self, l);
        self.loop_depth -= 1;
    }
    fn visit_expr_for_loop(&mut self, l: &'ast syn::ExprForLoop) {
        self.loop_depth += 1;
        syn::visit::visit_expr_for_loop(self, l);
        self.loop_depth -= 1;
    }
    fn visit_expr_try(&mut self, t: &'ast syn::ExprTry) {
        if let Expr::Call(c) = &*t.expr {
            if let Expr::Path(p) = &*c.func {
                if p.path.segments.last().is_some_and(|s| s.ident == "Err") {
                    self.found = true;
                }
            }
        }
        syn::visit::visit_expr_try(self, t);
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if let Some(s) = m.path.segments.last() {
            if matches!(
                s.ident.to_string().as_str(),
                "bail" | "return_err" | "throw"
            ) || (self.panics
                && matches!(
                    s.ident.to_string().as_str(),
                    "panic" | "unreachable" | "unimplemented" | "todo"
                ))
            {
                self.found = true;
            }
        }
    }
}

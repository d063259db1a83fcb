//! The source extent of a syntax node, read from its first and last tokens.
//!
//! `syn::spanned::Spanned::span` prints the whole node back into a token
//! stream to find those two tokens: every block and statement of a function
//! re-printed its whole subtree, which made modelling a file cost more than
//! parsing it. Here the first and last tokens are read from the node's
//! fields directly (constant work for most nodes; a walk down the left or
//! right edge for operators). Nodes that are rare or small (types, patterns,
//! items, verbatim tokens) fall back to `Spanned`.
//!
//! The result is exactly `Spanned::span`'s start and end; the tests below
//! compare the two on every node of the fixtures and this crate's sources.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{AttrStyle, Attribute, Expr, Stmt};

/// A node whose first and last tokens are known.
pub trait Extent {
    fn first(&self) -> Span;
    fn last(&self) -> Span;
}

fn outer(attrs: &[Attribute]) -> Option<Span> {
    attrs
        .iter()
        .find(|a| matches!(a.style, AttrStyle::Outer))
        .map(|a| a.pound_token.spans[0])
}

fn path_first(qself: Option<&syn::QSelf>, path: &syn::Path) -> Span {
    if let Some(q) = qself {
        return q.lt_token.spans[0];
    }
    match (&path.leading_colon, path.segments.first()) {
        (Some(c), _) => c.spans[0],
        (None, Some(s)) => s.ident.span(),
        (None, None) => path.span(),
    }
}

fn path_last(path: &syn::Path) -> Span {
    match path.segments.last() {
        Some(s) => match &s.arguments {
            syn::PathArguments::None => s.ident.span(),
            syn::PathArguments::AngleBracketed(a) => a.gt_token.spans[0],
            syn::PathArguments::Parenthesized(_) => path.span(),
        },
        None => path.span(),
    }
}

/// The first of the optional leading tokens present, else `or`.
fn first_present(spans: &[Option<Span>], or: Span) -> Span {
    spans.iter().flatten().next().copied().unwrap_or(or)
}

/// Where a fn signature starts: `const`, `async`, `unsafe`, `extern` or `fn`.
pub fn sig_first(sig: &syn::Signature) -> Span {
    first_present(
        &[
            sig.constness.map(|t| t.span),
            sig.asyncness.map(|t| t.span),
            sig.unsafety.map(|t| t.span),
            sig.abi.as_ref().map(|a| a.extern_token.span),
        ],
        sig.fn_token.span,
    )
}

fn label_first(l: Option<&syn::Label>) -> Option<Span> {
    l.map(|l| l.name.apostrophe)
}

/// Implements `Extent` for an expression struct: `first` is the first outer
/// attribute or the given expression, `last` the given expression.
macro_rules! extent {
    ($ty:ty, |$n:ident| $first:expr, $last:expr) => {
        impl Extent for $ty {
            fn first(&self) -> Span {
                let $n = self;
                outer(&$n.attrs).unwrap_or_else(|| $first)
            }
            fn last(&self) -> Span {
                let $n = self;
                $last
            }
        }
    };
}

extent!(
    syn::ExprArray,
    |n| n.bracket_token.span.open(),
    n.bracket_token.span.close()
);
extent!(syn::ExprAssign, |n| n.left.first(), n.right.last());
extent!(
    syn::ExprAsync,
    |n| n.async_token.span,
    n.block.brace_token.span.close()
);
extent!(syn::ExprAwait, |n| n.base.first(), n.await_token.span);
extent!(syn::ExprBinary, |n| n.left.first(), n.right.last());
extent!(
    syn::ExprBlock,
    |n| label_first(n.label.as_ref()).unwrap_or(n.block.brace_token.span.open()),
    n.block.brace_token.span.close()
);
extent!(
    syn::ExprBreak,
    |n| n.break_token.span,
    match (&n.expr, &n.label) {
        (Some(e), _) => e.last(),
        (None, Some(l)) => l.ident.span(),
        (None, None) => n.break_token.span,
    }
);
extent!(
    syn::ExprCall,
    |n| n.func.first(),
    n.paren_token.span.close()
);
extent!(syn::ExprCast, |n| n.expr.first(), n.ty.span());
extent!(
    syn::ExprClosure,
    |n| first_present(
        &[
            n.lifetimes.as_ref().map(|l| l.for_token.span),
            n.constness.map(|t| t.span),
            n.movability.map(|t| t.span),
            n.asyncness.map(|t| t.span),
            n.capture.map(|t| t.span),
        ],
        n.or1_token.spans[0]
    ),
    n.body.last()
);
extent!(
    syn::ExprConst,
    |n| n.const_token.span,
    n.block.brace_token.span.close()
);
extent!(
    syn::ExprContinue,
    |n| n.continue_token.span,
    n.label
        .as_ref()
        .map_or(n.continue_token.span, |l| l.ident.span())
);
extent!(
    syn::ExprField,
    |n| n.base.first(),
    match &n.member {
        syn::Member::Named(i) => i.span(),
        syn::Member::Unnamed(i) => i.span,
    }
);
extent!(
    syn::ExprForLoop,
    |n| label_first(n.label.as_ref()).unwrap_or(n.for_token.span),
    n.body.brace_token.span.close()
);
extent!(
    syn::ExprIf,
    |n| n.if_token.span,
    match &n.else_branch {
        Some((_, e)) => e.last(),
        None => n.then_branch.brace_token.span.close(),
    }
);
extent!(
    syn::ExprIndex,
    |n| n.expr.first(),
    n.bracket_token.span.close()
);
extent!(
    syn::ExprInfer,
    |n| n.underscore_token.spans[0],
    n.underscore_token.spans[0]
);
extent!(syn::ExprLet, |n| n.let_token.span, n.expr.last());
extent!(syn::ExprLit, |n| n.lit.span(), n.lit.span());
extent!(
    syn::ExprLoop,
    |n| label_first(n.label.as_ref()).unwrap_or(n.loop_token.span),
    n.body.brace_token.span.close()
);
extent!(
    syn::ExprMacro,
    |n| path_first(None, &n.mac.path),
    n.mac.delimiter.span().close()
);
extent!(
    syn::ExprMatch,
    |n| n.match_token.span,
    n.brace_token.span.close()
);
extent!(
    syn::ExprMethodCall,
    |n| n.receiver.first(),
    n.paren_token.span.close()
);
extent!(
    syn::ExprParen,
    |n| n.paren_token.span.open(),
    n.paren_token.span.close()
);
extent!(
    syn::ExprPath,
    |n| path_first(n.qself.as_ref(), &n.path),
    path_last(&n.path)
);
extent!(
    syn::ExprRange,
    |n| match &n.start {
        Some(s) => s.first(),
        None => range_limits(&n.limits).0,
    },
    match &n.end {
        Some(e) => e.last(),
        None => range_limits(&n.limits).1,
    }
);
extent!(syn::ExprRawAddr, |n| n.and_token.spans[0], n.expr.last());
extent!(syn::ExprReference, |n| n.and_token.spans[0], n.expr.last());
extent!(
    syn::ExprRepeat,
    |n| n.bracket_token.span.open(),
    n.bracket_token.span.close()
);
extent!(
    syn::ExprReturn,
    |n| n.return_token.span,
    n.expr.as_ref().map_or(n.return_token.span, |e| e.last())
);
extent!(
    syn::ExprStruct,
    |n| path_first(n.qself.as_ref(), &n.path),
    n.brace_token.span.close()
);
extent!(syn::ExprTry, |n| n.expr.first(), n.question_token.spans[0]);
extent!(
    syn::ExprTryBlock,
    |n| n.try_token.span,
    n.block.brace_token.span.close()
);
extent!(
    syn::ExprTuple,
    |n| n.paren_token.span.open(),
    n.paren_token.span.close()
);
extent!(
    syn::ExprUnary,
    |n| match &n.op {
        syn::UnOp::Deref(t) => t.spans[0],
        syn::UnOp::Not(t) => t.spans[0],
        syn::UnOp::Neg(t) => t.spans[0],
        op => op.span(),
    },
    n.expr.last()
);
extent!(
    syn::ExprUnsafe,
    |n| n.unsafe_token.span,
    n.block.brace_token.span.close()
);
extent!(
    syn::ExprWhile,
    |n| label_first(n.label.as_ref()).unwrap_or(n.while_token.span),
    n.body.brace_token.span.close()
);
extent!(
    syn::ExprYield,
    |n| n.yield_token.span,
    n.expr.as_ref().map_or(n.yield_token.span, |e| e.last())
);

fn range_limits(l: &syn::RangeLimits) -> (Span, Span) {
    match l {
        syn::RangeLimits::HalfOpen(t) => (t.spans[0], t.spans[1]),
        syn::RangeLimits::Closed(t) => (t.spans[0], t.spans[2]),
    }
}

/// Dispatches to the variant's impl; the rest go through `Spanned`.
macro_rules! dispatch {
    ($self:ident, $f:ident, $($v:ident),*) => {
        match $self {
            $(Expr::$v(x) => x.$f(),)*
            other => {
                let s = other.span();
                s
            }
        }
    };
}

impl Extent for Expr {
    fn first(&self) -> Span {
        dispatch!(
            self, first, Array, Assign, Async, Await, Binary, Block, Break, Call, Cast, Closure,
            Const, Continue, Field, ForLoop, If, Index, Infer, Let, Lit, Loop, Macro, Match,
            MethodCall, Paren, Path, Range, RawAddr, Reference, Repeat, Return, Struct, Try,
            TryBlock, Tuple, Unary, Unsafe, While, Yield
        )
    }
    fn last(&self) -> Span {
        dispatch!(
            self, last, Array, Assign, Async, Await, Binary, Block, Break, Call, Cast, Closure,
            Const, Continue, Field, ForLoop, If, Index, Infer, Let, Lit, Loop, Macro, Match,
            MethodCall, Paren, Path, Range, RawAddr, Reference, Repeat, Return, Struct, Try,
            TryBlock, Tuple, Unary, Unsafe, While, Yield
        )
    }
}

impl Extent for syn::Block {
    fn first(&self) -> Span {
        self.brace_token.span.open()
    }
    fn last(&self) -> Span {
        self.brace_token.span.close()
    }
}

impl Extent for syn::Local {
    fn first(&self) -> Span {
        outer(&self.attrs).unwrap_or(self.let_token.span)
    }
    fn last(&self) -> Span {
        self.semi_token.spans[0]
    }
}

impl Extent for Stmt {
    fn first(&self) -> Span {
        match self {
            Stmt::Local(l) => l.first(),
            // A stray `;` parses as an empty verbatim expression.
            Stmt::Expr(Expr::Verbatim(ts), Some(semi)) if ts.is_empty() => semi.spans[0],
            Stmt::Expr(e, _) => e.first(),
            Stmt::Macro(m) => outer(&m.attrs).unwrap_or_else(|| path_first(None, &m.mac.path)),
            Stmt::Item(i) => i.span(),
        }
    }
    fn last(&self) -> Span {
        match self {
            Stmt::Local(l) => l.last(),
            Stmt::Expr(_, Some(semi)) => semi.spans[0],
            Stmt::Expr(e, None) => e.last(),
            Stmt::Macro(m) => match &m.semi_token {
                Some(semi) => semi.spans[0],
                None => m.mac.delimiter.span().close(),
            },
            Stmt::Item(i) => i.span(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::visit::{self, Visit};

    struct Check<'a> {
        path: &'a str,
        checked: usize,
    }

    fn same(path: &str, what: &str, fast: (Span, Span), slow: Span) {
        let (a, b) = (fast.0.byte_range().start, fast.1.byte_range().end);
        let want = slow.byte_range();
        assert_eq!(
            (a, b),
            (want.start, want.end),
            "{path}: {what} at {:?}",
            slow.start()
        );
    }

    impl<'ast> Visit<'ast> for Check<'_> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            same(self.path, "expr", (e.first(), e.last()), e.span());
            self.checked += 1;
            visit::visit_expr(self, e);
        }
        fn visit_stmt(&mut self, s: &'ast Stmt) {
            same(self.path, "stmt", (s.first(), s.last()), s.span());
            self.checked += 1;
            visit::visit_stmt(self, s);
        }
        fn visit_block(&mut self, b: &'ast syn::Block) {
            same(self.path, "block", (b.first(), b.last()), b.span());
            visit::visit_block(self, b);
        }
    }

    /// Every expression, statement and block of the fixtures, the
    /// runtime-demo and this crate's sources: first/last agree with
    /// `Spanned` (the slow, printed form) byte for byte.
    #[test]
    fn agrees_with_spanned() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        let mut files = 0;
        for dir in ["fixtures", "runtime-demo", "lint/src", "lint/tests"] {
            for e in walkdir::WalkDir::new(root.join(dir)).into_iter().flatten() {
                let p = e.path();
                if p.extension().is_none_or(|x| x != "rs") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(p) else {
                    continue;
                };
                let Ok(file) = syn::parse_file(&text) else {
                    continue;
                };
                let path = p.display().to_string();
                let mut c = Check {
                    path: &path,
                    checked: 0,
                };
                c.visit_file(&file);
                checked += c.checked;
                files += 1;
                proc_macro2::extra::invalidate_current_thread_spans();
            }
        }
        assert!(files > 100, "only {files} files found");
        assert!(checked > 20_000, "only {checked} nodes checked");
    }

    /// Forms the crate's own sources may not contain.
    #[test]
    fn rare_forms() {
        let src = r#"
            fn f() {
                #[allow(x)] let a = 1;
                #[cfg(x)] g();
                #[allow(x)] { 1 };
                'l: loop { break 'l 3; }
                'm: while x { continue 'm; }
                'n: for i in 0..=3 { break 'n; }
                let r = ..;
                let r = ..=b;
                let r = a..;
                let c = static move || 1;
                let c = for<'a> |x: &'a u8| -> u8 { *x };
                let c = async move { 1 };
                let c = const { 1 };
                let t = x as u64;
                let t = <T as Tr>::f::<u8>;
                let t = ::std::mem::drop;
                let t = S { a, ..Default::default() };
                let t = [0u8; 4];
                let t = x.0;
                let t = &raw const x;
                let t = -x;
                let t = !x;
                let t = loop { yield 1 };
                let t = unsafe { g() };
                let t = _;
                m!{a};
                m![b]
            }
        "#;
        let file = syn::parse_file(src).expect("parses");
        let mut c = Check {
            path: "rare_forms",
            checked: 0,
        };
        c.visit_file(&file);
        assert!(c.checked > 60, "{}", c.checked);
        proc_macro2::extra::invalidate_current_thread_spans();
    }
}

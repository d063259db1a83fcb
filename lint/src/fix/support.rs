//! What the rules' fix generators share (each generator lives next to its
//! rule, in `rules/<lint>.rs`). A generator re-parses the source slice of
//! one block with syn, checks that the finding has the shape the fix is
//! proven for (then the fix is machine-applicable), builds the new code with
//! `quote` from the user's own nodes, and returns text edits that touch only
//! the bytes that change.

use super::text::{blank, indent_at, line_end_incl, line_start, rest_is_blank_or_comment};
use crate::diag::{Applicability, Edit, Fix};
use crate::model::{BlockId, FnModel};
use crate::rules::Cx;
use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Expr, Stmt};

/// One block of the file, parsed on its own.
pub(crate) struct Parsed<'t> {
    /// The whole file.
    pub text: &'t str,
    /// Where `src` starts in it.
    pub off: usize,
    /// The block's source.
    pub src: &'t str,
    pub block: syn::Block,
}

impl Parsed<'_> {
    /// File byte range of a node.
    pub fn range(&self, n: &impl Spanned) -> (usize, usize) {
        let r = n.span().byte_range();
        (self.off + r.start, self.off + r.end)
    }
    pub fn stmt_at(&self, start: usize) -> Option<usize> {
        self.block
            .stmts
            .iter()
            .position(|s| self.range(s).0 == start)
    }
    pub fn stmt_containing(&self, pos: usize) -> Option<usize> {
        self.block.stmts.iter().position(|s| {
            let (a, b) = self.range(s);
            a <= pos && pos < b
        })
    }
}

/// Parses the block `b` of `f` and runs `go` over it; the span map is
/// cleared afterwards (DESIGN.md: spans are only valid while their source is
/// the latest one on the thread).
pub(crate) fn with_block<R>(
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

pub(crate) fn edit(cx: &Cx, start: usize, end: usize, replacement: impl Into<String>) -> Edit {
    Edit {
        path: cx.path.to_path_buf(),
        start_byte: start as u32,
        end_byte: end as u32,
        replacement: replacement.into(),
    }
}

pub(crate) fn fix(machine: bool, description: impl Into<String>, edits: Vec<Edit>) -> Option<Fix> {
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
pub(crate) fn mentions(ts: TokenStream, name: &str) -> bool {
    ts.into_iter().any(|t| match t {
        TokenTree::Ident(i) => i == name,
        TokenTree::Group(g) => mentions(g.stream(), name),
        _ => false,
    })
}

/// Identifiers a statement introduces with `let` (a later guard would see
/// these instead of the outer ones it saw before the move).
pub(crate) fn let_names(s: &Stmt) -> Vec<String> {
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
pub(crate) fn cut_range(
    text: &str,
    start: usize,
    end: usize,
    with_comments: bool,
) -> (usize, usize, bool) {
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

/// The statement `stmt_range` is exactly the expression `span` plus `;`.
pub(crate) fn expr_stmt<'a>(p: &Parsed, s: &'a Stmt, start: usize, end: usize) -> Option<&'a Expr> {
    match s {
        Stmt::Expr(e, Some(_)) if p.range(e) == (start, end) => Some(e),
        _ => None,
    }
}

/// Finds the statement (anywhere inside `stmts`) that is the expression at
/// `start..end`; `direct` says whether it is one of `stmts` itself.
pub(crate) fn find_stmt<'a>(
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

pub(crate) fn same(a: &impl ToTokens, b: &impl ToTokens) -> bool {
    a.to_token_stream().to_string() == b.to_token_stream().to_string()
}

//! Item headers of one file: functions with a body (name, token range)
//! and impl and trait blocks (token range, self type, trait).

use super::scan::Src;
use super::{name_hash, Prefilter};
use crate::lex::T;

/// A function with a body.
pub(super) struct FnHead {
    /// The `fn` token.
    pub kw: usize,
    /// The body's `{` and `}` tokens.
    pub open: usize,
    pub close: usize,
    pub name: u64,
    /// Named `drop` or a close path.
    pub close_path: bool,
}

/// An impl (or trait) block: token range and self type / trait.
pub(super) struct Impl {
    /// The `impl`/`trait` token, and the block's braces.
    pub kw: usize,
    pub start: usize,
    pub end: usize,
    pub ty: Option<u64>,
    pub ty_name: Option<Vec<u8>>,
    pub tr_name: Option<Vec<u8>>,
    /// `impl Drop for T`.
    pub drop: bool,
}

#[derive(Default)]
pub(super) struct Items {
    /// In source order (by `kw`).
    pub fns: Vec<FnHead>,
    /// In source order (by `kw`).
    pub impls: Vec<Impl>,
}

impl Prefilter {
    pub(super) fn items(&self, s: &Src) -> Items {
        let toks = &s.toks;
        let n = toks.len();
        let mut out = Items::default();
        for k in 0..n {
            if toks[k].kind != T::Ident {
                continue;
            }
            let w = s.id(k);
            if w == b"fn" && k + 1 < n && toks[k + 1].kind == T::Ident {
                let name = s.id(k + 1);
                let close_path = self.close_path(name);
                // The body: the first `{` at paren/bracket depth 0 outside
                // angle brackets (a const generic argument `<{ N }>`), or
                // none (`;`). A `where` clause may end in `,` before it.
                let mut j = k + 2;
                let mut depth = 0i32;
                let mut angle = 0i32;
                let mut body = None;
                while j < n {
                    match toks[j].kind {
                        T::Punct(b'(') | T::Punct(b'[') => depth += 1,
                        T::Punct(b')') | T::Punct(b']') => depth -= 1,
                        T::Punct(b'<') if depth <= 0 => angle += 1,
                        T::Punct(b'>') if depth <= 0 => angle -= 1,
                        T::Punct(b';') if depth <= 0 => break,
                        T::Punct(b'{') if depth <= 0 => {
                            if angle <= 0 {
                                body = Some(j);
                                break;
                            }
                            j = s.close_of(j);
                        }
                        T::Punct(b'}') if depth <= 0 => break,
                        _ => {}
                    }
                    j += 1;
                }
                if let Some(open) = body {
                    let close = s.close_of(open);
                    out.fns.push(FnHead {
                        kw: k,
                        open,
                        close,
                        name: name_hash(name),
                        close_path,
                    });
                }
            }
            if w == b"impl" || w == b"trait" {
                // Header up to `{` at depth 0: trait before `for`, type after.
                let mut j = k + 1;
                let mut angle = 0i32;
                let mut last: Option<&[u8]> = None;
                let mut trait_last: Option<&[u8]> = None;
                // Where the self type starts (after generics, after `for`).
                let mut ty_start = if s.is_p(j, b'<') { None } else { Some(j) };
                while j < n {
                    match toks[j].kind {
                        T::Punct(b'<') => angle += 1,
                        T::Punct(b'>') => {
                            angle -= 1;
                            if angle == 0 && ty_start.is_none() {
                                ty_start = Some(j + 1);
                            }
                        }
                        T::Punct(b'{') if angle <= 0 => break,
                        T::Punct(b';') if angle <= 0 => break,
                        T::Ident if angle <= 0 => {
                            let x = s.id(j);
                            if x == b"for" {
                                trait_last = last;
                                last = None;
                                ty_start = Some(j + 1);
                            } else if x == b"where" {
                                // Skip the where clause to the block.
                                while j < n && !s.is_p(j, b'{') && !s.is_p(j, b';') {
                                    j += 1;
                                }
                                break;
                            } else if x != b"dyn" && x != b"unsafe" && x != b"mut" && x != b"const"
                            {
                                last = Some(x);
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if s.is_p(j, b'{') {
                    let end = s.close_of(j);
                    // The model names only path types (through `&`, parens);
                    // methods of other impls are free functions to it.
                    let mut t0 = ty_start.unwrap_or(j);
                    while t0 < j
                        && (s.is_p(t0, b'&')
                            || s.is_p(t0, b'(')
                            || toks[t0].kind == T::Lifetime
                            || s.is_id(t0, b"mut"))
                    {
                        t0 += 1;
                    }
                    let path_ty = w == b"trait"
                        || (t0 < j
                            && toks[t0].kind == T::Ident
                            && !matches!(
                                s.id(t0),
                                b"dyn" | b"fn" | b"unsafe" | b"extern" | b"impl"
                            ));
                    let last = if path_ty { last } else { None };
                    let ty = last.map(name_hash);
                    out.impls.push(Impl {
                        kw: k,
                        start: j,
                        end,
                        ty,
                        ty_name: last.map(|x| x.to_vec()),
                        tr_name: trait_last.map(|x| x.to_vec()),
                        drop: w == b"impl" && trait_last == Some(b"Drop".as_slice()),
                    });
                }
            }
        }
        out
    }
}

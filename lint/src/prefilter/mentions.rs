//! Call-like mentions of names in one file: the keys (`f`, `T::m`, `*::m`,
//! type names) by which a token may reach a function or a `Drop` impl of
//! the package, with the token position (in token order).

use super::items::Impl;
use super::scan::Src;
use super::{method_key, name_hash};
use crate::lex::T;

/// (token position, key) for every mention, in token order, into
/// `mention` (cleared first); and into `dot_calls`, (token position, name)
/// of every method call `.m` (any receiver) whose name is one of
/// `close_names` (sorted): the file's own close paths.
#[inline(never)]
pub(super) fn mentions(
    s: &Src,
    impls: &[Impl],
    renames: &[usize],
    close_names: &[u64],
    mention: &mut Vec<(usize, u64)>,
    dot_calls: &mut Vec<(usize, u64)>,
) {
    let toks = s.toks;
    let n = toks.len();
    mention.clear();
    dot_calls.clear();
    let mut stack: Vec<usize> = Vec::new();
    let mut next_impl = 0;
    for k in 0..n {
        if toks[k].kind != T::Ident {
            continue;
        }
        // The impls around `k` (catching up from the previous identifier).
        while stack.last().is_some_and(|&i| impls[i].end < k) {
            stack.pop();
        }
        while next_impl < impls.len() && impls[next_impl].start <= k {
            if impls[next_impl].end >= k {
                stack.push(next_impl);
            }
            next_impl += 1;
        }
        let w = s.id(k);
        let inner = stack.last().map(|&i| &impls[i]);
        let after_dot = k > 0 && s.is_p(k - 1, b'.');
        if after_dot {
            if !close_names.is_empty() {
                let h = name_hash(w);
                if close_names.binary_search(&h).is_ok() {
                    dot_calls.push((k, h));
                }
            }
            if k >= 2 && s.is_id(k - 2, b"self") {
                match inner {
                    Some(im) => {
                        for t in [&im.ty_name, &im.tr_name].into_iter().flatten() {
                            mention.push((k, method_key(t, w)));
                        }
                    }
                    None => mention.push((k, method_key(b"*", w))),
                }
            }
            continue;
        }
        if k >= 2 && toks[k - 1].kind == T::PathSep {
            let prev = toks[k - 2];
            if prev.kind == T::Ident {
                let x = s.id(k - 2);
                if x == b"Self" {
                    match inner.and_then(|im| im.ty_name.as_ref()) {
                        Some(t) => mention.push((k, method_key(t, w))),
                        None => mention.push((k, method_key(b"*", w))),
                    }
                } else if x.first().is_some_and(|c| c.is_ascii_uppercase()) {
                    mention.push((k, method_key(x, w)));
                } else {
                    // `m::f` (not `std::..::f`): a free fn; `m::T::f` is
                    // caught by the uppercase arm.
                    let mut first = k - 2;
                    while first >= 2
                        && toks[first - 1].kind == T::PathSep
                        && toks[first - 2].kind == T::Ident
                    {
                        first -= 2;
                    }
                    let std = matches!(s.id(first), b"std" | b"core" | b"alloc");
                    let upper = w.first().is_some_and(|c| c.is_ascii_uppercase());
                    let next = toks.get(k + 1).map(|t| t.kind);
                    if !std
                        && !upper
                        && matches!(next, Some(T::Punct(b'(') | T::Punct(b')') | T::Punct(b',')))
                    {
                        mention.push((k, name_hash(w)));
                    }
                    if upper && matches!(next, Some(T::Punct(b'{') | T::Punct(b'(') | T::PathSep)) {
                        mention.push((k, name_hash(w)));
                    }
                }
            } else {
                // `<T as Tr>::m`: any method, or a free fn.
                mention.push((k, method_key(b"*", w)));
                mention.push((k, name_hash(w)));
            }
            continue;
        }
        if w == b"Self" {
            if let Some(t) = inner.and_then(|im| im.ty) {
                mention.push((k, t));
            }
            continue;
        }
        // A free fn (called or passed as a path), or a type built
        // (`T {..}`, `T(..)`, `T::f`). Not a declared name, a macro or a
        // module prefix. The next token rules out most identifiers: tested
        // before the keyword before them.
        let upper = w.first().is_some_and(|c| c.is_ascii_uppercase());
        let next = toks.get(k + 1).map(|t| t.kind);
        let callish = if upper {
            matches!(next, Some(T::Punct(b'{') | T::Punct(b'(') | T::PathSep))
        } else {
            // Called, or passed as a fn path (`guard(v, f)`); a receiver
            // (`x.m()`), a module prefix or a macro is not a call target.
            matches!(next, Some(T::Punct(b'(') | T::Punct(b')') | T::Punct(b',')))
        };
        if !callish {
            continue;
        }
        if k >= 1
            && toks[k - 1].kind == T::Ident
            && matches!(
                s.id(k - 1),
                b"fn"
                    | b"struct"
                    | b"enum"
                    | b"union"
                    | b"trait"
                    | b"type"
                    | b"mod"
                    | b"let"
                    | b"const"
                    | b"static"
                    | b"mut"
                    | b"ref"
                    | b"macro_rules"
            )
        {
            continue;
        }
        mention.push((k, name_hash(w)));
    }
    // `use a::B as C;`: a mention of `C` is one of `B` too (`C(..)`,
    // `C::m`, `C {..}`). A rename in a use tree: `B` after `use`, `::`, `{`
    // or `,`, and `C` before `;`, `,` or `}` (casts mostly fail it).
    let mut aliases: Vec<(&[u8], &[u8])> = renames
        .iter()
        .filter(|&&k| {
            k >= 2
                && (toks[k - 2].kind == T::PathSep
                    || s.is_p(k - 2, b'{')
                    || s.is_p(k - 2, b',')
                    || s.is_id(k - 2, b"use"))
                && (s.is_p(k + 2, b';') || s.is_p(k + 2, b',') || s.is_p(k + 2, b'}'))
        })
        .map(|&k| (s.id(k + 1), s.id(k - 1)))
        .collect();
    if aliases.is_empty() {
        return;
    }
    aliases.sort_unstable();
    // Bit `len.min(63)`: some alias has that length (most names fail it).
    let lens = aliases.iter().fold(0u64, |m, a| m | 1 << a.0.len().min(63));
    let of = |w: &[u8]| {
        if lens & 1 << w.len().min(63) == 0 {
            return &aliases[..0];
        }
        let i = aliases.partition_point(|a| a.0 < w);
        let j = aliases.partition_point(|a| a.0 <= w);
        &aliases[i..j]
    };
    let before = mention.len();
    for x in 0..before {
        let (k, key) = mention[x];
        let w = s.id(k);
        let direct = of(w);
        if !direct.is_empty() && key == name_hash(w) {
            for o in direct {
                mention.push((k, name_hash(o.1)));
            }
        }
        if k >= 2 && toks[k - 1].kind == T::PathSep && toks[k - 2].kind == T::Ident {
            let x = s.id(k - 2);
            let owner = of(x);
            if !owner.is_empty() && key == method_key(x, w) {
                for o in owner {
                    mention.push((k, method_key(o.1, w)));
                }
            }
        }
    }
    if mention.len() > before {
        mention.sort_by_key(|m| m.0);
    }
}

//! The one walk over a parsed file that produces its `FileModel`.

use super::cond::{
    closed_when_true, diverges_block, leaves_block, leaves_expr, returns_block, returns_expr, Reads,
};
use super::extent::{sig_first, Extent};
use super::path::{
    arg_ident, as_lock_call, expr_path, is_lock_method, is_self, last_field, segments, state_path,
    strip_unwrap, take_path,
};
use super::*;
use crate::span::LineIndex;
use crate::vocab::{Vocab, DEFER_MACROS, SCOPEGUARD_CONSTRUCTORS, SLEEP, SLEEP_MODULE, TEST_ATTRS};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Expr, ImplItem, Item, Pat, Stmt, TraitItem};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    Parse {
        line: usize,
        column: usize,
        message: String,
    },
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Parse {
                line,
                column,
                message,
            } => {
                write!(f, "parse error at {line}:{column}: {message}")
            }
        }
    }
}

/// Parses `text` (a whole file as stored) and models every function in it.
pub fn build_file_model(text: &str, vocab: &Vocab) -> Result<FileModel, BuildError> {
    build_file_model_blanked(text, vocab, &[], &[], None, &|| Vec::new())
}

/// At most this many function bodies with a syntax error are left out of
/// a file's model before the whole file counts as not parsed.
const MAX_BROKEN_BODIES: usize = 16;

/// `build_file_model`, with the byte ranges `blank` (insides of function
/// bodies) replaced by spaces before parsing: the prefilter's plan leaves
/// out the bodies no lint needs (offsets, and so every span, stay put).
///
/// A syntax error inside a function body (`bodies` gives every body's byte
/// range, braces included, asked only on an error) blanks that body and
/// the file is parsed again, so a file with a broken function still has a
/// model of the rest; the errors are in `FileModel::broken`. Both ways of
/// parsing a file (whole, or with bodies blanked) so end with the same
/// model of every body they keep.
///
/// `plain_docs`: doc comments to parse as plain comments (`lex::doc_marker`
/// offsets; `engine::survey` finds those that do not mention a panic): syn
/// turns a doc comment into an attribute holding a string literal, and
/// only `FnModel::doc_panics` reads them. `balanced`: whether every
/// bracket closes the one it should, if known (`lex::balanced`).
pub fn build_file_model_blanked(
    text: &str,
    vocab: &Vocab,
    blank: &[(u32, u32)],
    plain_docs: &[u32],
    balanced: Option<bool>,
    bodies: &dyn Fn() -> Vec<(u32, u32)>,
) -> Result<FileModel, BuildError> {
    let (base, src) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (3u32, rest),
        None => (0u32, text),
    };
    // Blank a shebang line rather than cutting it, so byte offsets stay put.
    let shebang = src.starts_with("#!") && !src[2..].trim_start().starts_with('[');
    // Bodies are delimited by the shared lexer's brackets: only in a file
    // where every bracket closes the one it should.
    let mut balanced: Option<bool> = balanced;
    let mut is_balanced = || *balanced.get_or_insert_with(|| crate::lex::balanced(text.as_bytes()));
    let blank = if blank.is_empty() || is_balanced() {
        blank
    } else {
        &[]
    };
    let mut owned: Option<Vec<u8>> = None;
    if shebang || !blank.is_empty() || !plain_docs.is_empty() {
        let mut b = src.as_bytes().to_vec();
        if shebang {
            let end = src.find('\n').unwrap_or(src.len());
            b[..end].fill(b' ');
        }
        blank_bytes(&mut b, blank, base);
        plain_doc_marks(&mut b, plain_docs, base);
        owned = Some(b);
    }
    let mut broken: Vec<BuildError> = Vec::new();
    let mut all_bodies: Option<Vec<(u32, u32)>> = None;
    let mut fixed: Vec<(u32, u32)> = Vec::new();
    let result = loop {
        let parsed = {
            let src = match &owned {
                // Only whole ASCII-delimited ranges are replaced by spaces.
                Some(b) => std::str::from_utf8(b).unwrap_or(src),
                None => src,
            };
            syn::parse_file(src)
        };
        match parsed {
            Ok(file) => {
                let li = LineIndex::new(text, base);
                let mut fm = FileModel {
                    allow_comments: scan_allow_comments(text),
                    broken: broken.iter().map(|e| e.to_string()).collect(),
                    ..Default::default()
                };
                let mut uses = Vec::new();
                collect_uses(&file.items, &mut uses);
                let mut impl_methods = Vec::new();
                collect_impl_methods(&file.items, &mut impl_methods);
                fm.left_out = blank.iter().chain(&fixed).copied().collect();
                fm.plain_docs = plain_docs.to_vec();
                let mut cx = ItemCx {
                    types: &mut fm.locks,
                    vocab,
                    li: &li,
                    uses: &uses,
                    impl_methods: &impl_methods,
                    out: &mut fm.fns,
                    structs: &mut fm.structs,
                    mods: Vec::new(),
                    in_test: false,
                    scope: None,
                };
                let allows = attr_allows(&file.attrs);
                cx.items(&file.items, None, None, &allows);
                collect_mod_decls(&file.items, &mut Vec::new(), &mut fm.mod_decls);
                drop(file);
                fm.uses = uses;
                fm.impl_methods = impl_methods;
                break Ok(fm);
            }
            Err(e) => {
                let lc = e.span().start();
                let at = e.span().byte_range().start as u32 + base;
                let err = BuildError::Parse {
                    line: lc.line,
                    column: lc.column + 1,
                    message: e.to_string(),
                };
                // The innermost body holding the error, once.
                let all = all_bodies.get_or_insert_with(|| {
                    if is_balanced() {
                        bodies()
                    } else {
                        Vec::new()
                    }
                });
                let inner = all
                    .iter()
                    .filter(|&&(a, b)| a < at && at < b && b > a + 2)
                    .min_by_key(|&&(a, b)| b - a)
                    .map(|&(a, b)| (a + 1, b - 1));
                match inner {
                    Some(r) if broken.len() < MAX_BROKEN_BODIES && !fixed.contains(&r) => {
                        fixed.push(r);
                        let b = owned.get_or_insert_with(|| src.as_bytes().to_vec());
                        blank_bytes(b, &[r], base);
                        broken.push(err);
                    }
                    _ => break Err(err),
                }
            }
        }
    };
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}

/// Adds to `model` the left-out bodies `ranges` (each one of
/// `model.left_out`), parsing only the functions that own them: the text
/// with everything else blanked (offsets, lines and columns kept), each
/// function from its signature to its body's end as a free `fn`, built
/// with what the model recorded of its place (impl type, trait, modules,
/// test code, attributes' allows) and of the file (imports, impl methods).
/// The functions replace their left-out versions, any nested in them
/// follow, as a parse of the whole file with those bodies would give;
/// structs, statics, consts and aliases declared in them join the file's
/// at their place in source order. `false` (and `model` unchanged) when
/// that cannot be shown this way (a function the model does not know, as
/// one inside a macro, a non-ASCII byte before a signature on its line, a
/// syntax error): then parse the file again.
pub fn add_bodies(text: &str, vocab: &Vocab, model: &mut FileModel, ranges: &[(u32, u32)]) -> bool {
    let base = if text.starts_with('\u{feff}') {
        3u32
    } else {
        0
    };
    let src = &text.as_bytes()[base as usize..];
    // (function index, its range from the signature to the body's end).
    let mut owners: Vec<(usize, u32, u32)> = Vec::new();
    for r in ranges {
        if !model.left_out.contains(r) {
            return false;
        }
        let Some(i) = model.fns.iter().position(|f| f.span.end.byte == r.1 + 1) else {
            return false;
        };
        let f = &model.fns[i];
        let (a, z) = (f.span.start.byte, f.span.end.byte);
        let line_start = text.as_bytes()[..a as usize]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |p| p + 1);
        let inside = |&(x, y): &(u32, u32)| a <= x && y <= z && (x, y) != *r;
        if a < base
            || !text.as_bytes()[line_start..a as usize].is_ascii()
            || model.left_out.iter().any(inside)
        {
            return false;
        }
        owners.push((i, a, z));
    }
    owners.sort_by_key(|o| o.1);
    // Everything between the functions blanked (a doc marker outside them
    // is a space already).
    let mut gaps: Vec<(u32, u32)> = Vec::with_capacity(owners.len() + 1);
    let mut from = base;
    for &(_, a, z) in &owners {
        gaps.push((from, a));
        from = z;
    }
    gaps.push((from, text.len() as u32));
    let mut b = src.to_vec();
    blank_bytes(&mut b, &gaps, base);
    plain_doc_marks(&mut b, &model.plain_docs, base);
    let built = (|| {
        let text_b = std::str::from_utf8(&b).ok()?;
        let file = syn::parse_file(text_b).ok()?;
        if file.items.len() != owners.len() {
            return None;
        }
        let li = LineIndex::new(text, base);
        let (mut types, mut structs) = (Default::default(), Vec::new());
        let mut built: Vec<(usize, Vec<FnModel>)> = Vec::new();
        for (item, &(i, _, _)) in file.items.iter().zip(&owners) {
            let Item::Fn(f) = item else { return None };
            let old = &model.fns[i];
            let mut out = Vec::new();
            let mut cx = ItemCx {
                types: &mut types,
                vocab,
                li: &li,
                uses: &model.uses,
                impl_methods: &model.impl_methods,
                out: &mut out,
                structs: &mut structs,
                mods: old.mods.clone(),
                in_test: old.is_test,
                scope: old.scope,
            };
            cx.func(
                &f.sig,
                &f.block,
                old.self_ty.as_deref(),
                old.trait_name.as_deref(),
                &old.allows,
            );
            let new = &mut out[0];
            new.self_ty_path = old.self_ty_path.clone();
            new.is_pub = old.is_pub;
            new.doc_panics = old.doc_panics;
            if new.span != old.span || new.name != old.name {
                return None;
            }
            built.push((i, out));
        }
        Some((built, types, structs))
    })();
    proc_macro2::extra::invalidate_current_thread_spans();
    let Some((mut built, types, structs)) = built else {
        return false;
    };
    // Items declared inside the added bodies join the file's at their
    // place in source order, the order a parse notes them in (refused if
    // either list is out of that order).
    if !merge_noted(&mut model.structs, &mut model.locks, structs, types) {
        return false;
    }
    built.sort_by_key(|(i, _)| std::cmp::Reverse(*i));
    for (i, fns) in built {
        model.fns.splice(i..=i, fns);
    }
    model.left_out.retain(|r| !ranges.contains(r));
    true
}

/// Writes a space at each doc comment's marker (`Survey::plain_docs`,
/// offsets into the text, `base` bytes before `b` starts): syn reads them
/// as plain comments.
fn plain_doc_marks(b: &mut [u8], marks: &[u32], base: u32) {
    for &m in marks {
        if let Some(x) = m.checked_sub(base).and_then(|m| b.get_mut(m as usize)) {
            *x = b' ';
        }
    }
}

/// Whether items noted at `new` (byte offsets) can join those noted at
/// `old` in source order: both lists in order, no place shared.
fn mergeable(old: &[u32], new: &[u32]) -> bool {
    let sorted = |v: &[u32]| v.windows(2).all(|w| w[0] <= w[1]);
    new.is_empty()
        || (sorted(old) && sorted(new) && new.iter().all(|n| old.binary_search(n).is_err()))
}

/// Merges `new` (noted at `new_at`) into `vals` (noted at `at`), in order
/// of place (`mergeable` holds).
fn merge_at<V>(vals: &mut Vec<V>, at: &mut Vec<u32>, new: Vec<V>, new_at: Vec<u32>) {
    if new.is_empty() {
        return;
    }
    let mut v = Vec::with_capacity(vals.len() + new.len());
    let mut p = Vec::with_capacity(v.capacity());
    let mut old = std::mem::take(vals)
        .into_iter()
        .zip(std::mem::take(at))
        .peekable();
    for (n, na) in new.into_iter().zip(new_at) {
        while let Some((o, oa)) = old.next_if(|(_, oa)| *oa < na) {
            v.push(o);
            p.push(oa);
        }
        v.push(n);
        p.push(na);
    }
    for (o, oa) in old {
        v.push(o);
        p.push(oa);
    }
    (*vals, *at) = (v, p);
}

/// Adds the structs and `TypeLocks` entries noted in added bodies to the
/// file's, in source order (the order a parse notes them in); `false`
/// (model unchanged) if that order cannot be shown.
fn merge_noted(
    structs: &mut Vec<StructDef>,
    locks: &mut super::locks::TypeLocks,
    new_structs: Vec<StructDef>,
    new: super::locks::TypeLocks,
) -> bool {
    let s_at: Vec<u32> = structs.iter().map(|s| s.at).collect();
    let n_at: Vec<u32> = new_structs.iter().map(|s| s.at).collect();
    if !mergeable(&s_at, &n_at) || !(0..3).all(|k| mergeable(&locks.at[k], &new.at[k])) {
        return false;
    }
    let mut s_at = s_at;
    merge_at(structs, &mut s_at, new_structs, n_at);
    let [nf, ns, na] = new.at;
    let [af, ast, aa] = &mut locks.at;
    merge_at(&mut locks.fields, af, new.fields, nf);
    merge_at(&mut locks.statics, ast, new.statics, ns);
    merge_at(&mut locks.aliases, aa, new.aliases, na);
    true
}

/// Replaces the bytes of `ranges` (offsets into the text, `base` bytes
/// before `b` starts) with spaces, keeping newlines (line numbers of a
/// later error stay right).
fn blank_bytes(b: &mut [u8], ranges: &[(u32, u32)], base: u32) {
    for &(a, z) in ranges {
        let a = (a.saturating_sub(base) as usize).min(b.len());
        let z = (z.saturating_sub(base) as usize).min(b.len());
        for x in &mut b[a..z.max(a)] {
            if *x != b'\n' {
                *x = b' ';
            }
        }
    }
}

/// `// synclint:allow(a, b) reason` comments, by line (comments as the shared
/// lexer sees them: not text inside a string literal).
fn scan_allow_comments(text: &str) -> Vec<(u32, Vec<String>)> {
    const NEEDLE: &str = "synclint:allow(";
    let mut out = Vec::new();
    if !text.contains(NEEDLE) {
        return out;
    }
    let (mut line, mut counted) = (1u32, 0usize);
    crate::lex::for_each_token(text.as_bytes(), |t| {
        if t.kind != crate::lex::T::LineComment {
            return;
        }
        let comment = &text[t.range()];
        let Some(at) = comment.find(NEEDLE) else {
            return;
        };
        line += text[counted..t.start as usize].matches('\n').count() as u32;
        counted = t.start as usize;
        let rest = &comment[at + NEEDLE.len()..];
        if let Some(close) = rest.find(')') {
            let names = rest[..close]
                .split(',')
                .map(|s| s.trim().trim_start_matches("synclint::").to_string())
                .filter(|s| !s.is_empty())
                .collect();
            out.push((line, names));
        }
    });
    out
}

/// Lints named in `#[cfg_attr(synclint, allow(synclint::a, synclint::b))]`.
fn attr_allows(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut out = Vec::new();
    for a in attrs {
        if !a.path().is_ident("cfg_attr") {
            continue;
        }
        let s = a.meta.to_token_stream().to_string();
        let mut rest = s.as_str();
        while let Some(at) = rest.find("synclint ::") {
            rest = rest[at + "synclint ::".len()..].trim_start();
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

/// The `#[path = ".."]` of an item, if any.
fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

/// The file's out-of-line `mod m;` declarations that a `#[path]` places
/// (see `ModDecl`); a plain `mod m;` outside any `#[path]` module is where
/// the file path says, and needs no record.
fn collect_mod_decls(
    items: &[Item],
    inline: &mut Vec<(String, Option<String>)>,
    out: &mut Vec<crate::model::ModDecl>,
) {
    for it in items {
        let Item::Mod(m) = it else { continue };
        let path = path_attr(&m.attrs);
        match &m.content {
            Some((_, items)) => {
                inline.push((m.ident.to_string(), path));
                collect_mod_decls(items, inline, out);
                inline.pop();
            }
            None if path.is_some() || inline.iter().any(|(_, p)| p.is_some()) => {
                out.push(crate::model::ModDecl {
                    inline: inline.clone(),
                    name: m.ident.to_string(),
                    path,
                });
            }
            None => {}
        }
    }
}

/// The methods every impl of the file defines: (self type, method name).
fn collect_impl_methods(items: &[Item], out: &mut Vec<(String, String)>) {
    for it in items {
        match it {
            Item::Impl(i) => {
                if let Some(ty) = last_ident(&i.self_ty) {
                    for ii in &i.items {
                        if let ImplItem::Fn(f) = ii {
                            out.push((ty.clone(), f.sig.ident.to_string()));
                        }
                    }
                }
            }
            Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    collect_impl_methods(items, out);
                }
            }
            _ => {}
        }
    }
}

/// The type a constructor expression builds: `T::new(..)?`, `T { .. }`.
fn built_type(e: &Expr) -> Option<String> {
    match strip_unwrap(e) {
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => {
                let segs = segments(&p.path);
                let n = segs.len();
                (n >= 2
                    && segs[n - 2].chars().next().is_some_and(|c| c.is_uppercase())
                    && segs[n - 2] != "Self")
                    .then(|| segs[n - 2].clone())
            }
            _ => None,
        },
        Expr::Struct(st) => st
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .filter(|s| s != "Self"),
        _ => None,
    }
}

/// Every `use` of the file (inline modules included, scoping ignored):
/// (name in scope, full path). A glob import is named `*`.
fn collect_uses(items: &[Item], out: &mut Vec<(String, Vec<String>)>) {
    fn walk(t: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(String, Vec<String>)>) {
        match t {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                walk(&p.tree, prefix, out);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                if name == "self" {
                    if let Some(last) = prefix.last() {
                        out.push((last.clone(), prefix.clone()));
                    }
                } else {
                    let mut full = prefix.clone();
                    full.push(name.clone());
                    out.push((name, full));
                }
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                if r.ident != "self" {
                    full.push(r.ident.to_string());
                }
                out.push((r.rename.to_string(), full));
            }
            syn::UseTree::Glob(_) => out.push(("*".into(), prefix.clone())),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    walk(t, prefix, out);
                }
            }
        }
    }
    for it in items {
        match it {
            Item::Use(u) => {
                let mut prefix = Vec::new();
                if u.leading_colon.is_some() {
                    prefix.push(String::new());
                }
                walk(&u.tree, &mut prefix, out);
                if u.leading_colon.is_some() {
                    for (_, p) in out.iter_mut() {
                        if p.first().is_some_and(|s| s.is_empty()) {
                            p.remove(0);
                        }
                    }
                }
            }
            Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    collect_uses(items, out);
                }
            }
            _ => {}
        }
    }
}

/// Every path segment in a type (`Option<JoinHandle<()>>` -> Option, JoinHandle).
fn type_idents(ty: &syn::Type) -> Vec<String> {
    struct V(Vec<String>);
    impl<'ast> Visit<'ast> for V {
        fn visit_path_segment(&mut self, s: &'ast syn::PathSegment) {
            self.0.push(s.ident.to_string());
            visit::visit_path_segment(self, s);
        }
    }
    let mut v = V(Vec::new());
    v.visit_type(ty);
    v.0
}

/// The segments of a path type (`super::Stream<T>` -> [super, Stream]).
fn type_path(ty: &syn::Type) -> Option<Vec<String>> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => Some(segments(&p.path)),
        syn::Type::Reference(r) => type_path(&r.elem),
        syn::Type::Paren(p) => type_path(&p.elem),
        _ => None,
    }
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Type::Reference(r) => last_ident(&r.elem),
        syn::Type::Paren(p) => last_ident(&p.elem),
        _ => None,
    }
}

struct ItemCx<'a, 'v> {
    /// Lock facts of struct fields, statics and aliases (`locks::note_item`).
    types: &'a mut super::locks::TypeLocks,
    vocab: &'v Vocab,
    li: &'a LineIndex<'a>,
    /// The file's `use` imports (see `collect_uses`).
    uses: &'a [(String, Vec<String>)],
    /// Methods the file's impls define: (type, method).
    impl_methods: &'a [(String, String)],
    out: &'a mut Vec<FnModel>,
    structs: &'a mut Vec<StructDef>,
    /// Enclosing inline modules.
    mods: Vec<String>,
    /// Inside `#[cfg(test)]` (or a test fn, for nested items).
    in_test: bool,
    /// Start byte of the fn whose body holds the items being walked.
    scope: Option<u32>,
}

/// `#[test]`, `#[tokio::test]`, `#[bench]`, `#[cfg(test)]`.
fn is_test_attr(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let last = a.path().segments.last().map(|s| s.ident.to_string());
        match last.as_deref() {
            Some(t) if TEST_ATTRS.contains(&t) => true,
            Some("cfg") => match &a.meta {
                // `cfg(test)`, `cfg(all(test, not(loom)))`; not `cfg(not(test))`
                // nor `cfg(not(any(test, feature = "x")))`.
                syn::Meta::List(l) => l
                    .parse_args_with(<syn::Meta as syn::parse::Parse>::parse)
                    .is_ok_and(|m| cfg_requires_test(&m)),
                _ => false,
            },
            _ => false,
        }
    })
}

/// The outer attributes of a statement (of its expression, for an
/// expression statement); `None` for an item (walked with its own).
fn stmt_attrs(s: &Stmt) -> Option<&[syn::Attribute]> {
    match s {
        Stmt::Local(l) => Some(&l.attrs),
        Stmt::Macro(m) => Some(&m.attrs),
        Stmt::Expr(e, _) => Some(expr_attrs(e)),
        Stmt::Item(_) => None,
    }
}

/// The outer attributes of an expression statement's expression: syn puts
/// them on the leftmost operand of an assignment, binary operation or cast
/// (`#[cfg(test)] x = 1;`).
fn expr_attrs(e: &Expr) -> &[syn::Attribute] {
    match e {
        Expr::Assign(x) => expr_attrs(&x.left),
        Expr::Binary(x) => expr_attrs(&x.left),
        Expr::Cast(x) => expr_attrs(&x.expr),
        Expr::Array(x) => &x.attrs,
        Expr::Async(x) => &x.attrs,
        Expr::Await(x) => &x.attrs,
        Expr::Block(x) => &x.attrs,
        Expr::Break(x) => &x.attrs,
        Expr::Call(x) => &x.attrs,
        Expr::Closure(x) => &x.attrs,
        Expr::Const(x) => &x.attrs,
        Expr::Continue(x) => &x.attrs,
        Expr::Field(x) => &x.attrs,
        Expr::ForLoop(x) => &x.attrs,
        Expr::Group(x) => &x.attrs,
        Expr::If(x) => &x.attrs,
        Expr::Index(x) => &x.attrs,
        Expr::Infer(x) => &x.attrs,
        Expr::Let(x) => &x.attrs,
        Expr::Lit(x) => &x.attrs,
        Expr::Loop(x) => &x.attrs,
        Expr::Macro(x) => &x.attrs,
        Expr::Match(x) => &x.attrs,
        Expr::MethodCall(x) => &x.attrs,
        Expr::Paren(x) => &x.attrs,
        Expr::Path(x) => &x.attrs,
        Expr::Range(x) => &x.attrs,
        Expr::RawAddr(x) => &x.attrs,
        Expr::Reference(x) => &x.attrs,
        Expr::Repeat(x) => &x.attrs,
        Expr::Return(x) => &x.attrs,
        Expr::Struct(x) => &x.attrs,
        Expr::Try(x) => &x.attrs,
        Expr::TryBlock(x) => &x.attrs,
        Expr::Tuple(x) => &x.attrs,
        Expr::Unary(x) => &x.attrs,
        Expr::Unsafe(x) => &x.attrs,
        Expr::While(x) => &x.attrs,
        Expr::Yield(x) => &x.attrs,
        _ => &[],
    }
}

/// Does this cfg predicate hold only in test builds?
fn cfg_requires_test(m: &syn::Meta) -> bool {
    let parts = |l: &syn::MetaList| -> Vec<syn::Meta> {
        l.parse_args_with(
            syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
        )
        .map(|p| p.into_iter().collect())
        .unwrap_or_default()
    };
    match m {
        syn::Meta::Path(p) => p.is_ident("test"),
        syn::Meta::List(l) if l.path.is_ident("all") => parts(l).iter().any(cfg_requires_test),
        syn::Meta::List(l) if l.path.is_ident("any") => {
            let ps = parts(l);
            !ps.is_empty() && ps.iter().all(cfg_requires_test)
        }
        _ => false,
    }
}

impl ItemCx<'_, '_> {
    fn items(
        &mut self,
        items: &[Item],
        self_ty: Option<&str>,
        tr: Option<&str>,
        allows: &[String],
    ) {
        for item in items {
            self.item(item, self_ty, tr, allows);
        }
    }

    fn item(&mut self, item: &Item, self_ty: Option<&str>, tr: Option<&str>, allows: &[String]) {
        let with = |attrs: &[syn::Attribute]| {
            let mut a = allows.to_vec();
            a.extend(attr_allows(attrs));
            a
        };
        match item {
            Item::Fn(f) => {
                let a = with(&f.attrs);
                let saved = self.in_test;
                self.in_test |= is_test_attr(&f.attrs);
                let at = self.out.len();
                self.func(&f.sig, &f.block, None, None, &a);
                self.out[at].is_pub = !matches!(f.vis, syn::Visibility::Inherited);
                self.out[at].doc_panics = doc_panics(&f.attrs);
                self.in_test = saved;
            }
            Item::Impl(i) => {
                let a = with(&i.attrs);
                let saved_test = self.in_test;
                self.in_test |= is_test_attr(&i.attrs);
                let ty = last_ident(&i.self_ty);
                let trait_name = i
                    .trait_
                    .as_ref()
                    .and_then(|(_, p, _)| p.segments.last().map(|s| s.ident.to_string()));
                for ii in &i.items {
                    if let ImplItem::Fn(f) = ii {
                        let a = {
                            let mut a = a.clone();
                            a.extend(attr_allows(&f.attrs));
                            a
                        };
                        let saved = self.in_test;
                        self.in_test |= is_test_attr(&f.attrs);
                        let at = self.out.len();
                        self.func(&f.sig, &f.block, ty.as_deref(), trait_name.as_deref(), &a);
                        if let Some(p) = type_path(&i.self_ty) {
                            self.out[at].self_ty_path = p;
                        }
                        self.out[at].is_pub =
                            trait_name.is_some() || !matches!(f.vis, syn::Visibility::Inherited);
                        self.out[at].doc_panics = doc_panics(&f.attrs);
                        self.in_test = saved;
                    }
                }
                self.in_test = saved_test;
            }
            Item::Struct(st) => {
                super::locks::note_item(self.types, item);
                let mut field_types = Vec::new();
                for f in st.fields.iter() {
                    field_types.extend(type_idents(&f.ty));
                }
                self.structs.push(StructDef {
                    name: st.ident.to_string(),
                    mods: self.mods.clone(),
                    field_types,
                    at: st.ident.span().byte_range().start as u32,
                });
            }
            Item::Trait(t) => {
                let a = with(&t.attrs);
                let name = t.ident.to_string();
                for ti in &t.items {
                    if let TraitItem::Fn(f) = ti {
                        if let Some(b) = &f.default {
                            let mut a = a.clone();
                            a.extend(attr_allows(&f.attrs));
                            self.func(&f.sig, b, Some(&name), None, &a);
                        }
                    }
                }
            }
            Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    let a = with(&m.attrs);
                    let saved = self.in_test;
                    self.in_test |= is_test_attr(&m.attrs);
                    self.mods.push(m.ident.to_string());
                    self.items(items, None, None, &a);
                    self.mods.pop();
                    self.in_test = saved;
                }
            }
            _ => {
                super::locks::note_item(self.types, item);
                let _ = (self_ty, tr);
            }
        }
    }

    fn func(
        &mut self,
        sig: &syn::Signature,
        body: &syn::Block,
        self_ty: Option<&str>,
        trait_name: Option<&str>,
        allows: &[String],
    ) {
        let li = self.li;
        let (receiver, takes_shared_ref) = receiver_of(sig);
        let returns_self = match &sig.output {
            syn::ReturnType::Type(_, t) => returns_self(t, self_ty),
            syn::ReturnType::Default => false,
        };
        let is_async = sig.asyncness.is_some();
        let body_span = li.join(body.first(), body.last());
        let mut m = FnModel {
            name: sig.ident.to_string(),
            name_span: li.span(sig.ident.span()),
            span: li.span_bytes(li.span(sig_first(sig)).start.byte, body_span.end.byte),
            self_ty: self_ty.map(str::to_string),
            self_ty_path: self_ty.map(|t| vec![t.to_string()]).unwrap_or_default(),
            trait_name: trait_name.map(str::to_string),
            receiver,
            takes_shared_ref,
            params: params_of(sig),
            is_pub: trait_name.is_some(),
            doc_panics: false,
            returns_value: match &sig.output {
                syn::ReturnType::Type(_, t) => returns_value(t),
                syn::ReturnType::Default => false,
            },
            scope: self.scope,
            forgets_self: false,
            is_async,
            returns_self,
            allows: allows.to_vec(),
            close_read_only: None,
            mods: self.mods.clone(),
            is_test: self.in_test,
            returns_guard: None,
            param_uses: Vec::new(),
            param_types: param_types_of(sig),
            cell_borrows: Vec::new(),
            puts: Vec::new(),
            close_calls: Vec::new(),
            lock_contents: Vec::new(),
            frames: vec![Frame {
                parent: None,
                kind: FrameKind::Body,
                is_async,
                runs_inline: true,
                handed_to: None,
            }],
            blocks: Vec::new(),
            events: Vec::new(),
            locks: Default::default(),
        };
        super::locks::note_params(&mut m.locks, sig);
        // `fn is_closed(&self) -> bool { self.closed.load(..) }`
        if let [Stmt::Expr(e, None)] = body.stmts.as_slice() {
            let mut r = Reads {
                vocab: self.vocab,
                li,
                aliases: &[],
                guards: &[],
                out: Vec::new(),
            };
            r.visit_expr(e);
            if let [one] = r.out.as_slice() {
                if one.path.is_some()
                    && !one.claim
                    && matches!(one.kind, CloseReadKind::Field | CloseReadKind::Variant(_))
                {
                    m.close_read_only = Some(one.clone());
                }
            }
        }
        let tail = match body.stmts.last() {
            Some(Stmt::Expr(e, None)) => Some(e as *const Expr),
            _ => None,
        };
        let m_param_types = m.param_types.clone();
        let param_names = sig
            .inputs
            .iter()
            .filter_map(|a| match a {
                syn::FnArg::Typed(t) => Some(match &*t.pat {
                    Pat::Ident(pi) => Some(pi.ident.to_string()),
                    _ => None,
                }),
                syn::FnArg::Receiver(_) => None,
            })
            .collect();
        let mut w = Walker {
            vocab: self.vocab,
            li,
            uses: self.uses,
            impl_methods: self.impl_methods,
            local_types: m_param_types,
            param_names,
            closure_modes: Vec::new(),
            let_closures: Vec::new(),
            called_locals: Vec::new(),
            guard_names: Vec::new(),
            own_async: vec![is_async],
            loop_aliases: Vec::new(),
            owned_locals: Vec::new(),
            m,
            frame: 0,
            block: usize::MAX,
            temp_end: body_span.end.byte,
            awaited: false,
            named_lock: None,
            lock_names: Vec::new(),
            aliases: Vec::new(),
            cond_paths: Vec::new(),
            exit_paths: Vec::new(),
            tail,
            nested: Vec::new(),
            future_lets: Vec::new(),
            awaited_names: Vec::new(),
            in_test_stmt: false,
        };
        w.visit_block(body);
        w.settle_frames();
        let Walker {
            mut m,
            nested,
            future_lets,
            awaited_names,
            ..
        } = w;
        for (pos, name) in &future_lets {
            if !awaited_names.contains(name) {
                continue;
            }
            for e in m.events.iter_mut().filter(|e| e.pos == *pos) {
                if let EventKind::Wait(wc) = &mut e.kind {
                    wc.awaited = true;
                }
            }
        }
        m.events.sort_by_key(|e| e.pos);
        take_returned_guard(&mut m, body);
        let saved = (self.in_test, self.scope);
        self.in_test |= m.is_test;
        self.scope = Some(m.span.start.byte);
        self.out.push(m);
        for item in nested {
            self.item(item, None, None, allows);
        }
        (self.in_test, self.scope) = saved;
    }
}

/// Named parameters and how each is passed (see `FnModel::params`).
fn params_of(sig: &syn::Signature) -> Vec<(String, Receiver)> {
    let mut out = Vec::new();
    for a in &sig.inputs {
        let syn::FnArg::Typed(t) = a else { continue };
        let Pat::Ident(pi) = &*t.pat else { continue };
        let kind = match &*t.ty {
            syn::Type::Reference(r) if r.mutability.is_some() => Receiver::Exclusive,
            syn::Type::Reference(_) => Receiver::Shared,
            ty => {
                let s = ty.to_token_stream().to_string();
                if s.contains("Arc") || s.contains("Rc") {
                    Receiver::Shared
                } else {
                    Receiver::Value
                }
            }
        };
        out.push((pi.ident.to_string(), kind));
    }
    out
}

/// Named parameters and the last identifier of their type (`&Conn` -> Conn).
fn param_types_of(sig: &syn::Signature) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in &sig.inputs {
        let syn::FnArg::Typed(t) = a else { continue };
        let Pat::Ident(pi) = &*t.pat else { continue };
        if let Some(ty) = last_ident(&t.ty) {
            let ty = match (ty.as_str(), &*t.ty) {
                // `Arc<Conn>`: the pointee.
                ("Arc" | "Rc" | "Box", syn::Type::Path(p)) => p
                    .path
                    .segments
                    .last()
                    .and_then(|s| match &s.arguments {
                        syn::PathArguments::AngleBracketed(a) => a.args.first(),
                        _ => None,
                    })
                    .and_then(|g| match g {
                        syn::GenericArgument::Type(t) => last_ident(t),
                        _ => None,
                    })
                    .unwrap_or(ty),
                _ => ty,
            };
            out.push((pi.ident.to_string(), ty));
        }
    }
    out
}

/// Does a doc comment's text mention a panic (`# Panics`, "panics if"; any
/// case)? Only such doc comments can make `doc_panics` true: the others
/// are parsed as plain comments (`build_file_model_blanked`).
pub fn mentions_panic(doc: &[u8]) -> bool {
    memchr::memchr2_iter(b'p', b'P', doc).any(|i| {
        doc.get(i..i + 6)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"panics"))
    })
}

/// Does the doc comment document a panic (`# Panics`, "panics if")?
fn doc_panics(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("doc") && {
            let s = a.meta.to_token_stream().to_string().to_lowercase();
            s.contains("# panics") || s.contains("panics if") || s.contains("panics when")
        }
    })
}

/// A return type that carries a value: not `()`, `bool`, `Result<(), _>`, `Option<()>`.
fn returns_value(t: &syn::Type) -> bool {
    match t {
        syn::Type::Tuple(tt) => !tt.elems.is_empty(),
        syn::Type::Paren(p) => returns_value(&p.elem),
        syn::Type::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return true;
            };
            match last.ident.to_string().as_str() {
                "bool" => false,
                "Result" | "Option" => match &last.arguments {
                    syn::PathArguments::AngleBracketed(a) => match a.args.first() {
                        Some(syn::GenericArgument::Type(inner)) => returns_value(inner),
                        _ => true,
                    },
                    // `io::Result<()>`-style aliases without arguments.
                    _ => false,
                },
                _ => true,
            }
        }
        _ => true,
    }
}

fn receiver_of(sig: &syn::Signature) -> (Receiver, bool) {
    match sig.receiver() {
        None => {
            let shared = sig.inputs.iter().any(|a| match a {
                syn::FnArg::Typed(t) => {
                    matches!(&*t.ty, syn::Type::Reference(r) if r.mutability.is_none())
                }
                _ => false,
            });
            (Receiver::None, shared)
        }
        Some(r) if r.colon_token.is_none() => match (&r.reference, &r.mutability) {
            (Some(_), Some(_)) => (Receiver::Exclusive, false),
            (Some(_), None) => (Receiver::Shared, false),
            (None, _) => (Receiver::Value, false),
        },
        Some(r) => {
            let s = r.ty.to_token_stream().to_string();
            if s.contains("& mut") || s.contains("&mut") {
                (Receiver::Exclusive, false)
            } else if s.contains('&') || s.contains("Arc") || s.contains("Rc") {
                (Receiver::Shared, false)
            } else {
                (Receiver::Value, false)
            }
        }
    }
}

fn returns_self(t: &syn::Type, self_ty: Option<&str>) -> bool {
    let is_self = |name: &str| name == "Self" || Some(name) == self_ty;
    match t {
        syn::Type::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            let name = last.ident.to_string();
            if is_self(&name) {
                return true;
            }
            if matches!(name.as_str(), "Result" | "Option" | "Poll") {
                if let syn::PathArguments::AngleBracketed(a) = &last.arguments {
                    if let Some(syn::GenericArgument::Type(inner)) = a.args.first() {
                        return returns_self(inner, self_ty);
                    }
                }
            }
            false
        }
        syn::Type::Paren(p) => returns_self(&p.elem, self_ty),
        _ => false,
    }
}

/// Where a closure's body runs, decided by what it is handed to.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Mode {
    /// Called as part of this call (`Option::map`, `thread::scope`, `f()`).
    Inline,
    /// On another thread (`thread::spawn`, `spawn_blocking`).
    Offload,
    /// Stored, returned, registered or handed to something unknown: it runs
    /// whenever it is called, not here.
    Deferred,
    /// Handed to a crate function: it runs as that function uses it.
    Handed(CallTarget, usize),
}

/// Methods and functions that call the closure they are handed before they
/// return (iterator adaptors, `Option`/`Result` combinators, scopes, cells).
const RUNS_CLOSURE_NOW: &[&str] = &[
    "map",
    "map_err",
    "map_or",
    "map_or_else",
    "and_then",
    "or_else",
    "unwrap_or_else",
    "ok_or_else",
    "filter",
    "filter_map",
    "flat_map",
    "flatten",
    "for_each",
    "try_for_each",
    "fold",
    "try_fold",
    "reduce",
    "any",
    "all",
    "find",
    "find_map",
    "position",
    "rposition",
    "take_while",
    "skip_while",
    "map_while",
    "inspect",
    "scan",
    "max_by_key",
    "min_by_key",
    "max_by",
    "min_by",
    "sort_by",
    "sort_by_key",
    "sort_unstable_by",
    "sort_unstable_by_key",
    "sort_by_cached_key",
    "retain",
    "retain_mut",
    "dedup_by",
    "dedup_by_key",
    "partition",
    "get_or_insert_with",
    "or_insert_with",
    "or_insert_with_key",
    "and_modify",
    "then",
    "is_some_and",
    "is_none_or",
    "is_ok_and",
    "is_err_and",
    "with",
    "with_borrow",
    "with_borrow_mut",
    "try_with",
    "get_or_init",
    "get_or_try_init",
    "call_once",
    "call_once_force",
    "scope",
    "in_place_scope",
    "scope_fifo",
    "catch_unwind",
    "join",
    "in_scope",
    "update",
    "fetch_update",
    "from_fn",
    "repeat_with",
    "successors",
    "binary_search_by",
    "binary_search_by_key",
    "chunk_by",
    "group_by",
    "split",
    "matches",
    "zip",
    "count",
    "sum",
    "product",
    "collect",
    "wait_while",
    "wait_timeout_while",
];

/// What a call does with a closure argument.
enum Callee {
    Offload,
    Inline,
    Crate(CallTarget),
    Unknown,
}

/// The closure an argument is (also through `AssertUnwindSafe(..)`,
/// `Box::new(..)`, `&..`, or as the tail of a block:
/// `thread::spawn({ let c = c.clone(); move || .. })`).
fn closure_of(a: &Expr) -> Option<&syn::ExprClosure> {
    match a {
        Expr::Closure(c) => Some(c),
        Expr::Paren(p) => closure_of(&p.expr),
        Expr::Reference(r) => closure_of(&r.expr),
        Expr::Block(b) => match b.block.stmts.last() {
            Some(Stmt::Expr(e, None)) => closure_of(e),
            _ => None,
        },
        Expr::Call(c) if c.args.len() == 1 => {
            let Expr::Path(p) = &*c.func else { return None };
            let segs = segments(&p.path);
            let wrapper = matches!(
                segs.as_slice(),
                [.., w] if w == "AssertUnwindSafe"
            ) || matches!(segs.as_slice(), [.., t, f] if (t == "Box" || t == "Arc") && (f == "new" || f == "pin"));
            if wrapper {
                closure_of(&c.args[0])
            } else {
                None
            }
        }
        _ => None,
    }
}

struct Walker<'a, 'v, 'ast> {
    vocab: &'v Vocab,
    li: &'a LineIndex<'a>,
    /// The file's `use` imports.
    uses: &'a [(String, Vec<String>)],
    /// Methods the file's impls define: (type, method).
    impl_methods: &'a [(String, String)],
    /// Locals and parameters of a known type: (name, last type segment).
    local_types: Vec<(String, String)>,
    /// Parameter names by position (`self` not counted).
    param_names: Vec<Option<String>>,
    /// How each closure met as a call argument runs (consumed when walked).
    closure_modes: Vec<(*const syn::ExprClosure, Mode)>,
    /// `let f = || ..;`: (name, frame).
    let_closures: Vec<(String, FrameId)>,
    /// Locals called (`f()`) or handed on (`thread::spawn(f)`), and how.
    called_locals: Vec<(String, Mode)>,
    /// Named wait guards (and other armed values) in scope.
    guard_names: Vec<String>,
    /// Per frame: is the closure or block itself `async`.
    own_async: Vec<bool>,
    /// `for w in self.workers.iter_mut()`: (w, `self.workers[]`).
    loop_aliases: Vec<(String, String)>,
    /// Locals holding a value this function owns: a loop binding over
    /// `drain(..)`/`into_iter()`, a `let` of a taken or built value.
    owned_locals: Vec<String>,

    m: FnModel,
    frame: FrameId,
    block: BlockId,
    /// Where a temporary created now is dropped.
    temp_end: u32,
    /// The expression being visited is (part of) an awaited future.
    awaited: bool,
    /// The lock call a `let name = x.lock()..` binds.
    named_lock: Option<(*const syn::ExprMethodCall, String)>,
    /// Named lock guards in scope: (binding, lock path).
    lock_names: Vec<(String, String)>,
    /// Locals holding a close read.
    aliases: Vec<(String, CloseRead)>,
    /// Paths named by enclosing `if` conditions (for guarded takes).
    cond_paths: Vec<String>,
    /// Paths named by earlier leaving checks in this fn.
    exit_paths: Vec<String>,
    tail: Option<*const Expr>,
    nested: Vec<&'ast Item>,
    /// `let name = rx.recv();` in async code: (wait position, name). The wait
    /// is a future when `name` is later awaited or pinned.
    future_lets: Vec<(u32, String)>,
    /// Names awaited (`name.await`, `(&mut name).await`) or handed to a
    /// future macro (`pin!`, `select!`, `join!`).
    awaited_names: Vec<String>,
    /// Inside a statement marked `#[cfg(test)]` (`Event::test`).
    in_test_stmt: bool,
}

impl<'ast> Walker<'_, '_, 'ast> {
    fn span(&self, s: proc_macro2::Span) -> Span {
        self.li.span(s)
    }

    /// The extent of a node (what `Spanned::span` gives, without printing it).
    fn ext<T: Extent + ?Sized>(&self, n: &T) -> Span {
        self.li.join(n.first(), n.last())
    }

    fn push(&mut self, pos: u32, kind: EventKind) {
        self.m.events.push(Event {
            pos,
            block: self.block,
            frame: self.frame,
            kind,
            test: self.in_test_stmt,
        });
    }

    fn block_end(&self) -> u32 {
        self.m.blocks[self.block].end
    }

    fn reads(&self, e: &Expr) -> Vec<CloseRead> {
        let mut r = Reads {
            vocab: self.vocab,
            li: self.li,
            aliases: &self.aliases,
            guards: &self.lock_names,
            out: Vec::new(),
        };
        r.visit_expr(e);
        r.out
    }

    fn pat_is_closed(&self, p: &Pat) -> bool {
        let r = Reads {
            vocab: self.vocab,
            li: self.li,
            aliases: &[],
            guards: &[],
            out: Vec::new(),
        };
        r.pat_is_closed(p)
    }

    fn enter_block(&mut self, start: u32, end: u32) -> BlockId {
        let id = self.m.blocks.len();
        self.m.blocks.push(Block {
            parent: (self.block != usize::MAX).then_some(self.block),
            frame: self.frame,
            start,
            end,
            loop_body: false,
        });
        self.block = id;
        id
    }

    /// Walks a closure in a new frame; returns the frame.
    fn closure(&mut self, c: &'ast syn::ExprClosure, mode: Mode) -> FrameId {
        let parent = self.frame;
        let (kind, handed_to) = match mode {
            Mode::Inline => (FrameKind::Closure, None),
            Mode::Offload | Mode::Deferred => (FrameKind::Offload, None),
            Mode::Handed(t, i) => (FrameKind::Offload, Some((t, i))),
        };
        let id = self.new_frame(parent, kind, c.asyncness.is_some(), handed_to);
        super::locks::note_closure(&mut self.m.locks, c, id);
        let (saved_frame, saved_block, saved_await, saved_temp) =
            (self.frame, self.block, self.awaited, self.temp_end);
        self.frame = id;
        self.awaited = false;
        let sp = self.ext(&*c.body);
        self.temp_end = sp.end.byte;
        if let Expr::Block(b) = &*c.body {
            self.visit_block(&b.block);
        } else {
            self.enter_block(sp.start.byte, sp.end.byte);
            self.visit_expr(&c.body);
        }
        self.frame = saved_frame;
        self.block = saved_block;
        self.awaited = saved_await;
        self.temp_end = saved_temp;
        id
    }

    /// A frame under `parent`; its flags follow from the parent's
    /// (`settle_frames` recomputes them once every closure's fate is known).
    fn new_frame(
        &mut self,
        parent: FrameId,
        kind: FrameKind,
        own_async: bool,
        handed_to: Option<(CallTarget, usize)>,
    ) -> FrameId {
        let pf = &self.m.frames[parent];
        let (is_async, runs_inline) = match kind {
            FrameKind::Closure => (own_async || pf.is_async, pf.runs_inline),
            FrameKind::AsyncBlock => (true, false),
            _ => (own_async, false),
        };
        let id = self.m.frames.len();
        self.m.frames.push(Frame {
            parent: Some(parent),
            kind,
            is_async,
            runs_inline,
            handed_to,
        });
        self.own_async.push(own_async);
        id
    }

    /// Once the walk is over: a `let f = || ..` closure called here (`f()`)
    /// runs here; handed to an offload function, elsewhere. Then every
    /// frame's flags follow from its parent's (parents come first).
    fn settle_frames(&mut self) {
        for (name, fid) in &self.let_closures {
            let mode = self
                .called_locals
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, m)| m.clone());
            match mode {
                Some(Mode::Inline) => self.m.frames[*fid].kind = FrameKind::Closure,
                Some(Mode::Handed(t, i)) => self.m.frames[*fid].handed_to = Some((t, i)),
                _ => {}
            }
        }
        for id in 1..self.m.frames.len() {
            let Some(p) = self.m.frames[id].parent else {
                continue;
            };
            let (p_async, p_inline) = (self.m.frames[p].is_async, self.m.frames[p].runs_inline);
            let own = self.own_async.get(id).copied().unwrap_or(false);
            let f = &mut self.m.frames[id];
            match f.kind {
                FrameKind::Closure => {
                    f.is_async = own || p_async;
                    f.runs_inline = p_inline;
                }
                FrameKind::AsyncBlock => {
                    f.is_async = true;
                    f.runs_inline = false;
                }
                _ => {
                    f.is_async = own;
                    f.runs_inline = false;
                }
            }
        }
    }

    /// `defer! { .. }` / `scopeguard::defer!(..)`: an anonymous guard.
    fn defer_macro(&mut self, mac: &syn::Macro, stmt: Span) -> bool {
        if mac
            .path
            .segments
            .last()
            .map(|s| !DEFER_MACROS.iter().any(|m| s.ident == m))
            .unwrap_or(true)
        {
            return false;
        }
        let Ok(stmts) = syn::parse::Parser::parse2(syn::Block::parse_within, mac.tokens.clone())
        else {
            return true;
        };
        let parent = self.frame;
        let id = self.new_frame(parent, FrameKind::Closure, false, None);
        let (saved_frame, saved_block, saved_await) = (self.frame, self.block, self.awaited);
        self.frame = id;
        self.awaited = false;
        self.enter_block(stmt.start.byte, stmt.end.byte);
        self.sub(|w| {
            for s in &stmts {
                w.visit_stmt(s);
            }
        });
        self.frame = saved_frame;
        self.block = saved_block;
        self.awaited = saved_await;
        self.push(
            stmt.start.byte,
            EventKind::Guard(GuardArm {
                stmt,
                binding: Binding::Anonymous,
                kind: GuardKind::Defer(id),
                call: None,
                pat: stmt,
            }),
        );
        true
    }

    /// Any other macro: its arguments are walked when they parse as expressions.
    fn other_macro(&mut self, mac: &'ast syn::Macro) {
        // `pin!(rx.recv())`, `join!(a, b)`, `select! { _ = &mut f => .. }`:
        // the macro polls what it is handed.
        let future_macro = mac.path.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "pin" | "join" | "try_join" | "select" | "select_biased" | "poll"
            )
        });
        if future_macro {
            for t in mac.tokens.clone() {
                if let proc_macro2::TokenTree::Ident(i) = t {
                    self.awaited_names.push(i.to_string());
                }
            }
        }
        let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        if let Ok(args) = syn::parse::Parser::parse2(parser, mac.tokens.clone()) {
            for a in &args {
                let handed = future_macro && self.handed_on(a);
                // The parsed tree is local; walk it with a fresh lifetime.
                self.sub(|w| {
                    w.awaited |= handed;
                    w.visit_expr(a)
                });
            }
        }
    }

    /// In async code, a non-blocking wait call passed on whole as an argument
    /// (`spawn(rx.recv())`, `timeout(d, rx.recv())`) is a future handed to
    /// something that polls it, not a blocking wait.
    fn handed_on(&self, a: &Expr) -> bool {
        if !self.m.frames[self.frame].is_async {
            return false;
        }
        let mut a = a;
        while let Expr::Reference(r) = a {
            a = &r.expr;
        }
        matches!(a, Expr::MethodCall(m)
            if self.vocab.is_wait_method(&m.method.to_string(), m.args.len())
                && !self.vocab.is_always_blocking(&m.method.to_string()))
    }

    /// Marks the block (created at or after `from`) that is a loop's body.
    fn mark_loop_body(&mut self, from: usize, body: &syn::Block) {
        let start = self.ext(body).start.byte;
        if let Some(b) = self.m.blocks[from..].iter_mut().find(|b| b.start == start) {
            b.loop_body = true;
        }
    }

    /// The crate function a call path names: `f`, `m::f`, `T::f`, `Self::f`.
    fn path_target(&self, segs: &[String]) -> Option<CallTarget> {
        let n = segs.len();
        let last = segs.last()?.clone();
        let prev = if n >= 2 { segs[n - 2].as_str() } else { "" };
        if prev == "Self" {
            self.m.self_ty.clone().map(|t| CallTarget::TypeFn(t, last))
        } else if prev.chars().next().is_some_and(|c| c.is_uppercase()) {
            Some(CallTarget::TypeFn(prev.to_string(), last))
        } else {
            Some(CallTarget::Free(last))
        }
    }

    /// `let g = scopeguard::guard(v, || ..)`, `let g = T::new(..)`, `let g = T { .. }`.
    fn guard_local(&mut self, init: &'ast Expr, binding: Binding, stmt: Span, pat: Span) -> bool {
        let push_guard = |w: &mut Self, kind: GuardKind, call: Option<CallTarget>| {
            if let Binding::Named(n) = &binding {
                w.guard_names.push(n.clone());
            }
            w.push(
                stmt.start.byte,
                EventKind::Guard(GuardArm {
                    stmt,
                    binding: binding.clone(),
                    kind,
                    call,
                    pat,
                }),
            );
        };
        match init {
            // `T::new(..)?`, `T::spawn(..).unwrap()`: the guard is the Ok value.
            Expr::Try(t) => self.guard_local(&t.expr, binding, stmt, pat),
            Expr::MethodCall(m) if m.method == "unwrap" || m.method == "expect" => {
                self.guard_local(&m.receiver, binding, stmt, pat)
            }
            // `self.wait_guard()`: a method of this type that may hand one back.
            Expr::MethodCall(m) if is_self(&m.receiver) => {
                let t = CallTarget::SelfMethod(m.method.to_string());
                push_guard(self, GuardKind::Returned(t), None);
                false
            }
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else {
                    return false;
                };
                let segs = segments(&p.path);
                let last = segs.last().cloned().unwrap_or_default();
                let scopeguard =
                    SCOPEGUARD_CONSTRUCTORS.contains(&last.as_str()) && c.args.len() == 2;
                if scopeguard {
                    self.visit_expr(&c.args[0]);
                    match &c.args[1] {
                        Expr::Closure(cl) => {
                            // Handed to the caller: it runs there, not here.
                            let mode = if binding == Binding::Returned {
                                Mode::Deferred
                            } else {
                                Mode::Inline
                            };
                            let fid = self.closure(cl, mode);
                            push_guard(self, GuardKind::ScopeGuard(Some(fid)), None);
                        }
                        Expr::Path(fp) => {
                            let segs = segments(&fp.path);
                            let target = self.path_target(&segs);
                            push_guard(self, GuardKind::ScopeGuard(None), target);
                        }
                        other => self.visit_expr(other),
                    }
                    return true;
                }
                let upper = |s: &str| s.chars().next().is_some_and(|c| c.is_uppercase());
                if upper(&last) {
                    let ty = if last == "Self" {
                        self.m.self_ty.clone().unwrap_or_default()
                    } else {
                        last
                    };
                    push_guard(self, GuardKind::DropType { ty, ctor: None }, None);
                } else if segs.len() == 1 || !upper(&segs[segs.len() - 2]) {
                    // A crate helper that may hand back a guard (`join_on_exit(h)`).
                    if let Some(t) = self.path_target(&segs) {
                        push_guard(self, GuardKind::Returned(t), None);
                    }
                } else if segs.len() >= 2 {
                    let ty = &segs[segs.len() - 2];
                    let ty = if ty == "Self" {
                        self.m.self_ty.clone().unwrap_or_default()
                    } else {
                        ty.clone()
                    };
                    if upper(&ty) {
                        push_guard(
                            self,
                            GuardKind::DropType {
                                ty,
                                ctor: Some(last),
                            },
                            None,
                        );
                    }
                }
                false
            }
            Expr::Struct(s) => {
                if let Some(last) = s.path.segments.last() {
                    let mut ty = last.ident.to_string();
                    if ty == "Self" {
                        ty = self.m.self_ty.clone().unwrap_or_default();
                    }
                    push_guard(self, GuardKind::DropType { ty, ctor: None }, None);
                }
                false
            }
            Expr::Paren(p) => self.guard_local(&p.expr, binding, stmt, pat),
            _ => false,
        }
    }

    fn if_expr(&mut self, i: &'ast syn::ExprIf, tail: bool) {
        let reads = self.reads(&i.cond);
        let if_span = self.ext(i);
        let cond_span = self.ext(&*i.cond);
        let then_span = self.ext(&i.then_branch);
        if !reads.is_empty() {
            let closed_true = closed_when_true(&i.cond);
            let then_leaves = leaves_block(&i.then_branch) || tail;
            let else_leaves = match &i.else_branch {
                Some((_, e)) => leaves_expr(e) || tail,
                None => tail,
            };
            let closed_leaves = if closed_true {
                then_leaves
            } else {
                else_leaves
            };
            let after = (if_span.end.byte, self.block_end());
            let else_range = i.else_branch.as_ref().map(|(_, e)| {
                let s = self.ext(&**e);
                (s.start.byte, s.end.byte)
            });
            let mut open = Vec::new();
            if closed_true {
                open.extend(else_range);
                if then_leaves {
                    open.push(after);
                }
            } else {
                open.push((then_span.start.byte, then_span.end.byte));
                if else_leaves {
                    open.push(after);
                }
            }
            if closed_leaves {
                for r in &reads {
                    if let Some(p) = &r.path {
                        self.exit_paths.push(p.clone());
                    }
                }
            }
            self.push(
                if_span.start.byte,
                EventKind::Check(ClosedCheck {
                    span: cond_span,
                    stmt: if_span,
                    reads,
                    leaves: closed_leaves,
                    by_break: closed_leaves
                        && !tail
                        && !(if closed_true {
                            returns_block(&i.then_branch)
                        } else {
                            i.else_branch.as_ref().is_some_and(|(_, e)| returns_expr(e))
                        }),
                    open,
                }),
            );
        }
        let is_let = has_let(&i.cond);
        if let Expr::Let(l) = &*i.cond {
            self.scrutinee_contents(&l.expr, std::iter::once(&*l.pat));
        }
        super::locks::note_if(&mut self.m.locks, self.li, i, is_let);
        let saved = self.temp_end;
        // An `if let` scrutinee lives through the taken branch (where the
        // pattern matched); in `else` nothing it bound is alive.
        self.temp_end = if is_let {
            then_span.end.byte
        } else {
            cond_span.end.byte
        };
        self.visit_expr(&i.cond);
        self.temp_end = saved;
        let paths = mentioned_paths(&i.cond);
        let then_leaves = diverges_block(&i.then_branch);
        let n = self.cond_paths.len();
        self.cond_paths.extend(paths.iter().cloned());
        self.visit_block(&i.then_branch);
        self.cond_paths.truncate(n);
        if then_leaves {
            self.exit_paths.extend(paths);
        }
        if let Some((_, e)) = &i.else_branch {
            if tail {
                self.tail = Some(&**e as *const Expr);
            }
            self.visit_expr(e);
        }
    }

    fn match_expr(&mut self, mm: &'ast syn::ExprMatch, tail: bool) {
        let reads = self.reads(&mm.expr);
        let m_span = self.ext(mm);
        let mut closed_arms = Vec::new();
        let mut closed_returns = false;
        let mut open = Vec::new();
        for arm in &mm.arms {
            let is_true =
                matches!(&arm.pat, Pat::Lit(l) if matches!(&l.lit, syn::Lit::Bool(b) if b.value));
            let closed = self.pat_is_closed(&arm.pat) || (!reads.is_empty() && is_true);
            let body = self.ext(&*arm.body);
            if closed {
                closed_returns |= tail || returns_expr(&arm.body);
                closed_arms.push((self.span(arm.pat.span()), leaves_expr(&arm.body) || tail));
            } else {
                open.push((body.start.byte, body.end.byte));
            }
        }
        if let Some(&(pat_span, _)) = closed_arms.first() {
            let leaves = closed_arms.iter().any(|(_, l)| *l);
            if closed_arms.iter().all(|(_, l)| *l) {
                open.push((m_span.end.byte, self.block_end()));
            }
            let mut reads = reads;
            let (path, via_lock) = match state_path(&mm.expr) {
                Some((p, l)) => (Some(p), l),
                None => (None, false),
            };
            reads.push(CloseRead {
                kind: CloseReadKind::Variant("match".into()),
                path,
                via_lock,
                claim: false,
                span: pat_span,
            });
            self.push(
                m_span.start.byte,
                EventKind::Check(ClosedCheck {
                    span: pat_span,
                    stmt: m_span,
                    reads,
                    leaves,
                    by_break: leaves && !closed_returns,
                    open,
                }),
            );
        }
        let saved = self.temp_end;
        self.temp_end = m_span.end.byte;
        self.visit_expr(&mm.expr);
        self.temp_end = saved;
        self.scrutinee_contents(&mm.expr, mm.arms.iter().map(|a| &a.pat));
        let scrut_paths = mentioned_paths(&mm.expr);
        let mut none_leaves = false;
        for arm in &mm.arms {
            if let Some((_, g)) = &arm.guard {
                self.visit_expr(g);
            }
            if tail {
                self.tail = Some(&*arm.body as *const Expr);
            }
            // `match &self.slot { Some(..) => .. self.slot.take().unwrap() .. }`:
            // in that arm the slot is `Some`.
            let n = self.cond_paths.len();
            if pat_names(&arm.pat, "Some") {
                self.cond_paths.extend(scrut_paths.iter().cloned());
            }
            none_leaves |= pat_names(&arm.pat, "None") && leaves_expr(&arm.body);
            // An arm's body is a temporary scope of its own.
            let saved = self.temp_end;
            self.temp_end = self.ext(&*arm.body).end.byte;
            self.visit_expr(&arm.body);
            self.temp_end = saved;
            self.cond_paths.truncate(n);
        }
        if none_leaves {
            self.exit_paths.extend(scrut_paths);
        }
    }
}

/// A loop over elements moved out (`v.drain(..)`, `v.into_iter()`, `v`).
fn moves_elements(e: &Expr) -> bool {
    match e {
        Expr::MethodCall(m) => matches!(
            m.method.to_string().as_str(),
            "drain" | "into_iter" | "into_values"
        ),
        Expr::Path(_) => true,
        _ => false,
    }
}

/// A value the `let` owns outright: taken out of a place or built by a call.
fn owned_value(e: &Expr) -> bool {
    match strip_unwrap(e) {
        Expr::MethodCall(m) => matches!(
            m.method.to_string().as_str(),
            "take" | "pop" | "remove" | "swap_remove" | "pop_front" | "pop_back" | "replace"
        ),
        Expr::Call(_) | Expr::Struct(_) => true,
        _ => false,
    }
}

/// The field a loop borrows its elements from in place (`&mut self.ws`,
/// `self.ws.iter_mut()`, `self.ws.iter()`); not `drain(..)`/`into_iter()`,
/// whose elements are moved out.
fn borrowed_elements(e: &Expr) -> Option<String> {
    match e {
        Expr::Reference(r) => expr_path(&r.expr).filter(|p| p.contains('.')),
        Expr::Paren(p) => borrowed_elements(&p.expr),
        Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "iter_mut" | "iter" | "values_mut"
                ) =>
        {
            expr_path(&m.receiver).filter(|p| p.contains('.'))
        }
        _ => None,
    }
}

/// Does a pattern name this variant (`Some(..)`, `None`) anywhere?
fn pat_names(p: &Pat, variant: &str) -> bool {
    match p {
        Pat::TupleStruct(t) => t.path.segments.last().is_some_and(|s| s.ident == variant),
        Pat::Ident(i) => i.ident == variant && i.subpat.is_none(),
        Pat::Path(pp) => pp.path.segments.last().is_some_and(|s| s.ident == variant),
        Pat::Or(o) => o.cases.iter().any(|c| pat_names(c, variant)),
        Pat::Reference(r) => pat_names(&r.pat, variant),
        Pat::Paren(pp) => pat_names(&pp.pat, variant),
        _ => false,
    }
}

/// The names a pattern binds.
fn pat_idents(p: &Pat) -> Vec<String> {
    struct V(Vec<String>);
    impl<'ast> Visit<'ast> for V {
        fn visit_pat_ident(&mut self, i: &'ast syn::PatIdent) {
            let s = i.ident.to_string();
            if s.chars()
                .next()
                .is_some_and(|c| c.is_lowercase() || c == '_')
            {
                self.0.push(s);
            }
            visit::visit_pat_ident(self, i);
        }
    }
    let mut v = V(Vec::new());
    v.visit_pat(p);
    v.0
}

fn is_ok_or_some(f: &Expr) -> bool {
    matches!(f, Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Ok" || s.ident == "Some"))
}

/// Moves the guard the function returns (a `Returned` guard event, or the
/// guard a tail identifier names) into `returns_guard`.
fn take_returned_guard(m: &mut FnModel, body: &syn::Block) {
    let ret = |e: &Event| matches!(&e.kind, EventKind::Guard(g) if g.binding == Binding::Returned);
    if let Some(i) = m.events.iter().position(ret) {
        if let EventKind::Guard(g) = m.events.remove(i).kind {
            m.returns_guard = Some(g);
        }
        m.events.retain(|e| !ret(e));
        return;
    }
    let mut tail = match body.stmts.last() {
        Some(Stmt::Expr(e, None)) => e,
        _ => return,
    };
    if let Expr::Call(c) = tail {
        if c.args.len() == 1 && is_ok_or_some(&c.func) {
            tail = &c.args[0];
        }
    }
    let Some(name) = arg_ident(tail) else { return };
    m.returns_guard = m.events.iter().rev().find_map(|e| match &e.kind {
        EventKind::Guard(g) if e.frame == 0 && g.binding == Binding::Named(name.clone()) => {
            Some(g.clone())
        }
        _ => None,
    });
}

/// Do the arguments fit the std/tokio/crossbeam method of that name?
/// (`Condvar::wait_timeout(guard, d)` takes two; a zero-argument
/// `opts.wait_timeout()` is a getter; tokio's `blocking_read()` takes none.)
fn wait_arity(name: &str, nargs: usize) -> bool {
    match name {
        "wait" => nargs <= 1,
        "wait_timeout" | "wait_while" | "recv_timeout" | "block_on" => nargs >= 1,
        "wait_timeout_while" => nargs >= 2,
        "blocking_recv" | "blocking_lock" | "blocking_read" | "blocking_write" => nargs == 0,
        "blocking_send" => nargs == 1,
        _ => true,
    }
}

/// Where a waited-on expression starts.
enum Root {
    /// A lock call (`m.lock()`): the wait works on a temporary guard.
    Lock,
    /// A local or parameter.
    Ident(String),
}

/// The guard (or binding) an expression is, through unwraps, derefs and
/// borrows only.
fn guard_root(e: &Expr) -> Option<Root> {
    match e {
        Expr::Paren(p) => guard_root(&p.expr),
        Expr::Reference(r) => guard_root(&r.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => guard_root(&u.expr),
        Expr::Try(t) => guard_root(&t.expr),
        Expr::Await(a) => guard_root(&a.base),
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            if m.args.is_empty() && is_lock_method(&name) {
                Some(Root::Lock)
            } else if matches!(
                name.as_str(),
                "unwrap"
                    | "expect"
                    | "as_ref"
                    | "as_mut"
                    | "deref"
                    | "deref_mut"
                    | "borrow"
                    | "borrow_mut"
                    | "get_mut"
                    | "by_ref"
                    | "unwrap_or_else"
            ) {
                guard_root(&m.receiver)
            } else {
                None
            }
        }
        Expr::Path(p) => p.path.get_ident().map(|i| Root::Ident(i.to_string())),
        _ => None,
    }
}

/// What a method chain starts at (`exporter` in `exporter.export(n)`).
fn chain_root(e: &Expr) -> Option<Root> {
    match e {
        Expr::Paren(p) => chain_root(&p.expr),
        Expr::Reference(r) => chain_root(&r.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => chain_root(&u.expr),
        Expr::Try(t) => chain_root(&t.expr),
        Expr::Await(a) => chain_root(&a.base),
        Expr::Field(f) => chain_root(&f.base),
        Expr::MethodCall(m) => {
            if m.args.is_empty() && is_lock_method(&m.method.to_string()) {
                Some(Root::Lock)
            } else {
                chain_root(&m.receiver)
            }
        }
        Expr::Path(p) => p.path.get_ident().map(|i| Root::Ident(i.to_string())),
        _ => None,
    }
}

/// `Duration::from_millis(10)`, `std::time::Duration::ZERO`, a literal.
fn is_duration(e: &Expr) -> bool {
    match e {
        Expr::Call(c) => is_duration(&c.func),
        Expr::Path(p) => p.path.segments.iter().any(|s| s.ident == "Duration"),
        Expr::Lit(_) => true,
        _ => false,
    }
}

fn has_let(e: &Expr) -> bool {
    match e {
        Expr::Let(_) => true,
        Expr::Binary(b) => has_let(&b.left) || has_let(&b.right),
        Expr::Paren(p) => has_let(&p.expr),
        _ => false,
    }
}

/// Field paths named in an expression (for "is this take guarded").
fn mentioned_paths(e: &Expr) -> Vec<String> {
    struct V(Vec<String>);
    impl<'ast> Visit<'ast> for V {
        fn visit_expr_field(&mut self, f: &'ast syn::ExprField) {
            if let Some(p) = expr_path(&Expr::Field(f.clone())) {
                self.0.push(p);
            }
            visit::visit_expr_field(self, f);
        }
    }
    let mut v = V(Vec::new());
    v.visit_expr(e);
    v.0
}

fn empty_fn() -> FnModel {
    FnModel {
        name: String::new(),
        name_span: Span::default(),
        span: Span::default(),
        self_ty: None,
        self_ty_path: Vec::new(),
        trait_name: None,
        receiver: Receiver::None,
        takes_shared_ref: false,
        params: Vec::new(),
        is_pub: false,
        doc_panics: false,
        returns_value: false,
        scope: None,
        forgets_self: false,
        is_async: false,
        returns_self: false,
        allows: Vec::new(),
        close_read_only: None,
        mods: Vec::new(),
        is_test: false,
        returns_guard: None,
        param_uses: Vec::new(),
        param_types: Vec::new(),
        cell_borrows: Vec::new(),
        puts: Vec::new(),
        close_calls: Vec::new(),
        lock_contents: Vec::new(),
        frames: Vec::new(),
        blocks: Vec::new(),
        events: Vec::new(),
        locks: Default::default(),
    }
}

impl<'ast> Visit<'ast> for Walker<'_, '_, 'ast> {
    fn visit_item(&mut self, i: &'ast Item) {
        self.nested.push(i);
    }

    fn visit_block(&mut self, b: &'ast syn::Block) {
        let sp = self.ext(b);
        let saved_block = self.block;
        let saved_await = self.awaited;
        let (nl, na) = (self.lock_names.len(), self.aliases.len());
        self.awaited = false;
        self.enter_block(sp.start.byte, sp.end.byte);
        for s in &b.stmts {
            self.visit_stmt(s);
        }
        self.lock_names.truncate(nl);
        self.aliases.truncate(na);
        self.block = saved_block;
        self.awaited = saved_await;
    }

    fn visit_stmt(&mut self, s: &'ast Stmt) {
        let sp = self.ext(s);
        let saved = self.temp_end;
        let saved_test = self.in_test_stmt;
        self.temp_end = sp.end.byte;
        // `#[cfg(test)] let ..;`, `#[cfg(test)] { .. }`, `#[cfg(test)] f();`:
        // the statement exists only in test builds (nested items are walked
        // as items, with their own attributes).
        self.in_test_stmt |= stmt_attrs(s).is_some_and(is_test_attr);
        match s {
            Stmt::Local(l) => self.visit_local(l),
            Stmt::Macro(m) => {
                if !self.defer_macro(&m.mac, sp) {
                    self.other_macro(&m.mac);
                }
            }
            Stmt::Expr(e, _) => self.visit_expr(e),
            Stmt::Item(i) => self.nested.push(i),
        }
        self.temp_end = saved;
        self.in_test_stmt = saved_test;
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        let stmt = self.ext(l);
        let mut pat = &l.pat;
        while let Pat::Type(t) = pat {
            pat = &t.pat;
        }
        let binding = match pat {
            Pat::Ident(pi) => Some(Binding::Named(pi.ident.to_string())),
            Pat::Wild(_) => Some(Binding::Underscore),
            _ => None,
        };
        let pat_span = self.span(pat.span());
        super::locks::note_local(&mut self.m.locks, self.li, l, stmt.start.byte);
        let Some(init) = &l.init else { return };
        let mut handled = false;
        if let Some(b) = binding.clone() {
            handled = self.guard_local(&init.expr, b, stmt, pat_span);
        }
        let mut new_lock = None;
        if let Some(Binding::Named(name)) = &binding {
            if let Some(call) = as_lock_call(&init.expr) {
                self.named_lock = Some((call as *const _, name.clone()));
                let path = expr_path(&call.receiver).unwrap_or_else(|| "?".into());
                new_lock = Some((name.clone(), path));
                let at = self.span(call.method.span()).start.byte;
                self.m.lock_contents.push((at, name.clone()));
            }
            if let Expr::MethodCall(mc) = strip_unwrap(&init.expr) {
                if mc.args.is_empty() && (mc.method == "borrow_mut" || mc.method == "borrow") {
                    let at = self.span(mc.method.span()).start.byte;
                    let end = self.block_end();
                    self.m.cell_borrows.push((name.clone(), at, end));
                }
            }
        }
        if let Some(Binding::Named(name)) = &binding {
            if owned_value(&init.expr) {
                self.owned_locals.push(name.clone());
            }
            // `let t: T = ..`, `let t = T::new(..)`, `let t = T { .. }`.
            let ty = match &l.pat {
                Pat::Type(pt) => last_ident(&pt.ty),
                _ => built_type(&init.expr),
            };
            if let Some(t) = ty {
                self.local_types.push((name.clone(), t));
            }
        }
        let closure_frame = self.m.frames.len();
        let is_closure = closure_of(&init.expr).is_some();
        if !handled {
            self.moved_guard(&init.expr);
            self.visit_expr(&init.expr);
        }
        if let (Some(Binding::Named(name)), true) = (&binding, is_closure) {
            if self.m.frames.len() > closure_frame {
                self.let_closures.push((name.clone(), closure_frame));
            }
        }
        self.named_lock = None;
        if let (Some(Binding::Named(name)), Expr::MethodCall(mc)) = (&binding, &*init.expr) {
            if self.handed_on(&init.expr) {
                let pos = self.span(mc.method.span()).start.byte;
                self.future_lets.push((pos, name.clone()));
            }
        }
        if let Some(Binding::Named(name)) = &binding {
            let reads = self.reads(&init.expr);
            if let [one] = reads.as_slice() {
                if !one.claim {
                    self.aliases.push((name.clone(), one.clone()));
                }
            }
        }
        if let Some((_, diverge)) = &init.diverge {
            let reads = self.reads(&init.expr);
            if !reads.is_empty() || self.pat_is_closed(&l.pat) {
                let mut reads = reads;
                if reads.is_empty() {
                    reads.push(CloseRead {
                        kind: CloseReadKind::Variant("let-else".into()),
                        path: state_path(&init.expr).map(|p| p.0),
                        via_lock: false,
                        claim: false,
                        span: pat_span,
                    });
                }
                let end = self.block_end();
                self.push(
                    stmt.start.byte,
                    EventKind::Check(ClosedCheck {
                        span: self.ext(&*init.expr),
                        stmt,
                        reads,
                        leaves: true,
                        by_break: !returns_expr(diverge),
                        open: vec![(stmt.end.byte, end)],
                    }),
                );
            }
            // `let Some(x) = &self.slot else { return };`: past it the slot is
            // `Some`, so a later take of it cannot see `None`.
            if leaves_expr(diverge) || returns_expr(diverge) {
                self.exit_paths.extend(mentioned_paths(&init.expr));
            }
            self.visit_expr(diverge);
        }
        if let Some(l) = new_lock {
            self.lock_names.push(l);
        }
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        let tail = self.tail.is_some_and(|t| std::ptr::eq(t, e));
        if tail && self.frame == 0 {
            // The fn's value: a guard built here is handed to the caller.
            match e {
                Expr::Call(c) if c.args.len() == 1 && is_ok_or_some(&c.func) => {
                    self.tail = Some(&c.args[0] as *const Expr);
                }
                Expr::Call(_) | Expr::Struct(_) | Expr::MethodCall(_) => {
                    let sp = self.ext(e);
                    if self.guard_local(e, Binding::Returned, sp, sp) {
                        return;
                    }
                }
                _ => {}
            }
        }
        match e {
            Expr::If(i) => self.if_expr(i, tail),
            // A plain `while` condition's temporaries drop before the body runs.
            Expr::While(w) if !has_let(&w.cond) => {
                let saved = self.temp_end;
                self.temp_end = self.ext(&*w.cond).end.byte;
                self.visit_expr(&w.cond);
                self.temp_end = saved;
                let n = self.m.blocks.len();
                self.visit_block(&w.body);
                self.mark_loop_body(n, &w.body);
            }
            Expr::Match(m) => self.match_expr(m, tail),
            Expr::Block(b) if tail => {
                if let Some(Stmt::Expr(last, None)) = b.block.stmts.last() {
                    self.tail = Some(last as *const Expr);
                }
                self.visit_block(&b.block);
            }
            Expr::Macro(m) => {
                let sp = self.ext(m);
                if !self.defer_macro(&m.mac, sp) {
                    self.other_macro(&m.mac);
                }
            }
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        // A closure runs when it is called: inline only when handed to
        // something that calls it at once (`args`) or called here later.
        let at = self
            .closure_modes
            .iter()
            .rposition(|(p, _)| std::ptr::eq(*p, c));
        let mode = match at {
            Some(i) => self.closure_modes.remove(i).1,
            None => Mode::Deferred,
        };
        self.closure(c, mode);
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        let n = self.m.blocks.len();
        visit::visit_expr_loop(self, l);
        self.mark_loop_body(n, &l.body);
    }

    fn visit_expr_while(&mut self, l: &'ast syn::ExprWhile) {
        let n = self.m.blocks.len();
        visit::visit_expr_while(self, l);
        self.mark_loop_body(n, &l.body);
    }

    fn visit_expr_for_loop(&mut self, l: &'ast syn::ExprForLoop) {
        let n = self.m.blocks.len();
        // `for w in self.workers.iter_mut()` / `for w in &mut self.workers`:
        // `w.thread` is a place inside the field, `self.workers[].thread`.
        let alias = match (&*l.pat, borrowed_elements(&l.expr)) {
            (Pat::Ident(pi), Some(base)) => Some((pi.ident.to_string(), format!("{base}[]"))),
            _ => None,
        };
        let na = self.loop_aliases.len();
        self.loop_aliases.extend(alias);
        if let (Pat::Ident(pi), true) = (&*l.pat, moves_elements(&l.expr)) {
            self.owned_locals.push(pi.ident.to_string());
        }
        visit::visit_expr_for_loop(self, l);
        self.loop_aliases.truncate(na);
        self.mark_loop_body(n, &l.body);
    }

    fn visit_expr_struct(&mut self, st: &'ast syn::ExprStruct) {
        for f in &st.fields {
            self.moved_guard(&f.expr);
        }
        visit::visit_expr_struct(self, st);
    }

    fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
        let parent = self.frame;
        let id = self.new_frame(parent, FrameKind::AsyncBlock, true, None);
        let saved = (self.frame, self.awaited);
        self.frame = id;
        self.visit_block(&a.block);
        (self.frame, self.awaited) = saved;
    }

    fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
        if let Some(name) = arg_ident(&a.base) {
            self.awaited_names.push(name);
        }
        let saved = self.awaited;
        self.awaited = true;
        self.visit_expr(&a.base);
        self.awaited = saved;
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let awaited = self.awaited;
        let name = m.method.to_string();
        let nargs = m.args.len();
        let span = self.span(m.method.span());
        let pos = span.start.byte;
        let end = self.ext(m).end.byte;
        super::locks::note_call(&mut self.m.locks, pos, end, expr_path(&m.receiver));
        let mut receiver: &'ast Expr = &m.receiver;

        // `x.take().unwrap().join()`: what the taken value is used for.
        let mut consumer = None;
        if let Expr::MethodCall(u) = &*m.receiver {
            if u.method == "unwrap" || u.method == "expect" {
                if let Expr::MethodCall(t) = &*u.receiver {
                    if t.method == "take" && t.args.is_empty() {
                        consumer = Some(self.span(t.method.span()).start.byte);
                    }
                }
            }
        }
        // `core.shutdown()` on something other than `self`.
        if !is_self(&m.receiver) && self.vocab.is_close_path(&name) {
            let owned = arg_ident(&m.receiver).is_some_and(|r| {
                matches!(&*m.receiver, Expr::Path(_)) && self.owned_locals.contains(&r)
            });
            self.m.close_calls.push((name.clone(), owned));
        }
        if (name == "unwrap" || name == "expect") && !awaited {
            if let Expr::MethodCall(inner) = &*m.receiver {
                if inner.method == "take" && inner.args.is_empty() {
                    self.take(inner, true);
                    receiver = &inner.receiver;
                }
            }
        } else if name == "take" && nargs == 0 {
            self.take(m, false);
        }

        // A Condvar is handed a guard, never a `Duration`: `.wait(Duration::..)`
        // is a builder step (tokio-test's mock I/O), not a wait.
        let duration_arg = name == "wait" && nargs == 1 && is_duration(&m.args[0]);
        // `self.wait()` is this crate's own method (the impl's type), never
        // a std one: the index resolves it like any other `self.m()`.
        // `t.wait()` where `t`'s type is one this file implements `wait`
        // for (a builder, a timerfd): that method, resolved by the index.
        // The receiver's type, when known: a parameter or local of a declared
        // or built type, or a constructor call (`T::new(..).wait()`).
        let recv_ty = arg_ident(&m.receiver)
            .filter(|_| matches!(&*m.receiver, Expr::Path(_)))
            .and_then(|r| {
                self.local_types
                    .iter()
                    .rev()
                    .find(|(n, _)| *n == r)
                    .map(|(_, t)| t.clone())
            })
            .or_else(|| built_type(&m.receiver));
        let own_method = recv_ty.clone().filter(|t| {
            self.impl_methods
                .iter()
                .any(|(ty, mm)| ty == t && *mm == name)
        });
        if let Some(ty) = own_method.filter(|_| self.vocab.is_wait_method(&name, nargs)) {
            self.push(
                pos,
                EventKind::Call(CallRef {
                    target: CallTarget::TypeFn(ty, name.clone()),
                    span,
                    awaited,
                }),
            );
        } else if self.vocab.is_wait_method(&name, nargs)
            && !duration_arg
            && wait_arity(&name, nargs)
            && !is_self(&m.receiver)
        {
            let arg_idents = m.args.iter().filter_map(arg_ident).collect();
            let always_blocking = self.vocab.is_always_blocking(&name);
            let (operand, operand_idents) = self.operand(Some(&m.receiver), &m.args);
            self.push(
                pos,
                EventKind::Wait(WaitCall {
                    name: name.clone(),
                    span,
                    awaited,
                    arg_idents,
                    always_blocking,
                    operand,
                    operand_idents,
                    recv_ty,
                }),
            );
        } else if is_self(&m.receiver) {
            self.push(
                pos,
                EventKind::Call(CallRef {
                    target: CallTarget::SelfMethod(name.clone()),
                    span,
                    awaited,
                }),
            );
        }

        if nargs == 0 && is_lock_method(&name) {
            let path = expr_path(&m.receiver).unwrap_or_else(|| "?".into());
            let named = self
                .named_lock
                .as_ref()
                .filter(|(p, _)| std::ptr::eq(*p, m))
                .map(|(_, n)| n.clone());
            let live_end = if named.is_some() {
                self.block_end()
            } else {
                self.temp_end
            };
            self.push(
                pos,
                EventKind::Lock(LockAcq {
                    path,
                    span,
                    binding: named,
                    kind: super::locks::LockKind::of(&name),
                    live_end,
                }),
            );
        }

        if name == "store" && nargs >= 1 {
            if let Some(path) = expr_path(&m.receiver) {
                let close_field = self.vocab.close_state_fields.contains(last_field(&path));
                let close_value = match &m.args[0] {
                    Expr::Path(p) => p
                        .path
                        .segments
                        .last()
                        .is_some_and(|s| self.vocab.is_close_variant(&s.ident.to_string())),
                    _ => false,
                };
                if close_field || close_value {
                    let whole = self.ext(m);
                    self.push(
                        pos,
                        EventKind::Write(FlagWrite {
                            path,
                            span: whole,
                            via_lock: false,
                            via_guard: None,
                        }),
                    );
                }
            }
        }

        let callee = self.callee_of_method(&name, &m.receiver);
        self.awaited = awaited;
        self.visit_expr(receiver);
        if let Some(at) = consumer {
            for e in self.m.events.iter_mut().rev() {
                if let EventKind::Take(t) = &mut e.kind {
                    if t.span.start.byte == at {
                        t.consumed_by = Some(name.clone());
                        break;
                    }
                }
            }
        }
        self.args(&m.args, awaited, &callee);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        let awaited = self.awaited;
        let mut callee = Callee::Unknown;
        if let Expr::Path(p) = &*c.func {
            let written = segments(&p.path);
            // Names resolve through the file's `use` imports and aliases.
            let segs = self.resolve_path(&written);
            let n = segs.len();
            let last = segs[n - 1].as_str();
            let prev = if n >= 2 { segs[n - 2].as_str() } else { "" };
            let span = self.ext(p);
            let pos = span.start.byte;
            let end = self.ext(c).end.byte;
            super::locks::note_call(&mut self.m.locks, pos, end, None);
            if let [name] = written.as_slice() {
                // `f()` of a parameter or a local closure: it runs here.
                self.handed_local(name, Mode::Inline);
            }
            if self.is_offload(last) {
                callee = Callee::Offload;
            } else if RUNS_CLOSURE_NOW.contains(&last) {
                callee = Callee::Inline;
            }
            let is_sleep = last == SLEEP && self.is_thread_sleep(&written, &segs);
            if (self.vocab.wait_functions.contains(last) && !c.args.is_empty()) || is_sleep {
                let (operand, operand_idents) = self.operand(None, &c.args);
                self.push(
                    pos,
                    EventKind::Wait(WaitCall {
                        name: written.join("::"),
                        span,
                        awaited,
                        arg_idents: Vec::new(),
                        always_blocking: true,
                        operand,
                        operand_idents,
                        recv_ty: None,
                    }),
                );
            } else if ((last == "drop" || last == "forget") && (n == 1 || prev == "mem"))
                || (last == "into_inner" && prev == "ScopeGuard")
            {
                if last == "forget" && c.args.first().is_some_and(is_self) {
                    self.m.forgets_self = true;
                }
                if let Some(name) = c.args.first().and_then(arg_ident) {
                    self.push(pos, EventKind::Drop { name });
                }
            } else if !last.chars().next().is_some_and(|ch| ch.is_uppercase()) {
                let target = if n == 1 {
                    Some(CallTarget::Free(last.to_string()))
                } else if prev == "Self" {
                    self.m
                        .self_ty
                        .clone()
                        .map(|t| CallTarget::TypeFn(t, last.to_string()))
                } else if prev.chars().next().is_some_and(|ch| ch.is_uppercase()) {
                    if prev == "ManuallyDrop" && c.args.first().is_some_and(is_self) {
                        self.m.forgets_self = true;
                    }
                    // The type as resolved (`crate::a::Pool` for an alias
                    // `APool`): the index tells same-named types apart.
                    Some(CallTarget::TypeFn(
                        segs[..n - 1].join("::"),
                        last.to_string(),
                    ))
                } else if matches!(segs[0].as_str(), "std" | "core" | "alloc") {
                    None
                } else if matches!(prev, "crate" | "self" | "super") {
                    Some(CallTarget::Free(last.to_string()))
                } else {
                    // `module::f()`: the index resolves it only to an `f` of a
                    // module so named (`tokio::spawn` is not the crate's `spawn`).
                    Some(CallTarget::Free(format!("{prev}::{last}")))
                };
                if let Some(target) = target {
                    if matches!(callee, Callee::Unknown) {
                        callee = Callee::Crate(target.clone());
                    }
                    self.push(
                        pos,
                        EventKind::Call(CallRef {
                            target,
                            span,
                            awaited,
                        }),
                    );
                }
            }
        } else {
            if let Expr::Paren(pe) = &*c.func {
                if let Expr::Closure(cl) = &*pe.expr {
                    // `(|| ..)()`: called on the spot.
                    self.closure_modes.push((cl as *const _, Mode::Inline));
                }
            }
            self.visit_expr(&c.func);
        }
        self.args(&c.args, awaited, &callee);
    }

    fn visit_expr_try(&mut self, t: &'ast syn::ExprTry) {
        if let Expr::MethodCall(m) = &*t.expr {
            let name = m.method.to_string();
            if self.vocab.ensure_open_methods.contains(&name) {
                let span = self.ext(t);
                let read = CloseRead {
                    kind: CloseReadKind::EnsureOpen(name),
                    path: None,
                    via_lock: false,
                    claim: false,
                    span,
                };
                let open = vec![(self.temp_end, self.block_end())];
                self.push(
                    span.start.byte,
                    EventKind::Check(ClosedCheck {
                        span,
                        stmt: span,
                        reads: vec![read],
                        leaves: true,
                        by_break: false,
                        open,
                    }),
                );
            }
        }
        visit::visit_expr_try(self, t);
    }

    fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
        if matches!(&*a.left, Expr::Infer(_)) {
            // `_ = guard(..);` drops at once, like `let _ = guard(..);`.
            let (stmt, pat) = (self.ext(a), self.ext(&*a.left));
            if self.guard_local(&a.right, Binding::Underscore, stmt, pat) {
                return;
            }
        }
        let target = match &*a.left {
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                let guard = arg_ident(&u.expr)
                    .and_then(|g| self.lock_names.iter().rev().find(|(n, _)| *n == g).cloned());
                match guard {
                    Some((g, lock)) => Some((lock, false, Some(g))),
                    None => state_path(&u.expr).map(|(p, l)| (p, l, None)),
                }
            }
            other => expr_path(other).map(|p| (p, false, None)),
        };
        if let Some(p) = expr_path(&a.left).filter(|p| p.contains('.')) {
            let at = self.ext(a).start.byte;
            self.m.puts.push((p, at));
        }
        // `self.g = g;`: a guard stored elsewhere no longer drops here.
        self.moved_guard(&a.right);
        if let Some((path, via_lock, via_guard)) = target {
            let close_field = self.vocab.close_state_fields.contains(last_field(&path));
            let close_value = matches!(&*a.right, Expr::Path(p)
                if p.path.segments.last().is_some_and(|s| self.vocab.is_close_variant(&s.ident.to_string())));
            if (close_field || close_value) && path.contains('.')
                || via_guard.is_some() && close_field
            {
                let span = self.ext(a);
                self.push(
                    span.start.byte,
                    EventKind::Write(FlagWrite {
                        path,
                        span,
                        via_lock,
                        via_guard,
                    }),
                );
            }
        }
        let events_before = self.m.events.len();
        visit::visit_expr_assign(self, a);
        // `g = cv.wait(g).unwrap()`: the guard handed over comes back under
        // the same name, so it was never given up.
        if let Some(g) = arg_ident(&a.left).filter(|g| self.lock_names.iter().any(|(n, _)| n == g))
        {
            let mut i = events_before;
            while i < self.m.events.len() {
                if matches!(&self.m.events[i].kind, EventKind::Drop { name } if *name == g) {
                    self.m.events.remove(i);
                } else {
                    i += 1;
                }
            }
        }
    }
}

impl<'a, 'v, 'ast> Walker<'a, 'v, 'ast> {
    /// Call arguments: guards passed by value are moved, futures handed on
    /// are awaited by the callee, closures of offload calls run elsewhere.
    fn args(
        &mut self,
        args: &'ast syn::punctuated::Punctuated<Expr, syn::Token![,]>,
        awaited: bool,
        callee: &Callee,
    ) {
        for (i, a) in args.iter().enumerate() {
            self.moved_guard(a);
            self.awaited = awaited || self.handed_on(a);
            let mode = match callee {
                Callee::Offload => Mode::Offload,
                Callee::Inline => Mode::Inline,
                Callee::Crate(t) => Mode::Handed(t.clone(), i),
                Callee::Unknown => Mode::Deferred,
            };
            if let Some(c) = closure_of(a) {
                self.closure_modes.push((c as *const _, mode.clone()));
            } else if let Some(name) = arg_ident(a) {
                self.handed_local(&name, mode);
            }
            self.visit_expr(a);
        }
        self.awaited = awaited;
    }

    /// A path as written, with its first segment replaced by what a `use`
    /// of the file imports under that name (`nap` -> std::thread::sleep).
    fn resolve_path(&self, written: &[String]) -> Vec<String> {
        let Some(first) = written.first() else {
            return Vec::new();
        };
        if matches!(first.as_str(), "crate" | "self" | "super" | "Self") {
            return written.to_vec();
        }
        match self.uses.iter().find(|(n, _)| n == first) {
            Some((_, full)) if !full.is_empty() => {
                let mut out = full.clone();
                out.extend(written[1..].iter().cloned());
                out
            }
            _ => written.to_vec(),
        }
    }

    /// Is this call `std::thread::sleep`: written `thread::sleep` (with
    /// `thread` not imported from elsewhere), or a name imported from it
    /// (`use std::thread::sleep as nap;`, `use std::thread::*;`)?
    fn is_thread_sleep(&self, written: &[String], resolved: &[String]) -> bool {
        let std_root = |s: &str| matches!(s, "std" | "core");
        match resolved {
            [root, t, _] if std_root(root) && t == SLEEP_MODULE => true,
            [t, _] if t == SLEEP_MODULE => written.len() == 2,
            [_] => self.uses.iter().any(|(n, full)| {
                n == "*" && matches!(full.as_slice(), [r, t] if std_root(r) && t == SLEEP_MODULE)
            }),
            _ => false,
        }
    }

    /// The byte range and root identifiers of a call's receiver and arguments.
    fn operand(
        &self,
        receiver: Option<&Expr>,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
    ) -> ((u32, u32), Vec<String>) {
        let mut idents = Vec::new();
        let mut range: Option<(u32, u32)> = None;
        let mut add = |w: &Self, e: &Expr, root: Option<Root>, idents: &mut Vec<String>| match root
        {
            Some(Root::Lock) => {
                let sp = w.ext(e);
                range = Some(match range {
                    None => (sp.start.byte, sp.end.byte),
                    Some((a, b)) => (a.min(sp.start.byte), b.max(sp.end.byte)),
                });
            }
            Some(Root::Ident(n)) => idents.push(n),
            None => {}
        };
        match receiver {
            // A method wait works on its receiver: the guard itself
            // (`rx.lock().unwrap().recv()`, `rx.recv()` on a guard binding),
            // not a value moved out of it (`g.take().unwrap().join()`).
            Some(r) => {
                add(self, r, guard_root(r), &mut idents);
                idents.extend(args.iter().filter_map(arg_ident));
            }
            // `block_on(exporter.export(..))`: the future is built from
            // what the argument's method chain starts at.
            None => {
                for a in args {
                    add(self, a, chain_root(a), &mut idents);
                }
            }
        }
        (range.unwrap_or((0, 0)), idents)
    }

    /// `match self.exporter.lock() { Ok(exporter) => .. }`: what the
    /// patterns bind is the guard itself (a wait on it waits on the lock's
    /// own contents).
    fn scrutinee_contents<'p>(&mut self, scrut: &Expr, pats: impl Iterator<Item = &'p Pat>) {
        let Some(call) = as_lock_call(scrut) else {
            return;
        };
        let at = self.span(call.method.span()).start.byte;
        for p in pats {
            for name in pat_idents(p) {
                self.m.lock_contents.push((at, name));
            }
        }
    }

    /// A parameter or local closure handed on (`thread::spawn(f)`,
    /// `opt.map(f)`) or called (`f()`).
    fn handed_local(&mut self, name: &str, mode: Mode) {
        if let Some(pos) = self
            .param_names
            .iter()
            .position(|p| p.as_deref() == Some(name))
        {
            let usage = match mode {
                Mode::Inline => Some(ParamUse::Called),
                Mode::Offload => Some(ParamUse::Offloaded),
                _ => None,
            };
            if let Some(u) = usage {
                if !self.m.param_uses.contains(&(pos, u)) {
                    self.m.param_uses.push((pos, u));
                }
            }
        }
        if self.let_closures.iter().any(|(n, _)| n == name) {
            self.called_locals.push((name.to_string(), mode));
        }
    }

    /// What a call does with the closures it is handed.
    fn callee_of_method(&self, name: &str, receiver: &Expr) -> Callee {
        if self.is_offload(name) {
            Callee::Offload
        } else if RUNS_CLOSURE_NOW.contains(&name) {
            Callee::Inline
        } else if is_self(receiver) {
            Callee::Crate(CallTarget::SelfMethod(name.to_string()))
        } else {
            Callee::Unknown
        }
    }

    /// A function whose closure argument runs on another thread: the
    /// vocabulary's offload functions, and any `spawn`-named function
    /// (`named_spawn`, `spawn_blocking_at`, `Builder::spawn`).
    fn is_offload(&self, name: &str) -> bool {
        self.vocab.offload_functions.contains(name) || name.split('_').any(|p| p == "spawn")
    }

    /// A named lock guard passed by value (`cv.wait_timeout(m, d)`,
    /// `let g2 = g;`) is moved: its lock is no longer held under that name.
    ///
    /// A wait guard moved the same way (`install(mgr, guard)`, `S { g }`,
    /// `self.g = g`) no longer drops here: its wait runs wherever it went.
    fn moved_guard(&mut self, a: &Expr) {
        if let Expr::Path(p) = a {
            if let Some(id) = p.path.get_ident() {
                let name = id.to_string();
                if self.lock_names.iter().any(|(n, _)| *n == name)
                    || self.guard_names.contains(&name)
                {
                    let pos = self.span(id.span()).start.byte;
                    self.push(pos, EventKind::Drop { name });
                }
            }
        }
    }

    /// Walks syntax that lives shorter than the file (parsed macro bodies)
    /// with a walker that takes over all of this one's state.
    fn sub<'x>(&mut self, f: impl FnOnce(&mut Walker<'a, 'v, 'x>)) {
        let mut w = Walker {
            vocab: self.vocab,
            li: self.li,
            uses: self.uses,
            impl_methods: self.impl_methods,
            local_types: std::mem::take(&mut self.local_types),
            param_names: std::mem::take(&mut self.param_names),
            closure_modes: Vec::new(),
            let_closures: std::mem::take(&mut self.let_closures),
            called_locals: std::mem::take(&mut self.called_locals),
            guard_names: std::mem::take(&mut self.guard_names),
            own_async: std::mem::take(&mut self.own_async),
            loop_aliases: std::mem::take(&mut self.loop_aliases),
            owned_locals: std::mem::take(&mut self.owned_locals),
            m: std::mem::replace(&mut self.m, empty_fn()),
            frame: self.frame,
            block: self.block,
            temp_end: self.temp_end,
            awaited: self.awaited,
            named_lock: None,
            lock_names: std::mem::take(&mut self.lock_names),
            aliases: std::mem::take(&mut self.aliases),
            cond_paths: std::mem::take(&mut self.cond_paths),
            exit_paths: std::mem::take(&mut self.exit_paths),
            tail: None,
            nested: Vec::new(),
            future_lets: std::mem::take(&mut self.future_lets),
            awaited_names: std::mem::take(&mut self.awaited_names),
            in_test_stmt: self.in_test_stmt,
        };
        f(&mut w);
        self.param_names = w.param_names;
        self.local_types = w.local_types;
        self.let_closures = w.let_closures;
        self.called_locals = w.called_locals;
        self.guard_names = w.guard_names;
        self.own_async = w.own_async;
        self.loop_aliases = w.loop_aliases;
        self.owned_locals = w.owned_locals;
        self.future_lets = w.future_lets;
        self.awaited_names = w.awaited_names;
        self.m = w.m;
        self.frame = w.frame;
        self.block = w.block;
        self.lock_names = w.lock_names;
        self.aliases = w.aliases;
        self.cond_paths = w.cond_paths;
        self.exit_paths = w.exit_paths;
    }

    fn take(&mut self, m: &syn::ExprMethodCall, unwrapped: bool) {
        let Some(mut path) = take_path(&m.receiver) else {
            return;
        };
        let root = path.split(['.', ':']).next().unwrap_or("").to_string();
        if let Some((_, base)) = self.loop_aliases.iter().rev().find(|(n, _)| *n == root) {
            path = format!("{base}{}", &path[root.len()..]);
        }
        let guarded = self
            .cond_paths
            .iter()
            .chain(&self.exit_paths)
            .any(|p| *p == path);
        let span = self.span(m.method.span());
        let stmt = self.li.span_bytes(span.start.byte, self.temp_end);
        self.push(
            span.start.byte,
            EventKind::Take(Take {
                path,
                span,
                unwrapped,
                consumed_by: None,
                guarded,
                stmt,
            }),
        );
    }
}

#[cfg(test)]
mod cfg_tests {
    use super::{is_test_attr, scan_allow_comments};

    #[test]
    fn allow_comments_are_comments() {
        let text = "fn f() {\r\n    let s = \"// synclint:allow(a)\";\r\n    g(); // synclint:allow(b, synclint::c) why\r\n    /* synclint:allow(d) */\n    // synclint:allow(e)\n}\n";
        let got = scan_allow_comments(text);
        let want: Vec<(u32, Vec<String>)> =
            vec![(3, vec!["b".into(), "c".into()]), (5, vec!["e".into()])];
        assert_eq!(got, want);
    }

    fn attr(src: &str) -> Vec<syn::Attribute> {
        let item: syn::ItemFn = syn::parse_str(&format!("{src} fn f() {{}}")).unwrap();
        item.attrs
    }

    #[test]
    fn cfg_predicates_that_require_test() {
        for yes in [
            "#[test]",
            "#[tokio::test]",
            "#[cfg(test)]",
            "#[cfg(all(test, not(loom)))]",
            "#[cfg(any(test, all(test, unix)))]",
        ] {
            assert!(is_test_attr(&attr(yes)), "{yes}");
        }
        for no in [
            "#[cfg(not(test))]",
            "#[cfg(not(any(test, feature = \"x\")))]",
            "#[cfg(any(test, feature = \"x\"))]",
            "#[cfg(unix)]",
            "#[inline]",
        ] {
            assert!(!is_test_attr(&attr(no)), "{no}");
        }
    }
}

//! The per-token vocabulary facts of one file: where the direct waits,
//! scopeguard calls, close-state words, flag writes, takes, locks,
//! `let _ =` and condvar waits are (token positions, ascending), and the
//! receivers of locks and takes (for demand).

use super::scan::Src;
use super::{
    name_hash, HMap, Prefilter, CONDVAR_WAIT, C_FIELD, C_METHOD, C_WORD, LOCK, SCOPEGUARD,
};
use super::{W_ALWAYS, W_ANY, W_NOARGS};
use crate::lex::T;
use crate::model::locks::LockKind;
use crate::vocab::{SLEEP, SLEEP_MODULE};

/// Positional facts, one list of token positions per kind (see `bit`).
pub(super) const F_WAIT: usize = 0;
pub(super) const F_GUARD: usize = 1;
pub(super) const F_CLOSE: usize = 2;
pub(super) const F_FLAG_WRITE: usize = 3;
pub(super) const F_TAKE_UNWRAP: usize = 4;
pub(super) const F_LOCK: usize = 5;
pub(super) const F_LET_UNDERSCORE: usize = 6;
pub(super) const F_CONDVAR: usize = 7;
pub(super) const POSITIONAL: usize = 8;
/// Not positional: the function's own name (set per function).
pub(super) const F_CLOSE_PATH_NAME: usize = 8;
/// Not positional: two lock acquisitions the lock-order lints can count
/// (`counted_lock`) in the range, the second where the first one's guard
/// may be alive (`guard_reach`) (set per function; an edge of the
/// lock-order graph needs two).
pub(super) const F_LOCK2: usize = 9;
/// Not positional: one such acquisition in the range (set per function;
/// an edge through a call needs one; `F_LOCK` also holds then).
pub(super) const F_LOCK_COUNTED: usize = 10;

/// Facts counted from a function's body `{` rather than its `fn` keyword
/// (what the model's events can hold; a default argument has none).
pub(super) const FROM_BODY: [bool; POSITIONAL] = {
    let mut v = [false; POSITIONAL];
    v[F_WAIT] = true;
    v[F_GUARD] = true;
    v
};

#[derive(Default)]
pub(super) struct Positions {
    pub at: [Vec<usize>; POSITIONAL],
    /// Identifiers a closed check may resolve through the index: `self.m`
    /// and close-state methods (`x.is_closed()`).
    pub plain: Vec<usize>,
    /// The identifier right before `.lock()`-like calls / `.take()`
    /// (hashes), and whether some receiver is not an identifier.
    pub lock_recv: Vec<u64>,
    pub lock_wild: bool,
    /// The lock acquisitions the lock-order lints can count (token
    /// positions, a subset of `at[F_LOCK]`): see `counted_lock`.
    pub lock_edge: Vec<usize>,
    /// Per `lock_edge` entry, the names its lock may end in (`lock_tails`).
    pub edge_tails: Vec<Vec<u64>>,
    pub take_recv: Vec<u64>,
    pub take_wild: bool,
    pub take_call: bool,
    pub is_async: bool,
    /// Names declared by `struct`/`enum`/`union`/`type`/`static`/`const`
    /// (hashes): lock identity reads these declarations.
    pub decls: Vec<u64>,
    /// The token of each of `decls`.
    pub decl_at: Vec<usize>,
    /// Every `a as b` of two identifiers, by its `as` token (`use` renames,
    /// and casts).
    pub renames: Vec<usize>,
    /// Names of the modules declared in the file (`mod m;`, `mod m {..}`).
    pub mods: Vec<u64>,
}

impl Prefilter {
    /// One pass over the identifiers (and `=`) of a file.
    pub(super) fn facts(&self, s: &Src) -> Positions {
        let toks = &s.toks;
        let n = toks.len();
        let mut p = Positions::default();
        let has_variant = self.has_variants;
        let min_variant = self.min_variant;
        let variant =
            |w: &[u8]| -> bool { has_variant && w.len() >= min_variant && self.is_variant(w) };
        let flags = |k: usize| -> u16 {
            if k < n && toks[k].kind == T::Ident {
                self.word_flags(s.id(k))
            } else {
                0
            }
        };
        // `use std::thread::sleep as nap;`: the alias is the wait word too
        // (the model resolves `use` aliases).
        for k in 1..n.saturating_sub(1) {
            let t = toks[k];
            if t.end - t.start == 2
                && s.is_id(k, b"as")
                && toks[k - 1].kind == T::Ident
                && toks[k + 1].kind == T::Ident
            {
                p.renames.push(k);
            }
        }
        let aliases: Vec<(&[u8], u16)> = p
            .renames
            .iter()
            .map(|&k| (s.id(k + 1), self.word_flags(s.id(k - 1))))
            .filter(|(_, f)| *f != 0)
            .collect();
        // A receiver identifier that is not a field or a path segment.
        let bare = |r: usize| r == 0 || !(s.is_p(r - 1, b'.') || toks[r - 1].kind == T::PathSep);
        // Bare locals before `.lock()`-like calls and `.take()`: the places
        // they may alias are receivers too (`alias_fields`).
        let mut lock_alias: Vec<u64> = Vec::new();
        let mut take_alias: Vec<u64> = Vec::new();
        // Counted acquisitions (index into `edge_tails`) on a bare local.
        let mut edge_alias: Vec<(usize, u64)> = Vec::new();
        let recv_of = |k: usize| -> Option<u64> {
            (k >= 2 && toks[k - 2].kind == T::Ident).then(|| name_hash(s.id(k - 2)))
        };
        for k in 0..n {
            let t = toks[k];
            // `x = Path::Closed`: a flag write when a close variant is assigned.
            if t.kind == T::Punct(b'=') && has_variant && self.path_is_variant(s, k + 1) {
                p.at[F_FLAG_WRITE].push(k);
            }
            if t.kind != T::Ident {
                continue;
            }
            let w = s.id(k);
            let fl = self.word_flags(w)
                | aliases
                    .iter()
                    .filter(|(a, _)| *a == w)
                    .fold(0, |f, (_, g)| f | g);
            let after_dot = k > 0 && s.is_p(k - 1, b'.');
            let self_recv = after_dot && k >= 2 && s.is_id(k - 2, b"self");
            // Names a closed check may resolve through the index: `self.m()`
            // and the close-state methods (`x.is_closed()`).
            if self_recv || fl & C_METHOD != 0 {
                p.plain.push(k);
            }
            if fl & C_WORD != 0 || variant(w) {
                p.at[F_CLOSE].push(k);
            }
            // Direct waits.
            let call = s.is_p(k + 1, b'(') || (k + 1 < n && toks[k + 1].kind == T::PathSep);
            // `sleep` waits only as `thread::sleep(..)` or a bare `sleep(..)`
            // (`tokio::time::sleep` is a future, `x.sleep()` a method).
            let other_sleep = w == SLEEP.as_bytes()
                && k >= 1
                && (s.is_p(k - 1, b'.')
                    || (toks[k - 1].kind == T::PathSep
                        && !(k >= 2 && s.is_id(k - 2, SLEEP_MODULE.as_bytes()))));
            if call && fl & W_ANY != 0 && !other_sleep {
                let awaited = fl & W_ALWAYS == 0 && {
                    let close = if s.is_p(k + 1, b'(') {
                        s.close_of(k + 1)
                    } else {
                        k
                    };
                    s.is_p(close + 1, b'.') && s.is_id(close + 2, b"await")
                };
                if !awaited {
                    p.at[F_WAIT].push(k);
                }
            }
            if fl & W_NOARGS != 0
                && s.is_p(k + 1, b'(')
                && s.is_p(k + 2, b')')
                && !(s.is_p(k + 3, b'.') && s.is_id(k + 4, b"await"))
                && p.at[F_WAIT].last() != Some(&k)
            {
                p.at[F_WAIT].push(k);
            }
            // `guard(..)`, `defer! {..}`: a call of the scopeguard vocabulary
            // (a variable named `guard` is not one).
            if fl & SCOPEGUARD != 0 && (s.is_p(k + 1, b'(') || s.is_p(k + 1, b'!')) {
                p.at[F_GUARD].push(k);
            }
            if fl & CONDVAR_WAIT != 0 && after_dot && s.is_p(k + 1, b'(') {
                p.at[F_CONDVAR].push(k);
            }
            match w {
                b"async" => p.is_async = true,
                b"struct" | b"enum" | b"union" | b"type" | b"static" | b"const"
                    if k + 1 < n && toks[k + 1].kind == T::Ident =>
                {
                    let d = if s.id(k + 1) == b"mut" { k + 2 } else { k + 1 };
                    if d < n && toks[d].kind == T::Ident {
                        p.decls.push(name_hash(s.id(d)));
                        p.decl_at.push(d);
                    }
                }
                b"mod" if k + 1 < n && toks[k + 1].kind == T::Ident => {
                    p.mods.push(name_hash(s.id(k + 1)));
                }
                b"let" if k + 1 < n && toks[k + 1].kind == T::Ident && s.id(k + 1) == b"_" => {
                    p.at[F_LET_UNDERSCORE].push(k);
                }
                b"_" if s.is_p(k + 1, b'=') => p.at[F_LET_UNDERSCORE].push(k),
                b"take" if after_dot && s.is_p(k + 1, b'(') && s.is_p(k + 2, b')') => {
                    p.take_call = true;
                    match recv_of(k) {
                        Some(h) => {
                            p.take_recv.push(h);
                            // `for w in self.workers.iter_mut() { w.take() }`:
                            // the model takes the place `w` stands for.
                            if bare(k - 2) {
                                take_alias.push(h);
                            }
                        }
                        None => p.take_wild = true,
                    }
                    if s.is_p(k + 3, b'.')
                        && (s.is_id(k + 4, b"unwrap") || s.is_id(k + 4, b"expect"))
                    {
                        p.at[F_TAKE_UNWRAP].push(k);
                    }
                }
                b"store" if s.is_p(k + 1, b'(') => {
                    // `flag.store(..)` on a close field, or storing a Closed path.
                    let field = k >= 2
                        && s.is_p(k - 1, b'.')
                        && toks[k - 2].kind == T::Ident
                        && flags(k - 2) & C_FIELD != 0;
                    if field || (has_variant && self.path_is_variant(s, k + 2)) {
                        p.at[F_FLAG_WRITE].push(k);
                    }
                }
                _ => {}
            }
            if after_dot && fl & LOCK != 0 && s.is_p(k + 1, b'(') && s.is_p(k + 2, b')') {
                p.at[F_LOCK].push(k);
                if counted_lock(s, k) {
                    p.lock_edge.push(k);
                    let (tail, bare) = lock_tail(s, k);
                    p.edge_tails.push(vec![tail]);
                    if let Some(h) = bare {
                        edge_alias.push((p.edge_tails.len() - 1, h));
                    }
                }
                match recv_of(k) {
                    Some(h) => {
                        p.lock_recv.push(h);
                        // `let m = &c.inner; m.lock()`: a bare local may be
                        // an alias of a place (the model's `Decl::Alias`),
                        // whose lock is the place's.
                        if bare(k - 2) {
                            lock_alias.push(h);
                        }
                    }
                    None => p.lock_wild = true,
                }
                // `*self.closed.lock().. = true`: a write through a lock on a close field.
                if k >= 2 && flags(k - 2) & C_FIELD != 0 {
                    p.at[F_FLAG_WRITE].push(k);
                }
            }
            // `self.closed = ..`.
            if s.is_p(k + 1, b'=') && after_dot && fl & C_FIELD != 0 {
                p.at[F_FLAG_WRITE].push(k);
            }
        }
        p.at[F_FLAG_WRITE].sort_unstable();
        p.at[F_FLAG_WRITE].dedup();
        if !lock_alias.is_empty() || !take_alias.is_empty() || !edge_alias.is_empty() {
            let aliases = alias_fields(s);
            for (names, out) in [
                (&lock_alias, &mut p.lock_recv),
                (&take_alias, &mut p.take_recv),
            ] {
                for h in names {
                    out.extend(aliases.get(h).into_iter().flatten().copied());
                }
            }
            // A bare local's lock is the lock of the place it may alias.
            for &(i, h) in &edge_alias {
                let tails = &mut p.edge_tails[i];
                tails.extend(aliases.get(&h).into_iter().flatten().copied());
                tails.sort_unstable();
                tails.dedup();
            }
        }
        for v in [&mut p.lock_recv, &mut p.take_recv] {
            v.sort_unstable();
            v.dedup();
        }
        p
    }

    /// Is the path starting at token `k` (`a::b::C`, `::a::C`) one whose
    /// last segment names a closed state?
    pub(super) fn path_is_variant(&self, s: &Src, mut k: usize) -> bool {
        let toks = &s.toks;
        // A global path (`::proto::State::Closed`): the model takes any path.
        if k < toks.len() && toks[k].kind == T::PathSep {
            k += 1;
        }
        let mut last = None;
        while k < toks.len() && toks[k].kind == T::Ident {
            last = Some(s.id(k));
            if k + 1 < toks.len() && toks[k + 1].kind == T::PathSep {
                k += 2;
            } else {
                break;
            }
        }
        last.is_some_and(|l| self.is_variant(l))
    }
}

/// Can the lock call `.m()` at token `k` be an acquisition that
/// `double_lock` and `lock_order_inversion` count? Only a `LockKind` that
/// is not `Other` (no `try_lock`, `try_read`, `upgradable_read`), on a
/// receiver the model names by a path (`model::path::expr_path`: names,
/// fields, tuple fields, `(..)`, `&`, `*`, `as_ref()`-like calls) that is
/// not `self` itself (a method of the impl's own type). A superset: every
/// receiver it cannot rule out counts.
fn counted_lock(s: &Src, k: usize) -> bool {
    let kind = std::str::from_utf8(s.id(k)).map_or(LockKind::Other, LockKind::of);
    if kind == LockKind::Other {
        return false;
    }
    let toks = s.toks;
    // `k - 1` is the `.`; `r` ends the receiver.
    let Some(r) = k.checked_sub(2) else {
        return true;
    };
    let after_path_dot =
        |i: usize| i >= 1 && matches!(toks[i - 1].kind, T::Punct(b'.') | T::PathSep);
    match toks[r].kind {
        // `self.lock()`, `*self.lock()`: the receiver is `self`.
        T::Ident => s.id(r) != b"self" || after_path_dot(r),
        // `self.0.lock()`: a tuple field; another literal is no path.
        T::Lit => after_path_dot(r),
        // `v[i].lock()`, `x?.lock()`, `{ .. }.lock()`: no path.
        T::Punct(b']' | b'?' | b'}') => false,
        T::Punct(b')') => {
            // The matching `(`: a call's result is no path, except an
            // `as_ref()`-like call without arguments.
            let Some(o) = paren_open(s, r) else {
                return true;
            };
            let callee = |i: usize| toks[i].kind == T::Ident && !NOT_CALLEE.contains(&s.id(i));
            match o.checked_sub(1) {
                // `m!(..)`: a macro.
                Some(c) if c >= 1 && s.is_p(c, b'!') && callee(c - 1) => false,
                Some(c) if callee(c) => {
                    o + 1 == r && after_path_dot(c) && PATH_CALLS.contains(&s.id(c))
                }
                _ => true,
            }
        }
        _ => true,
    }
}

/// Stands for a lock whose name the tokens do not tell: it may be any lock.
pub(super) const TAIL_ANY: u64 = u64::MAX - 1;

/// The names the lock of the counted acquisition `.m()` at token `k` may
/// end in: the last name of the path the model identifies the lock by
/// (`Index::lock_ref`: owner type plus field path, a static, a local), read
/// off the receiver (`self.inner.state.lock()` -> `state`, `FOO.lock()` ->
/// `FOO`, `(*self.m).lock()` and `self.m.as_ref().lock()` -> `m`); for a
/// bare local, the names of the places it may alias are added later
/// (`alias_fields`). `TAIL_ANY` when the tokens do not tell (a tuple field).
fn lock_tail(s: &Src, k: usize) -> (u64, Option<u64>) {
    match k.checked_sub(2).and_then(|r| tail_ident(s, r)) {
        Some(i) => {
            let h = name_hash(s.id(i));
            let bare = !(i >= 1 && (s.is_p(i - 1, b'.') || s.toks[i - 1].kind == T::PathSep));
            (h, bare.then_some(h))
        }
        None => (TAIL_ANY, None),
    }
}

/// The `(` matching the `)` at token `r` (none when unbalanced).
fn paren_open(s: &Src, r: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut o = r;
    loop {
        match s.toks[o].kind {
            T::Punct(b')') => depth += 1,
            T::Punct(b'(') => {
                depth -= 1;
                if depth == 0 {
                    return Some(o);
                }
            }
            _ => {}
        }
        o = o.checked_sub(1)?;
    }
}

/// The identifier ending the path of the receiver that ends at token `r`,
/// looking through parentheses, `*`/`&` inside them and the calls
/// `expr_path` looks through (`PATH_CALLS`).
fn tail_ident(s: &Src, mut r: usize) -> Option<usize> {
    let toks = s.toks;
    for _ in 0..16 {
        match toks[r].kind {
            T::Ident => return Some(r),
            T::Punct(b')') => {
                let o = paren_open(s, r)?;
                let callee = |c: usize| toks[c].kind == T::Ident && !NOT_CALLEE.contains(&s.id(c));
                match o.checked_sub(1) {
                    // `x.as_ref()`: the path of `x`.
                    Some(c)
                        if o + 1 == r
                            && c >= 2
                            && callee(c)
                            && s.is_p(c - 1, b'.')
                            && PATH_CALLS.contains(&s.id(c)) =>
                    {
                        r = c - 2
                    }
                    // `(x)`, `(*x)`, `(&x)`: the path of `x`.
                    Some(c) if r > o + 1 && !callee(c) => r -= 1,
                    None if r > o + 1 => r -= 1,
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    None
}

/// Keywords a parenthesised expression may follow (`if (x).lock()..`).
const NOT_CALLEE: &[&[u8]] = &[
    b"if", b"while", b"match", b"return", b"in", b"break", b"else", b"yield", b"as", b"mut",
    b"ref", b"move", b"let", b"for", b"await", b"loop", b"unsafe", b"async", b"dyn", b"impl",
    b"where", b"box",
];

/// Calls without arguments `expr_path` looks through.
const PATH_CALLS: &[&[u8]] = &[
    b"as_ref",
    b"as_mut",
    b"deref",
    b"get_ref",
    b"as_deref",
    b"inner",
];

/// For every token closing a bracket group, the token opening it
/// (`u32::MAX` if none, or if two openers claim it: unbalanced input).
pub(super) fn openers(s: &Src) -> Vec<u32> {
    let toks = s.toks;
    let mut open_of = vec![u32::MAX; toks.len()];
    let mut claimed = vec![false; toks.len()];
    for (o, t) in toks.iter().enumerate() {
        let want = match t.kind {
            T::Punct(b'(') => b')',
            T::Punct(b'[') => b']',
            T::Punct(b'{') => b'}',
            _ => continue,
        };
        let c = s.close_of(o);
        if c != o && toks[c].kind == T::Punct(want) {
            open_of[c] = if claimed[c] { u32::MAX } else { o as u32 };
            claimed[c] = true;
        }
    }
    open_of
}

/// The last token at which the guard of the lock call at `k` can still be
/// alive, as the model sees it (`model::build`: a guard bound by `let`
/// lives to the end of its block, a temporary to the end of its
/// statement), or `usize::MAX` when the tokens do not tell. A superset:
/// the block is the innermost `{` group that is surely a block (a function
/// body, or after `)`, `;`, `=`, `=>`, `|`, `else`, ...; not a struct
/// literal), the statement ends at the first `;` directly in it after `k`,
/// and any `let` before `k` in the statement counts as a binding.
pub(super) fn guard_reach(
    s: &Src,
    open_of: &[u32],
    is_fn_body: impl Fn(usize) -> bool,
    k: usize,
) -> usize {
    const ANY: usize = usize::MAX;
    let toks = s.toks;
    // The block, and the group directly in it that holds `k` (or `k`).
    let mut child = k;
    let block = loop {
        let mut j = child;
        let opener = loop {
            if j == 0 {
                return ANY;
            }
            j -= 1;
            match toks[j].kind {
                T::Punct(b')' | b']' | b'}') => match open_of[j] {
                    u32::MAX => return ANY,
                    o => j = o as usize,
                },
                T::Punct(b'(' | b'[' | b'{') => break j,
                _ => {}
            }
        };
        if s.is_p(opener, b'{') && is_block(s, opener, &is_fn_body) {
            break opener;
        }
        child = opener;
    };
    let end = s.close_of(block);
    // A `let` statement: the guard may be bound.
    let mut j = child;
    loop {
        j -= 1;
        if j == block || stmt_ends_at(s, j) {
            break;
        }
        match toks[j].kind {
            T::Punct(b';') => break,
            T::Punct(b')' | b']' | b'}') => match open_of[j] {
                u32::MAX => return ANY,
                o => j = o as usize,
            },
            T::Punct(b'(' | b'[' | b'{') => return ANY,
            T::Ident if s.id(j) == b"let" => {
                // `if let` / `while let` starting its statement: the
                // scrutinee's temporaries live through the body and the
                // `else` chain (edition 2021), not to the block's end.
                let starts = j >= 2
                    && (s.is_id(j - 1, b"if") || s.is_id(j - 1, b"while"))
                    && (j - 2 == block || s.is_p(j - 2, b';') || stmt_ends_at(s, j - 2));
                return if starts { chain_end(s, j, end) } else { end };
            }
            _ => {}
        }
    }
    // A temporary: to the end of its statement at most.
    let mut j = if child == k {
        k + 1
    } else {
        s.close_of(child) + 1
    };
    while j < end {
        match toks[j].kind {
            T::Punct(b'(' | b'[') => j = s.close_of(j) + 1,
            T::Punct(b'{') => {
                j = s.close_of(j);
                if stmt_ends_at(s, j) {
                    return j;
                }
                j += 1;
            }
            T::Punct(b';') => return j,
            _ => j += 1,
        }
    }
    end
}

/// Does a statement end at the `}` at `j` (a statement-level block-like
/// expression: `if`/`match`/`loop`/.. bodies, a macro's braces)? Then an
/// identifier follows it that no expression continues with (not `else`,
/// not `as`): the next statement's first token. A struct literal, a block
/// inside an expression, a closure body are followed by `.`, `?`, `)`,
/// `,`, an operator or `;` instead.
fn stmt_ends_at(s: &Src, j: usize) -> bool {
    s.is_p(j, b'}')
        && j + 1 < s.toks.len()
        && s.toks[j + 1].kind == T::Ident
        && !matches!(s.id(j + 1), b"else" | b"as")
}

/// The `}` ending the `if let` / `while let` whose `let` is at `l`: its
/// body, then every `else` branch. `end` (the block's end) when the tokens
/// do not show it.
fn chain_end(s: &Src, l: usize, end: usize) -> usize {
    let mut j = l + 1;
    while j < end {
        match s.toks[j].kind {
            T::Punct(b'(' | b'[') => j = s.close_of(j) + 1,
            T::Punct(b'{') => {
                let c = s.close_of(j);
                if c >= end {
                    return end;
                }
                // A brace group the scrutinee holds (a `match` body, a
                // block) goes on with `{`, `.`, `?`, an operator; the body
                // with `else`, or the statement ends.
                if s.is_id(c + 1, b"else") {
                    j = c + 2;
                } else if stmt_ends_at(s, c)
                    || c + 1 == s.toks.len()
                    || s.is_p(c + 1, b';')
                    || s.is_p(c + 1, b'}')
                {
                    return c;
                } else {
                    j = c + 1;
                }
            }
            T::Punct(b';') => return end,
            _ => j += 1,
        }
    }
    end
}

/// Is the `{` at `o` surely a block (statements inside), not a struct
/// literal, a `match` body or a macro's braces? A function body, or after
/// a token no path ends with.
fn is_block(s: &Src, o: usize, is_fn_body: impl Fn(usize) -> bool) -> bool {
    if is_fn_body(o) {
        return true;
    }
    let Some(p) = o.checked_sub(1) else {
        return false;
    };
    match s.toks[p].kind {
        T::Punct(b')' | b';' | b'{' | b'}' | b'=' | b',' | b'|' | b'(' | b'[') | T::OpEq => true,
        T::Ident => matches!(
            s.id(p),
            b"else" | b"loop" | b"unsafe" | b"async" | b"move" | b"try" | b"const"
        ),
        _ => false,
    }
}

/// What each local may be an alias of, as the model resolves one
/// (`Decl::Alias` of a `let`, a `for` binding over a place): by the local's
/// name, every identifier of the initializer of `let [mut] x = ..;` and of
/// the iterable of `for .. x .. in ..` (hashes), a superset of the place's
/// field names.
fn alias_fields(s: &Src) -> HMap<u64, Vec<u64>> {
    let toks = s.toks;
    let n = toks.len();
    // The identifiers from `from` up to a `;` (or, with `to_brace`, a `{`)
    // outside brackets, or the end of the enclosing bracket.
    let idents = |from: usize, to_brace: bool| -> Vec<u64> {
        let mut out = Vec::new();
        let mut depth = 0i32;
        for (j, t) in toks.iter().enumerate().skip(from) {
            match t.kind {
                T::Punct(b'{') if to_brace && depth == 0 => break,
                T::Punct(b'(' | b'[' | b'{') => depth += 1,
                T::Punct(b')' | b']' | b'}') => {
                    depth -= 1;
                    if depth < 0 {
                        break;
                    }
                }
                T::Punct(b';') if depth == 0 => break,
                T::Ident => out.push(name_hash(s.id(j))),
                _ => {}
            }
        }
        out
    };
    let mut map: HMap<u64, Vec<u64>> = HMap::default();
    for k in 0..n {
        if s.is_id(k, b"let") {
            let mut q = k + 1;
            if s.is_id(q, b"mut") {
                q += 1;
            }
            if q < n && toks[q].kind == T::Ident && s.is_p(q + 1, b'=') {
                let v = idents(q + 2, false);
                map.entry(name_hash(s.id(q))).or_default().extend(v);
            }
        } else if s.is_id(k, b"for") {
            // The pattern, up to `in` (not an `impl .. for T {` nor `for<'a>`).
            for j in k + 1..n {
                if s.is_id(j, b"in") {
                    let v = idents(j + 1, true);
                    for b in (k + 1..j).filter(|&b| toks[b].kind == T::Ident) {
                        map.entry(name_hash(s.id(b)))
                            .or_default()
                            .extend(v.iter().copied());
                    }
                    break;
                }
                if matches!(toks[j].kind, T::Punct(b'{' | b';' | b'<')) {
                    break;
                }
            }
        }
    }
    map
}

//! The prefilter: which files of a package must be parsed so that the
//! findings are exactly those of parsing every file.
//!
//! Parsing with syn dominates a run; a light lexical scan (tokens only: no
//! syntax tree) tells which files can matter. It is demand-driven:
//!
//! 1. Every file is scanned once: its functions (name, token range, the
//!    names each mentions in call-like positions, whether it makes a direct
//!    wait call, reads close vocabulary, locks, takes, ...), `impl Drop for
//!    T` types, async and test regions.
//! 2. Per package, a name-level fixpoint over-approximates the functions
//!    that may wait (`may_wait`): a direct wait, or a mention of a name that
//!    may wait (a function, or a type whose `Drop` may wait). Names are
//!    hashed; a collision only adds files (never loses one).
//! 3. Candidates: requested files with one function whose range holds a
//!    necessary condition of some enabled lint (below), and the close-state
//!    methods their closed checks may call. Only these are parsed first.
//! 4. The rules run on what is parsed; what they asked the index
//!    (`Index::demand`), followed through the parsed functions
//!    (`Index::reach`), names the files that could answer differently: the
//!    may-wait definitions of the calls reached and the `Drop` impls and
//!    constructors of the guard types reached; other definitions of a free
//!    function answered "waits" (a cfg stub vetoes it); other acquisitions
//!    of a lock held across a wait; other takes of a field a `Drop` takes;
//!    other `self.m()` callers of a private close. Those are parsed and the
//!    rules run again, until nothing more is demanded.
//!
//! Every condition is a superset of what the model recognises (see
//! `model::build`), built from `Vocab`, so the vocabulary has one source of
//! truth; `lint/tests/prefilter.rs` and `bench/run` check identity.

use crate::config::Config;
use crate::diag::Level;
use crate::index::{Demand, Reach};
use crate::model::FileModel;
use crate::vocab::Vocab;
use aho_corasick::AhoCorasick;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counters for `SYNCLINT_STATS=1` (files per reason; a file may count twice).
pub static STATS: [AtomicUsize; 8] = [const { AtomicUsize::new(0) }; 8];
pub const STAT_NAMES: [&str; 8] = ["l1", "l2", "l3", "l4", "l5", "l6", "close-defs", "demanded"];
fn stat(i: usize, on: bool) {
    if on {
        STATS[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// Hash of an identifier (FNV-1a). Collisions only over-approximate.
pub fn name_hash(s: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &b in s {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Key of a method `T::m` (also `*::m`: any type's `m`).
fn method_key(ty: &[u8], m: &[u8]) -> u64 {
    let mut h = name_hash(ty);
    for &b in b"::".iter().chain(m) {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// A hasher for keys that are already hashes.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);
impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x100000001b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
type IdBuild = std::hash::BuildHasherDefault<IdHasher>;
type HMap<K, V> = HashMap<K, V, IdBuild>;
type HSet<K> = HashSet<K, IdBuild>;

// Vocabulary flags of an identifier (looked up by its hash: one lookup per token).
const W_ANY: u8 = 1;
const W_ALWAYS: u8 = 2;
const W_NOARGS: u8 = 4;
const C_WORD: u8 = 8;
const C_METHOD: u8 = 16;
const C_FIELD: u8 = 32;
const SCOPEGUARD: u8 = 64;

/// Which lints are enabled (the order of `rules::LINTS`).
#[derive(Clone, Copy, Debug, Default)]
struct Enabled {
    deferred: bool,
    check_set: bool,
    take: bool,
    async_wait: bool,
    lock_wait: bool,
    dropped: bool,
    /// Lock-guard lifetime lints (see `LockTriggers`).
    double_lock: bool,
    lock_order: bool,
    condvar: bool,
    /// A lint this prefilter has no trigger for: parse everything.
    unknown: bool,
}

pub struct Prefilter {
    /// Lowercase substrings naming a closed state.
    variants: Vec<String>,
    /// Wait, close-state and scopeguard words, by identifier hash.
    words: HMap<u64, u8>,
    /// Bit `len.min(63)` of `word_shape[first byte]`: some word has that
    /// first byte and length (most identifiers are rejected without hashing).
    word_shape: [u64; 256],
    /// Variants by their first byte (lowercase), for the substring test.
    variant_first: [bool; 256],
    /// The first three bytes of every variant, lowercased (`| 0x20`).
    variant_tri: Vec<u32>,
    /// Finds any close path in a name.
    close_path_ac: Option<AhoCorasick>,
    /// Some variant is shorter than three bytes: no three-byte filter.
    variant_short: bool,
    /// Some (non-empty) close variant is configured.
    has_variants: bool,
    /// The shortest variant's length.
    min_variant: usize,
    vocab: Vocab,
    enabled: Enabled,
}

/// One function found by the lexer.
#[derive(Debug)]
struct LexFn {
    /// `T::m` for a method of a named type (close-state method lookups).
    close_key: Option<u64>,
    /// Calls a scopeguard constructor or `defer!` (may build a wait guard).
    scopeguard: bool,
    /// Keys a call can reach it by: `m` (free), `T::m` and `*::m` (method).
    keys: Vec<u64>,
    /// `Some(T)` for `fn drop` in `impl Drop for T`.
    drop_for: Option<u64>,
    direct_wait: bool,
    close_vocab: bool,
    /// Sorted, deduplicated.
    mentions: Vec<u64>,
    /// A lock-like call in its range, outside test code (lint 5).
    lock_call: bool,
    /// In its range: `let _ =` / `_ =` (lint 6), `.take().unwrap()` (lint 3),
    /// a write the model could take for a close-flag write (lint 2).
    let_underscore: bool,
    take_unwrap: bool,
    flag_write: bool,
    /// Named `drop` or a close path (lint 3).
    close_path: bool,
    /// Lock-guard lifetime lints: lock-like calls in its range outside test
    /// code, and a Condvar-shaped `.wait(..)`/`.wait_timeout(..)`.
    lock_calls: u32,
    /// `read()`/`write()`-like acquisitions (RwLock only).
    rw_calls: u32,
    cv_wait: bool,
    /// Mention keys after its first acquisition (a call under a guard comes
    /// after the acquisition), sorted, deduplicated.
    acq_mentions: Vec<u64>,
}

/// What the lexer learned about one file.
#[derive(Debug, Default)]
pub struct FileScan {
    fns: Vec<LexFn>,
    /// Every mention key in the file (sorted, deduplicated).
    mentions: Vec<u64>,
    /// Close-state method keys a closed check may resolve through the index
    /// (`T::m` for `self.m()` and `x.is_closed()` inside `impl T`).
    plain: Vec<u64>,
    /// The identifier right before `.lock()`-like calls / `.take()`
    /// (hashes), and whether some receiver is not an identifier.
    lock_recv: Vec<u64>,
    lock_wild: bool,
    take_recv: Vec<u64>,
    take_wild: bool,
    /// Types with an `impl` block in this file.
    impls: Vec<u64>,
    direct_wait: bool,
    /// Close-state vocabulary (any position).
    close_vocab: bool,
    scopeguard: bool,
    is_async: bool,
    /// A direct wait inside async code (not test code).
    async_wait: bool,
    /// Mention keys inside async code (not test code), sorted, deduplicated.
    async_mentions: Vec<u64>,
    lock_call: bool,
    take_call: bool,
    take_unwrap: bool,
    let_underscore: bool,
    close_path_fn: bool,
    /// A write the model could take for a close-flag write (lint 2).
    flag_write: bool,
    /// An identifier containing `RwLock` (a declaration may make `read()`
    /// and `write()` acquisitions).
    rwlock: bool,
    /// Names declared by `struct`/`enum`/`union`/`type`/`static`/`const`
    /// (hashes): the lock lints' identity reads these declarations.
    decls: Vec<u64>,
}

impl FileScan {
    /// Functions with a body found in the file.
    pub fn fn_count(&self) -> usize {
        self.fns.len()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum T {
    Ident,
    Punct(u8),
    /// `::`
    PathSep,
    /// `==`, `=>`, `<=`, `>=`, `!=`, `+=`, ... (not a plain `=`)
    OpEq,
    /// `->`
    Arrow,
    Lit,
    Lifetime,
}

#[derive(Clone, Copy)]
struct Tok {
    kind: T,
    start: u32,
    end: u32,
}

/// Byte classes: bit 1 starts an identifier, bit 2 continues one.
const IDENT: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 {
            t[i] |= 3;
        } else if b.is_ascii_digit() {
            t[i] |= 2;
        }
        i += 1;
    }
    t
};

fn is_ident_start(b: u8) -> bool {
    IDENT[b as usize] & 1 != 0
}
fn is_ident_char(b: u8) -> bool {
    IDENT[b as usize] & 2 != 0
}

/// Tokens of Rust source, skipping comments and whitespace. Never fails:
/// anything odd becomes a punct token.
#[inline(never)]
fn tokenize(b: &[u8]) -> Vec<Tok> {
    let mut out = Vec::with_capacity(b.len() / 3 + 16);
    let mut i = 0usize;
    let n = b.len();
    let push = |out: &mut Vec<Tok>, kind, s: usize, e: usize| {
        out.push(Tok {
            kind,
            start: s as u32,
            end: e as u32,
        })
    };
    while i < n {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            // Runs of spaces (indentation), eight bytes at a time.
            while i + 8 <= n {
                let w = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"))
                    ^ 0x2020_2020_2020_2020;
                if w != 0 {
                    i += (w.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            continue;
        }
        if c == b'/' && i + 1 < n && b[i + 1] == b'/' {
            i = memchr::memchr(b'\n', &b[i..]).map_or(n, |j| i + j);
            continue;
        }
        if c == b'/' && i + 1 < n && b[i + 1] == b'*' {
            let mut depth = 1;
            i += 2;
            while i < n && depth > 0 {
                if b[i] == b'/' && i + 1 < n && b[i + 1] == b'*' {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && i + 1 < n && b[i + 1] == b'/' {
                    depth -= 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            continue;
        }
        // Raw strings: r"..", r#".."#, br#".."#, cr#".."#.
        if (c == b'r' || ((c == b'b' || c == b'c') && i + 1 < n && b[i + 1] == b'r')) && {
            let j = if c == b'r' { i + 1 } else { i + 2 };
            let mut k = j;
            while k < n && b[k] == b'#' {
                k += 1;
            }
            k < n && b[k] == b'"' && (k > j || b[j] == b'"')
        } {
            let s = i;
            let mut j = if c == b'r' { i + 1 } else { i + 2 };
            let mut hashes = 0;
            while b[j] == b'#' {
                hashes += 1;
                j += 1;
            }
            j += 1; // the opening quote
            while j < n {
                if b[j] == b'"' && b[j + 1..].iter().take_while(|&&h| h == b'#').count() >= hashes {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j.min(n);
            push(&mut out, T::Lit, s, i);
            continue;
        }
        // Strings: "..", b"..", c"..".
        if c == b'"' || ((c == b'b' || c == b'c') && i + 1 < n && b[i + 1] == b'"') {
            let s = i;
            i += if c == b'"' { 1 } else { 2 };
            while i < n {
                match memchr::memchr2(b'"', b'\\', &b[i..]) {
                    Some(j) if b[i + j] == b'"' => {
                        i += j;
                        break;
                    }
                    Some(j) => i += j + 2,
                    None => i = n,
                }
            }
            i = (i + 1).min(n);
            push(&mut out, T::Lit, s, i);
            continue;
        }
        // Chars and lifetimes: 'a', '\n', b'x', 'a (lifetime).
        if c == b'\'' || (c == b'b' && i + 1 < n && b[i + 1] == b'\'') {
            let s = i;
            let q = if c == b'\'' { i } else { i + 1 };
            if q + 1 < n && b[q + 1] == b'\\' {
                let mut j = q + 2;
                while j < n && b[j] != b'\'' && b[j] != b'\n' {
                    j += 1;
                }
                i = (j + 1).min(n);
                push(&mut out, T::Lit, s, i);
                continue;
            }
            // One (possibly multi-byte) char then a quote: a char literal.
            if q + 1 < n {
                let len = match b[q + 1] {
                    x if x < 0x80 => 1,
                    x if x >= 0xf0 => 4,
                    x if x >= 0xe0 => 3,
                    _ => 2,
                };
                if q + 1 + len < n && b[q + 1 + len] == b'\'' {
                    i = q + 2 + len;
                    push(&mut out, T::Lit, s, i);
                    continue;
                }
            }
            // A lifetime or label.
            let mut j = q + 1;
            while j < n && is_ident_char(b[j]) {
                j += 1;
            }
            i = j.max(q + 1);
            push(&mut out, T::Lifetime, s, i);
            continue;
        }
        if c == b'r' && i + 2 < n && b[i + 1] == b'#' && is_ident_start(b[i + 2]) {
            // Raw identifier: the token is the name without `r#`.
            let s = i + 2;
            let mut j = s;
            while j < n && is_ident_char(b[j]) {
                j += 1;
            }
            push(&mut out, T::Ident, s, j);
            i = j;
            continue;
        }
        if is_ident_start(c) {
            let s = i;
            while i < n && is_ident_char(b[i]) {
                i += 1;
            }
            push(&mut out, T::Ident, s, i);
            continue;
        }
        if c.is_ascii_digit() {
            let s = i;
            while i < n
                && (is_ident_char(b[i]) || (b[i] == b'.' && i + 1 < n && b[i + 1].is_ascii_digit()))
            {
                i += 1;
            }
            push(&mut out, T::Lit, s, i);
            continue;
        }
        let next = if i + 1 < n { b[i + 1] } else { 0 };
        match (c, next) {
            (b':', b':') => {
                push(&mut out, T::PathSep, i, i + 2);
                i += 2;
            }
            (b'-', b'>') => {
                push(&mut out, T::Arrow, i, i + 2);
                i += 2;
            }
            (b'=', b'=') | (b'=', b'>') => {
                push(&mut out, T::OpEq, i, i + 2);
                i += 2;
            }
            (b'<' | b'>' | b'!' | b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'&' | b'|', b'=') => {
                push(&mut out, T::OpEq, i, i + 2);
                i += 2;
            }
            _ => {
                push(&mut out, T::Punct(c), i, i + 1);
                i += 1;
            }
        }
    }
    out
}

/// For every opening bracket, the index of the token closing it (or the
/// last token): one pass with a stack per bracket kind, which is what
/// counting the depth of that kind alone (`close_of`) gives.
#[cfg(test)]
fn matching(toks: &[Tok]) -> Vec<u32> {
    brackets(toks, &[]).close
}

/// For each position (ascending), the innermost of the properly nested
/// `(start, end)` spans (in source order) that encloses it: one stack walk.
fn innermost(spans: &[(usize, usize)], at: impl Iterator<Item = usize>) -> Vec<Option<usize>> {
    let mut out = Vec::new();
    let mut st: Vec<usize> = Vec::new();
    let mut next = 0;
    for k in at {
        while next < spans.len() && spans[next].0 < k {
            while st.last().is_some_and(|&i| spans[i].1 < spans[next].0) {
                st.pop();
            }
            st.push(next);
            next += 1;
        }
        while st.last().is_some_and(|&i| spans[i].1 < k) {
            st.pop();
        }
        out.push(st.last().copied());
    }
    out
}

/// A function qualifier (`async`, `unsafe`, `const`, `extern`, `default`)
/// or an ABI string.
fn is_qualifier(toks: &[Tok], b: &[u8], k: usize) -> bool {
    let t = toks[k];
    t.kind == T::Lit
        || (t.kind == T::Ident
            && matches!(
                &b[t.start as usize..t.end as usize],
                b"async" | b"unsafe" | b"const" | b"extern" | b"default"
            ))
}

/// One pass over the tokens: bracket matching, async blocks/closures and
/// outer attributes (for `regions`).
struct Brackets {
    /// For every opening bracket, the closing token (see `matching`).
    close: Vec<u32>,
    /// `async` (not `async fn`) to the closer of the group around it, any
    /// bracket kind (or the last token).
    async_blocks: Vec<(usize, usize)>,
    /// Positions of `#` followed by `[`.
    attrs: Vec<usize>,
}

/// For every opening bracket, the index of the token closing it (or the
/// last token): one pass with a stack per bracket kind, which is what
/// counting the depth of that kind alone (`close_of`) gives. With the
/// source (`b` non-empty) it also finds async blocks and attributes.
fn brackets(toks: &[Tok], b: &[u8]) -> Brackets {
    let n = toks.len();
    let mut m = vec![u32::MAX; n];
    let mut stacks: [Vec<u32>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let mut depth = 0usize;
    let mut pending: Vec<(usize, usize)> = Vec::new(); // (async token, depth)
    let mut async_blocks = Vec::new();
    let mut attrs = Vec::new();
    let id = |k: usize| &b[toks[k].start as usize..toks[k].end as usize];
    let qualifier = |k: usize| is_qualifier(toks, b, k);
    for (k, t) in toks.iter().enumerate() {
        match t.kind {
            T::Punct(c @ (b'(' | b'[' | b'{')) => {
                let i = match c {
                    b'(' => 0,
                    b'[' => 1,
                    _ => 2,
                };
                stacks[i].push(k as u32);
                depth += 1;
            }
            T::Punct(c @ (b')' | b']' | b'}')) => {
                let i = match c {
                    b')' => 0,
                    b']' => 1,
                    _ => 2,
                };
                if let Some(o) = stacks[i].pop() {
                    m[o as usize] = k as u32;
                }
                if depth > 0 {
                    while let Some(&(s, _)) = pending.last().filter(|p| p.1 == depth) {
                        async_blocks.push((s, k));
                        pending.pop();
                    }
                    depth -= 1;
                }
            }
            T::Punct(b'#')
                if !b.is_empty() && toks.get(k + 1).is_some_and(|x| x.kind == T::Punct(b'[')) =>
            {
                attrs.push(k);
            }
            T::Ident
                if !b.is_empty()
                    && t.end - t.start == 5
                    && b[t.start as usize] == b'a'
                    && id(k) == b"async" =>
            {
                let mut j = k + 1;
                while j < n && qualifier(j) {
                    j += 1;
                }
                let is_fn = j < n && toks[j].kind == T::Ident && id(j) == b"fn";
                if !is_fn {
                    pending.push((k, depth));
                }
            }
            _ => {}
        }
    }
    let last = n.saturating_sub(1) as u32;
    for s in stacks {
        for o in s {
            m[o as usize] = last;
        }
    }
    for (s, _) in pending {
        async_blocks.push((s, n.saturating_sub(1)));
    }
    Brackets {
        close: m,
        async_blocks,
        attrs,
    }
}

/// The index of the token closing the group opened at `open` (or the end).
#[cfg(test)]
fn close_of(toks: &[Tok], open: usize, o: u8, c: u8) -> usize {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(open) {
        if t.kind == T::Punct(o) {
            depth += 1;
        } else if t.kind == T::Punct(c) {
            depth -= 1;
            if depth == 0 {
                return k;
            }
        }
    }
    toks.len().saturating_sub(1)
}

impl Prefilter {
    pub fn new(config: &Config) -> Prefilter {
        let v = &config.vocab;
        let bytes = |s: &String| s.as_bytes().to_vec();
        let mut wait_any: HashSet<Vec<u8>> = v.wait_methods.iter().map(bytes).collect();
        wait_any.extend(v.wait_functions.iter().map(bytes));
        wait_any.extend(v.blocking_methods.iter().map(bytes));
        wait_any.insert(b"sleep".to_vec());
        let mut always_blocking: HashSet<Vec<u8>> = v.blocking_methods.iter().map(bytes).collect();
        always_blocking.extend(v.wait_functions.iter().map(bytes));
        always_blocking.insert(b"block_on".to_vec());
        always_blocking.insert(b"sleep".to_vec());
        let close_methods: HashSet<Vec<u8>> = v.close_state_methods.iter().map(bytes).collect();
        let close_fields: HashSet<Vec<u8>> = v.close_state_fields.iter().map(bytes).collect();
        let mut close_words = close_methods.clone();
        close_words.extend(close_fields.iter().cloned());
        close_words.extend(v.ensure_open_methods.iter().map(bytes));
        let mut enabled = Enabled::default();
        for (lint, level) in &config.levels {
            let on = *level != Level::Allow;
            match lint.name {
                "deferred_wait_before_closed_check" => enabled.deferred |= on,
                "closed_flag_check_then_set" => enabled.check_set |= on,
                "non_idempotent_close" => enabled.take |= on,
                "blocking_wait_in_async" => enabled.async_wait |= on,
                "wait_while_holding_lock" => enabled.lock_wait |= on,
                "wait_guard_dropped_immediately" => enabled.dropped |= on,
                "double_lock" => enabled.double_lock |= on,
                "lock_order_inversion" => enabled.lock_order |= on,
                "condvar_wait_without_loop" => enabled.condvar |= on,
                // A lint this prefilter has no trigger for: parse every file.
                _ => enabled.unknown |= on,
            }
        }
        let mut words: HMap<u64, u8> = HMap::default();
        let mut flag = |set: &HashSet<Vec<u8>>, f: u8| {
            for w in set {
                *words.entry(name_hash(w)).or_insert(0) |= f;
            }
        };
        flag(&wait_any, W_ANY);
        flag(&always_blocking, W_ALWAYS);
        let noargs: HashSet<Vec<u8>> = v.wait_methods_no_args.iter().map(bytes).collect();
        flag(&noargs, W_NOARGS);
        flag(&close_words, C_WORD);
        flag(&close_methods, C_METHOD);
        flag(&close_fields, C_FIELD);
        let sg: HashSet<Vec<u8>> = [
            "guard",
            "guard_on_success",
            "guard_on_unwind",
            "with_strategy",
            "defer",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        flag(&sg, SCOPEGUARD);
        let variants: Vec<String> = v
            .close_state_variants
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.to_ascii_lowercase())
            .collect();
        let mut word_shape = [0u64; 256];
        for w in wait_any
            .iter()
            .chain(&always_blocking)
            .chain(&noargs)
            .chain(&close_words)
            .chain(&sg)
        {
            if let Some(&c) = w.first() {
                word_shape[c as usize] |= 1 << w.len().min(63);
            }
        }
        let mut variant_first = [false; 256];
        for v in &variants {
            if let Some(&c) = v.as_bytes().first() {
                variant_first[c.to_ascii_lowercase() as usize] = true;
                variant_first[c.to_ascii_uppercase() as usize] = true;
            }
        }
        // Variants are at least 3 bytes long when the substring test runs
        // (shorter ones fall back to "every identifier").
        let short = variants.iter().any(|v| v.len() < 3);
        let variant_tri: Vec<u32> = variants
            .iter()
            .filter(|v| v.len() >= 3)
            .map(|v| {
                let b = v.as_bytes();
                u32::from_le_bytes([b[0] | 0x20, b[1] | 0x20, b[2] | 0x20, 0])
            })
            .collect();
        let close_path_ac = (!v.close_paths.is_empty())
            .then(|| AhoCorasick::new(v.close_paths.iter()).ok())
            .flatten();
        Prefilter {
            close_path_ac,
            word_shape,
            variant_tri,
            variant_short: short,
            variant_first,
            words,
            has_variants: !variants.is_empty(),
            min_variant: variants.iter().map(|v| v.len()).min().unwrap_or(0),
            variants: v
                .close_state_variants
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            vocab: v.clone(),
            enabled,
        }
    }

    fn is_variant(&self, id: &[u8]) -> bool {
        if id.len() < self.min_variant {
            return false;
        }
        // A variant starts where the three lowercase bytes of one start.
        let tri =
            |i: usize| u32::from_le_bytes([id[i] | 0x20, id[i + 1] | 0x20, id[i + 2] | 0x20, 0]);
        (0..=id.len() - self.min_variant).any(|i| {
            self.variant_first[id[i] as usize]
                && (self.variant_short || (i + 3 <= id.len() && self.variant_tri.contains(&tri(i))))
                && self.variants.iter().any(|v| {
                    id.len() - i >= v.len() && id[i..i + v.len()].eq_ignore_ascii_case(v.as_bytes())
                })
        })
    }

    /// `drop` or a close path (`Vocab::is_close_path`), which only holds for
    /// a name containing one of the close paths: that substring test first.
    fn close_path(&self, name: &[u8]) -> bool {
        name == b"drop"
            || (self
                .close_path_ac
                .as_ref()
                .is_none_or(|ac| ac.is_match(name))
                && self.vocab.is_close_path(&String::from_utf8_lossy(name)))
    }

    /// Vocabulary flags of an identifier.
    fn word_flags(&self, w: &[u8]) -> u8 {
        match w.first() {
            Some(&c) if self.word_shape[c as usize] & (1 << w.len().min(63)) != 0 => {
                self.words.get(&name_hash(w)).copied().unwrap_or(0)
            }
            _ => 0,
        }
    }

    /// Lexes one file.
    pub fn scan(&self, text: &str) -> FileScan {
        let b = text.as_bytes();
        let toks = tokenize(b);
        let br = brackets(&toks, b);
        // The token closing the bracket opened at `open`.
        let close_of = |open: usize| -> usize { br.close[open] as usize };
        let id = |k: usize| -> &[u8] {
            let t = toks[k];
            &b[t.start as usize..t.end as usize]
        };
        let is_id = |k: usize, s: &[u8]| k < toks.len() && toks[k].kind == T::Ident && id(k) == s;
        let is_p = |k: usize, c: u8| k < toks.len() && toks[k].kind == T::Punct(c);
        let n = toks.len();
        let mut fs = FileScan::default();
        // Close variants are substrings of identifiers (`is_variant`).
        let has_variant = self.has_variants;
        let variant = |w: &[u8]| -> bool { has_variant && self.is_variant(w) };
        let flags = |k: usize| -> u8 {
            if k < toks.len() && toks[k].kind == T::Ident {
                self.word_flags(id(k))
            } else {
                0
            }
        };

        // Impl (and trait) blocks: token range and self type / trait.
        struct Impl {
            kw: usize,
            start: usize,
            end: usize,
            ty: Option<u64>,
            ty_name: Option<Vec<u8>>,
            tr_name: Option<Vec<u8>>,
            drop: bool,
        }
        let mut impls: Vec<Impl> = Vec::new();
        // Per token: is it a mention, a direct wait, close vocabulary?
        let mut plain: Vec<usize> = Vec::new();
        let recv_of = |k: usize| -> Option<u64> {
            (k >= 2 && toks[k - 2].kind == T::Ident).then(|| name_hash(id(k - 2)))
        };
        // Token positions (ascending) of direct waits, scopeguard calls and
        // close vocabulary.
        let mut wait_at: Vec<usize> = Vec::new();
        let mut guard_at: Vec<usize> = Vec::new();
        let mut close_at: Vec<usize> = Vec::new();
        let mut fn_starts: Vec<(usize, usize, usize, u64)> = Vec::new(); // (fn tok, body open, body close, name)
        let mut fn_close_path: Vec<bool> = Vec::new(); // parallel to `fn_starts`
        let mut lock_at: Vec<usize> = Vec::new();
        // Token positions of per-function triggers (sorted before use).
        let mut underscore_at: Vec<usize> = Vec::new();
        let mut take_unwrap_at: Vec<usize> = Vec::new();
        let mut write_at: Vec<usize> = Vec::new();
        let mut cv_at: Vec<usize> = Vec::new();
        let mut acq_at: Vec<usize> = Vec::new();
        let mut rw_at: Vec<usize> = Vec::new();

        let mut k = 0;
        while k < n {
            let t = toks[k];
            // `x = Path::Closed`: a flag write when a close variant is assigned.
            if t.kind == T::Punct(b'=') && has_variant && self.path_is_variant(&toks, b, k + 1) {
                fs.flag_write = true;
                write_at.push(k);
            }
            if t.kind != T::Ident {
                // `_ =` / `_ :` after `let`, or `_ = expr;`.
                k += 1;
                continue;
            }
            let w = id(k);
            let fl = self.word_flags(w);
            let after_dot = k > 0 && is_p(k - 1, b'.');
            let self_recv = after_dot && k >= 2 && is_id(k - 2, b"self");
            // Names a closed check may resolve through the index: `self.m()`
            // and the close-state methods (`x.is_closed()`).
            if self_recv || fl & C_METHOD != 0 {
                plain.push(k);
            }
            if fl & C_WORD != 0 || variant(w) {
                close_at.push(k);
                fs.close_vocab = true;
            }
            // Direct waits.
            let call = is_p(k + 1, b'(') || (k + 1 < n && toks[k + 1].kind == T::PathSep);
            // `sleep` waits only as `thread::sleep(..)` or a bare `sleep(..)`
            // (`tokio::time::sleep` is a future, `x.sleep()` a method).
            let other_sleep = w == b"sleep"
                && k >= 1
                && (is_p(k - 1, b'.')
                    || (toks[k - 1].kind == T::PathSep && !(k >= 2 && is_id(k - 2, b"thread"))));
            if call && fl & W_ANY != 0 && !other_sleep {
                let awaited = fl & W_ALWAYS == 0 && {
                    let close = if is_p(k + 1, b'(') {
                        close_of(k + 1)
                    } else {
                        k
                    };
                    is_p(close + 1, b'.') && is_id(close + 2, b"await")
                };
                if !awaited {
                    wait_at.push(k);
                    fs.direct_wait = true;
                }
            }
            if fl & W_NOARGS != 0
                && is_p(k + 1, b'(')
                && is_p(k + 2, b')')
                && !(is_p(k + 3, b'.') && is_id(k + 4, b"await"))
            {
                if wait_at.last() != Some(&k) {
                    wait_at.push(k);
                }
                fs.direct_wait = true;
            }
            // `guard(..)`, `defer! {..}`: a call of the scopeguard vocabulary
            // (a variable named `guard` is not one).
            if fl & SCOPEGUARD != 0 && (is_p(k + 1, b'(') || is_p(k + 1, b'!')) {
                fs.scopeguard = true;
                guard_at.push(k);
            }
            match w {
                b"async" => fs.is_async = true,
                _ if w.len() >= 6
                    && memchr::memchr(b'R', w).is_some()
                    && contains(w, b"RwLock") =>
                {
                    fs.rwlock = true;
                }
                // Lock-guard lifetime lints: a Condvar-shaped wait (handed an
                // argument) and declarations lock identity reads.
                b"wait" | b"wait_timeout"
                    if after_dot && is_p(k + 1, b'(') && !is_p(k + 2, b')') =>
                {
                    cv_at.push(k);
                }
                // The acquisitions `index/locks.rs` counts (never `try_*`).
                b"lock" | b"lock_arc" | b"blocking_lock"
                    if after_dot && is_p(k + 1, b'(') && is_p(k + 2, b')') =>
                {
                    acq_at.push(k);
                }
                // `read`/`write` are acquisitions only on a place declared
                // as an RwLock: counted when the package names one.
                b"read" | b"blocking_read" | b"write" | b"blocking_write"
                    if after_dot && is_p(k + 1, b'(') && is_p(k + 2, b')') =>
                {
                    rw_at.push(k);
                }
                b"struct" | b"enum" | b"union" | b"type" | b"static" | b"const"
                    if k + 1 < n && toks[k + 1].kind == T::Ident =>
                {
                    let d = if id(k + 1) == b"mut" { k + 2 } else { k + 1 };
                    if d < n && toks[d].kind == T::Ident {
                        fs.decls.push(name_hash(id(d)));
                    }
                }
                b"let" if k + 1 < n && toks[k + 1].kind == T::Ident && id(k + 1) == b"_" => {
                    fs.let_underscore = true;
                    underscore_at.push(k);
                }
                b"_" if is_p(k + 1, b'=') => {
                    fs.let_underscore = true;
                    underscore_at.push(k);
                }
                b"take" if after_dot && is_p(k + 1, b'(') && is_p(k + 2, b')') => {
                    fs.take_call = true;
                    match recv_of(k) {
                        Some(h) => fs.take_recv.push(h),
                        None => fs.take_wild = true,
                    }
                    if is_p(k + 3, b'.') && (is_id(k + 4, b"unwrap") || is_id(k + 4, b"expect")) {
                        fs.take_unwrap = true;
                        take_unwrap_at.push(k);
                    }
                }
                b"store" if is_p(k + 1, b'(') => {
                    // `flag.store(..)` on a close field, or storing a Closed path.
                    let field = k >= 2
                        && is_p(k - 1, b'.')
                        && toks[k - 2].kind == T::Ident
                        && flags(k - 2) & C_FIELD != 0;
                    if field || (has_variant && self.path_is_variant(&toks, b, k + 2)) {
                        fs.flag_write = true;
                        write_at.push(k);
                    }
                }
                _ => {}
            }
            if after_dot
                && is_p(k + 1, b'(')
                && is_p(k + 2, b')')
                && (contains(w, b"lock") || contains(w, b"read") || contains(w, b"write"))
            {
                fs.lock_call = true;
                lock_at.push(k);
                match recv_of(k) {
                    Some(h) => fs.lock_recv.push(h),
                    None => fs.lock_wild = true,
                }
                // `*self.closed.lock().. = true`: a write through a lock on a close field.
                if k >= 2 && flags(k - 2) & C_FIELD != 0 {
                    fs.flag_write = true;
                    write_at.push(k);
                }
            }
            // `self.closed = ..` / `x = State::Closed`.
            if is_p(k + 1, b'=') && after_dot && fl & C_FIELD != 0 {
                fs.flag_write = true;
                write_at.push(k);
            }
            if w == b"fn" && k + 1 < n && toks[k + 1].kind == T::Ident {
                let name = id(k + 1);
                let close_path = self.close_path(name);
                fs.close_path_fn |= close_path;
                // The body: the first `{` at paren/bracket depth 0 not in a
                // generic argument position, or none (`;`).
                let mut j = k + 2;
                let mut depth = 0i32;
                let mut body = None;
                while j < n {
                    match toks[j].kind {
                        T::Punct(b'(') | T::Punct(b'[') => depth += 1,
                        T::Punct(b')') | T::Punct(b']') => depth -= 1,
                        T::Punct(b';') if depth <= 0 => break,
                        T::Punct(b'{') if depth <= 0 => {
                            let generic = j > 0
                                && matches!(toks[j - 1].kind, T::Punct(b'<') | T::Punct(b','));
                            if !generic {
                                body = Some(j);
                                break;
                            }
                            j = close_of(j);
                        }
                        T::Punct(b'}') if depth <= 0 => break,
                        _ => {}
                    }
                    j += 1;
                }
                if let Some(open) = body {
                    let close = close_of(open);
                    fn_starts.push((k, open, close, name_hash(name)));
                    fn_close_path.push(close_path);
                }
            }
            if w == b"impl" || w == b"trait" {
                // Header up to `{` at depth 0: trait before `for`, type after.
                let mut j = k + 1;
                let mut angle = 0i32;
                let mut last: Option<&[u8]> = None;
                let mut trait_last: Option<&[u8]> = None;
                // Where the self type starts (after generics, after `for`).
                let mut ty_start = if is_p(j, b'<') { None } else { Some(j) };
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
                            let x = id(j);
                            if x == b"for" {
                                trait_last = last;
                                last = None;
                                ty_start = Some(j + 1);
                            } else if x == b"where" {
                                // Skip the where clause to the block.
                                while j < n && !is_p(j, b'{') && !is_p(j, b';') {
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
                if is_p(j, b'{') {
                    let end = close_of(j);
                    // The model names only path types (through `&`, parens);
                    // methods of other impls are free functions to it.
                    let mut t0 = ty_start.unwrap_or(j);
                    while t0 < j
                        && (is_p(t0, b'&')
                            || is_p(t0, b'(')
                            || toks[t0].kind == T::Lifetime
                            || is_id(t0, b"mut"))
                    {
                        t0 += 1;
                    }
                    let path_ty = w == b"trait"
                        || (t0 < j
                            && toks[t0].kind == T::Ident
                            && !matches!(id(t0), b"dyn" | b"fn" | b"unsafe" | b"extern" | b"impl"));
                    let last = if path_ty { last } else { None };
                    let ty = last.map(name_hash);
                    if let Some(t) = ty {
                        fs.impls.push(t);
                    }
                    impls.push(Impl {
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
            k += 1;
        }
        // `_ = x` (assignment to `_`) is an Ident `_` followed by `=` (covered
        // above); `x = Path::Closed` and `*g = ..` are flag writes when a
        // close variant or field is involved.
        // Mention keys, per token (in token order), with the innermost
        // enclosing impl known from a stack.
        let mut mention: Vec<(usize, u64)> = Vec::with_capacity(n / 4);
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
            let w = id(k);
            let inner = stack.last().map(|&i| &impls[i]);
            let after_dot = k > 0 && is_p(k - 1, b'.');
            if after_dot {
                if k >= 2 && is_id(k - 2, b"self") {
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
                    let x = id(k - 2);
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
                        let std = matches!(id(first), b"std" | b"core" | b"alloc");
                        let upper = w.first().is_some_and(|c| c.is_ascii_uppercase());
                        let next = toks.get(k + 1).map(|t| t.kind);
                        if !std
                            && !upper
                            && matches!(
                                next,
                                Some(T::Punct(b'(') | T::Punct(b')') | T::Punct(b','))
                            )
                        {
                            mention.push((k, name_hash(w)));
                        }
                        if upper
                            && matches!(next, Some(T::Punct(b'{') | T::Punct(b'(') | T::PathSep))
                        {
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
            // module prefix.
            if k >= 1
                && toks[k - 1].kind == T::Ident
                && matches!(
                    id(k - 1),
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
            let upper = w.first().is_some_and(|c| c.is_ascii_uppercase());
            let next = toks.get(k + 1).map(|t| t.kind);
            if upper {
                if matches!(next, Some(T::Punct(b'{') | T::Punct(b'(') | T::PathSep)) {
                    mention.push((k, name_hash(w)));
                }
            } else if matches!(next, Some(T::Punct(b'(') | T::Punct(b')') | T::Punct(b','))) {
                // Called, or passed as a fn path (`guard(v, f)`); a receiver
                // (`x.m()`), a module prefix or a macro is not a call target.
                mention.push((k, name_hash(w)));
            }
        }
        // Async and test code: lint 4 looks only at waits in async code, and
        // lints 4 and 5 skip test code.
        let impl_kw: Vec<(usize, usize)> = impls.iter().map(|im| (im.kw, im.end)).collect();
        let (in_async, in_test) = regions(&toks, b, &br, &fn_starts, &impl_kw);
        let is_in = |v: &[bool], k: usize| v.get(k).copied().unwrap_or(false);
        let live_async = |k: usize| is_in(&in_async, k) && !is_in(&in_test, k);
        fs.async_wait = wait_at.iter().any(|&k| live_async(k));
        let mut am: Vec<u64> = mention
            .iter()
            .filter(|&&(k, _)| !in_async.is_empty() && live_async(k))
            .map(|&(_, h)| h)
            .collect();
        am.sort_unstable();
        am.dedup();
        fs.async_mentions = am;
        lock_at.retain(|&k| !is_in(&in_test, k));
        acq_at.retain(|&k| !is_in(&in_test, k));
        rw_at.retain(|&k| !is_in(&in_test, k));
        let first_acq = |f: usize, close: usize| -> Option<usize> {
            let a = acq_at.get(acq_at.partition_point(|&p| p < f)).copied();
            let b = rw_at.get(rw_at.partition_point(|&p| p < f)).copied();
            a.into_iter().chain(b).filter(|&p| p <= close).min()
        };
        write_at.sort_unstable();
        let within = |at: &[usize], from: usize, to: usize| -> bool {
            let i = at.partition_point(|&p| p < from);
            at.get(i).is_some_and(|&p| p <= to)
        };
        let keys_in = |from: usize, to: usize| -> Vec<u64> {
            let lo = mention.partition_point(|&(t, _)| t < from);
            let hi = mention.partition_point(|&(t, _)| t <= to);
            let mut v: Vec<u64> = mention[lo..hi].iter().map(|&(_, h)| h).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        // Innermost impl and innermost enclosing fn body of each fn (both
        // lists are in source order and properly nested: one stack walk each).
        let impl_spans: Vec<(usize, usize)> = impls.iter().map(|im| (im.start, im.end)).collect();
        let inner_impl = innermost(&impl_spans, fn_starts.iter().map(|f| f.0));
        let mut outer_fn: Vec<Option<usize>> = Vec::with_capacity(fn_starts.len());
        let mut fst: Vec<usize> = Vec::new();
        for (x, &(f, ..)) in fn_starts.iter().enumerate() {
            while fst.last().is_some_and(|&g| fn_starts[g].2 < f) {
                fst.pop();
            }
            outer_fn.push(fst.last().copied().filter(|&g| fn_starts[g].1 < f));
            fst.push(x);
        }
        for (x, &(f, open, close, name)) in fn_starts.iter().enumerate() {
            let inner = inner_impl[x].map(|i| &impls[i]);
            let drop_for = inner
                .filter(|im| im.drop && name == name_hash(b"drop"))
                .and_then(|im| im.ty);
            let fname = id(f + 1);
            // A method only directly in an impl/trait (not nested in a fn
            // body there); a method of a type the model cannot name is free.
            let nested =
                inner.is_some_and(|im| outer_fn[x].is_some_and(|g| fn_starts[g].1 > im.start));
            let keys = match inner {
                Some(im) if !nested => match &im.ty_name {
                    Some(t) => vec![method_key(b"*", fname), method_key(t, fname)],
                    None => vec![method_key(b"*", fname), name],
                },
                _ => vec![name],
            };
            let close = close.min(n - 1);
            let close_key = match inner {
                Some(im) if !nested => im.ty_name.as_ref().map(|t| method_key(t, fname)),
                _ => None,
            };
            fs.fns.push(LexFn {
                close_key,
                keys,
                drop_for,
                direct_wait: within(&wait_at, open, close),
                scopeguard: within(&guard_at, open, close),
                close_vocab: within(&close_at, f, close),
                mentions: keys_in(f, close),
                lock_call: within(&lock_at, f, close),
                let_underscore: within(&underscore_at, f, close),
                take_unwrap: within(&take_unwrap_at, f, close),
                flag_write: within(&write_at, f, close),
                lock_calls: (acq_at.partition_point(|&p| p <= close)
                    - acq_at.partition_point(|&p| p < f)) as u32,
                rw_calls: (rw_at.partition_point(|&p| p <= close)
                    - rw_at.partition_point(|&p| p < f)) as u32,
                acq_mentions: match first_acq(f, close) {
                    Some(first) => keys_in(first, close),
                    None => Vec::new(),
                },
                cv_wait: within(&cv_at, f, close),
                close_path: fn_close_path[x],
            });
        }
        let mut all: Vec<u64> = mention.into_iter().map(|(_, h)| h).collect();
        all.sort_unstable();
        all.dedup();
        fs.mentions = all;
        // Close-method keys: the enclosing impl's type (the model looks a
        // close-state method up under the caller's own self type).
        let mut close_keys: Vec<u64> = Vec::new();
        for (&k, im) in plain
            .iter()
            .zip(innermost(&impl_spans, plain.iter().copied()))
        {
            if let Some(t) = im.and_then(|i| impls[i].ty_name.as_ref()) {
                close_keys.push(method_key(t, id(k)));
            }
        }
        close_keys.sort_unstable();
        close_keys.dedup();
        fs.plain = close_keys;
        for v in [&mut fs.lock_recv, &mut fs.take_recv] {
            v.sort_unstable();
            v.dedup();
        }
        fs.decls.sort_unstable();
        fs.decls.dedup();
        fs.impls.sort_unstable();
        fs.impls.dedup();
        fs
    }

    /// Is the path starting at token `k` (`a::b::C`) one whose last segment
    /// names a closed state?
    fn path_is_variant(&self, toks: &[Tok], b: &[u8], mut k: usize) -> bool {
        let mut last = None;
        while k < toks.len() && toks[k].kind == T::Ident {
            last = Some(&b[toks[k].start as usize..toks[k].end as usize]);
            if k + 1 < toks.len() && toks[k + 1].kind == T::PathSep {
                k += 2;
            } else {
                break;
            }
        }
        last.is_some_and(|l| self.is_variant(l))
    }
}

/// Which tokens are async code and which are test code, lexically: async
/// code is a superset of what the model runs in an async frame (an `async
/// fn` body; from an `async` block or closure to the end of its enclosing
/// group), test code a subset of its test functions (an item marked
/// `#[test]`, `#[bench]`, `#[x::test]`, `#[cfg(test)]`: a `fn`, `impl` or
/// inline `mod`).
#[inline(never)]
fn regions(
    toks: &[Tok],
    b: &[u8],
    br: &Brackets,
    fns: &[(usize, usize, usize, u64)],
    impls: &[(usize, usize)],
) -> (Vec<bool>, Vec<bool>) {
    let n = toks.len();
    let close_of = |open: usize| -> usize { br.close[open] as usize };
    let id = |k: usize| &b[toks[k].start as usize..toks[k].end as usize];
    let is_id = |k: usize, w: &[u8]| k < n && toks[k].kind == T::Ident && id(k) == w;
    let is_p = |k: usize, c: u8| k < n && toks[k].kind == T::Punct(c);
    let qualifier = |k: usize| is_qualifier(toks, b, k);
    // Regions as difference arrays, allocated at the first region (most
    // files have no async or test code).
    let mut da: Vec<i32> = Vec::new();
    let mut dt: Vec<i32> = Vec::new();
    let mark = |d: &mut Vec<i32>, s: usize, e: usize| {
        if s <= e && e < n {
            if d.is_empty() {
                d.resize(n + 1, 0);
            }
            d[s] += 1;
            d[e + 1] -= 1;
        }
    };
    for &(f, open, close, _) in fns {
        let mut j = f;
        let mut is_async = false;
        while j > 0 && qualifier(j - 1) {
            is_async |= is_id(j - 1, b"async");
            j -= 1;
        }
        if is_async {
            mark(&mut da, open, close.min(n.saturating_sub(1)));
        }
    }
    // Async blocks and closures (found with the brackets).
    for &(s, e) in &br.async_blocks {
        mark(&mut da, s, e);
    }
    let mut next_free = 0;
    for &k in &br.attrs {
        // Attributes inside an attribute already handled are skipped.
        if k < next_free {
            continue;
        }
        let close = close_of(k + 1);
        // The attribute's path and what follows it.
        let mut j = k + 2;
        let mut last: Option<&[u8]> = None;
        while j < close && toks[j].kind == T::Ident {
            last = Some(id(j));
            if j + 1 < close && toks[j + 1].kind == T::PathSep {
                j += 2;
            } else {
                j += 1;
                break;
            }
        }
        let test = match last {
            Some(b"test" | b"bench") => true,
            Some(b"cfg") => {
                j == k + 3
                    && is_p(j, b'(')
                    && is_id(j + 1, b"test")
                    && is_p(j + 2, b')')
                    && j + 3 == close
            }
            _ => false,
        };
        if test {
            // The item: past further attributes, `pub(..)` and qualifiers.
            let mut q = close + 1;
            loop {
                if is_p(q, b'#') && is_p(q + 1, b'[') {
                    q = close_of(q + 1) + 1;
                } else if is_id(q, b"pub") {
                    q += 1;
                    if is_p(q, b'(') {
                        q = close_of(q) + 1;
                    }
                } else if q < n && qualifier(q) {
                    q += 1;
                } else {
                    break;
                }
            }
            let end = if is_id(q, b"fn") {
                fns.binary_search_by_key(&q, |f| f.0).ok().map(|i| fns[i].2)
            } else if is_id(q, b"impl") {
                impls.iter().find(|i| i.0 == q).map(|i| i.1)
            } else if is_id(q, b"mod") && is_p(q + 2, b'{') {
                Some(close_of(q + 2))
            } else {
                None
            };
            if let Some(e) = end {
                mark(&mut dt, k, e.min(n - 1));
            }
        }
        next_free = close + 1;
    }
    // Empty when there is no region: `k` is in one iff `v.get(k) == Some(&true)`.
    let flags = |d: Vec<i32>| -> Vec<bool> {
        let mut run = 0;
        d.get(..n)
            .unwrap_or_default()
            .iter()
            .map(|x| {
                run += x;
                run > 0
            })
            .collect()
    };
    (flags(da), flags(dt))
}

fn contains(h: &[u8], n: &[u8]) -> bool {
    h.windows(n.len()).any(|w| w == n)
}

fn meets(a: &[u64], set: &HSet<u64>) -> bool {
    a.iter().any(|h| set.contains(h))
}

/// The files to parse in a package, and why.
#[derive(Debug, Default)]
pub struct Plan {
    pub parse: Vec<bool>,
    /// Functions that may wait, by the keys a call reaches them by (a
    /// `Drop::drop` under its type).
    defs: HMap<u64, Vec<(usize, usize)>>,
    /// Files with an impl of a type whose `Drop` may wait.
    impl_of: HMap<u64, Vec<usize>>,
    /// Functions that may lock (lock-guard lifetime lints), by key.
    lock_defs: HMap<u64, Vec<(usize, usize)>>,
}

impl Prefilter {
    /// The first round: the candidates (and the close-state methods their
    /// checks may call); what they reach is parsed on demand (`demanded`).
    pub fn plan(
        &self,
        scans: &[Option<FileScan>],
        requested: &[bool],
        test_target: &[bool],
    ) -> Plan {
        let nf = scans.len();
        // Names that may wait: a fixpoint over functions, by name.
        let mut defs: HMap<u64, Vec<(usize, usize)>> = HMap::default();
        // Who mentions each name, for the names the fixpoints below look up:
        // only a function's keys or a `Drop` type can enter them (most
        // mentions are of std and dependencies' names, never defined here).
        let fns = || {
            scans
                .iter()
                .enumerate()
                .filter_map(|(fi, s)| s.as_ref().map(|s| (fi, s)))
                .flat_map(|(fi, s)| s.fns.iter().enumerate().map(move |(i, f)| (fi, i, f)))
        };
        let fn_at = |id: (usize, usize)| &scans[id.0].as_ref().expect("scanned").fns[id.1];
        let defined: HSet<u64> = fns()
            .flat_map(|(_, _, f)| f.keys.iter().copied().chain(f.drop_for))
            .collect();
        let mut by_mention: HMap<u64, Vec<(usize, usize)>> = HMap::default();
        for (fi, i, f) in fns() {
            for m in f.mentions.iter().filter(|m| defined.contains(m)) {
                by_mention.entry(*m).or_default().push((fi, i));
            }
        }
        let mut may_wait: HSet<u64> = HSet::default();
        let mut fn_waits: HashSet<(usize, usize)> = HashSet::new();
        let mut work: Vec<(usize, usize)> = fns()
            .filter(|(_, _, f)| f.direct_wait)
            .map(|(fi, i, _)| (fi, i))
            .collect();
        while let Some(id) = work.pop() {
            if !fn_waits.insert(id) {
                continue;
            }
            let f = fn_at(id);
            // `Drop::drop` is never called by name: its type is what waits.
            let names = match f.drop_for {
                Some(t) => vec![t],
                None => f.keys.clone(),
            };
            for nm in names {
                defs.entry(nm).or_default().push(id);
                if may_wait.insert(nm) {
                    if let Some(users) = by_mention.get(&nm) {
                        work.extend(users.iter().copied().filter(|u| !fn_waits.contains(u)));
                    }
                }
            }
        }
        // Names that may build a wait guard: a Drop type that may wait, or a
        // function that may wait and builds one (scopeguard, such a type, or
        // a call of such a function) - `FnModel::returns_guard` needs that.
        let mut guard_keys: HSet<u64> = HSet::default();
        let mut work: Vec<(usize, usize)> = Vec::new();
        for &id in &fn_waits {
            let f = fn_at(id);
            if let Some(t) = f.drop_for {
                if guard_keys.insert(t) {
                    work.extend(by_mention.get(&t).into_iter().flatten().copied());
                }
            }
            if f.scopeguard {
                work.push(id);
            }
        }
        let mut guard_fns: HSet<(usize, usize)> = HSet::default();
        while let Some(id) = work.pop() {
            if !fn_waits.contains(&id) || !guard_fns.insert(id) {
                continue;
            }
            let f = fn_at(id);
            if f.drop_for.is_some() {
                continue;
            }
            for &k in &f.keys {
                if guard_keys.insert(k) {
                    work.extend(by_mention.get(&k).into_iter().flatten().copied());
                }
            }
        }
        let lock = self.lock_triggers(scans, &by_mention, &fn_at);
        drop(by_mention);
        // Close-state methods: functions whose body has close vocabulary.
        let mut close_defs: HMap<u64, Vec<usize>> = HMap::default();
        for (fi, _, f) in fns() {
            // Only methods can be `close_read_only` targets.
            if let (true, Some(k)) = (f.close_vocab, f.close_key) {
                close_defs.entry(k).or_default().push(fi);
            }
        }
        let en = self.enabled;
        if en.unknown {
            return Plan {
                parse: scans.iter().map(|s| s.is_some()).collect(),
                ..Plan::default()
            };
        }
        let mut plan = Plan {
            parse: vec![false; nf],
            ..Plan::default()
        };
        for (fi, s) in scans.iter().enumerate() {
            let Some(s) = s else { continue };
            if !requested[fi] {
                continue;
            }
            // Every lint's facts sit in one function: its trigger is a
            // function whose range has them all (nested code included).
            let wait = |f: &LexFn| f.direct_wait || meets(&f.mentions, &may_wait);
            let guardish = |f: &LexFn| f.scopeguard || meets(&f.mentions, &guard_keys);
            let closed_file = s.plain.iter().any(|m| close_defs.contains_key(m));
            let closed = |f: &LexFn| f.close_vocab || closed_file;
            let any = |p: &dyn Fn(&LexFn) -> bool| s.fns.iter().any(p);
            let l1 = en.deferred && any(&|f| wait(f) && guardish(f) && closed(f));
            let l2 = en.check_set && s.flag_write && any(&|f| f.flag_write && closed(f));
            let l3 = en.take && s.take_unwrap && any(&|f| f.take_unwrap && f.close_path);
            // Lints 4 and 5 skip test code; 4 looks at async code only.
            let live = !test_target[fi];
            let l4 = en.async_wait
                && live
                && s.is_async
                && (s.async_wait || meets(&s.async_mentions, &may_wait));
            let l5 = en.lock_wait && live && s.lock_call && any(&|f| f.lock_call && wait(f));
            let l6 = en.dropped
                && s.let_underscore
                && any(&|f| f.let_underscore && wait(f) && guardish(f));
            for (i, on) in [l1, l2, l3, l4, l5, l6].into_iter().enumerate() {
                stat(i, on);
            }
            let l7 = lock.candidate(self.enabled, s, live);
            if l1 || l2 || l3 || l4 || l5 || l6 || l7 {
                plan.parse[fi] = true;
                if l1 || l2 || l3 {
                    // Close-state methods the checks may call.
                    for m in &s.plain {
                        if let Some(files) = close_defs.get(m) {
                            for &g in files {
                                stat(6, !plan.parse[g]);
                                plan.parse[g] = true;
                            }
                        }
                    }
                }
            }
        }
        // Definitions are parsed on demand (`demanded`): the may-wait
        // functions by key, and the impls of may-wait types (constructors).
        for (fi, s) in scans.iter().enumerate() {
            if let Some(s) = s {
                for t in &s.impls {
                    if may_wait.contains(t) {
                        plan.impl_of.entry(*t).or_default().push(fi);
                    }
                }
            }
        }
        // Lock-guard lifetime lints: every file with an edge of the lock-order
        // graph, and the definitions of functions that may lock.
        lock.extend_plan(self.enabled, scans, test_target, &mut plan);
        plan.defs = defs;
        plan
    }

    /// After a run of the rules: the files not parsed yet that could change
    /// an answer the index gave (`Index::demand`). A free call waits only if
    /// every same-named definition does, so the other definitions of a
    /// waiting free function may veto it; other acquisitions of a lock held
    /// across a wait (lint 5); other takes of a field a `Drop` takes and
    /// other `self.m()` callers of a close method (lint 3).
    pub fn demanded(
        &self,
        plan: &Plan,
        d: &Demand,
        reach: &Reach,
        models: &[Option<&FileModel>],
        scans: &[Option<FileScan>],
    ) -> Vec<usize> {
        let mut out = Vec::new();
        // What the rules' questions reach: the may-wait definitions of the
        // calls (by key), the Drop impls and constructors of guard types.
        let mut keys: Vec<u64> = reach.free.iter().map(|n| name_hash(n.as_bytes())).collect();
        keys.extend(
            reach
                .methods
                .iter()
                .map(|(t, m)| method_key(t.as_bytes(), m.as_bytes())),
        );
        for t in &reach.types {
            let h = name_hash(t.as_bytes());
            keys.push(h);
            out.extend(plan.impl_of.get(&h).into_iter().flatten().copied());
        }
        for k in keys {
            out.extend(plan.defs.get(&k).into_iter().flatten().map(|&(g, _)| g));
        }
        // Lock-guard lifetime lints: the may-lock definitions their calls reach.
        let lock_keys = reach
            .lock_free
            .iter()
            .map(|n| name_hash(n.as_bytes()))
            .chain(
                reach
                    .lock_methods
                    .iter()
                    .map(|(t, m)| method_key(t.as_bytes(), m.as_bytes())),
            );
        for k in lock_keys {
            out.extend(
                plan.lock_defs
                    .get(&k)
                    .into_iter()
                    .flatten()
                    .map(|&(g, _)| g),
            );
        }
        out.retain(|&g| models[g].is_none());
        let free: HSet<u64> = d.free.iter().map(|n| name_hash(n.as_bytes())).collect();
        let decls: HSet<u64> = d.decls.iter().map(|n| name_hash(n.as_bytes())).collect();
        let needles = |paths: &BTreeSet<String>| -> (bool, HSet<u64>) {
            let segs: Vec<String> = paths.iter().map(|p| last_segment(p)).collect();
            (
                segs.iter().any(|x| x.is_empty()),
                segs.iter()
                    .filter(|x| !x.is_empty())
                    .map(|x| name_hash(x.as_bytes()))
                    .collect(),
            )
        };
        let (lock_any, lock_h) = needles(&d.locks);
        let take_paths: BTreeSet<String> = d.takes.iter().map(|(_, p)| p.clone()).collect();
        let (take_any, take_h) = needles(&take_paths);
        // Only methods of the same type take the same field (`Index::takers`).
        let take_types: HSet<u64> = d
            .takes
            .iter()
            .map(|(t, _)| name_hash(t.as_bytes()))
            .collect();
        // `self.m()` inside `impl T` (or `impl Tr for ..`) is the mention `T::m`.
        let mut callers: HSet<u64> = HSet::default();
        for &(fi, i) in &d.callers {
            if let Some(f) = models.get(fi).copied().flatten().and_then(|m| m.fns.get(i)) {
                for t in f.self_ty.iter().chain(f.trait_name.iter()) {
                    callers.insert(method_key(t.as_bytes(), f.name.as_bytes()));
                }
            }
        }
        for (fi, s) in scans.iter().enumerate() {
            let Some(s) = s else { continue };
            if models[fi].is_some() {
                continue;
            }
            let veto = !free.is_empty()
                && s.fns
                    .iter()
                    .any(|f| f.drop_for.is_none() && f.keys.iter().any(|k| free.contains(k)));
            let lock = !d.locks.is_empty()
                && s.lock_call
                && (lock_any || s.lock_wild || meets(&s.lock_recv, &lock_h));
            let take = !d.takes.is_empty()
                && s.take_call
                && meets(&s.impls, &take_types)
                && (take_any || s.take_wild || meets(&s.take_recv, &take_h));
            let caller = !callers.is_empty() && meets(&s.mentions, &callers);
            // Lock-guard lifetime lints: declarations lock identity read.
            let decl = !decls.is_empty() && meets(&s.decls, &decls);
            if veto || lock || take || caller || decl {
                out.push(fi);
            }
        }
        out.sort_unstable();
        out.dedup();
        STATS[7].fetch_add(out.len(), Ordering::Relaxed);
        out
    }
}

// ---------------------------------------------------------------------------
// Lock-guard lifetime lints (double_lock, lock_order_inversion,
// condvar_wait_without_loop). What each needs kept:
// - double_lock: in a requested, non-test file, a function with two or more
//   acquisitions outside test code (`.lock()`, `lock_arc()`,
//   `blocking_lock()`; `.read()`, `.write()`, `blocking_read/write()` only
//   when some file of the package names an `RwLock`), or one plus a mention,
//   after it, of a name that may lock (a function with an acquisition,
//   transitively through mentions). Then on demand: the may-lock definitions
//   that calls made under a guard reach (`Demand::lock_targets` ->
//   `Reach::lock_free`/`lock_methods` -> `Plan::lock_defs`), other
//   same-named definitions of a free call answered "locks" (`Demand::free`),
//   and the declarations (struct, static, alias) lock identity read for a
//   function that can hold a guard over an acquisition or a call, and for
//   its callees (`Demand::decls`).
// - lock_order_inversion: the same trigger, in every file of the package
//   (the cycle's edges may sit in files not asked for) once some requested
//   file has it; the same demands.
// - condvar_wait_without_loop: in a requested file, a function with
//   `.wait(..)`/`.wait_timeout(..)` handed an argument and a lock-like call
//   (outside test code); on demand the declarations its receiver's type
//   resolution read (`Demand::decls`).

/// Names that may lock, found by `Prefilter::lock_triggers`.
struct LockTriggers {
    /// Some file of the package names an RwLock.
    rw: bool,
    may_lock: HSet<u64>,
    /// Functions with a lock-like call (and those mentioning them).
    fns: Vec<(usize, usize)>,
}

impl LockTriggers {
    /// Acquisitions of `f` (RwLock ones only when the package names RwLock).
    fn calls(&self, f: &LexFn) -> u32 {
        f.lock_calls + if self.rw { f.rw_calls } else { 0 }
    }

    fn has_edge(&self, f: &LexFn) -> bool {
        let n = self.calls(f);
        n >= 2 || (n >= 1 && meets(&f.acq_mentions, &self.may_lock))
    }

    /// The per-file trigger of the requested file `s`.
    fn candidate(&self, en: Enabled, s: &FileScan, live: bool) -> bool {
        let locks =
            (en.double_lock || en.lock_order) && live && s.fns.iter().any(|f| self.has_edge(f));
        // The guard a Condvar wait is handed comes from a lock call of the
        // same function (a named guard, or one taken in the arguments).
        let cv = en.condvar && s.fns.iter().any(|f| f.cv_wait && f.lock_call);
        locks || cv
    }

    fn extend_plan(
        &self,
        en: Enabled,
        scans: &[Option<FileScan>],
        test_target: &[bool],
        plan: &mut Plan,
    ) {
        if !(en.double_lock || en.lock_order) {
            return;
        }
        let edge_file = |fi: usize| {
            !test_target[fi]
                && scans[fi]
                    .as_ref()
                    .is_some_and(|s| s.fns.iter().any(|f| self.has_edge(f)))
        };
        if en.lock_order && (0..scans.len()).any(|fi| plan.parse[fi] && edge_file(fi)) {
            for fi in 0..scans.len() {
                if edge_file(fi) {
                    plan.parse[fi] = true;
                }
            }
        }
        for &(fi, i) in &self.fns {
            if let Some(f) = scans[fi].as_ref().and_then(|s| s.fns.get(i)) {
                if f.drop_for.is_none() {
                    for &k in &f.keys {
                        plan.lock_defs.entry(k).or_default().push((fi, i));
                    }
                }
            }
        }
    }
}

impl Prefilter {
    /// The may-lock fixpoint over names (like `may_wait`).
    fn lock_triggers<'s>(
        &self,
        scans: &'s [Option<FileScan>],
        by_mention: &HMap<u64, Vec<(usize, usize)>>,
        fn_at: &dyn Fn((usize, usize)) -> &'s LexFn,
    ) -> LockTriggers {
        let en = self.enabled;
        let mut t = LockTriggers {
            rw: scans.iter().flatten().any(|s| s.rwlock),
            may_lock: HSet::default(),
            fns: Vec::new(),
        };
        if !(en.double_lock || en.lock_order) {
            return t;
        }
        let mut work: Vec<(usize, usize)> = Vec::new();
        for (fi, s) in scans.iter().enumerate() {
            if let Some(s) = s {
                for (i, f) in s.fns.iter().enumerate() {
                    if t.calls(f) > 0 {
                        work.push((fi, i));
                    }
                }
            }
        }
        let mut done: HashSet<(usize, usize)> = HashSet::new();
        while let Some(id) = work.pop() {
            if !done.insert(id) {
                continue;
            }
            t.fns.push(id);
            for &k in &fn_at(id).keys {
                if t.may_lock.insert(k) {
                    if let Some(users) = by_mention.get(&k) {
                        work.extend(users.iter().copied().filter(|u| !done.contains(u)));
                    }
                }
            }
        }
        t
    }
}

/// The last field of a path (`self.inner.state` -> `state`), as an
/// identifier; empty when there is none (then every file with the call counts).
fn last_segment(path: &str) -> String {
    let last = path.rsplit('.').next().unwrap_or(path);
    let ident: String = last
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if ident.is_empty() || ident.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return String::new();
    }
    ident
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pf() -> Prefilter {
        Prefilter::new(&Config::defaults(std::path::Path::new(".")))
    }

    #[test]
    fn lexes_fns_and_waits() {
        let s = pf().scan(
            "impl Drop for Waiter { fn drop(&mut self) { self.h.take().map(|h| h.join()); } }\n\
             fn other() { let s = r#\"fn fake() { x.join() }\"#; let c = '\"'; }",
        );
        assert_eq!(s.fns.len(), 2);
        assert!(s.fns[0].direct_wait);
        assert_eq!(s.fns[0].drop_for, Some(name_hash(b"Waiter")));
        assert!(!s.fns[1].direct_wait);
    }

    /// Whitespace runs of every length and mix (the eight-byte space skip)
    /// leave the tokens where they are.
    #[test]
    fn whitespace_runs_keep_token_positions() {
        for len in 0..40 {
            for mix in [" ", "\t", "\n", " \r\n"] {
                let gap: String = (0..len)
                    .map(|i| if i % 11 == 5 { mix } else { " " })
                    .collect();
                let text = format!("a{gap}bc{gap}");
                let toks = tokenize(text.as_bytes());
                let spans: Vec<(u32, u32)> = toks.iter().map(|t| (t.start, t.end)).collect();
                let b = 1 + gap.len() as u32;
                let expect = if len == 0 {
                    vec![(0, 3)]
                } else {
                    vec![(0, 1), (b, b + 2)]
                };
                assert_eq!(spans, expect, "gap {gap:?}");
            }
        }
    }

    /// The bracket table agrees with counting depth, on every fixture and
    /// on unbalanced input.
    #[test]
    fn matching_equals_close_of() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts: Vec<String> = walkdir::WalkDir::new(root.join("fixtures"))
            .into_iter()
            .chain(walkdir::WalkDir::new(root.join("lint/src")))
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect();
        texts.extend(["fn f( { [ ) }".into(), "}}{ ( ] [".into(), "".into()]);
        let mut checked = 0;
        for t in &texts {
            let toks = tokenize(t.as_bytes());
            let m = matching(&toks);
            for (k, tok) in toks.iter().enumerate() {
                let (o, c) = match tok.kind {
                    T::Punct(b'(') => (b'(', b')'),
                    T::Punct(b'[') => (b'[', b']'),
                    T::Punct(b'{') => (b'{', b'}'),
                    _ => continue,
                };
                assert_eq!(m[k] as usize, close_of(&toks, k, o, c), "{t:.60}");
                checked += 1;
            }
        }
        assert!(checked > 10_000, "{checked}");
    }

    /// Lint 4's trigger is a wait in async code that is not test code.
    #[test]
    fn async_and_test_regions() {
        let p = pf();
        let wait = "std::thread::sleep(d);";
        for (src, want) in [
            (format!("async fn f() {{ {wait} }}"), true),
            (format!("pub async unsafe fn f() {{ {wait} }}"), true),
            (
                format!("fn f() {{ spawn(async move {{ {wait} }}); }}"),
                true,
            ),
            (format!("fn f() {{ let c = async |x| {wait} ; }}"), true),
            (format!("fn f() {{ {wait} }} async fn g() {{}}"), false),
            (format!("async fn g() {{}} fn f() {{ {wait} }}"), false),
            (format!("#[test] async fn f() {{ {wait} }}"), false),
            (
                format!("#[tokio::test(flavor = \"x\")]\npub async fn f() {{ {wait} }}"),
                false,
            ),
            (
                format!("#[cfg(test)] mod t {{ async fn f() {{ {wait} }} }}"),
                false,
            ),
            (
                format!("#[cfg(test)] impl S {{ async fn f() {{ {wait} }} }}"),
                false,
            ),
            // Not provably test code: still a trigger.
            (
                format!("#[cfg(all(test, x))] mod t {{ async fn f() {{ {wait} }} }}"),
                true,
            ),
            (
                format!("#[cfg(test)] trait T {{ async fn f() {{ {wait} }} }}"),
                true,
            ),
        ] {
            assert_eq!(p.scan(&src).async_wait, want, "{src}");
        }
    }

    #[test]
    fn awaited_recv_is_not_a_wait() {
        let p = pf();
        assert!(!p.scan("async fn f() { rx.recv().await; }").direct_wait);
        assert!(p.scan("fn f() { rx.recv(); }").direct_wait);
        assert!(p.scan("async fn f() { rx.blocking_recv(); }").direct_wait);
        assert!(!p.scan("fn f() { p.join(\"x\"); }").direct_wait);
    }
}

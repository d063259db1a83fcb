//! One file's scan: its tokens, then per function the facts its range
//! holds (`facts.rs`), the names it mentions (`mentions.rs`), and the
//! file's async code as one more region (`regions.rs`).

use super::facts::{
    guard_reach, openers, Positions, FROM_BODY, F_CLOSE_PATH_NAME, F_LOCK, F_LOCK2, F_LOCK_COUNTED,
    POSITIONAL,
};
use super::items::Items;
use super::regions::{brackets, innermost, path_attrs, regions, Brackets};
use super::{method_key, name_hash, Prefilter};
use crate::lex::{tokenize_into, Tok, T};
use std::cell::RefCell;

/// A file's tokens and bracket table, with the lookups every pass uses.
pub(super) struct Src<'a> {
    pub b: &'a [u8],
    pub toks: &'a [Tok],
    /// For every opening bracket, the token closing it.
    pub close: &'a [u32],
}

impl Src<'_> {
    pub fn id(&self, k: usize) -> &[u8] {
        &self.b[self.toks[k].range()]
    }
    pub fn is_id(&self, k: usize, s: &[u8]) -> bool {
        k < self.toks.len() && self.toks[k].kind == T::Ident && self.id(k) == s
    }
    pub fn is_p(&self, k: usize, c: u8) -> bool {
        k < self.toks.len() && self.toks[k].kind == T::Punct(c)
    }
    /// The token closing the bracket opened at `open`.
    pub fn close_of(&self, open: usize) -> usize {
        self.close[open] as usize
    }
}

/// The facts of one region (bit `F_*` of `facts.rs` per fact).
#[derive(Debug, Default)]
pub(super) struct Region {
    /// Facts anywhere in the region.
    pub facts: u16,
    /// Facts outside test code.
    pub live: u16,
    /// Mention keys (sorted, deduplicated).
    pub mentions: Vec<u64>,
    /// Mention keys outside test code, when they differ from `mentions`.
    pub live_mentions: Option<Vec<u64>>,
    /// The counted lock acquisitions in the range, by name (`LockNames`).
    pub locks: Option<Box<LockNames>>,
}

/// The counted lock acquisitions of a function by the names their locks
/// may end in (`facts::lock_tail`; `facts::TAIL_ANY`: any lock): what the
/// lock-order graph of names (`plan.rs`) is built from.
#[derive(Debug, Default)]
pub(super) struct LockNames {
    /// Every name an acquisition in the range may take (sorted).
    pub tails: Vec<u64>,
    /// (first, second) for two acquisitions where the second may come while
    /// the first one's guard is alive (`guard_reach`), every name of each
    /// (sorted, deduplicated).
    pub pairs: Vec<(u64, u64)>,
}

impl Region {
    fn compact(&mut self) {
        self.mentions.shrink_to_fit();
        if let Some(m) = &mut self.live_mentions {
            m.shrink_to_fit();
        }
    }
}

/// One function found by the lexer.
#[derive(Debug)]
pub(super) struct LexFn {
    /// `T::m` for a method of a named type (close-state method lookups).
    pub close_key: Option<u64>,
    /// Keys a call can reach it by: `m` (free), `T::m` and `*::m` (method).
    pub keys: Vec<u64>,
    /// `Some(T)` for `fn drop` in `impl Drop for T`.
    pub drop_for: Option<u64>,
    /// Its token range (nested code included).
    pub region: Region,
    /// Its signature names a callable (`Fn`, `FnMut`, `FnOnce`, `fn(..)`):
    /// a closure handed to it may run inside it (`Index::handed_runs`).
    pub takes_callable: bool,
    /// The body's byte range, braces included (`FileScan::blank_ranges`).
    pub body: (u32, u32),
    /// Its range holds async code (an async body, block or closure).
    pub has_async: bool,
    /// The hash of its name (a close path: `is_close_path`).
    pub name: u64,
    /// The close paths of this file its range calls as methods (`.name`,
    /// any receiver): `Index::close_calls_in_file` reads them (sorted).
    pub dot_calls: Vec<u64>,
}

impl LexFn {
    /// Named `drop` or a close path (`F_CLOSE_PATH_NAME`).
    pub fn is_close_path(&self) -> bool {
        self.region.facts & (1 << F_CLOSE_PATH_NAME) != 0
    }
}

/// What the lexer learned about one file.
#[derive(Debug, Default)]
pub struct FileScan {
    pub(super) fns: Vec<LexFn>,
    /// Every mention key in the file (sorted, deduplicated).
    pub(super) mentions: Vec<u64>,
    /// Close-state method keys a closed check may resolve through the index
    /// (`T::m` for `self.m()` and `x.is_closed()` inside `impl T`).
    pub(super) plain: Vec<u64>,
    /// The identifier right before `.lock()`-like calls / `.take()`
    /// (hashes), and whether some receiver is not an identifier.
    pub(super) lock_recv: Vec<u64>,
    pub(super) lock_wild: bool,
    pub(super) take_recv: Vec<u64>,
    pub(super) take_wild: bool,
    pub(super) take_call: bool,
    /// Some lock acquisition anywhere in the file.
    pub(super) lock_call: bool,
    /// Type, static and alias names the file declares (hashes, sorted).
    pub(super) decls: Vec<u64>,
    /// Those of them declared inside a function body, with the byte
    /// offset of the name (`demanded`: in a body a parse left out?).
    pub(super) body_decls: Vec<(u64, u32)>,
    /// Modules the file declares (hashes, sorted): with its path, the
    /// modules a function of the file may be in (`m::f` resolves there).
    pub(super) mods: Vec<u64>,
    /// Types with an `impl` block in this file.
    pub(super) impls: Vec<u64>,
    /// The union of the functions' facts (a quick reject per trigger).
    pub(super) any: u16,
    /// The async code (async fn bodies, async blocks and closures).
    pub(super) async_code: Region,
    /// With a `#[path = ..]` attribute: the components of the paths it names
    /// (hashes, with and without `.rs`; `regions::PATH_ANY` when unreadable),
    /// for `Demand::path_decls`.
    pub(super) path_attrs: Option<Vec<u64>>,
}

impl FileScan {
    /// Drops the spare capacity of the scan's vectors: a package's scans
    /// stay in memory while it is analysed, and collecting, sorting and
    /// deduplicating leaves slack (a 110 MB package kept ~90 MB of scans).
    fn compact(&mut self) {
        for f in &mut self.fns {
            f.keys.shrink_to_fit();
            f.region.compact();
        }
        self.fns.shrink_to_fit();
        for v in [
            &mut self.mentions,
            &mut self.plain,
            &mut self.lock_recv,
            &mut self.take_recv,
            &mut self.impls,
            &mut self.decls,
            &mut self.mods,
        ] {
            v.shrink_to_fit();
        }
        self.async_code.compact();
    }

    /// Functions with a body found in the file.
    pub fn fn_count(&self) -> usize {
        self.fns.len()
    }

    /// The byte range of every function body (braces included), in
    /// source order.
    pub fn bodies(&self) -> Vec<(u32, u32)> {
        self.fns.iter().map(|f| f.body).collect()
    }

    /// The byte ranges to blank when only the functions `keep` marks (by
    /// index into the scan's functions; `None`: all) are needed: the
    /// insides of the outermost bodies that are neither kept nor enclose a
    /// kept function (a body holds every function nested in it; a kept
    /// body is kept whole; `Drop::drop` is always kept). Functions are in
    /// source order, their bodies nested or disjoint.
    pub fn blank_ranges(&self, keep: Option<&[bool]>) -> Vec<(u32, u32)> {
        let Some(keep) = keep else {
            return Vec::new();
        };
        let fns = &self.fns;
        let mut keep = keep.to_vec();
        keep.resize(fns.len(), true);
        // A `Drop::drop` body is always kept: the index reads it for every
        // value of its type (a guard a helper returns), whatever asked.
        for (k, f) in keep.iter_mut().zip(fns) {
            *k |= f.drop_for.is_some();
        }
        let mut open: Vec<usize> = Vec::new();
        for (x, f) in fns.iter().enumerate() {
            while open.last().is_some_and(|&g| fns[g].body.1 <= f.body.0) {
                open.pop();
            }
            if keep[x] {
                for &g in &open {
                    keep[g] = true;
                }
            }
            open.push(x);
        }
        let mut out = Vec::new();
        let mut until = 0;
        for (f, k) in fns.iter().zip(&keep) {
            let (a, b) = f.body;
            if a < until {
                continue;
            }
            if !*k && b > a + 2 {
                out.push((a + 1, b - 1));
            }
            until = b;
        }
        out
    }
}

/// Is a position in `at` (ascending) within `from..=to`?
fn within(at: &[usize], from: usize, to: usize) -> bool {
    let i = at.partition_point(|&p| p < from);
    at.get(i).is_some_and(|&p| p <= to)
}

/// The keys of `it` sorted and deduplicated, in a vector of exactly that
/// length (`buf` is scratch space: no regrowth, no shrinking copy).
fn sorted(buf: &mut Vec<u64>, it: impl Iterator<Item = u64>) -> Vec<u64> {
    buf.clear();
    buf.extend(it);
    buf.sort_unstable();
    buf.dedup();
    buf.as_slice().to_vec()
}

/// Buffers a thread reuses from one file's scan to the next: the tokens,
/// bracket table and mentions live only while a file is scanned (its
/// `FileScan` is what stays).
#[derive(Default)]
struct Scratch {
    toks: Vec<Tok>,
    close: Vec<u32>,
    mention: Vec<(usize, u64)>,
    keys: Vec<u64>,
}

impl Scratch {
    /// Lets go of buffers a very large file grew (a generated file of
    /// megabytes would otherwise keep them for the rest of the run).
    fn trim(&mut self) {
        const KEEP: usize = 1 << 19;
        if self.toks.capacity() > KEEP {
            *self = Scratch::default();
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Prefilter {
    /// Lexes one file.
    pub fn scan(&self, text: &str) -> FileScan {
        SCRATCH.with(|c| match c.try_borrow_mut() {
            Ok(mut sc) => {
                let fs = self.scan_in(text, &mut sc);
                sc.trim();
                fs
            }
            Err(_) => self.scan_in(text, &mut Scratch::default()),
        })
    }

    fn scan_in(&self, text: &str, sc: &mut Scratch) -> FileScan {
        let b = text.as_bytes();
        tokenize_into(b, &mut sc.toks);
        let br = brackets(&sc.toks, b, std::mem::take(&mut sc.close));
        let s = Src {
            b,
            toks: &sc.toks,
            close: &br.close,
        };
        let fs = self.scan_src(&s, &br, &mut sc.mention, &mut sc.keys);
        sc.close = br.close;
        fs
    }

    fn scan_src(
        &self,
        s: &Src,
        br: &Brackets,
        mention: &mut Vec<(usize, u64)>,
        buf: &mut Vec<u64>,
    ) -> FileScan {
        let b = s.b;
        let n = s.toks.len();
        let p: Positions = self.facts(s);
        let Items { fns: heads, impls } = self.items(s);
        // The file's close paths, whose method calls `mentions` lists too:
        // what a close path's same-file callers are.
        let mut close_names: Vec<u64> = heads
            .iter()
            .filter(|h| h.close_path)
            .map(|h| h.name)
            .collect();
        close_names.sort_unstable();
        let mut dot_calls: Vec<(usize, u64)> = Vec::new();
        super::mentions::mentions(s, &impls, &p.renames, &close_names, mention, &mut dot_calls);
        let mention = &*mention;
        // Async and test code: a trigger may look only at async code, and
        // skip test code.
        let impl_kw: Vec<(usize, usize)> = impls.iter().map(|im| (im.kw, im.end)).collect();
        let fn_spans: Vec<(usize, usize, usize, u64)> = heads
            .iter()
            .map(|f| (f.kw, f.open, f.close, f.name))
            .collect();
        let (in_async, in_test) = regions(s.toks, b, br, &fn_spans, &impl_kw);
        let is_in = |v: &[bool], k: usize| v.get(k).copied().unwrap_or(false);
        // Positions outside test code (the same lists when there is none).
        let live_at: Option<Vec<Vec<usize>>> = (!in_test.is_empty()).then(|| {
            p.at.iter()
                .map(|v| v.iter().copied().filter(|&k| !is_in(&in_test, k)).collect())
                .collect()
        });
        let live: &[Vec<usize>] = live_at.as_deref().unwrap_or(&p.at);
        let live_edge: Option<Vec<usize>> = (!in_test.is_empty()).then(|| {
            p.lock_edge
                .iter()
                .copied()
                .filter(|&k| !is_in(&in_test, k))
                .collect()
        });
        // Where each counted acquisition's guard may still be alive (only
        // read when there are two).
        let reach: Vec<usize> = if p.lock_edge.len() >= 2 {
            let open_of = openers(s);
            let is_fn_body = |o: usize| heads.binary_search_by_key(&o, |h| h.open).is_ok();
            p.lock_edge
                .iter()
                .map(|&k| guard_reach(s, &open_of, is_fn_body, k))
                .collect()
        } else {
            Vec::new()
        };
        let reach_of = |k: usize| {
            p.lock_edge
                .binary_search(&k)
                .map_or(usize::MAX, |i| reach[i])
        };
        // Consecutive counted acquisitions where the second may come while
        // the first one's guard is alive (a direct pair needs one such).
        let edge_pairs = |list: &[usize]| -> Vec<(usize, usize)> {
            list.windows(2)
                .filter(|w| w[1] <= reach_of(w[0]))
                .map(|w| (w[0], w[1]))
                .collect()
        };
        let pairs = edge_pairs(&p.lock_edge);
        // Every pair (not only consecutive ones) where the second may come
        // while the first one's guard is alive, by index into `lock_edge`
        // (in order of the first).
        let mut all_pairs: Vec<(usize, usize)> = Vec::new();
        for (i, &r) in reach.iter().enumerate() {
            let later = p.lock_edge[i + 1..].iter().take_while(|&&k| k <= r).count();
            all_pairs.extend((i + 1..=i + later).map(|j| (i, j)));
        }
        let lock_names = |from: usize, to: usize| -> Option<Box<LockNames>> {
            let lo = p.lock_edge.partition_point(|&k| k < from);
            let hi = p.lock_edge.partition_point(|&k| k <= to);
            if lo == hi {
                return None;
            }
            let mut tails: Vec<u64> = p.edge_tails[lo..hi].iter().flatten().copied().collect();
            tails.sort_unstable();
            tails.dedup();
            let mut pairs: Vec<(u64, u64)> = Vec::new();
            let first = all_pairs.partition_point(|&(i, _)| i < lo);
            for &(i, j) in all_pairs[first..]
                .iter()
                .take_while(|&&(i, _)| i < hi)
                .filter(|&&(_, j)| j < hi)
            {
                for &a in &p.edge_tails[i] {
                    pairs.extend(p.edge_tails[j].iter().map(|&b| (a, b)));
                }
            }
            pairs.sort_unstable();
            pairs.dedup();
            Some(Box::new(LockNames { tails, pairs }))
        };
        let live_pairs = live_edge.as_deref().map(edge_pairs);
        let bits = |at: &[Vec<usize>],
                    edge: &[usize],
                    pairs: &[(usize, usize)],
                    from: usize,
                    body: usize,
                    to: usize| {
            let mut v = 0u16;
            for f in 0..POSITIONAL {
                let start = if FROM_BODY[f] { body } else { from };
                if within(&at[f], start, to) {
                    v |= 1 << f;
                }
            }
            if within(edge, from, to) {
                v |= 1 << F_LOCK_COUNTED;
            }
            // A pair starting in the range: the first one ends soonest.
            let i = pairs.partition_point(|q| q.0 < from);
            if pairs.get(i).is_some_and(|q| q.1 <= to) {
                v |= 1 << F_LOCK2;
            }
            v
        };
        let mut fs = FileScan {
            path_attrs: path_attrs(s.toks, b, br),
            fns: Vec::with_capacity(heads.len()),
            ..FileScan::default()
        };
        // The async code: one region of its own.
        if !in_async.is_empty() {
            let is_async = |k: usize| is_in(&in_async, k);
            let live_async = |k: usize| is_async(k) && !is_in(&in_test, k);
            let mut r = Region::default();
            for f in 0..POSITIONAL {
                if p.at[f].iter().any(|&k| is_async(k)) {
                    r.facts |= 1 << f;
                }
                if p.at[f].iter().any(|&k| live_async(k)) {
                    r.live |= 1 << f;
                }
            }
            if heads.iter().any(|h| h.close_path) {
                r.facts |= 1 << F_CLOSE_PATH_NAME;
                r.live |= 1 << F_CLOSE_PATH_NAME;
            }
            r.mentions = sorted(buf, mention.iter().filter(|m| is_async(m.0)).map(|m| m.1));
            if !in_test.is_empty() {
                r.live_mentions = Some(sorted(
                    buf,
                    mention.iter().filter(|m| live_async(m.0)).map(|m| m.1),
                ));
            }
            fs.async_code = r;
        }
        let keys_in = |buf: &mut Vec<u64>, from: usize, to: usize| -> Vec<u64> {
            let lo = mention.partition_point(|&(t, _)| t < from);
            let hi = mention.partition_point(|&(t, _)| t <= to);
            sorted(buf, mention[lo..hi].iter().map(|&(_, h)| h))
        };
        // Innermost impl and innermost enclosing fn body of each fn (both
        // lists are in source order and properly nested: one stack walk each).
        let impl_spans: Vec<(usize, usize)> = impls.iter().map(|im| (im.start, im.end)).collect();
        let inner_impl = innermost(&impl_spans, heads.iter().map(|f| f.kw));
        let mut outer_fn: Vec<Option<usize>> = Vec::with_capacity(heads.len());
        let mut fst: Vec<usize> = Vec::new();
        for (x, h) in heads.iter().enumerate() {
            while fst.last().is_some_and(|&g| heads[g].close < h.kw) {
                fst.pop();
            }
            outer_fn.push(fst.last().copied().filter(|&g| heads[g].open < h.kw));
            fst.push(x);
        }
        for (x, h) in heads.iter().enumerate() {
            let (f, open, name) = (h.kw, h.open, h.name);
            let inner = inner_impl[x].map(|i| &impls[i]);
            let drop_for = inner
                .filter(|im| im.drop && name == name_hash(b"drop"))
                .and_then(|im| im.ty);
            let fname = s.id(f + 1);
            // A method only directly in an impl/trait (not nested in a fn
            // body there); a method of a type the model cannot name is free.
            let nested =
                inner.is_some_and(|im| outer_fn[x].is_some_and(|g| heads[g].open > im.start));
            let keys = match inner {
                Some(im) if !nested => match &im.ty_name {
                    Some(t) => vec![method_key(b"*", fname), method_key(t, fname)],
                    None => vec![method_key(b"*", fname), name],
                },
                _ => vec![name],
            };
            let close = h.close.min(n - 1);
            let close_key = match inner {
                Some(im) if !nested => im.ty_name.as_ref().map(|t| method_key(t, fname)),
                _ => None,
            };
            let named = if h.close_path {
                1 << F_CLOSE_PATH_NAME
            } else {
                0
            };
            let facts = bits(&p.at, &p.lock_edge, &pairs, f, open, close) | named;
            let region = Region {
                facts,
                live: match (&live_edge, &live_pairs) {
                    (Some(edge), Some(lp)) => bits(live, edge, lp, f, open, close) | named,
                    _ => facts,
                },
                mentions: keys_in(buf, f, close),
                live_mentions: None,
                locks: lock_names(f, close),
            };
            fs.any |= region.facts;
            fs.fns.push(LexFn {
                close_key,
                keys,
                drop_for,
                region,
                takes_callable: (f + 2..open).any(|k| {
                    s.toks[k].kind == T::Ident
                        && matches!(s.id(k), b"Fn" | b"FnMut" | b"FnOnce" | b"fn")
                }),
                body: (s.toks[open].start, s.toks[close].end),
                has_async: in_async.get(f..=close).is_some_and(|r| r.contains(&true)),
                name,
                dot_calls: {
                    let lo = dot_calls.partition_point(|&(t, _)| t < f);
                    let hi = dot_calls.partition_point(|&(t, _)| t <= close);
                    sorted(buf, dot_calls[lo..hi].iter().map(|&(_, h)| h))
                },
            });
        }
        fs.mentions = sorted(buf, mention.iter().map(|&(_, h)| h));
        // Close-method keys: the enclosing impl's type (the model looks a
        // close-state method up under the caller's own self type).
        let mut close_keys: Vec<u64> = Vec::new();
        for (&k, im) in p
            .plain
            .iter()
            .zip(innermost(&impl_spans, p.plain.iter().copied()))
        {
            if let Some(t) = im.and_then(|i| impls[i].ty_name.as_ref()) {
                close_keys.push(method_key(t, s.id(k)));
            }
        }
        fs.plain = sorted(buf, close_keys.into_iter());
        fs.impls = sorted(buf, impls.iter().filter_map(|im| im.ty));
        fs.lock_recv = p.lock_recv;
        fs.lock_wild = p.lock_wild;
        fs.take_recv = p.take_recv;
        fs.take_wild = p.take_wild;
        fs.take_call = p.take_call;
        fs.lock_call = !p.at[F_LOCK].is_empty();
        // Declarations inside a body: outermost bodies are disjoint and in order.
        let mut outer: Vec<(usize, usize)> = Vec::new();
        for h in &heads {
            if outer.last().is_none_or(|&(_, c)| c < h.open) {
                outer.push((h.open, h.close));
            }
        }
        fs.body_decls = p
            .decl_at
            .iter()
            .zip(&p.decls)
            .filter(|&(&k, _)| {
                let i = outer.partition_point(|&(o, _)| o < k);
                i > 0 && k < outer[i - 1].1
            })
            .map(|(&k, &h)| (h, s.toks[k].start))
            .collect();
        fs.decls = sorted(buf, p.decls.into_iter());
        fs.mods = sorted(buf, p.mods.into_iter());
        fs.compact();
        fs
    }
}

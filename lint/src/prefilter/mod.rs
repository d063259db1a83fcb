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
//! 3. Candidates: requested files with a region (a function, or the async
//!    code) where every fact of some enabled lint's trigger holds (the
//!    trigger is part of the lint's declaration, see `trigger.rs`), and the
//!    close-state methods their closed checks may call. Only these are
//!    parsed first.
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
//! truth; `lint/tests/prefilter.rs`, `lint/tests/equivalence.rs` and
//! `bench/run` check identity.
//!
//! Files: `trigger.rs` (the facts a lint declares), `scan.rs` (one file's
//! facts per function), `facts.rs` (the per-token vocabulary facts),
//! `items.rs` (fn and impl headers), `mentions.rs` (call-like names),
//! `regions.rs` (brackets, async and test code), `plan.rs` (the first
//! round), `demand.rs` (later rounds). Tokens come from `crate::lex`.

mod demand;
mod facts;
mod items;
mod mentions;
mod plan;
mod regions;
mod scan;
mod trigger;

pub use plan::Plan;
pub use scan::FileScan;
pub use trigger::{Fact, Trigger, Within};

use crate::config::Config;
use crate::diag::Level;
use crate::vocab::{
    Vocab, CONDVAR_WAITS, DEFER_MACROS, LOCK_METHODS, SCOPEGUARD_CONSTRUCTORS, SLEEP,
};
use aho_corasick::AhoCorasick;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counters for `SYNCLINT_STATS=1`: files kept per lint (in `rules::LINTS`
/// order, a file may count for several), then `close-defs` and `demanded`.
pub static STATS: [AtomicUsize; 32] = [const { AtomicUsize::new(0) }; 32];
/// Where the two extra counters sit in `STATS`.
pub const STAT_CLOSE_DEFS: usize = 30;
pub const STAT_DEMANDED: usize = 31;
fn stat(i: usize, on: bool) {
    if on {
        STATS[i.min(STATS.len() - 1)].fetch_add(1, Ordering::Relaxed);
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

/// The keys a path component is known by: itself, and its module name
/// without `.rs` (`conn.rs` -> `conn.rs`, `conn`).
pub(super) fn part_keys(c: &[u8]) -> impl Iterator<Item = u64> {
    std::iter::once(name_hash(c)).chain(c.strip_suffix(b".rs").map(name_hash))
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
const W_ANY: u16 = 1;
const W_ALWAYS: u16 = 2;
const W_NOARGS: u16 = 4;
const C_WORD: u16 = 8;
const C_METHOD: u16 = 16;
const C_FIELD: u16 = 32;
const SCOPEGUARD: u16 = 64;
const LOCK: u16 = 128;
const CONDVAR_WAIT: u16 = 256;

pub struct Prefilter {
    /// Lowercase substrings naming a closed state.
    variants: Vec<String>,
    /// Wait, close-state, scopeguard, lock and condvar words, by identifier hash.
    words: HMap<u64, u16>,
    /// Bit `len.min(63)` of `word_shape[first byte]`: some word has that
    /// first byte and length (most identifiers are rejected without hashing).
    word_shape: [u64; 256],
    /// Variants by their first byte (lowercase), for the substring test.
    variant_first: [bool; 256],
    /// The first three bytes of every variant, lowercased (`| 0x20`).
    variant_tri: Vec<u32>,
    /// Bit `b0 << 8 | b1` set for the first two bytes of every variant,
    /// lowercased (`| 0x20`): a bit set of 65,536 pairs.
    variant_pairs: Box<[u64; 1024]>,
    /// Finds any close path in a name.
    close_path_ac: Option<AhoCorasick>,
    /// Some variant is shorter than three bytes: no three-byte filter.
    variant_short: bool,
    /// Some (non-empty) close variant is configured.
    has_variants: bool,
    /// The shortest variant's length.
    min_variant: usize,
    vocab: Vocab,
    /// The enabled lints' triggers, with each lint's index in `rules::LINTS`.
    triggers: Vec<(usize, Trigger)>,
}

impl Prefilter {
    pub fn new(config: &Config) -> Prefilter {
        let v = &config.vocab;
        let bytes = |s: &String| s.as_bytes().to_vec();
        let mut wait_any: HashSet<Vec<u8>> = v.wait_methods.iter().map(bytes).collect();
        wait_any.extend(v.wait_functions.iter().map(bytes));
        wait_any.extend(v.blocking_methods.iter().map(bytes));
        wait_any.insert(SLEEP.as_bytes().to_vec());
        let mut always_blocking: HashSet<Vec<u8>> = v.blocking_methods.iter().map(bytes).collect();
        always_blocking.extend(v.wait_functions.iter().map(bytes));
        always_blocking.insert(SLEEP.as_bytes().to_vec());
        let close_methods: HashSet<Vec<u8>> = v.close_state_methods.iter().map(bytes).collect();
        let close_fields: HashSet<Vec<u8>> = v.close_state_fields.iter().map(bytes).collect();
        let mut close_words = close_methods.clone();
        close_words.extend(close_fields.iter().cloned());
        close_words.extend(v.ensure_open_methods.iter().map(bytes));
        // The registry in order; a lint enabled at any level keeps its trigger.
        let triggers: Vec<(usize, Trigger)> = crate::rules::LINTS
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                config
                    .levels
                    .iter()
                    .any(|(c, lv)| c.name == l.name && *lv != Level::Allow)
            })
            .map(|(i, l)| (i, l.trigger))
            .collect();
        let mut words: HMap<u64, u16> = HMap::default();
        let mut flag = |set: &HashSet<Vec<u8>>, f: u16| {
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
        let consts =
            |l: &[&str]| -> HashSet<Vec<u8>> { l.iter().map(|s| s.as_bytes().to_vec()).collect() };
        let sg: HashSet<Vec<u8>> = consts(SCOPEGUARD_CONSTRUCTORS)
            .union(&consts(DEFER_MACROS))
            .cloned()
            .collect();
        flag(&sg, SCOPEGUARD);
        let locks = consts(LOCK_METHODS);
        flag(&locks, LOCK);
        let condvar = consts(CONDVAR_WAITS);
        flag(&condvar, CONDVAR_WAIT);
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
            .chain(&locks)
            .chain(&condvar)
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
        let mut variant_pairs = Box::new([0u64; 1024]);
        for v in variants.iter().filter(|v| v.len() >= 3) {
            let b = v.as_bytes();
            let pair = ((b[0] | 0x20) as usize) << 8 | (b[1] | 0x20) as usize;
            variant_pairs[pair >> 6] |= 1 << (pair & 63);
        }
        let close_path_ac = (!v.close_paths.is_empty())
            .then(|| AhoCorasick::new(v.close_paths.iter()).ok())
            .flatten();
        Prefilter {
            close_path_ac,
            word_shape,
            variant_tri,
            variant_pairs,
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
            triggers,
        }
    }

    fn is_variant(&self, id: &[u8]) -> bool {
        if id.len() < self.min_variant {
            return false;
        }
        // A variant starts where the three lowercase bytes of one start.
        let tri =
            |i: usize| u32::from_le_bytes([id[i] | 0x20, id[i + 1] | 0x20, id[i + 2] | 0x20, 0]);
        let at = |i: usize| {
            self.variant_first[id[i] as usize]
                && (self.variant_short || (i + 3 <= id.len() && self.variant_tri.contains(&tri(i))))
                && self.variants.iter().any(|v| {
                    id.len() - i >= v.len() && id[i..i + v.len()].eq_ignore_ascii_case(v.as_bytes())
                })
        };
        let last = id.len() - self.min_variant;
        if self.variant_short {
            return (0..=last).any(at);
        }
        // Every variant is 3+ bytes long: its first two (lowercase) bytes
        // are in `variant_pairs`, a cheaper test than `at` for most places.
        id[..last + 2].windows(2).enumerate().any(|(i, w)| {
            let pair = ((w[0] | 0x20) as usize) << 8 | (w[1] | 0x20) as usize;
            self.variant_pairs[pair >> 6] & (1 << (pair & 63)) != 0 && at(i)
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
    fn word_flags(&self, w: &[u8]) -> u16 {
        match w.first() {
            Some(&c) if self.word_shape[c as usize] & (1 << w.len().min(63)) != 0 => {
                self.words.get(&name_hash(w)).copied().unwrap_or(0)
            }
            _ => 0,
        }
    }
}

fn meets(a: &[u64], set: &HSet<u64>) -> bool {
    a.iter().any(|h| set.contains(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pf() -> Prefilter {
        Prefilter::new(&Config::defaults(std::path::Path::new(".")))
    }

    /// A prefilter planning for the given triggers only.
    fn with(triggers: &[Trigger]) -> Prefilter {
        let mut p = pf();
        p.triggers = triggers.iter().copied().enumerate().collect();
        p
    }

    /// The variant test agrees with the model's (`Vocab::is_close_variant`)
    /// for the default variants and others of three bytes or more (the pair
    /// and three-byte filters) and for shorter ones (every position), on
    /// words built around each variant, whole, upper-cased and cut short.
    #[test]
    fn variant_filters_agree_with_the_vocabulary() {
        let mut words: Vec<String> = [
            "state",
            "test",
            "stream",
            "is_closed",
            "CLOSED",
            "ClOsEd",
            "closing_soon",
            "shut",
            "Shutdown",
            "SHUTDOWN_NOW",
            "stopped",
            "xterminatedy",
            "terminat",
            "st",
            "te",
            "cl",
            "_closed_",
            "non_ascii_é_closed",
            "closedclosed",
            "Clo5ed",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let sets: [&[&str]; 3] = [
            &["closed", "closing", "shutdown", "stopped", "terminated"],
            &["end", "down_x"],
            &["up", "off"],
        ];
        for set in sets {
            for v in set {
                for pre in ["", "a", "_", "Xy", "q_Q"] {
                    for post in ["", "z", "_9", "Abc"] {
                        words.push(format!("{pre}{v}{post}"));
                        words.push(format!("{pre}{}{post}", v.to_ascii_uppercase()));
                        words.push(format!("{pre}{}{post}", &v[..v.len() - 1]));
                    }
                }
            }
        }
        for set in sets {
            let mut config = Config::defaults(std::path::Path::new("."));
            config.vocab.close_state_variants = set.iter().map(|s| s.to_string()).collect();
            let p = Prefilter::new(&config);
            for w in &words {
                assert_eq!(
                    p.is_variant(w.as_bytes()),
                    config.vocab.is_close_variant(w),
                    "{w:?} with variants {set:?}"
                );
            }
        }
    }

    /// Which of `files` the first round parses (all requested, none test targets).
    fn planned(p: &Prefilter, files: &[&str]) -> Vec<bool> {
        let scans: Vec<Option<FileScan>> = files.iter().map(|t| Some(p.scan(t))).collect();
        let all = vec![true; files.len()];
        p.plan(&scans, &all, &vec![false; files.len()]).parse
    }

    /// The facts the three lock/condvar lints need are expressible: a lock
    /// (directly or through crate calls), and a condvar wait.
    #[test]
    fn lock_reach_and_condvar_triggers() {
        let files = [
            "fn a(s: &S) { helper(s); }",
            "fn helper(s: &S) { let _g = s.m.lock().unwrap(); }",
            "fn c(cv: &Condvar, g: G) { let g = cv.wait(g).unwrap(); }",
            "fn d() { wait(x); other(); }",
            "#[cfg(test)] mod t { fn e(s: &S) { s.m.lock(); } }",
        ];
        let lock = Trigger::in_fn(&[Fact::Lock]);
        assert_eq!(
            planned(&with(&[lock]), &files),
            [false, true, false, false, true]
        );
        let live = lock.skipping_test_code();
        assert_eq!(
            planned(&with(&[live]), &files),
            [false, true, false, false, false]
        );
        let reach = Trigger::in_fn(&[Fact::LockReach]);
        assert_eq!(
            planned(&with(&[reach]), &files),
            [true, true, false, false, true]
        );
        let cv = Trigger::in_fn(&[Fact::CondvarWait]);
        assert_eq!(
            planned(&with(&[cv]), &files),
            [false, false, true, false, false]
        );
        let every = Trigger::EVERY_FILE;
        assert_eq!(planned(&with(&[cv, every]), &files), [true; 5]);
    }

    fn waits(bits: &u16) -> bool {
        bits & (1 << facts::F_WAIT) != 0
    }

    #[test]
    fn lexes_fns_and_waits() {
        let s = pf().scan(
            "impl Drop for Waiter { fn drop(&mut self) { self.h.take().map(|h| h.join()); } }\n\
             fn other() { let s = r#\"fn fake() { x.join() }\"#; let c = '\"'; }",
        );
        assert_eq!(s.fns.len(), 2);
        assert!(waits(&s.fns[0].region.facts));
        assert_eq!(s.fns[0].drop_for, Some(name_hash(b"Waiter")));
        assert!(!waits(&s.fns[1].region.facts));
    }

    /// A wait in async code that is not test code (`blocking_wait_in_async`'s trigger).
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
            assert_eq!(waits(&p.scan(&src).async_code.live), want, "{src}");
        }
    }

    /// Two acquisitions the lock-order lints count, the second while the
    /// first one's guard may be alive, make `F_LOCK2`; `try_*`,
    /// `self.lock()` and receivers that are no path (`v[i]`, `f()`, `x?`)
    /// do not count, though they stay lock calls (`F_LOCK`).
    #[test]
    fn lock_edges_count_only_countable_acquisitions() {
        let p = pf();
        let bits = |body: &str| p.scan(&format!("fn f() {{ {body} }}")).fns[0].region.facts;
        let two = |body: &str| bits(body) & (1 << facts::F_LOCK2) != 0;
        let one = |body: &str| bits(body) & (1 << facts::F_LOCK_COUNTED) != 0;
        for yes in [
            "let g = a.lock(); b.lock();",
            "let g = self.a.lock().unwrap(); x(); self.b.write();",
            "let _g = self.0.read(); (x).lock().await;",
            "let g = a.as_ref().lock(); *B.blocking_lock();",
            "if (a).lock().is_ok() { b.lock_arc(); }",
            "let g = &*x.inner().lock(); m.lock();",
            "return !(a).lock().is_ok() && b.lock().is_ok();",
            // Temporaries live to the end of their statement.
            "match a.lock().unwrap().s { X => b.lock(), _ => {} }",
            "if let Some(x) = a.lock().unwrap().get() { b.lock(); }",
            "f(a.lock().unwrap().x).g(|| { y(); b.lock() });",
            "let v = [a.lock().unwrap().x; 4].map(|_| b.lock());",
            // A struct literal is no block: its statement goes on.
            "S { f: a.lock().unwrap().x }.g(b.lock());",
            "let x = if c { let g = a.lock(); 1 } else { 2 }; if let Ok(y) = (T { f: a.lock().unwrap().x }) { z(); b.lock(); }",
            // Bound in a nested block: to that block's end.
            "loop { let g = a.lock(); { b.lock(); } }",
            // An `if let` / `while let` scrutinee: through the body and the
            // `else` chain (edition 2021), a `match` in it included.
            "if let Some(x) = a.lock().unwrap().get() { } else if c { } else { b.lock(); }",
            "while let Some(x) = a.lock().unwrap().pop() { b.lock(); }",
            "if let Some(v) = match a.lock().unwrap().s { X => Some(1), _ => None } { b.lock(); }",
            // Not starting its statement: to the block's end.
            "let y = if let Some(x) = a.lock().unwrap().get() { 1 } else { 2 }; b.lock();",
            "if c { d(); } let g = a.lock(); b.lock();",
        ] {
            assert!(two(yes), "{yes}");
        }
        for no in [
            "a.try_lock(); b.lock();",
            "let g = a.lock(); b.upgradable_read();",
            "let g = self.lock(); b.lock();",
            "let g = v[0].lock(); b.lock();",
            "let g = make().lock(); b.lock();",
            "let g = x.get(1).lock(); b.lock();",
            "let g = x?.lock(); b.lock();",
            "let g = m!(x).lock(); b.lock();",
            "let g = a.lock(1); b.lock();",
            // The first guard is a temporary that ends before the second.
            "a.lock(); b.lock();",
            "*a.lock().unwrap() = 1; *b.lock().unwrap() = 2;",
            "{ let g = a.lock(); } b.lock();",
            "x(|| { a.lock().unwrap().y(); }); b.lock();",
            // A block-like statement ends at its last brace.
            "match a.lock().unwrap().s { X => {} _ => {} } b.lock();",
            "if let Some(x) = a.lock().unwrap().get() { x(); } b.lock();",
            "if let Some(x) = a.read().unwrap().get() { } else { y(); } let w = b.write();",
            "while let Some(x) = a.lock().unwrap().pop() { y(); } b.lock();",
            "if let Some(x) = y { z(); } a.lock().unwrap().f(); b.lock();",
        ] {
            assert!(!two(no), "{no}");
            assert!(one(no), "{no}");
            assert!(bits(no) & (1 << facts::F_LOCK) != 0, "{no}");
        }
        assert!(!one("a.try_lock(); self.lock();"));
    }

    /// A function's body is its first `{` outside brackets and angle
    /// brackets: after a `where` clause's trailing comma too, not a const
    /// generic argument.
    #[test]
    fn fn_bodies_after_where_clauses_and_const_generics() {
        let src = "fn f<A, B>(a: A) -> R<A> where A: X, B: Y<{ 3 }>, { a.lock(); }\n\
                   fn g() -> Foo<{ N }> { b() }\n\
                   fn h(x: [u8; 1 << 4]) where T: Fn(u8) -> u8, { c() }";
        let body = |from: &str, to: &str| {
            let a = src.find(from).expect("start") as u32;
            let b = (src[a as usize..].find(to).expect("end") + a as usize + 1) as u32;
            (a, b)
        };
        assert_eq!(
            pf().scan(src).bodies(),
            [
                body("{ a.lock", "}"),
                body("{ b()", "}"),
                body("{ c()", "}")
            ]
        );
    }

    #[test]
    fn awaited_recv_is_not_a_wait() {
        let p = pf();
        assert!(!waits(&p.scan("async fn f() { rx.recv().await; }").any));
        assert!(waits(&p.scan("fn f() { rx.recv(); }").any));
        assert!(waits(&p.scan("async fn f() { rx.blocking_recv(); }").any));
        assert!(!waits(&p.scan("fn f() { p.join(\"x\"); }").any));
    }
}

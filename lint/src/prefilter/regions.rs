//! Brackets, async code and test code, lexically (from `crate::lex` tokens).

use super::part_keys;
use crate::lex::{Tok, T};
use crate::vocab::TEST_ATTRS;

/// For every opening bracket, the index of the token closing it (or the
/// last token): one pass with a stack per bracket kind, which is what
/// counting the depth of that kind alone (`close_of`) gives.
#[cfg(test)]
fn matching(toks: &[Tok]) -> Vec<u32> {
    brackets(toks, &[], Vec::new()).close
}

/// For each position (ascending), the innermost of the properly nested
/// `(start, end)` spans (in source order) that encloses it: one stack walk.
pub(super) fn innermost(
    spans: &[(usize, usize)],
    at: impl Iterator<Item = usize>,
) -> Vec<Option<usize>> {
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
pub(super) struct Brackets {
    /// For every opening bracket, the closing token (see `matching`).
    pub close: Vec<u32>,
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
/// `m` is a buffer to reuse for `close`.
pub(super) fn brackets(toks: &[Tok], b: &[u8], mut m: Vec<u32>) -> Brackets {
    let n = toks.len();
    m.clear();
    m.resize(n, u32::MAX);
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

/// A `#[path = ..]` attribute anywhere in the file: it may place a module's
/// file elsewhere in the module tree (`Index::module_paths`).
pub(super) fn path_attrs(toks: &[Tok], b: &[u8], br: &Brackets) -> Option<Vec<u64>> {
    let mut out: Option<Vec<u64>> = None;
    for &k in &br.attrs {
        let is_path = toks
            .get(k + 2)
            .is_some_and(|t| t.kind == T::Ident && &b[t.start as usize..t.end as usize] == b"path")
            && toks.get(k + 3).is_some_and(|t| t.kind == T::Punct(b'='));
        if !is_path {
            continue;
        }
        let v = out.get_or_insert_with(Vec::new);
        // The components of a plain string literal, with and without `.rs`;
        // anything else (a raw or escaped string) matches every file.
        let lit = toks
            .get(k + 4)
            .filter(|t| t.kind == T::Lit)
            .map(|t| &b[t.start as usize..t.end as usize])
            .and_then(|l| l.strip_prefix(b"\"").and_then(|l| l.strip_suffix(b"\"")))
            .filter(|l| !l.contains(&b'\\'));
        match lit {
            Some(l) => {
                for c in l.split(|&c| c == b'/') {
                    v.extend(part_keys(c));
                }
            }
            None => v.push(PATH_ANY),
        }
    }
    if let Some(v) = &mut out {
        v.sort_unstable();
        v.dedup();
    }
    out
}

/// In `FileScan::path_attrs`: a `#[path]` whose target the scan cannot read.
pub(super) const PATH_ANY: u64 = u64::MAX;

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

/// Which tokens are async code and which are test code, lexically: async
/// code is a superset of what the model runs in an async frame (an `async
/// fn` body; from an `async` block or closure to the end of its enclosing
/// group), test code a subset of its test functions (an item marked
/// `#[test]`, `#[bench]`, `#[x::test]`, `#[cfg(test)]`: a `fn`, `impl` or
/// inline `mod`) and of its `#[cfg(test)]` statements.
#[inline(never)]
pub(super) fn regions(
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
    // A statement under `#[cfg(test)]` starting at `q` that can only be a
    // statement (the model's `Event::test`): a block, a `let` up to its
    // `;`, an `if`/`match`/`while`/`for`/`loop` up to the end of its first
    // block (a prefix of it). A call statement (`f();`) could as well be a
    // match arm or a field: not marked.
    let test_stmt_end = |q: usize| -> Option<usize> {
        if is_p(q, b'{') {
            return Some(close_of(q));
        }
        let is_let = is_id(q, b"let");
        if !is_let
            && ![&b"if"[..], b"match", b"while", b"for", b"loop"]
                .iter()
                .any(|w| is_id(q, w))
        {
            return None;
        }
        let mut j = q + 1;
        while j < n {
            match toks[j].kind {
                T::Punct(b'{') if !is_let => return Some(close_of(j)),
                T::Punct(b'(' | b'[' | b'{') => j = close_of(j) + 1,
                T::Punct(b';') if is_let => return Some(j),
                T::Punct(b')' | b']' | b'}') => return Some(j - 1),
                _ => j += 1,
            }
        }
        None
    };
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
            Some(a) if TEST_ATTRS.iter().any(|t| t.as_bytes() == a) => true,
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
                test_stmt_end(q)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::tokenize;

    /// Statements under `#[cfg(test)]` are test code (their wait is no
    /// trigger of a lint that skips tests); what could be a match arm or a
    /// field, and other cfgs, are not.
    #[test]
    fn cfg_test_statements() {
        let p = crate::prefilter::Prefilter::new(&crate::config::Config::defaults(
            std::path::Path::new("."),
        ));
        let wait = "std::thread::sleep(d);";
        for (body, live) in [
            (format!("#[cfg(test)] {{ {wait} }}"), false),
            (format!("#[cfg(test)] let _ = {{ {wait} }};"), false),
            (format!("#[cfg(test)] if b {{ {wait} }}"), false),
            (format!("#[cfg(test)] let _x = S {{ a: 1 }}; {wait}"), true),
            (format!("#[cfg(test)] {{ }} {wait}"), true),
            (format!("#[cfg(test)] {wait}"), true),
            (format!("#[cfg(not(test))] {{ {wait} }}"), true),
            (format!("#[cfg(test)] if b {{ }} else {{ {wait} }}"), true),
        ] {
            let src = format!("async fn f(b: bool) {{ {body} }}");
            let bits = p.scan(&src).async_code.live;
            assert_eq!(
                bits & (1 << super::super::facts::F_WAIT) != 0,
                live,
                "{src}"
            );
        }
    }

    /// A `#[path]` declaration is known by the components of its path; a
    /// path the scan cannot read matches every file.
    #[test]
    fn path_attribute_components() {
        let p = crate::prefilter::Prefilter::new(&crate::config::Config::defaults(
            std::path::Path::new("."),
        ));
        let h = |s: &str| crate::prefilter::name_hash(s.as_bytes());
        let comps = |src: &str| p.scan(src).path_attrs;
        assert_eq!(comps("mod a; fn f() {}"), None);
        let got = comps("#[path = \"../sys/unix.rs\"] mod imp;").expect("a path attribute");
        for c in ["..", "sys", "unix.rs", "unix"] {
            assert!(got.contains(&h(c)), "{c} in {got:?}");
        }
        assert!(!got.contains(&super::PATH_ANY));
        for src in [
            "#[path = r\"sys/unix.rs\"] mod imp;",
            "#[path = \"sys\\\\unix.rs\"] mod imp;",
        ] {
            assert_eq!(comps(src), Some(vec![super::PATH_ANY]), "{src}");
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
}

//! The mutator shared by `hostile.rs` (never panic) and `equivalence.rs`
//! (prefilter on and off agree): deterministic edits of Rust source.

/// xorshift64*: deterministic, no dependency.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Rough tokens: identifier runs, single punctuation, whitespace runs.
pub fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let kind = |c: char| {
        if c.is_alphanumeric() || c == '_' {
            0
        } else if c.is_whitespace() {
            1
        } else {
            2
        }
    };
    let mut prev: Option<u8> = None;
    for (i, c) in text.char_indices() {
        let k = kind(c);
        if prev.is_some() && (k == 2 || Some(k) != prev) {
            out.push(&text[start..i]);
            start = i;
        }
        prev = Some(k);
    }
    out.push(&text[start..]);
    out
}

/// Structural edits: remove, duplicate or swap tokens or lines.
pub fn mutate(text: &str, rng: &mut Rng) -> String {
    let by_lines = rng.below(3) == 0;
    let mut parts: Vec<&str> = if by_lines {
        text.split_inclusive('\n').collect()
    } else {
        tokens(text)
    };
    let edits = 1 + rng.below(4);
    for _ in 0..edits {
        if parts.is_empty() {
            break;
        }
        let i = rng.below(parts.len());
        match rng.below(3) {
            0 => {
                parts.remove(i);
            }
            1 => parts.insert(i, parts[i]),
            _ => {
                let j = rng.below(parts.len());
                parts.swap(i, j);
            }
        }
    }
    parts.concat()
}

/// Literals a lexer can get wrong: escaped quotes, byte and unicode
/// escapes, lifetimes lookalikes, raw strings holding code.
pub const TRICKY_LITERALS: &[&str] = &[
    "'\\''",
    "b'\\''",
    "'\\\\'",
    "b'\\\\'",
    "'\"'",
    "'\\u{41}'",
    "b'\\x7f'",
    "\"\\\"\"",
    "b\"\\\\\"",
    "r#\"x.lock() }\"#",
    "'{'",
    "'}'",
    "'('",
    "b')'",
    "c\"fn\"",
];

/// Comments placed inside a call's argument list.
const COMMENTS: &[&str] = &["/* c */", "/* a /* nested */ b */", "// line\n", "/**/"];

/// Edits that keep the meaning (or nearly) but change the spelling the
/// prefilter reads: a leading `::` on a path, `(self).` for `self.`,
/// literals with escapes before a statement, comments inside calls.
pub fn mutate_spelling(text: &str, rng: &mut Rng) -> String {
    let toks = tokens(text);
    let mut out = String::with_capacity(text.len() + 64);
    // Each kind of edit at a few random eligible places.
    let rate = 1 + rng.below(4);
    // Per open brace: is it (inside) a function body? Statements go there.
    let mut body: Vec<bool> = Vec::new();
    let mut pending_fn = false;
    let at = |i: usize| toks.get(i).copied().unwrap_or("");
    let mut line_comment = false;
    for (i, t) in toks.iter().enumerate() {
        let prev = if i > 0 { toks[i - 1] } else { "" };
        // Leave `//` comments alone (an inserted line comment would end one).
        if line_comment || (*t == "/" && at(i + 1) == "/") {
            line_comment = !t.contains('\n');
            out.push_str(t);
            continue;
        }
        let word = t
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_');
        // `a::b` -> `::a::b`: a path's first segment (not after `::`, `.`).
        let path_start = word
            && at(i + 1) == ":"
            && at(i + 2) == ":"
            && prev != ":"
            && prev != "."
            && !matches!(*t, "self" | "Self" | "super" | "crate");
        if path_start && rng.below(rate) == 0 {
            out.push_str("::");
        }
        if *t == "self" && at(i + 1) == "." && rng.below(rate) == 0 {
            out.push_str("(self)");
            continue;
        }
        out.push_str(t);
        match *t {
            "fn" => pending_fn = true,
            "{" => {
                let inside = pending_fn || body.last().copied().unwrap_or(false);
                body.push(inside);
                pending_fn = false;
            }
            "}" => {
                body.pop();
            }
            ";" => pending_fn = false,
            _ => {}
        }
        let in_body = body.last().copied().unwrap_or(false);
        let after_paren = toks[..i]
            .iter()
            .rev()
            .find(|x| !x.trim().is_empty())
            .is_some_and(|x| *x == ")");
        match *t {
            "(" | "," if rng.below(rate * 2) == 0 => {
                out.push_str(COMMENTS[rng.below(COMMENTS.len())]);
            }
            // After a statement, or opening a block after `(..)` (not a
            // struct literal's brace).
            ";" | "{" if in_body && (*t == ";" || after_paren) && rng.below(rate * 2) == 0 => {
                let lit = TRICKY_LITERALS[rng.below(TRICKY_LITERALS.len())];
                out.push_str(&format!(" let _c = {lit};"));
            }
            _ => {}
        }
    }
    out
}

/// One mutant: spelling edits (half of them, these mostly still parse),
/// structural edits, or both.
pub fn any_mutation(text: &str, rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => mutate(text, rng),
        1 => {
            let t = mutate_spelling(text, rng);
            mutate(&t, rng)
        }
        _ => mutate_spelling(text, rng),
    }
}

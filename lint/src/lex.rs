//! The one tokenizer of Rust source below syn: the prefilter, the nesting
//! estimate (`engine::nesting_depth`) and the fix generators (which keep a
//! statement's comments) all read tokens from here, so they agree on what is
//! a comment, a string, a char literal (`'\''`) or a lifetime.
//!
//! It never fails: anything odd becomes a one-byte punct token, an
//! unterminated literal or comment runs to the end of the text.

/// A token's kind. Operators are single bytes except the few the
/// prefilter tells apart (`::`, `->`, `==`-like); `nesting_depth` glues
/// the rest from the bytes.
#[derive(Clone, Copy, Eq, Debug)]
pub enum T {
    /// An identifier or keyword; a raw identifier's token is the name
    /// without `r#` (see `is_raw`).
    Ident,
    Punct(u8),
    /// `::`
    PathSep,
    /// `==`, `=>`, `<=`, `>=`, `!=`, `+=`, ... (not a plain `=`)
    OpEq,
    /// `->`
    Arrow,
    /// A string, char, byte or number literal (raw and C strings too).
    Lit,
    /// A lifetime or loop label (`'a`), or a lone `'`.
    Lifetime,
    /// `// ..` up to (not including) the newline.
    LineComment,
    /// `/* .. */`, nested ones included.
    BlockComment,
}

impl PartialEq for T {
    /// One comparison of the kinds' codes (see `code`), not a match on
    /// both sides: the scan compares token kinds millions of times.
    #[inline(always)]
    fn eq(&self, other: &T) -> bool {
        self.code() == other.code()
    }
}

impl T {
    /// A number per kind: a punctuation byte itself, the other kinds 256 up.
    #[inline(always)]
    fn code(self) -> u16 {
        match self {
            T::Punct(c) => c as u16,
            T::Ident => 256,
            T::PathSep => 257,
            T::OpEq => 258,
            T::Arrow => 259,
            T::Lit => 260,
            T::Lifetime => 261,
            T::LineComment => 262,
            T::BlockComment => 263,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Tok {
    pub kind: T,
    pub start: u32,
    pub end: u32,
}

impl Tok {
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Byte classes: bit 1 starts an identifier, bit 2 continues one, bit 4
/// starts an identifier and nothing else (not `r`, `b`, `c`: raw and byte
/// strings, raw identifiers).
const IDENT: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 {
            t[i] |= 3;
            if b != b'r' && b != b'b' && b != b'c' {
                t[i] |= 4;
            }
        } else if b.is_ascii_digit() {
            t[i] |= 2;
        }
        i += 1;
    }
    t
};

/// The end of the identifier characters from `j`.
#[inline(always)]
fn ident_end(b: &[u8], j: usize) -> usize {
    match b.get(j..) {
        Some(rest) => {
            j + rest
                .iter()
                .position(|&x| !is_ident_char(x))
                .unwrap_or(rest.len())
        }
        None => j,
    }
}

/// Bytes that may start a two-byte operator token (`::`, `->`, `==`, `+=`, ..).
const OP2: [bool; 256] = {
    let mut t = [false; 256];
    let ops = b":-=<>!+*/%^&|";
    let mut i = 0;
    while i < ops.len() {
        t[ops[i] as usize] = true;
        i += 1;
    }
    t
};

pub fn is_ident_start(b: u8) -> bool {
    IDENT[b as usize] & 1 != 0
}
pub fn is_ident_char(b: u8) -> bool {
    IDENT[b as usize] & 2 != 0
}

/// Is the identifier token `t` written as a raw identifier (`r#match`)?
pub fn is_raw(b: &[u8], t: &Tok) -> bool {
    t.kind == T::Ident && t.start >= 2 && &b[t.start as usize - 2..t.start as usize] == b"r#"
}

/// Past whitespace from `i` (runs of spaces eight bytes at a time).
#[inline]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    let n = b.len();
    while i < n && b[i].is_ascii_whitespace() {
        i += 1;
        while i + 8 <= n {
            let w = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"))
                ^ 0x2020_2020_2020_2020;
            if w != 0 {
                i += (w.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
    }
    i
}

/// What a token's first byte may start, for `token_at`'s dispatch: one
/// table lookup instead of a chain of tests (punctuation, half the tokens,
/// came last).
const C_IDENT: u8 = 0;
const C_PUNCT: u8 = 1;
const C_OP2: u8 = 2;
const C_SLASH: u8 = 3;
/// `r`, `b`, `c`: an identifier, or a raw/byte/C string or byte char.
const C_PREFIX: u8 = 4;
const C_QUOTE: u8 = 5;
const C_DQUOTE: u8 = 6;
const C_DIGIT: u8 = 7;
const CLASS: [u8; 256] = {
    let mut t = [C_PUNCT; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if IDENT[i] & 4 != 0 {
            C_IDENT
        } else if b == b'r' || b == b'b' || b == b'c' {
            C_PREFIX
        } else if b == b'/' {
            C_SLASH
        } else if b == b'\'' {
            C_QUOTE
        } else if b == b'"' {
            C_DQUOTE
        } else if b.is_ascii_digit() {
            C_DIGIT
        } else if OP2[i] {
            C_OP2
        } else {
            C_PUNCT
        };
        i += 1;
    }
    t
};

/// The token starting at `i` (not whitespace): its kind, start and end.
#[inline(always)]
fn token_at(b: &[u8], i: usize) -> (T, usize, usize) {
    let c = b[i];
    match CLASS[c as usize] {
        C_IDENT => (T::Ident, i, ident_end(b, i + 1)),
        C_PUNCT => (T::Punct(c), i, i + 1),
        C_OP2 => op_at(b, i),
        C_SLASH => match b.get(i + 1) {
            Some(b'/') => {
                let e = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |j| i + j);
                (T::LineComment, i, e)
            }
            Some(b'*') => block_comment_at(b, i),
            _ => op_at(b, i),
        },
        C_PREFIX => prefixed_at(b, i),
        C_QUOTE => quote_at(b, i, i),
        C_DQUOTE => string_at(b, i, i + 1),
        _ => number_at(b, i),
    }
}

/// A token from an operator byte: `::`, `->`, `==`-like, or one byte.
#[inline(always)]
fn op_at(b: &[u8], i: usize) -> (T, usize, usize) {
    let c = b[i];
    let next = b.get(i + 1).copied().unwrap_or(0);
    match (c, next) {
        (b':', b':') => (T::PathSep, i, i + 2),
        (b'-', b'>') => (T::Arrow, i, i + 2),
        (b'=', b'=') | (b'=', b'>') => (T::OpEq, i, i + 2),
        (b'<' | b'>' | b'!' | b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'&' | b'|', b'=') => {
            (T::OpEq, i, i + 2)
        }
        _ => (T::Punct(c), i, i + 1),
    }
}

/// `/* .. */` from `i`, nested ones included (to the end if unterminated).
fn block_comment_at(b: &[u8], i: usize) -> (T, usize, usize) {
    let n = b.len();
    let mut depth = 1;
    let mut j = i + 2;
    while j < n && depth > 0 {
        if b[j] == b'/' && j + 1 < n && b[j + 1] == b'*' {
            depth += 1;
            j += 2;
        } else if b[j] == b'*' && j + 1 < n && b[j + 1] == b'/' {
            depth -= 1;
            j += 2;
        } else {
            j += 1;
        }
    }
    (T::BlockComment, i, j.min(n))
}

/// A token starting with `r`, `b` or `c`: a raw string (`r".."`,
/// `r#".."#`, `br#".."#`, `cr#".."#`), a byte or C string, a byte char,
/// a raw identifier (`r#match`, the token without `r#`), or an identifier.
fn prefixed_at(b: &[u8], i: usize) -> (T, usize, usize) {
    let n = b.len();
    let c = b[i];
    if c == b'r' || ((c == b'b' || c == b'c') && i + 1 < n && b[i + 1] == b'r') {
        let j = if c == b'r' { i + 1 } else { i + 2 };
        let mut k = j;
        while k < n && b[k] == b'#' {
            k += 1;
        }
        if k < n && b[k] == b'"' && (k > j || b[j] == b'"') {
            let hashes = k - j;
            let mut j = k + 1;
            while j < n {
                if b[j] == b'"' && b[j + 1..].iter().take_while(|&&h| h == b'#').count() >= hashes {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            return (T::Lit, i, j.min(n));
        }
    }
    if (c == b'b' || c == b'c') && i + 1 < n && b[i + 1] == b'"' {
        return string_at(b, i, i + 2);
    }
    if c == b'b' && i + 1 < n && b[i + 1] == b'\'' {
        return quote_at(b, i, i + 1);
    }
    if c == b'r' && i + 2 < n && b[i + 1] == b'#' && is_ident_start(b[i + 2]) {
        // Raw identifier: the token is the name without `r#`.
        return (T::Ident, i + 2, ident_end(b, i + 3));
    }
    (T::Ident, i, ident_end(b, i + 1))
}

/// A string literal from `i` whose text starts at `j` (after the quote).
fn string_at(b: &[u8], i: usize, mut j: usize) -> (T, usize, usize) {
    let n = b.len();
    while j < n {
        match memchr::memchr2(b'"', b'\\', &b[j..]) {
            Some(k) if b[j + k] == b'"' => {
                j += k;
                break;
            }
            Some(k) => j += k + 2,
            None => j = n,
        }
    }
    (T::Lit, i, (j + 1).min(n))
}

/// A char literal or a lifetime/label from `i`, its quote at `q`:
/// `'a'`, `'\n'`, `'\''`, `b'x'`, `'a`.
fn quote_at(b: &[u8], i: usize, q: usize) -> (T, usize, usize) {
    let n = b.len();
    if q + 1 < n && b[q + 1] == b'\\' {
        // The escaped character is never the closing quote (`'\''`).
        let mut j = q + 3;
        while j < n && b[j] != b'\'' && b[j] != b'\n' {
            j += 1;
        }
        return (T::Lit, i, (j + 1).min(n));
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
            return (T::Lit, i, q + 2 + len);
        }
    }
    // A lifetime or label.
    let mut j = q + 1;
    while j < n && is_ident_char(b[j]) {
        j += 1;
    }
    (T::Lifetime, i, j.max(q + 1))
}

/// A number from `i`: digits, letters (suffixes, exponents, hex) and a `.`
/// followed by a digit.
fn number_at(b: &[u8], i: usize) -> (T, usize, usize) {
    let n = b.len();
    let mut j = i;
    while j < n && (is_ident_char(b[j]) || (b[j] == b'.' && j + 1 < n && b[j + 1].is_ascii_digit()))
    {
        j += 1;
    }
    (T::Lit, i, j)
}

/// Every token of `b`, comments included, in order.
#[inline]
pub fn for_each_token(b: &[u8], mut f: impl FnMut(Tok)) {
    let mut i = skip_ws(b, 0);
    while i < b.len() {
        let (kind, start, end) = token_at(b, i);
        f(Tok {
            kind,
            start: start as u32,
            end: end as u32,
        });
        i = skip_ws(b, end);
    }
}

/// Where the comment token `t` is a doc comment (`///`, `//!`, `/**`,
/// `/*!`, which syn reads as `#[doc = ".."]` attributes), the offset of
/// its third byte: a space written there makes it a plain comment of the
/// same length. `None` for a plain comment (`////`, `/***`, `/**/`).
pub fn doc_marker(b: &[u8], t: &Tok) -> Option<usize> {
    let s = &b[t.range()];
    let doc = match t.kind {
        T::LineComment => {
            s.starts_with(b"//!") || (s.starts_with(b"///") && !s.starts_with(b"////"))
        }
        T::BlockComment => {
            s.starts_with(b"/*!")
                || (s.starts_with(b"/**") && !s.starts_with(b"/***") && !s.starts_with(b"/**/"))
        }
        _ => false,
    };
    doc.then_some(t.start as usize + 2)
}

/// The tokens of `b` without comments.
pub fn tokenize(b: &[u8]) -> Vec<Tok> {
    let mut out = Vec::new();
    tokenize_into(b, &mut out);
    out
}

/// Does every bracket of `b` close the one opened last (and every one
/// close)? Then a function body is delimited by its braces, for syn too.
pub fn balanced(b: &[u8]) -> bool {
    let mut bal = Balance::new();
    for_each_token(b, |t| bal.token(&t));
    bal.holds()
}

/// `balanced` a token at a time, for a pass that reads the tokens anyway.
pub struct Balance {
    open: Vec<u8>,
    ok: bool,
}

impl Balance {
    pub fn new() -> Balance {
        Balance {
            open: Vec::new(),
            ok: true,
        }
    }

    pub fn token(&mut self, t: &Tok) {
        match t.kind {
            T::Punct(c @ (b'(' | b'[' | b'{')) => self.open.push(c),
            T::Punct(c @ (b')' | b']' | b'}')) => {
                let want = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                self.ok &= self.open.pop() == Some(want);
            }
            _ => {}
        }
    }

    /// Every bracket so far closed the one opened last, and none is open.
    pub fn holds(&self) -> bool {
        self.ok && self.open.is_empty()
    }
}

impl Default for Balance {
    fn default() -> Self {
        Balance::new()
    }
}

/// The tokens of `b` without comments, into `out` (cleared first): a
/// caller lexing many files reuses one buffer.
#[inline(never)]
pub fn tokenize_into(b: &[u8], out: &mut Vec<Tok>) {
    out.clear();
    out.reserve(b.len() / 3 + 16);
    for_each_token(b, |t| {
        if !matches!(t.kind, T::LineComment | T::BlockComment) {
            out.push(t)
        }
    });
}

/// The comments of `s` (line comments without their newline).
pub fn comments(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for_each_token(s.as_bytes(), |t| {
        if matches!(t.kind, T::LineComment | T::BlockComment) {
            out.push(s[t.range()].trim_end());
        }
    });
    out
}

/// Only whitespace and comments (no code) in `s`; an unterminated block
/// comment is not trivia (it swallows what follows it).
pub fn only_trivia(s: &str) -> bool {
    let b = s.as_bytes();
    let mut ok = true;
    for_each_token(b, |t| {
        ok &= match t.kind {
            T::LineComment => true,
            T::BlockComment => b[..t.end as usize].ends_with(b"*/") && t.end - t.start >= 4,
            _ => false,
        }
    });
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(T, &str)> {
        let mut v = Vec::new();
        for_each_token(s.as_bytes(), |t| v.push((t.kind, &s[t.range()])));
        v
    }

    #[test]
    fn escaped_quote_char_is_one_literal() {
        assert_eq!(
            kinds("f('\\'', b'\\'', '\\\\', 'a, '\"')"),
            [
                (T::Ident, "f"),
                (T::Punct(b'('), "("),
                (T::Lit, "'\\''"),
                (T::Punct(b','), ","),
                (T::Lit, "b'\\''"),
                (T::Punct(b','), ","),
                (T::Lit, "'\\\\'"),
                (T::Punct(b','), ","),
                (T::Lifetime, "'a"),
                (T::Punct(b','), ","),
                (T::Lit, "'\"'"),
                (T::Punct(b')'), ")"),
            ]
        );
    }

    #[test]
    fn comments_strings_and_raw_identifiers() {
        let s = "a(\"//x\") // c\n/* d /* e */ */ r#match r#\"*/\"# '/'";
        assert_eq!(comments(s), ["// c", "/* d /* e */ */"]);
        let t = tokenize(s.as_bytes());
        let raw = t.iter().find(|t| &s[t.range()] == "match").unwrap();
        assert!(is_raw(s.as_bytes(), raw));
        assert!(only_trivia(" // a\n /* b */ "));
        assert!(!only_trivia("/* open"));
        assert!(!only_trivia("x // a"));
    }

    /// Doc comments are told from plain ones as rustc does, and a space
    /// at the marker leaves a plain comment of the same length.
    #[test]
    fn doc_comments_and_their_marker() {
        let doc = |c: &str| {
            let mut v = Vec::new();
            for_each_token(c.as_bytes(), |t| v.push(doc_marker(c.as_bytes(), &t)));
            v
        };
        for c in ["/// a", "//! a", "/** a */", "/*! a */", "///"] {
            assert_eq!(doc(c), [Some(2)], "{c}");
            let mut b = c.as_bytes().to_vec();
            b[2] = b' ';
            let t = tokenize(&b);
            assert!(
                t.is_empty() && doc(std::str::from_utf8(&b).unwrap()) == [None],
                "{c}"
            );
        }
        for c in ["// a", "//// a", "/* a */", "/*** a */", "/**/", "/***/"] {
            assert_eq!(doc(c), [None], "{c}");
        }
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
}

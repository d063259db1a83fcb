//! A cheap lexical bound on how deep syn (and every later walk over its tree,
//! including `Drop`) will recurse, so that hostile files are refused with a
//! reason instead of overflowing a stack.
//!
//! syn recurses on brackets, but also on every *prefix* form (`!`, `-`, `*`,
//! `&`, `return`, `break`, closures, `impl`/`dyn` bounds, `else if`), on
//! right-associative `=`, and on generic arguments (`Vec<Vec<..>>`); its tree
//! is then as deep as any left-associative chain (`a + b + ..`,
//! `x.m().m()..`, `x?..`, `x as T as U..`), which `syn::visit` and `Drop`
//! walk recursively. So the scan counts two things, cumulatively through
//! every open bracket:
//!
//! - `nest`: brackets, unclosed `<`, prefix operators and keywords, `=`,
//!   `else`; each is a level of recursive descent (several stack frames);
//! - `chain`: binary operators, `.`, `?`, `as`, calls and indexing; each is
//!   one level of a left-deep tree.
//!
//! Counts belong to a *segment*: they reset at `;`, at `,` (outside `<..>`),
//! and after a `}` that is not followed by an operator or `else`, so
//! ordinary files with many items, statements or arguments stay shallow.
//! The result is a heuristic upper bound, not a parser: it only has to be
//! at least as deep as syn's recursion on every shape, and small on real code.

/// How deep a file could make the analyzer recurse.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Depth {
    /// Recursive-descent levels (brackets, generics, prefix forms, `=`, `else`).
    pub nest: usize,
    /// Left-deep chain length (binary operators, postfix forms).
    pub chain: usize,
}

#[derive(Clone, Copy, Default)]
struct Frame {
    /// Cumulative counts of every enclosing segment (and bracket).
    base_nest: usize,
    base_chain: usize,
    /// This segment's counts.
    nest: usize,
    chain: usize,
    /// `<` not yet matched by `>` in this segment.
    angle: usize,
}

impl Frame {
    fn reset(&mut self) {
        self.nest = 0;
        self.chain = 0;
        self.angle = 0;
    }
}

struct Scan {
    stack: Vec<Frame>,
    max: Depth,
    /// The last significant token ends an operand (so a following `-`, `&`,
    /// `*`, `|`, `(`, `[` is binary or postfix, not prefix).
    operand: bool,
    /// The last significant token was a `}`.
    after_brace: bool,
}

impl Scan {
    fn top(&mut self) -> &mut Frame {
        self.stack
            .last_mut()
            .expect("the file frame is never popped")
    }
    fn note(&mut self) {
        let f = *self.stack.last().expect("file frame");
        self.max.nest = self.max.nest.max(f.base_nest + f.nest);
        self.max.chain = self.max.chain.max(f.base_chain + f.chain);
    }
    fn nest(&mut self, n: usize) {
        self.top().nest += n;
        self.note();
    }
    fn chain(&mut self) {
        self.top().chain += 1;
        self.note();
    }
    fn open(&mut self) {
        let f = *self.stack.last().expect("file frame");
        self.stack.push(Frame {
            base_nest: f.base_nest + f.nest + 1,
            base_chain: f.base_chain + f.chain,
            ..Frame::default()
        });
        self.note();
    }
    fn close(&mut self) {
        if self.stack.len() > 1 {
            self.stack.pop();
        }
    }
    fn close_angle(&mut self) -> bool {
        let f = self.top();
        if f.angle > 0 {
            f.angle -= 1;
            f.nest = f.nest.saturating_sub(1);
            true
        } else {
            false
        }
    }
    /// A prefix form when no operand precedes, else a binary operator.
    fn prefix_or_binary(&mut self, levels: usize) {
        if self.operand {
            self.chain();
        } else {
            self.nest(levels);
        }
    }
}

use crate::lex::{doc_marker, for_each_token, is_raw, Balance, T};

/// The deepest `nest` and `chain` anywhere in `text` (see the module docs),
/// over the tokens of the shared lexer (`crate::lex`).
pub fn nesting_depth(text: &str) -> Depth {
    survey(text).depth
}

/// What one pass of the shared lexer tells about a file before syn parses it.
#[derive(Debug, Default)]
pub struct Survey {
    pub depth: Depth,
    /// Every bracket closes the one opened last (`lex::balanced`).
    pub balanced: bool,
    /// The doc comments the model does without (`lex::doc_marker`
    /// offsets): all but those that mention a panic, which
    /// `FnModel::doc_panics` reads.
    pub plain_docs: Vec<u32>,
}

/// `nesting_depth`, bracket balance and the doc comments of `text`, in one
/// pass of the shared lexer.
pub fn survey(text: &str) -> Survey {
    let b = text.as_bytes();
    let mut balance = Balance::new();
    let mut plain_docs = Vec::new();
    let mut s = Scan {
        stack: vec![Frame::default()],
        max: Depth::default(),
        operand: false,
        after_brace: false,
    };
    // Operators glued from several punct tokens end here.
    let mut glued_to = 0usize;
    for_each_token(b, |t| {
        let i = t.start as usize;
        if matches!(t.kind, T::LineComment | T::BlockComment) {
            if let Some(m) = doc_marker(b, &t) {
                if !crate::model::mentions_panic(&b[t.range()]) {
                    plain_docs.push(m as u32);
                }
            }
            return;
        }
        let c = b[i];
        balance.token(&t);
        if i < glued_to {
            return;
        }
        // A `}` ends a statement or item unless an operator, `.`, `?`,
        // `as` or `else` continues the expression it closed.
        if std::mem::take(&mut s.after_brace) {
            let continues = match t.kind {
                T::Ident => !is_raw(b, &t) && matches!(&b[t.range()], b"else" | b"as"),
                T::Lit | T::Lifetime => false,
                _ => !matches!(c, b'#' | b'{' | b'}' | b';'),
            };
            if !continues {
                s.top().reset();
            }
        }
        match t.kind {
            T::Ident if is_raw(b, &t) => s.operand = true,
            T::Ident => match &b[t.range()] {
                b"return" | b"break" | b"yield" | b"box" | b"else" | b"impl" | b"dyn" | b"move"
                | b"become" => {
                    s.nest(1);
                    s.operand = false;
                }
                b"as" => {
                    s.chain();
                    s.operand = false;
                }
                b"self" | b"Self" | b"super" | b"crate" | b"true" | b"false" | b"await" => {
                    s.operand = true
                }
                b"abstract" | b"async" | b"const" | b"continue" | b"enum" | b"extern" | b"fn"
                | b"for" | b"if" | b"in" | b"let" | b"loop" | b"match" | b"mod" | b"mut"
                | b"pub" | b"ref" | b"static" | b"struct" | b"trait" | b"type" | b"unsafe"
                | b"use" | b"where" | b"while" => s.operand = false,
                _ => s.operand = true,
            },
            T::Lit => s.operand = true,
            // A lifetime or label is followed by its type or loop, never by
            // a binary operator.
            T::Lifetime => s.operand = false,
            T::LineComment | T::BlockComment => {}
            T::Punct(_) | T::PathSep | T::OpEq | T::Arrow => {
                glued_to = i + punct(&mut s, &b[i..]);
            }
        }
    });
    Survey {
        depth: s.max,
        balanced: balance.holds(),
        plain_docs,
    }
}

/// One operator at the start of `rest` (longest first): updates the scan,
/// returns its length.
fn punct(s: &mut Scan, rest: &[u8]) -> usize {
    let c = rest[0];
    let three = rest.get(..3).unwrap_or(rest);
    let two = rest.get(..2).unwrap_or(rest);
    let (len, op): (usize, &[u8]) = if matches!(three, b"..=" | b"..." | b"<<=" | b">>=") {
        (3, three)
    } else if matches!(
        two,
        b"::"
            | b"->"
            | b"=>"
            | b"=="
            | b"!="
            | b"<="
            | b">="
            | b"&&"
            | b"||"
            | b"+="
            | b"-="
            | b"*="
            | b"/="
            | b"%="
            | b"^="
            | b"&="
            | b"|="
            | b"<<"
            | b">>"
            | b".."
    ) {
        (2, two)
    } else {
        (1, &rest[..1])
    };
    let mut operand_after = false;
    match op {
        b"(" | b"[" | b"{" => {
            if c != b'{' && s.operand {
                s.chain(); // a call or an index
            }
            s.open();
        }
        b")" | b"]" | b"}" => {
            s.close();
            operand_after = true;
            s.after_brace = c == b'}';
        }
        b";" => s.top().reset(),
        b"," => {
            let f = s.top();
            f.chain = 0;
            if f.angle == 0 {
                f.nest = 0;
            }
        }
        b"<" => {
            s.top().angle += 1;
            s.nest(1);
        }
        b"<<" if !s.operand => {
            s.top().angle += 2;
            s.nest(2);
        }
        b">" => {
            if s.close_angle() {
                operand_after = true;
            } else {
                s.chain();
            }
        }
        b">>" => {
            if s.close_angle() {
                operand_after = true;
                if !s.close_angle() {
                    s.chain();
                    operand_after = false;
                }
            } else {
                s.chain();
            }
        }
        b"=" | b"+=" | b"-=" | b"*=" | b"/=" | b"%=" | b"^=" | b"&=" | b"|=" | b"<<=" | b">>=" => {
            s.nest(1)
        }
        b"&&" => s.prefix_or_binary(2),
        b"&" | b"*" | b"-" | b"!" | b"|" | b"||" | b".." | b"..=" | b"..." => s.prefix_or_binary(1),
        b"." => s.chain(),
        b"?" => {
            s.chain();
            operand_after = true;
        }
        b"+" | b"/" | b"%" | b"^" | b"==" | b"!=" | b"<=" | b">=" | b"<<" => s.chain(),
        _ => {} // `::`, `->`, `=>`, `:`, `#`, `$`, `@`, `~`, stray bytes
    }
    s.operand = operand_after;
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Depth {
        nesting_depth(s)
    }

    #[test]
    fn brackets_and_prefix_forms_nest() {
        assert_eq!(d("fn f() { g((1)); }").nest, 3);
        assert!(d(&format!("fn f() {{ {}x; }}", "!".repeat(50))).nest >= 50);
        assert!(d(&format!("fn f() {{ {}x; }}", "&&".repeat(50))).nest >= 100);
        assert!(
            d(&format!(
                "type T = {}u8{};",
                "Vec<".repeat(50),
                ">".repeat(50)
            ))
            .nest
                >= 50
        );
        assert!(
            d(&format!(
                "type T = {}u8{};",
                "A<u8, ".repeat(50),
                ">".repeat(50)
            ))
            .nest
                >= 50
        );
        assert!(d(&format!("fn f(x: {}u8) {{}}", "&'a ".repeat(50))).nest >= 50);
        assert!(d(&format!("fn f() {{ {}1; }}", "a = ".repeat(50))).nest >= 50);
        assert!(
            d(&format!(
                "fn f() {{ if a {{}} {}}}",
                "else if a {} ".repeat(50)
            ))
            .nest
                >= 50
        );
    }

    /// One pass finds the doc comments to parse as plain ones (not those
    /// mentioning a panic) and whether the brackets balance.
    #[test]
    fn survey_docs_and_balance() {
        let text =
            "//! crate\n/// # Panics\n/// plain\nfn f() { /** PANICS if x */ g(\"/// no\"); }\n";
        let s = survey(text);
        assert!(s.balanced);
        let at: Vec<&str> = s
            .plain_docs
            .iter()
            .map(|&m| &text[m as usize - 2..m as usize + 6])
            .collect();
        assert_eq!(at, ["//! crat", "/// plai"]);
        assert!(!survey("fn f() { (] }").balanced);
        assert!(!survey("fn f() {").balanced);
    }

    #[test]
    fn chains_count_separately() {
        let m = d(&format!("fn f() {{ x{}; }}", ".m()".repeat(100)));
        assert!(m.chain >= 100 && m.nest < 10, "{m:?}");
        let b = d(&format!("fn f() {{ 1{}; }}", " + 1".repeat(100)));
        assert!(b.chain >= 100 && b.nest < 10, "{b:?}");
        // `x - -y`: one binary, one prefix.
        assert_eq!(d("x - -y").chain, 1);
    }

    #[test]
    fn ordinary_code_stays_shallow() {
        let many_items = "fn a() -> Vec<u8> { Vec::new() }\nimpl X for Y {}\n".repeat(1000);
        assert!(d(&many_items).nest < 10, "{:?}", d(&many_items));
        let args = format!("fn f() {{ g({}); }}", "a < b, ".repeat(10));
        assert!(d(&args).nest < 30);
        let strings = "fn f() { let s = \"((((\"; let c = '('; let r = r#\"((\"#; } // ((((\n";
        assert_eq!(d(strings).nest, 2); // `{` and `=`
        let lifetimes = "fn f<'a>(x: &'a str) -> &'a str { x }";
        assert!(d(lifetimes).nest < 6);
        let arms = format!("match x {{ {} }}", "A => {} ".repeat(1000));
        assert!(d(&arms).nest < 6);
    }
}

//! Plain positions, independent of proc-macro2's per-thread source map.
//!
//! Spans are converted while a file is analysed (DESIGN.md: the span map is
//! invalidated between files), so everything downstream holds these values.

use serde::Serialize;

/// A position in a file as stored: 1-based line, 1-based column counted in
/// Unicode scalar values, 0-based byte offset (BOM and CRLF included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
    pub byte: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start.byte as usize..self.end.byte as usize
    }
}

/// Maps byte offsets of one file to lines and columns.
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of the start of every line.
    starts: Vec<u32>,
    /// Chars (UTF-8 lead bytes) before every `CHUNK`-th byte, so a column
    /// costs at most `CHUNK` bytes of counting even on a multi-megabyte
    /// single-line (minified or generated) file; counting from the line start
    /// made such files quadratic.
    chars_before: Vec<u32>,
    /// Bytes removed before parsing (a BOM), added back to every offset.
    pub base: u32,
    /// Chars in those bytes.
    base_chars: u32,
    /// One bit per line, set when the line holds a multi-byte char (or a
    /// BOM): on the other lines a column is a byte count. One such char in
    /// a comment no longer sends every position of the file through the
    /// chunk table (7 % of a staged 800 KB file's run).
    wide_lines: Vec<u64>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str, base: u32) -> Self {
        let mut starts = vec![0];
        let mut chars_before = Vec::with_capacity(text.len() / CHUNK + 1);
        let mut wide_lines = Vec::new();
        let mut chars = 0u32;
        for (i, b) in text.bytes().enumerate() {
            if i % CHUNK == 0 {
                chars_before.push(chars);
            }
            if b == b'\n' {
                starts.push(i as u32 + 1);
            } else if b >= 0x80 {
                let line = starts.len() - 1;
                if wide_lines.len() <= line / 64 {
                    wide_lines.resize(line / 64 + 1, 0);
                }
                wide_lines[line / 64] |= 1 << (line % 64);
            }
            chars += u32::from(!is_continuation(b));
        }
        if text.len() % CHUNK == 0 {
            chars_before.push(chars);
        }
        LineIndex {
            text,
            starts,
            chars_before,
            base,
            base_chars: text
                .get(..base as usize)
                .map_or(0, |t| t.chars().count() as u32),
            wide_lines,
        }
    }

    /// Line `line` (0-based) holds only single-byte chars.
    fn narrow(&self, line: usize) -> bool {
        self.wide_lines
            .get(line / 64)
            .is_none_or(|w| w & (1 << (line % 64)) == 0)
    }

    /// `byte` is an offset into the stored file (base already added).
    pub fn pos(&self, byte: u32) -> Pos {
        let byte = byte.min(self.text.len() as u32);
        let line = match self.starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line] as usize;
        if self.narrow(line) {
            return Pos {
                line: line as u32 + 1,
                column: byte - start as u32 + 1,
                byte,
            };
        }
        let mut end = byte as usize;
        while end > start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.chars_to(end) - self.chars_to(start) + 1;
        Pos {
            line: line as u32 + 1,
            column,
            byte,
        }
    }

    pub fn span(&self, s: proc_macro2::Span) -> Span {
        self.join(s, s)
    }

    /// From the start of `first` to the end of `last` (the first and last
    /// tokens of a node, see `model::extent`).
    pub fn join(&self, first: proc_macro2::Span, last: proc_macro2::Span) -> Span {
        let start = self.pos_of(first.start());
        let end = self.pos_of(last.end());
        if end.byte < start.byte {
            return Span { start, end: start };
        }
        Span { start, end }
    }

    /// The stored position of a parsed line and column. proc-macro2 already
    /// found the line (a binary search in its own table): the line and the
    /// column are taken from it, only the byte offset is computed, instead of
    /// searching the line again from the byte (`pos`) for every node.
    fn pos_of(&self, lc: proc_macro2::LineColumn) -> Pos {
        let byte = self.byte_of(lc);
        if lc.line == 0 || lc.line > self.starts.len() || byte as usize >= self.text.len() {
            // Past the end (clamped): the slow path agrees with the clamp.
            return self.pos(byte);
        }
        // Line 1 of the parsed text starts after the BOM, which the stored
        // line's columns count.
        let lead = if lc.line == 1 { self.base_chars } else { 0 };
        Pos {
            line: lc.line as u32,
            column: lead + lc.column as u32 + 1,
            byte,
        }
    }

    /// The stored offset of a parsed line and column. proc-macro2's own
    /// `byte_range` walks the span's chars (a whole block, for a block);
    /// a line and column are a binary search.
    fn byte_of(&self, lc: proc_macro2::LineColumn) -> u32 {
        let line = lc.line.saturating_sub(1);
        // The parsed text starts after the BOM: line 1 starts at `base`.
        let start = match line {
            0 => self.base as usize,
            l => match self.starts.get(l) {
                Some(&s) => s as usize,
                None => return self.text.len() as u32,
            },
        };
        let byte = if self.narrow(line) {
            start + lc.column
        } else {
            self.byte_at_char(self.chars_to(start) + lc.column as u32)
        };
        byte.min(self.text.len()) as u32
    }

    /// The byte offset of the `n`-th char (0-based) of the text: a binary
    /// search in the chunk table, then at most `CHUNK` bytes of counting.
    fn byte_at_char(&self, n: u32) -> usize {
        let k = self
            .chars_before
            .partition_point(|&c| c <= n)
            .saturating_sub(1);
        let mut c = self.chars_before[k];
        let b = self.text.as_bytes();
        for (i, &x) in b.iter().enumerate().skip(k * CHUNK) {
            if !is_continuation(x) {
                if c == n {
                    return i;
                }
                c += 1;
            }
        }
        b.len()
    }

    pub fn span_bytes(&self, start: u32, end: u32) -> Span {
        Span {
            start: self.pos(start),
            end: self.pos(end.max(start)),
        }
    }

    /// Unicode scalar values in `text[..byte]`; `byte` is a char boundary.
    fn chars_to(&self, byte: usize) -> u32 {
        let k = byte / CHUNK;
        let from = k * CHUNK;
        self.chars_before[k]
            + self.text.as_bytes()[from..byte]
                .iter()
                .filter(|&&b| !is_continuation(b))
                .count() as u32
    }
}

const CHUNK: usize = 256;

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns from the chunk table agree with counting chars from the line
    /// start, across chunk edges, multi-byte chars, CRLF and end of file.
    #[test]
    fn columns_match_naive_count() {
        let mut text = String::new();
        for i in 0..2000 {
            text.push_str(["a", "é", "\r\n", "日本", "\n", "🦀", "xyz"][i % 7]);
        }
        let li = LineIndex::new(&text, 0);
        for byte in (0..=text.len()).filter(|&b| text.is_char_boundary(b)) {
            let start = text[..byte].rfind('\n').map_or(0, |i| i + 1);
            let want = text[start..byte].chars().count() as u32 + 1;
            assert_eq!(li.pos(byte as u32).column, want, "byte {byte}");
        }
        let empty = LineIndex::new("", 0);
        assert_eq!(
            empty.pos(0),
            Pos {
                line: 1,
                column: 1,
                byte: 0
            }
        );
        let exact = "x".repeat(CHUNK * 2);
        assert_eq!(
            LineIndex::new(&exact, 0).pos(exact.len() as u32).column,
            CHUNK as u32 * 2 + 1
        );
    }

    /// A span's line and column map back to the byte proc-macro2 gives, with
    /// and without a BOM, in ASCII and multi-byte text, on long lines.
    #[test]
    fn spans_match_byte_range() {
        let mut body = String::new();
        for i in 0..400 {
            let s = ["\"é日本🦀\"", "x", "\r\n", "\"a\"", " ", "\n"][i % 6];
            body.push_str(&format!("let v{i} = {s};"));
        }
        let ascii: String = body.chars().filter(char::is_ascii).collect();
        for text in [body, ascii] {
            let src = format!("fn f() {{ {text} }}");
            for bom in [false, true] {
                let stored = if bom {
                    format!("\u{feff}{src}")
                } else {
                    src.clone()
                };
                let base = if bom { 3 } else { 0 };
                let li = LineIndex::new(&stored, base);
                let ts: proc_macro2::TokenStream = src.parse().expect("lexes");
                let mut n = 0;
                let mut stack = vec![ts];
                while let Some(ts) = stack.pop() {
                    for tt in ts {
                        let r = tt.span().byte_range();
                        let sp = li.span(tt.span());
                        assert_eq!(sp.range(), r.start + base as usize..r.end + base as usize);
                        assert_eq!(sp.start, li.pos(sp.start.byte));
                        assert_eq!(sp.end, li.pos(sp.end.byte));
                        if let proc_macro2::TokenTree::Group(g) = tt {
                            stack.push(g.stream());
                        }
                        n += 1;
                    }
                }
                assert!(n > 1500, "{n}");
                proc_macro2::extra::invalidate_current_thread_spans();
            }
        }
    }
}

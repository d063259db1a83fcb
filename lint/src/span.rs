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
    pub fn contains_byte(&self, byte: u32) -> bool {
        self.start.byte <= byte && byte < self.end.byte
    }
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start.byte as usize..self.end.byte as usize
    }
}

/// Maps byte offsets of one file to lines and columns.
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of the start of every line.
    starts: Vec<u32>,
    /// Bytes removed before parsing (a BOM), added back to every offset.
    pub base: u32,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str, base: u32) -> Self {
        let mut starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i as u32 + 1);
            }
        }
        LineIndex { text, starts, base }
    }

    /// `byte` is an offset into the stored file (base already added).
    pub fn pos(&self, byte: u32) -> Pos {
        let byte = byte.min(self.text.len() as u32);
        let line = match self.starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line] as usize;
        let mut end = byte as usize;
        while end > start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.text[start..end].chars().count() as u32 + 1;
        Pos {
            line: line as u32 + 1,
            column,
            byte,
        }
    }

    pub fn span(&self, s: proc_macro2::Span) -> Span {
        let r = s.byte_range();
        self.span_bytes(r.start as u32 + self.base, r.end as u32 + self.base)
    }

    pub fn span_bytes(&self, start: u32, end: u32) -> Span {
        Span {
            start: self.pos(start),
            end: self.pos(end.max(start)),
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

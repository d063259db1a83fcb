//! Byte-level helpers over a file's text: lines, indentation, line endings.
//! Everything here works on the text as stored, so CRLF and a BOM survive.

/// Start of the line holding `pos`.
pub fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// Just past the newline ending the line holding `pos` (or the end of text).
pub fn line_end_incl(text: &str, pos: usize) -> usize {
    text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1)
}

/// The line ending of the line holding `pos`; for the last line without
/// one, the file's first line ending (or `\n`).
pub fn eol_at(text: &str, pos: usize) -> &'static str {
    let end = line_end_incl(text, pos);
    if end > 0 && text.as_bytes()[end - 1] == b'\n' {
        if end >= 2 && text.as_bytes()[end - 2] == b'\r' {
            "\r\n"
        } else {
            "\n"
        }
    } else if text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// The whitespace that starts the line holding `pos`.
pub fn indent_at(text: &str, pos: usize) -> &str {
    let s = line_start(text, pos);
    let line = &text[s..];
    let n = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..n]
}

/// Only spaces and tabs between `a` and `b`.
pub fn blank(text: &str, a: usize, b: usize) -> bool {
    text[a..b].bytes().all(|c| c == b' ' || c == b'\t')
}

/// From `pos` to the end of its line there is only whitespace, optionally
/// followed by a `//` comment.
pub fn rest_is_blank_or_comment(text: &str, pos: usize) -> bool {
    let end = line_end_incl(text, pos);
    let rest = &text[pos..end];
    let mut toks = Vec::new();
    crate::lex::for_each_token(rest.as_bytes(), |t| toks.push(t));
    match toks.as_slice() {
        [] => true,
        [t] if t.kind == crate::lex::T::LineComment => !rest[t.range()].starts_with("///"),
        _ => false,
    }
}

/// One indentation step: the difference between a statement's indent and
/// its block's opening line, else a tab when the code uses tabs, else four
/// spaces.
pub fn indent_unit(text: &str, block_start: usize, stmt_indent: &str) -> String {
    let outer = indent_at(text, block_start);
    if let Some(extra) = stmt_indent.strip_prefix(outer) {
        if !extra.is_empty() {
            return extra.to_string();
        }
    }
    if stmt_indent.contains('\t') {
        "\t".into()
    } else {
        "    ".into()
    }
}

pub use crate::lex::only_trivia;

/// Every identifier-like word in `s` (a cheap over-approximation of the
/// names a function uses: comments and strings count too).
pub fn words(s: &str) -> std::collections::HashSet<&str> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The first of `base`, `base1`, `base2`, .. that `taken` does not hold.
pub fn fresh(base: &str, taken: &dyn Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_string();
    }
    (1..)
        .map(|i| format!("{base}{i}"))
        .find(|n| !taken(n))
        .expect("an unused name")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_endings() {
        let t = "a\r\n  b;\r\nc";
        assert_eq!(line_start(t, 5), 3);
        assert_eq!(line_end_incl(t, 5), 10 - 1);
        assert_eq!(eol_at(t, 5), "\r\n");
        assert_eq!(eol_at(t, 10), "\r\n");
        assert_eq!(indent_at(t, 6), "  ");
        assert_eq!(eol_at("x\ny", 2), "\n");
    }

    #[test]
    fn trivia() {
        assert!(only_trivia("  // a\n /* b */ \n"));
        assert!(!only_trivia(" x "));
        assert!(rest_is_blank_or_comment("a; // c\n", 2));
        assert!(!rest_is_blank_or_comment("a; b\n", 2));
    }

    #[test]
    fn fresh_names() {
        let used = words("let _guard = 1; _guard1");
        assert_eq!(fresh("_guard", &|n| used.contains(n)), "_guard2");
        assert_eq!(fresh("x", &|n| used.contains(n)), "x");
    }
}

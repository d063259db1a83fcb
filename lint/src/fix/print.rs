//! Prints a token stream built with `quote` from the user's own syntax nodes.
//!
//! Tokens that come from the user's source carry their spans: wherever two
//! such tokens were neighbours in the source, the original text between them
//! (spaces, line breaks, comments) is copied, so the user's formatting of
//! every reused node survives. Only the joints between generated and reused
//! tokens get the spacing of a small formatter, and generated braces open a
//! new indented line. Nothing else in the file is touched.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Word,
    /// A punctuation sequence joined into one operator (`::`, `=>`, `!`).
    Punct(String),
    Open(Delimiter),
    Close(Delimiter),
}

#[derive(Debug, Clone)]
struct Atom {
    kind: Kind,
    text: String,
    /// Byte range in the parsed source slice, for tokens taken from it.
    range: Option<(usize, usize)>,
}

/// Leaf tokens and delimiters, in order.
fn flatten(ts: TokenStream, src: &str, out: &mut Vec<Atom>) {
    let range = |s: proc_macro2::Span| {
        let r = s.byte_range();
        (r.start < r.end && r.end <= src.len()).then_some((r.start, r.end))
    };
    let mut pending: Option<Atom> = None;
    for tt in ts {
        match tt {
            TokenTree::Punct(p) => {
                let r = range(p.span());
                match &mut pending {
                    Some(a) => {
                        if let Kind::Punct(s) = &mut a.kind {
                            s.push(p.as_char());
                        }
                        a.text.push(p.as_char());
                        a.range = match (a.range, r) {
                            (Some((s, _)), Some((_, e))) => Some((s, e)),
                            _ => None,
                        };
                    }
                    None => {
                        pending = Some(Atom {
                            kind: Kind::Punct(p.as_char().to_string()),
                            text: p.as_char().to_string(),
                            range: r,
                        })
                    }
                }
                if p.spacing() == Spacing::Alone {
                    out.extend(pending.take());
                }
            }
            other => {
                out.extend(pending.take());
                match other {
                    TokenTree::Group(g) => {
                        let (o, c) = match g.delimiter() {
                            Delimiter::Parenthesis => ("(", ")"),
                            Delimiter::Brace => ("{", "}"),
                            Delimiter::Bracket => ("[", "]"),
                            Delimiter::None => ("", ""),
                        };
                        if g.delimiter() != Delimiter::None {
                            out.push(Atom {
                                kind: Kind::Open(g.delimiter()),
                                text: o.into(),
                                range: range(g.span_open()),
                            });
                        }
                        flatten(g.stream(), src, out);
                        if g.delimiter() != Delimiter::None {
                            out.push(Atom {
                                kind: Kind::Close(g.delimiter()),
                                text: c.into(),
                                range: range(g.span_close()),
                            });
                        }
                    }
                    TokenTree::Ident(i) => out.push(Atom {
                        kind: Kind::Word,
                        text: i.to_string(),
                        range: range(i.span()),
                    }),
                    TokenTree::Literal(l) => {
                        let r = range(l.span());
                        out.push(Atom {
                            kind: Kind::Word,
                            text: match r {
                                Some((s, e)) => src[s..e].to_string(),
                                None => l.to_string(),
                            },
                            range: r,
                        })
                    }
                    TokenTree::Punct(_) => unreachable!(),
                }
            }
        }
    }
    out.extend(pending.take());
}

const KEYWORDS: &[&str] = &[
    "if", "let", "else", "match", "return", "in", "while", "for", "mut", "move", "ref", "as",
];

fn is_keyword(a: &Atom) -> bool {
    a.kind == Kind::Word && KEYWORDS.contains(&a.text.as_str())
}

/// Ends an operand: a unary operator cannot follow it.
fn ends_operand(a: &Atom) -> bool {
    matches!(a.kind, Kind::Close(_)) || (a.kind == Kind::Word && !is_keyword(a))
}

/// How the output is laid out where generated code needs new lines.
pub struct Layout<'a> {
    /// Indentation of the line the snippet starts on.
    pub indent: &'a str,
    /// One indentation step.
    pub unit: &'a str,
    /// The file's line ending at that place.
    pub eol: &'a str,
}

/// Renders `ts`; `src` is the source slice the reused nodes were parsed from.
pub fn render(ts: TokenStream, src: &str, layout: &Layout) -> String {
    let mut atoms = Vec::new();
    flatten(ts, src, &mut atoms);
    let mut out = String::new();
    let mut depth = 0usize;
    let newline = |depth: usize| {
        let mut s = String::from(layout.eol);
        s.push_str(layout.indent);
        for _ in 0..depth {
            s.push_str(layout.unit);
        }
        s
    };
    for i in 0..atoms.len() {
        let b = &atoms[i];
        if i > 0 {
            let a = &atoms[i - 1];
            let gap = match (a.range, b.range) {
                (Some((_, ae)), Some((bs, _)))
                    if ae <= bs && super::text::only_trivia(&src[ae..bs]) =>
                {
                    Some(&src[ae..bs])
                }
                _ => None,
            };
            if let Some(gap) = gap {
                // Reused text keeps its own line breaks, one level deeper per
                // generated brace around it.
                let mut extra = String::new();
                for _ in 0..depth {
                    extra.push_str(layout.unit);
                }
                out.push_str(&gap.replace('\n', &format!("\n{extra}")));
            } else if b.range.is_none() && b.kind == Kind::Close(Delimiter::Brace) {
                out.push_str(&newline(depth.saturating_sub(1)));
            } else if a.range.is_none()
                && (a.kind == Kind::Open(Delimiter::Brace)
                    || (a.kind == Kind::Punct(";".into()) && depth > 0))
            {
                out.push_str(&newline(depth));
            } else {
                out.push_str(space(&atoms, i));
            }
        }
        out.push_str(&b.text);
        if b.range.is_none() {
            match b.kind {
                Kind::Open(Delimiter::Brace) => depth += 1,
                Kind::Close(Delimiter::Brace) => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    out
}

/// Spacing before atom `i` where the source has none to offer.
fn space(atoms: &[Atom], i: usize) -> &'static str {
    let (a, b) = (&atoms[i - 1], &atoms[i]);
    let unary = |k: usize| {
        let op = &atoms[k];
        matches!(&op.kind, Kind::Punct(p) if p == "!" || p == "&" || p == "*" || p == "-")
            && (k == 0 || !ends_operand(&atoms[k - 1]))
    };
    match (&a.kind, &b.kind) {
        (Kind::Open(d), _) if *d != Delimiter::Brace => "",
        (_, Kind::Close(d)) if *d != Delimiter::Brace => "",
        (_, Kind::Punct(p)) if matches!(p.as_str(), "," | ";" | "." | "?" | ":") => "",
        (Kind::Punct(p), _) if p == "." || p == "::" => "",
        (Kind::Punct(_), _) if unary(i - 1) => "",
        (_, Kind::Punct(p))
            if p == "::" && (ends_operand(a) || matches!(a.kind, Kind::Open(_))) =>
        {
            ""
        }
        (Kind::Word, Kind::Open(Delimiter::Parenthesis | Delimiter::Bracket)) if !is_keyword(a) => {
            ""
        }
        _ => " ",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn lay() -> Layout<'static> {
        Layout {
            indent: "    ",
            unit: "    ",
            eol: "\n",
        }
    }

    #[test]
    fn generated_code_is_spaced_like_rustfmt() {
        let t = quote!(if let Some(v) = x.take() {
            v.join();
        });
        assert_eq!(
            render(t, "", &lay()),
            "if let Some(v) = x.take() {\n        v.join();\n    }"
        );
        let t = quote!(!::std::mem::replace(&mut *a.lock().unwrap(), true));
        assert_eq!(
            render(t, "", &lay()),
            "!::std::mem::replace(&mut *a.lock().unwrap(), true)"
        );
    }

    #[test]
    fn reused_nodes_keep_their_text() {
        let src = "self.h /* keep */ .take()\n    .unwrap()";
        let e: syn::Expr = syn::parse_str(src).unwrap();
        let t = quote!({ #e; });
        let out = render(t, src, &lay());
        assert_eq!(
            out,
            "{\n        self.h /* keep */ .take()\n        .unwrap();\n    }"
        );
        proc_macro2::extra::invalidate_current_thread_spans();
    }
}

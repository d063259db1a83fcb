//! Small syntactic helpers over expressions: paths, lock chains.

use syn::{Expr, Member};

/// The identifiers of a path, in order (`std::thread::sleep` -> 3).
pub fn segments(p: &syn::Path) -> Vec<String> {
    p.segments.iter().map(|s| s.ident.to_string()).collect()
}

/// `self.a.b` -> "self.a.b"; `x` -> "x"; `STATE` -> "STATE"; `Self::X` -> "Self::X".
/// Looks through parens, references, derefs and `.as_ref()`/`.clone()`-like calls.
pub fn expr_path(e: &Expr) -> Option<String> {
    match e {
        Expr::Path(p) if p.qself.is_none() => {
            let segs = segments(&p.path);
            Some(segs.join("::"))
        }
        Expr::Field(f) => {
            let base = expr_path(&f.base)?;
            let m = match &f.member {
                Member::Named(i) => i.to_string(),
                Member::Unnamed(i) => i.index.to_string(),
            };
            Some(format!("{base}.{m}"))
        }
        Expr::Paren(p) => expr_path(&p.expr),
        Expr::Reference(r) => expr_path(&r.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => expr_path(&u.expr),
        Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "as_ref" | "as_mut" | "deref" | "get_ref" | "as_deref" | "inner"
                ) =>
        {
            expr_path(&m.receiver)
        }
        _ => None,
    }
}

/// The last dotted part of a path (`self.inner.closed` -> `closed`).
pub fn last_field(path: &str) -> &str {
    path.rsplit(['.', ':']).next().unwrap_or(path)
}

pub use crate::vocab::is_lock_method;

fn is_unwrapish(name: &str) -> bool {
    matches!(
        name,
        "unwrap" | "expect" | "unwrap_or_else" | "unwrap_or_default" | "into_inner"
    )
}

/// Strips `.unwrap()`, `.expect(..)`, `?`, `.await`, parens.
pub fn strip_unwrap(mut e: &Expr) -> &Expr {
    loop {
        match e {
            Expr::MethodCall(m) if is_unwrapish(&m.method.to_string()) => e = &m.receiver,
            Expr::Try(t) => e = &t.expr,
            Expr::Await(a) => e = &a.base,
            Expr::Paren(p) => e = &p.expr,
            _ => return e,
        }
    }
}

/// If `e` (after unwraps) is a zero-argument lock call, that call.
pub fn as_lock_call(e: &Expr) -> Option<&syn::ExprMethodCall> {
    match strip_unwrap(e) {
        Expr::MethodCall(m) if m.args.is_empty() && is_lock_method(&m.method.to_string()) => {
            Some(m)
        }
        _ => None,
    }
}

/// The state path behind an expression that reads it: strips derefs,
/// unwraps, lock/borrow calls and `load`/`get`. Returns (path, via_lock).
pub fn state_path(e: &Expr) -> Option<(String, bool)> {
    let mut via_lock = false;
    let mut e = e;
    loop {
        match e {
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => e = &u.expr,
            Expr::Paren(p) => e = &p.expr,
            Expr::Reference(r) => e = &r.expr,
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                if is_unwrapish(&name) {
                    e = &m.receiver;
                } else if m.args.is_empty() && (is_lock_method(&name) || name == "borrow") {
                    via_lock |= is_lock_method(&name);
                    e = &m.receiver;
                } else if matches!(name.as_str(), "load" | "get" | "clone" | "as_ref") {
                    e = &m.receiver;
                } else {
                    return None;
                }
            }
            Expr::Try(t) => e = &t.expr,
            Expr::Await(a) => e = &a.base,
            _ => return expr_path(e).map(|p| (p, via_lock)),
        }
    }
}

/// Is this expression the path `self`?
pub fn is_self(e: &Expr) -> bool {
    matches!(e, Expr::Path(p) if p.path.is_ident("self"))
}

/// The identifier an argument names (`guard`, `&mut guard`).
pub fn arg_ident(e: &Expr) -> Option<String> {
    match e {
        Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        Expr::Reference(r) => arg_ident(&r.expr),
        Expr::Paren(p) => arg_ident(&p.expr),
        _ => None,
    }
}

/// The place a `.take()` empties: a field path reached through derefs,
/// lock guards (`.lock().unwrap()`), `borrow_mut()` and `get_mut()`. `None`
/// when the receiver is a temporary (`self.f.as_ref().take()`,
/// `self.f.clone().take()`): taking from it leaves the field alone.
pub fn take_path(e: &Expr) -> Option<String> {
    match e {
        Expr::Paren(p) => take_path(&p.expr),
        Expr::Reference(r) => take_path(&r.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => take_path(&u.expr),
        Expr::Try(t) => take_path(&t.expr),
        Expr::Await(a) => take_path(&a.base),
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            let through = (m.args.is_empty()
                && (is_lock_method(&name)
                    || matches!(name.as_str(), "borrow_mut" | "get_mut" | "deref_mut")))
                || matches!(name.as_str(), "unwrap" | "expect");
            if through {
                take_path(&m.receiver)
            } else {
                None
            }
        }
        Expr::Field(f) => {
            let base = take_path(&f.base)?;
            let m = match &f.member {
                Member::Named(i) => i.to_string(),
                Member::Unnamed(i) => i.index.to_string(),
            };
            Some(format!("{base}.{m}"))
        }
        Expr::Path(p) if p.qself.is_none() => expr_path(e),
        _ => None,
    }
}

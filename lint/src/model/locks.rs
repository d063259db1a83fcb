//! Lock facts for the lock-guard lifetime lints (`double_lock`,
//! `lock_order_inversion`, `condvar_wait_without_loop`), recorded beside the
//! events by small hooks in `build`: what a parameter, `let`, struct field,
//! `static` or type alias declares about the lock behind it, where `if let`
//! scrutinee temporaries end in each edition, calls and their receivers,
//! `cfg` alternative `let`s, `move` closures, and the
//! `if c { g = cv.wait(g).unwrap(); }` shape the condvar fix rewrites.

use super::extent::Extent;
use super::path::{arg_ident, expr_path, segments};
use crate::span::{LineIndex, Span};
use quote::ToTokens;
use syn::{Expr, Pat, Stmt};

/// How an acquisition takes its lock (SPEC §2, lock identity).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// `lock`, `lock_arc`, `blocking_lock`.
    Mutex,
    /// `read`, `blocking_read`.
    Read,
    /// `write`, `blocking_write`.
    Write,
    /// `try_lock`/`try_read`/`try_write`, `upgradable_read`: never an
    /// acquisition for these lints.
    Other,
}

impl LockKind {
    pub fn of(method: &str) -> LockKind {
        match method {
            "lock" | "lock_arc" | "blocking_lock" => LockKind::Mutex,
            "read" | "blocking_read" => LockKind::Read,
            "write" | "blocking_write" => LockKind::Write,
            _ => LockKind::Other,
        }
    }

    /// Do a held guard of kind `self` and a new acquisition of kind `new`
    /// of the same lock block each other? Only two reads share a lock.
    pub fn conflicts(self, new: LockKind) -> bool {
        !(self == LockKind::Read && new == LockKind::Read)
    }

    pub fn verb(self) -> &'static str {
        match self {
            LockKind::Read => "read-locked",
            LockKind::Write => "write-locked",
            _ => "locked",
        }
    }
}

/// What a declaration says about the value behind a name or field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decl {
    /// A `Mutex` (std, parking_lot, spin, tokio, async-std, futures), also
    /// behind `Arc`/`Box`/`&`.
    Mutex,
    RwLock,
    /// Declared, and not a lock that these lints track (`ReentrantMutex`,
    /// `ReentrantLock`: the same thread may lock them again).
    NotLock,
    /// Declared with another type: the capitalised identifiers of that type
    /// (a crate struct or type alias among them may tell more).
    Type(Vec<String>),
    /// `let x = &self.inner;`, `let inner = self.inner.clone();`: the place it
    /// refers to.
    Alias(String),
    /// Declared without anything known (shadows an earlier declaration).
    Unknown,
}

/// What a type says: `Arc<Mutex<T>>` is a Mutex, `Arc<Inner>` names `Inner`.
pub fn classify_type(ty: &syn::Type) -> Decl {
    let s = ty.to_token_stream().to_string();
    classify_text(&s)
}

fn classify_text(s: &str) -> Decl {
    if s.contains("Reentrant") {
        return Decl::NotLock;
    }
    if s.contains("RwLock") {
        return Decl::RwLock;
    }
    if s.contains("Mutex") {
        return Decl::Mutex;
    }
    let names: Vec<String> = s
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        .map(str::to_string)
        .collect();
    Decl::Type(names)
}

/// Per function: declarations and syntax shapes the lock lints read.
#[derive(Debug, Default, Clone)]
pub struct FnLocks {
    /// Parameters (at the function's start) and `let` bindings, in source
    /// order: (name, position, what it declares). The last one before a use
    /// is the one in force (shadowing).
    pub decls: Vec<(String, u32, Decl)>,
    /// `if let` expressions: (end of the then-branch, end of the whole `if`,
    /// else branch included). A scrutinee temporary lives to the first in
    /// edition 2024 and to the second in editions up to 2021.
    pub if_lets: Vec<(u32, u32)>,
    /// `if COND { G = CV.wait(G).unwrap(); }` (no `else`): the shape whose
    /// fix is `G = CV.wait_while(G, |G| COND).unwrap();`.
    pub cv_ifs: Vec<CvIf>,
    /// Calls: (start of the method name or path, end of the whole call, the
    /// method's receiver path). A guard moved into the arguments is not held
    /// across the call; a `wait` on a receiver declared as a crate type is
    /// not a Condvar wait.
    pub calls: Vec<(u32, u32, Option<String>)>,
    /// `let` statements under `#[cfg(..)]`: (start, end, predicate without
    /// spaces). `cfg(x)` and `cfg(not(x))` alternatives never both run.
    pub cfg_lets: Vec<(u32, u32, String)>,
    /// Frames of `move` closures: stored or handed on, they run later (a
    /// callback, another thread), not where they are written.
    pub move_closures: Vec<usize>,
}

/// The pieces of `if COND { G = CV.wait(G).unwrap(); }`.
#[derive(Debug, Clone)]
pub struct CvIf {
    /// Start of the `wait` method name.
    pub wait_pos: u32,
    /// The whole `if` expression.
    pub stmt: Span,
    pub cond: Span,
    /// The condvar expression (`self.cv`).
    pub recv: Span,
    pub guard: String,
    /// `.unwrap()` / `.expect("..")` after the call.
    pub tail: Span,
}

impl FnLocks {
    /// The declaration of `name` in force at `pos`.
    pub fn decl_at(&self, name: &str, pos: u32) -> Option<&Decl> {
        self.decls
            .iter()
            .rev()
            .find(|(n, p, _)| n == name && *p <= pos)
            .map(|(_, _, d)| d)
    }
}

/// Per file: what struct fields, statics and type aliases declare.
#[derive(Debug, Default, Clone)]
pub struct TypeLocks {
    /// (struct, field, declaration); tuple fields by index.
    pub fields: Vec<(String, String, Decl)>,
    /// `static NAME: T` (also `const`).
    pub statics: Vec<(String, Decl)>,
    /// `type Name = T;`
    pub aliases: Vec<(String, Decl)>,
    /// Where each entry of `fields`, `statics` and `aliases` was declared
    /// (byte offset of the item's name): a parse notes items in source
    /// order, so `model::add_bodies` can place those of an added body.
    pub at: [Vec<u32>; 3],
}

/// `TypeLocks::at` of `fields`, `statics` and `aliases`.
pub const AT_FIELDS: usize = 0;
pub const AT_STATICS: usize = 1;
pub const AT_ALIASES: usize = 2;

/// Hook for items: struct fields, statics and type aliases.
pub fn note_item(t: &mut TypeLocks, item: &syn::Item) {
    let at = |i: &syn::Ident| i.span().byte_range().start as u32;
    match item {
        syn::Item::Struct(s) => {
            let name = s.ident.to_string();
            let pos = at(&s.ident);
            for (i, f) in s.fields.iter().enumerate() {
                let field = f
                    .ident
                    .as_ref()
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| i.to_string());
                t.fields.push((name.clone(), field, classify_type(&f.ty)));
                t.at[AT_FIELDS].push(pos);
            }
        }
        syn::Item::Static(s) => {
            t.statics.push((s.ident.to_string(), classify_type(&s.ty)));
            t.at[AT_STATICS].push(at(&s.ident));
        }
        syn::Item::Const(c) => {
            t.statics.push((c.ident.to_string(), classify_type(&c.ty)));
            t.at[AT_STATICS].push(at(&c.ident));
        }
        syn::Item::Type(a) => {
            t.aliases.push((a.ident.to_string(), classify_type(&a.ty)));
            t.at[AT_ALIASES].push(at(&a.ident));
        }
        _ => {}
    }
}

/// Hook for a signature: what each named parameter's type declares.
pub fn note_params(l: &mut FnLocks, sig: &syn::Signature) {
    for a in &sig.inputs {
        let syn::FnArg::Typed(t) = a else { continue };
        let Pat::Ident(pi) = &*t.pat else { continue };
        l.decls
            .push((pi.ident.to_string(), 0, classify_type(&t.ty)));
    }
}

/// Hook for `let`: what the binding holds, when its type or initializer says.
pub fn note_local(l: &mut FnLocks, li: &LineIndex, local: &syn::Local, pos: u32) {
    let mut pat = &local.pat;
    let mut ty = None;
    while let Pat::Type(t) = pat {
        ty = Some(&t.ty);
        pat = &t.pat;
    }
    if let Some(a) = local.attrs.iter().find(|a| a.path().is_ident("cfg")) {
        if let syn::Meta::List(ml) = &a.meta {
            let pred: String = ml.tokens.to_string().split_whitespace().collect();
            let end = li.join(local.first(), local.last()).end.byte;
            l.cfg_lets.push((pos, end, pred));
        }
    }
    let Pat::Ident(pi) = pat else { return };
    let decl = match (ty, &local.init) {
        (Some(t), _) => classify_type(t),
        (None, Some(init)) => init_decl(&init.expr),
        (None, None) => Decl::Unknown,
    };
    l.decls.push((pi.ident.to_string(), pos, decl));
}

/// `Mutex::new(..)`, `Arc::new(RwLock::new(..))`, `&self.inner`,
/// `self.inner.clone()`, `Arc::clone(&self.inner)`.
fn init_decl(e: &Expr) -> Decl {
    match e {
        Expr::Call(c) => {
            let Expr::Path(p) = &*c.func else {
                return Decl::Unknown;
            };
            let segs = segments(&p.path);
            let joined = segs.join("::");
            if let d @ (Decl::Mutex | Decl::RwLock | Decl::NotLock) = classify_text(&joined) {
                return d;
            }
            let last = segs.last().map(String::as_str).unwrap_or("");
            match (last, c.args.first()) {
                // `Arc::new(Mutex::new(0))`, `Box::new(..)`.
                ("new" | "from", Some(a)) if segs.len() >= 2 => match init_decl(a) {
                    d @ (Decl::Mutex | Decl::RwLock | Decl::NotLock) => d,
                    _ => Decl::Unknown,
                },
                ("clone", Some(a)) => place_alias(a),
                _ => Decl::Unknown,
            }
        }
        Expr::MethodCall(m) if m.args.is_empty() && m.method == "clone" => place_alias(&m.receiver),
        Expr::Reference(_) | Expr::Field(_) | Expr::Paren(_) | Expr::Unary(_) => place_alias(e),
        _ => Decl::Unknown,
    }
}

fn place_alias(e: &Expr) -> Decl {
    match expr_path(e) {
        Some(p) if p.contains('.') || p == "self" => Decl::Alias(p),
        _ => Decl::Unknown,
    }
}

/// Hook for `if`: records `if let` extents and the condvar-if shape.
pub fn note_if(l: &mut FnLocks, li: &LineIndex, i: &syn::ExprIf, is_let: bool) {
    let whole = li.join(i.first(), i.last());
    if is_let {
        let then = li.join(i.then_branch.first(), i.then_branch.last());
        l.if_lets.push((then.end.byte, whole.end.byte));
        return;
    }
    if i.else_branch.is_some() {
        return;
    }
    // `{ G = CV.wait(G).unwrap(); }`
    let [Stmt::Expr(Expr::Assign(a), Some(_))] = i.then_branch.stmts.as_slice() else {
        return;
    };
    let Some(guard) = arg_ident(&a.left) else {
        return;
    };
    let Expr::MethodCall(tail) = &*a.right else {
        return;
    };
    if !(tail.method == "unwrap" || tail.method == "expect") {
        return;
    }
    let Expr::MethodCall(w) = &*tail.receiver else {
        return;
    };
    if w.method != "wait" || w.args.len() != 1 || arg_ident(&w.args[0]).as_deref() != Some(&guard) {
        return;
    }
    if !matches!(&w.args[0], Expr::Path(_)) {
        return;
    }
    let wait = li.span(w.method.span());
    let recv = li.join(w.receiver.first(), w.receiver.last());
    let call_end = li.span(w.paren_token.span.close()).end.byte;
    let tail_end = li.span(tail.paren_token.span.close()).end.byte;
    l.cv_ifs.push(CvIf {
        wait_pos: wait.start.byte,
        stmt: whole,
        cond: li.join(i.cond.first(), i.cond.last()),
        recv,
        guard,
        tail: li.span_bytes(call_end, tail_end),
    });
}

/// Hook for calls: where each call starts and ends.
pub fn note_call(l: &mut FnLocks, pos: u32, end: u32, recv: Option<String>) {
    l.calls.push((pos, end, recv));
}

/// Hook for closures: `move` closures run later.
pub fn note_closure(l: &mut FnLocks, c: &syn::ExprClosure, frame: usize) {
    if c.capture.is_some() {
        l.move_closures.push(frame);
    }
}

impl FnLocks {
    /// Are the statements at `a` and `b` `cfg(x)`/`cfg(not(x))` alternatives?
    pub fn cfg_exclusive(&self, a: u32, b: u32) -> bool {
        let pred = |p: u32| {
            self.cfg_lets
                .iter()
                .find(|(s, e, _)| *s <= p && p < *e)
                .map(|(_, _, x)| x.as_str())
        };
        match (pred(a), pred(b)) {
            (Some(x), Some(y)) => x == format!("not({y})") || y == format!("not({x})"),
            _ => false,
        }
    }

    /// The end of the call starting at `pos`.
    pub fn call_end(&self, pos: u32) -> Option<u32> {
        self.calls
            .iter()
            .find(|(p, ..)| *p == pos)
            .map(|(_, e, _)| *e)
    }

    /// The receiver path of the method call starting at `pos`.
    pub fn call_receiver(&self, pos: u32) -> Option<&str> {
        self.calls
            .iter()
            .find(|(p, ..)| *p == pos)
            .and_then(|(_, _, r)| r.as_deref())
    }
}

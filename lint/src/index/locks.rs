//! Per-package lock facts (SPEC §2, lock-guard lifetime lints): lock
//! identity, where each function's guards live, which locks each function
//! acquires (transitively through crate calls), the nested acquisitions
//! ("B taken while a guard of A lives") of every function, and the cycles of
//! the package's lock-order graph.
//!
//! Lock identity lives in one place, [`Index::lock_ref`]: the owning type
//! plus the field path (`self.inner.state` in an impl of `Conn` is
//! `Conn.inner.state`), the path of a `static`, or a local binding or
//! parameter (through its declared type's field when the type is a crate
//! struct, through the place it borrows or clones for `let x = &self.inner`).

use super::{keys_match, lock_key, FnId, Index, Witness};
use crate::fxhash::{HashMap, HashSet};
use crate::model::locks::{Decl, LockKind};
use crate::model::{CallTarget, Event, EventKind, FileModel, FnModel, FrameId, LockAcq};
use crate::span::Span;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Is the place a lock these lints track?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sure {
    Mutex,
    RwLock,
    /// Declared as something else (a crate struct, `ReentrantMutex`, ..).
    No,
    /// Not declared where we can see it.
    Maybe,
}

/// A lock as the lints compare it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockRef {
    /// Compared for equality: `Conn.inner.state`, `STATE`, or for a lock
    /// local to one function its root binding (with the position of the
    /// declaration in force) and field path.
    pub key: String,
    /// The same lock in every function of the package (a type's field or a
    /// static); otherwise local to the function that names it.
    pub package: bool,
    /// The field path after the root (`inner.state`); for a root of unknown
    /// type this is all that is known (`wait_while_holding_lock` compares it
    /// by suffix).
    pub fields: String,
    pub sure: Sure,
}

impl LockRef {
    /// Shown in messages: `Conn.inner.state`, `STATE`, `mu` (the owner
    /// type's module path is identity, not shown).
    pub fn shown(&self) -> &str {
        match self.key.split_once('@') {
            Some((root, _)) if !self.package => root,
            _ => shown_key(&self.key),
        }
    }
}

/// A package lock's key as messages show it: without the owner type's
/// module path (`a::Conn.state` -> `Conn.state`).
pub fn shown_key(key: &str) -> &str {
    let ty = key.split('.').next().unwrap_or_default();
    &key[ty.rfind("::").map_or(0, |i| i + 2)..]
}

/// One acquisition of a function, resolved.
#[derive(Clone, Debug)]
pub struct Acq {
    pub lock: LockRef,
    /// As written (`self.inner.state`).
    pub path: String,
    pub kind: LockKind,
    pub pos: u32,
    pub span: Span,
    pub frame: FrameId,
    pub block: usize,
    /// Where its guard stops being alive: the end of a temporary's statement
    /// or scrutinee (edition-dependent for `if let`), or a named guard's
    /// block end or `drop`/move, whichever is first.
    pub end: u32,
    pub named: bool,
}

/// What a call or acquisition nested under a guard takes.
#[derive(Clone, Debug)]
pub enum Inner {
    /// Another acquisition of the same function (index into `acqs`).
    Direct(usize),
    /// A call of a crate function that acquires `lock` (Known locks only).
    Via {
        span: Span,
        lock: String,
        kind: LockKind,
        witness: Witness,
    },
}

/// "`inner` is taken while the guard of `outer` lives".
#[derive(Clone, Debug)]
pub struct Pair {
    pub outer: usize,
    pub inner: Inner,
}

/// One edge site of a cycle: in `fid`, `to` taken (at `inner`) while `from`
/// (acquired at `outer`) is held.
#[derive(Clone, Debug)]
pub struct EdgeSite {
    pub fid: FnId,
    pub from: String,
    pub to: String,
    pub outer: Span,
    pub inner: Span,
    /// The acquisition inside the callee, when `inner` is a call.
    pub via: Option<Witness>,
    /// Package locks already held when `from` is acquired: a lock every
    /// edge of a cycle holds first (a gate) serialises them.
    pub gates: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Cycle {
    /// In cycle order (`A -> B`, `B -> C`, `C -> A`).
    pub edges: Vec<EdgeSite>,
    /// The edge last in source order (file, then position): the finding is
    /// reported at its inner acquisition.
    pub report: usize,
}

impl Cycle {
    pub fn reported(&self) -> &EdgeSite {
        &self.edges[self.report]
    }
}

#[derive(Default)]
pub struct LockFacts {
    pub edition: u16,
    fields: HashMap<(String, String), Decl>,
    statics: HashMap<String, Decl>,
    aliases: HashMap<String, Decl>,
    structs: HashSet<String>,
    /// Struct name -> the module paths of its definitions (`a::Conn`).
    struct_paths: HashMap<String, Vec<String>>,
    /// Lock key -> the acquisitions resolved to it.
    sites: HashMap<String, Vec<Site>>,
    acqs: HashMap<FnId, Vec<Acq>>,
    /// Package locks each function takes inline (transitively): key ->
    /// (kind, where).
    takes: HashMap<FnId, BTreeMap<String, (LockKind, Witness)>>,
    pairs: HashMap<FnId, Vec<Pair>>,
    /// Calls made while a guard is alive: asked for on behalf of the rules.
    /// With "the call takes a lock" (then another same-named definition not
    /// parsed yet could veto it: an ambiguous call is not claimed to lock).
    held_calls: Vec<(FnId, CallTarget, bool)>,
    cycles: Vec<Cycle>,
    /// File display order (`src/a.rs` before `src/b.rs`).
    order: Vec<String>,
    /// Per function: the declarations its acquisitions, and those of the
    /// functions it calls (transitively), were resolved with.
    fn_consulted: HashMap<FnId, BTreeSet<String>>,
    /// Functions where a lock-method call's guard may be alive at another
    /// one or at a call (`may_pair`, whatever the declarations say): only
    /// these can hold a guard over something.
    edge_capable: HashSet<FnId>,
    /// `ask_lock_graph` ran (once per index).
    asked_graph: std::sync::atomic::AtomicBool,
}

/// One acquisition, as `lock_elsewhere` compares them.
#[derive(Debug)]
struct Site {
    id: FnId,
    frame: FrameId,
    /// Package-wide (a field of a crate type, a static) or local.
    package: bool,
    /// The field path (`inner.state`), empty for a local or `self`.
    fields: String,
    /// The declarations its identity was resolved with.
    names: Vec<String>,
}

/// What no declaration can change about a lock reference: the last field of
/// its path, or the local it names. Two references can only be the same
/// lock (`lock_elsewhere`: equal keys, `keys_match`ing fields, a lock handed
/// on as a parameter named after its field) when their tails are equal.
fn tail<'a>(key: &'a str, fields: &'a str) -> &'a str {
    match fields.rsplit('.').next() {
        Some(t) if !t.is_empty() => t,
        _ => key.split('@').next().unwrap_or(key),
    }
}

thread_local! {
    /// Names consulted while `Index::collecting` runs on this thread.
    static COLLECT: std::cell::RefCell<Option<BTreeSet<String>>> = const { std::cell::RefCell::new(None) };
}

/// The last segment of a `::` path (`crate::STATE` -> `STATE`).
fn last_seg(p: &str) -> &str {
    p.rsplit("::").next().unwrap_or(p)
}

impl Index {
    /// Fills the lock facts; called at the end of `Index::build`.
    pub(super) fn build_locks(&mut self, files: &[&FileModel], edition: u16) {
        let mut lk = LockFacts {
            edition,
            ..Default::default()
        };
        for (fi, fm) in files.iter().enumerate() {
            for s in &fm.structs {
                let mut p = self.file_mods.get(fi).cloned().unwrap_or_default();
                p.extend(s.mods.iter().cloned());
                p.push(s.name.clone());
                let v = lk.struct_paths.entry(s.name.clone()).or_default();
                let p = p.join("::");
                if !v.contains(&p) {
                    v.push(p);
                }
            }
            lk.order.push(fm.parts.join("/"));
            for (t, f, d) in &fm.locks.fields {
                lk.structs.insert(t.clone());
                lk.fields.entry((t.clone(), f.clone())).or_insert(d.clone());
            }
            for (n, d) in &fm.locks.statics {
                lk.statics.entry(n.clone()).or_insert(d.clone());
            }
            for (n, d) in &fm.locks.aliases {
                lk.aliases.entry(n.clone()).or_insert(d.clone());
            }
        }
        self.lk = lk;
        // Resolve every acquisition.
        let mut acqs: HashMap<FnId, Vec<Acq>> = HashMap::default();
        let mut sites: HashMap<String, Vec<Site>> = HashMap::default();
        let mut consulted: HashMap<FnId, BTreeSet<String>> = HashMap::default();
        let mut edge_capable = HashSet::default();
        for (fi, fm) in files.iter().enumerate() {
            for (i, f) in fm.fns.iter().enumerate() {
                let id = (fi, i);
                if self.may_pair(f) {
                    edge_capable.insert(id);
                }
                let mut v = Vec::new();
                for e in &f.events {
                    let EventKind::Lock(l) = &e.kind else {
                        continue;
                    };
                    if l.path == "?" {
                        continue;
                    }
                    let (r, names) = self.collecting(|| self.lock_ref(id, f, &l.path, e.pos));
                    if !names.is_empty() {
                        consulted
                            .entry(id)
                            .or_default()
                            .extend(names.iter().cloned());
                    }
                    sites.entry(r.key.clone()).or_default().push(Site {
                        id,
                        frame: e.frame,
                        package: r.package,
                        fields: r.fields.clone(),
                        names: names.into_iter().collect(),
                    });
                    // A `#[cfg(test)]` statement is test code too.
                    if self.is_test_code(id) || e.test || !plausible(r.sure, l.kind) {
                        continue;
                    }
                    v.push(Acq {
                        end: self.guard_end(f, l, e.pos, e.block),
                        lock: r,
                        path: l.path.clone(),
                        kind: l.kind,
                        pos: e.pos,
                        span: l.span,
                        frame: e.frame,
                        block: e.block,
                        named: l.binding.is_some(),
                    });
                }
                if !v.is_empty() {
                    acqs.insert(id, v);
                }
            }
        }
        self.lk.sites = sites;
        // What each function takes inline, then through calls (a fixpoint).
        let mut takes: HashMap<FnId, BTreeMap<String, (LockKind, Witness)>> = HashMap::default();
        for (&id, v) in &acqs {
            let f = &files[id.0].fns[id.1];
            let m = takes.entry(id).or_default();
            for a in v.iter().filter(|a| a.lock.package) {
                if !runs_here(f, a.frame, 0) {
                    continue;
                }
                let w = Witness::direct(id.0, a.span, a.kind.verb());
                let e = m.entry(a.lock.key.clone()).or_insert((a.kind, w.clone()));
                if e.0 == LockKind::Read && a.kind != LockKind::Read {
                    *e = (a.kind, w);
                }
            }
        }
        self.lk.acqs = acqs;
        self.lk.takes = takes;
        self.lk.fn_consulted = consulted;
        self.lk.edge_capable = edge_capable;
        // A function whose callees changed nothing since it was last
        // computed computes the same again: it is skipped (`done_at`, when it
        // was last computed; `changed_at`, when its takes or names last
        // changed; a clock of both). Each round ends as a full one would.
        let mut clock: u64 = 0;
        let mut done_at: HashMap<FnId, u64> = HashMap::default();
        let mut changed_at: HashMap<FnId, u64> = HashMap::default();
        let mut callees: HashMap<FnId, Vec<FnId>> = HashMap::default();
        for _round in 0..8 {
            let mut changed = false;
            for (fi, fm) in files.iter().enumerate() {
                for (i, f) in fm.fns.iter().enumerate() {
                    let id = (fi, i);
                    if self.is_test_code(id) {
                        continue;
                    }
                    if let (Some(&d), Some(cs)) = (done_at.get(&id), callees.get(&id)) {
                        if cs.iter().all(|c| changed_at.get(c).is_none_or(|&t| t < d)) {
                            continue;
                        }
                    }
                    clock += 1;
                    done_at.insert(id, clock);
                    let mut my_callees: Vec<FnId> = Vec::new();
                    let mut add: Vec<(String, LockKind, Witness)> = Vec::new();
                    let mut names: BTreeSet<String> = BTreeSet::new();
                    for e in &f.events {
                        let EventKind::Call(c) = &e.kind else {
                            continue;
                        };
                        if e.test || !runs_here(f, e.frame, 0) {
                            continue;
                        }
                        for (k, kind, w) in self.call_takes_quiet(id, f, &c.target, c.awaited) {
                            add.push((k, kind, w));
                        }
                        // What the callees' acquisitions were resolved with.
                        for to in self.resolve_quiet(id, f, &c.target) {
                            if to != id {
                                my_callees.push(to);
                            }
                            if let Some(s) = self.lk.fn_consulted.get(&to) {
                                names.extend(s.iter().cloned());
                            }
                        }
                    }
                    callees.entry(id).or_insert(my_callees);
                    let mut mine_changed = false;
                    if !names.is_empty() {
                        let mine = self.lk.fn_consulted.entry(id).or_default();
                        let n = mine.len();
                        mine.extend(names);
                        mine_changed |= mine.len() != n;
                    }
                    if !add.is_empty() {
                        let m = self.lk.takes.entry(id).or_default();
                        for (k, kind, w) in add {
                            match m.get_mut(&k) {
                                None => {
                                    m.insert(k, (kind, w));
                                    mine_changed = true;
                                }
                                Some(e) if e.0 == LockKind::Read && kind != LockKind::Read => {
                                    *e = (kind, w);
                                    mine_changed = true;
                                }
                                _ => {}
                            }
                        }
                    }
                    if mine_changed {
                        clock += 1;
                        changed_at.insert(id, clock);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        // Nested acquisitions per function.
        let mut pairs: HashMap<FnId, Vec<Pair>> = HashMap::default();
        let mut held_calls = Vec::new();
        for (&id, v) in &self.lk.acqs {
            let f = &files[id.0].fns[id.1];
            let mut out = Vec::new();
            for (ai, a) in v.iter().enumerate() {
                if a.kind == LockKind::Other {
                    continue;
                }
                for e in &f.events {
                    if !nests_under(f, a.pos, a.frame, a.block, a.end, e) {
                        continue;
                    }
                    match &e.kind {
                        EventKind::Lock(_) => {
                            if let Some(bi) = v.iter().position(|b| b.pos == e.pos) {
                                out.push(Pair {
                                    outer: ai,
                                    inner: Inner::Direct(bi),
                                });
                            }
                        }
                        EventKind::Call(c) => {
                            let takes = self.call_takes_quiet(id, f, &c.target, c.awaited);
                            held_calls.push((id, c.target.clone(), !takes.is_empty()));
                            for (k, kind, w) in takes {
                                out.push(Pair {
                                    outer: ai,
                                    inner: Inner::Via {
                                        span: c.span,
                                        lock: k,
                                        kind,
                                        witness: w,
                                    },
                                });
                            }
                        }
                        _ => {}
                    }
                }
            }
            if !out.is_empty() {
                pairs.insert(id, out);
            }
        }
        self.lk.pairs = pairs;
        self.lk.held_calls = held_calls;
        self.lk.cycles = self.find_cycles();
    }

    /// Could `f` hold a guard over another acquisition or a call, whatever
    /// the declarations say? The nested-pairs pass's test (`nests_under`),
    /// over every lock-method call (declarations only decide which of them
    /// are locks and which lock each is; a guard's extent is syntax).
    fn may_pair(&self, f: &FnModel) -> bool {
        f.events.iter().any(|a| {
            let EventKind::Lock(l) = &a.kind else {
                return false;
            };
            if l.path == "?" || l.kind == LockKind::Other {
                return false;
            }
            let end = self.guard_end(f, l, a.pos, a.block);
            f.events
                .iter()
                .any(|e| nests_under(f, a.pos, a.frame, a.block, end, e))
        })
    }

    /// Where the guard of acquisition `l` (at `pos` in `block`) stops being alive.
    fn guard_end(&self, f: &FnModel, l: &LockAcq, pos: u32, block: usize) -> u32 {
        let mut end = l.live_end;
        match &l.binding {
            Some(b) => {
                if let Some(d) = f.dropped_at(b, block, pos) {
                    end = end.min(d);
                }
            }
            None if self.lk.edition < 2024 => {
                // Up to edition 2021, an `if let` scrutinee temporary lives
                // through the `else` branch too.
                if let Some(&(_, whole)) = f.locks.if_lets.iter().find(|(t, _)| *t == end) {
                    end = whole;
                }
            }
            None => {}
        }
        end
    }

    /// The identifiers of the declared type of the place at `path` (as
    /// written in `f`, at `pos`), when a declaration says: `self` is the impl
    /// type, `self.cv` the field's type, a local or parameter its type.
    pub fn place_type_names(&self, f: &FnModel, path: &str, pos: u32) -> Option<Vec<String>> {
        self.place_names_depth(f, path, pos, 0)
    }

    fn place_names_depth(
        &self,
        f: &FnModel,
        path: &str,
        pos: u32,
        depth: u32,
    ) -> Option<Vec<String>> {
        let mut parts = path.split('.');
        let root = parts.next()?;
        let fields: Vec<&str> = parts.collect();
        let of_decl = |d: &Decl| match d {
            Decl::Type(names) if !names.is_empty() => Some(names.clone()),
            Decl::Mutex => Some(vec!["Mutex".to_string()]),
            Decl::RwLock => Some(vec!["RwLock".to_string()]),
            Decl::NotLock => Some(vec!["ReentrantMutex".to_string()]),
            _ => None,
        };
        let (mut names, start) = if root == "self" {
            let t = f.self_ty.clone()?;
            self.consult(&t);
            (vec![t], 0)
        } else if root.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
            let name = last_seg(root);
            self.consult(name);
            (of_decl(self.lk.statics.get(name)?)?, 0)
        } else {
            match f.locks.decl_at(root, pos)? {
                Decl::Alias(p) if depth < 4 && p != root => {
                    let joined = std::iter::once(p.as_str())
                        .chain(fields.iter().copied())
                        .collect::<Vec<_>>()
                        .join(".");
                    return self.place_names_depth(f, &joined, pos, depth + 1);
                }
                d => (of_decl(d)?, 0),
            }
        };
        for fld in &fields[start..] {
            let ty = self.struct_among(&names)?;
            names = of_decl(self.lk.fields.get(&(ty, fld.to_string()))?)?;
        }
        Some(names)
    }

    /// The identity of the lock at `path` (as written in `f`, at `pos`).
    pub fn lock_ref(&self, id: FnId, f: &FnModel, path: &str, pos: u32) -> LockRef {
        self.lock_ref_depth(id, f, path, pos, 0)
    }

    /// The owner type of a field lock by module path (SPEC: a type is its
    /// module path and name): the struct definition `ty` means in `id` (for
    /// `self`, the impl's own type), so that `a::Conn.state` and
    /// `b::Conn.state` are two locks. One struct of that name in the
    /// package is that one; none, the bare name; several that the name does
    /// not tell apart, the path as named here.
    fn owner_key(&self, id: FnId, f: &FnModel, ty: &str, own: bool) -> String {
        self.consult(ty);
        let Some(defs) = self.lk.struct_paths.get(ty) else {
            return ty.to_string();
        };
        if let [one] = defs.as_slice() {
            return one.clone();
        }
        let want = own
            .then(|| self.ty_keys.get(&id).cloned())
            .flatten()
            .unwrap_or_else(|| self.type_key_from(id, f, ty));
        let want = want.split('@').next().unwrap_or_default().to_string();
        if defs.contains(&want) {
            return want;
        }
        let hits: Vec<&String> = defs
            .iter()
            .filter(|d| super::type_keys_match(d, &want))
            .collect();
        match hits.as_slice() {
            [one] => (*one).clone(),
            _ => want,
        }
    }

    fn consult(&self, name: &str) {
        if std_wrapper(name) {
            return;
        }
        COLLECT.with(|c| {
            if let Some(s) = c.borrow_mut().as_mut() {
                s.insert(name.to_string());
            }
        });
    }

    /// Runs `f`, returning the declarations it consulted too.
    fn collecting<T>(&self, f: impl FnOnce() -> T) -> (T, BTreeSet<String>) {
        let saved = COLLECT.with(|c| c.borrow_mut().replace(BTreeSet::new()));
        let out = f();
        let got = COLLECT.with(|c| std::mem::replace(&mut *c.borrow_mut(), saved));
        (out, got.unwrap_or_default())
    }

    /// Records, for the prefilter, the declarations that the acquisitions
    /// of `id` and of the functions it calls (transitively) were resolved
    /// with, and the calls it makes under a guard.
    pub fn ask_fn_lock_facts(&self, id: FnId) {
        if !self.lk.edge_capable.contains(&id) {
            return;
        }
        self.ask_held_calls(Some(id));
        if let Some(names) = self.lk.fn_consulted.get(&id) {
            self.ask_names(names.iter().cloned().collect());
        }
    }

    fn ask_names(&self, names: Vec<String>) {
        if names.is_empty() {
            return;
        }
        self.ask(super::Ask::Decls(names));
    }

    /// `place_type_names`, asking for the declarations it read.
    pub fn place_type_names_asked(&self, f: &FnModel, path: &str, pos: u32) -> Option<Vec<String>> {
        let (out, names) = self.collecting(|| self.place_type_names(f, path, pos));
        self.ask_names(names.into_iter().collect());
        out
    }

    fn lock_ref_depth(&self, id: FnId, f: &FnModel, path: &str, pos: u32, depth: u32) -> LockRef {
        let (root, rest) = match path.split_once('.') {
            Some((r, x)) => (r, x),
            None => (path, ""),
        };
        let join = |a: &str, b: &str| {
            if b.is_empty() {
                a.to_string()
            } else {
                format!("{a}.{b}")
            }
        };
        let fields: Vec<&str> = rest.split('.').filter(|s| !s.is_empty()).collect();
        if path == "self" {
            // `self.lock()`: a method of the impl's own type (a call the
            // index follows), not a lock of a field.
            return LockRef {
                key: format!("self@{}", f.span.start.byte),
                package: false,
                fields: String::new(),
                sure: Sure::No,
            };
        }
        if root == "self" {
            if let Some(t) = &f.self_ty {
                self.consult(t);
            }
            return match &f.self_ty {
                Some(ty) => LockRef {
                    key: join(&self.owner_key(id, f, ty, true), rest),
                    package: true,
                    fields: rest.to_string(),
                    sure: self.field_chain(ty, &fields),
                },
                None => LockRef {
                    key: format!("self@{}.{rest}", f.span.start.byte),
                    package: false,
                    fields: rest.to_string(),
                    sure: Sure::Maybe,
                },
            };
        }
        let name = last_seg(root);
        if root.contains("::") || name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
            self.consult(name);
            let sure = match self.lk.statics.get(name) {
                Some(d) if fields.is_empty() => self.decl_sure(d, 0),
                Some(Decl::Type(names)) => match self.struct_among(names) {
                    Some(t) => self.field_chain(&t, &fields),
                    None => Sure::Maybe,
                },
                _ => Sure::Maybe,
            };
            return LockRef {
                key: join(name, rest),
                package: true,
                fields: join(name, rest),
                sure,
            };
        }
        let decl_pos = f
            .locks
            .decls
            .iter()
            .rev()
            .find(|(n, p, _)| n == root && *p <= pos)
            .map(|(_, p, _)| *p);
        let local = |sure| LockRef {
            key: format!(
                "{}@{}:{}",
                join(root, rest),
                f.span.start.byte,
                decl_pos.unwrap_or(u32::MAX)
            ),
            package: false,
            fields: rest.to_string(),
            sure,
        };
        match f.locks.decl_at(root, pos) {
            Some(Decl::Alias(p)) if depth < 4 && p != root => {
                self.lock_ref_depth(id, f, &join(p, rest), pos, depth + 1)
            }
            Some(Decl::Type(names)) if !fields.is_empty() => match self.struct_among(names) {
                Some(t)
                    if self
                        .lk
                        .fields
                        .contains_key(&(t.clone(), fields[0].to_string())) =>
                {
                    LockRef {
                        key: join(&self.owner_key(id, f, &t, false), rest),
                        package: true,
                        fields: rest.to_string(),
                        sure: self.field_chain(&t, &fields),
                    }
                }
                _ => local(Sure::Maybe),
            },
            Some(d) if fields.is_empty() => local(self.decl_sure(d, 0)),
            _ => local(Sure::Maybe),
        }
    }

    /// A crate struct named among a type's identifiers (`Arc<Inner>` -> `Inner`).
    fn struct_among(&self, names: &[String]) -> Option<String> {
        for n in names {
            self.consult(n);
        }
        names
            .iter()
            .find(|n| !std_wrapper(n) && self.lk.structs.contains(*n))
            .cloned()
    }

    /// Follows `fields` from struct `ty` to the declaration of the last one.
    fn field_chain(&self, ty: &str, fields: &[&str]) -> Sure {
        self.consult(ty);
        let mut cur = ty.to_string();
        for (k, fld) in fields.iter().enumerate() {
            let Some(d) = self.lk.fields.get(&(cur.clone(), fld.to_string())) else {
                return Sure::Maybe;
            };
            if k + 1 == fields.len() {
                return self.decl_sure(d, 0);
            }
            match d {
                Decl::Type(names) => match self.struct_among(names) {
                    Some(t) => cur = t,
                    None => return Sure::Maybe,
                },
                _ => return Sure::Maybe,
            }
        }
        // `self.lock()`: the type itself.
        Sure::Maybe
    }

    fn decl_sure(&self, d: &Decl, depth: u32) -> Sure {
        match d {
            Decl::Mutex => Sure::Mutex,
            Decl::RwLock => Sure::RwLock,
            Decl::NotLock => Sure::No,
            Decl::Type(names) => {
                for n in names.iter().filter(|n| !std_wrapper(n)) {
                    if let Some(a) = self.lk.aliases.get(n) {
                        if depth < 4 {
                            return self.decl_sure(a, depth + 1);
                        }
                    }
                }
                if self.struct_among(names).is_some() {
                    Sure::No
                } else {
                    Sure::Maybe
                }
            }
            Decl::Alias(_) | Decl::Unknown => Sure::Maybe,
        }
    }

    /// The package locks a call of `target` takes (every candidate takes
    /// each: an ambiguous call is not claimed to lock). Calls of async fns
    /// that are not awaited only build a future.
    fn call_takes_quiet(
        &self,
        from: FnId,
        f: &FnModel,
        target: &CallTarget,
        awaited: bool,
    ) -> Vec<(String, LockKind, Witness)> {
        let cands: Vec<FnId> = self
            .resolve_quiet(from, f, target)
            .into_iter()
            .filter(|id| *id != from)
            .collect();
        let Some(first) = cands.first() else {
            return Vec::new();
        };
        if cands.iter().any(|c| self.async_fns.contains(c)) && !awaited {
            return Vec::new();
        }
        let Some(m) = self.lk.takes.get(first) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, (kind, w)) in m {
            if cands[1..]
                .iter()
                .all(|c| self.lk.takes.get(c).is_some_and(|o| o.contains_key(k)))
            {
                let mut w = w.clone();
                w.via.insert(0, self.names[first].clone());
                out.push((k.clone(), *kind, w));
            }
        }
        out
    }

    /// The resolved acquisitions of a function and what is taken under each.
    pub fn lock_pairs(&self, id: FnId) -> (&[Acq], &[Pair]) {
        let a = self.lk.acqs.get(&id).map(|v| v.as_slice()).unwrap_or(&[]);
        let p = self.lk.pairs.get(&id).map(|v| v.as_slice()).unwrap_or(&[]);
        (a, p)
    }

    /// `Index::reach` for the lock lints: the names `Demand::lock_targets`
    /// reach through the calls of the parsed functions they resolve to.
    pub(super) fn lock_reach(&self, files: &[&FileModel], d: &super::Demand, r: &mut super::Reach) {
        let mut work: Vec<(FnId, CallTarget)> = d.lock_targets.iter().cloned().collect();
        let mut done: HashSet<(FnId, CallTarget)> = HashSet::default();
        let mut walked: HashSet<FnId> = HashSet::default();
        while let Some((from, t)) = work.pop() {
            if !done.insert((from, t.clone())) {
                continue;
            }
            let f = &files[from.0].fns[from.1];
            super::target_names(f, &t, &mut r.lock_free, &mut r.lock_methods);
            for id in self.resolve_quiet(from, f, &t) {
                if walked.insert(id) {
                    for e in &files[id.0].fns[id.1].events {
                        if let EventKind::Call(c) = &e.kind {
                            work.push((id, c.target.clone()));
                        }
                    }
                }
            }
        }
    }

    /// Records, for the prefilter, the calls `id` makes while holding a
    /// guard (their definitions could add acquisitions).
    pub fn ask_held_calls(&self, id: Option<FnId>) {
        for (from, t, takes) in &self.lk.held_calls {
            if id.is_none_or(|i| i == *from) {
                self.ask(super::Ask::LockTarget(*from, t.clone()));
                if let (CallTarget::Free(n), true) = (t, takes) {
                    // Another same-named definition may veto the answer.
                    self.ask(super::Ask::Free(n.clone()));
                }
            }
        }
    }

    /// Records, for the prefilter, what the lock-order graph was built
    /// from: for every function with a guard held over another acquisition
    /// or a call, those calls and the declarations of its acquisitions (and
    /// its callees'). A function with one acquisition and no call under it
    /// has no edge, whatever its callers.
    pub fn ask_lock_graph(&self) {
        if self
            .lk
            .asked_graph
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            return;
        }
        self.ask(super::Ask::LockGraph);
        self.ask_held_calls(None);
        for id in &self.lk.edge_capable {
            if let Some(names) = self.lk.fn_consulted.get(id) {
                self.ask_names(names.iter().cloned().collect());
            }
        }
    }

    /// The lock-order cycles reported in function `id`.
    pub fn cycles_in(&self, id: FnId) -> impl Iterator<Item = &Cycle> {
        self.lk
            .cycles
            .iter()
            .filter(move |c| c.reported().fid == id)
    }

    fn find_cycles(&self) -> Vec<Cycle> {
        // Edges between different package locks, each with its sites in
        // source order.
        let mut edges: BTreeMap<(String, String), Vec<EdgeSite>> = BTreeMap::new();
        for (&id, pairs) in &self.lk.pairs {
            let acqs = &self.lk.acqs[&id];
            for p in pairs {
                let a = &acqs[p.outer];
                if !a.lock.package {
                    continue;
                }
                let (to, inner, via) = match &p.inner {
                    Inner::Direct(b) => {
                        let b = &acqs[*b];
                        if !b.lock.package {
                            continue;
                        }
                        (b.lock.key.clone(), b.span, None)
                    }
                    Inner::Via {
                        span,
                        lock,
                        witness,
                        ..
                    } => (lock.clone(), *span, Some(witness.clone())),
                };
                if to == a.lock.key {
                    continue;
                }
                edges
                    .entry((a.lock.key.clone(), to.clone()))
                    .or_default()
                    .push(EdgeSite {
                        fid: id,
                        from: a.lock.key.clone(),
                        to,
                        outer: a.span,
                        inner,
                        via,
                        gates: pairs
                            .iter()
                            .filter(|q| matches!(q.inner, Inner::Direct(i) if i == p.outer))
                            .map(|q| &acqs[q.outer].lock)
                            .filter(|l| l.package)
                            .map(|l| l.key.clone())
                            .collect(),
                    });
            }
        }
        if edges.is_empty() {
            return Vec::new();
        }
        let ord = |s: &EdgeSite| {
            (
                self.lk.order.get(s.fid.0).cloned().unwrap_or_default(),
                s.fid.0,
                s.inner.start.byte,
            )
        };
        for v in edges.values_mut() {
            v.sort_by_key(ord);
        }
        let mut succ: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (a, b) in edges.keys() {
            succ.entry(a.as_str()).or_default().push(b.as_str());
        }
        let mut seen: HashSet<Vec<String>> = HashSet::default();
        let mut out = Vec::new();
        for (a, b) in edges.keys() {
            // Shortest path b -> .. -> a closes the cycle a -> b -> .. -> a.
            let mut prev: HashMap<&str, &str> = HashMap::default();
            let mut q = VecDeque::from([b.as_str()]);
            let mut found = b == a;
            while let Some(x) = q.pop_front() {
                if x == a {
                    found = true;
                    break;
                }
                for &y in succ.get(x).into_iter().flatten() {
                    if y != b.as_str() && !prev.contains_key(y) {
                        prev.insert(y, x);
                        q.push_back(y);
                    }
                }
            }
            if !found {
                continue;
            }
            let mut nodes = vec![a.as_str()];
            let mut x = a.as_str();
            let mut back = Vec::new();
            while x != b.as_str() {
                back.push(x);
                x = prev[x];
            }
            nodes.push(b.as_str());
            nodes.extend(back.iter().rev().filter(|n| **n != a.as_str()));
            // Canonical form: rotated to start at the smallest lock.
            let k = (0..nodes.len()).min_by_key(|&i| nodes[i]).unwrap_or(0);
            let canon: Vec<String> = nodes[k..]
                .iter()
                .chain(&nodes[..k])
                .map(|s| s.to_string())
                .collect();
            if !seen.insert(canon.clone()) {
                continue;
            }
            let n = canon.len();
            let cyc: Vec<&Vec<EdgeSite>> = (0..n)
                .map(|i| &edges[&(canon[i].clone(), canon[(i + 1) % n].clone())])
                .collect();
            // A gate lock held first at every site serialises the cycle.
            let gated = cyc[0]
                .iter()
                .flat_map(|s| &s.gates)
                .any(|g| cyc.iter().all(|v| v.iter().all(|s| s.gates.contains(g))));
            if gated {
                continue;
            }
            // The edges must come from different functions.
            let fids: HashSet<FnId> = cyc.iter().flat_map(|v| v.iter().map(|s| s.fid)).collect();
            if fids.len() < 2
                || fids
                    .iter()
                    .any(|f| cyc.iter().all(|v| v.iter().all(|s| s.fid == *f)))
            {
                continue;
            }
            let mut chosen: Vec<EdgeSite> = cyc.iter().map(|v| v[0].clone()).collect();
            if chosen.iter().all(|s| s.fid == chosen[0].fid) {
                let f0 = chosen[0].fid;
                if let Some((i, s)) = cyc
                    .iter()
                    .enumerate()
                    .find_map(|(i, v)| v.iter().find(|s| s.fid != f0).map(|s| (i, s)))
                {
                    chosen[i] = s.clone();
                }
            }
            let report = (0..n).max_by_key(|&i| ord(&chosen[i])).unwrap_or(0);
            out.push(Cycle {
                edges: chosen,
                report,
            });
        }
        out
    }

    /// Another function (or a closure/thread in this one) acquiring the
    /// same lock as `path` at `pos` in `f` (`wait_while_holding_lock`).
    pub fn lock_elsewhere(
        &self,
        from: FnId,
        f: &FnModel,
        frame: FrameId,
        path: &str,
        pos: u32,
    ) -> Option<FnId> {
        self.ask(super::Ask::Lock(lock_key(path).to_string()));
        let (r, mut names) = self.collecting(|| self.lock_ref(from, f, path, pos));
        let want = tail(&r.key, &r.fields);
        let loose = |package: bool, fields: &str| !package && !fields.is_empty();
        let mut best: Option<FnId> = None;
        for (k, sites) in &self.lk.sites {
            for site in sites {
                if tail(k, &site.fields) != want {
                    continue;
                }
                // A declaration not parsed yet could change this site's
                // identity (never its tail).
                names.extend(site.names.iter().cloned());
                let same = *k == r.key;
                let similar = (loose(r.package, &r.fields) || loose(site.package, &site.fields))
                    && !r.fields.is_empty()
                    && !site.fields.is_empty()
                    && keys_match(&site.fields, &r.fields);
                // A lock handed to another function as a parameter named
                // after its field (`run(&self.shutdown)` locking `shutdown`).
                let handed = r.package
                    && !site.package
                    && site.fields.is_empty()
                    && k.split('@').next() == r.fields.rsplit('.').next();
                let similar = similar || handed;
                let hit = if site.id == from {
                    (same || similar) && site.frame != frame
                } else {
                    (same && r.package) || similar
                };
                if hit && best.is_none_or(|b| site.id < b) {
                    best = Some(site.id);
                }
            }
        }
        self.ask_names(names.into_iter().collect());
        best
    }
}

/// Is an acquisition of `kind` on a place declared `sure` a lock? A `read`
/// or `write` only on a known `RwLock` (zero-argument `read()`/`write()` is
/// common on registers and buffers); `lock` on a Mutex or an undeclared
/// place. Never `try_*`.
fn plausible(sure: Sure, kind: LockKind) -> bool {
    match (sure, kind) {
        (_, LockKind::Other) | (Sure::No, _) => false,
        (Sure::Mutex, LockKind::Mutex) | (Sure::Maybe, LockKind::Mutex) => true,
        (Sure::RwLock, LockKind::Read | LockKind::Write) => true,
        _ => false,
    }
}

/// Can event `e` nest under the guard of a lock call at `pos` (in `frame`
/// and `block`, alive until `end`)? It runs while the guard lives: after
/// it and before `end`, inline in its frame (not in a `move` closure stored
/// for later), in its block (not in a sibling branch), not in a
/// `#[cfg(test)]` statement. And it is another lock call that can count
/// (not `try_*`-like, not a `cfg(x)`/`cfg(not(x))` alternative of this
/// one), or a call the guard is not moved into (a guard in the call's
/// arguments is the callee's).
fn nests_under(f: &FnModel, pos: u32, frame: FrameId, block: usize, end: u32, e: &Event) -> bool {
    if e.test || e.pos <= pos || e.pos >= end {
        return false;
    }
    if !runs_here(f, e.frame, frame) || !f.block_within(e.block, block) {
        return false;
    }
    match &e.kind {
        EventKind::Lock(b) => b.kind != LockKind::Other && !f.locks.cfg_exclusive(pos, e.pos),
        EventKind::Call(_) => f.locks.call_end(e.pos).is_none_or(|c| end >= c),
        _ => false,
    }
}

/// Does code in `frame` run as part of `outer`'s own execution: `frame` is
/// `outer` or an inline closure nested in it, and no `move` closure (stored
/// or handed on, it runs later) lies between them?
fn runs_here(f: &FnModel, mut frame: FrameId, outer: FrameId) -> bool {
    loop {
        if frame == outer {
            return true;
        }
        let fr = &f.frames[frame];
        if fr.kind != crate::model::FrameKind::Closure
            || !fr.runs_inline
            || f.locks.move_closures.contains(&frame)
        {
            return false;
        }
        match fr.parent {
            Some(p) => frame = p,
            None => return false,
        }
    }
}

/// Std's wrappers and containers (`Arc<Inner>`, `Option<Handle>`,
/// `Result<T>`): never the crate struct or alias a lock is declared by, so
/// resolution looks past them (and does not ask for files declaring a
/// crate's own `Result` alias).
fn std_wrapper(name: &str) -> bool {
    matches!(
        name,
        "Arc"
            | "Rc"
            | "Box"
            | "Option"
            | "Vec"
            | "Result"
            | "String"
            | "HashMap"
            | "HashSet"
            | "BTreeMap"
            | "BTreeSet"
            | "VecDeque"
            | "Cell"
            | "RefCell"
            | "Pin"
            | "PhantomData"
            | "Weak"
            | "Self"
    )
}

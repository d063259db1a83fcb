//! Per-package facts, built from every file's model: which functions wait
//! (transitively), which Drop types wait, which methods only read close
//! state, where each lock is acquired and each field taken.

use crate::fxhash::{HashMap, HashSet};
use crate::model::{
    CallTarget, CloseRead, CloseReadKind, EventKind, FileModel, FnModel, FrameId, GuardArm,
    GuardKind, WaitCall,
};
use crate::span::Span;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

mod locks;
pub use locks::{shown_key, Acq, Cycle, EdgeSite, Inner, LockRef, Pair, Sure};

/// (file index in the package, fn index in the file).
pub type FnId = (usize, usize);

/// Where a wait ultimately happens, and the calls that lead to it.
#[derive(Clone, Debug)]
pub struct Witness {
    pub file: usize,
    pub span: Span,
    pub name: String,
    /// Call chain from the site to the wait, outermost first (`Conn::join_loops`).
    pub via: Vec<String>,
}

impl Witness {
    pub fn direct(file: usize, span: Span, name: &str) -> Witness {
        Witness {
            file,
            span,
            name: name.to_string(),
            via: Vec::new(),
        }
    }
    pub fn via_text(&self) -> String {
        self.via
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(" -> ")
    }
}

/// What the rules asked the index that files not parsed yet could answer
/// differently (the prefilter parses those and the engine runs again).
#[derive(Default, Debug)]
pub struct Demand {
    /// Free calls answered "waits", as called (`m::f` or `f`): a same-named
    /// definition not parsed yet (in a module `m`) may veto the call
    /// (`call_waits`).
    pub free: BTreeSet<String>,
    /// Lock keys asked about (`lock_elsewhere`).
    pub locks: BTreeSet<String>,
    /// (self type, taken path) asked about (`takers`: methods of that type).
    pub takes: BTreeSet<(String, String)>,
    /// Methods whose `self.m()` callers were asked about (`self_callers`).
    pub callers: BTreeSet<FnId>,
    /// Calls the rules asked about (`call_waits`, guard helpers), by the
    /// asking function: `Index::reach` follows them to what they may run.
    pub targets: BTreeSet<(FnId, CallTarget)>,
    /// Guard types whose `Drop` the rules asked about.
    pub types: BTreeSet<String>,
    /// (self type, method) asked about as a close-state method (`close_method`).
    pub close_methods: BTreeSet<(String, String)>,
    /// Type, static and alias names whose declarations lock identity read
    /// (`index/locks.rs`).
    pub decls: BTreeSet<String>,
    /// Calls made under a lock guard, by the asking function: the lock lints
    /// need the definitions that may lock (`Reach::lock_free`), not those
    /// that may wait.
    pub lock_targets: BTreeSet<(FnId, CallTarget)>,
    /// (type name, method) resolved as the method of "the only type of
    /// that name" (`pick_by_type`).
    pub type_impls: BTreeSet<(String, String)>,
    /// (receiver type, method) of a vocabulary wait (`.wait()`) whose
    /// receiver type is known: the crate's own definition of that method,
    /// wherever it is, decides whether the call waits (`wait_witness`).
    pub own_waits: BTreeSet<(String, String)>,
    /// Module paths were asked for: every file with a `#[path]` attribute
    /// could place another (`module_paths`).
    pub path_decls: bool,
    /// The whole lock-order graph was asked for (`ask_lock_graph`): every
    /// file where an across-the-package trigger holds could add an edge.
    pub lock_graph: bool,
    /// Files a question read whole (the calls, structs or parameter uses
    /// of the asking function's own file): a parse of such a file that left
    /// function bodies out (`Plan::keep`) could answer differently.
    pub files: BTreeSet<usize>,
    /// Files whose declarations (structs) a question read: one inside a
    /// function body a parse left out could answer differently.
    pub file_decls: BTreeSet<usize>,
    /// (file, close path) whose method calls in that file were counted
    /// (`close_calls_in_file`): a body calling it that a parse left out
    /// could answer differently.
    pub file_calls: BTreeSet<(usize, String)>,
}

/// A question to the index whose answer depends on the files parsed.
#[derive(Debug)]
enum Ask {
    /// `call_waits` answered "waits" for this free function's name.
    Free(String),
    /// `lock_elsewhere` about this lock key.
    Lock(String),
    /// `takers`: (self type, taken path).
    Take(String, String),
    /// `self_callers` of this method.
    Callers(FnId),
    /// `resolve` of a call from a function.
    Target(FnId, CallTarget),
    /// `guard_waits` about this guard type's `Drop`.
    GuardType(String),
    /// `close_method`: is (self type, method) a close-state method?
    CloseMethod(String, String),
    /// Lock identity read these type, static or alias declarations.
    Decls(Vec<String>),
    /// A call made under a lock guard: its definitions may add acquisitions.
    LockTarget(FnId, CallTarget),
    /// A method (type name, method name) resolved by its type being the
    /// only type of that name defining it: every file defining a method of
    /// that name in an impl of that type name could change it (`Drop`'s is
    /// `drop`).
    TypeImpls(String, String),
    /// A vocabulary wait on a receiver of a known type: (bare type, method).
    /// Any definition of that method could make it the crate's own.
    OwnWait(String, String),
    /// Module paths were derived: a `#[path]` declaration in any file could
    /// place a parsed file elsewhere in the module tree.
    PathDecls,
    /// The package's whole lock-order graph (a cycle through an edge).
    LockGraph,
    /// Everything one file holds (same-file questions).
    File(usize),
    /// The declarations of one file (`owns_resource`).
    FileDecls(usize),
    /// The method calls of a close path in one file (`close_calls_in_file`).
    FileCalls(usize, String),
}

impl Ask {
    fn rules_only(&self) -> bool {
        matches!(
            self,
            Ask::Target(..) | Ask::GuardType(_) | Ask::Decls(_) | Ask::LockTarget(..)
        )
    }
}

impl Demand {
    fn record(&mut self, a: Ask) {
        match a {
            Ask::Free(n) => self.free.insert(n),
            Ask::Lock(k) => self.locks.insert(k),
            Ask::Take(t, p) => self.takes.insert((t, p)),
            Ask::Callers(id) => self.callers.insert(id),
            Ask::Target(from, t) => self.targets.insert((from, t)),
            Ask::GuardType(t) => self.types.insert(t),
            Ask::CloseMethod(t, m) => self.close_methods.insert((t, m)),
            Ask::LockTarget(from, t) => self.lock_targets.insert((from, t)),
            Ask::TypeImpls(t, m) => self.type_impls.insert((t, m)),
            Ask::OwnWait(t, m) => self.own_waits.insert((t, m)),
            Ask::PathDecls => {
                self.path_decls = true;
                true
            }
            Ask::LockGraph => {
                self.lock_graph = true;
                true
            }
            Ask::Decls(names) => {
                self.decls.extend(names);
                true
            }
            Ask::File(g) => self.files.insert(g),
            Ask::FileCalls(g, name) => self.file_calls.insert((g, name)),
            Ask::FileDecls(g) => self.file_decls.insert(g),
        };
    }
}

/// What the rules' questions reach, transitively through the parsed
/// functions: calls (by name) and guard types whose definitions, if not
/// parsed yet, could change an answer.
#[derive(Default, Debug)]
pub struct Reach {
    /// Free calls, as called (`m::f` or `f`).
    pub free: BTreeSet<String>,
    pub methods: BTreeSet<(String, String)>,
    pub types: BTreeSet<String>,
    /// What `Demand::lock_targets` reach through the parsed functions' calls.
    pub lock_free: BTreeSet<String>,
    pub lock_methods: BTreeSet<(String, String)>,
}

/// Resolutions by caller and target (`Index::build_memo`).
type ResolveMemo = HashMap<FnId, HashMap<CallTarget, Vec<FnId>>>;

#[derive(Default)]
pub struct Index {
    /// Questions asked by the rules whose answers depend on the files parsed.
    asked: Mutex<Demand>,
    /// Set once the rules run: their calls and guard types are recorded.
    rules_asking: AtomicBool,
    /// While the index builds (its wait fixpoint resolves every call again
    /// on each round): the resolutions made so far, by caller and target.
    /// Nothing it reads changes during the build; the rules never use it.
    build_memo: Mutex<Option<ResolveMemo>>,
    /// Methods by type (bare name), then name: looked up by `&str` pairs
    /// on every resolution, without building a key.
    methods: HashMap<String, HashMap<String, Vec<FnId>>>,
    free: HashMap<String, Vec<FnId>>,
    /// Types defined (struct/enum/union) per file.
    waits: HashMap<FnId, Witness>,
    async_fns: HashSet<FnId>,
    /// Drop types that wait, by name: (file, type key, the wait).
    drop_waits: HashMap<String, Vec<(usize, String, Witness)>>,
    ctors: HashSet<(String, String)>,
    /// Functions that hand back a wait guard (`FnModel::returns_guard`).
    guard_fns: HashMap<FnId, Witness>,
    close_methods: HashMap<(String, String), CloseRead>,
    /// Lock identity, guards and the lock-order graph (`index/locks.rs`).
    lk: locks::LockFacts,
    /// (type, field path) -> functions taking it.
    takes: HashMap<(String, String), Vec<FnId>>,
    /// Method -> the functions calling it as `self.m()`, and whether each
    /// caller is a `Drop::drop`.
    self_callers: HashMap<FnId, Vec<(FnId, bool)>>,
    names: HashMap<FnId, String>,
    /// Per file: the Cargo target it belongs to (see `target_of`).
    targets: Vec<Target>,
    /// Module names enclosing each free fn (file path and inline `mod`s).
    fn_mods: HashMap<FnId, Vec<String>>,
    /// Test functions (`#[test]`, in `#[cfg(test)]`): unreachable from
    /// non-test code and from other crates.
    tests: HashSet<FnId>,
    /// Per file: its structs, and whether each owns a thread, task,
    /// channel, socket or child process (directly or through another
    /// struct of the same file).
    owners: Vec<HashMap<String, bool>>,
    /// Per method: its impl type by module path (`host::alsa::Stream`).
    ty_keys: HashMap<FnId, String>,
    /// Per file: close-path methods called on a receiver other than `self`,
    /// by name: (calls on a value the caller owns, other calls).
    close_calls: Vec<HashMap<String, (usize, usize)>>,
    /// Per fn: its module path (file modules, then inline `mod`s).
    mods_of: HashMap<FnId, Vec<String>>,
    /// Per file: its `use` imports.
    file_uses: Vec<Vec<(String, Vec<String>)>>,
    /// Per file and fn: what each parameter the fn is handed is used for.
    param_uses: HashMap<FnId, Vec<(usize, crate::model::ParamUse)>>,
    /// Per file: its module path (`module_paths`: `#[path]` followed).
    file_mods: Vec<Vec<String>>,
}

/// Types whose value is a running thread or task, a channel end, a socket
/// or a child process: what a close releases, and can release only once.
const RESOURCE_TYPES: &[&str] = &[
    "JoinHandle",
    "ScopedJoinHandle",
    "JoinSet",
    "AbortHandle",
    "AbortOnDropHandle",
    "Sender",
    "SyncSender",
    "Receiver",
    "UnboundedSender",
    "UnboundedReceiver",
    "WeakSender",
    "Child",
    "TcpStream",
    "TcpListener",
    "UdpSocket",
    "UnixStream",
    "UnixListener",
    "UnixDatagram",
    "Socket",
    "WebSocketStream",
    "WebSocket",
    "Runtime",
    "ThreadPool",
];

/// Which structs of a file own a resource (see `RESOURCE_TYPES`).
fn resource_owners(fm: &FileModel) -> HashMap<String, bool> {
    let mut owns: HashMap<String, bool> = HashMap::default();
    for s in &fm.structs {
        let direct = s
            .field_types
            .iter()
            .any(|t| RESOURCE_TYPES.contains(&t.as_str()));
        let e = owns.entry(s.name.clone()).or_insert(false);
        *e |= direct;
    }
    loop {
        let mut changed = false;
        for s in &fm.structs {
            if owns.get(&s.name) == Some(&true) {
                continue;
            }
            if s.field_types.iter().any(|t| owns.get(t) == Some(&true)) {
                owns.insert(s.name.clone(), true);
                changed = true;
            }
        }
        if !changed {
            return owns;
        }
    }
}

/// A Cargo target: the library/binaries under `src/` (and anything else),
/// or one integration test, example or bench (`tests/foo.rs`, `tests/foo/`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Lib,
    Aux {
        kind: String,
        name: String,
        dir: bool,
    },
}

fn target_of(parts: &[String]) -> Target {
    match parts {
        [kind, name, rest @ ..] if matches!(kind.as_str(), "tests" | "examples" | "benches") => {
            Target::Aux {
                kind: kind.clone(),
                name: name.trim_end_matches(".rs").to_string(),
                dir: !rest.is_empty(),
            }
        }
        _ => Target::Lib,
    }
}

/// Are two files in one Cargo target (`tests/foo.rs` and `tests/foo/x.rs`)?
fn same_target(a: &Target, b: &Target) -> bool {
    match (a, b) {
        (Target::Lib, Target::Lib) => true,
        (
            Target::Aux {
                kind: k1, name: n1, ..
            },
            Target::Aux {
                kind: k2, name: n2, ..
            },
        ) => k1 == k2 && n1 == n2,
        _ => false,
    }
}

/// The last segment of a call path (`m::f` -> `f`).
fn bare_name(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

/// A file of an integration test or bench target: all of it is test code.
pub fn is_test_target(parts: &[String]) -> bool {
    matches!(target_of(parts), Target::Aux { kind, .. } if kind != "examples")
}

/// Module names a file's path implies (`src/sync/mpsc.rs` -> sync, mpsc).
fn file_mods(parts: &[String]) -> Vec<String> {
    parts
        .iter()
        .map(|p| p.trim_end_matches(".rs").to_string())
        .filter(|p| !matches!(p.as_str(), "src" | "mod" | "lib" | "main"))
        .collect()
}

/// Per file: its module path. Where the file path says (`file_mods`),
/// unless a `#[path]` declaration of a parsed file places it elsewhere:
/// `#[path = "backend/alsa.rs"] mod host;` in `src/lib.rs` makes
/// `src/backend/alsa.rs` the module `host`, and a `mod.rs` so placed takes
/// the files under its directory along (`host::..`). Paths follow the
/// Reference: relative to the declaring file's directory, or, inside inline
/// modules, to the directory they name (below the file's own module
/// directory for a non-`mod.rs` file). A declaring file not parsed leaves
/// its targets where their path says; the prefilter parses every file with
/// a `#[path]` (`Ask::PathDecls`).
fn module_paths(files: &[&FileModel]) -> Vec<Vec<String>> {
    let mut mp: Vec<Vec<String>> = files.iter().map(|fm| file_mods(&fm.parts)).collect();
    if files.iter().all(|fm| fm.mod_decls.is_empty()) {
        return mp;
    }
    let by_path: HashMap<String, usize> = files
        .iter()
        .enumerate()
        .filter(|(_, fm)| !fm.parts.is_empty())
        .map(|(i, fm)| (fm.parts.join("/"), i))
        .collect();
    // Files placed by a `#[path]` (their children are found as from a
    // `mod.rs`), and the directories a placed `mod.rs` owns.
    let mut placed: HashSet<usize> = HashSet::default();
    for _round in 0..8 {
        let mut changed = false;
        let mut dirs: Vec<(Vec<String>, Vec<String>)> = Vec::new();
        for (d, fm) in files.iter().enumerate() {
            let Some((file, dir)) = fm.parts.split_last() else {
                continue;
            };
            let mod_rs =
                placed.contains(&d) || matches!(file.as_str(), "mod.rs" | "lib.rs" | "main.rs");
            for decl in &fm.mod_decls {
                let mut base: Vec<String> = dir.to_vec();
                if !decl.inline.is_empty() && !mod_rs {
                    base.push(file.trim_end_matches(".rs").to_string());
                }
                for (n, p) in &decl.inline {
                    base.extend(
                        p.as_deref()
                            .unwrap_or(n)
                            .split(['/', '\\'])
                            .map(str::to_string),
                    );
                }
                let targets: Vec<Vec<String>> = match &decl.path {
                    Some(p) => {
                        let b = if decl.inline.is_empty() {
                            dir.to_vec()
                        } else {
                            base
                        };
                        vec![b
                            .into_iter()
                            .chain(p.split(['/', '\\']).map(str::to_string))
                            .collect()]
                    }
                    None => vec![
                        base.iter()
                            .cloned()
                            .chain([format!("{}.rs", decl.name)])
                            .collect(),
                        base.iter()
                            .cloned()
                            .chain([decl.name.clone(), "mod.rs".to_string()])
                            .collect(),
                    ],
                };
                let mut want = mp[d].clone();
                want.extend(decl.inline.iter().map(|(n, _)| n.clone()));
                want.push(decl.name.clone());
                for t in targets {
                    let t = normalize(&t);
                    // A test or example that includes a library file
                    // (`#[path = "../src/util.rs"]`) does not move it: the
                    // library's own module tree places it.
                    if !same_target(&target_of(&t), &target_of(&fm.parts)) {
                        continue;
                    }
                    if t.last().is_some_and(|x| x == "mod.rs") {
                        dirs.push((t[..t.len() - 1].to_vec(), want.clone()));
                    }
                    if let Some(&ti) = by_path.get(&t.join("/")) {
                        placed.insert(ti);
                        if mp[ti] != want {
                            mp[ti] = want.clone();
                            changed = true;
                        }
                    }
                }
            }
        }
        // The files under a placed `mod.rs`'s directory (not placed
        // themselves) move with it.
        for (i, fm) in files.iter().enumerate() {
            if placed.contains(&i) || fm.parts.is_empty() {
                continue;
            }
            let best = dirs
                .iter()
                .filter(|(dir, _)| fm.parts.len() > dir.len() && fm.parts.starts_with(dir))
                .max_by_key(|(dir, _)| dir.len());
            if let Some((dir, m)) = best {
                let mut want = m.clone();
                want.extend(file_mods(&fm.parts[dir.len()..]));
                if mp[i] != want {
                    mp[i] = want;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    mp
}

/// `a/./b/../c` -> `a/c` (components of a relative path).
fn normalize(parts: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in parts {
        match p.as_str() {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            _ => out.push(p.clone()),
        }
    }
    out
}

/// The key under which a lock is compared across functions: its field path
/// without the root variable (`self.inner.state` -> `inner.state`). A lock on
/// a bare local or static keeps its name.
pub fn lock_key(path: &str) -> &str {
    match path.split_once('.') {
        Some((_, rest)) => rest,
        None => path,
    }
}

/// A type path as written, made absolute from the module `mods` it is
/// written in: `crate::`, `self::`, `super::` and the file's `use` imports
/// are followed; a bare name is a type of that module.
fn absolute_path(
    written: &[String],
    mods: &[String],
    uses: &[(String, Vec<String>)],
) -> Vec<String> {
    let Some(first) = written.first() else {
        return Vec::new();
    };
    match first.as_str() {
        "crate" => written[1..].to_vec(),
        "self" => mods.iter().chain(&written[1..]).cloned().collect(),
        "super" => {
            let mut m = mods.to_vec();
            let mut rest = written;
            while rest.first().is_some_and(|s| s == "super") {
                m.pop();
                rest = &rest[1..];
            }
            m.extend(rest.iter().cloned());
            m
        }
        _ => match uses.iter().find(|(n, full)| n == first && !full.is_empty()) {
            Some((_, full)) if full.as_slice() != written => {
                let mut w = full.clone();
                w.extend(written[1..].iter().cloned());
                absolute_path(&w, mods, &[])
            }
            _ => mods.iter().chain(written).cloned().collect(),
        },
    }
}

/// The names a call target reaches definitions by, as the prefilter keys
/// them: a free function's bare name, `(bare type, method)` for a method.
fn target_names(
    f: &FnModel,
    t: &CallTarget,
    free: &mut BTreeSet<String>,
    methods: &mut BTreeSet<(String, String)>,
) {
    match t {
        // As called (`m::f` or `f`): a qualified call resolves only to the
        // definitions in a module `m` (`Index::resolve`).
        CallTarget::Free(n) => {
            free.insert(n.clone());
        }
        CallTarget::TypeFn(ty, m) => {
            methods.insert((bare_name(ty).to_string(), m.clone()));
        }
        CallTarget::SelfMethod(m) => {
            for ty in f.self_ty.iter().chain(f.trait_name.iter()) {
                methods.insert((ty.clone(), m.clone()));
            }
        }
    }
}

/// Do two type keys name the same type? Equal, or one is the other seen
/// from outside the crate (`mycrate::conn::Conn` and `conn::Conn`).
fn type_keys_match(a: &str, b: &str) -> bool {
    if a.starts_with("?::") || b.starts_with("?::") {
        return bare_name(a) == bare_name(b);
    }
    a == b || ends_with_seg(a, b, "::") || ends_with_seg(b, a, "::")
}

/// Does `a` end with `sep` then `b` (`x::Conn` with `Conn`), without
/// building `format!("{sep}{b}")` (resolution asks this per candidate)?
fn ends_with_seg(a: &str, b: &str, sep: &str) -> bool {
    a.len() >= b.len() + sep.len() && a.ends_with(b) && a[..a.len() - b.len()].ends_with(sep)
}

/// `fn forget(mut self) { ..; mem::forget(self) }`: drop never runs after it.
fn forgets_self(f: &FnModel) -> bool {
    f.receiver == crate::model::Receiver::Value && f.forgets_self
}

/// The candidates whose type key matches `want`; when none does, all of
/// them if they are one type (the name is unambiguous in the package: a
/// re-export, `pub use deleter::NotificationDeleter`, names it by another
/// path), else none: an unresolved name is not guessed. The caller asks for
/// every impl of the name when it falls back (`Ask::TypeImpls`), so that the
/// answer is the one of parsing every file.
fn pick_by_type(want: &str, cands: Vec<(FnId, &str)>) -> Vec<FnId> {
    let hit: Vec<FnId> = cands
        .iter()
        .filter(|(_, k)| type_keys_match(k, want))
        .map(|(id, _)| *id)
        .collect();
    if !hit.is_empty() {
        return hit;
    }
    match cands.first() {
        Some((_, k0)) if cands.iter().all(|(_, k)| k == k0) => {
            cands.iter().map(|(id, _)| *id).collect()
        }
        _ => Vec::new(),
    }
}

fn keys_match(a: &str, b: &str) -> bool {
    a == b || ends_with_seg(a, b, ".") || ends_with_seg(b, a, ".")
}

impl Index {
    pub fn build(files: &[&FileModel]) -> Index {
        Index::build_for(files, 2021)
    }

    /// `build`, for a package of the given Rust edition (it decides how long
    /// an `if let` scrutinee temporary lives).
    pub fn build_for(files: &[&FileModel], edition: u16) -> Index {
        let mut ix = Index {
            file_mods: module_paths(files),
            ..Default::default()
        };
        *ix.build_memo.get_mut().unwrap_or_else(|e| e.into_inner()) = Some(HashMap::default());
        if files.iter().any(|fm| !fm.fns.is_empty()) {
            // A file not parsed yet may place a parsed one (`#[path]`).
            ix.ask(Ask::PathDecls);
        }
        for (fi, fm) in files.iter().enumerate() {
            ix.targets.push(target_of(&fm.parts));
            ix.owners.push(resource_owners(fm));
            ix.file_uses.push(fm.uses.clone());
            let mut calls: HashMap<String, (usize, usize)> = HashMap::default();
            for f in &fm.fns {
                for (n, owned) in &f.close_calls {
                    let e = calls.entry(n.clone()).or_default();
                    if *owned {
                        e.0 += 1;
                    } else {
                        e.1 += 1;
                    }
                }
            }
            ix.close_calls.push(calls);
            for (i, f) in fm.fns.iter().enumerate() {
                let id = (fi, i);
                ix.names.insert(id, f.qualified_name());
                let mut mods = ix.file_mods[fi].clone();
                mods.extend(f.mods.iter().cloned());
                if let Some(t) = &f.self_ty {
                    // `impl W` in a file that neither defines nor imports `W`
                    // (code that does not build yet): any `W` of the package.
                    let unresolved = f.self_ty_path.len() == 1
                        && f.trait_name.as_deref() != Some(t.as_str())
                        && !fm.structs.iter().any(|s| s.name == *t)
                        && !fm.uses.iter().any(|(n, _)| n == t)
                        && !fm.uses.iter().any(|(n, _)| n == "*");
                    let mut key = if unresolved {
                        format!("?::{t}")
                    } else {
                        absolute_path(&f.self_ty_path, &mods, &fm.uses).join("::")
                    };
                    if let Some(at) = f.scope {
                        // An impl inside a fn body (two tests may each
                        // declare a `MyFuture`).
                        key = format!("{key}@{fi}:{at}");
                    }
                    ix.ty_keys.insert(id, key);
                }
                ix.mods_of.insert(id, mods);
                if !f.param_uses.is_empty() {
                    ix.param_uses.insert(id, f.param_uses.clone());
                }
                if f.is_test {
                    ix.tests.insert(id);
                }
                if f.self_ty.is_none() {
                    let mut mods = ix.file_mods[fi].clone();
                    mods.extend(f.mods.iter().cloned());
                    ix.fn_mods.insert(id, mods);
                }
                if f.is_async {
                    ix.async_fns.insert(id);
                }
                match &f.self_ty {
                    Some(t) => {
                        ix.methods
                            .entry(t.clone())
                            .or_default()
                            .entry(f.name.clone())
                            .or_default()
                            .push(id);
                        if f.returns_self {
                            ix.ctors.insert((t.clone(), f.name.clone()));
                        }
                        if let Some(r) = &f.close_read_only {
                            ix.close_methods
                                .insert((t.clone(), f.name.clone()), r.clone());
                        }
                    }
                    None => ix.free.entry(f.name.clone()).or_default().push(id),
                }
                for e in &f.events {
                    match &e.kind {
                        // A by-value method that `mem::forget`s self never
                        // reaches `Drop`: its take does not empty a field
                        // that drop then reads.
                        EventKind::Take(t) if !forgets_self(f) => {
                            if let Some(ty) = ix.ty_keys.get(&id).cloned() {
                                ix.takes.entry((ty, t.path.clone())).or_default().push(id);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        for (fi, fm) in files.iter().enumerate() {
            for (i, f) in fm.fns.iter().enumerate() {
                let is_drop = f.trait_name.as_deref() == Some("Drop") && f.name == "drop";
                for e in &f.events {
                    if let EventKind::Call(c) = &e.kind {
                        if let CallTarget::SelfMethod(_) = &c.target {
                            for to in ix.resolve((fi, i), f, &c.target) {
                                let v = ix.self_callers.entry(to).or_default();
                                if !v.contains(&((fi, i), is_drop)) {
                                    v.push(((fi, i), is_drop));
                                }
                            }
                        }
                    }
                }
            }
        }
        // Which functions wait: a fixpoint over the call graph.
        loop {
            let mut changed = false;
            for (fi, fm) in files.iter().enumerate() {
                for (i, f) in fm.fns.iter().enumerate() {
                    let id = (fi, i);
                    if let Some(g) = &f.returns_guard {
                        if !f.is_async && !ix.guard_fns.contains_key(&id) {
                            if let Some(w) = ix.guard_waits(id, f, g) {
                                ix.guard_fns.insert(id, w);
                                changed = true;
                            }
                        }
                    }
                    if f.is_async || ix.waits.contains_key(&id) {
                        continue;
                    }
                    if let Some(w) = ix.first_inline_wait(id, f) {
                        if f.trait_name.as_deref() == Some("Drop") && f.name == "drop" {
                            if let Some(t) = &f.self_ty {
                                let key = ix.ty_keys.get(&id).cloned().unwrap_or_else(|| t.clone());
                                ix.drop_waits.entry(t.clone()).or_default().push((
                                    fi,
                                    key,
                                    w.clone(),
                                ));
                            }
                        }
                        ix.waits.insert(id, w);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        ix.build_locks(files, edition);
        *ix.build_memo.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
        ix
    }

    /// The first wait this function runs itself (not in spawned or deferred
    /// code, nor in a `#[cfg(test)]` statement: only test builds run it).
    fn first_inline_wait(&self, id: FnId, f: &FnModel) -> Option<Witness> {
        for e in &f.events {
            if e.test || !self.frame_runs_inline(id, f, e.frame) {
                continue;
            }
            let w = match &e.kind {
                EventKind::Wait(w) if !w.awaited => self.wait_witness(id, f, w),
                EventKind::Call(c) if !c.awaited => self.call_waits(id, f, &c.target),
                EventKind::Guard(g) => match g.kind {
                    // Closure-bodied guards: their waits are inline events already.
                    GuardKind::DropType { .. }
                    | GuardKind::ScopeGuard(None)
                    | GuardKind::Returned(_) => self.guard_waits(id, f, g),
                    _ => None,
                },
                _ => None,
            };
            if w.is_some() {
                return w;
            }
        }
        None
    }

    fn prefer_file(&self, from_file: usize, ids: &[FnId]) -> Vec<FnId> {
        let local: Vec<FnId> = ids.iter().copied().filter(|i| i.0 == from_file).collect();
        if local.is_empty() {
            ids.to_vec()
        } else {
            local
        }
    }

    /// The functions a call may reach. Candidates in the caller's own file
    /// win over same-named ones elsewhere.
    pub fn resolve(&self, from: FnId, f: &FnModel, target: &CallTarget) -> Vec<FnId> {
        if self.rules_asking.load(Ordering::Relaxed) {
            self.ask(Ask::Target(from, target.clone()));
        }
        self.resolve_quiet(from, f, target)
    }

    fn resolve_quiet(&self, from: FnId, f: &FnModel, target: &CallTarget) -> Vec<FnId> {
        let mut memo = self.build_memo.lock().unwrap_or_else(|e| e.into_inner());
        let Some(m) = memo.as_mut() else {
            drop(memo);
            return self.resolve_uncached(from, f, target);
        };
        if let Some(ids) = m.get(&from).and_then(|t| t.get(target)) {
            return ids.clone();
        }
        drop(memo);
        let ids = self.resolve_uncached(from, f, target);
        if let Some(m) = self
            .build_memo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            m.entry(from)
                .or_default()
                .insert(target.clone(), ids.clone());
        }
        ids
    }

    fn resolve_uncached(&self, from: FnId, f: &FnModel, target: &CallTarget) -> Vec<FnId> {
        let ids: Vec<FnId> = match target {
            CallTarget::SelfMethod(name) => {
                let mut v = Vec::new();
                if let Some(ty) = &f.self_ty {
                    v.extend(self.methods_of_type(from, f, ty, name));
                }
                // Default methods of the implemented trait.
                if let Some(tr) = &f.trait_name {
                    if let Some(ids) = self.methods_named(tr, name) {
                        v.extend(ids);
                    }
                }
                v
            }
            CallTarget::TypeFn(ty, name) => self.methods_of_type(from, f, ty, name),
            CallTarget::Free(name) => match name.split_once("::") {
                None => self.free.get(name).cloned().unwrap_or_default(),
                Some((module, name)) => self
                    .free
                    .get(name)
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|id| {
                        self.fn_mods
                            .get(id)
                            .is_some_and(|m| m.iter().any(|x| x == module))
                    })
                    .collect(),
            },
        };
        let ids: Vec<FnId> = ids
            .into_iter()
            .filter(|&to| self.visible(from, to))
            .collect();
        self.prefer_file(from.0, &ids)
    }

    /// The methods `name` of the type `ty` as named from `from` (its own
    /// impl type, or a name resolved through `from`'s module and imports).
    fn methods_of_type(&self, from: FnId, f: &FnModel, ty: &str, name: &str) -> Vec<FnId> {
        let bare = bare_name(ty);
        let Some(ids) = self.methods_named(bare, name) else {
            return Vec::new();
        };
        let want = if ty.contains("::") {
            // A path as resolved by the model (`crate::a::Pool`).
            let mods = self.mods_of.get(&from).map_or(&[][..], Vec::as_slice);
            let segs: Vec<String> = ty.split("::").map(str::to_string).collect();
            absolute_path(&segs, mods, &[]).join("::")
        } else {
            self.type_key_from(from, f, ty)
        };
        let cands: Vec<(FnId, &str)> = ids
            .iter()
            .map(|id| {
                (
                    *id,
                    self.ty_keys.get(id).map(|s| s.as_str()).unwrap_or(bare),
                )
            })
            .collect();
        let hit = cands.iter().any(|(_, k)| type_keys_match(k, &want));
        if !hit && !cands.is_empty() {
            self.ask(Ask::TypeImpls(bare.to_string(), name.to_string()));
        }
        pick_by_type(&want, cands)
    }

    /// The module path of the type a bare name `ty` means in `from`.
    fn type_key_from(&self, from: FnId, f: &FnModel, ty: &str) -> String {
        if f.self_ty.as_deref() == Some(ty) {
            if let Some(k) = self.ty_keys.get(&from) {
                return k.clone();
            }
        }
        let mods = self.mods_of.get(&from).map_or(&[][..], Vec::as_slice);
        let uses = self
            .file_uses
            .get(from.0)
            .map(|u| u.as_slice())
            .unwrap_or(&[]);
        absolute_path(&[ty.to_string()], mods, uses).join("::")
    }

    /// The methods `name` of type (or trait) `ty` (bare name).
    fn methods_named(&self, ty: &str, name: &str) -> Option<&Vec<FnId>> {
        self.methods.get(ty).and_then(|m| m.get(name))
    }

    /// Test code: a test fn (`#[test]`, in `#[cfg(test)]`), or any fn of an
    /// integration test or bench target.
    pub fn is_test_code(&self, id: FnId) -> bool {
        self.tests.contains(&id)
            || matches!(self.targets.get(id.0), Some(Target::Aux { kind, .. }) if kind != "examples")
    }

    /// Can code in `from` call `to`? Not across Cargo targets (except into
    /// the library, or into a shared module directory of the same kind), and
    /// test functions only from test code of the same target.
    fn visible(&self, from: FnId, to: FnId) -> bool {
        let (Some(tf), Some(tt)) = (self.targets.get(from.0), self.targets.get(to.0)) else {
            return true;
        };
        if self.tests.contains(&to) && (!self.tests.contains(&from) || tf != tt) {
            return false;
        }
        match (tf, tt) {
            (_, Target::Lib) => true,
            (Target::Lib, _) => false,
            (Target::Aux { kind: k1, .. }, Target::Aux { kind: k2, dir, .. }) => {
                tf == tt || (k1 == k2 && *dir)
            }
        }
    }

    /// The crate's own definitions of a vocabulary wait method called on a
    /// receiver of a known type (`b.wait()` with `b: Builder`), in any file
    /// of the package; empty when the crate defines none for that type (a
    /// std `Child`, `Barrier`, or a type of another crate), or when the
    /// name is imported from `std`/`core`/`alloc`.
    fn own_wait_defs(&self, from: FnId, f: &FnModel, w: &WaitCall) -> Vec<FnId> {
        let Some(ty) = &w.recv_ty else {
            return Vec::new();
        };
        self.ask(Ask::OwnWait(bare_name(ty).to_string(), w.name.clone()));
        if self.methods_named(bare_name(ty), &w.name).is_none() {
            return Vec::new();
        }
        let std_import = self.file_uses.get(from.0).is_some_and(|u| {
            u.iter().any(|(n, full)| {
                n == bare_name(ty)
                    && matches!(
                        full.first().map(String::as_str),
                        Some("std" | "core" | "alloc")
                    )
            })
        });
        if std_import {
            return Vec::new();
        }
        let t = CallTarget::TypeFn(ty.clone(), w.name.clone());
        self.resolve(from, f, &t)
    }

    /// Does this vocabulary wait (not awaited) wait? It does, unless the
    /// receiver's type is known and the crate defines the method for it:
    /// then that definition decides, like a call of it (a builder's
    /// `wait(self) -> Self` only builds a value). A definition that cannot
    /// be found keeps the vocabulary's answer.
    pub fn wait_witness(&self, from: FnId, f: &FnModel, w: &WaitCall) -> Option<Witness> {
        if self.own_wait_defs(from, f, w).is_empty() {
            return Some(Witness::direct(from.0, w.span, &w.name));
        }
        let ty = w.recv_ty.clone().unwrap_or_default();
        self.call_waits(from, f, &CallTarget::TypeFn(ty, w.name.clone()))
    }

    /// Does calling `target` from `f` wait? Async callees never do (the call
    /// only builds a future).
    ///
    /// When a free function's name resolves to several definitions (cfg
    /// alternatives such as a sleeping `debug_delay` and its
    /// `const fn debug_delay() {}` stub, or same-named helpers in different
    /// modules), the call waits only if every one of them does: an ambiguous
    /// call is not claimed to wait.
    pub fn call_waits(&self, from: FnId, f: &FnModel, target: &CallTarget) -> Option<Witness> {
        let cands: Vec<FnId> = self
            .resolve(from, f, target)
            .into_iter()
            .filter(|id| *id != from)
            .collect();
        let witness = |id: &FnId| -> Option<Witness> {
            let mut w = self.waits.get(id)?.clone();
            w.via.insert(0, self.names[id].clone());
            Some(w)
        };
        if !matches!(target, CallTarget::Free(_)) {
            // A method is keyed by its type: same-named candidates are trait
            // impls or overloads of one type, any of which the call may run.
            return cands
                .iter()
                .filter(|id| !self.async_fns.contains(id))
                .find_map(witness);
        }
        let mut first = None;
        for id in cands {
            if self.async_fns.contains(&id) {
                return None;
            }
            let w = self.waits.get(&id)?;
            if first.is_none() {
                let mut w = w.clone();
                w.via.insert(0, self.names[&id].clone());
                first = Some(w);
            }
        }
        if first.is_some() {
            // A same-named definition not parsed yet could veto this answer.
            if let CallTarget::Free(name) = target {
                self.ask(Ask::Free(name.clone()));
            }
        }
        first
    }

    /// Does this guard run a wait when it drops?
    pub fn guard_waits(&self, from: FnId, f: &FnModel, g: &GuardArm) -> Option<Witness> {
        match &g.kind {
            GuardKind::Defer(frame) | GuardKind::ScopeGuard(Some(frame)) => {
                f.events.iter().find_map(|e| {
                    if !self.frame_inline_within(from, f, e.frame, *frame) {
                        return None;
                    }
                    match &e.kind {
                        EventKind::Wait(w) if !w.awaited => self.wait_witness(from, f, w),
                        EventKind::Call(c) if !c.awaited => self.call_waits(from, f, &c.target),
                        _ => None,
                    }
                })
            }
            GuardKind::ScopeGuard(None) => {
                let target = g.call.as_ref()?;
                self.call_waits(from, f, target)
            }
            GuardKind::DropType { ty, ctor } => {
                self.ask(Ask::GuardType(ty.clone()));
                if let Some(c) = ctor {
                    if !self.ctors.contains(&(ty.clone(), c.clone())) {
                        let t = CallTarget::TypeFn(ty.clone(), c.clone());
                        return self.returned_guard(from, f, &t);
                    }
                }
                let all = self.drop_waits.get(ty)?;
                // The `Drop` of the type this name means here (module path
                // and imports), not a same-named type of another module.
                let want = self.type_key_from(from, f, ty);
                let mut cands: Vec<&(usize, String, Witness)> = all
                    .iter()
                    .filter(|(_, k, _)| type_keys_match(k, &want))
                    .collect();
                if cands.is_empty() {
                    self.ask(Ask::TypeImpls(bare_name(ty).to_string(), "drop".into()));
                }
                if cands.is_empty() && all.iter().all(|(_, k, _)| *k == all[0].1) {
                    cands = all.iter().collect();
                }
                let local = cands.iter().find(|(fi, _, _)| *fi == from.0);
                let (_, _, w) = *local.or_else(|| cands.first())?;
                let mut w = w.clone();
                w.via.insert(0, format!("<{ty} as Drop>::drop"));
                Some(w)
            }
            GuardKind::Returned(t) => self.returned_guard(from, f, t),
        }
    }

    /// The wait guard a call of `target` hands back, if any.
    fn returned_guard(&self, from: FnId, f: &FnModel, target: &CallTarget) -> Option<Witness> {
        self.resolve(from, f, target)
            .into_iter()
            .filter(|id| *id != from)
            .find_map(|id| {
                let mut w = self.guard_fns.get(&id)?.clone();
                w.via.insert(0, self.names[&id].clone());
                Some(w)
            })
    }

    /// Is this read of close state real: a field/variant read, a vocabulary
    /// method, or a same-impl method whose body only reads close state?
    pub fn read_is_close(&self, f: &FnModel, r: &CloseRead) -> bool {
        match &r.kind {
            CloseReadKind::SelfMethod(name) => self.close_method(f, name).is_some(),
            _ => true,
        }
    }

    pub fn close_method(&self, f: &FnModel, name: &str) -> Option<&CloseRead> {
        let ty = f.self_ty.as_ref()?;
        self.ask(Ask::CloseMethod(ty.clone(), name.to_string()));
        self.close_methods.get(&(ty.clone(), name.to_string()))
    }

    /// The state path a read is about, resolving `self.is_closed()`.
    pub fn read_path(&self, f: &FnModel, r: &CloseRead) -> Option<String> {
        match &r.kind {
            CloseReadKind::SelfMethod(name) | CloseReadKind::Method(name)
                if r.path.as_deref().is_none_or(|p| p.ends_with("()")) =>
            {
                self.close_method(f, name).and_then(|m| m.path.clone())
            }
            _ => r.path.clone(),
        }
    }

    /// The one path by which a query records its demand: every query whose
    /// answer files not parsed yet could change calls this with what it
    /// asked (a new kind of question is a new `Ask` variant, and
    /// `Demand::record` and the prefilter's `demanded` must answer it).
    fn ask(&self, a: Ask) {
        // Calls and guard types are recorded only once the rules run (the
        // index's own fixpoint asks them too; `reach` follows those instead).
        if a.rules_only() && !self.rules_asking.load(Ordering::Relaxed) {
            return;
        }
        self.asked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(a);
    }

    /// From now on, record the calls and guard types asked about (the rules
    /// run); the index's own fixpoint is not recorded: `reach` follows the
    /// rules' questions through it instead.
    pub fn start_rules(&self) {
        self.rules_asking.store(true, Ordering::Relaxed);
    }

    /// Follows the rules' questions through the parsed functions: every
    /// call and guard a reached function makes (any frame: a superset of
    /// what `first_inline_wait` and `guard_waits` look at) and the `Drop`
    /// of every guard type reached.
    pub fn reach(&self, files: &[&FileModel], d: &Demand) -> Reach {
        let mut r = Reach::default();
        let mut drops: HashMap<&str, Vec<FnId>> = HashMap::default();
        for (fi, fm) in files.iter().enumerate() {
            for (i, f) in fm.fns.iter().enumerate() {
                if let (Some(t), Some("Drop"), "drop") =
                    (&f.self_ty, f.trait_name.as_deref(), f.name.as_str())
                {
                    drops.entry(t.as_str()).or_default().push((fi, i));
                }
            }
        }
        let mut work: Vec<(FnId, CallTarget)> = d.targets.iter().cloned().collect();
        let mut done: HashSet<(FnId, CallTarget)> = HashSet::default();
        let mut walked: HashSet<FnId> = HashSet::default();
        let mut types: Vec<String> = d.types.iter().cloned().collect();
        let walk = |id: FnId, work: &mut Vec<(FnId, CallTarget)>, types: &mut Vec<String>| {
            for e in &files[id.0].fns[id.1].events {
                match &e.kind {
                    EventKind::Call(c) => work.push((id, c.target.clone())),
                    // A wait that may be the crate's own method.
                    EventKind::Wait(w) => {
                        if let Some(t) = &w.recv_ty {
                            work.push((id, CallTarget::TypeFn(t.clone(), w.name.clone())));
                        }
                    }
                    EventKind::Guard(g) => {
                        if let Some(t) = &g.call {
                            work.push((id, t.clone()));
                        }
                        match &g.kind {
                            GuardKind::DropType { ty, ctor } => {
                                types.push(ty.clone());
                                if let Some(c) = ctor {
                                    work.push((id, CallTarget::TypeFn(ty.clone(), c.clone())));
                                }
                            }
                            GuardKind::Returned(t) => work.push((id, t.clone())),
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
        };
        loop {
            while let Some((from, t)) = work.pop() {
                if !done.insert((from, t.clone())) {
                    continue;
                }
                let f = &files[from.0].fns[from.1];
                target_names(f, &t, &mut r.free, &mut r.methods);
                for id in self.resolve_quiet(from, f, &t) {
                    if walked.insert(id) {
                        walk(id, &mut work, &mut types);
                    }
                }
            }
            let Some(t) = types.pop() else { break };
            if r.types.insert(t.clone()) {
                for &id in drops.get(t.as_str()).into_iter().flatten() {
                    if walked.insert(id) {
                        walk(id, &mut work, &mut types);
                    }
                }
            }
        }
        self.lock_reach(files, d, &mut r);
        r
    }

    /// What the index was asked (while it was built and by the rules) that
    /// more files could answer differently.
    pub fn demand(&self) -> Demand {
        std::mem::take(&mut *self.asked.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The functions of `f`'s type (in `f`'s scope) that take `path`.
    pub fn takers(&self, from: FnId, f: &FnModel, path: &str) -> Vec<FnId> {
        let Some(ty) = self.ty_keys.get(&from) else {
            return Vec::new();
        };
        if let Some(t) = &f.self_ty {
            self.ask(Ask::Take(t.clone(), path.to_string()));
        }
        let mut out: Vec<FnId> = self
            .takes
            .iter()
            .filter(|((k, p), _)| p == path && type_keys_match(k, ty))
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect();
        out.sort_unstable();
        out
    }

    /// The functions calling `id` as `self.m()`, each with "is a `Drop::drop`".
    pub fn self_callers(&self, id: FnId) -> &[(FnId, bool)] {
        self.ask(Ask::Callers(id));
        self.self_callers
            .get(&id)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
    }

    /// How the file of `id` calls a close method `name` on receivers other
    /// than `self`: (on values the caller owns, on other places).
    pub fn close_calls_in_file(&self, id: FnId, name: &str) -> (usize, usize) {
        self.ask(Ask::FileCalls(id.0, name.to_string()));
        self.close_calls
            .get(id.0)
            .and_then(|m| m.get(name))
            .copied()
            .unwrap_or_default()
    }

    /// Does the struct `ty`, defined in the same file as `from`, own a
    /// thread, task, channel, socket or child process? `None` when the
    /// file defines no such struct (then nothing is known).
    pub fn owns_resource(&self, from: FnId, ty: &str) -> Option<bool> {
        self.ask(Ask::FileDecls(from.0));
        self.owners.get(from.0)?.get(ty).copied()
    }

    /// Does this frame's code run as part of the function's own execution?
    /// A closure handed to a crate function (of the same file: it is parsed
    /// whenever this one is) runs when that function calls its parameter.
    pub fn frame_runs_inline(&self, from: FnId, f: &FnModel, frame: FrameId) -> bool {
        let mut fr = frame;
        loop {
            let x = &f.frames[fr];
            match x.kind {
                crate::model::FrameKind::Body => return true,
                crate::model::FrameKind::Closure => {}
                crate::model::FrameKind::Offload if self.handed_runs(from, f, fr) => {}
                _ => return false,
            }
            match x.parent {
                Some(p) => fr = p,
                None => return true,
            }
        }
    }

    /// Is this frame async context (SPEC §1), with handed closures resolved?
    pub fn frame_is_async(&self, from: FnId, f: &FnModel, frame: FrameId) -> bool {
        let x = &f.frames[frame];
        if x.is_async {
            return true;
        }
        match (x.kind, x.parent) {
            (crate::model::FrameKind::Closure, Some(p)) => self.frame_is_async(from, f, p),
            (crate::model::FrameKind::Offload, Some(p)) if self.handed_runs(from, f, frame) => {
                self.frame_is_async(from, f, p)
            }
            _ => false,
        }
    }

    /// Is `inner` the same frame as `outer`, or a closure nested in it that
    /// runs inline (handed closures resolved)?
    pub fn frame_inline_within(
        &self,
        from: FnId,
        f: &FnModel,
        inner: FrameId,
        outer: FrameId,
    ) -> bool {
        let mut fr = inner;
        loop {
            if fr == outer {
                return true;
            }
            let x = &f.frames[fr];
            let through = x.kind == crate::model::FrameKind::Closure
                || (x.kind == crate::model::FrameKind::Offload && self.handed_runs(from, f, fr));
            if !through {
                return false;
            }
            match x.parent {
                Some(p) => fr = p,
                None => return false,
            }
        }
    }

    /// A closure handed to a crate function that calls it (every candidate
    /// of the same file calls that parameter; none offloads it).
    fn handed_runs(&self, from: FnId, f: &FnModel, frame: FrameId) -> bool {
        let Some((target, pos)) = &f.frames[frame].handed_to else {
            return false;
        };
        let cands: Vec<FnId> = self
            .resolve_quiet(from, f, target)
            .into_iter()
            .filter(|id| id.0 == from.0)
            .collect();
        if !cands.is_empty() {
            self.ask(Ask::File(from.0));
        }
        !cands.is_empty()
            && cands.iter().all(|id| {
                self.param_uses.get(id).is_some_and(|u| {
                    u.contains(&(*pos, crate::model::ParamUse::Called))
                        && !u.contains(&(*pos, crate::model::ParamUse::Offloaded))
                })
            })
    }

    pub fn name(&self, id: FnId) -> &str {
        self.names.get(&id).map(|s| s.as_str()).unwrap_or("?")
    }
}

#[cfg(test)]
mod type_path_tests {
    use super::{absolute_path, module_paths, pick_by_type, type_keys_match, FileModel};

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    /// `#[path]` places files in the module tree: on a declaration (relative
    /// to the declaring file's directory), on a child of an inline module
    /// (below the directory the inline modules name, and the file's own
    /// module directory for a non-`mod.rs` file), a placed `mod.rs` taking
    /// its directory along; other files stay where their path says.
    #[test]
    fn path_attributes_place_files() {
        use crate::model::ModDecl;
        let file = |parts: &[&str], decls: Vec<ModDecl>| FileModel {
            parts: v(parts),
            mod_decls: decls,
            ..Default::default()
        };
        let decl = |inline: &[(&str, Option<&str>)], name: &str, path: Option<&str>| ModDecl {
            inline: inline
                .iter()
                .map(|(n, p)| (n.to_string(), p.map(str::to_string)))
                .collect(),
            name: name.to_string(),
            path: path.map(str::to_string),
        };
        let files = [
            file(
                &["src", "lib.rs"],
                vec![
                    decl(&[], "host", Some("backend/alsa.rs")),
                    decl(&[("os", None)], "conn", Some("../net/sys.rs")),
                    decl(&[("plat", Some("platform"))], "unix", None),
                ],
            ),
            file(&["src", "backend", "alsa.rs"], vec![]),
            file(&["src", "net", "sys.rs"], vec![]),
            file(&["src", "platform", "unix", "mod.rs"], vec![]),
            file(&["src", "platform", "unix", "fd.rs"], vec![]),
            file(
                &["src", "pool.rs"],
                vec![decl(&[("inner", None)], "imp", Some("x.rs"))],
            ),
            file(&["src", "pool", "inner", "x.rs"], vec![]),
            file(&["src", "other.rs"], vec![]),
            file(
                &["tests", "it.rs"],
                vec![
                    decl(&[], "shared", Some("../src/other.rs")),
                    decl(&[], "helper", Some("it/support.rs")),
                ],
            ),
            file(&["tests", "it", "support.rs"], vec![]),
        ];
        let refs: Vec<&FileModel> = files.iter().collect();
        let mp = module_paths(&refs);
        let want: [&[&str]; 10] = [
            &[],
            &["host"],
            &["os", "conn"],
            &["plat", "unix"],
            &["plat", "unix", "fd"],
            &["pool"],
            &["pool", "inner", "imp"],
            &["other"],
            &["tests", "it"],
            &["tests", "it", "helper"],
        ];
        for (i, w) in want.iter().enumerate() {
            assert_eq!(mp[i], v(w), "{:?}", files[i].parts);
        }
    }

    #[test]
    fn paths_resolve_from_their_module() {
        let mods = v(&["host", "alsa"]);
        let uses = vec![
            ("Stream".to_string(), v(&["super", "wasapi", "Stream"])),
            ("Other".to_string(), v(&["crate", "x", "Other"])),
        ];
        assert_eq!(
            absolute_path(&v(&["Local"]), &mods, &uses),
            v(&["host", "alsa", "Local"])
        );
        assert_eq!(
            absolute_path(&v(&["Stream"]), &mods, &uses),
            v(&["host", "wasapi", "Stream"])
        );
        assert_eq!(
            absolute_path(&v(&["Other"]), &mods, &uses),
            v(&["x", "Other"])
        );
        assert_eq!(
            absolute_path(&v(&["crate", "a", "T"]), &mods, &[]),
            v(&["a", "T"])
        );
        assert_eq!(
            absolute_path(&v(&["super", "super", "T"]), &mods, &[]),
            v(&["T"])
        );
        assert_eq!(
            absolute_path(&v(&["self", "T"]), &mods, &[]),
            v(&["host", "alsa", "T"])
        );
    }

    #[test]
    fn same_named_types_stay_apart() {
        assert!(!type_keys_match(
            "host::alsa::Stream",
            "host::wasapi::Stream"
        ));
        assert!(type_keys_match("mycrate::conn::Conn", "conn::Conn"));
        assert!(type_keys_match("?::W", "a::W"));
        assert!(!type_keys_match("?::W", "a::V"));
        // No match and two different types of that name: nothing is guessed.
        assert!(pick_by_type("c::Pool", vec![((0, 0), "a::Pool"), ((1, 0), "b::Pool")]).is_empty());
        // One type of that name in the package: it is the one meant.
        assert_eq!(
            pick_by_type("c::Pool", vec![((0, 0), "a::Pool"), ((0, 1), "a::Pool")]).len(),
            2
        );
    }
}

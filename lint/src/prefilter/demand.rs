//! Later rounds of a package: after the rules ran on what is parsed, the
//! files not parsed yet that could change an answer the index gave
//! (`Index::demand`, followed through the parsed functions by `Index::reach`).

use super::facts::{F_LOCK, F_LOCK_COUNTED};
use super::plan::Plan;
use super::regions::PATH_ANY;
use super::scan::{FileScan, LexFn};
use super::{meets, method_key, name_hash, part_keys, HMap, HSet, Prefilter, STATS, STAT_DEMANDED};
use crate::index::{Demand, Reach};
use crate::model::FileModel;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::Ordering;

impl Prefilter {
    /// After a run of the rules: the files not parsed yet that could change
    /// an answer the index gave (`Index::demand`). A free call waits only if
    /// every same-named definition does, so the other definitions of a
    /// waiting free function may veto it; other acquisitions of a lock asked
    /// about; other takes of a field a `Drop` takes and other `self.m()`
    /// callers of a close method.
    ///
    /// `parsed[g]`: `None` if file `g` is not parsed, else the insides of
    /// the bodies its parse left out (`FileScan::blank_ranges`; empty:
    /// none). Such a file is demanded only where an answer could come from
    /// a body it left out. Per file demanded: the functions whose bodies
    /// are needed, or `None` for all of it.
    #[allow(clippy::too_many_arguments)]
    pub fn demanded(
        &self,
        plan: &Plan,
        d: &Demand,
        reach: &Reach,
        models: &[Option<&FileModel>],
        parsed: &[Option<&[(u32, u32)]>],
        scans: &[Option<FileScan>],
        paths: &[&Path],
    ) -> Vec<(usize, Option<Vec<usize>>)> {
        // Files, and (for a file parsed with bodies left out) the function
        // whose body an answer needs (`None`: any part of the file).
        let mut out: Vec<(usize, Option<usize>)> = Vec::new();
        let in_module = InModule::new(scans, paths);
        // What the rules' questions reach: the may-wait definitions of the
        // calls (by key), the Drop impls and constructors of guard types.
        // A call `m::f` reaches only the `f`s that may be in a module `m`.
        for n in reach.free.iter().chain(&reach.lock_free) {
            let (k, module) = free_key(n);
            out.extend(
                plan.defs
                    .get(&k)
                    .into_iter()
                    .flatten()
                    .filter(|&&(g, _)| in_module.holds(g, module))
                    .map(|&(g, i)| (g, Some(i))),
            );
        }
        let mut keys: Vec<u64> = Vec::new();
        keys.extend(
            reach
                .methods
                .iter()
                .map(|(t, m)| method_key(t.as_bytes(), m.as_bytes())),
        );
        // The lock lints' calls under a guard: the may-lock definitions they
        // reach (`Plan::defs` holds them when a trigger follows locks; the
        // free ones above).
        keys.extend(
            reach
                .lock_methods
                .iter()
                .map(|(t, m)| method_key(t.as_bytes(), m.as_bytes())),
        );
        for t in &reach.types {
            let h = name_hash(t.as_bytes());
            keys.push(h);
            out.extend(
                plan.impl_of
                    .get(&h)
                    .into_iter()
                    .flatten()
                    .map(|&g| (g, None)),
            );
        }
        for k in keys {
            out.extend(
                plan.defs
                    .get(&k)
                    .into_iter()
                    .flatten()
                    .map(|&(g, i)| (g, Some(i))),
            );
        }
        // Possible close-state methods a rule asked about.
        for (t, m) in &d.close_methods {
            let k = method_key(t.as_bytes(), m.as_bytes());
            for &g in plan.close_defs.get(&k).into_iter().flatten() {
                out.extend(fns_where(scans, g, |f| f.close_key == Some(k)));
            }
        }
        // The callers of a close path in its file: the bodies that call it
        // as a method (the whole file if the scan does not know it).
        for (g, name) in &d.file_calls {
            let h = name_hash(name.as_bytes());
            let known = scans[*g]
                .as_ref()
                .is_some_and(|s| s.fns.iter().any(|f| f.name == h && f.is_close_path()));
            if known {
                out.extend(fns_where(scans, *g, |f| f.dot_calls.contains(&h)));
            } else {
                out.push((*g, None));
            }
        }
        // Same-file questions read the whole file, or its declarations.
        out.extend(d.files.iter().map(|&g| (g, None)));
        for &g in &d.file_decls {
            if let (Some(s), Some(left_out)) = (&scans[g], parsed[g]) {
                for &(_, at) in &s.body_decls {
                    if inside(left_out, at) {
                        out.extend(fns_where(scans, g, |f| f.body.0 < at && at < f.body.1));
                    }
                }
            }
        }
        // The whole lock-order graph: every function that may have an edge
        // on a cycle (the callees under its guards are asked for by the
        // rules once it is parsed); for a trigger not bound to a function,
        // every function of its files with a counted acquisition (an edge
        // needs one).
        if d.lock_graph {
            for &(g, i) in &plan.across {
                match i {
                    Some(_) => out.push((g, i)),
                    None => out.extend(fns_where(scans, g, |f| {
                        f.region.facts & (1 << F_LOCK_COUNTED) != 0
                    })),
                }
            }
        }
        let free: Vec<(u64, Option<u64>)> = d.free.iter().map(|n| free_key(n)).collect();
        let needles = |paths: &BTreeSet<String>| -> (bool, HSet<u64>) {
            let segs: Vec<String> = paths.iter().map(|p| last_segment(p)).collect();
            (
                segs.iter().any(|x| x.is_empty()),
                segs.iter()
                    .filter(|x| !x.is_empty())
                    .map(|x| name_hash(x.as_bytes()))
                    .collect(),
            )
        };
        let (lock_any, lock_h) = needles(&d.locks);
        // Declarations lock identity read (struct fields, statics, aliases).
        let decls: HSet<u64> = d.decls.iter().map(|n| name_hash(n.as_bytes())).collect();
        // Another definition of such a method can change an answer only by
        // making the name ambiguous (then nothing is resolved): that matters
        // when some definition of it may wait or lock (`Plan::defs`), or
        // takes a callable (a closure handed to it may run in it).
        let mut type_impls: HSet<u64> = d
            .type_impls
            .iter()
            .map(|(t, m)| method_key(t.as_bytes(), m.as_bytes()))
            .collect();
        if !type_impls.is_empty() {
            let callable: HSet<u64> = scans
                .iter()
                .flatten()
                .flat_map(|s| &s.fns)
                .filter(|f| f.takes_callable)
                .flat_map(|f| f.keys.iter().copied())
                .filter(|k| type_impls.contains(k))
                .collect();
            type_impls.retain(|k| plan.defs.contains_key(k) || callable.contains(k));
        }
        // Every definition of a method a vocabulary wait on a receiver of
        // known type may be (`Index::wait_witness`): `T::wait` in any impl.
        let own_waits: HSet<u64> = d
            .own_waits
            .iter()
            .map(|(t, m)| method_key(t.as_bytes(), m.as_bytes()))
            .collect();
        let take_paths: BTreeSet<String> = d.takes.iter().map(|(_, p)| p.clone()).collect();
        let (take_any, take_h) = needles(&take_paths);
        // Only methods of the same type take the same field (`Index::takers`).
        let take_types: HSet<u64> = d
            .takes
            .iter()
            .map(|(t, _)| name_hash(t.as_bytes()))
            .collect();
        // `self.m()` inside `impl T` (or `impl Tr for ..`) is the mention `T::m`.
        let mut callers: HSet<u64> = HSet::default();
        for &(fi, i) in &d.callers {
            if let Some(f) = models.get(fi).copied().flatten().and_then(|m| m.fns.get(i)) {
                for t in f.self_ty.iter().chain(f.trait_name.iter()) {
                    callers.insert(method_key(t.as_bytes(), f.name.as_bytes()));
                }
            }
        }
        // The path components of the parsed files (with and without `.rs`).
        let mut parsed_parts: HSet<u64> = HSet::default();
        if d.path_decls {
            for m in models.iter().flatten() {
                for c in &m.parts {
                    parsed_parts.extend(part_keys(c.as_bytes()));
                }
            }
        }
        for (fi, s) in scans.iter().enumerate() {
            let Some(s) = s else { continue };
            // A file parsed whole answers everything; one parsed with
            // bodies left out, what is outside them.
            let left_out: &[(u32, u32)] = match parsed[fi] {
                Some([]) => continue,
                Some(b) => b,
                None => &[],
            };
            let partial = parsed[fi].is_some();
            let out_of = |at: u32| !partial || inside(left_out, at);
            // Functions the parse lacks (body and all) or lacks the body of.
            let gone = |f: &LexFn| out_of(f.body.0);
            let bodyless = |f: &LexFn| out_of(f.body.0 + 1);
            // What the file must hold: some functions' bodies (`fns`), its
            // items outside bodies (`items`), or all of it (`whole`).
            let mut fns: Vec<usize> = Vec::new();
            let (mut items, mut whole) = (false, false);
            let some_fns = |fns: &mut Vec<usize>, on: &dyn Fn(&LexFn) -> bool| {
                let n = fns.len();
                fns.extend((0..s.fns.len()).filter(|&i| on(&s.fns[i])));
                fns.len() > n
            };
            if !free.is_empty() {
                some_fns(&mut fns, &|f: &LexFn| {
                    f.drop_for.is_none()
                        && bodyless(f)
                        && free
                            .iter()
                            .any(|&(k, module)| f.keys.contains(&k) && in_module.holds(fi, module))
                });
            }
            if !d.locks.is_empty()
                && s.lock_call
                && (lock_any || s.lock_wild || meets(&s.lock_recv, &lock_h))
            {
                // An acquisition outside every body (a static's initializer)
                // is in every parse.
                if partial {
                    some_fns(&mut fns, &|f: &LexFn| {
                        f.region.facts & (1 << F_LOCK) != 0 && bodyless(f)
                    });
                } else {
                    whole = true;
                }
            }
            whole |= !d.takes.is_empty()
                && s.take_call
                && meets(&s.impls, &take_types)
                && (take_any || s.take_wild || meets(&s.take_recv, &take_h));
            if !callers.is_empty() && meets(&s.mentions, &callers) {
                let any = some_fns(&mut fns, &|f: &LexFn| {
                    bodyless(f) && meets(&f.region.mentions, &callers)
                });
                whole |= !any && !partial;
            }
            if !decls.is_empty() && meets(&s.decls, &decls) {
                // A declaration in a body: that function; elsewhere, an item
                // every parse holds.
                for &(h, at) in &s.body_decls {
                    if decls.contains(&h) && out_of(at) {
                        some_fns(&mut fns, &|f: &LexFn| f.body.0 < at && at < f.body.1);
                    }
                }
                items = true;
            }
            // Every definition of a method a call was resolved to as the
            // method of "the only type of that name" (`Index::methods_of_type`):
            // only its existence counts.
            if !type_impls.is_empty() {
                some_fns(&mut fns, &|f: &LexFn| {
                    meets(&f.keys, &type_impls) && gone(f)
                });
            }
            if !own_waits.is_empty() {
                some_fns(&mut fns, &|f: &LexFn| {
                    f.keys.iter().any(|k| own_waits.contains(k)) && bodyless(f)
                });
            }
            // A `#[path]` may place a parsed file elsewhere in the module
            // tree (`Index::module_paths`).
            // It matters only if it can name a parsed file or the directory
            // or module above one: some component of its paths is one of
            // theirs.
            whole |= d.path_decls
                && s.path_attrs
                    .as_ref()
                    .is_some_and(|v| v.iter().any(|h| *h == PATH_ANY || parsed_parts.contains(h)));
            if whole {
                out.push((fi, None));
            } else {
                out.extend(fns.into_iter().map(|i| (fi, Some(i))));
                if items && !partial {
                    out.push((fi, Some(ITEMS)));
                }
            }
        }
        // A file parsed with bodies left out is demanded only for what they
        // hold; per file, the functions needed (`None`: all of it).
        out.retain(|&(g, i)| match parsed[g] {
            None => true,
            Some([]) => false,
            Some(left_out) => i.is_none_or(|i| {
                i != ITEMS && {
                    let a = scans[g].as_ref().map_or(0, |s| s.fns[i].body.0);
                    inside(left_out, a + 1)
                }
            }),
        });
        out.sort_unstable();
        out.dedup();
        let mut need: Vec<(usize, Option<Vec<usize>>)> = Vec::new();
        for (g, i) in out {
            let scanned = scans[g].is_some();
            match need.last_mut() {
                Some((h, v)) if *h == g => match (v, i) {
                    (Some(v), Some(i)) => v.push(i),
                    (v, _) => *v = None,
                },
                _ => need.push((g, i.filter(|_| scanned).map(|i| vec![i]))),
            }
        }
        for (_, v) in &mut need {
            if let Some(v) = v {
                v.retain(|&i| i != ITEMS);
            }
        }
        STATS[STAT_DEMANDED].fetch_add(need.len(), Ordering::Relaxed);
        need
    }
}

/// Is byte `at` inside one of the ranges a parse left out (`FileScan::blank_ranges`)?
fn inside(left_out: &[(u32, u32)], at: u32) -> bool {
    left_out.iter().any(|&(x, y)| x <= at && at < y)
}

/// A file is demanded for its items outside function bodies only.
const ITEMS: usize = usize::MAX;

/// The functions of file `g` where `f` holds (all of it if not scanned).
fn fns_where(
    scans: &[Option<FileScan>],
    g: usize,
    f: impl Fn(&LexFn) -> bool,
) -> Vec<(usize, Option<usize>)> {
    match &scans[g] {
        Some(s) => (0..s.fns.len())
            .filter(|&i| f(&s.fns[i]))
            .map(|i| (g, Some(i)))
            .collect(),
        None => vec![(g, None)],
    }
}

/// The key of a free call as called (`m::f` or `f`): `f`'s, and the hash
/// of the module `m` it names.
fn free_key(n: &str) -> (u64, Option<u64>) {
    match n.split_once("::") {
        Some((m, f)) => (
            name_hash(f.rsplit("::").next().unwrap_or(f).as_bytes()),
            Some(name_hash(m.as_bytes())),
        ),
        None => (name_hash(n.as_bytes()), None),
    }
}

/// May a function of file `g` be in a module `m`? `Index::resolve` keeps,
/// for a call `m::f`, the `f`s whose module path (from the file's path,
/// `#[path]` placements and inline modules) names `m`. Over-approximated per
/// file: it declares a `mod m`, or some component of its path is `m`. A
/// `#[path]` places a file below the module of the file declaring it, under
/// a name that file declares: when some file with a `#[path]` attribute may
/// itself be in `m` (or declares `mod m`), any file may be.
struct InModule<'a> {
    scans: &'a [Option<FileScan>],
    paths: &'a [&'a Path],
    /// Per module asked: does a file with a `#[path]` attribute name it?
    placed: std::cell::RefCell<HMap<u64, bool>>,
}

impl<'a> InModule<'a> {
    fn new(scans: &'a [Option<FileScan>], paths: &'a [&'a Path]) -> Self {
        InModule {
            scans,
            paths,
            placed: Default::default(),
        }
    }

    fn holds(&self, g: usize, module: Option<u64>) -> bool {
        let Some(m) = module else { return true };
        if self.names(g, m) {
            return true;
        }
        *self.placed.borrow_mut().entry(m).or_insert_with(|| {
            self.scans.iter().enumerate().any(|(d, s)| {
                s.as_ref().is_some_and(|s| s.path_attrs.is_some()) && self.names(d, m)
            })
        })
    }

    /// Does file `g` declare a `mod m`, or name `m` in its path?
    fn names(&self, g: usize, m: u64) -> bool {
        self.scans[g].as_ref().is_none_or(|s| s.mods.contains(&m))
            || self.paths.get(g).is_none_or(|p| {
                p.iter()
                    .any(|c| part_keys(c.as_encoded_bytes()).any(|h| h == m))
            })
    }
}

/// The last field of a path (`self.inner.state` -> `state`), as an
/// identifier; empty when there is none (then every file with the call counts).
fn last_segment(path: &str) -> String {
    let last = path.rsplit('.').next().unwrap_or(path);
    let ident: String = last
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if ident.is_empty() || ident.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return String::new();
    }
    ident
}

//! The first round of a package: which files hold a region where every fact
//! of some enabled lint's trigger holds (`trigger.rs`). Facts that go
//! through calls (`Wait`, `WaitGuard`, `LockReach`) are resolved by a
//! name-level fixpoint over the package's functions; the definitions it
//! finds are parsed later, when the rules' questions reach them (`demand.rs`).

use super::facts::{
    F_CLOSE, F_CLOSE_PATH_NAME, F_CONDVAR, F_FLAG_WRITE, F_GUARD, F_LET_UNDERSCORE, F_LOCK,
    F_LOCK2, F_LOCK_COUNTED, F_TAKE_UNWRAP, F_WAIT,
};
use super::scan::{FileScan, LexFn, Region};
use super::trigger::{Fact, Trigger, Within};
use super::{meets, stat, HMap, HSet, Prefilter, STAT_CLOSE_DEFS};
use std::collections::HashSet;

/// The files to parse in a package, and why.
#[derive(Debug, Default)]
pub struct Plan {
    pub parse: Vec<bool>,
    /// Functions that may wait (or lock, when a trigger needs `LockReach`),
    /// by the keys a call reaches them by (a `Drop::drop` under its type).
    pub(super) defs: HMap<u64, Vec<(usize, usize)>>,
    /// Files with an impl of a type whose `Drop` may wait (or lock).
    pub(super) impl_of: HMap<u64, Vec<usize>>,
    /// Files defining a method `T::m` with close vocabulary: a possible
    /// close-state method (`Index::close_method`), by key.
    pub(super) close_defs: HMap<u64, Vec<usize>>,
    /// Files where a trigger that reads the whole package holds
    /// (`Trigger::across_the_package`), parsed on `Demand::lock_graph`.
    pub(super) across: Vec<usize>,
}

type FnAt = (usize, usize);

/// The package's functions, with who mentions which defined name.
struct Package<'a> {
    scans: &'a [Option<FileScan>],
    /// Who mentions each name a function's keys or a `Drop` type define
    /// (most mentions are of std and dependencies' names, never defined here).
    by_mention: HMap<u64, Vec<FnAt>>,
}

impl Package<'_> {
    fn fns(&self) -> impl Iterator<Item = (usize, usize, &LexFn)> {
        self.scans
            .iter()
            .enumerate()
            .filter_map(|(fi, s)| s.as_ref().map(|s| (fi, s)))
            .flat_map(|(fi, s)| s.fns.iter().enumerate().map(move |(i, f)| (fi, i, f)))
    }
    fn at(&self, id: FnAt) -> &LexFn {
        &self.scans[id.0].as_ref().expect("scanned").fns[id.1]
    }

    /// The names (and functions) that may do what `direct` says: a function
    /// where it holds, or one mentioning such a name (a function's key, or a
    /// type whose `Drop` may do it); `defs` gets each name's definitions.
    fn fixpoint(
        &self,
        direct: impl Fn(&LexFn) -> bool,
        defs: &mut HMap<u64, Vec<FnAt>>,
    ) -> (HSet<u64>, HashSet<FnAt>) {
        let mut names: HSet<u64> = HSet::default();
        let mut fns: HashSet<FnAt> = HashSet::new();
        let mut work: Vec<FnAt> = self
            .fns()
            .filter(|(_, _, f)| direct(f))
            .map(|(fi, i, _)| (fi, i))
            .collect();
        while let Some(id) = work.pop() {
            if !fns.insert(id) {
                continue;
            }
            let f = self.at(id);
            // `Drop::drop` is never called by name: its type is what waits.
            let keys = match f.drop_for {
                Some(t) => vec![t],
                None => f.keys.clone(),
            };
            for nm in keys {
                let d = defs.entry(nm).or_default();
                if !d.contains(&id) {
                    d.push(id);
                }
                if names.insert(nm) {
                    if let Some(users) = self.by_mention.get(&nm) {
                        work.extend(users.iter().copied().filter(|u| !fns.contains(u)));
                    }
                }
            }
        }
        (names, fns)
    }
}

/// What the triggers' indirect facts resolve against.
struct Resolved {
    may_wait: HSet<u64>,
    guard_keys: HSet<u64>,
    may_lock: HSet<u64>,
}

impl Resolved {
    /// Do all of `t`'s facts hold in `r` (`closed`: the file calls a
    /// close-state method defined in the package)?
    fn holds(&self, t: &Trigger, r: &Region, closed: bool) -> bool {
        let bits = if t.skips_test_code { r.live } else { r.facts };
        let mentions = match (&r.live_mentions, t.skips_test_code) {
            (Some(m), true) => m,
            _ => &r.mentions,
        };
        let has = |f: usize| bits & (1 << f) != 0;
        t.all.iter().all(|fact| match fact {
            Fact::Wait => has(F_WAIT) || meets(mentions, &self.may_wait),
            Fact::WaitGuard => has(F_GUARD) || meets(mentions, &self.guard_keys),
            Fact::CloseState => has(F_CLOSE) || closed,
            Fact::FlagWrite => has(F_FLAG_WRITE),
            Fact::TakeUnwrap => has(F_TAKE_UNWRAP),
            Fact::ClosePathName => has(F_CLOSE_PATH_NAME),
            Fact::Lock => has(F_LOCK),
            Fact::LockReach => has(F_LOCK) || meets(mentions, &self.may_lock),
            Fact::LockEdge => {
                has(F_LOCK2) || (has(F_LOCK_COUNTED) && meets(mentions, &self.may_lock))
            }
            Fact::LetUnderscore => has(F_LET_UNDERSCORE),
            Fact::CondvarWait => has(F_CONDVAR),
        })
    }
}

impl Resolved {
    /// Does `t` hold somewhere in the file `s`?
    fn holds_in_file(&self, t: &Trigger, s: &FileScan, closed: bool) -> bool {
        match t.within {
            Within::Fn => {
                let own = own_bits(t);
                s.any & own == own && s.fns.iter().any(|f| self.holds(t, &f.region, closed))
            }
            Within::AsyncCode => self.holds(t, &s.async_code, closed),
            Within::EveryFile => true,
        }
    }
}

/// The facts a trigger needs that a function's own range must show (a
/// quick reject on the file's union of them).
fn own_bits(t: &Trigger) -> u16 {
    t.all
        .iter()
        .map(|f| match f {
            Fact::FlagWrite => 1 << F_FLAG_WRITE,
            Fact::TakeUnwrap => 1 << F_TAKE_UNWRAP,
            Fact::ClosePathName => 1 << F_CLOSE_PATH_NAME,
            Fact::Lock | Fact::LockEdge => 1 << F_LOCK,
            Fact::LetUnderscore => 1 << F_LET_UNDERSCORE,
            Fact::CondvarWait => 1 << F_CONDVAR,
            Fact::Wait | Fact::WaitGuard | Fact::CloseState | Fact::LockReach => 0,
        })
        .fold(0, |a, b| a | b)
}

impl Prefilter {
    /// The first round: the candidates (and the close-state methods their
    /// checks may call); what they reach is parsed on demand (`demanded`).
    pub fn plan(
        &self,
        scans: &[Option<FileScan>],
        requested: &[bool],
        test_target: &[bool],
    ) -> Plan {
        let nf = scans.len();
        if self
            .triggers
            .iter()
            .any(|(_, t)| t.within == Within::EveryFile)
        {
            return Plan {
                parse: scans.iter().map(|s| s.is_some()).collect(),
                ..Plan::default()
            };
        }
        let mut pkg = Package {
            scans,
            by_mention: HMap::default(),
        };
        let defined: HSet<u64> = pkg
            .fns()
            .flat_map(|(_, _, f)| f.keys.iter().copied().chain(f.drop_for))
            .collect();
        let mut by_mention: HMap<u64, Vec<FnAt>> = HMap::default();
        for (fi, i, f) in pkg.fns() {
            for m in f.region.mentions.iter().filter(|m| defined.contains(m)) {
                by_mention.entry(*m).or_default().push((fi, i));
            }
        }
        pkg.by_mention = by_mention;
        let needs = |f: Fact| self.triggers.iter().any(|(_, t)| t.needs(f));
        let mut defs: HMap<u64, Vec<FnAt>> = HMap::default();
        // Names that may wait: a fixpoint over functions, by name.
        let (may_wait, fn_waits) = pkg.fixpoint(|f| f.region.facts & (1 << F_WAIT) != 0, &mut defs);
        // Names that may build a wait guard: a Drop type that may wait, or a
        // function that may wait and builds one (scopeguard, such a type, or
        // a call of such a function) - `FnModel::returns_guard` needs that.
        let mut guard_keys: HSet<u64> = HSet::default();
        if needs(Fact::WaitGuard) {
            let mut work: Vec<FnAt> = Vec::new();
            for &id in &fn_waits {
                let f = pkg.at(id);
                if let Some(t) = f.drop_for {
                    if guard_keys.insert(t) {
                        work.extend(pkg.by_mention.get(&t).into_iter().flatten().copied());
                    }
                }
                if f.region.facts & (1 << F_GUARD) != 0 {
                    work.push(id);
                }
            }
            let mut guard_fns: HSet<FnAt> = HSet::default();
            while let Some(id) = work.pop() {
                if !fn_waits.contains(&id) || !guard_fns.insert(id) {
                    continue;
                }
                let f = pkg.at(id);
                if f.drop_for.is_some() {
                    continue;
                }
                for &k in &f.keys {
                    if guard_keys.insert(k) {
                        work.extend(pkg.by_mention.get(&k).into_iter().flatten().copied());
                    }
                }
            }
        }
        // Names that may acquire a lock, for triggers that follow calls to it.
        let may_lock = if needs(Fact::LockReach) || needs(Fact::LockEdge) {
            pkg.fixpoint(|f| f.region.facts & (1 << F_LOCK_COUNTED) != 0, &mut defs)
                .0
        } else {
            HSet::default()
        };
        drop(pkg);
        let resolved = Resolved {
            may_wait,
            guard_keys,
            may_lock,
        };
        // Close-state methods: methods whose body has close vocabulary
        // (parsed with the candidates of a lint reading close state, and on
        // demand when a rule asks `Index::close_method`).
        let mut close_defs: HMap<u64, Vec<usize>> = HMap::default();
        for (fi, s) in scans.iter().enumerate() {
            for f in s.iter().flat_map(|s| &s.fns) {
                // Only methods can be `close_read_only` targets.
                if let (true, Some(k)) = (f.region.facts & (1 << F_CLOSE) != 0, f.close_key) {
                    let v = close_defs.entry(k).or_default();
                    if v.last() != Some(&fi) {
                        v.push(fi);
                    }
                }
            }
        }
        let mut plan = Plan {
            parse: vec![false; nf],
            ..Plan::default()
        };
        for (fi, s) in scans.iter().enumerate() {
            let Some(s) = s else { continue };
            if !requested[fi] {
                continue;
            }
            let closed = s.plain.iter().any(|m| close_defs.contains_key(m));
            let mut close_state = false;
            for (li, t) in &self.triggers {
                // A lint that skips test code never reports in a test target.
                if t.skips_test_code && test_target[fi] {
                    continue;
                }
                let on = resolved.holds_in_file(t, s, closed);
                stat(*li, on);
                if on {
                    plan.parse[fi] = true;
                    close_state |= t.reads_close_state;
                }
            }
            if close_state {
                // Close-state methods the checks may call.
                for m in &s.plain {
                    for &g in close_defs.get(m).into_iter().flatten() {
                        stat(STAT_CLOSE_DEFS, !plan.parse[g]);
                        plan.parse[g] = true;
                    }
                }
            }
        }
        // Triggers whose findings read the whole package (a lock-order
        // cycle): every file where the trigger holds, parsed once a rule
        // asks for the whole graph (`Demand::lock_graph`; the lock-order
        // lint asks only from a function with an edge of its own).
        for (_, t) in self.triggers.iter().filter(|(_, t)| t.across_package) {
            for (fi, s) in scans.iter().enumerate() {
                let Some(s) = s else { continue };
                if t.skips_test_code && test_target[fi] {
                    continue;
                }
                let closed = s.plain.iter().any(|m| close_defs.contains_key(m));
                if resolved.holds_in_file(t, s, closed) && !plan.across.contains(&fi) {
                    plan.across.push(fi);
                }
            }
        }
        // Definitions are parsed on demand (`demanded`): the may-wait (and
        // may-lock) functions by key, and the impls of such types (constructors).
        for (fi, s) in scans.iter().enumerate() {
            for t in s.iter().flat_map(|s| &s.impls) {
                if resolved.may_wait.contains(t) || resolved.may_lock.contains(t) {
                    plan.impl_of.entry(*t).or_default().push(fi);
                }
            }
        }
        plan.defs = defs;
        plan.close_defs = close_defs;
        plan
    }
}

//! The first round of a package: which files hold a region where every fact
//! of some enabled lint's trigger holds (`trigger.rs`). Facts that go
//! through calls (`Wait`, `WaitGuard`, `LockReach`) are resolved by a
//! name-level fixpoint over the package's functions; the definitions it
//! finds are parsed later, when the rules' questions reach them (`demand.rs`).

use super::facts::TAIL_ANY;
use super::facts::{
    F_CLOSE, F_CLOSE_PATH_NAME, F_CONDVAR, F_FLAG_WRITE, F_GUARD, F_LET_UNDERSCORE, F_LOCK,
    F_LOCK2, F_LOCK_COUNTED, F_TAKE_UNWRAP, F_WAIT,
};
use super::scan::{FileScan, LexFn, LockNames, Region};
use super::trigger::{Fact, Trigger, Within};
use super::{meets, stat, HMap, HSet, Prefilter, STAT_CLOSE_DEFS};
use crate::fxhash::HashSet;

/// The files to parse in a package, and why.
#[derive(Debug, Default)]
pub struct Plan {
    pub parse: Vec<bool>,
    /// Per file parsed, the functions whose bodies its parse keeps (where
    /// some trigger holds; `FileScan::blank_ranges` leaves out the others);
    /// `None`: all of it. Later rounds (`demanded`) may need more: the
    /// engine takes it and grows it round by round.
    pub keep: Vec<Option<Vec<bool>>>,
    /// Functions that may wait (or lock, when a trigger needs `LockReach`),
    /// by the keys a call reaches them by (a `Drop::drop` under its type).
    pub(super) defs: HMap<u64, Vec<(usize, usize)>>,
    /// Files with an impl of a type whose `Drop` may wait (or lock).
    pub(super) impl_of: HMap<u64, Vec<usize>>,
    /// Files defining a method `T::m` with close vocabulary: a possible
    /// close-state method (`Index::close_method`), by key.
    pub(super) close_defs: HMap<u64, Vec<usize>>,
    /// Functions where a trigger that reads the whole package holds
    /// (`Trigger::across_the_package`), parsed on `Demand::lock_graph`
    /// (`None`: every function of the file with a counted acquisition).
    pub(super) across: Vec<(usize, Option<usize>)>,
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
        let mut fns: HashSet<FnAt> = HashSet::default();
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
            for nm in call_keys(f) {
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

/// The keys a call reaches `f` by; `Drop::drop` is never called by name:
/// its type is what a mention reaches.
fn call_keys(f: &LexFn) -> Vec<u64> {
    match f.drop_for {
        Some(t) => vec![t],
        None => f.keys.clone(),
    }
}

/// `dst |= src` for two bit sets of one length; did `dst` change?
fn or_into(dst: &mut [u64], src: &[u64]) -> bool {
    let mut changed = false;
    for (a, &b) in dst.iter_mut().zip(src) {
        changed |= *a | b != *a;
        *a |= b;
    }
    changed
}

/// The positions of the set bits of `set`.
fn bits(set: &[u64]) -> impl Iterator<Item = usize> + '_ {
    set.iter().enumerate().flat_map(|(wi, &w)| {
        let mut w = w;
        std::iter::from_fn(move || {
            (w != 0).then(|| {
                let j = wi * 64 + w.trailing_zeros() as usize;
                w &= w - 1;
                j
            })
        })
    })
}

impl Package<'_> {
    /// The lock names each key of the may-lock functions `fns` may take
    /// (its own acquisitions' names and those of the keys it mentions, to
    /// a fixpoint), and the graph of lock names those functions make.
    fn lock_names(&self, fns: &HashSet<FnAt>, graph: bool) -> LockNameSets {
        let mut ids: Vec<FnAt> = fns.iter().copied().collect();
        ids.sort_unstable();
        let mut ns = LockNameSets::default();
        for &id in &ids {
            for l in self.at(id).region.locks.iter() {
                for &t in &l.tails {
                    ns.name_bit(t);
                }
            }
        }
        // Graphs only need the pairs' names too.
        if graph {
            for (_, _, f) in self.fns() {
                for l in f.region.locks.iter() {
                    for &(a, b) in &l.pairs {
                        ns.name_bit(a);
                        ns.name_bit(b);
                    }
                    for &t in &l.tails {
                        ns.name_bit(t);
                    }
                }
            }
        }
        let w = ns.names.len().div_ceil(64).max(1);
        ns.words = w;
        for &id in &ids {
            for k in call_keys(self.at(id)) {
                if let std::collections::hash_map::Entry::Vacant(e) = ns.by_key.entry(k) {
                    e.insert(ns.sets.len() / w);
                    ns.sets.resize(ns.sets.len() + w, 0);
                }
            }
        }
        // Per may-lock function: its keys' sets, the sets of the keys it
        // mentions, and its own names.
        let fns_sets: Vec<(Vec<usize>, Vec<usize>, Vec<u64>)> = ids
            .iter()
            .map(|&id| {
                let f = self.at(id);
                let keys = call_keys(f).iter().map(|k| ns.by_key[k]).collect();
                let calls = f
                    .region
                    .mentions
                    .iter()
                    .filter_map(|m| ns.by_key.get(m).copied())
                    .collect();
                let tails = f.region.locks.iter().flat_map(|l| &l.tails);
                (keys, calls, ns.set_of(tails))
            })
            .collect();
        loop {
            let mut changed = false;
            for (keys, calls, own) in &fns_sets {
                let mut acc = own.clone();
                for &c in calls {
                    or_into(&mut acc, &ns.sets[c * w..(c + 1) * w]);
                }
                for &k in keys {
                    changed |= or_into(&mut ns.sets[k * w..(k + 1) * w], &acc);
                }
            }
            if !changed {
                break;
            }
        }
        if graph {
            ns.out = vec![0u64; ns.names.len() * w];
            for (_, _, f) in self.fns() {
                let Some(l) = f.region.locks.as_deref() else {
                    continue;
                };
                let called = ns.called(&f.region.mentions);
                for t in &l.tails {
                    let i = ns.bit[t];
                    or_into(&mut ns.out[i * w..(i + 1) * w], &called);
                }
                for (a, b) in &l.pairs {
                    let (i, j) = (ns.bit[a], ns.bit[b]);
                    ns.out[i * w + j / 64] |= 1 << (j % 64);
                }
            }
        }
        ns
    }
}

/// Lock names (`facts::lock_tail`) as bits: what each may-lock key may
/// take through calls, and the package's graph of lock names.
#[derive(Default)]
struct LockNameSets {
    /// Name -> bit, and bit -> name.
    bit: HMap<u64, usize>,
    names: Vec<u64>,
    /// Words per set.
    words: usize,
    /// Key -> set index; the sets, `words` words each.
    by_key: HMap<u64, usize>,
    sets: Vec<u64>,
    /// The graph: per name, the set of names that may be taken while it
    /// is held (an edge `a -> b`), `words` words each. The model's graph
    /// maps into it (a lock's identity ends in its name), so a cycle there
    /// is a closed walk here: an edge on no cycle here is on none there.
    out: Vec<u64>,
}

impl LockNameSets {
    fn name_bit(&mut self, t: u64) -> usize {
        let next = self.names.len();
        let i = *self.bit.entry(t).or_insert(next);
        if i == next {
            self.names.push(t);
        }
        i
    }

    /// The set of names a call by `key` may take.
    fn of(&self, key: u64) -> Option<&[u64]> {
        let w = self.words;
        self.by_key
            .get(&key)
            .map(|&c| &self.sets[c * w..(c + 1) * w])
    }

    /// The set of `names` (each has a bit).
    fn set_of<'a>(&self, names: impl IntoIterator<Item = &'a u64>) -> Vec<u64> {
        let mut set = vec![0u64; self.words];
        for t in names {
            let i = self.bit[t];
            set[i / 64] |= 1 << (i % 64);
        }
        set
    }

    /// The names the calls by `mentions` may take.
    fn called(&self, mentions: &[u64]) -> Vec<u64> {
        let mut set = vec![0u64; self.words];
        for s in mentions.iter().filter_map(|&m| self.of(m)) {
            or_into(&mut set, s);
        }
        set
    }

    fn has(set: &[u64], i: usize) -> bool {
        set.get(i / 64).is_some_and(|x| x & (1 << (i % 64)) != 0)
    }

    /// May a lock ending in one of `tails` be taken again through a call by
    /// one of `mentions`? `TAIL_ANY` on either side may be any name.
    fn calls_take(&self, tails: &[u64], mentions: &[u64]) -> bool {
        let any = self.bit.get(&TAIL_ANY).copied();
        mentions.iter().filter_map(|&m| self.of(m)).any(|set| {
            set.iter().any(|&x| x != 0)
                && (tails.contains(&TAIL_ANY)
                    || any.is_some_and(|i| Self::has(set, i))
                    || tails
                        .iter()
                        .any(|t| self.bit.get(t).is_some_and(|&i| Self::has(set, i))))
        })
    }

    /// May the edge `a -> b` lie on a cycle: is `a` reachable from `b`?
    /// From any name, the edges of `TAIL_ANY` may follow (it may be that
    /// name), and an edge to it reaches every name.
    fn on_cycle(&self, a: u64, b: u64) -> bool {
        if a == b || a == TAIL_ANY || b == TAIL_ANY {
            return true;
        }
        let (Some(&ia), Some(&ib)) = (self.bit.get(&a), self.bit.get(&b)) else {
            return true;
        };
        let w = self.words;
        let any = self.bit.get(&TAIL_ANY).copied();
        let row = |i: usize| &self.out[i * w..(i + 1) * w];
        let mut seen = vec![0u64; w];
        let mut work = vec![ib];
        seen[ib / 64] |= 1 << (ib % 64);
        while let Some(x) = work.pop() {
            let rows = std::iter::once(row(x)).chain(any.map(row));
            for r in rows {
                if Self::has(r, ia) || any.is_some_and(|i| Self::has(r, i)) {
                    return true;
                }
                let new: Vec<u64> = r.iter().zip(&seen).map(|(&b, &s)| b & !s).collect();
                or_into(&mut seen, &new);
                work.extend(bits(&new));
            }
        }
        false
    }

    /// Does `l` have an edge that may lie on a cycle: one of its pairs, or
    /// one of its names to a name a call by one of `mentions` may take?
    fn cyclic(&self, l: &LockNames, mentions: &[u64]) -> bool {
        if l.pairs.iter().any(|&(a, b)| self.on_cycle(a, b)) {
            return true;
        }
        let called = self.called(mentions);
        l.tails
            .iter()
            .any(|&a| bits(&called).any(|j| self.on_cycle(a, self.names[j])))
    }
}

/// What the triggers' indirect facts resolve against.
struct Resolved {
    may_wait: HSet<u64>,
    guard_keys: HSet<u64>,
    may_lock: HSet<u64>,
    /// The lock names (`facts::lock_tail`) each may-lock key may take,
    /// through calls; and the package's graph of lock names.
    lock_names: LockNameSets,
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
            Fact::LockSame => r.locks.as_deref().is_some_and(|l| {
                l.pairs
                    .iter()
                    .any(|&(a, b)| a == b || a == TAIL_ANY || b == TAIL_ANY)
                    || self.lock_names.calls_take(&l.tails, mentions)
            }),
            Fact::LockCycle => r
                .locks
                .as_deref()
                .is_some_and(|l| self.lock_names.cyclic(l, mentions)),
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

    /// `holds_in_file` for a trigger within a function, marking in `keep`
    /// every function where it holds.
    fn holds_in_fns(&self, t: &Trigger, s: &FileScan, closed: bool, keep: &mut [bool]) -> bool {
        let own = own_bits(t);
        if s.any & own != own {
            return false;
        }
        let mut on = false;
        for (k, f) in keep.iter_mut().zip(&s.fns) {
            if self.holds(t, &f.region, closed) {
                *k = true;
                on = true;
            }
        }
        on
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
            Fact::Lock | Fact::LockEdge | Fact::LockSame | Fact::LockCycle => 1 << F_LOCK,
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
                keep: vec![None; nf],
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
        let by_name = needs(Fact::LockSame) || needs(Fact::LockCycle);
        let (may_lock, lock_fns) = if by_name || needs(Fact::LockReach) || needs(Fact::LockEdge) {
            pkg.fixpoint(|f| f.region.facts & (1 << F_LOCK_COUNTED) != 0, &mut defs)
        } else {
            Default::default()
        };
        let mut resolved = Resolved {
            may_wait,
            guard_keys,
            may_lock,
            lock_names: LockNameSets::default(),
        };
        if by_name {
            resolved.lock_names = pkg.lock_names(&lock_fns, needs(Fact::LockCycle));
        }
        drop(pkg);
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
            keep: vec![None; nf],
            ..Plan::default()
        };
        // Per file parsed: the functions where some trigger holds, and the
        // close-state methods they may call (`None`: the whole file).
        let mut kept: Vec<Option<Vec<bool>>> = vec![None; nf];
        // (file, key) of the close-state methods the candidates may call.
        let mut close_keep: Vec<(usize, u64)> = Vec::new();
        for (fi, s) in scans.iter().enumerate() {
            let Some(s) = s else { continue };
            if !requested[fi] {
                continue;
            }
            let closed = s.plain.iter().any(|m| close_defs.contains_key(m));
            let mut close_state = false;
            let mut keep = vec![false; s.fns.len()];
            let mut whole = false;
            for (li, t) in &self.triggers {
                // A lint that skips test code never reports in a test target.
                if t.skips_test_code && test_target[fi] {
                    continue;
                }
                let on = match t.within {
                    Within::Fn => resolved.holds_in_fns(t, s, closed, &mut keep),
                    // Async code outside every function is never left out;
                    // inside one, that function's range holds it and its
                    // facts.
                    Within::AsyncCode => {
                        let on = resolved.holds_in_file(t, s, closed);
                        if on {
                            for (k, f) in keep.iter_mut().zip(&s.fns) {
                                *k |= f.has_async && resolved.holds(t, &f.region, closed);
                            }
                        }
                        on
                    }
                    Within::EveryFile => {
                        whole = true;
                        true
                    }
                };
                stat(*li, on);
                if on {
                    plan.parse[fi] = true;
                    close_state |= t.reads_close_state;
                }
            }
            if plan.parse[fi] && !whole {
                kept[fi] = Some(keep);
            }
            if close_state {
                // Close-state methods the checks may call.
                for m in &s.plain {
                    for &g in close_defs.get(m).into_iter().flatten() {
                        close_keep.push((g, *m));
                    }
                }
            }
        }
        // Those methods' bodies (a close-state method is read alone,
        // `Index::close_method`), in files parsed for them or with them.
        for &(g, m) in &close_keep {
            let Some(s) = &scans[g] else { continue };
            stat(STAT_CLOSE_DEFS, !plan.parse[g]);
            if !plan.parse[g] {
                plan.parse[g] = true;
                kept[g] = Some(vec![false; s.fns.len()]);
            }
            if let Some(keep) = &mut kept[g] {
                for (k, f) in keep.iter_mut().zip(&s.fns) {
                    *k |= f.close_key == Some(m);
                }
            }
        }
        // A kept close path's method calls in its own file: the rules count
        // them (`Index::close_calls_in_file`).
        for (fi, keep) in kept.iter_mut().enumerate() {
            let (Some(keep), Some(s)) = (keep, &scans[fi]) else {
                continue;
            };
            let named: Vec<u64> = (0..keep.len())
                .filter(|&i| keep[i] && s.fns[i].is_close_path())
                .map(|i| s.fns[i].name)
                .collect();
            if named.is_empty() {
                continue;
            }
            for (k, f) in keep.iter_mut().zip(&s.fns) {
                *k |= f.dot_calls.iter().any(|h| named.contains(h));
            }
        }
        // A kept function's calls of may-wait (or may-lock) functions, and
        // theirs, in every file this round parses in part: the rules'
        // questions reach them (`Index::reach`), and such a file would be
        // parsed again for their bodies a round later. (Files this round
        // does not parse are left to the demand rounds: parsing them now
        // gained nothing on the library corpus.)
        let mut work: Vec<FnAt> = Vec::new();
        for (fi, keep) in kept.iter().enumerate() {
            if let Some(keep) = keep {
                work.extend((0..keep.len()).filter(|&i| keep[i]).map(|i| (fi, i)));
            }
        }
        while let Some((fi, i)) = work.pop() {
            let Some(s) = &scans[fi] else { continue };
            for m in &s.fns[i].region.mentions {
                for &(g, j) in defs.get(m).into_iter().flatten() {
                    if let Some(keep) = &mut kept[g] {
                        if !keep[j] {
                            keep[j] = true;
                            work.push((g, j));
                        }
                    }
                }
            }
        }
        plan.keep = kept;
        // Triggers whose findings read the whole package (a lock-order
        // cycle): every function where the trigger holds, parsed once a
        // rule asks for the whole graph (`Demand::lock_graph`; the
        // lock-order lint asks only from a function with an edge of its
        // own). A function where it does not hold has no edge on a cycle
        // of the name graph, so none on a cycle of the model's.
        for (_, t) in self.triggers.iter().filter(|(_, t)| t.across_package) {
            for (fi, s) in scans.iter().enumerate() {
                let Some(s) = s else { continue };
                if t.skips_test_code && test_target[fi] {
                    continue;
                }
                let closed = s.plain.iter().any(|m| close_defs.contains_key(m));
                if t.within == Within::Fn {
                    let mut keep = vec![false; s.fns.len()];
                    if resolved.holds_in_fns(t, s, closed, &mut keep) {
                        let held = keep.iter().enumerate().filter(|(_, k)| **k);
                        plan.across.extend(held.map(|(i, _)| (fi, Some(i))));
                    }
                } else if resolved.holds_in_file(t, s, closed) {
                    plan.across.push((fi, None));
                }
            }
        }
        plan.across.sort_unstable();
        plan.across.dedup();
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

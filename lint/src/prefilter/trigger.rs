//! What a lint needs the prefilter to keep, written in the lint's own
//! declaration (`rules::LINTS`): lexical facts that must all hold in one
//! region of a file for the lint to possibly report there. The prefilter
//! plans by iterating the enabled lints' triggers; it knows no lint by name.
//!
//! A trigger is a *necessary* condition: every finding the lint can make
//! must sit in a region where all its facts hold (each fact is a superset
//! of what the model recognises, built from `vocab`). When in doubt, a lint
//! declares `Trigger::EVERY_FILE` (parse everything: always correct, slow).
//! What a finding needs from *other* files is not part of the trigger: the
//! rules ask the index (`Index::ask`), and the prefilter parses what the
//! questions reach (`demand.rs`). `lint/tests/equivalence.rs` checks every
//! lint's trigger alone against parsing everything.
//!
//! Examples: `Trigger::in_fn(&[Fact::Lock, Fact::Wait]).skipping_test_code()`
//! (a wait while a lock is held, never in tests);
//! `Trigger::in_async_code(&[Fact::Wait])`; `Trigger::in_fn(&[Fact::CondvarWait])`.

/// A lexical fact about a region (a function's token range, or the file's
/// async code). Facts with "or through" are resolved per package by a
/// name-level fixpoint, and the definitions they reach are parsed on demand.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fact {
    /// A blocking wait: a call of the wait vocabulary that is not awaited,
    /// or a call of a crate function (or a `Drop` type) that may wait.
    Wait,
    /// A guard that may wait at scope end: a scopeguard constructor or
    /// `defer!`, or a type or function that may build such a guard.
    WaitGuard,
    /// Close-state vocabulary (fields, methods, variants, ensure-open), or a
    /// call of a close-state method defined in another file of the package.
    CloseState,
    /// A write the model could take for a close-flag write (`x.closed = ..`,
    /// `.store(..)` on a close field, a close variant assigned or stored,
    /// a write through a lock on a close field).
    FlagWrite,
    /// `.take().unwrap()` / `.take().expect(..)`.
    TakeUnwrap,
    /// The function is named `drop` or a close path (`Vocab::is_close_path`).
    ClosePathName,
    /// A lock acquisition: `.m()` with `m` in `vocab::LOCK_METHODS`
    /// (`lock`, `read`, `write`, `blocking_*`, ...).
    Lock,
    /// A lock acquisition, or a call of a crate function that may acquire
    /// one (transitively), resolved like `Wait`; the functions that may
    /// acquire one are those with an acquisition the lock-order lints count
    /// (`facts.rs`, `counted_lock`).
    LockReach,
    /// A possible edge of the lock-order graph: two lock acquisitions, or
    /// one and a call of a crate function that may acquire one. The two
    /// acquisitions are ones the lock-order lints count (`facts.rs`,
    /// `counted_lock`: no `try_*`, a receiver that can be a path other than
    /// `self`), the second while the first one's guard may be alive
    /// (`guard_reach`: a temporary to the end of its statement, a `let`
    /// to the end of its block).
    LockEdge,
    /// A possible edge from a lock to itself (a double lock): two counted
    /// acquisitions as for `LockEdge` whose locks may be one (their
    /// receivers' paths may end in the same name: `facts::lock_tail`), or
    /// one and a call of a crate function that may acquire a lock ending in
    /// that name (transitively).
    LockSame,
    /// A possible edge of the lock-order graph (as for `LockEdge`) that may
    /// lie on a cycle of it: in the package's graph of lock names (an edge
    /// `a -> b` for every such pair, direct or through calls), `a` can be
    /// reached from `b`.
    LockCycle,
    /// `let _ =` / `_ =`.
    LetUnderscore,
    /// A `Condvar` wait: `.m(..)` with `m` in `vocab::CONDVAR_WAITS`.
    CondvarWait,
}

/// Where the facts must hold together.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Within {
    /// One function's token range (nested closures and blocks included).
    Fn,
    /// The file's async code (async fn bodies, async blocks and closures).
    AsyncCode,
    /// No trigger: every file is parsed.
    EveryFile,
}

#[derive(Clone, Copy, Debug)]
pub struct Trigger {
    pub within: Within,
    /// All of these hold in one region.
    pub all: &'static [Fact],
    /// The lint never reports in test code (`#[test]`, `#[cfg(test)]`,
    /// integration tests and benches): facts there do not count.
    pub skips_test_code: bool,
    /// The lint's closed checks may call close-state methods (`self.is_closed()`)
    /// defined in another file: those files are parsed with the candidate
    /// (a prefetch: `Index::close_method` also demands them, a round later).
    pub reads_close_state: bool,
    /// A finding in a requested file can depend on regions in every file of
    /// the package (a lock-order cycle's other edges): every file of the
    /// package where the trigger holds is parsed once a rule asks for the
    /// whole lock graph (`Index::ask_lock_graph`).
    pub across_package: bool,
}

impl Trigger {
    /// The safe fallback: parse every file.
    pub const EVERY_FILE: Trigger = Trigger {
        within: Within::EveryFile,
        all: &[],
        skips_test_code: false,
        reads_close_state: false,
        across_package: false,
    };

    /// All `facts` in one function.
    pub const fn in_fn(all: &'static [Fact]) -> Trigger {
        Trigger {
            within: Within::Fn,
            all,
            skips_test_code: false,
            reads_close_state: false,
            across_package: false,
        }
    }

    /// All `facts` in the file's async code.
    pub const fn in_async_code(all: &'static [Fact]) -> Trigger {
        Trigger {
            within: Within::AsyncCode,
            all,
            skips_test_code: false,
            reads_close_state: false,
            across_package: false,
        }
    }

    pub const fn skipping_test_code(mut self) -> Trigger {
        self.skips_test_code = true;
        self
    }

    pub const fn reading_close_state(mut self) -> Trigger {
        self.reads_close_state = true;
        self
    }

    pub const fn across_the_package(mut self) -> Trigger {
        self.across_package = true;
        self
    }

    pub fn needs(&self, f: Fact) -> bool {
        self.all.contains(&f)
    }
}

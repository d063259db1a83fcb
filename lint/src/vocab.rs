//! The shared vocabulary of SPEC §1, in one place: the model (`model::`)
//! and the prefilter (`prefilter::`) both read it, so what the prefilter
//! keeps is always a superset of what the model recognises. `Vocab` holds
//! the lists config extends; the constants are the fixed ones.

use std::collections::HashSet;

/// Methods that acquire a lock guard (called with no arguments).
pub const LOCK_METHODS: &[&str] = &[
    "lock",
    "read",
    "write",
    "try_lock",
    "try_read",
    "try_write",
    "blocking_lock",
    "blocking_read",
    "blocking_write",
    "lock_arc",
    "upgradable_read",
];

/// Atomic read-modify-writes that claim a flag in one step.
pub const CLAIMS: &[&str] = &[
    "swap",
    "compare_exchange",
    "compare_exchange_weak",
    "compare_and_swap",
    "fetch_or",
    "fetch_update",
    "fetch_add",
];

/// scopeguard's constructors (`guard(value, |v| ..)`): a guard whose
/// closure runs at scope end.
pub const SCOPEGUARD_CONSTRUCTORS: &[&str] = &[
    "guard",
    "guard_on_success",
    "guard_on_unwind",
    "with_strategy",
];

/// Macros that defer their body to scope end (`defer! { .. }`).
pub const DEFER_MACROS: &[&str] = &["defer"];

/// `thread::sleep(..)` (or a bare `sleep(..)` imported from `thread`) waits;
/// other `sleep`s (`tokio::time::sleep`, `x.sleep()`) are futures or methods.
pub const SLEEP: &str = "sleep";
pub const SLEEP_MODULE: &str = "thread";

/// Attributes (last path segment) marking a test item; `#[cfg(test)]` too.
pub const TEST_ATTRS: &[&str] = &["test", "bench"];

/// `Condvar` waits (re-test their condition after waking).
pub const CONDVAR_WAITS: &[&str] = &[
    "wait",
    "wait_while",
    "wait_timeout",
    "wait_timeout_while",
    "wait_for",
    "wait_until",
];

pub fn is_lock_method(name: &str) -> bool {
    LOCK_METHODS.contains(&name)
}

#[derive(Clone, Debug)]
pub struct Vocab {
    /// Method names that wait with any arguments (`wait`, `recv_timeout`, ...).
    pub wait_methods: HashSet<String>,
    /// Method names that wait only when called with no arguments (`join`, `recv`).
    pub wait_methods_no_args: HashSet<String>,
    /// Last path segments of functions that wait (`block_on`).
    pub wait_functions: HashSet<String>,
    /// Methods that are always blocking (tokio's `blocking_*`).
    pub blocking_methods: HashSet<String>,
    pub close_state_methods: HashSet<String>,
    pub close_state_fields: HashSet<String>,
    /// Substrings (lowercase) of paths/consts that name a closed state.
    pub close_state_variants: Vec<String>,
    pub ensure_open_methods: HashSet<String>,
    pub close_paths: HashSet<String>,
    /// Last segments of functions whose closure argument runs elsewhere.
    pub offload_functions: HashSet<String>,
}

fn set(items: &[&str]) -> HashSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl Default for Vocab {
    fn default() -> Self {
        Vocab {
            wait_methods: set(&[
                "wait",
                "wait_timeout",
                "wait_while",
                "wait_timeout_while",
                "recv_timeout",
                "block_on",
            ]),
            wait_methods_no_args: set(&["join", "recv"]),
            wait_functions: set(&["block_on"]),
            blocking_methods: set(&[
                "blocking_recv",
                "blocking_send",
                "blocking_lock",
                "blocking_read",
                "blocking_write",
            ]),
            close_state_methods: set(&[
                "is_closed",
                "is_closing",
                "is_shutdown",
                "is_shut_down",
                "is_terminated",
                "is_cancelled",
                "is_canceled",
                "is_stopped",
                "is_stopping",
                "is_done",
                "closed",
                "stopped",
            ]),
            close_state_fields: set(&[
                "closed",
                "closing",
                "is_closed",
                "shutdown",
                "is_shutdown",
                "shut_down",
                "stopped",
                "stopping",
                "terminated",
                "cancelled",
            ]),
            close_state_variants: ["closed", "closing", "shutdown", "stopped", "terminated"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ensure_open_methods: set(&[
                "ensure_open",
                "check_open",
                "ensure_not_closed",
                "check_closed",
            ]),
            close_paths: set(&[
                "close",
                "close_now",
                "shutdown",
                "stop",
                "terminate",
                "abort",
                "cancel",
                "disconnect",
                "finish",
                "kill",
            ]),
            offload_functions: set(&[
                "spawn_blocking",
                "block_in_place",
                "spawn",
                "spawn_scoped",
                "spawn_fifo",
                "spawn_unchecked",
            ]),
        }
    }
}

impl Vocab {
    pub fn is_wait_method(&self, name: &str, nargs: usize) -> bool {
        self.wait_methods.contains(name)
            || self.blocking_methods.contains(name)
            || (nargs == 0 && self.wait_methods_no_args.contains(name))
    }

    /// Always blocking, awaited or not (tokio's `blocking_*`, `block_on`).
    pub fn is_always_blocking(&self, name: &str) -> bool {
        self.blocking_methods.contains(name) || self.wait_functions.contains(name)
    }

    pub fn is_close_variant(&self, segment: &str) -> bool {
        let lower = segment.to_ascii_lowercase();
        self.close_state_variants
            .iter()
            .any(|v| lower.contains(v.as_str()))
    }

    /// A close path: the name itself, or one of its `_`-separated parts.
    pub fn is_close_path(&self, fn_name: &str) -> bool {
        self.close_paths.contains(fn_name)
            || fn_name.split('_').any(|p| self.close_paths.contains(p))
            || self
                .close_paths
                .iter()
                .any(|c| c.contains('_') && fn_name.contains(c.as_str()))
    }
}

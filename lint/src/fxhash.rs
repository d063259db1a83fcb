//! A fast, non-cryptographic hasher for the analyzer's own tables (the
//! index's maps by function id, name and path; the plan's function sets).
//! std's default SipHash guards against collision attacks on keys an
//! adversary picks; here the keys come from the source being linted and a
//! pathological file costs time, not safety. The mixing step is rustc's
//! `FxHasher` (also used by rustc and ruff).

use std::hash::{BuildHasherDefault, Hasher};

#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            // The length too: `"a"` and `"a\0"` pad to one word.
            self.add(u64::from_le_bytes(b) ^ (rest.len() as u64) << 59);
        }
    }
    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(n as u64);
    }
    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(n as u64);
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

pub type FxBuild = BuildHasherDefault<FxHasher>;
pub type HashMap<K, V> = std::collections::HashMap<K, V, FxBuild>;
pub type HashSet<K> = std::collections::HashSet<K, FxBuild>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys that differ only in length or in one byte hash apart, and a
    /// map keyed by them works as a map.
    #[test]
    fn distinct_keys_stay_distinct() {
        let keys = ["", "a", "a\0", "ab", "abcdefgh", "abcdefghi", "abcdefgi"];
        let mut m: HashMap<&str, usize> = HashMap::default();
        for (i, k) in keys.iter().enumerate() {
            m.insert(k, i);
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(m[k], i);
        }
        let h = |k: &str| {
            let mut x = FxHasher::default();
            std::hash::Hash::hash(k, &mut x);
            x.finish()
        };
        let mut hs: Vec<u64> = keys.iter().map(|k| h(k)).collect();
        hs.sort_unstable();
        hs.dedup();
        assert_eq!(hs.len(), keys.len());
    }
}

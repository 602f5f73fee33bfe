//! Banded near-duplicate lookup for SimHash fingerprints.
//!
//! A fingerprint is cut into [`BANDS`] bands of 16 bits. Two fingerprints at
//! most [`MAX_NEAR_DISTANCE`](super::MAX_NEAR_DISTANCE) (= BANDS − 1) bits
//! apart agree exactly on at least one band (pigeonhole), so a query looks
//! up only the buckets of its own four bands and checks the few candidates
//! there, instead of scanning every certificate. The store keeps the same
//! four band values in indexed columns ([`bands`]) for the database-side
//! lookup; this in-memory index serves batch work and the benchmark.

use std::collections::HashMap;

use super::simhash::hamming_distance;

/// Number of 16-bit bands a fingerprint is cut into.
pub const BANDS: usize = 4;

/// The four 16-bit bands of a fingerprint, widened to `i32` so they fit a
/// plain integer column on every backend.
pub fn bands(fingerprint: u64) -> [i32; BANDS] {
    let mut out = [0i32; BANDS];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = i32::from((fingerprint >> (16 * i)) as u16);
    }
    out
}

/// An in-memory banded index from fingerprints to ids.
#[derive(Debug, Clone)]
pub struct SimHashIndex<T> {
    buckets: [HashMap<u16, Vec<usize>>; BANDS],
    entries: Vec<(u64, T)>,
}

impl<T> Default for SimHashIndex<T> {
    fn default() -> Self {
        Self { buckets: Default::default(), entries: Vec::new() }
    }
}

impl<T> SimHashIndex<T> {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of fingerprints held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a fingerprint with its id.
    pub fn insert(&mut self, fingerprint: u64, id: T) {
        let slot = self.entries.len();
        self.entries.push((fingerprint, id));
        for (band, bucket) in self.buckets.iter_mut().enumerate() {
            bucket.entry((fingerprint >> (16 * band)) as u16).or_default().push(slot);
        }
    }

    /// Every id whose fingerprint is at most `max_distance` bits from
    /// `fingerprint` (`max_distance` above `BANDS - 1` may miss matches),
    /// nearest first, each once.
    pub fn query(&self, fingerprint: u64, max_distance: u32) -> Vec<(&T, u32)> {
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for (band, bucket) in self.buckets.iter().enumerate() {
            let Some(slots) = bucket.get(&((fingerprint >> (16 * band)) as u16)) else { continue };
            for &slot in slots {
                if seen.contains(&slot) {
                    continue;
                }
                seen.push(slot);
                let (fp, id) = &self.entries[slot];
                let d = hamming_distance(*fp, fingerprint);
                if d <= max_distance {
                    out.push((id, d));
                }
            }
        }
        out.sort_by_key(|(_, d)| *d);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedupe::MAX_NEAR_DISTANCE;
    use proptest::prelude::*;

    #[test]
    fn bands_cover_the_fingerprint() {
        assert_eq!(bands(0x0001_0002_0003_FFFF), [0xFFFF, 3, 2, 1]);
    }

    proptest! {
        #[test]
        fn finds_everything_within_the_distance(
            stored in proptest::collection::vec(any::<u64>(), 1..200),
            flips in proptest::collection::vec(0u32..64, 0..=3),
            pick in any::<prop::sample::Index>(),
        ) {
            let mut index = SimHashIndex::new();
            for (i, fp) in stored.iter().enumerate() {
                index.insert(*fp, i);
            }
            let target = pick.index(stored.len());
            let query = flips.iter().fold(stored[target], |fp, bit| fp ^ (1 << bit));
            let found: Vec<usize> = index.query(query, MAX_NEAR_DISTANCE).into_iter().map(|(i, _)| *i).collect();
            prop_assert!(found.contains(&target));
            // ...and nothing beyond it (the brute-force answer, exactly).
            let mut expected: Vec<usize> = stored.iter().enumerate()
                .filter(|(_, fp)| hamming_distance(**fp, query) <= MAX_NEAR_DISTANCE)
                .map(|(i, _)| i).collect();
            let mut got = found.clone();
            expected.sort_unstable();
            got.sort_unstable();
            prop_assert_eq!(got, expected);
        }
    }
}

//! 64-bit SimHash over word and word-pair features.
//!
//! The feature hash is a hand-written FNV-1a followed by a 64-bit finaliser
//! (from SplitMix64), not `std`'s `DefaultHasher`: fingerprints are stored,
//! so they must never change with a Rust release. A test pins known values.

/// Fingerprints at most this many bits apart are near-duplicates.
pub const MAX_NEAR_DISTANCE: u32 = 3;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// SplitMix64's finaliser: FNV's low bits mix poorly for short inputs, so
/// every feature hash goes through this to make each output bit depend on
/// every input bit.
fn finalise(mut h: u64) -> u64 {
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Running sums of one vote per bit of every feature hash.
struct Votes {
    weights: [i32; 64],
    previous: Option<u64>,
}

impl Votes {
    fn add(&mut self, h: u64) {
        for (bit, w) in self.weights.iter_mut().enumerate() {
            *w += ((h >> bit) & 1) as i32 * 2 - 1;
        }
    }

    /// One word: the word itself and, with its predecessor, the word pair
    /// (pairs keep some order: "valid until 2027" differs from "2027 until
    /// valid").
    fn word(&mut self, h: u64) {
        self.add(h);
        if let Some(p) = self.previous {
            self.add(finalise(p.rotate_left(17) ^ h));
        }
        self.previous = Some(h);
    }
}

/// The SimHash of `text`: lower-cased alphanumeric words (Unicode-aware, so
/// German umlauts count as letters) and each pair of neighbouring words are
/// the features, each weighted by how often it occurs. Text without a word
/// has fingerprint 0. Words are hashed as they are read, with no allocation.
pub fn simhash(text: &str) -> u64 {
    let mut votes = Votes { weights: [0; 64], previous: None };
    let mut h = FNV_OFFSET;
    let mut in_word = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            in_word = true;
            for lower in c.to_lowercase() {
                let mut buf = [0u8; 4];
                for &b in lower.encode_utf8(&mut buf).as_bytes() {
                    h ^= u64::from(b);
                    h = h.wrapping_mul(FNV_PRIME);
                }
            }
        } else if in_word {
            votes.word(finalise(h));
            h = FNV_OFFSET;
            in_word = false;
        }
    }
    if in_word {
        votes.word(finalise(h));
    }
    if votes.previous.is_none() {
        return 0;
    }
    votes.weights.iter().enumerate().fold(0u64, |acc, (bit, &w)| if w > 0 { acc | 1 << bit } else { acc })
}

/// Number of differing bits.
pub fn hamming_distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// 1.0 for identical fingerprints, 0.0 for complementary ones.
pub fn similarity(a: u64, b: u64) -> f64 {
    1.0 - f64::from(hamming_distance(a, b)) / 64.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CERT: &str = "CERTIFICATE ISO 9001:2015 Certificate No. 12 100 4711 TMS \
        This is to certify that Muster GmbH, Hauptstrasse 1, 70173 Stuttgart has \
        established and applies a quality management system for the design and \
        manufacture of precision metal parts. Valid until 2027-03-31. TÜV SÜD";

    #[test]
    fn fingerprints_are_pinned() {
        // Stored fingerprints must survive releases: these values may only
        // change together with a migration that recomputes them.
        assert_eq!(simhash(""), 0);
        assert_eq!(simhash("  ,; "), 0);
        assert_eq!(simhash("iso 9001"), simhash("ISO-9001"));
        let pinned = simhash(CERT);
        assert_eq!(pinned, simhash(&CERT.to_uppercase().to_lowercase()));
        assert_eq!(format!("{pinned:016x}"), PINNED_CERT);
    }

    const PINNED_CERT: &str = "8d88da7d195e2144";

    #[test]
    fn small_edits_stay_near_and_different_texts_are_far() {
        // A one-word edit in a short certificate text moves few bits; an
        // unrelated text lands about half the bits away.
        let edited = CERT.replace("precision", "precise");
        let d = hamming_distance(simhash(CERT), simhash(&edited));
        assert!(d <= 8, "{d}");
        let other = "Invoice 2024-0042. Payment due within 30 days. Bank transfer to \
            account 1234. Thank you for your order of 200 steel brackets.";
        let far = hamming_distance(simhash(CERT), simhash(other));
        assert!(far > 16, "{far}");
    }

    proptest! {
        #[test]
        fn distance_is_a_metric(a in any::<u64>(), b in any::<u64>(), c in any::<u64>()) {
            prop_assert_eq!(hamming_distance(a, a), 0);
            prop_assert_eq!(hamming_distance(a, b), hamming_distance(b, a));
            prop_assert!(hamming_distance(a, c) <= hamming_distance(a, b) + hamming_distance(b, c));
            let s = similarity(a, b);
            prop_assert!((0.0..=1.0).contains(&s));
        }

        #[test]
        fn simhash_ignores_case_and_punctuation(words in proptest::collection::vec("[a-zA-Z0-9]{1,8}", 0..40)) {
            let spaced = words.join(" ");
            let punctuated = words.join(", ").to_uppercase();
            prop_assert_eq!(simhash(&spaced), simhash(&punctuated));
        }
    }
}

//! Duplicate detection: pure functions shared by scraping, bulk upload and
//! the bindings.
//!
//! Three tools, each a pure function of its input:
//!
//! * [`simhash`] — a 64-bit SimHash fingerprint of a document's text, so two
//!   renderings of the same certificate (a re-scan, a re-export, a page that
//!   changed its footer) land a few bits apart; [`hamming_distance`] and
//!   [`similarity`] compare two fingerprints.
//! * [`score`] — how likely two certificates are the same one, from their
//!   fields, in the order the duplicate rules are applied (document hash,
//!   certificate number, semantic match, text similarity).
//! * [`SimHashIndex`] — banded lookup of near-duplicate fingerprints, so a
//!   query never scans every certificate (pigeonhole: fingerprints within
//!   [`MAX_NEAR_DISTANCE`] bits share at least one exact 16-bit band).

mod index;
mod score;
mod simhash;

pub use index::{bands, SimHashIndex, BANDS};
pub use score::{
    normalize_number, score, DuplicateScore, DuplicateSubject, Verdict, DUPLICATE_THRESHOLD, POSSIBLE_THRESHOLD,
};
pub use simhash::{hamming_distance, simhash, similarity, MAX_NEAR_DISTANCE};

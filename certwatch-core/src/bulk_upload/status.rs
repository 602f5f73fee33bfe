//! The status flows of upload items and batches, exactly as the
//! `bulk_upload` spec draws them:
//!
//! ```text
//! pending → processing → matched            (auto-matched, certificate created)
//!                      → needs_review       (low confidence or missing fields)
//!                      → extraction_failed  (text or OCR error)
//! needs_review → matched                    (a user confirms)
//!              → skipped                    (a user skips)
//! ```
//!
//! `matched`, `extraction_failed` and `skipped` are final. An item is
//! *settled* once automatic processing is done with it (every state but
//! `pending` and `processing`); a batch is `completed` when all its items
//! are settled (the review queue is worked on separately).

use serde::{Deserialize, Serialize};

/// Where an upload item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Stored, waiting for its processing job.
    Pending,
    /// Its job is reading it.
    Processing,
    /// A certificate was created or updated from it (automatically or by a
    /// user's confirmation).
    Matched,
    /// Not sure enough: waits for a user.
    NeedsReview,
    /// No text could be read from it.
    ExtractionFailed,
    /// A user decided not to use it.
    Skipped,
}

/// Every item status, for tables and tests.
pub const ITEM_STATUSES: [ItemStatus; 6] = [
    ItemStatus::Pending,
    ItemStatus::Processing,
    ItemStatus::Matched,
    ItemStatus::NeedsReview,
    ItemStatus::ExtractionFailed,
    ItemStatus::Skipped,
];

impl ItemStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Matched => "matched",
            Self::NeedsReview => "needs_review",
            Self::ExtractionFailed => "extraction_failed",
            Self::Skipped => "skipped",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        ITEM_STATUSES.into_iter().find(|st| st.as_str() == s)
    }

    /// The statuses the flow allows next.
    pub fn allowed_next(self) -> &'static [ItemStatus] {
        use ItemStatus::*;
        match self {
            Pending => &[Processing],
            Processing => &[Matched, NeedsReview, ExtractionFailed],
            NeedsReview => &[Matched, Skipped],
            Matched | ExtractionFailed | Skipped => &[],
        }
    }

    /// Whether `self → to` is in the flow.
    pub fn can_become(self, to: ItemStatus) -> bool {
        self.allowed_next().contains(&to)
    }

    /// Whether automatic processing is done with the item.
    pub fn is_settled(self) -> bool {
        !matches!(self, Self::Pending | Self::Processing)
    }

    /// Whether nothing can change the item any more.
    pub fn is_final(self) -> bool {
        self.allowed_next().is_empty()
    }
}

/// Where a batch is: derived from its items' statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    /// No item has started processing.
    Pending,
    /// Some items are processed, some not yet.
    Processing,
    /// Every item is settled.
    Completed,
}

impl BatchStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Completed => "completed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Processing, Self::Completed].into_iter().find(|st| st.as_str() == s)
    }

    /// The status of a batch whose items are in `items`: completed when all
    /// are settled, pending when all are pending, else processing. An empty
    /// batch (never created by the service) counts as completed.
    pub fn of(items: impl IntoIterator<Item = ItemStatus>) -> Self {
        let (mut all_settled, mut all_pending) = (true, true);
        for s in items {
            all_settled &= s.is_settled();
            all_pending &= s == ItemStatus::Pending;
        }
        if all_settled {
            Self::Completed
        } else if all_pending {
            Self::Pending
        } else {
            Self::Processing
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_flow_as_drawn() {
        use ItemStatus::*;
        let mut edges = Vec::new();
        for a in ITEM_STATUSES {
            for b in ITEM_STATUSES {
                if a.can_become(b) {
                    edges.push((a, b));
                }
            }
        }
        assert_eq!(
            edges,
            vec![
                (Pending, Processing),
                (Processing, Matched),
                (Processing, NeedsReview),
                (Processing, ExtractionFailed),
                (NeedsReview, Matched),
                (NeedsReview, Skipped),
            ]
        );
        for s in ITEM_STATUSES {
            assert_eq!(ItemStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ItemStatus::parse("confirmed"), None);
    }

    fn status() -> impl Strategy<Value = ItemStatus> {
        proptest::sample::select(ITEM_STATUSES.to_vec())
    }

    proptest! {
        /// Any walk that only takes allowed steps starts at pending, passes
        /// through processing before any settled state, and once final
        /// never moves; refused steps leave the state unchanged.
        #[test]
        fn walks_respect_the_flow(steps in proptest::collection::vec(status(), 0..30)) {
            let mut s = ItemStatus::Pending;
            let mut seen_processing = false;
            for to in steps {
                let before = s;
                if s.can_become(to) {
                    s = to;
                }
                prop_assert!(before.can_become(s) || before == s);
                if before.is_final() {
                    prop_assert_eq!(s, before);
                }
                seen_processing |= s == ItemStatus::Processing;
                if s.is_settled() {
                    prop_assert!(seen_processing, "settled without processing");
                }
                if s == ItemStatus::Skipped {
                    prop_assert!(before == ItemStatus::Skipped || before == ItemStatus::NeedsReview);
                }
            }
        }

        /// A batch is completed exactly when every item is settled.
        #[test]
        fn batch_completes_when_every_item_is_settled(items in proptest::collection::vec(status(), 1..20)) {
            let b = BatchStatus::of(items.iter().copied());
            prop_assert_eq!(b == BatchStatus::Completed, items.iter().all(|s| s.is_settled()));
            prop_assert_eq!(b == BatchStatus::Pending, items.iter().all(|s| *s == ItemStatus::Pending));
        }
    }
}

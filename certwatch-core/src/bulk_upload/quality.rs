//! Quality metrics of bulk upload: how much went through without a human,
//! how much could not be read, and which fields reviewers had to correct.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::QualityRow;
use super::status::ItemStatus;

/// The fields whose correction rate is reported.
pub const CORRECTABLE_FIELDS: [&str; 7] =
    ["organization", "certificate_type", "certificate_number", "issuing_body", "issue_date", "expiry_date", "scope"];

/// Counts and rates over a set of items.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Quality {
    /// Items.
    pub items: u64,
    /// Items automatic processing is done with.
    pub processed: u64,
    /// Matched without a human.
    pub auto_matched: u64,
    /// Matched after a reviewer confirmed.
    pub confirmed: u64,
    /// Waiting for review.
    pub needs_review: u64,
    /// Skipped by a reviewer.
    pub skipped: u64,
    /// No text could be read.
    pub extraction_failed: u64,
    /// auto_matched / processed (0 when nothing is processed).
    pub auto_match_rate: f64,
    /// extraction_failed / processed.
    pub extraction_failure_rate: f64,
    /// Per field: confirmed items where the reviewer corrected it /
    /// confirmed items.
    pub correction_rate: BTreeMap<String, f64>,
}

fn rate(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

impl Quality {
    /// The metrics of `rows`.
    pub fn of(rows: &[QualityRow]) -> Self {
        let mut q = Quality { items: rows.len() as u64, ..Default::default() };
        let mut corrections: BTreeMap<String, u64> = BTreeMap::new();
        for r in rows {
            if r.status.is_settled() {
                q.processed += 1;
            }
            match r.status {
                ItemStatus::Matched if r.reviewed => {
                    q.confirmed += 1;
                    for f in &r.corrected_fields {
                        *corrections.entry(f.clone()).or_default() += 1;
                    }
                }
                ItemStatus::Matched => q.auto_matched += 1,
                ItemStatus::NeedsReview => q.needs_review += 1,
                ItemStatus::Skipped => q.skipped += 1,
                ItemStatus::ExtractionFailed => q.extraction_failed += 1,
                ItemStatus::Pending | ItemStatus::Processing => {}
            }
        }
        q.auto_match_rate = rate(q.auto_matched, q.processed);
        q.extraction_failure_rate = rate(q.extraction_failed, q.processed);
        q.correction_rate = CORRECTABLE_FIELDS
            .iter()
            .map(|f| ((*f).to_owned(), rate(corrections.get(*f).copied().unwrap_or(0), q.confirmed)))
            .collect();
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk_upload::BatchId;
    use crate::ids::TenantId;

    fn row(status: ItemStatus, reviewed: bool, fields: &[&str]) -> QualityRow {
        QualityRow {
            tenant_id: TenantId::default(),
            batch_id: BatchId::default(),
            status,
            reviewed,
            corrected_fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    #[test]
    fn rates() {
        let q = Quality::of(&[
            row(ItemStatus::Matched, false, &[]),
            row(ItemStatus::Matched, true, &["expiry_date"]),
            row(ItemStatus::Matched, true, &[]),
            row(ItemStatus::ExtractionFailed, false, &[]),
            row(ItemStatus::Pending, false, &[]),
        ]);
        assert_eq!((q.items, q.processed, q.auto_matched, q.confirmed), (5, 4, 1, 2));
        assert!((q.auto_match_rate - 0.25).abs() < 1e-9);
        assert!((q.extraction_failure_rate - 0.25).abs() < 1e-9);
        assert!((q.correction_rate["expiry_date"] - 0.5).abs() < 1e-9);
        assert_eq!(q.correction_rate["scope"], 0.0);
        assert_eq!(Quality::of(&[]).auto_match_rate, 0.0);
    }
}

//! Bulk-upload quality as Prometheus gauges on `/metrics`, per tenant:
//! item counts by status, auto-match rate, extraction failure rate and
//! correction rate per field. Refreshed from the store on every scrape
//! (one aggregate query in system scope), so they are exact, survive
//! restarts and agree with `GET /api/bulk-upload/quality`.

use certwatch_core::bulk_upload::ItemStatus;
use certwatch_core::CertWatch;
use prometheus::{GaugeVec, Opts, Registry};

/// The gauge families.
pub struct BulkUploadMetrics {
    items: GaugeVec,
    auto_match_rate: GaugeVec,
    extraction_failure_rate: GaugeVec,
    correction_rate: GaugeVec,
}

impl BulkUploadMetrics {
    /// Registers the families on `registry`.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let items = GaugeVec::new(
            Opts::new("bulk_upload_items", "Bulk-upload items by tenant and outcome"),
            &["tenant", "status"],
        )?;
        let auto_match_rate = GaugeVec::new(
            Opts::new("bulk_upload_auto_match_rate", "Share of processed bulk-upload items matched without review"),
            &["tenant"],
        )?;
        let extraction_failure_rate = GaugeVec::new(
            Opts::new(
                "bulk_upload_extraction_failure_rate",
                "Share of processed bulk-upload items with no readable text",
            ),
            &["tenant"],
        )?;
        let correction_rate = GaugeVec::new(
            Opts::new(
                "bulk_upload_correction_rate",
                "Share of confirmed bulk-upload items whose field a reviewer corrected",
            ),
            &["tenant", "field"],
        )?;
        for g in [&items, &auto_match_rate, &extraction_failure_rate, &correction_rate] {
            registry.register(Box::new(g.clone()))?;
        }
        Ok(Self { items, auto_match_rate, extraction_failure_rate, correction_rate })
    }

    /// Reads the current quality of every tenant into the gauges. A store
    /// failure leaves the last values (and is logged).
    pub async fn refresh(&self, core: &CertWatch) {
        let by_tenant = match core.bulk_upload().quality_by_tenant().await {
            Ok(q) => q,
            Err(e) => {
                tracing::warn!(error = %e, "bulk-upload metrics not refreshed");
                return;
            }
        };
        for (tenant, q) in by_tenant {
            let t = tenant.to_string();
            for (status, n) in [
                (ItemStatus::Matched, q.auto_matched + q.confirmed),
                (ItemStatus::NeedsReview, q.needs_review),
                (ItemStatus::ExtractionFailed, q.extraction_failed),
                (ItemStatus::Skipped, q.skipped),
            ] {
                self.items.with_label_values(&[t.as_str(), status.as_str()]).set(n as f64);
            }
            self.items.with_label_values(&[t.as_str(), "auto_matched"]).set(q.auto_matched as f64);
            self.items.with_label_values(&[t.as_str(), "unsettled"]).set((q.items - q.processed) as f64);
            self.auto_match_rate.with_label_values(&[t.as_str()]).set(q.auto_match_rate);
            self.extraction_failure_rate.with_label_values(&[t.as_str()]).set(q.extraction_failure_rate);
            for (field, r) in &q.correction_rate {
                self.correction_rate.with_label_values(&[t.as_str(), field.as_str()]).set(*r);
            }
        }
    }
}

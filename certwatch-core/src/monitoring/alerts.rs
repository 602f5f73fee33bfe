//! The failure-rate alert counter. Core has no metrics registry; hosts
//! export this counter (`certwatch_scrape_failure_rate_alerts_total`).

use std::sync::atomic::{AtomicU64, Ordering};

static FAILURE_RATE_ALERTS: AtomicU64 = AtomicU64::new(0);

/// Counts one alert.
pub(crate) fn record_failure_rate_alert() {
    FAILURE_RATE_ALERTS.fetch_add(1, Ordering::Relaxed);
}

/// Alerts raised since the process started.
pub fn failure_rate_alerts() -> u64 {
    FAILURE_RATE_ALERTS.load(Ordering::Relaxed)
}

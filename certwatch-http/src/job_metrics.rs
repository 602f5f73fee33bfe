//! Prometheus metrics of the job queue and webhook deliveries. Outcomes
//! and durations are counted by the worker of this process (it is the
//! [`JobObserver`]); queue depth, due jobs, the oldest due job's age and
//! deliveries per status are read from the database at scrape time, so
//! every process reports the same shared queue.

use certwatch_core::jobs::{JobObserver, Outcome};
use certwatch_core::CertWatch;
use prometheus::{
    Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

/// The job and webhook metric families.
pub struct JobMetrics {
    outcomes: IntCounterVec,
    duration: HistogramVec,
    queue: IntGaugeVec,
    due: IntGauge,
    oldest_due_age: Gauge,
    deliveries: IntGaugeVec,
    scrape_alerts: IntCounter,
}

/// The statuses always reported (0 when absent), so dashboards see series.
const JOB_STATUSES: [&str; 4] = ["queued", "running", "succeeded", "dead"];
const DELIVERY_STATUSES: [&str; 3] = ["PENDING", "SUCCESS", "FAILED"];

impl JobMetrics {
    /// Registers the families in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let outcomes = IntCounterVec::new(
            Opts::new("jobs_finished_total", "Job runs of this process by kind and outcome"),
            &["kind", "outcome"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new("job_duration_seconds", "Job run duration by kind")
                .buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]),
            &["kind"],
        )?;
        let queue = IntGaugeVec::new(Opts::new("job_queue_jobs", "Jobs in the shared queue by status"), &["status"])?;
        let due = IntGauge::new("job_queue_due", "Queued jobs whose time has come")?;
        let oldest_due_age =
            Gauge::new("job_queue_oldest_due_age_seconds", "How long the oldest due job has waited (0: none)")?;
        let deliveries =
            IntGaugeVec::new(Opts::new("webhook_deliveries", "Webhook deliveries by status"), &["status"])?;
        registry.register(Box::new(outcomes.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(queue.clone()))?;
        registry.register(Box::new(due.clone()))?;
        registry.register(Box::new(oldest_due_age.clone()))?;
        let scrape_alerts = IntCounter::new(
            "scrape_failure_rate_alerts_total",
            "Periodic monitoring runs of this process whose 24-hour scrape failure rate was above the threshold",
        )?;
        registry.register(Box::new(deliveries.clone()))?;
        registry.register(Box::new(scrape_alerts.clone()))?;
        Ok(Self { outcomes, duration, queue, due, oldest_due_age, deliveries, scrape_alerts })
    }

    /// Reads the shared queue and the delivery log into the gauges. A
    /// database error leaves the previous values (and is logged): a scrape
    /// must not fail because the queue could not be read.
    pub async fn refresh(&self, core: &CertWatch) {
        match core.jobs().queue_stats().await {
            Ok(q) => {
                for s in JOB_STATUSES {
                    self.queue.with_label_values(&[s]).set(gauge(q.by_status.get(s).copied().unwrap_or(0)));
                }
                self.due.set(gauge(q.due));
                let age = q.oldest_due_at.map_or(0.0, |t| (core.clock().now() - t).num_milliseconds().max(0) as f64);
                self.oldest_due_age.set(age / 1000.0);
            }
            Err(e) => tracing::warn!(error = %e, "reading the job queue for metrics failed"),
        }
        match core.webhooks().delivery_status_counts().await {
            Ok(counts) => {
                for s in DELIVERY_STATUSES {
                    self.deliveries.with_label_values(&[s]).set(gauge(counts.get(s).copied().unwrap_or(0)));
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading webhook deliveries for metrics failed"),
        }
        // Core counts alerts in a process-wide atomic (it has no registry);
        // catch the counter up to it.
        let raised = certwatch_core::monitoring::failure_rate_alerts();
        self.scrape_alerts.inc_by(raised.saturating_sub(self.scrape_alerts.get()));
    }
}

fn gauge(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl JobObserver for JobMetrics {
    fn job_finished(&self, kind: &str, outcome: &Outcome, elapsed: std::time::Duration) {
        self.outcomes.with_label_values(&[kind, outcome.as_str()]).inc();
        self.duration.with_label_values(&[kind]).observe(elapsed.as_secs_f64());
    }
}

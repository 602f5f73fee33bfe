//! Background work of the host: the job worker and the scheduler
//! (in-process under `certwatch serve`, alone under `certwatch worker`),
//! cross-process wake-ups on Postgres, and graceful shutdown — stop
//! claiming, let running jobs finish within the grace period, release the
//! rest so another worker takes them at once.

use std::sync::Arc;

use certwatch_core::jobs::{JobHandler, JobObserver, Scheduler, SchedulerConfig, Worker, WorkerConfig};
use certwatch_core::monitoring::{default_renderer, FetchConfig, MonitoringConfig};
use certwatch_core::webhooks::DeliveryConfig;
use certwatch_core::CertWatch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::JobSettings;

/// What to run besides the worker.
#[derive(Clone, Default)]
pub struct BackgroundOptions {
    /// Also run the scheduler (periodic slots are deduplicated in the
    /// database, so any number of processes may run one).
    pub scheduler: bool,
    /// A Postgres URL to LISTEN on for jobs committed by other processes.
    pub listen_url: Option<String>,
    /// Told of every finished job run (metrics).
    pub observer: Option<Arc<dyn JobObserver>>,
    /// Handlers of job kinds the host implements (e.g. e-mail).
    pub handlers: Vec<(&'static str, Arc<dyn JobHandler>)>,
    /// The file store and OCR engine bulk-upload jobs read from: the same
    /// directory the upload endpoint writes to
    /// ([`ServeConfig::processing_ports`](crate::ServeConfig::processing_ports)).
    pub bulk_upload: certwatch_core::bulk_upload::ProcessingPorts,
}

/// The running background tasks.
pub struct Background {
    shutdown: CancellationToken,
    tasks: JoinSet<()>,
}

/// The worker configuration the settings describe.
pub fn worker_config(settings: &JobSettings, observer: Option<Arc<dyn JobObserver>>) -> WorkerConfig {
    let sender = certwatch_core::adapters::ReqwestWebhookSender::new(settings.webhook_allowed_networks.clone());
    WorkerConfig {
        worker_id: format!(
            "{}-{}-{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "certwatch".into()),
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ),
        concurrency: settings.concurrency.max(1),
        poll_interval: settings.poll_interval,
        webhooks: DeliveryConfig {
            sender: Arc::new(sender),
            timeout: settings.webhook_timeout,
            max_attempts: settings.webhook_max_attempts.max(1),
        },
        observer,
        documents: Arc::new(certwatch_core::certificates::documents::ReqwestDocumentFetcher::new(
            settings.webhook_allowed_networks.clone(),
        )),
        monitoring: MonitoringConfig {
            failure_alert_threshold: settings.scrape_failure_alert_threshold,
            // Headless Chromium when built with `--features browser`.
            renderer: default_renderer(settings.monitoring_allowed_networks.clone()),
            extractor: settings.extractor(),
            ..MonitoringConfig::with_fetch(FetchConfig {
                allow: settings.monitoring_allowed_networks.clone(),
                ..FetchConfig::default()
            })
        },
        ..WorkerConfig::default()
    }
}

impl Background {
    /// Starts a worker (and, if asked, the scheduler and the Postgres
    /// listener) over `core`.
    pub fn spawn(core: &CertWatch, settings: &JobSettings, options: BackgroundOptions) -> Self {
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let config = WorkerConfig { bulk_upload: options.bulk_upload, ..worker_config(settings, options.observer) };
        let mut worker = Worker::new(core.clone(), config);
        for (kind, handler) in options.handlers {
            worker = worker.with_handler(kind, handler);
        }
        tasks.spawn(worker.run(shutdown.clone()));
        if options.scheduler {
            tasks.spawn(Scheduler::new(core.clone(), SchedulerConfig::default()).run(shutdown.clone()));
        }
        if let Some(url) = options.listen_url {
            let signal = core.job_signal().clone();
            let stop = shutdown.clone();
            tasks.spawn(async move {
                if let Err(e) = certwatch_store::listen_for_jobs(&url, signal, stop).await {
                    tracing::warn!(error = %e, "cannot LISTEN for jobs; workers poll instead");
                }
            });
        }
        Self { shutdown, tasks }
    }

    /// Stops claiming, waits for running jobs (releasing those still
    /// running after the grace period) and for every task to end.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
    }

    /// The token that stops everything (for hosts that wire their own
    /// signal handling).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }
}

/// The Postgres URL of the settings, if the database is Postgres.
pub fn postgres_url(url: Option<&str>) -> Option<String> {
    url.filter(|u| matches!(certwatch_store::Backend::of_url(u), Ok(certwatch_store::Backend::Postgres)))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitoring_settings_reach_the_worker() {
        let settings = JobSettings { scrape_failure_alert_threshold: 0.25, ..JobSettings::default() };
        let config = worker_config(&settings, None);
        assert!((config.monitoring.failure_alert_threshold - 0.25).abs() < f64::EPSILON);
        assert_eq!(worker_config(&JobSettings::default(), None).monitoring.failure_alert_threshold, 0.5);
    }
}

//! Host configuration: where the data lives, where to listen, who may reach
//! the operator endpoints, how mail leaves, and the rate limits.

use std::num::NonZeroU32;
use std::path::PathBuf;

use ipnet::IpNet;

use crate::HostError;

/// Requests allowed per minute, per user (token) or else per client IP.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Registration, log-in, verification resend, invitation acceptance.
    pub auth_per_minute: NonZeroU32,
    /// The anonymous public certificate search.
    pub public_search_per_minute: NonZeroU32,
    /// Other expensive endpoints (token creation, invitations, imports, exports).
    pub expensive_per_minute: NonZeroU32,
}

impl Default for RateLimits {
    fn default() -> Self {
        let n = |v: u32| NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN);
        Self { auth_per_minute: n(20), public_search_per_minute: n(60), expensive_per_minute: n(30) }
    }
}

/// Background work: the in-process worker and scheduler of `serve`, and
/// the worker processes of `certwatch worker`.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Whether `serve` runs a worker and the scheduler in-process
    /// (`--no-worker` turns it off).
    pub run_worker: bool,
    /// Whether that in-process worker comes with the scheduler (periodic
    /// jobs); tests that drive time by hand turn it off.
    pub run_scheduler: bool,
    /// Jobs run at the same time per process.
    pub concurrency: usize,
    /// How long an idle worker waits before looking again when nothing
    /// woke it (the fallback behind wake-ups).
    pub poll_interval: std::time::Duration,
    /// Time limit of one webhook POST.
    pub webhook_timeout: std::time::Duration,
    /// Attempts per webhook delivery before it is FAILED.
    pub webhook_max_attempts: u32,
    /// Networks webhook URLs may resolve into although they are not public
    /// (the SSRF allow-list; empty: public addresses only).
    pub webhook_allowed_networks: Vec<IpNet>,
    /// Networks supplier pages and PDFs may be fetched from although they
    /// are not public (the monitoring SSRF allow-list; empty: public
    /// addresses only). Separate from the webhook list: an operator who
    /// lets webhooks reach an internal receiver need not let scrapes roam
    /// the intranet.
    pub monitoring_allowed_networks: Vec<IpNet>,
    /// 24-hour scrape failure rate (0..1) above which each periodic
    /// monitoring run alerts.
    pub scrape_failure_alert_threshold: f64,
    /// The LLM extractor, when `LLM_BASE_URL` and `LLM_MODEL` are set:
    /// monitoring scrapes and bulk uploads then read fields with it, and
    /// with the rules for a document it fails on. `None`: the rules only.
    pub llm: Option<certwatch_core::monitoring::LlmConfig>,
}

impl JobSettings {
    /// The extractor these settings describe: the LLM when configured
    /// (should its client fail to build, the rules, with a warning in the
    /// log), else the rules.
    pub fn extractor(&self) -> std::sync::Arc<dyn certwatch_core::monitoring::Extractor> {
        llm_extractor(self.llm.as_ref())
    }
}

/// The extractor for an optional LLM configuration (see
/// [`JobSettings::extractor`]); also what `certwatch extract` uses.
pub fn llm_extractor(
    llm: Option<&certwatch_core::monitoring::LlmConfig>,
) -> std::sync::Arc<dyn certwatch_core::monitoring::Extractor> {
    use certwatch_core::monitoring::{LlmExtractor, RuleBasedExtractor};
    match llm.map(|c| LlmExtractor::new(c.clone())) {
        Some(Ok(e)) => std::sync::Arc::new(e),
        Some(Err(e)) => {
            tracing::warn!(error = %e, "the LLM extractor cannot be built; fields are read by the rules");
            std::sync::Arc::new(RuleBasedExtractor)
        }
        None => std::sync::Arc::new(RuleBasedExtractor),
    }
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            run_worker: true,
            run_scheduler: true,
            concurrency: 8,
            poll_interval: std::time::Duration::from_secs(1),
            webhook_timeout: std::time::Duration::from_secs(10),
            webhook_max_attempts: 8,
            webhook_allowed_networks: Vec::new(),
            monitoring_allowed_networks: Vec::new(),
            scrape_failure_alert_threshold: 0.5,
            llm: None,
        }
    }
}

/// Settings of `certwatch serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// `host:port` to listen on.
    pub bind: String,
    /// Directory of the embedded SQLite database and the mail outbox.
    pub data_dir: PathBuf,
    /// A `postgres://` or `sqlite://` URL; overrides `data_dir`.
    pub database_url: Option<String>,
    /// Base URL for links in e-mails; `http://<bind>` when absent.
    pub public_url: Option<String>,
    /// IPs and CIDRs allowed to reach `/api/admin/`; empty allows any
    /// address (an operator token is still required).
    pub admin_allowed_ips: Vec<IpNet>,
    /// How many reverse proxies in front of the server append to
    /// `X-Forwarded-For`; 0 ignores the header.
    pub trusted_proxies: usize,
    /// `smtp://user:pass@host:port` or `smtps://…`; the file outbox when absent.
    pub smtp_url: Option<String>,
    /// Sender address of outgoing mail.
    pub mail_from: String,
    /// Directory of the file outbox; `<data_dir>/outbox` when absent.
    pub mail_outbox: Option<PathBuf>,
    /// Rate limits.
    pub rate_limits: RateLimits,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Background jobs and webhook delivery.
    pub jobs: JobSettings,
    /// Largest accepted bulk-upload request (all files together); each
    /// file is still capped at 20 MiB. Default 110 MiB.
    pub max_upload_bytes: usize,
    /// Directory of bulk-uploaded files; `<data_dir>/bulk_uploads` when absent.
    pub bulk_upload_dir: Option<PathBuf>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8000".into(),
            data_dir: PathBuf::from("certwatch-data"),
            database_url: None,
            public_url: None,
            admin_allowed_ips: Vec::new(),
            trusted_proxies: 0,
            smtp_url: None,
            mail_from: "CertWatch <no-reply@certwatch.localhost>".into(),
            mail_outbox: None,
            rate_limits: RateLimits::default(),
            max_body_bytes: 1024 * 1024,
            jobs: JobSettings::default(),
            max_upload_bytes: 110 * 1024 * 1024,
            bulk_upload_dir: None,
        }
    }
}

impl ServeConfig {
    /// The database URL to open, creating the data directory for the
    /// embedded default.
    pub fn resolved_database_url(&self) -> Result<String, HostError> {
        if self.database_url.is_none() {
            std::fs::create_dir_all(&self.data_dir)
                .map_err(|source| HostError::DataDir { path: self.data_dir.display().to_string(), source })?;
        }
        Ok(database_url(self.database_url.as_deref(), &self.data_dir))
    }

    /// Where bulk-uploaded files are stored.
    pub fn bulk_upload_dir(&self) -> PathBuf {
        self.bulk_upload_dir.clone().unwrap_or_else(|| self.data_dir.join("bulk_uploads"))
    }

    /// What bulk-upload processing jobs need in this installation: the same
    /// file store the upload endpoint writes to, and the build's OCR. A
    /// worker's `WorkerConfig::bulk_upload` must be set to this.
    pub fn processing_ports(&self) -> certwatch_core::bulk_upload::ProcessingPorts {
        certwatch_core::bulk_upload::ProcessingPorts {
            blobs: std::sync::Arc::new(certwatch_store::LocalDirBlobStore::new(self.bulk_upload_dir())),
            ocr: certwatch_core::bulk_upload::default_ocr(),
            extractor: self.jobs.extractor(),
        }
    }

    /// The core over `store` with the system clock, UUIDv7 ids and the
    /// settings of this configuration that core rules need.
    pub fn core(&self, store: std::sync::Arc<dyn certwatch_core::ports::Store>) -> certwatch_core::CertWatch {
        certwatch_core::CertWatch::with_ports(
            store,
            std::sync::Arc::new(certwatch_core::adapters::SystemClock),
            std::sync::Arc::new(certwatch_core::adapters::UuidV7),
            certwatch_core::CoreConfig {
                webhook_max_attempts: self.jobs.webhook_max_attempts,
                ..certwatch_core::CoreConfig::default()
            },
        )
    }

    /// Where the file outbox writes.
    pub fn outbox_dir(&self) -> PathBuf {
        self.mail_outbox.clone().unwrap_or_else(|| self.data_dir.join("outbox"))
    }
}

/// The explicit URL, else the embedded SQLite file in `data_dir`.
pub fn database_url(explicit: Option<&str>, data_dir: &std::path::Path) -> String {
    match explicit {
        Some(u) if !u.trim().is_empty() => u.trim().to_owned(),
        _ => format!("sqlite://{}", data_dir.join("certwatch.sqlite").display()),
    }
}

/// Parses `ADMIN_ALLOWED_IPS`: comma-separated IPs and CIDRs.
pub fn parse_ip_list(s: &str) -> Result<Vec<IpNet>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| format!("not an IP address or CIDR: {p}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_lists() {
        let l = parse_ip_list("10.0.0.0/8, 127.0.0.1,::1 ,").expect("valid");
        assert_eq!(l.len(), 3);
        assert!(l[0].contains(&"10.1.2.3".parse::<std::net::IpAddr>().expect("ip")));
        assert!(parse_ip_list("10.0.0.0/33").is_err());
        assert!(parse_ip_list("example.com").is_err());
    }
}

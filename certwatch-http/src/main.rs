//! The `certwatch` command: parses arguments and dispatches; every rule
//! lives in the library crates. Errors become exit codes here only.

mod monitor_cmd;

/// mimalloc instead of the system allocator: a list page builds and frees
/// thousands of small JSON values and buffers, and glibc malloc's
/// consolidation was a tenth of the server's time under a list-page load
/// (`tests/benches/http_load.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use certwatch_http::{parse_ip_list, Application, JobSettings, RateLimits, ServeConfig};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// CertWatch: supplier compliance certificates, tracked.
#[derive(Parser)]
#[command(name = "certwatch", version, about)]
struct Cli {
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "CERTWATCH_LOG_FORMAT", global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Directory of the embedded SQLite database, the mail outbox and the demo credentials.
    #[arg(long, default_value = "certwatch-data", env = "CERTWATCH_DATA_DIR")]
    data_dir: PathBuf,
    /// A postgres:// or sqlite:// URL; overrides the embedded database in --data-dir.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8000", env = "CERTWATCH_BIND")]
    bind: String,
    /// Base URL for links in e-mails (default: http://<bind>).
    #[arg(long, env = "CERTWATCH_PUBLIC_URL")]
    public_url: Option<String>,
    /// Comma-separated IPs/CIDRs allowed to reach /api/admin/ (empty: any address).
    #[arg(long, env = "ADMIN_ALLOWED_IPS", default_value = "")]
    admin_allowed_ips: String,
    /// Reverse proxies in front of the server whose X-Forwarded-For entries are trusted.
    #[arg(long, env = "TRUSTED_PROXIES", default_value_t = 0)]
    trusted_proxies: usize,
    /// SMTP server URL (smtp://user:pass@host:587); without it mail goes to <data-dir>/outbox.
    #[arg(long, env = "SMTP_URL")]
    smtp_url: Option<String>,
    /// Sender of outgoing mail.
    #[arg(long, env = "MAIL_FROM", default_value = "CertWatch <no-reply@certwatch.localhost>")]
    mail_from: String,
    /// Log-in, registration and verification requests per minute per caller.
    #[arg(long, env = "RATE_LIMIT_AUTH_PER_MINUTE", default_value = "20")]
    rate_limit_auth: std::num::NonZeroU32,
    /// Public certificate searches per minute per caller.
    #[arg(long, env = "RATE_LIMIT_SEARCH_PER_MINUTE", default_value = "60")]
    rate_limit_search: std::num::NonZeroU32,
    /// Token and invitation creations per minute per caller.
    #[arg(long, env = "RATE_LIMIT_EXPENSIVE_PER_MINUTE", default_value = "30")]
    rate_limit_expensive: std::num::NonZeroU32,
    /// Create the demo tenant (if missing) and print its credentials before serving.
    #[arg(long)]
    demo: bool,
}

/// Background job settings, shared by `serve` and `worker`.
#[derive(Args, Clone)]
struct JobArgs {
    /// Jobs run at the same time in this process.
    #[arg(long, env = "WORKER_CONCURRENCY", default_value_t = 8)]
    worker_concurrency: usize,
    /// Seconds an idle worker waits before polling again when nothing woke it.
    #[arg(long, env = "WORKER_POLL_SECONDS", default_value_t = 1.0)]
    worker_poll_seconds: f64,
    /// Time limit of one webhook POST, in seconds.
    #[arg(long, env = "WEBHOOK_TIMEOUT_SECONDS", default_value_t = 10.0)]
    webhook_timeout_seconds: f64,
    /// Attempts per webhook delivery (exponential backoff between them) before it is FAILED.
    #[arg(long, env = "WEBHOOK_MAX_ATTEMPTS", default_value_t = 8)]
    webhook_max_attempts: u32,
    /// Comma-separated CIDRs/IPs webhook URLs may reach although not public (SSRF allow-list).
    #[arg(long, env = "WEBHOOK_ALLOWED_NETWORKS", default_value = "")]
    webhook_allowed_networks: String,
    /// Comma-separated CIDRs/IPs supplier pages may be scraped from although not public (SSRF allow-list).
    #[arg(long, env = "MONITORING_ALLOWED_NETWORKS", default_value = "")]
    monitoring_allowed_networks: String,
    /// 24-hour scrape failure rate (0 to 1) above which a periodic monitoring run alerts.
    #[arg(long, env = "SCRAPE_FAILURE_ALERT_THRESHOLD", default_value_t = 0.5)]
    scrape_failure_alert_threshold: f64,
    #[command(flatten)]
    llm: LlmArgs,
}

/// The optional LLM extractor (an OpenAI-compatible chat completion API).
#[derive(Args, Clone)]
struct LlmArgs {
    /// Base URL of an OpenAI-compatible API (`https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`); with
    /// --llm-model it turns LLM extraction on (the rules read any document the model fails on).
    #[arg(long, env = "LLM_BASE_URL")]
    llm_base_url: Option<String>,
    /// The model name (e.g. `gpt-4o-mini`, `llama3.1`).
    #[arg(long, env = "LLM_MODEL")]
    llm_model: Option<String>,
    /// Time limit of one LLM request attempt, in seconds (3 attempts at most).
    #[arg(long, env = "LLM_TIMEOUT_SECONDS", default_value_t = 60.0)]
    llm_timeout_seconds: f64,
}

impl LlmArgs {
    /// The LLM settings, when base URL and model are both set. The API key
    /// is read from `LLM_API_KEY` only (never a flag: flags show in `ps`).
    fn config(&self) -> anyhow::Result<Option<certwatch_core::monitoring::LlmConfig>> {
        let blank = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let (url, model) = match (blank(&self.llm_base_url), blank(&self.llm_model)) {
            (Some(u), Some(m)) => (u, m),
            (None, None) => return Ok(None),
            _ => anyhow::bail!("LLM extraction needs both --llm-base-url (LLM_BASE_URL) and --llm-model (LLM_MODEL)"),
        };
        let base_url = url::Url::parse(&url).context("--llm-base-url")?;
        anyhow::ensure!(matches!(base_url.scheme(), "http" | "https"), "--llm-base-url must be http(s)");
        let t = self.llm_timeout_seconds;
        anyhow::ensure!(t.is_finite() && t > 0.0 && t <= 3600.0, "--llm-timeout-seconds must be between 0 and 3600");
        let mut cfg = certwatch_core::monitoring::LlmConfig::new(base_url, model);
        cfg.timeout = std::time::Duration::from_secs_f64(t);
        cfg.api_key = std::env::var("LLM_API_KEY").ok().and_then(certwatch_core::monitoring::ApiKey::new);
        Ok(Some(cfg))
    }
}

impl JobArgs {
    fn settings(&self, run_worker: bool) -> anyhow::Result<JobSettings> {
        let secs = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 && v <= 86_400.0 {
                Ok(std::time::Duration::from_secs_f64(v))
            } else {
                Err(anyhow::anyhow!("{name} must be between 0 and 86400 seconds"))
            }
        };
        Ok(JobSettings {
            run_worker,
            run_scheduler: run_worker,
            concurrency: self.worker_concurrency.clamp(1, 1024),
            poll_interval: secs("--worker-poll-seconds", self.worker_poll_seconds)?,
            webhook_timeout: secs("--webhook-timeout-seconds", self.webhook_timeout_seconds)?,
            webhook_max_attempts: self.webhook_max_attempts.clamp(1, 100),
            webhook_allowed_networks: parse_ip_list(&self.webhook_allowed_networks).map_err(anyhow::Error::msg)?,
            monitoring_allowed_networks: parse_ip_list(&self.monitoring_allowed_networks)
                .map_err(anyhow::Error::msg)?,
            scrape_failure_alert_threshold: if (0.0..=1.0).contains(&self.scrape_failure_alert_threshold) {
                self.scrape_failure_alert_threshold
            } else {
                anyhow::bail!("--scrape-failure-alert-threshold must be between 0 and 1")
            },
            llm: self.llm.config()?,
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Runs the API server (applies migrations first), with a job worker and the scheduler in-process.
    Serve {
        #[command(flatten)]
        serve: ServeArgs,
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        jobs: JobArgs,
        /// Run no worker or scheduler in this process (run `certwatch worker` elsewhere).
        #[arg(long)]
        no_worker: bool,
    },
    /// Runs only background job workers (and the scheduler): several processes may share one Postgres.
    Worker {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        jobs: JobArgs,
        /// Do not run the scheduler in this process.
        #[arg(long)]
        no_scheduler: bool,
        /// Base URL of the API for links in e-mails.
        #[arg(long, env = "CERTWATCH_PUBLIC_URL", default_value = "http://127.0.0.1:8000")]
        public_url: String,
        /// SMTP server URL; without it mail goes to <data-dir>/outbox.
        #[arg(long, env = "SMTP_URL")]
        smtp_url: Option<String>,
        /// Sender of outgoing mail.
        #[arg(long, env = "MAIL_FROM", default_value = "CertWatch <no-reply@certwatch.localhost>")]
        mail_from: String,
        /// `host:port` to serve Prometheus `GET /metrics` on (jobs, webhooks, bulk upload); off when unset.
        #[arg(long, env = "WORKER_METRICS_BIND")]
        metrics_bind: Option<String>,
    },
    /// Applies database migrations and exits.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Creates the demo tenant (or logs in to it again) and prints its credentials and a fresh token.
    Demo {
        /// Print {"tenant", "email", "password", "token"} as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Grants or withdraws the operator flag (system status under /api/admin/).
    Operator {
        #[command(subcommand)]
        action: OperatorAction,
        #[command(flatten)]
        db: DbArgs,
    },
    #[command(flatten)]
    Monitor(MonitorCommand),
}

#[derive(Subcommand)]
enum MonitorCommand {
    /// Extracts certificate fields from files (PDF, HTML, image): one JSON object per file.
    Extract {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        llm: LlmArgs,
    },
    /// Shows what one scrape of a page would find; writes nothing.
    Scrape {
        /// The page URL.
        url: String,
        /// Required: only the dry run exists on the command line (the server's jobs scrape for real).
        #[arg(long, required = true)]
        dry_run: bool,
        /// Comma-separated non-public IPs/CIDRs that may be fetched (e.g. 127.0.0.0/8 for a local site).
        #[arg(long, default_value = "")]
        allow_ips: String,
    },
}

#[derive(Subcommand)]
enum OperatorAction {
    /// Makes a user an operator.
    Grant {
        /// The user's e-mail address.
        email: String,
    },
    /// Withdraws a user's operator flag.
    Revoke {
        /// The user's e-mail address.
        email: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into());
    match cli.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt().json().with_current_span(true).with_env_filter(filter).init(),
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn base_config(db: DbArgs) -> ServeConfig {
    ServeConfig { data_dir: db.data_dir, database_url: db.database_url, ..ServeConfig::default() }
}

async fn open_core(config: &ServeConfig) -> anyhow::Result<certwatch_core::CertWatch> {
    let url = config.resolved_database_url()?;
    let store = certwatch_store::connect_and_migrate(&url).await.context("opening the database")?;
    Ok(config.core(store))
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { serve, db, jobs, no_worker } => {
            let config = ServeConfig {
                jobs: jobs.settings(!no_worker)?,
                bind: serve.bind,
                public_url: serve.public_url,
                admin_allowed_ips: parse_ip_list(&serve.admin_allowed_ips).map_err(anyhow::Error::msg)?,
                trusted_proxies: serve.trusted_proxies,
                smtp_url: serve.smtp_url,
                mail_from: serve.mail_from,
                rate_limits: RateLimits {
                    auth_per_minute: serve.rate_limit_auth,
                    public_search_per_minute: serve.rate_limit_search,
                    expensive_per_minute: serve.rate_limit_expensive,
                },
                ..base_config(db)
            };
            let core = open_core(&config).await?;
            if serve.demo {
                let creds = certwatch_http::demo::seed(&core, &config.data_dir).await.context("demo tenant")?;
                print_demo(&creds, &config.bind);
            }
            let app = Application::with_core(&config, core).await.context("starting the server")?;
            println!(
                "CertWatch {} listening on {} (API docs: {}/api/docs, backend: {})",
                env!("CARGO_PKG_VERSION"),
                app.public_url(),
                app.public_url(),
                app.core().store().backend()
            );
            app.run().await.context("serving")?;
        }
        Command::Worker { db, jobs, no_scheduler, public_url, smtp_url, mail_from, metrics_bind } => {
            let config = ServeConfig { jobs: jobs.settings(true)?, ..base_config(db) };
            let core = open_core(&config).await?;
            let mailer: std::sync::Arc<dyn certwatch_http::mail::Mailer> = match &smtp_url {
                Some(url) => std::sync::Arc::new(certwatch_http::mail::Smtp::new(url, &mail_from)?),
                None => std::sync::Arc::new(certwatch_http::mail::FileOutbox::new(config.outbox_dir())),
            };
            let mail = certwatch_http::mail_jobs::MailContext { mailer, public_url };
            let metrics = match &metrics_bind {
                Some(addr) => Some(certwatch_http::WorkerMetrics::bind(addr).await.context("metrics listener")?),
                None => None,
            };
            let stop_metrics = tokio_util::sync::CancellationToken::new();
            let observer = metrics.as_ref().map(certwatch_http::WorkerMetrics::observer);
            let metrics_task = metrics.map(|m| {
                println!("worker metrics on http://{}/metrics", metrics_bind.as_deref().unwrap_or_default());
                let stop = stop_metrics.clone();
                tokio::spawn(m.run_until(core.clone(), async move { stop.cancelled().await }))
            });
            let background = certwatch_http::background::Background::spawn(
                &core,
                &config.jobs,
                certwatch_http::background::BackgroundOptions {
                    scheduler: !no_scheduler,
                    listen_url: certwatch_http::background::postgres_url(config.database_url.as_deref()),
                    handlers: mail.handlers(),
                    bulk_upload: config.processing_ports(),
                    observer,
                },
            );
            println!("CertWatch worker running (backend: {}); Ctrl-C or SIGTERM stops it", core.store().backend());
            certwatch_http::shutdown_signal().await;
            println!("stopping: finishing or releasing running jobs");
            background.stop().await;
            stop_metrics.cancel();
            if let Some(task) = metrics_task {
                let _ = task.await;
            }
        }
        Command::Migrate { db } => {
            let config = base_config(db);
            open_core(&config).await?;
            println!("migrations applied");
        }
        Command::Demo { json, db } => {
            let config = base_config(db);
            let core = open_core(&config).await?;
            let creds = certwatch_http::demo::seed(&core, &config.data_dir).await.context("demo tenant")?;
            if json {
                println!("{}", serde_json::to_string(&creds)?);
            } else {
                print_demo(&creds, "127.0.0.1:8000");
            }
        }
        Command::Operator { action, db } => {
            let config = base_config(db);
            let core = open_core(&config).await?;
            let (email, grant) = match action {
                OperatorAction::Grant { email } => (email, true),
                OperatorAction::Revoke { email } => (email, false),
            };
            let user = core.tenancy().set_operator(&email, grant).await?;
            println!("{}: operator = {}", user.email, user.is_operator);
        }
        Command::Monitor(MonitorCommand::Extract { files, llm }) => {
            monitor_cmd::extract(files, certwatch_http::llm_extractor(llm.config()?.as_ref())).await?
        }
        Command::Monitor(MonitorCommand::Scrape { url, dry_run: _, allow_ips }) => {
            monitor_cmd::scrape_dry_run(&url, parse_ip_list(&allow_ips).map_err(anyhow::Error::msg)?).await?
        }
    }
    Ok(())
}

fn print_demo(c: &certwatch_http::demo::DemoCredentials, bind: &str) {
    println!("Demo tenant '{}': log in as {} / {}", c.tenant, c.email, c.password);
    println!("API token (shown once): {}", c.token);
    println!("Try: curl -H 'Authorization: Token {}' http://{bind}/api/organizations", c.token);
}

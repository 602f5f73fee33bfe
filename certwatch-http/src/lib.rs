//! # certwatch-http
//!
//! The REST host of CertWatch. It is thin: handlers parse, call a
//! `certwatch-core` service and map the result. This crate is the only one
//! that knows HTTP status codes.
//!
//! [`Application::build`] opens the store (embedded SQLite in a data
//! directory by default, Postgres when a `postgres://` URL is given),
//! applies migrations and binds the listener; [`Application::run`] serves
//! until the process is stopped. Tests build it on port 0.

pub mod api;
pub mod background;
mod bulk_upload_metrics;
mod config;
pub mod demo;
pub mod job_metrics;
pub mod mail;
pub mod mail_jobs;
pub mod middleware;
pub mod problem;

use std::sync::Arc;

use certwatch_core::CertWatch;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::middleware::{NormalizePath, TrailingSlash};
use poem::{handler, Endpoint, EndpointExt, Route, Server};
use poem_openapi::OpenApiService;

pub use config::{database_url, llm_extractor, parse_ip_list, JobSettings, RateLimits, ServeConfig};

use crate::background::{Background, BackgroundOptions};
use crate::job_metrics::JobMetrics;
use crate::mail::{FileOutbox, Mailer, Smtp};
use crate::middleware::admin_ip::AdminIpPolicy;
use crate::middleware::metrics::Metrics;
use crate::middleware::rate_limit::RateLimiter;

/// The id of the request being served (from `X-Request-ID` or generated),
/// in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Why the host could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] certwatch_store::Error),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// The mail settings are unusable.
    #[error(transparent)]
    Mail(#[from] mail::MailError),
    /// The metrics registry could not be set up.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

/// A built, bound, not yet running server.
pub struct Application {
    acceptor: TcpAcceptor,
    port: u16,
    state: Arc<api::State>,
    config: ServeConfig,
    metrics: Arc<Metrics>,
    job_metrics: Arc<JobMetrics>,
}

impl Application {
    /// Opens and migrates the store, then binds the listener.
    pub async fn build(config: &ServeConfig) -> Result<Self, HostError> {
        let url = config.resolved_database_url()?;
        let store = certwatch_store::connect_and_migrate(&url).await?;
        Self::with_core(config, config.core(store)).await
    }

    /// Binds the listener for an already built core (tests, embedders), with
    /// the mailer the configuration names.
    pub async fn with_core(config: &ServeConfig, core: CertWatch) -> Result<Self, HostError> {
        let mailer: Arc<dyn Mailer> = match &config.smtp_url {
            Some(url) => Arc::new(Smtp::new(url, &config.mail_from)?),
            None => Arc::new(FileOutbox::new(config.outbox_dir())),
        };
        Self::with_parts(config, core, mailer).await
    }

    /// Binds the listener for a core and a mailer.
    pub async fn with_parts(config: &ServeConfig, core: CertWatch, mailer: Arc<dyn Mailer>) -> Result<Self, HostError> {
        let addr = config.bind.clone();
        let acceptor = TcpListener::bind(addr.clone())
            .into_acceptor()
            .await
            .map_err(|source| HostError::Bind { addr: addr.clone(), source })?;
        let port = acceptor.local_addr().first().and_then(|a| a.as_socket_addr().map(|s| s.port())).unwrap_or_default();
        let public_url = config.public_url.clone().unwrap_or_else(|| {
            let host = addr.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
            format!("http://{host}:{port}")
        });
        let blobs = Arc::new(certwatch_store::LocalDirBlobStore::new(config.bulk_upload_dir()));
        let state = Arc::new(api::State { core, mailer, public_url, blobs });
        let metrics = Arc::new(Metrics::new()?);
        let job_metrics = Arc::new(JobMetrics::register(metrics.registry())?);
        Ok(Self { acceptor, port, state, config: config.clone(), metrics, job_metrics })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The core the server uses.
    pub fn core(&self) -> &CertWatch {
        &self.state.core
    }

    /// The base URL used in e-mailed links.
    pub fn public_url(&self) -> &str {
        &self.state.public_url
    }

    /// Serves until the process receives Ctrl-C / SIGTERM or the future is
    /// dropped. Unless `jobs.run_worker` is off, a worker and the scheduler
    /// run alongside and stop gracefully after the server.
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// [`Application::run`] until `stop` completes.
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()> + Send) -> std::io::Result<()> {
        let background = self.config.jobs.run_worker.then(|| {
            let observer: Arc<dyn certwatch_core::jobs::JobObserver> = self.job_metrics.clone();
            Background::spawn(
                &self.state.core,
                &self.config.jobs,
                BackgroundOptions {
                    scheduler: self.config.jobs.run_scheduler,
                    listen_url: background::postgres_url(self.config.database_url.as_deref()),
                    observer: Some(observer),
                    handlers: crate::mail_jobs::MailContext {
                        mailer: self.state.mailer.clone(),
                        public_url: self.state.public_url.clone(),
                    }
                    .handlers(),
                    bulk_upload: self.config.processing_ports(),
                },
            )
        });
        let app =
            routes_with(self.state, &self.config, self.metrics, self.job_metrics).map_err(std::io::Error::other)?;
        let served = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(app, stop, Some(std::time::Duration::from_secs(10)))
            .await;
        if let Some(b) = background {
            b.stop().await;
        }
        served
    }
}

/// Every route of the host with its middleware.
pub fn routes(state: Arc<api::State>, config: &ServeConfig) -> Result<impl Endpoint, HostError> {
    let metrics = Arc::new(Metrics::new()?);
    let job_metrics = Arc::new(JobMetrics::register(metrics.registry())?);
    routes_with(state, config, metrics, job_metrics)
}

/// [`routes`] with the metric families of the application.
fn routes_with(
    state: Arc<api::State>,
    config: &ServeConfig,
    metrics: Arc<Metrics>,
    job_metrics: Arc<JobMetrics>,
) -> Result<impl Endpoint, HostError> {
    // Paths carry their full `/api/...` prefix (see `api`), so the document
    // names the real URLs and needs no server entry.
    let service = OpenApiService::new(api::api(state.clone()), "CertWatch", env!("CARGO_PKG_VERSION"))
        .description("Supplier compliance certificates: suppliers, certificates and their lifecycle.");
    let docs = service.swagger_ui();
    let spec = service.spec_endpoint();
    let limiter = Arc::new(RateLimiter::new(config.rate_limits, config.trusted_proxies));
    let admin =
        Arc::new(AdminIpPolicy { allow: config.admin_allowed_ips.clone(), trusted_proxies: config.trusted_proxies });
    let metrics_for_route = metrics.clone();
    let max_body = config.max_body_bytes;
    let max_upload = config.max_upload_bytes;
    let bulk_metrics = Arc::new(bulk_upload_metrics::BulkUploadMetrics::register(metrics.registry())?);
    Ok(Route::new()
        .at("/api/schema", spec)
        .nest("/api/docs", docs)
        .at("/metrics", metrics_endpoint.data(metrics_for_route).data(job_metrics).data(bulk_metrics))
        .nest_no_strip("/api", service)
        .data(state)
        .around(move |ep, req| rate_limit_layer(ep, req, limiter.clone()))
        .around(move |ep, req| middleware::admin_ip::around(ep, req, admin.clone()))
        .around(move |ep, req| {
            // Multipart uploads get their own, larger caps (bulk-upload
            // files are then checked one by one against 20 MiB).
            let limit = if req.uri().path().trim_end_matches('/') == "/api/bulk-upload/batches" {
                max_upload
            } else {
                middleware::body_limit::limit_for(req.uri().path(), max_body)
            };
            middleware::body_limit::around(ep, req, limit)
        })
        .with(NormalizePath::new(TrailingSlash::Trim))
        .around(move |ep, req| middleware::metrics::around(ep, req, metrics.clone()))
        .around(middleware::request_id::around))
}

async fn rate_limit_layer<E: Endpoint>(
    ep: Arc<E>,
    req: poem::Request,
    limiter: Arc<RateLimiter>,
) -> poem::Result<poem::Response> {
    middleware::rate_limit::around(ep, req, limiter).await
}

#[handler]
async fn metrics_endpoint(
    metrics: poem::web::Data<&Arc<Metrics>>,
    jobs: poem::web::Data<&Arc<JobMetrics>>,
    bulk: poem::web::Data<&Arc<bulk_upload_metrics::BulkUploadMetrics>>,
    state: poem::web::Data<&Arc<api::State>>,
) -> poem::Response {
    render_metrics(&state.core, &metrics, &jobs, &bulk).await
}

/// Reads the database-backed families for `core`, then renders every
/// family: the body of `/metrics` in `serve` and in `certwatch worker`.
async fn render_metrics(
    core: &CertWatch,
    metrics: &Metrics,
    jobs: &JobMetrics,
    bulk: &bulk_upload_metrics::BulkUploadMetrics,
) -> poem::Response {
    jobs.refresh(core).await;
    bulk.refresh(core).await;
    poem::Response::builder().content_type("text/plain; version=0.0.4").body(metrics.render())
}

/// The `/metrics` listener of a `certwatch worker` process: the job and
/// webhook families of [`JobMetrics`] (outcomes and durations counted by
/// this process's worker, queue depth read from the shared database) and
/// the bulk-upload quality families, so worker-only deployments are as
/// observable as `serve`.
pub struct WorkerMetrics {
    acceptor: TcpAcceptor,
    port: u16,
    metrics: Arc<Metrics>,
    job_metrics: Arc<JobMetrics>,
    bulk: Arc<bulk_upload_metrics::BulkUploadMetrics>,
}

impl WorkerMetrics {
    /// Registers the families and binds `addr`.
    pub async fn bind(addr: &str) -> Result<Self, HostError> {
        let acceptor = TcpListener::bind(addr.to_owned())
            .into_acceptor()
            .await
            .map_err(|source| HostError::Bind { addr: addr.to_owned(), source })?;
        let port = acceptor.local_addr().first().and_then(|a| a.as_socket_addr().map(|s| s.port())).unwrap_or_default();
        let metrics = Arc::new(Metrics::new()?);
        let job_metrics = Arc::new(JobMetrics::register(metrics.registry())?);
        let bulk = Arc::new(bulk_upload_metrics::BulkUploadMetrics::register(metrics.registry())?);
        Ok(Self { acceptor, port, metrics, job_metrics, bulk })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The observer to hand the worker, so its job outcomes are counted.
    pub fn observer(&self) -> Arc<dyn certwatch_core::jobs::JobObserver> {
        self.job_metrics.clone()
    }

    /// Serves `GET /metrics` for `core` until `stop` completes.
    pub async fn run_until(
        self,
        core: CertWatch,
        stop: impl std::future::Future<Output = ()> + Send,
    ) -> std::io::Result<()> {
        let app = Route::new().at(
            "/metrics",
            worker_metrics_endpoint.data(self.metrics).data(self.job_metrics).data(self.bulk).data(core),
        );
        Server::new_with_acceptor(self.acceptor).run_with_graceful_shutdown(app, stop, None).await
    }
}

#[handler]
async fn worker_metrics_endpoint(
    metrics: poem::web::Data<&Arc<Metrics>>,
    jobs: poem::web::Data<&Arc<JobMetrics>>,
    bulk: poem::web::Data<&Arc<bulk_upload_metrics::BulkUploadMetrics>>,
    core: poem::web::Data<&CertWatch>,
) -> poem::Response {
    render_metrics(&core, &metrics, &jobs, &bulk).await
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

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
mod config;

use std::sync::Arc;

use certwatch_core::CertWatch;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::{EndpointExt, Route, Server};
use poem_openapi::OpenApiService;

pub use config::{database_url, ServeConfig};

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
}

/// A built, bound, not yet running server.
pub struct Application {
    acceptor: TcpAcceptor,
    port: u16,
    core: CertWatch,
}

impl Application {
    /// Opens and migrates the store, then binds the listener.
    pub async fn build(config: &ServeConfig) -> Result<Self, HostError> {
        let url = config.resolved_database_url()?;
        let store = certwatch_store::connect_and_migrate(&url).await?;
        Self::with_core(config, CertWatch::new(store)).await
    }

    /// Binds the listener for an already built core (tests, embedders).
    pub async fn with_core(config: &ServeConfig, core: CertWatch) -> Result<Self, HostError> {
        let addr = config.bind.clone();
        let acceptor = TcpListener::bind(addr.clone())
            .into_acceptor()
            .await
            .map_err(|source| HostError::Bind { addr: addr.clone(), source })?;
        let port = acceptor.local_addr().first().and_then(|a| a.as_socket_addr().map(|s| s.port())).unwrap_or_default();
        Ok(Self { acceptor, port, core })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The core the server uses.
    pub fn core(&self) -> &CertWatch {
        &self.core
    }

    /// Serves until the process receives Ctrl-C / SIGTERM or the future is dropped.
    pub async fn run(self) -> std::io::Result<()> {
        let app = routes(self.core);
        Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(app, shutdown_signal(), Some(std::time::Duration::from_secs(10)))
            .await
    }
}

/// Every route of the host.
pub fn routes(core: CertWatch) -> impl poem::Endpoint {
    let state = Arc::new(api::State { core });
    // Paths carry their full `/api/...` prefix (see `api`), so the document
    // names the real URLs and needs no server entry.
    let service = OpenApiService::new(api::Api::new(state), "CertWatch", env!("CARGO_PKG_VERSION"));
    let docs = service.swagger_ui();
    let spec = service.spec_endpoint();
    Route::new()
        .at("/api/schema", spec)
        .nest("/api/docs", docs)
        .nest_no_strip("/api", service)
        .with(poem::middleware::Tracing)
}

async fn shutdown_signal() {
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

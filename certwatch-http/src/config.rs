//! Host configuration: where the data lives and where to listen.

use std::path::PathBuf;

use crate::HostError;

/// Settings of `certwatch serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// `host:port` to listen on.
    pub bind: String,
    /// Directory of the embedded SQLite database.
    pub data_dir: PathBuf,
    /// A `postgres://` or `sqlite://` URL; overrides `data_dir`.
    pub database_url: Option<String>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self { bind: "127.0.0.1:8000".into(), data_dir: PathBuf::from("certwatch-data"), database_url: None }
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
}

/// The explicit URL, else the embedded SQLite file in `data_dir`.
pub fn database_url(explicit: Option<&str>, data_dir: &std::path::Path) -> String {
    match explicit {
        Some(u) if !u.trim().is_empty() => u.trim().to_owned(),
        _ => format!("sqlite://{}", data_dir.join("certwatch.sqlite").display()),
    }
}

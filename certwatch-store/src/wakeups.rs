//! Cross-process wake-ups for idle workers: on Postgres every committed
//! job insert sends `NOTIFY certwatch_jobs` (trigger of migration 0005);
//! [`listen_for_jobs`] LISTENs and wakes this process's workers through
//! the core's in-memory signal. Core itself stays free of SQL: it only
//! offers the signal. Polling remains the fallback, so a notification lost
//! while reconnecting costs latency, never a job.

use std::sync::Arc;

use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::{Backend, Error};

/// The channel the jobs trigger notifies.
pub const JOBS_CHANNEL: &str = "certwatch_jobs";

/// Until `shutdown`, wakes `signal`'s waiters whenever a job is committed
/// by any process sharing the database at `url`. Returns at once for
/// SQLite (one process: the in-memory signal suffices).
///
/// # Errors
/// [`Error::Connect`] when the first LISTEN connection fails; later
/// connection losses are retried.
pub async fn listen_for_jobs(url: &str, signal: Arc<Notify>, shutdown: CancellationToken) -> Result<(), Error> {
    if Backend::of_url(url)? != Backend::Postgres {
        return Ok(());
    }
    let mut listener = PgListener::connect(url).await.map_err(Error::Connect)?;
    listener.listen(JOBS_CHANNEL).await.map_err(Error::Connect)?;
    tracing::debug!("listening for committed jobs");
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            got = listener.recv() => match got {
                Ok(_) => signal.notify_waiters(),
                Err(e) => {
                    tracing::warn!(error = %e, "job notifications interrupted; polling until reconnected");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            },
        }
    }
}

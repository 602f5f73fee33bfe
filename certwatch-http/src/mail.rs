//! Outgoing e-mail: SMTP through lettre when configured, otherwise a file
//! outbox directory (one JSON file per message) that tests and the demo read.

use std::path::PathBuf;

use async_trait::async_trait;
use serde::Serialize;

/// One message.
#[derive(Debug, Clone, Serialize)]
pub struct Email {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Why a message could not be sent.
#[derive(Debug, thiserror::Error)]
#[error("e-mail to {to} not sent: {reason}")]
pub struct MailError {
    /// Recipient.
    pub to: String,
    /// What failed.
    pub reason: String,
}

/// Sends e-mail.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one message.
    async fn send(&self, email: Email) -> Result<(), MailError>;
}

/// Writes each message as `<timestamp>-<n>.json` into a directory.
#[derive(Debug, Clone)]
pub struct FileOutbox {
    dir: PathBuf,
}

impl FileOutbox {
    /// An outbox in `dir` (created on first send).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
    /// The directory.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
    /// Every message in the outbox, oldest first (for tests and the demo).
    pub fn read_all(&self) -> Vec<Email> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return vec![] };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|p| std::fs::read(p).ok())
            .filter_map(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .filter_map(|v| {
                Some(Email {
                    to: v["to"].as_str()?.to_owned(),
                    subject: v["subject"].as_str()?.to_owned(),
                    body: v["body"].as_str()?.to_owned(),
                })
            })
            .collect()
    }
}

#[async_trait]
impl Mailer for FileOutbox {
    async fn send(&self, email: Email) -> Result<(), MailError> {
        let err = |e: std::io::Error| MailError { to: email.to.clone(), reason: e.to_string() };
        tokio::fs::create_dir_all(&self.dir).await.map_err(err)?;
        let name = format!("{}-{}.json", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"), uuid::Uuid::new_v4().simple());
        let body =
            serde_json::to_vec_pretty(&email).map_err(|e| MailError { to: email.to.clone(), reason: e.to_string() })?;
        // Write then rename, so readers never see half a message.
        let tmp = self.dir.join(format!(".{name}.tmp"));
        tokio::fs::write(&tmp, body).await.map_err(err)?;
        tokio::fs::rename(&tmp, self.dir.join(name)).await.map_err(err)?;
        Ok(())
    }
}

/// Sends through an SMTP server (lettre), e.g. `smtp://user:pass@host:587`
/// (STARTTLS) or `smtps://host:465` (implicit TLS).
pub struct Smtp {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl Smtp {
    /// A transport for `url` sending as `from`.
    pub fn new(url: &str, from: &str) -> Result<Self, MailError> {
        let bad = |reason: String| MailError { to: String::new(), reason };
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
            .map_err(|e| bad(format!("invalid SMTP URL: {}", certwatch_core::audit::redact_text(&e.to_string()))))?
            .build();
        let from = from.parse().map_err(|e| bad(format!("invalid sender address: {e}")))?;
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl Mailer for Smtp {
    async fn send(&self, email: Email) -> Result<(), MailError> {
        use lettre::AsyncTransport as _;
        let err = |reason: String| MailError { to: email.to.clone(), reason };
        let to = email.to.parse().map_err(|e| err(format!("invalid recipient: {e}")))?;
        let msg = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .map_err(|e| err(e.to_string()))?;
        self.transport.send(msg).await.map(|_| ()).map_err(|e| err(e.to_string()))
    }
}

//! Invitation and verification e-mails as background jobs, off the request
//! path and retried (3 attempts, exponential backoff). No raw token waits
//! in the jobs table: the payload names the user or the invitation, and
//! the job issues (rotates) the token at the moment it sends. The mail port
//! stays in the host; these handlers are injected into the worker.

use std::sync::Arc;

use async_trait::async_trait;
use certwatch_core::ids::{InvitationId, TenantId, UserId};
use certwatch_core::jobs::{Job, JobContext, JobError, JobHandler, JobSpec};
use certwatch_core::CertWatch;
use serde_json::json;

use crate::mail::{Email, Mailer};

/// Job kind: send a verification e-mail to `{"user_id"}` (system job).
pub const SEND_VERIFICATION_EMAIL: &str = "send_verification_email";
/// Job kind: send the invitation `{"invitation_id"}` (tenant job).
pub const SEND_INVITATION_EMAIL: &str = "send_invitation_email";
/// Attempts of an e-mail job.
pub const MAIL_ATTEMPTS: u32 = 3;

/// Enqueues the verification e-mail of `user`.
pub async fn enqueue_verification(core: &CertWatch, user: UserId, request_id: Option<String>) -> bool {
    let spec = JobSpec::new(SEND_VERIFICATION_EMAIL, None, json!({"user_id": user}))
        .with_max_attempts(MAIL_ATTEMPTS)
        .with_request_id(request_id);
    log_enqueue(core.jobs().enqueue(spec).await)
}

/// Enqueues the e-mail of invitation `id` of `tenant`.
pub async fn enqueue_invitation(
    core: &CertWatch,
    tenant: TenantId,
    id: InvitationId,
    request_id: Option<String>,
) -> bool {
    let spec = JobSpec::new(SEND_INVITATION_EMAIL, Some(tenant), json!({"invitation_id": id}))
        .with_max_attempts(MAIL_ATTEMPTS)
        .with_request_id(request_id);
    log_enqueue(core.jobs().enqueue(spec).await)
}

fn log_enqueue(r: certwatch_core::Result<bool>) -> bool {
    match r {
        Ok(_) => true,
        Err(e) => {
            tracing::error!(error = %certwatch_core::audit::redact_text(&e.to_string()), "e-mail job not enqueued");
            false
        }
    }
}

/// What the e-mail jobs need from the host.
#[derive(Clone)]
pub struct MailContext {
    /// Where e-mails go.
    pub mailer: Arc<dyn Mailer>,
    /// Base of the links in e-mails.
    pub public_url: String,
}

impl MailContext {
    fn link(&self, path: &str, token: &str) -> String {
        format!("{}{path}?token={token}", self.public_url.trim_end_matches('/'))
    }

    async fn send(&self, email: Email) -> Result<(), JobError> {
        self.mailer
            .send(email)
            .await
            .map_err(|e| JobError::Retry(certwatch_core::audit::redact_text(&format!("e-mail not sent: {e}"))))
    }

    /// The handlers of both e-mail kinds, for the worker.
    pub fn handlers(&self) -> Vec<(&'static str, Arc<dyn JobHandler>)> {
        vec![
            (SEND_VERIFICATION_EMAIL, Arc::new(VerificationMail(self.clone()))),
            (SEND_INVITATION_EMAIL, Arc::new(InvitationMail(self.clone()))),
        ]
    }
}

fn id_from<T: serde::de::DeserializeOwned>(job: &Job, field: &str) -> Result<T, JobError> {
    job.payload
        .get(field)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .ok_or_else(|| JobError::Permanent(format!("{} job without {field}", job.kind)))
}

/// Sends the verification e-mail with a fresh token.
struct VerificationMail(MailContext);

#[async_trait]
impl JobHandler for VerificationMail {
    async fn run(&self, ctx: &JobContext, job: &Job) -> Result<(), JobError> {
        let user: UserId = id_from(job, "user_id")?;
        let Some((user, token)) = ctx.app.tenancy().issue_verification_for(user).await? else {
            tracing::info!("user gone or verified; no verification e-mail");
            return Ok(());
        };
        let hello = user.full_name.as_deref().unwrap_or("there");
        self.0
            .send(Email {
                to: user.email.to_string(),
                subject: "Verify your e-mail address for CertWatch".into(),
                body: format!(
                    "Hello {hello},\n\nplease confirm your e-mail address by opening this link within 24 hours:\n\n\
                     {}\n\nIf you did not register with CertWatch, ignore this message.\n",
                    self.0.link("/api/auth/verify-email", token.expose())
                ),
            })
            .await
    }
}

/// Sends the invitation e-mail with a fresh token.
struct InvitationMail(MailContext);

#[async_trait]
impl JobHandler for InvitationMail {
    async fn run(&self, ctx: &JobContext, job: &Job) -> Result<(), JobError> {
        let tenant = job.tenant_id.ok_or_else(|| JobError::Permanent("invitation job without tenant".into()))?;
        let id: InvitationId = id_from(job, "invitation_id")?;
        let Some((inv, t, token)) = ctx.app.tenancy().reissue_invitation(tenant, id).await? else {
            tracing::info!("invitation no longer pending; no e-mail");
            return Ok(());
        };
        self.0
            .send(Email {
                to: inv.email.to_string(),
                subject: format!("You are invited to {} on CertWatch", t.name),
                body: format!(
                    "Hello,\n\nyou are invited to join {} on CertWatch as {}.\n\nAccept the invitation within 7 days \
                     with this link:\n\n{}\n",
                    t.name,
                    inv.role.as_str(),
                    self.0.link("/api/auth/invitations/accept", token.expose())
                ),
            })
            .await
    }
}

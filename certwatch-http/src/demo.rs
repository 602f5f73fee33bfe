//! The demo tenant: a verified admin (also an operator), an API token and a
//! handful of suppliers, sites and certificates in every status, so a new
//! user can call the API within a minute. Idempotent: the first run stores
//! the generated password in the data directory; later runs log in with it
//! and print a fresh token.

use std::path::Path;

use certwatch_core::certificates::{CertificateInput, CertificateStatus, Provenance, TransitionRequest};
use certwatch_core::suppliers::{OrganizationInput, SiteInput};
use certwatch_core::tenancy::{LoginRequest, RegistrationRequest};
use certwatch_core::CertWatch;
use chrono::Duration;
use serde::{Deserialize, Serialize};

/// The demo admin's e-mail address.
pub const DEMO_EMAIL: &str = "demo@certwatch.localhost";
const CREDENTIALS_FILE: &str = "demo-credentials.json";

/// What `certwatch demo --json` prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoCredentials {
    /// The demo tenant's slug.
    pub tenant: String,
    /// The admin's e-mail address.
    pub email: String,
    /// The admin's password.
    pub password: String,
    /// A fresh API token (`Authorization: Token <token>`).
    pub token: String,
}

/// Why the demo could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A core service refused.
    #[error(transparent)]
    Core(#[from] certwatch_core::Error),
    /// The credentials file could not be read or written.
    #[error("demo credentials file {path}: {reason}")]
    Credentials {
        /// The file.
        path: String,
        /// What failed.
        reason: String,
    },
}

/// Creates the demo tenant (or logs in to it again) and returns credentials
/// with a new token. `data_dir` keeps the generated password.
pub async fn seed(core: &CertWatch, data_dir: &Path) -> Result<DemoCredentials, DemoError> {
    let file = data_dir.join(CREDENTIALS_FILE);
    let cred_err = |reason: String| DemoError::Credentials { path: file.display().to_string(), reason };
    let t = core.tenancy();
    let password = match std::fs::read(&file) {
        Ok(bytes) => {
            let saved: DemoCredentials = serde_json::from_slice(&bytes).map_err(|e| cred_err(e.to_string()))?;
            saved.password
        }
        Err(_) => {
            let password =
                certwatch_core::tenancy::secrets::generate_secret("demo-").expose().chars().take(21).collect();
            let reg = t
                .register(
                    RegistrationRequest {
                        email: DEMO_EMAIL.into(),
                        password: String::clone(&password),
                        full_name: Some("Demo Admin".into()),
                        tenant_name: "Demo Buyer GmbH".into(),
                    },
                    Some("demo"),
                )
                .await?;
            t.verify_email(reg.verification_token.expose(), Some("demo")).await?;
            t.set_operator(DEMO_EMAIL, true).await?;
            std::fs::create_dir_all(data_dir).map_err(|e| cred_err(e.to_string()))?;
            let stub = DemoCredentials {
                tenant: reg.tenant.slug.clone(),
                email: DEMO_EMAIL.into(),
                password: String::clone(&password),
                token: String::new(),
            };
            write_private(&file, &serde_json::to_vec_pretty(&stub).map_err(|e| cred_err(e.to_string()))?)
                .map_err(|e| cred_err(e.to_string()))?;
            let login = t
                .login(
                    LoginRequest { email: DEMO_EMAIL.into(), password: String::clone(&password), tenant_slug: None },
                    None,
                )
                .await?;
            let p = t.authenticate(login.issued.secret.expose()).await?;
            populate(core, &p).await?;
            password
        }
    };
    let login = t
        .login(
            LoginRequest { email: DEMO_EMAIL.into(), password: String::clone(&password), tenant_slug: None },
            Some("demo"),
        )
        .await?;
    Ok(DemoCredentials {
        tenant: login.tenant.slug,
        email: DEMO_EMAIL.into(),
        password,
        token: login.issued.secret.expose().to_owned(),
    })
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

async fn populate(core: &CertWatch, p: &certwatch_core::authz::Principal) -> Result<(), certwatch_core::Error> {
    let today = core.clock().today();
    let s = core.suppliers();
    let c = core.certificates();
    let steel = s
        .create_organization(
            p,
            OrganizationInput {
                external_id: Some("SUP-1001".into()),
                name: "Nordstahl Umformtechnik GmbH".into(),
                website: Some("https://nordstahl.example".into()),
                lei: Some("506700GE1G29325QX363".into()),
                vat: Some("DE129273398".into()),
                country: Some("DE".into()),
            },
        )
        .await?;
    let plastics = s
        .create_organization(
            p,
            OrganizationInput {
                external_id: Some("SUP-1002".into()),
                name: "Polymer Parts Lyon SAS".into(),
                website: Some("https://polymer-parts.example".into()),
                country: Some("FR".into()),
                ..Default::default()
            },
        )
        .await?;
    let chips = s
        .create_organization(
            p,
            OrganizationInput {
                external_id: Some("SUP-1003".into()),
                name: "Silicon Valley Sensors Inc.".into(),
                country: Some("US".into()),
                ..Default::default()
            },
        )
        .await?;
    let plant = s
        .create_site(
            p,
            steel.id,
            SiteInput { name: "Werk Bremen".into(), address: Some("Hafenstraße 1, Bremen".into()) },
        )
        .await?;
    s.create_site(p, steel.id, SiteInput { name: "Werk Linz".into(), address: Some("Industriezeile 5, Linz".into()) })
        .await?;
    s.create_site(p, plastics.id, SiteInput { name: "Usine Lyon".into(), address: None }).await?;
    let cert = |org, ty: &str, number: &str, status, expiry_days: i64| CertificateInput {
        organization_id: org,
        certificate_type: ty.into(),
        certificate_number: Some(number.into()),
        issuing_body: Some("TÜV NORD CERT GmbH".into()),
        scope: Some("Design and manufacture of formed steel components".into()),
        issue_date: Some(today - Duration::days(700)),
        expiry_date: Some(today + Duration::days(expiry_days)),
        status: Some(status),
        ..Default::default()
    };
    let mut iso = cert(steel.id, "ISO_9001", "44 100 2134001", CertificateStatus::Active, 400);
    iso.site_ids = vec![plant.id];
    iso.provenance = Some(Provenance::WebScrape);
    iso.source_url = Some("https://nordstahl.example/qualitaet/zertifikate.html".into());
    c.create_certificate(p, iso).await?;
    c.create_certificate(p, cert(steel.id, "IATF_16949", "44 111 2134002", CertificateStatus::Active, 12)).await?;
    c.create_certificate(p, cert(steel.id, "ISO_14001", "44 104 2134003", CertificateStatus::Pending, 900)).await?;
    c.create_certificate(p, cert(plastics.id, "ISO_9001", "FR-QMS-77812", CertificateStatus::Expired, -20)).await?;
    c.create_certificate(p, cert(plastics.id, "ISO_45001", "FR-OHS-77813", CertificateStatus::Revoked, 300)).await?;
    let suspended =
        c.create_certificate(p, cert(chips.id, "ISO_27001", "US-ISMS-5521", CertificateStatus::Active, 250)).await?;
    c.transition(
        p,
        suspended.id,
        TransitionRequest {
            to: CertificateStatus::Suspended,
            expiry_date: None,
            reason: Some("surveillance audit overdue".into()),
        },
    )
    .await?;
    Ok(())
}

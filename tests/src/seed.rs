//! Seeding of large tenants for benchmarks: organizations straight through
//! the store port (one transaction), certificates through the certificate
//! service in bulk.

use std::time::Instant;

use certwatch_core::authz::Principal;
use certwatch_core::certificates::{CertificateInput, CertificateStatus, Provenance};
use certwatch_core::ids::OrganizationId;
use certwatch_core::ports::Scope;
use certwatch_core::suppliers::Organization;
use certwatch_core::tenancy::{LoginRequest, RegistrationRequest};
use certwatch_core::CertWatch;
use chrono::Duration;
use uuid::Uuid;

/// Registers, verifies and logs in the admin of a new tenant; returns the
/// principal and its API token.
pub async fn admin_of(app: &CertWatch, email: &str) -> (Principal, String) {
    let t = app.tenancy();
    let reg = t
        .register(
            RegistrationRequest {
                email: email.into(),
                password: "bench password".into(),
                full_name: None,
                tenant_name: email.into(),
            },
            None,
        )
        .await
        .expect("register");
    t.verify_email(reg.verification_token.expose(), None).await.expect("verify");
    let login = t
        .login(LoginRequest { email: email.into(), password: "bench password".into(), tenant_slug: None }, None)
        .await
        .expect("login");
    let secret = login.issued.secret.expose().to_owned();
    (t.authenticate(&secret).await.expect("auth"), secret)
}

const STATUSES: [CertificateStatus; 5] = [
    CertificateStatus::Active,
    CertificateStatus::Active,
    CertificateStatus::Expired,
    CertificateStatus::Pending,
    CertificateStatus::Revoked,
];
/// Certificate types the seed cycles through.
pub const CERT_TYPES: [&str; 6] = ["ISO_9001", "ISO_14001", "IATF_16949", "TISAX", "ISO_27001", "ISO_45001"];

fn input(org: OrganizationId, i: usize) -> CertificateInput {
    CertificateInput {
        organization_id: org,
        certificate_type: CERT_TYPES[i % CERT_TYPES.len()].into(),
        certificate_number: Some(format!("CERT-{i:08}")),
        issuing_body: Some("DEKRA Certification GmbH".into()),
        scope: Some("Design and manufacture of precision components".into()),
        status: Some(STATUSES[i % STATUSES.len()]),
        provenance: Some(Provenance::Manual),
        ..Default::default()
    }
}

/// Seeds one tenant with `orgs` organizations of `per_org` certificates each
/// (a mix of statuses and expiry dates around today), the certificates
/// through the certificate service in batches of 10,000; returns the admin,
/// its token, the organization ids and the service's insert rate in rows/s.
pub async fn seed_tenant(app: &CertWatch, email: &str, orgs: usize, per_org: usize) -> SeededTenant {
    let (p, token) = admin_of(app, email).await;
    let now = app.clock().now();
    let today = app.clock().today();
    let store = app.store();
    let mut ids = Vec::with_capacity(orgs);
    let mut tx = store.begin(Scope::Tenant(p.tenant_id)).await.expect("tx");
    for i in 0..orgs {
        let o = Organization {
            id: OrganizationId(Uuid::now_v7()),
            tenant_id: p.tenant_id,
            external_id: Some(format!("SUP-{i:06}")),
            name: format!("Supplier {:05} {}", (i * 7919) % orgs, ["GmbH", "AG", "Ltd", "S.A.", "Inc."][i % 5]),
            website: None,
            lei: None,
            vat: None,
            country: None,
            created_at: now,
            updated_at: now,
        };
        tx.insert_organization(&o).await.expect("insert org");
        ids.push(o.id);
    }
    tx.commit().await.expect("commit");
    // Certificates through the certificate service, in batches of 10,000.
    let batch = 10_000usize;
    let total = orgs * per_org;
    let started = Instant::now();
    let mut i = 0;
    while i < total {
        let inputs: Vec<CertificateInput> = (i..(i + batch).min(total))
            .map(|k| {
                let mut c = input(ids[k / per_org], k);
                let expiry = today + Duration::days((k as i64 * 37) % 800 - 200);
                c.issue_date = Some(expiry - Duration::days(1095));
                c.expiry_date = Some(expiry);
                c
            })
            .collect();
        i += inputs.len();
        app.certificates().create_certificates(&p, inputs).await.expect("bulk create");
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    SeededTenant { principal: p, token, organizations: ids, certificates_per_second: rate }
}

/// A seeded tenant.
pub struct SeededTenant {
    /// Its admin.
    pub principal: Principal,
    /// The admin's API token.
    pub token: String,
    /// Its organizations.
    pub organizations: Vec<OrganizationId>,
    /// How fast the certificate service inserted its certificates.
    pub certificates_per_second: f64,
}

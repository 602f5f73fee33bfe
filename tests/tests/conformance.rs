//! The store conformance story: one lifecycle, run unchanged against SQLite
//! and Postgres (each on a fresh database), through the core services —
//! register → verify → token → organizations with sites → certificates
//! through every allowed and refused transition → counts → outbox events →
//! audit rows → a second tenant that sees none of the first tenant's data
//! through any service or repository call.

use certwatch_core::authz::Principal;
use certwatch_core::certificates::{
    CertificateInput, CertificatePatch, CertificateQuery, CertificateStatus, PublicSearch, TransitionError,
    TransitionRequest,
};
use certwatch_core::ids::{CertificateId, OrganizationId};
use certwatch_core::pagination::PageRequest;
use certwatch_core::ports::Scope;
use certwatch_core::suppliers::{
    CertificateCounts, OrganizationInput, OrganizationOrder, OrganizationPatch, OrganizationQuery, SiteInput, SitePatch,
};
use certwatch_core::tenancy::{AcceptInvitation, AuthError, LoginRequest, RegistrationRequest, Role, TokenRequest};
use certwatch_core::{CertWatch, Error};
use certwatch_tests::{core_with_clock, Backend, TestDb};
use chrono::{Duration, NaiveDate};
use CertificateStatus::*;

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn conformance_story_sqlite() {
    story(TestDb::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn conformance_story_postgres() {
    story(TestDb::new(Backend::Postgres).await).await;
}

/// Registers, verifies and logs in a new admin of a new tenant.
async fn onboard(app: &CertWatch, email: &str, tenant: &str) -> (Principal, String) {
    let t = app.tenancy();
    let reg = t
        .register(
            RegistrationRequest {
                email: email.into(),
                password: PASSWORD.into(),
                full_name: Some("Ada Admin".into()),
                tenant_name: tenant.into(),
            },
            Some("req-register"),
        )
        .await
        .expect("register");
    assert!(!reg.user.is_active, "inactive until verified");
    let login = LoginRequest { email: email.into(), password: PASSWORD.into(), tenant_slug: None };
    assert!(matches!(t.login(login.clone(), None).await, Err(Error::Auth(AuthError::EmailNotVerified))));
    let user = t.verify_email(reg.verification_token.expose(), None).await.expect("verify");
    assert!(user.is_active && user.email_verified_at.is_some());
    assert!(matches!(
        t.verify_email(reg.verification_token.expose(), None).await,
        Err(Error::Auth(AuthError::VerificationUsed))
    ));
    let res = t.login(login, None).await.expect("login");
    assert_eq!(res.tenant.id, reg.tenant.id);
    assert_eq!(res.role, Role::Admin);
    let secret = res.issued.secret.expose().to_owned();
    let p = t.authenticate(&secret).await.expect("authenticate");
    assert_eq!((p.user_id, p.tenant_id, p.role), (reg.user.id, reg.tenant.id, Role::Admin));
    (p, secret)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn cert(org: OrganizationId, ty: &str, status: CertificateStatus, expiry: Option<NaiveDate>) -> CertificateInput {
    CertificateInput {
        organization_id: org,
        certificate_type: ty.into(),
        certificate_number: Some(format!("N-{ty}-{}", uuid::Uuid::new_v4().simple())),
        issuing_body: Some("TÜV SÜD".into()),
        issue_date: Some(day(2025, 1, 1)),
        expiry_date: expiry,
        status: Some(status),
        ..Default::default()
    }
}

fn to(status: CertificateStatus) -> TransitionRequest {
    TransitionRequest { to: status, expiry_date: None, reason: Some("story".into()) }
}

async fn counts(app: &CertWatch, p: &Principal, org: OrganizationId) -> CertificateCounts {
    app.suppliers().get_organization(p, org).await.expect("org detail").counts
}

async fn story(db: TestDb) {
    let (app, clock) = core_with_clock(db.store.clone());
    let today = app.clock().today(); // 2026-03-01
    let t = app.tenancy();

    // --- tenancy ---------------------------------------------------------
    let (admin, admin_secret) = onboard(&app, "Ada@Example.com", "Acme Procurement GmbH").await;
    let tenant = t.tenant(&admin).await.expect("tenant");
    assert_eq!(tenant.slug, "acme-procurement-gmbh");
    let dup = t
        .register(
            RegistrationRequest {
                email: "ada@example.COM".into(),
                password: PASSWORD.into(),
                full_name: None,
                tenant_name: "Other".into(),
            },
            None,
        )
        .await;
    assert!(matches!(dup, Err(Error::Conflict { .. })), "e-mail unique case-insensitively: {dup:?}");
    let bad = t
        .register(
            RegistrationRequest {
                email: "nope".into(),
                password: "short".into(),
                full_name: None,
                tenant_name: " ".into(),
            },
            None,
        )
        .await;
    match bad {
        Err(Error::Validation(v)) => {
            let fields: Vec<_> = v.violations.iter().map(|v| v.field.as_str()).collect();
            assert_eq!(fields, ["email", "tenant_name", "password"]);
        }
        other => panic!("expected validation errors, got {other:?}"),
    }
    assert!(matches!(
        t.login(
            LoginRequest { email: "ada@example.com".into(), password: "wrong password".into(), tenant_slug: None },
            None
        )
        .await,
        Err(Error::Auth(AuthError::InvalidCredentials))
    ));
    assert!(matches!(
        t.login(LoginRequest { email: "ghost@example.com".into(), password: PASSWORD.into(), tenant_slug: None }, None)
            .await,
        Err(Error::Auth(AuthError::InvalidCredentials))
    ));
    assert!(matches!(t.authenticate("cw_unknown").await, Err(Error::Auth(AuthError::UnknownToken))));

    // Tokens: named, expiring, revoked.
    let named = t
        .create_token(
            &admin,
            TokenRequest { name: Some("ci".into()), expires_at: Some(clock.now_plus(Duration::hours(1))) },
        )
        .await
        .expect("token");
    assert!(named.secret.expose().starts_with("cw_"));
    assert_ne!(named.token.token_hash.as_str(), named.secret.expose(), "stored hashed");
    assert!(t.authenticate(named.secret.expose()).await.is_ok());
    clock.advance(Duration::hours(2));
    assert!(matches!(t.authenticate(named.secret.expose()).await, Err(Error::Auth(AuthError::ExpiredToken))));
    clock.set(certwatch_tests::t0());
    let short = t.create_token(&admin, TokenRequest::default()).await.expect("token");
    t.revoke_token(&admin, short.token.id).await.expect("revoke");
    assert!(matches!(t.authenticate(short.secret.expose()).await, Err(Error::Auth(AuthError::RevokedToken))));
    let mine = t.list_tokens(&admin).await.expect("list tokens");
    assert_eq!(mine.len(), 3, "login + named + revoked");
    assert!(mine.iter().any(|k| k.revoked_at.is_some()));

    // Invitations: a new user and an existing one; members can't invite.
    let inv = t.invite(&admin, "bob@example.com", Role::Member).await.expect("invite");
    let (bob_user, bob_m) = t
        .accept_invitation(
            AcceptInvitation { token: inv.token.expose().into(), password: Some(PASSWORD.into()), full_name: None },
            None,
        )
        .await
        .expect("accept");
    assert_eq!(bob_m.role, Role::Member);
    assert!(bob_user.is_active, "the invitation proves the mailbox");
    assert!(matches!(
        t.accept_invitation(AcceptInvitation { token: inv.token.expose().into(), ..Default::default() }, None).await,
        Err(Error::Auth(AuthError::InvitationNotPending))
    ));
    let bob_login = t
        .login(
            LoginRequest {
                email: "bob@example.com".into(),
                password: PASSWORD.into(),
                tenant_slug: Some(tenant.slug.clone()),
            },
            None,
        )
        .await
        .expect("bob logs in");
    let bob = t.authenticate(bob_login.issued.secret.expose()).await.expect("bob principal");
    assert!(matches!(t.invite(&bob, "eve@example.com", Role::Admin).await, Err(Error::Forbidden { .. })));
    let late = t.invite(&admin, "late@example.com", Role::Member).await.expect("invite");
    clock.advance(Duration::days(8));
    assert!(matches!(
        t.accept_invitation(
            AcceptInvitation { token: late.token.expose().into(), password: Some(PASSWORD.into()), full_name: None },
            None
        )
        .await,
        Err(Error::Auth(AuthError::InvitationExpired))
    ));
    clock.set(certwatch_tests::t0());
    let revoked = t.invite(&admin, "gone@example.com", Role::Member).await.expect("invite");
    t.revoke_invitation(&admin, revoked.invitation.id).await.expect("revoke invitation");
    let invs = t.list_invitations(&admin).await.expect("list invitations");
    assert_eq!(invs.len(), 3);

    // Members and the last-admin rule.
    assert!(matches!(t.change_role(&admin, admin.user_id, Role::Member).await, Err(Error::LastAdmin)));
    assert!(matches!(t.remove_member(&admin, admin.user_id).await, Err(Error::LastAdmin)));
    assert!(matches!(t.change_role(&bob, admin.user_id, Role::Member).await, Err(Error::Forbidden { .. })));
    t.change_role(&admin, bob.user_id, Role::Admin).await.expect("promote bob");
    let bob = t.authenticate(bob_login.issued.secret.expose()).await.expect("bob is admin now");
    assert_eq!(bob.role, Role::Admin);
    t.change_role(&admin, admin.user_id, Role::Member).await.expect("demote self, bob is admin now");
    t.change_role(&bob, admin.user_id, Role::Admin).await.expect("restore");
    let members = t.list_members(&admin).await.expect("members");
    assert_eq!(members.len(), 2);
    let admin = t.authenticate(&admin_secret).await.expect("re-authenticate after role changes");

    // --- suppliers -------------------------------------------------------
    let s = app.suppliers();
    let acme = s
        .create_organization(
            &admin,
            OrganizationInput {
                external_id: Some("SUP-001".into()),
                name: "Zeta Stahlbau GmbH".into(),
                website: Some("https://zeta.example".into()),
                lei: Some("506700GE1G29325QX363".into()),
                vat: Some("DE 123 456 789".into()),
                country: Some("de".into()),
            },
        )
        .await
        .expect("create org");
    assert_eq!(acme.vat.as_ref().map(|v| v.as_str()), Some("DE123456789"));
    assert_eq!(acme.country.map(|c| c.to_string()).as_deref(), Some("DE"));
    let dup = s
        .create_organization(
            &admin,
            OrganizationInput { external_id: Some("SUP-001".into()), name: "Dup".into(), ..Default::default() },
        )
        .await;
    assert!(matches!(dup, Err(Error::Conflict { .. })), "duplicate external_id: {dup:?}");
    let invalid = s
        .create_organization(
            &admin,
            OrganizationInput {
                name: "Bad".into(),
                website: Some("ftp://x".into()),
                lei: Some("506700GE1G29325QX364".into()),
                country: Some("XX".into()),
                ..Default::default()
            },
        )
        .await;
    match invalid {
        Err(Error::Validation(v)) => {
            let fields: Vec<_> = v.violations.iter().map(|v| v.field.as_str()).collect();
            assert_eq!(fields, ["website", "lei", "country"]);
        }
        other => panic!("expected validation errors, got {other:?}"),
    }
    let beta = s
        .create_organization(
            &admin,
            OrganizationInput { name: "Alpha Plastics".into(), country: Some("FR".into()), ..Default::default() },
        )
        .await
        .expect("org");
    let gamma = s
        .create_organization(&bob, OrganizationInput { name: "Mid Components".into(), ..Default::default() })
        .await
        .expect("member may write");
    let acme = s
        .update_organization(
            &admin,
            acme.id,
            OrganizationPatch { name: Some("Acme Stahlbau GmbH".into()), ..Default::default() },
        )
        .await
        .expect("update");
    assert_eq!(acme.external_id.as_deref(), Some("SUP-001"), "untouched fields stay");
    let plant = s
        .create_site(&admin, acme.id, SiteInput { name: "Plant Ulm".into(), address: Some("Ulm".into()) })
        .await
        .expect("site");
    let hq = s.create_site(&admin, acme.id, SiteInput { name: "HQ".into(), address: None }).await.expect("site");
    let other_site =
        s.create_site(&admin, beta.id, SiteInput { name: "Lyon".into(), address: None }).await.expect("site");
    s.update_site(
        &admin,
        acme.id,
        hq.id,
        SitePatch { name: Some("Headquarters".into()), address: Some(Some("Stuttgart".into())) },
    )
    .await
    .expect("update site");
    assert!(matches!(s.get_site(&admin, beta.id, hq.id).await, Err(Error::NotFound { .. })), "site of another org");
    let detail = s.get_organization(&admin, acme.id).await.expect("detail");
    assert_eq!(detail.sites.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), ["Headquarters", "Plant Ulm"]);

    // --- certificates ----------------------------------------------------
    let c = app.certificates();
    assert_eq!(c.list_types().await.expect("types").len(), 30);
    let soon = today + Duration::days(10);
    let later = today + Duration::days(200);
    let mut with_sites = cert(acme.id, "ISO_9001", Active, Some(soon));
    with_sites.site_ids = vec![plant.id, hq.id];
    let iso9001 = c.create_certificate(&admin, with_sites).await.expect("create");
    assert_eq!(iso9001.site_ids.len(), 2);
    let pending = c.create_certificate(&admin, cert(acme.id, "ISO_14001", Pending, Some(later))).await.expect("create");
    let tisax = c.create_certificate(&admin, cert(acme.id, "TISAX", Active, Some(later))).await.expect("create");
    let expired = c
        .create_certificate(&admin, cert(acme.id, "IATF_16949", Expired, Some(today - Duration::days(3))))
        .await
        .expect("create");
    assert_eq!(pending.status, Pending);
    assert_eq!(counts(&app, &admin, acme.id).await, CertificateCounts { active: 2, expiring: 1, expired: 1 });

    // Refused creations leave nothing behind.
    let mut bad_dates = cert(acme.id, "ISO_9001", Active, Some(day(2024, 1, 1)));
    bad_dates.issue_date = Some(day(2025, 1, 1));
    assert!(matches!(c.create_certificate(&admin, bad_dates).await, Err(Error::Validation(_))));
    assert!(matches!(
        c.create_certificate(&admin, cert(acme.id, "NOPE", Active, None)).await,
        Err(Error::Validation(_))
    ));
    let mut foreign_site = cert(acme.id, "ISO_9001", Active, None);
    foreign_site.site_ids = vec![other_site.id];
    assert!(matches!(c.create_certificate(&admin, foreign_site).await, Err(Error::Validation(_))));
    let batch = vec![cert(beta.id, "FSC", Active, Some(later)), cert(beta.id, "NOPE", Active, None)];
    match c.create_certificates(&admin, batch).await {
        Err(Error::Validation(v)) => assert_eq!(v.violations[0].field, "items[1].certificate_type"),
        other => panic!("expected a validation error, got {other:?}"),
    }
    let missing_org = cert(OrganizationId(uuid::Uuid::new_v4()), "FSC", Active, None);
    assert!(matches!(c.create_certificate(&admin, missing_org).await, Err(Error::NotFound { .. })));
    let mut ext = cert(beta.id, "FSC", Active, Some(later));
    ext.external_id = Some("C-1".into());
    c.create_certificate(&admin, ext.clone()).await.expect("external id");
    assert!(matches!(c.create_certificate(&admin, ext).await, Err(Error::Conflict { .. })));
    assert_eq!(
        c.list_certificates(&admin, &CertificateQuery { organization_id: Some(beta.id), ..Default::default() })
            .await
            .expect("list")
            .total,
        1
    );

    // Every allowed transition, and the refused ones.
    let tr = |id: CertificateId, s: CertificateStatus| {
        let c = app.certificates();
        let admin = admin.clone();
        async move { c.transition(&admin, id, to(s)).await }
    };
    assert!(matches!(tr(pending.id, Suspended).await, Err(Error::Transition(TransitionError::NotAllowed { .. }))));
    tr(pending.id, Active).await.expect("PENDING -> ACTIVE");
    tr(pending.id, Suspended).await.expect("ACTIVE -> SUSPENDED");
    tr(pending.id, Active).await.expect("SUSPENDED -> ACTIVE");
    tr(pending.id, Suspended).await.expect("ACTIVE -> SUSPENDED");
    tr(pending.id, Expired).await.expect("SUSPENDED -> EXPIRED");
    match tr(pending.id, Active).await {
        Err(Error::Transition(TransitionError::NeedsFutureExpiry { allowed, .. })) => assert_eq!(allowed, [Active]),
        // Its expiry date is in the future, so re-activation is allowed.
        Ok(c) => assert_eq!(c.status, Active),
        Err(e) => panic!("unexpected {e}"),
    }
    // EXPIRED -> ACTIVE with a past expiry is refused; with a new future date allowed.
    match tr(expired.id, Active).await {
        Err(Error::Transition(TransitionError::NeedsFutureExpiry { .. })) => {}
        other => panic!("expected NeedsFutureExpiry, got {other:?}"),
    }
    let renewed = c
        .transition(&admin, expired.id, TransitionRequest { to: Active, expiry_date: Some(later), reason: None })
        .await
        .expect("re-certification");
    assert_eq!((renewed.status, renewed.expiry_date), (Active, Some(later)));
    tr(expired.id, Expired).await.expect("ACTIVE -> EXPIRED");
    tr(expired.id, Active).await.expect("EXPIRED -> ACTIVE (future expiry now)");
    let revoke_me = c.create_certificate(&admin, cert(acme.id, "ISO_27001", Pending, None)).await.expect("create");
    tr(revoke_me.id, Revoked).await.expect("PENDING -> REVOKED");
    for s in CertificateStatus::ALL {
        assert!(matches!(tr(revoke_me.id, s).await, Err(Error::Transition(_))), "REVOKED is terminal ({s})");
    }
    let p2 = c.create_certificate(&admin, cert(acme.id, "ISO_45001", Pending, None)).await.expect("create");
    tr(p2.id, Expired).await.expect("PENDING -> EXPIRED");
    tr(tisax.id, Revoked).await.expect("ACTIVE -> REVOKED");
    let s2 = c.create_certificate(&admin, cert(acme.id, "ISO_50001", Active, Some(later))).await.expect("create");
    tr(s2.id, Suspended).await.expect("ACTIVE -> SUSPENDED");
    tr(s2.id, Revoked).await.expect("SUSPENDED -> REVOKED");
    let after_ops = c.get_certificate(&admin, pending.id).await.expect("get");
    // acme: iso9001 ACTIVE (expiring), pending ACTIVE, tisax REVOKED, expired ACTIVE,
    // revoke_me REVOKED, p2 EXPIRED, s2 REVOKED.
    assert_eq!(after_ops.status, Active);
    assert_eq!(counts(&app, &admin, acme.id).await, CertificateCounts { active: 3, expiring: 1, expired: 1 });

    // Updates: watched fields produce events, others don't; expiry change counts.
    let upd = c
        .update_certificate(
            &admin,
            iso9001.id,
            CertificatePatch { certificate_number: Some(Some("NEW-NUMBER".into())), ..Default::default() },
        )
        .await
        .expect("update");
    assert_eq!(upd.certificate_number.as_deref(), Some("NEW-NUMBER"));
    c.update_certificate(
        &admin,
        iso9001.id,
        CertificatePatch { expiry_date: Some(Some(later)), scope: Some(Some("Steel".into())), ..Default::default() },
    )
    .await
    .expect("update watched");
    assert!(matches!(
        c.update_certificate(
            &admin,
            iso9001.id,
            CertificatePatch { expiry_date: Some(Some(day(2020, 1, 1))), ..Default::default() }
        )
        .await,
        Err(Error::Validation(_))
    ));
    assert_eq!(counts(&app, &admin, acme.id).await, CertificateCounts { active: 3, expiring: 0, expired: 1 });

    // Counts follow the calendar: 195 days on, the three ACTIVE ones expiring
    // at `later` enter the 30-day window without any write.
    clock.advance(Duration::days(195));
    let list = s
        .list_organizations(&admin, &OrganizationQuery { has_expiring: Some(true), ..Default::default() })
        .await
        .expect("list");
    assert_eq!(list.total, 2, "acme and beta (its FSC expires at `later` too)");
    assert_eq!(list.items[0].organization.id, acme.id);
    assert_eq!(list.items[0].counts, CertificateCounts { active: 3, expiring: 3, expired: 1 });
    assert_eq!(s.refresh_expiring_counts(&admin).await.expect("refresh"), 3, "every org was stale");
    assert_eq!(counts(&app, &admin, acme.id).await.expiring, 3);
    clock.set(certwatch_tests::t0());

    // Listing: order, filters, pagination.
    let all = s.list_organizations(&admin, &OrganizationQuery::default()).await.expect("list");
    assert_eq!(
        all.items.iter().map(|o| o.organization.name.as_str()).collect::<Vec<_>>(),
        ["Acme Stahlbau GmbH", "Alpha Plastics", "Mid Components"]
    );
    let q = OrganizationQuery {
        order: OrganizationOrder::NameDesc,
        page: PageRequest::new(2, 2).expect("page"),
        ..Default::default()
    };
    let page2 = s.list_organizations(&admin, &q).await.expect("page 2");
    assert_eq!((page2.total, page2.items.len()), (3, 1));
    assert_eq!(page2.items[0].organization.id, acme.id);
    let past_end = OrganizationQuery { page: PageRequest::new(9, 2).expect("page"), ..Default::default() };
    let empty = s.list_organizations(&admin, &past_end).await.expect("page past the end");
    assert_eq!((empty.total, empty.items.len()), (3, 0), "a page past the end still knows the total");
    let fr_code = certwatch_core::suppliers::CountryCode::parse("FR").expect("FR");
    let fr = s
        .list_organizations(&admin, &OrganizationQuery { country: Some(fr_code), ..Default::default() })
        .await
        .expect("list");
    assert_eq!(fr.items.len(), 1);
    let search = s
        .list_organizations(&admin, &OrganizationQuery { search: Some("STAHL".into()), ..Default::default() })
        .await
        .expect("search");
    assert_eq!(search.items.len(), 1);
    let tricky = s
        .list_organizations(&admin, &OrganizationQuery { search: Some("%".into()), ..Default::default() })
        .await
        .expect("search");
    assert_eq!(tricky.total, 0, "LIKE wildcards in input are literal");
    let expired_only = s
        .list_organizations(&admin, &OrganizationQuery { has_expired: Some(true), ..Default::default() })
        .await
        .expect("list");
    assert_eq!(expired_only.items.iter().map(|o| o.organization.id).collect::<Vec<_>>(), [acme.id]);
    let certs = c
        .list_certificates(
            &admin,
            &CertificateQuery { organization_id: Some(acme.id), status: Some(Active), ..Default::default() },
        )
        .await
        .expect("list certs");
    assert_eq!(certs.total, 3);
    let expiring = c
        .list_certificates(&admin, &CertificateQuery { expiring_within_days: Some(365), ..Default::default() })
        .await
        .expect("expiring");
    assert!(expiring.items.iter().all(|x| x.status == Active && x.expiry_date.is_some()));
    let by_body = c
        .list_certificates(&admin, &CertificateQuery { issuing_body: Some("tüv".into()), ..Default::default() })
        .await
        .expect("list");
    assert!(by_body.total >= 8);

    // Deleting.
    s.delete_site(&admin, acme.id, plant.id).await.expect("delete site");
    assert_eq!(c.get_certificate(&admin, iso9001.id).await.expect("get").site_ids, vec![hq.id]);
    c.delete_certificate(&admin, s2.id).await.expect("delete cert");
    assert!(matches!(c.get_certificate(&admin, s2.id).await, Err(Error::NotFound { .. })));
    s.delete_organization(&admin, gamma.id).await.expect("delete org");
    let after_delete = s.list_organizations(&admin, &OrganizationQuery::default()).await.expect("list");
    assert_eq!(after_delete.total, 2, "the maintained organization count follows deletions");
    assert_eq!(after_delete.items.len(), 2);

    // --- outbox and audit --------------------------------------------------
    let mut tx = db.store.begin(Scope::Tenant(admin.tenant_id)).await.expect("tx");
    let events = tx.list_events(admin.tenant_id, None, 1000).await.expect("events");
    let created = events.iter().filter(|e| e.event_type.as_str() == "certificate.created").count();
    assert_eq!(created, 8, "one per created certificate, none for refused ones");
    let updates: Vec<_> = events
        .iter()
        .filter(|e| {
            e.event_type.as_str() == "certificate.updated" && e.payload["certificate"]["id"] == iso9001.id.to_string()
        })
        .collect();
    assert_eq!(updates.len(), 1, "the number change is not a watched field");
    assert_eq!(updates[0].payload["changed_fields"], serde_json::json!(["expiry_date", "scope"]));
    assert_eq!(updates[0].payload["changes"]["expiry_date"]["new"], later.to_string());
    let transitions = events
        .iter()
        .filter(|e| e.payload["changed_fields"].as_array().is_some_and(|f| f.iter().any(|x| x == "status")))
        .count();
    assert_eq!(transitions, 14);
    let audit = tx.list_audit(admin.tenant_id, 1000).await.expect("audit");
    for action in [
        "tenant.register",
        "user.verify_email",
        "auth.login",
        "api_token.create",
        "api_token.revoke",
        "invitation.create",
        "invitation.accept",
        "invitation.revoke",
        "member.change_role",
        "organization.create",
        "organization.update",
        "organization.delete",
        "site.create",
        "site.update",
        "site.delete",
        "certificate.create",
        "certificate.transition",
        "certificate.update",
        "certificate.delete",
    ] {
        assert!(audit.iter().any(|a| a.action == action), "audit has {action}");
    }
    assert!(audit.iter().any(|a| a.request_id.as_deref() == Some("req-register")));
    let dump = serde_json::to_string(&audit).expect("json");
    assert!(!dump.contains(PASSWORD) && !dump.contains(&admin_secret), "no secrets in the ledger");
    drop(tx);

    // --- public verification search and operator status ----------------------
    let mut published = cert(beta.id, "ISO_14001", Active, Some(later));
    published.certificate_number = Some("EMS-2026-0042".into());
    published.provenance = Some(certwatch_core::certificates::Provenance::WebScrape);
    published.source_url = Some("https://alpha.example/quality/certificates.html".into());
    c.create_certificate(&admin, published).await.expect("web-scraped certificate");
    let by_number = c
        .public_search(PublicSearch { certificate_number: Some(" ems-2026-0042 ".into()), ..Default::default() })
        .await
        .expect("search");
    assert_eq!(by_number.len(), 1);
    assert_eq!(by_number[0].holder, "Alpha Plastics");
    assert_eq!(by_number[0].source_url.as_deref(), Some("https://alpha.example/quality/certificates.html"));
    let by_holder =
        c.public_search(PublicSearch { holder: Some("alpha pla".into()), ..Default::default() }).await.expect("search");
    assert_eq!(by_holder.len(), 1, "the manual FSC certificate of the same holder is not public");
    let manual_number = iso9001.certificate_number.clone().expect("number");
    let private = c
        .public_search(PublicSearch { certificate_number: Some(manual_number), ..Default::default() })
        .await
        .expect("search");
    assert!(private.is_empty(), "manually entered certificates are never public");
    assert!(matches!(c.public_search(PublicSearch::default()).await, Err(Error::Validation(_))));
    assert!(matches!(
        c.public_search(PublicSearch { holder: Some("al".into()), ..Default::default() }).await,
        Err(Error::Validation(_))
    ));
    let ops = app.operations();
    assert!(matches!(ops.system_status(&admin).await, Err(Error::Forbidden { .. })), "admins are not operators");
    assert!(t.set_operator("ADA@example.com", true).await.expect("grant").is_operator);
    let operator = t.authenticate(&admin_secret).await.expect("re-authenticate");
    let status = ops.system_status(&operator).await.expect("status");
    assert_eq!((status.tenants, status.users, status.organizations), (1, 2, 2));
    assert_eq!(status.certificates, 8);
    assert_eq!(status.certificates_by_status.get("ACTIVE"), Some(&5));
    assert_eq!(status.outbox_pending, 24, "nothing delivers the outbox yet");

    // --- a second tenant sees nothing of the first -------------------------
    let (other, _) = onboard(&app, "olga@other.example", "Other Buyer AG").await;
    assert_ne!(other.tenant_id, admin.tenant_id);
    let nf = |r: Result<_, Error>| matches!(r, Err(Error::NotFound { .. }));
    assert!(nf(s.get_organization(&other, acme.id).await.map(|_| ())));
    assert!(nf(s.update_organization(&other, acme.id, OrganizationPatch::default()).await.map(|_| ())));
    assert!(nf(s.delete_organization(&other, acme.id).await));
    assert!(nf(s.list_sites(&other, acme.id).await.map(|_| ())));
    assert!(nf(s.get_site(&other, acme.id, hq.id).await.map(|_| ())));
    assert!(nf(s.create_site(&other, acme.id, SiteInput { name: "x".into(), address: None }).await.map(|_| ())));
    assert!(nf(c.get_certificate(&other, iso9001.id).await.map(|_| ())));
    assert!(nf(c.transition(&other, iso9001.id, to(Revoked)).await.map(|_| ())));
    assert!(nf(c.update_certificate(&other, iso9001.id, CertificatePatch::default()).await.map(|_| ())));
    assert!(nf(c.delete_certificate(&other, iso9001.id).await));
    assert!(nf(c.create_certificate(&other, cert(acme.id, "FSC", Active, None)).await.map(|_| ())));
    assert!(nf(t.revoke_token(&other, short.token.id).await.map(|_| ())));
    assert!(nf(t.revoke_invitation(&other, revoked.invitation.id).await.map(|_| ())));
    assert!(nf(t.change_role(&other, bob.user_id, Role::Member).await.map(|_| ())));
    assert!(nf(t.remove_member(&other, bob.user_id).await));
    assert_eq!(s.list_organizations(&other, &OrganizationQuery::default()).await.expect("list").total, 0);
    assert_eq!(c.list_certificates(&other, &CertificateQuery::default()).await.expect("list").total, 0);
    assert_eq!(t.list_members(&other).await.expect("members").len(), 1);
    assert_eq!(t.list_invitations(&other).await.expect("invitations").len(), 0);
    assert_eq!(t.list_all_tokens(&other).await.expect("tokens").len(), 1);
    // Directly through every read of the repositories, in the other tenant's scope.
    let a = admin.tenant_id;
    let mut tx = db.store.begin(Scope::Tenant(other.tenant_id)).await.expect("tx");
    for tenant in [a, other.tenant_id] {
        assert!(tx.get_organization(tenant, acme.id).await.expect("q").is_none(), "org via {tenant}");
        assert!(tx.get_site(tenant, hq.id).await.expect("q").is_none());
        assert!(tx.list_sites(tenant, acme.id).await.expect("q").is_empty());
        assert!(tx.get_certificate(tenant, iso9001.id).await.expect("q").is_none());
        assert!(tx.get_api_token(tenant, short.token.id).await.expect("q").is_none());
        assert!(tx.get_invitation(tenant, revoked.invitation.id).await.expect("q").is_none());
        assert!(tx.get_membership(tenant, bob.user_id).await.expect("q").is_none());
        assert!(!tx.lock_organization(tenant, acme.id).await.expect("q"));
    }
    // Asking for tenant A's rows while scoped to the other tenant: nothing (RLS
    // on Postgres; the explicit filter everywhere).
    let leaked_orgs =
        tx.list_organizations(a, &OrganizationQuery::default(), today).await.map(|p| p.total).unwrap_or(0);
    let leaked_events = tx.list_events(a, None, 100).await.map(|e| e.len()).unwrap_or(0);
    let leaked_audit = tx.list_audit(a, 100).await.map(|e| e.len()).unwrap_or(0);
    let leaked_members = tx.list_members(a).await.map(|e| e.len()).unwrap_or(0);
    if db.backend == Backend::Postgres {
        assert_eq!((leaked_orgs, leaked_events, leaked_audit, leaked_members), (0, 0, 0, 0), "RLS hides tenant A");
    }
    let own_events = tx.list_events(other.tenant_id, None, 100).await.expect("events");
    assert!(own_events.is_empty(), "the other tenant caused no certificate events");
    let own_audit = tx.list_audit(other.tenant_id, 100).await.expect("audit");
    assert!(own_audit.iter().all(|e| e.tenant_id == other.tenant_id) && !own_audit.is_empty());
    drop(tx);
}

/// Helpers on the manual clock used above.
trait ClockExt {
    fn now_plus(&self, d: Duration) -> chrono::DateTime<chrono::Utc>;
}

impl ClockExt for certwatch_core::adapters::ManualClock {
    fn now_plus(&self, d: Duration) -> chrono::DateTime<chrono::Utc> {
        use certwatch_core::ports::Clock;
        self.now() + d
    }
}

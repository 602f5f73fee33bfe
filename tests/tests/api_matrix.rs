//! The permission matrix of the whole API, driven by the OpenAPI document:
//! every (method, path) the server documents is called as an anonymous
//! caller, a member, an admin, and an admin of another tenant, with path
//! parameters filled from fresh objects of the first tenant, and the status
//! must match the table below. A documented route missing from the table
//! fails the test, and so does a table entry for a route that does not
//! exist. Another tenant's objects must answer 404 exactly as missing ones.

use std::collections::BTreeSet;

use certwatch_core::authz::Principal;
use certwatch_core::bulk_upload::NewUpload;
use certwatch_core::certificates::CertificateInput;
use certwatch_core::ids::OrganizationId;
use certwatch_core::suppliers::{OrganizationInput, SiteInput};
use certwatch_core::tenancy::{AcceptInvitation, Role, TokenRequest};
use certwatch_core::webhooks::{SubscriberInput, SubscriptionInput};
use certwatch_tests::http::{Answer, TestServer};
use certwatch_tests::Backend;
use serde_json::{json, Value};

const PW: &str = "matrix password 123";

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Member,
    Admin,
    OtherAdmin,
}

const CALLERS: [Caller; 4] = [Caller::Anonymous, Caller::Member, Caller::Admin, Caller::OtherAdmin];

/// One route and the status each caller gets: `[anonymous, member, admin, other tenant's admin]`.
struct Row {
    method: &'static str,
    path: &'static str,
    query: &'static str,
    body: fn(&Fixture) -> Option<Value>,
    expect: [u16; 4],
}

const fn row(
    method: &'static str,
    path: &'static str,
    query: &'static str,
    body: fn(&Fixture) -> Option<Value>,
    expect: [u16; 4],
) -> Row {
    Row { method, path, query, body, expect }
}

fn none(_: &Fixture) -> Option<Value> {
    None
}

const PUBLIC: [u16; 4] = [200, 200, 200, 200];
const TENANT_READ: [u16; 4] = [401, 200, 200, 200];
const OWN_OBJECT_READ: [u16; 4] = [401, 200, 200, 404];
const ADMIN_OWN_OBJECT: [u16; 4] = [401, 403, 200, 404];

fn table() -> Vec<Row> {
    vec![
        row("GET", "/api/health", "", none, PUBLIC),
        // auth: public
        row(
            "POST",
            "/api/auth/register",
            "",
            |f| Some(json!({"email": f.fresh_email, "password": PW, "tenant_name": "New Co"})),
            [201; 4],
        ),
        row("GET", "/api/auth/verify-email", "token={verification}", none, PUBLIC),
        row("POST", "/api/auth/verify-email", "", |f| Some(json!({"token": f.verification_token})), PUBLIC),
        row("POST", "/api/auth/resend-verification", "", |f| Some(json!({"email": f.fresh_email})), [202; 4]),
        row("POST", "/api/auth/login", "", |f| Some(json!({"email": f.member_email, "password": PW})), PUBLIC),
        row("GET", "/api/auth/invitations/accept", "token={invitation}", none, PUBLIC),
        row(
            "POST",
            "/api/auth/invitations/accept",
            "",
            |f| Some(json!({"token": f.invitation_token, "password": PW})),
            PUBLIC,
        ),
        // auth: any member
        row("POST", "/api/auth/logout", "", none, [401, 204, 204, 204]),
        row("GET", "/api/auth/me", "", none, TENANT_READ),
        row("GET", "/api/auth/tokens", "all=true", none, [401, 403, 200, 200]),
        row("POST", "/api/auth/tokens", "", |_| Some(json!({"name": "matrix"})), [401, 201, 201, 201]),
        row("DELETE", "/api/auth/tokens/{id}", "", none, [401, 404, 204, 404]),
        row("GET", "/api/auth/tenant", "", none, TENANT_READ),
        row("GET", "/api/auth/tenant/members", "", none, TENANT_READ),
        // auth: admins
        row(
            "PATCH",
            "/api/auth/tenant/members/{user_id}",
            "",
            |_| Some(json!({"role": "member"})),
            [401, 403, 200, 404],
        ),
        row("DELETE", "/api/auth/tenant/members/{user_id}", "", none, [401, 403, 204, 404]),
        row(
            "POST",
            "/api/auth/invitations",
            "",
            |f| Some(json!({"email": f.fresh_email, "role": "member"})),
            [401, 403, 201, 201],
        ),
        row("GET", "/api/auth/invitations", "", none, [401, 403, 200, 200]),
        row("DELETE", "/api/auth/invitations/{id}", "", none, [401, 403, 204, 404]),
        // organizations and sites
        row("GET", "/api/organizations", "", none, TENANT_READ),
        row("POST", "/api/organizations", "", |_| Some(json!({"name": "Matrix Org"})), [401, 201, 201, 201]),
        row("GET", "/api/organizations/{id}", "", none, OWN_OBJECT_READ),
        row("PATCH", "/api/organizations/{id}", "", |_| Some(json!({"name": "Renamed"})), OWN_OBJECT_READ),
        row("DELETE", "/api/organizations/{id}", "", none, [401, 204, 204, 404]),
        row("GET", "/api/organizations/{id}/sites", "", none, OWN_OBJECT_READ),
        row("POST", "/api/organizations/{id}/sites", "", |_| Some(json!({"name": "Plant"})), [401, 201, 201, 404]),
        row("GET", "/api/organizations/{id}/sites/{site_id}", "", none, OWN_OBJECT_READ),
        row(
            "PATCH",
            "/api/organizations/{id}/sites/{site_id}",
            "",
            |_| Some(json!({"address": "Elm St"})),
            OWN_OBJECT_READ,
        ),
        row("DELETE", "/api/organizations/{id}/sites/{site_id}", "", none, [401, 204, 204, 404]),
        // certificates
        row("GET", "/api/certificates/types", "", none, PUBLIC),
        row("GET", "/api/certificates/types/{code}", "", none, PUBLIC),
        row("GET", "/api/certificates/public-search", "holder=matrix", none, PUBLIC),
        row("GET", "/api/certificates", "", none, TENANT_READ),
        row(
            "POST",
            "/api/certificates",
            "",
            |f| Some(json!({"organization_id": f.org, "certificate_type": "ISO_9001"})),
            [401, 201, 201, 404],
        ),
        row("GET", "/api/certificates/{id}", "", none, OWN_OBJECT_READ),
        row("PATCH", "/api/certificates/{id}", "", |_| Some(json!({"scope": "All"})), OWN_OBJECT_READ),
        row("DELETE", "/api/certificates/{id}", "", none, [401, 204, 204, 404]),
        row("POST", "/api/certificates/{id}/transition", "", |_| Some(json!({"to": "ACTIVE"})), OWN_OBJECT_READ),
        // bulk upload (a JSON body is not a multipart upload: 415 once authenticated)
        row("POST", "/api/bulk-upload/batches", "", |_| Some(json!({"files": []})), [401, 415, 415, 415]),
        row("GET", "/api/bulk-upload/batches", "", none, TENANT_READ),
        row("GET", "/api/bulk-upload/batches/{id}", "", none, OWN_OBJECT_READ),
        row("GET", "/api/bulk-upload/batches/{id}/quality", "", none, OWN_OBJECT_READ),
        row("GET", "/api/bulk-upload/quality", "", none, TENANT_READ),
        row("GET", "/api/bulk-upload/review", "", none, TENANT_READ),
        row("GET", "/api/bulk-upload/items/{id}", "", none, OWN_OBJECT_READ),
        // the fixture's item is still pending, so review answers 409 to its tenant
        row("POST", "/api/bulk-upload/items/{id}/confirm", "", |_| Some(json!({})), [401, 409, 409, 404]),
        row("POST", "/api/bulk-upload/items/{id}/skip", "", none, [401, 409, 409, 404]),
        // operators only (none of these callers is one)
        row("GET", "/api/admin/status", "", none, [401, 403, 403, 403]),
        row("GET", "/api/admin/jobs/dead", "", none, [401, 403, 403, 403]),
        row("POST", "/api/admin/jobs/{id}/retry", "", none, [401, 403, 403, 403]),
        // webhooks: members read, admins manage
        row("GET", "/api/webhooks/subscribers", "", none, TENANT_READ),
        row(
            "POST",
            "/api/webhooks/subscribers",
            "",
            |_| Some(json!({"name": "Matrix hook", "webhook_url": "https://hooks.example/in"})),
            [401, 403, 201, 201],
        ),
        row("GET", "/api/webhooks/subscribers/{id}", "", none, OWN_OBJECT_READ),
        row("PATCH", "/api/webhooks/subscribers/{id}", "", |_| Some(json!({"name": "Renamed"})), ADMIN_OWN_OBJECT),
        row("DELETE", "/api/webhooks/subscribers/{id}", "", none, [401, 403, 204, 404]),
        row("POST", "/api/webhooks/subscribers/{id}/rotate-api-key", "", none, ADMIN_OWN_OBJECT),
        row("POST", "/api/webhooks/subscribers/{id}/rotate-signing-secret", "", none, ADMIN_OWN_OBJECT),
        row("POST", "/api/webhooks/subscribers/{id}/test", "", none, [401, 403, 201, 404]),
        row("GET", "/api/webhooks/subscribers/{id}/subscriptions", "", none, OWN_OBJECT_READ),
        row(
            "POST",
            "/api/webhooks/subscribers/{id}/subscriptions",
            "",
            |_| Some(json!({"event_types": ["certificate.created"]})),
            [401, 403, 201, 404],
        ),
        row("GET", "/api/webhooks/subscriptions/{id}", "", none, OWN_OBJECT_READ),
        row(
            "PATCH",
            "/api/webhooks/subscriptions/{id}",
            "",
            |_| Some(json!({"event_types": ["certificate.updated"]})),
            ADMIN_OWN_OBJECT,
        ),
        row("DELETE", "/api/webhooks/subscriptions/{id}", "", none, [401, 403, 204, 404]),
        row("GET", "/api/webhooks/deliveries", "status=PENDING", none, TENANT_READ),
        row("GET", "/api/webhooks/deliveries/{id}", "", none, OWN_OBJECT_READ),
        // The fixture's delivery is PENDING (no worker runs): 409 for admins.
        row("POST", "/api/webhooks/deliveries/{id}/redeliver", "", none, [401, 403, 409, 404]),
        // imports: members and admins may write organizations, so both may
        // import (the uploads themselves are tested in `imports.rs`; a
        // request without a multipart body is refused as unparseable)
        row("POST", "/api/imports", "", none, [401, 415, 415, 415]),
        row("GET", "/api/imports/template", "format=xlsx", none, TENANT_READ),
        row("GET", "/api/imports/export", "format=csv", none, TENANT_READ),
        // monitoring
        row("GET", "/api/monitoring/endpoints", "", none, TENANT_READ),
        row(
            "POST",
            "/api/monitoring/endpoints",
            "",
            |f| Some(json!({"organization_id": f.org, "url": format!("https://www.example.com/{}", f.fresh_email)})),
            [401, 201, 201, 404],
        ),
        row("GET", "/api/monitoring/endpoints/{id}", "", none, OWN_OBJECT_READ),
        row("PATCH", "/api/monitoring/endpoints/{id}", "", |_| Some(json!({"is_active": false})), OWN_OBJECT_READ),
        row("DELETE", "/api/monitoring/endpoints/{id}", "", none, [401, 204, 204, 404]),
        row("POST", "/api/monitoring/endpoints/{id}/scrape", "", none, [401, 202, 202, 404]),
        row("GET", "/api/monitoring/scrape-logs", "", none, TENANT_READ),
        row("POST", "/api/monitoring/organizations/{id}/discover", "", none, [401, 202, 202, 404]),
        row("GET", "/api/monitoring/health", "", none, TENANT_READ),
    ]
}

/// Fresh objects of the first tenant for one call.
struct Fixture {
    org: String,
    site: String,
    certificate: String,
    endpoint: String,
    invitation: String,
    invitation_token: String,
    admin_token_id: String,
    extra_member: String,
    member_user: String,
    member_email: String,
    verification_token: String,
    fresh_email: String,
    subscriber: String,
    subscription: String,
    delivery: String,
    upload_batch: String,
    upload_item: String,
}

struct World {
    srv: TestServer,
    admin: Principal,
    member: Principal,
    other: Principal,
    member_email: String,
}

impl World {
    async fn new(backend: Backend) -> World {
        let srv = TestServer::spawn(backend).await;
        let admin_token = srv.signup("admin@matrix.example", PW, "Matrix").await;
        let other_token = srv.signup("other@matrix.example", PW, "Other").await;
        let admin = srv.principal(&admin_token).await;
        let other = srv.principal(&other_token).await;
        let member_email = "member@matrix.example".to_owned();
        let inv = srv.core.tenancy().invite(&admin, &member_email, Role::Member).await.expect("invite");
        accept(&srv, inv.token.expose()).await;
        let member = srv.principal(&srv.login(&member_email, PW).await).await;
        World { srv, admin, member, other, member_email }
    }

    /// A fresh token for `caller` (so log-out never breaks later calls).
    async fn token(&self, caller: Caller) -> Option<String> {
        let p = match caller {
            Caller::Anonymous => return None,
            Caller::Member => &self.member,
            Caller::Admin => &self.admin,
            Caller::OtherAdmin => &self.other,
        };
        let t = self.srv.core.tenancy().create_token(p, TokenRequest::default()).await.expect("token");
        Some(t.secret.expose().to_owned())
    }

    async fn fixture(&self, row: &Row) -> Fixture {
        let core = &self.srv.core;
        let n = uuid::Uuid::new_v4().simple().to_string();
        let org = core
            .suppliers()
            .create_organization(
                &self.admin,
                OrganizationInput {
                    name: format!("Org {n}"),
                    website: Some(format!("https://www.example.com/{n}/")),
                    ..OrganizationInput::default()
                },
            )
            .await
            .expect("organization");
        let site = core
            .suppliers()
            .create_site(&self.admin, org.id, SiteInput { name: "Site".into(), address: None })
            .await
            .expect("site");
        let cert = core
            .certificates()
            .create_certificate(
                &self.admin,
                CertificateInput {
                    organization_id: OrganizationId(org.id.0),
                    certificate_type: "ISO_9001".into(),
                    ..CertificateInput::default()
                },
            )
            .await
            .expect("certificate");
        let endpoint = core
            .monitoring()
            .create_endpoint(
                &self.admin,
                certwatch_core::monitoring::EndpointInput {
                    organization_id: org.id,
                    url: format!("https://www.example.com/{n}/certificates.html"),
                    ..Default::default()
                },
            )
            .await
            .expect("endpoint");
        let inv =
            core.tenancy().invite(&self.admin, &format!("inv-{n}@matrix.example"), Role::Member).await.expect("invite");
        let admin_token = core.tenancy().create_token(&self.admin, TokenRequest::default()).await.expect("token");
        let extra_member = if row.method == "DELETE" && row.path.contains("/members/") {
            let extra = core
                .tenancy()
                .invite(&self.admin, &format!("extra-{n}@matrix.example"), Role::Member)
                .await
                .expect("invite");
            accept(&self.srv, extra.token.expose()).await.to_string()
        } else {
            String::new()
        };
        let verification_token = if row.path.contains("verify-email") {
            core.tenancy()
                .register(
                    certwatch_core::tenancy::RegistrationRequest {
                        email: format!("reg-{n}@matrix.example"),
                        password: PW.into(),
                        full_name: None,
                        tenant_name: format!("Reg {n}"),
                    },
                    None,
                )
                .await
                .expect("register")
                .verification_token
                .expose()
                .to_owned()
        } else {
            String::new()
        };
        let (subscriber, subscription, delivery) = if row.path.starts_with("/api/webhooks/") {
            let s = core
                .webhooks()
                .create_subscriber(
                    &self.admin,
                    SubscriberInput {
                        name: format!("Hook {n}"),
                        webhook_url: "https://hooks.example/in".into(),
                        is_active: None,
                    },
                )
                .await
                .expect("subscriber");
            let sub = core
                .webhooks()
                .create_subscription(
                    &self.admin,
                    s.subscriber.id,
                    SubscriptionInput { event_types: vec!["certificate.created".into()], ..Default::default() },
                )
                .await
                .expect("subscription");
            let d = core.webhooks().send_test(&self.admin, s.subscriber.id).await.expect("test delivery");
            (s.subscriber.id.to_string(), sub.id.to_string(), d.id.to_string())
        } else {
            Default::default()
        };
        let (upload_batch, upload_item) = if row.path.starts_with("/api/bulk-upload/") {
            let blobs = certwatch_store::LocalDirBlobStore::new(certwatch_tests::bulk::blob_dir(&self.srv));
            let file = NewUpload { filename: format!("{n}.pdf"), bytes: b"%PDF-1.4\n%%EOF\n".to_vec() };
            let b = core.bulk_upload().create_batch(&self.admin, &blobs, vec![file]).await.expect("batch");
            let (_, items) = core.bulk_upload().get_batch(&self.admin, b.id).await.expect("items");
            (b.id.to_string(), items[0].id.to_string())
        } else {
            (String::new(), String::new())
        };
        Fixture {
            subscriber,
            subscription,
            delivery,
            upload_batch,
            upload_item,
            org: org.id.to_string(),
            site: site.id.to_string(),
            certificate: cert.id.to_string(),
            endpoint: endpoint.id.to_string(),
            invitation: inv.invitation.id.to_string(),
            invitation_token: inv.token.expose().to_owned(),
            admin_token_id: admin_token.token.id.to_string(),
            extra_member,
            member_user: self.member.user_id.to_string(),
            member_email: self.member_email.clone(),
            verification_token,
            fresh_email: format!("fresh-{n}@matrix.example"),
        }
    }
}

async fn accept(srv: &TestServer, token: &str) -> certwatch_core::ids::UserId {
    let (user, _) = srv
        .core
        .tenancy()
        .accept_invitation(
            AcceptInvitation { token: token.to_owned(), password: Some(PW.into()), full_name: None },
            None,
        )
        .await
        .expect("accept invitation");
    user.id
}

/// The concrete path of `row` for this fixture; with `missing`, every
/// object id is a random UUID instead.
fn fill(row: &Row, f: &Fixture, missing: bool) -> String {
    let mut out = String::new();
    for seg in row.path.split('/').filter(|s| !s.is_empty()) {
        let value = match seg {
            "{id}" if row.path.starts_with("/api/organizations/") => f.org.clone(),
            "{id}" if row.path.starts_with("/api/bulk-upload/batches/") => f.upload_batch.clone(),
            "{id}" if row.path.starts_with("/api/bulk-upload/items/") => f.upload_item.clone(),
            "{id}" if row.path.starts_with("/api/certificates/") => f.certificate.clone(),
            "{id}" if row.path.starts_with("/api/monitoring/endpoints/") => f.endpoint.clone(),
            "{id}" if row.path.starts_with("/api/monitoring/organizations/") => f.org.clone(),
            "{id}" if row.path.starts_with("/api/auth/tokens/") => f.admin_token_id.clone(),
            "{id}" if row.path.starts_with("/api/auth/invitations/") => f.invitation.clone(),
            "{id}" if row.path.starts_with("/api/webhooks/subscribers/") => f.subscriber.clone(),
            "{id}" if row.path.starts_with("/api/webhooks/subscriptions/") => f.subscription.clone(),
            "{id}" if row.path.starts_with("/api/webhooks/deliveries/") => f.delivery.clone(),
            "{id}" if row.path.starts_with("/api/admin/jobs/") => uuid::Uuid::new_v4().to_string(),
            "{site_id}" => f.site.clone(),
            "{user_id}" if row.method == "DELETE" => f.extra_member.clone(),
            "{user_id}" => f.member_user.clone(),
            "{code}" => "ISO_9001".into(),
            s if s.starts_with('{') => panic!("no value for {s} in {} {}", row.method, row.path),
            s => s.to_owned(),
        };
        let value =
            if missing && seg.starts_with('{') && seg != "{code}" { uuid::Uuid::new_v4().to_string() } else { value };
        out.push('/');
        out.push_str(&value);
    }
    if !row.query.is_empty() {
        out.push('?');
        out.push_str(
            &row.query.replace("{verification}", &f.verification_token).replace("{invitation}", &f.invitation_token),
        );
    }
    out
}

/// Every (METHOD, path) of the OpenAPI document.
fn documented_routes(doc: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options", "trace"].contains(&method.as_str()) {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

fn comparable(a: &Answer) -> (u16, Value, Value, Value) {
    (a.status, a.body["type"].clone(), a.body["title"].clone(), a.body["detail"].clone())
}

async fn matrix(backend: Backend) {
    let world = World::new(backend).await;
    let srv = &world.srv;
    let doc = srv.call("GET", "/api/schema", None, None).await.body;
    let documented = documented_routes(&doc);
    let rows = table();
    let listed: BTreeSet<(String, String)> = rows.iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
    assert_eq!(listed.len(), rows.len(), "a route is listed twice in the table");
    let undocumented: Vec<_> = listed.difference(&documented).collect();
    let untested: Vec<_> = documented.difference(&listed).collect();
    assert!(undocumented.is_empty(), "table entries for routes the API does not have: {undocumented:?}");
    assert!(untested.is_empty(), "routes without an entry in the permission table: {untested:?}");

    let mut failures = Vec::new();
    for row in &rows {
        for (i, caller) in CALLERS.into_iter().enumerate() {
            let f = world.fixture(row).await;
            let path = fill(row, &f, false);
            let token = world.token(caller).await;
            let body = (row.body)(&f);
            let a = srv.call(row.method, &path, token.as_deref(), body.as_ref()).await;
            let expected = row.expect[i];
            if a.status != expected {
                failures.push(format!(
                    "{} {path} as {caller:?}: expected {expected}, got {} {}",
                    row.method, a.status, a.text
                ));
                continue;
            }
            if a.status >= 400 && !a.is_problem() {
                failures.push(format!(
                    "{} {path} as {caller:?}: {} is not a problem document: {}",
                    row.method, a.status, a.text
                ));
            }
            if a.status >= 500 {
                failures.push(format!("{} {path} as {caller:?}: server error", row.method));
            }
            // Another tenant's objects must look exactly like missing ones.
            if caller == Caller::OtherAdmin && expected == 404 && row.path.contains('{') {
                let f2 = world.fixture(row).await;
                let missing = fill(row, &f2, true);
                let token = world.token(caller).await;
                let m = srv.call(row.method, &missing, token.as_deref(), (row.body)(&f2).as_ref()).await;
                if comparable(&a) != comparable(&m) {
                    failures.push(format!(
                        "{} {}: another tenant's object answers {} but a missing one {}",
                        row.method, row.path, a.text, m.text
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} permission matrix failures:\n{}", failures.len(), failures.join("\n"));

    // An operator (whatever the tenant role) reads the system status.
    srv.core.tenancy().set_operator("member@matrix.example", true).await.expect("operator");
    let token = world.token(Caller::Member).await;
    let a = srv.call("GET", "/api/admin/status", token.as_deref(), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(a.body["tenants"].as_u64().is_some_and(|n| n >= 2), "{}", a.text);
    assert!(a.body["certificates_by_status"].is_object(), "{}", a.text);
}

#[tokio::test]
async fn permission_matrix_sqlite() {
    matrix(Backend::Sqlite).await;
}

#[tokio::test]
async fn permission_matrix_postgres() {
    matrix(Backend::Postgres).await;
}

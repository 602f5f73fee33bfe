//! The REST API end to end, over real HTTP against the real server on both
//! backends: registration with the e-mailed verification link, log-in,
//! tokens, organizations and sites, certificates and their lifecycle, list
//! filters and pagination, the public search, invitations, tenant
//! isolation, log-out, and malformed input that must answer 4xx problems.

use certwatch_core::certificates::{CertificateInput, Provenance};
use certwatch_core::ids::OrganizationId;
use certwatch_core::jobs::JobStatus;
use certwatch_tests::http::{Answer, TestServer};
use certwatch_tests::Backend;
use serde_json::{json, Value};

const PW: &str = "correct horse battery staple";

fn assert_problem(a: &Answer, status: u16, what: &str) {
    assert_eq!(a.status, status, "{what}: {}", a.text);
    assert!(a.is_problem(), "{what}: not a problem document: {} {}", a.content_type, a.text);
}

fn field_errors(a: &Answer) -> Vec<String> {
    a.body["errors"]
        .as_array()
        .map(|es| es.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

async fn api_story(backend: Backend) {
    let srv = TestServer::spawn(backend).await;

    // --- registration and e-mail verification ---------------------------
    let reg = json!({"email": "Alice@Example.com", "password": PW, "full_name": "Alice", "tenant_name": "Acme Buyers"});
    let r = srv.call("POST", "/api/auth/register", None, Some(&reg)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["user"]["is_active"], false);
    assert_eq!(r.body["role"], "admin");
    assert_eq!(r.body["tenant"]["slug"], "acme-buyers");
    assert_eq!(r.body["verification_email_sent"], true);
    assert!(!r.text.contains("password"), "no password or hash in the answer: {}", r.text);

    let r = srv.call("POST", "/api/auth/register", None, Some(&reg)).await;
    assert_problem(&r, 409, "duplicate registration");
    let r = srv
        .call("POST", "/api/auth/register", None, Some(&json!({"email": "nope", "password": PW, "tenant_name": " "})))
        .await;
    assert_problem(&r, 422, "invalid registration");
    let fields = field_errors(&r);
    assert!(fields.contains(&"email".into()) && fields.contains(&"tenant_name".into()), "{fields:?}");

    let r =
        srv.call("POST", "/api/auth/login", None, Some(&json!({"email": "alice@example.com", "password": PW}))).await;
    assert_problem(&r, 401, "log-in before verification");
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("not verified")), "{}", r.text);

    let token = srv.mailed_token("Alice@Example.com", "/api/auth/verify-email").await;
    let r = srv.call("POST", "/api/auth/verify-email", None, Some(&json!({"token": token}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["is_active"], true);
    let r = srv.call("GET", &format!("/api/auth/verify-email?token={token}"), None, None).await;
    assert_problem(&r, 401, "verification token reused");
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("already used")), "{}", r.text);

    let mails = srv.mails_to("alice@example.com");
    for email in ["alice@example.com", "nobody@example.com"] {
        let r = srv.call("POST", "/api/auth/resend-verification", None, Some(&json!({"email": email}))).await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
    assert_eq!(srv.mails_to("alice@example.com"), mails, "nothing to verify, nothing sent");

    let r = srv
        .call("POST", "/api/auth/login", None, Some(&json!({"email": "alice@example.com", "password": "wrong"})))
        .await;
    assert_problem(&r, 401, "wrong password");
    assert_eq!(r.body["detail"], "invalid e-mail address or password");

    // --- log-in, me, tokens -------------------------------------------
    let r = srv
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(&json!({"email": "alice@example.com", "password": PW, "tenant": "acme-buyers"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["role"], "admin");
    assert!(r.body["expires_at"].is_string());
    let alice = r.body["token"].as_str().expect("token").to_owned();
    let r = srv.call("GET", "/api/auth/me", Some(&alice), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["user"]["email"], "Alice@Example.com");
    assert_eq!(r.body["tenant"]["name"], "Acme Buyers");
    assert_eq!(r.body["is_operator"], false);

    let r = srv.call("POST", "/api/auth/tokens", Some(&alice), Some(&json!({"name": "ci"}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let ci = r.body["token"].as_str().expect("secret").to_owned();
    let ci_id = r.body["id"].as_str().expect("id").to_owned();
    assert!(ci.starts_with(r.body["prefix"].as_str().expect("prefix")));
    assert_eq!(srv.call("GET", "/api/auth/me", Some(&ci), None).await.status, 200);
    let r = srv.call("GET", "/api/auth/tokens", Some(&alice), None).await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(2), "{}", r.text);
    assert!(!r.text.contains(&ci), "token lists never show secrets");
    let r = srv.call("DELETE", &format!("/api/auth/tokens/{ci_id}"), Some(&alice), None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = srv.call("GET", "/api/auth/me", Some(&ci), None).await;
    assert_problem(&r, 401, "revoked token");
    assert_eq!(r.body["detail"], "token revoked");

    // A token with an expiry stops working when the clock passes it.
    let expires = (certwatch_tests::t0() + chrono::Duration::hours(1)).to_rfc3339();
    let r = srv.call("POST", "/api/auth/tokens", Some(&alice), Some(&json!({"expires_at": expires}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let short = r.body["token"].as_str().expect("secret").to_owned();
    let r =
        srv.call("POST", "/api/auth/tokens", Some(&alice), Some(&json!({"expires_at": "2020-01-01T00:00:00Z"}))).await;
    assert_problem(&r, 422, "token expiring in the past");

    // --- organizations and sites --------------------------------------
    let r = srv
        .call(
            "POST",
            "/api/organizations",
            Some(&alice),
            Some(&json!({"name": "Acme GmbH", "country": "de", "website": "https://acme.example", "external_id": "ERP-1"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["country"], "DE");
    let org = r.body["id"].as_str().expect("id").to_owned();
    let r = srv
        .call("POST", "/api/organizations", Some(&alice), Some(&json!({"name": "Dup", "external_id": "ERP-1"})))
        .await;
    assert_problem(&r, 409, "duplicate external id");
    let r = srv
        .call("POST", "/api/organizations", Some(&alice), Some(&json!({"name": " ", "country": "XX", "lei": "bad"})))
        .await;
    assert_problem(&r, 422, "invalid organization");
    let mut fields = field_errors(&r);
    fields.sort();
    assert_eq!(fields, ["country", "lei", "name"]);

    let r = srv
        .call(
            "PATCH",
            &format!("/api/organizations/{org}"),
            Some(&alice),
            Some(&json!({"website": null, "name": "Acme AG"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["name"], "Acme AG");
    assert_eq!(r.body["website"], Value::Null);
    assert_eq!(r.body["country"], "DE", "absent fields stay unchanged");
    let r = srv.call("PATCH", &format!("/api/organizations/{org}"), Some(&alice), Some(&json!({"name": null}))).await;
    assert_problem(&r, 422, "name cleared");
    assert_eq!(field_errors(&r), ["name"]);

    let r = srv
        .call(
            "POST",
            &format!("/api/organizations/{org}/sites"),
            Some(&alice),
            Some(&json!({"name": "Plant 1", "address": "Main St 1"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let site = r.body["id"].as_str().expect("id").to_owned();
    let site_path = format!("/api/organizations/{org}/sites/{site}");
    let r = srv.call("PATCH", &site_path, Some(&alice), Some(&json!({"address": null}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["name"], "Plant 1");
    assert_eq!(r.body["address"], Value::Null);
    let r = srv.call("PATCH", &site_path, Some(&alice), Some(&json!({"name": "Plant A"}))).await;
    assert_eq!(r.body["name"], "Plant A", "{}", r.text);
    let r = srv
        .call("POST", &format!("/api/organizations/{org}/sites"), Some(&alice), Some(&json!({"name": "Plant B"})))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let site_b = r.body["id"].as_str().expect("id").to_owned();
    let r = srv.call("GET", &format!("/api/organizations/{org}/sites"), Some(&alice), None).await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(2), "{}", r.text);
    let r = srv.call("DELETE", &format!("/api/organizations/{org}/sites/{site_b}"), Some(&alice), None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = srv.call("GET", &format!("/api/organizations/{org}/sites/{site_b}"), Some(&alice), None).await;
    assert_problem(&r, 404, "deleted site");

    // --- certificates --------------------------------------------------
    let r = srv.call("GET", "/api/certificates/types", None, None).await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(30), "{}", r.text);
    let r = srv.call("GET", "/api/certificates/types/ISO_9001", None, None).await;
    assert_eq!(r.body["name"], "ISO 9001", "{}", r.text);
    assert_problem(&srv.call("GET", "/api/certificates/types/NOPE", None, None).await, 404, "unknown type");

    let new_cert = |ty: &str, number: &str, body: &str, expiry: &str, status: &str| {
        json!({"organization_id": org, "certificate_type": ty, "certificate_number": number,
               "issuing_body": body, "expiry_date": expiry, "status": status, "site_ids": [site]})
    };
    let r = srv
        .call(
            "POST",
            "/api/certificates",
            Some(&alice),
            Some(&new_cert("ISO_9001", "Q-1", "TÜV Süd", "2026-12-31", "PENDING")),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["status"], "PENDING");
    assert_eq!(r.body["provenance"], "manual");
    assert_eq!(r.body["site_ids"], json!([site]));
    let cert = r.body["id"].as_str().expect("id").to_owned();
    let cert_path = format!("/api/certificates/{cert}");
    let r = srv
        .call("POST", "/api/certificates", Some(&alice), Some(&new_cert("ISO_0", "X", "Y", "2026-12-31", "PENDING")))
        .await;
    assert_problem(&r, 422, "unknown certificate type");
    assert_eq!(field_errors(&r), ["certificate_type"]);
    let r = srv
        .call(
            "POST",
            "/api/certificates",
            Some(&alice),
            Some(&json!({"organization_id": org, "certificate_type": "ISO_9001", "provenance": "web_scrape"})),
        )
        .await;
    assert_problem(&r, 400, "provenance is not accepted from callers");

    let r = srv.call("PATCH", &cert_path, Some(&alice), Some(&json!({"scope": "Design", "issuing_body": null}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["scope"], "Design");
    assert_eq!(r.body["issuing_body"], Value::Null);
    assert_eq!(r.body["certificate_number"], "Q-1");
    let r = srv.call("PATCH", &cert_path, Some(&alice), Some(&json!({"status": "ACTIVE"}))).await;
    assert_problem(&r, 400, "status is not patchable");
    let r = srv.call("PATCH", &cert_path, Some(&alice), Some(&json!({"issuing_body": "TÜV Süd"}))).await;
    assert_eq!(r.status, 200, "{}", r.text);

    let r = srv.call("POST", &format!("{cert_path}/transition"), Some(&alice), Some(&json!({"to": "ACTIVE"}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "ACTIVE");
    let r = srv
        .call(
            "POST",
            &format!("{cert_path}/transition"),
            Some(&alice),
            Some(&json!({"to": "PENDING", "reason": "oops"})),
        )
        .await;
    assert_problem(&r, 409, "ACTIVE -> PENDING");
    assert_eq!(r.body["allowed_transitions"], json!(["EXPIRED", "REVOKED", "SUSPENDED"]));
    assert_eq!(srv.call("GET", &cert_path, Some(&alice), None).await.body["status"], "ACTIVE", "nothing changed");

    let r = srv.call("GET", &format!("/api/organizations/{org}"), Some(&alice), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["active_certificates"], 1);
    assert_eq!(r.body["sites"].as_array().map(Vec::len), Some(1));

    // More certificates for the filters.
    for (ty, number, body, expiry, status) in [
        ("ISO_14001", "E-1", "DNV", "2026-03-20", "ACTIVE"),
        ("ISO_27001", "S-1", "BSI", "2026-02-01", "EXPIRED"),
        ("TISAX", "T-1", "DNV", "2027-06-30", "PENDING"),
    ] {
        let r = srv
            .call("POST", "/api/certificates", Some(&alice), Some(&new_cert(ty, number, body, expiry, status)))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r =
        srv.call("POST", "/api/organizations", Some(&alice), Some(&json!({"name": "Beta Ltd", "country": "GB"}))).await;
    let beta = r.body["id"].as_str().expect("id").to_owned();
    let r = srv
        .call(
            "POST",
            "/api/certificates",
            Some(&alice),
            Some(&json!({"organization_id": beta, "certificate_type": "ISO_9001", "status": "ACTIVE", "expiry_date": "2028-01-01"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    let list = |q: &str| format!("/api/certificates?{q}");
    let r = srv.call("GET", &list("page_size=2"), Some(&alice), None).await;
    assert_eq!((r.body["total"].as_u64(), r.body["items"].as_array().map(Vec::len)), (Some(5), Some(2)), "{}", r.text);
    let r = srv.call("GET", &list("page_size=2&page=3"), Some(&alice), None).await;
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(1), "{}", r.text);
    assert_eq!(r.body["page"], 3);
    let count = |a: &Answer| a.body["total"].as_u64();
    assert_eq!(count(&srv.call("GET", &list("status=ACTIVE"), Some(&alice), None).await), Some(3));
    assert_eq!(count(&srv.call("GET", &list(&format!("organization_id={beta}")), Some(&alice), None).await), Some(1));
    assert_eq!(count(&srv.call("GET", &list("certificate_type=TISAX"), Some(&alice), None).await), Some(1));
    assert_eq!(count(&srv.call("GET", &list("expiring_within_days=30"), Some(&alice), None).await), Some(1));
    assert_eq!(count(&srv.call("GET", &list("issuing_body=dnv"), Some(&alice), None).await), Some(2));
    assert_problem(&srv.call("GET", &list("page_size=501"), Some(&alice), None).await, 422, "page_size too big");
    assert_problem(&srv.call("GET", &list("page=0"), Some(&alice), None).await, 422, "page 0");
    assert_problem(&srv.call("GET", &list("status=active"), Some(&alice), None).await, 400, "lower-case status");
    assert_problem(&srv.call("GET", &list("page=-1"), Some(&alice), None).await, 400, "negative page");
    assert_problem(
        &srv.call("GET", &list("expiring_within_days=4000000000"), Some(&alice), None).await,
        422,
        "huge window",
    );

    let orgs = |q: &str| format!("/api/organizations?{q}");
    let r = srv.call("GET", &orgs("ordering=-name"), Some(&alice), None).await;
    assert_eq!(r.body["items"][0]["name"], "Beta Ltd", "{}", r.text);
    assert_eq!(r.body["items"][1]["name"], "Acme AG");
    assert_eq!(r.body["items"][1]["active_certificates"], 2);
    assert_eq!(r.body["items"][1]["expiring_certificates"], 1);
    assert_eq!(r.body["items"][1]["expired_certificates"], 1);
    let r = srv.call("GET", &orgs("has_expiring=true"), Some(&alice), None).await;
    assert_eq!(r.body["total"], 1, "{}", r.text);
    assert_eq!(srv.call("GET", &orgs("search=ACM"), Some(&alice), None).await.body["total"], 1);
    assert_eq!(srv.call("GET", &orgs("country=gb"), Some(&alice), None).await.body["total"], 1);
    let r = srv.call("GET", &orgs("page_size=1&ordering=created_at"), Some(&alice), None).await;
    assert_eq!((r.body["total"].as_u64(), r.body["items"][0]["name"].as_str()), (Some(2), Some("Acme AG")));
    assert_problem(&srv.call("GET", &orgs("ordering=size"), Some(&alice), None).await, 400, "unknown ordering");
    assert_problem(&srv.call("GET", &orgs("country=Germany"), Some(&alice), None).await, 422, "bad country filter");

    // A revoked certificate is final: 409 with no allowed transitions.
    let r = srv.call("POST", &format!("{cert_path}/transition"), Some(&alice), Some(&json!({"to": "REVOKED"}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = srv.call("POST", &format!("{cert_path}/transition"), Some(&alice), Some(&json!({"to": "ACTIVE"}))).await;
    assert_problem(&r, 409, "REVOKED is terminal");
    assert_eq!(r.body["allowed_transitions"], json!([]));

    // --- public search -------------------------------------------------
    // Web-scraped certificates come from the discovery pipeline, never from
    // API callers, so this one is created through the core.
    let p = srv.principal(&alice).await;
    let org_id = OrganizationId(org.parse().expect("uuid"));
    srv.core
        .certificates()
        .create_certificate(
            &p,
            CertificateInput {
                organization_id: org_id,
                certificate_type: "IATF_16949".into(),
                certificate_number: Some("WS-777".into()),
                issuing_body: Some("DEKRA".into()),
                expiry_date: chrono::NaiveDate::from_ymd_opt(2027, 5, 1),
                source_url: Some("https://acme.example/certificates".into()),
                provenance: Some(Provenance::WebScrape),
                status: Some(certwatch_core::certificates::CertificateStatus::Active),
                ..CertificateInput::default()
            },
        )
        .await
        .expect("web-scraped certificate");
    let r = srv.call("GET", "/api/certificates/public-search?certificate_number=ws-777", None, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{}", r.text);
    let mut keys: Vec<&str> = items[0].as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["certificate_number", "certificate_type", "expiry_date", "holder", "issuing_body", "source_url", "status"],
        "only public facts"
    );
    assert_eq!(items[0]["holder"], "Acme AG");
    assert_eq!(items[0]["source_url"], "https://acme.example/certificates");
    assert!(!r.text.contains("Acme Buyers") && !r.text.contains("acme-buyers"), "never the tenant: {}", r.text);
    let r = srv.call("GET", "/api/certificates/public-search?certificate_number=Q-1", None, None).await;
    assert_eq!(r.body["items"], json!([]), "manual certificates are private: {}", r.text);
    let r = srv.call("GET", "/api/certificates/public-search?holder=acme", None, None).await;
    let numbers: Vec<&str> =
        r.body["items"].as_array().expect("items").iter().filter_map(|i| i["certificate_number"].as_str()).collect();
    assert_eq!(numbers, ["WS-777"], "{}", r.text);
    assert_problem(&srv.call("GET", "/api/certificates/public-search", None, None).await, 422, "no criterion");
    assert_problem(
        &srv.call("GET", "/api/certificates/public-search?holder=ac", None, None).await,
        422,
        "short holder",
    );

    // --- invitations and members --------------------------------------
    let r = srv
        .call(
            "POST",
            "/api/auth/invitations",
            Some(&alice),
            Some(&json!({"email": "bob@example.com", "role": "member"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["status"], "pending");
    let inv_token = srv.mailed_token("bob@example.com", "/api/auth/invitations/accept").await;
    assert!(!r.text.contains(&inv_token), "the invitation token is only in the e-mail");
    let r = srv
        .call("POST", "/api/auth/invitations", Some(&alice), Some(&json!({"email": "x@example.com", "role": "owner"})))
        .await;
    assert_problem(&r, 400, "unknown role");
    let r = srv.call("POST", "/api/auth/invitations/accept", None, Some(&json!({"token": inv_token}))).await;
    assert_problem(&r, 422, "new account without password");
    let r = srv
        .call(
            "POST",
            "/api/auth/invitations/accept",
            None,
            Some(&json!({"token": inv_token, "password": PW, "full_name": "Bob"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["membership"]["role"], "member");
    let bob_id = r.body["user"]["id"].as_str().expect("id").to_owned();
    let r = srv
        .call("POST", "/api/auth/invitations/accept", None, Some(&json!({"token": inv_token, "password": PW})))
        .await;
    assert_problem(&r, 409, "invitation used twice");
    let bob = srv.login("bob@example.com", PW).await;
    assert_problem(&srv.call("GET", "/api/auth/invitations", Some(&bob), None).await, 403, "member lists invitations");
    assert_problem(
        &srv.call("GET", "/api/auth/tokens?all=true", Some(&bob), None).await,
        403,
        "member lists all tokens",
    );
    let r = srv.call("GET", "/api/auth/tenant/members", Some(&bob), None).await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(2), "{}", r.text);
    let alice_id = p.user_id.to_string();
    let r = srv
        .call("PATCH", &format!("/api/auth/tenant/members/{alice_id}"), Some(&alice), Some(&json!({"role": "member"})))
        .await;
    assert_problem(&r, 409, "last admin");
    assert_eq!(r.body["type"], "urn:certwatch:problem:last-admin");
    let r = srv
        .call("PATCH", &format!("/api/auth/tenant/members/{bob_id}"), Some(&bob), Some(&json!({"role": "admin"})))
        .await;
    assert_problem(&r, 403, "member promotes themself");

    // --- another tenant sees nothing of ours ---------------------------
    let carol = srv.signup("carol@example.com", PW, "Carol Co").await;
    let missing = srv.call("GET", &format!("/api/organizations/{}", uuid::Uuid::new_v4()), Some(&carol), None).await;
    let theirs = srv.call("GET", &format!("/api/organizations/{org}"), Some(&carol), None).await;
    assert_problem(&theirs, 404, "another tenant's organization");
    assert_eq!((&theirs.body["type"], &theirs.body["detail"]), (&missing.body["type"], &missing.body["detail"]));
    assert_eq!(srv.call("GET", "/api/organizations", Some(&carol), None).await.body["total"], 0);
    assert_eq!(srv.call("GET", "/api/certificates", Some(&carol), None).await.body["total"], 0);

    // --- malformed input: 4xx problems, never 500 ----------------------
    let r = srv.call_raw("POST", "/api/organizations", Some(&alice), "application/json", "{not json").await;
    assert_problem(&r, 400, "bad JSON");
    // (poem-openapi reads a JSON number or boolean given for a string as its
    // text; objects and arrays are refused.)
    let r = srv.call("POST", "/api/organizations", Some(&alice), Some(&json!({"name": {"first": "x"}}))).await;
    assert_problem(&r, 400, "object for a string");
    let r = srv.call("POST", "/api/auth/tokens", Some(&alice), Some(&json!({"expires_at": 17}))).await;
    assert_problem(&r, 400, "number for a timestamp");
    let r = srv.call("POST", &format!("/api/organizations/{org}/sites"), Some(&alice), Some(&json!(["Plant"]))).await;
    assert_problem(&r, 400, "array for an object");
    assert_problem(&srv.call("GET", &orgs("has_expiring=maybe"), Some(&alice), None).await, 400, "bad boolean");
    let r = srv.call("POST", "/api/organizations", Some(&alice), Some(&json!({}))).await;
    assert_problem(&r, 400, "missing required field");
    let r = srv.call("PATCH", &format!("/api/organizations/{org}"), Some(&alice), Some(&json!({"websit": "x"}))).await;
    assert_problem(&r, 400, "unknown field");
    let r = srv
        .call("POST", &format!("/api/certificates/{cert}/transition"), Some(&alice), Some(&json!({"to": "ACTIVATED"})))
        .await;
    assert_problem(&r, 400, "unknown enum value");
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("ACTIVATED")), "{}", r.text);
    let r = srv.call("GET", "/api/organizations/not-a-uuid", Some(&alice), None).await;
    assert_problem(&r, 400, "bad UUID in path");
    let r = srv
        .call(
            "POST",
            "/api/certificates",
            Some(&alice),
            Some(&json!({"organization_id": "nope", "certificate_type": "ISO_9001"})),
        )
        .await;
    assert_problem(&r, 400, "bad UUID in body");
    let r = srv
        .call(
            "POST",
            "/api/certificates",
            Some(&alice),
            Some(&json!({"organization_id": org, "certificate_type": "ISO_9001", "expiry_date": "31.12.2026"})),
        )
        .await;
    assert_problem(&r, 400, "bad date");
    let r = srv.call_raw("POST", "/api/organizations", Some(&alice), "text/plain", "name=x").await;
    assert_problem(&r, 415, "wrong content type");
    assert_problem(&srv.call("GET", "/api/nope", None, None).await, 404, "unknown route");
    assert_problem(&srv.call("GET", "/api/organizations/x/y/z", Some(&alice), None).await, 404, "unknown nested route");
    assert_problem(&srv.call("DELETE", "/api/auth/me", Some(&alice), None).await, 405, "wrong method");
    let r = srv.call("GET", "/api/auth/me", None, None).await;
    assert_problem(&r, 401, "no credentials");
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("Token")), "{}", r.text);
    let r = srv.call_with_authorization("GET", "/api/auth/me", &format!("Bearer {alice}")).await;
    assert_problem(&r, 401, "wrong scheme");
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("malformed")), "{}", r.text);
    let r = srv.call_with_authorization("GET", "/api/auth/me", "Token cw_unknown").await;
    assert_problem(&r, 401, "unknown token");
    assert_eq!(r.body["detail"], "unknown token");
    let r = srv.call_with_authorization("GET", "/api/auth/me", &format!("token   {alice}  ")).await;
    assert_eq!(r.status, 200, "the scheme name is case-insensitive: {}", r.text);

    srv.clock.advance(chrono::Duration::hours(2));
    let r = srv.call("GET", "/api/auth/me", Some(&short), None).await;
    assert_problem(&r, 401, "expired token");
    assert_eq!(r.body["detail"], "token expired");

    // --- log-out ---------------------------------------------------------
    let r = srv.call("POST", "/api/auth/logout", Some(&alice), None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = srv.call("GET", "/api/auth/me", Some(&alice), None).await;
    assert_problem(&r, 401, "logged-out token");
    assert_eq!(r.body["detail"], "token revoked");
}

#[tokio::test]
async fn api_story_sqlite() {
    api_story(Backend::Sqlite).await;
}

#[tokio::test]
async fn api_story_postgres() {
    api_story(Backend::Postgres).await;
}

/// When e-mail can't be sent: registration and invitation still succeed
/// (their e-mails are jobs); each e-mail job retries with backoff and is
/// then dead, visible to operators, with no raw token in its row.
async fn mail_failures(backend: Backend) {
    // A directory below /dev/null can never be created.
    let srv = TestServer::spawn_with_outbox(backend, "/dev/null/outbox".into()).await;
    let reg = json!({"email": "dana@example.com", "password": PW, "tenant_name": "Dana Co"});
    let r = srv.call("POST", "/api/auth/register", None, Some(&reg)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["verification_email_sent"], true, "queued: {}", r.text);
    let r = srv.call("POST", "/api/auth/resend-verification", None, Some(&json!({"email": "dana@example.com"}))).await;
    assert_eq!(r.status, 202, "the failure is not revealed: {}", r.text);

    // Verify through the core, since the link never left.
    let (user, token) =
        srv.core.tenancy().resend_verification("dana@example.com").await.expect("resend").expect("pending");
    srv.core.tenancy().verify_email(token.expose(), None).await.expect("verify");
    assert_eq!(user.email.as_str(), "dana@example.com");
    let dana = srv.login("dana@example.com", PW).await;
    let r = srv
        .call(
            "POST",
            "/api/auth/invitations",
            Some(&dana),
            Some(&json!({"email": "eve@example.com", "role": "member"})),
        )
        .await;
    assert_eq!(r.status, 201, "the e-mail is a job: {}", r.text);

    // Each e-mail job tries 3 times with backoff (crossed on the manual
    // clock), then is dead with its reason kept for operators.
    for _ in 0..3 {
        srv.eventually("no e-mail job is due or running", || async {
            let q = srv.core.jobs().queue_stats().await.expect("stats");
            q.due == 0 && q.by_status.get("running").copied().unwrap_or(0) == 0
        })
        .await;
        srv.clock.advance(chrono::Duration::hours(2));
        srv.core.wake_workers();
    }
    // The verification e-mails stop trying once the address is verified
    // (nothing left to send); the invitation's job is dead after 3 attempts.
    srv.eventually("the invitation job is dead", || async {
        !srv.core.jobs().list(JobStatus::Dead, 10).await.expect("dead").is_empty()
    })
    .await;
    let dead = srv.core.jobs().list(JobStatus::Dead, 10).await.expect("dead");
    let kinds: Vec<&str> = dead.iter().map(|j| j.kind.as_str()).collect();
    assert_eq!(kinds, ["send_invitation_email"]);
    for j in &dead {
        assert_eq!(j.attempts, 3, "{j:?}");
        assert!(j.last_error.as_deref().is_some_and(|e| e.contains("e-mail not sent")), "{j:?}");
        assert!(!j.payload.to_string().contains(token.expose()), "no raw token in the job");
    }
}

#[tokio::test]
async fn mail_failures_sqlite() {
    mail_failures(Backend::Sqlite).await;
}

#[tokio::test]
async fn mail_failures_postgres() {
    mail_failures(Backend::Postgres).await;
}

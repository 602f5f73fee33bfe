//! Asynchronous document hashing on SQLite and Postgres against a real
//! HTTP server (wiremock): setting or changing a certificate's
//! `document_url` enqueues `hash_document` in the same transaction; the job
//! stores the SHA-256 (checked with ring); redirects are followed with the
//! SSRF check on every hop (a hop into a link-local address is refused, and
//! so is a sixth redirect); oversized documents are refused; and a job for
//! an old URL never stamps its hash on a certificate whose URL changed.

use std::sync::Arc;

use certwatch_core::authz::Principal;
use certwatch_core::certificates::documents::{ReqwestDocumentFetcher, HASH_DOCUMENT, MAX_DOCUMENT_BYTES};
use certwatch_core::certificates::{Certificate, CertificateInput, CertificatePatch};
use certwatch_core::jobs::{JobStatus, Worker, WorkerConfig};
use certwatch_core::suppliers::OrganizationInput;
use certwatch_core::CertWatch;
use certwatch_tests::seed::admin_of;
use certwatch_tests::{core_with_clock, Backend, TestDb};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn worker(app: &CertWatch) -> Worker {
    Worker::new(
        app.clone(),
        WorkerConfig {
            concurrency: 8,
            documents: Arc::new(ReqwestDocumentFetcher::new(vec!["127.0.0.0/8".parse().expect("net")])),
            ..WorkerConfig::default()
        },
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

async fn cert_with_url(app: &CertWatch, p: &Principal, url: &str) -> Certificate {
    let org = app
        .suppliers()
        .create_organization(p, OrganizationInput { name: format!("Doc {url}"), ..Default::default() })
        .await
        .expect("org");
    app.certificates()
        .create_certificate(
            p,
            CertificateInput {
                organization_id: org.id,
                certificate_type: "ISO_9001".into(),
                document_url: Some(url.to_owned()),
                ..Default::default()
            },
        )
        .await
        .expect("certificate")
}

async fn hash_of(app: &CertWatch, p: &Principal, c: &Certificate) -> Option<String> {
    let c = app.certificates().get_certificate(p, c.id).await.expect("get");
    c.document_hash.map(|h| h.as_str().to_owned())
}

async fn documents(db: TestDb) {
    let (app, _clock) = core_with_clock(db.store.clone());
    let (p, _) = admin_of(&app, "docs@example.com").await;
    let srv = MockServer::start().await;
    let doc_a = b"%PDF-1.7 certificate A".to_vec();
    let doc_b = b"%PDF-1.7 certificate B, renewed".to_vec();
    Mock::given(method("GET"))
        .and(path("/a.pdf"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(doc_a.clone()))
        .mount(&srv)
        .await;
    Mock::given(method("GET"))
        .and(path("/b.pdf"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(doc_b.clone()))
        .mount(&srv)
        .await;
    Mock::given(method("GET"))
        .and(path("/moved"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/a.pdf"))
        .mount(&srv)
        .await;
    Mock::given(method("GET"))
        .and(path("/metadata"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "http://169.254.169.254/latest/meta-data"))
        .mount(&srv)
        .await;
    Mock::given(method("GET"))
        .and(path("/loop"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/loop"))
        .mount(&srv)
        .await;
    let big = vec![b'x'; usize::try_from(MAX_DOCUMENT_BYTES).expect("fits") + 1];
    Mock::given(method("GET"))
        .and(path("/big.pdf"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(big))
        .mount(&srv)
        .await;
    let w = worker(&app);

    // Set at creation: hashed by the job the creation enqueued.
    let direct = cert_with_url(&app, &p, &format!("{}/a.pdf", srv.uri())).await;
    // Through one redirect.
    let moved = cert_with_url(&app, &p, &format!("{}/moved", srv.uri())).await;
    // A redirect into the metadata service, a redirect loop, an oversized document.
    let ssrf = cert_with_url(&app, &p, &format!("{}/metadata", srv.uri())).await;
    let looping = cert_with_url(&app, &p, &format!("{}/loop", srv.uri())).await;
    let big = cert_with_url(&app, &p, &format!("{}/big.pdf", srv.uri())).await;
    // Changed before its first job ran: the old URL's job must not stamp.
    let changed = cert_with_url(&app, &p, &format!("{}/a.pdf", srv.uri())).await;
    app.certificates()
        .update_certificate(
            &p,
            changed.id,
            CertificatePatch { document_url: Some(Some(format!("{}/b.pdf", srv.uri()))), ..Default::default() },
        )
        .await
        .expect("change URL");

    // Drain: dispatch jobs and the seven hash jobs.
    while !w.run_once().await.expect("run").is_empty() {}

    assert_eq!(hash_of(&app, &p, &direct).await, Some(sha256_hex(&doc_a)));
    assert_eq!(hash_of(&app, &p, &moved).await, Some(sha256_hex(&doc_a)), "redirect followed");
    assert_eq!(hash_of(&app, &p, &changed).await, Some(sha256_hex(&doc_b)), "only the current URL's hash");
    for c in [&ssrf, &looping, &big] {
        assert_eq!(hash_of(&app, &p, c).await, None);
    }
    let dead = app.jobs().list(JobStatus::Dead, 100).await.expect("dead");
    let errors: Vec<&str> =
        dead.iter().filter(|j| j.kind == HASH_DOCUMENT).filter_map(|j| j.last_error.as_deref()).collect();
    assert_eq!(errors.len(), 3, "refusals are permanent: {errors:?}");
    assert!(errors.iter().any(|e| e.contains("169.254.169.254")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("redirects")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("larger than")), "{errors:?}");
    // The hop into the metadata service was refused before any request.
    assert!(dead.iter().all(|j| j.attempts == 1), "no retries for refusals");
}

#[tokio::test]
async fn documents_sqlite() {
    documents(TestDb::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn documents_postgres() {
    documents(TestDb::new(Backend::Postgres).await).await;
}

//! Bulk upload end to end over real HTTP on both backends: the corpus's
//! text PDFs and negative documents are uploaded as one batch, processed by
//! the real job handler, and the matched / needs_review split is compared
//! with the labels (auto-match rate and precision printed); no certificate
//! may come from a negative. Then the review flow (confirm with
//! corrections, skip), quality metrics (endpoint and `/metrics`), tenant
//! isolation, and hostile input: a renamed executable, a 25 MB file,
//! `../../etc/passwd` as a file name and a PDF carrying JavaScript.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use certwatch_core::bulk_upload::{normalize_org_name, NoOcr};
use certwatch_core::dedupe::normalize_number;
use certwatch_core::suppliers::OrganizationInput;
use certwatch_tests::bulk::{blob_dir, corpus_documents, corpus_file, drain, upload, worker};
use certwatch_tests::http::TestServer;
use certwatch_tests::Backend;
use serde_json::{json, Value};

const PW: &str = "bulk upload password 1";

/// Organizations for every holder of the corpus, half of them under a
/// name with a different legal form or none (so matching must ignore
/// it), plus look-alike distractors. Holder name → organization id.
async fn seed_organizations(srv: &TestServer, token: &str, labels: &[Value]) -> BTreeMap<String, String> {
    let p = srv.principal(token).await;
    let holders: BTreeSet<String> =
        labels.iter().filter_map(|l| l["holder_name"].as_str().map(str::to_owned)).collect();
    let mut ids = BTreeMap::new();
    for (i, h) in holders.iter().enumerate() {
        let name = if i % 2 == 0 { h.clone() } else { normalize_org_name(h).to_uppercase() };
        let o = srv
            .core
            .suppliers()
            .create_organization(&p, OrganizationInput { name, ..OrganizationInput::default() })
            .await
            .expect("organization");
        ids.insert(normalize_org_name(h), o.id.to_string());
    }
    for name in ["Nordwind Logistik GmbH", "Atlantic Fasteners Ltd", "Sonnenschein Bäckerei KG"] {
        srv.core
            .suppliers()
            .create_organization(&p, OrganizationInput { name: name.into(), ..OrganizationInput::default() })
            .await
            .expect("distractor");
    }
    ids
}

/// What the labels say processing should do: auto-match a certificate that
/// prints every required field; everything else goes to review.
fn should_match(l: &Value) -> bool {
    l["is_certificate"].as_bool() == Some(true)
        && l["expiry_date"].is_string()
        && l["certificate_number"].is_string()
        && l["holder_name"].is_string()
}

async fn corpus_split(backend: Backend) {
    let srv = TestServer::spawn(backend).await;
    let token = srv.signup("bulk@upload.example", PW, "Bulk").await;
    let labels: Vec<Value> = corpus_documents().into_iter().filter(|l| l["format"] == "text_pdf").collect();
    assert!(labels.len() >= 40, "expected the corpus's 50 text PDFs, found {}", labels.len());
    let orgs = seed_organizations(&srv, &token, &labels).await;
    let files: Vec<(String, Vec<u8>)> =
        labels.iter().map(|l| (l["file"].as_str().expect("file").to_owned(), corpus_file(l))).collect();

    let a = upload(&srv, &token, &files).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["status"], "pending");
    assert_eq!(a.body["total"].as_u64(), Some(files.len() as u64));
    let batch = a.body["id"].as_str().expect("batch id").to_owned();

    let w = worker(&srv, Arc::new(NoOcr));
    drain(&w).await;

    let d = srv.call("GET", &format!("/api/bulk-upload/batches/{batch}"), Some(&token), None).await;
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(d.body["batch"]["status"], "completed", "{}", d.text);
    let items = d.body["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), files.len());

    let by_name: BTreeMap<&str, &Value> = labels.iter().map(|l| (l["file"].as_str().expect("file"), l)).collect();
    let (mut expected, mut auto, mut correct) = (0usize, 0usize, 0usize);
    let mut wrong = Vec::new();
    let mut certificates_from_negatives = 0;
    for item in &items {
        let name = item["original_filename"].as_str().expect("name");
        let label = by_name.get(name).unwrap_or_else(|| panic!("no label for {name}"));
        let status = item["status"].as_str().expect("status");
        assert!(status == "matched" || status == "needs_review", "{name}: {status} {item}");
        if should_match(label) {
            expected += 1;
        } else {
            assert_eq!(status, "needs_review", "{name} must wait for review: {item}");
        }
        if label["is_certificate"] == false && item["certificate_id"].is_string() {
            certificates_from_negatives += 1;
        }
        if status != "matched" {
            // Review items say why: a missing field or too little confidence.
            let data = &item["extracted_data"];
            let why = data["missing"].as_array().is_some_and(|m| !m.is_empty())
                || data["confidence"].as_f64().is_some_and(|c| c < 0.8);
            assert!(why, "{name} waits for review without a reason: {item}");
            continue;
        }
        auto += 1;
        let cert_id = item["certificate_id"].as_str().expect("matched items have a certificate");
        let c = srv.call("GET", &format!("/api/certificates/{cert_id}"), Some(&token), None).await;
        assert_eq!(c.status, 200, "{}", c.text);
        let org = orgs.get(&normalize_org_name(label["holder_name"].as_str().unwrap_or_default()));
        let right = c.body["provenance"] == "upload"
            && c.body["certificate_number"].as_str().map(normalize_number)
                == label["certificate_number"].as_str().map(normalize_number)
            && c.body["certificate_type"] == label["certificate_type_code"]
            && c.body["expiry_date"] == label["expiry_date"]
            && c.body["organization_id"].as_str() == org.map(String::as_str);
        if right {
            correct += 1;
        } else {
            wrong.push(format!("{name}: got {} / label {}", c.text, label));
        }
    }
    let rate = auto as f64 / expected as f64;
    let precision = if auto == 0 { 0.0 } else { correct as f64 / auto as f64 };
    println!("bulk upload of {} text PDFs ({backend:?}):", items.len());
    println!("  should auto-match (labels) {expected:>3}");
    println!("  auto-matched              {auto:>3}   auto-match rate {:.1}%", rate * 100.0);
    println!("  correct among matched     {correct:>3}   precision       {:.1}%", precision * 100.0);
    assert_eq!(certificates_from_negatives, 0, "a negative document produced a certificate");
    assert!(wrong.is_empty(), "auto-matched certificates that disagree with the labels:\n{}", wrong.join("\n"));
    assert!(rate >= 0.8, "auto-match rate {rate:.2} below 0.8 ({auto} of {expected})");

    // Quality from the endpoint agrees with the items.
    let q = srv.call("GET", &format!("/api/bulk-upload/batches/{batch}/quality"), Some(&token), None).await;
    assert_eq!(q.status, 200, "{}", q.text);
    assert_eq!(q.body["auto_matched"].as_u64(), Some(auto as u64));
    assert_eq!(q.body["extraction_failed"].as_u64(), Some(0));
    let expected_rate = auto as f64 / items.len() as f64;
    assert!((q.body["auto_match_rate"].as_f64().expect("rate") - expected_rate).abs() < 1e-9, "{}", q.text);

    // Review: confirm a certificate without expiry with a correction, skip a negative.
    let review = srv.call("GET", &format!("/api/bulk-upload/review?batch_id={batch}"), Some(&token), None).await;
    assert_eq!(review.status, 200, "{}", review.text);
    let queue = review.body["items"].as_array().expect("review items").clone();
    assert_eq!(queue.len(), items.len() - auto);
    for it in &queue {
        assert!(it["extracted_data"]["fields"].is_object(), "{it}");
        for f in it["extracted_data"]["fields"].as_object().expect("fields").values() {
            let c = f["confidence"].as_f64().expect("confidence");
            assert!((0.0..=1.0).contains(&c), "{f}");
        }
    }
    let label_of = |it: &Value| *by_name.get(it["original_filename"].as_str().expect("name")).expect("label");
    let no_expiry = queue
        .iter()
        .find(|it| {
            let l = label_of(it);
            l["is_certificate"] == true && l["expiry_date"].is_null() && l["holder_name"].is_string()
        })
        .expect("a certificate without expiry date waits for review");
    let label = label_of(no_expiry);
    let org = orgs[&normalize_org_name(label["holder_name"].as_str().expect("holder"))].clone();
    let id = no_expiry["id"].as_str().expect("id");
    let r = srv
        .call(
            "POST",
            &format!("/api/bulk-upload/items/{id}/confirm"),
            Some(&token),
            Some(&json!({"organization_id": org, "expiry_date": "2029-12-31"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "matched");
    let corrected = r.body["user_corrections"]["fields"].as_array().expect("corrections").clone();
    assert!(corrected.contains(&json!("expiry_date")), "{}", r.text);
    let cert = r.body["certificate_id"].as_str().expect("certificate");
    let c = srv.call("GET", &format!("/api/certificates/{cert}"), Some(&token), None).await;
    assert_eq!(c.body["expiry_date"], "2029-12-31", "{}", c.text);
    assert_eq!(c.body["organization_id"].as_str(), Some(org.as_str()));
    // Confirming twice is a conflict, not a second certificate.
    let again = srv.call("POST", &format!("/api/bulk-upload/items/{id}/confirm"), Some(&token), Some(&json!({}))).await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert!(again.is_problem());

    let negative = queue.iter().find(|it| label_of(it)["is_certificate"] == false).expect("a negative");
    let nid = negative["id"].as_str().expect("id");
    let s = srv.call("POST", &format!("/api/bulk-upload/items/{nid}/skip"), Some(&token), None).await;
    assert_eq!(s.status, 200, "{}", s.text);
    assert_eq!(s.body["status"], "skipped");
    let s = srv.call("POST", &format!("/api/bulk-upload/items/{nid}/skip"), Some(&token), None).await;
    assert_eq!(s.status, 409, "{}", s.text);

    let q = srv.call("GET", "/api/bulk-upload/quality", Some(&token), None).await;
    assert_eq!(q.body["confirmed"].as_u64(), Some(1), "{}", q.text);
    assert_eq!(q.body["skipped"].as_u64(), Some(1), "{}", q.text);
    assert_eq!(q.body["correction_rate"]["expiry_date"].as_f64(), Some(1.0), "{}", q.text);

    // The same numbers on /metrics.
    let tenant = srv.principal(&token).await.tenant_id.to_string();
    let m = srv.client.get(format!("{}/metrics", srv.base)).send().await.expect("metrics").text().await.expect("text");
    let line = format!("certwatch_bulk_upload_correction_rate{{field=\"expiry_date\",tenant=\"{tenant}\"}} 1");
    assert!(m.contains(&line), "missing {line} in /metrics:\n{m}");
    assert!(m.contains(&format!("certwatch_bulk_upload_auto_match_rate{{tenant=\"{tenant}\"}}")), "{m}");

    // Another tenant sees none of it.
    let other = srv.signup("other@upload.example", PW, "Other").await;
    let o = srv.call("GET", &format!("/api/bulk-upload/batches/{batch}"), Some(&other), None).await;
    assert_eq!(o.status, 404, "{}", o.text);
    let o = srv.call("GET", &format!("/api/bulk-upload/items/{id}"), Some(&other), None).await;
    assert_eq!(o.status, 404, "{}", o.text);
    let o = srv.call("GET", "/api/bulk-upload/batches", Some(&other), None).await;
    assert_eq!(o.body["items"].as_array().map(Vec::len), Some(0), "{}", o.text);

    // Postgres: row-level security binds the owner role too (no tenant set:
    // no rows; another tenant: no rows).
    if backend == Backend::Postgres {
        let other_tenant = srv.principal(&other).await.tenant_id.to_string();
        for table in ["upload_batches", "upload_items"] {
            let mut seen = Vec::new();
            for t in [None, Some(other_tenant.as_str()), Some(tenant.as_str())] {
                let mut tx = srv.db.pg_pool().begin().await.expect("begin");
                if let Some(t) = t {
                    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
                        .bind(t)
                        .execute(&mut *tx)
                        .await
                        .expect("set tenant");
                }
                let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                    .fetch_one(&mut *tx)
                    .await
                    .expect("count");
                seen.push(n);
            }
            assert_eq!(&seen[..2], &[0, 0], "{table} leaks rows without the right tenant: {seen:?}");
            assert!(seen[2] > 0, "{table}: the tenant sees its rows");
        }
    }

    // Uploading the same files again updates, never duplicates.
    let before = srv.call("GET", "/api/certificates?page_size=500", Some(&token), None).await.body["total"].clone();
    let a = upload(&srv, &token, &files[..5]).await;
    assert_eq!(a.status, 201, "{}", a.text);
    drain(&w).await;
    let after = srv.call("GET", "/api/certificates?page_size=500", Some(&token), None).await.body["total"].clone();
    assert_eq!(before, after, "re-uploaded documents created certificates");
}

fn blobs_in(dir: &std::path::Path) -> usize {
    fn walk(d: &std::path::Path, n: &mut usize) {
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, n);
                } else {
                    *n += 1;
                }
            }
        }
    }
    let mut n = 0;
    walk(dir, &mut n);
    n
}

async fn hostile(backend: Backend) {
    // No server worker: the test deletes a stored file between upload and
    // processing, so only its own worker may process items (a server
    // worker could take the item first).
    let srv = TestServer::spawn_without_worker(backend).await;
    let (_, token) = certwatch_tests::seed::admin_of(&srv.core, "hostile@upload.example").await;
    let pdf = corpus_file(
        corpus_documents()
            .iter()
            .find(|l| l["format"] == "text_pdf" && l["is_certificate"] == true)
            .expect("a text PDF"),
    );

    // A renamed executable.
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    exe.extend(std::iter::repeat_n(0u8, 4096));
    let a = upload(&srv, &token, &[("invoice.pdf".into(), exe.clone()), ("ok.pdf".into(), pdf.clone())]).await;
    assert_eq!(a.status, 422, "{}", a.text);
    assert!(a.is_problem(), "{}", a.text);
    assert!(a.text.contains("invoice.pdf") && a.text.contains("not a pdf"), "{}", a.text);

    // Not an accepted type at all.
    let a = upload(&srv, &token, &[("setup.exe".into(), exe)]).await;
    assert_eq!(a.status, 422, "{}", a.text);

    // 25 MB, generated here.
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(25 * 1024 * 1024, b' ');
    let a = upload(&srv, &token, &[("big.pdf".into(), big)]).await;
    assert_eq!(a.status, 422, "{}", a.text);
    assert!(a.text.contains("20 MiB"), "{}", a.text);

    // Nothing was stored by any refused batch.
    let l = srv.call("GET", "/api/bulk-upload/batches", Some(&token), None).await;
    assert_eq!(l.body["items"].as_array().map(Vec::len), Some(0), "{}", l.text);
    assert_eq!(blobs_in(&blob_dir(&srv)), 0, "refused files were stored");

    // A path as a file name: no extension → refused; with one → stored
    // under a generated key inside the upload directory, shown sanitised.
    let a = upload(&srv, &token, &[("../../etc/passwd".into(), pdf.clone())]).await;
    assert_eq!(a.status, 422, "{}", a.text);
    let a = upload(&srv, &token, &[("../../etc/passwd.pdf".into(), pdf.clone())]).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let batch = a.body["id"].as_str().expect("id");
    let d = srv.call("GET", &format!("/api/bulk-upload/batches/{batch}"), Some(&token), None).await;
    assert_eq!(d.body["items"][0]["original_filename"], "passwd.pdf", "{}", d.text);
    assert_eq!(blobs_in(&blob_dir(&srv)), 1);
    assert!(!srv.outbox.dir().join("etc").exists() && !blob_dir(&srv).join("passwd.pdf").exists());

    // A PDF carrying JavaScript (an action object appended as an
    // incremental update): accepted as data, flagged, never run.
    let mut js = pdf.clone();
    js.extend_from_slice(b"\n999 0 obj\n<< /Type /Action /S /JavaScript /JS (app.alert\\('pwned'\\)) >>\nendobj\n");
    let a = upload(&srv, &token, &[("<script>alert(1)</script>scripted.pdf".into(), js)]).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let batch = a.body["id"].as_str().expect("id").to_owned();
    drain(&worker(&srv, Arc::new(NoOcr))).await;
    let d = srv.call("GET", &format!("/api/bulk-upload/batches/{batch}"), Some(&token), None).await;
    let item = &d.body["items"][0];
    assert_eq!(item["original_filename"], "scripted.pdf", "{}", d.text);
    let warnings = item["extracted_data"]["warnings"].as_array().expect("warnings");
    assert!(warnings.iter().any(|w| w.as_str().is_some_and(|w| w.starts_with("pdf_contains_javascript"))), "{item}");

    // Without an OCR engine, an image waits for review and says why.
    let img = corpus_documents().into_iter().find(|l| l["format"] == "image").expect("an image");
    let a = upload(&srv, &token, &[(img["file"].as_str().expect("file").to_owned(), corpus_file(&img))]).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let batch = a.body["id"].as_str().expect("id").to_owned();
    drain(&worker(&srv, Arc::new(NoOcr))).await;
    let d = srv.call("GET", &format!("/api/bulk-upload/batches/{batch}"), Some(&token), None).await;
    let item = &d.body["items"][0];
    assert_eq!(item["status"], "needs_review", "{item}");
    assert!(item["error_message"].as_str().is_some_and(|e| e.contains("OCR not available in this build")), "{item}");

    // A damaged PDF, and a stored file that vanished: extraction_failed
    // with the reason, counted in the failure rate.
    let a = upload(&srv, &token, &[("broken.pdf".into(), b"%PDF-1.4\nnot really".to_vec()), ("gone.pdf".into(), pdf)])
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let batch = a.body["id"].as_str().expect("id").to_owned();
    let d = srv.call("GET", &format!("/api/bulk-upload/batches/{batch}"), Some(&token), None).await;
    let gone = d.body["items"][1]["id"].as_str().expect("id").to_owned();
    let tenant = srv.principal(&token).await.tenant_id.to_string();
    std::fs::remove_file(blob_dir(&srv).join(&tenant).join(format!("{gone}.pdf"))).expect("remove stored file");
    drain(&worker(&srv, Arc::new(NoOcr))).await;
    let d = srv.call("GET", &format!("/api/bulk-upload/batches/{batch}"), Some(&token), None).await;
    assert_eq!(d.body["batch"]["status"], "completed", "{}", d.text);
    for (i, why) in [(0, "not a readable PDF"), (1, "stored file is missing")] {
        let item = &d.body["items"][i];
        assert_eq!(item["status"], "extraction_failed", "{item}");
        assert!(item["error_message"].as_str().is_some_and(|e| e.contains(why)), "{item}");
    }
    let q = srv.call("GET", &format!("/api/bulk-upload/batches/{batch}/quality"), Some(&token), None).await;
    assert_eq!(q.body["extraction_failure_rate"].as_f64(), Some(1.0), "{}", q.text);

    // Not multipart at all.
    let a = srv.call("POST", "/api/bulk-upload/batches", Some(&token), Some(&json!({"files": []}))).await;
    assert!(a.status == 400 || a.status == 415, "{}", a.text);
    assert!(a.is_problem(), "{}", a.text);
}

#[tokio::test]
async fn corpus_split_sqlite() {
    corpus_split(Backend::Sqlite).await;
}

#[tokio::test]
async fn corpus_split_postgres() {
    corpus_split(Backend::Postgres).await;
}

#[tokio::test]
async fn hostile_input_sqlite() {
    hostile(Backend::Sqlite).await;
}

#[tokio::test]
async fn hostile_input_postgres() {
    hostile(Backend::Postgres).await;
}

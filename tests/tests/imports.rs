//! Spreadsheet imports through the real server on both backends: files
//! written at test time by rust_xlsxwriter (dates, formulas with cached
//! values, empty rows, merged title cells, 10,000 rows), a committed `.xls`,
//! CSV variants, hostile input (renamed executable, zip bomb, 25 MB, path
//! names, formula injection), partial failures and two racing imports.

use std::io::{Cursor, Write as _};

use certwatch_core::certificates::{CertificateQuery, CertificateStatus, Provenance};
use certwatch_core::jobs::{kinds::WEBSITE_DISCOVERY, JobStatus};
use certwatch_core::suppliers::{Organization, OrganizationQuery};
use certwatch_tests::http::{Answer, TestServer};
use certwatch_tests::Backend;
use chrono::NaiveDate;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// POSTs `bytes` as the `file` part of a multipart upload named `filename`.
async fn upload(srv: &TestServer, token: &str, filename: &str, bytes: &[u8]) -> Answer {
    let boundary = format!("cwboundary{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::with_capacity(bytes.len() + 512);
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .expect("write");
    body.extend_from_slice(bytes);
    write!(body, "\r\n--{boundary}--\r\n").expect("write");
    let res = srv
        .client
        .post(format!("{}/api/imports/", srv.base))
        .header("Authorization", format!("Token {token}"))
        .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .expect("request sent");
    let status = res.status().as_u16();
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Answer { status, content_type, body, text }
}

async fn download(srv: &TestServer, token: &str, path: &str) -> (u16, String, Vec<u8>) {
    let res = srv
        .client
        .get(format!("{}{path}", srv.base))
        .header("Authorization", format!("Token {token}"))
        .send()
        .await
        .expect("request sent");
    let status = res.status().as_u16();
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, ct, res.bytes().await.expect("body").to_vec())
}

async fn setup(backend: Backend) -> (TestServer, String) {
    let srv = TestServer::spawn(backend).await;
    let token = srv.signup("importer@imports.example", "import password 123", "Importers").await;
    (srv, token)
}

async fn organizations(srv: &TestServer, token: &str) -> Vec<Organization> {
    let p = srv.principal(token).await;
    let mut all = Vec::new();
    let mut page = 1;
    loop {
        let q = OrganizationQuery {
            page: certwatch_core::pagination::PageRequest::new(page, 500).expect("page"),
            ..OrganizationQuery::default()
        };
        let found = srv.core.suppliers().list_organizations(&p, &q).await.expect("list");
        let n = found.items.len();
        all.extend(found.items.into_iter().map(|s| s.organization));
        if n < 500 {
            return all;
        }
        page += 1;
    }
}

fn by_ext<'a>(orgs: &'a [Organization], ext: &str) -> &'a Organization {
    orgs.iter().find(|o| o.external_id.as_deref() == Some(ext)).unwrap_or_else(|| panic!("no organization {ext}"))
}

/// A workbook as people make them: a merged title over the header, a blank
/// row, header aliases, a numeric id, date cells, a formula with its cached
/// value, empty rows between data, and one row with an unknown type.
fn realistic_xlsx() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("dd.mm.yyyy");
    let title = Format::new().set_bold();
    ws.merge_range(0, 0, 0, 7, "Supplier list 2026 (confidential)", &title).expect("merge");
    for (c, h) in
        ["Supplier ID", "Company", "Land", "Website", "Certificate", "Certificate No.", "Issuer", "Expiry Date"]
            .iter()
            .enumerate()
    {
        ws.write_string(2, c as u16, *h).expect("header");
    }
    // Row 4: numeric id, formula name (cached value), date cell.
    ws.write_number(3, 0, 12345.0).expect("id");
    ws.write_formula(3, 1, Formula::new("=CONCATENATE(\"Acme\",\" GmbH\")").set_result("Acme GmbH")).expect("f");
    ws.write_string(3, 2, "DE").expect("c");
    ws.write_string(3, 3, "https://acme.example").expect("w");
    ws.write_string(3, 4, "ISO 9001").expect("t");
    ws.write_string(3, 5, "Q-1").expect("n");
    ws.write_string(3, 6, "TÜV SÜD").expect("i");
    let expiry = ExcelDateTime::from_ymd(2027, 3, 31).expect("date");
    ws.write_datetime_with_format(3, 7, &expiry, &date).expect("d");
    // Rows 5 and 6 empty. Row 7: an expired certificate, date as a serial number.
    ws.write_string(6, 0, "B-2").expect("id");
    ws.write_string(6, 1, "Beta AG").expect("n");
    ws.write_string(6, 4, "IATF_16949").expect("t");
    ws.write_number(6, 7, 45000.0).expect("serial");
    // Row 8: unknown certificate type.
    ws.write_string(7, 0, "C-3").expect("id");
    ws.write_string(7, 1, "Gamma Ltd").expect("n");
    ws.write_string(7, 4, "ISO 99999").expect("t");
    // Row 9: bad country.
    ws.write_string(8, 0, "D-4").expect("id");
    ws.write_string(8, 1, "Delta Inc").expect("n");
    ws.write_string(8, 2, "Germany!").expect("c");
    wb.save_to_buffer().expect("xlsx")
}

async fn realistic_workbook(backend: Backend) {
    let (srv, token) = setup(backend).await;
    let a = upload(&srv, &token, "suppliers.xlsx", &realistic_xlsx()).await;
    assert_eq!(a.status, 207, "{}", a.text);
    assert_eq!(a.body["rows"], 4, "{}", a.text);
    assert_eq!(a.body["created"], 2, "{}", a.text);
    assert_eq!(a.body["certificates_created"], 2, "{}", a.text);
    let errors = a.body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{}", a.text);
    assert_eq!(errors[0]["row"], 8);
    assert_eq!(errors[0]["column"], "Certificate");
    assert!(errors[0]["message"].as_str().is_some_and(|m| m.contains("unknown certificate type")), "{}", a.text);
    assert_eq!(errors[1]["row"], 9);
    assert_eq!(errors[1]["column"], "Land");

    let orgs = organizations(&srv, &token).await;
    assert_eq!(orgs.len(), 2, "only the good rows are committed");
    let acme = by_ext(&orgs, "12345");
    assert_eq!(acme.name, "Acme GmbH", "formula cells import their cached value");
    assert_eq!(acme.country.as_ref().map(|c| c.as_str()), Some("DE"));
    let p = srv.principal(&token).await;
    let q = CertificateQuery { organization_id: Some(acme.id), ..CertificateQuery::default() };
    let certs = srv.core.certificates().list_certificates(&p, &q).await.expect("certs").items;
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].certificate_type, "ISO_9001");
    assert_eq!(certs[0].expiry_date, NaiveDate::from_ymd_opt(2027, 3, 31));
    assert_eq!(certs[0].issuing_body.as_deref(), Some("TÜV SÜD"));
    assert_eq!(certs[0].status, CertificateStatus::Active);
    assert_eq!(certs[0].provenance, Provenance::Import);
    let beta = by_ext(&orgs, "B-2");
    let q = CertificateQuery { organization_id: Some(beta.id), ..CertificateQuery::default() };
    let certs = srv.core.certificates().list_certificates(&p, &q).await.expect("certs").items;
    assert_eq!(certs[0].expiry_date, NaiveDate::from_ymd_opt(2023, 3, 15), "serial 45000");
    assert_eq!(certs[0].status, CertificateStatus::Expired);
    let detail = srv.core.suppliers().get_organization(&p, acme.id).await.expect("detail");
    assert_eq!(detail.counts.active, 1, "counters are maintained");
    // Organizations an import creates are inserted with their counters
    // (no recount): each must agree with its certificates.
    let today = srv.core.clock().today();
    for o in &orgs {
        let q = CertificateQuery { organization_id: Some(o.id), ..CertificateQuery::default() };
        let certs = srv.core.certificates().list_certificates(&p, &q).await.expect("certs").items;
        let active: Vec<_> = certs.iter().filter(|c| c.status == CertificateStatus::Active).collect();
        let expiring = active
            .iter()
            .filter(|c| c.expiry_date.is_some_and(|d| d >= today && d <= today + chrono::Duration::days(30)))
            .count();
        let expired = certs.iter().filter(|c| c.status == CertificateStatus::Expired).count();
        let counts = srv.core.suppliers().get_organization(&p, o.id).await.expect("detail").counts;
        assert_eq!(
            (counts.active, counts.expiring, counts.expired),
            (active.len() as u64, expiring as u64, expired as u64),
            "counters of {:?}",
            o.external_id
        );
    }

    // Each new organization is queued for website discovery, once.
    // (The test server's own worker may already have taken them: look at
    // every status.)
    let jobs = discovery_jobs(&srv).await;
    let discovery: Vec<_> = jobs.iter().collect();
    assert_eq!(discovery.len(), 2);
    assert!(discovery.iter().any(|j| j.payload["organization_id"] == serde_json::json!(acme.id)));

    // The same file again updates instead of duplicating.
    let again = upload(&srv, &token, "suppliers.xlsx", &realistic_xlsx()).await;
    assert_eq!(again.status, 207, "{}", again.text);
    assert_eq!((again.body["created"].as_u64(), again.body["updated"].as_u64()), (Some(0), Some(2)));
    assert_eq!(again.body["certificates_created"], 0, "{}", again.text);
    assert_eq!(organizations(&srv, &token).await.len(), 2);
    assert_eq!(discovery_jobs(&srv).await.len(), 2, "no discovery for updates");
}

/// Every `website_discovery` job in any status (the test server's own
/// worker may already have taken them).
async fn discovery_jobs(srv: &TestServer) -> Vec<certwatch_core::jobs::Job> {
    let all = [JobStatus::Queued, JobStatus::Running, JobStatus::Succeeded, JobStatus::Dead];
    certwatch_tests::jobs_of_kind(&srv.core, WEBSITE_DISCOVERY, &all).await
}

#[tokio::test]
async fn realistic_workbook_sqlite() {
    realistic_workbook(Backend::Sqlite).await;
}
#[tokio::test]
async fn realistic_workbook_postgres() {
    realistic_workbook(Backend::Postgres).await;
}

fn big_xlsx(rows: u32) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in
        ["external_id", "name", "country", "certificate_type", "certificate_number", "expiry_date"].iter().enumerate()
    {
        ws.write_string(0, c as u16, *h).expect("header");
    }
    let expiry = ExcelDateTime::from_ymd(2028, 1, 1).expect("date");
    for r in 1..=rows {
        ws.write_number(r, 0, f64::from(r)).expect("id");
        ws.write_string(r, 1, format!("Supplier {r}")).expect("name");
        ws.write_string(r, 2, "DE").expect("country");
        ws.write_string(r, 3, "ISO 9001").expect("type");
        ws.write_string(r, 4, format!("N-{r}")).expect("number");
        ws.write_datetime_with_format(r, 5, &expiry, &date).expect("date");
    }
    wb.save_to_buffer().expect("xlsx")
}

async fn ten_thousand_rows(backend: Backend) {
    let (srv, token) = setup(backend).await;
    let a = upload(&srv, &token, "big.xlsx", &big_xlsx(10_000)).await;
    assert_eq!(a.status, 200, "{}", &a.text[..a.text.len().min(500)]);
    assert_eq!(a.body["created"], 10_000);
    assert_eq!(a.body["certificates_created"], 10_000);
    let orgs = organizations(&srv, &token).await;
    assert_eq!(orgs.len(), 10_000);
    assert_eq!(by_ext(&orgs, "9999").name, "Supplier 9999");
}

#[tokio::test]
async fn ten_thousand_rows_sqlite() {
    ten_thousand_rows(Backend::Sqlite).await;
}
#[tokio::test]
async fn ten_thousand_rows_postgres() {
    ten_thousand_rows(Backend::Postgres).await;
}

async fn legacy_xls_and_csv_variants(backend: Backend) {
    let (srv, token) = setup(backend).await;
    let xls = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/imports/suppliers.xls")).expect("fixture");
    let a = upload(&srv, &token, "Lieferanten.XLS", &xls).await;
    assert_eq!(a.status, 207, "{}", a.text);
    assert_eq!(a.body["created"], 2, "{}", a.text);
    assert_eq!(a.body["errors"][0]["row"], 7, "{}", a.text);
    assert_eq!(a.body["errors"][0]["column"], "Zertifikat", "{}", a.text);
    let orgs = organizations(&srv, &token).await;
    assert_eq!(by_ext(&orgs, "70001").name, "Müller Stahlbau GmbH");

    // Windows-1252, semicolons, a BOM-less German header.
    let cp1252 = b"Lieferantennummer;Firma;Land\n80001;B\xE4ckerei M\xFCller;DE\n\n80002;\"Foo; Bar\";FR\n".to_vec();
    let a = upload(&srv, &token, "export.csv", &cp1252).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let orgs = organizations(&srv, &token).await;
    assert_eq!(by_ext(&orgs, "80001").name, "Bäckerei Müller");
    assert_eq!(by_ext(&orgs, "80002").name, "Foo; Bar");
    // UTF-8 with BOM, tabs, updating by external id.
    let tsv = "\u{feff}Supplier Number\tCompany Name\tWebsite\n80001\tBäckerei Müller KG\thttps://baeckerei.example\n";
    let a = upload(&srv, &token, "export.csv", tsv.as_bytes()).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["updated"], 1, "{}", a.text);
    let orgs = organizations(&srv, &token).await;
    let o = by_ext(&orgs, "80001");
    assert_eq!(o.name, "Bäckerei Müller KG");
    assert_eq!(o.country.as_ref().map(|c| c.as_str()), Some("DE"), "blank cells leave values alone");
    // The same external id twice in one file: one organization, the later row wins.
    let a = upload(&srv, &token, "dup.csv", b"external_id,name\nDUP,First\nDUP,Second\n").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!((a.body["created"].as_u64(), a.body["updated"].as_u64()), (Some(1), Some(1)), "{}", a.text);
    let orgs = organizations(&srv, &token).await;
    assert_eq!(orgs.iter().filter(|o| o.external_id.as_deref() == Some("DUP")).count(), 1);
    assert_eq!(by_ext(&orgs, "DUP").name, "Second");
}

#[tokio::test]
async fn legacy_xls_and_csv_variants_sqlite() {
    legacy_xls_and_csv_variants(Backend::Sqlite).await;
}
#[tokio::test]
async fn legacy_xls_and_csv_variants_postgres() {
    legacy_xls_and_csv_variants(Backend::Postgres).await;
}

fn zip_bomb() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    w.start_file("[Content_Types].xml", opts).expect("start");
    w.write_all(b"<Types/>").expect("write");
    w.start_file("xl/worksheets/sheet1.xml", opts).expect("start");
    let zeros = vec![b'0'; 1024 * 1024];
    for _ in 0..48 {
        w.write_all(&zeros).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

async fn hostile_input(backend: Backend) {
    let (srv, token) = setup(backend).await;
    let refused = |a: &Answer, status: u16, needle: &str| {
        assert_eq!(a.status, status, "{}", a.text);
        assert!(a.is_problem(), "{}", a.text);
        assert!(a.body["detail"].as_str().is_some_and(|d| d.contains(needle)), "{needle:?} not in {}", a.text);
    };
    let exe = [b"MZ\x90\x00\x03\x00\x00\x00".as_slice(), &[0u8; 512]].concat();
    refused(&upload(&srv, &token, "suppliers.xlsx", &exe).await, 400, "Windows executable");
    refused(&upload(&srv, &token, "suppliers.csv", &exe).await, 400, "Windows executable");
    let bomb = zip_bomb();
    assert!(bomb.len() < 1024 * 1024, "the bomb is small: {}", bomb.len());
    refused(&upload(&srv, &token, "suppliers.xlsx", &bomb).await, 400, "refused");
    let huge = vec![b'a'; 25 * 1024 * 1024];
    let a = upload(&srv, &token, "huge.csv", &huge).await;
    assert_eq!(a.status, 413, "{}", a.text);
    assert!(a.is_problem(), "{}", a.text);
    let just_over = vec![b'a'; certwatch_core::imports::MAX_FILE_BYTES + 1];
    refused(&upload(&srv, &token, "over.csv", &just_over).await, 413, "at most");
    refused(&upload(&srv, &token, "../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n").await, 400, ".csv");
    refused(&upload(&srv, &token, "notes.csv", b"just some words\nnothing tabular\n").await, 400, "header");
    // A path in the name is reduced to its last component, never used as a path.
    let a = upload(&srv, &token, "../../etc/passwd.csv", b"name\nPath Co\n").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["filename"], "passwd.csv");
    // All rows failing: 400 with the rows, nothing stored.
    let a = upload(&srv, &token, "bad.csv", b"external_id,name,country\nX1,,DE\nX2,Two,ZZZ\n").await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert!(a.is_problem(), "{}", a.text);
    assert_eq!(a.body["rows"].as_array().map(Vec::len), Some(2), "{}", a.text);
    assert_eq!(a.body["rows"][0]["column"], "name", "{}", a.text);
    assert_eq!(organizations(&srv, &token).await.len(), 1, "only Path Co");
}

#[tokio::test]
async fn hostile_input_sqlite() {
    hostile_input(Backend::Sqlite).await;
}
#[tokio::test]
async fn hostile_input_postgres() {
    hostile_input(Backend::Postgres).await;
}

async fn formula_injection_is_escaped_on_export(backend: Backend) {
    let (srv, token) = setup(backend).await;
    let csv = "external_id,name\nF1,=cmd|' /C calc'!A0\nF2,@SUM(1+1)\nF3,Plain GmbH\n";
    let a = upload(&srv, &token, "inject.csv", csv.as_bytes()).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let orgs = organizations(&srv, &token).await;
    assert_eq!(by_ext(&orgs, "F1").name, "=cmd|' /C calc'!A0", "stored as given");

    let (status, ct, bytes) = download(&srv, &token, "/api/imports/export?format=csv").await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(text.contains("'=cmd|' /C calc'!A0"), "{text}");
    assert!(text.contains("'@SUM(1+1)"), "{text}");
    assert!(text.contains("Plain GmbH") && !text.contains("'Plain"), "{text}");
    for line in text.lines() {
        for cell in line.split(',') {
            let cell = cell.trim_matches('"');
            assert!(!cell.starts_with(['=', '+', '-', '@']), "unescaped cell {cell:?} in {line:?}");
        }
    }

    let (status, ct, bytes) = download(&srv, &token, "/api/imports/export?format=xlsx").await;
    assert_eq!(status, 200);
    assert_eq!(ct, XLSX);
    use calamine::{Data, Reader};
    let mut wb = calamine::Xlsx::new(Cursor::new(bytes)).expect("xlsx");
    let range = wb.worksheet_range("Suppliers").expect("sheet");
    let mut names = Vec::new();
    for row in range.rows() {
        for cell in row {
            if let Data::String(s) = cell {
                assert!(!s.starts_with(['=', '+', '-', '@', '\t', '\r']), "unescaped {s:?}");
                names.push(s.clone());
            }
        }
    }
    assert!(names.contains(&"'=cmd|' /C calc'!A0".to_owned()), "{names:?}");
    // The exported file imports again (the escaped names stay text).
    let (_, _, csv_again) = download(&srv, &token, "/api/imports/export?format=csv").await;
    let a = upload(&srv, &token, "again.csv", &csv_again).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["updated"], 3, "{}", a.text);

    // The template, in both formats, names every column.
    let (status, ct, bytes) = download(&srv, &token, "/api/imports/template?format=xlsx").await;
    assert_eq!((status, ct.as_str()), (200, XLSX));
    let wb = calamine::Xlsx::new(Cursor::new(bytes)).expect("xlsx");
    assert_eq!(wb.sheet_names(), vec!["Suppliers".to_owned(), "Columns".to_owned()]);
    let (status, _, bytes) = download(&srv, &token, "/api/imports/template").await;
    assert_eq!(status, 200);
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(text.starts_with("\u{feff}external_id,name,country,website,lei,vat,certificate_type"), "{text}");
}

#[tokio::test]
async fn formula_injection_is_escaped_on_export_sqlite() {
    formula_injection_is_escaped_on_export(Backend::Sqlite).await;
}
#[tokio::test]
async fn formula_injection_is_escaped_on_export_postgres() {
    formula_injection_is_escaped_on_export(Backend::Postgres).await;
}

async fn racing_imports(backend: Backend) {
    let (srv, token) = setup(backend).await;
    let mut csv = String::from("external_id,name,certificate_type,certificate_number\n");
    for i in 0..1500 {
        csv.push_str(&format!("R{i},Racer {i},ISO 9001,C-{i}\n"));
    }
    let (a, b) =
        tokio::join!(upload(&srv, &token, "a.csv", csv.as_bytes()), upload(&srv, &token, "b.csv", csv.as_bytes()));
    assert_eq!(a.status, 200, "{}", &a.text[..a.text.len().min(400)]);
    assert_eq!(b.status, 200, "{}", &b.text[..b.text.len().min(400)]);
    let created = a.body["created"].as_u64().unwrap_or(0) + b.body["created"].as_u64().unwrap_or(0);
    let updated = a.body["updated"].as_u64().unwrap_or(0) + b.body["updated"].as_u64().unwrap_or(0);
    assert_eq!((created, updated), (1500, 1500), "each row created once and updated once");
    let orgs = organizations(&srv, &token).await;
    assert_eq!(orgs.len(), 1500, "no duplicates");
    let p = srv.principal(&token).await;
    let q = CertificateQuery {
        page: certwatch_core::pagination::PageRequest::new(1, 1).expect("page"),
        ..CertificateQuery::default()
    };
    assert_eq!(srv.core.certificates().list_certificates(&p, &q).await.expect("certs").total, 1500);
}

#[tokio::test]
async fn racing_imports_sqlite() {
    racing_imports(Backend::Sqlite).await;
}
#[tokio::test]
async fn racing_imports_postgres() {
    racing_imports(Backend::Postgres).await;
}

async fn tenants_are_isolated(backend: Backend) {
    let (srv, token_a) = setup(backend).await;
    let token_b = srv.signup("other@imports.example", "import password 123", "Others").await;
    let a = upload(&srv, &token_a, "a.csv", b"external_id,name\nSAME-1,Alpha of A\n").await;
    assert_eq!(a.body["created"], 1, "{}", a.text);
    // The same external id in another tenant is another organization.
    let b = upload(&srv, &token_b, "b.csv", b"external_id,name\nSAME-1,Alpha of B\n").await;
    assert_eq!((b.body["created"].as_u64(), b.body["updated"].as_u64()), (Some(1), Some(0)), "{}", b.text);
    assert_eq!(by_ext(&organizations(&srv, &token_a).await, "SAME-1").name, "Alpha of A");
    assert_eq!(by_ext(&organizations(&srv, &token_b).await, "SAME-1").name, "Alpha of B");
    let (_, _, bytes) = download(&srv, &token_b, "/api/imports/export").await;
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(text.contains("Alpha of B") && !text.contains("Alpha of A"), "{text}");
}

#[tokio::test]
async fn tenants_are_isolated_sqlite() {
    tenants_are_isolated(Backend::Sqlite).await;
}
#[tokio::test]
async fn tenants_are_isolated_postgres() {
    tenants_are_isolated(Backend::Postgres).await;
}

/// Small batches written two at a time (on Postgres): an external id whose
/// rows straddle batch boundaries is created once and updated by its later
/// rows, a failing row in a concurrent batch is reported alone, and the
/// tenant's organization counter (the unfiltered list's total) matches the
/// rows.
async fn parallel_batches(backend: Backend) {
    let (srv, token) = setup(backend).await;
    let p = srv.principal(&token).await;
    let mut csv = String::from("external_id,name,certificate_type,certificate_number\n");
    for i in 0..60 {
        // Every fifth row names S0, S1 or S2: each of them has four rows,
        // spread over batches that are written at the same time.
        let ext = if i % 5 == 4 { format!("S{}", (i / 5) % 3) } else { format!("E{i}") };
        let ty = if i == 33 { "No Such Standard" } else { "ISO 9001" };
        csv.push_str(&format!("{ext},Org {i},{ty},C-{i}\n"));
    }
    let limits = certwatch_core::imports::ImportLimits {
        batch_size: 7,
        parallel_batches: 2,
        ..certwatch_core::imports::ImportLimits::default()
    };
    let report =
        srv.core.imports().with_limits(limits).import(&p, "p.csv", csv.into_bytes()).await.expect("import runs");
    // 48 E rows, one failing on its type (data row 33, line 35 under the
    // header); 12 S rows: 3 creations, 9 updates.
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(report.errors[0].row, 35);
    assert_eq!((report.created, report.updated), (50, 9));
    let orgs = organizations(&srv, &token).await;
    assert_eq!(orgs.len(), 50);
    for (ext, last_row) in [("S0", 49), ("S1", 54), ("S2", 59)] {
        assert_eq!(by_ext(&orgs, ext).name, format!("Org {last_row}"), "the last row of {ext} wins");
    }
    let q = OrganizationQuery {
        page: certwatch_core::pagination::PageRequest::new(1, 1).expect("page"),
        ..OrganizationQuery::default()
    };
    let total = srv.core.suppliers().list_organizations(&p, &q).await.expect("list").total;
    assert_eq!(total, orgs.len() as u64, "the tenant counter agrees with the rows");
    assert_eq!(discovery_jobs(&srv).await.len(), orgs.len(), "one discovery job per new organization");
}

#[tokio::test]
async fn parallel_batches_sqlite() {
    parallel_batches(Backend::Sqlite).await;
}
#[tokio::test]
async fn parallel_batches_postgres() {
    parallel_batches(Backend::Postgres).await;
}

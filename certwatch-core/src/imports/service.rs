//! The import service: parsed rows become organizations and certificates
//! through the supplier and certificate rules (validation, audit entries,
//! outbox events, counters), in batches of one transaction each.
//!
//! * Organizations are matched by `external_id` within the tenant (else
//!   created); a blank cell leaves the stored value alone.
//! * A row's certificate is matched by (organization, type, number) and
//!   updated (issuing body, dates, number), else created with provenance
//!   `import` and status ACTIVE (expiry date today or later), EXPIRED
//!   (earlier) or PENDING (no expiry date).
//! * Every newly created organization gets a `website_discovery` job in the
//!   same transaction.
//! * A batch that fails in the store (a concurrent import created the same
//!   external id, a unique certificate id…) is rolled back and replayed one
//!   row per transaction, so only the rows that really fail are reported.
//! * On Postgres two batches are written at once (see [`partition`] for
//!   why they never touch the same organization).

use std::collections::HashMap;

use futures_util::stream::FuturesOrdered;
use futures_util::StreamExt as _;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::header::{Columns, Field};
use super::rows::{ImportRow, RowError, TypeIndex};
use super::{parse_file, ImportError, ImportLimits};
use crate::audit::redact_text;
use crate::authz::{authorize, Action, Principal};
use crate::certificates::{Certificate, CertificateInput, CertificateStatus, Provenance};
use crate::ids::OrganizationId;
use crate::jobs::{kinds::WEBSITE_DISCOVERY, NewJob, DEFAULT_MAX_ATTEMPTS};
use crate::ports::Scope;
use crate::suppliers::{
    apply_organization_patch, CertificateCounts, Organization, OrganizationInput, OrganizationPatch,
};
use crate::validation::ValidationErrors;
use crate::{CertWatch, Error, Result};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Data rows in the file (blank rows not counted).
    pub rows: u32,
    /// Rows that created an organization.
    pub created: u32,
    /// Rows that matched an existing organization and were applied to it.
    pub updated: u32,
    /// Certificates created.
    pub certificates_created: u32,
    /// Certificates updated.
    pub certificates_updated: u32,
    /// The rows that failed, by row number.
    pub errors: Vec<RowError>,
}

impl ImportReport {
    /// Whether some rows were imported.
    pub fn imported_any(&self) -> bool {
        self.created + self.updated > 0
    }
}

/// Spreadsheet imports.
#[derive(Debug, Clone, Copy)]
pub struct ImportService<'a> {
    app: &'a CertWatch,
    limits: ImportLimits,
}

type CertKey = (OrganizationId, String, String);

fn cert_key(org: OrganizationId, certificate_type: &str, number: Option<&str>) -> CertKey {
    (org, certificate_type.to_owned(), number.map(|n| n.trim().to_lowercase()).unwrap_or_default())
}

/// One organization the batch writes: new (`original` None) or existing.
struct OrgSlot {
    org: Organization,
    original: Option<Organization>,
}

/// What one batch wrote.
#[derive(Default)]
struct Outcome {
    created: u32,
    updated: u32,
    certificates_created: u32,
    certificates_updated: u32,
    errors: Vec<RowError>,
}

fn field_of(name: &str) -> Option<Field> {
    Field::ALL.into_iter().find(|f| f.header() == name)
}

/// A row's validation errors, each naming the file's column.
fn violations(row: u32, cols: &Columns, e: ValidationErrors) -> Vec<RowError> {
    e.violations
        .into_iter()
        .map(|v| RowError {
            row,
            column: field_of(&v.field).map(|f| cols.label(f)),
            message: match field_of(&v.field) {
                Some(_) => v.message,
                None => format!("{}: {}", v.field, v.message),
            },
        })
        .collect()
}

/// The error of a row whose own transaction failed.
fn store_failure(row: u32, cols: &Columns, e: &Error) -> RowError {
    match e {
        Error::Validation(v) => violations(row, cols, v.clone()).into_iter().next().unwrap_or(RowError {
            row,
            column: None,
            message: v.to_string(),
        }),
        Error::Conflict { what } => RowError {
            row,
            column: what.contains("organization").then(|| cols.label(Field::ExternalId)),
            message: what.clone(),
        },
        Error::Store(s) => {
            tracing::warn!(row, error = %redact_text(&s.to_string()), "import row failed in the store");
            RowError { row, column: None, message: "the row could not be saved (database error)".into() }
        }
        other => RowError { row, column: None, message: other.to_string() },
    }
}

impl<'a> ImportService<'a> {
    pub(crate) fn new(app: &'a CertWatch) -> Self {
        Self { app, limits: ImportLimits::default() }
    }

    /// The same service with other caps (tests, benchmarks, embedders).
    pub fn with_limits(mut self, limits: ImportLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The caps in force.
    pub fn limits(&self) -> &ImportLimits {
        &self.limits
    }

    /// Imports the spreadsheet `bytes` named `filename` into `p`'s tenant.
    /// A file that can't be read at all is refused with
    /// [`Error::Import`]; row problems are listed in the report while the
    /// other rows are committed.
    pub async fn import(&self, p: &Principal, filename: &str, bytes: Vec<u8>) -> Result<ImportReport> {
        authorize(p, Action::WriteTenantData)?;
        let types = TypeIndex::new(&self.app.certificates().list_types().await?);
        let limits = self.limits;
        let name = filename.to_owned();
        // Parsing is CPU-bound (up to a 20 MB file): keep it off the async workers.
        let parsed = tokio::task::spawn_blocking(move || parse_file(&name, &bytes, &types, &limits))
            .await
            .map_err(|_| Error::Import(ImportError::Unreadable("the parser stopped unexpectedly".into())))??;
        let data_rows = parsed.rows.len() + {
            let mut failed: Vec<u32> = parsed.errors.iter().map(|e| e.row).collect();
            failed.dedup();
            failed.len()
        };
        tracing::info!(format = ?parsed.format, rows = data_rows, "import parsed");
        let cols = &parsed.columns;
        let parallel = self.limits.parallel_batches.clamp(1, self.app.store().parallel_writers().max(1));
        let batches = partition(parsed.rows, self.limits.batch_size.max(1));
        let mut total = Outcome { errors: parsed.errors, ..Outcome::default() };
        // A window of `parallel` batches in flight, results taken in order.
        // (Pushed by hand: a stream mapping over the batches with a closure
        // makes the future not provably `Send` for every borrow.)
        let mut waiting = batches.iter();
        let mut running = FuturesOrdered::new();
        loop {
            while running.len() < parallel {
                let Some(batch) = waiting.next() else { break };
                running.push_back(self.apply_or_replay(p, cols, batch));
            }
            match running.next().await {
                Some(o) => total.merge(o),
                None => break,
            }
        }
        total.errors.sort_by_key(|e| e.row);
        Ok(ImportReport {
            rows: u32::try_from(data_rows).unwrap_or(u32::MAX),
            created: total.created,
            updated: total.updated,
            certificates_created: total.certificates_created,
            certificates_updated: total.certificates_updated,
            errors: total.errors,
        })
    }

    /// Imports `batch` in one transaction; when the store refuses it, one
    /// transaction per row, so only the rows that really fail are reported.
    async fn apply_or_replay(&self, p: &Principal, cols: &Columns, batch: &[ImportRow]) -> Outcome {
        if let Ok(o) = self.apply(p, cols, batch).await {
            return o;
        }
        let mut out = Outcome::default();
        for row in batch {
            match self.apply(p, cols, std::slice::from_ref(row)).await {
                Ok(o) => out.merge(o),
                Err(e) => out.errors.push(store_failure(row.row, cols, &e)),
            }
        }
        out
    }

    /// Imports `rows` in one transaction. Rows that break a rule are left
    /// out and reported; a store failure fails the whole batch.
    async fn apply(&self, p: &Principal, cols: &Columns, rows: &[ImportRow]) -> Result<Outcome> {
        let now = self.app.clock().now();
        let today = self.app.clock().today();
        let mut tx = self.app.store().begin(Scope::Tenant(p.tenant_id)).await?;
        let mut ext_ids: Vec<String> = rows.iter().filter_map(|r| r.external_id.clone()).collect();
        ext_ids.sort();
        ext_ids.dedup();
        let existing = tx.find_organizations_by_external_ids(p.tenant_id, &ext_ids).await?;
        let existing_ids: Vec<OrganizationId> = existing.iter().map(|o| o.id).collect();
        tx.lock_organizations(p.tenant_id, &existing_ids).await?;
        let mut stored_certs: HashMap<CertKey, Certificate> = HashMap::new();
        if cols.has_certificates() && !existing_ids.is_empty() {
            for c in tx.certificates_of_organizations(p.tenant_id, &existing_ids).await? {
                stored_certs
                    .insert(cert_key(c.organization_id, &c.certificate_type, c.certificate_number.as_deref()), c);
            }
        }
        let existing: HashMap<String, Organization> =
            existing.into_iter().filter_map(|o| o.external_id.clone().map(|e| (e, o))).collect();

        let mut out = Outcome::default();
        let mut slots: Vec<OrgSlot> = Vec::new();
        let mut slot_by_ext: HashMap<String, usize> = HashMap::new();
        let mut new_certs: Vec<Certificate> = Vec::new();
        let mut new_cert_by_key: HashMap<CertKey, usize> = HashMap::new();
        let mut cert_updates: Vec<(Certificate, Certificate)> = Vec::new();
        let mut update_by_key: HashMap<CertKey, usize> = HashMap::new();

        for row in rows {
            // 1. The organization, staged on a copy.
            let slot_idx = row.external_id.as_ref().and_then(|e| slot_by_ext.get(e).copied());
            let (org, original) = match (slot_idx, row.external_id.as_ref()) {
                (Some(i), _) => {
                    let mut org = slots[i].org.clone();
                    if let Err(e) = apply_organization_patch(&mut org, &patch_of(row)) {
                        out.errors.extend(violations(row.row, cols, e));
                        continue;
                    }
                    (org, None)
                }
                (None, Some(ext)) if existing.contains_key(ext) => {
                    let Some(stored) = existing.get(ext).cloned() else { continue };
                    let mut org = stored.clone();
                    if let Err(e) = apply_organization_patch(&mut org, &patch_of(row)) {
                        out.errors.extend(violations(row.row, cols, e));
                        continue;
                    }
                    (org, Some(stored))
                }
                _ => match self.app.suppliers().validate_new_organization(p, input_of(row)) {
                    Ok(org) => (org, None),
                    Err(e) => {
                        out.errors.extend(violations(row.row, cols, e));
                        continue;
                    }
                },
            };
            // A later row of an organization this batch creates counts as an update.
            let creates = slot_idx.is_none() && original.is_none();
            // 2. Its certificate, validated by the certificate rules.
            let mut cert_change: Option<(CertKey, Certificate, CertTarget)> = None;
            if let Some(c) = &row.certificate {
                let key = cert_key(org.id, &c.certificate_type, c.number.as_deref());
                let current = new_cert_by_key
                    .get(&key)
                    .map(|i| (new_certs[*i].clone(), CertTarget::New(*i)))
                    .or_else(|| update_by_key.get(&key).map(|i| (cert_updates[*i].1.clone(), CertTarget::Update(*i))))
                    .or_else(|| stored_certs.get(&key).map(|s| (s.clone(), CertTarget::Stored)));
                let input = CertificateInput {
                    organization_id: org.id,
                    certificate_type: c.certificate_type.clone(),
                    certificate_number: c
                        .number
                        .clone()
                        .or_else(|| current.as_ref().and_then(|(x, _)| x.certificate_number.clone())),
                    issuing_body: c
                        .issuing_body
                        .clone()
                        .or_else(|| current.as_ref().and_then(|(x, _)| x.issuing_body.clone())),
                    issue_date: c.issue_date.or_else(|| current.as_ref().and_then(|(x, _)| x.issue_date)),
                    expiry_date: c.expiry_date.or_else(|| current.as_ref().and_then(|(x, _)| x.expiry_date)),
                    status: Some(match c.expiry_date {
                        Some(d) if d >= today => CertificateStatus::Active,
                        Some(_) => CertificateStatus::Expired,
                        None => CertificateStatus::Pending,
                    }),
                    provenance: Some(Provenance::Import),
                    ..CertificateInput::default()
                };
                let valid = match self.app.certificates().validate_input(input, p, now) {
                    Ok(v) => v,
                    Err(e) => {
                        out.errors.extend(violations(row.row, cols, e));
                        continue;
                    }
                };
                let merged = match current {
                    // Status changes only through transitions: keep it.
                    Some((mut cur, target)) => {
                        cur.certificate_number = valid.certificate_number;
                        cur.issuing_body = valid.issuing_body;
                        cur.issue_date = valid.issue_date;
                        cur.expiry_date = valid.expiry_date;
                        (cur, target)
                    }
                    None => (valid, CertTarget::Fresh),
                };
                cert_change = Some((key, merged.0, merged.1));
            }
            // 3. The row is valid: commit it to the batch.
            match slot_idx {
                Some(i) => slots[i].org = org.clone(),
                None => {
                    if let Some(e) = &org.external_id {
                        slot_by_ext.insert(e.clone(), slots.len());
                    }
                    slots.push(OrgSlot { org: org.clone(), original });
                }
            }
            if creates {
                out.created += 1;
            } else {
                out.updated += 1;
            }
            if let Some((key, cert, target)) = cert_change {
                match target {
                    CertTarget::New(i) => new_certs[i] = cert,
                    CertTarget::Update(i) => cert_updates[i].1 = cert,
                    CertTarget::Stored => {
                        if let Some(old) = stored_certs.get(&key) {
                            update_by_key.insert(key, cert_updates.len());
                            cert_updates.push((old.clone(), cert));
                        }
                    }
                    CertTarget::Fresh => {
                        new_cert_by_key.insert(key, new_certs.len());
                        new_certs.push(cert);
                    }
                }
            }
        }

        // Write what the rules decided.
        let meta = json!({"source": "import"});
        let suppliers = self.app.suppliers();
        // A new organization's certificates are all in `new_certs`: its
        // counters are known here, so it is inserted counted and never
        // recounted (the recount is an UPDATE of every row just inserted).
        let mut new_counts: HashMap<OrganizationId, CertificateCounts> =
            slots.iter().filter(|s| s.original.is_none()).map(|s| (s.org.id, CertificateCounts::default())).collect();
        for c in &new_certs {
            if let Some(counts) = new_counts.get_mut(&c.organization_id) {
                counts.add(c, today);
            }
        }
        let new_orgs: Vec<(Organization, CertificateCounts)> = slots
            .iter()
            .filter(|s| s.original.is_none())
            .map(|s| (s.org.clone(), new_counts.get(&s.org.id).copied().unwrap_or_default()))
            .collect();
        let changed: Vec<Organization> = slots
            .iter()
            .filter_map(|s| match &s.original {
                Some(o) if *o != s.org => Some(Organization { updated_at: now, ..s.org.clone() }),
                _ => None,
            })
            .collect();
        suppliers.insert_organizations_in(tx.as_mut(), p, &new_orgs, today, &meta).await?;
        suppliers.update_organizations_in(tx.as_mut(), p, &changed, &meta).await?;
        let certs = self.app.certificates();
        certs.insert_certificates_in(tx.as_mut(), p, &new_certs).await?;
        out.certificates_created = new_certs.len() as u32;
        let mut recount: Vec<OrganizationId> =
            new_certs.iter().map(|c| c.organization_id).filter(|id| !new_counts.contains_key(id)).collect();
        for (old, new) in cert_updates {
            if certs.update_in(tx.as_mut(), p, &old, new, "certificate.update", meta.clone()).await?.is_some() {
                out.certificates_updated += 1;
                recount.push(old.organization_id);
            }
        }
        recount.sort();
        recount.dedup();
        tx.recount_certificates(p.tenant_id, &recount, today).await?;
        let jobs: Vec<NewJob> = new_orgs.iter().map(|(o, _)| self.discovery_job(p, o, now)).collect();
        tx.enqueue_jobs(&jobs).await?;
        tx.count_new_organizations(p.tenant_id, new_orgs.len() as u64).await?;
        tx.commit().await?;
        self.app.wake_workers();
        Ok(out)
    }

    fn discovery_job(&self, p: &Principal, o: &Organization, now: DateTime<Utc>) -> NewJob {
        NewJob {
            id: self.app.new_id(),
            tenant_id: Some(p.tenant_id),
            kind: WEBSITE_DISCOVERY.to_owned(),
            payload: json!({"organization_id": o.id}),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            run_at: now,
            request_id: p.request_id.clone(),
            dedupe_key: Some(format!("{WEBSITE_DISCOVERY}:{}", o.id)),
            created_at: now,
        }
    }

    /// The template's or export's bytes; see [`super::export`].
    pub fn template(&self, format: super::ExportFormat) -> Result<Vec<u8>> {
        super::export::template(format).map_err(Error::Import)
    }

    /// Every organization of `p`'s tenant as a spreadsheet in the import's
    /// columns, formula-like cells escaped.
    pub async fn export(&self, p: &Principal, format: super::ExportFormat) -> Result<Vec<u8>> {
        authorize(p, Action::ReadTenantData)?;
        let mut tx = self.app.store().begin_read(Scope::Tenant(p.tenant_id)).await?;
        let mut orgs = Vec::new();
        let mut after = None;
        loop {
            let page = tx.organizations_after(p.tenant_id, after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            orgs.extend(page);
        }
        drop(tx);
        super::export::organizations(&orgs, format).map_err(Error::Import)
    }
}

/// Where a row's certificate goes.
#[derive(Clone, Copy)]
enum CertTarget {
    /// A new certificate staged earlier in the batch.
    New(usize),
    /// An update staged earlier in the batch.
    Update(usize),
    /// A stored certificate not yet touched.
    Stored,
    /// A new certificate.
    Fresh,
}

impl Outcome {
    fn merge(&mut self, o: Outcome) {
        self.created += o.created;
        self.updated += o.updated;
        self.certificates_created += o.certificates_created;
        self.certificates_updated += o.certificates_updated;
        self.errors.extend(o.errors);
    }
}

/// Splits rows into batches of about `size` rows such that every row of
/// one external id lands in the batch of its first row, in file order.
/// Batches then share no organization, so they can be written at the same
/// time, and a later row of an external id still updates what its earlier
/// rows created (one transaction sees both). A batch may grow past `size`
/// by the later rows of its external ids.
fn partition(rows: Vec<ImportRow>, size: usize) -> Vec<Vec<ImportRow>> {
    let mut batches: Vec<Vec<ImportRow>> = Vec::new();
    let mut fresh_in_last = 0usize;
    let mut home: HashMap<String, usize> = HashMap::new();
    for row in rows {
        if let Some(&i) = row.external_id.as_ref().and_then(|e| home.get(e)) {
            batches[i].push(row);
            continue;
        }
        if batches.is_empty() || fresh_in_last >= size {
            batches.push(Vec::with_capacity(size));
            fresh_in_last = 0;
        }
        let last = batches.len() - 1;
        if let Some(e) = &row.external_id {
            home.insert(e.clone(), last);
        }
        fresh_in_last += 1;
        batches[last].push(row);
    }
    batches
}

fn input_of(row: &ImportRow) -> OrganizationInput {
    OrganizationInput {
        external_id: row.external_id.clone(),
        name: row.name.clone().unwrap_or_default(),
        website: row.website.clone(),
        lei: row.lei.clone(),
        vat: row.vat.clone(),
        country: row.country.clone(),
    }
}

/// Blank cells leave stored values alone.
fn patch_of(row: &ImportRow) -> OrganizationPatch {
    OrganizationPatch {
        external_id: None,
        name: row.name.clone(),
        website: row.website.clone().map(Some),
        lei: row.lei.clone().map(Some),
        vat: row.vat.clone().map(Some),
        country: row.country.clone().map(Some),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn row(n: u32, ext: Option<&str>) -> ImportRow {
        ImportRow {
            row: n,
            external_id: ext.map(str::to_owned),
            name: Some(format!("Org {n}")),
            country: None,
            website: None,
            lei: None,
            vat: None,
            certificate: None,
        }
    }

    #[test]
    fn later_rows_of_an_external_id_join_its_first_batch() {
        let rows = vec![row(2, Some("A")), row(3, Some("B")), row(4, None), row(5, Some("A")), row(6, Some("C"))];
        let batches = partition(rows, 2);
        let numbers: Vec<Vec<u32>> = batches.iter().map(|b| b.iter().map(|r| r.row).collect()).collect();
        assert_eq!(numbers, vec![vec![2, 3, 5], vec![4, 6]]);
    }

    proptest! {
        /// Every row lands once; the rows of one external id share a batch,
        /// in file order; a batch holds at most `size` rows that start an
        /// external id or have none.
        #[test]
        fn partition_keeps_each_external_id_in_one_batch(
            exts in proptest::collection::vec(proptest::option::of(0u8..20), 0..200),
            size in 1usize..50,
        ) {
            let rows: Vec<ImportRow> = exts
                .iter()
                .enumerate()
                .map(|(i, e)| row(i as u32, e.map(|e| format!("E{e}")).as_deref()))
                .collect();
            let batches = partition(rows.clone(), size);
            let mut seen: Vec<u32> = batches.iter().flatten().map(|r| r.row).collect();
            seen.sort_unstable();
            prop_assert_eq!(seen, (0..rows.len() as u32).collect::<Vec<_>>());
            let mut home: HashMap<&str, usize> = HashMap::new();
            for (i, b) in batches.iter().enumerate() {
                prop_assert!(b.windows(2).all(|w| w[0].row < w[1].row), "file order within a batch");
                let mut fresh = 0;
                for r in b {
                    match r.external_id.as_deref() {
                        Some(e) => {
                            if *home.entry(e).or_insert(i) != i {
                                prop_assert!(false, "external id {} in two batches", e);
                            }
                            if rows.iter().find(|x| x.external_id.as_deref() == Some(e)).map(|x| x.row) == Some(r.row) {
                                fresh += 1;
                            }
                        }
                        None => fresh += 1,
                    }
                }
                prop_assert!(fresh <= size);
            }
        }
    }
}

//! The certificate service: the only write path for certificates. Every
//! write locks the holder organization first (serialising writers of one
//! organization), records `certificate.created` / `certificate.updated`
//! events in the outbox and an audit entry, and recomputes the
//! organization's counters, all in one transaction.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::changes::{apply_change_rules, detect_changes, FieldChange};
use super::model::{
    Certificate, CertificateFilter, CertificateInput, CertificatePatch, CertificateQuery, CertificateType,
    DocumentHash, PublicCertificate, PublicSearch, TransitionRequest,
};
use super::status::{check_transition, CertificateStatus};
use crate::audit::AuditEntry;
use crate::authz::{authorize, Action, Principal};
use crate::events::{DomainEvent, EventType};
use crate::ids::{CertificateId, OrganizationId, SiteId};
use crate::pagination::Page;
use crate::ports::{Scope, Tx};
use crate::suppliers::WebsiteUrl;
use crate::validation::{optional_long_text, optional_text, required_text, ValidationErrors, Violation};
use crate::{CertWatch, Error, Result};

/// Certificate operations.
#[derive(Debug, Clone, Copy)]
pub struct CertificateService<'a> {
    app: &'a CertWatch,
}

/// The longest "expiring within" window a list accepts (100 years).
pub const MAX_EXPIRING_WITHIN_DAYS: u32 = 36_500;

/// The most certificates one bulk call accepts.
pub const MAX_BULK: usize = 50_000;

fn url(field: &str, v: Option<&str>) -> Result<Option<WebsiteUrl>, Violation> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => WebsiteUrl::parse_field(field, s).map(Some),
    }
}

fn hash(v: Option<&str>) -> Result<Option<DocumentHash>, Violation> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => DocumentHash::parse(s).map(Some),
    }
}

fn check_dates(issue: Option<NaiveDate>, expiry: Option<NaiveDate>) -> Result<(), Violation> {
    match (issue, expiry) {
        (Some(i), Some(e)) if e < i => Err(Violation::new("expiry_date", "must not be before issue_date")),
        _ => Ok(()),
    }
}

impl<'a> CertificateService<'a> {
    pub(crate) fn new(app: &'a CertWatch) -> Self {
        Self { app }
    }

    async fn tx(&self, p: &Principal, action: Action) -> Result<Box<dyn Tx>> {
        authorize(p, action)?;
        let scope = Scope::Tenant(p.tenant_id);
        Ok(match action {
            Action::ReadTenantData => self.app.inner.store.begin_read(scope).await?,
            _ => self.app.inner.store.begin(scope).await?,
        })
    }

    /// Every certificate type (global master data).
    pub async fn list_types(&self) -> Result<Vec<CertificateType>> {
        let mut tx = self.app.inner.store.begin_read(Scope::System).await?;
        Ok(tx.list_certificate_types().await?)
    }

    /// One certificate type by code.
    pub async fn get_type(&self, code: &str) -> Result<CertificateType> {
        let mut tx = self.app.inner.store.begin_read(Scope::System).await?;
        tx.get_certificate_type(code.trim()).await?.ok_or_else(|| Error::not_found("certificate_type"))
    }

    /// The anonymous verification search: public facts of certificates
    /// whose holders published them on the web, across tenants, de-duplicated
    /// (several tenants may track the same supplier's certificate).
    pub async fn public_search(&self, q: PublicSearch) -> Result<Vec<PublicCertificate>> {
        let mut errs = ValidationErrors::default();
        let number = errs.check(optional_text("certificate_number", q.certificate_number.as_deref(), 100)).flatten();
        let holder = errs.check(optional_text("holder", q.holder.as_deref(), 200)).flatten();
        if holder.as_ref().is_some_and(|h| h.chars().count() < 3) {
            errs.push(Violation::new("holder", "must be at least 3 characters"));
        }
        if number.is_none() && holder.is_none() && errs.is_empty() {
            errs.push(Violation::new("certificate_number", "give a certificate number and/or a holder name"));
        }
        let limit = match q.limit {
            0 => 20,
            n @ 1..=50 => n,
            _ => {
                errs.push(Violation::new("limit", "must be between 1 and 50"));
                0
            }
        };
        errs.into_result(())?;
        let mut tx = self.app.inner.store.begin_read(Scope::System).await?;
        let holder = holder.map(|h| h.to_lowercase());
        let found = tx.search_public_certificates(number.as_deref(), holder.as_deref(), limit * 4).await?;
        let mut seen = BTreeSet::new();
        Ok(found
            .into_iter()
            .filter(|c| {
                seen.insert((
                    c.certificate_number.clone(),
                    c.holder.to_lowercase(),
                    c.certificate_type.clone(),
                    c.expiry_date,
                ))
            })
            .take(limit as usize)
            .collect())
    }

    /// Creates one certificate.
    pub async fn create_certificate(&self, p: &Principal, input: CertificateInput) -> Result<Certificate> {
        let mut created = self.create_certificates(p, vec![input]).await?;
        created.pop().ok_or_else(|| Error::Store(crate::ports::StoreError::Database("nothing created".into())))
    }

    /// Creates many certificates in one transaction: all or none. Field
    /// errors name the item (`items[3].expiry_date`).
    pub async fn create_certificates(&self, p: &Principal, inputs: Vec<CertificateInput>) -> Result<Vec<Certificate>> {
        if inputs.len() > MAX_BULK {
            return Err(ValidationErrors::single("items", format!("at most {MAX_BULK} certificates per call")).into());
        }
        let now = self.app.inner.clock.now();
        let single = inputs.len() == 1;
        let mut errs = ValidationErrors::default();
        let mut certs = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.into_iter().enumerate() {
            match self.validate_input(input, p, now) {
                Ok(c) => certs.push(c),
                Err(e) => errs.violations.extend(e.violations.into_iter().map(|mut v| {
                    if !single {
                        v.field = format!("items[{i}].{}", v.field);
                    }
                    v
                })),
            }
        }
        let certs = errs.into_result(certs)?;
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        let types: BTreeSet<String> = tx.list_certificate_types().await?.into_iter().map(|t| t.code).collect();
        let orgs: BTreeSet<OrganizationId> = certs.iter().map(|c| c.organization_id).collect();
        for org in &orgs {
            if !tx.lock_organization(p.tenant_id, *org).await? {
                return Err(Error::not_found("organization"));
            }
        }
        let mut errs = ValidationErrors::default();
        let mut site_owner: HashMap<SiteId, Option<OrganizationId>> = HashMap::new();
        for (i, c) in certs.iter().enumerate() {
            let prefix = if single { String::new() } else { format!("items[{i}].") };
            if !types.contains(&c.certificate_type) {
                errs.push(Violation::new(format!("{prefix}certificate_type"), "unknown certificate type"));
            }
            for s in &c.site_ids {
                let owner = match site_owner.get(s) {
                    Some(o) => *o,
                    None => {
                        let o = tx.get_site(p.tenant_id, *s).await?.map(|s| s.organization_id);
                        site_owner.insert(*s, o);
                        o
                    }
                };
                if owner != Some(c.organization_id) {
                    errs.push(Violation::new(
                        format!("{prefix}site_ids"),
                        format!("site {s} does not belong to the organization"),
                    ));
                }
            }
        }
        errs.into_result(())?;
        self.insert_certificates_in(tx.as_mut(), p, &certs).await?;
        let orgs: Vec<OrganizationId> = orgs.into_iter().collect();
        tx.recount_certificates(p.tenant_id, &orgs, self.app.inner.clock.today()).await?;
        tx.commit().await?;
        self.app.wake_workers();
        Ok(certs)
    }

    /// Inserts validated certificates in `tx` with their `certificate.created`
    /// events and audit entries, without committing, locking or recounting:
    /// the shared tail of [`Self::create_certificates`] and the batch path
    /// of imports (whose callers lock and recount the holders themselves).
    pub(crate) async fn insert_certificates_in(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        certs: &[Certificate],
    ) -> Result<()> {
        if certs.is_empty() {
            return Ok(());
        }
        tx.insert_certificates(certs).await?;
        let events: Vec<DomainEvent> =
            certs.iter().map(|c| self.event(c, EventType::CertificateCreated, &[])).collect();
        crate::events::append_in(self.app, &mut *tx, &events).await?;
        for c in certs.iter().filter(|c| c.document_hash.is_none()) {
            if let Some(url) = &c.document_url {
                let rid = p.request_id.clone();
                super::documents::enqueue_hash(self.app, &mut *tx, p.tenant_id, c.id, url.as_str(), rid).await?;
            }
        }
        let audits: Vec<AuditEntry> = certs
            .iter()
            .map(|c| {
                self.app.audit_by(
                    p,
                    "certificate.create",
                    "certificate",
                    c.id.to_string(),
                    json!({"organization_id": c.organization_id, "certificate_type": c.certificate_type, "status": c.status}),
                )
            })
            .collect();
        tx.insert_audit(&audits).await?;
        Ok(())
    }

    /// Validates raw input into a new certificate (no store checks: the
    /// type's existence and the sites are checked by the writers).
    pub(crate) fn validate_input(
        &self,
        input: CertificateInput,
        p: &Principal,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Certificate, ValidationErrors> {
        let mut errs = ValidationErrors::default();
        let certificate_type = errs.check(required_text("certificate_type", &input.certificate_type, 50));
        let certificate_number =
            errs.check(optional_text("certificate_number", input.certificate_number.as_deref(), 100));
        let issuing_body = errs.check(optional_text("issuing_body", input.issuing_body.as_deref(), 255));
        let scope = errs.check(optional_long_text("scope", input.scope.as_deref(), 5000));
        let document_url = errs.check(url("document_url", input.document_url.as_deref()));
        let source_url = errs.check(url("source_url", input.source_url.as_deref()));
        let document_hash = errs.check(hash(input.document_hash.as_deref()));
        let external_id = errs.check(optional_text("external_id", input.external_id.as_deref(), 100));
        errs.check(check_dates(input.issue_date, input.expiry_date));
        let mut site_ids = input.site_ids;
        site_ids.sort();
        site_ids.dedup();
        let (
            Some(certificate_type),
            Some(certificate_number),
            Some(issuing_body),
            Some(scope),
            Some(document_url),
            Some(source_url),
            Some(document_hash),
            Some(external_id),
        ) = (
            certificate_type,
            certificate_number,
            issuing_body,
            scope,
            document_url,
            source_url,
            document_hash,
            external_id,
        )
        else {
            return Err(errs);
        };
        errs.into_result(Certificate {
            id: self.app.new_id(),
            tenant_id: p.tenant_id,
            organization_id: input.organization_id,
            certificate_type,
            certificate_number,
            issuing_body,
            scope,
            issue_date: input.issue_date,
            expiry_date: input.expiry_date,
            status: input.status.unwrap_or(CertificateStatus::Pending),
            document_url,
            source_url,
            document_hash,
            external_id,
            provenance: input.provenance.unwrap_or_default(),
            last_expiry_notification_at: None,
            site_ids,
            created_at: now,
            updated_at: now,
        })
    }

    /// One certificate.
    pub async fn get_certificate(&self, p: &Principal, id: CertificateId) -> Result<Certificate> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        tx.get_certificate(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("certificate"))
    }

    /// One page of certificates, newest first.
    pub async fn list_certificates(&self, p: &Principal, q: &CertificateQuery) -> Result<Page<Certificate>> {
        let today = self.app.inner.clock.today();
        let window_end = match q.expiring_within_days {
            Some(d) if d > MAX_EXPIRING_WITHIN_DAYS => {
                return Err(ValidationErrors::single(
                    "expiring_within_days",
                    format!("must be at most {MAX_EXPIRING_WITHIN_DAYS}"),
                )
                .into())
            }
            Some(d) => today.checked_add_days(chrono::Days::new(u64::from(d))),
            None => None,
        };
        let filter = CertificateFilter {
            organization_id: q.organization_id,
            certificate_type: q.certificate_type.clone(),
            status: match q.expiring_within_days {
                Some(_) => Some(CertificateStatus::Active),
                None => q.status,
            },
            expiry_between: window_end.map(|end| (today, end)),
            issuing_body_contains: q.issuing_body.as_deref().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()),
            page: q.page,
        };
        if q.expiring_within_days.is_some() && q.status.is_some_and(|s| s != CertificateStatus::Active) {
            return Ok(Page { items: vec![], total: 0 });
        }
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        Ok(tx.list_certificates(p.tenant_id, &filter).await?)
    }

    /// Locks the holder, then re-reads the certificate, so the caller holds
    /// the newest version and no concurrent writer can interleave.
    async fn load_locked(&self, tx: &mut dyn Tx, p: &Principal, id: CertificateId) -> Result<Certificate> {
        let first = tx.get_certificate(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("certificate"))?;
        tx.lock_organization(p.tenant_id, first.organization_id).await?;
        tx.get_certificate(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("certificate"))
    }

    /// Applies a partial update of the certificate's data.
    pub async fn update_certificate(
        &self,
        p: &Principal,
        id: CertificateId,
        patch: CertificatePatch,
    ) -> Result<Certificate> {
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        let old = self.load_locked(tx.as_mut(), p, id).await?;
        let mut new = old.clone();
        let mut errs = ValidationErrors::default();
        if let Some(v) = &patch.certificate_type {
            if let Some(v) = errs.check(required_text("certificate_type", v, 50)) {
                if tx.get_certificate_type(&v).await?.is_none() {
                    errs.push(Violation::new("certificate_type", "unknown certificate type"));
                }
                new.certificate_type = v;
            }
        }
        macro_rules! set {
            ($field:ident, $check:expr) => {
                if let Some(v) = &patch.$field {
                    if let Some(v) = errs.check($check(v.as_deref())) {
                        new.$field = v;
                    }
                }
            };
        }
        set!(certificate_number, |v| optional_text("certificate_number", v, 100));
        set!(issuing_body, |v| optional_text("issuing_body", v, 255));
        set!(scope, |v| optional_long_text("scope", v, 5000));
        set!(document_url, |v| url("document_url", v));
        set!(source_url, |v| url("source_url", v));
        set!(document_hash, hash);
        set!(external_id, |v| optional_text("external_id", v, 100));
        if let Some(v) = patch.issue_date {
            new.issue_date = v;
        }
        if let Some(v) = patch.expiry_date {
            new.expiry_date = v;
        }
        errs.check(check_dates(new.issue_date, new.expiry_date));
        if let Some(sites) = &patch.site_ids {
            let mut sites = sites.clone();
            sites.sort();
            sites.dedup();
            for s in &sites {
                if tx.get_site(p.tenant_id, *s).await?.map(|s| s.organization_id) != Some(old.organization_id) {
                    errs.push(Violation::new("site_ids", format!("site {s} does not belong to the organization")));
                }
            }
            new.site_ids = sites;
        }
        errs.into_result(())?;
        self.save(tx, p, old, new, "certificate.update", json!({})).await
    }

    /// Changes the status along the state machine, optionally setting a new
    /// expiry date with it (re-certification).
    pub async fn transition(&self, p: &Principal, id: CertificateId, req: TransitionRequest) -> Result<Certificate> {
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        let old = self.load_locked(tx.as_mut(), p, id).await?;
        let mut new = old.clone();
        if let Some(d) = req.expiry_date {
            new.expiry_date = Some(d);
            check_dates(new.issue_date, new.expiry_date).map_err(ValidationErrors::from)?;
        }
        check_transition(old.status, req.to, new.expiry_date, self.app.inner.clock.today())?;
        new.status = req.to;
        let reason = optional_text("reason", req.reason.as_deref(), 1000).map_err(ValidationErrors::from)?;
        let meta = json!({"from": old.status, "to": req.to, "reason": reason});
        self.save(tx, p, old, new, "certificate.transition", meta).await
    }

    /// Writes `new`, announces the watched-field changes, audits, recounts.
    async fn save(
        &self,
        mut tx: Box<dyn Tx>,
        p: &Principal,
        old: Certificate,
        new: Certificate,
        action: &str,
        meta: Value,
    ) -> Result<Certificate> {
        let Some(new) = self.update_in(tx.as_mut(), p, &old, new, action, meta).await? else {
            return Ok(old);
        };
        tx.recount_certificates(p.tenant_id, &[new.organization_id], self.app.inner.clock.today()).await?;
        tx.commit().await?;
        self.app.wake_workers();
        Ok(new)
    }

    /// Writes `new` over `old` in `tx` (the holder already locked): applies
    /// the change rules, announces the watched-field changes and audits,
    /// without recounting or committing. `None` when nothing changed.
    pub(crate) async fn update_in(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        old: &Certificate,
        mut new: Certificate,
        action: &str,
        meta: Value,
    ) -> Result<Option<Certificate>> {
        apply_change_rules(old, &mut new);
        if &new == old {
            return Ok(None);
        }
        new.updated_at = self.app.inner.clock.now();
        tx.update_certificate(&new).await?;
        let changes = detect_changes(old, &new);
        // A new document URL without a hash given: hash it in the background.
        if let (Some(url), None) = (&new.document_url, &new.document_hash) {
            if old.document_url.as_ref() != Some(url) {
                let rid = p.request_id.clone();
                super::documents::enqueue_hash(self.app, &mut *tx, p.tenant_id, new.id, url.as_str(), rid).await?;
            }
        }
        if !changes.is_empty() {
            crate::events::append_in(self.app, &mut *tx, &[self.event(&new, EventType::CertificateUpdated, &changes)])
                .await?;
        }
        let mut meta = meta;
        if let Value::Object(m) = &mut meta {
            m.insert("changed_fields".into(), json!(changes.iter().map(|c| c.field).collect::<Vec<_>>()));
        }
        tx.insert_audit(&[self.app.audit_by(p, action, "certificate", new.id.to_string(), meta)]).await?;
        Ok(Some(new))
    }

    /// Deletes a certificate.
    pub async fn delete_certificate(&self, p: &Principal, id: CertificateId) -> Result<()> {
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        let cert = self.load_locked(tx.as_mut(), p, id).await?;
        tx.delete_certificate(p.tenant_id, id).await?;
        tx.insert_audit(&[self.app.audit_by(p, "certificate.delete", "certificate", id.to_string(), json!({}))])
            .await?;
        tx.recount_certificates(p.tenant_id, &[cert.organization_id], self.app.inner.clock.today()).await?;
        tx.commit().await?;
        Ok(())
    }

    fn event(&self, c: &Certificate, event_type: EventType, changes: &[FieldChange]) -> DomainEvent {
        certificate_event(self.app, c, event_type, changes, Value::Object(Default::default()))
    }
}

/// The outbox event of a certificate: its snapshot, the changed watched
/// fields with old and new values, and any `extra` top-level keys. The one
/// payload shape of every certificate event, whoever emits it.
pub(crate) fn certificate_event(
    app: &CertWatch,
    c: &Certificate,
    event_type: EventType,
    changes: &[FieldChange],
    extra: Value,
) -> DomainEvent {
    let mut payload = json!({
        "event": event_type.as_str(),
        "certificate": c,
    });
    if !changes.is_empty() {
        payload["changed_fields"] = json!(changes.iter().map(|ch| ch.field).collect::<Vec<_>>());
        payload["changes"] = Value::Object(
            changes.iter().map(|ch| (ch.field.to_owned(), json!({"old": ch.old, "new": ch.new}))).collect(),
        );
    }
    if let (Value::Object(p), Value::Object(x)) = (&mut payload, extra) {
        p.extend(x);
    }
    DomainEvent { id: app.new_id(), tenant_id: c.tenant_id, event_type, payload, occurred_at: app.clock().now() }
}

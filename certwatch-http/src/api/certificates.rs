//! `/api/certificates/`: certificate types, certificates, status
//! transitions and the anonymous public search. Every rule is in
//! `certwatch_core::certificates`; this module parses, calls it and maps
//! the results.

use std::sync::Arc;

use certwatch_core::certificates as core;
use certwatch_core::ids::{CertificateId, OrganizationId, SiteId};
use certwatch_core::pagination::PageRequest;
use certwatch_core::Error as CoreError;
use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object, OpenApi, Tags};
use uuid::Uuid;

use super::common::{patch, patch_required, Created, NoContent, Reply, TokenAuth};
use super::organizations::{default_page, default_page_size};
use super::State;

#[derive(Tags)]
enum Tag {
    /// Certificate types, certificates, their lifecycle and the public search.
    Certificates,
}

/// Lifecycle status of a certificate. PENDING → ACTIVE | REVOKED | EXPIRED;
/// ACTIVE → EXPIRED | REVOKED | SUSPENDED; SUSPENDED → ACTIVE | REVOKED |
/// EXPIRED; EXPIRED → ACTIVE only with a future expiry date; REVOKED is final.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CertificateStatus {
    /// Awaiting validation.
    Pending,
    /// Currently valid.
    Active,
    /// Temporarily invalid by decision of the certification body.
    Suspended,
    /// Past its expiry date.
    Expired,
    /// Withdrawn for good.
    Revoked,
}

impl From<core::CertificateStatus> for CertificateStatus {
    fn from(s: core::CertificateStatus) -> Self {
        match s {
            core::CertificateStatus::Pending => Self::Pending,
            core::CertificateStatus::Active => Self::Active,
            core::CertificateStatus::Suspended => Self::Suspended,
            core::CertificateStatus::Expired => Self::Expired,
            core::CertificateStatus::Revoked => Self::Revoked,
        }
    }
}

impl From<CertificateStatus> for core::CertificateStatus {
    fn from(s: CertificateStatus) -> Self {
        match s {
            CertificateStatus::Pending => Self::Pending,
            CertificateStatus::Active => Self::Active,
            CertificateStatus::Suspended => Self::Suspended,
            CertificateStatus::Expired => Self::Expired,
            CertificateStatus::Revoked => Self::Revoked,
        }
    }
}

/// Where a certificate's data came from.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum Provenance {
    /// Entered by a user.
    Manual,
    /// Found on the holder's public web page.
    WebScrape,
    /// Extracted from an uploaded file.
    Upload,
    /// Imported from a spreadsheet.
    Import,
}

impl From<core::Provenance> for Provenance {
    fn from(p: core::Provenance) -> Self {
        match p {
            core::Provenance::Manual => Self::Manual,
            core::Provenance::WebScrape => Self::WebScrape,
            core::Provenance::Upload => Self::Upload,
            core::Provenance::Import => Self::Import,
        }
    }
}

/// A certificate category (master data): ISO_9001, TISAX, …
#[derive(Object, Debug, Clone)]
pub struct CertificateType {
    /// Unique code, e.g. `ISO_9001`.
    pub code: String,
    /// Human name.
    pub name: String,
    /// What the standard covers.
    pub description: String,
}

impl From<core::CertificateType> for CertificateType {
    fn from(t: core::CertificateType) -> Self {
        Self { code: t.code, name: t.name, description: t.description }
    }
}

/// A compliance certificate held by an organization.
#[derive(Object, Debug, Clone)]
pub struct Certificate {
    /// Certificate id.
    pub id: Uuid,
    /// The holder.
    pub organization_id: Uuid,
    /// Certificate type code.
    pub certificate_type: String,
    /// The number printed on the certificate.
    pub certificate_number: Option<String>,
    /// The certification body.
    pub issuing_body: Option<String>,
    /// What the certificate covers.
    pub scope: Option<String>,
    /// Date of issue.
    pub issue_date: Option<NaiveDate>,
    /// Last day of validity.
    pub expiry_date: Option<NaiveDate>,
    /// Lifecycle status; changes only through `POST /api/certificates/{id}/transition`.
    pub status: CertificateStatus,
    /// Where the certificate document can be fetched.
    pub document_url: Option<String>,
    /// The page the certificate was found on.
    pub source_url: Option<String>,
    /// SHA-256 of the document, 64 lower-case hex digits.
    pub document_hash: Option<String>,
    /// The tenant's own reference, unique in the tenant.
    pub external_id: Option<String>,
    /// Where the data came from.
    pub provenance: Provenance,
    /// When the last expiry notification went out.
    pub last_expiry_notification_at: Option<DateTime<Utc>>,
    /// The organization's sites this certificate covers.
    pub site_ids: Vec<Uuid>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<core::Certificate> for Certificate {
    fn from(c: core::Certificate) -> Self {
        Self {
            id: c.id.0,
            organization_id: c.organization_id.0,
            certificate_type: c.certificate_type,
            certificate_number: c.certificate_number,
            issuing_body: c.issuing_body,
            scope: c.scope,
            issue_date: c.issue_date,
            expiry_date: c.expiry_date,
            status: c.status.into(),
            document_url: c.document_url.map(|u| u.as_str().to_owned()),
            source_url: c.source_url.map(|u| u.as_str().to_owned()),
            document_hash: c.document_hash.map(|h| h.as_str().to_owned()),
            external_id: c.external_id,
            provenance: c.provenance.into(),
            last_expiry_notification_at: c.last_expiry_notification_at,
            site_ids: c.site_ids.into_iter().map(|s| s.0).collect(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A new certificate (entered by a user: its provenance is `manual`).
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct NewCertificate {
    /// The holder (an organization of the tenant).
    pub organization_id: Uuid,
    /// Certificate type code (see `GET /api/certificates/types`).
    pub certificate_type: String,
    /// The number printed on the certificate.
    pub certificate_number: Option<String>,
    /// The certification body.
    pub issuing_body: Option<String>,
    /// What the certificate covers.
    pub scope: Option<String>,
    /// Date of issue.
    pub issue_date: Option<NaiveDate>,
    /// Last day of validity (not before the issue date).
    pub expiry_date: Option<NaiveDate>,
    /// Initial status; PENDING when absent.
    pub status: Option<CertificateStatus>,
    /// Where the certificate document can be fetched (http or https).
    pub document_url: Option<String>,
    /// The page the certificate was found on (http or https).
    pub source_url: Option<String>,
    /// SHA-256 of the document, 64 hex digits.
    pub document_hash: Option<String>,
    /// The tenant's own reference, unique in the tenant.
    pub external_id: Option<String>,
    /// Covered sites (must belong to the organization).
    #[oai(default)]
    pub site_ids: Vec<Uuid>,
}

/// A partial update of a certificate's data (not its status: use the
/// transition endpoint). A field left out stays unchanged, `null` clears it.
#[derive(Object, Debug, Clone, Default)]
#[oai(deny_unknown_fields)]
pub struct CertificateUpdate {
    /// New type code (can't be cleared).
    pub certificate_type: MaybeUndefined<String>,
    /// New number, or `null`.
    pub certificate_number: MaybeUndefined<String>,
    /// New issuing body, or `null`.
    pub issuing_body: MaybeUndefined<String>,
    /// New scope, or `null`.
    pub scope: MaybeUndefined<String>,
    /// New issue date, or `null`.
    pub issue_date: MaybeUndefined<NaiveDate>,
    /// New expiry date, or `null`.
    pub expiry_date: MaybeUndefined<NaiveDate>,
    /// New document URL, or `null`.
    pub document_url: MaybeUndefined<String>,
    /// New source URL, or `null`.
    pub source_url: MaybeUndefined<String>,
    /// New document hash, or `null`.
    pub document_hash: MaybeUndefined<String>,
    /// New external id, or `null`.
    pub external_id: MaybeUndefined<String>,
    /// The covered sites (replaces the list; `null` or `[]` clears it).
    pub site_ids: MaybeUndefined<Vec<Uuid>>,
}

/// A requested status change.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct Transition {
    /// The target status.
    pub to: CertificateStatus,
    /// A new expiry date to set with the change (required for re-certifying
    /// an EXPIRED certificate: it must be in the future).
    pub expiry_date: Option<NaiveDate>,
    /// Why, for the audit ledger.
    pub reason: Option<String>,
}

/// One page of certificates, newest first.
#[derive(Object, Debug, Clone)]
pub struct CertificatePage {
    /// The rows of this page.
    pub items: Vec<Certificate>,
    /// How many certificates match, in all pages.
    pub total: u64,
    /// This page's number, from 1.
    pub page: u32,
    /// Rows per page.
    pub page_size: u32,
}

/// The public facts of a certificate its holder published on the web.
#[derive(Object, Debug, Clone)]
pub struct PublicCertificate {
    /// Certificate number.
    pub certificate_number: Option<String>,
    /// The holder's name.
    pub holder: String,
    /// Certificate type code.
    pub certificate_type: String,
    /// The certification body.
    pub issuing_body: Option<String>,
    /// Lifecycle status.
    pub status: CertificateStatus,
    /// Last day of validity.
    pub expiry_date: Option<NaiveDate>,
    /// The public page it was published on.
    pub source_url: Option<String>,
}

impl From<core::PublicCertificate> for PublicCertificate {
    fn from(c: core::PublicCertificate) -> Self {
        Self {
            certificate_number: c.certificate_number,
            holder: c.holder,
            certificate_type: c.certificate_type,
            issuing_body: c.issuing_body,
            status: c.status.into(),
            expiry_date: c.expiry_date,
            source_url: c.source_url,
        }
    }
}

/// Results of a public search.
#[derive(Object, Debug, Clone)]
pub struct PublicSearchResults {
    /// Matching certificates.
    pub items: Vec<PublicCertificate>,
}

/// Certificate endpoints.
pub struct CertificatesApi {
    pub(super) state: Arc<State>,
}

impl CertificatesApi {
    fn certificates(&self) -> core::CertificateService<'_> {
        self.state.core.certificates()
    }
}

#[OpenApi(prefix_path = "/api/certificates", tag = "Tag::Certificates")]
impl CertificatesApi {
    /// Every certificate type (public master data).
    #[oai(path = "/types", method = "get", operation_id = "certificate_types_list")]
    async fn list_types(&self) -> Reply<Json<Vec<CertificateType>>> {
        Reply::map(self.certificates().list_types().await, |ts| Json(ts.into_iter().map(Into::into).collect()))
    }

    /// One certificate type by code (public master data).
    #[oai(path = "/types/:code", method = "get", operation_id = "certificate_types_get")]
    async fn get_type(&self, code: Path<String>) -> Reply<Json<CertificateType>> {
        Reply::map(self.certificates().get_type(&code.0).await, |t| Json(t.into()))
    }

    /// Anonymous verification search over certificates their holders
    /// published on the web: by certificate number and/or part of the
    /// holder's name (at least 3 characters). Only public facts are
    /// returned, never who tracks the certificate.
    #[oai(path = "/public-search", method = "get", operation_id = "certificates_public_search")]
    async fn public_search(
        &self,
        /// The certificate number (exact, case-insensitive).
        certificate_number: Query<Option<String>>,
        /// Part of the holder's name, at least 3 characters.
        holder: Query<Option<String>>,
        /// At most this many results, 1 to 50 (20 when absent or 0).
        limit: Query<Option<u32>>,
    ) -> Reply<Json<PublicSearchResults>> {
        let q = core::PublicSearch {
            certificate_number: certificate_number.0,
            holder: holder.0,
            limit: limit.0.unwrap_or(0),
        };
        Reply::map(self.certificates().public_search(q).await, |found| {
            Json(PublicSearchResults { items: found.into_iter().map(Into::into).collect() })
        })
    }

    /// One page of the tenant's certificates, newest first.
    // Each query parameter is an argument of its own in poem-openapi.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/", method = "get", operation_id = "certificates_list")]
    async fn list(
        &self,
        auth: TokenAuth,
        /// Only this holder.
        organization_id: Query<Option<Uuid>>,
        /// Only this type code.
        certificate_type: Query<Option<String>>,
        /// Only this status.
        status: Query<Option<CertificateStatus>>,
        /// Only ACTIVE certificates expiring between today and today + N days (0 to 36500).
        expiring_within_days: Query<Option<u32>>,
        /// Case-insensitive part of the issuing body.
        issuing_body: Query<Option<String>>,
        /// Page number, from 1.
        #[oai(default = "default_page")]
        page: Query<u32>,
        /// Rows per page, 1 to 500.
        #[oai(default = "default_page_size")]
        page_size: Query<u32>,
    ) -> Reply<Json<CertificatePage>> {
        Reply::run(async {
            let page_req = PageRequest::new(page.0, page_size.0).map_err(CoreError::from)?;
            let q = core::CertificateQuery {
                organization_id: organization_id.0.map(OrganizationId),
                certificate_type: certificate_type.0.filter(|s| !s.trim().is_empty()),
                status: status.0.map(Into::into),
                expiring_within_days: expiring_within_days.0,
                issuing_body: issuing_body.0,
                page: page_req,
            };
            let found = self.certificates().list_certificates(&auth.0, &q).await?;
            Ok(Json(CertificatePage {
                items: found.items.into_iter().map(Into::into).collect(),
                total: found.total,
                page: page_req.page(),
                page_size: page_req.page_size(),
            }))
        })
        .await
    }

    /// Creates a certificate for one of the tenant's organizations.
    #[oai(path = "/", method = "post", operation_id = "certificates_create")]
    async fn create(&self, auth: TokenAuth, body: Json<NewCertificate>) -> Reply<Created<Certificate>> {
        let b = body.0;
        let input = core::CertificateInput {
            organization_id: OrganizationId(b.organization_id),
            certificate_type: b.certificate_type,
            certificate_number: b.certificate_number,
            issuing_body: b.issuing_body,
            scope: b.scope,
            issue_date: b.issue_date,
            expiry_date: b.expiry_date,
            status: b.status.map(Into::into),
            document_url: b.document_url,
            source_url: b.source_url,
            document_hash: b.document_hash,
            external_id: b.external_id,
            provenance: None,
            site_ids: b.site_ids.into_iter().map(SiteId).collect(),
        };
        Reply::map(self.certificates().create_certificate(&auth.0, input).await, |c| Created::Created(Json(c.into())))
    }

    /// One certificate.
    #[oai(path = "/:id", method = "get", operation_id = "certificates_get")]
    async fn get(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Json<Certificate>> {
        Reply::map(self.certificates().get_certificate(&auth.0, CertificateId(id.0)).await, |c| Json(c.into()))
    }

    /// Changes a certificate's data: fields left out stay unchanged, `null`
    /// clears a field. The status changes only through a transition.
    #[oai(path = "/:id", method = "patch", operation_id = "certificates_update")]
    async fn update(&self, auth: TokenAuth, id: Path<Uuid>, body: Json<CertificateUpdate>) -> Reply<Json<Certificate>> {
        Reply::run(async {
            let b = body.0;
            let patch = core::CertificatePatch {
                certificate_type: patch_required("certificate_type", b.certificate_type)?,
                certificate_number: patch(b.certificate_number),
                issuing_body: patch(b.issuing_body),
                scope: patch(b.scope),
                issue_date: patch(b.issue_date),
                expiry_date: patch(b.expiry_date),
                document_url: patch(b.document_url),
                source_url: patch(b.source_url),
                document_hash: patch(b.document_hash),
                external_id: patch(b.external_id),
                site_ids: patch(b.site_ids).map(|s| s.unwrap_or_default().into_iter().map(SiteId).collect()),
            };
            let c = self.certificates().update_certificate(&auth.0, CertificateId(id.0), patch).await?;
            Ok(Json(c.into()))
        })
        .await
    }

    /// Deletes a certificate.
    #[oai(path = "/:id", method = "delete", operation_id = "certificates_delete")]
    async fn delete(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<NoContent> {
        Reply::map(self.certificates().delete_certificate(&auth.0, CertificateId(id.0)).await, |()| {
            NoContent::NoContent
        })
    }

    /// Moves the certificate along the status state machine, optionally
    /// setting a new expiry date with it (re-certification). A transition
    /// the state machine does not allow answers 409 with the statuses that
    /// are allowed.
    #[oai(path = "/:id/transition", method = "post", operation_id = "certificates_transition")]
    async fn transition(&self, auth: TokenAuth, id: Path<Uuid>, body: Json<Transition>) -> Reply<Json<Certificate>> {
        let b = body.0;
        let req = core::TransitionRequest { to: b.to.into(), expiry_date: b.expiry_date, reason: b.reason };
        Reply::map(self.certificates().transition(&auth.0, CertificateId(id.0), req).await, |c| Json(c.into()))
    }
}

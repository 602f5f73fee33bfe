-- CertWatch schema, SQLite. The same tables, names and constraints as the
-- Postgres schema, in the encodings sqlx uses for SQLite: uuids as 16-byte
-- BLOBs, timestamps as RFC 3339 TEXT (always +00:00, so text order is time
-- order), dates as YYYY-MM-DD TEXT, booleans as INTEGER 0/1, JSON as TEXT.
--
-- SQLite has no row-level security: tenant isolation rests on the explicit
-- tenant filter of every query of the store and on its check of every
-- tenant it is given against the transaction's scope. Foreign keys are enforced
-- (the store turns `foreign_keys` on for every connection). Children
-- reference their parent by (tenant_id, id), so a row can never point at
-- another tenant's row. SQLite reports unique violations by column, not by
-- constraint name; the store maps them to the constraint names used here
-- and on Postgres.
--
-- Primary keys are declared last on purpose: SQLite checks the unique
-- indexes of a table in reverse order of declaration, Postgres in order of
-- creation. Declaring the primary key last makes a duplicate id surface as
-- `<table>_pkey` on both, even when other unique columns repeat too.

-- Tenancy ------------------------------------------------------------------

CREATE TABLE tenants (
    id          BLOB    NOT NULL,
    name        TEXT    NOT NULL,
    slug        TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    CONSTRAINT tenants_slug UNIQUE (slug),
    PRIMARY KEY (id)
);

-- Users are global: one login across tenants.
CREATE TABLE users (
    id                 BLOB    NOT NULL,
    email              TEXT    NOT NULL,
    email_normalized   TEXT    NOT NULL,
    full_name          TEXT,
    password_hash      TEXT    NOT NULL,
    is_active          INTEGER NOT NULL DEFAULT 0,
    email_verified_at  TEXT,
    created_at         TEXT    NOT NULL,
    CONSTRAINT users_email UNIQUE (email_normalized),
    PRIMARY KEY (id)
);

CREATE TABLE memberships (
    id          BLOB    NOT NULL,
    tenant_id   BLOB    NOT NULL REFERENCES tenants (id),
    user_id     BLOB    NOT NULL REFERENCES users (id),
    role        TEXT    NOT NULL CHECK (role IN ('admin', 'member')),
    created_at  TEXT    NOT NULL,
    CONSTRAINT memberships_user_tenant UNIQUE (tenant_id, user_id),
    PRIMARY KEY (id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE invitations (
    id           BLOB    NOT NULL,
    tenant_id    BLOB    NOT NULL REFERENCES tenants (id),
    email        TEXT    NOT NULL,
    role         TEXT    NOT NULL CHECK (role IN ('admin', 'member')),
    token_hash   TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'accepted', 'expired', 'revoked')),
    invited_by   BLOB    NOT NULL REFERENCES users (id),
    expires_at   TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    accepted_at  TEXT,
    CONSTRAINT invitations_token_hash UNIQUE (token_hash),
    PRIMARY KEY (id)
);
CREATE INDEX invitations_tenant_created_idx ON invitations (tenant_id, created_at DESC, id DESC);

CREATE TABLE api_tokens (
    id            BLOB    NOT NULL,
    tenant_id     BLOB    NOT NULL REFERENCES tenants (id),
    user_id       BLOB    NOT NULL REFERENCES users (id),
    name          TEXT,
    token_hash    TEXT    NOT NULL,
    prefix        TEXT    NOT NULL,
    expires_at    TEXT,
    last_used_at  TEXT,
    revoked_at    TEXT,
    created_at    TEXT    NOT NULL,
    CONSTRAINT api_tokens_token_hash UNIQUE (token_hash),
    PRIMARY KEY (id)
);
CREATE INDEX api_tokens_tenant_user_idx ON api_tokens (tenant_id, user_id);

CREATE TABLE email_verifications (
    id          BLOB    NOT NULL,
    user_id     BLOB    NOT NULL REFERENCES users (id),
    tenant_id   BLOB    NOT NULL REFERENCES tenants (id),
    token_hash  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    used_at     TEXT,
    created_at  TEXT    NOT NULL,
    CONSTRAINT email_verifications_token_hash UNIQUE (token_hash),
    PRIMARY KEY (id)
);
CREATE INDEX email_verifications_user_idx ON email_verifications (user_id);

-- Certificate types (global master data) -----------------------------------

CREATE TABLE certificate_types (
    code         TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL
);

INSERT INTO certificate_types (code, name, description) VALUES
    ('ISO_9001', 'ISO 9001', 'Quality management systems'),
    ('ISO_14001', 'ISO 14001', 'Environmental management systems'),
    ('ISO_45001', 'ISO 45001', 'Occupational health and safety management systems'),
    ('EMAS', 'EMAS', 'EU Eco-Management and Audit Scheme'),
    ('TISAX', 'TISAX', 'Trusted Information Security Assessment Exchange (automotive)'),
    ('ISO_27001', 'ISO/IEC 27001', 'Information security management systems'),
    ('ISO_50001', 'ISO 50001', 'Energy management systems'),
    ('ISO_22301', 'ISO 22301', 'Business continuity management systems'),
    ('ISO_13485', 'ISO 13485', 'Medical devices quality management systems'),
    ('ISO_20000', 'ISO/IEC 20000-1', 'IT service management systems'),
    ('SA_8000', 'SA8000', 'Social accountability'),
    ('OHSAS_18001', 'OHSAS 18001', 'Occupational health and safety (withdrawn, superseded by ISO 45001)'),
    ('FSC', 'FSC', 'Forest Stewardship Council chain of custody'),
    ('PEFC', 'PEFC', 'Programme for the Endorsement of Forest Certification'),
    ('BSCI', 'amfori BSCI', 'Business Social Compliance Initiative'),
    ('SEDEX', 'Sedex SMETA', 'Sedex Members Ethical Trade Audit'),
    ('ECOVADIS', 'EcoVadis', 'EcoVadis sustainability rating'),
    ('CDP', 'CDP', 'Carbon Disclosure Project'),
    ('SBTi', 'SBTi', 'Science Based Targets initiative'),
    ('GRI', 'GRI', 'Global Reporting Initiative standards'),
    ('IATF_16949', 'IATF 16949', 'Automotive quality management systems'),
    ('AS_9100', 'AS9100', 'Aviation, space and defence quality management systems'),
    ('NADCAP', 'Nadcap', 'National Aerospace and Defense Contractors Accreditation Program'),
    ('ISO_3834', 'ISO 3834', 'Quality requirements for fusion welding'),
    ('EN_1090', 'EN 1090', 'Execution of steel and aluminium structures'),
    ('CE_MARKING', 'CE marking', 'EU conformity marking'),
    ('API_SPEC', 'API Spec Q1', 'American Petroleum Institute specifications'),
    ('PED_2014_68_EU', 'PED 2014/68/EU', 'Pressure Equipment Directive'),
    ('ATEX', 'ATEX', 'Equipment for explosive atmospheres (EU)'),
    ('IECEx', 'IECEx', 'IEC system for equipment in explosive atmospheres');

-- Suppliers ------------------------------------------------------------------

-- The counters are maintained by the store (`recount_certificates`):
-- active/expired exactly, expiring as of the day in `expiring_as_of`.
CREATE TABLE organizations (
    id              BLOB    NOT NULL,
    tenant_id       BLOB    NOT NULL REFERENCES tenants (id),
    external_id     TEXT,
    name            TEXT    NOT NULL,
    name_folded     TEXT        NOT NULL, -- lower-cased by the store, for search
    website         TEXT,
    lei             TEXT,
    vat             TEXT,
    country         TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    active_count    INTEGER NOT NULL DEFAULT 0,
    expired_count   INTEGER NOT NULL DEFAULT 0,
    expiring_count  INTEGER NOT NULL DEFAULT 0,
    expiring_as_of  TEXT,
    CONSTRAINT organizations_tenant_id_id UNIQUE (tenant_id, id),
    -- NULL external ids may repeat (NULLs are distinct).
    CONSTRAINT organizations_external_id UNIQUE (tenant_id, external_id),
    PRIMARY KEY (id)
);
CREATE INDEX organizations_tenant_name_idx ON organizations (tenant_id, name, id);
CREATE INDEX organizations_tenant_created_idx ON organizations (tenant_id, created_at, id);

CREATE TABLE sites (
    id               BLOB    NOT NULL,
    tenant_id        BLOB    NOT NULL REFERENCES tenants (id),
    organization_id  BLOB    NOT NULL,
    name             TEXT    NOT NULL,
    address          TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    CONSTRAINT sites_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT sites_organization_fk FOREIGN KEY (tenant_id, organization_id)
        REFERENCES organizations (tenant_id, id) ON DELETE CASCADE,
    PRIMARY KEY (id)
);
CREATE INDEX sites_organization_idx ON sites (organization_id, name);

-- Certificates ---------------------------------------------------------------

CREATE TABLE certificates (
    id                           BLOB    NOT NULL,
    tenant_id                    BLOB    NOT NULL REFERENCES tenants (id),
    organization_id              BLOB    NOT NULL,
    certificate_type             TEXT    NOT NULL REFERENCES certificate_types (code),
    certificate_number           TEXT,
    issuing_body                 TEXT,
    issuing_body_folded          TEXT,
    scope                        TEXT,
    issue_date                   TEXT,
    expiry_date                  TEXT,
    status                       TEXT    NOT NULL
        CHECK (status IN ('PENDING', 'ACTIVE', 'SUSPENDED', 'EXPIRED', 'REVOKED')),
    document_url                 TEXT,
    source_url                   TEXT,
    document_hash                TEXT,
    external_id                  TEXT,
    provenance                   TEXT    NOT NULL
        CHECK (provenance IN ('manual', 'web_scrape', 'upload', 'import')),
    last_expiry_notification_at  TEXT,
    created_at                   TEXT    NOT NULL,
    updated_at                   TEXT    NOT NULL,
    CONSTRAINT certificates_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT certificates_external_id UNIQUE (tenant_id, external_id),
    CONSTRAINT certificates_organization_fk FOREIGN KEY (tenant_id, organization_id)
        REFERENCES organizations (tenant_id, id) ON DELETE CASCADE,
    PRIMARY KEY (id)
);
-- Counters and per-organization filters.
CREATE INDEX certificates_org_status_expiry_idx
    ON certificates (tenant_id, organization_id, status, expiry_date);
-- Newest-first lists.
CREATE INDEX certificates_tenant_created_idx ON certificates (tenant_id, created_at DESC, id DESC);

CREATE TABLE certificate_sites (
    tenant_id       BLOB    NOT NULL REFERENCES tenants (id),
    certificate_id  BLOB    NOT NULL,
    site_id         BLOB    NOT NULL,
    PRIMARY KEY (certificate_id, site_id),
    CONSTRAINT certificate_sites_certificate_fk FOREIGN KEY (tenant_id, certificate_id)
        REFERENCES certificates (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT certificate_sites_site_fk FOREIGN KEY (tenant_id, site_id)
        REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX certificate_sites_site_idx ON certificate_sites (site_id);

-- Outbox and audit ledger ----------------------------------------------------

CREATE TABLE outbox_events (
    id            BLOB    NOT NULL,
    tenant_id     BLOB    NOT NULL REFERENCES tenants (id),
    event_type    TEXT    NOT NULL,
    payload       TEXT    NOT NULL,
    occurred_at   TEXT    NOT NULL,
    published_at  TEXT,
    PRIMARY KEY (id)
);
CREATE INDEX outbox_events_tenant_idx ON outbox_events (tenant_id, id);
CREATE INDEX outbox_events_unpublished_idx ON outbox_events (id) WHERE published_at IS NULL;

CREATE TABLE audit_log (
    id             BLOB    NOT NULL,
    tenant_id      BLOB    NOT NULL REFERENCES tenants (id),
    actor_user_id  BLOB,
    action         TEXT    NOT NULL,
    target_type    TEXT    NOT NULL,
    target_id      TEXT,
    metadata       TEXT    NOT NULL,
    request_id     TEXT,
    created_at     TEXT    NOT NULL,
    PRIMARY KEY (id)
);
-- Newest-first reads of a tenant's ledger.
CREATE INDEX audit_log_tenant_created_idx ON audit_log (tenant_id, created_at, id);

-- The audit ledger is append-only.
CREATE TRIGGER audit_log_no_update
    BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete
    BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

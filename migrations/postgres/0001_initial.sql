-- CertWatch schema, Postgres.
--
-- Conventions:
-- * Every tenant-owned table carries `tenant_id NOT NULL REFERENCES tenants(id)`
--   and a row-level security policy (ENABLEd and FORCEd) limiting it to the
--   transaction's tenant (`app.tenant_id`) unless the transaction runs in
--   system scope (`app.system = 'on'`). The store sets both with
--   `set_config(..., true)` at the start of every transaction. RLS is the
--   backstop: every query of the store also filters by tenant explicitly.
--   Roles with SUPERUSER or BYPASSRLS are never subject to it, so the
--   application should connect as an ordinary role.
-- * Children reference their parent by (tenant_id, id), so a row can never
--   point at another tenant's row.
-- * Unique constraints carry stable names; the store reports violations
--   with these names (`StoreError::Conflict`).
-- * audit_log is append-only: UPDATE, DELETE and TRUNCATE raise.

-- Tenancy ------------------------------------------------------------------

CREATE TABLE tenants (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL,
    slug        text        NOT NULL,
    created_at  timestamptz NOT NULL,
    CONSTRAINT tenants_slug UNIQUE (slug)
);

-- Users are global: one login across tenants.
CREATE TABLE users (
    id                 uuid        PRIMARY KEY,
    email              text        NOT NULL,
    email_normalized   text        NOT NULL,
    full_name          text,
    password_hash      text        NOT NULL,
    is_active          boolean     NOT NULL DEFAULT false,
    email_verified_at  timestamptz,
    created_at         timestamptz NOT NULL,
    CONSTRAINT users_email UNIQUE (email_normalized)
);

CREATE TABLE memberships (
    id          uuid        PRIMARY KEY,
    tenant_id   uuid        NOT NULL REFERENCES tenants (id),
    user_id     uuid        NOT NULL REFERENCES users (id),
    role        text        NOT NULL CHECK (role IN ('admin', 'member')),
    created_at  timestamptz NOT NULL,
    CONSTRAINT memberships_user_tenant UNIQUE (tenant_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE invitations (
    id           uuid        PRIMARY KEY,
    tenant_id    uuid        NOT NULL REFERENCES tenants (id),
    email        text        NOT NULL,
    role         text        NOT NULL CHECK (role IN ('admin', 'member')),
    token_hash   text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('pending', 'accepted', 'expired', 'revoked')),
    invited_by   uuid        NOT NULL REFERENCES users (id),
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    CONSTRAINT invitations_token_hash UNIQUE (token_hash)
);
CREATE INDEX invitations_tenant_created_idx ON invitations (tenant_id, created_at DESC, id DESC);

CREATE TABLE api_tokens (
    id            uuid        PRIMARY KEY,
    tenant_id     uuid        NOT NULL REFERENCES tenants (id),
    user_id       uuid        NOT NULL REFERENCES users (id),
    name          text,
    token_hash    text        NOT NULL,
    prefix        text        NOT NULL,
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    created_at    timestamptz NOT NULL,
    CONSTRAINT api_tokens_token_hash UNIQUE (token_hash)
);
CREATE INDEX api_tokens_tenant_user_idx ON api_tokens (tenant_id, user_id);

CREATE TABLE email_verifications (
    id          uuid        PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES users (id),
    tenant_id   uuid        NOT NULL REFERENCES tenants (id),
    token_hash  text        NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL,
    CONSTRAINT email_verifications_token_hash UNIQUE (token_hash)
);
CREATE INDEX email_verifications_user_idx ON email_verifications (user_id);

-- Certificate types (global master data) -----------------------------------

CREATE TABLE certificate_types (
    code         text PRIMARY KEY,
    name         text NOT NULL,
    description  text NOT NULL
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
    id              uuid        PRIMARY KEY,
    tenant_id       uuid        NOT NULL REFERENCES tenants (id),
    external_id     text,
    name            text        NOT NULL,
    name_folded     text        NOT NULL, -- lower-cased by the store, for search
    website         text,
    lei             text,
    vat             text,
    country         text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    active_count    bigint      NOT NULL DEFAULT 0,
    expired_count   bigint      NOT NULL DEFAULT 0,
    expiring_count  bigint      NOT NULL DEFAULT 0,
    expiring_as_of  date,
    CONSTRAINT organizations_tenant_id_id UNIQUE (tenant_id, id),
    -- NULL external ids may repeat (NULLs are distinct).
    CONSTRAINT organizations_external_id UNIQUE (tenant_id, external_id)
);
CREATE INDEX organizations_tenant_name_idx ON organizations (tenant_id, name, id);
CREATE INDEX organizations_tenant_created_idx ON organizations (tenant_id, created_at, id);

CREATE TABLE sites (
    id               uuid        PRIMARY KEY,
    tenant_id        uuid        NOT NULL REFERENCES tenants (id),
    organization_id  uuid        NOT NULL,
    name             text        NOT NULL,
    address          text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CONSTRAINT sites_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT sites_organization_fk FOREIGN KEY (tenant_id, organization_id)
        REFERENCES organizations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sites_organization_idx ON sites (organization_id, name);

-- Certificates ---------------------------------------------------------------

CREATE TABLE certificates (
    id                           uuid        PRIMARY KEY,
    tenant_id                    uuid        NOT NULL REFERENCES tenants (id),
    organization_id              uuid        NOT NULL,
    certificate_type             text        NOT NULL REFERENCES certificate_types (code),
    certificate_number           text,
    issuing_body                 text,
    issuing_body_folded          text,
    scope                        text,
    issue_date                   date,
    expiry_date                  date,
    status                       text        NOT NULL
        CHECK (status IN ('PENDING', 'ACTIVE', 'SUSPENDED', 'EXPIRED', 'REVOKED')),
    document_url                 text,
    source_url                   text,
    document_hash                text,
    external_id                  text,
    provenance                   text        NOT NULL
        CHECK (provenance IN ('manual', 'web_scrape', 'upload', 'import')),
    last_expiry_notification_at  timestamptz,
    created_at                   timestamptz NOT NULL,
    updated_at                   timestamptz NOT NULL,
    CONSTRAINT certificates_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT certificates_external_id UNIQUE (tenant_id, external_id),
    CONSTRAINT certificates_organization_fk FOREIGN KEY (tenant_id, organization_id)
        REFERENCES organizations (tenant_id, id) ON DELETE CASCADE
);
-- Counters and per-organization filters.
CREATE INDEX certificates_org_status_expiry_idx
    ON certificates (tenant_id, organization_id, status, expiry_date);
-- Newest-first lists.
CREATE INDEX certificates_tenant_created_idx ON certificates (tenant_id, created_at DESC, id DESC);

CREATE TABLE certificate_sites (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    certificate_id  uuid NOT NULL,
    site_id         uuid NOT NULL,
    PRIMARY KEY (certificate_id, site_id),
    CONSTRAINT certificate_sites_certificate_fk FOREIGN KEY (tenant_id, certificate_id)
        REFERENCES certificates (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT certificate_sites_site_fk FOREIGN KEY (tenant_id, site_id)
        REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX certificate_sites_site_idx ON certificate_sites (site_id);

-- Outbox and audit ledger ----------------------------------------------------

CREATE TABLE outbox_events (
    id            uuid        PRIMARY KEY,
    tenant_id     uuid        NOT NULL REFERENCES tenants (id),
    event_type    text        NOT NULL,
    payload       jsonb       NOT NULL,
    occurred_at   timestamptz NOT NULL,
    published_at  timestamptz
);
CREATE INDEX outbox_events_tenant_idx ON outbox_events (tenant_id, id);
CREATE INDEX outbox_events_unpublished_idx ON outbox_events (id) WHERE published_at IS NULL;

CREATE TABLE audit_log (
    id             uuid        PRIMARY KEY,
    tenant_id      uuid        NOT NULL REFERENCES tenants (id),
    actor_user_id  uuid,
    action         text        NOT NULL,
    target_type    text        NOT NULL,
    target_id      text,
    metadata       jsonb       NOT NULL,
    request_id     text,
    created_at     timestamptz NOT NULL
);
-- Newest-first reads of a tenant's ledger.
CREATE INDEX audit_log_tenant_created_idx ON audit_log (tenant_id, created_at, id);

-- The audit ledger is append-only. Statement-level triggers, so even an
-- UPDATE or DELETE that matches no row is refused.
CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Row-level security ---------------------------------------------------------
-- `nullif(..., '')`: once a session has run set_config('app.tenant_id', ...,
-- true), later transactions read the setting as '' rather than NULL.

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenants_tenant_isolation ON tenants FOR ALL
    USING (id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on')
    WITH CHECK (id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on');

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY memberships_tenant_isolation ON memberships FOR ALL
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on');

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY invitations_tenant_isolation ON invitations FOR ALL
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on');

ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY api_tokens_tenant_isolation ON api_tokens FOR ALL
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on');

ALTER TABLE email_verifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE email_verifications FORCE ROW LEVEL SECURITY;
CREATE POLICY email_verifications_tenant_isolation ON email_verifications FOR ALL
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on');

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY organizations_tenant_isolation ON organizations FOR ALL
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on');

ALTER TABLE sites ENABLE ROW LEVEL SECURITY;
ALTER TABLE sites FORCE ROW LEVEL SECURITY;
CREATE POLICY sites_tenant_isolation ON sites FOR ALL
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on');

ALTER TABLE certificates ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificates FORCE ROW LEVEL SECURITY;
CREATE POLICY certificates_tenant_isolation ON certificates FOR ALL
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on');

ALTER TABLE certificate_sites ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificate_sites FORCE ROW LEVEL SECURITY;
CREATE POLICY certificate_sites_tenant_isolation ON certificate_sites FOR ALL
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on');

ALTER TABLE outbox_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox_events FORCE ROW LEVEL SECURITY;
CREATE POLICY outbox_events_tenant_isolation ON outbox_events FOR ALL
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on');

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_tenant_isolation ON audit_log FOR ALL
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on');

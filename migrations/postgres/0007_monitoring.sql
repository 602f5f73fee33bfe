-- Monitoring: supplier pages scraped for certificates, the log of every
-- scrape, and the SimHash band index used for near-duplicate look-ups.

CREATE TABLE monitored_endpoints (
    id                     uuid        PRIMARY KEY,
    tenant_id              uuid        NOT NULL REFERENCES tenants (id),
    organization_id        uuid        NOT NULL,
    url                    text        NOT NULL,
    check_frequency_hours  integer     NOT NULL DEFAULT 24 CHECK (check_frequency_hours BETWEEN 1 AND 8760),
    last_checked           timestamptz,
    next_check_at          timestamptz NOT NULL,
    last_content_hash      text,
    processed_pdf_urls     jsonb       NOT NULL DEFAULT '[]',
    pdf_content_hashes     jsonb       NOT NULL DEFAULT '{}',
    pdf_validators         jsonb       NOT NULL DEFAULT '{}',
    is_active              boolean     NOT NULL DEFAULT true,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    CONSTRAINT monitored_endpoints_tenant_id_url UNIQUE (tenant_id, url),
    CONSTRAINT monitored_endpoints_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT monitored_endpoints_organization_fk FOREIGN KEY (tenant_id, organization_id)
        REFERENCES organizations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX monitored_endpoints_org_idx ON monitored_endpoints (tenant_id, organization_id);
CREATE INDEX monitored_endpoints_due_idx ON monitored_endpoints (next_check_at) WHERE is_active;

CREATE TABLE scrape_logs (
    id                  uuid        PRIMARY KEY,
    tenant_id           uuid        NOT NULL REFERENCES tenants (id),
    endpoint_id         uuid        NOT NULL,
    status              text        NOT NULL CHECK (status IN ('SUCCESS', 'FAILED', 'NO_CHANGE')),
    content_hash        text,
    certificates_found  integer     NOT NULL DEFAULT 0,
    error_message       text,
    duration_ms         bigint      NOT NULL,
    notes               jsonb       NOT NULL DEFAULT '[]',
    created_at          timestamptz NOT NULL,
    CONSTRAINT scrape_logs_endpoint_fk FOREIGN KEY (tenant_id, endpoint_id)
        REFERENCES monitored_endpoints (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX scrape_logs_endpoint_idx ON scrape_logs (tenant_id, endpoint_id, created_at DESC);
CREATE INDEX scrape_logs_created_idx ON scrape_logs (created_at, status);

-- One SimHash per certificate, cut into four 16-bit bands: fingerprints at
-- most 3 bits apart share a band, so a look-up reads four index ranges
-- instead of every certificate.
CREATE TABLE certificate_fingerprints (
    certificate_id   uuid    PRIMARY KEY,
    tenant_id        uuid    NOT NULL REFERENCES tenants (id),
    organization_id  uuid    NOT NULL,
    simhash          bigint  NOT NULL,
    band0            integer NOT NULL,
    band1            integer NOT NULL,
    band2            integer NOT NULL,
    band3            integer NOT NULL,
    CONSTRAINT certificate_fingerprints_certificate_fk FOREIGN KEY (tenant_id, certificate_id)
        REFERENCES certificates (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX certificate_fingerprints_band0_idx ON certificate_fingerprints (tenant_id, band0);
CREATE INDEX certificate_fingerprints_band1_idx ON certificate_fingerprints (tenant_id, band1);
CREATE INDEX certificate_fingerprints_band2_idx ON certificate_fingerprints (tenant_id, band2);
CREATE INDEX certificate_fingerprints_band3_idx ON certificate_fingerprints (tenant_id, band3);

ALTER TABLE monitored_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE monitored_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY monitored_endpoints_tenant_isolation ON monitored_endpoints FOR ALL
    USING (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

ALTER TABLE scrape_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE scrape_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY scrape_logs_tenant_isolation ON scrape_logs FOR ALL
    USING (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

ALTER TABLE certificate_fingerprints ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificate_fingerprints FORCE ROW LEVEL SECURITY;
CREATE POLICY certificate_fingerprints_tenant_isolation ON certificate_fingerprints FOR ALL
    USING (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

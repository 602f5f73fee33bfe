-- Monitoring: supplier pages scraped for certificates, the log of every
-- scrape, and the SimHash band index used for near-duplicate look-ups.

CREATE TABLE monitored_endpoints (
    id                     BLOB    NOT NULL,
    tenant_id              BLOB    NOT NULL REFERENCES tenants (id),
    organization_id        BLOB    NOT NULL,
    url                    TEXT    NOT NULL,
    check_frequency_hours  INTEGER NOT NULL DEFAULT 24 CHECK (check_frequency_hours BETWEEN 1 AND 8760),
    last_checked           TEXT,
    next_check_at          TEXT    NOT NULL,
    last_content_hash      TEXT,
    processed_pdf_urls     TEXT    NOT NULL DEFAULT '[]',
    pdf_content_hashes     TEXT    NOT NULL DEFAULT '{}',
    pdf_validators         TEXT    NOT NULL DEFAULT '{}',
    is_active              INTEGER NOT NULL DEFAULT 1,
    created_at             TEXT    NOT NULL,
    updated_at             TEXT    NOT NULL,
    CONSTRAINT monitored_endpoints_tenant_id_url UNIQUE (tenant_id, url),
    CONSTRAINT monitored_endpoints_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT monitored_endpoints_organization_fk FOREIGN KEY (tenant_id, organization_id)
        REFERENCES organizations (tenant_id, id) ON DELETE CASCADE,
    PRIMARY KEY (id)
);
CREATE INDEX monitored_endpoints_org_idx ON monitored_endpoints (tenant_id, organization_id);
CREATE INDEX monitored_endpoints_due_idx ON monitored_endpoints (next_check_at) WHERE is_active;

CREATE TABLE scrape_logs (
    id                  BLOB    NOT NULL,
    tenant_id           BLOB    NOT NULL REFERENCES tenants (id),
    endpoint_id         BLOB    NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('SUCCESS', 'FAILED', 'NO_CHANGE')),
    content_hash        TEXT,
    certificates_found  INTEGER NOT NULL DEFAULT 0,
    error_message       TEXT,
    duration_ms         INTEGER NOT NULL,
    notes               TEXT    NOT NULL DEFAULT '[]',
    created_at          TEXT    NOT NULL,
    CONSTRAINT scrape_logs_endpoint_fk FOREIGN KEY (tenant_id, endpoint_id)
        REFERENCES monitored_endpoints (tenant_id, id) ON DELETE CASCADE,
    PRIMARY KEY (id)
);
CREATE INDEX scrape_logs_endpoint_idx ON scrape_logs (tenant_id, endpoint_id, created_at DESC);
CREATE INDEX scrape_logs_created_idx ON scrape_logs (created_at, status);

-- One SimHash per certificate, cut into four 16-bit bands: fingerprints at
-- most 3 bits apart share a band, so a look-up reads four index ranges
-- instead of every certificate.
CREATE TABLE certificate_fingerprints (
    certificate_id   BLOB    NOT NULL,
    tenant_id        BLOB    NOT NULL REFERENCES tenants (id),
    organization_id  BLOB    NOT NULL,
    simhash          INTEGER NOT NULL,
    band0            INTEGER NOT NULL,
    band1            INTEGER NOT NULL,
    band2            INTEGER NOT NULL,
    band3            INTEGER NOT NULL,
    CONSTRAINT certificate_fingerprints_certificate_fk FOREIGN KEY (tenant_id, certificate_id)
        REFERENCES certificates (tenant_id, id) ON DELETE CASCADE,
    PRIMARY KEY (certificate_id)
);
CREATE INDEX certificate_fingerprints_band0_idx ON certificate_fingerprints (tenant_id, band0);
CREATE INDEX certificate_fingerprints_band1_idx ON certificate_fingerprints (tenant_id, band1);
CREATE INDEX certificate_fingerprints_band2_idx ON certificate_fingerprints (tenant_id, band2);
CREATE INDEX certificate_fingerprints_band3_idx ON certificate_fingerprints (tenant_id, band3);

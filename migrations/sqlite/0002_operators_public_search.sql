-- Operators run the installation (system-wide status under /api/admin/).
ALTER TABLE users ADD COLUMN is_operator INTEGER NOT NULL DEFAULT 0;

-- The anonymous verification search looks certificates up by number across
-- tenants, among those published on supplier web pages only.
CREATE INDEX certificates_public_number_idx ON certificates (lower(certificate_number))
    WHERE provenance = 'web_scrape' AND source_url IS NOT NULL;

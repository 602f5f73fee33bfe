-- Drops the plain tenant foreign keys of tables whose rows already carry
-- a composite key (tenant_id, parent_id) to a parent that references the
-- tenant: that composite key proves the tenant exists, so the plain key
-- only costs a check (and a KEY SHARE lock on the tenant's row) per row
-- written. On an import of 100,000 certificates that check is a large
-- share of the insert, and concurrent batches of one tenant all lock the
-- same tenant row through it.
ALTER TABLE certificates DROP CONSTRAINT certificates_tenant_id_fkey;
ALTER TABLE sites DROP CONSTRAINT sites_tenant_id_fkey;
ALTER TABLE certificate_sites DROP CONSTRAINT certificate_sites_tenant_id_fkey;
ALTER TABLE certificate_fingerprints DROP CONSTRAINT certificate_fingerprints_tenant_id_fkey;

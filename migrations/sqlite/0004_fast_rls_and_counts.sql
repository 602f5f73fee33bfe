-- Per-tenant organization count, maintained by the store with every insert
-- and delete, so an unfiltered organization page needs no count(*) scan.
-- (Row-level security, the other half of this migration on Postgres, does
-- not exist on SQLite.)
ALTER TABLE tenants ADD COLUMN organization_count INTEGER NOT NULL DEFAULT 0;
UPDATE tenants SET organization_count = (SELECT count(*) FROM organizations o WHERE o.tenant_id = tenants.id);

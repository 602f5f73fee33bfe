-- Set-based reference checks for the tables that imports write in bulk.
--
-- A foreign key checks each inserted row on its own: one look-up of the
-- parent and one KEY SHARE lock on it per row. For the tables below nearly
-- every row of a statement names the same parent (the tenant; a handful of
-- certificate types), and an import writes two batches at once, so the
-- parent row is share-locked by two transactions and every further check
-- has to read the member list of its multixact. A 100,000-row import made
-- 600,000 such checks, about half of the database's time.
--
-- These triggers keep the guarantees of those keys and do the work once per
-- statement: after an INSERT, the distinct
-- parents of the new rows are share-locked (so a concurrent delete waits,
-- as it would for a key) and must all exist, else the statement fails with
-- SQLSTATE 23503 and the old constraint's name, as before. The parents
-- refuse a DELETE or a key change while referenced (NO ACTION), and a
-- deleted tenant still takes its jobs with it (the jobs key was ON DELETE
-- CASCADE).
--
-- Row-level security: the checks run as the caller. A transaction of one
-- tenant sees its own tenant row, and rows of another tenant are refused by
-- the tables' policies before these checks run.

-- Child side -------------------------------------------------------------------

CREATE FUNCTION tenant_refs_exist() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    wanted bigint;
    found  bigint;
BEGIN
    SELECT count(DISTINCT tenant_id) INTO wanted FROM new_rows WHERE tenant_id IS NOT NULL;
    IF wanted = 0 THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO found FROM (
        SELECT t.id FROM tenants t
        WHERE t.id IN (SELECT n.tenant_id FROM new_rows n)
        FOR KEY SHARE OF t
    ) locked;
    IF found < wanted THEN
        RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"',
                TG_TABLE_NAME, TG_TABLE_NAME || '_tenant_id_fkey'
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = TG_TABLE_NAME || '_tenant_id_fkey',
                  TABLE = TG_TABLE_NAME,
                  DETAIL = 'Key (tenant_id) is not present in table "tenants".';
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION certificate_type_refs_exist() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    wanted bigint;
    found  bigint;
BEGIN
    SELECT count(DISTINCT certificate_type) INTO wanted FROM new_rows;
    IF wanted = 0 THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO found FROM (
        SELECT t.code FROM certificate_types t
        WHERE t.code IN (SELECT n.certificate_type FROM new_rows n)
        FOR KEY SHARE OF t
    ) locked;
    IF found < wanted THEN
        RAISE EXCEPTION 'insert or update on table "certificates" violates foreign key constraint "certificates_certificate_type_fkey"'
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'certificates_certificate_type_fkey',
                  TABLE = 'certificates',
                  DETAIL = 'Key (certificate_type) is not present in table "certificate_types".';
    END IF;
    RETURN NULL;
END;
$$;

-- A change of the key column of an existing row is rare (nothing in the
-- application does it) and checked row by row; the WHEN clause keeps every
-- other update free of the check.
CREATE FUNCTION tenant_ref_exists() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.tenant_id IS NOT NULL THEN
        PERFORM 1 FROM tenants WHERE id = NEW.tenant_id FOR KEY SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"',
                    TG_TABLE_NAME, TG_TABLE_NAME || '_tenant_id_fkey'
                USING ERRCODE = 'foreign_key_violation',
                      CONSTRAINT = TG_TABLE_NAME || '_tenant_id_fkey',
                      TABLE = TG_TABLE_NAME,
                      DETAIL = 'Key (tenant_id) is not present in table "tenants".';
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION certificate_type_ref_exists() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM certificate_types WHERE code = NEW.certificate_type FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insert or update on table "certificates" violates foreign key constraint "certificates_certificate_type_fkey"'
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'certificates_certificate_type_fkey',
                  TABLE = 'certificates',
                  DETAIL = 'Key (certificate_type) is not present in table "certificate_types".';
    END IF;
    RETURN NULL;
END;
$$;

ALTER TABLE organizations DROP CONSTRAINT organizations_tenant_id_fkey;
CREATE TRIGGER organizations_tenant_ref_insert AFTER INSERT ON organizations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tenant_refs_exist();
CREATE TRIGGER organizations_tenant_ref_update AFTER UPDATE OF tenant_id ON organizations
    FOR EACH ROW WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id) EXECUTE FUNCTION tenant_ref_exists();

ALTER TABLE outbox_events DROP CONSTRAINT outbox_events_tenant_id_fkey;
CREATE TRIGGER outbox_events_tenant_ref_insert AFTER INSERT ON outbox_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tenant_refs_exist();
CREATE TRIGGER outbox_events_tenant_ref_update AFTER UPDATE OF tenant_id ON outbox_events
    FOR EACH ROW WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id) EXECUTE FUNCTION tenant_ref_exists();

-- The ledger refuses updates outright, so only inserts are checked.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_tenant_id_fkey;
CREATE TRIGGER audit_log_tenant_ref_insert AFTER INSERT ON audit_log
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tenant_refs_exist();

ALTER TABLE jobs DROP CONSTRAINT jobs_tenant_id_fkey;
CREATE TRIGGER jobs_tenant_ref_insert AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tenant_refs_exist();
CREATE TRIGGER jobs_tenant_ref_update AFTER UPDATE OF tenant_id ON jobs
    FOR EACH ROW WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id) EXECUTE FUNCTION tenant_ref_exists();

ALTER TABLE certificates DROP CONSTRAINT certificates_certificate_type_fkey;
CREATE TRIGGER certificates_type_ref_insert AFTER INSERT ON certificates
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION certificate_type_refs_exist();
CREATE TRIGGER certificates_type_ref_update AFTER UPDATE OF certificate_type ON certificates
    FOR EACH ROW WHEN (OLD.certificate_type IS DISTINCT FROM NEW.certificate_type)
    EXECUTE FUNCTION certificate_type_ref_exists();

-- Parent side ------------------------------------------------------------------

CREATE FUNCTION tenants_still_referenced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    child text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        DELETE FROM jobs WHERE tenant_id = OLD.id;
    END IF;
    child := CASE
        WHEN EXISTS (SELECT 1 FROM organizations WHERE tenant_id = OLD.id) THEN 'organizations'
        WHEN EXISTS (SELECT 1 FROM outbox_events WHERE tenant_id = OLD.id) THEN 'outbox_events'
        WHEN EXISTS (SELECT 1 FROM audit_log WHERE tenant_id = OLD.id) THEN 'audit_log'
        WHEN TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM jobs WHERE tenant_id = OLD.id) THEN 'jobs'
    END;
    IF child IS NOT NULL THEN
        RAISE EXCEPTION 'update or delete on table "tenants" violates foreign key constraint "%" on table "%"',
                child || '_tenant_id_fkey', child
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = child || '_tenant_id_fkey',
                  TABLE = child,
                  DETAIL = 'Key (id) is still referenced.';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;

CREATE TRIGGER tenants_referenced BEFORE DELETE OR UPDATE OF id ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenants_still_referenced();

CREATE FUNCTION certificate_types_still_referenced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.code = OLD.code THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM certificates WHERE certificate_type = OLD.code) THEN
        RAISE EXCEPTION 'update or delete on table "certificate_types" violates foreign key constraint "certificates_certificate_type_fkey" on table "certificates"'
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'certificates_certificate_type_fkey',
                  TABLE = 'certificates',
                  DETAIL = 'Key (code) is still referenced.';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;

CREATE TRIGGER certificate_types_referenced BEFORE DELETE OR UPDATE OF code ON certificate_types
    FOR EACH ROW EXECUTE FUNCTION certificate_types_still_referenced();

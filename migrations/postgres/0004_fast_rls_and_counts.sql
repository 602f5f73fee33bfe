-- Row-level security predicates evaluated once per statement instead of once
-- per row: wrapping current_setting() in a scalar subquery turns it into an
-- InitPlan. Same rule as 0001 (the transaction's tenant, or system scope).
CREATE FUNCTION certwatch_current_tenant() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;
CREATE FUNCTION certwatch_system_scope() RETURNS boolean LANGUAGE sql STABLE
    AS $$ SELECT coalesce(current_setting('app.system', true) = 'on', false) $$;

DROP POLICY tenants_tenant_isolation ON tenants;
CREATE POLICY tenants_tenant_isolation ON tenants FOR ALL
    USING (id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

DROP POLICY memberships_tenant_isolation ON memberships;
CREATE POLICY memberships_tenant_isolation ON memberships FOR ALL
    USING (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

DROP POLICY invitations_tenant_isolation ON invitations;
CREATE POLICY invitations_tenant_isolation ON invitations FOR ALL
    USING (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

DROP POLICY api_tokens_tenant_isolation ON api_tokens;
CREATE POLICY api_tokens_tenant_isolation ON api_tokens FOR ALL
    USING (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

DROP POLICY email_verifications_tenant_isolation ON email_verifications;
CREATE POLICY email_verifications_tenant_isolation ON email_verifications FOR ALL
    USING (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

DROP POLICY organizations_tenant_isolation ON organizations;
CREATE POLICY organizations_tenant_isolation ON organizations FOR ALL
    USING (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

DROP POLICY sites_tenant_isolation ON sites;
CREATE POLICY sites_tenant_isolation ON sites FOR ALL
    USING (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

DROP POLICY certificates_tenant_isolation ON certificates;
CREATE POLICY certificates_tenant_isolation ON certificates FOR ALL
    USING (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

DROP POLICY certificate_sites_tenant_isolation ON certificate_sites;
CREATE POLICY certificate_sites_tenant_isolation ON certificate_sites FOR ALL
    USING (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

DROP POLICY outbox_events_tenant_isolation ON outbox_events;
CREATE POLICY outbox_events_tenant_isolation ON outbox_events FOR ALL
    USING (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

DROP POLICY audit_log_tenant_isolation ON audit_log;
CREATE POLICY audit_log_tenant_isolation ON audit_log FOR ALL
    USING (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

-- Per-tenant organization count, maintained by the store with every insert
-- and delete, so an unfiltered organization page needs no count(*) scan.
ALTER TABLE tenants ADD COLUMN organization_count bigint NOT NULL DEFAULT 0;
SELECT set_config('app.system', 'on', true);
UPDATE tenants SET organization_count = (SELECT count(*) FROM organizations o WHERE o.tenant_id = tenants.id);

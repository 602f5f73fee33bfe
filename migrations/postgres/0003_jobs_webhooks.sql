-- Background jobs and webhooks.
--
-- jobs: the durable at-least-once queue. A job belongs to a tenant or, with
-- tenant_id NULL, to the system (periodic work, reapers). Enqueued in the
-- same transaction as the change that causes it; claimed by workers in
-- system scope with FOR UPDATE SKIP LOCKED and a lease (lease_until,
-- locked_by); a lease that runs out makes the job claimable again (the
-- reaper). dedupe_key makes enqueueing idempotent (periodic slots,
-- one delivery job per delivery attempt round).
CREATE TABLE jobs (
    id            uuid        PRIMARY KEY,
    tenant_id     uuid        REFERENCES tenants (id) ON DELETE CASCADE,
    kind          text        NOT NULL,
    payload       jsonb       NOT NULL,
    status        text        NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'dead')),
    attempts      integer     NOT NULL DEFAULT 0,
    max_attempts  integer     NOT NULL CHECK (max_attempts >= 1),
    run_at        timestamptz NOT NULL,
    lease_until   timestamptz,
    locked_by     text,
    last_error    text,
    request_id    text,
    dedupe_key    text,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    CONSTRAINT jobs_dedupe_key UNIQUE (dedupe_key)
);
-- What a claim scans: due queued jobs, oldest first.
CREATE INDEX jobs_due_idx ON jobs (run_at, id) WHERE status = 'queued';
-- What the reaper scans.
CREATE INDEX jobs_lease_idx ON jobs (lease_until) WHERE status = 'running';
CREATE INDEX jobs_status_idx ON jobs (status, updated_at);

-- Subscribers: the API key is stored as SHA-256 (only compared); the
-- signing secret as is (every delivery is signed with it).
CREATE TABLE subscribers (
    id              uuid        PRIMARY KEY,
    tenant_id       uuid        NOT NULL REFERENCES tenants (id),
    name            text        NOT NULL,
    webhook_url     text        NOT NULL,
    api_key_hash    text        NOT NULL,
    api_key_prefix  text        NOT NULL,
    signing_secret  text        NOT NULL,
    is_active       boolean     NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT subscribers_api_key_hash UNIQUE (api_key_hash),
    CONSTRAINT subscribers_tenant_id_id UNIQUE (tenant_id, id)
);

CREATE TABLE subscriptions (
    id                uuid        PRIMARY KEY,
    tenant_id         uuid        NOT NULL REFERENCES tenants (id),
    subscriber_id     uuid        NOT NULL,
    organization_id   uuid,
    certificate_type  text,
    event_types       jsonb       NOT NULL,
    created_at        timestamptz NOT NULL,
    CONSTRAINT subscriptions_subscriber_fk FOREIGN KEY (tenant_id, subscriber_id)
        REFERENCES subscribers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX subscriptions_tenant_idx ON subscriptions (tenant_id, subscriber_id);

-- The delivery log. One row per (event, subscription): a dispatcher that
-- runs twice for the same event inserts nothing the second time.
CREATE TABLE webhook_deliveries (
    id               uuid        PRIMARY KEY,
    tenant_id        uuid        NOT NULL REFERENCES tenants (id),
    subscriber_id    uuid        NOT NULL,
    subscription_id  uuid,
    event_id         uuid,
    event_type       text        NOT NULL,
    payload          jsonb       NOT NULL,
    status           text        NOT NULL CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED')),
    attempts         integer     NOT NULL DEFAULT 0,
    response_status  integer,
    error_message    text,
    created_at       timestamptz NOT NULL,
    delivered_at     timestamptz,
    CONSTRAINT webhook_deliveries_event_subscription UNIQUE (event_id, subscription_id),
    CONSTRAINT webhook_deliveries_subscriber_fk FOREIGN KEY (tenant_id, subscriber_id)
        REFERENCES subscribers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_subscriber_idx ON webhook_deliveries (tenant_id, subscriber_id, created_at DESC);

-- Row-level security: tenant rows for their tenant; system scope sees all
-- (the workers claim across tenants); system jobs (tenant_id NULL) only in
-- system scope.
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY jobs_tenant_isolation ON jobs FOR ALL
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on');

ALTER TABLE subscribers ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscribers FORCE ROW LEVEL SECURITY;
CREATE POLICY subscribers_tenant_isolation ON subscribers FOR ALL
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on');

ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY subscriptions_tenant_isolation ON subscriptions FOR ALL
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on');

ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_deliveries_tenant_isolation ON webhook_deliveries FOR ALL
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.system', true) = 'on');

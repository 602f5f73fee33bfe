-- Background jobs and webhooks: the same tables as on Postgres (see
-- migrations/postgres/0003_jobs_webhooks.sql), in SQLite's encodings.
-- Claims need no row locks here: every transaction is BEGIN IMMEDIATE.

CREATE TABLE jobs (
    id            BLOB    NOT NULL,
    tenant_id     BLOB    REFERENCES tenants (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL,
    payload       TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'dead')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_at        TEXT    NOT NULL,
    lease_until   TEXT,
    locked_by     TEXT,
    last_error    TEXT,
    request_id    TEXT,
    dedupe_key    TEXT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    finished_at   TEXT,
    CONSTRAINT jobs_dedupe_key UNIQUE (dedupe_key),
    PRIMARY KEY (id)
);
CREATE INDEX jobs_due_idx ON jobs (run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_lease_idx ON jobs (lease_until) WHERE status = 'running';
CREATE INDEX jobs_status_idx ON jobs (status, updated_at);

CREATE TABLE subscribers (
    id              BLOB    NOT NULL,
    tenant_id       BLOB    NOT NULL REFERENCES tenants (id),
    name            TEXT    NOT NULL,
    webhook_url     TEXT    NOT NULL,
    api_key_hash    TEXT    NOT NULL,
    api_key_prefix  TEXT    NOT NULL,
    signing_secret  TEXT    NOT NULL,
    is_active       INTEGER NOT NULL,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    CONSTRAINT subscribers_api_key_hash UNIQUE (api_key_hash),
    CONSTRAINT subscribers_tenant_id_id UNIQUE (tenant_id, id),
    PRIMARY KEY (id)
);

CREATE TABLE subscriptions (
    id                BLOB    NOT NULL,
    tenant_id         BLOB    NOT NULL REFERENCES tenants (id),
    subscriber_id     BLOB    NOT NULL,
    organization_id   BLOB,
    certificate_type  TEXT,
    event_types       TEXT    NOT NULL,
    created_at        TEXT    NOT NULL,
    CONSTRAINT subscriptions_subscriber_fk FOREIGN KEY (tenant_id, subscriber_id)
        REFERENCES subscribers (tenant_id, id) ON DELETE CASCADE,
    PRIMARY KEY (id)
);
CREATE INDEX subscriptions_tenant_idx ON subscriptions (tenant_id, subscriber_id);

CREATE TABLE webhook_deliveries (
    id               BLOB    NOT NULL,
    tenant_id        BLOB    NOT NULL REFERENCES tenants (id),
    subscriber_id    BLOB    NOT NULL,
    subscription_id  BLOB,
    event_id         BLOB,
    event_type       TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    response_status  INTEGER,
    error_message    TEXT,
    created_at       TEXT    NOT NULL,
    delivered_at     TEXT,
    CONSTRAINT webhook_deliveries_event_subscription UNIQUE (event_id, subscription_id),
    CONSTRAINT webhook_deliveries_subscriber_fk FOREIGN KEY (tenant_id, subscriber_id)
        REFERENCES subscribers (tenant_id, id) ON DELETE CASCADE,
    PRIMARY KEY (id)
);
CREATE INDEX webhook_deliveries_subscriber_idx ON webhook_deliveries (tenant_id, subscriber_id, created_at DESC);

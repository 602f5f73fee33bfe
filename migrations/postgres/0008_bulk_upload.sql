-- Bulk certificate upload: batches of uploaded files and one item per file.
-- The files themselves live in the blob store under generated keys
-- (blob_key); only metadata and processing results are here. Batch counts
-- are computed from the items when read, so they can never drift.
CREATE TABLE upload_batches (
    id            uuid        PRIMARY KEY,
    tenant_id     uuid        NOT NULL REFERENCES tenants (id),
    created_by    uuid        NOT NULL REFERENCES users (id),
    status        text        NOT NULL CHECK (status IN ('pending', 'processing', 'completed')),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    completed_at  timestamptz,
    CONSTRAINT upload_batches_tenant_id_id UNIQUE (tenant_id, id)
);
CREATE INDEX upload_batches_tenant_created_idx ON upload_batches (tenant_id, created_at DESC, id);

CREATE TABLE upload_items (
    id                       uuid             PRIMARY KEY,
    tenant_id                uuid             NOT NULL REFERENCES tenants (id),
    batch_id                 uuid             NOT NULL,
    original_filename        text             NOT NULL,
    blob_key                 text             NOT NULL,
    file_type                text             NOT NULL CHECK (file_type IN ('pdf', 'png', 'jpeg', 'tiff', 'webp')),
    file_size                bigint           NOT NULL,
    sha256                   text             NOT NULL,
    status                   text             NOT NULL CHECK (status IN
        ('pending', 'processing', 'matched', 'needs_review', 'extraction_failed', 'skipped')),
    extracted_text           text,
    extracted_data           jsonb,
    matched_organization_id  uuid             REFERENCES organizations (id) ON DELETE SET NULL,
    match_confidence         double precision,
    certificate_id           uuid             REFERENCES certificates (id) ON DELETE SET NULL,
    error_message            text,
    user_corrections         jsonb,
    reviewed_by              uuid             REFERENCES users (id),
    created_at               timestamptz      NOT NULL,
    updated_at               timestamptz      NOT NULL,
    CONSTRAINT upload_items_blob_key UNIQUE (blob_key),
    CONSTRAINT upload_items_batch_fk FOREIGN KEY (tenant_id, batch_id)
        REFERENCES upload_batches (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX upload_items_batch_idx ON upload_items (tenant_id, batch_id, created_at, id);
CREATE INDEX upload_items_status_idx ON upload_items (tenant_id, status, created_at, id);

-- Row-level security exactly like the other tenant tables (0004: the
-- InitPlan-wrapped tenant and system predicates).
ALTER TABLE upload_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE upload_batches FORCE ROW LEVEL SECURITY;
CREATE POLICY upload_batches_tenant_isolation ON upload_batches FOR ALL
    USING (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

ALTER TABLE upload_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE upload_items FORCE ROW LEVEL SECURITY;
CREATE POLICY upload_items_tenant_isolation ON upload_items FOR ALL
    USING (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()))
    WITH CHECK (tenant_id = (SELECT certwatch_current_tenant()) OR (SELECT certwatch_system_scope()));

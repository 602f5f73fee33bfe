-- Bulk certificate upload: the same tables as on Postgres (see
-- migrations/postgres/0008_bulk_upload.sql), in SQLite's encodings.
CREATE TABLE upload_batches (
    id            BLOB    NOT NULL,
    tenant_id     BLOB    NOT NULL REFERENCES tenants (id),
    created_by    BLOB    NOT NULL REFERENCES users (id),
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'processing', 'completed')),
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    completed_at  TEXT,
    CONSTRAINT upload_batches_tenant_id_id UNIQUE (tenant_id, id),
    PRIMARY KEY (id)
);
CREATE INDEX upload_batches_tenant_created_idx ON upload_batches (tenant_id, created_at DESC, id);

CREATE TABLE upload_items (
    id                       BLOB    NOT NULL,
    tenant_id                BLOB    NOT NULL REFERENCES tenants (id),
    batch_id                 BLOB    NOT NULL,
    original_filename        TEXT    NOT NULL,
    blob_key                 TEXT    NOT NULL,
    file_type                TEXT    NOT NULL CHECK (file_type IN ('pdf', 'png', 'jpeg', 'tiff', 'webp')),
    file_size                INTEGER NOT NULL,
    sha256                   TEXT    NOT NULL,
    status                   TEXT    NOT NULL CHECK (status IN
        ('pending', 'processing', 'matched', 'needs_review', 'extraction_failed', 'skipped')),
    extracted_text           TEXT,
    extracted_data           TEXT,
    matched_organization_id  BLOB    REFERENCES organizations (id) ON DELETE SET NULL,
    match_confidence         REAL,
    certificate_id           BLOB    REFERENCES certificates (id) ON DELETE SET NULL,
    error_message            TEXT,
    user_corrections         TEXT,
    reviewed_by              BLOB    REFERENCES users (id),
    created_at               TEXT    NOT NULL,
    updated_at               TEXT    NOT NULL,
    CONSTRAINT upload_items_blob_key UNIQUE (blob_key),
    CONSTRAINT upload_items_batch_fk FOREIGN KEY (tenant_id, batch_id)
        REFERENCES upload_batches (tenant_id, id) ON DELETE CASCADE,
    PRIMARY KEY (id)
);
CREATE INDEX upload_items_batch_idx ON upload_items (tenant_id, batch_id, created_at, id);
CREATE INDEX upload_items_status_idx ON upload_items (tenant_id, status, created_at, id);

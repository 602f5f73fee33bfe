//! The one place where database errors become [`StoreError`]s, for both
//! backends.
//!
//! * unique violations → [`StoreError::Conflict`] with the constraint's
//!   stable name. Postgres reports the name; SQLite only reports
//!   `UNIQUE constraint failed: table.col, table.col`, which
//!   [`sqlite_constraint_name`] maps to the same names;
//! * foreign key violations → [`StoreError::MissingReference`];
//! * row-level security violations (Postgres SQLSTATE `42501`), exceptions
//!   raised by triggers (`P0001`) and SQLite `RAISE(ABORT, …)` →
//!   [`StoreError::Refused`];
//! * undecodable columns → [`StoreError::Corrupt`];
//! * everything else → [`StoreError::Database`].

use certwatch_core::ports::StoreError;
use sqlx::error::ErrorKind;

/// SQLite's extended result code for `RAISE(ABORT, …)` in a trigger
/// (`SQLITE_CONSTRAINT_TRIGGER`).
const SQLITE_CONSTRAINT_TRIGGER: &str = "1811";
/// SQLite's extended result code for a primary key violation
/// (`SQLITE_CONSTRAINT_PRIMARYKEY`).
const SQLITE_CONSTRAINT_PRIMARYKEY: &str = "1555";
/// Postgres: insufficient privilege, which is what a row-level security
/// `WITH CHECK` failure reports.
const PG_INSUFFICIENT_PRIVILEGE: &str = "42501";
/// Postgres: `RAISE EXCEPTION` without an explicit SQLSTATE.
const PG_RAISE_EXCEPTION: &str = "P0001";

/// Maps a sqlx error to the store error of the port contract.
pub(crate) fn map_sqlx(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            match db.kind() {
                ErrorKind::UniqueViolation => {
                    let constraint = match db.constraint() {
                        Some(name) => name.to_owned(),
                        None => sqlite_constraint_name(db.message(), code == SQLITE_CONSTRAINT_PRIMARYKEY),
                    };
                    StoreError::Conflict { constraint }
                }
                ErrorKind::ForeignKeyViolation => StoreError::MissingReference(db.message().to_owned()),
                _ if matches!(code, PG_INSUFFICIENT_PRIVILEGE | PG_RAISE_EXCEPTION | SQLITE_CONSTRAINT_TRIGGER) => {
                    StoreError::Refused(db.message().to_owned())
                }
                _ => StoreError::Database(db.message().to_owned()),
            }
        }
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) | sqlx::Error::ColumnNotFound(_) => {
            StoreError::Corrupt(e.to_string())
        }
        _ => StoreError::Database(e.to_string()),
    }
}

/// Extension for `Result<T, sqlx::Error>`: `.db()?` maps the error.
pub(crate) trait DbResult<T> {
    /// Maps the error with [`map_sqlx`].
    fn db(self) -> Result<T, StoreError>;
}

impl<T> DbResult<T> for Result<T, sqlx::Error> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(map_sqlx)
    }
}

/// The constraint name for a SQLite unique-violation message
/// `UNIQUE constraint failed: table.col1, table.col2`.
///
/// The named constraints of the schema map to their Postgres names; a
/// primary key maps to `<table>_pkey` (Postgres' default name); any other
/// unique constraint maps to `<table>_<col1>_<col2>…`, which is also how the
/// remaining constraints of the schema are named.
pub(crate) fn sqlite_constraint_name(message: &str, primary_key: bool) -> String {
    let list = message.split_once("constraint failed:").map_or(message, |(_, rest)| rest).trim();
    let mut table = "";
    let mut columns: Vec<&str> = Vec::new();
    for part in list.split(',') {
        let part = part.trim();
        match part.split_once('.') {
            Some((t, c)) => {
                table = t;
                columns.push(c);
            }
            None if !part.is_empty() => columns.push(part),
            None => {}
        }
    }
    if primary_key {
        return format!("{table}_pkey");
    }
    match (table, columns.as_slice()) {
        ("tenants", ["slug"]) => "tenants_slug".into(),
        ("users", ["email_normalized"]) => "users_email".into(),
        ("memberships", ["tenant_id", "user_id"]) => "memberships_user_tenant".into(),
        ("organizations", ["tenant_id", "external_id"]) => "organizations_external_id".into(),
        ("certificates", ["tenant_id", "external_id"]) => "certificates_external_id".into(),
        ("certificate_sites", ["certificate_id", "site_id"]) => "certificate_sites_pkey".into(),
        (t, cols) if !t.is_empty() => format!("{t}_{}", cols.join("_")),
        _ => "unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::sqlite_constraint_name as name;

    #[test]
    fn sqlite_messages_map_to_postgres_names() {
        assert_eq!(name("UNIQUE constraint failed: tenants.slug", false), "tenants_slug");
        assert_eq!(name("UNIQUE constraint failed: users.email_normalized", false), "users_email");
        assert_eq!(
            name("UNIQUE constraint failed: memberships.tenant_id, memberships.user_id", false),
            "memberships_user_tenant"
        );
        assert_eq!(
            name("UNIQUE constraint failed: organizations.tenant_id, organizations.external_id", false),
            "organizations_external_id"
        );
        assert_eq!(
            name("UNIQUE constraint failed: certificates.tenant_id, certificates.external_id", false),
            "certificates_external_id"
        );
        assert_eq!(name("UNIQUE constraint failed: api_tokens.token_hash", false), "api_tokens_token_hash");
        assert_eq!(name("UNIQUE constraint failed: tenants.id", true), "tenants_pkey");
    }
}

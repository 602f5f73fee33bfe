//! `/api/imports/`: spreadsheet imports of suppliers and certificates, the
//! import template and the export of the tenant's organizations. Every rule
//! is in `certwatch_core::imports`; this module reads the upload, calls it
//! and maps the report to 200 / 207 / 400.

use std::sync::Arc;

use certwatch_core::imports::{self as core, ExportFormat};
use certwatch_core::Error as CoreError;
use poem::http::{header, StatusCode};
use poem::{IntoResponse, Response};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::multipart::Upload;
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Enum, Multipart, Object, OpenApi, Tags};

use super::common::{Reply, TokenAuth};
use super::State;
use crate::problem::{ApiError, ImportRowError, Problem};

#[derive(Tags)]
enum Tag {
    /// Spreadsheet imports and exports of suppliers.
    Imports,
}

/// The upload of `POST /api/imports/`.
#[derive(Multipart, Debug)]
pub struct ImportUpload {
    /// The spreadsheet: `.csv` (UTF-8 or Windows-1252; `,`, `;` or tab
    /// separated), `.xlsx` or `.xls`, at most 20 MB. The extension must match
    /// the content.
    file: Upload,
}

/// What an import did.
#[derive(Object, Debug, Clone)]
pub struct ImportResult {
    /// The uploaded file's name (its last path component).
    pub filename: String,
    /// Data rows in the file (blank rows not counted).
    pub rows: u32,
    /// Rows that created an organization.
    pub created: u32,
    /// Rows that matched an existing organization by external id and updated it.
    pub updated: u32,
    /// Certificates created.
    pub certificates_created: u32,
    /// Certificates updated.
    pub certificates_updated: u32,
    /// The rows that failed (empty on 200).
    pub errors: Vec<ImportRowError>,
}

/// The outcome of an import that committed rows.
#[derive(ApiResponse, Debug)]
pub enum ImportResponse {
    /// Every row was imported.
    #[oai(status = 200)]
    Ok(Json<ImportResult>),
    /// Some rows failed and are listed in `errors`; every other row was
    /// committed.
    #[oai(status = 207)]
    MultiStatus(Json<ImportResult>),
    /// The file is larger than 20 MB.
    #[oai(status = 413, content_type = "application/problem+json")]
    TooLarge(Json<Problem>),
}

/// The format of a downloaded spreadsheet.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[oai(rename_all = "lowercase")]
pub enum FileFormat {
    /// CSV, UTF-8 with BOM, comma separated.
    #[default]
    Csv,
    /// Excel workbook.
    Xlsx,
}

impl From<FileFormat> for ExportFormat {
    fn from(f: FileFormat) -> Self {
        match f {
            FileFormat::Csv => ExportFormat::Csv,
            FileFormat::Xlsx => ExportFormat::Xlsx,
        }
    }
}

/// A spreadsheet file sent as an attachment, `text/csv` or `.xlsx`.
pub struct Download {
    bytes: Vec<u8>,
    format: ExportFormat,
    filename: String,
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, self.format.content_type())
            .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", self.filename))
            .body(self.bytes)
    }
}

impl ApiResponse for Download {
    fn meta() -> MetaResponses {
        let binary = || MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")));
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The spreadsheet, as an attachment (`text/csv` or an `.xlsx` workbook, as requested).",
                status: Some(200),
                status_range: None,
                content: vec![
                    MetaMediaType { content_type: "text/csv", schema: binary() },
                    MetaMediaType { content_type: ExportFormat::Xlsx.content_type(), schema: binary() },
                ],
                headers: vec![MetaHeader {
                    name: "Content-Disposition".to_owned(),
                    description: Some("`attachment` with the file name.".to_owned()),
                    required: true,
                    deprecated: false,
                    schema: String::schema_ref(),
                }],
            }],
        }
    }

    fn register(_: &mut Registry) {}
}

/// Import, template and export endpoints.
pub struct ImportsApi {
    pub(super) state: Arc<State>,
}

fn row_errors(errors: Vec<core::RowError>) -> Vec<ImportRowError> {
    errors.into_iter().map(|e| ImportRowError { row: e.row, column: e.column, message: e.message }).collect()
}

#[OpenApi(prefix_path = "/api/imports", tag = "Tag::Imports")]
impl ImportsApi {
    /// Imports suppliers (and their certificates) from a spreadsheet.
    ///
    /// Each data row creates an organization, or updates the one with the
    /// same `external_id` in the tenant (blank cells leave stored values
    /// alone). Rows with a certificate type also create or update that
    /// certificate (matched by organization, type and number). Newly created
    /// organizations are queued for website discovery.
    ///
    /// The header row may sit under title rows; headers are matched
    /// ignoring case and spacing, with aliases (see the README and the
    /// template's `Columns` sheet). Answers 200 when every row was imported,
    /// 207 when some rows failed (they are listed; the rest is committed),
    /// 400 when the file is not a spreadsheet, has no recognisable header,
    /// or no row could be imported (`rows` lists why), 413 above 20 MB.
    #[oai(path = "/", method = "post", operation_id = "imports_create")]
    async fn import(&self, auth: TokenAuth, upload: ImportUpload) -> Reply<ImportResponse> {
        Reply::run(async {
            let filename = core::sanitize_filename(upload.file.file_name().unwrap_or_default());
            let bytes = upload
                .file
                .into_vec()
                .await
                .map_err(|e| ApiError::from_problem(Problem::status(StatusCode::BAD_REQUEST, e.to_string())))?;
            let report = match self.state.core.imports().import(&auth.0, &filename, bytes).await {
                Err(CoreError::Import(e @ core::ImportError::TooLarge { .. })) => {
                    let p = Problem::status(StatusCode::PAYLOAD_TOO_LARGE, e.to_string());
                    return Ok(ImportResponse::TooLarge(Json(p)));
                }
                other => other?,
            };
            let imported = report.imported_any();
            let failed = !report.errors.is_empty();
            let result = ImportResult {
                filename,
                rows: report.rows,
                created: report.created,
                updated: report.updated,
                certificates_created: report.certificates_created,
                certificates_updated: report.certificates_updated,
                errors: row_errors(report.errors),
            };
            match (imported, failed) {
                (_, false) => Ok(ImportResponse::Ok(Json(result))),
                (true, true) => Ok(ImportResponse::MultiStatus(Json(result))),
                (false, true) => {
                    let mut p = Problem::new(
                        StatusCode::BAD_REQUEST,
                        "urn:certwatch:problem:import-failed",
                        "No row could be imported",
                        format!("none of the {} data rows could be imported; `rows` says why", result.rows),
                    );
                    p.rows = Some(result.errors);
                    Err(ApiError::from_problem(p))
                }
            }
        })
        .await
    }

    /// The import template: the recognised columns and an example row
    /// (`xlsx` adds a sheet listing every column's accepted aliases).
    #[oai(path = "/template", method = "get", operation_id = "imports_template")]
    async fn template(
        &self,
        _auth: TokenAuth,
        /// `csv` (default) or `xlsx`.
        format: Query<Option<FileFormat>>,
    ) -> Reply<Download> {
        let format: ExportFormat = format.0.unwrap_or_default().into();
        Reply::map(self.state.core.imports().template(format), |bytes| Download {
            bytes,
            format,
            filename: format!("certwatch-import-template.{}", format.extension()),
        })
    }

    /// Every organization of the tenant in the import's columns, so it can
    /// be edited and imported again. Cells that a spreadsheet program would
    /// run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage
    /// return) are prefixed with `'`.
    #[oai(path = "/export", method = "get", operation_id = "imports_export")]
    async fn export(
        &self,
        auth: TokenAuth,
        /// `csv` (default) or `xlsx`.
        format: Query<Option<FileFormat>>,
    ) -> Reply<Download> {
        let format: ExportFormat = format.0.unwrap_or_default().into();
        Reply::map(self.state.core.imports().export(&auth.0, format).await, |bytes| Download {
            bytes,
            format,
            filename: format!("certwatch-organizations.{}", format.extension()),
        })
    }
}

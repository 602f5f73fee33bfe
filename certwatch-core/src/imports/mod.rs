//! Spreadsheet imports of suppliers and their certificates, and the
//! matching template and export.
//!
//! The pipeline, each step in its own module:
//! 1. [`format`]: the file name's extension and the content's magic bytes
//!    must agree (`.csv` text, `.xlsx` zip, `.xls` OLE2), else the file is
//!    refused before any parser runs; the size cap is checked first;
//! 2. [`zipguard`]: an `.xlsx` container is inflated into a counting sink
//!    under hard limits before calamine sees it (zip bombs);
//! 3. [`text`] (CSV: encoding, delimiter) or [`workbook`] (calamine) turn
//!    the file into [`cell::RawRow`]s;
//! 4. [`header`] finds the header row (also under merged title rows) and
//!    maps its columns by alias; [`rows`] turns data rows into
//!    [`rows::ImportRow`]s, skipping empty rows;
//! 5. [`service::ImportService`] writes them through the supplier and
//!    certificate rules, in batches of one transaction each; a batch that
//!    fails is replayed one row per transaction, so only bad rows fail;
//! 6. [`export`] writes the template and the tenant's organizations, with
//!    every cell that a spreadsheet would run as a formula escaped.

pub mod cell;
mod error;
pub mod export;
pub mod format;
pub mod header;
pub mod rows;
pub mod service;
pub mod text;
pub mod workbook;
pub mod zipguard;

pub use error::ImportError;
pub use export::{escape_formula, ExportFormat};
pub use format::{detect, sanitize_filename, Format};
pub use header::Field;
pub use rows::{ImportRow, RowError, TypeIndex};
pub use service::{ImportReport, ImportService};
pub use zipguard::ZipLimits;

/// The caps of one import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// Largest accepted file (20 MB).
    pub max_file_bytes: usize,
    /// Most data rows in one file.
    pub max_rows: usize,
    /// Rows per transaction.
    pub batch_size: usize,
    /// Batches written at the same time, each in its own transaction (at
    /// most what the store allows, see
    /// [`crate::ports::Store::parallel_writers`]). Two by default: the
    /// database does most of an import's work, and a second batch keeps a
    /// second core busy while the first one's statements run.
    pub parallel_batches: usize,
    /// Inflation limits of `.xlsx` containers.
    pub zip: ZipLimits,
}

/// The largest accepted file: 20 MB.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

impl Default for ImportLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: MAX_FILE_BYTES,
            max_rows: 200_000,
            batch_size: 1_000,
            parallel_batches: 2,
            zip: ZipLimits::default(),
        }
    }
}

/// A parsed file: the recognised columns, the rows to import and the rows
/// that could not be read.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    /// The detected format.
    pub format: Format,
    /// The header's recognised columns.
    pub columns: header::Columns,
    /// Data rows to import.
    pub rows: Vec<ImportRow>,
    /// Data rows that could not be read.
    pub errors: Vec<RowError>,
}

/// Parses `bytes` named `filename` (pure: no store, no clock). Refuses the
/// file as a whole with an [`ImportError`] saying what was expected.
pub fn parse_file(
    filename: &str,
    bytes: &[u8],
    types: &TypeIndex,
    limits: &ImportLimits,
) -> Result<ParsedFile, ImportError> {
    if bytes.len() > limits.max_file_bytes {
        return Err(ImportError::TooLarge { size: bytes.len(), limit: limits.max_file_bytes });
    }
    let format = detect(filename, bytes)?;
    // The header and title rows come on top of the data rows.
    let max_raw_rows = limits.max_rows.saturating_add(header::HEADER_SCAN_ROWS);
    let raw = match format {
        Format::Csv => text::parse_csv(bytes, max_raw_rows)?,
        Format::Xlsx => {
            zipguard::check_zip(bytes, &limits.zip)?;
            workbook::read_workbook(bytes, format, max_raw_rows, |r| header::find_header(r).is_some())?
        }
        Format::Xls => workbook::read_workbook(bytes, format, max_raw_rows, |r| header::find_header(r).is_some())?,
    };
    let columns =
        header::find_header(&raw).ok_or_else(|| ImportError::NoHeader { expected: header::expected_header() })?;
    let (rows, errors) = rows::parse_rows(&raw, &columns, types);
    drop(raw);
    if rows.is_empty() && errors.is_empty() {
        return Err(ImportError::NoRows);
    }
    if rows.len() + errors.len() > limits.max_rows {
        return Err(ImportError::TooManyRows { limit: limits.max_rows });
    }
    Ok(ParsedFile { format, columns, rows, errors })
}

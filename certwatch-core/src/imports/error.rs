//! Why a whole file was refused (per-row problems are [`super::RowError`]s,
//! not errors: the other rows still import).

/// A file that can't be imported at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Larger than the size cap.
    #[error("the file is {size} bytes; at most {limit} bytes are accepted")]
    TooLarge {
        /// The file's size.
        size: usize,
        /// The cap.
        limit: usize,
    },
    /// The file name has no extension this import reads.
    #[error("unsupported file type {extension:?}: expected a .csv, .xlsx or .xls spreadsheet")]
    UnsupportedType {
        /// The extension found (empty when none).
        extension: String,
    },
    /// The content is not what the extension claims (a renamed executable,
    /// a PDF called `.xlsx`, a binary called `.csv`).
    #[error("the file is named .{extension} but its content {found}; expected {expected}")]
    ContentMismatch {
        /// The extension of the file name.
        extension: String,
        /// What the content looks like.
        found: String,
        /// What a file with that extension must contain.
        expected: &'static str,
    },
    /// The zip container of an `.xlsx` exceeds the inflation limits.
    #[error("the workbook is refused: {0}")]
    Bomb(String),
    /// The spreadsheet is damaged or unreadable.
    #[error("the spreadsheet could not be read: {0}")]
    Unreadable(String),
    /// No row within the first rows names a known column.
    #[error("no header row found: expected a row with column names such as {expected}")]
    NoHeader {
        /// The columns a header must contain, with their aliases.
        expected: String,
    },
    /// A header but no data rows.
    #[error("the spreadsheet has a header row but no data rows")]
    NoRows,
    /// More data rows than one import accepts.
    #[error("the spreadsheet has more than {limit} data rows; split it into several files")]
    TooManyRows {
        /// The cap.
        limit: usize,
    },
    /// Writing a template or export failed (a bug, not the caller's fault).
    #[error("the spreadsheet could not be written: {0}")]
    Write(String),
}

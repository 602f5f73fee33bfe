//! Bulk certificate upload: a user uploads a batch of certificate files
//! (PDFs and images); each becomes an [`UploadItem`] processed by a durable
//! job — file-name hints, text (PDF text layer, else OCR), field extraction
//! (the one [`extraction`](crate::extraction) code path), organization
//! matching — and is either matched automatically (a certificate created,
//! or its duplicate updated) or queued for human review.
//!
//! * [`status`] — the item flow exactly as the spec draws it, and batch status;
//! * [`filename`] — name sanitising and file-name hints;
//! * [`filetype`] — accepted types, checked by extension and magic bytes;
//! * [`matching`] — organization matching (identifiers, then names without
//!   legal forms);
//! * [`pipeline`] — the pure processing steps and the auto-match decision;
//! * [`ports`] — [`BlobStore`], [`BulkUploadRepo`], and [`Ocr`] (re-exported
//!   from [`extraction`](crate::extraction), whose `read_text` reads every
//!   file; [`pdf_images`] and, with the `ocr` feature, `tesseract` are
//!   re-exported from there too, for older paths);
//! * [`service`] — [`BulkUploadService`]; [`job`] — its job; [`quality`] —
//!   metrics.

pub mod filename;
pub mod filetype;
pub mod job;
pub mod matching;
pub mod model;
pub mod pipeline;
pub mod ports;
pub mod quality;
pub mod service;
pub mod status;

pub use crate::extraction::pdf_images;
#[cfg(feature = "ocr")]
pub use crate::extraction::tesseract;
pub use filename::{filename_hints, sanitize_filename, FilenameHints, MAX_FILENAME_CHARS};
pub use filetype::{check_upload, pdf_has_javascript, FileRefusal, FileType, MAX_FILE_BYTES};
pub use job::ProcessUploadItem;
pub use matching::{match_organization, name_similarity, normalize_org_name, Candidate};
pub use model::{BatchId, ExtractedData, ExtractedValue, ItemId, QualityRow, UploadBatch, UploadItem};
pub use pipeline::{
    process, read_file, settle, FileText, Processed, ReadOutcome, AUTO_MATCH_THRESHOLD, REQUIRED_FIELDS,
};
pub use ports::{is_valid_blob_key, BlobError, BlobStore, BulkUploadRepo, NoBlobStore, NoOcr, Ocr, OcrError};
pub use quality::Quality;
pub use service::{
    BulkUploadService, NewUpload, ProcessingPorts, ReviewInput, MAX_FILES_PER_BATCH, PROCESS_UPLOAD_ITEM,
};
pub use status::{BatchStatus, ItemStatus};

pub use crate::extraction::default_ocr;

//! Text and certificate fields from supplier documents.
//!
//! Two steps, both pure functions of their input (no IO, no network, no
//! clock), so they run the same in the server, the bindings and the tests:
//!
//! * [`pdf_text`] turns the bytes of a PDF into the visible text of each
//!   page, bounded by [`PdfLimits`] so hostile files cost bounded memory and
//!   time. A scan (no text layer) is reported as such: OCR is a later step.
//! * [`extract_fields`] reads certificate fields (number, type, issuing
//!   body, holder, dates, scope, sites) out of text with rules, English and
//!   German, each field with a confidence and the text it came from.
//!
//! [`read_text`] is the one path from a document's bytes to its text, used
//! by bulk upload, monitoring scrapes and `certwatch extract`: the PDF text
//! layer, else OCR of a scan's page images ([`pdf_images`]) or of an image
//! through the [`Ocr`] port (Tesseract in `tesseract` with the cargo
//! feature `ocr`, see [`default_ocr`]).
//! [`llm`] is the pure half of the optional LLM extractor: the request it
//! sends and the checks of the model's (untrusted) answer against the
//! document; the HTTP adapter is `monitoring::llm`.

mod document_text;
mod error;
pub mod llm;
pub mod ocr;
mod ocr_text;
pub mod pdf;
pub mod pdf_images;
pub mod rules;
#[cfg(feature = "ocr")]
pub mod tesseract;

pub use document_text::{read_text, read_text_blocking, DocumentKind, DocumentText, TextError, TextSource};
pub use error::{ExtractionError, Limit};
pub use ocr::{default_ocr, NoOcr, Ocr, OcrError};
pub use ocr_text::clean_ocr_text;
pub use pdf::{pdf_text, PdfLimits, PdfText};
pub use rules::{extract_fields, ExtractedFields, Extraction, Field, Hints, Site};

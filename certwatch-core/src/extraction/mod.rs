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
//! [`llm`] is the pure half of the optional LLM extractor: the request it
//! sends and the checks of the model's (untrusted) answer against the
//! document; the HTTP adapter is `monitoring::llm`.

mod error;
pub mod llm;
pub mod pdf;
pub mod rules;

pub use error::{ExtractionError, Limit};
pub use pdf::{pdf_text, PdfLimits, PdfText};
pub use rules::{extract_fields, ExtractedFields, Extraction, Field, Hints, Site};

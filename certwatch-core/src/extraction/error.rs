//! Why the text of a document could not be extracted.

use std::fmt;

/// A resource bound of [`PdfLimits`](super::PdfLimits) that a document hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The size of the document itself.
    InputBytes,
    /// Decompressed stream bytes, summed over the whole document.
    DecompressedBytes,
    /// Decompressed bytes of one stream while the document is loaded.
    StreamBytes,
    /// Pages.
    Pages,
    /// PDF objects, nested values included.
    Objects,
    /// Content-stream operators, summed over all pages and forms.
    Operators,
    /// Characters of extracted text.
    TextChars,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InputBytes => "input size (bytes)",
            Self::DecompressedBytes => "decompressed bytes",
            Self::StreamBytes => "decompressed bytes of one stream",
            Self::Pages => "page count",
            Self::Objects => "object count (values outside stream data)",
            Self::Operators => "content operator count",
            Self::TextChars => "extracted text length (characters)",
        })
    }
}

/// Why [`pdf_text`](super::pdf_text) gave up on a document. The document is
/// never partly read: either all of its text comes back or one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractionError {
    /// Not a PDF, or one too damaged to read.
    #[error("not a readable PDF: {reason}")]
    Malformed {
        /// What went wrong, for people (not for matching).
        reason: String,
    },
    /// The document is encrypted. Encrypted documents are not read, even when
    /// they open without a password.
    #[error("the PDF is encrypted; encrypted documents are not read")]
    Encrypted,
    /// The document needs more resources than the limits allow (a PDF bomb,
    /// or simply a document far larger than a certificate).
    #[error("the PDF exceeds the {limit} limit of {max}")]
    LimitExceeded {
        /// Which bound.
        limit: Limit,
        /// Its value.
        max: usize,
    },
}

impl ExtractionError {
    /// A [`ExtractionError::Malformed`] with a reason cut to a readable length.
    pub(crate) fn malformed(reason: impl fmt::Display) -> Self {
        let mut reason = reason.to_string();
        if reason.len() > 200 {
            let mut cut = 200;
            while !reason.is_char_boundary(cut) {
                cut -= 1;
            }
            reason.truncate(cut);
            reason.push('…');
        }
        Self::Malformed { reason }
    }
}

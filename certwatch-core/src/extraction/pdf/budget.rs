//! The running account of one extraction against its [`PdfLimits`]:
//! decompressed bytes, operators and output characters. Every stream the
//! extractor decodes goes through [`Budget::decode`].

use lopdf::{DecompressError, Stream};

use super::PdfLimits;
use crate::extraction::{ExtractionError, Limit};

pub(super) struct Budget {
    limits: PdfLimits,
    decompressed_left: usize,
    operators_left: usize,
    chars_left: usize,
}

impl Budget {
    pub(super) fn new(limits: &PdfLimits) -> Self {
        Self {
            limits: limits.clone(),
            decompressed_left: limits.max_decompressed_bytes,
            operators_left: limits.max_operators,
            chars_left: limits.max_text_chars,
        }
    }

    fn exceeded(limit: Limit, max: usize) -> ExtractionError {
        ExtractionError::LimitExceeded { limit, max }
    }

    /// What is left of the decompression budget.
    pub(super) fn decompressed_left(&self) -> usize {
        self.decompressed_left
    }

    /// Charges `n` decompressed bytes.
    pub(super) fn charge_bytes(&mut self, n: usize) -> Result<(), ExtractionError> {
        self.decompressed_left = self
            .decompressed_left
            .checked_sub(n)
            .ok_or_else(|| Self::exceeded(Limit::DecompressedBytes, self.limits.max_decompressed_bytes))?;
        Ok(())
    }

    /// The decoded content of `stream`, charged to the budget. A stream that
    /// cannot be decoded (unknown filter, corrupt data) reads as empty; one
    /// that would exceed the budget is an error.
    pub(super) fn decode(&mut self, stream: &Stream) -> Result<Vec<u8>, ExtractionError> {
        match stream.get_plain_content_with_limit(self.decompressed_left) {
            Ok(data) => {
                self.charge_bytes(data.len())?;
                Ok(data)
            }
            Err(lopdf::Error::Decompress(DecompressError::MemoryLimitExceeded { .. })) => {
                Err(Self::exceeded(Limit::DecompressedBytes, self.limits.max_decompressed_bytes))
            }
            Err(_) => Ok(Vec::new()),
        }
    }

    /// Counts one content-stream operator.
    pub(super) fn operator(&mut self) -> Result<(), ExtractionError> {
        self.operators_left = self
            .operators_left
            .checked_sub(1)
            .ok_or_else(|| Self::exceeded(Limit::Operators, self.limits.max_operators))?;
        Ok(())
    }

    /// Counts `n` characters of output text.
    pub(super) fn chars(&mut self, n: usize) -> Result<(), ExtractionError> {
        self.chars_left = self
            .chars_left
            .checked_sub(n)
            .ok_or_else(|| Self::exceeded(Limit::TextChars, self.limits.max_text_chars))?;
        Ok(())
    }
}

//! Loads a PDF with lopdf within the limits: refuses encrypted documents
//! before lopdf would decrypt them, and counts objects (every value, nested
//! ones too) and the bytes of object streams (which lopdf decodes while
//! loading) against a budget, keeping nothing once it is spent. lopdf parses
//! one object at a time, so beyond what is kept the peak is the largest
//! single object of the file (tens of bytes per value it holds).
//!
//! lopdf calls the load filter as a plain function pointer, so the budget of
//! the load in progress lives in a thread-local. lopdf is built without its
//! `rayon` feature, so the filter runs on the loading thread; should it ever
//! run elsewhere, the budget there is unarmed and the filter keeps nothing,
//! which fails loudly (no text) instead of silently unbounded.

use std::cell::Cell;

use lopdf::{DecompressError, Document, LoadOptions, Object, ObjectId};

use super::PdfLimits;
use crate::extraction::{ExtractionError, Limit};

#[derive(Clone, Copy, Default)]
struct LoadBudget {
    armed: bool,
    objects_left: usize,
    bytes_left: usize,
    exceeded: Option<Limit>,
}

thread_local! {
    static LOAD_BUDGET: Cell<LoadBudget> = Cell::new(LoadBudget::default());
}

/// Disarms the budget when the load ends, however it ends.
struct Armed;

impl Armed {
    fn arm(limits: &PdfLimits) -> Self {
        LOAD_BUDGET.with(|b| {
            b.set(LoadBudget {
                armed: true,
                objects_left: limits.max_objects,
                bytes_left: limits.max_decompressed_bytes,
                exceeded: None,
            });
        });
        Self
    }

    fn exceeded(&self) -> Option<Limit> {
        LOAD_BUDGET.with(|b| b.get().exceeded)
    }

    fn bytes_used(&self, limits: &PdfLimits) -> usize {
        limits.max_decompressed_bytes - LOAD_BUDGET.with(|b| b.get().bytes_left)
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        LOAD_BUDGET.with(|b| b.set(LoadBudget::default()));
    }
}

fn budget_filter(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    LOAD_BUDGET.with(|cell| {
        let mut b = cell.get();
        if !b.armed || b.exceeded.is_some() {
            return None;
        }
        // Every value counts, nested ones too: what lopdf keeps in memory
        // is in proportion to them.
        match b.objects_left.checked_sub(nodes(object, 0)) {
            Some(left) => b.objects_left = left,
            None => {
                b.objects_left = 0;
                b.exceeded = Some(Limit::Objects);
                cell.set(b);
                return None;
            }
        }
        if let Object::Stream(stream) = object {
            if stream.dict.has_type(b"ObjStm") {
                // lopdf decodes object streams right after this filter; decode
                // once more here to charge the bytes before it does.
                match stream.get_plain_content_with_limit(b.bytes_left) {
                    Ok(data) => b.bytes_left -= data.len(),
                    Err(lopdf::Error::Decompress(DecompressError::MemoryLimitExceeded { .. })) => {
                        b.exceeded = Some(Limit::DecompressedBytes);
                        cell.set(b);
                        return None;
                    }
                    Err(_) => {}
                }
            }
        }
        cell.set(b);
        // lopdf keeps the returned object for members of object streams and
        // `object` itself for the others, so hand back a copy.
        Some((id, object.clone()))
    })
}

/// The values in `object`: itself and everything nested in it (a stream's
/// dictionary, not its data).
fn nodes(object: &Object, depth: usize) -> usize {
    if depth > 256 {
        return 1;
    }
    1 + match object {
        Object::Array(items) => items.iter().map(|o| nodes(o, depth + 1)).sum(),
        Object::Dictionary(dict) => dict.iter().map(|(_, o)| nodes(o, depth + 1)).sum(),
        Object::Stream(stream) => stream.dict.iter().map(|(_, o)| nodes(o, depth + 1)).sum(),
        _ => 0,
    }
}

/// Whether the file names the `/Encrypt` key anywhere outside compressed
/// streams, where a trailer must name it; `#xx` escapes in names are decoded
/// so the key cannot hide.
fn declares_encryption(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'/' {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while end < bytes.len()
            && end - start < 40
            && !matches!(
                bytes[end],
                b' ' | b'\t'
                    | b'\n'
                    | b'\r'
                    | 0x0c
                    | 0
                    | b'('
                    | b')'
                    | b'<'
                    | b'>'
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'/'
                    | b'%'
            )
        {
            end += 1;
        }
        let name = &bytes[start..end];
        if name == b"Encrypt" || (name.contains(&b'#') && decode_name(name) == b"Encrypt") {
            return true;
        }
        i = end.max(start);
    }
    false
}

fn decode_name(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    let mut i = 0;
    while i < name.len() {
        if name[i] == b'#' {
            let hex = name.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(name[i]);
        i += 1;
    }
    out
}

/// The loaded document and the decompressed bytes its loading used.
pub(super) fn load(bytes: &[u8], limits: &PdfLimits) -> Result<(Document, usize), ExtractionError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(ExtractionError::LimitExceeded { limit: Limit::InputBytes, max: limits.max_input_bytes });
    }
    if declares_encryption(bytes) {
        return Err(ExtractionError::Encrypted);
    }
    let options = LoadOptions {
        filter: Some(budget_filter),
        max_decompressed_size: Some(limits.max_decompressed_bytes.min(limits.max_stream_bytes)),
        ..LoadOptions::default()
    };
    let armed = Armed::arm(limits);
    let loaded = Document::load_mem_with_options(bytes, options);
    if let Some(limit) = armed.exceeded() {
        let max = match limit {
            Limit::Objects => limits.max_objects,
            _ => limits.max_decompressed_bytes,
        };
        return Err(ExtractionError::LimitExceeded { limit, max });
    }
    let used = armed.bytes_used(limits);
    drop(armed);
    let doc = loaded.map_err(|e| match e {
        lopdf::Error::Decompress(DecompressError::MemoryLimitExceeded { .. }) => {
            ExtractionError::LimitExceeded { limit: Limit::StreamBytes, max: limits.max_stream_bytes }
        }
        lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_) => ExtractionError::Encrypted,
        other => ExtractionError::malformed(other),
    })?;
    if doc.trailer.get(b"Encrypt").is_ok() || doc.encryption_state.is_some() {
        return Err(ExtractionError::Encrypted);
    }
    Ok((doc, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_encrypt_key() {
        let cases: [(&[u8], bool); 6] = [
            (b"trailer << /Root 1 0 R /Encrypt 5 0 R >>", true),
            (b"trailer<</Encrypt 5 0 R>>", true),
            (b"<< /Encr#79pt 5 0 R >>", true),
            (b"<< /#45#6e#63#72#79#70#74 5 0 R >>", true),
            (b"<< /EncryptMetadata false /Root 1 0 R >>", false),
            (b"(not /Encrypted) /Encr", false),
        ];
        for (input, expected) in cases {
            assert_eq!(declares_encryption(input), expected, "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn filter_keeps_nothing_unarmed() {
        let mut object = Object::Integer(1);
        assert_eq!(budget_filter((1, 0), &mut object), None);
    }
}

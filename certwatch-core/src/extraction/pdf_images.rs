//! The page images of a scanned PDF, for OCR: each page's image XObjects
//! whose data is a JPEG (`DCTDecode`, possibly wrapped in `ASCII85Decode`
//! or `ASCIIHexDecode`, as scanners and ReportLab write them). Other image
//! encodings are reported as unreadable rather than guessed at.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Most pages OCR reads from one PDF.
pub const MAX_OCR_PAGES: usize = 20;

/// The JPEG page images of `bytes`, in page order.
pub fn page_images(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    catch_unwind(AssertUnwindSafe(|| images(bytes))).unwrap_or_else(|_| Err("the PDF parser failed".into()))
}

fn images(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| format!("not a readable PDF: {e}"))?;
    let mut out = Vec::new();
    for page in doc.page_iter().take(MAX_OCR_PAGES) {
        let Ok(imgs) = doc.get_page_images(page) else { continue };
        for img in imgs {
            let filters = img.filters.clone().unwrap_or_default();
            if filters.last().map(String::as_str) != Some("DCTDecode") {
                continue;
            }
            let mut data = img.content.to_vec();
            for f in &filters[..filters.len() - 1] {
                data = match f.as_str() {
                    "ASCII85Decode" => ascii85(&data)?,
                    "ASCIIHexDecode" => ascii_hex(&data)?,
                    other => return Err(format!("page image encoded with {other}, which OCR input does not support")),
                };
            }
            out.push(data);
        }
    }
    Ok(out)
}

/// Decodes ASCII85 (`<~` optional, `~>` ends, `z` for four zero bytes).
pub fn ascii85(input: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(input.len() * 4 / 5);
    let mut group = [0u8; 5];
    let mut n = 0;
    let body = input.strip_prefix(b"<~").unwrap_or(input);
    for &c in body {
        match c {
            b'~' => break,
            b'z' if n == 0 => out.extend_from_slice(&[0, 0, 0, 0]),
            b'!'..=b'u' => {
                group[n] = c - b'!';
                n += 1;
                if n == 5 {
                    let v = group.iter().fold(0u64, |acc, &d| acc * 85 + u64::from(d));
                    let v = u32::try_from(v).map_err(|_| "invalid ASCII85 group".to_owned())?;
                    out.extend_from_slice(&v.to_be_bytes());
                    n = 0;
                }
            }
            c if c.is_ascii_whitespace() => {}
            _ => return Err("invalid ASCII85 data".into()),
        }
    }
    if n == 1 {
        return Err("truncated ASCII85 data".into());
    }
    if n > 1 {
        for d in group.iter_mut().skip(n) {
            *d = 84;
        }
        let v = group.iter().fold(0u64, |acc, &d| acc * 85 + u64::from(d));
        let v = u32::try_from(v).map_err(|_| "invalid ASCII85 group".to_owned())?;
        out.extend_from_slice(&v.to_be_bytes()[..n - 1]);
    }
    Ok(out)
}

fn ascii_hex(input: &[u8]) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = input
        .iter()
        .take_while(|&&c| c != b'>')
        .filter(|c| !c.is_ascii_whitespace())
        .map(|&c| (c as char).to_digit(16).map(|d| d as u8).ok_or_else(|| "invalid hex data".to_owned()))
        .collect::<Result<_, _>>()?;
    Ok(digits.chunks(2).map(|p| (p[0] << 4) | p.get(1).copied().unwrap_or(0)).collect())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn ascii85_known_values() {
        assert_eq!(ascii85(b"87cURD]i,\"Ebo80~>").as_deref(), Ok(&b"Hello World!"[..]));
        assert_eq!(ascii85(b"z~>").as_deref(), Ok(&[0u8, 0, 0, 0][..]));
        assert!(ascii85(b"{").is_err());
        assert_eq!(ascii_hex(b"48 65 6c6C6f>").as_deref(), Ok(&b"Hello"[..]));
    }

    #[test]
    fn not_a_pdf_is_an_error() {
        assert!(page_images(b"not a pdf").is_err());
    }

    proptest! {
        #[test]
        fn decoders_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = ascii85(&data);
            let _ = ascii_hex(&data);
        }
    }
}

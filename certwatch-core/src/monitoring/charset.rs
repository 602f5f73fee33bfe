//! Bytes of an HTML page → text, by the charset the page declares.
//!
//! Order as in the WHATWG encoding sniffing algorithm, simplified: a byte
//! order mark, then the `charset` of the `Content-Type` header, then a
//! `<meta charset>` / `http-equiv` declaration in the first 1,024 bytes,
//! then UTF-8 if the bytes are valid UTF-8, else windows-1252 (the web's
//! legacy default). Undecodable bytes become U+FFFD; decoding never fails.

use std::sync::OnceLock;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use regex::bytes::Regex;

/// Decoded page text and how it was decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text.
    pub text: String,
    /// The encoding used (WHATWG name, e.g. `windows-1252`).
    pub encoding: &'static str,
    /// A note for the scrape log when the bytes needed a fallback or had
    /// undecodable sequences.
    pub note: Option<String>,
}

fn meta_charset() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?i)<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_\-:.]+)"#).unwrap_or_else(|_| unreachable!())
    })
}

/// The `charset` parameter of a `Content-Type` header value.
fn header_charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches(['"', '\'']))
    })
}

/// Decodes `bytes` served with `content_type`.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    let declared = Encoding::for_bom(bytes)
        .map(|(e, _)| e)
        .or_else(|| content_type.and_then(header_charset).and_then(|l| Encoding::for_label(l.as_bytes())))
        .or_else(|| {
            let head = &bytes[..bytes.len().min(1024)];
            meta_charset().captures(head).and_then(|c| c.get(1)).and_then(|m| Encoding::for_label(m.as_bytes()))
        });
    // A page can't usefully claim UTF-16 in a meta tag it could not have
    // been read with; WHATWG maps that to UTF-8 too.
    let (encoding, fallback) = match declared {
        Some(e) if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE => {
            if Encoding::for_bom(bytes).is_some() {
                (e, false)
            } else {
                (UTF_8, false)
            }
        }
        Some(e) => (e, false),
        None if std::str::from_utf8(bytes).is_ok() => (UTF_8, false),
        None => (WINDOWS_1252, true),
    };
    let (text, used, had_errors) = encoding.decode(bytes);
    let note = match (fallback, had_errors) {
        (true, _) => Some("page declares no charset and is not UTF-8: decoded as windows-1252".to_owned()),
        (false, true) => Some(format!("page has bytes invalid in {}: replaced", used.name())),
        _ => None,
    };
    Decoded { text: text.into_owned(), encoding: used.name(), note }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_charsets_are_honoured() {
        let latin1 = b"<meta charset=\"iso-8859-1\"><p>Qualit\xe4t</p>";
        let d = decode_html(latin1, None);
        assert!(d.text.contains("Qualität"), "{}", d.text);
        assert_eq!(d.encoding, "windows-1252");
        let d = decode_html(b"<p>Qualit\xe4t</p>", Some("text/html; charset=ISO-8859-1"));
        assert!(d.text.contains("Qualität"));
        let d = decode_html("<p>Qualität</p>".as_bytes(), Some("text/html"));
        assert_eq!((d.encoding, d.note), ("UTF-8", None));
    }

    #[test]
    fn undeclared_non_utf8_falls_back_with_a_note() {
        let d = decode_html(b"<p>Gr\xfc\xdfe \xff\xfe\x00</p>", None);
        assert!(d.text.contains("Grüße"), "{}", d.text);
        assert!(d.note.is_some());
    }

    #[test]
    fn utf8_with_bad_bytes_is_replaced_not_refused() {
        let d = decode_html(b"<meta charset=utf-8><p>ok \xc3\x28</p>", None);
        assert!(d.text.contains('\u{fffd}'));
        assert!(d.note.is_some());
    }
}

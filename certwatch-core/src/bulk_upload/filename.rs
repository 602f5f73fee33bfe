//! Uploaded file names: [`sanitize_filename`] makes a client's name safe to
//! store and show, and [`filename_hints`] reads the organization and
//! certificate type suppliers often put in it
//! (`Zertifikat_ISO9001_Muster_GmbH.pdf`).
//!
//! The sanitised name is only ever displayed: files are stored under
//! generated keys (see [`super::BlobStore`]), so no name, however hostile,
//! reaches a path.

use super::matching::LEGAL_FORMS;

/// Longest sanitised name, in characters.
pub const MAX_FILENAME_CHARS: usize = 200;

/// A file name safe to store and display: the last path component only
/// (both `/` and `\` separate), NUL and control characters removed, HTML
/// tags and `<>"'`` ` `` characters dropped, `..` runs collapsed, leading
/// dots and spaces trimmed, at most [`MAX_FILENAME_CHARS`] characters with
/// the extension kept. Never empty: `upload` when nothing is left.
pub fn sanitize_filename(raw: &str) -> String {
    // Tags first: a closing tag contains a `/`.
    let without_tags = strip_tags(raw);
    let last = without_tags.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut s: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '<' | '>' | '"' | '\'' | '`' | '/' | '\\' | ':' | '|' | '?' | '*'))
        .filter(|c| !is_invisible(*c))
        .collect();
    while s.contains("..") {
        s = s.replace("..", ".");
    }
    let trim = |s: &str| s.trim_matches(|c: char| c == '.' || c.is_whitespace()).to_owned();
    let s = trim(&cap(&trim(&s)));
    if s.is_empty() {
        "upload".to_owned()
    } else {
        s
    }
}

/// Bidirectional overrides and zero-width characters, which make a name
/// display differently from what it is (`exe.pdf` shown as `fdp.exe`).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Removes `<...>` tags and whatever sits between `<script>`/`<style>` and
/// their closing tags.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // ASCII lower-casing keeps every byte offset, so indices into `lower`
    // are indices into `s`.
    let lower = s.to_ascii_lowercase();
    let mut i = 0;
    let bytes = s.as_bytes();
    while i < s.len() {
        if bytes[i] == b'<' {
            for tag in ["script", "style"] {
                if lower[i + 1..].starts_with(tag) {
                    let close = format!("</{tag}");
                    i = match lower[i..].find(&close) {
                        Some(at) => i + at + close.len(),
                        None => s.len(),
                    };
                    break;
                }
            }
            // Skip to the end of the tag.
            i = match s[i.min(s.len())..].find('>') {
                Some(at) => i + at + 1,
                None => s.len(),
            };
            continue;
        }
        let Some(c) = s[i..].chars().next() else { break };
        out.push(c);
        i += c.len_utf8();
    }
    out
}

fn cap(s: &str) -> String {
    if s.chars().count() <= MAX_FILENAME_CHARS {
        return s.to_owned();
    }
    let ext: String = match s.rsplit_once('.') {
        Some((_, e)) if e.chars().count() <= 10 && !e.is_empty() => format!(".{e}"),
        _ => String::new(),
    };
    let keep = MAX_FILENAME_CHARS - ext.chars().count();
    let stem: String = s.chars().take(keep).collect();
    format!("{}{ext}", stem.trim_end_matches('.'))
}

/// What a file name says about its document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilenameHints {
    /// An organization name ending in a legal form (`Muster GmbH`).
    pub organization: Option<String>,
    /// The words left once certificate words, standards and numbers are
    /// removed (`RCSL` in `RCSL_ISO9001_Certificate.pdf`), a weak hint
    /// for matching an organization by abbreviation or name.
    pub words: Vec<String>,
}

/// Words that describe the document, not its holder.
const DOCUMENT_WORDS: [&str; 24] = [
    "zertifikat",
    "zertifikate",
    "certificate",
    "certificates",
    "cert",
    "certification",
    "zert",
    "iso",
    "iec",
    "din",
    "en",
    "de",
    "eng",
    "deu",
    "old",
    "new",
    "scan",
    "doc",
    "copy",
    "kopie",
    "final",
    "signed",
    "pdf",
    "datasheet",
];

/// Reads the hints of a (sanitised) file name. The certificate type is read
/// by the extraction rules themselves from the name (see
/// [`Hints::filename`](crate::extraction::Hints)).
pub fn filename_hints(name: &str) -> FilenameHints {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let tokens: Vec<&str> = stem.split(['_', '-', ' ', '.', '+', ',', '(', ')']).filter(|t| !t.is_empty()).collect();
    let is_document_word = |t: &str| {
        let l = t.to_lowercase();
        DOCUMENT_WORDS.contains(&l.as_str())
            || t.chars().any(|c| c.is_ascii_digit())
            || l.starts_with("iso")
            || l.starts_with("iatf")
            || l.starts_with("emas")
    };
    let mut organization = None;
    // The longest run of name words that ends in a legal form.
    for (i, t) in tokens.iter().enumerate() {
        if LEGAL_FORMS.iter().any(|f| f.trim_end_matches('.').eq_ignore_ascii_case(t.trim_end_matches('.'))) && i > 0 {
            let mut start = i;
            while start > 0 && !is_document_word(tokens[start - 1]) {
                start -= 1;
            }
            if start < i {
                organization = Some(tokens[start..=i].join(" "));
            }
        }
    }
    let words = tokens.iter().filter(|t| !is_document_word(t)).map(|t| (*t).to_owned()).collect();
    FilenameHints { organization, words }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn hostile_names() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("..\\..\\windows\\system32\\cmd.exe"), "cmd.exe");
        assert_eq!(sanitize_filename("a\0b.pdf"), "ab.pdf");
        assert_eq!(sanitize_filename("<script>alert(1)</script>cert.pdf"), "cert.pdf");
        assert_eq!(sanitize_filename("<img src=x onerror=alert(1)>x.pdf"), "x.pdf");
        assert_eq!(sanitize_filename("...."), "upload");
        assert_eq!(sanitize_filename(""), "upload");
        assert_eq!(sanitize_filename("a..pdf"), "a.pdf");
        assert_eq!(sanitize_filename("evil\u{202E}fdp.exe"), "evilfdp.exe");
        assert_eq!(sanitize_filename("Zertifikat ISO 9001 (2024).pdf"), "Zertifikat ISO 9001 (2024).pdf");
        let long = format!("{}.pdf", "x".repeat(1000));
        let s = sanitize_filename(&long);
        assert_eq!(s.chars().count(), MAX_FILENAME_CHARS);
        assert!(s.ends_with(".pdf"));
    }

    #[test]
    fn hints_from_names() {
        let h = filename_hints("Zertifikat_ISO9001_Muster_GmbH.pdf");
        assert_eq!(h.organization.as_deref(), Some("Muster GmbH"));
        assert_eq!(h.words, vec!["Muster", "GmbH"]);
        let h = filename_hints("RCSL_ISO9001_Certificate.pdf");
        assert_eq!(h.organization, None);
        assert_eq!(h.words, vec!["RCSL"]);
        assert_eq!(filename_hints("doc-001.pdf"), FilenameHints::default());
        let h = filename_hints("Kessler_Elektronik_SE_ISO14001.pdf");
        assert_eq!(h.organization.as_deref(), Some("Kessler Elektronik SE"));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn sanitised_names_are_safe(raw in any::<String>()) {
            let s = sanitize_filename(&raw);
            prop_assert!(!s.is_empty());
            prop_assert!(s.chars().count() <= MAX_FILENAME_CHARS);
            prop_assert!(!s.contains('/') && !s.contains('\\') && !s.contains('\0'));
            prop_assert!(!s.contains(".."));
            prop_assert!(!s.starts_with('.'));
            prop_assert!(!s.chars().any(|c| c.is_control() || matches!(c, '<' | '>')));
            // Idempotent: a stored name sanitises to itself.
            prop_assert_eq!(sanitize_filename(&s), s.clone());
        }

        #[test]
        fn path_tricks_never_survive(
            parts in proptest::collection::vec(proptest::sample::select(vec!["..", ".", "etc", "passwd", "/", "\\", "\0", "<b>", "a.pdf", " "]), 0..12)
        ) {
            let s = sanitize_filename(&parts.concat());
            prop_assert!(!s.contains("..") && !s.contains('/') && !s.contains('\\'));
        }

        #[test]
        fn hints_never_panic(raw in any::<String>()) {
            let _ = filename_hints(&raw);
        }
    }
}

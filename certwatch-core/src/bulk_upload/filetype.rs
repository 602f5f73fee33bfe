//! Which uploads are accepted: `.pdf .png .jpg .jpeg .tiff .webp`, at most
//! [`MAX_FILE_BYTES`] each, and only when the content's magic bytes are
//! those of the type the extension names (a renamed executable is refused).
//! A PDF that carries JavaScript is accepted as data — nothing in CertWatch
//! runs it; PDFs are only parsed for text — and flagged.

use serde::{Deserialize, Serialize};

/// Largest accepted file: 20 MiB.
pub const MAX_FILE_BYTES: usize = 20 << 20;

/// The accepted file types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    /// `%PDF-`.
    Pdf,
    /// PNG image.
    Png,
    /// JPEG image (`.jpg`, `.jpeg`).
    Jpeg,
    /// TIFF image (`.tif`, `.tiff`).
    Tiff,
    /// WebP image.
    Webp,
}

impl FileType {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Png => "png",
            Self::Jpeg => "jpeg",
            Self::Tiff => "tiff",
            Self::Webp => "webp",
        }
    }
    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pdf, Self::Png, Self::Jpeg, Self::Tiff, Self::Webp].into_iter().find(|t| t.as_str() == s)
    }
    /// Whether text can only come from OCR.
    pub fn is_image(self) -> bool {
        self != Self::Pdf
    }
    /// The type an extension (without dot, any case) names.
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "pdf" => Some(Self::Pdf),
            "png" => Some(Self::Png),
            "jpg" | "jpeg" => Some(Self::Jpeg),
            "tif" | "tiff" => Some(Self::Tiff),
            "webp" => Some(Self::Webp),
            _ => None,
        }
    }
    /// The type the content's first bytes show. PDFs may have up to 1 KiB
    /// of junk before `%PDF-`, as readers accept.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
            Some(Self::Tiff)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else if bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-") {
            Some(Self::Pdf)
        } else {
            None
        }
    }
}

/// Why a file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileRefusal {
    /// The extension is not one of the accepted ones.
    #[error("file type not accepted: use .pdf, .png, .jpg, .jpeg, .tiff or .webp")]
    Extension,
    /// The content is not what the extension says.
    #[error("the content is not a {expected} file (its first bytes say otherwise)")]
    Content {
        /// What the extension promised.
        expected: &'static str,
    },
    /// Too large.
    #[error("the file is {size} bytes; at most {max} bytes (20 MiB) are accepted")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The cap.
        max: usize,
    },
    /// Nothing in it.
    #[error("the file is empty")]
    Empty,
}

/// Checks an upload: size, then extension, then magic bytes. `name` is the
/// (sanitised) file name.
pub fn check_upload(name: &str, size: usize, head: &[u8]) -> Result<FileType, FileRefusal> {
    if size > MAX_FILE_BYTES {
        return Err(FileRefusal::TooLarge { size, max: MAX_FILE_BYTES });
    }
    if size == 0 {
        return Err(FileRefusal::Empty);
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e).ok_or(FileRefusal::Extension)?;
    let declared = FileType::from_extension(ext).ok_or(FileRefusal::Extension)?;
    match FileType::sniff(head) {
        Some(t) if t == declared => Ok(t),
        _ => Err(FileRefusal::Content { expected: declared.as_str() }),
    }
}

/// Whether a PDF names JavaScript (`/JavaScript` or `/JS` actions). Only
/// reported: CertWatch never runs document scripts.
pub fn pdf_has_javascript(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"/JavaScript")
        || bytes.windows(4).any(|w| w == b"/JS " || w == b"/JS(" || w == b"/JS<")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn accepts_matching_content() {
        assert_eq!(check_upload("a.PDF", 10, b"%PDF-1.7\n"), Ok(FileType::Pdf));
        assert_eq!(check_upload("a.jpg", 10, &[0xFF, 0xD8, 0xFF, 0xE0]), Ok(FileType::Jpeg));
        assert_eq!(check_upload("a.jpeg", 10, &[0xFF, 0xD8, 0xFF, 0xE0]), Ok(FileType::Jpeg));
        assert_eq!(check_upload("a.png", 10, b"\x89PNG\r\n\x1a\n...."), Ok(FileType::Png));
        assert_eq!(check_upload("a.tiff", 10, b"II*\0...."), Ok(FileType::Tiff));
        assert_eq!(check_upload("a.webp", 20, b"RIFF\0\0\0\0WEBPVP8 "), Ok(FileType::Webp));
    }

    #[test]
    fn refuses_renamed_and_unknown_files() {
        assert_eq!(check_upload("setup.pdf", 10, b"MZ\x90\0\x03"), Err(FileRefusal::Content { expected: "pdf" }));
        assert_eq!(check_upload("a.png", 10, b"%PDF-1.4"), Err(FileRefusal::Content { expected: "png" }));
        assert_eq!(check_upload("a.exe", 10, b"MZ"), Err(FileRefusal::Extension));
        assert_eq!(check_upload("noext", 10, b"%PDF-"), Err(FileRefusal::Extension));
        assert_eq!(check_upload("a.pdf", 0, b""), Err(FileRefusal::Empty));
        assert!(matches!(check_upload("a.pdf", MAX_FILE_BYTES + 1, b"%PDF-"), Err(FileRefusal::TooLarge { .. })));
    }

    #[test]
    fn javascript_is_noticed() {
        assert!(pdf_has_javascript(b"<< /S /JavaScript /JS (app.alert(1)) >>"));
        assert!(!pdf_has_javascript(b"%PDF-1.4 plain"));
    }

    proptest! {
        #[test]
        fn never_panics(name in any::<String>(), head in proptest::collection::vec(any::<u8>(), 0..64), size in 0usize..(30 << 20)) {
            let _ = check_upload(&name, size, &head);
            let _ = pdf_has_javascript(&head);
        }
    }
}

//! Which kind of spreadsheet a file is: its name's extension and its
//! content's magic bytes must agree, so a renamed executable or a binary
//! called `.csv` is refused before any parser sees it.

use super::error::ImportError;

/// The spreadsheet formats the import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma/semicolon/tab separated text.
    Csv,
    /// Office Open XML workbook (a zip container).
    Xlsx,
    /// Legacy Excel 97-2003 workbook (an OLE2 compound file, BIFF8).
    Xls,
}

const ZIP: &[u8] = b"PK\x03\x04";
const OLE2: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// The last path component of an uploaded file name, without control
/// characters: `../../etc/passwd` is just `passwd`. The import never stores
/// files; the name only decides the expected format and is echoed back.
pub fn sanitize_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).take(255).collect();
    clean.trim().to_owned()
}

/// The lower-cased extension of a (sanitized) file name, or "".
fn extension(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// What the first bytes of a file look like, in words.
fn describe(bytes: &[u8]) -> &'static str {
    if bytes.is_empty() {
        "is empty"
    } else if bytes.starts_with(b"MZ") {
        "is a Windows executable"
    } else if bytes.starts_with(b"\x7fELF") {
        "is an ELF executable"
    } else if bytes.starts_with(&[0xCF, 0xFA, 0xED, 0xFE]) || bytes.starts_with(&[0xFE, 0xED, 0xFA, 0xCF]) {
        "is a Mach-O executable"
    } else if bytes.starts_with(b"#!") {
        "is a script"
    } else if bytes.starts_with(b"%PDF") {
        "is a PDF document"
    } else if bytes.starts_with(ZIP) {
        "is a zip archive"
    } else if bytes.starts_with(OLE2) {
        "is an OLE2 compound document (Excel 97-2003 or another Office file)"
    } else if bytes.starts_with(&[0x1F, 0x8B]) {
        "is gzip-compressed"
    } else if bytes.starts_with(b"\x89PNG") || bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "is an image"
    } else if looks_binary(bytes) {
        "is binary data"
    } else {
        "is text"
    }
}

/// Binary data: NUL or other non-text control bytes in the first 8 KiB
/// (UTF-16 text with its BOM excepted).
fn looks_binary(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return false;
    }
    bytes.iter().take(8192).any(|&b| b == 0 || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)))
}

/// The format of `bytes` named `filename`, or why it is refused.
pub fn detect(filename: &str, bytes: &[u8]) -> Result<Format, ImportError> {
    let ext = extension(&sanitize_filename(filename));
    let (format, ok, expected) = match ext.as_str() {
        "csv" | "txt" | "tsv" => {
            (Format::Csv, !bytes.is_empty() && describe(bytes) == "is text", "comma, semicolon or tab separated text")
        }
        "xlsx" | "xlsm" => (Format::Xlsx, bytes.starts_with(ZIP), "an Office Open XML workbook (a zip container)"),
        "xls" => (Format::Xls, bytes.starts_with(OLE2), "an Excel 97-2003 workbook (an OLE2 compound file)"),
        _ => return Err(ImportError::UnsupportedType { extension: ext }),
    };
    if ok {
        Ok(format)
    } else {
        Err(ImportError::ContentMismatch { extension: ext, found: describe(bytes).to_owned(), expected })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_reduced_to_their_last_component() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("C:\\x\\list.xlsx"), "list.xlsx");
        assert_eq!(sanitize_filename("a\0b.csv"), "ab.csv");
        assert!(matches!(detect("../../etc/passwd", b"root:x:0:0"), Err(ImportError::UnsupportedType { .. })));
    }

    #[test]
    fn extension_and_content_must_agree() {
        assert_eq!(detect("a.CSV", b"name,country\nA,DE\n"), Ok(Format::Csv));
        assert_eq!(detect("a.xlsx", b"PK\x03\x04rest"), Ok(Format::Xlsx));
        assert_eq!(detect("a.xls", OLE2), Ok(Format::Xls));
        let e = detect("payroll.xlsx", b"MZ\x90\x00\x03").expect_err("an executable is refused");
        assert!(e.to_string().contains("Windows executable"), "{e}");
        assert!(matches!(detect("a.csv", b"MZ\x90\x00"), Err(ImportError::ContentMismatch { .. })));
        assert!(matches!(detect("a.csv", b""), Err(ImportError::ContentMismatch { .. })));
        assert!(matches!(detect("a.xls", b"PK\x03\x04"), Err(ImportError::ContentMismatch { .. })));
        assert!(matches!(detect(".xlsx", b"PK\x03\x04"), Err(ImportError::UnsupportedType { .. })));
    }
}

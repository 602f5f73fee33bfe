//! PDFs built in memory with lopdf: text through each kind of font, page
//! order, layout, scans, encryption, damage and bombs.

use std::io::Write;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use lopdf::{dictionary, Document, Object, ObjectId, Stream};
use proptest::prelude::*;

use super::*;

/// What a test page's font is.
#[derive(Clone, Copy)]
enum FontKind {
    /// Helvetica, WinAnsiEncoding, not embedded.
    Standard,
    /// A Type0 font with Identity-H codes and a ToUnicode map: code
    /// 0x0100 + n is the ASCII letter n.
    Identity,
}

const TO_UNICODE: &[u8] = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
1 begincodespacerange <0000> <FFFF> endcodespacerange
1 beginbfrange <0120> <017E> <0020> endbfrange
2 beginbfchar <0200> <00C4> <0201> <20AC> endbfchar
endcmap end end";

fn font(doc: &mut Document, kind: FontKind) -> ObjectId {
    match kind {
        FontKind::Standard => doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
        }),
        FontKind::Identity => {
            let cmap = doc.add_object(Stream::new(dictionary! {}, TO_UNICODE.to_vec()));
            let descendant = doc.add_object(dictionary! {
                "Type" => "Font", "Subtype" => "CIDFontType2", "BaseFont" => "AAAAAA+Lato-Regular",
                "DW" => 500, "W" => vec![Object::Integer(0x0120), Object::Array(vec![Object::Integer(250)])],
            });
            doc.add_object(dictionary! {
                "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "AAAAAA+Lato-Regular",
                "Encoding" => "Identity-H", "DescendantFonts" => vec![Object::Reference(descendant)],
                "ToUnicode" => Object::Reference(cmap),
            })
        }
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).expect("deflate");
    enc.finish().expect("deflate")
}

/// A document with one page per content stream, every stream compressed.
fn pdf(contents: &[&[u8]], kind: FontKind, trailer_extra: Option<(&str, Object)>) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = font(&mut doc, kind);
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut kids = Vec::new();
    for content in contents {
        let stream = Stream::new(dictionary! { "Filter" => "FlateDecode" }, deflate(content));
        let content_id = doc.add_object(stream);
        kids.push(Object::Reference(doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
            "Resources" => resources, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        })));
    }
    let count = kids.len() as i64;
    doc.objects
        .insert(pages_id, Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }));
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    if let Some((key, value)) = trailer_extra {
        doc.trailer.set(key, value);
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    out
}

fn text_of(bytes: &[u8]) -> PdfText {
    pdf_text(bytes, &PdfLimits::default()).expect("text")
}

fn check(contents: &[&[u8]], kind: FontKind, expected: &[&str]) {
    let got = text_of(&pdf(contents, kind, None));
    assert_eq!(
        got.pages,
        expected,
        "contents {:?}",
        contents.iter().map(|c| String::from_utf8_lossy(c)).collect::<Vec<_>>()
    );
}

#[test]
fn standard_fonts_pages_and_lines() {
    check(
        &[
            b"BT /F1 12 Tf 1 0 0 1 50 800 Tm (Zertifikat f\xfcr) Tj T* ET BT /F1 9 Tf 50 760 Td (Registrier-Nr.:) Tj ET \
              BT /F1 9 Tf 190 760 Td (12 100 45678 TMS) Tj ET",
            b"BT /F1 10 Tf 14 TL 50 800 Td (Seite 2) Tj T* (G\xfcltig bis \x96 2027) Tj ET",
        ],
        FontKind::Standard,
        &["Zertifikat für\n\nRegistrier-Nr.:\t12 100 45678 TMS", "Seite 2\nGültig bis – 2027"],
    );
}

#[test]
fn kerning_and_word_gaps() {
    check(
        &[b"BT /F1 10 Tf 50 700 Td [(Cer) 20 (tificate) -600 (No) -30 (.)] TJ ET"],
        FontKind::Standard,
        &["Certificate No."],
    );
    check(&[b"BT /F1 10 Tf 50 700 Td (ISO) Tj 4 0 Td (9001) Tj ET"], FontKind::Standard, &["ISO 9001"]);
    check(&[b"BT /F1 10 Tf 12 TL 50 700 Td (a) Tj (b) ' 5 2 (c) \" ET"], FontKind::Standard, &["a\nb\nc"]);
}

#[test]
fn embedded_fonts_with_to_unicode() {
    // "ISO" = 0x49 0x53 0x4F → codes 0x0149 0x0153 0x014F; 0x0200 is Ä.
    check(&[b"BT /F1 11 Tf 50 700 Td <01490153014F> Tj ( ) Tj <02000142> Tj ET"], FontKind::Identity, &["ISO ÄB"]);
}

#[test]
fn forms_are_entered() {
    let mut doc = Document::with_version("1.4");
    let pages_id = doc.new_object_id();
    let font_id = font(&mut doc, FontKind::Standard);
    let form = doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form",
            "Matrix" => vec![1.into(), 0.into(), 0.into(), 1.into(), 100.into(), 0.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
        },
        b"BT /F1 10 Tf 0 0 Td (inside the form) Tj ET".to_vec(),
    ));
    let content = doc.add_object(Stream::new(dictionary! {}, b"q 1 0 0 1 0 500 cm /X1 Do Q".to_vec()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content,
        "Resources" => dictionary! { "XObject" => dictionary! { "X1" => form } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    assert_eq!(text_of(&out).pages, ["inside the form"]);
}

#[test]
fn object_streams_load() {
    let mut doc = Document::load_mem(&pdf(&[b"BT /F1 10 Tf 50 700 Td (modern file) Tj ET"], FontKind::Standard, None))
        .expect("reload");
    let mut out = Vec::new();
    doc.save_modern(&mut out).expect("save modern");
    assert_eq!(text_of(&out).pages, ["modern file"]);
}

#[test]
fn scans_have_no_text_layer() {
    let got = text_of(&pdf(&[b"q 595 0 0 842 0 0 cm /Im0 Do Q", b"BT /F1 8 Tf (1) Tj ET"], FontKind::Standard, None));
    assert_eq!(got.pages, ["", "1"]);
    assert!(!got.has_text_layer);
    let text = text_of(&pdf(&[b"BT /F1 8 Tf (This page has a text layer.) Tj ET"], FontKind::Standard, None));
    assert!(text.has_text_layer);
}

#[test]
fn encrypted_documents_are_refused() {
    let bytes = pdf(&[b"BT (secret) Tj ET"], FontKind::Standard, Some(("Encrypt", Object::Reference((99, 0)))));
    assert_eq!(pdf_text(&bytes, &PdfLimits::default()), Err(ExtractionError::Encrypted));
}

#[test]
fn damaged_input_is_an_error() {
    let cases: [&[u8]; 5] =
        [b"", b"hello", b"%PDF-1.4\n", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", &[0xff; 64]];
    for input in cases {
        assert!(
            matches!(pdf_text(input, &PdfLimits::default()), Err(ExtractionError::Malformed { .. })),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn limits_stop_bombs() {
    let small = PdfLimits { max_decompressed_bytes: 1 << 20, ..PdfLimits::default() };
    let zeros = vec![b' '; 4 << 20];
    let bomb = pdf(&[&zeros], FontKind::Standard, None);
    assert!(bomb.len() < 64 << 10, "the bomb is small: {}", bomb.len());
    let cases: Vec<(Vec<u8>, PdfLimits, Limit)> = vec![
        (bomb, small, Limit::DecompressedBytes),
        (
            pdf(&[b"BT (1) Tj ET", b"BT (2) Tj ET", b"BT (3) Tj ET"], FontKind::Standard, None),
            PdfLimits { max_pages: 2, ..PdfLimits::default() },
            Limit::Pages,
        ),
        (
            pdf(&[&b"q Q ".repeat(1000)], FontKind::Standard, None),
            PdfLimits { max_operators: 500, ..PdfLimits::default() },
            Limit::Operators,
        ),
        (
            pdf(&[b"BT (1) Tj ET"], FontKind::Standard, None),
            PdfLimits { max_objects: 12, ..PdfLimits::default() },
            Limit::Objects,
        ),
        (
            pdf(&[b"BT (1) Tj ET"], FontKind::Standard, None),
            PdfLimits { max_input_bytes: 100, ..PdfLimits::default() },
            Limit::InputBytes,
        ),
        (
            pdf(&[b"BT (0123456789) Tj ET"], FontKind::Standard, None),
            PdfLimits { max_text_chars: 5, ..PdfLimits::default() },
            Limit::TextChars,
        ),
    ];
    for (bytes, limits, expected) in cases {
        match pdf_text(&bytes, &limits) {
            Err(ExtractionError::LimitExceeded { limit, .. }) => assert_eq!(limit, expected),
            other => panic!("expected {expected:?}, got {other:?}"),
        }
    }
}

#[test]
fn object_stream_bombs_are_stopped_while_loading() {
    let mut doc = Document::load_mem(&pdf(&[b"BT (x) Tj ET"], FontKind::Standard, None)).expect("reload");
    let mut out = Vec::new();
    doc.save_modern(&mut out).expect("save modern");
    let limits = PdfLimits { max_decompressed_bytes: 16, ..PdfLimits::default() };
    assert!(matches!(
        pdf_text(&out, &limits),
        Err(ExtractionError::LimitExceeded { limit: Limit::DecompressedBytes | Limit::StreamBytes, .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = pdf_text(&bytes, &PdfLimits::default());
    }

    #[test]
    fn damaged_documents_never_panic(cut in 0usize..2000, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8)) {
        let mut bytes = pdf(&[b"BT /F1 10 Tf 50 700 Td [(A) -300 (B)] TJ T* (C) ' ET"], FontKind::Identity, None);
        for (at, value) in flips {
            let i = at % bytes.len();
            bytes[i] = value;
        }
        bytes.truncate(bytes.len().saturating_sub(cut));
        let _ = pdf_text(&bytes, &PdfLimits::default());
    }

    #[test]
    fn arbitrary_content_streams_never_panic(content in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = pdf_text(&pdf(&[&content], FontKind::Identity, None), &PdfLimits::default());
    }
}

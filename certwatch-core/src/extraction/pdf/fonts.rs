//! Fonts as text extraction needs them: how a shown string splits into
//! character codes, the Unicode text of each code (the `ToUnicode` CMap
//! first, then the font's encoding: WinAnsi, Standard, MacRoman,
//! `/Differences`, or a UCS-2 CMap of a composite font) and each code's
//! width (`/Widths`, `/W`, or the standard 14 metrics).

use std::collections::HashMap;

use lopdf::{Dictionary, Document, Object};

use super::budget::Budget;
use super::cmap::{CMap, CodeLengths};
use super::metrics::StdFont;
use crate::extraction::ExtractionError;

/// Width entries kept from one `/W` array.
const MAX_WIDTH_ENTRIES: usize = 65_536;

enum Codes {
    Single,
    Fixed2,
    Ranges(CodeLengths),
}

enum Fallback {
    /// One-byte codes through a 256-entry table.
    Table(Box<[Option<char>; 256]>),
    /// Codes are UTF-16 code units (predefined `Uni…-UCS2`/`UTF16` CMaps).
    Ucs2,
    /// No way from a code to text except the `ToUnicode` map.
    Nothing,
}

enum Widths {
    Simple { first: u32, widths: Vec<f32>, missing: f32, std: Option<StdFont> },
    Cid { singles: HashMap<u32, f32>, ranges: Vec<(u32, u32, f32)>, default: f32 },
}

/// A font ready to decode shown strings.
pub(super) struct Font {
    codes: Codes,
    to_unicode: Option<CMap>,
    fallback: Fallback,
    widths: Widths,
}

/// Windows-1252 at 0x80..=0x9F (WinAnsiEncoding); Latin-1 elsewhere.
const CP1252_HIGH: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

fn win_ansi_table() -> Box<[Option<char>; 256]> {
    let mut table = Box::new([None; 256]);
    for (code, slot) in table.iter_mut().enumerate() {
        *slot = match code {
            0..=31 => None,
            0x80..=0x9f => CP1252_HIGH[code - 0x80],
            _ => char::from_u32(code as u32),
        };
    }
    table
}

fn number(obj: &Object) -> Option<f32> {
    obj.as_float().ok().filter(|v| v.is_finite())
}

fn deref<'a>(doc: &'a Document, obj: &'a Object) -> &'a Object {
    doc.dereference(obj).map_or(obj, |(_, o)| o)
}

fn get<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    dict.get(key).ok().map(|o| deref(doc, o))
}

fn name<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Option<&'a [u8]> {
    get(doc, dict, key).and_then(|o| o.as_name().ok())
}

impl Font {
    /// The font used when a string is shown before any `Tf`.
    pub(super) fn fallback() -> Self {
        Self {
            codes: Codes::Single,
            to_unicode: None,
            fallback: Fallback::Table(win_ansi_table()),
            widths: Widths::Simple { first: 0, widths: Vec::new(), missing: 0.0, std: Some(StdFont::Helvetica) },
        }
    }

    /// Reads a font dictionary; streams it needs (`ToUnicode`, an embedded
    /// encoding CMap) are charged to `budget`.
    pub(super) fn load(doc: &Document, dict: &Dictionary, budget: &mut Budget) -> Result<Self, ExtractionError> {
        let to_unicode = match get(doc, dict, b"ToUnicode").and_then(|o| o.as_stream().ok()) {
            Some(stream) => Some(CMap::parse(&budget.decode(stream)?)).filter(CMap::has_mappings),
            None => None,
        };
        let base_font =
            name(doc, dict, b"BaseFont").map(|n| String::from_utf8_lossy(n).into_owned()).unwrap_or_default();

        if name(doc, dict, b"Subtype") == Some(b"Type0") {
            let (codes, fallback) = match get(doc, dict, b"Encoding") {
                Some(Object::Name(n)) => {
                    let n = String::from_utf8_lossy(n);
                    let ucs2 = n.contains("UCS2") || n.contains("UTF16");
                    (Codes::Fixed2, if ucs2 { Fallback::Ucs2 } else { Fallback::Nothing })
                }
                Some(Object::Stream(s)) => {
                    let lengths = CMap::parse(&budget.decode(s)?).code_lengths();
                    (lengths.map_or(Codes::Fixed2, Codes::Ranges), Fallback::Nothing)
                }
                _ => (Codes::Fixed2, Fallback::Nothing),
            };
            let descendant = get(doc, dict, b"DescendantFonts")
                .and_then(|o| o.as_array().ok())
                .and_then(|a| a.first())
                .map(|o| deref(doc, o))
                .and_then(|o| o.as_dict().ok());
            let widths = descendant
                .map_or(Widths::Cid { singles: HashMap::new(), ranges: Vec::new(), default: 1000.0 }, |d| {
                    cid_widths(doc, d)
                });
            return Ok(Self { codes, to_unicode, fallback, widths });
        }

        let table = if dict.get(b"Encoding").is_ok() || to_unicode.is_none() {
            encoding_table(doc, dict, budget)
        } else {
            win_ansi_table()
        };
        let std = StdFont::from_base_font(&base_font);
        let missing = get(doc, dict, b"FontDescriptor")
            .and_then(|o| o.as_dict().ok())
            .and_then(|d| get(doc, d, b"MissingWidth"))
            .and_then(number)
            .unwrap_or(0.0);
        let first = get(doc, dict, b"FirstChar").and_then(number).unwrap_or(0.0).max(0.0) as u32;
        let widths: Vec<f32> = get(doc, dict, b"Widths")
            .and_then(|o| o.as_array().ok())
            .map(|a| a.iter().take(256).map(|w| number(deref(doc, w)).unwrap_or(0.0)).collect())
            .unwrap_or_default();
        let std = widths.is_empty().then_some(std);
        Ok(Self {
            codes: Codes::Single,
            to_unicode,
            fallback: Fallback::Table(table),
            widths: Widths::Simple { first, widths, missing, std },
        })
    }

    /// Appends the text of `bytes` to `out` and calls `advance` with the
    /// width (1/1000 em) of every code and whether it is the one-byte code
    /// 32 (to which word spacing applies).
    pub(super) fn show(&self, bytes: &[u8], out: &mut String, mut advance: impl FnMut(f32, bool)) {
        let mut pos = 0;
        while pos < bytes.len() {
            let rest = &bytes[pos..];
            let len = match &self.codes {
                Codes::Single => 1,
                Codes::Fixed2 => 2.min(rest.len()),
                Codes::Ranges(r) => r.next_len(rest),
            };
            let code_bytes = &rest[..len];
            pos += len;
            let code = code_bytes.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b));
            let start = out.len();
            let mapped = self.to_unicode.as_ref().is_some_and(|m| m.lookup(len as u8, code, out));
            if !mapped {
                match &self.fallback {
                    Fallback::Table(t) if len == 1 => {
                        if let Some(c) = t[code as usize] {
                            out.push(c);
                        }
                    }
                    Fallback::Ucs2 => {
                        if let Some(c) = char::from_u32(code) {
                            out.push(c);
                        }
                    }
                    _ => {}
                }
            }
            let first_char = out[start..].chars().next();
            advance(self.width(code, first_char), len == 1 && code == 32);
        }
    }

    fn width(&self, code: u32, text: Option<char>) -> f32 {
        match &self.widths {
            Widths::Simple { first, widths, missing, std } => {
                if let Some(w) = code.checked_sub(*first).and_then(|i| widths.get(i as usize)) {
                    return *w;
                }
                match (std, text) {
                    (Some(std), Some(c)) => std.width(c),
                    (Some(_), None) => 0.0,
                    (None, _) if *missing > 0.0 => *missing,
                    (None, _) => 500.0,
                }
            }
            Widths::Cid { singles, ranges, default } => singles
                .get(&code)
                .copied()
                .or_else(|| {
                    // Sorted by start: the nearest range that starts at or before `code`.
                    let end = ranges.partition_point(|r| r.0 <= code);
                    ranges[..end].last().filter(|r| code <= r.1).map(|r| r.2)
                })
                .unwrap_or(*default),
        }
    }
}

/// The 256-entry table of a simple font's `/Encoding` (lopdf resolves
/// base encodings and `/Differences` glyph names), WinAnsi when it has none
/// that lopdf understands.
fn encoding_table(doc: &Document, dict: &Dictionary, budget: &Budget) -> Box<[Option<char>; 256]> {
    let Ok(encoding) = dict.get_font_encoding_with_limit(doc, budget.decompressed_left()) else {
        return win_ansi_table();
    };
    let mut table = Box::new([None; 256]);
    let mut any = false;
    for (code, slot) in table.iter_mut().enumerate() {
        if let Ok(s) = encoding.bytes_to_string(&[code as u8]) {
            *slot = s.chars().next();
            any |= slot.is_some();
        }
    }
    if any {
        table
    } else {
        win_ansi_table()
    }
}

fn cid_widths(doc: &Document, descendant: &Dictionary) -> Widths {
    let default = get(doc, descendant, b"DW").and_then(number).unwrap_or(1000.0);
    let mut singles = HashMap::new();
    let mut ranges = Vec::new();
    let items: &[Object] = get(doc, descendant, b"W").and_then(|o| o.as_array().ok()).map_or(&[], |a| a.as_slice());
    let mut i = 0;
    let mut entries = 0usize;
    while i < items.len() && entries < MAX_WIDTH_ENTRIES {
        let Some(first) = number(deref(doc, &items[i])).map(|f| f.max(0.0) as u32) else {
            i += 1;
            continue;
        };
        match items.get(i + 1).map(|o| deref(doc, o)) {
            Some(Object::Array(ws)) => {
                for (k, w) in ws.iter().enumerate().take(MAX_WIDTH_ENTRIES - entries) {
                    if let Some(w) = number(deref(doc, w)) {
                        singles.insert(first.saturating_add(k as u32), w);
                    }
                    entries += 1;
                }
                i += 2;
            }
            Some(last) => {
                let last = number(last).map_or(first, |l| l.max(0.0) as u32);
                let w = items.get(i + 2).and_then(|o| number(deref(doc, o))).unwrap_or(default);
                ranges.push((first, last, w));
                entries += 1;
                i += 3;
            }
            None => break,
        }
    }
    ranges.sort_by_key(|r| r.0);
    Widths::Cid { singles, ranges, default }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_ansi_covers_german_and_dashes() {
        let t = win_ansi_table();
        let cases = [(0x41u8, Some('A')), (0xe4, Some('ä')), (0xdf, Some('ß')), (0x96, Some('–')), (0x80, Some('€'))];
        for (code, expected) in cases {
            assert_eq!(t[usize::from(code)], expected, "{code:#x}");
        }
        assert_eq!(t[0x81], None);
        assert_eq!(t[0x0a], None);
    }

    #[test]
    fn fallback_font_decodes_win_ansi() {
        let font = Font::fallback();
        let mut out = String::new();
        let mut widths = Vec::new();
        font.show(b"K\xe4se \x96 1", &mut out, |w, space| widths.push((w, space)));
        assert_eq!(out, "Käse – 1");
        assert_eq!(widths.len(), 8);
        assert_eq!(widths[4], (278.0, true));
    }
}

//! CSV: decoding (UTF-8 with or without BOM, UTF-16 with BOM, else
//! Windows-1252 — what Excel writes on Western European systems),
//! delimiter sniffing (`,` `;` tab) and parsing with the `csv` crate into
//! [`RawRow`]s. Every cell is text; the row builder converts.

use std::borrow::Cow;

use super::cell::{Cell, RawRow};
use super::error::ImportError;

/// The text of a CSV file, decoded.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return text;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0,
    }
}

/// The delimiter of `text`: of `,` `;` and tab, the one that splits the
/// first lines into the same number (> 0) of fields most often, preferring
/// more fields. Quoted parts are skipped while counting.
pub fn sniff_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(30).collect();
    let mut best = (b',', 0usize, 0usize);
    for d in [b',', b';', b'\t'] {
        let counts: Vec<usize> = lines.iter().map(|l| count_unquoted(l, d)).collect();
        // The most common non-zero count and how many lines have it.
        let mut tally: std::collections::BTreeMap<usize, usize> = Default::default();
        for c in counts.iter().filter(|c| **c > 0) {
            *tally.entry(*c).or_default() += 1;
        }
        if let Some((&fields, &lines_with)) = tally.iter().max_by_key(|(f, n)| (**n, **f)) {
            if (lines_with, fields) > (best.1, best.2) {
                best = (d, lines_with, fields);
            }
        }
    }
    best.0
}

fn count_unquoted(line: &str, d: u8) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for b in line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == d && !quoted {
            n += 1;
        }
    }
    n
}

/// Parses CSV `bytes` into rows (blank rows kept; the caller skips them).
/// Stops with [`ImportError::TooManyRows`] past `max_rows`.
pub fn parse_csv(bytes: &[u8], max_rows: usize) -> Result<Vec<RawRow>, ImportError> {
    let text = decode(bytes);
    let delimiter = sniff_delimiter(&text);
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut number = 0u32;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(ImportError::Unreadable(format!("CSV record {}: {e}", number + 1))),
        }
        number = number.saturating_add(1);
        if rows.len() > max_rows {
            return Err(ImportError::TooManyRows { limit: max_rows });
        }
        let cells =
            record.iter().map(|f| if f.trim().is_empty() { Cell::Empty } else { Cell::Text(f.to_owned()) }).collect();
        rows.push(RawRow { number, cells });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(decode(b"\xEF\xBB\xBFname"), "name");
        assert_eq!(decode("Müller".as_bytes()), "Müller");
        assert_eq!(decode(b"M\xFCller GmbH"), "Müller GmbH");
        assert_eq!(decode(b"\xFF\xFEn\0a\0"), "na");
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter("name;country\nA;DE\nB, Inc.;US\n"), b';');
        assert_eq!(sniff_delimiter("name,country\nA,DE\n\"B; C\",US\n"), b',');
        assert_eq!(sniff_delimiter("name\tcountry\nA\tDE\n"), b'\t');
        assert_eq!(sniff_delimiter("name\nA\n"), b',');
    }

    #[test]
    fn rows_keep_their_numbers() {
        let rows = parse_csv(b"\xEF\xBB\xBFName;Land\nA;DE\n;\nB;FR\n", 10).expect("parses");
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[3].number, 4);
        assert!(rows[2].is_blank());
        assert_eq!(rows[0].cells[0], Cell::Text("Name".into()));
        assert!(matches!(parse_csv(b"a\nb\nc\n", 1), Err(ImportError::TooManyRows { limit: 1 })));
    }

    proptest::proptest! {
        /// Whatever a CSV writer writes with `,`, `;` or tab, the reader
        /// gets back cell for cell (delimiter sniffed, quotes undone).
        #[test]
        fn written_grids_read_back(
            grid in proptest::collection::vec(proptest::collection::vec("[a-zA-Z0-9 ,;\"äöü]{1,8}", 3), 2..12),
            delimiter in proptest::sample::select(vec![b',', b';', b'\t']),
        ) {
            let mut w = csv::WriterBuilder::new().delimiter(delimiter).from_writer(Vec::new());
            // A header row without delimiters or quotes, like real headers.
            w.write_record(["name", "country", "website"]).expect("header");
            for row in &grid {
                w.write_record(row).expect("row");
            }
            let bytes = w.into_inner().expect("bytes");
            let rows = parse_csv(&bytes, 1000).expect("parses");
            proptest::prop_assert_eq!(rows.len(), grid.len() + 1);
            for (got, want) in rows.iter().skip(1).zip(&grid) {
                let got: Vec<String> = got.cells.iter().map(|c| match c {
                    Cell::Text(s) => s.clone(),
                    _ => String::new(),
                }).collect();
                let want: Vec<String> = want.iter().map(|s| if s.trim().is_empty() { String::new() } else { s.clone() }).collect();
                proptest::prop_assert_eq!(got, want);
            }
        }

        /// Any bytes: rows or a clear error, never a panic.
        #[test]
        fn any_bytes_parse_or_fail_cleanly(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse_csv(&bytes, 100);
        }
    }
}

//! Clean-up of OCR output before the rules read it. Tesseract turns table
//! rules, stamps and signatures into stray marks: lone punctuation or a
//! single character set apart from the text ("Zertifikat-Nr.:   3   2
//! DE071608-3"). The rules read runs of three or more spaces as cell
//! boundaries, so a stray mark becomes a cell and shifts every value after
//! it away from its label. Only marks that cannot be data in that position
//! are removed; words and numbers are never rewritten.

/// Characters that make up stray marks (never data on their own).
fn is_junk(c: char) -> bool {
    matches!(
        c,
        '\'' | '"'
            | '‘'
            | '’'
            | '‚'
            | '“'
            | '”'
            | '„'
            | '`'
            | '´'
            | '|'
            | '¦'
            | '='
            | '_'
            | '~'
            | ';'
            | ','
            | '.'
            | ':'
            | '-'
            | '—'
            | '–'
            | '»'
            | '«'
            | '+'
            | '*'
            | '^'
            | '°'
            | '!'
            | '>'
            | '<'
            | '/'
            | '\\'
    )
}

/// A cell or word made only of stray-mark characters.
fn all_junk(s: &str) -> bool {
    !s.is_empty() && s.chars().count() <= 3 && s.chars().all(is_junk)
}

/// A lone character, possibly with stray marks ("3", "a", "i", "E.").
fn lone_char(s: &str) -> bool {
    let mut alnum = s.chars().filter(|c| c.is_alphanumeric());
    alnum.next().is_some() && alnum.next().is_none() && s.chars().all(|c| c.is_alphanumeric() || is_junk(c))
}

/// Strips words made only of stray marks from both ends of a cell.
fn trim_junk_words(cell: &str) -> &str {
    let mut s = cell.trim();
    loop {
        let before = s;
        if let Some((first, rest)) = s.split_once(' ') {
            if all_junk(first) {
                s = rest.trim_start();
            }
        }
        if let Some((rest, last)) = s.rsplit_once(' ') {
            if all_junk(last) {
                s = rest.trim_end();
            }
        }
        if s == before {
            return s;
        }
    }
}

/// Splits a line into cells at tabs and runs of three or more spaces.
fn cells(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for part in line.split('\t') {
        let mut rest = part;
        while let Some(at) = rest.find("   ") {
            out.push(&rest[..at]);
            rest = rest[at..].trim_start_matches(' ');
        }
        out.push(rest);
    }
    out.into_iter().map(str::trim).filter(|c| !c.is_empty()).collect()
}

/// "Issuing,Date" → "Issuing Date": a comma between two letters with no
/// space after it is an OCR misreading of a gap (written text puts a
/// space after a comma), and it would hide a label from the rules.
fn comma_gaps(cell: &str) -> String {
    let chars: Vec<char> = cell.chars().collect();
    let mut out = String::with_capacity(cell.len());
    for (i, &c) in chars.iter().enumerate() {
        let gap =
            c == ',' && i > 0 && chars[i - 1].is_lowercase() && chars.get(i + 1).is_some_and(|n| n.is_uppercase());
        out.push(if gap { ' ' } else { c });
    }
    out
}

/// The OCR text of one page, cleaned line by line: cells of stray marks
/// are dropped anywhere; a lone character is dropped when it sits between
/// two other cells (at the start or end of a line it may be a row number
/// or a value); stray-mark words are trimmed from the ends of cells, and
/// the double spaces Tesseract keeps inside a cell ("EMS  367805") become
/// one. Cells are joined again by three spaces, so the rules see the same
/// boundaries.
pub fn clean_ocr_text(text: &str) -> String {
    // Form feeds separate pages (and readings); they are white space to
    // `trim`, so each page is cleaned on its own and they are put back.
    text.split('\u{c}').map(clean_page).collect::<Vec<_>>().join("\u{c}")
}

fn clean_page(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        let cells: Vec<&str> =
            cells(line).into_iter().map(trim_junk_words).filter(|c| !c.is_empty() && !all_junk(c)).collect();
        let last = cells.len().saturating_sub(1);
        let kept: Vec<String> = cells
            .iter()
            .enumerate()
            .filter(|&(i, c)| !(i > 0 && i < last && lone_char(c)))
            .map(|(_, c)| comma_gaps(&c.split_whitespace().collect::<Vec<_>>().join(" ")))
            .collect();
        out.push_str(&kept.join("   "));
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn stray_marks_between_label_and_value_go() {
        assert_eq!(clean_ocr_text("Zertifikat-Nr.:      3        2      DE071608-3"), "Zertifikat-Nr.:   DE071608-3");
        assert_eq!(
            clean_ocr_text("Ausstellungsdatum:          a         14.06.2025"),
            "Ausstellungsdatum:   14.06.2025"
        );
        assert_eq!(clean_ocr_text("Version:     ;     ="), "Version:");
        assert_eq!(clean_ocr_text("342900 ISM      2       15.01.2025"), "342900 ISM   15.01.2025");
        assert_eq!(clean_ocr_text("Keller Druckguss GmbH '"), "Keller Druckguss GmbH");
        assert_eq!(clean_ocr_text("‘     \" Intertek Testing"), "Intertek Testing");
        assert_eq!(clean_ocr_text("Issuing,Date:      May 8, 2026"), "Issuing Date:   May 8, 2026");
        assert_eq!(
            clean_ocr_text("Holds Certificate Number:     EMS  367805"),
            "Holds Certificate Number:   EMS 367805"
        );
    }

    #[test]
    fn data_stays() {
        for line in [
            "1   Main site   Musterstraße 1, Berlin",
            "Version:   4",
            "ISO 14001 : 2015",
            "Certificate No.:   DE075475-2",
            "Valid until:   7 September 2029",
            "Produktion, Montage und Service",
            "44 100 11887752",
        ] {
            assert_eq!(clean_ocr_text(line), line);
        }
        assert_eq!(clean_ocr_text("a\n\nb\u{c}c"), "a\n\nb\u{c}c");
        assert_eq!(clean_ocr_text("a   ;\n\u{c}\n'   b"), "a\n\u{c}\nb");
    }

    proptest! {
        #[test]
        fn never_panics_and_keeps_line_count(s in "[a-zA-Z0-9 ,.:;'|=\n\t\u{c}äöüß-]{0,200}") {
            let cleaned = clean_ocr_text(&s);
            prop_assert_eq!(cleaned.split('\n').count(), s.split('\n').count());
            prop_assert_eq!(clean_ocr_text(&cleaned), cleaned);
        }
    }
}

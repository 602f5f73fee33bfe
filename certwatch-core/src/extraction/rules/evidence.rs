//! Checks of a value someone else read out of a document (a language
//! model) against the document itself, with the same vocabulary the rules
//! use: the date styles of [`super::dates`], the standards table of
//! [`super::types`], the brands of [`super::bodies`] and the number shape
//! of [`super::numbers`]. A model can be talked into inventing a value by
//! the document it reads (prompt injection); a value that is not in the
//! text is how that shows, so callers drop it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::{bodies, dates, numbers, types};

/// `s` in lower case with every white space removed: how values are
/// compared with the text (line breaks and spacing differ between a PDF's
/// text layer and a model's answer; case does not matter for numbers).
pub(crate) fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

/// The document text prepared once for many checks.
#[derive(Debug, Clone)]
pub(crate) struct TextIndex<'t> {
    text: &'t str,
    squashed: String,
    dates: BTreeMap<NaiveDate, &'t str>,
    type_codes: BTreeSet<&'static str>,
    brands: BTreeSet<&'static str>,
}

impl<'t> TextIndex<'t> {
    /// Indexes `text`: every date the rules' date parser reads at the start
    /// of a word, every standard and every known brand it mentions.
    pub(crate) fn new(text: &'t str) -> Self {
        let mut found = BTreeMap::new();
        for line in text.lines() {
            let mut prev_alnum = false;
            for (i, c) in line.char_indices() {
                if !prev_alnum && c.is_alphanumeric() {
                    if let Some((d, _)) = dates::parse_date_prefix(&line[i..]) {
                        found.entry(d).or_insert_with(|| line.trim());
                    }
                }
                prev_alnum = c.is_alphanumeric();
            }
        }
        Self {
            text,
            squashed: squash(text),
            dates: found,
            type_codes: types::type_codes(text).into_iter().collect(),
            brands: bodies::brands_in(text).into_iter().collect(),
        }
    }

    /// Whether `value` is in the text, ignoring white space and case.
    pub(crate) fn contains(&self, value: &str) -> bool {
        let v = squash(value);
        !v.is_empty() && self.squashed.contains(&v)
    }

    /// The first line printing `date` in some style the rules read.
    pub(crate) fn date_line(&self, date: NaiveDate) -> Option<&'t str> {
        self.dates.get(&date).copied()
    }

    /// Whether the text mentions a standard of type `code`.
    pub(crate) fn has_type(&self, code: &str) -> bool {
        self.type_codes.contains(code)
    }

    /// Whether the text names the known brand `brand`.
    pub(crate) fn has_brand(&self, brand: &str) -> bool {
        self.brands.contains(brand)
    }

    /// The first line of the text that holds `value` (ignoring white space
    /// and case), as the evidence of a field; else the first line holding
    /// its first word.
    pub(crate) fn line_of(&self, value: &str) -> Option<&'t str> {
        let v = squash(value);
        if v.is_empty() {
            return None;
        }
        let lines = || self.text.lines().map(str::trim).filter(|l| !l.is_empty());
        lines().find(|l| squash(l).contains(&v)).or_else(|| {
            let first = squash(value.split_whitespace().next()?);
            lines().find(|l| squash(l).contains(&first))
        })
    }
}

/// The type code a printed standard or a code names (`DIN EN ISO
/// 9001:2015` or `ISO_9001` → `ISO_9001`), through the standards table.
pub(crate) fn type_code_of(value: &str) -> Option<&'static str> {
    let spaced = value.replace('_', " ");
    types::type_codes(value).into_iter().next().or_else(|| types::type_codes(&spaced).into_iter().next())
}

/// The known brand `value` names (`TÜV SÜD Management Service GmbH` →
/// `TÜV SÜD`).
pub(crate) fn brand_of(value: &str) -> Option<&'static str> {
    bodies::brands_in(value).into_iter().next()
}

/// Whether `value` has the shape of a certificate number.
pub(crate) fn is_number(value: &str) -> bool {
    numbers::is_number(value)
}

/// The date `value` states, in any style the rules read.
pub(crate) fn parse_date(value: &str) -> Option<NaiveDate> {
    dates::parse_date(value)
}

/// The type a file name suggests.
pub(crate) fn filename_type(filename: &str) -> Option<&'static str> {
    types::filename_type(filename)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_values_in_any_spacing_and_style() {
        let text = "Zertifikat Nr.: 12 100\n 45678 TMS\nGültig bis 5. März 2027\nDIN EN ISO 9001:2015\nTÜV SÜD Management Service GmbH";
        let idx = TextIndex::new(text);
        assert!(idx.contains("12100 45678 tms"));
        assert!(!idx.contains("99999"));
        let day = |d| NaiveDate::from_ymd_opt(2027, 3, d).unwrap_or_default();
        assert_eq!(idx.date_line(day(5)), Some("Gültig bis 5. März 2027"));
        assert_eq!(idx.date_line(day(6)), None);
        assert!(idx.has_type("ISO_9001"));
        assert!(!idx.has_type("ISO_14001"));
        assert!(idx.has_brand("TÜV SÜD"));
        assert_eq!(type_code_of("ISO_9001"), Some("ISO_9001"));
        assert_eq!(type_code_of("EN ISO 14001:2015"), Some("ISO_14001"));
        assert_eq!(type_code_of("a quality system"), None);
        assert_eq!(brand_of("TUV SUD Industrie Service"), Some("TÜV SÜD"));
        // Split over two lines: the line of its first word.
        assert_eq!(idx.line_of("12 100 45678"), Some("Zertifikat Nr.: 12 100"));
        assert_eq!(idx.line_of("DIN EN ISO 9001:2015"), Some("DIN EN ISO 9001:2015"));
    }
}

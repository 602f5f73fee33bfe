//! The shape of extracted text that the rules read: pages (form feeds),
//! lines, and cells within a line (tabs, or runs of three or more spaces, as
//! `pdf_text` and layout-preserving extractors separate table cells and a
//! label from its value). Also where the value of a label is: after it in
//! the same cell, in the next cell, or below it in the next line.

use super::labels::{self, Role};

/// One line of text.
#[derive(Debug, Clone)]
pub(super) struct Line<'t> {
    /// Zero-based page.
    pub(super) page: usize,
    /// The whole line, trimmed.
    pub(super) text: &'t str,
    /// Its cells, trimmed, none empty.
    pub(super) cells: Vec<&'t str>,
}

impl Line<'_> {
    pub(super) fn is_blank(&self) -> bool {
        self.cells.is_empty()
    }
}

/// A document as lines.
#[derive(Debug, Clone)]
pub(super) struct Doc<'t> {
    pub(super) lines: Vec<Line<'t>>,
}

/// Where a value was found, for evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Located<'t> {
    pub(super) text: &'t str,
    pub(super) line: usize,
}

fn split_cells(line: &str) -> Vec<&str> {
    let mut cells = Vec::new();
    for part in line.split('\t') {
        let mut rest = part;
        while let Some(at) = rest.find("   ") {
            cells.push(&rest[..at]);
            rest = rest[at..].trim_start_matches(' ');
        }
        cells.push(rest);
    }
    cells.into_iter().map(str::trim).filter(|c| !c.is_empty()).collect()
}

impl<'t> Doc<'t> {
    pub(super) fn parse(text: &'t str) -> Self {
        let mut lines = Vec::new();
        for (page, page_text) in text.split('\u{c}').enumerate() {
            for raw in page_text.lines() {
                lines.push(Line { page, text: raw.trim(), cells: split_cells(raw) });
            }
        }
        Self { lines }
    }

    /// The next line after `line` on the same page that has text, skipping
    /// at most one blank line.
    pub(super) fn next_content_line(&self, line: usize) -> Option<usize> {
        let page = self.lines.get(line)?.page;
        (line + 1..self.lines.len())
            .take(2)
            .take_while(|&j| self.lines[j].page == page)
            .find(|&j| !self.lines[j].is_blank())
    }

    /// Where the value of the label that starts cell `cell` of line `line`
    /// may be, most likely first: the text after the label in the same cell
    /// (`rest`, when not empty: then nowhere else), the next cell unless it
    /// is a label too, or the cell below (the only cell of the next line
    /// when it has just one).
    pub(super) fn value_candidates(&self, line: usize, cell: usize, rest: &'t str) -> Vec<Located<'t>> {
        let rest = rest.trim_start_matches([':', ' ', '.']).trim();
        if !rest.is_empty() {
            return vec![Located { text: rest, line }];
        }
        let mut out = Vec::new();
        let Some(l) = self.lines.get(line) else { return out };
        if let Some(next) = l.cells.get(cell + 1) {
            if !labels::is_label(next) {
                out.push(Located { text: next, line });
            }
        }
        if let Some(j) = self.next_content_line(line) {
            let below = &self.lines[j].cells;
            let candidate = below.get(cell).or(if below.len() == 1 { below.first() } else { None });
            if let Some(c) = candidate {
                if !labels::is_label(c) {
                    out.push(Located { text: c, line: j });
                }
            }
        }
        out
    }

    /// Every label of `role` in the document with the places its value may
    /// be, in document order.
    pub(super) fn labelled(&self, role: Role) -> Vec<(usize, &'t str, Vec<Located<'t>>)> {
        let mut out = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            for (k, cell) in line.cells.iter().enumerate() {
                let Some(found) = labels::label_at_start(cell) else { continue };
                if found.role != role {
                    continue;
                }
                let rest = if found.trailing_text { "" } else { &cell[found.end..] };
                out.push((i, *cell, self.value_candidates(i, k, rest)));
            }
        }
        out
    }
}

/// Collapses every run of white space to one space and trims.
pub(super) fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_pages_lines_and_cells() {
        let doc = Doc::parse("Title\nLabel:\tValue\n\nA   B  C\u{c}Page two");
        let cells: Vec<(usize, Vec<&str>)> = doc.lines.iter().map(|l| (l.page, l.cells.clone())).collect();
        assert_eq!(
            cells,
            vec![
                (0, vec!["Title"]),
                (0, vec!["Label:", "Value"]),
                (0, vec![]),
                (0, vec!["A", "B  C"]),
                (1, vec!["Page two"]),
            ]
        );
    }

    fn check(text: &str, role: Role, expected: &[&str]) {
        let doc = Doc::parse(text);
        let found: Vec<&str> = doc.labelled(role).into_iter().flat_map(|(_, _, c)| c).map(|c| c.text).collect();
        assert_eq!(found, expected, "{text:?}");
    }

    #[test]
    fn finds_values_beside_and_below_labels() {
        check("Certificate No.:\t0071663", Role::CertificateNumber, &["0071663"]);
        check("Registration No. FR021996-2", Role::CertificateNumber, &["FR021996-2"]);
        check("Registrier-Nr.\tGültig ab\t13.05.2024\n44 100 11887752", Role::CertificateNumber, &["44 100 11887752"]);
        check("Certificate no.\tEMAS registration no.\nX-1\tDE-1", Role::CertificateNumber, &["X-1"]);
        check(
            "[3]\tEU-Type Examination Certificate Number:\nSGS 24 ATEX 3534X",
            Role::CertificateNumber,
            &["SGS 24 ATEX 3534X"],
        );
        check("Effective date\tExpiration date\n12 May 2024\t11 May 2027", Role::Expiry, &["11 May 2027"]);
        check("Ablaufdatum des vorherigen Zyklus:\t13.02.2025", Role::Expiry, &[]);
        check("Date of Certification Decision:\tApril 24, 2026", Role::IssueDate, &[]);
    }
}

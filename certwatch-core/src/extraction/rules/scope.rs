//! The scope of certification as printed (its lines joined by single
//! spaces), read after the phrase that introduces it ("for the following
//! scope:", "Geltungsbereich:", "The management system is applicable to:",
//! "Product:", …) up to a blank line, a table row or the next sentence of
//! the certificate's own text; and the sites of an annex table (number,
//! site, address, activities), whose wrapped cells are put back into their
//! columns.

use std::sync::LazyLock;

use regex::Regex;

use super::labels;
use super::text::{collapse_ws, Doc};
use super::{Field, Site};

/// A phrase after which the scope follows (the phrase ends its cell).
static INTRO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?: this\s+certificate\s+is\s+valid\s+for\s+the\s+following\s+scope
          | for\s+the\s+following\s+scope
          | (?:with|for)\s+the\s+scope
          | scope\s+of\s+(?:certification|registration|approval|supply)
          | ^scope
          | (?:the\s+)?management\s+system\s+is\s+applicable\s+to
          | the\s+scope\s+of\s+this\s+(?:approval|certificate)\s+is\s+applicable\s+to
          | der\s+geltungsbereich\s+dieser\s+zulassung\s+umfasst
          | (?:für\s+den\s+|mit\s+dem\s+|folgenden\s+|genannten\s+)?geltungsbereich(?:\s+anwendet|\s+erfüllt)?
          | ^anwendungsbereich
          | für\s+die\s+folgenden\s+tätigkeiten
          | for\s+the\s+following\s+activities
          | gilt\s+dieses\s+zertifikat\s+für\s+das\s+bauprodukt
          | ^product
          | ^produkt
        )\s*:?$",
    )
    .expect("static regex")
});

/// The same phrases followed by the scope in the same cell ("Scope: …").
static INTRO_INLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:scope(?:\s+of\s+certification)?|geltungsbereich|anwendungsbereich|product|produkt)\s*:\s*(.+)$",
    )
    .expect("static regex")
});

/// A verb the introducing phrase wrapped onto ("… Geltungsbereich" /
/// "anwendet").
static FILLER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:anwendet|anwenden|angewendet|applies|umfasst|eingeführt\s+hat\s+und\s+anwendet)\s*:?$")
        .expect("static regex")
});

/// Lines that end a scope: the certificate's own sentences.
static STOP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(?: has\s | have\s | ein\s | eine\s | das\s+in\s+verkehr | through\s+an\s+audit | durch\s+ein\s+audit
          | performance\s+of\s+the\s+audit | further\s+clarifications | weitere\s+erläuterungen | evidence\s+of
          | this\s+(?:certificate|annex|product) | dieses\s+zertifikat | diese\s+anlage | the\s+(?:examination|management)
          | an\s+audit | prüfbericht | for\s+and\s+on\s+behalf | für\s+und\s+im\s+namen | erfüllt\s+sind | are\s+fulfilled
          | is\s+granted | wurde\s | which\s+complies | zertifizierte\s+tätigkeiten | certified\s+activities
          | \[\d+\] | \d+\.\s )",
    )
    .expect("static regex")
});

/// Extracts the scope.
pub(super) fn extract(doc: &Doc<'_>) -> Option<Field<String>> {
    for (i, line) in doc.lines.iter().enumerate() {
        for (k, cell) in line.cells.iter().enumerate() {
            // The phrase may have wrapped from the line before.
            let wrapped = (k == 0 && i > 0 && !doc.lines[i - 1].is_blank())
                .then(|| format!("{} {cell}", doc.lines[i - 1].cells.last().copied().unwrap_or_default()));
            let (mut parts, evidence) = if let Some(c) = INTRO_INLINE.captures(cell) {
                (vec![c[1].trim().to_string()], (*cell).to_string())
            } else if INTRO.is_match(cell) || wrapped.as_deref().is_some_and(|w| INTRO.is_match(w)) {
                match line.cells.get(k + 1) {
                    Some(next) if !labels::is_label(next) => (vec![(*next).to_string()], format!("{cell} {next}")),
                    Some(_) => continue,
                    None => (Vec::new(), (*cell).to_string()),
                }
            } else {
                continue;
            };
            let mut j = i + 1;
            if parts.is_empty() {
                // The scope starts on the next line, after the verb the
                // phrase may have wrapped onto.
                match doc.next_content_line(i) {
                    Some(first) if FILLER.is_match(doc.lines[first].text) => j = first + 1,
                    Some(first) => j = first,
                    None => continue,
                }
            }
            while let Some(l) = doc.lines.get(j) {
                if l.page != line.page || l.is_blank() || l.cells.len() > 1 {
                    break;
                }
                // A line that ends open ("…, ", "… und") always continues.
                let open = parts.last().is_some_and(|p| OPEN_ENDED.is_match(p.trim_end()));
                if !open
                    && (STOP.is_match(l.text)
                        || labels::label_at_start(l.text).is_some_and(|f| f.role != labels::Role::Other))
                {
                    break;
                }
                parts.push(l.text.to_string());
                j += 1;
                if parts.len() >= 12 {
                    break;
                }
            }
            let scope = collapse_ws(&parts.join(" "));
            if scope.chars().filter(|c| c.is_alphabetic()).count() >= 3 {
                return Some(Field { value: scope.clone(), confidence: 0.8, evidence: format!("{evidence} {scope}") });
            }
        }
    }
    None
}

static HEADER_SITE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:site|standort|location|name|betriebsstätte)s?$").expect("static regex"));
static HEADER_ADDRESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:address|anschrift|adresse)$").expect("static regex"));
static HEADER_SCOPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:activities|activity|tätigkeiten|tätigkeit|scope|geltungsbereich)$").expect("static regex")
});
static ROW_NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d{1,3}\.?$").expect("static regex"));
static COUNTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:deutschland|germany|österreich|austria|schweiz|switzerland|france|frankreich|ital(?:y|ia|ien)|spa(?:in|nien)|españa|kingdom|uk|usa|united\s+states|netherlands|niederlande|belgi(?:um|en)|pol(?:and|en)|czech\s+republic|tschechien|swe(?:den)|schweden|denmark|dänemark|fin(?:land|nland)|china|japan|india|indien|mexico|mexiko)\.?$").expect("static regex")
});
static NAME_CONTINUATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:\(|werk\b|standort\b|site\b|plant\b|branch\b|niederlassung\b|zweigniederlassung\b|headquarters\b|hauptsitz\b|betriebsstätte\b)").expect("static regex")
});
static OPEN_ENDED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:[,–\-&]|\b(?:und|and|of|for|für|von|der|die|das|des|sowie|including|incl\.|mit|with))$")
        .expect("static regex")
});

/// How well `fragment` continues column `col` (0 name, 1 address, 2
/// scope) of a row whose cells so far are `row`.
fn fit(col: usize, fragment: &str, row: &[String; 3]) -> f32 {
    let open = OPEN_ENDED.is_match(row[col].trim_end());
    match col {
        0 => {
            let ends_dash = row[0].trim_end().ends_with(['–', '-', ',', '&']);
            (if ends_dash { 2.0 } else { 0.0 }) + if NAME_CONTINUATION.is_match(fragment) { 1.0 } else { 0.0 } + 0.5
        }
        1 => {
            (if row[1].trim_end().ends_with(',') { 2.0 } else { 0.0 })
                + if fragment.chars().any(|c| c.is_ascii_digit()) || COUNTRY.is_match(fragment) { 1.0 } else { 0.0 }
                + 0.3
        }
        _ => {
            (if open && !row[2].is_empty() { 2.0 } else { 0.0 })
                + if fragment.chars().next().is_some_and(char::is_lowercase) { 0.5 } else { 0.0 }
        }
    }
}

/// Assigns continuation fragments to increasing columns, best fit first.
fn assign(fragments: &[&str], row: &[String; 3]) -> Vec<usize> {
    let choices: &[&[usize]] = match fragments.len() {
        1 => &[&[0], &[1], &[2]],
        2 => &[&[0, 1], &[0, 2], &[1, 2]],
        _ => &[&[0, 1, 2]],
    };
    choices
        .iter()
        .map(|cols| (cols, cols.iter().zip(fragments).map(|(c, f)| fit(*c, f, row)).sum::<f32>()))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(cols, _)| cols.to_vec())
        .unwrap_or_default()
}

fn push(cell: &mut String, text: &str) {
    if !cell.is_empty() {
        cell.push(' ');
    }
    cell.push_str(text.trim());
}

/// Extracts the sites of an annex table.
pub(super) fn sites(doc: &Doc<'_>) -> Option<Field<Vec<Site>>> {
    let (header, numbered) = doc.lines.iter().enumerate().find_map(|(i, l)| {
        let cells: Vec<&str> = l.cells.iter().map(|c| c.trim_end_matches(':')).collect();
        let numbered =
            cells.first().is_some_and(|c| matches!(c.to_lowercase().as_str(), "nr." | "no." | "nr" | "no" | "#"));
        let rest = if numbered { &cells[1..] } else { &cells[..] };
        (rest.len() == 3
            && HEADER_SITE.is_match(rest[0])
            && HEADER_ADDRESS.is_match(rest[1])
            && HEADER_SCOPE.is_match(rest[2]))
        .then_some((i, numbered))
    })?;

    let mut rows: Vec<[String; 3]> = Vec::new();
    let mut evidence = Vec::new();
    for line in doc.lines.iter().skip(header + 1) {
        if line.is_blank() || line.page != doc.lines[header].page {
            break;
        }
        let cells = &line.cells;
        let starts_row =
            if numbered { cells.first().is_some_and(|c| ROW_NUMBER.is_match(c)) } else { cells.len() >= 3 };
        if starts_row {
            let values = if numbered { &cells[1..] } else { &cells[..] };
            let mut row: [String; 3] = Default::default();
            for (slot, value) in row.iter_mut().zip(values) {
                *slot = (*value).to_string();
            }
            rows.push(row);
        } else if let Some(row) = rows.last_mut() {
            let fragments: Vec<&str> = cells.iter().take(3).copied().collect();
            for (col, fragment) in assign(&fragments, row).into_iter().zip(&fragments) {
                push(&mut row[col], fragment);
            }
        } else {
            break;
        }
        evidence.push(line.text);
    }
    let sites: Vec<Site> = rows
        .into_iter()
        .filter(|r| !r[0].is_empty())
        .map(|[name, address, scope]| Site {
            name: collapse_ws(&name),
            address: (!address.is_empty()).then(|| collapse_ws(&address)),
            scope: (!scope.is_empty()).then(|| collapse_ws(&scope)),
        })
        .collect();
    (!sites.is_empty()).then(|| Field { value: sites, confidence: 0.7, evidence: evidence.join("\n") })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Option<&str>) {
        assert_eq!(extract(&Doc::parse(text)).map(|f| f.value).as_deref(), expected, "{text:?}");
    }

    #[test]
    fn reads_the_scope() {
        let cases = [
            (
                "This certificate is valid for the following scope:\nWarehousing, contract logistics and\nroad freight forwarding\n\nPlace and date:",
                Some("Warehousing, contract logistics and road freight forwarding"),
            ),
            (
                "Der Geltungsbereich dieser Zulassung umfasst:\nEntwicklung und Support\n\nErstzulassung(en):\tISO 9001",
                Some("Entwicklung und Support"),
            ),
            (
                "mit dem Geltungsbereich\nGebäudereinigung und\nSicherheitsdienstleistungen\nein Business-Continuity-Managementsystem eingeführt hat",
                Some("Gebäudereinigung und Sicherheitsdienstleistungen"),
            ),
            (
                "Scope of certification\nDevelopment of EMS including SMT and THT\nassembly\nOriginal cycle start date:\t24.08.2025",
                Some("Development of EMS including SMT and THT assembly"),
            ),
            ("Geltungsbereich:\tHerstellung von Gussteilen\nZertifikatsnummer\t01 111 4513041", Some("Herstellung von Gussteilen")),
            ("[4]\tProduct:\nJunction box XJB-552\n[5]\tManufacturer:", Some("Junction box XJB-552")),
            ("Weitere Erläuterungen zum Geltungsbereich dieses Zertifikats sind erhältlich.", None),
        ];
        for (text, expected) in cases {
            check(text, expected);
        }
    }

    #[test]
    fn reads_annex_sites() {
        let text = "No.\tSite\tAddress\tActivities\n\
            1\tRedbridge Aero Components Ltd\tUnit 1, Riverside Park, Manchester M17\tHeadquarters and central\n\
            (Headquarters)\t1DY, United Kingdom\tfunctions\n\
            2\tFerrox AG – Werk\t1666 Technology Boulevard, Austin, TX 78744,\tService und Reparatur\n\
            Austin\tUSA\n\
            3\tFerrox AG (Hauptsitz)\tBahnhofstrasse 138, 6300 Zug, Schweiz\tZentrale Funktionen und\n\
            Verwaltung\n\nThis annex is valid only in conjunction with the certificate.";
        let got = sites(&Doc::parse(text)).map(|f| f.value).unwrap_or_default();
        let site = |n: &str, a: &str, s: &str| Site { name: n.into(), address: Some(a.into()), scope: Some(s.into()) };
        assert_eq!(
            got,
            vec![
                site(
                    "Redbridge Aero Components Ltd (Headquarters)",
                    "Unit 1, Riverside Park, Manchester M17 1DY, United Kingdom",
                    "Headquarters and central functions"
                ),
                site(
                    "Ferrox AG – Werk Austin",
                    "1666 Technology Boulevard, Austin, TX 78744, USA",
                    "Service und Reparatur"
                ),
                site(
                    "Ferrox AG (Hauptsitz)",
                    "Bahnhofstrasse 138, 6300 Zug, Schweiz",
                    "Zentrale Funktionen und Verwaltung"
                ),
            ]
        );
        assert_eq!(sites(&Doc::parse("No sites here")), None);
    }
}

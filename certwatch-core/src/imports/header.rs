//! Column headers: the fields an import fills, the header texts (aliases)
//! each is recognised by, and finding the header row under title rows.
//!
//! Headers are compared after folding: lower case, and spaces, `_`, `-`,
//! `.`, `/`, `#`, `:` and `*` removed — so `Supplier ID`, `supplier_id` and
//! `SUPPLIER-ID` are the same header.

use super::cell::RawRow;

/// A field an import column fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The tenant's own supplier reference; matches existing organizations.
    ExternalId,
    /// The organization's name (required for new organizations).
    Name,
    /// ISO 3166-1 alpha-2 country.
    Country,
    /// Homepage.
    Website,
    /// Legal Entity Identifier.
    Lei,
    /// VAT number.
    Vat,
    /// Certificate type (code or name of a seeded type).
    CertificateType,
    /// Certificate number.
    CertificateNumber,
    /// Certification body.
    IssuingBody,
    /// Date of issue.
    IssueDate,
    /// Last day of validity.
    ExpiryDate,
}

impl Field {
    /// Every field, in template column order.
    pub const ALL: [Field; 11] = [
        Field::ExternalId,
        Field::Name,
        Field::Country,
        Field::Website,
        Field::Lei,
        Field::Vat,
        Field::CertificateType,
        Field::CertificateNumber,
        Field::IssuingBody,
        Field::IssueDate,
        Field::ExpiryDate,
    ];

    /// The canonical header (the template's).
    pub fn header(self) -> &'static str {
        match self {
            Field::ExternalId => "external_id",
            Field::Name => "name",
            Field::Country => "country",
            Field::Website => "website",
            Field::Lei => "lei",
            Field::Vat => "vat",
            Field::CertificateType => "certificate_type",
            Field::CertificateNumber => "certificate_number",
            Field::IssuingBody => "issuing_body",
            Field::IssueDate => "issue_date",
            Field::ExpiryDate => "expiry_date",
        }
    }

    /// Every header text recognised for the field (folded, see
    /// [`fold_header`]), the canonical one first. Documented in the README.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::ExternalId => &[
                "externalid",
                "supplierid",
                "suppliernumber",
                "supplierno",
                "vendorid",
                "vendornumber",
                "vendorno",
                "erpid",
                "lieferantennummer",
                "lieferantennr",
                "lieferantenid",
                "kreditorennummer",
                "kreditornr",
            ],
            Field::Name => &[
                "name",
                "company",
                "companyname",
                "supplier",
                "suppliername",
                "organization",
                "organisation",
                "organizationname",
                "vendor",
                "vendorname",
                "firma",
                "firmenname",
                "lieferant",
                "lieferantenname",
            ],
            Field::Country => &["country", "countrycode", "land", "länderkennzeichen", "landcode"],
            Field::Website => &["website", "web", "url", "homepage", "webseite", "internetseite", "internet"],
            Field::Lei => &["lei", "leicode", "legalentityidentifier"],
            Field::Vat => &["vat", "vatid", "vatnumber", "vatno", "ustid", "ustidnr", "umsatzsteuerid"],
            Field::CertificateType => &[
                "certificatetype",
                "certtype",
                "type",
                "certificate",
                "standard",
                "zertifikat",
                "zertifikatstyp",
                "norm",
            ],
            Field::CertificateNumber => &[
                "certificatenumber",
                "certificateno",
                "certnumber",
                "certno",
                "registrationnumber",
                "zertifikatsnummer",
                "zertifikatnummer",
                "zertifikatsnr",
            ],
            Field::IssuingBody => &[
                "issuingbody",
                "issuer",
                "certificationbody",
                "certifier",
                "registrar",
                "zertifizierer",
                "zertifizierungsstelle",
            ],
            Field::IssueDate => {
                &["issuedate", "issued", "dateofissue", "validfrom", "ausstellungsdatum", "ausgestelltam", "gültigab"]
            }
            Field::ExpiryDate => &[
                "expirydate",
                "expiry",
                "expires",
                "expirationdate",
                "validuntil",
                "validto",
                "ablaufdatum",
                "gültigbis",
                "ablauf",
            ],
        }
    }

    /// The field a header text names, if any.
    pub fn from_header(text: &str) -> Option<Field> {
        let folded = fold_header(text);
        Field::ALL.into_iter().find(|f| f.aliases().contains(&folded.as_str()))
    }
}

/// A header folded for comparison: lower case without spaces and
/// punctuation that people vary.
pub fn fold_header(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.' | '/' | '#' | ':' | '*' | '(' | ')'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The recognised columns of a header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// `(field, column index, header text as written)`, first column of a
    /// field wins.
    pub fields: Vec<(Field, usize, String)>,
    /// Index in the row list of the header row.
    pub header_index: usize,
}

impl Columns {
    /// The column of `field`.
    pub fn index(&self, field: Field) -> Option<usize> {
        self.fields.iter().find(|(f, _, _)| *f == field).map(|(_, i, _)| *i)
    }
    /// How the file names `field`'s column (the canonical name if absent).
    pub fn label(&self, field: Field) -> String {
        self.fields
            .iter()
            .find(|(f, _, _)| *f == field)
            .map_or_else(|| field.header().to_owned(), |(_, _, h)| h.clone())
    }
    /// Whether any certificate column is present.
    pub fn has_certificates(&self) -> bool {
        self.index(Field::CertificateType).is_some()
    }
}

/// How many of the first rows are searched for the header.
pub const HEADER_SCAN_ROWS: usize = 25;

/// The recognised columns of one row.
fn columns_of(row: &RawRow) -> Vec<(Field, usize, String)> {
    let mut found: Vec<(Field, usize, String)> = Vec::new();
    for (i, c) in row.cells.iter().enumerate() {
        let Some(text) = c.text() else { continue };
        if let Some(f) = Field::from_header(&text) {
            if !found.iter().any(|(g, _, _)| *g == f) {
                found.push((f, i, text));
            }
        }
    }
    found
}

/// The header row among the first [`HEADER_SCAN_ROWS`] rows: the first row
/// naming the organization (a name or external id column) and at least one
/// more known column, or a lone name column. Title rows above it (merged or
/// not) don't match, because a header cell must be a whole alias.
pub fn find_header(rows: &[RawRow]) -> Option<Columns> {
    rows.iter().take(HEADER_SCAN_ROWS).enumerate().find_map(|(idx, row)| {
        let fields = columns_of(row);
        let keyed = fields.iter().any(|(f, _, _)| matches!(f, Field::Name | Field::ExternalId));
        let enough = fields.len() >= 2 || fields.iter().any(|(f, _, _)| *f == Field::Name);
        (keyed && enough).then_some(Columns { fields, header_index: idx })
    })
}

/// What a header must contain, for error messages.
pub fn expected_header() -> String {
    "\"name\" (or company, supplier, Firma, …) and optionally \"external_id\" (supplier id, Lieferantennummer, …), \
     country, website, lei, vat, certificate_type, certificate_number, issuing_body, issue_date, expiry_date"
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::super::cell::Cell;
    use super::*;

    fn row(n: u32, cells: &[&str]) -> RawRow {
        RawRow { number: n, cells: cells.iter().map(|c| Cell::Text((*c).to_owned())).collect() }
    }

    #[test]
    fn aliases_fold_case_and_spacing() {
        assert_eq!(Field::from_header(" Supplier ID "), Some(Field::ExternalId));
        assert_eq!(Field::from_header("LIEFERANTENNUMMER"), Some(Field::ExternalId));
        assert_eq!(Field::from_header("Firma"), Some(Field::Name));
        assert_eq!(Field::from_header("Land"), Some(Field::Country));
        assert_eq!(Field::from_header("Expiry-Date"), Some(Field::ExpiryDate));
        assert_eq!(Field::from_header("Gültig bis"), Some(Field::ExpiryDate));
        assert_eq!(Field::from_header("certificate_type"), Some(Field::CertificateType));
        assert_eq!(Field::from_header("Supplier list 2026"), None);
        for f in Field::ALL {
            assert_eq!(Field::from_header(f.header()), Some(f), "{f:?}");
            for a in f.aliases() {
                assert_eq!(Field::from_header(a), Some(f), "alias {a} is ambiguous");
            }
        }
    }

    #[test]
    fn header_is_found_under_title_rows() {
        let rows = vec![
            row(1, &["Supplier list", "", ""]),
            row(2, &["", "", ""]),
            row(3, &["Supplier ID", "Company", "Land"]),
            row(4, &["1", "ACME", "DE"]),
        ];
        let c = find_header(&rows).expect("header");
        assert_eq!(c.header_index, 2);
        assert_eq!(c.index(Field::Country), Some(2));
        assert_eq!(c.label(Field::ExternalId), "Supplier ID");
        assert!(find_header(&[row(1, &["foo", "bar"])]).is_none());
        assert!(find_header(&[row(1, &["country", "website"])]).is_none());
    }
}

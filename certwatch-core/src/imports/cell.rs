//! One parsed cell, whatever the file format, and the conversions the row
//! builder needs: text for identifiers (`12345.0` → `12345`) and dates from
//! Excel date cells, Excel serial numbers or common written forms.

use chrono::{Duration, NaiveDate, NaiveDateTime};

/// A cell of a spreadsheet row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing in it.
    Empty,
    /// Text (trimmed later).
    Text(String),
    /// A number (Excel stores every number as a double).
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A date cell (Excel date formats).
    Date(NaiveDate),
    /// A date-time cell.
    DateTime(NaiveDateTime),
}

/// One row of a sheet: its 1-based row number as the user sees it in the
/// file, and its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// Row number in the file (spreadsheet row, or CSV record + 1).
    pub number: u32,
    /// The cells, by column.
    pub cells: Vec<Cell>,
}

impl RawRow {
    /// Whether every cell is empty or blank text.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }
}

impl Cell {
    /// Empty, or text of only whitespace.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as trimmed text, `None` when blank. Whole numbers lose their
    /// `.0` (numeric ids typed into Excel), dates are ISO 8601.
    pub fn text(&self) -> Option<String> {
        match self {
            Cell::Empty => None,
            Cell::Text(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Cell::Number(n) => Some(number_text(*n)),
            Cell::Bool(b) => Some(b.to_string()),
            Cell::Date(d) => Some(d.to_string()),
            Cell::DateTime(d) => {
                Some(if d.time() == chrono::NaiveTime::MIN { d.date().to_string() } else { d.to_string() })
            }
        }
    }

    /// The cell as a date: date cells, Excel serial numbers, or text in
    /// `YYYY-MM-DD`, `DD.MM.YYYY`, `DD/MM/YYYY` (also with a time after it).
    /// `Ok(None)` when blank; `Err` with a message when not a date.
    pub fn date(&self) -> Result<Option<NaiveDate>, String> {
        match self {
            Cell::Empty => Ok(None),
            Cell::Date(d) => Ok(Some(*d)),
            Cell::DateTime(d) => Ok(Some(d.date())),
            Cell::Number(n) => excel_serial(*n).map(Some).ok_or_else(|| format!("{n} is not a date")),
            Cell::Bool(_) => Err("is not a date".into()),
            Cell::Text(s) => {
                let s = s.trim();
                if s.is_empty() {
                    return Ok(None);
                }
                parse_date_text(s).map(Some).ok_or_else(|| {
                    format!("{s:?} is not a date (use YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY, or a date cell)")
                })
            }
        }
    }
}

/// Whole numbers without a fraction (`12345.0` → `12345`); others as Rust
/// prints them (shortest round-trip form).
pub fn number_text(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// The date of an Excel serial number (1900 date system, days since
/// 1899-12-30, which absorbs Excel's fictitious 1900-02-29), for serials
/// between 1 (1900-01-01) and 2958465 (9999-12-31).
pub fn excel_serial(n: f64) -> Option<NaiveDate> {
    if !n.is_finite() || !(1.0..2_958_466.0).contains(&n) {
        return None;
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    base.checked_add_signed(Duration::days(n.floor() as i64))
}

fn parse_date_text(s: &str) -> Option<NaiveDate> {
    let day = s.split(['T', ' ']).next().unwrap_or(s);
    for f in ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(day, f) {
            return Some(d);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates() {
        assert_eq!(Cell::Number(12345.0).text().as_deref(), Some("12345"));
        assert_eq!(Cell::Number(1.5).text().as_deref(), Some("1.5"));
        assert_eq!(Cell::Text("  a ".into()).text().as_deref(), Some("a"));
        assert_eq!(Cell::Text("  ".into()).text(), None);
        let d = NaiveDate::from_ymd_opt(2027, 3, 31);
        assert_eq!(Cell::Number(46477.0).date(), Ok(d));
        assert_eq!(Cell::Text("31.03.2027".into()).date(), Ok(d));
        assert_eq!(Cell::Text("2027-03-31T00:00:00".into()).date(), Ok(d));
        assert_eq!(Cell::Text("31/03/2027".into()).date(), Ok(d));
        assert!(Cell::Text("soon".into()).date().is_err());
        assert!(Cell::Number(-3.0).date().is_err());
        assert_eq!(excel_serial(60.0), NaiveDate::from_ymd_opt(1900, 2, 28));
        assert_eq!(excel_serial(61.0), NaiveDate::from_ymd_opt(1900, 3, 1));
    }
}

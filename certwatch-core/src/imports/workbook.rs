//! `.xlsx` and `.xls` through calamine: the cells of a worksheet as
//! [`RawRow`]s with the row numbers Excel shows. Formula cells come out as
//! their cached values (what Excel last computed and saved); date cells as
//! dates; merged cells hold their value in the top-left cell only.

use std::io::Cursor;

use calamine::{Data, Reader};

use super::cell::{Cell, RawRow};
use super::error::ImportError;
use super::format::Format;

/// The most worksheets looked at for a header row.
const MAX_SHEETS: usize = 10;

fn cell(d: &Data) -> Cell {
    match d {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Float(f) => Cell::Number(*f),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => Cell::Date(t.date()),
            Some(t) => Cell::DateTime(t),
            None => Cell::Number(dt.as_f64()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
    }
}

fn rows_of(range: &calamine::Range<Data>, max_rows: usize) -> Result<Vec<RawRow>, ImportError> {
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    if range.height() > max_rows {
        return Err(ImportError::TooManyRows { limit: max_rows });
    }
    let pad = first_col as usize;
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, r)| {
            let mut cells = vec![Cell::Empty; pad];
            cells.extend(r.iter().map(cell));
            RawRow { number: first_row.saturating_add(i as u32).saturating_add(1), cells }
        })
        .collect())
}

/// The rows of the first worksheet (of at most ten) for which `has_header`
/// holds, else of the first worksheet.
pub fn read_workbook(
    bytes: &[u8],
    format: Format,
    max_rows: usize,
    has_header: impl Fn(&[RawRow]) -> bool,
) -> Result<Vec<RawRow>, ImportError> {
    let unreadable = |e: &dyn std::fmt::Display| ImportError::Unreadable(e.to_string());
    let mut sheets: calamine::Sheets<Cursor<&[u8]>> = match format {
        Format::Xlsx => calamine::Sheets::Xlsx(calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?),
        Format::Xls => calamine::Sheets::Xls(calamine::Xls::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?),
        Format::Csv => return Err(ImportError::Unreadable("CSV is not a workbook".into())),
    };
    let names: Vec<String> = sheets.sheet_names().into_iter().take(MAX_SHEETS).collect();
    let mut first = None;
    for name in names {
        let range = sheets.worksheet_range(&name).map_err(|e| unreadable(&e))?;
        let rows = rows_of(&range, max_rows)?;
        drop(range);
        if has_header(&rows) {
            return Ok(rows);
        }
        if first.is_none() {
            first = Some(rows);
        }
    }
    first.ok_or_else(|| ImportError::Unreadable("the workbook has no worksheet".into()))
}

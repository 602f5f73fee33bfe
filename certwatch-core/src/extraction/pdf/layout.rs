//! Turns the text spans of a page into lines of text in reading order:
//! spans whose baselines agree form a line (top to bottom), a line reads
//! left to right, words are joined with a space when there is a visible gap
//! and cells of a table or a label and its value with a tab when the gap is
//! wide; a blank line marks a wide vertical gap between blocks.

use super::interpret::Span;

/// A gap wider than this share of the font size is a word space.
const WORD_GAP_EM: f64 = 0.12;
/// A gap wider than this share of the font size separates columns (tab):
/// table cells may sit as close as two thirds of an em to each other, and
/// word spaces in one run of text are a quarter to a half.
const COLUMN_GAP_EM: f64 = 0.6;
/// Lines further apart than this many font sizes get a blank line between.
const BLOCK_GAP_EM: f64 = 2.2;

/// The text of one page.
pub(super) fn page_text(mut spans: Vec<Span>) -> String {
    spans.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x0.total_cmp(&b.x0)));
    let mut lines: Vec<(f64, f64, Vec<Span>)> = Vec::new();
    for span in spans {
        match lines.last_mut() {
            Some((y, size, line)) if (*y - span.y).abs() <= 0.4 * size.max(span.size).max(1.0) => {
                *size = size.max(span.size);
                line.push(span);
            }
            _ => lines.push((span.y, span.size, vec![span])),
        }
    }

    let mut out = String::new();
    let mut previous: Option<(f64, f64)> = None;
    for (y, size, mut line) in lines {
        line.sort_by(|a, b| a.x0.total_cmp(&b.x0));
        if let Some((py, psize)) = previous {
            out.push('\n');
            if py - y > BLOCK_GAP_EM * psize.max(size).max(1.0) {
                out.push('\n');
            }
        }
        previous = Some((y, size));
        join_line(&line, &mut out);
    }
    out
}

fn join_line(line: &[Span], out: &mut String) {
    let mut prev: Option<&Span> = None;
    for span in line {
        if let Some(p) = prev {
            // Text drawn twice at the same place (fake bold) reads once.
            if p.text == span.text && (p.x0 - span.x0).abs() < 0.5 * span.size.max(1.0) {
                continue;
            }
            let em = p.size.max(span.size).max(1.0);
            let gap = span.x0 - p.x1;
            let spaced = p.text.ends_with(' ') || span.text.starts_with(' ');
            if gap > COLUMN_GAP_EM * em {
                trim_end_spaces(out);
                out.push('\t');
                out.push_str(span.text.trim_start());
                prev = Some(span);
                continue;
            }
            if !spaced && (gap > WORD_GAP_EM * em || gap < -0.5 * em) {
                out.push(' ');
            }
            out.push_str(&span.text);
        } else {
            out.push_str(span.text.trim_start());
        }
        prev = Some(span);
    }
    trim_end_spaces(out);
}

fn trim_end_spaces(out: &mut String) {
    let trimmed = out.trim_end_matches(' ').len();
    out.truncate(trimmed);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(text: &str, x0: f64, x1: f64, y: f64) -> Span {
        Span { x0, x1, y, size: 10.0, text: text.to_string() }
    }

    fn check(spans: Vec<Span>, expected: &str) {
        assert_eq!(page_text(spans), expected);
    }

    #[test]
    fn lays_out_lines_words_and_columns() {
        check(vec![span("World", 33.0, 63.0, 700.0), span("Hello", 0.0, 30.0, 700.5)], "Hello World");
        check(vec![span("Hel", 0.0, 18.0, 700.0), span("lo", 18.2, 30.0, 700.0)], "Hello");
        check(vec![span("Label:", 0.0, 30.0, 700.0), span("Value", 140.0, 170.0, 700.0)], "Label:\tValue");
        check(vec![span("second", 0.0, 30.0, 688.0), span("first", 0.0, 30.0, 700.0)], "first\nsecond");
        check(vec![span("far", 0.0, 30.0, 600.0), span("top", 0.0, 30.0, 700.0)], "top\n\nfar");
        check(vec![span("Bold", 0.0, 20.0, 700.0), span("Bold", 0.3, 20.3, 700.0)], "Bold");
        check(vec![span("a ", 0.0, 10.0, 700.0), span("b", 13.0, 20.0, 700.0)], "a b");
        check(Vec::new(), "");
    }
}

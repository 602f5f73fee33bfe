//! Runs a page's content stream far enough to know what text it shows and
//! where: the graphics-state stack (`q`, `Q`, `cm`), the text state (`Tf`,
//! `Tc`, `Tw`, `Tz`, `TL`, `Ts`), text positioning (`BT`, `Td`, `TD`, `Tm`,
//! `T*`), text showing (`Tj`, `TJ`, `'`, `"`) and form XObjects (`Do`).
//! Everything else is counted against the operator budget and skipped.

use std::collections::HashMap;
use std::rc::Rc;

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::budget::Budget;
use super::fonts::Font;
use super::lexer::{Lexer, Token};
use crate::extraction::ExtractionError;

/// A piece of text at one position, in page space.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Span {
    /// Where the text starts and (estimated from glyph widths) ends.
    pub(super) x0: f64,
    pub(super) x1: f64,
    /// Baseline.
    pub(super) y: f64,
    /// Font size in page space.
    pub(super) size: f64,
    pub(super) text: String,
}

/// Forms nested in forms beyond this depth are not entered.
const MAX_FORM_DEPTH: usize = 8;
/// Saved graphics states beyond this depth are not kept (`q` bombs).
const MAX_STACK: usize = 64;
/// Operands kept before an operator; more are dropped.
const MAX_OPERANDS: usize = 64;
/// Elements kept in one array operand.
const MAX_ARRAY: usize = 4096;

type Matrix = [f64; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `a × b` in PDF's row-vector convention (apply `a`, then `b`).
fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])
}

fn translate(tx: f64, ty: f64) -> Matrix {
    [1.0, 0.0, 0.0, 1.0, tx, ty]
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Number(f64),
    Str(Vec<u8>),
    Name(Vec<u8>),
    Array(Vec<Operand>),
    Other,
}

#[derive(Clone)]
struct GState {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f64,
    char_spacing: f64,
    word_spacing: f64,
    h_scale: f64,
    leading: f64,
    rise: f64,
}

impl GState {
    fn new(ctm: Matrix) -> Self {
        Self { ctm, font: None, size: 0.0, char_spacing: 0.0, word_spacing: 0.0, h_scale: 1.0, leading: 0.0, rise: 0.0 }
    }
}

/// Resource dictionaries in lookup order: the nearest first.
pub(super) type Resources<'d> = Vec<&'d Dictionary>;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum FontKey {
    Object(ObjectId),
    Inline(usize),
}

/// Fonts of one document, loaded once.
#[derive(Default)]
pub(super) struct FontCache(HashMap<FontKey, Rc<Font>>);

/// Collects the text spans of one page.
pub(super) struct Interpreter<'d, 'b> {
    doc: &'d Document,
    budget: &'b mut Budget,
    fonts: &'b mut FontCache,
    fallback_font: Rc<Font>,
    spans: Vec<Span>,
    forms: Vec<ObjectId>,
}

fn number(o: Option<&Operand>) -> f64 {
    match o {
        Some(Operand::Number(v)) => *v,
        _ => 0.0,
    }
}

fn numbers<const N: usize>(ops: &[Operand]) -> Option<[f64; N]> {
    if ops.len() < N {
        return None;
    }
    let tail = &ops[ops.len() - N..];
    let mut out = [0.0; N];
    for (slot, op) in out.iter_mut().zip(tail) {
        match op {
            Operand::Number(v) => *slot = *v,
            _ => return None,
        }
    }
    Some(out)
}

fn lookup<'d>(doc: &'d Document, resources: &Resources<'d>, category: &[u8], name: &[u8]) -> Option<&'d Object> {
    resources.iter().find_map(|res| {
        let cat = res.get(category).ok().map(|o| doc.dereference(o).map_or(o, |(_, o)| o))?;
        cat.as_dict().ok()?.get(name).ok()
    })
}

impl<'d, 'b> Interpreter<'d, 'b> {
    pub(super) fn new(doc: &'d Document, budget: &'b mut Budget, fonts: &'b mut FontCache) -> Self {
        Self { doc, budget, fonts, fallback_font: Rc::new(Font::fallback()), spans: Vec::new(), forms: Vec::new() }
    }

    /// The spans collected so far.
    pub(super) fn into_spans(self) -> Vec<Span> {
        self.spans
    }

    /// Runs `content` with `resources` under `ctm`.
    pub(super) fn run(
        &mut self,
        content: &[u8],
        resources: &Resources<'d>,
        ctm: Matrix,
    ) -> Result<(), ExtractionError> {
        let mut gs = GState::new(ctm);
        let mut stack: Vec<GState> = Vec::new();
        let mut dropped_saves = 0usize;
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        let mut operands: Vec<Operand> = Vec::new();
        let mut lexer = Lexer::new(content);

        while let Some(token) = lexer.next() {
            let op = match token {
                Token::Number(v) => Operand::Number(v),
                Token::Str(s) => Operand::Str(s),
                Token::Name(n) => Operand::Name(n.to_vec()),
                Token::ArrayStart => Self::array(&mut lexer),
                Token::DictStart => {
                    Self::skip_dict(&mut lexer);
                    Operand::Other
                }
                Token::ArrayEnd | Token::DictEnd => continue,
                Token::Keyword(k) => {
                    self.budget.operator()?;
                    match k {
                        b"q" => {
                            if stack.len() < MAX_STACK {
                                stack.push(gs.clone());
                            } else {
                                dropped_saves += 1;
                            }
                        }
                        b"Q" => {
                            if dropped_saves > 0 {
                                dropped_saves -= 1;
                            } else if let Some(saved) = stack.pop() {
                                gs = saved;
                            }
                        }
                        b"cm" => {
                            if let Some(m) = numbers::<6>(&operands) {
                                gs.ctm = mul(&m, &gs.ctm);
                            }
                        }
                        b"BT" => {
                            tm = IDENTITY;
                            tlm = IDENTITY;
                        }
                        b"Tf" => {
                            gs.size = number(operands.last());
                            if let Some(Operand::Name(name)) = operands.iter().rev().nth(1) {
                                gs.font = self.font(resources, name)?;
                            }
                        }
                        b"Tc" => gs.char_spacing = number(operands.last()),
                        b"Tw" => gs.word_spacing = number(operands.last()),
                        b"Tz" => gs.h_scale = number(operands.last()) / 100.0,
                        b"TL" => gs.leading = number(operands.last()),
                        b"Ts" => gs.rise = number(operands.last()),
                        b"Td" | b"TD" => {
                            if let Some([tx, ty]) = numbers::<2>(&operands) {
                                if k == b"TD" {
                                    gs.leading = -ty;
                                }
                                tlm = mul(&translate(tx, ty), &tlm);
                                tm = tlm;
                            }
                        }
                        b"Tm" => {
                            if let Some(m) = numbers::<6>(&operands) {
                                tlm = m;
                                tm = m;
                            }
                        }
                        b"T*" => {
                            tlm = mul(&translate(0.0, -gs.leading), &tlm);
                            tm = tlm;
                        }
                        b"Tj" | b"'" | b"\"" => {
                            if k != b"Tj" {
                                if k == b"\"" {
                                    if let Some([aw, ac]) = numbers::<2>(&operands[..operands.len().saturating_sub(1)])
                                    {
                                        gs.word_spacing = aw;
                                        gs.char_spacing = ac;
                                    }
                                }
                                tlm = mul(&translate(0.0, -gs.leading), &tlm);
                                tm = tlm;
                            }
                            if let Some(Operand::Str(s)) = operands.last() {
                                self.show(&gs, &mut tm, s)?;
                            }
                        }
                        b"TJ" => {
                            if let Some(Operand::Array(items)) = operands.last() {
                                for item in items {
                                    match item {
                                        Operand::Str(s) => self.show(&gs, &mut tm, s)?,
                                        Operand::Number(n) => {
                                            let tx = -n / 1000.0 * gs.size * gs.h_scale;
                                            tm = mul(&translate(tx, 0.0), &tm);
                                        }
                                        _ => {}
                                    }
                                }
                            }
                        }
                        b"Do" => {
                            if let Some(Operand::Name(name)) = operands.last() {
                                self.form(resources, name, &gs.ctm)?;
                            }
                        }
                        b"BI" => Self::skip_inline_image(&mut lexer),
                        _ => {}
                    }
                    operands.clear();
                    continue;
                }
            };
            if operands.len() < MAX_OPERANDS {
                operands.push(op);
            }
        }
        Ok(())
    }

    fn array(lexer: &mut Lexer<'_>) -> Operand {
        let mut items = Vec::new();
        let mut depth = 0usize;
        for token in lexer.by_ref() {
            match token {
                Token::ArrayEnd if depth == 0 => break,
                Token::ArrayEnd => depth -= 1,
                Token::ArrayStart => depth += 1,
                Token::Number(v) if depth == 0 && items.len() < MAX_ARRAY => items.push(Operand::Number(v)),
                Token::Str(s) if depth == 0 && items.len() < MAX_ARRAY => items.push(Operand::Str(s)),
                // An operator inside an array means the array was never closed.
                Token::Keyword(_) => break,
                _ => {}
            }
        }
        Operand::Array(items)
    }

    fn skip_dict(lexer: &mut Lexer<'_>) {
        let mut depth = 0usize;
        for token in lexer.by_ref() {
            match token {
                Token::DictEnd if depth == 0 => break,
                Token::DictEnd => depth -= 1,
                Token::DictStart => depth += 1,
                Token::Keyword(_) => break,
                _ => {}
            }
        }
    }

    /// Skips `BI … ID <binary data> EI`.
    fn skip_inline_image(lexer: &mut Lexer<'_>) {
        for token in lexer.by_ref() {
            if token == Token::Keyword(b"ID") {
                break;
            }
        }
        let rest = lexer.rest();
        // The data ends at the first "EI" between white space.
        let mut end = rest.len();
        let mut i = 1;
        while i + 1 < rest.len() {
            if &rest[i..i + 2] == b"EI"
                && super::lexer::is_whitespace(rest[i - 1])
                && rest.get(i + 2).is_none_or(|b| super::lexer::is_whitespace(*b))
            {
                end = i + 2;
                break;
            }
            i += 1;
        }
        lexer.advance(end);
    }

    fn font(&mut self, resources: &Resources<'d>, name: &[u8]) -> Result<Option<Rc<Font>>, ExtractionError> {
        let Some(obj) = lookup(self.doc, resources, b"Font", name) else { return Ok(None) };
        let (id, obj) = self.doc.dereference(obj).unwrap_or((None, obj));
        let Ok(dict) = obj.as_dict() else { return Ok(None) };
        let key = id.map_or(FontKey::Inline(dict as *const Dictionary as usize), FontKey::Object);
        if let Some(font) = self.fonts.0.get(&key) {
            return Ok(Some(font.clone()));
        }
        let font = Rc::new(Font::load(self.doc, dict, self.budget)?);
        self.fonts.0.insert(key, font.clone());
        Ok(Some(font))
    }

    fn show(&mut self, gs: &GState, tm: &mut Matrix, bytes: &[u8]) -> Result<(), ExtractionError> {
        let font = gs.font.clone().unwrap_or_else(|| self.fallback_font.clone());
        let size = if gs.size == 0.0 { 1.0 } else { gs.size };
        let start = *tm;
        let mut text = String::new();
        let mut advance = 0.0f64;
        font.show(bytes, &mut text, |w, is_space| {
            let spacing = gs.char_spacing + if is_space { gs.word_spacing } else { 0.0 };
            advance += (f64::from(w) / 1000.0 * size + spacing) * gs.h_scale;
        });
        *tm = mul(&translate(advance, 0.0), tm);

        let text: String =
            text.chars().map(|c| if c == '\u{a0}' { ' ' } else { c }).filter(|c| !c.is_control()).collect();
        if text.trim().is_empty() {
            return Ok(());
        }
        self.budget.chars(text.chars().count())?;
        let page = mul(&start, &gs.ctm);
        let (x0, y) = apply(&page, 0.0, gs.rise);
        let (x1, _) = apply(&page, advance, gs.rise);
        let scale = (page[0] * page[3] - page[1] * page[2]).abs().sqrt();
        let span_size = (size * scale).abs();
        if ![x0, x1, y, span_size].iter().all(|v| v.is_finite()) {
            return Ok(());
        }
        self.spans.push(Span { x0: x0.min(x1), x1: x0.max(x1), y, size: span_size, text });
        Ok(())
    }

    fn form(&mut self, resources: &Resources<'d>, name: &[u8], ctm: &Matrix) -> Result<(), ExtractionError> {
        if self.forms.len() >= MAX_FORM_DEPTH {
            return Ok(());
        }
        let Some(obj) = lookup(self.doc, resources, b"XObject", name) else { return Ok(()) };
        let Ok((Some(id), obj)) = self.doc.dereference(obj) else { return Ok(()) };
        if self.forms.contains(&id) {
            return Ok(());
        }
        let Ok(stream) = obj.as_stream() else { return Ok(()) };
        if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form") {
            return Ok(());
        }
        let content = self.budget.decode(stream)?;
        let matrix = stream
            .dict
            .get(b"Matrix")
            .and_then(Object::as_array)
            .ok()
            .and_then(|a| {
                let v: Vec<f64> = a.iter().filter_map(|o| o.as_float().ok()).map(f64::from).collect();
                <[f64; 6]>::try_from(v).ok()
            })
            .unwrap_or(IDENTITY);
        let mut form_resources = resources.clone();
        if let Some(own) = stream
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|o| self.doc.dereference(o).ok())
            .and_then(|(_, o)| o.as_dict().ok())
        {
            form_resources.insert(0, own);
        }
        self.forms.push(id);
        let result = self.run(&content, &form_resources, mul(&matrix, ctm));
        self.forms.pop();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extraction::pdf::PdfLimits;

    fn spans(content: &[u8]) -> Vec<Span> {
        let doc = Document::with_version("1.4");
        let mut budget = Budget::new(&PdfLimits::default());
        let mut fonts = FontCache::default();
        let mut interp = Interpreter::new(&doc, &mut budget, &mut fonts);
        interp.run(content, &Vec::new(), IDENTITY).expect("run");
        interp.into_spans()
    }

    fn check(content: &[u8], expected: &[(&str, f64, f64)]) {
        let got: Vec<(String, f64, f64)> =
            spans(content).into_iter().map(|s| (s.text, s.x0.round(), s.y.round())).collect();
        let want: Vec<(String, f64, f64)> = expected.iter().map(|(t, x, y)| ((*t).to_string(), *x, *y)).collect();
        assert_eq!(got, want, "content {:?}", String::from_utf8_lossy(content));
    }

    #[test]
    fn positions_text() {
        check(b"BT 1 0 0 1 50 700 Tm /F1 10 Tf (Hello) Tj ET", &[("Hello", 50.0, 700.0)]);
        check(
            b"q 1 0 0 1 50 600 cm BT 1 0 0 1 0 2 Tm (A) Tj ET Q BT (B) Tj ET",
            &[("A", 50.0, 602.0), ("B", 0.0, 0.0)],
        );
        check(
            b"BT 10 20 Td 12 TL (a) Tj T* (b) Tj 0 -5 TD (c) ' ET",
            &[("a", 10.0, 20.0), ("b", 10.0, 8.0), ("c", 10.0, -2.0)],
        );
        check(b"BT 100 100 Td 1 2 10 (x) \" ET", &[("x", 100.0, 100.0)]);
        // Helvetica 'A' at 10 pt is 6.67 wide; -1000 moves another em.
        check(b"BT /F9 10 Tf [(A) -1000 (B)] TJ ET", &[("A", 0.0, 0.0), ("B", 17.0, 0.0)]);
        check(b"BT 5 5 Td BI /W 1 /H 1 ID \x00EI\xff EI (after) Tj ET", &[("after", 5.0, 5.0)]);
        check(b"BT (a\\240b) Tj ( ) Tj ET", &[("a b", 0.0, 0.0)]);
    }

    #[test]
    fn survives_unbalanced_and_garbage() {
        let inputs: [&[u8]; 6] = [
            b"Q Q Q ET ET",
            b"[ [ [ (x) TJ",
            b"<< << /a (b) Tj",
            b"q q q q cm cm Tm Td",
            b"BI ID",
            b"1 0 0 1 nan inf cm (z) Tj",
        ];
        for input in inputs {
            let _ = spans(input);
        }
        let bomb = b"q ".repeat(10_000);
        assert!(spans(&bomb).is_empty());
    }
}

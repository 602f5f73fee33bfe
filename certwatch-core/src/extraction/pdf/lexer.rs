//! Tokens of PDF content streams and CMaps (ISO 32000-1, 7.2 and 7.8.2):
//! numbers, strings, names, array and dictionary brackets and operator
//! keywords. Lenient: damaged input yields odd tokens, never a panic, and
//! every call consumes at least one byte, so a pass over `n` bytes takes at
//! most `n` steps.

/// One token. Strings are decoded (escapes, hex) into owned bytes.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token<'a> {
    Number(f64),
    Str(Vec<u8>),
    Name(&'a [u8]),
    ArrayStart,
    ArrayEnd,
    DictStart,
    DictEnd,
    Keyword(&'a [u8]),
}

pub(super) struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
}

pub(super) fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c | 0)
}

fn is_delimiter(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

fn is_regular(b: u8) -> bool {
    !is_whitespace(b) && !is_delimiter(b)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl<'a> Lexer<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// The bytes not read yet.
    pub(super) fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    /// Skips `n` bytes (used to step over inline image data).
    pub(super) fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.data.len());
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn skip_whitespace_and_comments(&mut self) {
        while let Some(b) = self.peek() {
            if is_whitespace(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn regular_run(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(is_regular) {
            self.pos += 1;
        }
        &self.data[start..self.pos]
    }

    fn literal_string(&mut self) -> Vec<u8> {
        // The opening parenthesis is consumed by the caller.
        let mut out = Vec::new();
        let mut depth = 1usize;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return out;
                    }
                    out.push(b);
                }
                b'\\' => {
                    let Some(e) = self.peek() else { break };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
        out
    }

    fn hex_string(&mut self) -> Vec<u8> {
        // The opening angle bracket is consumed by the caller.
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(b) = self.peek() {
            self.pos += 1;
            if b == b'>' {
                break;
            }
            if let Some(v) = hex_value(b) {
                match high.take() {
                    Some(h) => out.push(h << 4 | v),
                    None => high = Some(v),
                }
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        out
    }

    fn number(run: &[u8]) -> Option<f64> {
        let first = *run.first()?;
        if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
            return None;
        }
        let s = std::str::from_utf8(run).ok()?;
        if let Ok(v) = s.parse::<f64>() {
            return v.is_finite().then_some(v);
        }
        // Lenient: "--5", "1.2.3", "5-" parse as the longest valid prefix, or 0.
        let trimmed = s.trim_start_matches(['+', '-']);
        let negative = s.len() - trimmed.len() > 0 && s.starts_with('-');
        let mut end = 0;
        let mut seen_dot = false;
        for (i, c) in trimmed.char_indices() {
            if c.is_ascii_digit() || (c == '.' && !seen_dot) {
                seen_dot |= c == '.';
                end = i + 1;
            } else {
                break;
            }
        }
        let v = trimmed[..end].parse::<f64>().unwrap_or(0.0);
        Some(if negative { -v } else { v })
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            self.skip_whitespace_and_comments();
            let b = self.peek()?;
            match b {
                b'(' => {
                    self.pos += 1;
                    return Some(Token::Str(self.literal_string()));
                }
                b'<' => {
                    self.pos += 1;
                    if self.peek() == Some(b'<') {
                        self.pos += 1;
                        return Some(Token::DictStart);
                    }
                    return Some(Token::Str(self.hex_string()));
                }
                b'>' => {
                    self.pos += 1;
                    if self.peek() == Some(b'>') {
                        self.pos += 1;
                        return Some(Token::DictEnd);
                    }
                    // A stray '>' carries nothing; skip it.
                }
                b'[' => {
                    self.pos += 1;
                    return Some(Token::ArrayStart);
                }
                b']' => {
                    self.pos += 1;
                    return Some(Token::ArrayEnd);
                }
                b'/' => {
                    self.pos += 1;
                    return Some(Token::Name(self.regular_run()));
                }
                b')' | b'{' | b'}' => {
                    // Stray closing parenthesis or PostScript braces: skip.
                    self.pos += 1;
                }
                _ => {
                    let run = self.regular_run();
                    if run.is_empty() {
                        self.pos += 1;
                        continue;
                    }
                    return Some(match Self::number(run) {
                        Some(v) => Token::Number(v),
                        None => Token::Keyword(run),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(input: &[u8]) -> Vec<Token<'_>> {
        Lexer::new(input).collect()
    }

    #[test]
    fn lexes_the_token_kinds() {
        let cases: Vec<(&[u8], Vec<Token<'_>>)> = vec![
            (
                b"12 -3.5 .5 Td",
                vec![Token::Number(12.0), Token::Number(-3.5), Token::Number(0.5), Token::Keyword(b"Td")],
            ),
            (b"(a\\(b\\)c) Tj", vec![Token::Str(b"a(b)c".to_vec()), Token::Keyword(b"Tj")]),
            (b"(nested (paren) ok)", vec![Token::Str(b"nested (paren) ok".to_vec())]),
            (b"(W\\374rzburg \\226 x)", vec![Token::Str(b"W\xfcrzburg \x96 x".to_vec())]),
            (b"<48 65 6c6c 6F>", vec![Token::Str(b"Hello".to_vec())]),
            (b"<4>", vec![Token::Str(vec![0x40])]),
            (b"/F1 9 Tf", vec![Token::Name(b"F1"), Token::Number(9.0), Token::Keyword(b"Tf")]),
            (
                b"[(A) -250 (B)] TJ",
                vec![
                    Token::ArrayStart,
                    Token::Str(b"A".to_vec()),
                    Token::Number(-250.0),
                    Token::Str(b"B".to_vec()),
                    Token::ArrayEnd,
                    Token::Keyword(b"TJ"),
                ],
            ),
            (
                b"<< /MCID 0 >> BDC",
                vec![
                    Token::DictStart,
                    Token::Name(b"MCID"),
                    Token::Number(0.0),
                    Token::DictEnd,
                    Token::Keyword(b"BDC"),
                ],
            ),
            (b"% comment\nT*", vec![Token::Keyword(b"T*")]),
            (b"--5 1.2.3", vec![Token::Number(-5.0), Token::Number(1.2)]),
            (b"(unterminated", vec![Token::Str(b"unterminated".to_vec())]),
            (b"' \"", vec![Token::Keyword(b"'"), Token::Keyword(b"\"")]),
        ];
        for (input, expected) in cases {
            assert_eq!(tokens(input), expected, "input {:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn stray_delimiters_are_skipped() {
        assert_eq!(tokens(b") } { > Tj"), vec![Token::Keyword(b"Tj")]);
    }
}

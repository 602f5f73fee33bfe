//! Glyph widths of the standard 14 fonts, which PDFs may use without a
//! `/Widths` array. Only used to estimate where a piece of text ends (to
//! tell words and columns apart), so printable ASCII is exact for Helvetica
//! and Times and everything else is approximated by its base letter.

/// Helvetica, codes 32..=126, in 1/1000 em.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '..'/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // '0'..'?'
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // '@'..'O'
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 'P'..'_'
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // '`'..'o'
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 'p'..'~'
];

/// Helvetica-Bold, codes 32..=126.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, //
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, //
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, //
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, //
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, //
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, //
];

/// Times-Roman, codes 32..=126 (used for every Times style).
const TIMES: [u16; 95] = [
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, //
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, //
    921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722, //
    556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500, //
    333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500, //
    500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541, //
];

/// Which standard font a `/BaseFont` name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StdFont {
    Helvetica,
    HelveticaBold,
    Times,
    Courier,
    Other,
}

impl StdFont {
    /// Recognises the standard 14 names and their common aliases (Arial).
    pub(super) fn from_base_font(name: &str) -> Self {
        let name = name.split_once('+').map_or(name, |(_, rest)| rest).to_ascii_lowercase();
        let bold = name.contains("bold") || name.contains("black") || name.contains("heavy");
        if name.starts_with("courier") {
            Self::Courier
        } else if name.starts_with("times") {
            Self::Times
        } else if name.starts_with("helvetica") || name.starts_with("arial") {
            if bold {
                Self::HelveticaBold
            } else {
                Self::Helvetica
            }
        } else {
            Self::Other
        }
    }

    /// The width of `c` in 1/1000 em.
    pub(super) fn width(self, c: char) -> f32 {
        let table = match self {
            Self::Courier => return 600.0,
            Self::Helvetica | Self::Other => &HELVETICA,
            Self::HelveticaBold => &HELVETICA_BOLD,
            Self::Times => &TIMES,
        };
        let c = base_letter(c);
        match u32::from(c) {
            code @ 32..=126 => f32::from(table[(code - 32) as usize]),
            0xa0 => f32::from(table[0]),
            0xdf => 611.0,
            0x2013 | 0x2212 => 556.0,
            0x2014 | 0x2026 => 1000.0,
            0x2018..=0x201a => 222.0,
            0x201c..=0x201e => 333.0,
            0x2022 => 350.0,
            _ => 556.0,
        }
    }
}

/// The unaccented letter of a Latin-1 accented letter (for its width).
fn base_letter(c: char) -> char {
    match c {
        'À'..='Å' => 'A',
        'Ç' => 'C',
        'È'..='Ë' => 'E',
        'Ì'..='Ï' => 'I',
        'Ñ' => 'N',
        'Ò'..='Ö' | 'Ø' => 'O',
        'Ù'..='Ü' => 'U',
        'Ý' => 'Y',
        'à'..='å' => 'a',
        'ç' => 'c',
        'è'..='ë' => 'e',
        'ì'..='ï' => 'i',
        'ñ' => 'n',
        'ò'..='ö' | 'ø' => 'o',
        'ù'..='ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_of_standard_fonts() {
        let cases = [
            (StdFont::from_base_font("Helvetica"), 'A', 667.0),
            (StdFont::from_base_font("Helvetica-Bold"), 'b', 611.0),
            (StdFont::from_base_font("ABCDEF+Arial-BoldMT"), 'i', 278.0),
            (StdFont::from_base_font("Times-Roman"), ' ', 250.0),
            (StdFont::from_base_font("Courier-Oblique"), 'W', 600.0),
            (StdFont::from_base_font("Helvetica"), 'ü', 556.0),
            (StdFont::from_base_font("Helvetica"), '~', 584.0),
            (StdFont::from_base_font("Lato-Regular"), '漢', 556.0),
        ];
        for (font, c, expected) in cases {
            assert_eq!(font.width(c), expected, "{font:?} {c}");
        }
    }
}

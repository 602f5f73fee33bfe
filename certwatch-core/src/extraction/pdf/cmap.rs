//! CMaps: the `ToUnicode` map of a font (character code → Unicode text,
//! `bfchar`/`bfrange`) and the code-space ranges that say how many bytes a
//! character code of a composite font takes (ISO 32000-1, 9.7.5 and 9.10.3).
//! Ranges are kept as ranges, never expanded, so a hostile map costs memory
//! in proportion to its own size only.

use std::collections::HashMap;

use super::lexer::{Lexer, Token};

/// Entries kept from one CMap; the rest is ignored.
const MAX_ENTRIES: usize = 100_000;
/// Code-space ranges kept (real CMaps declare a handful).
const MAX_CODESPACE: usize = 64;
/// Overlapping ranges looked at before a lookup gives up.
const MAX_OVERLAP: usize = 8;

/// One code-space range: codes of `len` bytes whose every byte lies between
/// the bytes of `low` and `high`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CodeSpace {
    len: u8,
    low: [u8; 4],
    high: [u8; 4],
}

#[derive(Debug, Clone)]
struct Range {
    len: u8,
    low: u32,
    high: u32,
    /// UTF-16 of the text of `low`; later codes increment its last unit.
    base: Vec<u16>,
}

/// A parsed CMap.
#[derive(Debug, Clone, Default)]
pub(super) struct CMap {
    codespace: Vec<CodeSpace>,
    singles: HashMap<(u8, u32), String>,
    ranges: Vec<Range>,
}

fn code_of(bytes: &[u8]) -> Option<(u8, u32)> {
    if bytes.is_empty() || bytes.len() > 4 {
        return None;
    }
    let code = bytes.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b));
    Some((bytes.len() as u8, code))
}

fn utf16_units(bytes: &[u8]) -> Vec<u16> {
    bytes.chunks(2).map(|c| u16::from(c[0]) << 8 | u16::from(c.get(1).copied().unwrap_or(0))).collect()
}

fn units_to_string(units: &[u16]) -> String {
    char::decode_utf16(units.iter().copied()).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    CodeSpace,
    BfChar,
    BfRange,
}

impl CMap {
    /// Parses the CMap program in `data`. Never fails: what cannot be
    /// understood is skipped.
    pub(super) fn parse(data: &[u8]) -> Self {
        let mut map = Self::default();
        let mut section = Section::None;
        let mut operands: Vec<Vec<u8>> = Vec::new();
        let mut array: Option<Vec<Vec<u8>>> = None;
        let mut entries = 0usize;

        for token in Lexer::new(data) {
            match token {
                Token::Keyword(k) => {
                    section = match k {
                        b"begincodespacerange" => Section::CodeSpace,
                        b"beginbfchar" => Section::BfChar,
                        b"beginbfrange" => Section::BfRange,
                        b"endcodespacerange" | b"endbfchar" | b"endbfrange" => Section::None,
                        _ => section,
                    };
                    operands.clear();
                    array = None;
                }
                Token::Str(s) if section != Section::None => {
                    if let Some(a) = array.as_mut() {
                        if a.len() < 65_536 {
                            a.push(s);
                        }
                        continue;
                    }
                    operands.push(s);
                    if entries >= MAX_ENTRIES {
                        operands.clear();
                        continue;
                    }
                    match section {
                        Section::CodeSpace if operands.len() == 2 => {
                            map.add_codespace(&operands[0], &operands[1]);
                            entries += 1;
                            operands.clear();
                        }
                        Section::BfChar if operands.len() == 2 => {
                            if let Some(key) = code_of(&operands[0]) {
                                map.singles.insert(key, units_to_string(&utf16_units(&operands[1])));
                                entries += 1;
                            }
                            operands.clear();
                        }
                        Section::BfRange if operands.len() == 3 => {
                            map.add_range(&operands[0], &operands[1], &operands[2]);
                            entries += 1;
                            operands.clear();
                        }
                        _ => {}
                    }
                }
                Token::ArrayStart if section == Section::BfRange && operands.len() == 2 => {
                    array = Some(Vec::new());
                }
                Token::ArrayEnd => {
                    if let Some(targets) = array.take() {
                        if operands.len() == 2 {
                            entries += map.add_range_array(&operands[0], &operands[1], &targets);
                        }
                        operands.clear();
                    }
                }
                Token::Name(_) if section == Section::BfChar && operands.len() == 1 => {
                    // A glyph name as target: rare, skip the pair.
                    operands.clear();
                }
                _ => {}
            }
        }
        // Sorted, so a lookup is a binary search however many ranges there are.
        map.ranges.sort_by_key(|r| (r.len, r.low));
        map
    }

    fn add_codespace(&mut self, low: &[u8], high: &[u8]) {
        if low.is_empty() || low.len() > 4 || low.len() != high.len() || self.codespace.len() >= MAX_CODESPACE {
            return;
        }
        let mut l = [0u8; 4];
        let mut h = [0u8; 4];
        l[..low.len()].copy_from_slice(low);
        h[..high.len()].copy_from_slice(high);
        self.codespace.push(CodeSpace { len: low.len() as u8, low: l, high: h });
    }

    fn add_range(&mut self, low: &[u8], high: &[u8], target: &[u8]) {
        let (Some((len, lo)), Some((hlen, hi))) = (code_of(low), code_of(high)) else { return };
        if len != hlen || hi < lo || target.is_empty() {
            return;
        }
        self.ranges.push(Range { len, low: lo, high: hi, base: utf16_units(target) });
    }

    fn add_range_array(&mut self, low: &[u8], high: &[u8], targets: &[Vec<u8>]) -> usize {
        let (Some((len, lo)), Some((hlen, hi))) = (code_of(low), code_of(high)) else { return 0 };
        if len != hlen || hi < lo {
            return 0;
        }
        let mut added = 0;
        for (code, target) in (lo..=hi).zip(targets) {
            self.singles.insert((len, code), units_to_string(&utf16_units(target)));
            added += 1;
        }
        added
    }

    /// Whether the map maps any code to text.
    pub(super) fn has_mappings(&self) -> bool {
        !self.singles.is_empty() || !self.ranges.is_empty()
    }

    /// Appends the text of the `len`-byte `code` to `out`; false when the
    /// map does not know the code.
    pub(super) fn lookup(&self, len: u8, code: u32, out: &mut String) -> bool {
        if let Some(s) = self.singles.get(&(len, code)) {
            out.push_str(s);
            return true;
        }
        // The ranges that start at or before `code`, nearest first.
        let end = self.ranges.partition_point(|r| (r.len, r.low) <= (len, code));
        for r in self.ranges[..end].iter().rev().take(MAX_OVERLAP) {
            if r.len == len && (r.low..=r.high).contains(&code) {
                let mut units = r.base.clone();
                if let Some(last) = units.last_mut() {
                    // The offset wraps within the last unit, as the spec's
                    // increment of the last byte does.
                    *last = u32::from(*last).wrapping_add(code - r.low) as u16;
                }
                out.push_str(&units_to_string(&units));
                return true;
            }
        }
        false
    }

    /// The code-space ranges as a code splitter, if the map declares any.
    pub(super) fn code_lengths(&self) -> Option<CodeLengths> {
        (!self.codespace.is_empty()).then(|| CodeLengths(self.codespace.clone()))
    }
}

/// Splits strings into codes by code-space ranges.
#[derive(Debug, Clone)]
pub(super) struct CodeLengths(Vec<CodeSpace>);

impl CodeLengths {
    /// The length of the code that starts `bytes` (which is not empty): the
    /// shortest range that matches, else the shortest declared length.
    pub(super) fn next_len(&self, bytes: &[u8]) -> usize {
        for len in 1..=4usize {
            if len > bytes.len() {
                break;
            }
            let matches = self.0.iter().any(|cs| {
                usize::from(cs.len) == len && (0..len).all(|i| cs.low[i] <= bytes[i] && bytes[i] <= cs.high[i])
            });
            if matches {
                return len;
            }
        }
        let shortest = self.0.iter().map(|cs| usize::from(cs.len)).min().unwrap_or(1);
        shortest.clamp(1, bytes.len().max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(map: &CMap, len: u8, code: u32) -> Option<String> {
        let mut out = String::new();
        map.lookup(len, code, &mut out).then_some(out)
    }

    const SAMPLE: &[u8] = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def /CMapType 2 def
1 begincodespacerange <0000> <FFFF> endcodespacerange
3 beginbfchar <0003> <0020> <0024> <00C4> <0050> <00660069> endbfchar
2 beginbfrange <0010> <0019> <0030> <0100> <0102> [<0041> <0042> <D83DDE00>] endbfrange
endcmap CMapName currentdict /CMap defineresource pop end end";

    #[test]
    fn maps_bfchar_and_bfrange() {
        let map = CMap::parse(SAMPLE);
        let cases: Vec<(u8, u32, Option<&str>)> = vec![
            (2, 0x0003, Some(" ")),
            (2, 0x0024, Some("Ä")),
            (2, 0x0050, Some("fi")),
            (2, 0x0010, Some("0")),
            (2, 0x0019, Some("9")),
            (2, 0x001a, None),
            (2, 0x0100, Some("A")),
            (2, 0x0101, Some("B")),
            (2, 0x0102, Some("😀")),
            (1, 0x03, None),
        ];
        for (len, code, expected) in cases {
            assert_eq!(decode(&map, len, code).as_deref(), expected, "code {code:#x}/{len}");
        }
    }

    #[test]
    fn finds_codes_among_many_ranges() {
        let mut src = String::from("1000 beginbfrange\n");
        for i in (0..1000u32).rev() {
            src += &format!("<{:04X}> <{:04X}> <{:04X}>\n", i * 4, i * 4 + 3, 0x4E00 + i * 4);
        }
        src += "endbfrange";
        let map = CMap::parse(src.as_bytes());
        let cjk = |offset: u32| char::from_u32(0x4E00 + offset).map(String::from);
        let cases = [(0u32, cjk(0)), (5, cjk(5)), (3999, cjk(3999)), (4000, None)];
        for (code, expected) in cases {
            assert_eq!(decode(&map, 2, code), expected, "code {code}");
        }
    }

    #[test]
    fn splits_codes_by_codespace() {
        let map = CMap::parse(b"2 begincodespacerange <00> <80> <8140> <9FFC> endcodespacerange");
        let lengths = map.code_lengths().expect("codespace");
        let cases: Vec<(&[u8], usize)> = vec![(b"\x41\x42", 1), (b"\x81\x40", 2), (b"\x81", 1), (b"\xff\x00", 1)];
        for (bytes, expected) in cases {
            assert_eq!(lengths.next_len(bytes), expected, "{bytes:?}");
        }
    }

    #[test]
    fn hostile_maps_stay_small() {
        let map = CMap::parse(b"1 beginbfrange <00000000> <FFFFFFFF> <0041> endbfrange");
        assert_eq!(decode(&map, 4, 0xFFFF_FFFF).map(|s| s.chars().count()), Some(1));
        let garbage = CMap::parse(b"beginbfchar <01> endbfchar <02> <0041> [ ] >> << beginbfrange [");
        assert!(!garbage.has_mappings());
    }
}

//! Identifier newtypes for suppliers, validated once at the edge
//! ("parse, don't validate"): LEI (ISO 17442, with its ISO 7064 MOD 97-10
//! check digits), VAT number, ISO 3166-1 alpha-2 country code, and an
//! http(s) website URL. Every parser takes arbitrary strings and never panics
//! (fuzzed in `fuzz/`, property-tested below).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::validation::Violation;

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            /// The canonical form.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $name {
            type Error = Violation;
            fn try_from(s: String) -> Result<Self, Violation> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

/// A Legal Entity Identifier: 20 characters, upper-case alphanumeric, the
/// last two being ISO 7064 MOD 97-10 check digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Lei(String);
string_newtype!(Lei);

impl Lei {
    /// Parses an LEI; surrounding white space is ignored, letters are
    /// upper-cased.
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let s: String = raw.trim().to_ascii_uppercase();
        if s.len() != 20 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Violation::new("lei", "must be 20 letters and digits"));
        }
        if !s[18..].bytes().all(|b| b.is_ascii_digit()) {
            return Err(Violation::new("lei", "must end in two check digits"));
        }
        // ISO 17442 issues check digits 02–98 only (98 − remainder); 00, 01
        // and 99 can satisfy MOD 97 (99 ≡ 02) but are never assigned.
        if !matches!(s.get(18..), Some(d) if ("02"..="98").contains(&d)) {
            return Err(Violation::new("lei", "check digits must be 02 to 98 (ISO 17442)"));
        }
        if mod97(&s) != Some(1) {
            return Err(Violation::new("lei", "check digits do not match (ISO 17442)"));
        }
        Ok(Self(s))
    }
}

/// ISO 7064 MOD 97-10 remainder of an alphanumeric string (letters count as
/// 10..=35), computed digit by digit so it never overflows.
fn mod97(s: &str) -> Option<u32> {
    let mut rem: u32 = 0;
    for c in s.chars() {
        let v = c.to_digit(36)?;
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    Some(rem)
}

/// Computes the two check digits for an 18-character LEI base (for tests
/// and fixtures).
pub fn lei_check_digits(base: &str) -> Option<String> {
    if base.len() != 18 || !base.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let rem = mod97(&format!("{}00", base.to_ascii_uppercase()))?;
    Some(format!("{:02}", 98 - rem))
}

/// A VAT identification number: a two-letter country prefix and 2 to 13
/// letters or digits; spaces, dots and dashes are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VatNumber(String);
string_newtype!(VatNumber);

impl VatNumber {
    /// Parses and canonicalises a VAT number.
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let s: String =
            raw.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '\t')).collect::<String>().to_ascii_uppercase();
        let bad = || Violation::new("vat", "must be a country prefix and 2 to 13 letters or digits");
        if !(4..=15).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(bad());
        }
        let prefix = &s[..2];
        // Greece uses EL in VAT numbers; XI is Northern Ireland.
        if !(prefix == "EL" || prefix == "XI" || CountryCode::parse(prefix).is_ok()) {
            return Err(Violation::new("vat", "must start with a country prefix"));
        }
        Ok(Self(s))
    }
}

/// An assigned ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses a code; accepts lower case, refuses unassigned codes.
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let s = raw.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() == 2 && ISO_3166_ALPHA2.chunks(2).any(|c| c == b) {
            Ok(Self([b[0], b[1]]))
        } else {
            Err(Violation::new("country", "must be an ISO 3166-1 alpha-2 code such as DE"))
        }
    }
    /// The two letters.
    pub fn as_str(&self) -> &str {
        // Only ever built from the ASCII table below.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl TryFrom<String> for CountryCode {
    type Error = Violation;
    fn try_from(s: String) -> Result<Self, Violation> {
        Self::parse(&s)
    }
}
impl From<CountryCode> for String {
    fn from(v: CountryCode) -> String {
        v.as_str().to_owned()
    }
}

/// Every officially assigned ISO 3166-1 alpha-2 code, concatenated.
const ISO_3166_ALPHA2: &[u8] = b"ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ\
CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGY\
HKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZ\
NANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZ\
TCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW";

/// A website: an absolute http or https URL with a host, at most 2,048
/// characters, without embedded credentials.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WebsiteUrl(String);
string_newtype!(WebsiteUrl);

/// Longest accepted URL.
pub const MAX_URL_LEN: usize = 2048;

impl WebsiteUrl {
    /// Parses a website URL for the field `website`.
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        Self::parse_field("website", raw)
    }

    /// Parses an http(s) URL, naming `field` in the error.
    pub fn parse_field(field: &str, raw: &str) -> Result<Self, Violation> {
        let s = raw.trim();
        if s.len() > MAX_URL_LEN {
            return Err(Violation::new(field, format!("must be at most {MAX_URL_LEN} characters")));
        }
        let url = url::Url::parse(s).map_err(|e| Violation::new(field, format!("is not a valid URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Violation::new(field, "must be an http or https URL"));
        }
        match url.host_str() {
            Some(h) if !h.is_empty() => {}
            _ => return Err(Violation::new(field, "must have a host")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Violation::new(field, "must not contain credentials"));
        }
        Ok(Self(url.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_leis_validate() {
        // GLEIF's own LEI and a bank's.
        assert!(Lei::parse("506700GE1G29325QX363").is_ok());
        assert!(Lei::parse("7LTWFZYICNSX8D621K86").is_ok());
        assert!(Lei::parse(" 506700ge1g29325qx363 ").is_ok(), "case and spaces");
        assert!(Lei::parse("506700GE1G29325QX364").is_err(), "wrong check digit");
        assert!(Lei::parse("506700GE1G29325QX36").is_err(), "too short");
        assert!(Lei::parse("506700GE1G29325QX3AB").is_err(), "letters as check digits");
    }

    #[test]
    fn check_digits_round_trip() {
        let base = "5299000J2N45DDNE4Y";
        let lei = format!("{base}{}", lei_check_digits(base).expect("digits"));
        assert!(Lei::parse(&lei).is_ok(), "{lei}");
    }

    #[test]
    fn countries() {
        assert_eq!(CountryCode::parse("de").expect("de").as_str(), "DE");
        assert!(CountryCode::parse("XX").is_err());
        assert!(CountryCode::parse("DEU").is_err());
        assert!(CountryCode::parse("").is_err());
        assert_eq!(ISO_3166_ALPHA2.len(), 249 * 2);
    }

    #[test]
    fn vat_numbers() {
        assert_eq!(VatNumber::parse("de 123.456.789").expect("vat").as_str(), "DE123456789");
        assert!(VatNumber::parse("EL123456789").is_ok());
        assert!(VatNumber::parse("ZZ123456").is_err());
        assert!(VatNumber::parse("DE").is_err());
    }

    #[test]
    fn websites() {
        assert_eq!(WebsiteUrl::parse("https://Example.com").expect("url").as_str(), "https://example.com/");
        assert!(WebsiteUrl::parse("ftp://example.com").is_err());
        assert!(WebsiteUrl::parse("javascript:alert(1)").is_err());
        assert!(WebsiteUrl::parse("https://user:pw@example.com").is_err());
        assert!(WebsiteUrl::parse("example.com").is_err());
    }

    proptest! {
        #[test]
        fn validators_never_panic(s in ".{0,64}") {
            let _ = Lei::parse(&s);
            let _ = CountryCode::parse(&s);
            let _ = VatNumber::parse(&s);
            let _ = WebsiteUrl::parse(&s);
        }

        #[test]
        fn lei_accepts_exactly_valid_check_digits(base in "[A-Z0-9]{18}", d in 0u32..100) {
            let lei = format!("{base}{d:02}");
            let expected = lei_check_digits(&base).expect("digits");
            prop_assert_eq!(Lei::parse(&lei).is_ok(), format!("{d:02}") == expected);
        }

        #[test]
        fn url_like_strings_never_panic(s in "(https?|ftp)://[a-z0-9.:@/?#%\\[\\]-]{0,40}") {
            let _ = WebsiteUrl::parse(&s);
        }
    }
}

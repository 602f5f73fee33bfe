//! Every identifier parser of untrusted input: LEI, VAT, country, website
//! URL, e-mail address, document hash, tenant slug. None may panic, and
//! whatever parses must re-parse to itself.
#![no_main]

use certwatch_core::certificates::DocumentHash;
use certwatch_core::suppliers::{CountryCode, Lei, VatNumber, WebsiteUrl};
use certwatch_core::tenancy::slug::slugify;
use certwatch_core::tenancy::EmailAddress;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(v) = Lei::parse(s) {
        assert_eq!(Lei::parse(v.as_str()).ok(), Some(v));
    }
    if let Ok(v) = VatNumber::parse(s) {
        assert_eq!(VatNumber::parse(v.as_str()).ok(), Some(v));
    }
    if let Ok(v) = CountryCode::parse(s) {
        assert_eq!(CountryCode::parse(v.as_str()).ok(), Some(v));
    }
    if let Ok(v) = WebsiteUrl::parse(s) {
        assert_eq!(WebsiteUrl::parse(v.as_str()).ok(), Some(v));
    }
    if let Ok(v) = EmailAddress::parse(s) {
        assert_eq!(EmailAddress::parse(v.as_str()).ok(), Some(v));
    }
    let _ = DocumentHash::parse(s);
    let slug = slugify(s);
    assert!(!slug.is_empty());
});

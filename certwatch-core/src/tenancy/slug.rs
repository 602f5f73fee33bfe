//! Tenant slugs: lower-case ASCII words joined by dashes, generated from the
//! tenant name; a numeric suffix makes them unique.

/// Longest slug (before a uniqueness suffix).
pub const MAX_SLUG_LEN: usize = 48;

/// The base slug of a name: ASCII letters and digits, everything else a
/// single dash, accents folded for common Latin letters; "tenant" when
/// nothing is left.
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let folded: &str = match c {
            'ä' | 'Ä' => "ae",
            'ö' | 'Ö' => "oe",
            'ü' | 'Ü' => "ue",
            'ß' => "ss",
            'à' | 'á' | 'â' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Å' => "a",
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
            'ò' | 'ó' | 'ô' | 'õ' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ø' => "o",
            'ù' | 'ú' | 'û' | 'Ù' | 'Ú' | 'Û' => "u",
            'ç' | 'Ç' => "c",
            'ñ' | 'Ñ' => "n",
            _ => "",
        };
        if !folded.is_empty() {
            out.push_str(folded);
        } else if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= MAX_SLUG_LEN {
            break;
        }
    }
    out.truncate(MAX_SLUG_LEN);
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "tenant".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The `n`-th candidate for `base`: `base`, then `base-2`, `base-3`, ...
pub fn candidate(base: &str, n: u32) -> String {
    if n <= 1 {
        base.to_owned()
    } else {
        format!("{base}-{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(slugify("Müller & Söhne GmbH"), "mueller-soehne-gmbh");
        assert_eq!(slugify("  ACME, Inc. "), "acme-inc");
        assert_eq!(slugify("!!!"), "tenant");
        assert_eq!(candidate("acme", 3), "acme-3");
    }

    proptest! {
        #[test]
        fn slugs_are_url_safe(name in ".{0,100}") {
            let s = slugify(&name);
            prop_assert!(!s.is_empty() && s.len() <= MAX_SLUG_LEN);
            prop_assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            prop_assert!(!s.starts_with('-') && !s.ends_with('-'));
        }
    }
}

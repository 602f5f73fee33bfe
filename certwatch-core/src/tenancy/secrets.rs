//! Secrets: random tokens (256 bits, URL-safe), their SHA-256 hashes, and
//! Argon2id password hashing.
//!
//! Tokens are compared only by hash, so the store never holds a usable
//! secret. A plain SHA-256 is enough for 256-bit random values (there is no
//! dictionary to attack); passwords, which people choose, get Argon2id.

use std::fmt;

use argon2::password_hash::{rand_core::OsRng, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

use crate::validation::Violation;

/// A secret shown to its owner exactly once. `Debug` and `Display` never
/// print it; [`Secret::expose`] must be called on purpose.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The secret itself, for the one response that shows it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// Lower-case hex SHA-256 of a token.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// Hashes a presented token.
    pub fn of(token: &str) -> Self {
        Self(hex::encode(Sha256::digest(token.as_bytes())))
    }
    /// Wraps a stored hash (64 hex characters).
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
    /// The hex form, for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({}…)", &self.0.get(..8).unwrap_or(""))
    }
}

/// Prefix of API token secrets, so leaked tokens are recognisable (and
/// redactable) by scanners.
pub const API_TOKEN_PREFIX: &str = "cw_";

/// A fresh random secret: `prefix` + 32 random bytes, base64url without padding.
pub fn generate_secret(prefix: &str) -> Secret {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Secret(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// An Argon2id PHC hash string. `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a stored PHC string.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
    /// The PHC string, for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([REDACTED])")
    }
}

/// Shortest accepted password.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest accepted password (bounds the hashing work an attacker can ask for).
pub const MAX_PASSWORD_LEN: usize = 1024;

/// Argon2id with configurable cost.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("m_cost", &self.params.m_cost())
            .field("t_cost", &self.params.t_cost())
            .finish()
    }
}

impl Default for PasswordHasher {
    /// OWASP's Argon2id baseline: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        Self { params: Params::default() }
    }
}

impl PasswordHasher {
    /// A hasher with explicit cost (memory in KiB, iterations). Lower costs are
    /// for tests only.
    pub fn with_cost(m_cost_kib: u32, t_cost: u32) -> Option<Self> {
        Params::new(m_cost_kib, t_cost, 1, None).ok().map(|params| Self { params })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Checks the password policy, then hashes with a fresh salt.
    pub fn hash(&self, password: &str) -> Result<PasswordHash, Violation> {
        check_password_policy(password)?;
        let salt = SaltString::generate(&mut OsRng);
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| PasswordHash(h.to_string()))
            .map_err(|e| Violation::new("password", format!("could not be hashed: {e}")))
    }

    /// Whether `password` matches `hash`. A malformed hash never matches.
    pub fn verify(&self, password: &str, hash: &PasswordHash) -> bool {
        if password.len() > MAX_PASSWORD_LEN {
            return false;
        }
        match argon2::PasswordHash::new(&hash.0) {
            Ok(parsed) => self.argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        }
    }

    /// Spends the same work as a real verification, so a login for an
    /// unknown e-mail address takes as long as one with a wrong password.
    pub fn burn(&self, password: &str) {
        let salt = SaltString::from_b64("c29tZXNhbHRzb21lc2FsdA").ok();
        if let Some(salt) = salt {
            let _ = self.argon2().hash_password(password.as_bytes(), &salt);
        }
    }
}

/// The password rules: length only (NIST SP 800-63B), no composition rules.
pub fn check_password_policy(password: &str) -> Result<(), Violation> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(Violation::new("password", format!("must be at least {MIN_PASSWORD_LEN} characters")));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(Violation::new("password", format!("must be at most {MAX_PASSWORD_LEN} bytes")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_prefixed() {
        let a = generate_secret(API_TOKEN_PREFIX);
        let b = generate_secret(API_TOKEN_PREFIX);
        assert_ne!(a, b);
        assert!(a.expose().starts_with("cw_"));
        assert_eq!(a.expose().len(), 3 + 43, "32 bytes base64url");
        assert_eq!(format!("{a:?}"), "Secret([REDACTED])");
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(TokenHash::of("abc").as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn password_round_trip_and_policy() {
        let h = PasswordHasher::with_cost(1024, 1).expect("params");
        let hash = h.hash("correct horse").expect("hash");
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(h.verify("correct horse", &hash));
        assert!(!h.verify("wrong horse!", &hash));
        assert!(!h.verify("x", &PasswordHash::from_stored("not a phc".into())));
        assert!(h.hash("short").is_err());
    }
}

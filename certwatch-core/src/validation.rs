//! Field-level validation errors and the small text rules shared by every
//! context (trimmed non-empty names, length caps).

use std::fmt;

use serde::Serialize;

/// One broken rule on one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The input field, as the caller named it.
    pub field: String,
    /// What is wrong, in words a person can act on.
    pub message: String,
}

impl Violation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Every violation found in one input, so callers can fix them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidationErrors {
    /// The violations, in field order of discovery.
    pub violations: Vec<Violation>,
}

impl ValidationErrors {
    /// A single violation.
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { violations: vec![Violation::new(field, message)] }
    }
    /// Adds a violation.
    pub fn push(&mut self, v: Violation) {
        self.violations.push(v);
    }
    /// Records the error of a field parse, keeping its value otherwise.
    pub fn check<T>(&mut self, r: Result<T, Violation>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(v) => {
                self.push(v);
                None
            }
        }
    }
    /// Whether no rule was broken.
    pub fn is_empty(&self) -> bool {
        self.violations.is_empty()
    }
    /// `Ok(value)` when nothing was recorded, else these errors.
    pub fn into_result<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", v.field, v.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl From<Violation> for ValidationErrors {
    fn from(v: Violation) -> Self {
        Self { violations: vec![v] }
    }
}

/// A required text field: trimmed, non-empty, at most `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, Violation> {
    let t = value.trim();
    if t.is_empty() {
        return Err(Violation::new(field, "must not be blank"));
    }
    if t.chars().count() > max {
        return Err(Violation::new(field, format!("must be at most {max} characters")));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err(Violation::new(field, "must not contain control characters"));
    }
    Ok(t.to_owned())
}

/// An optional text field: blank becomes `None`, else as [`required_text`].
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, Violation> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required_text(field, v, max).map(Some),
    }
}

/// Free text such as a scope or an address: newlines allowed, other control
/// characters not; blank becomes `None`.
pub fn optional_long_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, Violation> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => {
            if v.chars().count() > max {
                return Err(Violation::new(field, format!("must be at most {max} characters")));
            }
            if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
                return Err(Violation::new(field, "must not contain control characters"));
            }
            Ok(Some(v.to_owned()))
        }
    }
}

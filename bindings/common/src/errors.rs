//! The one mapping from core failures to the error kinds both bindings
//! raise. Python turns each [`ErrorKind`] into the exception class of the
//! same name, Node into the error class of the same name; neither binding
//! looks at a core error itself.
//!
//! | core | kind |
//! |---|---|
//! | `Error::Validation`, malformed input values | `ValidationError` (with `errors`: field + message) |
//! | `Error::NotFound` | `NotFound` |
//! | `Error::Conflict`, `Error::LastAdmin` | `Conflict` |
//! | `Error::Transition`, `TransitionError` | `InvalidTransition` (with `allowed_transitions`) |
//! | `Error::Forbidden` | `Forbidden` |
//! | `Error::Auth` | `AuthenticationError` |
//! | `Error::Store`, opening or migrating a store | `StoreError` |
//! | `ExtractionError` (PDF) | `ExtractionError` |
//! | `SignatureError` (webhooks) | `SignatureError` |
//! | a panic caught at the boundary | `InternalError` |

use certwatch_core::certificates::TransitionError;
use certwatch_core::extraction::ExtractionError;
use certwatch_core::validation::{ValidationErrors, Violation};
use certwatch_core::webhooks::SignatureError;
use serde_json::{json, Value};

/// Result of every binding-facing call.
pub type Result<T, E = BindingError> = std::result::Result<T, E>;

/// The error classes of the bindings, below `CertWatchError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The input broke a field rule or could not be read.
    Validation,
    /// No such object in this tenant.
    NotFound,
    /// The change collides with existing data.
    Conflict,
    /// The certificate state machine refused the status change.
    InvalidTransition,
    /// The caller lacks the permission.
    Forbidden,
    /// A credential or one-time token was refused.
    Authentication,
    /// The database failed, or could not be opened or migrated.
    Store,
    /// A PDF could not be read.
    Extraction,
    /// A webhook signature or signing secret was refused.
    Signature,
    /// A bug: a panic caught at the boundary.
    Internal,
}

impl ErrorKind {
    /// Every kind, in the order the class hierarchy lists them.
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::Validation,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::InvalidTransition,
        ErrorKind::Forbidden,
        ErrorKind::Authentication,
        ErrorKind::Store,
        ErrorKind::Extraction,
        ErrorKind::Signature,
        ErrorKind::Internal,
    ];

    /// The class name in both languages.
    pub fn class_name(self) -> &'static str {
        match self {
            ErrorKind::Validation => "ValidationError",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::InvalidTransition => "InvalidTransition",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::Authentication => "AuthenticationError",
            ErrorKind::Store => "StoreError",
            ErrorKind::Extraction => "ExtractionError",
            ErrorKind::Signature => "SignatureError",
            ErrorKind::Internal => "InternalError",
        }
    }
}

/// A failure as the bindings report it: its kind, the core's message, and
/// structured details (`{"errors": [...]}` for validation,
/// `{"allowed_transitions": [...]}` for refused transitions, else `{}`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct BindingError {
    /// Which class to raise.
    pub kind: ErrorKind,
    /// The core error's message, unchanged.
    pub message: String,
    /// Machine-readable details.
    pub details: Value,
}

impl BindingError {
    /// An error of `kind` without details.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), details: json!({}) }
    }

    /// A validation error of one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ValidationErrors::single(field, message).into()
    }

    /// The error as one JSON document `{"kind", "message", "details"}`:
    /// how errors cross the Node boundary (async rejections carry only a
    /// message, which `index.js` decodes back into the class).
    pub fn to_json(&self) -> String {
        json!({"kind": self.kind.class_name(), "message": self.message, "details": self.details}).to_string()
    }
}

impl From<certwatch_core::Error> for BindingError {
    fn from(e: certwatch_core::Error) -> Self {
        use certwatch_core::Error as E;
        let message = e.to_string();
        match e {
            E::Validation(v) => v.into(),
            E::Transition(t) => t.into(),
            E::NotFound { .. } => Self::new(ErrorKind::NotFound, message),
            E::Conflict { .. } | E::LastAdmin => Self::new(ErrorKind::Conflict, message),
            E::Forbidden { .. } => Self::new(ErrorKind::Forbidden, message),
            E::Auth(_) => Self::new(ErrorKind::Authentication, message),
            E::Store(_) => Self::new(ErrorKind::Store, message),
            // A variant added to the core later: reported, never lost.
            _ => Self::new(ErrorKind::Internal, message),
        }
    }
}

impl From<ValidationErrors> for BindingError {
    fn from(v: ValidationErrors) -> Self {
        let errors: Vec<Value> = v.violations.iter().map(|x| json!({"field": x.field, "message": x.message})).collect();
        Self { kind: ErrorKind::Validation, message: format!("invalid input: {v}"), details: json!({"errors": errors}) }
    }
}

impl From<Violation> for BindingError {
    fn from(v: Violation) -> Self {
        ValidationErrors { violations: vec![v] }.into()
    }
}

impl From<TransitionError> for BindingError {
    fn from(t: TransitionError) -> Self {
        let allowed: Vec<&str> = t.allowed().iter().map(|s| s.as_str()).collect();
        Self {
            kind: ErrorKind::InvalidTransition,
            message: t.to_string(),
            details: json!({"allowed_transitions": allowed}),
        }
    }
}

impl From<ExtractionError> for BindingError {
    fn from(e: ExtractionError) -> Self {
        Self::new(ErrorKind::Extraction, e.to_string())
    }
}

impl From<SignatureError> for BindingError {
    fn from(e: SignatureError) -> Self {
        Self::new(ErrorKind::Signature, e.to_string())
    }
}

impl From<certwatch_store::Error> for BindingError {
    fn from(e: certwatch_store::Error) -> Self {
        Self::new(ErrorKind::Store, e.to_string())
    }
}

/// A real core error of each variant, run through the mapping: lets the
/// Python and Node suites check that every core error kind reaches its
/// class, including the ones a test cannot provoke through the surface (a
/// store failure, a forbidden action). `variant` is the core variant's
/// name; unknown names are a validation error.
pub fn core_error_sample(variant: &str) -> BindingError {
    use certwatch_core::certificates::CertificateStatus;
    use certwatch_core::ports::StoreError;
    use certwatch_core::tenancy::AuthError;
    use certwatch_core::Error as E;
    let core = match variant {
        "Validation" => E::Validation(ValidationErrors::single("name", "must not be empty")),
        "NotFound" => E::not_found("organization"),
        "Conflict" => E::conflict("an organization with this external_id already exists"),
        "LastAdmin" => E::LastAdmin,
        "Transition" => certwatch_core::certificates::check_transition(
            CertificateStatus::Revoked,
            CertificateStatus::Active,
            None,
            chrono::NaiveDate::MIN,
        )
        .map_or_else(E::Transition, |()| E::LastAdmin),
        "Forbidden" => E::Forbidden { reason: "manage members" },
        "Auth" => E::Auth(AuthError::UnknownToken),
        "Store" => E::Store(StoreError::Database("connection reset".into())),
        other => return BindingError::invalid("variant", format!("no core error variant named {other:?}")),
    };
    core.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_variant_has_its_kind() {
        let cases = [
            ("Validation", ErrorKind::Validation),
            ("NotFound", ErrorKind::NotFound),
            ("Conflict", ErrorKind::Conflict),
            ("LastAdmin", ErrorKind::Conflict),
            ("Transition", ErrorKind::InvalidTransition),
            ("Forbidden", ErrorKind::Forbidden),
            ("Auth", ErrorKind::Authentication),
            ("Store", ErrorKind::Store),
        ];
        for (variant, kind) in cases {
            assert_eq!(core_error_sample(variant).kind, kind, "{variant}");
        }
        assert_eq!(core_error_sample("Nope").kind, ErrorKind::Validation);
    }

    #[test]
    fn transition_errors_list_the_allowed_targets() {
        let e = core_error_sample("Transition");
        assert_eq!(e.details, json!({"allowed_transitions": []}));
        assert!(e.message.contains("REVOKED"), "{}", e.message);
    }
}

//! RFC 9457 problem details: the one error shape of the whole API, and the
//! one place that maps a failure to an HTTP status.
//!
//! | cause | status | `type` |
//! |---|---|---|
//! | malformed JSON, wrong types, unknown enum values, bad path or query parameters | 400 | `about:blank` |
//! | missing, malformed, unknown, revoked or expired token; failed log-in; bad one-time token | 401 | `urn:certwatch:problem:unauthenticated` |
//! | [`Error::Forbidden`](certwatch_core::Error::Forbidden) | 403 | `urn:certwatch:problem:forbidden` |
//! | [`Error::NotFound`](certwatch_core::Error::NotFound) (another tenant's objects included), unknown route | 404 | `urn:certwatch:problem:not-found` |
//! | [`Error::Conflict`](certwatch_core::Error::Conflict), an invitation no longer pending | 409 | `urn:certwatch:problem:conflict` |
//! | [`Error::Transition`](certwatch_core::Error::Transition), with `allowed_transitions` | 409 | `urn:certwatch:problem:invalid-transition` |
//! | [`Error::LastAdmin`](certwatch_core::Error::LastAdmin) | 409 | `urn:certwatch:problem:last-admin` |
//! | request body or uploaded file too large | 413 | `about:blank` |
//! | a file an import can't read (not a spreadsheet, no header) | 400 | `urn:certwatch:problem:unreadable-file` |
//! | an import of which no row could be imported, with `rows` | 400 | `urn:certwatch:problem:import-failed` |
//! | wrong or missing `Content-Type` | 415 | `about:blank` |
//! | [`Error::Validation`](certwatch_core::Error::Validation), with per-field `errors` | 422 | `urn:certwatch:problem:validation` |
//! | rate limit (middleware) | 429 | `about:blank` |
//! | [`Error::Store`](certwatch_core::Error::Store) and anything unexpected | 500 | `urn:certwatch:problem:internal` |
//! | a dependency is down | 503 | `about:blank` |
//!
//! Validation failures are 422, not 400: the request was well-formed JSON
//! of the documented shape, but its values broke a rule; 400 is kept for
//! requests that could not be parsed at all.
//!
//! A 500 never carries the real cause: it is logged (through
//! [`redact_text`](certwatch_core::audit::redact_text)) and the caller gets a
//! generic detail.

use std::fmt;

use certwatch_core::audit::redact_text;
use certwatch_core::tenancy::AuthError;
use certwatch_core::Error as CoreError;
use poem::http::{header, HeaderValue, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;
use poem_openapi::{ApiResponse, Object};

/// The media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One broken rule on one input field.
#[derive(Object, Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The input field, as the request named it (`expiry_date`, `items[3].name`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// An RFC 9457 problem document, served as `application/problem+json`.
#[derive(Object, Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// A URI identifying the kind of problem (`about:blank` when the HTTP
    /// status says it all).
    #[oai(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, in words a person can act on.
    pub detail: String,
    /// The request path the problem occurred on.
    #[oai(skip_serializing_if_is_none)]
    pub instance: Option<String>,
    /// The request id (also in the `X-Request-ID` response header).
    #[oai(skip_serializing_if_is_none)]
    pub request_id: Option<String>,
    /// Validation failures: every broken rule, by field.
    #[oai(skip_serializing_if_is_none)]
    pub errors: Option<Vec<FieldError>>,
    /// Invalid status transitions: the statuses the certificate may move to.
    #[oai(skip_serializing_if_is_none)]
    pub allowed_transitions: Option<Vec<String>>,
    /// Spreadsheet imports where no row could be imported: every failed row.
    #[oai(skip_serializing_if_is_none)]
    pub rows: Option<Vec<ImportRowError>>,
}

/// One spreadsheet row that could not be imported.
#[derive(Object, Debug, Clone, PartialEq, Eq)]
pub struct ImportRowError {
    /// Row number in the file, as the spreadsheet program shows it.
    pub row: u32,
    /// The column at fault, as the file's header names it.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem of `status` with a kind, title and detail.
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: kind.to_owned(),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            instance: None,
            request_id: None,
            errors: None,
            allowed_transitions: None,
            rows: None,
        }
    }

    /// A plain HTTP problem (`type` = `about:blank`, title = the reason phrase).
    pub fn status(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::new(status, "about:blank", status.canonical_reason().unwrap_or("Error"), detail)
    }

    /// The HTTP status (500 if the stored number is not a status).
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// This problem as a complete response.
    pub fn into_response(self) -> Response {
        let status = self.status_code();
        Response::builder().status(status).header(header::CONTENT_TYPE, PROBLEM_JSON).body(self.to_json_string())
    }
}

/// Every error an endpoint can answer with, each an RFC 9457 problem.
#[derive(ApiResponse, Debug)]
#[oai(bad_request_handler = "bad_request")]
pub enum ApiError {
    /// The request could not be parsed: malformed JSON, a wrong type, an
    /// unknown enum value or an invalid parameter.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No valid credentials: missing, malformed, unknown, revoked or expired
    /// token, or a failed log-in.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// Authenticated, but the role does not allow this.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// No such object in the caller's tenant (other tenants' objects look
    /// exactly like missing ones).
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The change collides with existing data or state (duplicates, invalid
    /// status transitions with `allowed_transitions`, the last admin).
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The request body is not in a supported media type.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// The values broke validation rules; `errors` lists each by field.
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    /// Too many requests; retry later.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>),
    /// An unexpected failure on our side (details are in the server log).
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// A dependency is unavailable; retry later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

impl ApiError {
    /// The error variant for `problem.status`; statuses without a variant
    /// of their own fall back to 400 (client errors) or 500, and the
    /// document's `status` is corrected to match.
    pub fn from_problem(mut problem: Problem) -> Self {
        let status = problem.status_code();
        let (status, make): (StatusCode, fn(Json<Problem>) -> ApiError) = match status {
            StatusCode::BAD_REQUEST => (status, ApiError::BadRequest),
            StatusCode::UNAUTHORIZED => (status, ApiError::Unauthorized),
            StatusCode::FORBIDDEN => (status, ApiError::Forbidden),
            StatusCode::NOT_FOUND => (status, ApiError::NotFound),
            StatusCode::CONFLICT => (status, ApiError::Conflict),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (status, ApiError::UnsupportedMediaType),
            StatusCode::UNPROCESSABLE_ENTITY => (status, ApiError::Unprocessable),
            StatusCode::TOO_MANY_REQUESTS => (status, ApiError::TooManyRequests),
            StatusCode::SERVICE_UNAVAILABLE => (status, ApiError::Unavailable),
            s if s.is_client_error() => (StatusCode::BAD_REQUEST, ApiError::BadRequest),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, ApiError::Internal),
        };
        problem.status = status.as_u16();
        make(Json(problem))
    }

    /// The problem document this error carries.
    pub fn problem(&self) -> &Problem {
        match self {
            ApiError::BadRequest(p)
            | ApiError::Unauthorized(p)
            | ApiError::Forbidden(p)
            | ApiError::NotFound(p)
            | ApiError::Conflict(p)
            | ApiError::UnsupportedMediaType(p)
            | ApiError::Unprocessable(p)
            | ApiError::TooManyRequests(p)
            | ApiError::Internal(p)
            | ApiError::Unavailable(p) => &p.0,
        }
    }

    /// A 401 naming why the credentials were refused.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::from_problem(Problem::new(StatusCode::UNAUTHORIZED, UNAUTHENTICATED, "Unauthenticated", detail))
    }

    /// A 422 for one field, for parse rules the host applies itself (a
    /// required field sent as `null`).
    pub fn invalid_field(field: &str, message: &str) -> Self {
        certwatch_core::validation::ValidationErrors::single(field, message).into()
    }

    /// A 500 whose cause is logged (redacted) and never shown.
    pub fn internal(context: &str, cause: &dyn fmt::Display) -> Self {
        tracing::error!(error = %redact_text(&cause.to_string()), "{context}");
        Self::from_problem(Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            INTERNAL,
            "Internal server error",
            "an unexpected error occurred; it has been logged",
        ))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.problem();
        write!(f, "{} {}: {}", p.status, p.title, p.detail)
    }
}

const UNAUTHENTICATED: &str = "urn:certwatch:problem:unauthenticated";
const INTERNAL: &str = "urn:certwatch:problem:internal";

/// The bad-request handler of [`ApiError`]: request parse failures and
/// security-scheme failures become problems with the same status.
fn bad_request(err: poem::Error) -> ApiError {
    ApiError::from_problem(problem_from_poem(&err))
}

impl From<certwatch_core::validation::ValidationErrors> for ApiError {
    fn from(e: certwatch_core::validation::ValidationErrors) -> Self {
        CoreError::Validation(e).into()
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        use StatusCode as S;
        let problem = match &e {
            CoreError::Validation(errs) => {
                let mut p = Problem::new(
                    S::UNPROCESSABLE_ENTITY,
                    "urn:certwatch:problem:validation",
                    "Validation failed",
                    errs.to_string(),
                );
                p.errors = Some(
                    errs.violations
                        .iter()
                        .map(|v| FieldError { field: v.field.clone(), message: v.message.clone() })
                        .collect(),
                );
                p
            }
            CoreError::NotFound { .. } => {
                Problem::new(S::NOT_FOUND, "urn:certwatch:problem:not-found", "Not found", e.to_string())
            }
            CoreError::Conflict { what } => {
                Problem::new(S::CONFLICT, "urn:certwatch:problem:conflict", "Conflict", what.clone())
            }
            CoreError::Transition(t) => {
                let mut p = Problem::new(
                    S::CONFLICT,
                    "urn:certwatch:problem:invalid-transition",
                    "Invalid status transition",
                    t.to_string(),
                );
                p.allowed_transitions = Some(t.allowed().iter().map(|s| s.as_str().to_owned()).collect());
                p
            }
            CoreError::Forbidden { reason } => {
                Problem::new(S::FORBIDDEN, "urn:certwatch:problem:forbidden", "Forbidden", *reason)
            }
            CoreError::Auth(a) => auth_problem(a),
            CoreError::LastAdmin => {
                Problem::new(S::CONFLICT, "urn:certwatch:problem:last-admin", "Last admin", e.to_string())
            }
            CoreError::Import(i) => import_problem(i),
            CoreError::Store(inner) => return ApiError::internal("store failure", inner),
            other => return ApiError::internal("unexpected core error", other),
        };
        ApiError::from_problem(problem)
    }
}

/// A file an import refused as a whole: 400 saying what was expected (the
/// import endpoint answers a too-large file with its own 413; a failure to
/// write a template is ours: 500).
fn import_problem(e: &certwatch_core::imports::ImportError) -> Problem {
    use certwatch_core::imports::ImportError as I;
    match e {
        I::Write(_) => Problem::status(StatusCode::INTERNAL_SERVER_ERROR, "the file could not be written"),
        _ => Problem::new(
            StatusCode::BAD_REQUEST,
            "urn:certwatch:problem:unreadable-file",
            "Unreadable file",
            e.to_string(),
        ),
    }
}

/// Authentication failures are 401 with the precise reason, except the two
/// that are about the state of an invitation rather than about credentials.
fn auth_problem(a: &AuthError) -> Problem {
    match a {
        AuthError::InvitationNotPending | AuthError::InviteeNotVerified => {
            Problem::new(StatusCode::CONFLICT, "urn:certwatch:problem:conflict", "Conflict", a.to_string())
        }
        _ => Problem::new(StatusCode::UNAUTHORIZED, UNAUTHENTICATED, "Unauthenticated", a.to_string()),
    }
}

/// A token the security scheme refused, carried inside a [`poem::Error`]
/// so both the endpoint's bad-request handler and [`into_problem`] can
/// report its reason.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AuthFailure(pub String);

impl AuthFailure {
    /// A 401 `poem::Error` naming the reason.
    pub fn error(reason: impl Into<String>) -> poem::Error {
        poem::Error::new(AuthFailure(reason.into()), StatusCode::UNAUTHORIZED)
    }
}

/// The problem for a `poem::Error` that did not come from a handler: its
/// status is kept, the detail says what the caller can fix. 5xx causes are
/// logged, never returned.
fn problem_from_poem(err: &poem::Error) -> Problem {
    let status = err.status();
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), error = %redact_text(&err.to_string()), "request failed");
        return Problem::new(
            status,
            if status == StatusCode::INTERNAL_SERVER_ERROR { INTERNAL } else { "about:blank" },
            status.canonical_reason().unwrap_or("Server error"),
            "an unexpected error occurred; it has been logged",
        );
    }
    if let Some(f) = err.downcast_ref::<AuthFailure>() {
        return Problem::new(StatusCode::UNAUTHORIZED, UNAUTHENTICATED, "Unauthenticated", f.0.clone());
    }
    if err.is::<poem_openapi::error::AuthorizationError>() {
        return Problem::new(
            StatusCode::UNAUTHORIZED,
            UNAUTHENTICATED,
            "Unauthenticated",
            "authentication required: send the header `Authorization: Token <key>`",
        );
    }
    if let Some(e) = err.downcast_ref::<poem_openapi::error::ParsePathError>() {
        // The router renames path variables (`param0`…), so name none.
        return Problem::status(status, format!("invalid path parameter: {}", e.reason));
    }
    if err.is::<poem::error::NotFoundError>() {
        return Problem::status(status, "no resource at this path");
    }
    if err.is::<poem::error::MethodNotAllowedError>() {
        return Problem::status(status, "this method is not allowed on this path");
    }
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large".to_owned(),
        _ => err.to_string(),
    };
    Problem::status(status, detail)
}

/// A problem response built from scratch (middleware: 429, 403 from the
/// admin IP allow-list, 413).
pub fn problem_response(status: StatusCode, title: &str, detail: &str) -> Response {
    Problem::new(status, "about:blank", title, detail).into_response()
}

/// Turns any error that reached the edge (unknown route, 405, a refused
/// token, a too-large body, a handler error) into a problem response with
/// the same status. Problem responses pass through unchanged. Install with
/// `.catch_all_error(|e| async move { problem::into_problem(e) })`.
pub fn into_problem(err: poem::Error) -> Response {
    if err.is_from_response() {
        let resp = err.into_response();
        if is_problem(&resp) || !(resp.status().is_client_error() || resp.status().is_server_error()) {
            return resp;
        }
        let status = resp.status();
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), "request failed without a problem document");
        }
        return Problem::status(status, status.canonical_reason().unwrap_or("error")).into_response();
    }
    problem_from_poem(&err).into_response()
}

fn is_problem(resp: &Response) -> bool {
    resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with(PROBLEM_JSON))
}

/// Middleware that turns every error into a problem response (as
/// [`into_problem`]) and stamps problem documents with `instance` (the
/// request path) and `request_id` (from [`crate::RequestId`] in the request
/// extensions), when they don't carry them already. Install it inside the
/// request-id middleware so the id is known.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProblemContext;

impl<E: Endpoint> Middleware<E> for ProblemContext {
    type Output = ProblemContextEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        ProblemContextEndpoint { inner: ep }
    }
}

/// The endpoint [`ProblemContext`] wraps.
#[derive(Debug)]
pub struct ProblemContextEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for ProblemContextEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let path = req.uri().path().to_owned();
        let request_id = req.extensions().get::<crate::RequestId>().map(|r| r.0.clone());
        let resp = match self.inner.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => into_problem(e),
        };
        if !is_problem(&resp) {
            return Ok(resp);
        }
        let (parts, body) = resp.into_parts();
        let bytes = body.into_vec().await.unwrap_or_default();
        let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(serde_json::Value::Object(mut doc)) => {
                doc.entry("instance").or_insert_with(|| serde_json::Value::String(path));
                if let Some(id) = request_id {
                    doc.entry("request_id").or_insert_with(|| serde_json::Value::String(id));
                }
                serde_json::to_vec(&doc).unwrap_or(bytes)
            }
            _ => bytes,
        };
        let mut resp = Response::from_parts(parts, body.into());
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use certwatch_core::certificates::{check_transition, CertificateStatus};
    use certwatch_core::ports::StoreError;
    use certwatch_core::validation::ValidationErrors;
    use poem::endpoint::make_sync;
    use poem::EndpointExt;

    use super::*;

    fn status_and_kind(e: CoreError) -> (u16, String) {
        let a = ApiError::from(e);
        let p = a.problem();
        (p.status, p.kind.clone())
    }

    #[test]
    fn core_errors_map_to_one_status_each() {
        let mut v = ValidationErrors::single("name", "must not be blank");
        v.push(certwatch_core::validation::Violation::new("country", "bad"));
        let a = ApiError::from(CoreError::Validation(v));
        assert!(matches!(a, ApiError::Unprocessable(_)));
        let p = a.problem();
        assert_eq!(p.status, 422);
        assert_eq!(p.errors.as_ref().map(Vec::len), Some(2));
        assert_eq!(p.errors.as_ref().map(|e| e[1].field.as_str()), Some("country"));

        assert_eq!(status_and_kind(CoreError::not_found("organization")).0, 404);
        assert_eq!(status_and_kind(CoreError::conflict("dup")).0, 409);
        assert_eq!(status_and_kind(CoreError::LastAdmin), (409, "urn:certwatch:problem:last-admin".into()));
        assert_eq!(status_and_kind(CoreError::Forbidden { reason: "no" }).0, 403);
        for a in [
            AuthError::UnknownToken,
            AuthError::RevokedToken,
            AuthError::InvalidCredentials,
            AuthError::EmailNotVerified,
        ] {
            let detail = a.to_string();
            let e = ApiError::from(CoreError::Auth(a));
            assert_eq!((e.problem().status, e.problem().detail.as_str()), (401, detail.as_str()));
        }
        assert_eq!(status_and_kind(CoreError::Auth(AuthError::InvitationNotPending)).0, 409);

        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let t =
            check_transition(CertificateStatus::Active, CertificateStatus::Pending, None, day).expect_err("refused");
        let e = ApiError::from(CoreError::Transition(t));
        assert_eq!(e.problem().status, 409);
        assert_eq!(
            e.problem().allowed_transitions.as_deref(),
            Some(&["EXPIRED".to_owned(), "REVOKED".to_owned(), "SUSPENDED".to_owned()][..])
        );
    }

    #[test]
    fn store_failures_never_leak() {
        let e = ApiError::from(CoreError::Store(StoreError::Database("password=hunter2 host=db".into())));
        assert!(matches!(e, ApiError::Internal(_)));
        assert!(!e.problem().detail.contains("hunter2"), "{}", e.problem().detail);
        assert!(!e.problem().detail.contains("db"), "{}", e.problem().detail);
    }

    #[test]
    fn statuses_without_a_variant_fall_back() {
        let e = ApiError::from_problem(Problem::status(StatusCode::METHOD_NOT_ALLOWED, "x"));
        assert!(matches!(e, ApiError::BadRequest(_)));
        assert_eq!(e.problem().status, 400, "the document matches the status sent");
        let e = ApiError::from_problem(Problem::status(StatusCode::BAD_GATEWAY, "x"));
        assert_eq!(e.problem().status, 500);
    }

    async fn body(resp: Response) -> (StatusCode, String, serde_json::Value) {
        let status = resp.status();
        let ct = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let bytes = resp.into_body().into_vec().await.expect("body");
        (status, ct, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    #[tokio::test]
    async fn leftover_poem_errors_become_problems() {
        let cases: Vec<(poem::Error, u16, &str)> = vec![
            (poem::error::NotFoundError.into(), 404, "no resource"),
            (poem::error::MethodNotAllowedError.into(), 405, "not allowed"),
            (poem_openapi::error::AuthorizationError.into(), 401, "Token <key>"),
            (AuthFailure::error("token expired"), 401, "token expired"),
            (poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE), 413, "too large"),
            (poem::Error::from_string("secret=abc broke", StatusCode::INTERNAL_SERVER_ERROR), 500, "logged"),
        ];
        for (err, status, needle) in cases {
            let (s, ct, doc) = body(into_problem(err)).await;
            assert_eq!(s.as_u16(), status);
            assert_eq!(ct, PROBLEM_JSON);
            assert_eq!(doc["status"], status);
            let detail = doc["detail"].as_str().unwrap_or_default();
            assert!(detail.contains(needle), "{detail}");
            assert!(!detail.contains("abc"), "{detail}");
        }
        // A problem response passes through unchanged.
        let err: poem::Error = ApiError::from(CoreError::conflict("dup")).into();
        let (s, _, doc) = body(into_problem(err)).await;
        assert_eq!((s.as_u16(), doc["detail"].as_str()), (409, Some("dup")));
    }

    #[tokio::test]
    async fn problem_context_stamps_instance_and_request_id() {
        let ep = make_sync(|_| ApiError::from(CoreError::not_found("site"))).with(ProblemContext);
        let mut req = Request::builder().uri(poem::http::Uri::from_static("/api/x?y=1")).finish();
        req.extensions_mut().insert(crate::RequestId("req-1".into()));
        let resp = ep.call(req).await.expect("response");
        let (s, ct, doc) = body(resp).await;
        assert_eq!((s.as_u16(), ct.as_str()), (404, PROBLEM_JSON));
        assert_eq!(doc["instance"], "/api/x");
        assert_eq!(doc["request_id"], "req-1");

        let ep = make_sync(|_| -> poem::Result<&'static str> { Err(poem::error::NotFoundError.into()) })
            .with(ProblemContext);
        let (s, ct, doc) = body(ep.call(Request::default()).await.expect("response")).await;
        assert_eq!((s.as_u16(), ct.as_str()), (404, PROBLEM_JSON));
        assert_eq!(doc["instance"], "/");
        assert!(doc.get("request_id").is_none());
    }
}

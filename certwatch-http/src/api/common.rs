//! What every endpoint group shares: the token security scheme, the
//! [`Reply`] wrapper that turns core errors and request parse failures into
//! problem documents, the success responses and small parsing helpers.

use std::sync::Arc;

use certwatch_core::authz::Principal;
use certwatch_core::validation::ValidationErrors;
use certwatch_core::Error as CoreError;
use poem::{IntoResponse, Request, Response};
use poem_openapi::auth::ApiKey;
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaResponses, Registry};
use poem_openapi::types::{MaybeUndefined, ToJSON};
use poem_openapi::{ApiResponse, Object, SecurityScheme};

use super::State;
use crate::problem::{ApiError, AuthFailure};

/// API token authentication. Send the header `Authorization: Token <key>`
/// with a key from `POST /api/auth/login` or `POST /api/auth/tokens`. The
/// token names both the user and the tenant the request acts in. A missing
/// or malformed header, or an unknown, revoked or expired token, answers
/// 401 with the reason.
#[derive(SecurityScheme)]
#[oai(rename = "TokenAuth", ty = "api_key", key_name = "Authorization", key_in = "header", checker = "check_token")]
pub struct TokenAuth(pub Principal);

async fn check_token(req: &Request, key: ApiKey) -> poem::Result<Principal> {
    let Some(state) = req.data::<Arc<State>>() else {
        return Err(ApiError::internal("security check", &"api::State is not in the request data").into());
    };
    let secret = match key.key.trim().split_once(' ') {
        Some((scheme, secret)) if scheme.eq_ignore_ascii_case("token") && !secret.trim().is_empty() => secret.trim(),
        _ => return Err(AuthFailure::error("malformed Authorization header: expected `Token <key>`")),
    };
    match state.core.tenancy().authenticate(secret).await {
        Ok(p) => Ok(p.with_request_id(request_id(req))),
        Err(CoreError::Auth(a)) => Err(AuthFailure::error(a.to_string())),
        Err(e) => Err(ApiError::from(e).into()),
    }
}

/// The request id the request-id middleware attached, if any.
pub fn request_id(req: &Request) -> Option<String> {
    req.extensions().get::<crate::RequestId>().map(|r| r.0.clone())
}

/// What every operation returns: its success response, or an [`ApiError`]
/// problem. Request parse failures (malformed JSON, wrong types, unknown
/// enum values, bad path parameters) and refused tokens are turned into
/// problems by [`ApiError`]'s bad-request handler before the handler runs.
pub struct Reply<T>(pub Result<T, ApiError>);

impl<T: ApiResponse> ApiResponse for Reply<T> {
    const BAD_REQUEST_HANDLER: bool = true;

    fn meta() -> MetaResponses {
        let mut meta = T::meta();
        meta.responses.extend(ApiError::meta().responses);
        meta
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
        ApiError::register(registry);
    }

    fn from_parse_request_error(err: poem::Error) -> Self {
        Reply(Err(ApiError::from_parse_request_error(err)))
    }
}

impl<T: IntoResponse> IntoResponse for Reply<T> {
    fn into_response(self) -> Response {
        match self.0 {
            Ok(t) => t.into_response(),
            Err(e) => e.into_response(),
        }
    }
}

impl<T> From<Result<T, ApiError>> for Reply<T> {
    fn from(r: Result<T, ApiError>) -> Self {
        Reply(r)
    }
}

impl<T> From<Result<T, CoreError>> for Reply<T> {
    fn from(r: Result<T, CoreError>) -> Self {
        Reply(r.map_err(ApiError::from))
    }
}

impl<T> Reply<T> {
    /// The reply of a core call whose value is mapped with `f`.
    pub fn map<U>(r: Result<U, CoreError>, f: impl FnOnce(U) -> T) -> Self {
        Reply(r.map(f).map_err(ApiError::from))
    }

    /// The reply of a handler body that may fail in several steps.
    pub async fn run(f: impl std::future::Future<Output = Result<T, ApiError>>) -> Self {
        Reply(f.await)
    }
}

/// 201 with the created object.
#[derive(ApiResponse)]
pub enum Created<T: ToJSON> {
    /// Created.
    #[oai(status = 201)]
    Created(Json<T>),
}

/// 202 with a message: the request was accepted and will be acted on.
#[derive(ApiResponse)]
pub enum Accepted {
    /// Accepted.
    #[oai(status = 202)]
    Accepted(Json<Message>),
}

/// 204: done, nothing to return.
#[derive(ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    NoContent,
}

/// A human-readable confirmation.
#[derive(Object, Debug, Clone)]
pub struct Message {
    /// What happened.
    pub message: String,
}

/// Absent → unchanged (`None`); `null` → clear (`Some(None)`); a value →
/// set it (`Some(Some(v))`).
pub fn patch<T>(m: MaybeUndefined<T>) -> Option<Option<T>> {
    match m {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// A field that may be changed but not cleared: `null` is refused with a
/// 422 naming the field.
pub fn patch_required<T>(field: &str, m: MaybeUndefined<T>) -> Result<Option<T>, ValidationErrors> {
    match m {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Err(ValidationErrors::single(field, "must not be null")),
        MaybeUndefined::Value(v) => Ok(Some(v)),
    }
}

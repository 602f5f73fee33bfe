//! Request bodies larger than the configured limit are refused with 413
//! before any handler reads them: by `Content-Length` when the client sends
//! one, else by reading at most the limit of a chunked body.

use std::sync::Arc;

use poem::error::ReadBodyError;
use poem::http::{header, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Request, Response, Result};

fn too_large(limit: usize) -> Response {
    crate::problem::problem_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Payload Too Large",
        &format!("the request body exceeds {limit} bytes"),
    )
}

/// The largest body of a spreadsheet upload: the import's 20 MB file cap
/// plus room for the multipart framing (the core refuses larger files
/// itself, also with 413).
pub const IMPORT_BODY_LIMIT: usize = certwatch_core::imports::MAX_FILE_BYTES + 256 * 1024;

/// The body limit of a request to `path`: uploads to `/api/imports` may
/// be larger than the configured default.
pub fn limit_for(path: &str, default: usize) -> usize {
    if path.starts_with("/api/imports") {
        default.max(IMPORT_BODY_LIMIT)
    } else {
        default
    }
}

/// Applies the limit.
pub async fn around<E: Endpoint>(ep: Arc<E>, mut req: Request, limit: usize) -> Result<Response> {
    let declared: Option<usize> =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    match declared {
        Some(n) if n > limit => return Ok(too_large(limit)),
        Some(_) => {}
        None if req.headers().contains_key(header::TRANSFER_ENCODING) => {
            match req.take_body().into_bytes_limit(limit).await {
                Ok(bytes) => req.set_body(Body::from(bytes)),
                Err(ReadBodyError::PayloadTooLarge) => return Ok(too_large(limit)),
                Err(e) => {
                    return Ok(crate::problem::problem_response(StatusCode::BAD_REQUEST, "Bad Request", &e.to_string()))
                }
            }
        }
        None => {}
    }
    ep.call(req).await.map(IntoResponse::into_response)
}

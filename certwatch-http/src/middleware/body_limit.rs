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

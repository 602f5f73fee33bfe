//! `X-Request-ID`: honoured when the caller sends a sane one, generated
//! otherwise, echoed on every response, attached to the request's tracing
//! span (so every log line carries it) and handed to handlers as
//! [`crate::RequestId`]. This outermost layer also turns any error that
//! escaped the handlers into a problem document.

use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Request, Response, Result};
use tracing::Instrument;

use crate::RequestId;

/// The request id header.
pub const HEADER: &str = "x-request-id";

/// Accepts ids of 1..=128 visible ASCII characters from `[A-Za-z0-9._:-]`.
pub fn sanitize(raw: Option<&str>) -> Option<String> {
    let s = raw?.trim();
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| s.to_owned())
}

/// Runs `ep` with a request id.
pub async fn around<E: Endpoint>(ep: std::sync::Arc<E>, mut req: Request) -> Result<Response> {
    let id = sanitize(req.headers().get(HEADER).and_then(|v| v.to_str().ok()))
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let result = ep.call(req).instrument(span.clone()).await;
    let mut resp = match result {
        Ok(r) => r.into_response(),
        Err(e) => crate::problem::into_problem(e),
    };
    span.in_scope(|| {
        tracing::info!(status = resp.status().as_u16(), "response");
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(HEADER, v);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn ids() {
        assert_eq!(sanitize(Some("abc-123")), Some("abc-123".into()));
        assert_eq!(sanitize(Some("a b")), None);
        assert_eq!(sanitize(Some("<script>")), None);
        assert_eq!(sanitize(Some(&"x".repeat(129))), None);
        assert_eq!(sanitize(None), None);
    }
}

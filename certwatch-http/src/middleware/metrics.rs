//! Prometheus metrics: request counts and latencies per method, route
//! template and status, served as text at `GET /metrics`.

use std::sync::Arc;
use std::time::Instant;

use poem::{Endpoint, IntoResponse, Request, Response, Result};
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};

/// The metric families of the host.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl Metrics {
    /// Registers the families.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("certwatch".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by method, route and status"),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency by method and route")
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
            &["method", "route"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        Ok(Self { registry, requests, latency })
    }

    /// The registry, for other metric families of the process.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if TextEncoder::new().encode(&self.registry.gather(), &mut buf).is_err() {
            return String::new();
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// The route template of a path: ids (UUIDs, numbers, type codes after
/// `types/`) become `{id}`, so label cardinality stays bounded.
pub fn route_label(path: &str) -> String {
    let mut out = String::new();
    let mut prev = "";
    for seg in path.trim_end_matches('/').split('/').skip(1) {
        out.push('/');
        let is_id = uuid::Uuid::parse_str(seg).is_ok()
            || (!seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()))
            || prev == "types";
        out.push_str(if is_id { "{id}" } else { seg });
        prev = seg;
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Counts and times every request.
pub async fn around<E: Endpoint>(ep: Arc<E>, req: Request, metrics: Arc<Metrics>) -> Result<Response> {
    let method = req.method().as_str().to_owned();
    let route = route_label(req.uri().path());
    let started = Instant::now();
    let resp = match ep.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => crate::problem::into_problem(e),
    };
    // Unknown paths share one label, so scanners can't blow up the series.
    let route = if resp.status() == poem::http::StatusCode::NOT_FOUND && !route.starts_with("/api/") {
        "unmatched".to_owned()
    } else {
        route
    };
    metrics.requests.with_label_values(&[method.as_str(), route.as_str(), resp.status().as_str()]).inc();
    metrics.latency.with_label_values(&[method.as_str(), route.as_str()]).observe(started.elapsed().as_secs_f64());
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(
            route_label("/api/organizations/0190b1c2-3d4e-7f00-8000-000000000000/sites"),
            "/api/organizations/{id}/sites"
        );
        assert_eq!(route_label("/api/certificates/types/ISO_9001"), "/api/certificates/types/{id}");
        assert_eq!(route_label("/api/health/"), "/api/health");
        assert_eq!(route_label("/"), "/");
    }
}

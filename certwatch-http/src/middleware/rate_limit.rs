//! Rate limits on registration, log-in and other expensive endpoints, and
//! on the anonymous public search: checked before the handler runs (before
//! the body is even read), keyed per user (a hash of the presented token)
//! or else per client IP, answering 429 with `Retry-After`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response, Result};
use sha2::{Digest, Sha256};

use crate::config::RateLimits;

/// Which budget a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Registration, log-in, verification, invitation acceptance.
    Auth,
    /// The anonymous certificate search.
    PublicSearch,
    /// Token creation, invitations, spreadsheet imports and exports.
    Expensive,
}

/// The class of a request, or `None` when it is not limited.
pub fn classify(method: &Method, path: &str) -> Option<Class> {
    let path = path.trim_end_matches('/');
    match (method.as_str(), path) {
        ("POST", "/api/auth/register" | "/api/auth/login" | "/api/auth/resend-verification")
        | ("POST", "/api/auth/invitations/accept")
        | ("GET" | "POST", "/api/auth/verify-email") => Some(Class::Auth),
        ("GET", "/api/certificates/public-search") => Some(Class::PublicSearch),
        ("POST", "/api/auth/tokens" | "/api/auth/invitations" | "/api/bulk-upload/batches") => Some(Class::Expensive),
        ("POST", "/api/imports") | ("GET", "/api/imports/export") => Some(Class::Expensive),
        // Webhook test events and redeliveries make outbound requests.
        ("POST", p) if is_webhook_send(p) => Some(Class::Expensive),
        // Scrape and discovery triggers start outbound crawls.
        ("POST", p) if p.starts_with("/api/monitoring/") && (p.ends_with("/scrape") || p.ends_with("/discover")) => {
            Some(Class::Expensive)
        }
        _ => None,
    }
}

/// `POST /api/webhooks/subscribers/{id}/test` and
/// `/api/webhooks/deliveries/{id}/redeliver`.
fn is_webhook_send(path: &str) -> bool {
    let segs: Vec<&str> = path.split('/').collect();
    matches!(segs.as_slice(), ["", "api", "webhooks", "subscribers", _, "test"])
        || matches!(segs.as_slice(), ["", "api", "webhooks", "deliveries", _, "redeliver"])
}

/// Who a budget belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Caller {
    Token([u8; 16]),
    Ip(IpAddr),
    Unknown,
}

/// The keyed limiters, one per class.
pub struct RateLimiter {
    auth: DefaultKeyedRateLimiter<Caller>,
    search: DefaultKeyedRateLimiter<Caller>,
    expensive: DefaultKeyedRateLimiter<Caller>,
    trusted_proxies: usize,
    checks: AtomicU64,
}

fn per_minute(n: NonZeroU32) -> Quota {
    Quota::per_minute(n)
}

impl RateLimiter {
    /// Limiters with these budgets.
    pub fn new(limits: RateLimits, trusted_proxies: usize) -> Self {
        Self {
            auth: governor::RateLimiter::keyed(per_minute(limits.auth_per_minute)),
            search: governor::RateLimiter::keyed(per_minute(limits.public_search_per_minute)),
            expensive: governor::RateLimiter::keyed(per_minute(limits.expensive_per_minute)),
            trusted_proxies,
            checks: AtomicU64::new(0),
        }
    }

    fn caller(&self, req: &Request) -> Caller {
        let token = req
            .headers()
            .get(poem::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Token "))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        if let Some(t) = token {
            let digest = Sha256::digest(t.as_bytes());
            let mut key = [0u8; 16];
            key.copy_from_slice(&digest[..16]);
            return Caller::Token(key);
        }
        super::client_ip(req, self.trusted_proxies).map_or(Caller::Unknown, Caller::Ip)
    }

    /// `Err(seconds to wait)` when the caller's budget for `class` is spent.
    fn check(&self, class: Class, caller: &Caller) -> Result<(), u64> {
        let limiter = match class {
            Class::Auth => &self.auth,
            Class::PublicSearch => &self.search,
            Class::Expensive => &self.expensive,
        };
        // Forget idle callers now and then so memory stays bounded.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            for l in [&self.auth, &self.search, &self.expensive] {
                l.retain_recent();
            }
        }
        limiter.check_key(caller).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// Applies the limits before the handler.
pub async fn around<E: Endpoint>(ep: Arc<E>, req: Request, limiter: Arc<RateLimiter>) -> Result<Response> {
    if let Some(class) = classify(req.method(), req.uri().path()) {
        let caller = limiter.caller(&req);
        if let Err(wait) = limiter.check(class, &caller) {
            let wait = wait.max(1);
            let mut resp = crate::problem::problem_response(
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests",
                &format!("rate limit reached; retry in {wait} s"),
            );
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                resp.headers_mut().insert(poem::http::header::RETRY_AFTER, v);
            }
            return Ok(resp);
        }
    }
    ep.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(classify(&Method::POST, "/api/auth/login/"), Some(Class::Auth));
        assert_eq!(classify(&Method::GET, "/api/certificates/public-search"), Some(Class::PublicSearch));
        assert_eq!(classify(&Method::GET, "/api/organizations"), None);
        assert_eq!(classify(&Method::POST, "/api/auth/tokens"), Some(Class::Expensive));
        assert_eq!(classify(&Method::POST, "/api/webhooks/subscribers/x/test"), Some(Class::Expensive));
        assert_eq!(classify(&Method::POST, "/api/webhooks/deliveries/x/redeliver/"), Some(Class::Expensive));
        assert_eq!(classify(&Method::GET, "/api/webhooks/deliveries/x"), None);
        assert_eq!(classify(&Method::POST, "/api/webhooks/subscribers/x/test/more"), None);
        assert_eq!(classify(&Method::POST, "/api/bulk-upload/batches/"), Some(Class::Expensive));
        assert_eq!(classify(&Method::GET, "/api/bulk-upload/batches"), None);
        assert_eq!(classify(&Method::POST, "/api/imports/"), Some(Class::Expensive));
        assert_eq!(classify(&Method::POST, "/api/monitoring/endpoints/x/scrape"), Some(Class::Expensive));
        assert_eq!(classify(&Method::POST, "/api/monitoring/organizations/x/discover"), Some(Class::Expensive));
        assert_eq!(classify(&Method::GET, "/api/monitoring/endpoints"), None);
    }

    #[test]
    fn budget_is_per_caller() {
        let one = NonZeroU32::MIN;
        let l = RateLimiter::new(
            RateLimits { auth_per_minute: one, public_search_per_minute: one, expensive_per_minute: one },
            0,
        );
        let a = Caller::Ip("192.0.2.1".parse().expect("ip"));
        let b = Caller::Ip("192.0.2.2".parse().expect("ip"));
        assert!(l.check(Class::Auth, &a).is_ok());
        let wait = l.check(Class::Auth, &a).expect_err("second call limited");
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(l.check(Class::Auth, &b).is_ok(), "another caller has its own budget");
        assert!(l.check(Class::PublicSearch, &a).is_ok(), "another class has its own budget");
    }
}

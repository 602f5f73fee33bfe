//! The real server over HTTP: [`TestServer::spawn`] starts it on port 0
//! over a fresh database with a manual clock and a file outbox, and the
//! helpers make requests and read e-mailed tokens.

use std::sync::Arc;

use certwatch_core::adapters::ManualClock;
use certwatch_core::authz::Principal;
use certwatch_core::CertWatch;
use certwatch_http::mail::FileOutbox;
use certwatch_http::{Application, JobSettings, RateLimits, ServeConfig};
use serde_json::Value;

use crate::{core_with_clock, Backend, TestDb};

/// A running server and what a test needs to look behind it.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The core the server uses (same store, same clock).
    pub core: CertWatch,
    /// The server's clock.
    pub clock: Arc<ManualClock>,
    /// Where the server's e-mails go.
    pub outbox: FileOutbox,
    /// An HTTP client.
    pub client: reqwest::Client,
    /// The database (dropped with the server).
    pub db: TestDb,
}

/// One HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// `Content-Type` (empty when absent).
    pub content_type: String,
    /// The body as JSON (`Null` when empty or not JSON).
    pub body: Value,
    /// The raw body.
    pub text: String,
}

impl Answer {
    /// Whether this is an RFC 9457 problem document with a non-empty
    /// detail and the status repeated in the body.
    pub fn is_problem(&self) -> bool {
        self.content_type.starts_with("application/problem+json")
            && self.body["status"].as_u64() == Some(u64::from(self.status))
            && self.body["title"].as_str().is_some_and(|t| !t.is_empty())
            && self.body["type"].as_str().is_some_and(|t| !t.is_empty())
            && self.body["detail"].as_str().is_some_and(|d| !d.is_empty())
    }
}

impl TestServer {
    /// The server on a fresh database of `backend`, with rate limits high
    /// enough never to interfere.
    pub async fn spawn(backend: Backend) -> TestServer {
        let dir = std::env::temp_dir().join(format!("cw-outbox-{}", uuid::Uuid::new_v4().simple()));
        Self::spawn_with_outbox(backend, dir).await
    }

    /// [`TestServer::spawn`] with the file outbox in `dir` (a path that can't
    /// be a directory makes every e-mail fail). A worker runs (e-mails are
    /// jobs) but no scheduler, so nothing periodic happens behind the
    /// test's back.
    pub async fn spawn_with_outbox(backend: Backend, dir: std::path::PathBuf) -> TestServer {
        let jobs = JobSettings {
            run_scheduler: false,
            poll_interval: std::time::Duration::from_millis(50),
            ..JobSettings::default()
        };
        Self::spawn_full(backend, dir, jobs).await
    }

    /// The server with no background worker at all: jobs stay queued.
    pub async fn spawn_without_worker(backend: Backend) -> TestServer {
        let dir = std::env::temp_dir().join(format!("cw-outbox-{}", uuid::Uuid::new_v4().simple()));
        Self::spawn_full(backend, dir, JobSettings { run_worker: false, ..JobSettings::default() }).await
    }

    /// The server with its in-process worker and scheduler on these
    /// settings (tests pass a short poll interval and allow loopback
    /// webhook receivers).
    pub async fn spawn_with_jobs(backend: Backend, jobs: JobSettings) -> TestServer {
        let dir = std::env::temp_dir().join(format!("cw-outbox-{}", uuid::Uuid::new_v4().simple()));
        Self::spawn_full(backend, dir, JobSettings { run_worker: true, ..jobs }).await
    }

    async fn spawn_full(backend: Backend, dir: std::path::PathBuf, jobs: JobSettings) -> TestServer {
        let db = TestDb::new(backend).await;
        let (core, clock) = core_with_clock(db.store.clone());
        let outbox = FileOutbox::new(dir.clone());
        let high = std::num::NonZeroU32::new(100_000).expect("non-zero");
        let config = ServeConfig {
            bind: "127.0.0.1:0".into(),
            data_dir: dir,
            public_url: Some("http://certwatch.test".into()),
            rate_limits: RateLimits {
                auth_per_minute: high,
                public_search_per_minute: high,
                expensive_per_minute: high,
            },
            jobs,
            ..ServeConfig::default()
        };
        let app = Application::with_parts(&config, core.clone(), Arc::new(outbox.clone())).await.expect("bind");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run());
        TestServer { base, core, clock, outbox, client: reqwest::Client::new(), db }
    }

    /// Sends `method path` with an optional token and JSON body.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Token {t}"));
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        Self::answer(req.send().await.expect("request sent")).await
    }

    /// Sends a raw body with a content type.
    pub async fn call_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &str,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Content-Type", content_type)
            .body(body.to_owned());
        if let Some(t) = token {
            req = req.header("Authorization", format!("Token {t}"));
        }
        Self::answer(req.send().await.expect("request sent")).await
    }

    /// Sends a request with an arbitrary `Authorization` header value.
    pub async fn call_with_authorization(&self, method: &str, path: &str, authorization: &str) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let req = self.client.request(method, format!("{}{path}", self.base)).header("Authorization", authorization);
        Self::answer(req.send().await.expect("request sent")).await
    }

    async fn answer(res: reqwest::Response) -> Answer {
        let status = res.status().as_u16();
        let content_type =
            res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, content_type, body, text }
    }

    /// The token of the newest e-mail to `to` whose body links to `path`
    /// (`/api/auth/verify-email`, `/api/auth/invitations/accept`), waiting
    /// for the e-mail job to send it.
    pub async fn mailed_token(&self, to: &str, path: &str) -> String {
        let needle = format!("{path}?token=");
        let find = || {
            self.outbox.read_all().into_iter().rev().filter(|m| m.to.eq_ignore_ascii_case(to)).find_map(|m| {
                let start = m.body.find(&needle)? + needle.len();
                Some(m.body[start..].split_whitespace().next()?.to_owned())
            })
        };
        self.eventually(&format!("an e-mail to {to} links to {path} ({:?})", self.outbox.dir()), || {
            let found = find().is_some();
            async move { found }
        })
        .await;
        find().unwrap_or_else(|| panic!("no e-mail to {to} linking to {path} in {:?}", self.outbox.dir()))
    }

    /// Waits (up to 30 s, polling) until `check` holds; panics with `what`
    /// otherwise. For background work the test cannot await directly; the
    /// deadline only guards against hanging, it asserts no speed.
    pub async fn eventually<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !check().await {
            assert!(std::time::Instant::now() < deadline, "gave up waiting until {what}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// How many e-mails went to `to`.
    pub fn mails_to(&self, to: &str) -> usize {
        self.outbox.read_all().into_iter().filter(|m| m.to.eq_ignore_ascii_case(to)).count()
    }

    /// Registers over HTTP, verifies through the e-mailed link and logs in;
    /// returns the token.
    pub async fn signup(&self, email: &str, password: &str, tenant_name: &str) -> String {
        let r = self
            .call(
                "POST",
                "/api/auth/register",
                None,
                Some(&serde_json::json!({"email": email, "password": password, "tenant_name": tenant_name})),
            )
            .await;
        assert_eq!(r.status, 201, "register {email}: {}", r.text);
        let token = self.mailed_token(email, "/api/auth/verify-email").await;
        let r = self.call("GET", &format!("/api/auth/verify-email?token={token}"), None, None).await;
        assert_eq!(r.status, 200, "verify {email}: {}", r.text);
        self.login(email, password).await
    }

    /// Logs in over HTTP; returns the token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let r = self
            .call("POST", "/api/auth/login", None, Some(&serde_json::json!({"email": email, "password": password})))
            .await;
        assert_eq!(r.status, 200, "login {email}: {}", r.text);
        r.body["token"].as_str().expect("token").to_owned()
    }

    /// The principal a token authenticates as (through the core).
    pub async fn principal(&self, token: &str) -> Principal {
        self.core.tenancy().authenticate(token).await.expect("token authenticates")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.outbox.dir());
    }
}

//! The [`Renderer`] of cargo feature `browser`: headless Chromium driven
//! over the DevTools protocol (chromiumoxide).
//!
//! * One browser process serves every render (a fresh tab each time); when
//!   it died, the next render launches a new one. Each process gets its
//!   own profile directory, removed when the process is dropped.
//! * SSRF: the page URL is checked with the fetcher's rules (and the same
//!   allow-list) before the browser sees it, and every request of every
//!   tab is paused by the CDP Fetch domain (enabled when the tab is
//!   created, before it loads anything) and continued only when its URL
//!   passes the same check, DNS included; everything else fails with
//!   `BlockedByClient`. Site isolation is switched off so cross-site
//!   frames stay in the tab whose requests we intercept; requests of
//!   targets we don't answer (service workers, out-of-process frames) stay
//!   paused until the tab closes, so they fail closed. WebSocket and
//!   WebRTC, which the Fetch domain doesn't see, are removed from every
//!   document before its scripts run. Residual risk, documented: Chromium
//!   resolves the name again after our check, so a DNS answer that changes
//!   within that moment (rebinding) is not caught as it is by the
//!   fetcher's pinned resolver.
//! * Bounds: a whole-render time limit and a cap on the rendered HTML
//!   (measured in the page before it is transferred).
//! * `--no-sandbox` only when running as root (CI), where Chromium refuses
//!   to start with its sandbox.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use async_trait::async_trait;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::fetch::{ContinueRequestParams, EventRequestPaused, FailRequestParams};
use chromiumoxide::cdp::browser_protocol::network::ErrorReason;
use chromiumoxide::error::CdpError;
use chromiumoxide::Page;
use futures_util::StreamExt;
use ipnet::IpNet;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use url::Url;

use super::http::check_resolved;
use super::render::{RenderError, RenderedPage, Renderer};

/// Where Debian's `chromium` package puts the browser.
pub const DEFAULT_CHROMIUM_PATH: &str = "/usr/bin/chromium";

/// Settings of [`ChromiumRenderer`].
#[derive(Debug, Clone)]
pub struct ChromiumConfig {
    /// The browser binary (`CHROMIUM_PATH`, default `/usr/bin/chromium`).
    pub executable: PathBuf,
    /// Non-public ranges the page may load anyway (the fetcher's allow-list).
    pub allow: Vec<IpNet>,
    /// Time limit of one render, launch of the browser excluded.
    pub page_timeout: Duration,
    /// Time limit of starting the browser.
    pub launch_timeout: Duration,
    /// Extra time after the load event for scripts that fill the page in.
    pub settle: Duration,
    /// Largest rendered HTML accepted, in bytes (UTF-16 code units as the
    /// page counts them, a close lower bound of the UTF-8 size).
    pub max_html_bytes: usize,
}

impl Default for ChromiumConfig {
    fn default() -> Self {
        Self {
            executable: PathBuf::from(DEFAULT_CHROMIUM_PATH),
            allow: Vec::new(),
            page_timeout: Duration::from_secs(30),
            launch_timeout: Duration::from_secs(20),
            settle: Duration::from_millis(500),
            max_html_bytes: 5 << 20,
        }
    }
}

impl ChromiumConfig {
    /// The defaults with the executable from `CHROMIUM_PATH` when set.
    pub fn from_env() -> Self {
        let mut c = Self::default();
        if let Some(p) = std::env::var_os("CHROMIUM_PATH").filter(|p| !p.is_empty()) {
            c.executable = PathBuf::from(p);
        }
        c
    }
}

/// A running browser: the process, the task driving its protocol
/// connection and its profile directory.
struct Running {
    browser: Mutex<Browser>,
    handler: JoinHandle<()>,
    profile: PathBuf,
    pid: Option<u32>,
}

impl Running {
    /// Whether the process still runs and its connection is open.
    async fn alive(&self) -> bool {
        !self.handler.is_finished() && matches!(self.browser.lock().await.try_wait(), Ok(None))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handler.abort();
        // Kill the process and wait (briefly, it is SIGKILL) until it is
        // gone, so it can't write into the profile after we removed it.
        if let Some(child) = self.browser.get_mut().get_mut_child() {
            let _ = child.inner.start_kill();
            let deadline = std::time::Instant::now() + Duration::from_secs(2);
            while matches!(child.inner.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Headless Chromium [`Renderer`].
pub struct ChromiumRenderer {
    config: Arc<ChromiumConfig>,
    running: Mutex<Option<Arc<Running>>>,
    launches: AtomicU64,
}

impl std::fmt::Debug for ChromiumRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChromiumRenderer").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Removes what the Fetch domain can't intercept, before any script of
/// the document runs.
const DISABLE_UNINTERCEPTED_APIS: &str = r"
for (const name of ['WebSocket', 'WebTransport', 'RTCPeerConnection', 'webkitRTCPeerConnection']) {
  try { Object.defineProperty(globalThis, name, { value: undefined, configurable: false, writable: false }); } catch (e) {}
}
";

static PROFILE_SEQ: AtomicU64 = AtomicU64::new(0);

impl ChromiumRenderer {
    /// A renderer with `config`; the browser starts at the first render.
    pub fn new(config: ChromiumConfig) -> Self {
        Self { config: Arc::new(config), running: Mutex::new(None), launches: AtomicU64::new(0) }
    }

    /// How many times a browser process was started (one, as long as it
    /// keeps running).
    pub fn launches(&self) -> u64 {
        self.launches.load(Ordering::Relaxed)
    }

    /// The process id of the running browser, if one was started and is
    /// still known.
    pub async fn browser_pid(&self) -> Option<u32> {
        self.running.lock().await.as_ref().and_then(|r| r.pid)
    }

    /// Forgets the running browser when it is `dead` (so the next render
    /// launches a new one).
    async fn forget(&self, dead: &Arc<Running>) {
        let mut slot = self.running.lock().await;
        if slot.as_ref().is_some_and(|r| Arc::ptr_eq(r, dead)) {
            *slot = None;
        }
    }

    /// The settings.
    pub fn config(&self) -> &ChromiumConfig {
        &self.config
    }

    /// The running browser, launched (again) when there is none or it died.
    async fn browser(&self) -> Result<Arc<Running>, RenderError> {
        let mut slot = self.running.lock().await;
        if let Some(r) = slot.as_ref() {
            if r.alive().await {
                return Ok(r.clone());
            }
            tracing::warn!("headless Chromium died; launching it again");
        }
        *slot = None;
        let r = Arc::new(self.launch().await?);
        *slot = Some(r.clone());
        Ok(r)
    }

    async fn launch(&self) -> Result<Running, RenderError> {
        let exe = &self.config.executable;
        if !exe.is_file() {
            return Err(RenderError::Unavailable(format!(
                "no Chromium at {} (install it with `apt-get install chromium`, or set CHROMIUM_PATH to the browser binary)",
                exe.display()
            )));
        }
        let profile = std::env::temp_dir().join(format!(
            "certwatch-chromium-{}-{}",
            std::process::id(),
            PROFILE_SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let mut builder = BrowserConfig::builder()
            .chrome_executable(exe)
            .user_data_dir(&profile)
            .launch_timeout(self.config.launch_timeout)
            .request_timeout(self.config.page_timeout)
            .enable_request_intercept()
            .args([
                // Keep cross-site frames in the tab whose requests we intercept.
                "--disable-site-isolation-trials",
                "--disable-features=IsolateOrigins,site-per-process",
                // No traffic of the browser's own.
                "--no-pings",
                "--disable-domain-reliability",
                "--disable-component-update",
                "--dns-prefetch-disable",
                "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
            ]);
        if running_as_root() {
            builder = builder.no_sandbox();
        }
        let config = builder.build().map_err(RenderError::Browser)?;
        let (mut browser, mut handler) = Browser::launch(config).await.map_err(|e| {
            let _ = std::fs::remove_dir_all(&profile);
            RenderError::Browser(format!("starting {} failed: {e}", exe.display()))
        })?;
        self.launches.fetch_add(1, Ordering::Relaxed);
        let pid = browser.get_mut_child().and_then(|c| c.inner.id());
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                // A broken connection means the browser is gone; anything
                // else (an event this protocol version doesn't know) is not.
                if let Err(CdpError::Ws(e)) = event {
                    tracing::warn!(error = %e, "connection to headless Chromium lost");
                    break;
                }
            }
        });
        Ok(Running { browser: Mutex::new(browser), handler, profile, pid })
    }

    async fn render_in(
        &self,
        page: &Page,
        url: &Url,
        blocked: Arc<StdMutex<Vec<String>>>,
    ) -> Result<RenderedPage, RenderError> {
        let mut paused = page.event_listener::<EventRequestPaused>().await.map_err(browser_err)?;
        let guard_page = page.clone();
        let allow = self.config.allow.clone();
        // Answers every paused request of this tab: continue if allowed,
        // fail otherwise. Ends when the tab closes (the stream ends).
        let guard = tokio::spawn(async move {
            while let Some(ev) = paused.next().await {
                let verdict = match Url::parse(&ev.request.url) {
                    Ok(u) if matches!(u.scheme(), "data" | "blob" | "about") => Ok(()),
                    Ok(u) => check_resolved(&u, &allow).await,
                    Err(e) => Err(format!("{}: {e}", ev.request.url)),
                };
                let sent = match verdict {
                    Ok(()) => guard_page.execute(ContinueRequestParams::new(ev.request_id.clone())).await.map(|_| ()),
                    Err(reason) => {
                        tracing::info!(reason = %reason, "browser request refused by the SSRF guard");
                        if let Ok(mut b) = blocked.lock() {
                            b.push(reason);
                        }
                        guard_page
                            .execute(FailRequestParams::new(ev.request_id.clone(), ErrorReason::BlockedByClient))
                            .await
                            .map(|_| ())
                    }
                };
                if let Err(e) = sent {
                    tracing::debug!(error = %e, "answering a paused request failed");
                }
            }
        });
        let result = self.navigate(page, url).await;
        guard.abort();
        result
    }

    async fn navigate(&self, page: &Page, url: &Url) -> Result<RenderedPage, RenderError> {
        page.evaluate_on_new_document(DISABLE_UNINTERCEPTED_APIS).await.map_err(browser_err)?;
        page.goto(url.as_str()).await.map_err(browser_err)?;
        // Wait for the load event, then give scripts a moment to fill the page in.
        loop {
            let state: String = eval(page, "document.readyState").await?;
            if state == "complete" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(self.config.settle).await;
        let status: i64 = eval(
            page,
            "(() => { const n = performance.getEntriesByType('navigation')[0]; return n && n.responseStatus ? n.responseStatus : 0; })()",
        )
        .await?;
        let len: u64 = eval(page, "document.documentElement ? document.documentElement.outerHTML.length : 0").await?;
        if len > self.config.max_html_bytes as u64 {
            return Err(RenderError::TooLarge { max: self.config.max_html_bytes });
        }
        let html: String = eval(page, "document.documentElement ? document.documentElement.outerHTML : ''").await?;
        if html.len() > self.config.max_html_bytes {
            return Err(RenderError::TooLarge { max: self.config.max_html_bytes });
        }
        let final_url =
            page.url().await.map_err(browser_err)?.and_then(|u| Url::parse(&u).ok()).unwrap_or_else(|| url.clone());
        let status = u16::try_from(status).ok().filter(|s| *s > 0);
        if let Some(s) = status.filter(|s| *s >= 400) {
            return Err(RenderError::Status(s));
        }
        Ok(RenderedPage { final_url, html, status, blocked: Vec::new() })
    }
}

async fn eval<T: serde::de::DeserializeOwned>(page: &Page, js: &str) -> Result<T, RenderError> {
    page.evaluate(js)
        .await
        .map_err(browser_err)?
        .into_value()
        .map_err(|e| RenderError::Browser(format!("unexpected value from the page: {e}")))
}

fn browser_err(e: CdpError) -> RenderError {
    match e {
        CdpError::Timeout => RenderError::Browser("the browser did not answer in time".into()),
        other => RenderError::Browser(other.to_string()),
    }
}

/// Whether this process runs as root: Chromium refuses its sandbox then.
/// The owner of `/proc/self` is the effective user.
fn running_as_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

#[async_trait]
impl Renderer for ChromiumRenderer {
    async fn render(&self, url: &Url) -> Result<RenderedPage, RenderError> {
        check_resolved(url, &self.config.allow).await.map_err(RenderError::Refused)?;
        let limit = self.config.page_timeout;
        let mut relaunched = false;
        let page = loop {
            let running = self.browser().await?;
            let opened =
                tokio::time::timeout(limit, async { running.browser.lock().await.new_page("about:blank").await }).await;
            match opened {
                Ok(Ok(p)) => break p,
                // The browser may have died since the last check: once,
                // start a new one and try again.
                Ok(Err(e)) if !relaunched => {
                    tracing::warn!(error = %e, "opening a tab failed; relaunching headless Chromium");
                    self.forget(&running).await;
                    relaunched = true;
                }
                Ok(Err(e)) => return Err(browser_err(e)),
                Err(_) => return Err(RenderError::Timeout(limit)),
            }
        };
        let blocked = Arc::new(StdMutex::new(Vec::new()));
        let outcome = tokio::time::timeout(limit, self.render_in(&page, url, blocked.clone())).await;
        if let Err(e) = page.close().await {
            tracing::debug!(error = %e, "closing a tab failed");
        }
        let mut rendered = match outcome {
            Ok(r) => r?,
            Err(_) => return Err(RenderError::Timeout(limit)),
        };
        rendered.blocked = blocked.lock().map(|b| b.clone()).unwrap_or_default();
        Ok(rendered)
    }

    fn name(&self) -> &'static str {
        "headless Chromium"
    }
}

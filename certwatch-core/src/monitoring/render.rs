//! The `Renderer` port: the scraper's browser fallback.
//!
//! Some supplier sites answer plain HTTP clients with 403 (bot walls that
//! sniff the User-Agent or want JavaScript), or ship an empty shell whose
//! certificate table JavaScript fills in. For those the scrape renders the
//! page in a real browser and reads the rendered HTML instead
//! ([`super::scrape::scrape_page`] decides when). A renderer must apply the
//! same SSRF rules as the [`super::fetch::Fetcher`] — to the page *and to
//! every request the page makes* — so a page can't use the browser to
//! reach an address the fetcher would refuse.
//!
//! The default build has no browser: [`NoRenderer`] says so, and the scrape
//! carries on with what HTTP returned, noting why. With cargo feature
//! `browser`, [`super::chromium::ChromiumRenderer`] drives headless
//! Chromium over the DevTools protocol.

use std::time::Duration;

use async_trait::async_trait;
use url::Url;

/// A page as a browser rendered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPage {
    /// The URL the browser ended on (after redirects and script navigations).
    pub final_url: Url,
    /// The DOM serialised after scripts ran (`document.documentElement.outerHTML`).
    pub html: String,
    /// The HTTP status of the main document as the browser got it, when known.
    pub status: Option<u16>,
    /// Requests of the page the SSRF guard refused (URL and reason); they
    /// never left the browser.
    pub blocked: Vec<String>,
}

/// Why a page could not be rendered. Messages are meant for the scrape log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// No browser in this build or on this machine; the message says how to
    /// get one.
    #[error("{0}")]
    Unavailable(String),
    /// The target is not allowed (same rules as the fetcher).
    #[error("refused: {0}")]
    Refused(String),
    /// The rendered HTML is larger than allowed.
    #[error("rendered HTML larger than the {max} byte limit")]
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// The page did not finish rendering in time.
    #[error("rendering timed out after {0:?}")]
    Timeout(Duration),
    /// The browser got an error status for the page too.
    #[error("the browser got HTTP status {0} too")]
    Status(u16),
    /// The browser failed (launch, protocol, navigation).
    #[error("browser error: {0}")]
    Browser(String),
}

/// Renders pages in a browser.
#[async_trait]
pub trait Renderer: Send + Sync {
    /// Loads `url`, lets its scripts run and returns the rendered DOM. The
    /// URL and every request the page makes are checked against the SSRF
    /// rules first.
    async fn render(&self, url: &Url) -> Result<RenderedPage, RenderError>;

    /// Names the renderer in scrape log notes ("headless Chromium").
    fn name(&self) -> &'static str;
}

/// The renderer of a build without the `browser` feature: always
/// unavailable, with the reason.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRenderer;

/// What [`NoRenderer`] answers.
pub const NO_BROWSER_IN_BUILD: &str =
    "this build has no browser (cargo feature `browser` is off; rebuild with `--features browser`)";

#[async_trait]
impl Renderer for NoRenderer {
    async fn render(&self, _url: &Url) -> Result<RenderedPage, RenderError> {
        Err(RenderError::Unavailable(NO_BROWSER_IN_BUILD.to_owned()))
    }

    fn name(&self) -> &'static str {
        "no browser"
    }
}

/// The renderer of this build: headless Chromium (`CHROMIUM_PATH`, default
/// `/usr/bin/chromium`) allowed to load what `allow` lets the fetcher load,
/// with cargo feature `browser`; [`NoRenderer`] without it. The browser is
/// only started by the first render, so wiring it costs nothing until a
/// page needs it.
pub fn default_renderer(allow: Vec<ipnet::IpNet>) -> std::sync::Arc<dyn Renderer> {
    #[cfg(feature = "browser")]
    {
        use super::chromium::{ChromiumConfig, ChromiumRenderer};
        std::sync::Arc::new(ChromiumRenderer::new(ChromiumConfig { allow, ..ChromiumConfig::from_env() }))
    }
    #[cfg(not(feature = "browser"))]
    {
        let _ = allow;
        std::sync::Arc::new(NoRenderer)
    }
}

//! The OpenAPI surface. For now: health. Each context gets its own module
//! of endpoints calling core services.

mod health;

use std::sync::Arc;

use certwatch_core::CertWatch;

pub use health::Health;

/// What every handler can reach.
pub struct State {
    /// The core services.
    pub core: CertWatch,
}

/// All endpoint groups of the OpenAPI document.
pub type Api = Health;

impl Health {
    /// The endpoint group over shared state.
    pub fn new(state: Arc<State>) -> Self {
        Health { state }
    }
}

//! A short-lived in-process cache of authenticated tokens.
//!
//! Every API request presents a token; resolving it costs a transaction
//! (three round trips on Postgres) before the request's own work starts.
//! Caching the resolved [`Principal`] for a few seconds halves the round
//! trips of a typical read. What keeps it honest:
//!
//! * entries live at most [`CoreConfig::auth_cache_ttl`](crate::CoreConfig)
//!   (2 s by default; zero turns the cache off), measured on the `Clock`
//!   port, and never past the token's own expiry;
//! * every change in this process that can take access away (token
//!   revocation, log-out, role change, member removal, operator flag)
//!   empties the cache *after* its commit and bumps a generation; a
//!   look-up that read the database before that bump cannot insert its
//!   now-stale answer (it captured the older generation before reading);
//! * another process (a second API server) sees such a change after at
//!   most the TTL — the documented bound on cross-process staleness.
//!
//! The cache holds no secrets: it is keyed by the token's SHA-256.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};

use super::TokenHash;
use crate::authz::Principal;

/// Entries held at most; a full cache is emptied (cheap, and a burst of
/// distinct tokens only costs the look-ups the cache would have saved).
const CAPACITY: usize = 10_000;

struct Entry {
    principal: Principal,
    cached_at: DateTime<Utc>,
    token_expires_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
struct State {
    generation: u64,
    entries: HashMap<TokenHash, Entry>,
}

/// See the module documentation.
pub(crate) struct AuthCache {
    ttl: Duration,
    state: Mutex<State>,
}

impl AuthCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, state: Mutex::new(State::default()) }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock can't leave the map inconsistent
        // (every critical section is a single map operation).
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn enabled(&self) -> bool {
        self.ttl > Duration::zero()
    }

    /// The cached principal of `hash`, if fresh at `now`.
    pub(crate) fn get(&self, hash: &TokenHash, now: DateTime<Utc>) -> Option<Principal> {
        if !self.enabled() {
            return None;
        }
        let state = self.lock();
        let entry = state.entries.get(hash)?;
        let fresh = now >= entry.cached_at && now - entry.cached_at < self.ttl;
        let valid = entry.token_expires_at.is_none_or(|e| now < e);
        (fresh && valid).then(|| entry.principal.clone())
    }

    /// The generation to pass to [`AuthCache::insert`]; read it *before*
    /// reading the database.
    pub(crate) fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Remembers a principal resolved from the database, unless access
    /// changed since `generation` was read.
    pub(crate) fn insert(
        &self,
        generation: u64,
        hash: TokenHash,
        principal: &Principal,
        token_expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) {
        if !self.enabled() {
            return;
        }
        let mut state = self.lock();
        if state.generation != generation {
            return;
        }
        if state.entries.len() >= CAPACITY {
            state.entries.clear();
        }
        let principal = Principal { request_id: None, ..principal.clone() };
        state.entries.insert(hash, Entry { principal, cached_at: now, token_expires_at });
    }

    /// Forgets everything; call after committing a change that can take
    /// access away.
    pub(crate) fn invalidate(&self) {
        let mut state = self.lock();
        state.generation = state.generation.wrapping_add(1);
        state.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{TenantId, UserId};
    use crate::tenancy::Role;

    fn principal() -> Principal {
        Principal {
            user_id: UserId::from(uuid::Uuid::from_u128(1)),
            tenant_id: TenantId::from(uuid::Uuid::from_u128(2)),
            role: Role::Member,
            token_id: None,
            is_operator: false,
            request_id: Some("req".into()),
        }
    }

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap_or_default()
    }

    #[test]
    fn entries_expire_with_the_ttl_and_the_token() {
        let cache = AuthCache::new(Duration::seconds(2));
        let h = TokenHash::of("a");
        cache.insert(cache.generation(), h.clone(), &principal(), Some(t(10)), t(0));
        let got = cache.get(&h, t(1));
        assert_eq!(got.as_ref().map(|p| p.request_id.clone()), Some(None), "request ids are not cached");
        assert!(cache.get(&h, t(2)).is_none(), "ttl");
        cache.insert(cache.generation(), h.clone(), &principal(), Some(t(10)), t(9));
        assert!(cache.get(&h, t(10)).is_none(), "token expiry");
        assert!(cache.get(&TokenHash::of("b"), t(9)).is_none());
    }

    #[test]
    fn a_lookup_that_raced_an_invalidation_is_not_cached() {
        let cache = AuthCache::new(Duration::seconds(2));
        let h = TokenHash::of("a");
        let before = cache.generation();
        cache.invalidate();
        cache.insert(before, h.clone(), &principal(), None, t(0));
        assert!(cache.get(&h, t(0)).is_none());
        cache.insert(cache.generation(), h.clone(), &principal(), None, t(0));
        assert!(cache.get(&h, t(0)).is_some());
        cache.invalidate();
        assert!(cache.get(&h, t(0)).is_none());
    }

    #[test]
    fn zero_ttl_disables_the_cache() {
        let cache = AuthCache::new(Duration::zero());
        let h = TokenHash::of("a");
        cache.insert(cache.generation(), h.clone(), &principal(), None, t(0));
        assert!(cache.get(&h, t(0)).is_none());
    }
}

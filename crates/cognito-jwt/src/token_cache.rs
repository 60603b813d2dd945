//! The verified-token cache: a token that passed verification is not verified again.
//!
//! Clients reuse one access token until it nearly expires, so the same string
//! arrives again and again. This bounded cache (moka, TinyLFU eviction) maps the
//! whole token string to its verified [`Claims`]. A hit still checks, on every
//! request:
//!
//! - time: `exp` and `nbf` against the verifier's clock and leeway;
//! - the key: the signing key must still be in its issuer's current key set
//!   (the same key, not just the same `kid`); a key that left the set evicts
//!   the entry, and the token goes through full verification again.
//!
//! Authorization (scopes, groups, token use per route) is never cached: it runs
//! per request in the adapters.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;

use crate::claims::Claims;
use crate::jwk::VerifyingKey;

#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) claims: Claims,
    pub(crate) key: Arc<VerifyingKey>,
    /// Index of the issuer's key store in the verifier.
    pub(crate) store: usize,
    /// How long the entry may live (until `exp` plus leeway), computed at insert.
    ttl: Duration,
}

struct UntilExpiry;

impl Expiry<Arc<str>, Entry> for UntilExpiry {
    fn expire_after_create(
        &self,
        _key: &Arc<str>,
        entry: &Entry,
        _now: Instant,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

pub(crate) struct TokenCache {
    cache: moka::sync::Cache<Arc<str>, Entry, foldhash::fast::RandomState>,
}

/// Longest an entry lives whatever its `exp` says (Cognito tokens live at most a day).
const MAX_TTL: Duration = Duration::from_secs(24 * 3600);

impl TokenCache {
    pub(crate) fn new(capacity: u64) -> TokenCache {
        TokenCache {
            cache: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .expire_after(UntilExpiry)
                .build_with_hasher(foldhash::fast::RandomState::default()),
        }
    }

    pub(crate) fn get(&self, token: &str) -> Option<Entry> {
        self.cache.get(token)
    }

    pub(crate) fn insert(
        &self,
        token: &str,
        claims: Claims,
        key: Arc<VerifyingKey>,
        store: usize,
        seconds_left: i64,
    ) {
        let ttl = Duration::from_secs(u64::try_from(seconds_left).unwrap_or(0)).min(MAX_TTL);
        if ttl.is_zero() {
            return;
        }
        self.cache.insert(
            Arc::from(token),
            Entry {
                claims,
                key,
                store,
                ttl,
            },
        );
    }

    pub(crate) fn remove(&self, token: &str) {
        self.cache.invalidate(token);
    }
}

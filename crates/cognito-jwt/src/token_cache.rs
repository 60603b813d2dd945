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
//!   the entry, and the token goes through full verification again. Each
//!   entry remembers the generation of the set its key was found in; while
//!   that set is current and not due a refresh, this needs no lock. Otherwise
//!   the key is looked up under the set's read lock (which also starts a due
//!   refresh).
//!
//! Authorization (scopes, groups, token use per route) is never cached: it runs
//! per request in the adapters.
//!
//! ## Two tiers
//!
//! The shared tier (moka) is what every thread consults first time round. But
//! a hit there writes to memory every core shares: moka's access log and the
//! entry's reference counts. When many requests carry
//! one token, as a busy client's do, those writes bounce cache lines between
//! cores and a hit costs twice as much on two threads as on one.
//!
//! So each thread also keeps a **near** tier: the last [`NEAR_SLOTS`] tokens
//! that hit twice in the shared tier (see [`SEEN_SLOTS`]), compared in full
//! (a short fingerprint only picks the slot to compare). A near hit writes
//! nothing shared. It re-checks the same things as a shared hit: the time on
//! every hit, and the key through the key set's generation (any replacement
//! of the set, or a due refresh, sends the token back to the shared tier and
//! the locked check). After [`OWN_COPY_AFTER`] near hits a slot takes its own
//! copy of the claims, so threads serving one token do not share a reference
//! count either.
//!
//! The near tier holds at most [`NEAR_SLOTS`] tokens and claims per thread
//! (about 50 KB with Cognito-sized tokens), replaced round-robin; it lives as
//! long as the thread.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use moka::Expiry;

use crate::claims::Claims;
use crate::jwk::VerifyingKey;

#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) claims: Claims,
    pub(crate) key: Arc<VerifyingKey>,
    /// Index of the issuer's key cache in the verifier's `key_caches`.
    pub(crate) key_cache: usize,
    /// The generation of the key set the key was found in.
    pub(crate) generation: u64,
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
    /// Weighted in bytes (see [`weight`]), capped at the byte budget.
    cache: moka::sync::Cache<Arc<str>, Entry, foldhash::fast::RandomState>,
    /// The most tokens held; checked at insert against moka's (eventually
    /// consistent) count, so it may be passed by a few concurrent inserts.
    max_entries: u64,
    /// Tells this cache's near entries from other verifiers' on the same thread.
    id: u64,
}

/// Tokens each thread keeps in its near tier.
pub(crate) const NEAR_SLOTS: usize = 16;

/// Near hits after which a slot takes its own copy of the claims.
pub(crate) const OWN_COPY_AFTER: u32 = 4;

/// Fingerprints of recent shared-tier hits each thread remembers (direct
/// mapped). A token enters the near tier on its second shared hit within
/// them, so traffic spread over more tokens than the near tier holds does
/// not churn it: it costs a fingerprint compare, not an entry replaced.
const SEEN_SLOTS: usize = 64;

static NEXT_CACHE_ID: AtomicU64 = AtomicU64::new(1);

struct NearEntry {
    /// The [`TokenCache::id`] of the cache this entry belongs to.
    cache_id: u64,
    token: Arc<str>,
    claims: Claims,
    key_cache: usize,
    generation: u64,
    hits: u32,
}

/// One thread's near tier.
struct NearTier {
    /// Per slot, 0 when empty, else [`tag`] of its token: compared first.
    tags: [u64; NEAR_SLOTS],
    slots: [Option<NearEntry>; NEAR_SLOTS],
    /// The slot to replace next.
    next: usize,
    /// Tags of recent shared-tier hits not (yet) admitted, at `tag % SEEN_SLOTS`.
    seen: [u64; SEEN_SLOTS],
}

thread_local! {
    static NEAR_TIER: RefCell<NearTier> = const {
        RefCell::new(NearTier {
            tags: [0; NEAR_SLOTS],
            slots: [const { None }; NEAR_SLOTS],
            next: 0,
            seen: [0; SEEN_SLOTS],
        })
    };
}

/// A token's fingerprint, never 0: its length and last eight bytes (the end of
/// the signature, which differs between tokens). It only picks which slot to
/// compare; a match is always the whole token, byte for byte.
fn tag(token: &[u8]) -> u64 {
    let tail = token
        .len()
        .checked_sub(8)
        .and_then(|at| token.get(at..))
        .and_then(|t| <[u8; 8]>::try_from(t).ok())
        .map_or(0, u64::from_le_bytes);
    (tail ^ (token.len() as u64).rotate_left(48)) | 1
}

/// Longest an entry lives whatever its `exp` says (Cognito tokens live at most a day).
const MAX_TTL: Duration = Duration::from_secs(24 * 3600);

impl TokenCache {
    pub(crate) fn new(max_entries: u64, max_bytes: u64) -> TokenCache {
        TokenCache {
            cache: moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|token: &Arc<str>, entry: &Entry| weight(token, entry))
                .expire_after(UntilExpiry)
                .build_with_hasher(foldhash::fast::RandomState::default()),
            max_entries,
            id: NEXT_CACHE_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The near tier: this thread's claims for `token` if it holds them and
    /// `key_is_fresh(key_cache, generation)` says the signing key needs no
    /// locked check. A slot whose key is not fresh is dropped (the shared
    /// tier decides).
    pub(crate) fn get_near(
        &self,
        token: &[u8],
        key_is_fresh: impl FnOnce(usize, u64) -> bool,
    ) -> Option<Claims> {
        let tag = tag(token);
        NEAR_TIER
            .try_with(|near| {
                let mut near = near.try_borrow_mut().ok()?;
                let NearTier { tags, slots, .. } = &mut *near;
                let (slot_tag, slot) = tags.iter_mut().zip(slots.iter_mut()).find(|(t, s)| {
                    **t == tag
                        && s.as_ref()
                            .is_some_and(|e| e.cache_id == self.id && e.token.as_bytes() == token)
                })?;
                let entry = slot.as_mut()?;
                if !key_is_fresh(entry.key_cache, entry.generation) {
                    *slot_tag = 0;
                    *slot = None;
                    return None;
                }
                entry.hits = entry.hits.saturating_add(1);
                if entry.hits == OWN_COPY_AFTER {
                    entry.claims = entry.claims.own_copy();
                }
                Some(entry.claims.clone())
            })
            .ok()
            .flatten()
    }

    /// The shared tier. On a hit that the caller then confirms, it calls
    /// [`TokenCache::accept_shared_hit`].
    pub(crate) fn get_shared(&self, token: &str) -> Option<Entry> {
        self.cache.get(token)
    }

    /// A confirmed shared-tier hit, with the generation of the key set its
    /// key was confirmed in: its claims, and on the token's second recent hit
    /// on this thread, a place in this thread's near tier.
    pub(crate) fn accept_shared_hit(&self, token: &str, entry: Entry, generation: u64) -> Claims {
        let tag = tag(token.as_bytes());
        let second_hit = NEAR_TIER
            .try_with(|near| {
                let mut near = near.try_borrow_mut().ok()?;
                let seen = near
                    .seen
                    .get_mut(tag.checked_rem(SEEN_SLOTS as u64).unwrap_or(0) as usize)?;
                let again = *seen == tag;
                *seen = if again { 0 } else { tag };
                Some(again)
            })
            .ok()
            .flatten()
            .unwrap_or(false);
        if !second_hit {
            return entry.claims;
        }
        let claims = entry.claims.clone();
        let near_entry = NearEntry {
            cache_id: self.id,
            token: Arc::from(token),
            claims: entry.claims,
            key_cache: entry.key_cache,
            generation,
            hits: 0,
        };
        // Dropped after the thread-local borrow ends.
        let _evicted = NEAR_TIER
            .try_with(|near| {
                let mut near = near.try_borrow_mut().ok()?;
                let i = near.next % NEAR_SLOTS;
                near.next = i.wrapping_add(1);
                let NearTier { tags, slots, .. } = &mut *near;
                let (slot_tag, slot) = (tags.get_mut(i)?, slots.get_mut(i)?);
                *slot_tag = tag;
                slot.replace(near_entry)
            })
            .ok()
            .flatten();
        claims
    }

    pub(crate) fn insert(
        &self,
        token: &str,
        claims: Claims,
        key: Arc<VerifyingKey>,
        key_cache: usize,
        generation: u64,
        seconds_left: i64,
    ) {
        let ttl = Duration::from_secs(u64::try_from(seconds_left).unwrap_or(0)).min(MAX_TTL);
        if ttl.is_zero() || self.cache.entry_count() >= self.max_entries {
            return;
        }
        self.cache.insert(
            Arc::from(token),
            Entry {
                claims,
                key,
                key_cache,
                generation,
                ttl,
            },
        );
    }

    pub(crate) fn remove(&self, token: &str) {
        self.cache.invalidate(token);
    }

    /// Tokens held and their weight in bytes, after pending evictions ran.
    pub(crate) fn usage(&self) -> (u64, u64) {
        self.cache.run_pending_tasks();
        (self.cache.entry_count(), self.cache.weighted_size())
    }
}

/// Bytes an entry is counted for: the token, and its claims four times over
/// (the payload, and what the typed views and the claim map built from it
/// on first use take), plus a fixed overhead for the entry itself. An
/// estimate on the high side, so the cap holds.
fn weight(token: &str, entry: &Entry) -> u32 {
    let payload = entry.claims.payload_json().len();
    let bytes = token
        .len()
        .saturating_add(payload.saturating_mul(4))
        .saturating_add(ENTRY_OVERHEAD);
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

/// What an entry costs beyond its strings: the `Arc`s, the kept claim spans, moka's node.
const ENTRY_OVERHEAD: usize = 512;

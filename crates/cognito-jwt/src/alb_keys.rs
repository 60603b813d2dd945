//! A load balancer's signing keys: one PEM public key per `kid`, fetched from
//! `{keys URL}/{kid}` and cached.
//!
//! There is no key set to refresh: a load balancer publishes each key at a
//! URL of its own, and the key behind a `kid` never changes. So a fetch
//! brings back one `kid`'s key only, and the JWKS cache's unknown-`kid`
//! cooldown (safe there because every refetch downloads the whole set) would
//! let a flood of random kids lock a legitimate new `kid` out. The policy is
//! instead:
//!
//! - **Cached only once it verified.** A fetched key is kept (up to
//!   [`AlbKeyOptions::max_keys`] of them, least recently used out first)
//!   only after a token naming a pinned signer verified with it. Until then
//!   it sits among a few (16) fetched candidates, so keys of other load
//!   balancers in the region, which the key host also serves, cannot push
//!   the pinned signers' keys out.
//! - **Negative cache per `kid`.** A `kid` the key host has no key for
//!   (404, 403 or 410: S3-backed hosts answer 403 for a missing object) is
//!   [`Error::UnknownKey`] at once for [`AlbKeyOptions::unknown_kid_ttl`]
//!   (5 minutes), without a fetch; up to 4096 such kids are remembered.
//!   Other kids are not held up by it.
//! - **A fetch budget.** Fetches start at most once per
//!   [`AlbKeyOptions::fetch_interval`] (1 s) on average, with a burst of
//!   [`AlbKeyOptions::fetch_burst`] (3), one at a time. A request for an
//!   uncached `kid` that finds the budget spent is [`Error::UnknownKey`] at
//!   once, and is counted for its `kid`, in fixed memory (a count-min
//!   sketch of 4 × 4096 counters, and the 16 most requested kids by name;
//!   counts halve at each fetch). When the budget allows the next fetch, it
//!   goes to the counted `kid` with the most requests, not to the request
//!   that happens to arrive: after a rotation, every legitimate request
//!   names the new `kid` and it wins over random kids that have one request
//!   each, and a repeated fake `kid` is negatively cached after one fetch.
//!   So under a flood a new `kid` waits about one `fetch_interval` for its
//!   fetch, unless the flood sends some 4096 times more requests than
//!   legitimate clients do.
//! - **Single flight.** Every request for the `kid` being fetched joins that
//!   fetch. A request for another `kid`, while the budget allows, waits for
//!   it to end and then decides again.
//! - **Outage is 503.** A failed fetch (connection, timeout, 5xx, 429 or
//!   another status, a body that is not one P-256 PEM key, too large) is
//!   [`Error::KeysUnavailable`], and no fetch is tried again before a backoff
//!   (1 s, 2 s, 4 s… capped), during which uncached kids are 503 at once.
//! - **Hard limits.** A total timeout per fetch, a body size cap, the
//!   configured URL only (a redirect is never followed to keys elsewhere).
//! - **Cancel-safe.** A fetch runs in a task of its own; requests only watch
//!   it, so a request dropped mid-fetch neither stops it nor starts another.
//!
//! No lock is held across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::sync::watch;

use crate::error::{Error, capped};
use crate::jwk::VerifyingKey;
use crate::jwks_cache::{Download, FetchHealth, download, later, unavailable, wait};
use crate::metrics::{self, FetchResult, UnknownKid};

/// How the load balancer key cache behaves. Every field has a documented
/// default; build one with `AlbKeyOptions::default()` and change what you need.
///
/// ```
/// use std::time::Duration;
/// let options = cognito_jwt::AlbKeyOptions {
///     fetch_timeout: Duration::from_secs(2),
///     ..Default::default()
/// };
/// assert_eq!(options.unknown_kid_ttl, Duration::from_secs(300));
/// assert_eq!(options.fetch_interval, Duration::from_secs(1));
/// assert_eq!(options.fetch_burst, 3);
/// assert_eq!(options.max_response_bytes, 4096);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbKeyOptions {
    /// After the key host answered that it has no key for a `kid` (404, 403
    /// or 410), how long that `kid` fails at once without a fetch.
    /// Default: 5 minutes.
    pub unknown_kid_ttl: Duration,
    /// The fetch budget refills one fetch per this interval. Default: 1 second.
    pub fetch_interval: Duration,
    /// Most fetches the budget holds (a burst after a quiet time). Default: 3.
    pub fetch_burst: u32,
    /// Total time allowed for one fetch (connect, headers and body). Default: 5 seconds.
    pub fetch_timeout: Duration,
    /// Largest key body accepted, in bytes. A P-256 PEM key is under 200.
    /// Default: 4 KiB.
    pub max_response_bytes: usize,
    /// Most verified keys kept; the least recently used go first. Default: 64.
    pub max_keys: u64,
    /// First retry delay after a failed fetch; doubles on each failure. Default: 1 second.
    pub min_backoff: Duration,
    /// Longest retry delay. Default: 30 seconds.
    pub max_backoff: Duration,
}

impl Default for AlbKeyOptions {
    fn default() -> Self {
        AlbKeyOptions {
            unknown_kid_ttl: Duration::from_secs(300),
            fetch_interval: Duration::from_secs(1),
            fetch_burst: 3,
            fetch_timeout: Duration::from_secs(5),
            max_response_bytes: 4096,
            max_keys: 64,
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// Most kids remembered as unknown to the key host.
const MAX_UNKNOWN_KIDS: usize = 4096;
/// Most fetched keys kept before any token verified with them.
const MAX_CANDIDATES: usize = 16;

/// What a fetch ended with: the key, `None` when the key host has no key
/// for the `kid`, or why it failed.
type FetchOutcome = Result<Option<Arc<VerifyingKey>>, String>;

/// A fetch in flight; `None` until its task sends the outcome.
type FetchWatch = watch::Receiver<Option<FetchOutcome>>;

/// Kids the key host has no key for, each until an instant. Entries expire
/// in insertion order (one TTL for all), so the queue is also the age order.
#[derive(Default)]
struct UnknownKids {
    until: HashMap<String, Instant, foldhash::fast::RandomState>,
    order: VecDeque<(String, Instant)>,
}

impl UnknownKids {
    fn contains(&mut self, kid: &str, now: Instant) -> bool {
        self.expire(now);
        self.until.get(kid).is_some_and(|t| now < *t)
    }

    fn insert(&mut self, kid: &str, until: Instant, now: Instant) {
        self.expire(now);
        while self.until.len() >= MAX_UNKNOWN_KIDS {
            let Some((old, at)) = self.order.pop_front() else {
                break;
            };
            self.forget(&old, at);
        }
        self.until.insert(kid.to_owned(), until);
        self.order.push_back((kid.to_owned(), until));
    }

    fn expire(&mut self, now: Instant) {
        while let Some((_, at)) = self.order.front()
            && *at <= now
        {
            if let Some((old, at)) = self.order.pop_front() {
                self.forget(&old, at);
            }
        }
    }

    /// Remove `kid` unless a later insert renewed it.
    fn forget(&mut self, kid: &str, at: Instant) {
        if self.until.get(kid) == Some(&at) {
            self.until.remove(kid);
        }
    }
}

/// Requests per uncached `kid` refused while the fetch budget was spent,
/// in fixed memory: a count-min sketch estimates each kid's requests, and
/// the few kids with the highest estimates are kept by name. A flood of
/// random kids only raises the sketch's noise (about its request rate
/// divided by [`SKETCH_WIDTH`]), so a kid that every legitimate request
/// names stands out unless the flood outnumbers it that many times over.
struct Pending {
    /// `SKETCH_DEPTH` rows of `SKETCH_WIDTH` counters.
    sketch: Vec<u32>,
    /// One independently seeded hasher per row: rows must not collide
    /// together.
    hashers: [foldhash::quality::RandomState; SKETCH_DEPTH],
    /// The most requested kids seen, by name (at most [`TOP_KIDS`]).
    top: Vec<String>,
}

/// Counters per sketch row.
const SKETCH_WIDTH: usize = 4096;
/// A column from a hash's top 12 bits (`SKETCH_WIDTH` is 2¹²).
const SKETCH_SHIFT: u32 = 52;
/// Sketch rows, each with its own hash.
const SKETCH_DEPTH: usize = 4;
/// Most wanted kids kept by name.
const TOP_KIDS: usize = 16;

impl Default for Pending {
    fn default() -> Self {
        Pending {
            sketch: vec![0; SKETCH_WIDTH.saturating_mul(SKETCH_DEPTH)],
            hashers: std::array::from_fn(|_| foldhash::quality::RandomState::default()),
            top: Vec::with_capacity(TOP_KIDS),
        }
    }
}

impl Pending {
    /// The sketch cells of `kid`, one per row.
    fn cells(&self, kid: &str) -> [usize; SKETCH_DEPTH] {
        use std::hash::BuildHasher as _;
        let mut cells = [0; SKETCH_DEPTH];
        for (row, (cell, hasher)) in cells.iter_mut().zip(&self.hashers).enumerate() {
            // The high bits, the best mixed.
            let hash = hasher.hash_one(kid);
            let column = usize::try_from(hash >> SKETCH_SHIFT).unwrap_or(0);
            *cell = row.saturating_mul(SKETCH_WIDTH).saturating_add(column);
        }
        cells
    }

    /// The estimated requests for `kid` (never fewer than counted).
    fn estimate(&self, kid: &str) -> u32 {
        self.cells(kid)
            .iter()
            .map(|&i| self.sketch.get(i).copied().unwrap_or(0))
            .min()
            .unwrap_or(0)
    }

    /// Count one request for `kid`.
    fn count(&mut self, kid: &str) {
        for i in self.cells(kid) {
            if let Some(counter) = self.sketch.get_mut(i) {
                *counter = counter.saturating_add(1);
            }
        }
        if self.top.iter().any(|k| k == kid) {
            return;
        }
        if self.top.len() < TOP_KIDS {
            self.top.push(kid.to_owned());
            return;
        }
        let estimate = self.estimate(kid);
        if let Some((slot, least)) = self
            .top
            .iter()
            .map(|k| self.estimate(k))
            .enumerate()
            .min_by_key(|(_, n)| *n)
            && estimate > least
            && let Some(entry) = self.top.get_mut(slot)
        {
            kid.clone_into(entry);
        }
    }

    /// The kid with the most requests, which gets the next fetch: `asking`
    /// (the kid of the request that found the budget available) unless
    /// another has more. Then every count is halved, so old requests fade.
    fn take_most_wanted(&mut self, asking: &str) -> String {
        let asking_count = self.estimate(asking);
        let best = self
            .top
            .iter()
            .map(|k| (k, self.estimate(k)))
            .fold(None, |best: Option<(&String, u32)>, (k, n)| match best {
                Some((_, m)) if m >= n => best,
                _ => Some((k, n)),
            })
            .filter(|(_, n)| *n > asking_count)
            .map_or_else(|| asking.to_owned(), |(k, _)| k.clone());
        self.top.retain(|k| *k != best);
        for counter in &mut self.sketch {
            *counter = counter.checked_div(2).unwrap_or(0);
        }
        best
    }
}

/// A token bucket: `burst` fetches, one more per `interval`.
struct Budget {
    /// Fetches available, in units of `1 / SCALE` of a fetch.
    tokens: u128,
    at: Instant,
}

/// Budget tokens per fetch.
const SCALE: u128 = 1_000_000;

impl Budget {
    fn refill(&mut self, now: Instant, options: &AlbKeyOptions) {
        let elapsed = now.saturating_duration_since(self.at).as_nanos();
        let interval = options.fetch_interval.as_nanos().max(1);
        let max = u128::from(options.fetch_burst).saturating_mul(SCALE);
        let gained = elapsed
            .saturating_mul(SCALE)
            .checked_div(interval)
            .unwrap_or(0);
        self.tokens = self.tokens.saturating_add(gained).min(max);
        self.at = now;
    }

    fn available(&mut self, now: Instant, options: &AlbKeyOptions) -> bool {
        self.refill(now, options);
        self.tokens >= SCALE
    }

    fn spend(&mut self) {
        self.tokens = self.tokens.saturating_sub(SCALE);
    }
}

struct State {
    /// The one fetch in flight, and its `kid`.
    inflight: Option<(String, FetchWatch)>,
    unknown: UnknownKids,
    pending: Pending,
    budget: Budget,
    /// Fetched keys no token has verified with yet, oldest first.
    candidates: VecDeque<(String, Arc<VerifyingKey>)>,
    /// Failed fetches in a row, and the backoff they set.
    health: FetchHealth,
}

/// What a request for an uncached `kid` does.
enum Decision {
    /// A fetched key not verified yet.
    Candidate(Arc<VerifyingKey>),
    /// Watch this kid's own fetch.
    Own(FetchWatch),
    /// Wait for another kid's fetch to end, then decide again.
    Other(FetchWatch),
}

/// One load balancer key host's keys. Shared by every request (`Arc`).
pub(crate) struct AlbKeys {
    /// The keys URL, ending with `/`: a key is at `{base}{kid}`.
    base: reqwest::Url,
    client: reqwest::Client,
    options: AlbKeyOptions,
    keys: moka::sync::Cache<String, Arc<VerifyingKey>, foldhash::fast::RandomState>,
    state: Mutex<State>,
}

/// How many fetches for other kids a request waits out before it gives up
/// with [`Error::UnknownKey`]: each wait is bounded by the fetch timeout.
const MAX_WAITS: usize = 4;

impl AlbKeys {
    pub(crate) fn new(base: reqwest::Url, client: reqwest::Client, options: AlbKeyOptions) -> Self {
        // LRU, not moka's default TinyLFU admission, which can refuse a
        // freshly rotated kid once the cache is full.
        let keys = moka::sync::Cache::builder()
            .max_capacity(options.max_keys)
            .eviction_policy(moka::policy::EvictionPolicy::lru())
            .build_with_hasher(foldhash::fast::RandomState::default());
        let budget = Budget {
            tokens: u128::from(options.fetch_burst).saturating_mul(SCALE),
            at: Instant::now(),
        };
        AlbKeys {
            base,
            client,
            options,
            keys,
            state: Mutex::new(State {
                inflight: None,
                unknown: UnknownKids::default(),
                pending: Pending::default(),
                budget,
                candidates: VecDeque::new(),
                health: FetchHealth::default(),
            }),
        }
    }

    /// The keys URL, as configured (ending with `/`).
    pub(crate) fn base(&self) -> &str {
        self.base.as_str()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key for `kid` (already checked to be a path segment), fetching it
    /// as the policy allows. A key not cached yet is only cached when the
    /// caller reports, with [`verified`](Self::verified), that a token
    /// verified with it.
    pub(crate) async fn key(self: &Arc<Self>, kid: &str) -> Result<Arc<VerifyingKey>, Error> {
        for attempt in 0..MAX_WAITS {
            if let Some(key) = self.keys.get(kid) {
                return Ok(key);
            }
            let fetch = match self.decide(kid, attempt == 0)? {
                Decision::Candidate(key) => return Ok(key),
                Decision::Own(fetch) => fetch,
                Decision::Other(fetch) => {
                    // Another kid's fetch ended: decide again (the budget
                    // may be spent, or this kid may get the next fetch).
                    let _ = wait(fetch).await;
                    continue;
                }
            };
            return match wait(fetch).await {
                Ok(Some(key)) => Ok(key),
                Ok(None) => Err(self.unknown(kid)),
                Err(_) => Err(self.unavailable(self.retry_wait())),
            };
        }
        Err(self.unknown(kid))
    }

    /// A token whose header names a pinned signer verified with `key`:
    /// cache it.
    pub(crate) fn verified(&self, kid: &str, key: &Arc<VerifyingKey>) {
        if self.keys.contains_key(kid) {
            return;
        }
        self.lock()
            .candidates
            .retain(|(k, c)| !(k == kid && Arc::ptr_eq(c, key)));
        self.keys.insert(kid.to_owned(), Arc::clone(key));
        tracing::info!(keys = ?self.base(), kid = ?capped(kid), "load balancer key verified a token: cached");
    }

    /// Join the fetch of `kid`, wait for another kid's, start one, or refuse
    /// at once. `first` is whether this request was not counted yet.
    fn decide(self: &Arc<Self>, kid: &str, first: bool) -> Result<Decision, Error> {
        let now = Instant::now();
        let mut state = self.lock();
        if state.unknown.contains(kid, now) {
            drop(state);
            metrics::unknown_kid(self.base(), UnknownKid::Cooldown);
            tracing::debug!(keys = ?self.base(), kid = ?capped(kid), "kid the key host has no key for (negatively cached)");
            return Err(self.unknown(kid));
        }
        if let Some((_, key)) = state.candidates.iter().find(|(k, _)| k == kid) {
            return Ok(Decision::Candidate(Arc::clone(key)));
        }
        if let Some((fetching, fetch)) = &state.inflight
            && fetching == kid
        {
            metrics::unknown_kid(self.base(), UnknownKid::Joined);
            return Ok(Decision::Own(fetch.clone()));
        }
        if let Some(at) = state.health.retry_at.filter(|t| now < *t) {
            drop(state);
            tracing::debug!(keys = ?self.base(), kid = ?capped(kid), "uncached kid while the key server is failing");
            return Err(self.unavailable(at.saturating_duration_since(now)));
        }
        if first {
            state.pending.count(kid);
        }
        let options = &self.options;
        if !state.budget.available(now, options) {
            drop(state);
            metrics::unknown_kid(self.base(), UnknownKid::Cooldown);
            tracing::debug!(keys = ?self.base(), kid = ?capped(kid), "uncached kid while the fetch budget is spent");
            return Err(self.unknown(kid));
        }
        if let Some((_, fetch)) = &state.inflight {
            return Ok(Decision::Other(fetch.clone()));
        }
        // The next fetch goes to the most wanted kid, which is this one
        // unless others had more requests while the budget was spent.
        let chosen = state.pending.take_most_wanted(kid);
        state.budget.spend();
        metrics::unknown_kid(self.base(), UnknownKid::Refetch);
        let (sender, receiver) = watch::channel(None);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            drop(state);
            let _ = sender.send(Some(Err("no Tokio runtime to fetch the key on".to_owned())));
            return Ok(Decision::Own(receiver));
        };
        state.inflight = Some((chosen.clone(), receiver.clone()));
        drop(state);
        tracing::info!(keys = ?self.base(), kid = ?capped(&chosen), "fetching a load balancer key");
        let own = chosen == kid;
        let task = FetchTask {
            keys: Arc::clone(self),
            kid: chosen,
            sender,
        };
        runtime.spawn(task.run());
        if own {
            Ok(Decision::Own(receiver))
        } else {
            metrics::unknown_kid(self.base(), UnknownKid::Cooldown);
            tracing::debug!(keys = ?self.base(), kid = ?capped(kid), "the fetch went to a kid with more requests");
            Err(self.unknown(kid))
        }
    }

    fn retry_wait(&self) -> Duration {
        self.lock()
            .health
            .retry_wait(self.options.min_backoff, Instant::now())
    }

    fn unknown(&self, kid: &str) -> Error {
        Error::UnknownKey { kid: capped(kid) }
    }

    fn unavailable(&self, retry_after: Duration) -> Error {
        let reason = self.lock().health.last_error.clone();
        unavailable(self.base(), reason, "the key fetch failed", retry_after)
    }

    /// Fetch `kid`'s key and record the outcome (candidate, negative cache,
    /// backoff).
    async fn fetch_and_record(&self, kid: &str) -> FetchOutcome {
        let url = self.base.join(kid).map_err(|e| format!("bad key URL: {e}"));
        let result = match url {
            Err(reason) => Err((FetchResult::Error, reason)),
            Ok(url) => {
                let limits = Download {
                    accept: "application/x-pem-file, text/plain, */*",
                    timeout: self.options.fetch_timeout,
                    max_bytes: self.options.max_response_bytes,
                    content_type: None,
                };
                match download(&self.client, &url, limits).await {
                    Ok(body) => parse_pem(kid, &body)
                        .map(|key| Ok(Arc::new(key)))
                        .map_err(|e| (FetchResult::ParseError, e)),
                    // No such object: S3-backed key hosts (GovCloud's are
                    // plain S3 URLs) answer 403 when listing is not granted.
                    Err((FetchResult::Status(status @ (403 | 404 | 410)), _)) => Ok(Err(status)),
                    Err(e) => Err(e),
                }
            }
        };
        let now = Instant::now();
        let mut state = self.lock();
        match result {
            Ok(Ok(key)) => {
                if state.candidates.len() >= MAX_CANDIDATES {
                    state.candidates.pop_front();
                }
                state
                    .candidates
                    .push_back((kid.to_owned(), Arc::clone(&key)));
                state.health.succeeded();
                metrics::jwks_fetch(self.base(), FetchResult::Ok);
                tracing::info!(keys = ?self.base(), kid = ?capped(kid), "load balancer key fetched");
                Ok(Some(key))
            }
            Ok(Err(status)) => {
                // The server answered: it is up, and has no such key.
                state.health.answered();
                let until = later(now, self.options.unknown_kid_ttl);
                state.unknown.insert(kid, until, now);
                metrics::jwks_fetch(self.base(), FetchResult::Status(status));
                tracing::info!(keys = ?self.base(), kid = ?capped(kid), status, "the key server has no key for this kid");
                Ok(None)
            }
            Err((result, reason)) => {
                let options = &self.options;
                let delay =
                    state
                        .health
                        .failed(now, options.min_backoff, options.max_backoff, &reason);
                tracing::warn!(keys = ?self.base(), reason = ?capped(&reason), failures = state.health.failures, retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), "load balancer key fetch failed");
                metrics::jwks_fetch(self.base(), result);
                Err(reason)
            }
        }
    }
}

/// Owns one fetch: runs it, retires it from the slot, publishes the outcome.
struct FetchTask {
    keys: Arc<AlbKeys>,
    kid: String,
    sender: watch::Sender<Option<FetchOutcome>>,
}

impl FetchTask {
    async fn run(self) {
        let outcome = self.keys.fetch_and_record(&self.kid).await;
        self.retire();
        let _ = self.sender.send(Some(outcome));
    }

    fn retire(&self) {
        let mut state = self.keys.lock();
        if state
            .inflight
            .as_ref()
            .is_some_and(|(_, w)| w.same_channel(&self.sender.subscribe()))
        {
            state.inflight = None;
        }
    }
}

impl Drop for FetchTask {
    fn drop(&mut self) {
        // On the normal path this finds its slot already retired.
        self.retire();
    }
}

/// One PEM `PUBLIC KEY` block holding a P-256 `SubjectPublicKeyInfo`.
fn parse_pem(kid: &str, body: &[u8]) -> Result<VerifyingKey, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the key is not text".to_owned())?;
    let inner = text
        .trim()
        .strip_prefix("-----BEGIN PUBLIC KEY-----")
        .and_then(|rest| rest.strip_suffix("-----END PUBLIC KEY-----"))
        .ok_or_else(|| "the body is not one PEM PUBLIC KEY block".to_owned())?;
    let base64: String = inner.split_ascii_whitespace().collect();
    let der = STANDARD
        .decode(base64)
        .map_err(|_| "the PEM block is not base64".to_owned())?;
    VerifyingKey::es256_from_spki(kid, &der)
}

#[cfg(test)]
mod tests {
    use super::parse_pem;

    #[test]
    fn the_most_wanted_pending_kid_gets_the_fetch() {
        let mut pending = super::Pending::default();
        // A flood of 100,000 random kids, one request each, and a rotated
        // kid with one request per 1,000 of them.
        for i in 0..100_000 {
            pending.count(&format!("random-{i}"));
            if i % 1000 == 0 {
                pending.count("rotated");
            }
        }
        assert!(pending.top.len() <= super::TOP_KIDS);
        assert_eq!(pending.take_most_wanted("random-99999"), "rotated");
        // No kid with more requests than the asking one: the asking one.
        let mut pending = super::Pending::default();
        for kid in ["a", "b", "c", "c", "c"] {
            pending.count(kid);
        }
        assert_eq!(pending.take_most_wanted("b"), "c");
        assert_eq!(pending.take_most_wanted("b"), "b");
    }

    #[test]
    fn unknown_kids_expire_and_stay_bounded() {
        let now = std::time::Instant::now();
        let ttl = std::time::Duration::from_secs(300);
        let mut unknown = super::UnknownKids::default();
        for i in 0..(super::MAX_UNKNOWN_KIDS + 10) {
            unknown.insert(&format!("k{i}"), now + ttl, now);
        }
        assert_eq!(unknown.until.len(), super::MAX_UNKNOWN_KIDS);
        assert!(!unknown.contains("k0", now), "the oldest made room");
        assert!(unknown.contains("k20", now));
        assert!(!unknown.contains("k20", now + ttl), "expired");
        assert!(unknown.until.is_empty());
    }

    #[test]
    fn only_one_p256_public_key_block_is_a_key() {
        // A P-256 SubjectPublicKeyInfo (the generator point as the key).
        let pem = "-----BEGIN PUBLIC KEY-----\n\
            MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEaxfR8uEsQkf4vOblY6RA8ncDfYEt\n\
            6zOg9KE5RdiYwpZP40Li/hp/m47n60p8D54WK84zV2sxXs7LtkBoN79R9Q==\n\
            -----END PUBLIC KEY-----\n";
        assert!(parse_pem("k", pem.as_bytes()).is_ok());
        for bad in [
            "",
            "garbage",
            "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----",
            "-----BEGIN CERTIFICATE-----\nMFkw\n-----END CERTIFICATE-----",
            "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----",
        ] {
            assert!(parse_pem("k", bad.as_bytes()).is_err(), "{bad:?}");
        }
    }
}

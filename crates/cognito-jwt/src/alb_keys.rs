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
//!   (404, 403 or 410: S3-backed hosts answer 403 for a missing object), or
//!   answers for with something that is not its key (a 200 whose body is
//!   not one P-256 PEM key, a body over the size cap, another 4xx but 429),
//!   is [`Error::UnknownKey`] at once for [`AlbKeyOptions::unknown_kid_ttl`]
//!   (5 minutes; for an answer that is not a key, the shorter
//!   [`AlbKeyOptions::max_backoff`], 30 s, as it may be a passing fault of
//!   a real key's), without a fetch; up to 4096 such kids are remembered.
//!   Other kids are not held up by it: the host answered, so it is up.
//! - **A fetch budget.** Fetches start at most once per
//!   [`AlbKeyOptions::fetch_interval`] (1 s) on average, with a burst of
//!   [`AlbKeyOptions::fetch_burst`] (3), one at a time. A request for an
//!   uncached `kid` that finds the budget spent (or whose fetch went to
//!   another `kid`) is [`Error::KeysUnavailable`] (503) at once, with a
//!   `Retry-After` of the budget's refill time: its `kid` is not known to
//!   be missing, only not fetched yet. It is counted for its `kid`, in fixed
//!   memory (a count-min sketch of 4 × 4096 counters, and the 16 most
//!   requested kids by name, each with the fetch it was first counted at;
//!   counts halve at each fetch). When the budget allows the next fetch, it
//!   goes, turn about, to the counted `kid` with the most requests, and to
//!   the tracked `kid` that has waited longest among those asked for since
//!   the fetch before last, not to the request that happens to arrive.
//!   After a rotation every legitimate request names the new `kid`: it wins
//!   the most-requests turn over random kids that have one request each,
//!   and the longest-waiting turn over a flood that names a fresh `kid` at
//!   a time (each fresh one is younger), however many requests each of
//!   those has. A repeated fake `kid` is negatively cached after one fetch.
//!   So under a flood a new `kid` is fetched within three fetches of its
//!   first request (about three `fetch_interval`s). An attacker who keeps kids of its own asked for from before the
//!   rotation delays it by two intervals for each (at most 15 of them: 30 s
//!   at the defaults), and one who keeps all 16 tracked places filled with
//!   kids asked for more often than the new one (some 16 times the
//!   legitimate rate, sustained) can hold it off for as long as that lasts.
//! - **Single flight.** Every request for the `kid` being fetched joins that
//!   fetch. A request for another `kid`, while the budget allows, waits for
//!   it to end and then decides again.
//! - **Outage is 503.** A fetch the host did not answer for the `kid`
//!   (connection, timeout, 5xx, 429, a redirect, any status but 200 that is
//!   not a 4xx) is
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
    /// or 410), how long that `kid` fails at once without a fetch. A `kid`
    /// it answered for with something that is not its key (not one P-256
    /// PEM key, over `max_response_bytes`, another 4xx but 429) waits the
    /// shorter of this and `max_backoff`: that answer may be a passing
    /// fault of a real key's. Default: 5 minutes.
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
/// the few kids with the highest estimates are kept by name, each with the
/// fetch it was first counted at. A flood of random kids only raises the
/// sketch's noise (about its request rate divided by [`SKETCH_WIDTH`]).
/// The fetches alternate between the kid with the most requests and the
/// kid that has waited longest among those still asked for, so a flood
/// that names one fresh kid at a time, each with more requests than the
/// legitimate clients' kid, wins every other fetch only.
struct Pending {
    /// `SKETCH_DEPTH` rows of `SKETCH_WIDTH` counters.
    sketch: Vec<u32>,
    /// One independently seeded hasher per row: rows must not collide
    /// together.
    hashers: [foldhash::quality::RandomState; SKETCH_DEPTH],
    /// The most requested kids seen, by name (at most [`TOP_KIDS`]).
    top: Vec<Tracked>,
    /// Fetches given out so far: the clock of [`Tracked::last`].
    fetches: u64,
    /// Kids that entered `top` so far: the order of [`Tracked::first`].
    entered: u64,
}

/// A kid kept by name in [`Pending`].
struct Tracked {
    kid: String,
    /// When it entered `top` (the `entered` count then): a smaller one has
    /// waited longer.
    first: u64,
    /// The fetch number when it was last counted.
    last: u64,
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
            fetches: 0,
            entered: 0,
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
        let now = self.fetches;
        if let Some(tracked) = self.top.iter_mut().find(|t| t.kid == kid) {
            tracked.last = now;
            return;
        }
        let entry = Tracked {
            kid: kid.to_owned(),
            first: self.entered,
            last: now,
        };
        if self.top.len() < TOP_KIDS {
            self.top.push(entry);
            self.entered = self.entered.saturating_add(1);
            return;
        }
        let estimate = self.estimate(kid);
        if let Some((slot, least)) = self
            .top
            .iter()
            .map(|t| self.estimate(&t.kid))
            .enumerate()
            .min_by_key(|(_, n)| *n)
            && estimate > least
            && let Some(replaced) = self.top.get_mut(slot)
        {
            *replaced = entry;
            self.entered = self.entered.saturating_add(1);
        }
    }

    /// The kid that gets the next fetch. Turn about: the kid with the most
    /// requests (`asking`, the kid of the request that found the budget
    /// available, unless another has more), then the tracked kid first
    /// counted longest ago among those asked for since the fetch before
    /// last (a kid nobody asks for any more waits for no fetch), or the
    /// most requested when none is. Then every count is halved, so old
    /// requests fade.
    fn take_most_wanted(&mut self, asking: &str) -> String {
        let longest_waiting = if self.fetches % 2 == 1 {
            let since = self.fetches.saturating_sub(1);
            self.top
                .iter()
                .filter(|t| t.last >= since)
                .min_by_key(|t| t.first)
                .map(|t| t.kid.clone())
        } else {
            None
        };
        let chosen = longest_waiting.unwrap_or_else(|| self.most_counted(asking));
        self.top.retain(|t| t.kid != chosen);
        for counter in &mut self.sketch {
            *counter = counter.checked_div(2).unwrap_or(0);
        }
        self.fetches = self.fetches.saturating_add(1);
        chosen
    }

    /// The tracked kid with the most requests, or `asking` unless one has
    /// more.
    fn most_counted(&self, asking: &str) -> String {
        let asking_count = self.estimate(asking);
        self.top
            .iter()
            .map(|t| (&t.kid, self.estimate(&t.kid)))
            .fold(None, |best: Option<(&String, u32)>, (k, n)| match best {
                Some((_, m)) if m >= n => best,
                _ => Some((k, n)),
            })
            .filter(|(_, n)| *n > asking_count)
            .map_or_else(|| asking.to_owned(), |(k, _)| k.clone())
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

    /// How long until the budget holds a whole fetch again (as of its last
    /// refill): zero when it does.
    fn refill_wait(&self, options: &AlbKeyOptions) -> Duration {
        let missing = SCALE.saturating_sub(self.tokens);
        let nanos = missing
            .saturating_mul(options.fetch_interval.as_nanos())
            .checked_div(SCALE)
            .unwrap_or(0);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
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
/// with [`Error::KeysUnavailable`]: each wait is bounded by the fetch timeout.
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
        // The fetches this request waited out went to other kids.
        let retry_after = self.lock().budget.refill_wait(&self.options);
        Err(self.not_fetched_yet(retry_after))
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
            let retry_after = state.budget.refill_wait(options);
            drop(state);
            metrics::unknown_kid(self.base(), UnknownKid::Cooldown);
            tracing::debug!(keys = ?self.base(), kid = ?capped(kid), "uncached kid while the fetch budget is spent");
            return Err(self.not_fetched_yet(retry_after));
        }
        if let Some((_, fetch)) = &state.inflight {
            return Ok(Decision::Other(fetch.clone()));
        }
        // The next fetch goes to the most wanted kid, or every other time
        // to the one that has waited longest: this one unless another has
        // more requests or has waited longer.
        let chosen = state.pending.take_most_wanted(kid);
        state.budget.spend();
        let refill = state.budget.refill_wait(options);
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
            tracing::debug!(keys = ?self.base(), kid = ?capped(kid), "the fetch went to another kid");
            Err(self.not_fetched_yet(refill))
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

    /// [`Error::KeysUnavailable`] for a `kid` no fetch was free for yet
    /// (the budget is spent, or went to another kid): it is not known to be
    /// missing, so not [`Error::UnknownKey`]; retry once the budget refills.
    fn not_fetched_yet(&self, retry_after: Duration) -> Error {
        unavailable(
            self.base(),
            None,
            "no key fetch was free for this kid yet (the fetch budget is spent or went to another kid)",
            retry_after,
        )
    }

    fn unavailable(&self, retry_after: Duration) -> Error {
        let reason = self.lock().health.last_error.clone();
        unavailable(self.base(), reason, "the key fetch failed", retry_after)
    }

    /// Fetch `kid`'s key and record the outcome (candidate, negative cache,
    /// backoff).
    async fn fetch_and_record(&self, kid: &str) -> FetchOutcome {
        let answer = match self.base.join(kid) {
            Err(e) => Answer::Failed(FetchResult::Error, format!("bad key URL: {e}")),
            Ok(url) => {
                let limits = Download {
                    accept: "application/x-pem-file, text/plain, */*",
                    timeout: self.options.fetch_timeout,
                    max_bytes: self.options.max_response_bytes,
                    content_type: None,
                };
                Answer::of(kid, download(&self.client, &url, limits).await)
            }
        };
        let now = Instant::now();
        let mut state = self.lock();
        match answer {
            Answer::Key(key) => {
                let key = Arc::new(key);
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
            Answer::NoKey(status) => {
                // The server answered: it is up, and has no such key.
                state.health.answered();
                let until = later(now, self.options.unknown_kid_ttl);
                state.unknown.insert(kid, until, now);
                metrics::jwks_fetch(self.base(), FetchResult::Status(status));
                tracing::info!(keys = ?self.base(), kid = ?capped(kid), status, "the key server has no key for this kid");
                Ok(None)
            }
            Answer::Unusable(result, reason) => {
                // The server answered for this kid with something that is
                // not its key: it is up (other kids are fetched as usual),
                // and this kid is treated as one it has no key for.
                // A passing fault of a real key's answer must not shut
                // that key out for long: the shorter wait.
                state.health.answered();
                let wait = self.options.unknown_kid_ttl.min(self.options.max_backoff);
                state.unknown.insert(kid, later(now, wait), now);
                metrics::jwks_fetch(self.base(), result);
                tracing::warn!(keys = ?self.base(), kid = ?capped(kid), reason = ?capped(&reason), "the key server's answer for this kid is not a key: negatively cached");
                Ok(None)
            }
            Answer::Failed(result, reason) => {
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

/// What the key host's answer for one `kid` means.
enum Answer {
    /// Its P-256 key.
    Key(VerifyingKey),
    /// It has no key for the `kid` (404, 403, 410).
    NoKey(u16),
    /// It answered for the `kid`, with something that is not a key: a 200
    /// whose body is not one P-256 PEM key, a body over the size cap, or a
    /// 4xx other than 429. The host is up; this `kid` is the problem.
    Unusable(FetchResult, String),
    /// The host is failing: no answer (connection, timeout), a 5xx, 429,
    /// a redirect, any status but 200 that is not a 4xx. Every uncached `kid` waits out the
    /// backoff.
    Failed(FetchResult, String),
}

impl Answer {
    fn of(kid: &str, downloaded: Result<Vec<u8>, (FetchResult, String)>) -> Answer {
        match downloaded {
            Ok(body) => match parse_pem(kid, &body) {
                Ok(key) => Answer::Key(key),
                Err(reason) => Answer::Unusable(FetchResult::ParseError, reason),
            },
            // No such object: S3-backed key hosts (GovCloud's are plain S3
            // URLs) answer 403 when listing is not granted.
            Err((FetchResult::Status(status @ (403 | 404 | 410)), _)) => Answer::NoKey(status),
            Err((FetchResult::Status(status), reason))
                if (400..500).contains(&status) && status != 429 =>
            {
                Answer::Unusable(FetchResult::Status(status), reason)
            }
            Err((FetchResult::TooLarge, reason)) => Answer::Unusable(FetchResult::TooLarge, reason),
            Err((result, reason)) => Answer::Failed(result, reason),
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
        // The next turn is the longest waiting kid's: `a`, counted first.
        assert_eq!(pending.take_most_wanted("b"), "a");
        assert_eq!(pending.take_most_wanted("b"), "b");
    }

    #[test]
    fn a_focused_flood_wins_every_other_fetch_only() {
        // Each interval the flood names a fresh kid ten times as often as
        // legitimate clients name the rotated one, and its request is the
        // one that finds the budget available.
        let mut pending = super::Pending::default();
        let mut chosen = Vec::new();
        for t in 0..10 {
            let fresh = format!("fresh-{t}");
            for _ in 0..10 {
                pending.count("rotated");
            }
            for _ in 0..100 {
                pending.count(&fresh);
            }
            chosen.push(pending.take_most_wanted(&fresh));
        }
        let first = chosen.iter().position(|k| k == "rotated");
        assert!(first.is_some_and(|i| i <= 1), "{chosen:?}");
    }

    #[test]
    fn a_kid_nobody_asks_for_any_more_waits_for_no_fetch() {
        let mut pending = super::Pending::default();
        pending.count("first");
        assert_eq!(pending.take_most_wanted("first"), "first");
        // Fetch 1, a longest-waiting turn: the kid counted first.
        pending.count("busy");
        pending.count("abandoned");
        assert_eq!(pending.take_most_wanted("abandoned"), "busy");
        pending.count("other");
        assert_eq!(pending.take_most_wanted("other"), "other");
        // Fetch 3, a longest-waiting turn: `abandoned` has waited longest,
        // but nobody asked for it since fetch 1.
        pending.count("late");
        assert_eq!(pending.take_most_wanted("late"), "late");
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

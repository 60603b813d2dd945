//! One issuer's key set: fetched, cached, refreshed, and kept through outages.
//!
//! The policy, with every number in [`JwksOptions`]:
//!
//! - **Lazy, single flight.** Keys are fetched on first use (or by
//!   [`Verifier::prefetch`](crate::Verifier::prefetch)). Any number of requests
//!   that need keys at once share one HTTP request.
//! - **Unknown `kid`.** A `kid` not in the set triggers one refetch (joined by
//!   every request that arrives meanwhile), then a cooldown during which other
//!   unknown kids fail at once. Known kids are never held up by it, so a flood
//!   of random kids costs at most one fetch per cooldown.
//! - **Refresh ahead.** Once keys are older than the refresh interval, the next
//!   request starts a background refresh and goes on with the current keys: no
//!   request waits for it. A key gone from the new set stops verifying.
//! - **Stale if error.** A failed refresh keeps the last good keys until they are
//!   `refresh_interval + max_stale` old; only then do requests fail with
//!   [`Error::KeysUnavailable`].
//! - **Backoff.** Failed fetches are retried after 1 s, 2 s, 4 s… capped at
//!   `max_backoff` (30 s), so a recovered endpoint is used again within 30 s.
//! - **Hard limits.** A total timeout per fetch, a body size cap, status 200 and
//!   a JSON content type only, redirects not followed by the default client.
//!
//! - **Cancel-safe.** A fetch runs in a task of its own; requests only watch
//!   it. A request that is dropped mid-fetch (client gone, HTTP/2 reset, a
//!   timeout layer) leaves the fetch running for everyone else, so no
//!   cancelled caller can start a second fetch or skip the cooldown.
//! - **Can't tell is not invalid.** An unknown `kid` while the endpoint is
//!   failing is [`Error::KeysUnavailable`] (503, `Retry-After`): during a key
//!   rotation that meets an outage, clients keep their valid new tokens. Only
//!   a `kid` that a *successful* fetch did not contain is [`Error::UnknownKey`].
//! - **The configured URL only.** The response is used only if it came from
//!   the configured URL itself: whatever HTTP client is given, a redirect is
//!   never followed to keys somewhere else.
//!
//! No lock is held across an `.await`: state sits behind a `std` lock taken for
//! a few instructions, and waiting for a fetch happens on a `watch` channel.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::algorithm::Algorithm;
use crate::error::{Error, capped};
use crate::jwk::{KeySet, VerifyingKey, parse_jwks};
use crate::metrics::{self, FetchResult, UnknownKid};

/// How the JWKS cache behaves. Every field has a documented default; build one
/// with `JwksOptions::default()` and change what you need.
///
/// ```
/// use std::time::Duration;
/// let options = cognito_jwt::JwksOptions {
///     refresh_interval: Duration::from_secs(300),
///     ..Default::default()
/// };
/// assert_eq!(options.unknown_kid_cooldown, Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksOptions {
    /// Keys older than this are refreshed in the background on the next request.
    /// Default: 10 minutes.
    pub refresh_interval: Duration,
    /// How long past `refresh_interval` the last good keys are still used while
    /// refreshes fail. Default: 24 hours.
    pub max_stale: Duration,
    /// After a refetch for an unknown `kid`, how long other unknown kids fail at
    /// once without a fetch. Default: 10 seconds.
    pub unknown_kid_cooldown: Duration,
    /// Total time allowed for one fetch (connect, headers and body). Default: 5 seconds.
    pub fetch_timeout: Duration,
    /// Largest JWKS body accepted, in bytes. Default: 256 KiB.
    pub max_response_bytes: usize,
    /// Most keys read from one JWKS; the rest are ignored. Default: 50.
    pub max_keys: usize,
    /// First retry delay after a failed fetch; doubles on each failure. Default: 1 second.
    pub min_backoff: Duration,
    /// Longest retry delay. Default: 30 seconds.
    pub max_backoff: Duration,
}

impl Default for JwksOptions {
    fn default() -> Self {
        JwksOptions {
            refresh_interval: Duration::from_secs(600),
            max_stale: Duration::from_secs(24 * 3600),
            unknown_kid_cooldown: Duration::from_secs(10),
            fetch_timeout: Duration::from_secs(5),
            max_response_bytes: 256 * 1024,
            max_keys: 50,
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// Where the keys come from.
pub(crate) enum Source {
    Remote {
        url: reqwest::Url,
        client: reqwest::Client,
    },
    Static,
}

#[derive(Default)]
struct State {
    keys: Option<Arc<KeySet>>,
    /// When `keys` were fetched.
    fetched_at: Option<Instant>,
    /// Failed fetches in a row, and the backoff they set.
    health: FetchHealth,
    /// Unknown kids fail at once until this instant.
    cooldown_until: Option<Instant>,
    /// A background refresh is running.
    refreshing: bool,
}

/// What a fetch ended with: the new key set, or why there is none.
type FetchOutcome = Result<Arc<KeySet>, String>;

/// A fetch in flight, watched by every request that waits for it. The value
/// is `None` until the fetch task sends its outcome.
type FetchWatch = watch::Receiver<Option<FetchOutcome>>;

/// One issuer's keys. Shared by every request (`Arc`).
pub(crate) struct JwksCache {
    issuer: String,
    source: Source,
    algorithms: Vec<Algorithm>,
    options: JwksOptions,
    state: RwLock<State>,
    /// The fetch in flight, if any. Set and cleared by the fetch task's
    /// owner only (see [`JwksCache::start_or_join`]).
    inflight: Mutex<Option<FetchWatch>>,
    /// Bumped every time the key set is replaced. Read without the lock by
    /// verified-token cache hits: a key found in the set at one generation is
    /// still there while the generation is unchanged.
    generation: AtomicU64,
    /// Until when (nanoseconds after `epoch`) the current key set needs no
    /// look under the lock: its refresh is not yet due. After that, cache hits
    /// take the locked path, which starts the refresh and applies the stale
    /// bound. `u64::MAX` for static keys, 0 before the first fetch.
    fresh_until: AtomicU64,
    epoch: Instant,
}

/// One key cache's state at a moment, for readiness ([`JwksCache::snapshot`]).
pub(crate) struct Snapshot {
    /// Keys given at build time: always usable.
    pub(crate) is_static: bool,
    /// Keys in the current set; `None` before the first successful fetch.
    pub(crate) keys: Option<usize>,
    /// Whether requests are verified with the current set (it is not older
    /// than `refresh_interval + max_stale`).
    pub(crate) usable: bool,
    /// Time since the last successful fetch.
    pub(crate) age: Option<Duration>,
    pub(crate) refresh_interval: Duration,
    pub(crate) max_stale: Duration,
    /// Why the last fetch failed, if it did (cleared by a success).
    pub(crate) last_error: Option<String>,
    /// Fetches failed in a row.
    pub(crate) failures: u32,
}

/// `now + delay`, without overflowing on absurd configured durations (about
/// 136 years at most).
pub(crate) fn later(now: Instant, delay: Duration) -> Instant {
    now.checked_add(delay)
        .or_else(|| now.checked_add(Duration::from_secs(u64::from(u32::MAX))))
        .unwrap_or(now)
}

/// Resets the `refreshing` flag even if the refresh task is dropped with its runtime.
struct RefreshGuard(Arc<JwksCache>);

impl Drop for RefreshGuard {
    fn drop(&mut self) {
        self.0.write().refreshing = false;
    }
}

impl JwksCache {
    /// Where a remote key set is fetched from (for tests of the defaults).
    #[cfg(test)]
    pub(crate) fn remote_url(&self) -> Option<&reqwest::Url> {
        match &self.source {
            Source::Remote { url, .. } => Some(url),
            Source::Static => None,
        }
    }

    pub(crate) fn remote(
        issuer: String,
        url: reqwest::Url,
        client: reqwest::Client,
        algorithms: Vec<Algorithm>,
        options: JwksOptions,
    ) -> JwksCache {
        JwksCache {
            issuer,
            source: Source::Remote { url, client },
            algorithms,
            options,
            state: RwLock::new(State::default()),
            inflight: Mutex::new(None),
            generation: AtomicU64::new(0),
            fresh_until: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    pub(crate) fn fixed(issuer: String, keys: KeySet, options: JwksOptions) -> JwksCache {
        JwksCache {
            issuer,
            source: Source::Static,
            algorithms: Vec::new(),
            options,
            state: RwLock::new(State {
                keys: Some(Arc::new(keys)),
                ..State::default()
            }),
            inflight: Mutex::new(None),
            generation: AtomicU64::new(0),
            fresh_until: AtomicU64::new(u64::MAX),
            epoch: Instant::now(),
        }
    }

    /// The key set's generation (read under the read lock to pair it with a
    /// key found in the set).
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether a key found in the set at `generation` is still good without
    /// taking the lock (the generation is *fresh*): the set has not been
    /// replaced since, and its refresh is not due. Two atomic loads and a clock read; nothing is written, so
    /// requests on other cores do not contend.
    pub(crate) fn generation_is_fresh(&self, generation: u64) -> bool {
        self.generation.load(Ordering::Acquire) == generation
            && self.nanos(Instant::now()) < self.fresh_until.load(Ordering::Acquire)
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `key` is still this issuer's key for `kid` in a usable key set
    /// (not older than the stale bound), and if so the generation of that
    /// set: the locked check of a verified-token cache hit, without touching
    /// any reference count.
    pub(crate) fn confirm_key(self: &Arc<Self>, kid: &str, key: &Arc<VerifyingKey>) -> Option<u64> {
        self.map_cached_key(kid, |k| Arc::ptr_eq(k, key).then(|| self.generation()))
            .flatten()
    }

    fn refresh_due(&self, state: &State, now: Instant) -> bool {
        state.keys.is_some() && self.fetch_due(state, now)
    }

    /// Whether a fetch may start now: remote keys that are missing or older
    /// than the refresh interval, no refresh running, the backoff passed.
    fn fetch_due(&self, state: &State, now: Instant) -> bool {
        matches!(self.source, Source::Remote { .. })
            && !state.refreshing
            && state.health.retry_at.is_none_or(|t| now >= t)
            && state
                .fetched_at
                .is_none_or(|at| now.saturating_duration_since(at) >= self.options.refresh_interval)
    }

    fn usable(&self, state: &State, now: Instant) -> Option<Arc<KeySet>> {
        self.usable_ref(state, now).cloned()
    }

    fn usable_ref<'s>(&self, state: &'s State, now: Instant) -> Option<&'s Arc<KeySet>> {
        let keys = state.keys.as_ref()?;
        match (&self.source, state.fetched_at) {
            (Source::Static, _) => Some(keys),
            (Source::Remote { .. }, Some(at)) => {
                let limit = self
                    .options
                    .refresh_interval
                    .saturating_add(self.options.max_stale);
                (now.saturating_duration_since(at) <= limit).then_some(keys)
            }
            (Source::Remote { .. }, None) => None,
        }
    }

    /// The key with this `kid`, and the generation of the set it is in, when
    /// the current key set is usable and has it: no fetch and no `await`.
    /// `None` means [`JwksCache::key`] must decide: no usable set, or an
    /// unknown `kid`.
    pub(crate) fn cached_key(self: &Arc<Self>, kid: &str) -> Option<(Arc<VerifyingKey>, u64)> {
        // The generation is read under the same read lock as the key (a new
        // set is installed, and the generation bumped, under the write lock), so
        // the key is in the set of exactly that generation.
        self.map_cached_key(kid, |key| (Arc::clone(key), self.generation()))
    }

    /// `f` applied to the key with this `kid` in the usable key set, under
    /// the read lock (the set's reference count is not touched, so requests
    /// on other cores do not contend on it). Starts a background refresh
    /// when one is due, so that traffic served entirely from cached keys and
    /// cached tokens still keeps the keys fresh.
    fn map_cached_key<R>(
        self: &Arc<Self>,
        kid: &str,
        f: impl FnOnce(&Arc<VerifyingKey>) -> R,
    ) -> Option<R> {
        let now = Instant::now();
        let (found, due) = {
            let state = self.read();
            let keys = self.usable_ref(&state, now)?;
            (keys.get(kid).map(f), self.refresh_due(&state, now))
        };
        if due {
            self.refresh_in_background();
        }
        found
    }

    /// The key with this `kid`, fetching or refetching as the policy allows.
    pub(crate) async fn key(self: &Arc<Self>, kid: &str) -> Result<Arc<VerifyingKey>, Error> {
        let now = Instant::now();
        let (keys, needs_refresh, cooling, last_failed, retry_at) = {
            let state = self.read();
            let keys = self.usable(&state, now);
            let needs_refresh = keys.is_some() && self.refresh_due(&state, now);
            let cooling = state.cooldown_until.filter(|t| now < *t);
            (
                keys,
                needs_refresh,
                cooling,
                state.health.failures > 0,
                state.health.retry_at,
            )
        };

        if let Some(keys) = keys {
            if needs_refresh {
                self.refresh_in_background();
            }
            if let Some(key) = keys.get(kid) {
                return Ok(Arc::clone(key));
            }
            if matches!(self.source, Source::Static) {
                return Err(self.unknown(kid));
            }
            // Unknown kid: join a fetch in flight, or start one unless cooling down.
            let fetch = match (self.inflight_watch(), cooling) {
                (Some(fetch), _) => {
                    metrics::unknown_kid(&self.issuer, UnknownKid::Joined);
                    fetch
                }
                // The last fetch failed: whether this kid is the pool's new
                // key cannot be told until one succeeds.
                (None, Some(until)) if last_failed => {
                    metrics::unknown_kid(&self.issuer, UnknownKid::Cooldown);
                    let next = retry_at.map_or(until, |r| r.max(until));
                    tracing::debug!(issuer = ?self.issuer, kid = ?capped(kid), "unknown kid while the key set cannot be fetched");
                    return Err(self.unavailable(next.saturating_duration_since(now)));
                }
                (None, Some(_)) => {
                    metrics::unknown_kid(&self.issuer, UnknownKid::Cooldown);
                    tracing::debug!(issuer = ?self.issuer, kid = ?capped(kid), "unknown kid during cooldown");
                    return Err(self.unknown(kid));
                }
                (None, None) => {
                    metrics::unknown_kid(&self.issuer, UnknownKid::Refetch);
                    self.write().cooldown_until =
                        Some(later(now, self.options.unknown_kid_cooldown));
                    tracing::info!(issuer = ?self.issuer, kid = ?capped(kid), "unknown kid: refetching the JWKS");
                    self.start_or_join()
                }
            };
            return match wait(fetch).await {
                Ok(set) => set.get(kid).cloned().ok_or_else(|| self.unknown(kid)),
                // The last good keys stay in use, and this kid is not among
                // them; but the fetch that could have brought it failed.
                Err(_) => Err(self.unavailable(self.retry_wait())),
            };
        }

        // No usable keys: a fetch is needed before anything can be verified.
        if let Some(at) = retry_at.filter(|t| now < *t)
            && self.inflight_watch().is_none()
        {
            return Err(self.unavailable(at.saturating_duration_since(now)));
        }
        match wait(self.start_or_join()).await {
            Ok(set) => set.get(kid).cloned().ok_or_else(|| self.unknown(kid)),
            Err(_) => Err(self.unavailable(self.retry_wait())),
        }
    }

    /// How long until the next fetch may be tried (after a failed one).
    fn retry_wait(&self) -> Duration {
        self.read()
            .health
            .retry_wait(self.options.min_backoff, Instant::now())
    }

    /// Fetch now (joining a fetch in flight): the fetch starts at this
    /// call, and the future waits for it. Used by prefetch.
    pub(crate) fn fetch_now(
        self: &Arc<Self>,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let cache = Arc::clone(self);
        let fetch = matches!(self.source, Source::Remote { .. }).then(|| self.start_or_join());
        async move {
            let Some(fetch) = fetch else { return Ok(()) };
            wait(fetch)
                .await
                .map(|_| ())
                .map_err(|_| cache.unavailable(cache.options.min_backoff))
        }
    }

    /// The issuer as configured (for a Cognito pool, its first issuer string).
    pub(crate) fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Start a fetch in the background if one is due: no usable set yet, or
    /// the set is older than the refresh interval, and the backoff allows
    /// it. For readiness probes, so that a probe alone keeps the keys fresh
    /// and sees a recovered endpoint.
    pub(crate) fn fetch_if_due(self: &Arc<Self>) {
        if self.fetch_due(&self.read(), Instant::now()) {
            self.refresh_in_background();
        }
    }

    /// The state of the key set now, for readiness (and the age gauge).
    pub(crate) fn snapshot(&self) -> Snapshot {
        let now = Instant::now();
        let state = self.read();
        let age = state.fetched_at.map(|at| now.saturating_duration_since(at));
        let snapshot = Snapshot {
            is_static: matches!(self.source, Source::Static),
            keys: state.keys.as_ref().map(|k| k.len()),
            usable: self.usable_ref(&state, now).is_some(),
            age,
            refresh_interval: self.options.refresh_interval,
            max_stale: self.options.max_stale,
            last_error: state.health.last_error.clone(),
            failures: state.health.failures,
        };
        drop(state);
        if let Some(age) = age {
            metrics::jwks_age(&self.issuer, age);
        }
        snapshot
    }

    fn unknown(&self, kid: &str) -> Error {
        Error::UnknownKey { kid: capped(kid) }
    }

    fn unavailable(&self, retry_after: Duration) -> Error {
        let reason = self.read().health.last_error.clone();
        unavailable(&self.issuer, reason, "no key set fetched yet", retry_after)
    }

    fn inflight_watch(&self) -> Option<FetchWatch> {
        self.inflight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Watch the fetch in flight, or start one in a task of its own. The
    /// task, not the caller, owns the fetch: dropping every watcher does not
    /// stop it, so a cancelled request cannot make the next one fetch again.
    fn start_or_join(self: &Arc<Self>) -> FetchWatch {
        let mut slot = self.inflight.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(fetch) = slot.as_ref() {
            return fetch.clone();
        }
        let (sender, receiver) = watch::channel(None);
        let task = FetchTask {
            cache: Arc::clone(self),
            sender,
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                *slot = Some(receiver.clone());
                drop(slot);
                runtime.spawn(task.run());
            }
            // Outside a Tokio runtime nothing can be spawned (and reqwest
            // could not run either): the fetch fails at once.
            Err(_) => {
                drop(slot);
                let _ = task.sender.send(Some(Err(
                    "no Tokio runtime to fetch the key set on".to_owned()
                )));
            }
        }
        receiver
    }

    fn refresh_in_background(self: &Arc<Self>) {
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        {
            let mut state = self.write();
            if state.refreshing {
                return;
            }
            state.refreshing = true;
        }
        let guard = RefreshGuard(Arc::clone(self));
        tracing::debug!(issuer = ?self.issuer, "refreshing JWKS in the background");
        let fetch = self.start_or_join();
        tokio::spawn(async move {
            let _ = wait(fetch).await;
            drop(guard);
        });
    }

    async fn fetch_and_install(&self) -> Result<Arc<KeySet>, String> {
        let Source::Remote { url, client } = &self.source else {
            return Err("static key set".to_owned());
        };
        let previous = self.read().keys.clone();
        let result = match self.download(client, url).await {
            Ok(body) => parse_jwks(
                &body,
                &self.algorithms,
                self.options.max_keys,
                previous.as_deref(),
            )
            .map_err(|e| (FetchResult::ParseError, e)),
            Err(e) => Err(e),
        };
        let now = Instant::now();
        let mut state = self.write();
        match result {
            Ok(set) => {
                let set = Arc::new(set);
                tracing::info!(issuer = ?self.issuer, keys = set.len(), kids = ?set.kids().map(capped).collect::<Vec<_>>(), "JWKS fetched");
                // An unchanged set keeps its generation, so verified tokens
                // cached on every thread stay valid through the refresh.
                let changed = previous.as_deref().is_none_or(|p| !p.same_keys(&set));
                state.keys = Some(Arc::clone(&set));
                state.fetched_at = Some(now);
                if changed {
                    self.generation.fetch_add(1, Ordering::AcqRel);
                }
                let due = later(now, self.options.refresh_interval);
                self.fresh_until.store(self.nanos(due), Ordering::Release);
                state.health.succeeded();
                metrics::jwks_fetch(&self.issuer, FetchResult::Ok);
                metrics::jwks_keys(&self.issuer, set.len());
                metrics::jwks_age(&self.issuer, Duration::ZERO);
                Ok(set)
            }
            Err((result, reason)) => {
                let options = &self.options;
                let delay =
                    state
                        .health
                        .failed(now, options.min_backoff, options.max_backoff, &reason);
                tracing::warn!(issuer = ?self.issuer, reason = ?capped(&reason), failures = state.health.failures, retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), "JWKS fetch failed");
                metrics::jwks_fetch(&self.issuer, result);
                if let Some(at) = state.fetched_at {
                    metrics::jwks_age(&self.issuer, now.saturating_duration_since(at));
                }
                Err(reason)
            }
        }
    }

    async fn download(
        &self,
        client: &reqwest::Client,
        url: &reqwest::Url,
    ) -> Result<Vec<u8>, (FetchResult, String)> {
        download(
            client,
            url,
            Download {
                accept: "application/json, application/jwk-set+json",
                timeout: self.options.fetch_timeout,
                max_bytes: self.options.max_response_bytes,
                content_type: Some(is_json),
            },
        )
        .await
    }
}

/// Whether a key host is failing: the backoff bookkeeping of the JWKS cache
/// and of the ALB key cache, in one place.
#[derive(Debug, Default)]
pub(crate) struct FetchHealth {
    /// No fetch before this (backoff after failures).
    pub(crate) retry_at: Option<Instant>,
    /// Failed fetches in a row.
    pub(crate) failures: u32,
    /// Why the last fetch failed, for the 503's reason.
    pub(crate) last_error: Option<String>,
}

impl FetchHealth {
    /// The host answered (a key set, or "no such key"): no backoff.
    pub(crate) fn answered(&mut self) {
        self.failures = 0;
        self.retry_at = None;
    }

    /// A fetch succeeded: no backoff, and no failure left to report.
    pub(crate) fn succeeded(&mut self) {
        self.answered();
        self.last_error = None;
    }

    /// A fetch failed at `now` for `reason`: one more failure, and the
    /// backoff it sets (returned).
    pub(crate) fn failed(
        &mut self,
        now: Instant,
        min: Duration,
        max: Duration,
        reason: &str,
    ) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let delay = backoff(min, max, self.failures);
        self.retry_at = Some(later(now, delay));
        self.last_error = Some(reason.to_owned());
        delay
    }

    /// How long until the next fetch may be tried: the backoff left, or
    /// `min` when there is none.
    pub(crate) fn retry_wait(&self, min: Duration, now: Instant) -> Duration {
        self.retry_at
            .map_or(min, |t| t.saturating_duration_since(now))
    }
}

/// The delay before the next fetch after `failures` failed ones in a row:
/// `min`, doubling on each failure, at most `max`.
pub(crate) fn backoff(min: Duration, max: Duration, failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(16);
    min.saturating_mul(1u32 << exp).min(max)
}

/// [`Error::KeysUnavailable`] for the keys of `issuer`, with the last
/// fetch's error (or `otherwise`) and at least a second's `Retry-After`.
pub(crate) fn unavailable(
    issuer: &str,
    last_error: Option<String>,
    otherwise: &str,
    retry_after: Duration,
) -> Error {
    Error::KeysUnavailable {
        issuer: issuer.to_owned(),
        reason: last_error.unwrap_or_else(|| otherwise.to_owned()),
        retry_after: retry_after.max(Duration::from_secs(1)),
    }
}

/// The limits of one key download.
pub(crate) struct Download {
    /// The `Accept` header sent.
    pub(crate) accept: &'static str,
    /// The whole fetch's timeout: connect, headers and body.
    pub(crate) timeout: Duration,
    /// Largest body accepted.
    pub(crate) max_bytes: usize,
    /// The content types accepted, if any is checked.
    pub(crate) content_type: Option<fn(&str) -> bool>,
}

/// GET `url` with the hard limits every key fetch has: the response must
/// come from `url` itself (never a redirect's target), be 200, have an
/// acceptable content type, and fit the size cap, which is applied while
/// the body streams in. Used for JWKS and for load balancer keys.
pub(crate) async fn download(
    client: &reqwest::Client,
    url: &reqwest::Url,
    limits: Download,
) -> Result<Vec<u8>, (FetchResult, String)> {
    let timeout = limits.timeout;
    match tokio::time::timeout(timeout, download_within(client, url, limits)).await {
        Ok(result) => result,
        Err(_) => Err((
            FetchResult::Timeout,
            format!("timed out after {} ms", timeout.as_millis()),
        )),
    }
}

/// [`download`] without its total timeout.
async fn download_within(
    client: &reqwest::Client,
    url: &reqwest::Url,
    limits: Download,
) -> Result<Vec<u8>, (FetchResult, String)> {
    let failed = |e: &reqwest::Error| {
        if e.is_timeout() {
            FetchResult::Timeout
        } else {
            FetchResult::Error
        }
    };
    let mut response = client
        .get(url.clone())
        .header(reqwest::header::ACCEPT, limits.accept)
        .timeout(limits.timeout)
        .send()
        .await
        .map_err(|e| (failed(&e), format!("request failed: {}", error_chain(&e))))?;
    // A client that follows redirects (any client but the default one
    // may) must not bring keys from anywhere but the configured URL.
    if response.url() != url {
        return Err((
            FetchResult::Error,
            format!(
                "redirected to {:?}; keys are read from the configured URL only",
                capped(response.url().as_str())
            ),
        ));
    }
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        return Err((
            FetchResult::Status(status.as_u16()),
            format!("HTTP status {}", status.as_u16()),
        ));
    }
    if let Some(acceptable) = limits.content_type {
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !acceptable(content_type) {
            return Err((
                FetchResult::Error,
                format!("content type {:?} is not JSON", capped(content_type)),
            ));
        }
    }
    let cap = limits.max_bytes;
    let too_large = || {
        (
            FetchResult::TooLarge,
            format!("response larger than {cap} bytes"),
        )
    };
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        (
            failed(&e),
            format!("reading the body failed: {}", error_chain(&e)),
        )
    })? {
        if body.len().saturating_add(chunk.len()) > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Owns one fetch: runs it, publishes its outcome, and retires itself from
/// the cache's `inflight` slot, also if its runtime drops it half way.
struct FetchTask {
    cache: Arc<JwksCache>,
    sender: watch::Sender<Option<FetchOutcome>>,
}

impl FetchTask {
    async fn run(self) {
        let outcome = self.cache.fetch_and_install().await;
        // Retire first: a request that sees the outcome and finds the slot
        // empty may start the next fetch when the policy allows it.
        self.retire();
        let _ = self.sender.send(Some(outcome));
    }

    fn retire(&self) {
        let mut slot = self
            .cache
            .inflight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slot
            .as_ref()
            .is_some_and(|w| w.same_channel(&self.sender.subscribe()))
        {
            *slot = None;
        }
    }
}

impl Drop for FetchTask {
    fn drop(&mut self) {
        // On the normal path this finds its slot already retired.
        self.retire();
    }
}

/// Wait for a fetch's outcome. A fetch task dropped without an answer (its
/// runtime shut down) counts as a failed fetch. (Also the load balancer
/// key cache's.)
pub(crate) async fn wait<T: Clone>(
    mut fetch: watch::Receiver<Option<Result<T, String>>>,
) -> Result<T, String> {
    match fetch.wait_for(Option::is_some).await {
        Ok(outcome) => match &*outcome {
            Some(outcome) => outcome.clone(),
            None => Err("the key fetch ended without an answer".to_owned()),
        },
        Err(_) => Err("the key fetch ended without an answer".to_owned()),
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/jwk-set+json"));
        assert!(!is_json("text/html"));
        assert!(!is_json(""));
        assert!(!is_json("text/json+html"));
    }
}

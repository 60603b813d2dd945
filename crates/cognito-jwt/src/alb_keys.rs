//! A load balancer's signing keys: one PEM public key per `kid`, fetched from
//! `{keys URL}/{kid}` and cached.
//!
//! There is no key set to refresh: a load balancer publishes each key at a
//! URL of its own, and the key behind a `kid` never changes. So a key, once
//! fetched, is kept (up to [`AlbKeyOptions::max_keys`] of them) and the rest
//! of the policy is about the `kid`s not seen yet, with the guarantees of the
//! JWKS cache:
//!
//! - **One fetch at a time, single flight.** Every request for a `kid` being
//!   fetched joins that fetch. A request for another uncached `kid` waits for
//!   it to end and then decides, so a burst of distinct kids never runs
//!   fetches side by side.
//! - **Unknown-`kid` cooldown.** A `kid` the key server does not have (404)
//!   starts a cooldown during which every other uncached `kid` is
//!   [`Error::UnknownKey`] at once, without a fetch. Cached kids are never
//!   held up. With the one-at-a-time rule, a flood of random kids costs one
//!   fetch per cooldown, however many arrive together.
//! - **Outage is 503.** A failed fetch (connection, status other than 200 or
//!   404, timeout, a body that is not one P-256 PEM key) is
//!   [`Error::KeysUnavailable`], and no fetch is tried again before a backoff
//!   (1 s, 2 s, 4 s… capped), during which uncached kids are 503 at once.
//! - **Hard limits.** A total timeout per fetch, a body size cap, the
//!   configured URL only (a redirect is never followed to keys elsewhere).
//! - **Cancel-safe.** A fetch runs in a task of its own; requests only watch
//!   it, so a request dropped mid-fetch neither stops it nor starts another.
//!
//! No lock is held across an `.await`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::sync::watch;

use crate::error::{Error, capped};
use crate::jwk::VerifyingKey;
use crate::jwks_cache::{Download, backoff, download, later, unavailable, wait};
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
/// assert_eq!(options.unknown_kid_cooldown, Duration::from_secs(10));
/// assert_eq!(options.max_response_bytes, 4096);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbKeyOptions {
    /// After the key server answered that it has no key for a `kid`, how
    /// long every other uncached `kid` fails at once without a fetch.
    /// Default: 10 seconds.
    pub unknown_kid_cooldown: Duration,
    /// Total time allowed for one fetch (connect, headers and body). Default: 5 seconds.
    pub fetch_timeout: Duration,
    /// Largest key body accepted, in bytes. A P-256 PEM key is under 200.
    /// Default: 4 KiB.
    pub max_response_bytes: usize,
    /// Most keys kept; the least recently used go first. Default: 64.
    pub max_keys: u64,
    /// First retry delay after a failed fetch; doubles on each failure. Default: 1 second.
    pub min_backoff: Duration,
    /// Longest retry delay. Default: 30 seconds.
    pub max_backoff: Duration,
}

impl Default for AlbKeyOptions {
    fn default() -> Self {
        AlbKeyOptions {
            unknown_kid_cooldown: Duration::from_secs(10),
            fetch_timeout: Duration::from_secs(5),
            max_response_bytes: 4096,
            max_keys: 64,
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// What a fetch ended with: the key, `None` when the key server has no key
/// for the `kid` (404), or why it failed.
type FetchOutcome = Result<Option<Arc<VerifyingKey>>, String>;

/// A fetch in flight; `None` until its task sends the outcome.
type FetchWatch = watch::Receiver<Option<FetchOutcome>>;

#[derive(Default)]
struct State {
    /// The one fetch in flight, and its `kid`.
    inflight: Option<(String, FetchWatch)>,
    /// Uncached kids fail at once until this instant (after a 404).
    cooldown_until: Option<Instant>,
    /// No fetch before this (backoff after failures).
    retry_at: Option<Instant>,
    failures: u32,
    last_error: Option<String>,
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
/// with 503: each wait is bounded by the fetch timeout.
const MAX_WAITS: usize = 4;

impl AlbKeys {
    pub(crate) fn new(base: reqwest::Url, client: reqwest::Client, options: AlbKeyOptions) -> Self {
        let keys = moka::sync::Cache::builder()
            .max_capacity(options.max_keys)
            .build_with_hasher(foldhash::fast::RandomState::default());
        AlbKeys {
            base,
            client,
            options,
            keys,
            state: Mutex::new(State::default()),
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
    /// as the policy allows.
    pub(crate) async fn key(self: &Arc<Self>, kid: &str) -> Result<Arc<VerifyingKey>, Error> {
        for _ in 0..MAX_WAITS {
            if let Some(key) = self.keys.get(kid) {
                return Ok(key);
            }
            let (fetch, own) = match self.decide(kid) {
                Ok(decided) => decided,
                Err(e) => return Err(e),
            };
            let outcome = wait(fetch).await;
            if !own {
                // Another kid's fetch ended: decide again (it may have
                // started the cooldown, or freed the slot).
                continue;
            }
            return match outcome {
                Ok(Some(key)) => Ok(key),
                Ok(None) => Err(self.unknown(kid)),
                Err(_) => Err(self.unavailable(self.retry_wait())),
            };
        }
        Err(self.unavailable(self.options.min_backoff))
    }

    /// Join the fetch of `kid`, wait for another kid's, start one, or refuse
    /// at once. `true` when the watched fetch is this kid's.
    fn decide(self: &Arc<Self>, kid: &str) -> Result<(FetchWatch, bool), Error> {
        let now = Instant::now();
        let mut state = self.lock();
        if let Some((fetching, fetch)) = &state.inflight {
            let own = fetching == kid;
            if own {
                metrics::unknown_kid(self.base(), UnknownKid::Joined);
            }
            return Ok((fetch.clone(), own));
        }
        if let Some(at) = state.retry_at.filter(|t| now < *t) {
            drop(state);
            tracing::debug!(keys = ?self.base(), kid = ?capped(kid), "uncached kid while the key server is failing");
            return Err(self.unavailable(at.saturating_duration_since(now)));
        }
        if state.cooldown_until.is_some_and(|t| now < t) {
            drop(state);
            metrics::unknown_kid(self.base(), UnknownKid::Cooldown);
            tracing::debug!(keys = ?self.base(), kid = ?capped(kid), "uncached kid during the unknown-kid cooldown");
            return Err(self.unknown(kid));
        }
        metrics::unknown_kid(self.base(), UnknownKid::Refetch);
        let (sender, receiver) = watch::channel(None);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            drop(state);
            let _ = sender.send(Some(Err("no Tokio runtime to fetch the key on".to_owned())));
            return Ok((receiver, true));
        };
        state.inflight = Some((kid.to_owned(), receiver.clone()));
        drop(state);
        tracing::info!(keys = ?self.base(), kid = ?capped(kid), "fetching a load balancer key");
        let task = FetchTask {
            keys: Arc::clone(self),
            kid: kid.to_owned(),
            sender,
        };
        runtime.spawn(task.run());
        Ok((receiver, true))
    }

    fn retry_wait(&self) -> Duration {
        self.lock().retry_at.map_or(self.options.min_backoff, |t| {
            t.saturating_duration_since(Instant::now())
        })
    }

    fn unknown(&self, kid: &str) -> Error {
        Error::UnknownKey { kid: capped(kid) }
    }

    fn unavailable(&self, retry_after: Duration) -> Error {
        let reason = self.lock().last_error.clone();
        unavailable(self.base(), reason, "the key fetch failed", retry_after)
    }

    /// Fetch `kid`'s key and record the outcome (cache, cooldown, backoff).
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
                        .map(Some)
                        .map_err(|e| (FetchResult::ParseError, e)),
                    Err((FetchResult::Status(404), _)) => Ok(None),
                    Err(e) => Err(e),
                }
            }
        };
        let now = Instant::now();
        let mut state = self.lock();
        match result {
            Ok(Some(key)) => {
                let key = Arc::new(key);
                self.keys.insert(kid.to_owned(), Arc::clone(&key));
                state.failures = 0;
                state.retry_at = None;
                state.last_error = None;
                metrics::jwks_fetch(self.base(), FetchResult::Ok);
                tracing::info!(keys = ?self.base(), kid = ?capped(kid), "load balancer key fetched");
                Ok(Some(key))
            }
            Ok(None) => {
                // The server answered: it is up, and has no such key.
                state.failures = 0;
                state.retry_at = None;
                state.cooldown_until = Some(later(now, self.options.unknown_kid_cooldown));
                metrics::jwks_fetch(self.base(), FetchResult::Status(404));
                tracing::info!(keys = ?self.base(), kid = ?capped(kid), "the key server has no key for this kid");
                Ok(None)
            }
            Err((result, reason)) => {
                state.failures = state.failures.saturating_add(1);
                let delay = backoff(
                    self.options.min_backoff,
                    self.options.max_backoff,
                    state.failures,
                );
                state.retry_at = Some(later(now, delay));
                tracing::warn!(keys = ?self.base(), reason = ?capped(&reason), failures = state.failures, retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), "load balancer key fetch failed");
                state.last_error = Some(reason.clone());
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

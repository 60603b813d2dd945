//! Readiness: whether each issuer's keys are loaded, how old they are, why
//! the last fetch failed ([`Verifier::key_status`], [`Verifier::is_ready`]),
//! and a prefetch that gives up after a while ([`Verifier::prefetch_within`]).
//!
//! A service is ready when it can verify tokens of every issuer it trusts:
//! each key set is static, or was fetched and is not older than
//! `refresh_interval + max_stale` ([`JwksOptions`](crate::JwksOptions)).
//! Through a JWKS outage a service that had its keys stays ready for
//! `max_stale` past the refresh (24 hours by default), as requests are still
//! verified with the last good keys; after that, requests get 503 and so
//! does a readiness probe.
//!
//! Reading the status also starts a background fetch for every issuer whose
//! keys are missing, expired or due a refresh (as far as the backoff after
//! failed fetches allows), so a readiness probe alone brings the keys in
//! once the endpoint answers, and keeps them fresh on an idle service.

use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, capped};
use crate::jwks_cache::Snapshot;
use crate::verifier::Verifier;

/// Where one issuer's key set stands ([`KeySetStatus::state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeySetState {
    /// Keys given at build time (`Issuer::static_jwks`): always ready.
    Static,
    /// Fetched less than `refresh_interval` ago.
    Fresh,
    /// Older than `refresh_interval`: a refresh is due, running or failing.
    /// The keys are still used until `max_stale` more has passed.
    Stale,
    /// Older than `refresh_interval + max_stale` and no fetch has succeeded
    /// since: no longer used; requests needing them get 503.
    Expired,
    /// No key set fetched yet.
    NotLoaded,
}

impl KeySetState {
    /// Whether tokens of this issuer can be verified now.
    pub const fn is_usable(self) -> bool {
        matches!(
            self,
            KeySetState::Static | KeySetState::Fresh | KeySetState::Stale
        )
    }

    /// A stable name: `static`, `fresh`, `stale`, `expired`, `not_loaded`.
    pub const fn as_str(self) -> &'static str {
        match self {
            KeySetState::Static => "static",
            KeySetState::Fresh => "fresh",
            KeySetState::Stale => "stale",
            KeySetState::Expired => "expired",
            KeySetState::NotLoaded => "not_loaded",
        }
    }
}

/// One issuer's key set, as a readiness probe sees it: what
/// [`Verifier::key_status`] returns for each configured issuer.
///
/// ```
/// use cognito_jwt::{Issuer, KeySetState, TokenUse, Verifier};
/// use cognito_jwt_testkit::{JwksServer, Mode, TestIssuer};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = TestIssuer::cognito();
/// let jwks = JwksServer::start(&pool);
/// jwks.set_mode(Mode::Status(503)); // the pool's JWKS is down at start
/// let verifier = Verifier::builder(Issuer::cognito("us-east-1_TestPool1").jwks_url(jwks.url()))
///     .client_ids([pool.client_id()])
///     .token_use(TokenUse::Access)
///     .build()?;
///
/// // Start-up goes on without keys: not fatal, and bounded in time.
/// assert!(verifier.prefetch_within(Duration::from_secs(2)).await.is_err());
/// assert!(!verifier.is_ready());
/// let status = &verifier.key_status()[0];
/// assert_eq!(status.state, KeySetState::NotLoaded);
/// assert_eq!(status.last_error.as_deref(), Some("HTTP status 503"));
///
/// // The endpoint is back.
/// jwks.set_mode(Mode::Normal);
/// verifier.prefetch_within(Duration::from_secs(2)).await?;
/// assert!(verifier.is_ready());
/// let status = &verifier.key_status()[0];
/// assert_eq!((status.state, status.keys, status.last_error.as_deref()), (KeySetState::Fresh, 1, None));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeySetStatus {
    /// The issuer as configured (for a Cognito pool, its
    /// `https://cognito-idp.{region}.amazonaws.com/{pool}` form).
    pub issuer: String,
    /// Where the key set stands; [`KeySetStatus::is_ready`] follows from it.
    pub state: KeySetState,
    /// Usable keys in the current set (0 before the first fetch).
    pub keys: usize,
    /// Time since the last successful fetch: how old the set is. `None` for
    /// static keys and before the first fetch.
    pub age: Option<Duration>,
    /// When the last fetch succeeded, by the system clock.
    pub last_success: Option<SystemTime>,
    /// How long the current set is still used if no fetch succeeds: 0 once
    /// [`KeySetState::Expired`]; `None` for static keys and before the
    /// first fetch.
    pub usable_for: Option<Duration>,
    /// Why the last fetch failed, if it did (cleared by a success): at most
    /// 128 bytes, control characters escaped, so it is safe in a log line
    /// or a probe's body. It never holds token data.
    pub last_error: Option<String>,
    /// Fetches that failed in a row since the last success.
    pub failures: u32,
}

impl KeySetStatus {
    /// Whether tokens of this issuer can be verified now.
    pub fn is_ready(&self) -> bool {
        self.state.is_usable()
    }

    fn new(issuer: &str, snapshot: Snapshot) -> KeySetStatus {
        let Snapshot {
            is_static,
            keys,
            usable,
            age,
            refresh_interval,
            max_stale,
            last_error,
            failures,
        } = snapshot;
        let state = match (is_static, keys, usable, age) {
            (true, ..) => KeySetState::Static,
            (false, None, ..) => KeySetState::NotLoaded,
            (false, Some(_), false, _) => KeySetState::Expired,
            (false, Some(_), true, Some(age)) if age < refresh_interval => KeySetState::Fresh,
            (false, Some(_), true, _) => KeySetState::Stale,
        };
        let age = age.filter(|_| !is_static);
        KeySetStatus {
            issuer: issuer.to_owned(),
            state,
            keys: keys.unwrap_or(0),
            age,
            last_success: age.and_then(|age| SystemTime::now().checked_sub(age)),
            usable_for: age.map(|age| {
                refresh_interval
                    .saturating_add(max_stale)
                    .saturating_sub(age)
            }),
            last_error: last_error.map(|e| escaped(&capped(&e))),
            failures,
        }
    }
}

/// `s` with every control character escaped (`\n`, `\u{1b}`…): one line
/// whatever a server or a library put in it.
fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl Verifier {
    /// Every configured issuer's key set, in the order they were
    /// configured (the two issuer strings of a Cognito pool share one set).
    ///
    /// Also starts a background fetch for each set that is missing,
    /// expired or due a refresh, as far as the backoff allows: a readiness
    /// probe alone brings the keys in once the endpoint answers. Needs a
    /// Tokio runtime for that (without one, it only reads).
    pub fn key_status(&self) -> Vec<KeySetStatus> {
        self.0
            .key_caches
            .iter()
            .map(|cache| {
                cache.fetch_if_due();
                KeySetStatus::new(cache.issuer(), cache.snapshot())
            })
            .collect()
    }

    /// Whether tokens of every configured issuer can be verified now: each
    /// key set is static, or fetched and not older than `refresh_interval +
    /// max_stale`. For a readiness probe; like [`Verifier::key_status`], it
    /// starts the fetches that are due.
    pub fn is_ready(&self) -> bool {
        self.key_status().iter().all(KeySetStatus::is_ready)
    }

    /// [`Verifier::prefetch`], waiting at most `timeout` in all: every
    /// issuer's keys are fetched at once, and an `Err` (the first issuer's
    /// [`Error::KeysUnavailable`]) says some are not loaded in time. Fetches
    /// still running then go on in the background.
    ///
    /// Never fatal unless you make it so: a service may start without keys
    /// (requests get 503 until they come, and [`Verifier::is_ready`] says
    /// so), or return the error from `main` to insist on them.
    pub async fn prefetch_within(&self, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now().checked_add(timeout);
        // Started before any is awaited, so they run together.
        let fetches: Vec<_> = self
            .0
            .key_caches
            .iter()
            .map(|cache| (cache, cache.fetch_now()))
            .collect();
        let mut first_error = None;
        for (cache, fetch) in fetches {
            let outcome = match deadline {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    tokio::time::timeout(left, fetch)
                        .await
                        .unwrap_or_else(|_| Err(not_within(cache.issuer(), timeout)))
                }
                // No deadline that far away (`prefetch`): no timer either,
                // so a runtime without one can prefetch.
                None => fetch.await,
            };
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "JWKS prefetch failed");
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

fn not_within(issuer: &str, timeout: Duration) -> Error {
    Error::KeysUnavailable {
        issuer: issuer.to_owned(),
        reason: format!(
            "no key set within {} ms; the fetch goes on in the background",
            timeout.as_millis()
        ),
        retry_after: Duration::from_secs(1),
    }
}

#[cfg(test)]
mod tests {
    use super::escaped;

    #[test]
    fn control_characters_are_escaped() {
        for (raw, shown) in [
            ("HTTP status 503", "HTTP status 503"),
            ("a\nb\r\n", "a\\nb\\r\\n"),
            ("\u{1b}[31mred", "\\u{1b}[31mred"),
            ("quotes \"stay\"", "quotes \"stay\""),
            ("ünïcode", "ünïcode"),
        ] {
            assert_eq!(escaped(raw), shown, "{raw:?}");
        }
    }
}

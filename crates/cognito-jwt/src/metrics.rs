//! The crate's counters and gauges, through the `metrics` facade (feature
//! `metrics`; the table of every metric is in the [manual](crate::manual)).
//!
//! Every other module counts through the functions here, never through the
//! facade itself, so that without the feature each call is an empty inline
//! function and compiles away. Where each one is called, so that every
//! decision is counted once whoever calls:
//!
//! - [`verification`]: by the verified-token cache's two tiers
//!   (`Verifier::answer_from_near_tier`, `answer_from_shared_tier`) for the
//!   answers they give, and by `Verifier::verify_uncached` for the rest.
//!   `Verifier::verify` and the `Gate` only call those three.
//! - [`refusal`]: by the `Gate`, where a `Refusal` is made.
//! - [`token_cache`]: by the two tiers.
//! - [`jwks_fetch`], [`jwks_age`], [`jwks_keys`], [`unknown_kid`]: by the
//!   JWKS cache.
//!
//! Labels are `&'static str` or configured values (the issuer as
//! configured), never a value taken from a token: no request can create a
//! new series. An accepted token or a cache hit is counted on counters
//! each thread registered once (see [`Hot`]), and a rejection looks its
//! static key up in a table: the request path allocates nothing for metrics.

#[cfg(feature = "metrics")]
use std::cell::RefCell;

#[cfg(feature = "metrics")]
use ::metrics::{Counter, Key, Label, Level, Metadata, Recorder, SharedString, counter, gauge};

/// The metrics' names (the manual's Metrics table).
#[cfg(feature = "metrics")]
mod name {
    pub(super) const VERIFICATIONS: &str = "cognito_jwt_verifications_total";
    pub(super) const REFUSALS: &str = "cognito_jwt_refusals_total";
    pub(super) const TOKEN_CACHE: &str = "cognito_jwt_token_cache_total";
    pub(super) const JWKS_FETCHES: &str = "cognito_jwt_jwks_fetches_total";
    pub(super) const UNKNOWN_KID: &str = "cognito_jwt_unknown_kid_total";
    pub(super) const JWKS_AGE: &str = "cognito_jwt_jwks_age_seconds";
    pub(super) const JWKS_KEYS: &str = "cognito_jwt_jwks_keys";
    pub(super) const REVOCATIONS: &str = "cognito_jwt_revocations_total";
    pub(super) const REVOCATION_RULES: &str = "cognito_jwt_revocation_rules";
    pub(super) const REVOCATIONS_SYNCED: &str = "cognito_jwt_revocations_synced_timestamp_seconds";
}

#[cfg(feature = "metrics")]
use name::{
    JWKS_AGE, JWKS_FETCHES, JWKS_KEYS, REFUSALS, REVOCATION_RULES, REVOCATIONS, REVOCATIONS_SYNCED,
    TOKEN_CACHE, UNKNOWN_KID, VERIFICATIONS,
};

/// One static key per reason, for a metric whose labels are `fixed` and
/// `reason`: a rejection is counted without building a key.
#[cfg(feature = "metrics")]
macro_rules! keys_by_reason {
    ($name:expr, $fixed:tt, [$($reason:literal),* $(,)?]) => {
        &[$(($reason, key_with_reason!($name, $fixed, $reason))),*]
    };
}

#[cfg(feature = "metrics")]
macro_rules! key_with_reason {
    ($name:expr, [$($fixed:literal => $value:literal),*], $reason:literal) => {
        Key::from_static_parts(
            $name,
            const { &[$(Label::from_static_parts($fixed, $value),)* Label::from_static_parts("reason", $reason)] },
        )
    };
}

/// The [`Error::kind`](crate::Error::kind) strings, the `reason` label's
/// values, as macro input (a test checks that every kind is here).
#[cfg(feature = "metrics")]
macro_rules! reason_keys {
    ($name:expr, [$($fixed:literal => $value:literal),*]) => {
        keys_by_reason!($name, [$($fixed => $value),*], [
            "missing_token", "malformed_credentials", "multiple_credentials",
            "token_too_large", "malformed_token", "algorithm_not_allowed", "bad_header",
            "unknown_key", "key_algorithm_mismatch", "invalid_signature", "expired",
            "not_yet_valid", "issued_in_future", "untrusted_issuer", "wrong_token_use",
            "client_not_allowed", "audience_mismatch", "bad_claim", "insufficient_scope",
            "missing_group", "forbidden", "keys_unavailable", "revoked",
            "revocations_unavailable", "misconfigured",
        ])
    };
}

#[cfg(feature = "metrics")]
static REJECTED: &[(&str, Key)] = reason_keys!(VERIFICATIONS, ["outcome" => "rejected"]);

#[cfg(feature = "metrics")]
static REFUSED: &[(&str, Key)] = reason_keys!(REFUSALS, []);

#[cfg(feature = "metrics")]
static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// Count one on the counter of `reason` in `table`, or, for a reason not in
/// it (a kind newer than the table), on a key built for it.
#[cfg(feature = "metrics")]
fn count_reason(table: &[(&str, Key)], reason: &'static str, build: impl FnOnce() -> Key) {
    ::metrics::with_recorder(|recorder| {
        let counter = match table.iter().find(|(r, _)| *r == reason) {
            Some((_, key)) => recorder.register_counter(key, &METADATA),
            None => recorder.register_counter(&build(), &METADATA),
        };
        counter.increment(1);
    });
}

/// The counters of the request path, registered once per thread and
/// recorder: registering (what the facade's macros do on every call) costs
/// a Prometheus recorder a locked map lookup, more than a cache hit itself
/// (BENCHMARKS.md, session 7). A recorder is told by its address: the
/// global one never changes once set, and a new local one
/// (`metrics::with_local_recorder`) is registered with on first use. One
/// limit: a local recorder dropped and another made at the same address,
/// on the same thread, would find the first one's counters; tests that
/// make several recorders keep them alive together (`tests/metrics.rs`).
#[cfg(feature = "metrics")]
struct Hot {
    /// The address of the recorder these were registered with.
    recorder: usize,
    accepted: Counter,
    near_hit: Counter,
    shared_hit: Counter,
    miss: Counter,
}

#[cfg(feature = "metrics")]
impl Hot {
    fn register(recorder: &dyn Recorder, id: usize) -> Hot {
        static ACCEPTED: Key = Key::from_static_parts(
            VERIFICATIONS,
            const { &[Label::from_static_parts("outcome", "accepted")] },
        );
        static NEAR_HIT: Key = Key::from_static_parts(
            TOKEN_CACHE,
            const {
                &[
                    Label::from_static_parts("tier", "near"),
                    Label::from_static_parts("result", "hit"),
                ]
            },
        );
        static SHARED_HIT: Key = Key::from_static_parts(
            TOKEN_CACHE,
            const {
                &[
                    Label::from_static_parts("tier", "shared"),
                    Label::from_static_parts("result", "hit"),
                ]
            },
        );
        static MISS: Key = Key::from_static_parts(
            TOKEN_CACHE,
            const {
                &[
                    Label::from_static_parts("tier", "shared"),
                    Label::from_static_parts("result", "miss"),
                ]
            },
        );
        Hot {
            recorder: id,
            accepted: recorder.register_counter(&ACCEPTED, &METADATA),
            near_hit: recorder.register_counter(&NEAR_HIT, &METADATA),
            shared_hit: recorder.register_counter(&SHARED_HIT, &METADATA),
            miss: recorder.register_counter(&MISS, &METADATA),
        }
    }

    fn lookup(&self, lookup: CacheLookup) -> &Counter {
        match lookup {
            CacheLookup::NearHit => &self.near_hit,
            CacheLookup::SharedHit => &self.shared_hit,
            CacheLookup::Miss => &self.miss,
        }
    }
}

#[cfg(feature = "metrics")]
thread_local! {
    static HOT: RefCell<Option<Hot>> = const { RefCell::new(None) };
}

/// `f` with this thread's [`Hot`] counters for the current recorder.
#[cfg(feature = "metrics")]
fn with_hot(f: impl FnOnce(&Hot)) {
    ::metrics::with_recorder(|recorder| {
        let id = std::ptr::from_ref(recorder).cast::<()>().addr();
        let mut f = Some(f);
        let _ = HOT.try_with(|hot| {
            let Ok(mut hot) = hot.try_borrow_mut() else {
                return;
            };
            let hot = match &mut *hot {
                Some(hot) if hot.recorder == id => hot,
                slot => slot.insert(Hot::register(recorder, id)),
            };
            if let Some(f) = f.take() {
                f(hot);
            }
        });
        // The thread is exiting (its locals are gone): register anew.
        if let Some(f) = f {
            f(&Hot::register(recorder, id));
        }
    });
}

#[cfg(feature = "metrics")]
fn rejected(reason: &'static str) {
    count_reason(REJECTED, reason, || {
        Key::from_parts(
            VERIFICATIONS,
            vec![
                Label::from_static_parts("outcome", "rejected"),
                Label::from_static_parts("reason", reason),
            ],
        )
    });
}

/// One verification decision: accepted (`None`) or rejected with this
/// [`Error::kind`](crate::Error::kind).
#[inline]
pub(crate) fn verification(rejected: Option<&'static str>) {
    #[cfg(feature = "metrics")]
    match rejected {
        None => with_hot(|hot| hot.accepted.increment(1)),
        Some(reason) => self::rejected(reason),
    }
    #[cfg(not(feature = "metrics"))]
    let _ = rejected;
}

/// One request the `Gate` refused, for this [`Error::kind`](crate::Error::kind).
#[inline]
pub(crate) fn refusal(reason: &'static str) {
    #[cfg(feature = "metrics")]
    count_reason(REFUSED, reason, || {
        Key::from_parts(REFUSALS, vec![Label::from_static_parts("reason", reason)])
    });
    #[cfg(not(feature = "metrics"))]
    let _ = reason;
}

/// What the verified-token cache made of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheLookup {
    /// Answered by this thread's near tier.
    NearHit,
    /// Answered by the shared tier.
    SharedHit,
    /// Not answered: the token must be verified.
    Miss,
}

/// One lookup in the verified-token cache that sent the token on to
/// verification, or that answered (then [`cache_answer`] counts both). A
/// near-tier miss that the shared tier then answers is one shared hit, not
/// a miss.
#[inline]
pub(crate) fn token_cache(lookup: CacheLookup) {
    #[cfg(feature = "metrics")]
    with_hot(|hot| hot.lookup(lookup).increment(1));
    #[cfg(not(feature = "metrics"))]
    let _ = lookup;
}

/// A cache hit (`lookup`) and the verification decision it answered with:
/// [`token_cache`] and [`verification`] in one visit to the counters.
#[inline]
pub(crate) fn cache_answer(lookup: CacheLookup, rejected: Option<&'static str>) {
    #[cfg(feature = "metrics")]
    {
        with_hot(|hot| {
            hot.lookup(lookup).increment(1);
            if rejected.is_none() {
                hot.accepted.increment(1);
            }
        });
        if let Some(reason) = rejected {
            self::rejected(reason);
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (lookup, rejected);
}

/// How one JWKS fetch ended: the `result` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FetchResult {
    /// A key set was installed.
    Ok,
    /// The endpoint answered with this status (not 200).
    Status(u16),
    /// No answer within `JwksOptions::fetch_timeout`.
    Timeout,
    /// The body was larger than `JwksOptions::max_response_bytes`.
    TooLarge,
    /// The body is not a usable JWKS.
    ParseError,
    /// Anything else: connection refused, a redirect, not JSON…
    Error,
}

#[cfg(feature = "metrics")]
impl FetchResult {
    fn label(self) -> SharedString {
        SharedString::const_str(match self {
            FetchResult::Ok => "ok",
            FetchResult::Timeout => "timeout",
            FetchResult::TooLarge => "too_large",
            FetchResult::ParseError => "parse_error",
            FetchResult::Error => "error",
            FetchResult::Status(status) => return SharedString::from(format!("http_{status}")),
        })
    }
}

/// One JWKS fetch of the configured `issuer`.
#[inline]
pub(crate) fn jwks_fetch(issuer: &str, result: FetchResult) {
    #[cfg(feature = "metrics")]
    counter!(JWKS_FETCHES, "issuer" => issuer.to_owned(), "result" => result.label()).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (issuer, result);
}

/// The age of `issuer`'s key set, as of now.
#[inline]
pub(crate) fn jwks_age(issuer: &str, age: std::time::Duration) {
    #[cfg(feature = "metrics")]
    gauge!(JWKS_AGE, "issuer" => issuer.to_owned()).set(age.as_secs_f64());
    #[cfg(not(feature = "metrics"))]
    let _ = (issuer, age);
}

/// The number of usable keys in `issuer`'s key set.
#[inline]
pub(crate) fn jwks_keys(issuer: &str, keys: usize) {
    #[cfg(feature = "metrics")]
    gauge!(JWKS_KEYS, "issuer" => issuer.to_owned()).set(keys as f64);
    #[cfg(not(feature = "metrics"))]
    let _ = (issuer, keys);
}

/// What an unknown `kid` led to: the `result` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnknownKid {
    /// It started a refetch of the key set.
    Refetch,
    /// It waited for a fetch already in flight.
    Joined,
    /// It was refused at once, during the cooldown after a refetch.
    Cooldown,
}

/// One token whose `kid` is not in `issuer`'s (fetched) key set.
#[inline]
pub(crate) fn unknown_kid(issuer: &str, result: UnknownKid) {
    #[cfg(feature = "metrics")]
    {
        let result = match result {
            UnknownKid::Refetch => "refetch",
            UnknownKid::Joined => "joined",
            UnknownKid::Cooldown => "cooldown",
        };
        counter!(UNKNOWN_KID, "issuer" => issuer.to_owned(), "result" => result).increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (issuer, result);
}

/// One token refused by the revocation `rule` that matched it.
#[inline]
pub(crate) fn revoked(rule: &'static str) {
    #[cfg(feature = "metrics")]
    counter!(REVOCATIONS, "rule" => rule).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = rule;
}

/// How many revocation rules a set holds, after each change.
#[inline]
pub(crate) fn revocation_rules(rules: usize) {
    #[cfg(feature = "metrics")]
    #[expect(
        clippy::cast_precision_loss,
        reason = "a gauge; exact below 2^52 rules"
    )]
    gauge!(REVOCATION_RULES).set(rules as f64);
    #[cfg(not(feature = "metrics"))]
    let _ = rules;
}

/// When a store last confirmed a revocation set (seconds since the epoch):
/// its lag is `time() - cognito_jwt_revocations_synced_timestamp_seconds`
/// in PromQL, current at every scrape (a lag gauge would only move when
/// set).
#[inline]
pub(crate) fn revocations_synced(unix: i64) {
    #[cfg(feature = "metrics")]
    #[expect(
        clippy::cast_precision_loss,
        reason = "a gauge of seconds since the epoch"
    )]
    gauge!(REVOCATIONS_SYNCED).set(unix as f64);
    #[cfg(not(feature = "metrics"))]
    let _ = unix;
}

/// Describe every metric of the crate to the installed recorder (its
/// `# HELP` line and unit, in Prometheus). Call it once, after installing
/// the recorder; counting works without it.
///
/// ```
/// let recorder = metrics_util::debugging::DebuggingRecorder::new();
/// metrics::with_local_recorder(&recorder, cognito_jwt::describe_metrics);
/// ```
#[cfg(feature = "metrics")]
pub fn describe_metrics() {
    use ::metrics::{Unit, describe_counter, describe_gauge};
    describe_counter!(
        VERIFICATIONS,
        "Token verification decisions, by outcome and, for rejections, reason (Error::kind)"
    );
    describe_counter!(
        REFUSALS,
        "Requests refused by the adapters' Gate, by reason (Error::kind)"
    );
    describe_counter!(
        TOKEN_CACHE,
        "Verified-token cache lookups that answered (hit, by tier) or sent the token to verification (miss)"
    );
    describe_counter!(JWKS_FETCHES, "JWKS fetches, by issuer and result");
    describe_counter!(
        UNKNOWN_KID,
        "Tokens with a kid not in the fetched key set, by issuer and what it led to"
    );
    describe_gauge!(
        JWKS_AGE,
        Unit::Seconds,
        "Age of the issuer's key set, updated at every fetch and status read"
    );
    describe_gauge!(JWKS_KEYS, "Usable keys in the issuer's key set");
    describe_counter!(
        REVOCATIONS,
        "Tokens refused as revoked, by the kind of rule that matched"
    );
    describe_gauge!(
        REVOCATION_RULES,
        "Revocation rules held, after the last change"
    );
    describe_gauge!(
        REVOCATIONS_SYNCED,
        Unit::Seconds,
        "When a store last confirmed the revocation rules (seconds since the epoch; lag: time() minus this)"
    );
}

#[cfg(all(test, feature = "metrics"))]
mod tests {
    use super::*;
    use crate::error::{ClaimError, Error, HeaderError, MalformedToken};

    /// One error of every kind.
    fn every_kind() -> Vec<Error> {
        let s = String::new;
        vec![
            Error::MissingToken,
            Error::MalformedCredentials(""),
            Error::MultipleCredentials,
            Error::TokenTooLarge { size: 0, max: 0 },
            MalformedToken::Encrypted.into(),
            HeaderError::AlgorithmNotAllowed { alg: s() }.into(),
            HeaderError::MissingKeyId.into(),
            Error::UnknownKey { kid: s() },
            Error::KeyAlgorithmMismatch { kid: s(), alg: "" },
            Error::InvalidSignature,
            ClaimError::Expired { exp: 0, now: 0 }.into(),
            ClaimError::NotYetValid { nbf: 0, now: 0 }.into(),
            ClaimError::IssuedInFuture { iat: 0, now: 0 }.into(),
            ClaimError::UntrustedIssuer { iss: s() }.into(),
            ClaimError::WrongTokenUse {
                expected: "",
                actual: s(),
            }
            .into(),
            ClaimError::ClientNotAllowed { client_id: s() }.into(),
            ClaimError::AudienceMismatch { expected: s() }.into(),
            ClaimError::Missing("sub").into(),
            Error::InsufficientScope {
                required: vec![],
                all: false,
            },
            Error::MissingGroup {
                required: vec![],
                all: false,
            },
            Error::Forbidden(s()),
            Error::KeysUnavailable {
                issuer: s(),
                reason: s(),
                retry_after: Default::default(),
            },
            Error::Revoked { rule: "family" },
            Error::RevocationsUnavailable {
                age: None,
                retry_after: Default::default(),
            },
            Error::Misconfigured(""),
        ]
    }

    #[test]
    fn the_static_tables_hold_every_reason_once() {
        let kinds: Vec<&str> = every_kind().iter().map(Error::kind).collect();
        for table in [REJECTED, REFUSED] {
            let reasons: Vec<&str> = table.iter().map(|(r, _)| *r).collect();
            assert_eq!(reasons, kinds);
        }
    }
}

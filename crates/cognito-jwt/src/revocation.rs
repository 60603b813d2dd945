//! Making a token stop working before it expires: [`Revocations`], the set
//! of [`Revocation`] rules the verifier checks on every verified token.
//!
//! Cognito cannot do this for a resource server: a revoked token
//! (RevokeToken, GlobalSignOut, a disabled app client) still passes every
//! offline check until it expires, and there is no introspection endpoint.
//! AWS's guidance is a denylist at the resource server; this is it.
//!
//! The check runs after a token is verified **and on every verified-token
//! cache hit**, so a cached token stops passing the moment its rule is
//! added. It does no I/O: the rules are in memory. A fleet shares them
//! through a store (for Redis, the `cognito-jwt-redis` crate), which keeps
//! each instance's `Revocations` current and marks it synced; with
//! [`RevocationsBuilder::fail_closed_after`] an instance whose copy has not been
//! confirmed for too long answers 503 instead of trusting it.
//!
//! Every rule expires on its own once no token it could match is still
//! valid (the pool's maximum token lifetime after it was added, or after
//! its cut-off time), so the set cannot grow without bound.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::claims::Claims;
use crate::clock::{Clock, SystemClock};
use crate::error::Error;

/// Cognito's longest access and ID token lifetime: one day.
const COGNITO_MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// What a revocation matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rule {
    /// One token, by its `jti`.
    Token {
        /// The token's `jti`.
        jti: String,
    },
    /// Every token of one refresh-token family, by `origin_jti`: what
    /// Cognito's RevokeToken ends (the access and ID tokens minted from that
    /// refresh token).
    Family {
        /// The family's `origin_jti`.
        origin_jti: String,
    },
    /// Every token of one user issued before a time: GlobalSignOut, a
    /// password reset, a disabled user.
    Subject {
        /// The user's `sub`.
        sub: String,
        /// Tokens whose `iat` is at or before this second (since the
        /// epoch) are revoked: a token issued in the second of a sign-out
        /// may be from before it.
        issued_until: i64,
    },
    /// Every token of one app client issued before a time: a disabled or
    /// rotated machine client.
    Client {
        /// The app client id (`client_id`; for ID tokens `azp` or `aud`).
        client_id: String,
        /// Tokens whose `iat` is at or before this second (since the
        /// epoch) are revoked: a token issued in the second of a sign-out
        /// may be from before it.
        issued_until: i64,
    },
}

impl Rule {
    /// A stable name for logs and metrics: `token`, `family`, `subject`, `client`.
    pub fn kind(&self) -> &'static str {
        match self {
            Rule::Token { .. } => "token",
            Rule::Family { .. } => "family",
            Rule::Subject { .. } => "subject",
            Rule::Client { .. } => "client",
        }
    }
}

/// One revocation: a [`Rule`] and when it may be forgotten.
///
/// ```
/// use cognito_jwt::revocation::{Revocation, Rule};
///
/// let r = Revocation::family("d1a3b9e2-family").expires_at(1_700_086_400);
/// assert_eq!(r.rule().kind(), "family");
/// // Its wire form, for stores shared by a fleet:
/// let json = serde_json::to_string(&r)?;
/// assert_eq!(json, r#"{"rule":"family","origin_jti":"d1a3b9e2-family","expires_at":1700086400}"#);
/// assert_eq!(serde_json::from_str::<Revocation>(&json)?, r);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Revocation {
    #[serde(flatten)]
    rule: Rule,
    /// When the rule may be forgotten (seconds since the epoch); `None`
    /// until added, when [`Revocations`] sets it from its maximum token lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
}

impl Revocation {
    /// Revoke one token, by `jti`.
    pub fn token(jti: impl Into<String>) -> Revocation {
        Revocation::of(Rule::Token { jti: jti.into() })
    }

    /// Revoke a refresh-token family, by `origin_jti` (after Cognito's RevokeToken).
    pub fn family(origin_jti: impl Into<String>) -> Revocation {
        Revocation::of(Rule::Family {
            origin_jti: origin_jti.into(),
        })
    }

    /// Revoke a user's tokens issued until `issued_until` (seconds since
    /// the epoch, inclusive; after GlobalSignOut, the time it was called).
    pub fn subject_until(sub: impl Into<String>, issued_until: i64) -> Revocation {
        Revocation::of(Rule::Subject {
            sub: sub.into(),
            issued_until,
        })
    }

    /// Revoke an app client's tokens issued until `issued_until` (inclusive).
    pub fn client_until(client_id: impl Into<String>, issued_until: i64) -> Revocation {
        Revocation::of(Rule::Client {
            client_id: client_id.into(),
            issued_until,
        })
    }

    fn of(rule: Rule) -> Revocation {
        Revocation {
            rule,
            expires_at: None,
        }
    }

    /// Forget the rule at this time (seconds since the epoch) rather than
    /// after the set's maximum token lifetime.
    pub fn expires_at(mut self, unix: i64) -> Revocation {
        self.expires_at = Some(unix);
        self
    }

    /// What it matches.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// When it may be forgotten, once set.
    pub fn expiry(&self) -> Option<i64> {
        self.expires_at
    }
}

/// The rules in force, as one immutable value: readers take an `Arc` of it
/// and never block a writer, and a writer builds the next one.
#[derive(Debug, Default, Clone)]
struct Snapshot {
    /// `jti` → expiry.
    tokens: HashMap<String, i64, foldhash::fast::RandomState>,
    /// `origin_jti` → expiry.
    families: HashMap<String, i64, foldhash::fast::RandomState>,
    /// `sub` → (issued before, expiry).
    subjects: HashMap<String, (i64, i64), foldhash::fast::RandomState>,
    /// `client_id` → (issued before, expiry).
    clients: HashMap<String, (i64, i64), foldhash::fast::RandomState>,
}

impl Snapshot {
    fn len(&self) -> usize {
        self.tokens
            .len()
            .saturating_add(self.families.len())
            .saturating_add(self.subjects.len())
            .saturating_add(self.clients.len())
    }

    /// Add `rule` until `expires`; a rule already there keeps the later
    /// expiry and, for cut-offs, the later cut-off (revoking more, never less).
    fn add(&mut self, rule: &Rule, expires: i64) {
        fn keep_later(slot: &mut i64, expires: i64) {
            *slot = (*slot).max(expires);
        }
        fn keep_cutoff(slot: &mut (i64, i64), before: i64, expires: i64) {
            slot.0 = slot.0.max(before);
            slot.1 = slot.1.max(expires);
        }
        match rule {
            Rule::Token { jti } => {
                keep_later(self.tokens.entry(jti.clone()).or_insert(expires), expires)
            }
            Rule::Family { origin_jti } => keep_later(
                self.families.entry(origin_jti.clone()).or_insert(expires),
                expires,
            ),
            Rule::Subject { sub, issued_until } => keep_cutoff(
                self.subjects
                    .entry(sub.clone())
                    .or_insert((*issued_until, expires)),
                *issued_until,
                expires,
            ),
            Rule::Client {
                client_id,
                issued_until,
            } => keep_cutoff(
                self.clients
                    .entry(client_id.clone())
                    .or_insert((*issued_until, expires)),
                *issued_until,
                expires,
            ),
        }
    }

    fn purge(&mut self, now: i64) {
        self.tokens.retain(|_, expires| *expires > now);
        self.families.retain(|_, expires| *expires > now);
        self.subjects.retain(|_, (_, expires)| *expires > now);
        self.clients.retain(|_, (_, expires)| *expires > now);
    }

    /// The rule that revokes `claims` at `now`, if any.
    fn matches(&self, claims: &Claims, now: i64) -> Option<&'static str> {
        let live = |expires: &i64| *expires > now;
        // A token without `iat` counts as issued at the epoch: a cut-off
        // revokes it (fail closed).
        let iat = claims.issued_at().unwrap_or(0);
        if let Some(jti) = claims.jti()
            && self.tokens.get(jti).is_some_and(live)
        {
            return Some("token");
        }
        if let Some(origin) = claims.origin_jti()
            && self.families.get(origin).is_some_and(live)
        {
            return Some("family");
        }
        if let Some((before, expires)) = self.subjects.get(claims.sub())
            && live(expires)
            && iat <= *before
        {
            return Some("subject");
        }
        if let Some(client) = claims.client_id()
            && let Some((before, expires)) = self.clients.get(client)
            && live(expires)
            && iat <= *before
        {
            return Some("client");
        }
        None
    }

    fn entries(&self) -> Vec<Revocation> {
        let with = |rule: Rule, expires: i64| Revocation::of(rule).expires_at(expires);
        let mut out = Vec::with_capacity(self.len());
        out.extend(
            self.tokens
                .iter()
                .map(|(jti, e)| with(Rule::Token { jti: jti.clone() }, *e)),
        );
        out.extend(self.families.iter().map(|(origin_jti, e)| {
            with(
                Rule::Family {
                    origin_jti: origin_jti.clone(),
                },
                *e,
            )
        }));
        out.extend(self.subjects.iter().map(|(sub, (before, e))| {
            with(
                Rule::Subject {
                    sub: sub.clone(),
                    issued_until: *before,
                },
                *e,
            )
        }));
        out.extend(self.clients.iter().map(|(client_id, (before, e))| {
            with(
                Rule::Client {
                    client_id: client_id.clone(),
                    issued_until: *before,
                },
                *e,
            )
        }));
        out
    }
}

/// Configures [`Revocations`]; from [`Revocations::builder`].
///
/// ```
/// use std::time::Duration;
/// use cognito_jwt::revocation::Revocations;
///
/// // A fleet's copy, kept by a store: refuse (503) rather than trust a copy
/// // the store has not confirmed for 30 s, and until its first sync.
/// let mirror = Revocations::builder()
///     .max_token_lifetime(Duration::from_secs(3600))
///     .fail_closed_after(Duration::from_secs(30))
///     .build();
/// assert!(!mirror.is_current());
/// mirror.mark_synced();
/// assert!(mirror.is_current());
/// ```
#[must_use]
pub struct RevocationsBuilder {
    max_token_lifetime: Duration,
    clock: Arc<dyn Clock>,
    fail_closed_after: Option<Duration>,
}

impl fmt::Debug for RevocationsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationsBuilder")
            .field("max_token_lifetime", &self.max_token_lifetime)
            .field("fail_closed_after", &self.fail_closed_after)
            .finish_non_exhaustive()
    }
}

impl RevocationsBuilder {
    /// Forget rules this long after they were added (or after their
    /// cut-off). Default: one day, Cognito's longest access and ID token
    /// lifetime; set it to your app clients' longest, if shorter.
    pub fn max_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_token_lifetime = lifetime;
        self
    }

    /// Tell the time with this clock (tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// For a set a store keeps current across a fleet: refuse every token
    /// with 503 ([`Error::RevocationsUnavailable`]) until the store has
    /// synced the set, and whenever it has not confirmed it
    /// ([`Revocations::mark_synced`]) for longer than `bound`. Without it
    /// (the default) a set answers from what it holds, however old.
    pub fn fail_closed_after(mut self, bound: Duration) -> Self {
        self.fail_closed_after = Some(bound);
        self
    }

    /// The empty set.
    pub fn build(self) -> Revocations {
        let now = self.clock.now();
        let fail_closed = self
            .fail_closed_after
            .map(|b| i64::try_from(b.as_secs()).unwrap_or(i64::MAX));
        Revocations(Arc::new(Shared {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            current: RwLock::new(Arc::new(Snapshot::default())),
            version: AtomicU64::new(0),
            rules: AtomicUsize::new(0),
            max_token_lifetime: i64::try_from(self.max_token_lifetime.as_secs())
                .unwrap_or(i64::MAX),
            clock: self.clock,
            // A set kept here alone is as current as it gets; one that a
            // store keeps is not trusted before its first sync.
            synced_at: AtomicI64::new(if fail_closed.is_some() { NEVER } else { now }),
            fail_closed_after: fail_closed,
        }))
    }
}

/// Never synced: a store-backed copy is not trusted until its first sync.
const NEVER: i64 = i64::MIN;

/// Source of distinct ids, so each thread's cached snapshot is per set.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

struct Shared {
    id: u64,
    current: RwLock<Arc<Snapshot>>,
    /// Bumped after every change; readers compare it with their cached copy.
    version: AtomicU64,
    /// How many rules the current snapshot holds: 0 skips every look-up.
    rules: AtomicUsize,
    max_token_lifetime: i64,
    clock: Arc<dyn Clock>,
    /// When a store last confirmed this copy (seconds since the epoch).
    synced_at: AtomicI64,
    /// Refuse (503) when the copy has not been confirmed for this long.
    fail_closed_after: Option<i64>,
}

thread_local! {
    /// This thread's copy of each set's snapshot, by set id: a reader that
    /// finds the version unchanged touches no shared memory but one load.
    static SEEN: RefCell<Vec<(u64, u64, Arc<Snapshot>)>> = const { RefCell::new(Vec::new()) };

    /// The claims this thread last found not revoked, with the set and the
    /// version it checked them against: the verified-token cache hands out
    /// the same `Claims` allocation for a reused token, and a rule only
    /// comes with a new version, so an unchanged version needs no look-up.
    /// Each entry holds its `Claims` (so its allocation cannot be reused by
    /// another token's while it is here). Only "not revoked" is kept: time
    /// can end a rule, never start one.
    static CLEARED: RefCell<Vec<(u64, u64, Claims)>> = const { RefCell::new(Vec::new()) };
}

/// How many recently cleared tokens each thread remembers.
const CLEARED_SLOTS: usize = 16;

/// The revocation rules a [`Verifier`](crate::Verifier) checks on every
/// verified token (after verification and on every verified-token cache
/// hit). Cheap to clone (one `Arc`); clones share the rules. Give one to
/// [`VerifierBuilder::revocations`](crate::VerifierBuilder::revocations)
/// and keep a clone to add rules from your application (an admin route, a
/// sign-out hook).
///
/// A revoked token is refused with 401 `invalid_token`
/// ([`Error::Revoked`]).
///
/// ```
/// use cognito_jwt::revocation::{Revocation, Revocations};
/// use cognito_jwt::{Error, Issuer, TokenUse, Verifier};
/// use cognito_jwt_testkit::TestIssuer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = TestIssuer::cognito();
/// let revocations = Revocations::new();
/// let verifier = Verifier::builder(
///     Issuer::cognito("us-east-1_TestPool1").static_jwks(pool.jwks().to_string()),
/// )
/// .client_ids([pool.client_id()])
/// .token_use(TokenUse::Access)
/// .revocations(revocations.clone())
/// .build()?;
///
/// let token = pool.access_token().claim("origin_jti", "family-1").build();
/// verifier.verify(&token).await?; // verified, and now cached
///
/// // The user signed out (Cognito RevokeToken on the refresh token):
/// revocations.revoke(Revocation::family("family-1"));
/// let refused = verifier.verify(&token).await.unwrap_err();
/// assert!(matches!(refused, Error::Revoked { rule: "family" }));
/// assert_eq!(refused.class().status(), 401);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Revocations(Arc<Shared>);

impl fmt::Debug for Revocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Revocations")
            .field("rules", &self.len())
            .field("max_token_lifetime", &self.0.max_token_lifetime)
            .field("fail_closed_after", &self.0.fail_closed_after)
            .finish_non_exhaustive()
    }
}

impl Default for Revocations {
    fn default() -> Self {
        Revocations::new()
    }
}

impl Revocations {
    /// An empty set whose rules are forgotten one day after they were added
    /// (Cognito's longest token lifetime), on the system clock, answering
    /// from what it holds however old. See [`Revocations::builder`] for the rest.
    pub fn new() -> Revocations {
        Revocations::builder().build()
    }

    /// Configure a set: its maximum token lifetime, its clock, and whether
    /// it fails closed when a store has not confirmed it for a while.
    pub fn builder() -> RevocationsBuilder {
        RevocationsBuilder {
            max_token_lifetime: COGNITO_MAX_TOKEN_LIFETIME,
            clock: Arc::new(SystemClock),
            fail_closed_after: None,
        }
    }

    /// Add a rule. A rule without an expiry gets one: its cut-off (for
    /// subject and client rules, if later than now) or now, plus the maximum
    /// token lifetime. Expired rules are dropped at the same time. Returns
    /// the rule as stored.
    ///
    /// Each change copies the set (readers never wait for a writer): fine
    /// for the rates sign-outs and admin actions come at, with up to some
    /// hundred thousand rules in force; add many at once with
    /// [`Revocations::revoke_all`].
    pub fn revoke(&self, revocation: Revocation) -> Revocation {
        let now = self.0.clock.now();
        let stored = self.stamped(revocation, now);
        self.change(|snapshot| {
            snapshot.add(&stored.rule, stored.expires_at.unwrap_or(now));
            snapshot.purge(now);
        });
        tracing::info!(
            rule = stored.rule.kind(),
            expires_at = stored.expires_at,
            "token revocation added"
        );
        stored
    }

    /// Add many rules in one change (a store's full sync). Returns them as
    /// stored, each with its expiry.
    pub fn revoke_all(&self, revocations: impl IntoIterator<Item = Revocation>) -> Vec<Revocation> {
        let now = self.0.clock.now();
        let stored: Vec<Revocation> = revocations
            .into_iter()
            .map(|r| self.stamped(r, now))
            .collect();
        self.change(|snapshot| {
            for r in &stored {
                snapshot.add(&r.rule, r.expires_at.unwrap_or(now));
            }
            snapshot.purge(now);
        });
        tracing::debug!(rules = stored.len(), "token revocations added");
        stored
    }

    /// `revocation` with its expiry set.
    fn stamped(&self, revocation: Revocation, now: i64) -> Revocation {
        if revocation.expires_at.is_some() {
            return revocation;
        }
        let from = match revocation.rule {
            Rule::Subject { issued_until, .. } | Rule::Client { issued_until, .. } => {
                issued_until.max(now)
            }
            Rule::Token { .. } | Rule::Family { .. } => now,
        };
        let expires = from.saturating_add(self.0.max_token_lifetime);
        revocation.expires_at(expires)
    }

    /// Drop the rules that have expired. [`Revocations::revoke`] does it
    /// too; a set that is only read needs a call now and then to free memory
    /// (expired rules never match).
    pub fn purge_expired(&self) {
        let now = self.0.clock.now();
        self.change(|snapshot| snapshot.purge(now));
    }

    fn change(&self, edit: impl FnOnce(&mut Snapshot)) {
        let mut current = match self.0.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut next = Snapshot::clone(&current);
        edit(&mut next);
        self.0.rules.store(next.len(), Ordering::Release);
        crate::metrics::revocation_rules(next.len());
        *current = Arc::new(next);
        self.0.version.fetch_add(1, Ordering::Release);
    }

    /// Every rule in force, with its expiry (for a store to write back).
    pub fn entries(&self) -> Vec<Revocation> {
        self.snapshot().entries()
    }

    /// How many rules are held (expired ones until purged).
    pub fn len(&self) -> usize {
        self.0.rules.load(Ordering::Acquire)
    }

    /// Whether no rule is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Record that a store confirmed this copy now (a full sync, or a
    /// heartbeat on a live subscription).
    pub fn mark_synced(&self) {
        let now = self.0.clock.now();
        self.0.synced_at.store(now, Ordering::Release);
        crate::metrics::revocations_synced(now);
    }

    /// How long since a store last confirmed this copy; `None` before the
    /// first sync of a set that [fails closed](RevocationsBuilder::fail_closed_after).
    pub fn sync_age(&self) -> Option<Duration> {
        let synced = self.0.synced_at.load(Ordering::Acquire);
        if synced == NEVER {
            return None;
        }
        let age = self.0.clock.now().saturating_sub(synced).max(0);
        Some(Duration::from_secs(u64::try_from(age).unwrap_or(0)))
    }

    /// Whether tokens can be decided: always, unless the set fails closed
    /// and has not been confirmed within its bound.
    pub fn is_current(&self) -> bool {
        self.staleness(self.0.clock.now()).is_none()
    }

    /// `Some(age)` when the set fails closed and is older than its bound;
    /// the age is `None` when it was never synced.
    fn staleness(&self, now: i64) -> Option<Option<Duration>> {
        let bound = self.0.fail_closed_after?;
        let synced = self.0.synced_at.load(Ordering::Acquire);
        if synced == NEVER {
            return Some(None);
        }
        let age = now.saturating_sub(synced);
        (age > bound).then(|| Some(Duration::from_secs(u64::try_from(age).unwrap_or(0))))
    }

    /// Run `read` on this thread's copy of the current snapshot: one atomic
    /// load and no shared write when nothing changed since the thread last
    /// looked.
    fn with_snapshot<T>(&self, read: impl FnOnce(&Snapshot) -> T) -> T {
        let shared = &*self.0;
        let version = shared.version.load(Ordering::Acquire);
        SEEN.with(|seen| {
            let mut seen = seen.borrow_mut();
            if let Some((_, _, snapshot)) = seen
                .iter()
                .find(|(id, v, _)| *id == shared.id && *v == version)
            {
                return read(snapshot);
            }
            let snapshot = match shared.current.read() {
                Ok(guard) => Arc::clone(&guard),
                Err(poisoned) => Arc::clone(&poisoned.into_inner()),
            };
            seen.retain(|(id, _, _)| *id != shared.id);
            // A thread serving many verifiers keeps a few sets at most.
            if seen.len() >= 8 {
                seen.clear();
            }
            let answer = read(&snapshot);
            seen.push((shared.id, version, snapshot));
            answer
        })
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        match self.0.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Whether a rule revokes `claims` now (on this set's clock), or the
    /// set fails closed and is out of date. The verifier runs this on every
    /// verified token and cache hit.
    pub fn check(&self, claims: &Claims) -> Result<(), Error> {
        self.check_at(claims, self.0.clock.now())
    }

    /// [`Revocations::check`] at `now`, the verifier's clock reading of the
    /// same request (one clock read per hit, not two). Staleness is judged
    /// on the set's own clock, which its store marks syncs with.
    pub(crate) fn check_at(&self, claims: &Claims, now: i64) -> Result<(), Error> {
        if self.0.fail_closed_after.is_some()
            && let Some(age) = self.staleness(self.0.clock.now())
        {
            return Err(Error::RevocationsUnavailable {
                age,
                retry_after: Duration::from_secs(5),
            });
        }
        if self.0.rules.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        let (id, version) = (self.0.id, self.0.version.load(Ordering::Acquire));
        let cleared = CLEARED.with(|cleared| {
            cleared
                .borrow()
                .iter()
                .any(|(i, v, c)| *i == id && *v == version && c.same_allocation(claims))
        });
        if cleared {
            return Ok(());
        }
        match self.with_snapshot(|snapshot| snapshot.matches(claims, now)) {
            Some(rule) => {
                crate::metrics::revoked(rule);
                Err(Error::Revoked { rule })
            }
            None => {
                CLEARED.with(|cleared| {
                    let mut cleared = cleared.borrow_mut();
                    if cleared.len() >= CLEARED_SLOTS {
                        cleared.remove(0);
                    }
                    cleared.push((id, version, claims.clone()));
                });
                Ok(())
            }
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let id = self.id;
        // Free this set's snapshot in the dropping thread's cache; other
        // threads drop theirs when they next look at another set.
        let _ = SEEN.try_with(|seen| {
            if let Ok(mut seen) = seen.try_borrow_mut() {
                seen.retain(|(i, _, _)| *i != id);
            }
        });
        // And the claims it cleared, which would otherwise stay held until
        // newer ones push them out.
        let _ = CLEARED.try_with(|cleared| {
            if let Ok(mut cleared) = cleared.try_borrow_mut() {
                cleared.retain(|(i, _, _)| *i != id);
            }
        });
    }
}

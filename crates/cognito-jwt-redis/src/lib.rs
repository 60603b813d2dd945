//! Share [`cognito-jwt`](https://docs.rs/cognito-jwt) token revocations
//! across a fleet through Redis: a rule revoked on any instance is refused
//! by every instance, within milliseconds.
//!
//! Each instance keeps its own
//! [`Revocations`], the in-memory set
//! its verifiers check on every token (no I/O on the request path).
//! [`RedisRevocations`] keeps that set a mirror of what Redis holds: it
//! loads every rule at start-up, follows new ones on a pub/sub channel,
//! resynchronises in full after every reconnect, writes back the rules a
//! Redis lost, and marks the mirror synced while the link is healthy.
//!
//! ```no_run
//! use std::time::Duration;
//! use cognito_jwt::revocation::{Revocation, Revocations};
//! use cognito_jwt::{Issuer, TokenUse, Verifier};
//! use cognito_jwt_redis::{RedisOptions, RedisRevocations};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // The mirror; refuse (503) rather than trust it when Redis has not
//! // confirmed it for 30 s.
//! let mirror = Revocations::builder()
//!     .fail_closed_after(Duration::from_secs(30))
//!     .build();
//! let verifier = Verifier::builder(Issuer::cognito("us-east-1_AbCdEf123"))
//!     .client_ids(["1example23456789"])
//!     .token_use(TokenUse::Access)
//!     .revocations(mirror.clone())
//!     .build()?;
//! let fleet =
//!     RedisRevocations::connect("redis://127.0.0.1:6379/", mirror, RedisOptions::default()).await?;
//!
//! // A user signed out (Cognito RevokeToken): every instance refuses the
//! // tokens of that refresh token, cached ones included.
//! fleet.revoke(Revocation::family("origin-jti-of-the-refresh-token")).await?;
//! assert!(fleet.status().connected);
//! # let _ = verifier;
//! fleet.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Design
//!
//! ## Storage: one sorted set, `<prefix>:rules`
//!
//! Each rule is one member: the rule's JSON wire form without its expiry;
//! its score is the expiry (seconds since the epoch).
//!
//! ```
//! use cognito_jwt::revocation::Revocation;
//!
//! let r = Revocation::family("o1").expires_at(1_700_086_400);
//! // The member (its score: 1700086400) ...
//! assert_eq!(serde_json::to_string(r.rule())?, r#"{"rule":"family","origin_jti":"o1"}"#);
//! // ... and the message published on `<prefix>:events`:
//! assert_eq!(
//!     serde_json::to_string(&r)?,
//!     r#"{"rule":"family","origin_jti":"o1","expires_at":1700086400}"#
//! );
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! Why this layout:
//! - **The member names the rule exactly**, so the same rule written by two
//!   instances, or written back after a resync, is one entry, and the write
//!   keeps the later expiry: the core's own merge, which makes every write
//!   safe to repeat.
//! - **Expiry is the score.** `ZREMRANGEBYSCORE -inf now` drops expired
//!   rules, on every write and on each instance's sweep
//!   ([`RedisOptions::sweep_every`]); the key itself carries an `EXPIREAT`
//!   one second after its last rule, so a fleet that is gone leaves nothing
//!   behind. The set never holds more than the rules revoked within one
//!   maximum token lifetime.
//! - **A full load is one command** (`ZRANGEBYSCORE <key> (now +inf
//!   WITHSCORES`) on a key of its own: a consistent snapshot. One key per
//!   rule with `EXPIREAT` would need a `SCAN` of the whole (possibly shared)
//!   keyspace to load, and no snapshot; a hash plus a sorted set of
//!   expiries would be two structures to keep in step.
//!
//! Writes go through one Lua script (`ZSCORE`, `ZADD`, `PUBLISH`,
//! `ZREMRANGEBYSCORE`, `EXPIREAT`; nothing newer than Redis 2.6): atomic,
//! so a rule is in the set before its message is out, and it publishes
//! only the rules it added or extended.
//!
//! ## Channel: pub/sub, `<prefix>:events`
//!
//! Pub/sub delivers at most once: a message sent while an instance is
//! disconnected is lost to it. Here that costs nothing, because every
//! (re)connect reloads the sorted set in full, and rules are additive and
//! idempotent, so order does not matter either. The sorted set is the
//! state; the channel only tells instances about changes within
//! milliseconds. Redis streams would let an instance catch up after a
//! short disconnect, but they need trimming of their own
//! (`MAXLEN`/`MINID`), a last-seen id per instance and a blocking `XREAD`
//! loop, and a new instance would still load the full state: more moving
//! parts for what the resync already guarantees.
//!
//! ## Start-up and resync
//!
//! Connect (a command connection and a dedicated pub/sub connection),
//! `SUBSCRIBE`, load, apply as one change
//! ([`Revocations::revoke_all`](cognito_jwt::revocation::Revocations::revoke_all)),
//! write back, mark synced. Subscribing *before* loading means a rule
//! written while the load runs arrives as a message: nothing falls in
//! between. The same steps run after every reconnect.
//!
//! [`RedisRevocations::start`] fails when Redis cannot be reached
//! ([`StartError::Unavailable`]): a fresh instance's mirror is empty, and
//! serving with it would honour none of the fleet's revocations.
//! [`RedisOptions::start_unavailable`] starts anyway and connects in the
//! background; pair it with `fail_closed_after`, which answers 503 until
//! the first sync.
//!
//! ## Write-back
//!
//! After each load, the rules of the mirror that are live and that Redis
//! lacks (or holds with an earlier expiry) are written and published. This
//! repairs a Redis that lost its data (restarted without persistence,
//! failed over to an empty replica, flushed), and it carries the rules
//! revoked on this instance while Redis was unreachable. Every instance
//! does it; the script writes each rule once however many try
//! ([`Status::written_back`]).
//!
//! ## Heartbeat
//!
//! Every [`heartbeat`](RedisOptions::heartbeat) (1 s), a `PING` on the
//! pub/sub connection and one on the command connection. When both answer
//! within [`command_timeout`](RedisOptions::command_timeout) (2 s), the
//! mirror is marked synced
//! ([`Revocations::mark_synced`](cognito_jwt::revocation::Revocations::mark_synced)).
//! A late or failed answer, or the subscription closing, counts as a lost
//! connection: reconnect with [back-off](RedisOptions::reconnect_backoff)
//! (100 ms doubling to 5 s, jittered) and resynchronise in full.
//!
//! ## While Redis is unreachable
//!
//! The mirror keeps every rule and the verifiers keep checking it. A rule
//! revoked on this instance is in force here at once;
//! [`RedisRevocations::revoke`] returns an [`Error`] and the rule is
//! written back after the reconnect. Rules revoked elsewhere in the
//! meantime reach this instance with its resync. What a verifier answers
//! is the choice of the set:
//!
//! - **Default, no bound: keep answering from the mirror.** Availability
//!   first; a rule revoked elsewhere may pass here until Redis is back.
//!   The loss is logged at warn, then again every 30 s with the sync age
//!   while Redis stays unreachable; [`RedisRevocations::status`] reports
//!   `connected: false` and a growing [`sync_age`](Status::sync_age), for
//!   a readiness check or an alert.
//! - **[`fail_closed_after(bound)`](cognito_jwt::revocation::RevocationsBuilder::fail_closed_after):
//!   503 once Redis has not confirmed the mirror for longer than `bound`.**
//!   Every token is refused with `Error::RevocationsUnavailable` (503,
//!   `Retry-After`) until the resync after Redis is back; a revoked token
//!   can never pass for longer than the bound. The core counts in whole
//!   seconds: refusals start between `bound` and `bound` + 1 s + one
//!   heartbeat after Redis went away (1.1–1.9 s for a 1 s bound in the
//!   tests). Keep the heartbeat well under the bound.
//!
//! ## Malformed data
//!
//! Anyone who can write to Redis can put anything there. An entry or a
//! message that is not a revocation is skipped, counted
//! ([`Status::skipped`]) and logged at warn with its bytes escaped and cut
//! to 160; it is never fatal and never deleted.
//!
//! ## Measured propagation delay
//!
//! Two instances on one loopback `redis-server` (debug build, 2 cores),
//! 200 revocations through A, B's verifier polled with the token cached.
//! From A's `revoke` returning until B refuses: **p50 43 µs, p99 0.14 ms,
//! max 0.36 ms** (five runs: p50 41–45 µs, p99 133–239 µs); from A's call:
//! p50 0.36 ms, p99 0.6 ms, max 1.8 ms. The script publishes before it
//! answers, so B often holds the rule before A's call returns. With the
//! crate's other tests running alongside, p99 rises to 3–4.5 ms (max
//! 5.4 ms). Over a network, add one Redis-to-instance trip. Reproduce with
//! `cargo test -p cognito-jwt-redis --test fleet a_token_revoked --
//! --nocapture`.
//!
//! ## Requirements and limits
//!
//! A single Redis or Valkey with Lua scripting (`EVALSHA`), tested against
//! Redis 7.0; Redis Cluster is not supported. A tokio runtime: the
//! background task is spawned on the one that calls
//! [`start`](RedisRevocations::start). The instances' clocks decide when a
//! rule has expired, so they should agree to within seconds. Access to
//! the key is the power to revoke any token: protect Redis (AUTH and ACLs
//! through the URL).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// No panic on what Redis sends can be written: these hold for the library
// code (tests are separate crates and may unwrap).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod options;
mod store;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use cognito_jwt::revocation::{Revocation, Revocations};
use cognito_jwt::{Clock, SystemClock};
use futures_util::{FutureExt, StreamExt};
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use options::RedisOptions;
/// The `redis` crate this one is built on, for building a
/// [`Client`](redis::Client) of the same version.
pub use redis;

use options::Backoff;
use store::{Capped, Malformed, capped};

/// Why a write to Redis (or a sync) failed. A rule whose write failed is
/// still in force on this instance, and is written back to Redis after the
/// next reconnect (see the crate docs).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not connected: connecting in the background, between reconnect
    /// attempts, or after [`RedisRevocations::shutdown`].
    #[error("not connected to Redis")]
    NotConnected,
    /// The connection to Redis closed.
    #[error("the connection to Redis closed")]
    Disconnected,
    /// Redis did not answer in time ([`RedisOptions::command_timeout`]).
    #[error("Redis did not answer {what} within {after:?}")]
    Timeout {
        /// The command or step.
        what: &'static str,
        /// The time-out.
        after: Duration,
    },
    /// Redis answered with an error, or the connection failed.
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// A rule could not be encoded as JSON.
    #[error("encoding a revocation: {0}")]
    Encode(#[from] serde_json::Error),
}

impl Error {
    /// Whether the connection is gone (rather than a command refused):
    /// the instance then reconnects and resynchronises.
    fn is_connection_lost(&self) -> bool {
        match self {
            Error::NotConnected | Error::Disconnected | Error::Timeout { .. } => true,
            Error::Redis(e) => {
                e.is_io_error()
                    || e.is_connection_dropped()
                    || e.is_connection_refusal()
                    || e.is_timeout()
                    || e.is_unrecoverable_error()
            }
            Error::Encode(_) => false,
        }
    }

    /// For a log field: the message, which may quote the server, escaped and cut.
    fn logged(&self) -> String {
        format!("{:?}", capped(self.to_string().as_bytes()))
    }
}

/// Why [`RedisRevocations::start`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The URL given to [`RedisRevocations::connect`] is not a Redis URL.
    #[error("invalid Redis URL: {0}")]
    InvalidUrl(#[source] redis::RedisError),
    /// Redis could not be reached, or the rules not loaded, at start-up
    /// (see [`RedisOptions::start_unavailable`] to start anyway).
    #[error("Redis unavailable at start-up: {0}")]
    Unavailable(#[source] Error),
}

/// What an instance knows of its link to Redis, from
/// [`RedisRevocations::status`]: for a health or readiness endpoint and
/// metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// Connected and subscribed (after a full sync).
    pub connected: bool,
    /// When the mirror was last loaded in full from Redis.
    pub last_resync: Option<SystemTime>,
    /// How long since Redis last confirmed the mirror (a full sync or a
    /// heartbeat); `None` before the first. Grows while Redis is unreachable.
    pub sync_age: Option<Duration>,
    /// Rules in the mirror.
    pub rules: usize,
    /// Reconnects (each one a full resync) since start.
    pub reconnects: u64,
    /// Rules this instance wrote back to a Redis that lacked them.
    pub written_back: u64,
    /// Malformed entries and messages skipped.
    pub skipped: u64,
}

/// Most messages applied as one change to the mirror.
const MAX_BATCH: usize = 1024;

/// Most rules written by one script call.
const WRITE_CHUNK: usize = 256;

/// Most malformed entries logged one by one in a full sync.
const LOGGED_PER_SYNC: u64 = 8;

/// How often a Redis that stays unreachable is reported at warn.
const REPORT_EVERY: Duration = Duration::from_secs(30);

/// A connection's subscription, between a full sync and its loss.
struct Session {
    sink: PubSubSink,
    stream: PubSubStream,
}

/// How a session ended.
enum Ended {
    Stopped,
    Lost(Error),
}

/// What the handle and the background task share.
struct Inner {
    client: redis::Client,
    revocations: Revocations,
    options: RedisOptions,
    key: String,
    channel: String,
    script: redis::Script,
    /// The command connection while connected.
    command: Mutex<Option<MultiplexedConnection>>,
    connected: AtomicBool,
    reconnects: AtomicU64,
    written_back: AtomicU64,
    skipped: AtomicU64,
    last_resync: Mutex<Option<SystemTime>>,
    confirmed: Mutex<Option<Instant>>,
    /// A write saw the connection fail: check it now, not at the next beat.
    suspect: Notify,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unix_now() -> i64 {
    SystemClock.now()
}

/// `fut`, failing with [`Error::Timeout`] after `after`.
async fn within<T, E>(
    after: Duration,
    what: &'static str,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, Error>
where
    Error: From<E>,
{
    match tokio::time::timeout(after, fut).await {
        Ok(result) => result.map_err(Error::from),
        Err(_) => Err(Error::Timeout { what, after }),
    }
}

impl Inner {
    fn timeout(&self) -> Duration {
        self.options.command_timeout
    }

    fn connection(&self) -> Option<MultiplexedConnection> {
        lock(&self.command).clone()
    }

    /// Redis confirmed the mirror now.
    fn confirm(&self) {
        self.revocations.mark_synced();
        *lock(&self.confirmed) = Some(Instant::now());
    }

    fn disconnect(&self) {
        self.connected.store(false, Ordering::Release);
        *lock(&self.command) = None;
    }

    fn skip(&self, what: &'static str, why: Malformed, raw: Capped<'_>, log: bool) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
        if log {
            tracing::warn!(what, reason = why.0, raw = ?raw, "skipped a malformed revocation in Redis");
        }
    }

    /// Connect, subscribe, load every rule, write back what Redis lacks.
    /// Subscribing first means a rule written while the load runs arrives
    /// as a message: nothing falls between the load and the subscription.
    async fn sync(&self) -> Result<Session, Error> {
        let result = self.try_sync().await;
        if result.is_err() {
            self.disconnect();
        }
        result
    }

    async fn try_sync(&self) -> Result<Session, Error> {
        let t = self.timeout();
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(t))
            .set_response_timeout(Some(t));
        let mut command = within(
            t,
            "connect",
            self.client
                .get_multiplexed_async_connection_with_config(&config),
        )
        .await?;
        let pubsub = within(t, "connect (pub/sub)", self.client.get_async_pubsub()).await?;
        let (mut sink, stream) = pubsub.split();
        within(t, "SUBSCRIBE", sink.subscribe(&self.channel)).await?;

        let now = unix_now();
        let raw: Vec<Vec<u8>> = within(
            t,
            "ZRANGEBYSCORE",
            redis::cmd("ZRANGEBYSCORE")
                .arg(&self.key)
                .arg(format!("({now}"))
                .arg("+inf")
                .arg("WITHSCORES")
                .query_async(&mut command),
        )
        .await?;
        let mut present: HashMap<&[u8], i64> = HashMap::with_capacity(raw.len() / 2);
        let mut rules = Vec::with_capacity(raw.len() / 2);
        let mut skipped = 0u64;
        for pair in raw.chunks(2) {
            let decoded = match pair {
                [member, score] => store::decode_entry(member, score).map(|r| (member, r)),
                _ => Err(Malformed("reply has a member without a score")),
            };
            match decoded {
                Ok((member, rule)) => {
                    present.insert(member.as_slice(), rule.expiry().unwrap_or(now));
                    rules.push(rule);
                }
                Err(why) => {
                    skipped = skipped.saturating_add(1);
                    let raw = pair.first().map(Vec::as_slice).unwrap_or_default();
                    self.skip("entry", why, capped(raw), skipped <= LOGGED_PER_SYNC);
                }
            }
        }
        if skipped > LOGGED_PER_SYNC {
            tracing::warn!(
                skipped,
                logged = LOGGED_PER_SYNC,
                "skipped more malformed revocations in Redis than are logged one by one"
            );
        }
        let loaded = rules.len();
        self.revocations.revoke_all(rules);

        // From here a revoke() writes through this connection itself; one
        // that found no connection applied its rule locally before, so the
        // write-back below sees it.
        *lock(&self.command) = Some(command.clone());
        let missing: Vec<Revocation> = self
            .revocations
            .entries()
            .into_iter()
            .filter(|r| {
                let Some(expires) = r.expiry().filter(|e| *e > now) else {
                    return false;
                };
                store::member(r.rule())
                    .is_ok_and(|m| present.get(m.as_bytes()).is_none_or(|have| *have < expires))
            })
            .collect();
        let written = self.write_on(&mut command, &missing).await?;
        if written > 0 {
            self.written_back.fetch_add(written, Ordering::Relaxed);
            tracing::info!(
                rules = written,
                "wrote back revocations that Redis lacked (it lost data, or they were revoked while it was unreachable)"
            );
        }
        *lock(&self.last_resync) = Some(SystemTime::now());
        self.confirm();
        self.connected.store(true, Ordering::Release);
        tracing::info!(
            loaded,
            skipped,
            rules = self.revocations.len(),
            "revocations synced from Redis"
        );
        Ok(Session { sink, stream })
    }

    /// Write `rules` (each with its expiry) and publish the ones Redis did
    /// not hold yet. Returns how many it added or extended.
    async fn write_on(
        &self,
        conn: &mut MultiplexedConnection,
        rules: &[Revocation],
    ) -> Result<u64, Error> {
        let mut written = 0u64;
        for chunk in rules.chunks(WRITE_CHUNK) {
            let mut call = self.script.prepare_invoke();
            call.key(&self.key).arg(&self.channel).arg(unix_now());
            for r in chunk {
                let Some(expires) = r.expiry() else { continue };
                call.arg(expires)
                    .arg(store::member(r.rule())?)
                    .arg(serde_json::to_string(r)?);
            }
            let n: u64 =
                within(self.timeout(), "the write script", call.invoke_async(conn)).await?;
            written = written.saturating_add(n);
        }
        Ok(written)
    }

    /// Write through the current connection; on a failed connection, ask
    /// the task to check it now.
    async fn write(&self, rules: &[Revocation]) -> Result<u64, Error> {
        if rules.is_empty() {
            return Ok(0);
        }
        let result = match self.connection() {
            Some(mut conn) => self.write_on(&mut conn, rules).await,
            None => Err(Error::NotConnected),
        };
        if let Err(e) = &result {
            if e.is_connection_lost() {
                self.suspect.notify_one();
            }
            tracing::warn!(
                rules = rules.len(),
                error = e.logged(),
                "revocation in force here but not written to Redis; it is written back after reconnecting"
            );
        }
        result
    }

    /// Apply published rules, as one change.
    fn apply(&self, messages: &[redis::Msg]) {
        let mut rules = Vec::with_capacity(messages.len());
        for m in messages {
            let payload = m.get_payload_bytes();
            match store::decode_message(payload) {
                Ok(r) => rules.push(r),
                Err(why) => self.skip("message", why, capped(payload), true),
            }
        }
        if !rules.is_empty() {
            let n = rules.len();
            self.revocations.revoke_all(rules);
            tracing::debug!(rules = n, "revocations received from Redis");
        }
    }

    /// Follow the subscription until it fails or the handle stops it.
    async fn serve(&self, session: Session, stop: &mut watch::Receiver<bool>) -> Ended {
        let Session {
            mut sink,
            mut stream,
        } = session;
        let mut heartbeat = tokio::time::interval(self.options.heartbeat);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        heartbeat.tick().await; // the first tick is now: the sync just confirmed
        let mut last_sweep = Instant::now();
        loop {
            let beat = tokio::select! {
                biased;
                _ = stop.changed() => return Ended::Stopped,
                message = stream.next() => {
                    let Some(first) = message else {
                        return Ended::Lost(Error::Disconnected);
                    };
                    let mut batch = vec![first];
                    let mut closed = false;
                    while batch.len() < MAX_BATCH {
                        match stream.next().now_or_never() {
                            Some(Some(m)) => batch.push(m),
                            Some(None) => {
                                closed = true;
                                break;
                            }
                            None => break,
                        }
                    }
                    self.apply(&batch);
                    if closed {
                        return Ended::Lost(Error::Disconnected);
                    }
                    false
                }
                _ = heartbeat.tick() => true,
                () = self.suspect.notified() => true,
            };
            if beat && let Err(e) = self.beat(&mut sink, &mut last_sweep).await {
                return Ended::Lost(e);
            }
        }
    }

    /// The heartbeat: both connections answer, then the mirror is
    /// confirmed; now and then, expired rules are swept.
    async fn beat(&self, sink: &mut PubSubSink, last_sweep: &mut Instant) -> Result<(), Error> {
        let t = self.timeout();
        within(t, "PING (pub/sub)", sink.ping::<redis::Value>()).await?;
        let mut conn = self.connection().ok_or(Error::NotConnected)?;
        within(
            t,
            "PING",
            redis::cmd("PING").query_async::<redis::Value>(&mut conn),
        )
        .await?;
        self.confirm();
        if last_sweep.elapsed() >= self.options.sweep_every {
            *last_sweep = Instant::now();
            self.revocations.purge_expired();
            let swept = within(
                t,
                "ZREMRANGEBYSCORE",
                redis::cmd("ZREMRANGEBYSCORE")
                    .arg(&self.key)
                    .arg("-inf")
                    .arg(unix_now())
                    .query_async::<u64>(&mut conn),
            )
            .await;
            match swept {
                Ok(n) => tracing::debug!(removed = n, "swept expired revocations from Redis"),
                Err(e) if e.is_connection_lost() => return Err(e),
                Err(e) => tracing::warn!(
                    error = e.logged(),
                    "could not sweep expired revocations from Redis"
                ),
            }
        }
        Ok(())
    }

    fn sync_age(&self) -> Option<Duration> {
        lock(&self.confirmed).map(|at| at.elapsed())
    }
}

/// The background task: follow the subscription; when it fails, reconnect
/// with back-off and resynchronise in full.
async fn run(inner: Arc<Inner>, mut session: Option<Session>, mut stop: watch::Receiver<bool>) {
    let mut backoff = Backoff::new(&inner.options);
    let mut synced_before = session.is_some();
    let mut last_report: Option<Instant> = None;
    loop {
        if let Some(s) = session.take() {
            backoff.reset();
            last_report = None;
            match inner.serve(s, &mut stop).await {
                Ended::Stopped => break,
                Ended::Lost(e) => {
                    inner.disconnect();
                    tracing::warn!(
                        error = e.logged(),
                        rules = inner.revocations.len(),
                        "lost Redis; the revocation mirror is kept as it is and resynchronised after reconnecting"
                    );
                }
            }
        }
        tokio::select! {
            biased;
            _ = stop.changed() => break,
            () = tokio::time::sleep(backoff.next_wait()) => {}
        }
        let attempt = tokio::select! {
            biased;
            _ = stop.changed() => break,
            attempt = inner.sync() => attempt,
        };
        match attempt {
            Ok(s) => {
                if synced_before {
                    inner.reconnects.fetch_add(1, Ordering::Relaxed);
                    tracing::info!("reconnected to Redis and resynchronised the revocation mirror");
                }
                synced_before = true;
                session = Some(s);
            }
            Err(e) => {
                let sync_age_ms = inner
                    .sync_age()
                    .map(|age| u64::try_from(age.as_millis()).unwrap_or(u64::MAX));
                if last_report.is_none_or(|at| at.elapsed() >= REPORT_EVERY) {
                    last_report = Some(Instant::now());
                    tracing::warn!(
                        error = e.logged(),
                        sync_age_ms,
                        rules = inner.revocations.len(),
                        "Redis unreachable; the revocation mirror is not being updated"
                    );
                } else {
                    tracing::debug!(error = e.logged(), sync_age_ms, "Redis still unreachable");
                }
            }
        }
    }
    inner.disconnect();
}

/// The handle's own state: dropping the last handle stops the task.
struct Handle {
    inner: Arc<Inner>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// One instance's link to the fleet's revocations in Redis: keeps a
/// [`Revocations`] mirror current (see the crate docs for how), and
/// revokes through Redis so every instance refuses the rule.
///
/// Cheap to clone (one `Arc`): share it with the routes or hooks that
/// revoke. Its background task runs until [`shutdown`](RedisRevocations::shutdown)
/// or until the last clone is dropped.
///
/// ```no_run
/// use cognito_jwt::revocation::{Revocation, Revocations};
/// use cognito_jwt_redis::{RedisOptions, RedisRevocations, redis};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let mirror = Revocations::new();
/// let client = redis::Client::open("redis://:secret@redis.internal:6379/2")?;
/// let fleet = RedisRevocations::start(
///     client,
///     mirror.clone(),
///     RedisOptions::default().key_prefix("orders-api:revocations"),
/// )
/// .await?;
///
/// // After Cognito's GlobalSignOut for a user, at `now`:
/// let now = 1_700_000_000;
/// let stored = fleet.revoke(Revocation::subject_until("user-sub", now)).await?;
/// assert!(stored.expiry().is_some());
/// // In force here at once, and published to the other instances:
/// assert_eq!(mirror.len(), fleet.status().rules);
///
/// let status = fleet.status();
/// tracing::info!(status.connected, sync_age = ?status.sync_age, "revocations link");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisRevocations(Arc<Handle>);

impl fmt::Debug for RedisRevocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.0.inner;
        f.debug_struct("RedisRevocations")
            .field("key", &inner.key)
            .field("connected", &inner.connected.load(Ordering::Acquire))
            .field("rules", &inner.revocations.len())
            .finish_non_exhaustive()
    }
}

impl RedisRevocations {
    /// Connect to the Redis at `url` (`redis://host:port/db`) and
    /// [`start`](RedisRevocations::start).
    pub async fn connect(
        url: &str,
        revocations: Revocations,
        options: RedisOptions,
    ) -> Result<RedisRevocations, StartError> {
        let client = redis::Client::open(url).map_err(StartError::InvalidUrl)?;
        RedisRevocations::start(client, revocations, options).await
    }

    /// Keep `revocations` current from Redis: connect, subscribe, load
    /// every rule, write back the ones `revocations` holds and Redis lacks,
    /// mark it synced, then follow the channel in a background task (on
    /// the current tokio runtime) until [`shutdown`](RedisRevocations::shutdown)
    /// or the last handle is dropped.
    ///
    /// Fails when Redis cannot be reached or the rules not loaded, unless
    /// [`RedisOptions::start_unavailable`] is set.
    pub async fn start(
        client: redis::Client,
        revocations: Revocations,
        options: RedisOptions,
    ) -> Result<RedisRevocations, StartError> {
        let inner = Arc::new(Inner {
            client,
            revocations,
            key: options.rules_key(),
            channel: options.channel(),
            options,
            script: redis::Script::new(store::WRITE_SCRIPT),
            command: Mutex::new(None),
            connected: AtomicBool::new(false),
            reconnects: AtomicU64::new(0),
            written_back: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            last_resync: Mutex::new(None),
            confirmed: Mutex::new(None),
            suspect: Notify::new(),
        });
        let session = match inner.sync().await {
            Ok(session) => Some(session),
            Err(e) if inner.options.start_unavailable => {
                tracing::warn!(
                    error = e.logged(),
                    "Redis unavailable at start-up; connecting in the background, the revocation mirror is not current until then"
                );
                None
            }
            Err(e) => return Err(StartError::Unavailable(e)),
        };
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(Arc::clone(&inner), session, stopped));
        Ok(RedisRevocations(Arc::new(Handle {
            inner,
            stop,
            task: Mutex::new(Some(task)),
        })))
    }

    /// Revoke: in force on this instance at once, then written to Redis
    /// and published to the fleet. Returns the rule as stored (with its
    /// expiry).
    ///
    /// An `Err` means Redis did not take it: the rule is still in force
    /// here, and is written back to Redis when this instance next
    /// reconnects; other instances learn of it only then.
    pub async fn revoke(&self, revocation: Revocation) -> Result<Revocation, Error> {
        let inner = &self.0.inner;
        let stored = inner.revocations.revoke(revocation);
        inner.write(std::slice::from_ref(&stored)).await?;
        Ok(stored)
    }

    /// [`revoke`](RedisRevocations::revoke) many rules at once.
    pub async fn revoke_all(
        &self,
        revocations: impl IntoIterator<Item = Revocation>,
    ) -> Result<Vec<Revocation>, Error> {
        let inner = &self.0.inner;
        let stored = inner.revocations.revoke_all(revocations);
        inner.write(&stored).await?;
        Ok(stored)
    }

    /// The mirror: the set the verifiers of this instance check.
    pub fn revocations(&self) -> &Revocations {
        &self.0.inner.revocations
    }

    /// The link to Redis as of now.
    pub fn status(&self) -> Status {
        let inner = &self.0.inner;
        Status {
            connected: inner.connected.load(Ordering::Acquire),
            last_resync: *lock(&inner.last_resync),
            sync_age: inner.sync_age(),
            rules: inner.revocations.len(),
            reconnects: inner.reconnects.load(Ordering::Relaxed),
            written_back: inner.written_back.load(Ordering::Relaxed),
            skipped: inner.skipped.load(Ordering::Relaxed),
        }
    }

    /// Stop the background task and close the connections; returns once
    /// it has stopped. The mirror keeps its rules (and, with a
    /// `fail_closed_after` bound, goes stale); later writes fail with
    /// [`Error::NotConnected`]. Dropping the last handle stops the task too,
    /// without waiting.
    pub async fn shutdown(&self) {
        let _ = self.0.stop.send(true);
        let task = lock(&self.0.task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
        self.0.inner.disconnect();
    }
}

//! [`RedisOptions`]: key names, heartbeat, time-outs, reconnect back-off.

use std::hash::BuildHasher;
use std::time::{Duration, Instant};

/// The shortest heartbeat, back-off and sweep interval: shorter values are
/// raised to it (a zero interval would spin).
const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// The longest back-off between reconnect attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// How [`RedisRevocations`](crate::RedisRevocations) uses Redis.
///
/// ```
/// use std::time::Duration;
/// use cognito_jwt_redis::RedisOptions;
///
/// let options = RedisOptions::default()
///     .key_prefix("orders-api:revocations")
///     .heartbeat(Duration::from_millis(500))
///     .reconnect_backoff(Duration::from_millis(50), Duration::from_secs(2));
/// // The sorted set of rules, and the channel new rules are published on:
/// assert_eq!(options.rules_key(), "orders-api:revocations:rules");
/// assert_eq!(options.channel(), "orders-api:revocations:events");
/// // The defaults:
/// let default = RedisOptions::default();
/// assert_eq!(default.rules_key(), "cognito-jwt:revocations:rules");
/// assert_eq!(default.heartbeat_interval(), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct RedisOptions {
    pub(crate) key_prefix: String,
    pub(crate) heartbeat: Duration,
    pub(crate) command_timeout: Duration,
    pub(crate) backoff_initial: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) sweep_every: Duration,
    pub(crate) start_unavailable: bool,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            key_prefix: "cognito-jwt:revocations".to_owned(),
            heartbeat: Duration::from_secs(1),
            command_timeout: Duration::from_secs(2),
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            sweep_every: Duration::from_secs(30),
            start_unavailable: false,
        }
    }
}

impl RedisOptions {
    /// The prefix of the key and channel names (default
    /// `cognito-jwt:revocations`). Instances that share revocations use the
    /// same prefix; separate APIs (or pools) on one Redis use different ones.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// How often the subscription is checked (a `PING` on the pub/sub
    /// connection; default 1 s). Each answer marks the mirror synced
    /// ([`Revocations::mark_synced`](cognito_jwt::revocation::Revocations::mark_synced)),
    /// so keep it well under a
    /// [`fail_closed_after`](cognito_jwt::revocation::RevocationsBuilder::fail_closed_after)
    /// bound. Raised to 10 ms if shorter.
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every.max(MIN_INTERVAL);
        self
    }

    /// How long a connection attempt or a command may take before Redis
    /// counts as unreachable (default 2 s).
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout.max(MIN_INTERVAL);
        self
    }

    /// Wait `initial` before the first reconnect attempt, doubling up to
    /// `max` (default 100 ms to 5 s); each wait is drawn between half and
    /// all of it, so a fleet does not reconnect in step.
    pub fn reconnect_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.backoff_initial = initial.clamp(MIN_INTERVAL, MAX_BACKOFF);
        self.backoff_max = max.clamp(self.backoff_initial, MAX_BACKOFF);
        self
    }

    /// How often expired rules are removed from Redis and from the mirror
    /// (default 30 s). Expired rules never match in the meantime; this only
    /// frees memory. Every write removes them from Redis too.
    pub fn sweep_every(mut self, every: Duration) -> Self {
        self.sweep_every = every.max(MIN_INTERVAL);
        self
    }

    /// Start even when Redis cannot be reached (default: `start` fails).
    /// The instance then connects in the background; until it has, its
    /// mirror holds only the rules revoked here, and a set built with
    /// [`fail_closed_after`](cognito_jwt::revocation::RevocationsBuilder::fail_closed_after)
    /// answers 503. Without that bound, such an instance honours none of
    /// the fleet's revocations until it connects.
    pub fn start_unavailable(mut self, start: bool) -> Self {
        self.start_unavailable = start;
        self
    }

    /// The sorted set holding the rules: `<prefix>:rules`.
    pub fn rules_key(&self) -> String {
        format!("{}:rules", self.key_prefix)
    }

    /// The channel new rules are published on: `<prefix>:events`.
    pub fn channel(&self) -> String {
        format!("{}:events", self.key_prefix)
    }

    /// The heartbeat interval in force.
    pub fn heartbeat_interval(&self) -> Duration {
        self.heartbeat
    }
}

/// Waits between reconnect attempts: doubling, capped, jittered.
#[derive(Debug)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub(crate) fn new(options: &RedisOptions) -> Backoff {
        Backoff {
            initial: options.backoff_initial,
            max: options.backoff_max,
            next: options.backoff_initial,
        }
    }

    pub(crate) fn reset(&mut self) {
        self.next = self.initial;
    }

    /// The next wait: between half and all of the current step.
    pub(crate) fn next_wait(&mut self) -> Duration {
        let step = self.next;
        self.next = step.saturating_mul(2).min(self.max);
        let half = step.checked_div(2).unwrap_or_default();
        let spread = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let random = std::collections::hash_map::RandomState::new().hash_one(Instant::now());
        let extra = random.checked_rem(spread.saturating_add(1)).unwrap_or(0);
        half.saturating_add(Duration::from_nanos(extra))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_and_resets() {
        let options = RedisOptions::default()
            .reconnect_backoff(Duration::from_millis(100), Duration::from_millis(350));
        let mut b = Backoff::new(&options);
        let steps: Vec<Duration> = (0..5).map(|_| b.next_wait()).collect();
        let caps = [100, 200, 350, 350, 350].map(Duration::from_millis);
        for (wait, cap) in steps.iter().zip(caps) {
            assert!(*wait <= cap && *wait >= cap / 2, "{steps:?}");
        }
        b.reset();
        assert!(b.next_wait() <= Duration::from_millis(100));
    }

    #[test]
    fn zero_intervals_are_raised() {
        let o = RedisOptions::default()
            .heartbeat(Duration::ZERO)
            .sweep_every(Duration::ZERO)
            .reconnect_backoff(Duration::ZERO, Duration::ZERO);
        assert_eq!(o.heartbeat, MIN_INTERVAL);
        assert_eq!(o.sweep_every, MIN_INTERVAL);
        assert_eq!(
            (o.backoff_initial, o.backoff_max),
            (MIN_INTERVAL, MIN_INTERVAL)
        );
    }
}

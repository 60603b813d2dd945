//! Where the verifier gets "now" from, so tests can check expiry without waiting.

use std::fmt;
#[cfg(feature = "test-util")]
use std::sync::Arc;
#[cfg(feature = "test-util")]
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time in whole seconds since the Unix epoch.
///
/// The verifier compares `exp`, `nbf` and `iat` against it. The default is
/// [`SystemClock`]; tests use `ManualClock` (feature `test-util`).
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(_) => 0,
        }
    }
}

/// A clock that only moves when told to. Clones share the same time. For
/// tests: behind the `test-util` feature, so a production build cannot
/// pick it up by accident.
///
/// ```
/// use cognito_jwt::{Clock, ManualClock};
/// let clock = ManualClock::new(1_700_000_000);
/// clock.advance(3600);
/// assert_eq!(clock.now(), 1_700_003_600);
/// ```
#[cfg(feature = "test-util")]
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

#[cfg(feature = "test-util")]
impl ManualClock {
    /// A clock stopped at `now` (seconds since the Unix epoch).
    pub fn new(now: i64) -> Self {
        ManualClock(Arc::new(AtomicI64::new(now)))
    }

    /// A clock stopped at the current system time.
    pub fn starting_now() -> Self {
        ManualClock::new(SystemClock.now())
    }

    /// Set the time.
    pub fn set(&self, now: i64) {
        self.0.store(now, Ordering::SeqCst);
    }

    /// Move the time forward (or back, with a negative value).
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

#[cfg(feature = "test-util")]
impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

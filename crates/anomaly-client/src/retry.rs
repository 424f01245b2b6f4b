//! The retry policy of SPEC §5, and the clock it waits on.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use time::{OffsetDateTime, PrimitiveDateTime};

/// Where the client learns the time and waits between attempts.
///
/// [`SystemClock`] really sleeps; [`RecordingClock`] records the waits and returns at once,
/// so tests can assert backoff and `Retry-After` handling without waiting.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current wall-clock time (to turn a `Retry-After` date into a wait).
    fn now(&self) -> SystemTime;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration);
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// A clock that stands still at a fixed instant and records every wait instead of sleeping.
#[derive(Debug)]
pub struct RecordingClock {
    now: SystemTime,
    waits: Mutex<Vec<Duration>>,
}

impl RecordingClock {
    /// A clock standing at `now`.
    pub fn at(now: SystemTime) -> RecordingClock {
        RecordingClock {
            now,
            waits: Mutex::new(Vec::new()),
        }
    }

    /// Every wait asked for so far, in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().map(|w| w.clone()).unwrap_or_default()
    }
}

impl Default for RecordingClock {
    fn default() -> Self {
        RecordingClock::at(SystemTime::now())
    }
}

impl Clock for RecordingClock {
    fn now(&self) -> SystemTime {
        self.now
    }

    fn sleep(&self, duration: Duration) {
        if let Ok(mut waits) = self.waits.lock() {
            waits.push(duration);
        }
    }
}

/// Statuses that are worth another attempt (SPEC §5); every other 4xx is final.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// The backoff ceiling before attempt `failed + 2`: `retry_delay × 2^failed`, where
/// `failed` counts the failed attempts from 0.
pub(crate) fn backoff_ceiling(retry_delay: Duration, failed: u32) -> Duration {
    retry_delay.saturating_mul(2u32.saturating_pow(failed.min(31)))
}

/// Full jitter: uniform in `[0, ceiling]`. Spreading the waits over the whole range keeps a
/// fleet of edge devices that lost the network together from retrying in lockstep.
pub(crate) fn full_jitter(ceiling: Duration) -> Duration {
    ceiling.mul_f64(rand::random::<f64>())
}

/// The wait a `Retry-After` value asks for: delta-seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, counted from `now`; a date in the past means no wait).
/// `None` when the value is neither.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long numbers still mean "a long time"; the caller caps the wait.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = PrimitiveDateTime::parse(value, format).ok()?.assume_utc();
    let now = OffsetDateTime::from(now);
    let wait = at - now;
    Some(if wait.is_positive() {
        Duration::try_from(wait).unwrap_or(Duration::ZERO)
    } else {
        Duration::ZERO
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> SystemTime {
        OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
            .unwrap()
            .into()
    }

    #[test]
    fn retry_after_in_both_forms() {
        let now = at("2015-10-21T07:27:50Z");
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn backoff_doubles_and_saturates() {
        let d = Duration::from_secs(5);
        assert_eq!(backoff_ceiling(d, 0), Duration::from_secs(5));
        assert_eq!(backoff_ceiling(d, 1), Duration::from_secs(10));
        assert_eq!(backoff_ceiling(d, 2), Duration::from_secs(20));
        assert!(backoff_ceiling(d, 1000) >= Duration::from_secs(5 << 31));
    }

    #[test]
    fn retryable_statuses_are_exactly_the_specs() {
        let retried: Vec<u16> = (100..600).filter(|s| is_retryable_status(*s)).collect();
        assert_eq!(retried, [408, 429, 500, 502, 503, 504]);
    }
}

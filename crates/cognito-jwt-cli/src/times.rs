//! Unix times in human form: a UTC date and how far from now.

/// 0001-01-01 00:00:00 UTC.
const MIN: i64 = -62_135_596_800;
/// 9999-12-31 23:59:59 UTC.
const MAX: i64 = 253_402_300_799;

/// Seconds since the Unix epoch, now (0 if the clock is before it).
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0)
}

/// `2026-12-02 03:04:05 UTC`, or `None` outside the years 1 to 9999.
pub(crate) fn utc(unix: i64) -> Option<String> {
    if !(MIN..=MAX).contains(&unix) {
        return None;
    }
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    Some(format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs.div_euclid(3600),
        secs.rem_euclid(3600).div_euclid(60),
        secs.rem_euclid(60)
    ))
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01),
/// after Howard Hinnant's `civil_from_days`.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "`days` is within the years 1 to 9999 (checked by `utc`): no step can overflow"
)]
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A length of time, rounded down: `42 s`, `57 min`, `5 h 3 min`, `12 days`.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "divisions and remainders by non-zero constants of a u64"
)]
pub(crate) fn span(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..172_800 => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
        _ => format!("{} days", secs / 86_400),
    }
}

/// How the time claim `claim` at `at` stands against `now`, in words.
pub(crate) fn relative(claim: &str, at: i64, now: i64) -> String {
    let ahead = at.saturating_sub(now);
    let d = span(ahead.unsigned_abs());
    let past = ahead <= 0;
    match (claim, past) {
        ("exp", true) => format!("expired {d} ago"),
        ("exp", false) => format!("expires in {d}"),
        ("iat", true) => format!("issued {d} ago"),
        ("iat", false) => format!("issued {d} in the future"),
        ("nbf", true) => format!("valid since {d} ago"),
        ("nbf", false) => format!("not valid for another {d}"),
        ("auth_time", true) => format!("signed in {d} ago"),
        (_, true) => format!("{d} ago"),
        (_, false) => format!("in {d}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(utc(0).as_deref(), Some("1970-01-01 00:00:00 UTC"));
        assert_eq!(utc(951_782_400).as_deref(), Some("2000-02-29 00:00:00 UTC"));
        assert_eq!(
            utc(1_764_644_645).as_deref(),
            Some("2025-12-02 03:04:05 UTC")
        );
        assert_eq!(utc(MIN).as_deref(), Some("0001-01-01 00:00:00 UTC"));
        assert_eq!(utc(MAX).as_deref(), Some("9999-12-31 23:59:59 UTC"));
        assert_eq!(utc(i64::MAX), None);
        assert_eq!(utc(i64::MIN), None);
    }

    #[test]
    fn words() {
        assert_eq!(relative("exp", 1000, 1000 + 180), "expired 3 min ago");
        assert_eq!(relative("exp", 1000 + 3420, 1000), "expires in 57 min");
        assert_eq!(relative("iat", 1000, 1000), "issued 0 s ago");
        assert_eq!(relative("nbf", 2000, 1000), "not valid for another 16 min");
        assert_eq!(
            relative("exp", i64::MAX, i64::MIN),
            "expires in 106751991167300 days"
        );
        assert_eq!(span(3 * 3600 + 125), "3 h 2 min");
    }
}

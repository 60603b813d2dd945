//! The storage layout in Redis, and reading what Redis holds (entries and
//! messages may be malformed: they come from a store anyone with access
//! can write to).

use std::fmt;

use cognito_jwt::revocation::{Revocation, Rule};
use serde_json::Value;

/// Adds rules to the sorted set, drops expired ones, keeps the key's own
/// expiry at its last rule's, and publishes each rule it added or extended.
///
/// `KEYS[1]`: the sorted set. `ARGV[1]`: the channel, `ARGV[2]`: now
/// (seconds since the epoch), then for each rule three arguments: its
/// expiry (the score), its member (the rule's JSON without expiry) and its
/// message (the revocation's JSON, with expiry). Returns how many rules it
/// added or extended.
///
/// A rule already there keeps the later expiry, as in the core's set: the
/// script is safe to run twice, and any number of instances may write the
/// same rule. It uses nothing newer than Redis 2.6 (no `ZADD GT`), so it runs
/// on any Redis or Valkey a fleet has.
pub(crate) const WRITE_SCRIPT: &str = r"
local key, channel, now = KEYS[1], ARGV[1], tonumber(ARGV[2])
local written = 0
for i = 3, #ARGV - 2, 3 do
  local expires, member, message = tonumber(ARGV[i]), ARGV[i + 1], ARGV[i + 2]
  if expires and expires > now then
    local current = tonumber(redis.call('ZSCORE', key, member))
    if current == nil or current < expires then
      redis.call('ZADD', key, expires, member)
      redis.call('PUBLISH', channel, message)
      written = written + 1
    end
  end
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')[2]
last = tonumber(last)
if last and last > now and last < 1e15 then
  redis.call('EXPIREAT', key, math.floor(last) + 1)
end
return written
";

/// The sorted-set member of a rule: its JSON wire form without the expiry
/// (`{"rule":"family","origin_jti":"o1"}`), which names the rule exactly:
/// the same rule written by two instances is one member.
pub(crate) fn member(rule: &Rule) -> Result<String, serde_json::Error> {
    serde_json::to_string(rule)
}

/// Why an entry or a message was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) &'static str);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Scores beyond this are not expiry times (about year 33,000,000).
const MAX_EXPIRY: f64 = 1e15;

/// A sorted-set entry (member, score) as the revocation it stands for.
pub(crate) fn decode_entry(member: &[u8], score: &[u8]) -> Result<Revocation, Malformed> {
    let expires = decode_score(score)?;
    let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(member) else {
        return Err(Malformed("member is not a JSON object"));
    };
    fields.insert("expires_at".to_owned(), Value::from(expires));
    serde_json::from_value(Value::Object(fields))
        .map_err(|_| Malformed("member is not a revocation rule"))
}

fn decode_score(score: &[u8]) -> Result<i64, Malformed> {
    let text = std::str::from_utf8(score).map_err(|_| Malformed("score is not text"))?;
    if let Ok(whole) = text.parse::<i64>() {
        return Ok(whole);
    }
    match text.parse::<f64>() {
        // In range, so the cast neither saturates nor loses more than the fraction.
        #[allow(clippy::cast_possible_truncation)]
        Ok(f) if f.is_finite() && f.abs() < MAX_EXPIRY => Ok(f.floor() as i64),
        _ => Err(Malformed("score is not an expiry time")),
    }
}

/// A published message (a revocation's JSON wire form) as the revocation.
pub(crate) fn decode_message(payload: &[u8]) -> Result<Revocation, Malformed> {
    serde_json::from_slice(payload).map_err(|_| Malformed("message is not a revocation"))
}

/// How many bytes of a store-supplied string a log line shows.
const LOG_CAP: usize = 160;

/// Store-supplied bytes for a log field (`?capped(..)`): at most
/// [`LOG_CAP`] bytes, invalid UTF-8 replaced, control characters escaped
/// by `Debug`, and the full length when cut.
pub(crate) struct Capped<'a>(&'a [u8]);

pub(crate) fn capped(bytes: &[u8]) -> Capped<'_> {
    Capped(bytes)
}

impl fmt::Debug for Capped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.0.get(..LOG_CAP).unwrap_or(self.0);
        fmt::Debug::fmt(&String::from_utf8_lossy(shown), f)?;
        if shown.len() < self.0.len() {
            write!(f, "… ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_round_trips_through_its_member_and_score() {
        let rules = [
            Revocation::token("j1"),
            Revocation::family("o:1"),
            Revocation::subject_until("user:with\"quotes", 1_700_000_000),
            Revocation::client_until("client-1", 5),
        ];
        for r in rules {
            let r = r.expires_at(1_800_000_000);
            let m = member(r.rule()).unwrap();
            assert!(!m.contains("expires_at"), "{m}");
            assert_eq!(decode_entry(m.as_bytes(), b"1800000000"), Ok(r.clone()));
            let message = serde_json::to_string(&r).unwrap();
            assert_eq!(decode_message(message.as_bytes()), Ok(r));
        }
    }

    #[test]
    fn malformed_entries_are_refused_not_guessed() {
        let good = br#"{"rule":"token","jti":"j"}"#;
        for (m, s) in [
            (&b"not json"[..], &b"10"[..]),
            (b"[1,2]", b"10"),
            (br#"{"rule":"nope","jti":"j"}"#, b"10"),
            (br#"{"rule":"token"}"#, b"10"),
            (b"\xff\xfe", b"10"),
            (good, b"inf"),
            (good, b"-inf"),
            (good, b"1e300"),
            (good, b"\xff"),
            (good, b""),
        ] {
            assert!(
                decode_entry(m, s).is_err(),
                "{:?} {:?}",
                capped(m),
                capped(s)
            );
        }
        assert_eq!(
            decode_entry(good, b"10.9"),
            Ok(Revocation::token("j").expires_at(10))
        );
        assert!(decode_message(b"{").is_err());
    }

    #[test]
    fn logged_strings_are_escaped_and_cut() {
        assert_eq!(format!("{:?}", capped(b"a\nb\"")), r#""a\nb\"""#);
        let long = vec![b'x'; 1000];
        let shown = format!("{:?}", capped(&long));
        assert!(shown.len() < 200, "{shown}");
        assert!(shown.ends_with("… (1000 bytes)"), "{shown}");
    }
}

//! A compact JWS split and decoded without any key: strict unpadded
//! base64url, header and claims each one JSON object with no member twice.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, Visitor};
use serde_json::{Map, Value};

/// A token's three segments, decoded; nothing about it is verified.
#[derive(Debug, Clone)]
pub(crate) struct Decoded {
    /// The JOSE header.
    pub(crate) header: Map<String, Value>,
    /// The claims.
    pub(crate) claims: Map<String, Value>,
    /// How many bytes the signature has.
    pub(crate) signature_bytes: usize,
}

/// What is wrong with a token's structure, as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError(pub(crate) String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail<T>(message: impl Into<String>) -> Result<T, DecodeError> {
    Err(DecodeError(message.into()))
}

/// Split `token` on `.` and decode its segments.
pub(crate) fn decode(token: &str) -> Result<Decoded, DecodeError> {
    if token.is_empty() {
        return fail("the token is empty");
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        if parts.len() == 5 {
            return fail(
                "the token is an encrypted JWE (5 segments); only signed JWS tokens (3 segments) can be read",
            );
        }
        return fail(format!(
            "a JWS in compact form has 3 segments separated by '.', this token has {}",
            parts.len()
        ));
    };
    let header = object("header", &base64url("header", header)?)?;
    let claims = object("payload", &base64url("payload", payload)?)?;
    let signature_bytes = base64url("signature", signature)?.len();
    Ok(Decoded {
        header,
        claims,
        signature_bytes,
    })
}

fn base64url(segment: &str, text: &str) -> Result<Vec<u8>, DecodeError> {
    if text.is_empty() {
        return fail(format!("the {segment} segment is empty"));
    }
    URL_SAFE_NO_PAD.decode(text).or_else(|e| {
        fail(format!(
            "the {segment} segment is not unpadded base64url: {e}"
        ))
    })
}

fn object(segment: &str, bytes: &[u8]) -> Result<Map<String, Value>, DecodeError> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return fail(format!("the {segment} segment is not UTF-8"));
    };
    match serde_json::from_str::<Value>(text) {
        Err(e) => return fail(format!("the {segment} segment is not valid JSON: {e}")),
        Ok(Value::Object(_)) => {}
        Ok(_) => return fail(format!("the {segment} segment is JSON but not an object")),
    }
    match serde_json::from_str::<Strict>(text) {
        Ok(Strict(map)) => Ok(map),
        Err(e) => fail(format!("the {segment} segment {e}")),
    }
}

/// A JSON object whose member names are all different (`serde_json` would
/// keep the last of two silently, and another parser the first).
struct Strict(Map<String, Value>);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Strict, A::Error> {
        let mut map = Map::new();
        while let Some(name) = access.next_key::<String>()? {
            if map.contains_key(&name) {
                return Err(A::Error::custom(format_args!(
                    "has a duplicate member {name:?}"
                )));
            }
            let value: Value = access.next_value()?;
            map.insert(name, value);
        }
        Ok(Strict(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn error(token: &str) -> String {
        decode(token).map(|_| String::new()).unwrap_or_else(|e| e.0)
    }

    #[test]
    fn each_fault_is_named() {
        let h = b64(r#"{"alg":"RS256","kid":"k"}"#);
        let p = b64(r#"{"sub":"x"}"#);
        assert!(decode(&format!("{h}.{p}.AAAA")).is_ok());
        assert_eq!(error(""), "the token is empty");
        assert!(error("a.b").contains("this token has 2"));
        assert!(error("a.b.c.d.e").contains("encrypted JWE"));
        assert_eq!(
            error(&format!("{h}.{p}.")),
            "the signature segment is empty"
        );
        assert!(
            error(&format!("{h}=.{p}.AAAA"))
                .starts_with("the header segment is not unpadded base64url")
        );
        assert!(
            error(&format!("{h}.{}.AAAA", b64("[1]")))
                .contains("payload segment is JSON but not an object")
        );
        assert!(
            error(&format!("{h}.{}.AAAA", b64("{"))).contains("payload segment is not valid JSON")
        );
        assert!(
            error(&format!("{h}.{}.AAAA", b64(r#"{"a":1,"a":2}"#)))
                .contains("duplicate member \"a\"")
        );
        assert!(
            error(&format!(
                "{}.{p}.AAAA",
                URL_SAFE_NO_PAD.encode([0xff, 0xfe])
            ))
            .contains("not UTF-8")
        );
    }

    /// Every one-character change of a token, and every prefix, decodes or
    /// names a fault; what decodes also renders. None panics.
    #[test]
    fn no_input_panics() {
        let h = b64(r#"{"alg":"RS256","kid":"k","x":[1,{"y":null}]}"#);
        let p = b64(
            r#"{"sub":"x","exp":99999999999999,"iat":-99999999999999,"nbf":1.5,"auth_time":"no","iss":"https://cognito-idp.a.amazonaws.com/a_b"}"#,
        );
        let token = format!("{h}.{p}.AAAA");
        let now = crate::times::now();
        let mut checked = 0_u32;
        for (i, _) in token.char_indices() {
            for c in ['.', '=', '+', '/', 'A', '_', '-', '\u{0}', '\u{e9}'] {
                let mut bad = token.clone();
                bad.replace_range(i..=i, c.encode_utf8(&mut [0; 4]));
                for candidate in [bad.as_str(), token.get(..i).unwrap_or_default()] {
                    if let Ok(decoded) = decode(candidate) {
                        let _ = crate::inspect::render(&crate::inspect::inspect(decoded, now));
                    }
                    checked = checked.saturating_add(1);
                }
            }
        }
        assert!(checked > 1000);
        let times = crate::inspect::render(&crate::inspect::inspect(
            decode(&token).unwrap_or_else(|e| unreachable!("{e}")),
            now,
        ));
        assert!(times.contains("(out of range)"), "{times}");
        assert!(
            times.contains("not an integer number of seconds"),
            "{times}"
        );
    }
}

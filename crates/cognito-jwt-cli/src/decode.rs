//! A compact JWS split and decoded without any key: strict unpadded
//! base64url, header and claims each one JSON object with no member twice.
//!
//! An ALB data token (`x-amzn-oidc-data`) is read by the load balancer's
//! rule instead, the one `cognito_jwt::AlbVerifier` applies: each segment
//! is base64url padded with `=` exactly as an encoder pads it, or not
//! padded at all. Only a token whose header names a `signer` is read so: a
//! padded Cognito token is still refused as not unpadded base64url.

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

/// How a token was encoded, as far as reading it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A JWS as RFC 7515 encodes it (a Cognito token, among others).
    Jwt,
    /// An ALB data token: its header names a `signer`; `padded` when some
    /// segment carries `=` padding, as a load balancer writes it.
    Alb {
        /// Whether any segment is padded.
        padded: bool,
    },
}

/// Decode a token of either kind: strictly, or, when its header names a
/// `signer`, by the load balancer's rule. The error is the strict one
/// unless the header names a `signer`.
pub(crate) fn decode_any(token: &str) -> Result<(Decoded, Kind), DecodeError> {
    let padded = token.contains('=');
    match decode(token) {
        Ok(decoded) => {
            let kind = if decoded.header.contains_key("signer") {
                Kind::Alb { padded }
            } else {
                Kind::Jwt
            };
            Ok((decoded, kind))
        }
        Err(strict) => {
            if alb_header(token).is_none() {
                return Err(strict);
            }
            decode_alb(token).map(|decoded| (decoded, Kind::Alb { padded }))
        }
    }
}

/// The header of an ALB data token: the first segment, decoded by the load
/// balancer's rule, is a JSON object that names a `signer`.
pub(crate) fn alb_header(token: &str) -> Option<Map<String, Value>> {
    let header = token.split('.').next()?;
    let header = object("header", &padded("header", header).ok()?).ok()?;
    header.contains_key("signer").then_some(header)
}

/// Whether the payload of an ALB data token decodes (load balancer's rule)
/// to UTF-8 text, JSON or not.
pub(crate) fn alb_payload_is_text(token: &str) -> bool {
    token
        .split('.')
        .nth(1)
        .and_then(|p| padded("payload", p).ok())
        .is_some_and(|bytes| std::str::from_utf8(&bytes).is_ok())
}

/// Split an ALB data token on `.` and decode its segments by the load
/// balancer's rule.
pub(crate) fn decode_alb(token: &str) -> Result<Decoded, DecodeError> {
    let [header, payload, signature] = segments(token)?;
    let header = object("header", &padded("header", header)?)?;
    let claims = object("payload", &padded("payload", payload)?)?;
    let signature_bytes = padded("signature", signature)?.len();
    Ok(Decoded {
        header,
        claims,
        signature_bytes,
    })
}

/// One segment as a load balancer encodes it: base64url whose `=` padding
/// brings it to a multiple of four characters, exactly as an encoder pads
/// it (`==` after 4n+2 characters, `=` after 4n+3, none after 4n), or no
/// padding at all; the URL-safe alphabet only, canonical trailing bits.
/// The rule of `cognito_jwt::AlbVerifier`.
fn padded(segment: &str, text: &str) -> Result<Vec<u8>, DecodeError> {
    if text.is_empty() {
        return fail(format!("the {segment} segment is empty"));
    }
    let body = text.trim_end_matches('=');
    let padding = text.len().saturating_sub(body.len());
    if body.is_empty() || padding > 2 || (padding > 0 && !text.len().is_multiple_of(4)) {
        return fail(format!(
            "the {segment} segment is not base64url as a load balancer encodes it: its `=` padding is not what an encoder writes"
        ));
    }
    URL_SAFE_NO_PAD.decode(body).or_else(|e| {
        fail(format!(
            "the {segment} segment is not base64url as a load balancer encodes it: {e}"
        ))
    })
}

/// The three segments of a compact JWS.
fn segments(token: &str) -> Result<[&str; 3], DecodeError> {
    if token.is_empty() {
        return fail("the token is empty");
    }
    let parts: Vec<&str> = token.split('.').collect();
    match parts.as_slice() {
        [header, payload, signature] => Ok([header, payload, signature]),
        _ if parts.len() == 5 => fail(
            "the token is an encrypted JWE (5 segments); only signed JWS tokens (3 segments) can be read",
        ),
        _ => fail(format!(
            "a JWS in compact form has 3 segments separated by '.', this token has {}",
            parts.len()
        )),
    }
}

/// Split `token` on `.` and decode its segments.
pub(crate) fn decode(token: &str) -> Result<Decoded, DecodeError> {
    let [header, payload, signature] = segments(token)?;
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

    #[test]
    fn alb_padding_is_exactly_what_an_encoder_writes() {
        use base64::engine::general_purpose::URL_SAFE;
        for len in 1..8usize {
            let bytes: Vec<u8> = (0..len).map(|b| b as u8).collect();
            let padded_text = URL_SAFE.encode(&bytes);
            assert_eq!(padded("payload", &padded_text).ok(), Some(bytes.clone()));
            let unpadded = URL_SAFE_NO_PAD.encode(&bytes);
            assert_eq!(padded("payload", &unpadded).ok(), Some(bytes.clone()));
            if padded_text.ends_with("==") {
                let short = format!("{}=", padded_text.trim_end_matches('='));
                assert!(padded("payload", &short).is_err(), "{short}");
            }
            assert!(padded("payload", &format!("{padded_text}=")).is_err());
            assert!(padded("payload", &format!("{padded_text}====")).is_err());
        }
        for bad in [
            "====", "a===", "YQ==YWJj", "+/8=", "YR==", "YR", "YWJjZ", "YQ=YWJj",
        ] {
            assert!(padded("payload", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn padding_is_read_only_for_a_header_naming_a_signer() {
        use base64::engine::general_purpose::URL_SAFE;
        let alb = |h: &str| {
            format!(
                "{}.{}.{}",
                URL_SAFE.encode(h),
                URL_SAFE.encode(r#"{"sub":"x"}"#),
                URL_SAFE.encode([0_u8; 64])
            )
        };
        let token = alb(r#"{"alg":"ES256","kid":"k","signer":"arn"}"#);
        assert!(token.contains('='));
        let (decoded, kind) = decode_any(&token).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(kind, Kind::Alb { padded: true });
        assert_eq!(decoded.signature_bytes, 64);
        assert!(alb_header(&token).is_some());
        // The same encoding without a signer: the strict error.
        let cognito = alb(r#"{"alg":"ES256","kid":"k"}"#);
        let error = decode_any(&cognito)
            .map(|_| String::new())
            .unwrap_or_else(|e| e.0);
        assert!(error.contains("not unpadded base64url"), "{error}");
        assert!(alb_header(&cognito).is_none());
        // Unpadded with a signer: an ALB token all the same.
        let h = b64(r#"{"alg":"ES256","kid":"k","signer":"arn"}"#);
        let unpadded = format!("{h}.{}.AAAA", b64(r#"{"sub":"x"}"#));
        let kind = decode_any(&unpadded).map(|(_, kind)| kind).ok();
        assert_eq!(kind, Some(Kind::Alb { padded: false }));
        assert!(alb_payload_is_text(&unpadded));
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
        // And an ALB data token, padded as a load balancer pads.
        let alb = format!(
            "{}.{}.{}",
            base64::engine::general_purpose::URL_SAFE
                .encode(r#"{"alg":"ES256","kid":"k","signer":"arn:aws:elasticloadbalancing:a-b-1:123456789012:loadbalancer/app/n/i","client":"c","iss":"i","exp":1}"#),
            base64::engine::general_purpose::URL_SAFE.encode(r#"{"sub":"x"}"#),
            base64::engine::general_purpose::URL_SAFE.encode([0_u8; 64]),
        );
        for original in [&token, &alb] {
            for (i, _) in original.char_indices() {
                for c in ['.', '=', '+', '/', 'A', '_', '-', '\u{0}', '\u{e9}'] {
                    let mut bad = original.clone();
                    bad.replace_range(i..=i, c.encode_utf8(&mut [0; 4]));
                    for candidate in [bad.as_str(), original.get(..i).unwrap_or_default()] {
                        if let Ok((decoded, kind)) = decode_any(candidate) {
                            let _ = crate::inspect::render(&crate::inspect::inspect(
                                decoded, kind, now,
                            ));
                        }
                        checked = checked.saturating_add(1);
                    }
                }
            }
        }
        assert!(checked > 1000);
        let times = crate::inspect::render(&crate::inspect::inspect(
            decode(&token).unwrap_or_else(|e| unreachable!("{e}")),
            Kind::Jwt,
            now,
        ));
        assert!(times.contains("(out of range)"), "{times}");
        assert!(
            times.contains("not an integer number of seconds"),
            "{times}"
        );
    }
}

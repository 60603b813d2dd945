//! Splitting and decoding an ALB data token (`x-amzn-oidc-data`), and
//! reading its header.
//!
//! A load balancer does not encode its token as RFC 7515 asks: each of the
//! three segments is base64url **with** `=` padding to a multiple of four
//! characters, and the signature (ES256, 64 bytes `R || S`) covers the
//! segments exactly as sent, padding included. AWS said in 2019 it would
//! drop the padding, so a segment without any padding is accepted too (as
//! aws-jwt-verify does); since the signature covers the text as sent, this
//! lets no other token through. Nothing looser: a padded segment is padded
//! exactly as an encoder pads it (no padding when none is needed, never a
//! third `=`, no `=` inside), the base64url alphabet only, canonical
//! trailing bits. It is a parser of its own: [`crate::token`]'s strict
//! parser for Cognito tokens still refuses every padded token.
//!
//! The header holds what the load balancer vouches for: `alg` (`ES256`),
//! `kid` (the key's id, a UUID), `signer` (the load balancer's ARN),
//! `client` (the app client id), `iss` (the identity provider) and `exp`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::MapAccess;

use crate::algorithm::Algorithm;
use crate::error::{Error, HeaderError, MalformedToken, Segment, capped};
use crate::json::{ClaimValue, ReadMembers, Skip, read_object};
use crate::token::MAX_KID_LEN;

/// The header members of an ALB data token, all checked present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AlbHeader {
    pub(crate) kid: String,
    pub(crate) signer: String,
    pub(crate) client: String,
    pub(crate) iss: String,
    pub(crate) exp: i64,
}

/// A decoded ALB data token whose structure and header are acceptable.
#[derive(Debug)]
pub(crate) struct AlbToken<'a> {
    /// `header.payload` as sent (padding included): what the signature covers.
    pub(crate) signing_input: &'a [u8],
    pub(crate) header: AlbHeader,
    /// The decoded payload, checked to be UTF-8 (its JSON is read later).
    pub(crate) payload: String,
    pub(crate) signature: Vec<u8>,
}

/// Split, decode and check the structure and header of an ALB data token.
pub(crate) fn parse(token: &str, max_len: usize) -> Result<AlbToken<'_>, Error> {
    if token.len() > max_len {
        return Err(Error::TokenTooLarge {
            size: token.len(),
            max: max_len,
        });
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        let found = token.split('.').count();
        return Err(if found == 5 {
            MalformedToken::Encrypted
        } else {
            MalformedToken::SegmentCount { found }
        }
        .into());
    };
    for (segment, text) in [
        (Segment::Header, h),
        (Segment::Payload, p),
        (Segment::Signature, s),
    ] {
        if text.is_empty() {
            return Err(MalformedToken::EmptySegment(segment).into());
        }
    }
    let header = parse_header(&decode_padded(Segment::Header, h)?)?;
    let payload = String::from_utf8(decode_padded(Segment::Payload, p)?)
        .map_err(|_| MalformedToken::Json(Segment::Payload))?;
    let signature = decode_padded(Segment::Signature, s)?;
    let signing_input = token
        .as_bytes()
        .get(..h.len().saturating_add(1).saturating_add(p.len()))
        .unwrap_or_default();
    Ok(AlbToken {
        signing_input,
        header,
        payload,
        signature,
    })
}

/// Decode one segment encoded as a load balancer encodes it: base64url
/// whose `=` padding brings it to a multiple of four characters, exactly,
/// or base64url without any padding.
fn decode_padded(segment: Segment, text: &str) -> Result<Vec<u8>, Error> {
    let bad = || Error::from(MalformedToken::AlbBase64(segment));
    let body = text.trim_end_matches('=');
    let padding = text.len().saturating_sub(body.len());
    // A multiple of four with at most two `=` is exactly the padding an
    // encoder writes: a body of 4n+2 characters gets `==`, 4n+3 gets `=`,
    // 4n none; 4n+1 characters would need three and encode nothing. No
    // padding at all is the unpadded encoding (the decoder refuses 4n+1).
    if body.is_empty() || padding > 2 || (padding > 0 && !text.len().is_multiple_of(4)) {
        return Err(bad());
    }
    // Strict: the URL-safe alphabet only (no `=` inside, no `+` or `/`),
    // canonical trailing bits.
    URL_SAFE_NO_PAD.decode(body).map_err(|_| bad())
}

/// Whether `kid` can be put into a URL path as one segment without escaping
/// or changing the path: RFC 3986 unreserved characters only, and not a dot
/// segment. A load balancer's kids are UUIDs.
pub(crate) fn is_path_segment(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= MAX_KID_LEN
        && kid != "."
        && kid != ".."
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

#[derive(Default)]
struct RawHeader<'de> {
    alg: Option<ClaimValue<'de>>,
    kid: Option<ClaimValue<'de>>,
    signer: Option<ClaimValue<'de>>,
    client: Option<ClaimValue<'de>>,
    iss: Option<ClaimValue<'de>>,
    exp: Option<ClaimValue<'de>>,
    crit: bool,
    b64: bool,
}

impl<'de> ReadMembers<'de> for RawHeader<'de> {
    fn read<A: MapAccess<'de>>(&mut self, name: &str, map: &mut A) -> Result<(), A::Error> {
        let slot = match name {
            "alg" => &mut self.alg,
            "kid" => &mut self.kid,
            "signer" => &mut self.signer,
            "client" => &mut self.client,
            "iss" => &mut self.iss,
            "exp" => &mut self.exp,
            other => {
                self.crit |= other == "crit";
                self.b64 |= other == "b64";
                // Everything else (typ, jwk, jku, …) is read in full and
                // never used.
                map.next_value::<Skip>()?;
                return Ok(());
            }
        };
        *slot = Some(map.next_value()?);
        Ok(())
    }
}

fn parse_header(bytes: &[u8]) -> Result<AlbHeader, Error> {
    let text = std::str::from_utf8(bytes).map_err(|_| MalformedToken::Json(Segment::Header))?;
    let raw: RawHeader<'_> = read_object(text, Segment::Header)?;
    if raw.crit {
        return Err(HeaderError::CriticalExtension.into());
    }
    if raw.b64 {
        return Err(HeaderError::UnencodedPayload.into());
    }
    // ES256 only: a load balancer signs with nothing else.
    match raw.alg {
        Some(ClaimValue::Str(alg)) if Algorithm::from_name(&alg) == Some(Algorithm::ES256) => {}
        Some(ClaimValue::Str(alg)) => {
            return Err(HeaderError::AlgorithmNotAllowed { alg: capped(&alg) }.into());
        }
        _ => return Err(HeaderError::MissingAlgorithm.into()),
    }
    let kid = match raw.kid {
        Some(ClaimValue::Str(kid)) => kid,
        _ => return Err(HeaderError::MissingKeyId.into()),
    };
    if !is_path_segment(&kid) {
        return Err(HeaderError::KeyIdNotPathSegment.into());
    }
    let text = |value: Option<ClaimValue<'_>>, name: &'static str| match value {
        Some(ClaimValue::Str(s)) => Ok(s.into_owned()),
        _ => Err(Error::from(HeaderError::MissingAlbField(name))),
    };
    let signer = text(raw.signer, "signer")?;
    let client = text(raw.client, "client")?;
    let iss = text(raw.iss, "iss")?;
    let exp = match raw.exp {
        Some(ClaimValue::Int(exp)) => exp,
        _ => return Err(HeaderError::MissingAlbField("exp").into()),
    };
    Ok(AlbHeader {
        kid: kid.into_owned(),
        signer,
        client,
        iss,
        exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE;

    #[test]
    fn padding_is_exactly_what_an_encoder_writes() {
        for len in 0..8usize {
            let bytes: Vec<u8> = (0..len as u8).collect();
            let padded = URL_SAFE.encode(&bytes);
            if len > 0 {
                assert_eq!(
                    decode_padded(Segment::Payload, &padded).ok(),
                    Some(bytes.clone())
                );
            }
            let unpadded = URL_SAFE_NO_PAD.encode(&bytes);
            if len > 0 {
                // No padding at all: what AWS said it would move to.
                assert_eq!(
                    decode_padded(Segment::Payload, &unpadded).ok(),
                    Some(bytes.clone()),
                    "{unpadded}"
                );
            }
            if padded.ends_with("==") {
                // Some of the padding, not all of it.
                let short = padded.trim_end_matches('=').to_owned() + "=";
                assert!(decode_padded(Segment::Payload, &short).is_err(), "{short}");
            }
            // One `=` too many, or padding where none is needed.
            assert!(decode_padded(Segment::Payload, &format!("{padded}=")).is_err());
            assert!(decode_padded(Segment::Payload, &format!("{padded}====")).is_err());
        }
        assert!(decode_padded(Segment::Payload, "====").is_err());
        assert!(decode_padded(Segment::Payload, "a===").is_err());
        // `=` inside, the standard alphabet, non-canonical trailing bits.
        assert!(decode_padded(Segment::Payload, "YQ==YWJj").is_err());
        assert!(decode_padded(Segment::Payload, "+/8=").is_err());
        assert!(decode_padded(Segment::Payload, "YR==").is_err());
        assert!(decode_padded(Segment::Payload, "YR").is_err());
        assert!(decode_padded(Segment::Payload, "YWJjZ").is_err(), "4n+1");
        assert!(decode_padded(Segment::Payload, "YQ=YWJj").is_err());
    }

    #[test]
    fn kid_must_be_a_plain_path_segment() {
        assert!(is_path_segment("c2f80c8b-c05c-4068-af14-17299f7896b1"));
        for bad in [
            "", ".", "..", "a/b", "a%2Fb", "a?b", "a#b", "a b", "é", "a\\b",
        ] {
            assert!(!is_path_segment(bad), "{bad:?}");
        }
        assert!(!is_path_segment(&"a".repeat(MAX_KID_LEN + 1)));
    }
}

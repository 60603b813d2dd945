//! Splitting and decoding a compact JWS, and reading its JOSE header.
//!
//! Nothing here trusts the token: the size is capped before anything else,
//! every segment must be strict unpadded base64url, the header must be a JSON
//! object without duplicate members, and key material or key URLs in the
//! header (`jwk`, `jku`, `x5u`, `x5c`) are never read.

use std::borrow::Cow;

use serde::de::MapAccess;

use crate::algorithm::Algorithm;
use crate::error::{Error, HeaderError, MalformedToken, Segment, capped};
use crate::json::{ClaimValue, ReadMembers, Skip, read_object};

/// Longest `kid` accepted; real ones are a few dozen bytes.
pub(crate) const MAX_KID_LEN: usize = 256;

/// The header members the verifier acts on. `kid` and `typ` borrow from the
/// decoded header (in the caller's [`Scratch`]) unless they had escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Cow<'a, str>,
    pub(crate) typ: Option<Cow<'a, str>>,
}

/// A decoded compact JWS whose structure and header are acceptable.
#[derive(Debug)]
pub(crate) struct Compact<'a> {
    /// `header.payload`, the bytes the signature covers.
    pub(crate) signing_input: &'a [u8],
    pub(crate) header: Header<'a>,
    pub(crate) payload: Vec<u8>,
    pub(crate) signature: &'a [u8],
}

/// Where [`parse`] decodes the header and the signature: a stack buffer each
/// (RSA-4096 signatures and any real header fit), so a verification
/// allocates neither. Larger ones go to the heap.
pub(crate) struct Scratch {
    header: Decoded<512>,
    signature: Decoded<512>,
}

impl Scratch {
    pub(crate) fn new() -> Scratch {
        Scratch {
            header: Decoded::new(),
            signature: Decoded::new(),
        }
    }
}

/// Bytes decoded into a stack buffer when they fit, else onto the heap.
struct Decoded<const N: usize> {
    inline: [u8; N],
    heap: Vec<u8>,
}

impl<const N: usize> Decoded<N> {
    fn new() -> Self {
        Decoded {
            inline: [0; N],
            heap: Vec::new(),
        }
    }

    /// Decode `text` (already checked not to be empty) and return the bytes.
    fn decode(&mut self, segment: Segment, text: &str) -> Result<&[u8], Error> {
        let bad = || Error::from(MalformedToken::Base64(segment));
        // SIMD decoding: strict (no padding, canonical trailing bits).
        let codec = base64_simd::URL_SAFE_NO_PAD;
        let n = codec.decoded_length(text.as_bytes()).map_err(|_| bad())?;
        let dst = match self.inline.get_mut(..n) {
            Some(dst) => dst,
            None => {
                self.heap.resize(n, 0);
                self.heap.as_mut_slice()
            }
        };
        let out = codec
            .decode(text.as_bytes(), base64_simd::AsOut::as_out(dst))
            .map_err(|_| bad())?;
        Ok(out)
    }
}

/// Decode a segment that [`parse`] has already checked is not empty.
fn decode(segment: Segment, text: &str) -> Result<Vec<u8>, Error> {
    base64_simd::URL_SAFE_NO_PAD
        .decode_to_vec(text)
        .map_err(|_| MalformedToken::Base64(segment).into())
}

/// The error for a token that is not three dot-separated segments.
fn segment_count_error(token: &str) -> Error {
    let found = token
        .bytes()
        .filter(|b| *b == b'.')
        .count()
        .saturating_add(1);
    if found == 5 {
        MalformedToken::Encrypted
    } else {
        MalformedToken::SegmentCount { found }
    }
    .into()
}

/// Split, decode and check the structure and header of `token`.
pub(crate) fn parse<'a>(
    token: &'a str,
    max_len: usize,
    scratch: &'a mut Scratch,
) -> Result<Compact<'a>, Error> {
    if token.len() > max_len {
        return Err(Error::TokenTooLarge {
            size: token.len(),
            max: max_len,
        });
    }
    // The first and the last dot, found from either end, so the long payload
    // is not scanned for dots: one in it makes its base64url invalid, and
    // every error below is turned into the segment-count error that splitting
    // on every dot would have reported first.
    let (Some(first), Some(last)) = (token.find('.'), token.rfind('.')) else {
        return Err(segment_count_error(token));
    };
    let (Some(h), Some(p), Some(s)) = (
        token.get(..first),
        token.get(first.saturating_add(1)..last),
        token.get(last.saturating_add(1)..),
    ) else {
        return Err(segment_count_error(token));
    };
    match parse_segments(h, p, s, scratch) {
        Ok((header, payload, signature)) => Ok(Compact {
            signing_input: token.as_bytes().get(..last).unwrap_or_default(),
            header,
            payload,
            signature,
        }),
        Err(_) if p.contains('.') => Err(segment_count_error(token)),
        Err(e) => Err(e),
    }
}

type Segments<'a> = (Header<'a>, Vec<u8>, &'a [u8]);

/// Decode and check three segments, in the order their errors are reported.
fn parse_segments<'a>(
    h: &str,
    p: &str,
    s: &str,
    scratch: &'a mut Scratch,
) -> Result<Segments<'a>, Error> {
    // Emptiness first for all three, so a stripped signature is named as such.
    for (segment, text) in [
        (Segment::Header, h),
        (Segment::Payload, p),
        (Segment::Signature, s),
    ] {
        if text.is_empty() {
            return Err(MalformedToken::EmptySegment(segment).into());
        }
    }
    let Scratch {
        header: header_buf,
        signature: signature_buf,
    } = scratch;
    let header_bytes = header_buf.decode(Segment::Header, h)?;
    let header = match cognito_header(header_bytes) {
        Some(header) => header,
        None => parse_header(header_bytes)?,
    };
    let payload = decode(Segment::Payload, p)?;
    let signature = signature_buf.decode(Segment::Signature, s)?;
    Ok((header, payload, signature))
}

/// Cognito's header, byte for byte: `{"kid":"<kid>","alg":"<alg>"}` with a
/// printable-ASCII `kid` (no quote, no backslash, so no escapes) and a known
/// `alg`. For exactly these bytes a JSON parser yields the same two members,
/// so reading them directly changes no outcome; any other header (spaces,
/// more members, escapes, another order) goes through [`parse_header`].
fn cognito_header(bytes: &[u8]) -> Option<Header<'_>> {
    let rest = bytes.strip_prefix(br#"{"kid":""#)?;
    let kid_end = rest.iter().position(|b| *b == b'"')?;
    let (kid, rest) = rest.split_at(kid_end);
    let rest = rest.strip_prefix(br#"","alg":""#)?;
    let alg_end = rest.iter().position(|b| *b == b'"')?;
    let (alg, tail) = rest.split_at(alg_end);
    if tail != br#""}"# || kid.is_empty() || kid.len() > MAX_KID_LEN {
        return None;
    }
    if !kid.iter().all(|b| b.is_ascii_graphic() && *b != b'\\') {
        return None;
    }
    let alg = Algorithm::from_name(std::str::from_utf8(alg).ok()?)?;
    Some(Header {
        alg,
        kid: Cow::Borrowed(std::str::from_utf8(kid).ok()?),
        typ: None,
    })
}

#[derive(Default)]
struct RawHeader<'de> {
    alg: Option<ClaimValue<'de>>,
    kid: Option<ClaimValue<'de>>,
    typ: Option<ClaimValue<'de>>,
    cty: Option<ClaimValue<'de>>,
    crit: bool,
    b64: bool,
}

impl<'de> ReadMembers<'de> for RawHeader<'de> {
    fn read<A: MapAccess<'de>>(&mut self, name: &str, map: &mut A) -> Result<(), A::Error> {
        match name {
            "alg" => self.alg = Some(map.next_value()?),
            "kid" => self.kid = Some(map.next_value()?),
            "typ" => self.typ = Some(map.next_value()?),
            "cty" => self.cty = Some(map.next_value()?),
            "crit" => {
                self.crit = true;
                map.next_value::<Skip>()?;
            }
            "b64" => {
                self.b64 = true;
                map.next_value::<Skip>()?;
            }
            // jwk, jku, x5u, x5c, x5t and everything else: never used,
            // but read in full (`Skip`, unlike `IgnoredAny`, decodes
            // every string), so the header is valid JSON throughout:
            // no lone surrogate escape hides in a member nobody reads.
            _ => {
                map.next_value::<Skip>()?;
            }
        }
        Ok(())
    }
}

fn parse_header(bytes: &[u8]) -> Result<Header<'_>, Error> {
    // RFC 7515 §5.2: the header is UTF-8. Checked here in one pass, as the
    // payload is; the JSON is then read from a `str`.
    let text = std::str::from_utf8(bytes).map_err(|_| MalformedToken::Json(Segment::Header))?;
    let raw: RawHeader<'_> = read_object(text, Segment::Header)?;
    if raw.crit {
        return Err(HeaderError::CriticalExtension.into());
    }
    if raw.b64 {
        return Err(HeaderError::UnencodedPayload.into());
    }
    let alg = match raw.alg {
        Some(ClaimValue::Str(name)) => Algorithm::from_name(&name)
            .ok_or_else(|| HeaderError::AlgorithmNotAllowed { alg: capped(&name) })?,
        _ => return Err(HeaderError::MissingAlgorithm.into()),
    };
    if let Some(cty) = &raw.cty {
        // RFC 7519 §5.2: "JWT" here means a nested token. Never unwrapped.
        let nested = match cty {
            ClaimValue::Str(c) => c.eq_ignore_ascii_case("JWT"),
            _ => true,
        };
        if nested {
            return Err(HeaderError::NestedToken.into());
        }
    }
    let kid = match raw.kid {
        Some(ClaimValue::Str(kid)) => kid,
        _ => return Err(HeaderError::MissingKeyId.into()),
    };
    if kid.is_empty() || kid.len() > MAX_KID_LEN {
        return Err(HeaderError::InvalidKeyId { max: MAX_KID_LEN }.into());
    }
    let typ = match raw.typ {
        Some(ClaimValue::Str(t)) => Some(t),
        _ => None,
    };
    Ok(Header { alg, kid, typ })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn token(header: &str, payload: &str) -> String {
        format!("{}.{}.c2ln", b64(header), b64(payload))
    }

    #[test]
    fn reads_alg_kid_and_ignores_key_urls() {
        let t = token(
            r#"{"alg":"RS256","kid":"k1","jku":"https://evil.example/jwks","jwk":{"kty":"oct","k":"AA"}}"#,
            "{}",
        );
        let mut scratch = Scratch::new();
        let c = parse(&t, 16 * 1024, &mut scratch).unwrap();
        assert_eq!(c.header.alg, Algorithm::RS256);
        assert_eq!(c.header.kid, "k1");
        assert_eq!(c.signature, b"sig");
    }

    #[test]
    fn structural_errors_are_specific() {
        let cases: Vec<(String, Error)> = vec![
            (
                "a.b".into(),
                MalformedToken::SegmentCount { found: 2 }.into(),
            ),
            ("a.b.c.d.e".into(), MalformedToken::Encrypted.into()),
            (
                ".b.c".into(),
                MalformedToken::EmptySegment(Segment::Header).into(),
            ),
            (
                "a.b.".into(),
                MalformedToken::EmptySegment(Segment::Signature).into(),
            ),
            (
                format!(
                    "{}=.{}.c2ln",
                    b64(r#"{"alg":"RS256","kid":"k"}"#),
                    b64("{}")
                ),
                MalformedToken::Base64(Segment::Header).into(),
            ),
            (
                token("[1]", "{}"),
                MalformedToken::NotAnObject(Segment::Header).into(),
            ),
            (
                token("{", "{}"),
                MalformedToken::Json(Segment::Header).into(),
            ),
            (
                token(r#"{"alg":"RS256","alg":"none","kid":"k"}"#, "{}"),
                MalformedToken::DuplicateMember {
                    segment: Segment::Header,
                    name: "alg".into(),
                }
                .into(),
            ),
            (
                token(r#"{"alg":"none","kid":"k"}"#, "{}"),
                HeaderError::AlgorithmNotAllowed { alg: "none".into() }.into(),
            ),
            (
                token(r#"{"alg":"HS256","kid":"k"}"#, "{}"),
                HeaderError::AlgorithmNotAllowed {
                    alg: "HS256".into(),
                }
                .into(),
            ),
            (
                token(r#"{"kid":"k"}"#, "{}"),
                HeaderError::MissingAlgorithm.into(),
            ),
            (
                token(r#"{"alg":"RS256"}"#, "{}"),
                HeaderError::MissingKeyId.into(),
            ),
            (
                token(r#"{"alg":"RS256","kid":7}"#, "{}"),
                HeaderError::MissingKeyId.into(),
            ),
            (
                token(r#"{"alg":"RS256","kid":""}"#, "{}"),
                HeaderError::InvalidKeyId { max: MAX_KID_LEN }.into(),
            ),
            (
                token(r#"{"alg":"RS256","kid":"k","crit":["exp"]}"#, "{}"),
                HeaderError::CriticalExtension.into(),
            ),
            (
                token(r#"{"alg":"RS256","kid":"k","b64":false}"#, "{}"),
                HeaderError::UnencodedPayload.into(),
            ),
            (
                token(r#"{"alg":"RS256","kid":"k","cty":"JWT"}"#, "{}"),
                HeaderError::NestedToken.into(),
            ),
        ];
        for (t, expected) in cases {
            let mut scratch = Scratch::new();
            assert_eq!(
                parse(&t, 16 * 1024, &mut scratch).unwrap_err(),
                expected,
                "token {t}"
            );
        }
    }

    #[test]
    fn the_cognito_header_fast_path_agrees_with_the_parser() {
        for header in [
            r#"{"kid":"abc+/=_-.123","alg":"RS256"}"#,
            r#"{"kid":"k","alg":"ES256"}"#,
            r#"{"kid":"k","alg":"none"}"#,
            r#"{"kid":"k\u0041","alg":"RS256"}"#,
            r#"{"kid":"","alg":"RS256"}"#,
            r#"{"kid":"k","alg":"RS256","alg":"none"}"#,
            r#"{"kid":"k","alg":"RS256"} "#,
            r#"{"kid":"k", "alg":"RS256"}"#,
            r#"{"alg":"RS256","kid":"k"}"#,
            r#"{"kid":"k","alg":"RS256","jku":"https://evil"}"#,
        ] {
            let parsed = parse_header(header.as_bytes()).ok();
            if let Some(fast) = cognito_header(header.as_bytes()) {
                assert_eq!(Some(fast), parsed, "{header}");
            }
        }
        assert!(cognito_header(br#"{"kid":"k","alg":"RS256"}"#).is_some());
        assert!(cognito_header(br#"{"kid":"k\u0041","alg":"RS256"}"#).is_none());
        assert!(cognito_header(br#"{"kid":"k","alg":"RS256","alg":"none"}"#).is_none());
    }

    #[test]
    fn extra_dots_are_counted_before_any_other_error() {
        // Splitting on every dot, as the structure check is specified.
        fn by_split(t: &str) -> Option<Error> {
            let found = t.split('.').count();
            (found != 3).then(|| {
                if found == 5 {
                    MalformedToken::Encrypted.into()
                } else {
                    MalformedToken::SegmentCount { found }.into()
                }
            })
        }
        let h = b64(r#"{"kid":"k","alg":"RS256"}"#);
        let bad_h = b64(r#"{"kid":"k","alg":"none"}"#);
        let p = b64(r#"{"sub":"a"}"#);
        let tokens = [
            String::new(),
            ".".into(),
            "..".into(),
            "...".into(),
            "....".into(),
            "abc".into(),
            format!("{h}.{p}"),
            format!("{h}..{p}.c2ln"),
            format!("{h}.{p}..c2ln"),
            format!("{h}.{p}.c2ln."),
            format!(".{h}.{p}.c2ln"),
            format!("{bad_h}.{p}.x.c2ln"),
            format!("{h}.a.b.c2ln"),
            format!("{h}.{p}.{p}.{p}.c2ln"),
            format!("{h}.{p}.c2ln"),
            format!("{bad_h}.{p}.c2ln"),
        ];
        for t in tokens {
            let got = parse(&t, 16 * 1024, &mut Scratch::new()).err();
            match by_split(&t) {
                Some(expected) => assert_eq!(got, Some(expected), "token {t:?}"),
                None => assert!(
                    !matches!(
                        got,
                        Some(Error::Malformed(
                            MalformedToken::SegmentCount { .. } | MalformedToken::Encrypted
                        ))
                    ),
                    "token {t:?}: {got:?}"
                ),
            }
        }
    }

    #[test]
    fn long_signatures_and_headers_are_decoded_on_the_heap() {
        let header = format!(r#"{{"kid":"k","alg":"RS256","x":"{}"}}"#, "a".repeat(600));
        let sig = URL_SAFE_NO_PAD.encode([7u8; 1024]);
        let t = format!("{}.{}.{sig}", b64(&header), b64("{}"));
        let mut scratch = Scratch::new();
        let c = parse(&t, 16 * 1024, &mut scratch).unwrap();
        assert_eq!(c.header.kid, "k");
        assert_eq!(c.signature, [7u8; 1024]);
    }

    #[test]
    fn size_cap_applies_before_parsing() {
        let t = "a".repeat(100);
        assert_eq!(
            parse(&t, 64, &mut Scratch::new()).unwrap_err(),
            Error::TokenTooLarge { size: 100, max: 64 }
        );
    }
}

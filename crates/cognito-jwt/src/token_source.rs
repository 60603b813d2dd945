//! Finding the bearer token in a request (RFC 6750 §2), independent of any HTTP framework.
//!
//! By default only the `Authorization` header is read. A cookie or another
//! header can be enabled; a request that carries credentials in two places is
//! refused with [`Error::MultipleCredentials`] (400). Query-string and form
//! tokens are not supported: they leak into logs.

use crate::error::Error;

/// Read access to a request's headers. The adapters implement it for their
/// framework's header map.
///
/// Values are lent for as long as the source is borrowed, so the token found
/// in them is returned without a copy.
///
/// ```
/// use cognito_jwt::TokenSource;
/// use cognito_jwt::adapter::HeaderSource;
///
/// /// Headers as (name, value) pairs, e.g. from a framework without an adapter.
/// struct Pairs<'r>(&'r [(&'r str, &'r str)]);
///
/// impl HeaderSource for Pairs<'_> {
///     fn each_value<'a>(&'a self, name: &str, f: &mut dyn FnMut(&'a [u8])) {
///         for (k, v) in self.0 {
///             if k.eq_ignore_ascii_case(name) {
///                 f(v.as_bytes());
///             }
///         }
///     }
/// }
///
/// let pairs = [("Authorization", "Bearer abc.def.ghi")];
/// let headers = Pairs(&pairs);
/// assert_eq!(TokenSource::default().extract(&headers), Ok(Some("abc.def.ghi")));
/// ```
pub trait HeaderSource {
    /// Call `f` with every value of header `name` (case-insensitive), in order.
    fn each_value<'a>(&'a self, name: &str, f: &mut dyn FnMut(&'a [u8]));
}

/// Where tokens may come from. The `Authorization: Bearer` header is always read.
///
/// ```
/// use cognito_jwt::TokenSource;
/// let source = TokenSource::default().cookie("access_token");
/// # let _ = source;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenSource {
    cookie: Option<String>,
    header: Option<String>,
}

impl TokenSource {
    /// Also accept the token from this cookie.
    pub fn cookie(mut self, name: impl Into<String>) -> Self {
        self.cookie = Some(name.into());
        self
    }

    /// Also accept the raw token from this header (for example `x-access-token`).
    pub fn header(mut self, name: impl Into<String>) -> Self {
        self.header = Some(name.into().to_ascii_lowercase());
        self
    }

    /// Extract the token: `Ok(None)` when the request carries no credentials.
    /// The token is borrowed from the headers, not copied.
    ///
    /// Two credentials at once (two `Authorization` headers, or a bearer
    /// token and a cookie) are [`Error::MultipleCredentials`], whatever their
    /// syntax; one credential that is not RFC 6750 `b64token` syntax is
    /// [`Error::MalformedCredentials`].
    pub fn extract<'h>(&self, headers: &'h dyn HeaderSource) -> Result<Option<&'h str>, Error> {
        self.find_credential(headers)?
            .map(Credential::token)
            .transpose()
    }

    /// Find the request's one credential, its syntax not yet checked.
    pub(crate) fn find_credential<'h>(
        &self,
        headers: &'h dyn HeaderSource,
    ) -> Result<Option<Credential<'h>>, Error> {
        let mut found: Option<Credential<'h>> = None;
        let mut count = 0usize;
        let mut authorization = 0usize;
        headers.each_value("authorization", &mut |v| {
            authorization = authorization.saturating_add(1);
            if let Some(bearer) = bearer_credential(v) {
                count = count.saturating_add(1);
                found.get_or_insert(bearer);
            }
        });
        if authorization > 1 {
            return Err(Error::MultipleCredentials);
        }
        let mut raw = |v: &'h [u8]| {
            count = count.saturating_add(1);
            found.get_or_insert(Credential {
                bytes: trim(v),
                found_in: FoundIn::WholeValue,
            });
        };
        if let Some(name) = &self.header {
            headers.each_value(name, &mut |v| raw(v));
        }
        if let Some(name) = &self.cookie {
            headers.each_value("cookie", &mut |v| cookies(v, name).for_each(&mut raw));
        }
        if count > 1 {
            return Err(Error::MultipleCredentials);
        }
        Ok(found)
    }
}

/// The request header an Application Load Balancer puts its data token in.
pub const ALB_DATA_HEADER: &str = "x-amzn-oidc-data";

/// The [`Error::MalformedCredentials`] detail of an `x-amzn-oidc-data`
/// header that is not a token.
pub(crate) const ALB_DATA_MALFORMED: &str = "the x-amzn-oidc-data header is not a token";

/// Which credentials a [`Gate`](crate::adapter::Gate) trusts: the bearer
/// token, the data token an Application Load Balancer forwards in
/// `x-amzn-oidc-data` (verified by an [`AlbVerifier`](crate::AlbVerifier)),
/// or either.
///
/// The data token is trustworthy only when every request reaches the server
/// through the load balancer (security groups, a private subnet): anyone who
/// can reach the server directly can send the header. What the library
/// enforces is the `signer` pin: a token another load balancer signed is
/// refused.
///
/// Revocation rules apply to the data token only when its `AlbVerifier`
/// has them ([`AlbVerifierBuilder::revocations`](crate::AlbVerifierBuilder::revocations)):
/// under `AlbData` or `Either`, give it the bearer verifier's
/// [`Revocations`](crate::revocation::Revocations) set too.
///
/// ```
/// use cognito_jwt::Trust;
/// assert_eq!(Trust::default(), Trust::Bearer);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Trust {
    /// The bearer token (and any cookie or header the [`TokenSource`]
    /// names) only; `x-amzn-oidc-data` is ignored. The default.
    #[default]
    Bearer,
    /// The ALB data token only; `Authorization` and the other token sources
    /// are ignored. A request without `x-amzn-oidc-data` has no credentials.
    AlbData,
    /// The ALB data token when the request has one, else the bearer token.
    /// A request with both is refused with [`Error::MultipleCredentials`]
    /// (400): it cannot be told which user it is.
    Either,
}

/// The request's ALB data token (`x-amzn-oidc-data`), trimmed, its syntax
/// not yet checked beyond printable ASCII. Two such headers are
/// [`Error::MultipleCredentials`].
pub(crate) fn alb_data_token<'h>(headers: &'h dyn HeaderSource) -> Result<Option<&'h str>, Error> {
    let mut found: Option<&'h [u8]> = None;
    let mut count = 0usize;
    headers.each_value(ALB_DATA_HEADER, &mut |v| {
        count = count.saturating_add(1);
        found.get_or_insert(trim(v));
    });
    if count > 1 {
        return Err(Error::MultipleCredentials);
    }
    match found {
        None => Ok(None),
        Some(bytes) if !bytes.is_empty() && bytes.iter().all(u8::is_ascii_graphic) => {
            Ok(Some(ascii_str(bytes)))
        }
        Some(_) => Err(Error::MalformedCredentials(ALB_DATA_MALFORMED)),
    }
}

/// A credential found in a request: the bytes that must be a token, and
/// where they came from. [`Credential::token`] checks their syntax; until then
/// they may only be compared with tokens already verified.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Credential<'h> {
    bytes: &'h [u8],
    found_in: FoundIn,
}

/// Where in the request a [`Credential`] was found, which decides how a
/// syntax error is described.
#[derive(Debug, Clone, Copy)]
enum FoundIn {
    /// After `Bearer ` in the `Authorization` header.
    BearerScheme,
    /// A whole cookie or header value.
    WholeValue,
}

impl<'h> Credential<'h> {
    /// The credential as sent (trimmed), syntax unchecked.
    pub(crate) fn bytes(&self) -> &'h [u8] {
        self.bytes
    }

    /// The token, if it is RFC 6750 `b64token` syntax.
    pub(crate) fn token(self) -> Result<&'h str, Error> {
        if is_b64token(self.bytes) {
            // b64token characters are ASCII, so this is valid UTF-8.
            return Ok(ascii_str(self.bytes));
        }
        Err(Error::MalformedCredentials(match self.found_in {
            FoundIn::BearerScheme if self.bytes.is_empty() => "the Bearer scheme has no token",
            FoundIn::BearerScheme => {
                "the bearer token must follow `Bearer` after one space and use b64token characters only"
            }
            FoundIn::WholeValue => "the token uses characters outside b64token",
        }))
    }
}

/// A b64token character (RFC 6750 §2.1) other than the trailing `=`:
/// `-./0-9` (one range), `A-Za-z` (one range once lower-cased), `+`, `_`, `~`.
/// Branch-free with few operations per byte, so the check below vectorises:
/// tokens are about a kilobyte and this runs on every request.
#[inline(always)]
fn b64token_char(b: u8) -> bool {
    (b.wrapping_sub(b'-') <= b'9' - b'-')
        | ((b | 0x20).wrapping_sub(b'a') <= b'z' - b'a')
        | (b == b'+')
        | (b == b'_')
        | (b == b'~')
}

fn is_b64token(bytes: &[u8]) -> bool {
    let body_end = bytes
        .iter()
        .rposition(|b| *b != b'=')
        .map_or(0, |i| i.saturating_add(1));
    let (body, _padding) = bytes.split_at(body_end);
    let mut blocks = body.chunks_exact(32);
    // Count the bad bytes of each 32-byte block without branching (this is
    // what vectorises best), and stop at the first block that has one.
    let blocks_ok = blocks.all(|block| {
        block
            .iter()
            .fold(0u8, |bad, b| bad | u8::from(!b64token_char(*b)))
            == 0
    });
    !body.is_empty() && blocks_ok && blocks.remainder().iter().all(|b| b64token_char(*b))
}

/// Bytes already checked to be b64token characters (ASCII) as a `str`.
fn ascii_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i.saturating_add(1));
    bytes.get(start..end).unwrap_or_default()
}

/// `Authorization: Bearer <credential>`; another scheme means "no bearer credentials".
///
/// The scheme is the run of RFC 9110 `tchar`s at the start. When it is
/// `Bearer`, what follows is the credential, separator included unless the
/// separator is the one space RFC 6750 allows: `Bearer\t<jwt>` or
/// `Bearer:<jwt>` is the Bearer scheme with broken syntax (400), never
/// another scheme (which would pass as anonymous), and the separator kept in
/// the credential means it can never match a verified token.
fn bearer_credential(value: &[u8]) -> Option<Credential<'_>> {
    let value = trim(value);
    let end = value
        .iter()
        .position(|b| !is_tchar(*b))
        .unwrap_or(value.len());
    let (scheme, rest) = value.split_at(end);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    Some(Credential {
        bytes: rest.strip_prefix(b" ").unwrap_or(rest),
        found_in: FoundIn::BearerScheme,
    })
}

/// An RFC 9110 `tchar`: the characters of an auth scheme name.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn cookies<'h, 'n>(header: &'h [u8], name: &'n str) -> impl Iterator<Item = &'h [u8]> + 'n
where
    'h: 'n,
{
    header.split(|b| *b == b';').filter_map(move |pair| {
        let pair = trim(pair);
        let eq = pair.iter().position(|b| *b == b'=')?;
        let (k, v) = (pair.get(..eq)?, pair.get(eq.saturating_add(1)..)?);
        if k != name.as_bytes() {
            return None;
        }
        let v = v
            .strip_prefix(b"\"")
            .and_then(|v| v.strip_suffix(b"\""))
            .unwrap_or(v);
        Some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct H(Vec<(&'static str, &'static str)>);
    impl HeaderSource for H {
        fn each_value<'a>(&'a self, name: &str, f: &mut dyn FnMut(&'a [u8])) {
            for (k, v) in &self.0 {
                if k.eq_ignore_ascii_case(name) {
                    f(v.as_bytes());
                }
            }
        }
    }

    fn extract(
        source: &TokenSource,
        headers: Vec<(&'static str, &'static str)>,
    ) -> Result<Option<String>, Error> {
        source.extract(&H(headers)).map(|t| t.map(str::to_owned))
    }

    #[test]
    fn b64token_characters_are_exactly_rfc_6750() {
        for b in 0..=u8::MAX {
            let expected = b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
            assert_eq!(b64token_char(b), expected, "byte {b:#04x}");
        }
    }

    #[test]
    fn bad_character_anywhere_in_a_long_token() {
        let good = "a".repeat(100);
        assert!(is_b64token(good.as_bytes()));
        assert!(is_b64token(format!("{good}==").as_bytes()));
        assert!(!is_b64token(b"=="));
        for at in [0, 31, 32, 63, 64, 95, 96, 99] {
            let mut bad = good.clone().into_bytes();
            if let Some(b) = bad.get_mut(at) {
                *b = b'"';
            }
            assert!(!is_b64token(&bad), "bad byte at {at}");
        }
    }

    #[test]
    fn authorization_header() {
        let s = TokenSource::default();
        assert_eq!(extract(&s, vec![]), Ok(None));
        assert_eq!(
            extract(&s, vec![("Authorization", "Bearer abc.def.ghi")]),
            Ok(Some("abc.def.ghi".into()))
        );
        assert_eq!(
            extract(&s, vec![("authorization", "bEaReR abc")]),
            Ok(Some("abc".into()))
        );
        assert_eq!(
            extract(&s, vec![("authorization", "Basic dXNlcjpwYXNz")]),
            Ok(None)
        );
        assert!(matches!(
            extract(&s, vec![("authorization", "Bearer")]),
            Err(Error::MalformedCredentials(_))
        ));
        assert!(matches!(
            extract(&s, vec![("authorization", "Bearer  abc")]),
            Err(Error::MalformedCredentials(_))
        ));
        assert!(matches!(
            extract(&s, vec![("authorization", "Bearer a b")]),
            Err(Error::MalformedCredentials(_))
        ));
        assert!(matches!(
            extract(&s, vec![("authorization", "Bearer a\"b")]),
            Err(Error::MalformedCredentials(_))
        ));
        // The Bearer scheme with another separator is malformed, not anonymous.
        for broken in [
            "Bearer\tabc",
            "Bearer:abc",
            "bearer,abc",
            "Bearer\"abc\"",
            "Bearer\t abc",
        ] {
            assert!(
                matches!(
                    extract(&s, vec![("authorization", broken)]),
                    Err(Error::MalformedCredentials(_))
                ),
                "{broken:?}"
            );
        }
        // Schemes that only start with the same letters are other schemes.
        for other in ["Bearerx abc", "Bearer-Token abc", "BearerToken"] {
            assert_eq!(
                extract(&s, vec![("authorization", other)]),
                Ok(None),
                "{other:?}"
            );
        }
        assert_eq!(
            extract(
                &s,
                vec![("authorization", "Bearer a"), ("authorization", "Bearer b")]
            ),
            Err(Error::MultipleCredentials)
        );
    }

    #[test]
    fn cookie_and_header_sources() {
        let s = TokenSource::default().cookie("tok").header("X-Token");
        assert_eq!(
            extract(&s, vec![("cookie", "a=1; tok=abc.def; b=2")]),
            Ok(Some("abc.def".into()))
        );
        assert_eq!(
            extract(&s, vec![("x-token", "abc")]),
            Ok(Some("abc".into()))
        );
        assert_eq!(
            extract(&s, vec![("authorization", "Bearer a"), ("cookie", "tok=b")]),
            Err(Error::MultipleCredentials)
        );
        // The cookie source is off unless configured.
        assert_eq!(
            extract(&TokenSource::default(), vec![("cookie", "tok=abc")]),
            Ok(None)
        );
    }
}

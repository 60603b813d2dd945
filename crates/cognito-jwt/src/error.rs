//! Every way a request can be refused, and the RFC 6750 answer each one gets.
//!
//! [`Error`] is the one error type of the crate. Each variant names exactly one
//! thing that was wrong and maps to exactly one [`ErrorClass`], which the
//! adapters turn into an HTTP status and a `WWW-Authenticate` challenge:
//!
//! | class | HTTP | `error=` |
//! |---|---|---|
//! | [`ErrorClass::MissingCredentials`] | 401 | none (RFC 6750 §3.1) |
//! | [`ErrorClass::InvalidRequest`] | 400 | `invalid_request` |
//! | [`ErrorClass::InvalidToken`] | 401 | `invalid_token` |
//! | [`ErrorClass::InsufficientScope`] | 403 | `insufficient_scope` |
//! | [`ErrorClass::Unavailable`] | 503 | none, `Retry-After` instead |
//! | [`ErrorClass::Misconfigured`] | 500 | none: a server bug, not the client's |
//!
//! Messages never contain the token. Some contain claim values taken from the
//! token (an untrusted issuer, a client id) to help developers; those are
//! length-capped and go to logs. What is sent to clients is the short, fixed
//! text of [`Error::client_description`].

use std::time::Duration;

/// The class of a rejection, which decides the HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// No credentials at all: 401 with a bare `WWW-Authenticate: Bearer` challenge.
    MissingCredentials,
    /// The request itself is malformed: 400 `invalid_request`.
    InvalidRequest,
    /// The token is not acceptable: 401 `invalid_token`.
    InvalidToken,
    /// The token is fine but does not grant what the route needs: 403 `insufficient_scope`.
    InsufficientScope,
    /// The verifier cannot get the keys to decide: 503 with `Retry-After`.
    /// A Cognito outage is not the client's fault.
    Unavailable,
    /// The server is misconfigured (no authentication middleware before a
    /// route that needs one, an invalid policy): 500, never the handler.
    Misconfigured,
}

impl ErrorClass {
    /// The HTTP status code for this class.
    pub const fn status(self) -> u16 {
        match self {
            ErrorClass::MissingCredentials | ErrorClass::InvalidToken => 401,
            ErrorClass::InvalidRequest => 400,
            ErrorClass::InsufficientScope => 403,
            ErrorClass::Unavailable => 503,
            ErrorClass::Misconfigured => 500,
        }
    }

    /// The RFC 6750 `error` code, if this class has one.
    pub const fn error_code(self) -> Option<&'static str> {
        match self {
            ErrorClass::MissingCredentials
            | ErrorClass::Unavailable
            | ErrorClass::Misconfigured => None,
            ErrorClass::InvalidRequest => Some("invalid_request"),
            ErrorClass::InvalidToken => Some("invalid_token"),
            ErrorClass::InsufficientScope => Some("insufficient_scope"),
        }
    }
}

/// Which of the three compact-serialisation segments a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Segment {
    /// The JOSE header.
    Header,
    /// The claims.
    Payload,
    /// The signature.
    Signature,
}

impl std::fmt::Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Segment::Header => "header",
            Segment::Payload => "payload",
            Segment::Signature => "signature",
        })
    }
}

/// Why a token's structure was refused before any key was looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedToken {
    /// Not exactly three dot-separated segments.
    #[error("a JWS in compact form has 3 segments, this token has {found}")]
    SegmentCount {
        /// How many segments were found.
        found: usize,
    },
    /// Five segments: an encrypted JWE, which a resource server never decrypts.
    #[error("the token is an encrypted JWE (5 segments); only signed JWS tokens are accepted")]
    Encrypted,
    /// A segment is empty (for example a stripped signature).
    #[error("the {0} segment is empty")]
    EmptySegment(Segment),
    /// A segment is not strict unpadded base64url.
    #[error("the {0} segment is not unpadded base64url")]
    Base64(Segment),
    /// A segment of an ALB data token (`x-amzn-oidc-data`) is not base64url
    /// as a load balancer encodes it: padded with `=` to a multiple of four
    /// characters exactly as an encoder pads it, or not padded at all.
    #[error("the {0} segment is not base64url as a load balancer encodes it")]
    AlbBase64(Segment),
    /// A segment is not valid JSON.
    #[error("the {0} segment is not valid JSON")]
    Json(Segment),
    /// A segment is JSON but not an object.
    #[error("the {0} segment is not a JSON object")]
    NotAnObject(Segment),
    /// A member name appears twice in the header or the claims.
    #[error("the {segment} has a duplicate member {name:?}")]
    DuplicateMember {
        /// Where the duplicate is.
        segment: Segment,
        /// The repeated member name (capped).
        name: String,
    },
}

/// Why the JOSE header was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// No `alg`, or not a string.
    #[error("the header has no string `alg`")]
    MissingAlgorithm,
    /// `alg` is not on this issuer's allowlist (this includes `none` in any case and HMAC).
    #[error("algorithm {alg:?} is not allowed")]
    AlgorithmNotAllowed {
        /// The algorithm the token asked for (capped).
        alg: String,
    },
    /// No `kid`, or not a string.
    #[error("the header has no string `kid`")]
    MissingKeyId,
    /// `kid` is empty or longer than the cap.
    #[error("the header `kid` is empty or longer than {max} bytes")]
    InvalidKeyId {
        /// The cap.
        max: usize,
    },
    /// The `kid` of an ALB data token is not a safe URL path segment
    /// (letters, digits, `-`, `_`, `.` and `~`, not `.` or `..`): it is never
    /// put into the key URL.
    #[error("the header `kid` is not a safe URL path segment")]
    KeyIdNotPathSegment,
    /// An ALB data token's header lacks a member the load balancer always
    /// sends (`signer`, `client`, `iss` as strings, `exp` as an integer).
    #[error("the load balancer header has no `{0}` of the right type")]
    MissingAlbField(&'static str),
    /// `crit` names extensions, none of which this verifier understands (RFC 7515 §4.1.11).
    #[error("the header has a `crit` member; no critical extension is supported")]
    CriticalExtension,
    /// `b64: false` (RFC 7797 unencoded payload) is never accepted.
    #[error("the header asks for an unencoded payload (`b64`), which is not accepted")]
    UnencodedPayload,
    /// `cty: JWT`: a nested token, which is never unwrapped.
    #[error("nested tokens (`cty: JWT`) are not accepted")]
    NestedToken,
    /// The issuer requires a `typ` (RFC 9068 strict mode) and the token has another one.
    #[error("the header `typ` is not the required {expected:?}")]
    WrongType {
        /// What the issuer requires.
        expected: &'static str,
    },
}

/// Why a claim was refused after the signature checked out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimError {
    /// A required claim is absent.
    #[error("the token has no `{0}` claim")]
    Missing(&'static str),
    /// A claim has the wrong JSON type or is out of range.
    #[error("the `{claim}` claim must be {expected}")]
    Invalid {
        /// The claim.
        claim: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// `exp` has passed (beyond the leeway).
    #[error("the token expired at {exp} (now {now})")]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `nbf` is in the future (beyond the leeway).
    #[error("the token is not valid before {nbf} (now {now})")]
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `iat` is in the future (beyond the leeway).
    #[error("the token was issued in the future, at {iat} (now {now})")]
    IssuedInFuture {
        /// The token's `iat`.
        iat: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `iss` is not one of the configured issuers.
    #[error("issuer {iss:?} is not trusted")]
    UntrustedIssuer {
        /// The token's issuer (capped).
        iss: String,
    },
    /// `token_use` is not what the verifier or route requires.
    #[error("token_use is {actual:?}, expected {expected}")]
    WrongTokenUse {
        /// What was required (`id`, `access`, or `id or access`).
        expected: &'static str,
        /// What the token says (capped).
        actual: String,
    },
    /// The app client (`aud` of an ID token, `client_id` of an access token) is not allowed.
    #[error("client {client_id:?} is not allowed")]
    ClientNotAllowed {
        /// The token's client id (capped).
        client_id: String,
    },
    /// The access token's `aud` does not contain the required audience (RFC 8707 resource binding).
    #[error("the token's audience does not include {expected:?}")]
    AudienceMismatch {
        /// The audience this API requires.
        expected: String,
    },
}

/// A rejected request or token. See the module docs for the HTTP mapping.
///
/// Each variant has a stable [`kind`](Error::kind) (for logs and metrics),
/// one [`ErrorClass`] (the HTTP answer) and a fixed
/// [`client_description`](Error::client_description); the `Display` text,
/// which may quote claim values (escaped, capped, never the token), is for
/// logs only.
///
/// ```
/// use cognito_jwt::{ClaimError, Error, ErrorClass};
///
/// let expired: Error = ClaimError::Expired { exp: 100, now: 200 }.into();
/// assert_eq!(expired.class(), ErrorClass::InvalidToken);
/// assert_eq!(expired.class().status(), 401);
/// assert_eq!(expired.class().error_code(), Some("invalid_token"));
/// assert_eq!(expired.kind(), "expired");
/// assert_eq!(expired.to_string(), "unacceptable claims: the token expired at 100 (now 200)");
///
/// let no_token = Error::MissingToken;
/// assert_eq!(no_token.class().status(), 401);
/// assert_eq!(no_token.class().error_code(), None); // a bare challenge (RFC 6750 §3.1)
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request carries no bearer token.
    #[error("no bearer token in the request")]
    MissingToken,
    /// The `Authorization` header (or another configured source) is not valid RFC 6750 syntax.
    #[error("malformed credentials: {0}")]
    MalformedCredentials(&'static str),
    /// The request carries a token in more than one place, or more than one `Authorization` header.
    #[error("the request carries more than one credential")]
    MultipleCredentials,
    /// The token is longer than the configured cap; it was not parsed.
    #[error("the token is {size} bytes, more than the {max} allowed")]
    TokenTooLarge {
        /// The token's length.
        size: usize,
        /// The cap.
        max: usize,
    },
    /// The token is not a well-formed compact JWS.
    #[error("malformed token: {0}")]
    Malformed(#[from] MalformedToken),
    /// The JOSE header is not acceptable.
    #[error("unacceptable header: {0}")]
    Header(#[from] HeaderError),
    /// No key with the token's `kid`: not in its issuer's key set even after
    /// a refetch (or during the unknown-`kid` cooldown), or, for an ALB data
    /// token, not published by the load balancer key host (its answer for
    /// the `kid` was remembered: no fetch). A `kid` not fetched yet because
    /// the fetch budget was spent is [`Error::KeysUnavailable`].
    #[error("no key with kid {kid:?} from the token's issuer or load balancer")]
    UnknownKey {
        /// The `kid` (capped).
        kid: String,
    },
    /// The key with the token's `kid` cannot be used with the token's algorithm
    /// (wrong key type, or the JWK pins another `alg`).
    #[error("key {kid:?} cannot verify {alg}")]
    KeyAlgorithmMismatch {
        /// The `kid` (capped).
        kid: String,
        /// The header algorithm.
        alg: &'static str,
    },
    /// The signature does not verify.
    #[error("the signature does not verify")]
    InvalidSignature,
    /// An ALB data token whose `signer` is not the pinned load balancer ARN.
    #[error("load balancer {signer:?} is not trusted")]
    UntrustedSigner {
        /// The token's `signer` (capped).
        signer: String,
    },
    /// A claim is not acceptable.
    #[error("unacceptable claims: {0}")]
    Claim(#[from] ClaimError),
    /// The token lacks scopes the route requires.
    #[error("missing scope: requires {} of {:?}", if *all { "all" } else { "one" }, required)]
    InsufficientScope {
        /// The scopes the route asks for.
        required: Vec<String>,
        /// Whether all of them are needed (`true`) or any one (`false`).
        all: bool,
    },
    /// The user is not in the groups the route requires (`cognito:groups`).
    #[error("missing group: requires {} of {:?}", if *all { "all" } else { "one" }, required)]
    MissingGroup {
        /// The groups the route asks for.
        required: Vec<String>,
        /// Whether all of them are needed (`true`) or any one (`false`).
        all: bool,
    },
    /// A custom authorization check refused the token.
    #[error("forbidden: {0:?}")]
    Forbidden(String),
    /// The issuer's keys cannot be had right now (endpoint down, slow, garbage, or no usable key)
    /// and there is no last good key set to fall back on.
    #[error("keys for issuer {issuer:?} are unavailable: {reason}")]
    KeysUnavailable {
        /// The issuer whose keys are missing.
        issuer: String,
        /// What went wrong with the last fetch.
        reason: String,
        /// When it is worth trying again.
        retry_after: Duration,
    },
    /// The token was revoked (a [`Revocation`](crate::revocation::Revocation)
    /// rule matches it): 401 `invalid_token`.
    #[error("the token was revoked (a {rule} rule matches it)")]
    Revoked {
        /// Which kind of rule: `token`, `family`, `subject` or `client`.
        rule: &'static str,
    },
    /// The revocation rules are kept current by a store that has not
    /// confirmed them within their bound (see
    /// [`RevocationsBuilder::fail_closed_after`](crate::revocation::RevocationsBuilder::fail_closed_after)):
    /// 503, as when keys are unavailable.
    #[error("the revocation list is out of date (last confirmed {age:?} ago)")]
    RevocationsUnavailable {
        /// How long since it was last confirmed; `None`: never.
        age: Option<Duration>,
        /// When it is worth trying again.
        retry_after: Duration,
    },
    /// The server is misconfigured: an extractor or route layer runs without
    /// the authentication middleware in front of it, or a route's policy is
    /// invalid. Answered with 500 and logged as an error.
    #[error("server misconfiguration: {0}")]
    Misconfigured(&'static str),
}

/// The error for verified claims that do not deserialize into the type a
/// caller asked for ([`Verifier::verify_as`](crate::Verifier::verify_as) and
/// the adapters' `ClaimsAs<T>`).
pub(crate) fn custom_type_error() -> Error {
    ClaimError::Invalid {
        claim: "(custom claims type)",
        expected: "claims matching the requested type",
    }
    .into()
}

/// Longest untrusted value copied into an error message.
const CAP: usize = 128;

/// Copy at most [`CAP`] bytes of an untrusted string, on a char boundary.
pub(crate) fn capped(s: &str) -> String {
    if s.len() <= CAP {
        return s.to_owned();
    }
    let mut end = CAP;
    while !s.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    let mut out = String::with_capacity(end.saturating_add(3));
    out.push_str(s.get(..end).unwrap_or_default());
    out.push('…');
    out
}

impl Error {
    /// The class of this error, which decides the HTTP answer.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::MissingToken => ErrorClass::MissingCredentials,
            Error::MalformedCredentials(_) | Error::MultipleCredentials => {
                ErrorClass::InvalidRequest
            }
            Error::TokenTooLarge { .. }
            | Error::Malformed(_)
            | Error::Header(_)
            | Error::UnknownKey { .. }
            | Error::KeyAlgorithmMismatch { .. }
            | Error::InvalidSignature
            | Error::UntrustedSigner { .. }
            | Error::Claim(_)
            | Error::Revoked { .. } => ErrorClass::InvalidToken,
            Error::InsufficientScope { .. } | Error::MissingGroup { .. } | Error::Forbidden(_) => {
                ErrorClass::InsufficientScope
            }
            Error::KeysUnavailable { .. } | Error::RevocationsUnavailable { .. } => {
                ErrorClass::Unavailable
            }
            Error::Misconfigured(_) => ErrorClass::Misconfigured,
        }
    }

    /// A short, fixed text that is safe to send to any client: it never contains
    /// anything taken from the token or from configuration.
    pub fn client_description(&self) -> &'static str {
        match self {
            Error::MissingToken => "authentication required",
            Error::MalformedCredentials(crate::token_source::ALB_DATA_MALFORMED) => {
                "malformed x-amzn-oidc-data header"
            }
            Error::MalformedCredentials(_) => "malformed Authorization header",
            Error::MultipleCredentials => "more than one credential in the request",
            Error::TokenTooLarge { .. } => "the token is too large",
            Error::Malformed(_) => "the token is malformed",
            Error::Header(HeaderError::AlgorithmNotAllowed { .. }) => {
                "the token's algorithm is not allowed"
            }
            Error::Header(_) => "the token header is not acceptable",
            Error::UnknownKey { .. } => "the token is signed with an unknown key",
            Error::KeyAlgorithmMismatch { .. } => "the token's key does not fit its algorithm",
            Error::InvalidSignature => "the token signature is invalid",
            Error::UntrustedSigner { .. } => {
                "the token was signed by a load balancer that is not trusted"
            }
            Error::Claim(ClaimError::Expired { .. }) => "the token has expired",
            Error::Claim(ClaimError::NotYetValid { .. }) => "the token is not yet valid",
            Error::Claim(ClaimError::IssuedInFuture { .. }) => "the token is issued in the future",
            Error::Claim(ClaimError::UntrustedIssuer { .. }) => "the token issuer is not trusted",
            Error::Claim(ClaimError::WrongTokenUse { .. }) => {
                "the token is not of the kind this resource accepts"
            }
            Error::Claim(ClaimError::ClientNotAllowed { .. }) => {
                "the token was issued to a client that is not allowed"
            }
            Error::Claim(ClaimError::AudienceMismatch { .. }) => {
                "the token is not intended for this resource"
            }
            Error::Claim(_) => "the token claims are not acceptable",
            Error::InsufficientScope { .. } => "the token lacks the required scope",
            Error::MissingGroup { .. } => "the user is not in the required group",
            Error::Forbidden(_) => "the token does not grant access to this resource",
            Error::KeysUnavailable { .. } | Error::RevocationsUnavailable { .. } => {
                "the token cannot be verified right now"
            }
            Error::Revoked { .. } => "the token has been revoked",
            Error::Misconfigured(_) => "authentication is not configured for this route",
        }
    }

    /// For [`Error::KeysUnavailable`], how long a client should wait before retrying.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::KeysUnavailable { retry_after, .. }
            | Error::RevocationsUnavailable { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// For scope failures, the scopes to name in the `scope="…"` challenge attribute.
    pub fn required_scopes(&self) -> Option<&[String]> {
        match self {
            Error::InsufficientScope { required, .. } => Some(required),
            _ => None,
        }
    }

    /// A stable, machine-readable name of the variant, for logs and metrics
    /// (for example `"expired"` or `"unknown_key"`).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::MissingToken => "missing_token",
            Error::MalformedCredentials(_) => "malformed_credentials",
            Error::MultipleCredentials => "multiple_credentials",
            Error::TokenTooLarge { .. } => "token_too_large",
            Error::Malformed(_) => "malformed_token",
            Error::Header(HeaderError::AlgorithmNotAllowed { .. }) => "algorithm_not_allowed",
            Error::Header(_) => "bad_header",
            Error::UnknownKey { .. } => "unknown_key",
            Error::KeyAlgorithmMismatch { .. } => "key_algorithm_mismatch",
            Error::InvalidSignature => "invalid_signature",
            Error::UntrustedSigner { .. } => "untrusted_signer",
            Error::Claim(ClaimError::Expired { .. }) => "expired",
            Error::Claim(ClaimError::NotYetValid { .. }) => "not_yet_valid",
            Error::Claim(ClaimError::IssuedInFuture { .. }) => "issued_in_future",
            Error::Claim(ClaimError::UntrustedIssuer { .. }) => "untrusted_issuer",
            Error::Claim(ClaimError::WrongTokenUse { .. }) => "wrong_token_use",
            Error::Claim(ClaimError::ClientNotAllowed { .. }) => "client_not_allowed",
            Error::Claim(ClaimError::AudienceMismatch { .. }) => "audience_mismatch",
            Error::Claim(_) => "bad_claim",
            Error::InsufficientScope { .. } => "insufficient_scope",
            Error::MissingGroup { .. } => "missing_group",
            Error::Forbidden(_) => "forbidden",
            Error::KeysUnavailable { .. } => "keys_unavailable",
            Error::Revoked { .. } => "revoked",
            Error::RevocationsUnavailable { .. } => "revocations_unavailable",
            Error::Misconfigured(_) => "misconfigured",
        }
    }
}

/// Why a [`VerifierBuilder`](crate::VerifierBuilder) refused to build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A user pool id is not `{region}_{alphanumeric}`.
    #[error(
        "invalid user pool id {0:?}: expected {{region}}_{{alphanumeric}}, e.g. us-east-1_AbCdEf123 (use Issuer::url for emulators)"
    )]
    InvalidUserPoolId(String),
    /// An issuer or JWKS URL cannot be parsed or is not acceptable.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `client_ids` was given an empty list (use `any_client()` to accept every client).
    #[error("client_ids is empty; name at least one app client, or call any_client() explicitly")]
    NoClientIds,
    /// An issuer was configured with an empty algorithm list.
    #[error("issuer {0:?} allows no algorithm")]
    NoAlgorithms(String),
    /// The same issuer string was configured twice.
    #[error("issuer {0:?} is configured twice")]
    DuplicateIssuer(String),
    /// A static JWKS has no usable key.
    #[error("the static JWKS for {issuer:?} has no usable key: {reason}")]
    StaticJwks {
        /// The issuer.
        issuer: String,
        /// Why no key could be used.
        reason: String,
    },
    /// A load balancer ARN is not
    /// `arn:{partition}:elasticloadbalancing:{region}:{account}:loadbalancer/app/…`.
    #[error(
        "invalid load balancer ARN {0:?}: expected arn:aws:elasticloadbalancing:{{region}}:{{account}}:loadbalancer/app/{{name}}/{{id}}"
    )]
    InvalidAlbArn(String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
    /// An option is out of its range or meaningless (a leeway over 5
    /// minutes, a zero interval, `min_backoff` above `max_backoff`).
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The option.
        option: &'static str,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// A list of scopes, groups or audiences is empty or holds an unusable
    /// name: an empty list read from configuration must not silently open
    /// or close a route.
    #[error("invalid list of {what}: {reason}")]
    InvalidList {
        /// Which list (`scopes`, `groups`, `audiences`).
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

//! Verified claims: what a handler gets once a token has passed every check.
//!
//! Verification parses only the claims it needs to decide ([`Claims`] keeps
//! the exact signed payload). The typed views [`IdTokenClaims`] and
//! [`AccessTokenClaims`], the map of every claim, and your own types are
//! deserialised from that payload on first use.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::error::{ClaimError, Error, MalformedToken, Segment, capped};
use crate::json::{ClaimValue, ObjectError, SeenKeys, Skip, json_error};
use crate::jwk::VerifyingKey;

/// What a Cognito token is for, from its `token_use` claim.
///
/// ```
/// use cognito_jwt::TokenUse;
/// assert_eq!(TokenUse::Access.as_str(), "access");
/// assert_eq!(TokenUse::Id.to_string(), "id");
/// let parsed: TokenUse = serde_json::from_str(r#""access""#).unwrap();
/// assert_eq!(parsed, TokenUse::Access);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenUse {
    /// An ID token: who the user is (`aud` is the app client).
    Id,
    /// An access token: what the bearer may do (`client_id` is the app client, `scope` the grants).
    Access,
}

impl TokenUse {
    /// `"id"` or `"access"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenUse::Id => "id",
            TokenUse::Access => "access",
        }
    }
}

impl fmt::Display for TokenUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Largest NumericDate accepted: 9999-12-31T23:59:59Z.
pub(crate) const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

/// The claims validation needs, read in one pass over the signed payload.
/// Strings borrow from the payload; [`CoreClaims::detach`] turns the ones
/// [`Claims`] keeps into spans before the payload moves into it.
#[derive(Debug, Default)]
pub(crate) struct CoreClaims<'de> {
    pub(crate) iss: Option<Cow<'de, str>>,
    pub(crate) sub: Option<Cow<'de, str>>,
    pub(crate) token_use: Option<Cow<'de, str>>,
    pub(crate) client_id: Option<Cow<'de, str>>,
    pub(crate) aud: Vec<Cow<'de, str>>,
    pub(crate) scope: Option<Cow<'de, str>>,
    pub(crate) groups: Vec<Cow<'de, str>>,
    pub(crate) username: Option<Cow<'de, str>>,
    pub(crate) cognito_username: Option<Cow<'de, str>>,
    /// The authorized party of an ID token (OpenID Connect Core 2).
    pub(crate) azp: Option<Cow<'de, str>>,
    pub(crate) jti: Option<Cow<'de, str>>,
    pub(crate) origin_jti: Option<Cow<'de, str>>,
    pub(crate) exp: Option<i64>,
    pub(crate) nbf: Option<i64>,
    pub(crate) iat: Option<i64>,
    /// The first claim of the wrong type, reported once the signature is known to be good.
    pub(crate) type_error: Option<ClaimError>,
    /// `iss` is present but not a string (needed before the signature, to route).
    pub(crate) iss_invalid: bool,
}

/// A claim string kept in [`Claims`]: a byte range of the payload when the
/// parser could borrow it, owned when it had escapes.
#[derive(Debug, Clone)]
pub(crate) enum Text {
    Span(usize, usize),
    Owned(Box<str>),
}

impl Text {
    fn of(value: Cow<'_, str>, payload: &str) -> Text {
        if let Cow::Borrowed(b) = &value {
            let start = (b.as_ptr() as usize).wrapping_sub(payload.as_ptr() as usize);
            let end = start.wrapping_add(b.len());
            if payload
                .get(start..end)
                .is_some_and(|s| std::ptr::eq(s.as_ptr(), b.as_ptr()))
            {
                return Text::Span(start, end);
            }
        }
        Text::Owned(value.into_owned().into_boxed_str())
    }

    fn get<'a>(&'a self, payload: &'a str) -> &'a str {
        match self {
            Text::Span(start, end) => payload.get(*start..*end).unwrap_or_default(),
            Text::Owned(s) => s,
        }
    }
}

/// The validated claims a [`Claims`] keeps.
#[derive(Debug, Default, Clone)]
pub(crate) struct Kept {
    iss: Option<Text>,
    sub: Option<Text>,
    client_id: Option<Text>,
    scope: Option<Text>,
    username: Option<Text>,
    cognito_username: Option<Text>,
    azp: Option<Text>,
    jti: Option<Text>,
    origin_jti: Option<Text>,
    aud: Vec<Text>,
    groups: Vec<Text>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
}

/// A member name of the payload: one of the core claims, or any other name
/// (borrowed from the input when it has no escapes). Escaped names are
/// matched after unescaping, as the typed views and [`Claims::all`] see them.
enum Member<'de> {
    Core(Field),
    Other(Cow<'de, str>),
}

impl<'de> Deserialize<'de> for Member<'de> {
    #[inline(always)]
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MemberVisitor;
        impl<'de> Visitor<'de> for MemberVisitor {
            type Value = Member<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Member<'de>, E> {
                Ok(Field::of(v).map_or(Member::Other(Cow::Borrowed(v)), Member::Core))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Member<'de>, E> {
                Ok(Field::of(v)
                    .map_or_else(|| Member::Other(Cow::Owned(v.to_owned())), Member::Core))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Member<'de>, E> {
                Ok(Field::of(&v).map_or(Member::Other(Cow::Owned(v)), Member::Core))
            }
        }
        d.deserialize_str(MemberVisitor)
    }
}

/// Which way a fractional NumericDate is rounded: toward the stricter side
/// of the check it is used in, so no fraction of a second is ever granted.
#[derive(Clone, Copy)]
enum Round {
    /// `exp`: a token valid until 10.5 is expired from 10 on.
    Down,
    /// `nbf`, `iat`: a token valid from 10.1 is valid from 11 on.
    Up,
}

fn numeric_date(claim: &'static str, v: ClaimValue<'_>, round: Round) -> Result<i64, ClaimError> {
    let invalid = ClaimError::Invalid {
        claim,
        expected: "a NumericDate: seconds since 1970 between 0 and 253402300799",
    };
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the value is checked to lie in 0..=MAX_NUMERIC_DATE first"
    )]
    let secs = match v {
        ClaimValue::Int(i) => i,
        ClaimValue::Float(f) if (0.0..=MAX_NUMERIC_DATE as f64).contains(&f) => match round {
            Round::Down => f.floor() as i64,
            Round::Up => f.ceil() as i64,
        },
        _ => return Err(invalid),
    };
    if (0..=MAX_NUMERIC_DATE).contains(&secs) {
        Ok(secs)
    } else {
        Err(invalid)
    }
}

fn borrowed_claim<'de>(
    claim: &'static str,
    v: ClaimValue<'de>,
) -> Result<Cow<'de, str>, ClaimError> {
    match v {
        ClaimValue::Str(s) => Ok(s),
        _ => Err(ClaimError::Invalid {
            claim,
            expected: "a string",
        }),
    }
}

fn string_list<'de>(
    claim: &'static str,
    v: ClaimValue<'de>,
    allow_single: bool,
) -> Result<Vec<Cow<'de, str>>, ClaimError> {
    match v {
        ClaimValue::Str(s) if allow_single => Ok(vec![s]),
        ClaimValue::List(items) => Ok(items),
        _ => Err(ClaimError::Invalid {
            claim,
            expected: if allow_single {
                "a string or an array of strings"
            } else {
                "an array of strings"
            },
        }),
    }
}

impl<'de> CoreClaims<'de> {
    /// The claims kept in [`Claims`]. Strings become spans of `payload` (the
    /// string this was parsed from), so keeping them allocates nothing.
    pub(crate) fn detach(self, payload: &str) -> Kept {
        let text = |c: Option<Cow<'_, str>>| c.map(|c| Text::of(c, payload));
        Kept {
            iss: text(self.iss),
            sub: text(self.sub),
            client_id: text(self.client_id),
            scope: text(self.scope),
            username: text(self.username),
            cognito_username: text(self.cognito_username),
            azp: text(self.azp),
            jti: text(self.jti),
            origin_jti: text(self.origin_jti),
            aud: self.aud.into_iter().map(|c| Text::of(c, payload)).collect(),
            groups: self
                .groups
                .into_iter()
                .map(|c| Text::of(c, payload))
                .collect(),
            exp: self.exp,
            nbf: self.nbf,
            iat: self.iat,
        }
    }

    #[inline(always)]
    fn set(&mut self, field: Field, value: ClaimValue<'de>) {
        let name = field.name();
        let result = match field {
            Field::Iss => borrowed_claim(name, value)
                .map(|s| self.iss = Some(s))
                .inspect_err(|_| self.iss_invalid = true),
            Field::Sub => borrowed_claim(name, value).map(|s| self.sub = Some(s)),
            Field::TokenUse => borrowed_claim(name, value).map(|s| self.token_use = Some(s)),
            Field::ClientId => borrowed_claim(name, value).map(|s| self.client_id = Some(s)),
            Field::Scope => borrowed_claim(name, value).map(|s| self.scope = Some(s)),
            Field::Username => borrowed_claim(name, value).map(|s| self.username = Some(s)),
            Field::CognitoUsername => {
                borrowed_claim(name, value).map(|s| self.cognito_username = Some(s))
            }
            Field::Aud => string_list(name, value, true).map(|l| self.aud = l),
            Field::Groups => string_list(name, value, false).map(|l| self.groups = l),
            Field::Azp => borrowed_claim(name, value).map(|s| self.azp = Some(s)),
            Field::Jti => borrowed_claim(name, value).map(|s| self.jti = Some(s)),
            Field::OriginJti => borrowed_claim(name, value).map(|s| self.origin_jti = Some(s)),
            // Read only for its type: a number or an object where Cognito
            // sends a string is a token nobody issued.
            Field::EventId => borrowed_claim(name, value).map(|_| ()),
            Field::Exp => numeric_date(name, value, Round::Down).map(|t| self.exp = Some(t)),
            Field::Nbf => numeric_date(name, value, Round::Up).map(|t| self.nbf = Some(t)),
            Field::Iat => numeric_date(name, value, Round::Up).map(|t| self.iat = Some(t)),
        };
        if let Err(e) = result {
            self.type_error.get_or_insert(e);
        }
    }

    /// Parse the decoded payload into `self` (a default value): written in
    /// place, never moved through the parser's layers. Structural problems
    /// are errors now; claims of the wrong type are kept in `type_error` for
    /// after the signature check.
    pub(crate) fn parse_into(&mut self, payload: &'de str) -> Result<(), Error> {
        struct CoreSeed<'a, 'de>(&'a mut CoreClaims<'de>);
        impl<'de> DeserializeSeed<'de> for CoreSeed<'_, 'de> {
            type Value = Result<(), ObjectError>;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_map(self)
            }
        }
        impl<'de> Visitor<'de> for CoreSeed<'_, 'de> {
            type Value = Result<(), ObjectError>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut seen = SeenKeys::new();
                let mut duplicate = None;
                while let Some(member) = map.next_key::<Member<'de>>()? {
                    let fresh = match &member {
                        Member::Core(field) => seen.insert_known(*field as u32),
                        Member::Other(name) => seen.insert(name),
                    };
                    match member {
                        Member::Core(field) if fresh => {
                            let value = map.next_value::<ClaimValue<'de>>()?;
                            self.0.set(field, value);
                        }
                        // Depth-limited, so every payload that verifies can be read again.
                        Member::Other(_) if fresh => map.next_value::<Skip>().map(|_| ())?,
                        member => {
                            map.next_value::<IgnoredAny>()?;
                            duplicate.get_or_insert_with(|| match &member {
                                Member::Core(field) => field.name().to_owned(),
                                Member::Other(name) => capped(name),
                            });
                        }
                    }
                }
                Ok(duplicate.map_or(Ok(()), |name| Err(ObjectError::Duplicate(name))))
            }
        }
        // From a `str`: serde_json does not validate UTF-8 again string by
        // string. The same steps as `serde_json::from_str`, with a seed.
        let mut de = serde_json::Deserializer::from_str(payload);
        let outcome = CoreSeed(self)
            .deserialize(&mut de)
            .and_then(|outcome| de.end().map(|()| outcome));
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(ObjectError::Duplicate(name))) => Err(MalformedToken::DuplicateMember {
                segment: Segment::Payload,
                name,
            }
            .into()),
            Err(e) => Err(json_error(Segment::Payload, &e).into()),
        }
    }
}

/// The claims validation reads; every other member is skipped.
#[derive(Debug, Clone, Copy)]
enum Field {
    Iss,
    Sub,
    TokenUse,
    ClientId,
    Scope,
    Username,
    CognitoUsername,
    Aud,
    Groups,
    Azp,
    Jti,
    OriginJti,
    EventId,
    Exp,
    Nbf,
    Iat,
}

impl Field {
    fn of(name: &str) -> Option<Field> {
        Some(match name {
            "iss" => Field::Iss,
            "sub" => Field::Sub,
            "token_use" => Field::TokenUse,
            "client_id" => Field::ClientId,
            "scope" => Field::Scope,
            "username" => Field::Username,
            "cognito:username" => Field::CognitoUsername,
            "aud" => Field::Aud,
            "cognito:groups" => Field::Groups,
            "azp" => Field::Azp,
            "jti" => Field::Jti,
            "origin_jti" => Field::OriginJti,
            "event_id" => Field::EventId,
            "exp" => Field::Exp,
            "nbf" => Field::Nbf,
            "iat" => Field::Iat,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Field::Iss => "iss",
            Field::Sub => "sub",
            Field::TokenUse => "token_use",
            Field::ClientId => "client_id",
            Field::Scope => "scope",
            Field::Username => "username",
            Field::CognitoUsername => "cognito:username",
            Field::Aud => "aud",
            Field::Groups => "cognito:groups",
            Field::Azp => "azp",
            Field::Jti => "jti",
            Field::OriginJti => "origin_jti",
            Field::EventId => "event_id",
            Field::Exp => "exp",
            Field::Nbf => "nbf",
            Field::Iat => "iat",
        }
    }
}

/// The verified claims of a token. Cheap to clone (one `Arc`).
///
/// Common claims have accessors; [`Claims::id_token`] and
/// [`Claims::access_token`] give typed views of everything Cognito documents;
/// [`Claims::deserialize`] reads the claims into your own type.
///
/// ```
/// # use cognito_jwt::{Verifier, TokenUse};
/// # async fn handler(verifier: Verifier, token: &str) -> Result<(), cognito_jwt::Error> {
/// let claims = verifier.verify(token).await?;
/// if claims.token_use() == TokenUse::Access && claims.has_scope("orders/read") {
///     println!("{} may read orders", claims.sub());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Claims(Arc<ClaimsInner>);

#[derive(Clone)]
struct ClaimsInner {
    core: Kept,
    token_use: TokenUse,
    exp: i64,
    /// The key that verified the signature (its `kid` is the token's).
    key: Arc<VerifyingKey>,
    alg: Algorithm,
    /// The signed payload, exactly as decoded.
    payload: String,
    id: OnceLock<Option<Box<IdTokenClaims>>>,
    access: OnceLock<Option<Box<AccessTokenClaims>>>,
    all: OnceLock<Box<Map<String, Value>>>,
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("token_use", &self.0.token_use)
            .field("sub", &self.sub())
            .field("iss", &self.issuer())
            .field("client_id", &self.client_id())
            .field("exp", &self.0.exp)
            .field("kid", &self.0.key.kid)
            .finish_non_exhaustive()
    }
}

impl Claims {
    /// Build from validated parts. `core` has passed every check.
    pub(crate) fn new(
        core: Kept,
        token_use: TokenUse,
        key: Arc<VerifyingKey>,
        alg: Algorithm,
        payload: String,
    ) -> Claims {
        let exp = core.exp.unwrap_or_default();
        Claims(Arc::new(ClaimsInner {
            core,
            token_use,
            exp,
            key,
            alg,
            payload,
            id: OnceLock::new(),
            access: OnceLock::new(),
            all: OnceLock::new(),
        }))
    }

    /// The same claims in an allocation of their own (the verified-token
    /// cache gives each thread one, so that threads serving one token do not
    /// share a reference count).
    pub(crate) fn own_copy(&self) -> Claims {
        Claims(Arc::new(ClaimsInner::clone(&self.0)))
    }

    fn text<'a>(&'a self, t: &'a Option<Text>) -> Option<&'a str> {
        t.as_ref().map(|t| t.get(&self.0.payload))
    }

    pub(crate) fn not_before(&self) -> Option<i64> {
        self.0.core.nbf
    }

    /// `id` or `access`.
    pub fn token_use(&self) -> TokenUse {
        self.0.token_use
    }

    /// The subject (`sub`): the user's id, or the app client id for machine tokens.
    pub fn sub(&self) -> &str {
        self.text(&self.0.core.sub).unwrap_or_default()
    }

    /// The issuer (`iss`), exactly as in the token.
    pub fn issuer(&self) -> &str {
        self.text(&self.0.core.iss).unwrap_or_default()
    }

    /// The app client the token was issued to: `client_id` of an access
    /// token; of an ID token, `azp` when present (it must be, with several
    /// audiences), else its one `aud`.
    pub fn client_id(&self) -> Option<&str> {
        match self.0.token_use {
            TokenUse::Access => self.text(&self.0.core.client_id),
            TokenUse::Id => self
                .text(&self.0.core.azp)
                .or_else(|| self.0.core.aud.first().map(|t| t.get(&self.0.payload))),
        }
    }

    /// The token's own id (`jti`), if it has one.
    pub fn jti(&self) -> Option<&str> {
        self.text(&self.0.core.jti)
    }

    /// The id shared by every token of one sign-in session (`origin_jti`):
    /// Cognito's RevokeToken on the session's refresh token revokes them all.
    pub fn origin_jti(&self) -> Option<&str> {
        self.text(&self.0.core.origin_jti)
    }

    /// The user name: `username` of an access token, `cognito:username` of an ID token.
    /// `None` for machine (client credentials) tokens.
    pub fn username(&self) -> Option<&str> {
        match self.0.token_use {
            TokenUse::Access => self.text(&self.0.core.username),
            TokenUse::Id => self.text(&self.0.core.cognito_username),
        }
    }

    /// The audiences (`aud`) as a list; empty when absent.
    pub fn audience(&self) -> impl Iterator<Item = &str> {
        self.0.core.aud.iter().map(|t| t.get(&self.0.payload))
    }

    /// The `scope` claim as sent (space-separated), if any.
    pub fn scope(&self) -> Option<&str> {
        self.text(&self.0.core.scope)
    }

    /// The scopes of an access token, split on spaces. None for an ID
    /// token, even one that carries a `scope` claim: scopes say what a
    /// client may do, and ID tokens grant nothing (see the [`manual`](crate::manual)).
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.0
            .core
            .scope
            .as_ref()
            .filter(|_| self.0.token_use == TokenUse::Access)
            .map(|t| t.get(&self.0.payload))
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
    }

    /// Whether the access token carries exactly this scope (case-sensitive,
    /// whole-word); always `false` for an ID token.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }

    /// The user's groups (`cognito:groups`); empty when absent.
    pub fn groups(&self) -> impl Iterator<Item = &str> {
        self.0.core.groups.iter().map(|t| t.get(&self.0.payload))
    }

    /// Whether the user is in this group (exact, case-sensitive).
    pub fn in_group(&self, group: &str) -> bool {
        self.groups().any(|g| g == group)
    }

    /// Expiry (`exp`), seconds since the Unix epoch.
    pub fn expires_at(&self) -> i64 {
        self.0.exp
    }

    /// Issued-at (`iat`), if present.
    pub fn issued_at(&self) -> Option<i64> {
        self.0.core.iat
    }

    /// The `kid` of the key that signed the token.
    pub fn key_id(&self) -> &str {
        &self.0.key.kid
    }

    /// The algorithm the token was signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.0.alg
    }

    /// The signed payload, exactly as decoded (JSON text).
    pub fn payload_json(&self) -> &str {
        &self.0.payload
    }

    /// Every claim, including those added by pre-token-generation triggers.
    pub fn all(&self) -> &Map<String, Value> {
        self.0
            .all
            .get_or_init(|| Box::new(serde_json::from_str(&self.0.payload).unwrap_or_default()))
    }

    /// One claim by name, of any kind (for example `"custom:tenant"`).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.all().get(name)
    }

    /// The typed ID-token view, if this is an ID token.
    pub fn id_token(&self) -> Option<&IdTokenClaims> {
        self.0
            .id
            .get_or_init(|| match self.0.token_use {
                TokenUse::Id => serde_json::from_str(&self.0.payload).ok().map(Box::new),
                TokenUse::Access => None,
            })
            .as_deref()
    }

    /// The typed access-token view, if this is an access token.
    pub fn access_token(&self) -> Option<&AccessTokenClaims> {
        self.0
            .access
            .get_or_init(|| match self.0.token_use {
                TokenUse::Access => serde_json::from_str(&self.0.payload).ok().map(Box::new),
                TokenUse::Id => None,
            })
            .as_deref()
    }

    /// Deserialize the verified claims into your own type.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0.payload)
    }
}

/// Accept a value of the expected type, and treat anything else as absent,
/// so one oddly typed optional claim never hides the others.
fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

/// A NumericDate as the verifier reads it: integer seconds, or a non-integer
/// number rounded as verification rounds it; anything else is absent.
fn lenient_number<'de, D: Deserializer<'de>>(d: D, round: Round) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .and_then(|f| numeric_date("", ClaimValue::Float(f), round).ok())
        }),
        _ => None,
    })
}

/// [`lenient_number`] rounding down (`exp`, `auth_time`).
fn lenient_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    lenient_number(d, Round::Down)
}

/// [`lenient_number`] rounding up, as verification reads `iat` (so the
/// typed views say what [`Claims::issued_at`] says).
fn lenient_date_up<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    lenient_number(d, Round::Up)
}

/// [`lenient_date`] for `exp`, which verification has already required.
fn lenient_exp<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    lenient_date(d).map(Option::unwrap_or_default)
}

/// Like [`lenient`] for booleans Cognito sometimes sends as `"true"`/`"false"`.
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    })
}

fn lenient_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => vec![s],
        Value::Array(a) => a
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

/// Every claim Cognito documents for ID tokens (`token_use: "id"`).
///
/// Claims not listed here (custom attributes, trigger additions) are in [`IdTokenClaims::extra`].
///
/// ```
/// use cognito_jwt::{Issuer, TokenUse, Verifier};
/// use cognito_jwt_testkit::TestIssuer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = TestIssuer::cognito();
/// let verifier = Verifier::builder(
///     Issuer::cognito("us-east-1_TestPool1").static_jwks(pool.jwks().to_string()),
/// )
/// .client_ids([pool.client_id()])
/// .token_use(TokenUse::Id)
/// .build()?;
/// let token = pool
///     .id_token()
///     .groups(&["admin"])
///     .claim("email", "alice@example.com")
///     .claim("custom:tenant", "acme")
///     .build();
/// let claims = verifier.verify(&token).await?;
/// let id = claims.id_token().expect("an ID token");
/// assert_eq!(id.email.as_deref(), Some("alice@example.com"));
/// assert_eq!(id.cognito_groups, ["admin"]);
/// assert_eq!(id.extra["custom:tenant"], "acme");
/// assert!(claims.access_token().is_none());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IdTokenClaims {
    /// The user's unique id.
    #[serde(default)]
    pub sub: String,
    /// The issuer.
    #[serde(default)]
    pub iss: String,
    /// The app client id.
    #[serde(default, deserialize_with = "lenient_list")]
    pub aud: Vec<String>,
    /// Always `id`.
    #[serde(default)]
    pub token_use: String,
    /// Expiry.
    #[serde(default, deserialize_with = "lenient_exp")]
    pub exp: i64,
    /// Issued at (a fraction rounded up, as verification reads it).
    #[serde(default, deserialize_with = "lenient_date_up")]
    pub iat: Option<i64>,
    /// When the user authenticated.
    #[serde(default, deserialize_with = "lenient_date")]
    pub auth_time: Option<i64>,
    /// The user name.
    #[serde(rename = "cognito:username", default, deserialize_with = "lenient")]
    pub cognito_username: Option<String>,
    /// Groups the user belongs to.
    #[serde(rename = "cognito:groups", default, deserialize_with = "lenient_list")]
    pub cognito_groups: Vec<String>,
    /// IAM roles of the user's groups.
    #[serde(rename = "cognito:roles", default, deserialize_with = "lenient_list")]
    pub cognito_roles: Vec<String>,
    /// The preferred IAM role.
    #[serde(
        rename = "cognito:preferred_role",
        default,
        deserialize_with = "lenient"
    )]
    pub cognito_preferred_role: Option<String>,
    /// Email address.
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
    /// Whether the email address is verified.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub email_verified: Option<bool>,
    /// Phone number.
    #[serde(default, deserialize_with = "lenient")]
    pub phone_number: Option<String>,
    /// Whether the phone number is verified.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub phone_number_verified: Option<bool>,
    /// Full name.
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Given name.
    #[serde(default, deserialize_with = "lenient")]
    pub given_name: Option<String>,
    /// Family name.
    #[serde(default, deserialize_with = "lenient")]
    pub family_name: Option<String>,
    /// Preferred user name.
    #[serde(default, deserialize_with = "lenient")]
    pub preferred_username: Option<String>,
    /// Federated identities (SAML/OIDC/social), as Cognito sends them.
    #[serde(default, deserialize_with = "lenient")]
    pub identities: Option<Value>,
    /// The nonce from the authorization request.
    #[serde(default, deserialize_with = "lenient")]
    pub nonce: Option<String>,
    /// Access token hash.
    #[serde(default, deserialize_with = "lenient")]
    pub at_hash: Option<String>,
    /// The authentication event id.
    #[serde(default, deserialize_with = "lenient")]
    pub event_id: Option<String>,
    /// Token id.
    #[serde(default, deserialize_with = "lenient")]
    pub jti: Option<String>,
    /// The id of the original authentication (stable across refreshes; used for revocation).
    #[serde(default, deserialize_with = "lenient")]
    pub origin_jti: Option<String>,
    /// Every other claim (`custom:*` attributes, trigger additions).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Every claim Cognito documents for access tokens (`token_use: "access"`).
///
/// Claims not listed here (trigger additions) are in [`AccessTokenClaims::extra`].
///
/// ```
/// use cognito_jwt::{Issuer, TokenUse, Verifier};
/// use cognito_jwt_testkit::TestIssuer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = TestIssuer::cognito();
/// let verifier = Verifier::builder(
///     Issuer::cognito("us-east-1_TestPool1").static_jwks(pool.jwks().to_string()),
/// )
/// .client_ids([pool.client_id()])
/// .token_use(TokenUse::Access)
/// .build()?;
/// let token = pool
///     .access_token()
///     .scopes(&["openid", "orders/read"])
///     // A pre-token-generation trigger may add objects and arrays.
///     .claim("tenant", serde_json::json!({ "id": "acme", "plans": ["pro"] }))
///     .build();
/// let claims = verifier.verify(&token).await?;
/// let access = claims.access_token().expect("an access token");
/// assert_eq!(access.scopes().collect::<Vec<_>>(), ["openid", "orders/read"]);
/// assert_eq!(access.client_id.as_deref(), Some(pool.client_id().as_str()));
/// assert_eq!(access.extra["tenant"]["plans"][0], "pro");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessTokenClaims {
    /// The user's unique id, or the client id for machine tokens.
    #[serde(default)]
    pub sub: String,
    /// The issuer.
    #[serde(default)]
    pub iss: String,
    /// The app client id.
    #[serde(default, deserialize_with = "lenient")]
    pub client_id: Option<String>,
    /// Always `access`.
    #[serde(default)]
    pub token_use: String,
    /// Space-separated scopes.
    #[serde(default, deserialize_with = "lenient")]
    pub scope: Option<String>,
    /// Expiry.
    #[serde(default, deserialize_with = "lenient_exp")]
    pub exp: i64,
    /// Issued at (a fraction rounded up, as verification reads it).
    #[serde(default, deserialize_with = "lenient_date_up")]
    pub iat: Option<i64>,
    /// When the user authenticated.
    #[serde(default, deserialize_with = "lenient_date")]
    pub auth_time: Option<i64>,
    /// The user name (absent for machine tokens).
    #[serde(default, deserialize_with = "lenient")]
    pub username: Option<String>,
    /// Groups the user belongs to.
    #[serde(rename = "cognito:groups", default, deserialize_with = "lenient_list")]
    pub cognito_groups: Vec<String>,
    /// Audience, present only with resource binding (RFC 8707).
    #[serde(default, deserialize_with = "lenient_list")]
    pub aud: Vec<String>,
    /// Token id.
    #[serde(default, deserialize_with = "lenient")]
    pub jti: Option<String>,
    /// The id of the original authentication (stable across refreshes; used for revocation).
    #[serde(default, deserialize_with = "lenient")]
    pub origin_jti: Option<String>,
    /// The authentication event id.
    #[serde(default, deserialize_with = "lenient")]
    pub event_id: Option<String>,
    /// The remembered device's key.
    #[serde(default, deserialize_with = "lenient")]
    pub device_key: Option<String>,
    /// Token format version (observed `2`).
    #[serde(default, deserialize_with = "lenient")]
    pub version: Option<Value>,
    /// Every other claim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AccessTokenClaims {
    /// The scopes, split on spaces.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_members_are_rejected_however_spelled() {
        for payload in [
            r#"{"exp":1,"sub":"a","exp":2}"#,
            r#"{"exp":1,"\u0065xp":2}"#,
            r#"{"jti":"a","sub":"b","jti":"c"}"#,
            r#"{"jti":"a","\u006ati":"c"}"#,
            r#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"a":19}"#,
        ] {
            let mut core = CoreClaims::default();
            let err = core.parse_into(payload).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Malformed(MalformedToken::DuplicateMember {
                        segment: Segment::Payload,
                        ..
                    })
                ),
                "{payload}: {err:?}"
            );
        }
        let mut core = CoreClaims::default();
        core.parse_into(r#"{"exp":1,"sub":"s","jti":"a","x":[1,{"y":2}]}"#)
            .unwrap();
        assert_eq!(core.exp, Some(1));
        assert_eq!(core.sub.as_deref(), Some("s"));
    }
}

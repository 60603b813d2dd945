//! Verified claims: what a handler gets once a token has passed every check.
//!
//! Verification parses only the claims it needs to decide ([`Claims`] keeps
//! the exact signed payload). The typed views [`IdTokenClaims`] and
//! [`AccessTokenClaims`], the map of every claim, and your own types are
//! deserialised from that payload on first use.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::error::{ClaimError, Error, MalformedToken, Segment, capped};

/// What a Cognito token is for, from its `token_use` claim.
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
/// `iss` and `token_use` are only compared, so they borrow from the payload;
/// [`CoreClaims::detach`] drops them before the payload moves into [`Claims`].
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
#[derive(Debug)]
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
#[derive(Debug, Default)]
pub(crate) struct Kept {
    sub: Option<Text>,
    client_id: Option<Text>,
    scope: Option<Text>,
    username: Option<Text>,
    cognito_username: Option<Text>,
    aud: Vec<Text>,
    groups: Vec<Text>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
}

/// A map key that borrows from the input when it can.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Skips one JSON value of any shape, like [`IgnoredAny`], but through
/// `deserialize_any`, so serde_json's nesting limit (128) applies. serde_json
/// skips `IgnoredAny` iteratively with no depth limit, which would let a
/// payload verify while [`Claims::all`] and the typed views, which parse it
/// again with the limit, silently came back empty.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SkipVisitor;
        impl<'de> Visitor<'de> for SkipVisitor {
            type Value = Skip;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
                while seq.next_element::<Skip>()?.is_some() {}
                Ok(Skip)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                Ok(Skip)
            }
        }
        d.deserialize_any(SkipVisitor)
    }
}

/// Tracks member names of one JSON object and reports the first repeat.
/// Names are compared by a cheap fingerprint before any string comparison;
/// past 32 names a hash set keeps hostile inputs cheap.
pub(crate) struct SeenKeys<'de> {
    small: Vec<(u64, Cow<'de, str>)>,
    large: Option<HashSet<Cow<'de, str>>>,
}

/// Length, first eight bytes and last byte: equal names always match, and
/// different claim names almost never do.
fn fingerprint(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut head = [0u8; 8];
    for (slot, b) in head.iter_mut().zip(bytes) {
        *slot = *b;
    }
    u64::from_le_bytes(head)
        ^ ((bytes.len() as u64) << 56)
        ^ bytes.last().map_or(0, |b| u64::from(*b) << 48)
}

impl<'de> SeenKeys<'de> {
    pub(crate) fn new() -> Self {
        SeenKeys {
            small: Vec::with_capacity(24),
            large: None,
        }
    }

    /// Record `key`; `false` if it was already there.
    pub(crate) fn insert(&mut self, key: Cow<'de, str>) -> bool {
        if let Some(set) = &mut self.large {
            return set.insert(key);
        }
        let fp = fingerprint(&key);
        if self.small.iter().any(|(f, k)| *f == fp && *k == key) {
            return false;
        }
        self.small.push((fp, key));
        if self.small.len() > 32 {
            self.large = Some(self.small.drain(..).map(|(_, k)| k).collect());
        }
        true
    }
}

/// The parse failed for a reason that must be reported as such.
pub(crate) enum ObjectError {
    Duplicate(String),
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectError::Duplicate(name) => write!(f, "duplicate member {name}"),
        }
    }
}

/// Visit the members of a JSON object once, rejecting duplicate names.
/// `on_member` reads or skips each value; repeated members are skipped and the
/// first repeat is reported once the whole object has been consumed.
pub(crate) fn visit_object<'de, A, F>(
    mut map: A,
    mut on_member: F,
) -> Result<Result<(), ObjectError>, A::Error>
where
    A: MapAccess<'de>,
    F: FnMut(&str, &mut A) -> Result<(), A::Error>,
{
    let mut seen = SeenKeys::new();
    let mut duplicate = None;
    while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
        if seen.insert(key.clone()) {
            on_member(&key, &mut map)?;
        } else {
            map.next_value::<IgnoredAny>()?;
            duplicate.get_or_insert_with(|| capped(&key));
        }
    }
    Ok(match duplicate {
        Some(name) => Err(ObjectError::Duplicate(name)),
        None => Ok(()),
    })
}

/// Map a serde_json failure on an object segment to the right structural error.
pub(crate) fn json_error(segment: Segment, err: &serde_json::Error) -> MalformedToken {
    if err.is_data() {
        MalformedToken::NotAnObject(segment)
    } else {
        MalformedToken::Json(segment)
    }
}

/// One core claim's value, read straight from the JSON without building a
/// [`Value`]: only strings, numbers and lists of strings are ever acceptable.
pub(crate) enum ClaimValue<'de> {
    Str(Cow<'de, str>),
    Int(i64),
    Float(f64),
    List(Vec<Cow<'de, str>>),
    /// Anything else (bool, null, object, a list with a non-string).
    Other,
}

impl<'de> Deserialize<'de> for ClaimValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ClaimVisitor;
        impl<'de> Visitor<'de> for ClaimVisitor {
            type Value = ClaimValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<ClaimValue<'de>, E> {
                Ok(ClaimValue::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<ClaimValue<'de>, E> {
                Ok(ClaimValue::Other)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ClaimValue<'de>, E> {
                Ok(ClaimValue::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ClaimValue<'de>, E> {
                Ok(i64::try_from(v).map_or(ClaimValue::Float(v as f64), ClaimValue::Int))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ClaimValue<'de>, E> {
                Ok(ClaimValue::Float(v))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<ClaimValue<'de>, E> {
                Ok(ClaimValue::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ClaimValue<'de>, E> {
                Ok(ClaimValue::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<ClaimValue<'de>, E> {
                Ok(ClaimValue::Str(Cow::Owned(v)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ClaimValue<'de>, A::Error> {
                let mut items = Vec::new();
                let mut all_strings = true;
                while let Some(item) = seq.next_element::<ClaimValue<'de>>()? {
                    match item {
                        ClaimValue::Str(s) if all_strings => items.push(s),
                        _ => all_strings = false,
                    }
                }
                Ok(if all_strings {
                    ClaimValue::List(items)
                } else {
                    ClaimValue::Other
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ClaimValue<'de>, A::Error> {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                Ok(ClaimValue::Other)
            }
        }
        d.deserialize_any(ClaimVisitor)
    }
}

fn numeric_date(claim: &'static str, v: ClaimValue<'_>) -> Result<i64, ClaimError> {
    let invalid = ClaimError::Invalid {
        claim,
        expected: "a NumericDate: seconds since 1970 between 0 and 253402300799",
    };
    let secs = match v {
        ClaimValue::Int(i) => i,
        ClaimValue::Float(f) if (0.0..=MAX_NUMERIC_DATE as f64).contains(&f) => f.floor() as i64,
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
            sub: text(self.sub),
            client_id: text(self.client_id),
            scope: text(self.scope),
            username: text(self.username),
            cognito_username: text(self.cognito_username),
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
            Field::Exp => numeric_date(name, value).map(|t| self.exp = Some(t)),
            Field::Nbf => numeric_date(name, value).map(|t| self.nbf = Some(t)),
            Field::Iat => numeric_date(name, value).map(|t| self.iat = Some(t)),
        };
        if let Err(e) = result {
            self.type_error.get_or_insert(e);
        }
    }

    /// Parse the decoded payload. Structural problems are errors now;
    /// claims of the wrong type are kept in `type_error` for after the signature check.
    pub(crate) fn parse(payload: &'de str) -> Result<CoreClaims<'de>, Error> {
        struct CoreVisitor;
        impl<'de> Visitor<'de> for CoreVisitor {
            type Value = Result<CoreClaims<'de>, ObjectError>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let mut claims = CoreClaims::default();
                let outcome = visit_object(map, |name, map| {
                    if let Some(field) = Field::of(name) {
                        let value = map.next_value::<ClaimValue<'de>>()?;
                        claims.set(field, value);
                    } else {
                        // Depth-limited, so every payload that verifies can be read again.
                        map.next_value::<Skip>()?;
                    }
                    Ok(())
                })?;
                Ok(outcome.map(|()| claims))
            }
        }
        struct Wrapper<'de>(Result<CoreClaims<'de>, ObjectError>);
        impl<'de> Deserialize<'de> for Wrapper<'de> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_map(CoreVisitor).map(Wrapper)
            }
        }
        // From a `str`: serde_json does not validate UTF-8 again string by string.
        match serde_json::from_str::<Wrapper<'de>>(payload) {
            Ok(Wrapper(Ok(claims))) => Ok(claims),
            Ok(Wrapper(Err(ObjectError::Duplicate(name)))) => {
                Err(MalformedToken::DuplicateMember {
                    segment: Segment::Payload,
                    name,
                }
                .into())
            }
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

struct ClaimsInner {
    core: Kept,
    token_use: TokenUse,
    exp: i64,
    issuer: Arc<str>,
    kid: String,
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
            .field("iss", &self.0.issuer)
            .field("client_id", &self.client_id())
            .field("exp", &self.0.exp)
            .field("kid", &self.0.kid)
            .finish_non_exhaustive()
    }
}

impl Claims {
    /// Build from validated parts. `core` has passed every check.
    pub(crate) fn new(
        core: Kept,
        token_use: TokenUse,
        issuer: Arc<str>,
        kid: String,
        alg: Algorithm,
        payload: String,
    ) -> Claims {
        let exp = core.exp.unwrap_or_default();
        Claims(Arc::new(ClaimsInner {
            core,
            token_use,
            exp,
            issuer,
            kid,
            alg,
            payload,
            id: OnceLock::new(),
            access: OnceLock::new(),
            all: OnceLock::new(),
        }))
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
        &self.0.issuer
    }

    /// The app client: `client_id` of an access token, `aud` of an ID token.
    pub fn client_id(&self) -> Option<&str> {
        match self.0.token_use {
            TokenUse::Access => self.text(&self.0.core.client_id),
            TokenUse::Id => self.0.core.aud.first().map(|t| t.get(&self.0.payload)),
        }
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

    /// The scopes, split on spaces.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.0
            .core
            .scope
            .as_ref()
            .map(|t| t.get(&self.0.payload))
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
    }

    /// Whether the token carries exactly this scope (case-sensitive, whole-word).
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
        &self.0.kid
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
/// number floored (RFC 7519 allows both); anything else is absent.
fn lenient_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| (0.0..=MAX_NUMERIC_DATE as f64).contains(f))
                .map(|f| f.floor() as i64)
        }),
        _ => None,
    })
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
    /// Issued at.
    #[serde(default, deserialize_with = "lenient_date")]
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
    /// Issued at.
    #[serde(default, deserialize_with = "lenient_date")]
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

//! Verified claims: what a handler gets once a token has passed every check.
//!
//! Verification parses only the claims it needs to decide ([`Claims`] keeps
//! the exact signed payload). The typed views [`IdTokenClaims`] and
//! [`AccessTokenClaims`], the map of every claim, and your own types are
//! deserialised from that payload on first use.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::core_claims::{Kept, Round, Text, numeric_date};
use crate::json::ClaimValue;
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

//! The typed views of verified claims: every claim Cognito documents, for
//! ID tokens ([`IdTokenClaims`]) and access tokens ([`AccessTokenClaims`]).
//!
//! [`Claims::id_token`](crate::Claims::id_token) and
//! [`Claims::access_token`](crate::Claims::access_token) deserialise them
//! from the signed payload on first use. Reading is lenient: a claim of an
//! unexpected type is absent from the view rather than an error, and dates
//! are rounded as verification rounds them.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::core_claims::{Round, numeric_date};
use crate::json::ClaimValue;

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
/// typed views say what [`Claims::issued_at`](crate::Claims::issued_at) says).
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

//! Verified claims: what a handler gets once a token has passed every check.
//!
//! Verification parses only the claims it needs to decide ([`Claims`] keeps
//! the exact signed payload). The typed views [`IdTokenClaims`] and
//! [`AccessTokenClaims`], the map of every claim, and your own types are
//! deserialised from that payload on first use.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::core_claims::{ClaimText, DetachedClaims};
use crate::jwk::VerifyingKey;
use crate::typed::{AccessTokenClaims, IdTokenClaims};

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

/// The header members of a verified ALB data token kept with its claims.
#[derive(Debug, Clone)]
struct AlbSigned {
    /// The load balancer's ARN (`signer`).
    signer: String,
    /// The app client the load balancer logged the user in with (`client`).
    client: String,
}

#[derive(Clone)]
struct ClaimsInner {
    core: DetachedClaims,
    token_use: TokenUse,
    exp: i64,
    /// The key that verified the signature (its `kid` is the token's).
    key: Arc<VerifyingKey>,
    alg: Algorithm,
    /// The signed payload, exactly as decoded.
    payload: String,
    /// For an ALB data token, what its signed header vouches for.
    alb: Option<Box<AlbSigned>>,
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
    /// Whether `self` and `other` are clones of one verification's claims
    /// (the same allocation), which the verified-token cache hands out.
    pub(crate) fn same_allocation(&self, other: &Claims) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Claims {
    /// Build from validated parts. `core` has passed every check.
    pub(crate) fn new(
        core: DetachedClaims,
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
            alb: None,
            id: OnceLock::new(),
            access: OnceLock::new(),
            all: OnceLock::new(),
        }))
    }

    /// The claims of a verified ALB data token (see the manual's
    /// "Behind an Application Load Balancer"): an access token of the user,
    /// with no scopes, whose app client is the header's `client`. `exp` is
    /// the earlier of the header's and the payload's.
    pub(crate) fn from_alb(
        core: DetachedClaims,
        exp: i64,
        key: Arc<VerifyingKey>,
        payload: String,
        signer: String,
        client: String,
        header_iss: String,
    ) -> Claims {
        let mut core = core;
        // Scopes say what a client may do; the load balancer grants none.
        core.scope = None;
        // The payload's `iss` is optional; the header's is verified (equal
        // to the payload's when both are present).
        if core.iss.is_none() {
            core.iss = Some(ClaimText::Owned(header_iss.into_boxed_str()));
        }
        Claims(Arc::new(ClaimsInner {
            core,
            token_use: TokenUse::Access,
            exp,
            key,
            alg: Algorithm::ES256,
            payload,
            alb: Some(Box::new(AlbSigned { signer, client })),
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

    fn text<'a>(&'a self, t: &'a Option<ClaimText>) -> Option<&'a str> {
        t.as_ref().map(|t| t.as_str(&self.0.payload))
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
    /// audiences), else its one `aud`; of an ALB data token, its header's
    /// `client`.
    pub fn client_id(&self) -> Option<&str> {
        if let Some(alb) = &self.0.alb {
            return Some(&alb.client);
        }
        match self.0.token_use {
            TokenUse::Access => self.text(&self.0.core.client_id),
            TokenUse::Id => self
                .text(&self.0.core.azp)
                .or_else(|| self.0.core.aud.first().map(|t| t.as_str(&self.0.payload))),
        }
    }

    /// For claims from an ALB data token (`x-amzn-oidc-data`), the ARN of
    /// the load balancer that signed it; `None` for a bearer token.
    pub fn alb_signer(&self) -> Option<&str> {
        self.0.alb.as_ref().map(|a| a.signer.as_str())
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
        self.0.core.aud.iter().map(|t| t.as_str(&self.0.payload))
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
            .map(|t| t.as_str(&self.0.payload))
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
        self.0.core.groups.iter().map(|t| t.as_str(&self.0.payload))
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

    /// The typed access-token view, if this is a Cognito access token.
    /// `None` for the claims of an ALB data token: its payload is the user's
    /// attributes, not an access token's claims (a `scope` there grants
    /// nothing); read them with [`Claims::get`] or [`Claims::deserialize`].
    pub fn access_token(&self) -> Option<&AccessTokenClaims> {
        self.0
            .access
            .get_or_init(|| match self.0.token_use {
                TokenUse::Access if self.0.alb.is_none() => {
                    serde_json::from_str(&self.0.payload).ok().map(Box::new)
                }
                TokenUse::Access | TokenUse::Id => None,
            })
            .as_deref()
    }

    /// Deserialize the verified claims into your own type.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0.payload)
    }
}

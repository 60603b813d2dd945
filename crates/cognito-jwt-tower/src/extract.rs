//! axum extractors over the claims an [`AuthLayer`](crate::AuthLayer) verified.
//!
//! | extractor | gives | refuses |
//! |---|---|---|
//! | [`VerifiedClaims`] | any verified token | 401 without a token |
//! | [`AccessToken`] | an access token | 401 `invalid_token` for an ID token |
//! | [`IdToken`] | an ID token | 401 `invalid_token` for an access token |
//! | [`ClaimsAs<T>`] | the claims as your type | 401 `invalid_token` if they do not fit |
//! | [`RequireScope<S>`] | an access token with the [`ScopeSet`]'s scopes | 403 `insufficient_scope` |
//! | [`RequireGroup<G>`] | a token whose user is in the [`GroupSet`]'s groups | 403 `insufficient_scope` |
//!
//! `Option<VerifiedClaims>`, `Option<AccessToken>`, `Option<IdToken>` and
//! `Option<ClaimsAs<T>>` are `None` when the request has no token (optional
//! mode); a token of the wrong kind is still refused. Every refusal is an
//! [`AuthRejection`], rendered like the layer's own answers (realm, hook,
//! gRPC) and logged.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::IntoResponse;
use bytes::Bytes;
use cognito_jwt::{ClaimError, Claims, Error, TokenUse, is_scope_token};
use http::Response;
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::auth::AuthContext;
use crate::response::misconfigured;

/// Why an extractor refused the request; a response by itself.
pub struct AuthRejection(Box<RejectionInner>);

struct RejectionInner {
    error: Option<Error>,
    response: Response<Bytes>,
}

impl AuthRejection {
    /// The error, or `None` when no [`AuthLayer`](crate::AuthLayer) ran
    /// before the extractor (a 500: the route is not protected).
    pub fn error(&self) -> Option<&Error> {
        self.0.error.as_ref()
    }

    /// The response that will be sent.
    pub fn response(&self) -> &Response<Bytes> {
        &self.0.response
    }
}

impl fmt::Debug for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRejection")
            .field("error", &self.0.error)
            .field("status", &self.0.response.status())
            .finish()
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> axum::response::Response {
        self.0.response.map(axum::body::Body::from)
    }
}

fn context(parts: &Parts) -> Result<&AuthContext, AuthRejection> {
    parts.extensions.get::<AuthContext>().ok_or_else(|| {
        AuthRejection(Box::new(RejectionInner {
            error: None,
            response: misconfigured(&parts.headers),
        }))
    })
}

fn refuse(parts: &Parts, context: &AuthContext, error: Error) -> AuthRejection {
    AuthRejection(Box::new(RejectionInner {
        response: context.reject(&error, &parts.headers),
        error: Some(error),
    }))
}

/// The verified claims, `None` without a token (optional mode).
fn claims(parts: &Parts) -> Result<Option<Claims>, AuthRejection> {
    context(parts)?;
    Ok(parts.extensions.get::<Claims>().cloned())
}

/// Run `check` on the claims; no token is 401.
fn required<T>(
    parts: &Parts,
    check: impl FnOnce(Claims) -> Result<T, Error>,
) -> Result<T, AuthRejection> {
    match optional(parts, check)? {
        Some(t) => Ok(t),
        None => Err(refuse(parts, context(parts)?, Error::MissingToken)),
    }
}

/// Run `check` on the claims; no token is `None`.
fn optional<T>(
    parts: &Parts,
    check: impl FnOnce(Claims) -> Result<T, Error>,
) -> Result<Option<T>, AuthRejection> {
    match claims(parts)? {
        None => Ok(None),
        Some(claims) => match check(claims) {
            Ok(t) => Ok(Some(t)),
            Err(e) => Err(refuse(parts, context(parts)?, e)),
        },
    }
}

fn token_use(claims: Claims, expected: TokenUse) -> Result<Claims, Error> {
    if claims.token_use() == expected {
        Ok(claims)
    } else {
        Err(ClaimError::WrongTokenUse {
            expected: expected.as_str(),
            actual: claims.token_use().as_str().to_owned(),
        }
        .into())
    }
}

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// A static list is usable: not empty, no empty name and, for scopes, RFC
/// 6749 scope tokens only (the core's [`is_scope_token`]). Evaluated at
/// compile time for [`ScopeSet`] and [`GroupSet`], the rule
/// [`Requirement`](cognito_jwt::Requirement) applies to lists at run time.
const fn usable_list(mut items: &[&str], scopes: bool) -> bool {
    if items.is_empty() {
        return false;
    }
    while let [item, rest @ ..] = items {
        if item.is_empty() || (scopes && !is_scope_token(item)) {
            return false;
        }
        items = rest;
    }
    true
}

fn meets(required: &[&str], all: bool, present: impl Fn(&str) -> bool) -> bool {
    if all {
        required.iter().all(|r| present(r))
    } else {
        required.iter().any(|r| present(r))
    }
}

macro_rules! claims_extractor {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(pub Claims);

        impl Deref for $name {
            type Target = Claims;
            fn deref(&self) -> &Claims {
                &self.0
            }
        }

        impl<S: Send + Sync> FromRequestParts<S> for $name {
            type Rejection = AuthRejection;

            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AuthRejection> {
                required(parts, $check).map($name)
            }
        }

        impl<S: Send + Sync> OptionalFromRequestParts<S> for $name {
            type Rejection = AuthRejection;

            async fn from_request_parts(
                parts: &mut Parts,
                _: &S,
            ) -> Result<Option<Self>, AuthRejection> {
                optional(parts, $check).map(|c| c.map($name))
            }
        }
    };
}

claims_extractor!(
    /// The claims of any verified token (ID or access).
    ///
    /// ```
    /// use cognito_jwt_tower::VerifiedClaims;
    ///
    /// async fn whoami(VerifiedClaims(claims): VerifiedClaims) -> String {
    ///     format!("{} ({} token)", claims.sub(), claims.token_use())
    /// }
    ///
    /// // Optional: `None` without a token (with `AuthLayer::optional`).
    /// async fn greet(claims: Option<VerifiedClaims>) -> String {
    ///     match claims {
    ///         Some(c) => format!("hello {}", c.sub()),
    ///         None => "hello stranger".into(),
    ///     }
    /// }
    /// # let _: axum::Router = axum::Router::new()
    /// #     .route("/", axum::routing::get(whoami))
    /// #     .route("/greet", axum::routing::get(greet));
    /// ```
    VerifiedClaims,
    Ok
);

claims_extractor!(
    /// The claims of an access token; an ID token is 401 `invalid_token`.
    ///
    /// ```
    /// use cognito_jwt_tower::AccessToken;
    ///
    /// async fn me(AccessToken(claims): AccessToken) -> String {
    ///     claims.scopes().collect::<Vec<_>>().join(" ")
    /// }
    /// # let _: axum::Router = axum::Router::new().route("/", axum::routing::get(me));
    /// ```
    AccessToken,
    |c| token_use(c, TokenUse::Access)
);

claims_extractor!(
    /// The claims of an ID token; an access token is 401 `invalid_token`.
    ///
    /// ```
    /// use cognito_jwt_tower::IdToken;
    ///
    /// async fn profile(IdToken(claims): IdToken) -> String {
    ///     let email = claims.id_token().and_then(|t| t.email.clone());
    ///     email.unwrap_or_default()
    /// }
    /// # let _: axum::Router = axum::Router::new().route("/", axum::routing::get(profile));
    /// ```
    IdToken,
    |c| token_use(c, TokenUse::Id)
);

/// The verified claims deserialized into your own type; claims that do not
/// fit it are 401 `invalid_token`.
///
/// ```
/// use cognito_jwt_tower::ClaimsAs;
///
/// #[derive(serde::Deserialize)]
/// struct Tenant {
///     sub: String,
///     #[serde(rename = "custom:tenant")]
///     tenant: String,
/// }
///
/// async fn tenant(ClaimsAs(t): ClaimsAs<Tenant>) -> String {
///     format!("{} @ {}", t.sub, t.tenant)
/// }
/// # let _: axum::Router = axum::Router::new().route("/", axum::routing::get(tenant));
/// ```
#[derive(Clone, Debug)]
pub struct ClaimsAs<T>(pub T);

fn deserialize<T: DeserializeOwned>(claims: Claims) -> Result<T, Error> {
    claims.deserialize::<T>().map_err(|e| {
        tracing::debug!(error = ?e.to_string(), "claims do not fit the requested type");
        ClaimError::Invalid {
            claim: "(custom claims type)",
            expected: "claims matching the requested type",
        }
        .into()
    })
}

impl<T, S> FromRequestParts<S> for ClaimsAs<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AuthRejection> {
        required(parts, deserialize::<T>).map(ClaimsAs)
    }
}

impl<T, S> OptionalFromRequestParts<S> for ClaimsAs<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, AuthRejection> {
        optional(parts, deserialize::<T>).map(|t| t.map(ClaimsAs))
    }
}

/// Scopes a handler needs, declared once as a type, for [`RequireScope`].
///
/// ```
/// use cognito_jwt_tower::ScopeSet;
///
/// struct OrdersRead;
/// impl ScopeSet for OrdersRead {
///     const SCOPES: &'static [&'static str] = &["orders/read", "orders/admin"];
/// }
///
/// struct ReadAndWrite;
/// impl ScopeSet for ReadAndWrite {
///     const SCOPES: &'static [&'static str] = &["orders/read", "orders/write"];
///     const ALL: bool = true;
/// }
/// ```
/// An empty `SCOPES`, an empty scope or one that is not an RFC 6749 scope
/// token does not compile where the extractor is used:
///
/// ```compile_fail
/// use cognito_jwt_tower::{RequireScope, ScopeSet};
/// struct Nothing;
/// impl ScopeSet for Nothing {
///     const SCOPES: &'static [&'static str] = &[];
/// }
/// async fn handler(_: RequireScope<Nothing>) {}
/// let _: axum::Router = axum::Router::new().route("/", axum::routing::get(handler));
/// ```
pub trait ScopeSet: Send + Sync + 'static {
    /// The scopes.
    const SCOPES: &'static [&'static str];
    /// Whether all of them are needed (`true`) or any one (`false`, the default).
    const ALL: bool = false;
}

/// Groups a handler needs, declared once as a type, for [`RequireGroup`].
///
/// ```
/// use cognito_jwt_tower::GroupSet;
///
/// struct Admins;
/// impl GroupSet for Admins {
///     const GROUPS: &'static [&'static str] = &["admin"];
/// }
/// ```
/// An empty `GROUPS` or an empty group name does not compile where the
/// extractor is used.
pub trait GroupSet: Send + Sync + 'static {
    /// The groups (`cognito:groups`).
    const GROUPS: &'static [&'static str];
    /// Whether all of them are needed (`true`) or any one (`false`, the default).
    const ALL: bool = false;
}

/// An access token carrying the scopes of `S`, stated in the handler's
/// signature. An ID token is 401 `invalid_token`; missing scopes are 403
/// `insufficient_scope` with `scope="…"` naming them.
///
/// ```
/// use cognito_jwt_tower::{RequireScope, ScopeSet};
///
/// struct OrdersWrite;
/// impl ScopeSet for OrdersWrite {
///     const SCOPES: &'static [&'static str] = &["orders/write"];
/// }
///
/// async fn create_order(token: RequireScope<OrdersWrite>) -> String {
///     format!("created by {}", token.sub())
/// }
/// # let _: axum::Router = axum::Router::new().route("/", axum::routing::post(create_order));
/// ```
pub struct RequireScope<S> {
    claims: Claims,
    scopes: PhantomData<fn() -> S>,
}

/// A verified token whose user is in the groups of `G` (any token use).
/// Otherwise 403 `insufficient_scope`.
///
/// ```
/// use cognito_jwt_tower::{GroupSet, RequireGroup};
///
/// struct Admins;
/// impl GroupSet for Admins {
///     const GROUPS: &'static [&'static str] = &["admin"];
/// }
///
/// async fn admin(user: RequireGroup<Admins>) -> String {
///     format!("hello admin {}", user.sub())
/// }
/// # let _: axum::Router = axum::Router::new().route("/", axum::routing::get(admin));
/// ```
pub struct RequireGroup<G> {
    claims: Claims,
    groups: PhantomData<fn() -> G>,
}

macro_rules! claims_wrapper {
    ($name:ident, $field:ident) => {
        impl<T> $name<T> {
            /// The verified claims.
            pub fn claims(&self) -> &Claims {
                &self.claims
            }

            /// The verified claims, owned.
            pub fn into_claims(self) -> Claims {
                self.claims
            }
        }

        impl<T> Deref for $name<T> {
            type Target = Claims;
            fn deref(&self) -> &Claims {
                &self.claims
            }
        }

        impl<T> Clone for $name<T> {
            fn clone(&self) -> Self {
                $name {
                    claims: self.claims.clone(),
                    $field: PhantomData,
                }
            }
        }

        impl<T> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name))
                    .field(&self.claims)
                    .finish()
            }
        }
    };
}

claims_wrapper!(RequireScope, scopes);
claims_wrapper!(RequireGroup, groups);

impl<T: ScopeSet, S: Send + Sync> FromRequestParts<S> for RequireScope<T> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AuthRejection> {
        const {
            assert!(
                usable_list(T::SCOPES, true),
                "ScopeSet::SCOPES must name at least one scope, each an RFC 6749 scope token"
            )
        };
        required(parts, |claims| {
            let claims = token_use(claims, TokenUse::Access)?;
            if !meets(T::SCOPES, T::ALL, |s| claims.has_scope(s)) {
                return Err(Error::InsufficientScope {
                    required: owned(T::SCOPES),
                    all: T::ALL,
                });
            }
            Ok(RequireScope {
                claims,
                scopes: PhantomData,
            })
        })
    }
}

impl<T: GroupSet, S: Send + Sync> FromRequestParts<S> for RequireGroup<T> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AuthRejection> {
        const {
            assert!(
                usable_list(T::GROUPS, false),
                "GroupSet::GROUPS must name at least one group, none empty"
            )
        };
        required(parts, |claims| {
            if !meets(T::GROUPS, T::ALL, |g| claims.in_group(g)) {
                return Err(Error::MissingGroup {
                    required: owned(T::GROUPS),
                    all: T::ALL,
                });
            }
            Ok(RequireGroup {
                claims,
                groups: PhantomData,
            })
        })
    }
}

//! axum extractors over the claims a [`CognitoAuth`](crate::CognitoAuth) admitted.
//!
//! | extractor | gives | refuses |
//! |---|---|---|
//! | [`Authenticated`] | any verified token | 401 without a token |
//! | [`AccessToken`] | an access token | 401 `invalid_token` for an ID token |
//! | [`IdToken`] | an ID token | 401 `invalid_token` for an access token |
//! | [`ClaimsAs<T>`] | the claims as your type | 401 `invalid_token` if they do not fit |
//! | [`RequireScope<S>`] | an access token with the [`ScopeSet`]'s scopes | 403 `insufficient_scope` |
//! | [`RequireGroup<G>`] | a token whose user is in the [`GroupSet`]'s groups | 403 `insufficient_scope` |
//! | [`Authorized<P>`] | a token meeting the [`Policy`] | 403 (401 for the wrong kind) |
//!
//! `Option<T>` and [`Optional<T>`] of any of them are `None` when the
//! request has no token (optional mode); a token that is present but bad,
//! of the wrong kind or short of the route's need is still refused. Every
//! refusal is an [`AuthRejection`], rendered like the middleware's own
//! answers (realm, hook, gRPC). The rules are the core's
//! ([`Gate::admit`](cognito_jwt::adapter::Gate::admit)).

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use cognito_jwt::adapter::{Extractor, Gate, Need, Refusal};
use cognito_jwt::{Claims, GroupSet, Policy, ScopeSet, TokenUse};
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::cognito_auth::AuthContext;
use crate::rejection::{AuthRejection, Renderer};

/// Run `read` on what the middleware left in `parts`.
fn extract<T>(
    parts: &Parts,
    read: impl FnOnce(&Gate, Option<&Claims>) -> Result<T, Refusal>,
) -> Result<T, AuthRejection> {
    let Some(context) = parts.extensions.get::<AuthContext>() else {
        // No middleware, so nobody opted in to gRPC answers: HTTP 500.
        return Err(AuthRejection::new(
            Refusal::not_configured("a cognito-jwt-tower extractor"),
            Renderer::default(),
            false,
            &parts.headers,
        ));
    };
    let settings = &*context.0;
    read(&settings.gate, parts.extensions.get::<Claims>()).map_err(|refusal| {
        AuthRejection::new(
            refusal,
            settings.renderer.clone(),
            settings.grpc,
            &parts.headers,
        )
    })
}

/// Both axum extractor traits for one of ours.
macro_rules! from_request_parts {
    ($name:ident $(<$param:ident : $bound:path>)?) => {
        impl<$($param: $bound,)? S: Send + Sync> FromRequestParts<S> for $name$(<$param>)? {
            type Rejection = AuthRejection;

            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AuthRejection> {
                extract(parts, Gate::extract::<Self>)
            }
        }

        impl<$($param: $bound,)? S: Send + Sync> OptionalFromRequestParts<S> for $name$(<$param>)? {
            type Rejection = AuthRejection;

            async fn from_request_parts(
                parts: &mut Parts,
                _: &S,
            ) -> Result<Option<Self>, AuthRejection> {
                extract(parts, Gate::extract_optional::<Self>)
            }
        }
    };
}

/// The accessors of an extractor that holds the verified claims.
macro_rules! claims_accessors {
    ($name:ident) => {
        impl $name {
            /// The verified claims, owned.
            pub fn into_claims(self) -> Claims {
                self.0
            }
        }

        impl Deref for $name {
            type Target = Claims;
            fn deref(&self) -> &Claims {
                &self.0
            }
        }
    };
}

/// The claims of any verified token (ID or access).
///
/// ```
/// use cognito_jwt_tower::Authenticated;
///
/// async fn whoami(Authenticated(claims): Authenticated) -> String {
///     format!("{} ({} token)", claims.sub(), claims.token_use())
/// }
///
/// // Optional: `None` without a token (with `CognitoAuth::optional`).
/// async fn greet(claims: Option<Authenticated>) -> String {
///     match claims {
///         Some(c) => format!("hello {}", c.sub()),
///         None => "hello stranger".into(),
///     }
/// }
/// # let _: axum::Router = axum::Router::new()
/// #     .route("/", axum::routing::get(whoami))
/// #     .route("/greet", axum::routing::get(greet));
/// ```
#[derive(Clone, Debug)]
pub struct Authenticated(pub Claims);
claims_accessors!(Authenticated);
from_request_parts!(Authenticated);

impl Extractor for Authenticated {
    fn need() -> Need {
        Need::any_token()
    }
    fn from_claims(_: &Gate, claims: &Claims) -> Result<Self, Refusal> {
        Ok(Authenticated(claims.clone()))
    }
}

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
#[derive(Clone, Debug)]
pub struct AccessToken(pub Claims);
claims_accessors!(AccessToken);
from_request_parts!(AccessToken);

impl Extractor for AccessToken {
    fn need() -> Need {
        Need::token_use(TokenUse::Access)
    }
    fn from_claims(_: &Gate, claims: &Claims) -> Result<Self, Refusal> {
        Ok(AccessToken(claims.clone()))
    }
}

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
#[derive(Clone, Debug)]
pub struct IdToken(pub Claims);
claims_accessors!(IdToken);
from_request_parts!(IdToken);

impl Extractor for IdToken {
    fn need() -> Need {
        Need::token_use(TokenUse::Id)
    }
    fn from_claims(_: &Gate, claims: &Claims) -> Result<Self, Refusal> {
        Ok(IdToken(claims.clone()))
    }
}

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
from_request_parts!(ClaimsAs<T: DeserializeOwned>);

impl<T> ClaimsAs<T> {
    /// The deserialized claims.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for ClaimsAs<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> Extractor for ClaimsAs<T> {
    fn from_claims(gate: &Gate, claims: &Claims) -> Result<Self, Refusal> {
        gate.deserialize(claims).map(ClaimsAs)
    }
}

/// An extractor holding claims that met a need named by a type parameter.
macro_rules! typed_extractor {
    ($(#[$doc:meta])* $name:ident<$param:ident: $bound:ident>, $need:expr) => {
        $(#[$doc])*
        pub struct $name<$param> {
            claims: Claims,
            need: PhantomData<fn() -> $param>,
        }

        impl<$param> $name<$param> {
            /// The verified claims.
            pub fn claims(&self) -> &Claims {
                &self.claims
            }

            /// The verified claims, owned.
            pub fn into_claims(self) -> Claims {
                self.claims
            }
        }

        impl<$param> Deref for $name<$param> {
            type Target = Claims;
            fn deref(&self) -> &Claims {
                &self.claims
            }
        }

        impl<$param> Clone for $name<$param> {
            fn clone(&self) -> Self {
                $name {
                    claims: self.claims.clone(),
                    need: PhantomData,
                }
            }
        }

        impl<$param> fmt::Debug for $name<$param> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.claims).finish()
            }
        }

        impl<$param: $bound> Extractor for $name<$param> {
            fn need() -> Need {
                $need
            }
            fn from_claims(_: &Gate, claims: &Claims) -> Result<Self, Refusal> {
                Ok($name {
                    claims: claims.clone(),
                    need: PhantomData,
                })
            }
        }

        from_request_parts!($name<$param: $bound>);
    };
}

typed_extractor!(
    /// An access token carrying the scopes of `S`, stated in the handler's
    /// signature. An ID token is 401 `invalid_token`; missing scopes are 403
    /// `insufficient_scope` with `scope="…"` naming them.
    ///
    /// ```
    /// use cognito_jwt::ScopeSet;
    /// use cognito_jwt_tower::RequireScope;
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
    ///
    /// An empty `SCOPES`, an empty scope or one that is not an RFC 6749 scope
    /// token does not compile:
    ///
    /// ```compile_fail
    /// use cognito_jwt::ScopeSet;
    /// use cognito_jwt_tower::RequireScope;
    /// struct Nothing;
    /// impl ScopeSet for Nothing {
    ///     const SCOPES: &'static [&'static str] = &[];
    /// }
    /// async fn handler(_: RequireScope<Nothing>) {}
    /// let _: axum::Router = axum::Router::new().route("/", axum::routing::get(handler));
    /// ```
    RequireScope<T: ScopeSet>,
    Need::scopes::<T>()
);

typed_extractor!(
    /// A verified token whose user is in the groups of `G` (any token use).
    /// Otherwise 403 `insufficient_scope`.
    ///
    /// ```
    /// use cognito_jwt::GroupSet;
    /// use cognito_jwt_tower::RequireGroup;
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
    RequireGroup<T: GroupSet>,
    Need::groups::<T>()
);

typed_extractor!(
    /// A verified token that meets the [`Policy`] `P` (scopes, groups, token
    /// kind, your own checks); otherwise 403 `insufficient_scope` (401 for a
    /// token of the wrong kind). An invalid policy answers 500.
    ///
    /// ```
    /// use cognito_jwt::{BuildError, Policy, Requirement, TokenUse};
    /// use cognito_jwt_tower::Authorized;
    ///
    /// struct ReadOrders;
    /// impl Policy for ReadOrders {
    ///     fn requirement() -> Result<Requirement, BuildError> {
    ///         Requirement::new().token_use(TokenUse::Access).any_scope(["orders/read"])
    ///     }
    /// }
    ///
    /// async fn orders(auth: Authorized<ReadOrders>) -> String {
    ///     format!("orders of {}", auth.sub())
    /// }
    /// # let _: axum::Router = axum::Router::new().route("/", axum::routing::get(orders));
    /// ```
    Authorized<T: Policy>,
    Need::policy::<T>()
);

/// Any of this crate's extractors, or `None` when the request has no token
/// (behind [`CognitoAuth::optional`](crate::CognitoAuth::optional)). A
/// token that is present is checked as `T` checks it, and refused as `T`
/// refuses it. In axum `Option<T>` does the same; `Optional<T>` is the one
/// name every adapter has (actix-web's own `Option<T>` would swallow the
/// refusal).
///
/// ```
/// use cognito_jwt_tower::{AccessToken, Optional};
///
/// async fn greet(Optional(token): Optional<AccessToken>) -> String {
///     match token {
///         Some(token) => format!("hello {}", token.sub()),
///         None => "hello stranger".into(),
///     }
/// }
/// # let _: axum::Router = axum::Router::new().route("/", axum::routing::get(greet));
/// ```
#[derive(Clone, Debug)]
pub struct Optional<T>(pub Option<T>);

impl<T> Optional<T> {
    /// The extractor, if the request had a token.
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<T, S> FromRequestParts<S> for Optional<T>
where
    T: OptionalFromRequestParts<S, Rejection = AuthRejection>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AuthRejection> {
        <T as OptionalFromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(Optional)
    }
}

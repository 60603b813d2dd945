//! Extractors: the verified claims as handler arguments.
//!
//! Each reads what [`CognitoAuth`](crate::CognitoAuth) stored in the request.
//! Without claims (optional mode and no token, or no middleware at all) they
//! fail with 401 and `WWW-Authenticate: Bearer`; a token of the wrong kind
//! fails with 401 `invalid_token`; an [`Authorized`] policy that is not met
//! fails with 403 `insufficient_scope`. Rejections render as the middleware's
//! (same realm, same [hook](crate::CognitoAuth::on_error)).
//!
//! `Option<…>` of any of them is `None` instead of a rejection (actix-web's
//! rule for optional extractors): use it behind
//! [`CognitoAuth::optional`](crate::CognitoAuth::optional), where a bad token
//! has already been answered with 401.

use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use cognito_jwt::{AccessTokenClaims, ClaimError, Claims, Error, IdTokenClaims, TokenUse};
use futures_util::future::{Ready, ready};
use serde::de::DeserializeOwned;

use crate::middleware::AuthState;
use crate::require::Policy;
use crate::response::{AuthError, Renderer};

/// The verified claims and the renderer, or the rejection for "no claims".
fn claims(req: &HttpRequest) -> Result<(Claims, Arc<Renderer>), AuthError> {
    let extensions = req.extensions();
    match extensions.get::<AuthState>() {
        Some(AuthState {
            claims: Some(claims),
            renderer,
        }) => Ok((claims.clone(), Arc::clone(renderer))),
        Some(AuthState {
            claims: None,
            renderer,
        }) => Err(AuthError::with_renderer(
            Error::MissingToken,
            Arc::clone(renderer),
        )),
        None => {
            tracing::warn!(
                path = req.path(),
                "a cognito-jwt-actix extractor ran without CognitoAuth in front of it; answering 401"
            );
            Err(AuthError::new(Error::MissingToken))
        }
    }
}

fn refuse(error: Error, claims: &Claims, renderer: Arc<Renderer>) -> AuthError {
    crate::log_refused(&error, Some(claims));
    AuthError::with_renderer(error, renderer)
}

fn of_kind(req: &HttpRequest, kind: TokenUse) -> Result<Claims, AuthError> {
    let (claims, renderer) = claims(req)?;
    if claims.token_use() == kind {
        Ok(claims)
    } else {
        let error = ClaimError::WrongTokenUse {
            expected: kind.as_str(),
            actual: claims.token_use().as_str().to_owned(),
        }
        .into();
        Err(refuse(error, &claims, renderer))
    }
}

macro_rules! claims_wrapper {
    ($name:ident) => {
        impl Deref for $name {
            type Target = Claims;
            fn deref(&self) -> &Claims {
                &self.0
            }
        }

        impl $name {
            /// The verified claims.
            pub fn into_inner(self) -> Claims {
                self.0
            }
        }
    };
}

/// Any verified token, ID or access.
///
/// ```
/// use cognito_jwt_actix::Authenticated;
/// async fn whoami(auth: Authenticated) -> String {
///     auth.sub().to_owned()
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Authenticated(pub Claims);
claims_wrapper!(Authenticated);

impl FromRequest for Authenticated {
    type Error = AuthError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(claims(req).map(|(claims, _)| Authenticated(claims)))
    }
}

/// A verified access token (`token_use: "access"`); an ID token is refused
/// with 401 `invalid_token`.
///
/// ```
/// use cognito_jwt_actix::AccessToken;
/// async fn me(token: AccessToken) -> String {
///     let scopes: Vec<&str> = token.scopes().collect();
///     format!("{} ({:?}) may {}", token.sub(), token.username(), scopes.join(" "))
/// }
/// ```
#[derive(Debug, Clone)]
pub struct AccessToken(pub Claims);
claims_wrapper!(AccessToken);

impl AccessToken {
    /// The typed view of every claim Cognito documents for access tokens.
    pub fn typed(&self) -> Option<&AccessTokenClaims> {
        self.0.access_token()
    }
}

impl FromRequest for AccessToken {
    type Error = AuthError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(of_kind(req, TokenUse::Access).map(AccessToken))
    }
}

/// A verified ID token (`token_use: "id"`); an access token is refused with
/// 401 `invalid_token`.
///
/// ```
/// use cognito_jwt_actix::IdToken;
/// async fn profile(token: IdToken) -> String {
///     let email = token.typed().and_then(|c| c.email.clone());
///     format!("{} <{}>", token.sub(), email.unwrap_or_default())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct IdToken(pub Claims);
claims_wrapper!(IdToken);

impl IdToken {
    /// The typed view of every claim Cognito documents for ID tokens.
    pub fn typed(&self) -> Option<&IdTokenClaims> {
        self.0.id_token()
    }
}

impl FromRequest for IdToken {
    type Error = AuthError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(of_kind(req, TokenUse::Id).map(IdToken))
    }
}

/// The verified claims, deserialized into your own type (custom attributes,
/// trigger-added claims). Claims that do not fit the type are refused with
/// 401 `invalid_token`.
///
/// ```
/// use cognito_jwt_actix::ClaimsAs;
///
/// #[derive(serde::Deserialize)]
/// struct Tenant {
///     sub: String,
///     #[serde(rename = "custom:tenant")]
///     tenant: String,
/// }
///
/// async fn tenant(ClaimsAs(t): ClaimsAs<Tenant>) -> String {
///     format!("{} of {}", t.sub, t.tenant)
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ClaimsAs<T>(pub T);

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

impl<T: DeserializeOwned> FromRequest for ClaimsAs<T> {
    type Error = AuthError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(claims(req).and_then(|(claims, renderer)| {
            claims.deserialize::<T>().map(ClaimsAs).map_err(|_| {
                let error = ClaimError::Invalid {
                    claim: "(custom claims type)",
                    expected: "claims matching the requested type",
                }
                .into();
                refuse(error, &claims, renderer)
            })
        }))
    }
}

/// A verified token that meets the [`Policy`] `P` (scopes, groups, token
/// kind, your own checks); otherwise 403 `insufficient_scope` (401 for a
/// token of the wrong kind).
///
/// ```
/// use cognito_jwt::{BuildError, Requirement, TokenUse};
/// use cognito_jwt_actix::{Authorized, Policy};
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
/// ```
pub struct Authorized<P> {
    claims: Claims,
    policy: PhantomData<fn() -> P>,
}

impl<P> std::fmt::Debug for Authorized<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Authorized").field(&self.claims).finish()
    }
}

impl<P> Clone for Authorized<P> {
    fn clone(&self) -> Self {
        Authorized {
            claims: self.claims.clone(),
            policy: PhantomData,
        }
    }
}

impl<P> Authorized<P> {
    /// The verified claims.
    pub fn into_inner(self) -> Claims {
        self.claims
    }
}

impl<P> Deref for Authorized<P> {
    type Target = Claims;
    fn deref(&self) -> &Claims {
        &self.claims
    }
}

impl<P: Policy> FromRequest for Authorized<P> {
    /// [`AuthError`] for a refused token; a 500 when the policy itself is
    /// invalid (its [`BuildError`](cognito_jwt::BuildError) is logged).
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let requirement = match P::requirement() {
            Ok(requirement) => requirement,
            Err(e) => {
                tracing::error!(policy = std::any::type_name::<P>(), error = %e, "invalid Policy; refusing the request");
                return ready(Err(actix_web::error::ErrorInternalServerError(
                    "authorization is misconfigured for this route",
                )));
            }
        };
        ready(
            claims(req)
                .and_then(|(claims, renderer)| match requirement.verify(&claims) {
                    Ok(()) => Ok(Authorized {
                        claims,
                        policy: PhantomData,
                    }),
                    Err(error) => Err(refuse(error, &claims, renderer)),
                })
                .map_err(actix_web::Error::from),
        )
    }
}

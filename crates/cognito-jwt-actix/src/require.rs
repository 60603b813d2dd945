//! Per-route authorization: [`Require`] (a middleware and a guard) and
//! [`Policy`] (for the [`Authorized`](crate::Authorized) extractor), both over
//! the core [`Requirement`].

use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::guard::{Guard, GuardContext};
use actix_web::{HttpMessage, HttpResponse};
use cognito_jwt::{BuildError, Error, Requirement, TokenUse};
use futures_util::TryFutureExt;
use futures_util::future::{Either, MapOk, Ready, ready};

use crate::middleware::AuthState;
use crate::response::Renderer;

/// A named [`Requirement`], for the [`Authorized`](crate::Authorized) extractor.
///
/// ```
/// use cognito_jwt::{BuildError, Requirement};
/// use cognito_jwt_actix::Policy;
///
/// struct Admins;
/// impl Policy for Admins {
///     fn requirement() -> Result<Requirement, BuildError> {
///         Requirement::new().any_group(["admin"])
///     }
/// }
/// ```
///
/// A policy whose requirement is a [`BuildError`] (an empty list) answers
/// every request with 500 and logs the error: check your policies in a unit
/// test (`assert!(Admins::requirement().is_ok())`).
pub trait Policy: 'static {
    /// What the token must meet.
    fn requirement() -> Result<Requirement, BuildError>;
}

/// What a route (a `resource` or a `scope`) needs from the verified token:
/// scopes, groups, token kind or your own check.
///
/// As a **middleware** (`.wrap(...)`, behind [`CognitoAuth`](crate::CognitoAuth)):
/// a token that falls short is answered with 403 `insufficient_scope`
/// (`scope="…"` names the scopes), a token of the wrong kind with 401
/// `invalid_token`, no token (optional mode) with 401. In actix-web the last
/// `wrap` runs first, so wrap `Require` before `CognitoAuth` on the same
/// resource, or put `CognitoAuth` on the `App` or an enclosing `scope`.
///
/// As a **guard** (`.guard(...)`): the route matches only when the token
/// meets the requirement, so another route can answer otherwise (and an
/// unmatched request gets 404, not 403). `CognitoAuth` must wrap the `App` or
/// an enclosing `scope`: guards are evaluated before a resource's own middleware.
///
/// ```
/// use actix_web::{App, HttpResponse, web};
/// # use cognito_jwt::Verifier;
/// use cognito_jwt_actix::{CognitoAuth, Require};
///
/// # fn f(verifier: Verifier) -> Result<(), cognito_jwt::BuildError> {
/// let app = App::new().wrap(CognitoAuth::new(verifier)).service(
///     web::resource("/orders")
///         .route(web::get().to(HttpResponse::Ok).wrap(Require::any_scope(["orders/read"])?))
///         .route(web::post().to(HttpResponse::Created).wrap(Require::any_scope(["orders/write"])?)),
/// )
/// .service(web::scope("/admin").wrap(Require::any_group(["admin"])?));
/// # let _ = app; Ok::<(), cognito_jwt::BuildError>(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Require {
    requirement: Arc<Requirement>,
}

impl Require {
    /// Require this [`Requirement`].
    pub fn new(requirement: Requirement) -> Require {
        Require {
            requirement: Arc::new(requirement),
        }
    }

    /// The token must be of this kind (401 `invalid_token` otherwise).
    pub fn token_use(token_use: TokenUse) -> Require {
        Require::new(Requirement::new().token_use(token_use))
    }

    /// The token must carry at least one of these scopes.
    /// An empty list or name is a [`BuildError`], as in [`Requirement::any_scope`].
    pub fn any_scope<S: Into<String>>(
        scopes: impl IntoIterator<Item = S>,
    ) -> Result<Require, BuildError> {
        Ok(Require::new(Requirement::new().any_scope(scopes)?))
    }

    /// The token must carry all of these scopes.
    /// An empty list or name is a [`BuildError`], as in [`Requirement::all_scopes`].
    pub fn all_scopes<S: Into<String>>(
        scopes: impl IntoIterator<Item = S>,
    ) -> Result<Require, BuildError> {
        Ok(Require::new(Requirement::new().all_scopes(scopes)?))
    }

    /// The user must be in at least one of these groups (`cognito:groups`).
    /// An empty list or name is a [`BuildError`], as in [`Requirement::any_group`].
    pub fn any_group<S: Into<String>>(
        groups: impl IntoIterator<Item = S>,
    ) -> Result<Require, BuildError> {
        Ok(Require::new(Requirement::new().any_group(groups)?))
    }

    /// The user must be in all of these groups.
    /// An empty list or name is a [`BuildError`], as in [`Requirement::all_groups`].
    pub fn all_groups<S: Into<String>>(
        groups: impl IntoIterator<Item = S>,
    ) -> Result<Require, BuildError> {
        Ok(Require::new(Requirement::new().all_groups(groups)?))
    }

    /// The requirement checked.
    pub fn requirement(&self) -> &Requirement {
        &self.requirement
    }

    /// `Ok` to let the request through, or the rejection and how to render it.
    fn evaluate(&self, state: Option<&AuthState>) -> Result<(), (Error, Arc<Renderer>)> {
        match state {
            Some(AuthState {
                claims: Some(claims),
                renderer,
            }) => self.requirement.verify(claims).map_err(|e| {
                crate::log_refused(&e, Some(claims));
                (e, Arc::clone(renderer))
            }),
            Some(AuthState {
                claims: None,
                renderer,
            }) => Err((Error::MissingToken, Arc::clone(renderer))),
            None => {
                tracing::warn!(
                    "Require ran without CognitoAuth in front of it; answering 401 (in actix-web the last wrap runs first)"
                );
                Err((Error::MissingToken, Arc::default()))
            }
        }
    }
}

impl Guard for Require {
    fn check(&self, ctx: &GuardContext<'_>) -> bool {
        let extensions = ctx.req_data();
        matches!(
            extensions.get::<AuthState>(),
            Some(AuthState { claims: Some(claims), .. }) if self.requirement.verify(claims).is_ok()
        )
    }
}

impl<S, B> Transform<S, ServiceRequest> for Require
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = RequireMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireMiddleware {
            service: Rc::new(service),
            require: self.clone(),
        }))
    }
}

/// The service [`Require`] wraps around a route.
pub struct RequireMiddleware<S> {
    service: Rc<S>,
    require: Require,
}

impl<S> fmt::Debug for RequireMiddleware<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireMiddleware")
            .field("requirement", &self.require.requirement)
            .finish_non_exhaustive()
    }
}

type Passed<B> = fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B>>;

impl<S, B> Service<ServiceRequest> for RequireMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    #[allow(clippy::type_complexity)]
    type Future = Either<
        MapOk<S::Future, Passed<B>>,
        Ready<Result<ServiceResponse<EitherBody<B>>, actix_web::Error>>,
    >;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let outcome = self.require.evaluate(req.extensions().get::<AuthState>());
        match outcome {
            Ok(()) => {
                let passed: Passed<B> = ServiceResponse::map_into_left_body;
                Either::Left(self.service.call(req).map_ok(passed))
            }
            Err((error, renderer)) => {
                let response: HttpResponse = renderer.render(&error);
                Either::Right(ready(Ok(req.into_response(response).map_into_right_body())))
            }
        }
    }
}

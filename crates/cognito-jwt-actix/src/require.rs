//! Per-route authorization: [`Require`] (a middleware and a guard),
//! [`RequireService`] and its [`RequireFuture`], over the core
//! [`Requirement`].

use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::guard::{Guard, GuardContext};
use cognito_jwt::adapter::{Need, Refusal};
use cognito_jwt::{BuildError, Claims, Requirement, TokenUse};
use futures_util::TryFutureExt;
use futures_util::future::{Either, MapOk, Ready, ready};

use crate::cognito_auth::AuthContext;
use crate::rejection::Renderer;

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
/// let read = Require::access_token().any_scope(["orders/read"])?;
/// let write = Require::access_token().any_scope(["orders/write"])?;
/// let app = App::new().wrap(CognitoAuth::new(verifier)).service(
///     web::resource("/orders")
///         .route(web::get().to(HttpResponse::Ok).wrap(read))
///         .route(web::post().to(HttpResponse::Created).wrap(write)),
/// )
/// .service(web::scope("/admin").wrap(Require::any_token().any_group(["admin"])?));
/// # let _ = app; Ok::<(), cognito_jwt::BuildError>(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Require {
    requirement: Arc<Requirement>,
}

impl Require {
    /// Check this requirement.
    pub fn new(requirement: Requirement) -> Self {
        Require {
            requirement: Arc::new(requirement),
        }
    }

    /// Start from "any verified token" (add rules to it).
    pub fn any_token() -> Self {
        Self::new(Requirement::new())
    }

    /// Start from "an access token".
    pub fn access_token() -> Self {
        Self::new(Requirement::new().token_use(TokenUse::Access))
    }

    /// Start from "an ID token".
    pub fn id_token() -> Self {
        Self::new(Requirement::new().token_use(TokenUse::Id))
    }

    fn map(self, change: impl FnOnce(Requirement) -> Requirement) -> Self {
        Self::new(change(Arc::unwrap_or_clone(self.requirement)))
    }

    fn try_map(
        self,
        change: impl FnOnce(Requirement) -> Result<Requirement, BuildError>,
    ) -> Result<Self, BuildError> {
        Ok(Self::new(change(Arc::unwrap_or_clone(self.requirement))?))
    }

    /// The token must be of this kind (401 `invalid_token` otherwise).
    pub fn token_use(self, token_use: TokenUse) -> Self {
        self.map(|r| r.token_use(token_use))
    }

    /// At least one of these scopes.
    /// An empty list or name is a [`BuildError`], as in [`Requirement::any_scope`].
    pub fn any_scope<S: Into<String>>(
        self,
        scopes: impl IntoIterator<Item = S>,
    ) -> Result<Self, BuildError> {
        self.try_map(|r| r.any_scope(scopes))
    }

    /// All of these scopes.
    /// An empty list or name is a [`BuildError`], as in [`Requirement::all_scopes`].
    pub fn all_scopes<S: Into<String>>(
        self,
        scopes: impl IntoIterator<Item = S>,
    ) -> Result<Self, BuildError> {
        self.try_map(|r| r.all_scopes(scopes))
    }

    /// At least one of these groups (`cognito:groups`).
    /// An empty list or name is a [`BuildError`], as in [`Requirement::any_group`].
    pub fn any_group<S: Into<String>>(
        self,
        groups: impl IntoIterator<Item = S>,
    ) -> Result<Self, BuildError> {
        self.try_map(|r| r.any_group(groups))
    }

    /// All of these groups.
    /// An empty list or name is a [`BuildError`], as in [`Requirement::all_groups`].
    pub fn all_groups<S: Into<String>>(
        self,
        groups: impl IntoIterator<Item = S>,
    ) -> Result<Self, BuildError> {
        self.try_map(|r| r.all_groups(groups))
    }

    /// Your own check; `Err(reason)` is 403 and the reason goes to logs only.
    pub fn check<F>(self, check: F) -> Self
    where
        F: Fn(&Claims) -> Result<(), String> + Send + Sync + 'static,
    {
        self.map(|r| r.check(check))
    }

    /// The requirement checked.
    pub fn requirement(&self) -> &Requirement {
        &self.requirement
    }

    fn need(&self) -> Need {
        Need::requirement(Arc::clone(&self.requirement))
    }
}

impl From<Requirement> for Require {
    fn from(requirement: Requirement) -> Self {
        Require::new(requirement)
    }
}

impl Guard for Require {
    fn check(&self, ctx: &GuardContext<'_>) -> bool {
        let extensions = ctx.req_data();
        extensions
            .get::<Claims>()
            .is_some_and(|claims| self.need().allows(claims))
    }
}

impl<S, B> Transform<S, ServiceRequest> for Require
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = RequireService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireService {
            service: Rc::new(service),
            need: self.need(),
        }))
    }
}

/// The service [`Require`] wraps around a route.
pub struct RequireService<S> {
    service: Rc<S>,
    need: Need,
}

impl<S> fmt::Debug for RequireService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireService")
            .field("need", &self.need)
            .finish_non_exhaustive()
    }
}

/// The response future of [`RequireService`]: the wrapped service's own
/// future, or the refusal.
pub type RequireFuture<S, B> = Either<
    MapOk<<S as Service<ServiceRequest>>::Future, Passed<B>>,
    Ready<Result<ServiceResponse<EitherBody<B>>, actix_web::Error>>,
>;

/// How a passed request's response is mapped.
pub type Passed<B> = fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B>>;

impl<S, B> Service<ServiceRequest> for RequireService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = RequireFuture<S, B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let outcome = {
            let extensions = req.extensions();
            match extensions.get::<AuthContext>() {
                None => Err((
                    Refusal::not_configured("cognito_jwt_actix::Require"),
                    Renderer::default(),
                )),
                Some(context) => context
                    .0
                    .gate
                    .admit(extensions.get::<Claims>(), &self.need)
                    .map(|_| ())
                    .map_err(|refusal| (refusal, context.0.renderer.clone())),
            }
        };
        match outcome {
            Ok(()) => {
                let passed: Passed<B> = ServiceResponse::map_into_left_body;
                Either::Left(self.service.call(req).map_ok(passed))
            }
            Err((refusal, renderer)) => {
                let response = renderer.render(&refusal, req.headers());
                Either::Right(ready(Ok(req.into_response(response).map_into_right_body())))
            }
        }
    }
}

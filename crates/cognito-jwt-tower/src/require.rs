//! Per-route authorization: [`Require`], [`RequireService`] and its
//! [`RequireFuture`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use cognito_jwt::adapter::Need;
use cognito_jwt::{BuildError, Claims, Requirement, TokenUse};
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::body::{RejectionBody, refusal};
use crate::cognito_auth::AuthContext;
use crate::rejection::not_configured;

/// A layer that checks the verified claims against a [`Requirement`] before
/// the route runs: token use, scopes (any-of / all-of), groups, or your own
/// check. Put it below a [`CognitoAuth`](crate::CognitoAuth), for example with
/// axum's `route_layer`.
///
/// A missing scope or group is 403 `insufficient_scope` (naming the scopes);
/// the wrong token use is 401 `invalid_token`; no token (optional mode) is 401.
///
/// ```
/// use axum::{Router, routing::get};
/// use cognito_jwt::{Issuer, Verifier};
/// use cognito_jwt_testkit::{JwksServer, TestIssuer};
/// use cognito_jwt_tower::{CognitoAuth, Require};
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let issuer = TestIssuer::cognito();
/// let jwks = JwksServer::start(&issuer);
/// let verifier = Verifier::builder(Issuer::cognito("us-east-1_TestPool1").jwks_url(jwks.url()))
///     .client_ids([issuer.client_id()])
///     .any_token_use()
///     .build()
///     .unwrap();
///
/// let app = Router::new()
///     .route("/orders", get(|| async { "orders" }))
///     .route_layer(Require::access_token().any_scope(["orders/read"]).unwrap())
///     .layer(CognitoAuth::new(verifier));
///
/// let token = issuer.access_token().scopes(&["openid"]).build();
/// let request = http::Request::get("/orders")
///     .header("authorization", format!("Bearer {token}"))
///     .body(axum::body::Body::empty())
///     .unwrap();
/// let response = app.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 403);
/// assert_eq!(
///     response.headers()["www-authenticate"],
///     r#"Bearer error="insufficient_scope", error_description="the token lacks the required scope", scope="orders/read""#
/// );
/// # }
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

impl<S> Layer<S> for Require {
    type Service = RequireService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireService {
            inner,
            need: self.need(),
        }
    }
}

/// The service made by [`Require`].
#[derive(Clone)]
pub struct RequireService<S> {
    inner: S,
    need: Need,
}

impl<S: fmt::Debug> fmt::Debug for RequireService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireService")
            .field("inner", &self.inner)
            .field("need", &self.need)
            .finish()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequireService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: RejectionBody,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = RequireFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let extensions = request.extensions();
        let outcome = match extensions.get::<AuthContext>() {
            None => Err(not_configured(
                "cognito_jwt_tower::Require",
                request.headers(),
            )),
            Some(context) => context
                .0
                .gate
                .admit(extensions.get::<Claims>(), &self.need)
                .map(|_| ())
                .map_err(|refusal| context.render(&refusal, request.headers())),
        };
        match outcome {
            Ok(()) => RequireFuture {
                kind: Kind::Inner {
                    future: self.inner.call(request),
                },
            },
            Err(response) => RequireFuture {
                kind: Kind::Refused {
                    response: Some(response),
                },
            },
        }
    }
}

pin_project! {
    /// The response future of [`RequireService`].
    pub struct RequireFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Inner { #[pin] future: F },
        Refused { response: Option<Response<Bytes>> },
    }
}

impl<F> fmt::Debug for RequireFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireFuture").finish_non_exhaustive()
    }
}

impl<F, ResBody, E> Future for RequireFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    ResBody: RejectionBody,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future } => future.poll(cx),
            KindProj::Refused { response } => Poll::Ready(Ok(refusal(response.take()))),
        }
    }
}

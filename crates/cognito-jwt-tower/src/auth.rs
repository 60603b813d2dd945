//! The authentication middleware: [`AuthLayer`], [`AuthService`] and its
//! [`ResponseFuture`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use cognito_jwt::{
    Authentication, Claims, Error, HeaderSource, Requirement, TokenSource, Verifier,
};
use http::{HeaderMap, Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::body::{RejectionBody, refusal};
use crate::response::{RenderRejection, Renderer, reject};

/// [`HeaderSource`] over an `http` header map.
pub(crate) struct Headers<'a>(pub(crate) &'a HeaderMap);

impl HeaderSource for Headers<'_> {
    fn each_value<'a>(&'a self, name: &str, f: &mut dyn FnMut(&'a [u8])) {
        // The two names asked on every request, without parsing `name`.
        let values = match name {
            "authorization" => self.0.get_all(http::header::AUTHORIZATION),
            "cookie" => self.0.get_all(http::header::COOKIE),
            other => self.0.get_all(other),
        };
        for value in values {
            f(value.as_bytes());
        }
    }
}

/// The configuration shared by a layer, its services, and (through the
/// request extensions) the route layers and extractors below it.
#[derive(Clone, Debug)]
pub(crate) struct Shared {
    pub(crate) verifier: Verifier,
    pub(crate) source: TokenSource,
    pub(crate) optional: bool,
    pub(crate) requirement: Requirement,
    pub(crate) realm: Option<String>,
    pub(crate) renderer: Renderer,
}

/// What [`AuthService`] leaves in the request extensions for the route
/// layers and extractors below it: how to answer a refusal.
#[derive(Clone, Debug)]
pub(crate) struct AuthContext(pub(crate) Arc<Shared>);

impl AuthContext {
    pub(crate) fn reject(&self, error: &Error, headers: &HeaderMap) -> Response<Bytes> {
        reject(error, self.0.realm.as_deref(), &*self.0.renderer.0, headers)
    }
}

/// A [`tower`](https://docs.rs/tower) layer that verifies the request's
/// bearer token with a shared [`Verifier`].
///
/// On success the verified [`Claims`] go into the request extensions and the
/// inner service runs; otherwise the layer answers by itself with the RFC 6750
/// response of the core [`Challenge`](cognito_jwt::Challenge) (or a gRPC
/// status for gRPC calls). Cheap to clone; no lock and no blocking on the
/// request path. The inner service must be `Clone` (axum routers and tonic
/// services are). Responses keep the inner service's body type, which must
/// implement [`RejectionBody`] (axum's body does; tonic's with the `tonic`
/// feature; see [`crate::body`] for the others).
///
/// ```
/// use axum::{Extension, Router, routing::get};
/// use cognito_jwt::{Claims, Issuer, Verifier};
/// use cognito_jwt_testkit::{JwksServer, TestIssuer};
/// use cognito_jwt_tower::AuthLayer;
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
///     .route("/me", get(|Extension(claims): Extension<Claims>| async move {
///         claims.sub().to_owned()
///     }))
///     .layer(AuthLayer::new(verifier).realm("orders"));
///
/// let request = http::Request::get("/me")
///     .header("authorization", format!("Bearer {}", issuer.access_token().build()))
///     .body(axum::body::Body::empty())
///     .unwrap();
/// assert_eq!(app.clone().oneshot(request).await.unwrap().status(), 200);
///
/// let request = http::Request::get("/me").body(axum::body::Body::empty()).unwrap();
/// let response = app.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="orders""#);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct AuthLayer {
    shared: Arc<Shared>,
}

impl AuthLayer {
    /// Verify the `Authorization: Bearer` token of every request with `verifier`.
    pub fn new(verifier: Verifier) -> Self {
        AuthLayer {
            shared: Arc::new(Shared {
                verifier,
                source: TokenSource::default(),
                optional: false,
                requirement: Requirement::new(),
                realm: None,
                renderer: Renderer::default(),
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Shared)) -> Self {
        f(Arc::make_mut(&mut self.shared));
        self
    }

    /// Where else tokens may come from (a cookie, another header). A request
    /// carrying two credentials is refused with 400 `invalid_request`.
    pub fn token_source(self, source: TokenSource) -> Self {
        self.edit(|s| s.source = source)
    }

    /// Optional mode: a request without a token reaches the inner service
    /// without claims. A token that is present but bad is still refused.
    pub fn optional(self) -> Self {
        self.edit(|s| s.optional = true)
    }

    /// Also check this requirement on every verified token (for a tower stack
    /// without per-route layers, such as a tonic server).
    pub fn require(self, requirement: Requirement) -> Self {
        self.edit(|s| s.requirement = requirement)
    }

    /// Name this `realm` in every `WWW-Authenticate` challenge.
    pub fn realm(self, realm: impl Into<String>) -> Self {
        self.edit(|s| s.realm = Some(realm.into()))
    }

    /// Render refusals yourself (also used by [`RequireLayer`](crate::RequireLayer)
    /// and the axum extractors below this layer).
    pub fn render_rejection(self, render: impl RenderRejection) -> Self {
        self.edit(|s| s.renderer = Renderer(Arc::new(render)))
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.shared.verifier
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The service made by [`AuthLayer`].
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: fmt::Debug> fmt::Debug for AuthService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthService")
            .field("inner", &self.inner)
            .field("optional", &self.shared.optional)
            .finish_non_exhaustive()
    }
}

type Verification = Pin<Box<dyn Future<Output = Result<Claims, Error>> + Send>>;

/// Check the layer's requirement on a verification outcome and, on success,
/// put the claims and the context into the request.
fn admit<B>(shared: &Arc<Shared>, claims: Claims, request: &mut Request<B>) -> Result<(), Error> {
    shared.requirement.verify(&claims)?;
    tracing::trace!(
        kid = claims.key_id(),
        iss = claims.issuer(),
        token_use = claims.token_use().as_str(),
        "token verified"
    );
    let extensions = request.extensions_mut();
    extensions.insert(claims);
    extensions.insert(AuthContext(Arc::clone(shared)));
    Ok(())
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for AuthService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    ResBody: RejectionBody,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let shared = &self.shared;
        let headers = Headers(request.headers());
        let state = match shared.verifier.authenticate(&shared.source, &headers) {
            // The common case, a token seen before: answered from the
            // verifier's cache without I/O, copy, boxed future or swap of the
            // inner service.
            Authentication::Decided(Ok(claims)) => match admit(shared, claims, &mut request) {
                Ok(()) => State::Inner {
                    future: self.inner.call(request),
                },
                Err(e) => State::reject(shared, &e, request.headers()),
            },
            Authentication::Verify(token) => {
                // The inner service that was polled ready is taken; a clone stays behind.
                let clone = self.inner.clone();
                let service = std::mem::replace(&mut self.inner, clone);
                let verifier = shared.verifier.clone();
                let token = token.to_owned();
                State::Verifying {
                    verification: Box::pin(async move { verifier.verify(&token).await }),
                    pending: Some(Box::new((request, service))),
                    shared: Arc::clone(shared),
                }
            }
            Authentication::Anonymous if shared.optional => {
                request
                    .extensions_mut()
                    .insert(AuthContext(Arc::clone(shared)));
                State::Inner {
                    future: self.inner.call(request),
                }
            }
            Authentication::Anonymous => {
                State::reject(shared, &Error::MissingToken, request.headers())
            }
            Authentication::Decided(Err(e)) => State::reject(shared, &e, request.headers()),
        };
        ResponseFuture { state }
    }
}

pin_project! {
    /// The response future of [`AuthService`].
    pub struct ResponseFuture<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        #[pin]
        state: State<S, ReqBody>,
    }
}

pin_project! {
    // The hot path is `Inner`: the other states keep their data boxed, so
    // that the future is hardly larger than the inner one (264 bytes against
    // 24 for an axum handler's, otherwise), and is cheap to move.
    #[project = StateProj]
    enum State<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        Verifying {
            verification: Verification,
            pending: Option<Box<(Request<ReqBody>, S)>>,
            shared: Arc<Shared>,
        },
        Inner {
            #[pin]
            future: S::Future,
        },
        Refused {
            response: Option<Box<Response<Bytes>>>,
        },
    }
}

impl<S, ReqBody> State<S, ReqBody>
where
    S: Service<Request<ReqBody>>,
{
    fn reject(shared: &Shared, error: &Error, headers: &HeaderMap) -> Self {
        State::Refused {
            response: Some(Box::new(reject(
                error,
                shared.realm.as_deref(),
                &*shared.renderer.0,
                headers,
            ))),
        }
    }
}

impl<S, ReqBody> fmt::Debug for ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Future for ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: RejectionBody,
{
    type Output = Result<Response<ResBody>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let next = match this.state.as_mut().project() {
                StateProj::Inner { future } => {
                    return future.poll(cx);
                }
                StateProj::Refused { response } => {
                    return Poll::Ready(Ok(refusal(response.take().map(|r| *r))));
                }
                StateProj::Verifying {
                    verification,
                    pending,
                    shared,
                } => {
                    let outcome = ready!(verification.as_mut().poll(cx));
                    let Some((mut request, mut service)) = pending.take().map(|p| *p) else {
                        this.state.set(State::Refused { response: None });
                        continue;
                    };
                    match outcome.and_then(|claims| admit(shared, claims, &mut request)) {
                        Ok(()) => State::Inner {
                            future: service.call(request),
                        },
                        Err(e) => State::reject(shared, &e, request.headers()),
                    }
                }
            };
            this.state.set(next);
        }
    }
}

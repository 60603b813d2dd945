//! The authentication middleware: [`CognitoAuth`], [`CognitoAuthService`]
//! and its [`CognitoAuthFuture`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use cognito_jwt::adapter::{Decision, Gate, HeaderSource, Refusal, Verdict};
use cognito_jwt::{AlbVerifier, BuildError, Requirement, TokenSource, Trust, Verifier};
use http::{HeaderMap, Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::body::{RejectionBody, refusal};
use crate::rejection::{RenderRejection, Renderer, render};

/// [`HeaderSource`] over an `http` header map.
struct Headers<'a>(&'a HeaderMap);

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

/// A middleware's settings: the core [`Gate`] that decides, and how its
/// refusals are rendered.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) gate: Gate,
    pub(crate) renderer: Renderer,
    /// Answer gRPC calls with a gRPC status ([`CognitoAuth::grpc`]).
    pub(crate) grpc: bool,
}

/// What [`CognitoAuthService`] leaves in the extensions of every request it
/// lets through, for the route layers and extractors below it: the gate
/// that admitted it and how to render their refusals.
#[derive(Clone, Debug)]
pub(crate) struct AuthContext(pub(crate) Arc<Settings>);

impl AuthContext {
    /// Render a refusal made for a request with `headers`.
    pub(crate) fn render(&self, refusal: &Refusal, headers: &HeaderMap) -> Response<Bytes> {
        render(refusal, &self.0.renderer, self.0.grpc, headers)
    }
}

/// A [`tower`](https://docs.rs/tower) layer that verifies the request's
/// bearer token with a shared [`Verifier`].
///
/// On success the verified [`Claims`](cognito_jwt::Claims) go into the
/// request extensions and the inner service runs; otherwise the layer
/// answers by itself with the RFC 6750 response of the core
/// [`Challenge`](cognito_jwt::Challenge) (or, with [`grpc`](Self::grpc), a
/// gRPC status for gRPC calls). Cheap to clone; no lock and no blocking on
/// the request path. The inner service must be `Clone` (axum routers and
/// tonic services are). Responses keep the inner service's body type, which
/// must implement [`RejectionBody`] (axum's body does; tonic's with the
/// `tonic` feature; see [`crate::body`] for the others).
///
/// ```
/// use axum::{Extension, Router, routing::get};
/// use cognito_jwt::{Claims, Issuer, Verifier};
/// use cognito_jwt_testkit::{JwksServer, TestIssuer};
/// use cognito_jwt_tower::CognitoAuth;
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let issuer = TestIssuer::cognito();
/// let jwks = JwksServer::start(&issuer);
/// let verifier = Verifier::builder(Issuer::cognito("us-east-1_TestPool1").jwks_url(jwks.url()))
///     .client_ids([issuer.client_id()])
///     .any_token_use()
///     .build()?;
///
/// let app = Router::new()
///     .route("/me", get(|Extension(claims): Extension<Claims>| async move {
///         claims.sub().to_owned()
///     }))
///     .layer(CognitoAuth::new(verifier).realm("orders")?);
///
/// let request = http::Request::get("/me")
///     .header("authorization", format!("Bearer {}", issuer.access_token().build()))
///     .body(axum::body::Body::empty())?;
/// assert_eq!(app.clone().oneshot(request).await?.status(), 200);
///
/// let request = http::Request::get("/me").body(axum::body::Body::empty())?;
/// let response = app.oneshot(request).await?;
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="orders""#);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct CognitoAuth {
    settings: Settings,
}

impl CognitoAuth {
    /// Every request needs a valid `Authorization: Bearer` token, verified
    /// with `verifier` (required mode).
    pub fn new(verifier: Verifier) -> Self {
        CognitoAuth {
            settings: Settings {
                gate: Gate::new(verifier),
                renderer: Renderer::default(),
                grpc: false,
            },
        }
    }

    fn with_gate(mut self, change: impl FnOnce(Gate) -> Gate) -> Self {
        self.settings.gate = change(self.settings.gate);
        self
    }

    /// Where else tokens may come from (a cookie, another header). A request
    /// carrying two credentials is refused with 400 `invalid_request`.
    pub fn token_source(self, source: TokenSource) -> Self {
        self.with_gate(|g| g.token_source(source))
    }

    /// Also (or only) trust the data token an Application Load Balancer
    /// forwards in `x-amzn-oidc-data`, verified by `alb`: [`Trust`] says
    /// which credential is taken, and what happens when a request carries
    /// both. Handlers get its claims through the same extractors (an access
    /// token of the user, with no scopes). Trust the header only when every
    /// request comes through the load balancer; see the README's "Behind an
    /// Application Load Balancer".
    pub fn alb_data(self, alb: AlbVerifier, trust: Trust) -> Self {
        self.with_gate(|g| g.alb_data(alb, trust))
    }

    /// Optional mode: a request without credentials reaches the handler
    /// without claims; one with a bad token is still refused. Handlers take
    /// `Option<AccessToken>` (or another extractor) to tell the two apart; a
    /// plain extractor answers 401 when there is no token.
    pub fn optional(self) -> Self {
        self.with_gate(Gate::optional)
    }

    /// Check every verified token against this requirement before the
    /// inner service runs (for a stack without per-route layers, such as a
    /// tonic server). Per-route needs fit [`Require`](crate::Require) better.
    pub fn require(self, requirement: Requirement) -> Self {
        self.with_gate(|g| g.require(requirement))
    }

    /// Name this `realm` in every `WWW-Authenticate` challenge. A realm that
    /// is empty or not printable ASCII is a [`BuildError`].
    pub fn realm(mut self, realm: impl Into<String>) -> Result<Self, BuildError> {
        self.settings.gate = self.settings.gate.realm(realm)?;
        Ok(self)
    }

    /// Name this RFC 9728 Protected Resource Metadata URL in every 401 and
    /// 403 challenge (`resource_metadata="…"`), as MCP clients expect. An
    /// URL that is not `https` (or `http` on loopback) is a [`BuildError`].
    pub fn resource_metadata(mut self, url: impl Into<String>) -> Result<Self, BuildError> {
        self.settings.gate = self.settings.gate.resource_metadata(url)?;
        Ok(self)
    }

    /// Render refusals yourself, here and in the [`Require`](crate::Require)
    /// layers and extractors below this middleware.
    pub fn render_rejection(mut self, render: impl RenderRejection) -> Self {
        self.settings.renderer = Renderer(Arc::new(render));
        self
    }

    /// Answer refused gRPC calls (`content-type: application/grpc…`) with a
    /// trailers-only gRPC status ([`crate::grpc`]) instead of an HTTP
    /// status: for tonic servers, and for routers serving both. Without it
    /// every refusal is an HTTP answer, whatever the content type.
    pub fn grpc(mut self) -> Self {
        self.settings.grpc = true;
        self
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier {
        self.settings.gate.verifier()
    }
}

impl<S> Layer<S> for CognitoAuth {
    type Service = CognitoAuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CognitoAuthService {
            inner,
            context: AuthContext(Arc::new(self.settings.clone())),
        }
    }
}

/// The service made by [`CognitoAuth`].
#[derive(Clone)]
pub struct CognitoAuthService<S> {
    inner: S,
    context: AuthContext,
}

impl<S: fmt::Debug> fmt::Debug for CognitoAuthService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuthService")
            .field("inner", &self.inner)
            .field("gate", &self.context.0.gate)
            .finish_non_exhaustive()
    }
}

type Verification = Pin<Box<dyn Future<Output = Verdict> + Send>>;

/// Put what the gate admitted into the request, for the handler and the
/// route layers and extractors below.
fn attach<B>(context: &AuthContext, claims: Option<cognito_jwt::Claims>, request: &mut Request<B>) {
    let extensions = request.extensions_mut();
    if let Some(claims) = claims {
        extensions.insert(claims);
    }
    extensions.insert(context.clone());
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for CognitoAuthService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    ResBody: RejectionBody,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = CognitoAuthFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let context = &self.context;
        let state = match context.0.gate.decide(&Headers(request.headers())) {
            // The common case, a token seen before: answered from the
            // verifier's cache without I/O, copy, boxed future or swap of the
            // inner service.
            Decision::Now(Verdict::Proceed(claims)) => {
                attach(context, Some(claims), &mut request);
                State::Inner {
                    future: self.inner.call(request),
                }
            }
            Decision::Now(Verdict::Anonymous) => {
                attach(context, None, &mut request);
                State::Inner {
                    future: self.inner.call(request),
                }
            }
            Decision::Now(Verdict::Refuse(refusal)) => State::refuse(context, &refusal, &request),
            Decision::Verify(token) => {
                let pending = Pending::Bearer(token.to_owned());
                self.verifying(request, pending)
            }
            Decision::VerifyAlbData(token) => {
                let pending = Pending::AlbData(token.to_owned());
                self.verifying(request, pending)
            }
        };
        CognitoAuthFuture { state }
    }
}

/// A token to verify, and which verifier verifies it.
enum Pending {
    Bearer(String),
    AlbData(String),
}

impl<S> CognitoAuthService<S> {
    /// The state of a request whose token is verified asynchronously.
    fn verifying<ReqBody>(
        &mut self,
        request: Request<ReqBody>,
        pending: Pending,
    ) -> State<S, ReqBody>
    where
        S: Service<Request<ReqBody>> + Clone,
    {
        // The inner service that was polled ready is taken; a clone stays behind.
        let clone = self.inner.clone();
        let service = std::mem::replace(&mut self.inner, clone);
        let gate = self.context.0.gate.clone();
        State::Verifying {
            verification: Box::pin(async move {
                match pending {
                    Pending::Bearer(token) => gate.verify(&token).await,
                    Pending::AlbData(token) => gate.verify_alb_data(&token).await,
                }
            }),
            pending: Some(Box::new((request, service))),
            context: self.context.clone(),
        }
    }
}

pin_project! {
    /// The response future of [`CognitoAuthService`].
    pub struct CognitoAuthFuture<S, ReqBody>
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
            context: AuthContext,
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
    fn refuse(context: &AuthContext, refusal: &Refusal, request: &Request<ReqBody>) -> Self {
        State::Refused {
            response: Some(Box::new(context.render(refusal, request.headers()))),
        }
    }
}

impl<S, ReqBody> fmt::Debug for CognitoAuthFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuthFuture").finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Future for CognitoAuthFuture<S, ReqBody>
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
                    context,
                } => {
                    let verdict = ready!(verification.as_mut().poll(cx));
                    let Some((mut request, mut service)) = pending.take().map(|p| *p) else {
                        this.state.set(State::Refused { response: None });
                        continue;
                    };
                    match verdict {
                        Verdict::Proceed(claims) => {
                            attach(context, Some(claims), &mut request);
                            State::Inner {
                                future: service.call(request),
                            }
                        }
                        // `verify` only runs for a token, which is never anonymous.
                        Verdict::Anonymous => {
                            attach(context, None, &mut request);
                            State::Inner {
                                future: service.call(request),
                            }
                        }
                        Verdict::Refuse(refusal) => State::refuse(context, &refusal, &request),
                    }
                }
            };
            this.state.set(next);
        }
    }
}

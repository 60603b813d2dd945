//! The authentication middleware: [`CognitoAuth`], [`CognitoAuthService`]
//! and its [`CognitoAuthFuture`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::HeaderMap;
use cognito_jwt::adapter::{Decision, Gate, HeaderSource, Refusal, Verdict};
use cognito_jwt::{AlbVerifier, BuildError, Claims, Requirement, TokenSource, Trust, Verifier};
use futures_util::future::{LocalBoxFuture, Ready, ready};
use pin_project_lite::pin_project;

use crate::rejection::{RenderRejection, Renderer};

/// actix-web's [`HeaderMap`] as a core [`HeaderSource`].
struct Headers<'a>(&'a HeaderMap);

impl HeaderSource for Headers<'_> {
    fn each_value<'a>(&'a self, name: &str, f: &mut dyn FnMut(&'a [u8])) {
        use actix_web::http::header;
        // The two names asked on every request, without parsing `name`.
        let values = match name {
            "authorization" => self.0.get_all(header::AUTHORIZATION),
            "cookie" => self.0.get_all(header::COOKIE),
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
}

/// What [`CognitoAuthService`] leaves in the extensions of every request it
/// lets through, for the [`Require`](crate::Require) middleware, guards and
/// extractors behind it: the gate that admitted it and how to render their
/// refusals.
#[derive(Clone, Debug)]
pub(crate) struct AuthContext(pub(crate) Arc<Settings>);

/// Verifies the bearer token of every request it wraps.
///
/// Wrap an `App`, a `scope` or a `resource`. A request with a valid token
/// reaches the handler with its [`Claims`] in the request extensions (read
/// them with the [extractors](crate::AccessToken) or
/// `req.extensions().get::<Claims>()`); any other request is answered with
/// the RFC 6750 response of the core [`Challenge`](cognito_jwt::Challenge),
/// decided by the core [`Gate`]:
///
/// | request | answer |
/// |---|---|
/// | no credentials (required mode) | 401, `WWW-Authenticate: Bearer` |
/// | malformed `Authorization`, two credentials | 400 `invalid_request` |
/// | invalid, expired, foreign token | 401 `invalid_token` |
/// | [`require`](CognitoAuth::require)d scope or group missing | 403 `insufficient_scope` |
/// | keys unavailable | 503 with `Retry-After` |
/// | (an extractor or `Require` with no `CognitoAuth` in front) | 500 |
///
/// Build the [`Verifier`] once, outside `HttpServer::new`, and clone it into
/// each worker's `App`: the workers then share one JWKS cache, one in-flight
/// fetch and one verified-token cache. The fetch runs on the async runtime;
/// nothing blocks a worker thread.
///
/// ```
/// use actix_web::{App, test, web};
/// use cognito_jwt::{Issuer, Verifier};
/// use cognito_jwt_actix::{AccessToken, CognitoAuth};
/// use cognito_jwt_testkit::TestIssuer;
///
/// # #[actix_web::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = TestIssuer::cognito();
/// let verifier = Verifier::builder(
///     Issuer::cognito("us-east-1_TestPool1").static_jwks(pool.jwks().to_string()),
/// )
/// .client_ids([pool.client_id()])
/// .any_token_use()
/// .build()?;
/// let app = test::init_service(
///     App::new()
///         .wrap(CognitoAuth::new(verifier).realm("orders")?)
///         .route("/me", web::get().to(|token: AccessToken| async move { token.sub().to_owned() })),
/// )
/// .await;
///
/// let request = test::TestRequest::get()
///     .uri("/me")
///     .insert_header(("authorization", format!("Bearer {}", pool.access_token().build())))
///     .to_request();
/// assert_eq!(test::call_service(&app, request).await.status(), 200);
///
/// // An ID token where the handler wants an access token: 401 invalid_token.
/// let request = test::TestRequest::get()
///     .uri("/me")
///     .insert_header(("authorization", format!("Bearer {}", pool.id_token().build())))
///     .to_request();
/// let response = test::call_service(&app, request).await;
/// assert_eq!(response.status(), 401);
/// let challenge = response.headers().get("www-authenticate").unwrap().to_str()?;
/// assert!(challenge.starts_with(r#"Bearer realm="orders", error="invalid_token""#));
/// # Ok(()) }
/// ```
///
/// A server, with one verifier for every worker:
///
/// ```no_run
/// use actix_web::{App, HttpServer, get};
/// use cognito_jwt::{Issuer, Verifier};
/// use cognito_jwt_actix::{AccessToken, CognitoAuth};
///
/// #[get("/me")]
/// async fn me(token: AccessToken) -> String {
///     format!("hello {}", token.sub())
/// }
///
/// #[actix_web::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let verifier = Verifier::builder(Issuer::cognito("us-east-1_AbCdEf123"))
///         .client_ids(["1example23456789"])
///         .any_token_use()
///         .build()?;
///     let auth = CognitoAuth::new(verifier).realm("orders")?;
///     HttpServer::new(move || App::new().wrap(auth.clone()).service(me))
///     .bind("127.0.0.1:3000")?
///     .run()
///     .await?;
///     Ok(())
/// }
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
    /// [`Optional<AccessToken>`](crate::Optional) (or another extractor) to
    /// tell the two apart; a plain extractor answers 401 when there is no
    /// token.
    ///
    /// actix-web's own `Option<T>` turns *every* extractor error into
    /// `None`, so `Option<AccessToken>` would treat an ID token as no
    /// token at all: use [`Optional<T>`](crate::Optional), which refuses it.
    pub fn optional(self) -> Self {
        self.with_gate(Gate::optional)
    }

    /// Check every verified token against this requirement before the
    /// handler runs (for example a token kind or a scope for a whole scope
    /// of routes). Per-route needs fit [`Require`](crate::Require) better.
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
    /// middleware and extractors behind this middleware.
    pub fn render_rejection(mut self, render: impl RenderRejection) -> Self {
        self.settings.renderer = Renderer(Some(Arc::new(render)));
        self
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier {
        self.settings.gate.verifier()
    }
}

impl<S, B> Transform<S, ServiceRequest> for CognitoAuth
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = CognitoAuthService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CognitoAuthService {
            service: Rc::new(service),
            context: AuthContext(Arc::new(self.settings.clone())),
        }))
    }
}

/// The service [`CognitoAuth`] wraps around your routes (one per worker).
pub struct CognitoAuthService<S> {
    service: Rc<S>,
    context: AuthContext,
}

impl<S> fmt::Debug for CognitoAuthService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuthService")
            .field("gate", &self.context.0.gate)
            .finish_non_exhaustive()
    }
}

impl AuthContext {
    /// Put what the gate admitted into the request, for the handler and the
    /// guards, middleware and extractors behind.
    fn attach(&self, req: &ServiceRequest, claims: Option<Claims>) {
        let mut extensions = req.extensions_mut();
        if let Some(claims) = claims {
            extensions.insert(claims);
        }
        extensions.insert(self.clone());
    }

    fn refuse<B>(&self, req: ServiceRequest, refusal: &Refusal) -> ServiceResponse<EitherBody<B>> {
        let response = self.0.renderer.render(refusal, req.headers());
        req.into_response(response).map_into_right_body()
    }
}

impl<S, B> Service<ServiceRequest> for CognitoAuthService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = CognitoAuthFuture<S, B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let context = &self.context;
        let headers = Headers(req.headers());
        let decision = context.0.gate.decide(&headers);
        let alb = matches!(decision, Decision::VerifyAlbData(_));
        let state = match decision {
            // The common case, a token seen before: answered from the
            // verifier's cache without a copy, an `await` or a boxed future.
            Decision::Now(Verdict::Proceed(claims)) => {
                context.attach(&req, Some(claims));
                State::Inner {
                    future: self.service.call(req),
                }
            }
            Decision::Now(Verdict::Anonymous) => {
                context.attach(&req, None);
                State::Inner {
                    future: self.service.call(req),
                }
            }
            Decision::Now(Verdict::Refuse(refusal)) => State::Refused {
                response: Some(context.refuse(req, &refusal)),
            },
            // A token not seen before (or whose key changed): verify it,
            // possibly fetching keys.
            Decision::Verify(token) | Decision::VerifyAlbData(token) => {
                let token = token.to_owned();
                let service = Rc::clone(&self.service);
                let context = context.clone();
                let future = Box::pin(async move {
                    let gate = &context.0.gate;
                    let verdict = if alb {
                        gate.verify_alb_data(&token).await
                    } else {
                        gate.verify(&token).await
                    };
                    match verdict {
                        Verdict::Proceed(claims) => {
                            context.attach(&req, Some(claims));
                            service
                                .call(req)
                                .await
                                .map(ServiceResponse::map_into_left_body)
                        }
                        // `verify` only runs for a token, which is never anonymous.
                        Verdict::Anonymous => {
                            context.attach(&req, None);
                            service
                                .call(req)
                                .await
                                .map(ServiceResponse::map_into_left_body)
                        }
                        Verdict::Refuse(refusal) => Ok(context.refuse(req, &refusal)),
                    }
                });
                State::Verifying { future }
            }
        };
        CognitoAuthFuture { state }
    }
}

pin_project! {
    /// The response future of [`CognitoAuthService`]: the wrapped service's
    /// own future when the answer was known at once, a boxed one only when the
    /// token has to be verified.
    pub struct CognitoAuthFuture<S, B>
    where
        S: Service<ServiceRequest>,
    {
        #[pin]
        state: State<S, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<ServiceRequest>,
    {
        Inner {
            #[pin]
            future: S::Future,
        },
        Verifying {
            future: LocalBoxFuture<'static, Result<ServiceResponse<EitherBody<B>>, actix_web::Error>>,
        },
        Refused {
            response: Option<ServiceResponse<EitherBody<B>>>,
        },
    }
}

impl<S, B> fmt::Debug for CognitoAuthFuture<S, B>
where
    S: Service<ServiceRequest>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuthFuture").finish_non_exhaustive()
    }
}

impl<S, B> Future for CognitoAuthFuture<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Inner { future } => future
                .poll(cx)
                .map(|r| r.map(ServiceResponse::map_into_left_body)),
            StateProj::Verifying { future } => future.as_mut().poll(cx),
            StateProj::Refused { response } => Poll::Ready(response.take().ok_or_else(|| {
                actix_web::error::ErrorInternalServerError(
                    "response future polled after completion",
                )
            })),
        }
    }
}

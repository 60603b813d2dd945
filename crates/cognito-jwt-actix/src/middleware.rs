//! The [`CognitoAuth`] middleware: find the bearer token, verify it, store the
//! claims in the request, or answer with the RFC 6750 challenge.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::HeaderMap;
use actix_web::{HttpMessage, HttpResponse};
use cognito_jwt::{
    Authentication, Challenge, Claims, Error, HeaderSource, Requirement, TokenSource, Verifier,
};
use futures_util::future::{LocalBoxFuture, Ready, ready};
use pin_project_lite::pin_project;

use crate::response::{ErrorHook, Renderer};

/// actix-web's [`HeaderMap`] as a core [`HeaderSource`], so the core
/// [`TokenSource`] can find the token in an actix request.
///
/// ```
/// use actix_web::test::TestRequest;
/// use cognito_jwt::TokenSource;
/// use cognito_jwt_actix::ActixHeaders;
///
/// let req = TestRequest::default()
///     .insert_header(("authorization", "Bearer abc.def.ghi"))
///     .to_http_request();
/// let headers = ActixHeaders(req.headers());
/// let token = TokenSource::default().extract(&headers);
/// assert_eq!(token, Ok(Some("abc.def.ghi")));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ActixHeaders<'a>(pub &'a HeaderMap);

impl HeaderSource for ActixHeaders<'_> {
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

/// What the middleware leaves in each request it lets through: the claims
/// (absent in optional mode without a token) and how to render rejections.
#[derive(Clone)]
pub(crate) struct AuthState {
    pub(crate) claims: Option<Claims>,
    pub(crate) renderer: Arc<Renderer>,
}

/// Verifies the bearer token of every request it wraps.
///
/// Wrap an `App`, a `scope` or a `resource`. A request with a valid token
/// reaches the handler with its [`Claims`] in the request extensions (read
/// them with the [extractors](crate::AccessToken) or
/// `req.extensions().get::<Claims>()`); any other request is answered with
/// the RFC 6750 response of the core [`Challenge`]:
///
/// | request | answer |
/// |---|---|
/// | no credentials (required mode) | 401, `WWW-Authenticate: Bearer` |
/// | malformed `Authorization`, two credentials | 400 `invalid_request` |
/// | invalid, expired, foreign token | 401 `invalid_token` |
/// | [`require`](CognitoAuth::require)d scope or group missing | 403 `insufficient_scope` |
/// | keys unavailable | 503 with `Retry-After` |
///
/// Build the [`Verifier`] once, outside `HttpServer::new`, and clone it into
/// each worker's `App`: the workers then share one JWKS cache, one in-flight
/// fetch and one verified-token cache. The fetch runs on the async runtime;
/// nothing blocks a worker thread.
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
///     HttpServer::new(move || {
///         App::new()
///             .wrap(CognitoAuth::new(verifier.clone()).realm("orders"))
///             .service(me)
///     })
///     .bind("127.0.0.1:3000")?
///     .run()
///     .await?;
///     Ok(())
/// }
/// ```
#[derive(Clone)]
pub struct CognitoAuth {
    verifier: Verifier,
    optional: bool,
    source: TokenSource,
    requirement: Option<Requirement>,
    renderer: Renderer,
}

impl fmt::Debug for CognitoAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuth")
            .field("verifier", &self.verifier)
            .field("optional", &self.optional)
            .field("source", &self.source)
            .field("requirement", &self.requirement)
            .field("renderer", &self.renderer)
            .finish()
    }
}

impl CognitoAuth {
    /// Every request needs a valid token (required mode).
    pub fn new(verifier: Verifier) -> CognitoAuth {
        CognitoAuth {
            verifier,
            optional: false,
            source: TokenSource::default(),
            requirement: None,
            renderer: Renderer::default(),
        }
    }

    /// A request without credentials reaches the handler without claims;
    /// one with a bad token is still refused (401). Handlers then take
    /// `Option<AccessToken>` (or another extractor) to tell the two apart;
    /// a non-optional extractor answers 401 when there is no token.
    ///
    /// ```
    /// # use cognito_jwt::Verifier;
    /// use cognito_jwt_actix::CognitoAuth;
    /// # fn f(verifier: Verifier) {
    /// let auth = CognitoAuth::optional(verifier);
    /// # let _ = auth; }
    /// ```
    pub fn optional(verifier: Verifier) -> CognitoAuth {
        CognitoAuth {
            optional: true,
            ..CognitoAuth::new(verifier)
        }
    }

    /// Where tokens may come from (default: the `Authorization: Bearer` header only).
    pub fn token_source(mut self, source: TokenSource) -> CognitoAuth {
        self.source = source;
        self
    }

    /// The `realm` named in every `WWW-Authenticate` challenge.
    pub fn realm(mut self, realm: impl Into<String>) -> CognitoAuth {
        self.renderer.realm = Some(Arc::from(realm.into()));
        self
    }

    /// Check every verified token against this requirement before the
    /// handler runs (for example a token kind or a scope for a whole scope
    /// of routes). Per-route needs fit [`Require`](crate::Require) better.
    pub fn require(mut self, requirement: Requirement) -> CognitoAuth {
        self.requirement = Some(requirement);
        self
    }

    /// Render rejections yourself, here and in the extractors and
    /// [`Require`](crate::Require) behind this middleware.
    ///
    /// ```
    /// use actix_web::HttpResponse;
    /// # use cognito_jwt::Verifier;
    /// use cognito_jwt_actix::{CognitoAuth, challenge_response};
    /// # fn f(verifier: Verifier) {
    /// let auth = CognitoAuth::new(verifier).on_error(|error, challenge| {
    ///     let mut response = challenge_response(challenge);
    ///     response.headers_mut().insert(
    ///         actix_web::http::header::HeaderName::from_static("x-auth-error"),
    ///         actix_web::http::header::HeaderValue::from_static(error.kind()),
    ///     );
    ///     response
    /// });
    /// # let _ = auth; }
    /// ```
    pub fn on_error<F>(mut self, hook: F) -> CognitoAuth
    where
        F: Fn(&Error, &Challenge) -> HttpResponse + Send + Sync + 'static,
    {
        self.renderer.hook = Some(Arc::new(hook) as ErrorHook);
        self
    }
}

/// One worker's configuration, shared by every request of that worker.
struct Inner {
    verifier: Verifier,
    optional: bool,
    source: TokenSource,
    requirement: Option<Requirement>,
    renderer: Arc<Renderer>,
}

impl Inner {
    /// Apply the middleware's own requirement to a verification outcome.
    fn admit(&self, outcome: Result<Claims, Error>) -> Result<Claims, Error> {
        let claims = outcome?;
        if let Some(Err(e)) = self.requirement.as_ref().map(|r| r.verify(&claims)) {
            crate::log_refused(&e, Some(&claims));
            return Err(e);
        }
        tracing::debug!(
            outcome = "accepted",
            token_use = claims.token_use().as_str(),
            kid = claims.key_id(),
            issuer = claims.issuer(),
            "bearer token accepted"
        );
        Ok(claims)
    }

    /// Leave the claims and the renderer in the request for the extractors and guards.
    fn store(&self, req: &ServiceRequest, claims: Option<Claims>) {
        let mut extensions = req.extensions_mut();
        if let Some(claims) = &claims {
            extensions.insert(claims.clone());
        }
        extensions.insert(AuthState {
            claims,
            renderer: Arc::clone(&self.renderer),
        });
    }

    fn refuse<B>(&self, req: ServiceRequest, error: &Error) -> ServiceResponse<EitherBody<B>> {
        crate::log_rejected(error);
        let response = self.renderer.render(error);
        req.into_response(response).map_into_right_body()
    }
}

impl<S, B> Transform<S, ServiceRequest> for CognitoAuth
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = CognitoAuthMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CognitoAuthMiddleware {
            service: Rc::new(service),
            inner: Rc::new(Inner {
                verifier: self.verifier.clone(),
                optional: self.optional,
                source: self.source.clone(),
                requirement: self.requirement.clone(),
                renderer: Arc::new(self.renderer.clone()),
            }),
        }))
    }
}

/// The service [`CognitoAuth`] wraps around your routes (one per worker).
pub struct CognitoAuthMiddleware<S> {
    service: Rc<S>,
    inner: Rc<Inner>,
}

impl<S> fmt::Debug for CognitoAuthMiddleware<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuthMiddleware")
            .field("verifier", &self.inner.verifier)
            .field("optional", &self.inner.optional)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for CognitoAuthMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = AuthFuture<S, B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let inner = &self.inner;
        let headers = ActixHeaders(req.headers());
        let outcome = match inner.verifier.authenticate(&inner.source, &headers) {
            // The common case, a token seen before: answered from the
            // verifier's cache without a copy, an `await` or a boxed future.
            Authentication::Decided(outcome) => outcome,
            Authentication::Anonymous if inner.optional => {
                inner.store(&req, None);
                let future = self.service.call(req);
                return AuthFuture {
                    state: State::Inner { future },
                };
            }
            Authentication::Anonymous => Err(Error::MissingToken),
            // A token not seen before (or whose key changed): verify it,
            // possibly fetching keys.
            Authentication::Verify(token) => {
                let token = token.to_owned();
                let service = Rc::clone(&self.service);
                let inner = Rc::clone(inner);
                let future = Box::pin(async move {
                    let outcome = inner.verifier.verify(&token).await;
                    match inner.admit(outcome) {
                        Ok(claims) => {
                            inner.store(&req, Some(claims));
                            service
                                .call(req)
                                .await
                                .map(ServiceResponse::map_into_left_body)
                        }
                        Err(error) => Ok(inner.refuse(req, &error)),
                    }
                });
                return AuthFuture {
                    state: State::Verifying { future },
                };
            }
        };
        let state = match inner.admit(outcome) {
            Ok(claims) => {
                inner.store(&req, Some(claims));
                State::Inner {
                    future: self.service.call(req),
                }
            }
            Err(error) => State::Refused {
                response: Some(inner.refuse(req, &error)),
            },
        };
        AuthFuture { state }
    }
}

pin_project! {
    /// The response future of [`CognitoAuthMiddleware`]: the wrapped service's
    /// own future when the answer was known at once, a boxed one only when the
    /// token has to be verified.
    pub struct AuthFuture<S, B>
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

impl<S, B> fmt::Debug for AuthFuture<S, B>
where
    S: Service<ServiceRequest>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthFuture").finish_non_exhaustive()
    }
}

impl<S, B> Future for AuthFuture<S, B>
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

//! How a refused request is answered: the [`Rejection`] handed to a
//! [`RenderRejection`] hook, [`render_challenge`] for the standard answer,
//! and (with axum) the [`AuthRejection`] extractors fail with. The body type
//! of the answer is in [`crate::body`].

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use cognito_jwt::adapter::Refusal;
use cognito_jwt::{Challenge, Error};
use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use crate::grpc;

/// A refused request, as seen by a [`RenderRejection`] hook.
#[derive(Debug)]
pub struct Rejection<'a> {
    refusal: &'a Refusal,
    request_headers: &'a HeaderMap,
    grpc: bool,
}

impl<'a> Rejection<'a> {
    /// Why the request was refused. Log it; do not send its `Display` text to
    /// clients (it may quote claim values). [`Error::kind`] is a stable name.
    pub fn error(&self) -> &Error {
        self.refusal.error()
    }

    /// The RFC 6750 answer: status, `WWW-Authenticate`, `Retry-After`, JSON body.
    pub fn challenge(&self) -> &Challenge {
        self.refusal.challenge()
    }

    /// The headers of the refused request (for content negotiation).
    pub fn request_headers(&self) -> &HeaderMap {
        self.request_headers
    }

    /// Whether the answer is a gRPC status: the middleware has
    /// [`grpc`](crate::CognitoAuth::grpc) on and the request is a gRPC call.
    pub fn is_grpc(&self) -> bool {
        self.grpc
    }

    /// The default answer: [`grpc::response`] for gRPC calls (see
    /// [`is_grpc`](Self::is_grpc)), otherwise [`render_challenge`].
    pub fn default_response(&self) -> Response<Bytes> {
        if self.grpc {
            grpc::response(self.error())
        } else {
            render_challenge(self.challenge())
        }
    }
}

/// Render a [`Challenge`] exactly: its status, `WWW-Authenticate` and
/// `Retry-After` when present, `content-type: application/json` and its
/// JSON body. Every adapter of `cognito-jwt` renders a challenge this way.
///
/// ```
/// use cognito_jwt::{Challenge, Error};
/// use cognito_jwt_tower::render_challenge;
///
/// let response = render_challenge(&Challenge::new(&Error::MissingToken, Some("orders")));
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="orders""#);
/// ```
pub fn render_challenge(challenge: &Challenge) -> Response<Bytes> {
    let mut response = Response::new(Bytes::copy_from_slice(challenge.body().as_bytes()));
    *response.status_mut() =
        StatusCode::from_u16(challenge.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(Challenge::CONTENT_TYPE),
    );
    // A challenge is printable ASCII by construction (the core validates
    // realms and scopes), so this never falls back.
    if let Some(value) = challenge.www_authenticate() {
        let value = HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("Bearer"));
        headers.insert(WWW_AUTHENTICATE, value);
    }
    if let Some(secs) = challenge.retry_after() {
        headers.insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Renders a [`Rejection`] yourself. Implemented by closures
/// `Fn(&Rejection<'_>) -> http::Response<Bytes>`; set it with
/// [`CognitoAuth::render_rejection`](crate::CognitoAuth::render_rejection).
///
/// ```
/// use bytes::Bytes;
/// use cognito_jwt_tower::{CognitoAuth, Rejection};
/// # fn layer(verifier: cognito_jwt::Verifier) -> CognitoAuth {
/// // Keep the standard answer, but add a header to every refusal.
/// CognitoAuth::new(verifier).render_rejection(|rejection: &Rejection<'_>| {
///     let mut response = rejection.default_response();
///     response.headers_mut().insert(
///         "x-auth-error",
///         http::HeaderValue::from_static(rejection.error().kind()),
///     );
///     response
/// })
/// # }
/// ```
pub trait RenderRejection: Send + Sync + 'static {
    /// The response for this rejection.
    fn render(&self, rejection: &Rejection<'_>) -> Response<Bytes>;
}

impl<F> RenderRejection for F
where
    F: Fn(&Rejection<'_>) -> Response<Bytes> + Send + Sync + 'static,
{
    fn render(&self, rejection: &Rejection<'_>) -> Response<Bytes> {
        self(rejection)
    }
}

/// The standard rendering: [`Rejection::default_response`].
#[derive(Debug, Clone, Copy, Default)]
struct DefaultRender;

impl RenderRejection for DefaultRender {
    fn render(&self, rejection: &Rejection<'_>) -> Response<Bytes> {
        rejection.default_response()
    }
}

/// A shared, type-erased hook.
#[derive(Clone)]
pub(crate) struct Renderer(pub(crate) Arc<dyn RenderRejection>);

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RenderRejection")
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Renderer(Arc::new(DefaultRender))
    }
}

/// Render `refusal` for a request with `headers`, through `renderer`.
/// (The core logged it when it made it.)
pub(crate) fn render(
    refusal: &Refusal,
    renderer: &Renderer,
    grpc_on: bool,
    headers: &HeaderMap,
) -> Response<Bytes> {
    let rejection = Rejection {
        refusal,
        request_headers: headers,
        grpc: grpc_on && grpc::is_grpc(headers),
    };
    renderer.0.render(&rejection)
}

/// The answer when a route layer or extractor finds no
/// [`CognitoAuth`](crate::CognitoAuth) above it: a server bug, so 500, never
/// the handler. Always an HTTP answer: gRPC answers are opt-in
/// ([`CognitoAuth::grpc`](crate::CognitoAuth::grpc)), and with no middleware
/// nobody opted in (a gRPC client reads the 500 as `INTERNAL` anyway).
pub(crate) fn not_configured(found_by: &'static str, headers: &HeaderMap) -> Response<Bytes> {
    render(
        &Refusal::not_configured(found_by),
        &Renderer::default(),
        false,
        headers,
    )
}

#[cfg(feature = "axum")]
pub use typed::{AuthRejection, Refused};

#[cfg(feature = "axum")]
mod typed {
    use super::*;

    /// Why an extractor refused the request, by class; a response by itself,
    /// rendered when axum asks for it (with the middleware's realm and
    /// [hook](crate::CognitoAuth::render_rejection), as the middleware's own
    /// answers).
    ///
    /// ```
    /// use axum::response::IntoResponse;
    /// use cognito_jwt_tower::{AccessToken, AuthRejection};
    ///
    /// // Answer a missing token yourself; keep every other refusal.
    /// async fn me(token: Result<AccessToken, AuthRejection>) -> axum::response::Response {
    ///     match token {
    ///         Ok(token) => token.sub().to_owned().into_response(),
    ///         Err(AuthRejection::MissingToken(_)) => "please sign in".into_response(),
    ///         Err(other) => other.into_response(),
    ///     }
    /// }
    /// # let _: axum::Router = axum::Router::new().route("/", axum::routing::get(me));
    /// ```
    #[derive(Debug)]
    #[non_exhaustive]
    pub enum AuthRejection {
        /// No credentials: 401 with the bare challenge.
        MissingToken(Refused),
        /// Malformed credentials, or two at once: 400 `invalid_request`.
        InvalidRequest(Refused),
        /// The token is not acceptable (or of the wrong kind): 401 `invalid_token`.
        InvalidToken(Refused),
        /// The token does not grant what the route needs: 403 `insufficient_scope`.
        InsufficientScope(Refused),
        /// The keys cannot be had: 503 with `Retry-After`.
        Unavailable(Refused),
        /// No [`CognitoAuth`](crate::CognitoAuth) before the extractor, or
        /// an invalid policy: 500.
        Misconfigured(Refused),
    }

    /// One refusal of an [`AuthRejection`]: the core's decision and how
    /// the middleware renders it.
    pub struct Refused(Box<RefusedParts>);

    struct RefusedParts {
        refusal: Refusal,
        renderer: Renderer,
        grpc: bool,
        request_headers: HeaderMap,
    }

    impl fmt::Debug for Refused {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Refused")
                .field("error", self.0.refusal.error())
                .field("status", &self.0.refusal.challenge().status())
                .finish_non_exhaustive()
        }
    }

    impl Refused {
        /// Why the request was refused.
        pub fn error(&self) -> &Error {
            self.0.refusal.error()
        }

        /// The RFC 6750 answer.
        pub fn challenge(&self) -> &Challenge {
            self.0.refusal.challenge()
        }

        /// The response that will be sent.
        pub fn response(&self) -> Response<Bytes> {
            render(
                &self.0.refusal,
                &self.0.renderer,
                self.0.grpc,
                &self.0.request_headers,
            )
        }
    }

    impl AuthRejection {
        pub(crate) fn new(
            refusal: Refusal,
            renderer: Renderer,
            grpc: bool,
            request_headers: &HeaderMap,
        ) -> AuthRejection {
            use cognito_jwt::ErrorClass;
            let class = refusal.class();
            let refused = Refused(Box::new(RefusedParts {
                refusal,
                renderer,
                grpc,
                request_headers: request_headers.clone(),
            }));
            match class {
                ErrorClass::MissingCredentials => AuthRejection::MissingToken(refused),
                ErrorClass::InvalidRequest => AuthRejection::InvalidRequest(refused),
                ErrorClass::InsufficientScope => AuthRejection::InsufficientScope(refused),
                ErrorClass::Unavailable => AuthRejection::Unavailable(refused),
                ErrorClass::Misconfigured => AuthRejection::Misconfigured(refused),
                _ => AuthRejection::InvalidToken(refused),
            }
        }

        /// The refusal, whatever its class.
        pub fn refused(&self) -> &Refused {
            match self {
                AuthRejection::MissingToken(r)
                | AuthRejection::InvalidRequest(r)
                | AuthRejection::InvalidToken(r)
                | AuthRejection::InsufficientScope(r)
                | AuthRejection::Unavailable(r)
                | AuthRejection::Misconfigured(r) => r,
            }
        }

        /// Why the request was refused.
        pub fn error(&self) -> &Error {
            self.refused().error()
        }

        /// The RFC 6750 answer.
        pub fn challenge(&self) -> &Challenge {
            self.refused().challenge()
        }
    }

    impl axum::response::IntoResponse for AuthRejection {
        fn into_response(self) -> axum::response::Response {
            self.refused().response().map(axum::body::Body::from)
        }
    }
}

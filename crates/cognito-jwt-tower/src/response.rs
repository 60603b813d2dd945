//! How a refused request is answered: the [`Rejection`] handed to a
//! [`RenderRejection`] hook, the default rendering of the core
//! [`Challenge`]. The body type of the answer is in [`crate::body`].

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use cognito_jwt::{Challenge, Error};
use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use crate::grpc;

/// A refused request, as seen by a [`RenderRejection`] hook.
///
/// ```
/// use cognito_jwt::Error;
/// use cognito_jwt_tower::Rejection;
///
/// let headers = http::HeaderMap::new();
/// let rejection = Rejection::new(&Error::MissingToken, Some("orders"), &headers);
/// let response = rejection.default_response();
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="orders""#);
/// ```
#[derive(Debug)]
pub struct Rejection<'a> {
    error: &'a Error,
    challenge: Challenge,
    request_headers: &'a HeaderMap,
}

impl<'a> Rejection<'a> {
    /// The rejection of a request with these headers, for this error.
    pub fn new(error: &'a Error, realm: Option<&str>, request_headers: &'a HeaderMap) -> Self {
        Rejection {
            error,
            challenge: Challenge::new(error, realm),
            request_headers,
        }
    }

    /// Why the request was refused. Log it; do not send its `Display` text to
    /// clients (it may quote claim values). [`Error::kind`] is a stable name.
    pub fn error(&self) -> &Error {
        self.error
    }

    /// The RFC 6750 answer: status, `WWW-Authenticate`, `Retry-After`, JSON body.
    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    /// The headers of the refused request (for content negotiation).
    pub fn request_headers(&self) -> &HeaderMap {
        self.request_headers
    }

    /// Whether the request is a gRPC call (`content-type: application/grpc…`).
    pub fn is_grpc(&self) -> bool {
        grpc::is_grpc(self.request_headers)
    }

    /// The default answer: [`grpc::response`] for gRPC calls, otherwise
    /// [`Rejection::http_response`].
    pub fn default_response(&self) -> Response<Bytes> {
        if self.is_grpc() {
            grpc::response(self.error)
        } else {
            self.http_response()
        }
    }

    /// The [`Challenge`] rendered as HTTP: its status, `WWW-Authenticate` and
    /// `Retry-After` when present, `content-type: application/json` and its
    /// JSON body.
    pub fn http_response(&self) -> Response<Bytes> {
        render_challenge(&self.challenge)
    }
}

/// Render a [`Challenge`] exactly: the answer every adapter of this project gives.
pub fn render_challenge(challenge: &Challenge) -> Response<Bytes> {
    let mut response = Response::new(Bytes::copy_from_slice(challenge.body().as_bytes()));
    *response.status_mut() =
        StatusCode::from_u16(challenge.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(Challenge::CONTENT_TYPE),
    );
    if let Some(value) = challenge.www_authenticate() {
        let value = HeaderValue::from_bytes(value.as_bytes())
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
        headers.insert(WWW_AUTHENTICATE, value);
    }
    if let Some(secs) = challenge.retry_after() {
        headers.insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Turns a [`Rejection`] into a response. Implemented by closures
/// `Fn(&Rejection<'_>) -> http::Response<Bytes>`, and by [`DefaultRender`].
///
/// ```
/// use bytes::Bytes;
/// use cognito_jwt_tower::{AuthLayer, Rejection};
/// # fn layer(verifier: cognito_jwt::Verifier) -> AuthLayer {
/// // Keep the standard answer, but add a header to every refusal.
/// AuthLayer::new(verifier).render_rejection(|rejection: &Rejection<'_>| {
///     let mut response = rejection.default_response();
///     response
///         .headers_mut()
///         .insert("x-auth-error", rejection.error().kind().parse().unwrap());
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
pub struct DefaultRender;

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

/// Render `error` for a request with `headers`, through `renderer`, and log it.
pub(crate) fn reject(
    error: &Error,
    realm: Option<&str>,
    renderer: &dyn RenderRejection,
    headers: &HeaderMap,
) -> Response<Bytes> {
    let rejection = Rejection::new(error, realm, headers);
    let status = rejection.challenge().status();
    match error {
        Error::KeysUnavailable { .. } => {
            tracing::warn!(kind = error.kind(), status, error = %error, "request refused")
        }
        _ => tracing::debug!(kind = error.kind(), status, error = %error, "request refused"),
    }
    renderer.render(&rejection)
}

/// The answer when a route layer or extractor finds no [`AuthLayer`](crate::AuthLayer)
/// above it: a server bug, so 500, never the handler.
pub(crate) fn misconfigured(headers: &HeaderMap) -> Response<Bytes> {
    tracing::error!(
        "cognito-jwt-tower: no AuthLayer runs before this route layer or extractor; refusing the request"
    );
    let description = "authentication is not configured for this route";
    if grpc::is_grpc(headers) {
        let mut response = Response::new(Bytes::new());
        let h = response.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        h.insert("grpc-status", HeaderValue::from_static("13"));
        h.insert("grpc-message", HeaderValue::from_static(description));
        return response;
    }
    let mut response = Response::new(Bytes::from_static(
        br#"{"error":"server_error","error_description":"authentication is not configured for this route"}"#,
    ));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(Challenge::CONTENT_TYPE),
    );
    response
}

//! How a refused request is answered: the [`Rejection`] handed to a
//! [`RenderRejection`] hook, [`render_challenge`] for the standard answer,
//! and the [`AuthRejection`] extractors and [`Require`](crate::Require)
//! fail with.

use std::fmt;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{
    CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE,
};
use actix_web::{HttpResponse, ResponseError};
use cognito_jwt::adapter::Refusal;
use cognito_jwt::{Challenge, Error, ErrorClass};

/// A refused request, as seen by a [`RenderRejection`] hook.
#[derive(Debug)]
pub struct Rejection<'a> {
    refusal: &'a Refusal,
    request_headers: &'a HeaderMap,
}

impl Rejection<'_> {
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

    /// The default answer: [`render_challenge`].
    pub fn default_response(&self) -> HttpResponse {
        render_challenge(self.challenge())
    }
}

/// Render a [`Challenge`] exactly: its status, `WWW-Authenticate` and
/// `Retry-After` when present, `content-type: application/json` and its
/// JSON body. Every adapter of `cognito-jwt` renders a challenge this way.
///
/// ```
/// use cognito_jwt::{Challenge, Error};
/// use cognito_jwt_actix::render_challenge;
///
/// let response = render_challenge(&Challenge::new(&Error::MissingToken, Some("orders")));
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers().get("www-authenticate").unwrap(), r#"Bearer realm="orders""#);
/// ```
pub fn render_challenge(challenge: &Challenge) -> HttpResponse {
    let status =
        StatusCode::from_u16(challenge.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    builder.insert_header((
        CONTENT_TYPE,
        HeaderValue::from_static(Challenge::CONTENT_TYPE),
    ));
    // A challenge is printable ASCII by construction (the core validates
    // realms and scopes), so this never falls back.
    if let Some(value) = challenge.www_authenticate() {
        let value = HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("Bearer"));
        builder.insert_header((WWW_AUTHENTICATE, value));
    }
    if let Some(secs) = challenge.retry_after() {
        builder.insert_header((RETRY_AFTER, HeaderValue::from(secs)));
    }
    builder.body(challenge.body().to_owned())
}

/// Renders a [`Rejection`] yourself. Implemented by closures
/// `Fn(&Rejection<'_>) -> HttpResponse`; set it with
/// [`CognitoAuth::render_rejection`](crate::CognitoAuth::render_rejection).
///
/// ```
/// use actix_web::http::header::{HeaderName, HeaderValue};
/// use cognito_jwt_actix::{CognitoAuth, Rejection};
/// # fn f(verifier: cognito_jwt::Verifier) -> CognitoAuth {
/// // Keep the standard answer, but add a header to every refusal.
/// CognitoAuth::new(verifier).render_rejection(|rejection: &Rejection<'_>| {
///     let mut response = rejection.default_response();
///     response.headers_mut().insert(
///         HeaderName::from_static("x-auth-error"),
///         HeaderValue::from_static(rejection.error().kind()),
///     );
///     response
/// })
/// # }
/// ```
pub trait RenderRejection: Send + Sync + 'static {
    /// The response for this rejection.
    fn render(&self, rejection: &Rejection<'_>) -> HttpResponse;
}

impl<F> RenderRejection for F
where
    F: Fn(&Rejection<'_>) -> HttpResponse + Send + Sync + 'static,
{
    fn render(&self, rejection: &Rejection<'_>) -> HttpResponse {
        self(rejection)
    }
}

/// A shared, type-erased hook; `None` is the standard rendering.
#[derive(Clone, Default)]
pub(crate) struct Renderer(pub(crate) Option<Arc<dyn RenderRejection>>);

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "RenderRejection(custom)"
        } else {
            "RenderRejection(default)"
        })
    }
}

impl Renderer {
    /// Render `refusal` for a request with `headers`. (The core logged it
    /// when it made it.)
    pub(crate) fn render(&self, refusal: &Refusal, request_headers: &HeaderMap) -> HttpResponse {
        let rejection = Rejection {
            refusal,
            request_headers,
        };
        match &self.0 {
            Some(hook) => hook.render(&rejection),
            None => rejection.default_response(),
        }
    }
}

/// Why an extractor or [`Require`](crate::Require) refused the request, by
/// class; an actix-web [`ResponseError`] rendered with the middleware's
/// realm and [hook](crate::CognitoAuth::render_rejection), as the
/// middleware's own answers.
///
/// ```
/// use actix_web::{HttpResponse, ResponseError};
/// use cognito_jwt_actix::{AccessToken, AuthRejection};
///
/// // Answer a missing token yourself; keep every other refusal.
/// async fn me(token: Result<AccessToken, AuthRejection>) -> HttpResponse {
///     match token {
///         Ok(token) => HttpResponse::Ok().body(token.sub().to_owned()),
///         Err(AuthRejection::MissingToken(_)) => HttpResponse::Ok().body("please sign in"),
///         Err(other) => other.error_response(),
///     }
/// }
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
    /// No [`CognitoAuth`](crate::CognitoAuth) before the extractor, or an
    /// invalid policy: 500.
    Misconfigured(Refused),
}

/// One refusal of an [`AuthRejection`]: the core's decision and how the
/// middleware renders it.
pub struct Refused(Box<RefusedParts>);

struct RefusedParts {
    refusal: Refusal,
    renderer: Renderer,
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
    pub fn response(&self) -> HttpResponse {
        self.0
            .renderer
            .render(&self.0.refusal, &self.0.request_headers)
    }
}

impl AuthRejection {
    pub(crate) fn new(
        refusal: Refusal,
        renderer: Renderer,
        request_headers: &HeaderMap,
    ) -> AuthRejection {
        let class = refusal.class();
        let refused = Refused(Box::new(RefusedParts {
            refusal,
            renderer,
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

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.error(), f)
    }
}

impl std::error::Error for AuthRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.error())
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.challenge().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        self.refused().response()
    }
}

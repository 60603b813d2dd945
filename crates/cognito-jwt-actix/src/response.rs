//! Rendering rejections: the core [`Challenge`] as an actix-web response, the
//! [`AuthError`] every rejection is, and the hook for your own responses.

use std::fmt;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use cognito_jwt::{Challenge, Error};

/// Renders a rejection yourself: gets the error (for logs or a different
/// body) and the standard [`Challenge`] (status, `WWW-Authenticate`,
/// `Retry-After`, JSON body), returns the response to send.
///
/// Set it with [`CognitoAuth::on_error`](crate::CognitoAuth::on_error); it is
/// used for the middleware's own rejections and for those of the extractors
/// and [`Require`](crate::Require) behind it.
pub type ErrorHook = Arc<dyn Fn(&Error, &Challenge) -> HttpResponse + Send + Sync>;

/// How rejections are rendered: the realm and the optional hook.
/// Shared by the middleware and stored in each request for the extractors.
#[derive(Clone, Default)]
pub(crate) struct Renderer {
    pub(crate) realm: Option<Arc<str>>,
    pub(crate) hook: Option<ErrorHook>,
}

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renderer")
            .field("realm", &self.realm)
            .field("hook", &self.hook.as_ref().map(|_| "custom"))
            .finish()
    }
}

impl Renderer {
    pub(crate) fn challenge(&self, error: &Error) -> Challenge {
        Challenge::new(error, self.realm.as_deref())
    }

    pub(crate) fn render(&self, error: &Error) -> HttpResponse {
        let challenge = self.challenge(error);
        match &self.hook {
            Some(hook) => hook(error, &challenge),
            None => challenge_response(&challenge),
        }
    }
}

/// The standard response for a [`Challenge`]: its status, `WWW-Authenticate`
/// and `Retry-After` headers, and its JSON body as `application/json`.
///
/// Every adapter of `cognito-jwt` renders a challenge this way, so an
/// actix-web API answers exactly as an axum one does. Useful inside an
/// [`ErrorHook`] that only adds to the standard answer.
///
/// ```
/// use actix_web::http::header::WWW_AUTHENTICATE;
/// use cognito_jwt::{Challenge, Error};
/// use cognito_jwt_actix::challenge_response;
///
/// let response = challenge_response(&Challenge::new(&Error::MissingToken, None));
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers().get(WWW_AUTHENTICATE).unwrap(), "Bearer");
/// ```
pub fn challenge_response(challenge: &Challenge) -> HttpResponse {
    let status =
        StatusCode::from_u16(challenge.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    if let Some(value) = challenge.www_authenticate() {
        // The core quotes every parameter and drops control characters, so this
        // only fails for a realm or scope that is not a valid header value.
        let value = HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("Bearer"));
        builder.insert_header((WWW_AUTHENTICATE, value));
    }
    if let Some(secs) = challenge.retry_after() {
        builder.insert_header((RETRY_AFTER, HeaderValue::from(secs)));
    }
    builder.insert_header((
        CONTENT_TYPE,
        HeaderValue::from_static(Challenge::CONTENT_TYPE),
    ));
    builder.body(challenge.body().to_owned())
}

/// A rejected request, as an actix-web error: the core [`Error`] and how to
/// render it. The extractors and [`Require`](crate::Require) fail with it.
///
/// Its response is the RFC 6750 [`Challenge`] (or your
/// [`ErrorHook`]'s response), with the realm of the [`CognitoAuth`](crate::CognitoAuth)
/// in front of the handler.
///
/// ```
/// use actix_web::ResponseError;
/// use cognito_jwt::Error;
/// use cognito_jwt_actix::AuthError;
///
/// let e = AuthError::new(Error::InsufficientScope { required: vec!["orders/read".into()], all: false });
/// assert_eq!(e.status_code(), 403);
/// assert_eq!(e.error().kind(), "insufficient_scope");
/// ```
#[derive(Debug, Clone)]
pub struct AuthError {
    error: Error,
    renderer: Arc<Renderer>,
}

impl AuthError {
    /// A rejection rendered with no realm and no hook.
    pub fn new(error: Error) -> AuthError {
        AuthError {
            error,
            renderer: Arc::default(),
        }
    }

    pub(crate) fn with_renderer(error: Error, renderer: Arc<Renderer>) -> AuthError {
        AuthError { error, renderer }
    }

    /// The reason.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The standard answer (status, headers, body) for this rejection.
    pub fn challenge(&self) -> Challenge {
        self.renderer.challenge(&self.error)
    }

    /// The reason, by value.
    pub fn into_error(self) -> Error {
        self.error
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.error.class().status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        self.renderer.render(&self.error)
    }
}

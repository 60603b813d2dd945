//! actix-web middleware, extractors and guards for
//! [`cognito-jwt`](cognito_jwt): verify Amazon Cognito JWTs and answer every
//! rejection with the same RFC 6750 response as the other adapters.
//!
//! - [`CognitoAuth`]: the middleware. Verifies the bearer token with a shared
//!   [`Verifier`](cognito_jwt::Verifier), stores the [`Claims`]
//!   in the request, or answers 400/401/403/503 with the core
//!   [`Challenge`](cognito_jwt::Challenge). Required or optional mode, header or
//!   cookie sources ([`TokenSource`](cognito_jwt::TokenSource)), a realm, and an
//!   [error hook](CognitoAuth::on_error).
//! - Extractors: [`AccessToken`], [`IdToken`], [`Authenticated`],
//!   [`ClaimsAs<T>`](ClaimsAs) for your own claim types, [`Authorized<P>`](Authorized)
//!   for a [`Policy`]; each also as `Option<…>`.
//! - [`Require`]: per-route scopes, groups, token kind or custom checks, as a
//!   middleware (403 `insufficient_scope`) or a guard.
//! - [`AuthError`]: every rejection, as an actix-web
//!   [`ResponseError`](actix_web::ResponseError).
//!
//! Outcomes are logged with `tracing` (error kind, `kid`, issuer; never the token).
//!
//! ```
//! use actix_web::{App, HttpResponse, test, web};
//! use cognito_jwt::{Issuer, Verifier};
//! use cognito_jwt_actix::{AccessToken, CognitoAuth, Require};
//!
//! async fn me(token: AccessToken) -> HttpResponse {
//!     HttpResponse::Ok().body(token.sub().to_owned())
//! }
//!
//! # #[actix_web::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Build the verifier once, outside `HttpServer::new`, and clone it into each App.
//! let verifier = Verifier::builder(Issuer::cognito("us-east-1_AbCdEf123"))
//!     .client_ids(["1example23456789"])
//!     .any_token_use()
//!     .build()?;
//!
//! let app = test::init_service(
//!     App::new()
//!         .wrap(CognitoAuth::new(verifier.clone()))
//!         .route("/me", web::get().to(me))
//!         .service(
//!             web::resource("/orders")
//!                 .wrap(Require::any_scope(["orders/read"])?)
//!                 .to(HttpResponse::Ok),
//!         ),
//! )
//! .await;
//!
//! // No credentials: 401 with a bare challenge.
//! let res = test::call_service(&app, test::TestRequest::get().uri("/me").to_request()).await;
//! assert_eq!(res.status(), 401);
//! assert_eq!(res.headers().get("www-authenticate").unwrap(), "Bearer");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// No panic on network input can be written: these hold for the library
// code (tests, benches and examples are separate crates and may unwrap).
// Each `#[allow]`/`#[expect]` below carries its reason.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod extract;
mod middleware;
mod require;
mod response;

pub use extract::{AccessToken, Authenticated, Authorized, ClaimsAs, IdToken};
pub use middleware::{ActixHeaders, AuthFuture, CognitoAuth, CognitoAuthMiddleware};
pub use require::{Policy, Require, RequireMiddleware};
pub use response::{AuthError, ErrorHook, challenge_response};

use cognito_jwt::{Claims, Error, ErrorClass};

/// A request refused before its token was verified, or a token that failed verification.
pub(crate) fn log_rejected(error: &Error) {
    let status = error.class().status();
    match error.class() {
        ErrorClass::Unavailable => tracing::warn!(
            outcome = "rejected",
            kind = error.kind(),
            status,
            error = %error,
            "bearer token could not be verified"
        ),
        _ => tracing::debug!(
            outcome = "rejected",
            kind = error.kind(),
            status,
            error = %error,
            "bearer token rejected"
        ),
    }
}

/// A verified token that does not meet a route's requirement.
pub(crate) fn log_refused(error: &Error, claims: Option<&Claims>) {
    tracing::debug!(
        outcome = "forbidden",
        kind = error.kind(),
        status = error.class().status(),
        kid = claims.map(Claims::key_id),
        issuer = claims.map(Claims::issuer),
        "bearer token refused by the route's requirement"
    );
}

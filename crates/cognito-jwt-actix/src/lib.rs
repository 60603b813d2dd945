//! actix-web middleware, extractors and guards for
//! [`cognito-jwt`](cognito_jwt): verify Amazon Cognito JWTs and answer every
//! rejection with the same RFC 6750 response as the other adapters.
//!
//! - [`CognitoAuth`]: the middleware. Reads the bearer token (RFC 6750
//!   `Authorization` header; optionally a cookie or another header), lets
//!   the core [`Gate`](cognito_jwt::adapter::Gate) decide, stores the
//!   [`Claims`](cognito_jwt::Claims) in the request, or answers
//!   400/401/403/503 with the core [`Challenge`](cognito_jwt::Challenge).
//!   Required (default) or [optional](CognitoAuth::optional). Behind an
//!   Application Load Balancer, [`CognitoAuth::alb_data`] also (or only)
//!   trusts the `x-amzn-oidc-data` token it forwards
//!   ([`Trust`](cognito_jwt::Trust)).
//! - [`Require`]: per-route token use, scopes, groups or your own check, as
//!   a middleware or a guard.
//! - Extractors: [`Authenticated`], [`AccessToken`], [`IdToken`],
//!   [`ClaimsAs`], [`RequireScope`], [`RequireGroup`], [`Authorized`], and
//!   their [`Optional<…>`](Optional) forms; they fail with [`AuthRejection`].
//! - Refusals: the core [`Challenge`](cognito_jwt::Challenge) rendered
//!   exactly ([`render_challenge`]); a [`RenderRejection`] hook renders
//!   your own.
//! - RFC 9728 ([`ResourceMetadata`]): the Protected Resource Metadata
//!   document served on its well-known path; [`CognitoAuth::publish`] also
//!   makes every challenge name it.
//!
//! The same concepts have the same names in `cognito-jwt-tower`
//! (`CognitoAuth`, `Require`, `ResourceMetadata`, `Authenticated`, `AccessToken`, `IdToken`,
//! `ClaimsAs`, `RequireScope`, `RequireGroup`, `Authorized`, `Optional`,
//! `AuthRejection`, `Rejection`, `RenderRejection`, `render_challenge`), and
//! every decision is the core's, so both answer each request alike.
//!
//! Refusals are logged once, by the core, with `tracing` (error kind,
//! `kid`, issuer; never the token).
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
//!                 .wrap(Require::access_token().any_scope(["orders/read"])?)
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

mod cognito_auth;
mod extract;
mod rejection;
mod require;
mod resource_metadata;

pub use cognito_auth::{CognitoAuth, CognitoAuthFuture, CognitoAuthService};
pub use extract::{
    AccessToken, Authenticated, Authorized, ClaimsAs, IdToken, Optional, RequireGroup, RequireScope,
};
pub use rejection::{AuthRejection, Refused, Rejection, RenderRejection, render_challenge};
pub use require::{Passed, Require, RequireFuture, RequireService};
pub use resource_metadata::ResourceMetadata;

//! Tower middleware and axum extractors for
//! [`cognito-jwt`](https://docs.rs/cognito-jwt): verify Amazon Cognito JWTs
//! in axum, tonic and any tower stack.
//!
//! - [`CognitoAuth`]: the middleware. Reads the bearer token (RFC 6750
//!   `Authorization` header; optionally a cookie or another header), lets
//!   the core [`Gate`](cognito_jwt::adapter::Gate) decide, puts the
//!   [`Claims`](cognito_jwt::Claims) into the request extensions, and
//!   answers refusals itself. Required (default) or
//!   [optional](CognitoAuth::optional). Behind an Application Load Balancer,
//!   [`CognitoAuth::alb_data`] also (or only) trusts the `x-amzn-oidc-data`
//!   token it forwards ([`Trust`](cognito_jwt::Trust)).
//! - [`Require`]: per-route token use, scopes, groups or your own check.
//! - axum extractors (feature `axum`, on by default): [`Authenticated`],
//!   [`AccessToken`], [`IdToken`], [`ClaimsAs`], [`RequireScope`],
//!   [`RequireGroup`], [`Authorized`], and their `Option<…>` and
//!   [`Optional<…>`](Optional) forms; they fail with [`AuthRejection`].
//! - Refusals: the core [`Challenge`](cognito_jwt::Challenge) rendered
//!   exactly ([`render_challenge`]: status, `WWW-Authenticate`,
//!   `Retry-After`, JSON body), or with [`CognitoAuth::grpc`] a
//!   trailers-only gRPC status for gRPC calls ([`grpc`]); a
//!   [`RenderRejection`] hook renders your own.
//! - RFC 9728 ([`ResourceMetadata`]): the Protected Resource Metadata
//!   document served on its well-known path; [`CognitoAuth::publish`] also
//!   makes every challenge name it.
//! - Bodies ([`body`]): the layers answer in the inner service's own body
//!   type, so what they let through is not wrapped (nor boxed again by
//!   axum). Refusals are written into it through
//!   [`RejectionBody`](body::RejectionBody): implemented for axum's and
//!   (feature `tonic`) tonic's bodies, `Full<Bytes>`, `BoxBody`,
//!   `UnsyncBoxBody`, `String`, and [`ResponseBody`](body::ResponseBody)
//!   for any other body.
//!
//! The same concepts have the same names in `cognito-jwt-actix`
//! (`CognitoAuth`, `Require`, `ResourceMetadata`, `Authenticated`, `AccessToken`, `IdToken`,
//! `ClaimsAs`, `RequireScope`, `RequireGroup`, `Authorized`, `Optional`,
//! `AuthRejection`, `Rejection`, `RenderRejection`, `render_challenge`), and
//! every decision is the core's, so both answer each request alike.
//!
//! | refusal | HTTP | `WWW-Authenticate` | gRPC |
//! |---|---|---|---|
//! | no credentials | 401 | `Bearer` (with `realm` if set) | `UNAUTHENTICATED` |
//! | malformed request, two credentials | 400 | `Bearer error="invalid_request", …` | `INVALID_ARGUMENT` |
//! | invalid token | 401 | `Bearer error="invalid_token", error_description="…"` | `UNAUTHENTICATED` |
//! | missing scope or group | 403 | `Bearer error="insufficient_scope", …, scope="…"` | `PERMISSION_DENIED` |
//! | keys unavailable | 503 + `Retry-After` | none | `UNAVAILABLE` |
//! | an invalid `Policy` | 500 | none | `INTERNAL` |
//! | no `CognitoAuth` before a route layer or extractor | 500 | none | (HTTP 500: no middleware, no gRPC answers) |
//!
//! ```
//! use axum::{Json, Router, routing::{get, post}};
//! use cognito_jwt::{Issuer, ScopeSet, Verifier};
//! use cognito_jwt_tower::{AccessToken, CognitoAuth, Require, RequireScope};
//!
//! struct OrdersWrite;
//! impl ScopeSet for OrdersWrite {
//!     const SCOPES: &'static [&'static str] = &["orders/write"];
//! }
//!
//! async fn me(AccessToken(claims): AccessToken) -> String {
//!     claims.sub().to_owned()
//! }
//!
//! async fn create(token: RequireScope<OrdersWrite>) -> String {
//!     format!("created by {}", token.sub())
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder(Issuer::cognito("us-east-1_AbCdEf123"))
//!     .client_ids(["1example23456789"])
//!     .any_token_use()
//!     .build()?;
//!
//! let app: Router = Router::new()
//!     .route("/me", get(me))
//!     .route("/orders", post(create))
//!     .route(
//!         "/admin",
//!         get(|| async { "admin" }).route_layer(Require::access_token().any_group(["admin"])?),
//!     )
//!     .layer(CognitoAuth::new(verifier));
//! # let _ = app; Ok(()) }
//! ```
//!
//! ## Where to put the layer in axum
//!
//! | | unknown path, no token | unknown method, no token |
//! |---|---|---|
//! | `Router::layer(CognitoAuth)` (above) | 401 | 401 |
//! | `Router::route_layer(CognitoAuth)` | 404 | 401 (axum wraps each path's 405 fallback too) |
//! | `MethodRouter::route_layer(CognitoAuth)` on each protected route | 404 | 405 with `Allow` |
//! | `Handler::layer(CognitoAuth)` on each protected handler | 404 | 405 with `Allow` |
//!
//! The first hides which paths exist from anonymous callers; the last two
//! answer routing errors before authentication, as actix-web does when
//! `CognitoAuth` wraps each route (the example APIs do this, and answer
//! alike). Of those two, `Handler::layer` is the cheaper: the handler and
//! the layer form one route, where `MethodRouter::route_layer` boxes the
//! layered service into a second route that axum clones and boxes again on
//! every request (about 45 ns a request, `cargo bench -p cognito-jwt-tower
//! --bench router`).
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

/// The README's quick start, compiled as a doctest so it stays true.
#[doc = include_str!("../../../README.md")]
#[cfg(all(doctest, feature = "axum"))]
pub struct ReadmeDoctests;

pub mod body;
mod cognito_auth;
#[cfg(feature = "axum")]
mod extract;
pub mod grpc;
mod rejection;
mod require;
mod resource_metadata;

pub use cognito_auth::{CognitoAuth, CognitoAuthFuture, CognitoAuthService};
#[cfg(feature = "axum")]
pub use extract::{
    AccessToken, Authenticated, Authorized, ClaimsAs, IdToken, Optional, RequireGroup, RequireScope,
};
#[cfg(feature = "axum")]
pub use rejection::{AuthRejection, Refused};
pub use rejection::{Rejection, RenderRejection, render_challenge};
pub use require::{Require, RequireFuture, RequireService};
pub use resource_metadata::{ResourceMetadata, ResourceMetadataFuture, ResourceMetadataService};

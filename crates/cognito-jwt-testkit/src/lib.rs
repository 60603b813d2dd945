//! Test support for [`cognito-jwt`](https://docs.rs/cognito-jwt): mint
//! Cognito-shaped JWTs and serve a JWKS on loopback.
//!
//! This crate deals only in strings, JSON and keys; it does not depend on the
//! verifier, so it can test any Cognito/OIDC JWT verifier. The one
//! exception is opt-in: the `revocations` feature adds
//! `LocalIssuerBuilder::revocations`, which feeds the local issuer's
//! revocations into a `cognito_jwt::revocation::Revocations` set.
//!
//! - [`SigningKey`]: RSA (2048–8192, RS*/PS*, and a fixed weak 1024-bit key),
//!   P-256/P-384 (ES256/ES384) and Ed25519 (EdDSA) keys, with their public JWKs.
//! - [`TestIssuer`]: a user pool stand-in with Cognito's issuer format, app
//!   client id, key rotation and ID/access/machine token presets.
//! - [`TokenBuilder`]: claim and header edits plus hostile tokens (`alg`
//!   overrides, unsigned, raw JSON with duplicate keys, tampered payloads).
//! - [`JwksServer`]: a JWKS (and discovery) endpoint on `127.0.0.1:0` with
//!   failure modes ([`Mode`]) and fetch counting; it runs on its own thread, so
//!   it works from sync tests and any async runtime.
//! - [`LocalIssuer`]: an issuer and its server together; with
//!   [`LocalIssuer::builder`] the server also answers Cognito's OAuth 2.0
//!   endpoints (`/oauth2/token` with `client_credentials`,
//!   `authorization_code` + PKCE and `refresh_token`, `/oauth2/authorize`,
//!   `/oauth2/revoke`, `/oauth2/userInfo`), for [`AppClient`]s, [`ResourceServer`]s and
//!   [`TestUser`]s of an [`OAuthConfig`].
//! - [`AlbIssuer`] and [`AlbKeyServer`]: an Application Load Balancer's
//!   data tokens (`x-amzn-oidc-data`, padded as a load balancer pads them)
//!   and its per-`kid` PEM key endpoint, with the same [`Mode`]s.
//!
//! # Example
//!
//! ```
//! use cognito_jwt_testkit::{JwksServer, Mode, TestIssuer};
//!
//! let issuer = TestIssuer::cognito();
//! let server = JwksServer::start(&issuer);
//!
//! // A valid Cognito access token for the default user and app client.
//! let token = issuer
//!     .access_token()
//!     .scopes(&["openid", "orders/read"])
//!     .groups(&["admin"])
//!     .build();
//! assert_eq!(token.split('.').count(), 3);
//!
//! // Point the verifier under test at:
//! let _iss = issuer.issuer(); // https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1
//! let _jwks = server.url(); // http://127.0.0.1:PORT/.well-known/jwks.json
//! let _client = issuer.client_id(); // testclient1234567890abcdef
//!
//! // Rotate keys: the server publishes the new key immediately.
//! let new_key = issuer.rotate();
//! let rotated = issuer.id_token().build(); // signed with new_key
//!
//! // Make the endpoint misbehave.
//! server.set_mode(Mode::Status(500));
//! # let _ = (new_key, rotated);
//! ```
//!
//! # Testing an axum handler
//!
//! Point a [`cognito-jwt`](https://docs.rs/cognito-jwt) verifier at the
//! server, put the layer in front of your router, and send requests with
//! minted tokens: no AWS account, no network beyond loopback.
//!
//! ```
//! use axum::{Router, body::Body, routing::get};
//! use cognito_jwt::{Issuer, TokenUse, Verifier};
//! use cognito_jwt_testkit::{JwksServer, TestIssuer};
//! use cognito_jwt_tower::{AccessToken, CognitoAuth, Require};
//! use http::{Request, StatusCode};
//! use tower::ServiceExt;
//!
//! async fn orders(AccessToken(claims): AccessToken) -> String {
//!     format!("orders of {}", claims.sub())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let issuer = TestIssuer::cognito();
//! let server = JwksServer::start(&issuer);
//! let verifier = Verifier::builder(
//!     Issuer::cognito(cognito_jwt_testkit::DEFAULT_POOL_ID).jwks_url(server.url()),
//! )
//! .client_ids([issuer.client_id()])
//! .token_use(TokenUse::Access)
//! .build()
//! .unwrap();
//! let app = Router::new()
//!     .route("/orders", get(orders))
//!     .route_layer(Require::access_token().any_scope(["orders/read"]).unwrap())
//!     .layer(CognitoAuth::new(verifier));
//!
//! let call = |token: String| {
//!     let request = Request::get("/orders")
//!         .header("authorization", format!("Bearer {token}"))
//!         .body(Body::empty())
//!         .unwrap();
//!     app.clone().oneshot(request)
//! };
//!
//! let ok = call(issuer.access_token().scopes(&["orders/read"]).build()).await.unwrap();
//! assert_eq!(ok.status(), StatusCode::OK);
//!
//! let no_scope = call(issuer.access_token().scopes(&["openid"]).build()).await.unwrap();
//! assert_eq!(no_scope.status(), StatusCode::FORBIDDEN);
//!
//! let expired = call(issuer.access_token().expires_in(-3600).build()).await.unwrap();
//! assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod alb;
mod authorization_server;
mod issuer;
mod key;
mod local;
mod oauth;
mod server;
mod token;
mod util;
mod weak;

pub use alb::{AlbIssuer, AlbKeyServer, AlbTokenBuilder};
pub use issuer::{
    DEFAULT_CLIENT_ID, DEFAULT_KID, DEFAULT_LIFETIME_SECS, DEFAULT_POOL_ID, DEFAULT_REGION,
    DEFAULT_USERNAME, TestIssuer,
};
pub use key::{Alg, JwkOptions, SigningKey};
pub use local::{LocalIssuer, LocalIssuerBuilder, MAX_CODE_LIFETIME};
pub use oauth::{
    AppClient, BUILT_IN_SCOPES, DEFAULT_CALLBACK_URL, DEFAULT_CLIENT_SECRET,
    DEFAULT_MACHINE_CLIENT_ID, DEFAULT_REFRESH_TOKEN_VALIDITY, Grant, MAX_REFRESH_TOKEN_VALIDITY,
    OAuthConfig, OAuthConfigError, ResourceServer, TestUser,
};
pub use server::{JwksServer, Mode};
pub use token::TokenBuilder;

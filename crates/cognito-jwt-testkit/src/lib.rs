//! Test support for [`cognito-jwt`](https://docs.rs/cognito-jwt): mint
//! Cognito-shaped JWTs and serve a JWKS on loopback.
//!
//! This crate deals only in strings, JSON and keys; it does not depend on the
//! verifier, so it can test any Cognito/OIDC JWT verifier.
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
//! - [`LocalIssuer`]: an issuer and its server together.
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
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod issuer;
mod key;
mod local;
mod server;
mod token;
mod util;
mod weak;

pub use issuer::{
    DEFAULT_CLIENT_ID, DEFAULT_KID, DEFAULT_LIFETIME_SECS, DEFAULT_POOL_ID, DEFAULT_REGION,
    DEFAULT_USERNAME, TestIssuer,
};
pub use key::{Alg, JwkOptions, SigningKey};
pub use local::LocalIssuer;
pub use server::{JwksServer, Mode};
pub use token::TokenBuilder;

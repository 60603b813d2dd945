//! Verify Amazon Cognito JWTs in Rust resource servers: strict, fast, secure by default.
//!
//! ```
//! use cognito_jwt::{ErrorClass, Issuer, Requirement, TokenUse, Verifier};
//! # use cognito_jwt_testkit::TestIssuer;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let pool = TestIssuer::cognito();
//! # let token = pool.access_token().scopes(&["orders/read"]).build();
//! # let other = pool.access_token().scopes(&["orders/write"]).build();
//! // In production: `Issuer::cognito("us-east-1_AbCdEf123")` alone; the
//! // keys are fetched from the pool's JWKS URL. Here, a stand-in pool.
//! let issuer = Issuer::cognito("us-east-1_TestPool1").static_jwks(pool.jwks().to_string());
//! let verifier = Verifier::builder(issuer)
//!     .client_ids([pool.client_id()])
//!     .token_use(TokenUse::Access)
//!     .build()?;
//! let orders_read = Requirement::new().any_scope(["orders/read"])?;
//!
//! let claims = verifier.verify(&token).await?;
//! orders_read.verify(&claims)?;
//!
//! // A token without the scope: 403 insufficient_scope.
//! let claims = verifier.verify(&other).await?;
//! let refused = orders_read.verify(&claims).unwrap_err();
//! assert_eq!(refused.class(), ErrorClass::InsufficientScope);
//! assert_eq!(refused.class().status(), 403);
//! # Ok(()) }
//! ```
//!
//! What is checked, and the one error each failure gets, is listed on
//! [`Verifier::verify`] and [`Error`]. The defaults and security choices are
//! in the [`manual`]. The HTTP adapters (`cognito-jwt-tower`,
//! `cognito-jwt-actix`) build on the [`adapter`] module: its
//! [`Gate`](adapter::Gate) makes the whole per-request decision, and the
//! adapters only translate their framework's types.
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

// The modules stand in layers, bottom to top; each imports only from the
// layers below its own (`manual` is documentation only):
//   1. error, algorithm, clock,      errors, signature algorithms, "now",
//      metrics, secure_url           counters and gauges (no-ops without the feature);
//                                    https, or http on loopback only
//   2. json, token_source, challenge  strict JSON; finding the token; RFC 6750 answer
//   3. token, core_claims,           the compact JWS and header; hot-path claims;
//      alb_token                     the ALB data token's padded encoding and header
//   4. jwk, typed                    JWKS parsing; the typed claim views
//   5. claims, jwks_cache            the public Claims; one issuer's key cache
//   5b. alb_keys                     a load balancer's per-kid PEM keys (uses jwks_cache's download)
//   6. token_cache, requirement,     the verified-token cache; per-route rules;
//      revocation                    rules that make a token stop working
//   7. verifier, policy, alb         one token in, Claims or an Error out; named rules;
//                                    one ALB data token in, Claims or an Error out
//   8. config, authentication,       building a Verifier; a request's token to claims;
//      key_status,                   readiness: each issuer's key set, bounded prefetch;
//      resource_metadata             the RFC 9728 document of a verifier's resource
//   9. gate                          the whole per-request decision, for adapters
mod alb;
mod alb_keys;
mod alb_token;
mod algorithm;
mod authentication;
mod challenge;
mod claims;
mod clock;
mod config;
mod core_claims;
mod error;
mod gate;
mod json;
mod jwk;
mod jwks_cache;
mod key_status;
pub mod manual;
mod metrics;
mod policy;
mod requirement;
mod resource_metadata;
pub mod revocation;
mod secure_url;
mod token;
mod token_cache;
mod token_source;
mod typed;
mod verifier;

/// What HTTP adapters build on: the per-request [`Gate`](adapter::Gate)
/// and the types it speaks. An application needs none of this; an adapter
/// for a new framework needs nothing else.
pub mod adapter {
    pub use crate::authentication::Authentication;
    pub use crate::gate::{Decision, Extractor, Gate, Mode, Need, Refusal, Verdict};
    pub use crate::token_source::HeaderSource;
}

pub use alb::{AlbVerifier, AlbVerifierBuilder};
pub use alb_keys::AlbKeyOptions;
pub use algorithm::Algorithm;
pub use challenge::Challenge;
pub use claims::{Claims, TokenUse};
#[cfg(feature = "test-util")]
pub use clock::ManualClock;
pub use clock::{Clock, SystemClock};
pub use config::{
    AnyIssuer, ClientsChosen, CognitoPool, Issuer, OtherIssuer, TokenUseChosen, Unset,
    VerifierBuilder,
};
pub use error::{BuildError, ClaimError, Error, ErrorClass, HeaderError, MalformedToken, Segment};
pub use jwks_cache::JwksOptions;
pub use key_status::{KeySetState, KeySetStatus};
#[cfg(feature = "metrics")]
pub use metrics::describe_metrics;
pub use policy::{GroupSet, Policy, ScopeSet};
pub use requirement::{Requirement, is_scope_token};
pub use resource_metadata::ProtectedResourceMetadata;
pub use token_source::{ALB_DATA_HEADER, TokenSource, Trust};
pub use typed::{AccessTokenClaims, IdTokenClaims};
pub use verifier::Verifier;

//! Verify Amazon Cognito JWTs in Rust resource servers: strict, fast, secure by default.
//!
//! ```no_run
//! use cognito_jwt::{Issuer, Requirement, TokenUse, Verifier};
//!
//! # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder(Issuer::cognito("us-east-1_AbCdEf123"))
//!     .client_ids(["1example23456789"])
//!     .token_use(TokenUse::Access)
//!     .build()?;
//!
//! let claims = verifier.verify(token).await?;
//! Requirement::new().any_scope(["orders/read"])?.verify(&claims)?;
//! # Ok(()) }
//! ```
//!
//! What is checked, and the one error each failure gets, is listed on
//! [`Verifier::verify`] and [`Error`]. The defaults and security choices are
//! in the [`manual`]. HTTP adapters
//! (`cognito-jwt-tower`, `cognito-jwt-actix`) build on
//! [`Verifier::authenticate`], [`TokenSource`], [`Requirement`] and
//! [`Challenge`], which know nothing of any framework.
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

mod algorithm;
mod authentication;
mod authz;
mod challenge;
mod claims;
mod clock;
mod config;
mod core_claims;
mod error;
mod json;
mod jwk;
mod jwks_cache;
pub mod manual;
mod token;
mod token_cache;
mod token_source;
mod typed;
mod verifier;

pub use algorithm::Algorithm;
pub use authentication::Authentication;
pub use authz::{Requirement, is_scope_token};
pub use challenge::Challenge;
pub use claims::{Claims, TokenUse};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{ClientsChosen, Issuer, TokenUseChosen, Unset, VerifierBuilder};
pub use error::{BuildError, ClaimError, Error, ErrorClass, HeaderError, MalformedToken, Segment};
pub use jwks_cache::JwksOptions;
pub use token_source::{HeaderSource, TokenSource};
pub use typed::{AccessTokenClaims, IdTokenClaims};
pub use verifier::Verifier;

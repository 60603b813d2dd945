//! Helpers shared by the integration tests (`mod support;` in each).
#![allow(dead_code, reason = "each test file uses only some of them")]

use cognito_jwt::adapter::HeaderSource;
use cognito_jwt::{Issuer, TokenUse, Verifier};
use cognito_jwt_testkit::TestIssuer;

/// A request's headers, as a framework would lend them to the `Gate`.
pub struct Headers(pub Vec<(&'static str, String)>);

impl HeaderSource for Headers {
    fn each_value<'a>(&'a self, name: &str, f: &mut dyn FnMut(&'a [u8])) {
        for (k, v) in &self.0 {
            if k.eq_ignore_ascii_case(name) {
                f(v.as_bytes());
            }
        }
    }
}

/// A verifier of `pool`'s access tokens with its keys given at build time.
pub fn static_verifier(pool: &TestIssuer) -> Verifier {
    Verifier::builder(
        Issuer::cognito(pool.pool_id().unwrap_or_default()).static_jwks(pool.jwks().to_string()),
    )
    .client_ids([pool.client_id()])
    .token_use(TokenUse::Access)
    .build()
    .unwrap()
}

//! End-to-end test harness for cognito-jwt.
//!
//! Starts real token issuers on 127.0.0.1 and hands their tokens and JWKS
//! URLs to tests:
//!
//! * [`Moto`]: moto's Cognito emulator, seeded by `tests/fixtures/moto/seed.py`
//!   with a user pool, app clients, groups and users; ID, access and refresh
//!   tokens for `alice` and `bob` ([`MotoSeed`]).
//! * [`OidcProvider`]: npm `oidc-provider` issuing client-credentials JWT
//!   access tokens with custom scopes under a Cognito-shaped issuer string
//!   (RS256 and ES256).
//! * [`aws_jwt_verify`]: npm `aws-jwt-verify`, AWS's own verifier, run
//!   offline over a batch of tokens (the differential test's reference).
//!
//! They need `scripts/setup-e2e.sh` to have run (a Python venv in `.e2e/venv`,
//! `node_modules` in `tests/fixtures/oidc` and `tests/fixtures/aws-jwt-verify`);
//! without it they panic saying so.
//! Every child process is killed when its guard drops, including when a test
//! panics, and also exits by itself when the test process dies (its stdin
//! closes).
//!
//! And one host: [`lambda_runtime`], a loopback Lambda Runtime API that runs
//! a function binary as AWS Lambda does, fed the API Gateway and ALB events
//! of [`lambda_events`].
//!
//! ```no_run
//! # async fn demo() {
//! use cognito_jwt_e2e::{Moto, OidcProvider, oidc};
//! let moto = Moto::start();
//! let alice_access = &moto.seed.tokens.alice.access;
//! let oidc = OidcProvider::start();
//! let m2m = oidc
//!     .client_credentials(oidc::M2M_CLIENT, oidc::M2M_SECRET, &["orders/read"])
//!     .await
//!     .unwrap();
//! # }
//! ```

pub mod alb;
pub mod apps;
pub mod aws_jwt_verify;
pub mod contract;
pub mod jwt;
pub mod lambda_events;
pub mod lambda_runtime;
pub mod moto;
pub mod oidc;
pub mod operations;
pub mod process;
pub mod resource_metadata;
pub mod revocation;
pub mod trust;

pub use jwt::{decode_header, decode_payload};
pub use moto::{Moto, MotoSeed, SeedUser, ShortLived, TokenSet, Tokens};
pub use oidc::{ClientAuth, OidcError, OidcProvider, TokenRequest, TokenResponse};
pub use process::{Ready, Service, free_port, http_get, repo_root};

/// Shared HTTP client for the harness: loopback only, so proxies from the
/// environment are ignored, and every request has a timeout.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .expect("build reqwest client")
}

/// A response's `WWW-Authenticate` challenge, when it has one.
pub fn www_authenticate(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// GETs `url` and parses the body as JSON, failing on a non-2xx status.
pub async fn get_json(url: &str) -> Result<serde_json::Value, String> {
    let resp = http_client()
        .get(url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = resp.status();
    let body = resp.text().await.map_err(|e| format!("GET {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("GET {url}: HTTP {status}: {body}"));
    }
    serde_json::from_str(&body).map_err(|e| format!("GET {url}: bad JSON ({e}): {body}"))
}
